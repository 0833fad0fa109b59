// Package autoshares connects an application to AutoShares: the Auth0
// login (Provider) and a typed client of the API (Client), with exact
// decimals for every amount.
//
// AutoShares' own gateway contract is not public. The client follows the
// public ETNA-layer endpoints AutoShares documents (/v1.0/…, the
// Et-App-Key header) and the emulator contract of the brokerkit project
// where nothing is documented (agreement ids). Quotes come, as AutoShares
// documents, from its quote streamer: Streams.Quotes streams them, and
// Quotes.Get takes a snapshot from that stream. Every
// path, host and header name is configuration (Config, Paths,
// WithAPIKeyHeader, WithBaseURL), so a partner who receives the real
// contract changes configuration, not code.
//
// The environment (auth.Live or auth.Demo) is required and stated once,
// in the Config, with the API key; the provider's NewClient takes both
// from there. Log in with auth.Begin and Flow.Complete, then call the API
// through a client that adds the bearer token (refreshing it) and the API
// secret key beside it. Here the emulator in autosharestest stands in for
// AutoShares and plays the user:
//
//	p, err := autoshares.New(autoshares.Config{Domain: "autosharesdev.us.auth0.com",
//		Environment: auth.Demo, ClientID: id, ClientSecret: secret, APIKey: apiKey,
//		RedirectURL: redirectURL, RefreshEnabled: true,
//		BaseURL: srv.URL(), HTTPClient: srv.Client()}) // the emulator; leave both out for AutoShares
//	if err != nil {
//		log.Fatal(err)
//	}
//	flow, _ := auth.Begin(p)                       // redirect the user to flow.URL
//	callback, _ := srv.Consent(ctx, flow.URL)      // the user signs in and approves
//	tok, err := flow.CompleteURL(ctx, p, callback) // in your callback: flow.Complete(ctx, p, r.URL.Query())
//	if err != nil {
//		log.Fatal(err)
//	}
//
//	src, _ := auth.NewSource(p, store, auth.Key(p.Name(), userID))
//	_ = src.SetToken(ctx, tok)
//	c := p.NewClient(src)
//	if _, err := c.Agreements.SignAllRequired(ctx, autoshares.Me); err != nil {
//		log.Fatal(err) // quotes and trading wait for the required agreements
//	}
//	quotes, err := c.Quotes.Get(ctx, "AAPL", "MSFT")
//	if err != nil {
//		log.Fatal(err)
//	}
//	fmt.Println(quotes[0].Symbol, quotes[0].Bid, quotes[0].Ask) // exact decimals
//
// Errors: every error body AutoShares documents ({"error"}, {"Message"},
// {"Errors":[…]}, order checks with IsSuccessful false, even under HTTP
// 200) becomes a typed error. Match them with errors.Is: ErrInvalidInput
// (before any request: a bad argument, no host, no API key),
// ErrAPIKeyRejected, ErrAgreementsPending (an *AgreementsPendingError
// names the agreements), ErrOrderRejected (an *OrderRejectedError with the
// broker's reason), ErrNotFound, ErrConflict, auth.ErrInvalidToken,
// auth.ErrUnavailable; details via errors.As on *Error. Calls over several
// items (Accounts.Balances, Quotes.Get) return what succeeded beside a
// *PartialError naming the rest. Orders are never placed twice: placement
// is not retried.
//
// The package autosharestest is an in-process emulator of both halves.
package autoshares
