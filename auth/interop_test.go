package auth_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/go-oauth2/oauth2/v4"
	"github.com/go-oauth2/oauth2/v4/manage"
	"github.com/go-oauth2/oauth2/v4/models"
	"github.com/go-oauth2/oauth2/v4/server"
	"github.com/go-oauth2/oauth2/v4/store"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/brokerkit/brokerkit/auth"
)

// interopAS is an independent authorization server (go-oauth2/oauth2 v4)
// running in-process on 127.0.0.1, with PKCE forced and S256 the only
// method, and refresh-token rotation on (its default).
type interopAS struct {
	*httptest.Server
	redirect string
}

const (
	interopRedirect = "http://127.0.0.1:31022/callback"
	interopClient   = "interop-client"
	interopSecret   = "interop-secret-value"
	interopPublic   = "interop-public-client"
)

func newInteropAS(t *testing.T, formAuth bool) *interopAS {
	t.Helper()
	manager := manage.NewDefaultManager()
	manager.MustTokenStorage(store.NewMemoryTokenStore())
	clients := store.NewClientStore()
	require.NoError(t, clients.Set(interopClient, &models.Client{ID: interopClient, Secret: interopSecret, Domain: "http://127.0.0.1:31022"}))
	require.NoError(t, clients.Set(interopPublic, &models.Client{ID: interopPublic, Public: true, Domain: "http://127.0.0.1:31022"}))
	manager.MapClientStorage(clients)

	cfg := server.NewConfig()
	cfg.ForcePKCE = true
	cfg.AllowedCodeChallengeMethods = []oauth2.CodeChallengeMethod{oauth2.CodeChallengeS256}
	srv := server.NewServer(cfg, manager)
	if formAuth {
		srv.SetClientInfoHandler(server.ClientFormHandler)
	}
	// Auto-consent: the test user approves every request.
	srv.SetUserAuthorizationHandler(func(http.ResponseWriter, *http.Request) (string, error) { return "user-1", nil })

	mux := http.NewServeMux()
	mux.HandleFunc("/authorize", func(w http.ResponseWriter, r *http.Request) {
		// go-oauth2 returns errors it cannot redirect without writing a
		// response; render them.
		if err := srv.HandleAuthorizeRequest(w, r); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
		}
	})
	mux.HandleFunc("/token", func(w http.ResponseWriter, r *http.Request) {
		if err := srv.HandleTokenRequest(w, r); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
		}
	})
	ts := httptest.NewServer(mux)
	t.Cleanup(ts.Close)
	return &interopAS{Server: ts, redirect: interopRedirect}
}

func (as *interopAS) provider(t *testing.T, style auth.AuthStyle, pkce bool) *auth.Standard {
	t.Helper()
	cfg := auth.Config{
		Name: "interop", ClientID: interopClient, ClientSecret: interopSecret,
		RedirectURL: as.redirect, Scopes: []string{"read", "trade"},
		Endpoint:  auth.Endpoint{AuthURL: as.URL + "/authorize", TokenURL: as.URL + "/token"},
		AuthStyle: style,
		Capabilities: auth.Capabilities{PKCE: pkce, Refresh: true, RefreshRotates: true,
			ClientCredentials: style != auth.AuthStylePublic},
		HTTPClient: as.Client(),
	}
	if style == auth.AuthStylePublic {
		cfg.ClientID, cfg.ClientSecret = interopPublic, ""
	}
	p, err := auth.NewStandard(cfg)
	require.NoError(t, err)
	return p
}

// browse plays the user agent: it follows the authorization URL once,
// without following the redirect, and returns the Location (the callback).
func interopBrowse(t *testing.T, authURL string) (*http.Response, string) {
	t.Helper()
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Get(authURL)
	require.NoError(t, err)
	resp.Body.Close()
	return resp, resp.Header.Get("Location")
}

// consent begins a flow and returns it with the callback URL the server
// redirected to.
func interopConsent(t *testing.T, p auth.Provider, opts ...auth.FlowOption) (*auth.Flow, string) {
	t.Helper()
	f, err := auth.Begin(p, opts...)
	require.NoError(t, err)
	resp, loc := interopBrowse(t, f.URL)
	require.Equal(t, http.StatusFound, resp.StatusCode, "authorization should redirect")
	require.NotEmpty(t, loc)
	return f, loc
}

func interopCodeOf(t *testing.T, callbackURL string) string {
	t.Helper()
	u, err := url.Parse(callbackURL)
	require.NoError(t, err)
	return u.Query().Get("code")
}

// TestInteropAuthorizationCodePKCE runs the whole life of a login against
// go-oauth2 for each client-authentication style it can be set up for.
func TestInteropAuthorizationCodePKCE(t *testing.T) {
	for _, tc := range []struct {
		name     string
		style    auth.AuthStyle
		formAuth bool
	}{
		{"confidential client, Basic (go-oauth2 default)", auth.AuthStyleInHeader, false},
		{"confidential client, secret in form", auth.AuthStyleInParams, true},
		{"public client, PKCE only", auth.AuthStylePublic, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			as := newInteropAS(t, tc.formAuth)
			p := as.provider(t, tc.style, true)
			ctx := context.Background()

			// Authorization code + PKCE S256.
			f, cb := interopConsent(t, p)
			require.Equal(t, as.redirect, cb[:len(as.redirect)])
			start := time.Now()
			tok, err := f.CompleteURL(ctx, p, cb)
			require.NoError(t, err)
			assert.NotEmpty(t, tok.AccessToken)
			assert.NotEmpty(t, tok.RefreshToken)
			assert.Equal(t, "Bearer", tok.TokenType)
			assert.Equal(t, []string{"read", "trade"}, tok.Scopes)
			assert.WithinDuration(t, start.Add(2*time.Hour), tok.Expiry, 5*time.Second, "go-oauth2 issues 2 h codes-grant tokens")
			assert.Equal(t, "interop", tok.Provider)

			// The code is single use at the server too (not only in Flow).
			_, err = p.Exchange(ctx, interopCodeOf(t, cb), auth.SetParam("code_verifier", f.Verifier))
			var oe *auth.OAuthError
			require.ErrorAs(t, err, &oe, "code reuse must be rejected")
			assert.Equal(t, "invalid_grant", oe.Code)
			assert.NotErrorIs(t, err, auth.ErrReauthRequired, "a bad code is not a dead session")

			// Refresh with rotation: a new refresh token each time, the old
			// one refused.
			r1, err := p.Refresh(ctx, tok)
			require.NoError(t, err)
			assert.NotEqual(t, tok.AccessToken, r1.AccessToken)
			assert.NotEqual(t, tok.RefreshToken, r1.RefreshToken, "the server rotates")
			r2, err := p.Refresh(ctx, r1)
			require.NoError(t, err, "the rotated refresh token works")
			assert.NotEqual(t, r1.RefreshToken, r2.RefreshToken)
			_, err = p.Refresh(ctx, tok)
			require.Error(t, err)
			assert.ErrorIs(t, err, auth.ErrReauthRequired, "the first refresh token was rotated away")
			_, err = p.Refresh(ctx, r1)
			assert.ErrorIs(t, err, auth.ErrReauthRequired, "so was the second")
			_, err = p.Refresh(ctx, r2)
			assert.NoError(t, err, "the newest one still works (no family revocation in go-oauth2)")
		})
	}
}

// TestInteropWrongVerifier checks that the server rejects a code redeemed
// with another verifier, or with none.
func TestInteropWrongVerifier(t *testing.T) {
	as := newInteropAS(t, false)
	p := as.provider(t, auth.AuthStyleInHeader, true)
	ctx := context.Background()

	f, cb := interopConsent(t, p)
	other, err := auth.Begin(p)
	require.NoError(t, err)
	_, err = p.Exchange(ctx, interopCodeOf(t, cb), auth.SetParam("code_verifier", other.Verifier))
	var oe *auth.OAuthError
	require.ErrorAs(t, err, &oe)
	assert.Equal(t, "invalid_grant", oe.Code)
	_, err = f.CompleteURL(ctx, p, cb)
	require.ErrorAs(t, err, &oe, "the code is spent after a failed verification")
	assert.Equal(t, "invalid_grant", oe.Code)

	_, cb = interopConsent(t, p)
	_, err = p.Exchange(ctx, interopCodeOf(t, cb))
	require.ErrorAs(t, err, &oe)
	assert.Equal(t, "invalid_request", oe.Code, "no verifier at all")
}

// TestInteropPKCERequired checks the server side of "S256 only": an
// authorization request without PKCE, or with plain, gets no code.
func TestInteropPKCERequired(t *testing.T) {
	as := newInteropAS(t, false)
	noPKCE := as.provider(t, auth.AuthStyleInHeader, false)
	f, err := auth.Begin(noPKCE)
	require.NoError(t, err)
	resp, loc := interopBrowse(t, f.URL)
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
	assert.Empty(t, loc)

	p := as.provider(t, auth.AuthStyleInHeader, true)
	f, err = auth.Begin(p, auth.FlowOptions{AuthParams: []auth.AuthCodeOption{auth.SetParam("code_challenge_method", "plain")}})
	require.NoError(t, err)
	resp, loc = interopBrowse(t, f.URL)
	assert.NotEqual(t, http.StatusFound, resp.StatusCode)
	assert.NotContains(t, loc, "code=")
}

// TestInteropStateAndDenial checks the client-side callback checks against
// real redirects: a tampered state, and a refused consent.
func TestInteropStateAndDenial(t *testing.T) {
	as := newInteropAS(t, false)
	p := as.provider(t, auth.AuthStyleInHeader, true)
	ctx := context.Background()

	f, cb := interopConsent(t, p)
	u, err := url.Parse(cb)
	require.NoError(t, err)
	q := u.Query()
	assert.Equal(t, f.State, q.Get("state"), "go-oauth2 echoes state")
	q.Set("state", "attacker-state")
	u.RawQuery = q.Encode()
	_, err = f.CompleteURL(ctx, p, u.String())
	assert.ErrorIs(t, err, auth.ErrStateMismatch)
	tok, err := f.CompleteURL(ctx, p, cb)
	require.NoError(t, err, "the genuine callback still completes")
	assert.NotEmpty(t, tok.AccessToken)
}

// TestInteropClientCredentials checks the client-credentials grant and a
// wrong secret.
func TestInteropClientCredentials(t *testing.T) {
	as := newInteropAS(t, false)
	p := as.provider(t, auth.AuthStyleInHeader, true)
	tok, err := p.ClientCredentials(context.Background(), "read")
	require.NoError(t, err)
	assert.NotEmpty(t, tok.AccessToken)
	assert.Empty(t, tok.RefreshToken)
	assert.Equal(t, []string{"read"}, tok.Scopes)
	assert.False(t, tok.Expiry.IsZero())

	bad, err := auth.NewStandard(auth.Config{Name: "interop", ClientID: interopClient, ClientSecret: "wrong-secret",
		Endpoint:  auth.Endpoint{AuthURL: as.URL + "/authorize", TokenURL: as.URL + "/token"},
		AuthStyle: auth.AuthStyleInHeader, Capabilities: auth.Capabilities{ClientCredentials: true},
		HTTPClient: as.Client()})
	require.NoError(t, err)
	_, err = bad.ClientCredentials(context.Background())
	require.Error(t, err)
	assert.ErrorIs(t, err, auth.ErrInvalidClient)
	assert.NotContains(t, err.Error(), "wrong-secret")
	assert.False(t, errors.Is(err, auth.ErrUnavailable))
}
