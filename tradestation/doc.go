// Package tradestation connects an app to TradeStation: the OAuth 2.0
// logins of API v3 (Auth0 at signin.tradestation.com), of the
// account-opening (AOP) audience and of the legacy WebAPI v2, and a typed
// client for accounts, balances, positions, quotes and v2 symbol lookup.
// Every price and amount is an exact decimal.Decimal.
//
// A v3 login and a quotes call, as a web back end does it:
//
//	p, err := tradestation.New(tradestation.Config{
//		ClientID: os.Getenv("TS_CLIENT_ID"), ClientSecret: auth.Secret(os.Getenv("TS_CLIENT_SECRET")),
//		RedirectURL: "http://localhost:3000/callback",
//	})
//	flow, err := auth.Begin(p)                      // state, PKCE when the key allows it, deadline
//	http.Redirect(w, r, flow.URL, http.StatusFound) // keep flow in the user's session
//
//	// in the callback handler:
//	tok, err := flow.Complete(ctx, p, r.URL.Query())
//	src, err := auth.NewTokenSource(p, store, auth.Key(tradestation.Name, userID))
//	err = src.SetToken(ctx, tok)                    // saved; refreshed before its 20 minutes end
//
//	c := tradestation.NewClient(tradestation.HTTPClient(src))
//	quotes, invalid, err := c.Quotes.Get(ctx, "MSFT", "AAPL")
//	fmt.Println(quotes[0].Symbol, quotes[0].Last)   // exact: 412.37
//	for _, e := range invalid {                      // unknown symbols, not a failure
//		log.Println(e)
//	}
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
// is the v2 userid, used by c.V2.Accounts; a v2 client-credentials token
// may only look up symbols (c.V2.Suggest, c.V2.Search).
//
// Errors are typed: *Error for API answers (errors.Is with ErrNotFound,
// ErrForbidden, auth.ErrInvalidToken), *auth.RateLimitError (errors.As) for
// a v3 429 and for v2's 403 "Quota Exceeded" page, with the reset time.
// GET calls are retried on 429 and 5xx within WithRetry's budget. Bad
// arguments and configurations match ErrInvalidInput and send nothing.
//
// Package tradestationtest is an in-process emulator of all of it, for
// tests and for trying the SDK without an account.
package tradestation
