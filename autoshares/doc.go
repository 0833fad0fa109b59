// Package autoshares connects an application to AutoShares: the Auth0
// login (Provider) and a typed client of the API (Client), with exact
// decimals for every amount.
//
// AutoShares' own gateway contract is not public. The client follows the
// public ETNA-layer endpoints AutoShares documents (/v1.0/…, the
// Et-App-Key header) and the emulator contract of the brokerkit project
// where nothing is documented (agreement ids, a REST quote endpoint). Every
// path, host and header name is configuration (Config, Paths,
// WithAPIKeyHeader, WithBaseURL), so a partner who receives the real
// contract changes configuration, not code.
//
// Log in with auth.Begin and Flow.Complete, then call the API through
// NewHTTPClient, which adds the bearer token and refreshes it; the client
// adds the API secret key beside it:
//
//	p, err := autoshares.New(autoshares.Config{Domain: "autosharesdev.us.auth0.com",
//		ClientID: id, ClientSecret: secret, RedirectURL: "https://app.example.com/cb",
//		RefreshEnabled: true})
//	flow, _ := auth.Begin(p)                  // redirect the user to flow.URL
//	tok, err := flow.Complete(ctx, p, query) // in the callback
//
//	src, _ := auth.NewTokenSource(p, store, auth.Key(p.Name(), userID))
//	_ = src.SetToken(ctx, tok)
//	c := autoshares.NewClient(autoshares.NewHTTPClient(src, nil),
//		autoshares.WithEnvironment(auth.Live), autoshares.WithAPIKey(apiKey))
//	if _, err := c.Agreements.SignAllRequired(ctx, autoshares.Me); err != nil { … }
//	quotes, err := c.Quotes.Get(ctx, "AAPL", "MSFT")
//
// Errors: every error body AutoShares documents ({"error"}, {"Message"},
// {"Errors":[…]}, order checks with IsSuccessful false, even under HTTP
// 200) becomes a typed error. Match them with errors.Is: ErrMissingAPIKey
// (before any request), ErrAPIKeyRejected, ErrAgreementsPending (an
// *AgreementsPendingError names the agreements), ErrOrderRejected (an
// *OrderRejectedError with the broker's reason), ErrNotFound, ErrConflict,
// auth.ErrInvalidToken, auth.ErrUnavailable; details via errors.As on
// *APIError. Orders are never placed twice: placement is not retried.
//
// The package autosharestest is an in-process emulator of both halves.
package autoshares
