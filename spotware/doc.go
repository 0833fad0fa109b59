// Package spotware connects to the Spotware cTrader Open API 2.0: the
// OAuth provider for logging users in, and a session client for the API
// itself, which is Protobuf over TLS (a 4-byte big-endian length and a
// ProtoMessage per frame), not REST.
//
// Log in with auth.Flow like any brokerkit provider. cTrader's token
// endpoint is a GET and its refresh token is single use, rotating on every
// refresh, so keep tokens in an auth.Source over a Store: it saves each new
// refresh token before handing it out. Config.Environment (auth.Live or
// auth.Demo) is required; it picks the host a session dials first. Here
// the emulator in spotwaretest stands in for cTrader and plays the user:
//
//	p, _ := spotware.New(spotware.Config{ClientID: id, ClientSecret: secret,
//		RedirectURL: redirectURL, Environment: auth.Demo,
//		BaseURL: srv.URL(), HTTPClient: srv.Client()}) // the emulator; leave both out for cTrader
//	flow, _ := auth.Begin(p)                     // redirect the user to flow.URL
//	callback, _ := srv.Consent(ctx, flow.URL)    // the user signs in and approves
//	tok, _ := flow.CompleteURL(ctx, p, callback) // in your callback: flow.Complete(ctx, p, r.URL.Query())
//	tokens, _ := auth.NewSource(p, store, auth.Key(spotware.Name, user))
//	_ = tokens.SetToken(ctx, tok)
//
// Then dial a session, authorize an account and take a quote:
//
//	s, err := spotware.Dial(ctx, srv.SessionConfig(tokens)) // for cTrader: p.SessionConfig(tokens)
//	if err != nil {
//		log.Fatal(err)
//	}
//	defer s.Close()
//	list, _ := s.Accounts(ctx)                       // live and demo accounts
//	_ = s.AuthorizeAccount(ctx, list.Accounts[0].ID) // live or demo: routed to its host
//	quotes, _ := s.StreamQuotes(ctx, list.Accounts[0].ID, spotwaretest.EURUSD)
//	defer quotes.Close()                  // unsubscribes
//	q := <-quotes.C()                     // one quote; range over quotes.C() for the stream
//	fmt.Println(q.SymbolID, q.Bid, q.Ask) // exact decimals
//
// Live and demo accounts are served by separate hosts. A session keeps one
// connection per host: it sends each account's calls to the host its
// IsLive names, connecting to the other host (demo.ctraderapi.com and
// live.ctraderapi.com, or SessionConfig.LiveAddr and DemoAddr) on first
// use, so callers never meet CANT_ROUTE_REQUEST.
//
// The session keeps itself usable: it matches answers to requests by
// clientMsgId with a timeout per request, sends a heartbeat every 10
// seconds, caps frame sizes, throttles to the documented 50 (and 5
// historical) requests per second, refreshes the token through the
// TokenSource when the server answers CH_ACCESS_TOKEN_INVALID or
// OA_AUTH_TOKEN_EXPIRED, authorizes accounts again after token-invalidated
// and account-disconnect events, and reconnects with backoff after a dropped
// or stalled connection. Each of these is reported on Session.Events.
//
// Quotes and order events are streams of package stream, the one shape
// every brokerkit broker streams in: StreamQuotes and StreamOrders return a
// *stream.Stream with C, Err, Close and Stats. They ride on the session's
// connection: after it reconnects, or the server drops an account's session
// and the session authorizes it again, each stream subscribes again (quotes)
// or takes the account's snapshot again (orders: pending orders and the
// orders of the cut, without duplicates), counted in Stats.Reconnects. A
// quote stream drops the oldest quote for a reader that falls behind and
// counts it (Stats.Dropped); an order stream drops nothing. Server errors are *Error values that match
// the auth sentinels (auth.ErrInvalidClient, auth.ErrRateLimited with
// RetryAfter, auth.ErrUnavailable for maintenance) and ErrNotFound for an
// unknown account or symbol; a call or configuration refused before
// anything is sent matches ErrInvalidInput.
//
// Trading takes a token granted the trading scope (a token with the
// accounts scope only gets ErrTradingScope before anything is sent):
// PlaceOrder (market, limit, stop, stop-limit and market-range orders, with
// absolute or relative stop loss and take profit), AmendOrder, CancelOrder,
// AmendPositionSLTP and ClosePosition return the server's execution;
// Reconcile, Deals, Orders, Trendbars and TickData read. Volumes are
// decimals in units (the wire's cents ÷ 100; Symbol.LotSize units to a
// lot), prices exact decimals, money scaled by each message's moneyDigits.
// Every execution event, whether it answers this session's call or another
// client's, is delivered on the account's StreamOrders streams. Trading requests are
// never sent twice: when the answer does not come (or the connection drops
// first), the session reconciles the account and returns a *TimeoutError
// saying whether the order or position exists.
//
// brokerkit speaks Protobuf (port 5035) over TLS TCP only, not the JSON
// port or WebSocket.
//
// Package spotwaretest is an in-process emulator of both sides, and
// package openapi holds the Protobuf messages for calls not wrapped here
// (Session.Do).
package spotware
