// Package auth is the OAuth 2.0 client core that every brokerkit broker
// package shares (RFC 6749, with PKCE, RFC 7636). A Provider logs a user
// in: each broker package's *Provider is one, and NewStandard builds one
// for any server from a Config. A Source keeps that user's token fresh in
// a Store, and NewClient returns an *http.Client that sends it.
//
// A command-line program logs in through the browser (RFC 8252) and calls
// the broker's API:
//
//	p, err := tradestation.New(tradestation.Config{ClientID: id, ClientSecret: secret,
//		RedirectURL: "http://localhost:3000", Environment: auth.Sim,
//		BaseURL: srv.URL()}) // leave BaseURL out for the real TradeStation
//	if err != nil {
//		log.Fatal(err)
//	}
//	tok, err := auth.LoginLoopback(ctx, p, // on localhost, as RedirectURL; any free port
//		auth.LoopbackOptions{Host: "localhost", Open: openBrowser})
//	if err != nil {
//		log.Fatal(err)
//	}
//	src, err := auth.NewSource(p, auth.NewMemoryStore(), auth.Key(p.Name(), "me"))
//	if err != nil {
//		log.Fatal(err)
//	}
//	if err := src.SetToken(ctx, tok); err != nil {
//		log.Fatal(err)
//	}
//	resp, err := auth.NewClient(src).Get(apiURL)
//
// A web app begins the login with Begin, keeps the Flow server-side (a
// FlowStore, or the user's session), sends the user to flow.URL and
// completes it in its callback (CallbackHandler is that handler
// ready-made); a Manager then hands out each user's client:
//
//	tok, err := flow.Complete(ctx, p, r.URL.Query())
//	if err != nil {
//		log.Fatal(err)
//	}
//	m, err := auth.NewManager(p, store)
//	if err != nil {
//		log.Fatal(err)
//	}
//	if err := m.SetToken(ctx, userID, tok); err != nil {
//		log.Fatal(err)
//	}
//	resp, err := m.Client(userID).Get(apiURL)
//
// Errors match the Err* sentinels with errors.Is (ErrReauthRequired: the
// user must log in again) and carry details for errors.As. No error, fmt
// verb or log/slog record shows a token, client secret or PKCE verifier;
// only the JSON encodings of Token and Flow, which stores and sessions
// keep, carry them.
package auth
