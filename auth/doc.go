// Package auth is brokerkit's broker-agnostic OAuth 2.0 core: the Provider
// interface every broker implements, a safe login Flow, Tokens that print no
// secrets, token sources that refresh and persist themselves, and one tree
// of typed errors.
//
// # Providers
//
// Each broker package returns a Provider. Brokers differ in endpoints,
// client authentication, token-request method and the JSON names of the
// token response; Standard implements Provider from a Config that states
// those differences as data, and DecodeTokenResponse reads every documented
// spelling (access_token, token, accessToken; expires_in as number or
// string; errors delivered with HTTP 200). Capabilities says in advance
// what a provider supports; a grant it lacks fails with ErrUnsupported.
//
// # Logging a user in from a web app
//
// Begin creates a Flow with a random state and, where the broker allows it,
// a PKCE S256 verifier. The app keeps the flow server-side (it is plain
// JSON) and redirects the user to flow.URL. When the broker redirects back,
// Complete checks the callback (state in constant time, iss, error
// parameter, deadline, single use) and only then exchanges the code:
//
//	p, err := tradestation.New(tradestation.Config{ClientID: id, ClientSecret: secret,
//		RedirectURL: "https://app.example.com/callback/tradestation"})
//
//	// in the login handler:
//	flow, err := auth.Begin(p)                       // state + PKCE + deadline
//	err = flows.Put(flow)                            // keep it server-side (fails when too many logins are pending)
//	http.Redirect(w, r, flow.URL, http.StatusFound)  // send the user to the broker
//
//	// in the callback handler:
//	tok, err := flow.Complete(ctx, p, r.URL.Query())
//	switch {
//	case errors.Is(err, auth.ErrAccessDenied):  // the user said no
//	case errors.Is(err, auth.ErrStateMismatch): // not our login: CSRF or a stale tab
//	case err != nil:                            // *auth.OAuthError, auth.ErrUnavailable, ...
//	}
//
// CallbackHandler is that callback handler ready-made: it finds the flow by
// its state (FlowByState with a FlowStore, or the app's session), completes
// it, hands the token to the app and answers failures with a safe page and
// the right status. Give each broker its own redirect path: together with
// the iss check this defends against mix-up attacks between brokers.
//
// # Logging a user in from a command-line program
//
// LoginLoopback runs the whole login for a CLI or desktop tool (RFC 8252):
// it listens on 127.0.0.1, opens the authorization URL, waits for the
// browser's redirect and returns the token.
//
//	tok, err := auth.LoginLoopback(ctx, p, auth.LoopbackOpen(openBrowser))
//
// # Using tokens
//
// A TokenSource serves a user's token from a Store, refreshes it shortly
// before it expires (one refresh at a time, which no caller's cancellation
// aborts) and saves every new token, so a rotated refresh token is never
// lost. A Transport puts the token on each request and refreshes once when
// the API refuses it; CheckResponse turns error answers into typed errors.
// A Manager hands out one TokenSource and one *http.Client per user:
//
//	m, err := auth.NewManager(p, store)           // store: NewMemoryStore, NewFileStore, or your own
//	err = m.SetToken(ctx, userID, tok)            // right after the login
//	resp, err := m.Client(userID).Get(apiURL)     // Authorization header added, refreshed as needed
//
// # Errors
//
// Errors match sentinels with errors.Is (ErrReauthRequired when the user
// must log in again, ErrInvalidClient, ErrStateMismatch, ErrFlowExpired,
// ErrAccessDenied, ErrUnsupported, ErrRateLimited, ErrUnavailable, ...) and
// carry details reachable with errors.As (*OAuthError, *RateLimitError,
// *HTTPError, *ResponseError, *InsufficientScopeError, *StoreError). Bad
// input from a server or a callback is always one of these, never a panic.
//
// # Secrets
//
// No error text contains a token, a client secret or a PKCE verifier. A
// Token or Flow printed with fmt (any verb, also inside another value) or
// logged with log/slog shows what it holds, not the secrets; so do a
// Config, Standard, TokenSource, Transport and Manager printed with fmt.
// Only the JSON encodings of Token and Flow, which are what stores and
// sessions keep, carry secrets. Endpoints must be https unless they are on
// a loopback address (CheckEndpoint), and Transport never sends a token
// over plain http elsewhere.
package auth
