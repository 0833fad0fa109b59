// Package just2trade connects an application to Just2Trade (and its
// successor, Lime Trading) through brokerkit's OAuth 2.0 layer, and calls
// its REST API with typed, context-first methods and exact decimals.
//
// Just2Trade runs an IdentityServer-style authorization server
// (/connect/authorize, /connect/token) beside the API. Only the
// authorization-code grant is used: the client credentials go in the token
// request's form body, the code lives five minutes, and a state parameter
// is sent and verified although the broker does not document it. There is
// no refresh grant: Capabilities says so, Refresh returns an error matching
// auth.ErrUnsupported, and once a token has lapsed the TokenSource answers
// auth.ErrReauthRequired — the user logs in again.
//
// Token lifetime depends on the environment. EnvJust2Trade issues a token
// for 24 hours and prolongs it by every successful call (sliding expiry):
// the TokenSource and the Transport keep the local expiry in step, so an
// app that keeps calling never asks the user to log in again, and one idle
// for more than 24 hours gets auth.ErrReauthRequired. EnvLime tokens expire
// at 3:00 AM US Eastern and are not prolonged; Exchange sets that expiry.
//
// The resource-owner password grant, which the broker offers for a user's
// own application, is deliberately not implemented: RFC 9700 (OAuth 2.0
// Security Best Current Practice) says it MUST NOT be used, since it hands
// the user's password to the application.
//
// The shortest working use, against the emulator in just2tradetest:
//
//	srv := just2tradetest.NewServer()
//	defer srv.Close()
//	p, _ := srv.Provider()      // or New(Config{ClientID, ClientSecret, RedirectURL, Environment: EnvJust2Trade})
//	tok, _ := srv.Login(ctx, p) // a real app: auth.Begin, redirect, flow.Complete
//	src, _ := auth.NewSource(p, auth.NewMemoryStore(), auth.Key(p.Name(), "user-1"))
//	_ = src.SetToken(ctx, tok)
//	c := p.NewClient(src)                            // hosts from p's environment (or BaseURL)
//	quotes, err := c.Quotes.Get(ctx, "AAPL", "MSFT") // []Quote, prices as decimal.Decimal
//	if err != nil {
//		log.Fatal(err)
//	}
//	for _, q := range quotes {
//		fmt.Println(q.Symbol, "bid", q.Bid, "ask", q.Ask)
//	}
//
// Placing an order (Orders.Place) is never retried, and its success only
// means the broker took the order: checks run afterwards and may turn it
// rejected, so follow it with Orders.Get or Orders.Wait. Orders.Validate
// asks first and returns a *ValidationError with the broker's message.
// c.Streams opens the broker's WebSocket feeds in the one stream shape of
// package stream: Quotes (market data, merged into the last known quote;
// Lime has no market-data feed) and the account feed's Orders, Positions,
// Balances and Trades. The token goes on each upgrade request, a refused
// one is replaced like on any call, and a cut, stalled or hung socket is
// redialled and resubscribed; orders re-sent after a reconnect are not
// delivered twice.
//
// API errors are *Error values (the {"code","message"} envelope) matching
// ErrNotFound, ErrBadRequest, auth.ErrInvalidToken or auth.ErrUnavailable;
// an argument refused before sending matches ErrInvalidInput.
package just2trade
