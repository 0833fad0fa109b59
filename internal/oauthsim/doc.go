// Package oauthsim is the authorization-server engine every brokerkit
// emulator builds on. It implements OAuth 2.0 once — registered clients and
// redirect URIs (exact match; loopback any port, RFC 8252), seeded users
// with a login-and-consent page, single-use codes bound to client, redirect
// URI and PKCE S256 challenge, access tokens with fixed, computed or
// sliding expiry, static or rotating refresh tokens, revocation, client
// credentials, the implicit grant, userinfo, fault injection and a test
// clock — and lets each broker emulator state only its differences as data
// in a Config and its Wire.
//
// An emulator states its broker's OAuth dialect as data (here cTrader's:
// a GET token endpoint, camelCase fields, errors under HTTP 200):
//
//	clock := oauthsim.NewTestClock(time.Time{})
//	eng, err := oauthsim.New(oauthsim.Config{
//		Name:    "cTrader",
//		Now:     clock.Now,
//		Clients: []oauthsim.Client{{ID: "app", Secret: "s3cret", RedirectURIs: []string{"http://127.0.0.1/cb"}}},
//		Users:   []oauthsim.User{{ID: "1001", Username: "trader", Password: "pw"}},
//		CodeTTL: time.Minute, AccessTTL: 2628000 * time.Second,
//		Refresh: oauthsim.RefreshPolicy{Mode: oauthsim.RefreshRotate},
//		Wire: oauthsim.Wire{
//			AuthorizePath: "/apps/auth", TokenPath: "/apps/token", RevokePath: "-", UserinfoPath: "-",
//			TokenMethods: []string{"GET"}, ClientAuth: oauthsim.ClientAuthParams,
//			Fields: oauthsim.TokenFields{AccessToken: "accessToken", TokenType: "tokenType",
//				RefreshToken: "refreshToken", ExpiresIn: "expiresIn", Scope: "-", TokenTypeValue: "bearer"},
//			Errors: oauthsim.Status200Errors("errorCode", "description", nil),
//		},
//	})
//
// and mounts the Engine beside its API routes on one server, asking it to
// validate the bearer token of each API request:
//
//	mux := http.NewServeMux()
//	eng.Mount(mux)
//	mux.Handle("/accounts", eng.Faults().Wrap(eng.Protect(accountsHandler, writeBroker401)))
//	srv := httptest.NewServer(mux)
//	defer srv.Close()
//
// In the emulator's tests a Browser plays the user: it opens the authorize
// URL, signs in, approves, and returns the callback URL for the SDK's
// Flow.CompleteURL; Declining() makes it press Deny. Faults().Next injects
// a 5xx, a 429 with Retry-After, a delay, a cut connection, a truncated
// body or an invalidated token into the next requests of a path.
//
// Brokers with a second channel use the engine from there too: Refresh
// runs the refresh grant outside HTTP (sharing rotation state with the
// token endpoint), ValidateToken checks a token taken from a protobuf
// message, and Config.OnInvalidate reports access tokens that die early so
// that sessions authorised with them can be closed.
package oauthsim
