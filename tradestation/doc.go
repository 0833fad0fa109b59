// Package tradestation connects an app to TradeStation: the OAuth 2.0
// logins of API v3 (Auth0 at signin.tradestation.com), of the
// account-opening (AOP) audience and of the legacy WebAPI v2, and a typed
// client for accounts, balances, positions, quotes, orders, streams and v2
// symbol lookup.
// Every price and amount is an exact decimal.Decimal.
//
// A v3 login and a quotes call. Here the emulator (package
// tradestationtest) stands in for TradeStation and plays the user; a web
// back end redirects the user to flow.URL and completes the flow in its
// callback handler:
//
//	p, err := tradestation.New(tradestation.Config{
//		ClientID: clientID, ClientSecret: clientSecret,
//		RedirectURL: "http://localhost:3000/callback",
//		Environment: auth.Sim,  // required: auth.Live or auth.Sim
//		BaseURL:     srv.URL(), // the emulator; leave out for TradeStation
//	})
//	if err != nil {
//		log.Fatal(err)
//	}
//
//	flow, _ := auth.Begin(p)                       // state, PKCE when the key allows it, deadline
//	callback, _ := srv.Consent(ctx, flow.URL)      // the user signs in; a web app redirects to flow.URL
//	tok, err := flow.CompleteURL(ctx, p, callback) // in a callback handler: flow.Complete(ctx, p, r.URL.Query())
//	if err != nil {
//		log.Fatal(err) // a forged, replayed or late callback
//	}
//	src, _ := auth.NewSource(p, store, auth.Key(tradestation.Name, userID))
//	_ = src.SetToken(ctx, tok) // saved; refreshed before its 20 minutes end
//
//	c := p.NewClient(src) // the provider's environment and hosts
//	quotes, err := c.Quotes.Get(ctx, "MSFT", "NOPE")
//	var partial *tradestation.PartialError // unknown symbols, beside the others' quotes
//	if err != nil && !errors.As(err, &partial) {
//		log.Fatal(err)
//	}
//	fmt.Println(quotes[0].Symbol, quotes[0].Last) // exact: 412.37
//
// Keys set up for PKCE have no secret: leave ClientSecret empty (or set
// Config.PKCE) and no secret is sent. Keys with rotating refresh tokens
// need Config.Refresh = RefreshRotating; the TokenSource then saves every
// new refresh token at once, and after the absolute limit (24 hours) calls
// fail with auth.ErrReauthRequired.
//
// Tokens carry their audience: a token from an AOP login is refused by
// Client before any request (ErrWrongAudience), and a trading token by
// AOPClient. WebAPI v2 logins (Config.API = V2) give tokens whose Subject
// is the v2 userid, used by c.V2.Accounts of a client from
// Provider.NewClient; a v2 client-credentials token may only look up
// symbols (c.V2.Suggest, c.V2.Search).
//
// Prices, bars, orders and positions also stream: c.Streams.Quotes, Bars,
// Orders and Positions read TradeStation's chunked HTTP streams (v3; a v2
// client's Quotes reads v2's) into *stream.Stream values of typed events,
// with heartbeats, stall detection, GoAway and ERROR - RESET handled by
// reconnecting, and order and position streams resynced when they carry
// heartbeats but no data, each change delivered once (see package stream).
//
// Config.BaseURL points every host at one server in the emulator's layout
// (sign-in and the live API at BaseURL, SIM under /sim, AOP under /aop);
// WithBaseURL points one client's API calls elsewhere (tests, proxies).
//
// Errors are typed: *Error for API answers (errors.Is with ErrNotFound,
// ErrForbidden, auth.ErrInvalidToken), *PartialError for the failed items
// of a multi-symbol or multi-account call (returned beside the others'
// results), *auth.RateLimitError (errors.As) for a v3 429 and for v2's 403
// "Quota Exceeded" page, with the reset time.
// GET calls are retried on 429 and 5xx within WithRetry's budget. Bad
// arguments and configurations match ErrInvalidInput and send nothing.
//
// Package tradestationtest is an in-process emulator of all of it, for
// tests and for trying the SDK without an account.
package tradestation
