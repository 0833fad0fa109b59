// Package auth is brokerkit's broker-agnostic OAuth 2.0 core: the Provider
// interface every broker implements, a safe login Flow, Tokens that print no
// secrets, and one tree of typed errors.
//
// A login has three steps. Begin creates a Flow with a random state and,
// where the broker allows it, a PKCE S256 verifier. The app keeps the flow
// (it is plain JSON) and redirects the user to flow.URL. When the broker
// redirects back, Complete checks the callback (error parameter, state in
// constant time, iss, deadline, single use) and only then exchanges the code:
//
//	p, _ := tradestation.New(tradestation.Config{ClientID: id, ClientSecret: secret,
//		RedirectURL: "https://app.example.com/callback/tradestation"})
//
//	flow, err := auth.Begin(p)                       // state + PKCE + deadline
//	session.Save(flow)                               // keep it server-side
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
// Brokers differ in endpoints, client authentication, token-request method
// and the JSON names of the token response. Standard implements Provider
// from a Config that states those differences as data; DecodeTokenResponse
// reads every documented spelling (access_token, token, accessToken;
// expires_in as number or string; errors delivered with HTTP 200).
//
// Errors match sentinels with errors.Is (ErrReauthRequired when the user
// must log in again, ErrInvalidClient, ErrStateMismatch, ErrFlowExpired,
// ErrAccessDenied, ErrUnsupported, ErrRateLimited, ErrUnavailable, ...) and
// carry details reachable with errors.As (*OAuthError, *RateLimitError,
// *HTTPError, *ResponseError). No error text contains a token, a client
// secret or a PKCE verifier.
package auth
