package oauthsim

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/brokerkit/brokerkit/auth"
)

func TestStandardProviderFullFlow(t *testing.T) {
	v := newEnv(t, nil)
	p := standard(t, v, nil)
	ctx := context.Background()

	flow, err := auth.Begin(p, auth.FlowOptions{Now: v.clock.Now, Scopes: []string{"read", "trade"}})
	require.NoError(t, err)
	require.Contains(t, flow.URL, "code_challenge_method=S256")
	cb, err := v.srv.Browser("alice", "pw").Login(ctx, flow.URL)
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(cb, testRedirect+"?"), cb)

	tok, err := flow.CompleteURL(ctx, p, cb)
	require.NoError(t, err)
	assert.NotEmpty(t, tok.AccessToken)
	assert.NotEmpty(t, tok.RefreshToken)
	assert.Equal(t, []string{"read", "trade"}, tok.Scopes)
	assert.Equal(t, v.clock.Now().Add(time.Hour), tok.Expiry)

	g, err := v.apiGet(tok.AccessToken)
	require.NoError(t, err)
	assert.Equal(t, "u1", g.UserID)
	assert.Equal(t, "alice", g.Username)
	assert.Equal(t, "app", g.ClientID)
	assert.Equal(t, "authorization_code", g.GrantType)
	assert.False(t, g.AppOnly)

	nt, err := p.Refresh(ctx, tok)
	require.NoError(t, err)
	assert.NotEqual(t, tok.RefreshToken, nt.RefreshToken)
	assert.NotEqual(t, tok.AccessToken, nt.AccessToken)
	_, err = p.Refresh(ctx, tok)
	assert.ErrorIs(t, err, auth.ErrReauthRequired)
}

func TestCodeSingleUseRevokesWhatItIssued(t *testing.T) {
	v := newEnv(t, nil)
	code := v.code(nil)
	st, body := v.exchange(code, nil)
	require.Equal(t, http.StatusOK, st)
	_, err := v.apiGet(str(body, "access_token"))
	require.NoError(t, err)

	st, body2 := v.exchange(code, nil)
	assert.Equal(t, http.StatusBadRequest, st)
	assert.Equal(t, "invalid_grant", str(body2, "error"))
	_, err = v.apiGet(str(body, "access_token"))
	assert.ErrorIs(t, err, ErrRevokedToken, "a replayed code revokes the tokens it issued")
	st, _ = v.refresh(str(body, "refresh_token"))
	assert.Equal(t, http.StatusBadRequest, st)
}

func TestCodeExpiry(t *testing.T) {
	v := newEnv(t, func(c *Config) { c.CodeTTL = 30 * time.Second })
	code := v.code(nil)
	v.clock.Advance(29 * time.Second)
	st, _ := v.exchange(code, nil)
	assert.Equal(t, http.StatusOK, st, "a code is good until its lifetime ends")

	code = v.code(nil)
	v.clock.Advance(30 * time.Second)
	st, body := v.exchange(code, nil)
	assert.Equal(t, http.StatusBadRequest, st)
	assert.Equal(t, "invalid_grant", str(body, "error"))
	assert.Contains(t, str(body, "error_description"), "expired")
}

func TestCodeBoundToClientAndRedirect(t *testing.T) {
	v := newEnv(t, func(c *Config) {
		c.Clients = append(c.Clients, Client{ID: "other", Secret: "other-secret", RedirectURIs: []string{testRedirect}})
	})
	code := v.code(nil)
	st, body, _ := v.post("/token", url.Values{"grant_type": {"authorization_code"}, "code": {code},
		"redirect_uri": {testRedirect}, "client_id": {"other"}, "client_secret": {"other-secret"}})
	assert.Equal(t, http.StatusBadRequest, st)
	assert.Equal(t, "invalid_grant", str(body, "error"))
	// The attempt by the wrong client did not burn the code.
	st, _ = v.exchange(code, nil)
	assert.Equal(t, http.StatusOK, st)

	code = v.code(nil)
	st, body = v.exchange(code, url.Values{"redirect_uri": {"https://app.example.com/callback"}})
	assert.Equal(t, http.StatusBadRequest, st)
	assert.Equal(t, "invalid_grant", str(body, "error"))
}

func TestPKCE(t *testing.T) {
	challenge := oauth2.S256ChallengeFromVerifier(verifier)
	withPKCE := url.Values{"client_id": {"pub"}, "code_challenge": {challenge}, "code_challenge_method": {"S256"}}
	pubExchange := func(v *env, code string, extra url.Values) (int, map[string]any) {
		form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {testRedirect}, "client_id": {"pub"}}
		for k, vals := range extra {
			form[k] = vals
		}
		st, body, _ := v.post("/token", form)
		return st, body
	}

	t.Run("S256 verified", func(t *testing.T) {
		v := newEnv(t, func(c *Config) { c.PKCE = PKCERequired })
		st, body := pubExchange(v, v.code(withPKCE), url.Values{"code_verifier": {verifier}})
		require.Equal(t, http.StatusOK, st, "%v", body)
	})
	t.Run("wrong verifier", func(t *testing.T) {
		v := newEnv(t, nil)
		other := oauth2.GenerateVerifier()
		st, body := pubExchange(v, v.code(withPKCE), url.Values{"code_verifier": {other}})
		assert.Equal(t, http.StatusBadRequest, st)
		assert.Equal(t, "invalid_grant", str(body, "error"))
	})
	t.Run("missing verifier", func(t *testing.T) {
		v := newEnv(t, nil)
		st, body := pubExchange(v, v.code(withPKCE), nil)
		assert.Equal(t, http.StatusBadRequest, st)
		assert.Equal(t, "invalid_grant", str(body, "error"))
	})
	t.Run("verifier without challenge is a downgrade", func(t *testing.T) {
		v := newEnv(t, nil)
		st, body := pubExchange(v, v.code(url.Values{"client_id": {"pub"}}), url.Values{"code_verifier": {verifier}})
		assert.Equal(t, http.StatusBadRequest, st)
		assert.Equal(t, "invalid_grant", str(body, "error"))
	})
	t.Run("required refuses requests without challenge", func(t *testing.T) {
		v := newEnv(t, func(c *Config) { c.PKCE = PKCERequired })
		cb := v.login(url.Values{"client_id": {"pub"}})
		assert.Equal(t, "invalid_request", cb.Query().Get("error"))
		assert.Equal(t, "st", cb.Query().Get("state"))
		assert.Empty(t, cb.Query().Get("code"))
	})
	t.Run("plain refused", func(t *testing.T) {
		v := newEnv(t, nil)
		cb := v.login(url.Values{"client_id": {"pub"}, "code_challenge": {verifier}, "code_challenge_method": {"plain"}})
		assert.Equal(t, "invalid_request", cb.Query().Get("error"))
		cb = v.login(url.Values{"client_id": {"pub"}, "code_challenge": {challenge}, "code_challenge_method": {""}})
		assert.Equal(t, "invalid_request", cb.Query().Get("error"), "a challenge without method means plain")
	})
	t.Run("unsupported ignores PKCE", func(t *testing.T) {
		v := newEnv(t, func(c *Config) { c.PKCE = PKCEUnsupported })
		st, body := pubExchange(v, v.code(withPKCE), url.Values{"code_verifier": {oauth2.GenerateVerifier()}})
		assert.Equal(t, http.StatusOK, st, "%v", body)
	})
}

func TestRedirectMatching(t *testing.T) {
	cases := []struct {
		registered, requested string
		exactPort             bool
		want                  bool
	}{
		{"https://app.example.com/cb", "https://app.example.com/cb", false, true},
		{"https://app.example.com/cb", "https://app.example.com/cb/", false, false},
		{"https://app.example.com/cb", "https://app.example.com:8443/cb", false, false},
		{"https://app.example.com/cb", "https://APP.example.com/cb", false, false},
		{"https://app.example.com/cb", "https://app.example.com/cb?x=1", false, false},
		{"http://127.0.0.1/cb", "http://127.0.0.1:53682/cb", false, true},
		{"http://127.0.0.1/cb", "http://127.0.0.1:53682/cb", true, false},
		{"http://localhost/cb", "http://localhost:3000/cb", false, true},
		{"http://localhost:3000", "http://localhost:8080", false, true},
		{"http://localhost", "http://localhost:31022/", false, true},
		{"http://[::1]/cb", "http://[::1]:4000/cb", false, true},
		{"http://127.0.0.1/cb", "http://127.0.0.1:53682/other", false, false},
		{"http://127.0.0.1/cb", "http://localhost:53682/cb", false, false},
		{"http://127.0.0.1/cb", "https://127.0.0.1:53682/cb", false, false},
		{"http://127.0.0.1/cb", "http://127.0.0.1:0/cb", false, false},
		{"http://127.0.0.1/cb", "http://127.0.0.1:99999/cb", false, false},
		{"http://127.0.0.1/cb", "http://user@127.0.0.1:5000/cb", false, false},
		{"http://127.0.0.1/cb", "http://127.0.0.1:5000/cb?x=1", false, false},
		{"http://example.com/cb", "http://example.com:8080/cb", false, false},
	}
	for _, c := range cases {
		assert.Equal(t, c.want, matchRedirect(c.registered, c.requested, c.exactPort), "%s vs %s exact=%t", c.registered, c.requested, c.exactPort)
	}
}

func TestRedirectMismatchIsNotFollowed(t *testing.T) {
	v := newEnv(t, nil)
	for _, ru := range []string{"https://evil.example.com/cb", "http://127.0.0.1:8080/other"} {
		resp, err := v.hc.Get(v.authURL(url.Values{"redirect_uri": {ru}}))
		require.NoError(t, err)
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
		assert.Empty(t, resp.Header.Get("Location"), "never redirect to an unregistered URI")
		assert.Contains(t, string(b), "redirect_uri")
	}
	// Loopback any port: the registered http://127.0.0.1/cb accepts a port,
	// and the exchange must repeat the redirect exactly.
	cb := v.login(url.Values{"redirect_uri": {"http://127.0.0.1:54321/cb"}})
	assert.Equal(t, "127.0.0.1:54321", cb.Host)
	st, _ := v.exchange(cb.Query().Get("code"), url.Values{"redirect_uri": {"http://127.0.0.1:54321/cb"}})
	assert.Equal(t, http.StatusOK, st)
}

func TestAuthorizeRequestChecks(t *testing.T) {
	t.Run("unknown client gets a page", func(t *testing.T) {
		v := newEnv(t, nil)
		resp, err := v.hc.Get(v.authURL(url.Values{"client_id": {"nobody"}}))
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
		assert.Empty(t, resp.Header.Get("Location"))
	})
	t.Run("omitted redirect uses the only registered one", func(t *testing.T) {
		v := newEnv(t, nil)
		cb := v.login(url.Values{"client_id": {"pub"}, "redirect_uri": {""}})
		assert.Equal(t, "127.0.0.1", cb.Host)
		resp, err := v.hc.Get(v.authURL(url.Values{"redirect_uri": {""}}))
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, http.StatusBadRequest, resp.StatusCode, "app has two redirect URIs: it must name one")
	})
	t.Run("response_type", func(t *testing.T) {
		v := newEnv(t, nil)
		assert.Equal(t, "unsupported_response_type", v.login(url.Values{"response_type": {"id_token"}}).Query().Get("error"))
		assert.Equal(t, "unsupported_response_type", v.login(url.Values{"response_type": {"token"}}).Query().Get("error"),
			"implicit is off by default")
		assert.NotEmpty(t, v.login(url.Values{"response_type": {""}}).Query().Get("code"), "lenient by default")
		v = newEnv(t, func(c *Config) { c.Wire.RequireResponseType = true })
		assert.Equal(t, "invalid_request", v.login(url.Values{"response_type": {""}}).Query().Get("error"))
	})
	t.Run("required params and scopes", func(t *testing.T) {
		v := newEnv(t, func(c *Config) {
			c.Wire.RequireAuthorizeParams = []string{"audience"}
			c.RequiredScopes = []string{"openid"}
		})
		assert.Equal(t, "invalid_request", v.login(url.Values{"scope": {"openid"}}).Query().Get("error"))
		assert.Equal(t, "invalid_scope", v.login(url.Values{"audience": {"api"}, "scope": {"profile"}}).Query().Get("error"))
		assert.NotEmpty(t, v.login(url.Values{"audience": {"api"}, "scope": {"openid"}}).Query().Get("code"))
	})
	t.Run("client scopes and audiences", func(t *testing.T) {
		v := newEnv(t, func(c *Config) {
			c.Clients[0].Scopes = []string{"read"}
			c.Clients[0].Audiences = []string{"https://api.example.com"}
			c.DefaultAudience = "https://api.example.com"
		})
		assert.Equal(t, "invalid_scope", v.login(url.Values{"scope": {"read trade"}}).Query().Get("error"))
		assert.Equal(t, "invalid_request", v.login(url.Values{"audience": {"https://aop.example.com"}}).Query().Get("error"))
		body := v.tokens(url.Values{"scope": {"read"}})
		g, err := v.apiGet(str(body, "access_token"))
		require.NoError(t, err)
		assert.Equal(t, "https://api.example.com", g.Audience, "default audience recorded")
	})
	t.Run("repeated parameter", func(t *testing.T) {
		v := newEnv(t, nil)
		resp, err := v.hc.Get(v.authURL(nil) + "&client_id=app")
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
		// The consent form is held to the same rule: no approval from a
		// form that names the user twice.
		form := "decision=approve&username=alice&username=bob&password=pw"
		resp, err = v.hc.Post(v.authURL(nil), "application/x-www-form-urlencoded", strings.NewReader(form))
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
		assert.Empty(t, resp.Header.Get("Location"))
	})
	t.Run("state omitted when the wire says so", func(t *testing.T) {
		v := newEnv(t, func(c *Config) { c.Wire.OmitState = true })
		cb := v.login(nil)
		assert.NotEmpty(t, cb.Query().Get("code"))
		assert.False(t, cb.Query().Has("state"))
	})
	t.Run("method", func(t *testing.T) {
		v := newEnv(t, nil)
		req, _ := http.NewRequest(http.MethodPut, v.authURL(nil), nil)
		st, _, _ := v.do(req)
		assert.Equal(t, http.StatusMethodNotAllowed, st)
	})
}

func TestConsentPage(t *testing.T) {
	v := newEnv(t, func(c *Config) {
		c.Clients = append(c.Clients, Client{ID: `<script>alert(1)</script>`, Secret: "x", RedirectURIs: []string{testRedirect}})
	})
	resp, err := v.hc.Get(v.authURL(url.Values{"client_id": {`<script>alert(1)</script>`}, "scope": {`"><b>`}}))
	require.NoError(t, err)
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	page := string(b)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "text/html; charset=utf-8", resp.Header.Get("Content-Type"))
	assert.NotContains(t, page, "<script>")
	assert.NotContains(t, page, `"><b>`)
	assert.Contains(t, page, "&lt;script&gt;")
	assert.Contains(t, page, "Sign in to Test Broker")

	_, err = v.srv.Browser("alice", "hunter2-bad").Login(context.Background(), v.authURL(nil))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "HTTP 401")
	assert.Contains(t, err.Error(), "Authorization failed")
	assert.NotContains(t, err.Error(), "hunter2", "the password never appears")
}

func TestDeclineAndAutoApprove(t *testing.T) {
	v := newEnv(t, nil)
	p := standard(t, v, nil)
	flow, err := auth.Begin(p, auth.FlowOptions{Now: v.clock.Now})
	require.NoError(t, err)
	cb, err := v.srv.Browser("alice", "pw").Declining().Login(context.Background(), flow.URL)
	require.NoError(t, err)
	_, err = flow.CompleteURL(context.Background(), p, cb)
	assert.ErrorIs(t, err, auth.ErrAccessDenied)

	v.srv.Engine.SetAutoApprove("alice")
	resp, err := v.hc.Get(v.authURL(nil))
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusFound, resp.StatusCode)
	loc, _ := url.Parse(resp.Header.Get("Location"))
	assert.NotEmpty(t, loc.Query().Get("code"))
	v.srv.Engine.SetAutoApprove("")
	resp, err = v.hc.Get(v.authURL(nil))
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
}

func TestImplicitGrant(t *testing.T) {
	v := newEnv(t, func(c *Config) { c.Implicit = true; c.ImplicitTTL = 24 * time.Hour })
	cb := v.login(url.Values{"response_type": {"token"}})
	assert.Empty(t, cb.RawQuery)
	frag, err := url.ParseQuery(cb.Fragment)
	require.NoError(t, err)
	assert.Equal(t, "st", frag.Get("state"))
	assert.Equal(t, "Bearer", frag.Get("token_type"))
	assert.Equal(t, "86400", frag.Get("expires_in"))
	assert.Empty(t, frag.Get("refresh_token"), "implicit tokens are not refreshable")
	g, err := v.apiGet(frag.Get("access_token"))
	require.NoError(t, err)
	assert.Equal(t, "implicit", g.GrantType)
	assert.Equal(t, "u1", g.UserID)
}

func TestHandlerBrowserAndVisit(t *testing.T) {
	v := newEnv(t, nil)
	b := NewHandlerBrowser(v.srv.Engine, "alice", "pw")
	cb, err := b.Login(context.Background(), v.authURL(nil))
	require.NoError(t, err)
	assert.Contains(t, cb, "code=")

	// A cut connection is an error of the login, not a panic of the test.
	v.srv.Engine.Faults().Next("/authorize", Fault{Cut: true}, 1)
	_, err = b.Login(context.Background(), v.authURL(nil))
	assert.ErrorIs(t, err, io.ErrUnexpectedEOF)

	// A loopback listener, as a CLI runs it, receives the callback.
	got := make(chan url.Values, 1)
	lis := newLoopback(t, func(w http.ResponseWriter, r *http.Request) {
		got <- r.URL.Query()
		_, _ = io.WriteString(w, "You can close this window.")
	})
	ru := "http://" + lis + "/cb"
	cb, err = v.srv.Browser("alice", "pw").LoginAndVisit(context.Background(), v.authURL(url.Values{"redirect_uri": {ru}}))
	require.NoError(t, err)
	q := <-got
	assert.Equal(t, "st", q.Get("state"))
	assert.Contains(t, cb, q.Get("code"))
}

func TestBrowserErrors(t *testing.T) {
	v := newEnv(t, nil)
	_, err := v.srv.Browser("alice", "pw").Login(context.Background(), v.authURL(url.Values{"client_id": {"nobody"}}))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "without a consent form")

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = v.srv.Browser("alice", "pw").Login(ctx, v.authURL(nil))
	assert.True(t, errors.Is(err, context.Canceled), "%v", err)
	assert.NotContains(t, err.Error(), "state=st", "no URL in the error")
}

func TestExpiredCodesAreSwept(t *testing.T) {
	v := newEnv(t, nil)
	e := v.srv.Engine
	e.mu.Lock()
	for i := range maxCodes {
		e.codes[fmt.Sprint("old-", i)] = &codeRec{clientID: "app", expires: v.clock.Now().Add(-time.Second)}
	}
	e.codes["live"] = &codeRec{clientID: "app", expires: v.clock.Now().Add(time.Minute), used: true}
	e.mu.Unlock()
	code := v.code(nil)
	e.mu.Lock()
	n := len(e.codes)
	_, live := e.codes["live"]
	e.mu.Unlock()
	assert.Equal(t, 2, n, "expired codes were dropped")
	assert.True(t, live, "a used code is kept until it expires, to spot a replay")
	st, _ := v.exchange(code, nil)
	assert.Equal(t, http.StatusOK, st)
}

func TestIssuerParameter(t *testing.T) {
	v := newEnv(t, func(c *Config) { c.Issuer = "https://signin.example.com/"; c.Wire.SendIssuer = true })
	cb := v.login(nil)
	assert.Equal(t, "https://signin.example.com/", cb.Query().Get("iss"))
	assert.Equal(t, "https://signin.example.com/", v.login(url.Values{"response_type": {"bogus"}}).Query().Get("iss"))

	// The SDK's flow detects a mix-up when it expects another issuer.
	p := standard(t, v, nil)
	flow, err := auth.Begin(p, auth.FlowOptions{Now: v.clock.Now, Issuer: "https://other.example.com/"})
	require.NoError(t, err)
	cbURL, err := v.srv.Browser("alice", "pw").Login(context.Background(), flow.URL)
	require.NoError(t, err)
	_, err = flow.CompleteURL(context.Background(), p, cbURL)
	assert.ErrorIs(t, err, auth.ErrIssuerMismatch)
	assert.False(t, newEnv(t, nil).login(nil).Query().Has("iss"), "off by default")
}
