package oauthsim

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"
)

func TestRefreshStatic(t *testing.T) {
	t.Run("not returned (TradeStation default)", func(t *testing.T) {
		v := newEnv(t, func(c *Config) { c.Refresh = RefreshPolicy{Mode: RefreshStatic} })
		rt := str(v.tokens(nil), "refresh_token")
		require.NotEmpty(t, rt)
		for range 3 {
			st, body := v.refresh(rt)
			require.Equal(t, http.StatusOK, st, "%v", body)
			assert.NotContains(t, body, "refresh_token")
			_, err := v.apiGet(str(body, "access_token"))
			assert.NoError(t, err)
		}
	})
	t.Run("returned unchanged", func(t *testing.T) {
		v := newEnv(t, func(c *Config) { c.Refresh = RefreshPolicy{Mode: RefreshStatic, ReturnOnRefresh: true} })
		rt := str(v.tokens(nil), "refresh_token")
		st, body := v.refresh(rt)
		require.Equal(t, http.StatusOK, st)
		assert.Equal(t, rt, str(body, "refresh_token"))
	})
}

func TestRefreshRotation(t *testing.T) {
	v := newEnv(t, func(c *Config) { c.Refresh = RefreshPolicy{Mode: RefreshRotate} })
	first := v.tokens(nil)
	rt := str(first, "refresh_token")
	st, body := v.refresh(rt)
	require.Equal(t, http.StatusOK, st)
	rt2 := str(body, "refresh_token")
	require.NotEmpty(t, rt2)
	require.NotEqual(t, rt, rt2)

	st, body = v.refresh(rt)
	assert.Equal(t, http.StatusBadRequest, st)
	assert.Equal(t, "invalid_grant", str(body, "error"))
	assert.Contains(t, str(body, "error_description"), "already used")

	st, body = v.refresh(rt2)
	assert.Equal(t, http.StatusOK, st, "without reuse detection the current token survives a replay: %v", body)
	_, err := v.apiGet(str(first, "access_token"))
	assert.NoError(t, err, "older access tokens live out their lifetime")
}

func TestRefreshReuseRevokesFamily(t *testing.T) {
	v := newEnv(t, func(c *Config) { c.Refresh = RefreshPolicy{Mode: RefreshRotate, ReuseRevokesFamily: true} })
	rt := str(v.tokens(nil), "refresh_token")
	_, body := v.refresh(rt)
	rt2, at2 := str(body, "refresh_token"), str(body, "access_token")
	st, _ := v.refresh(rt)
	assert.Equal(t, http.StatusBadRequest, st)
	st, _ = v.refresh(rt2)
	assert.Equal(t, http.StatusBadRequest, st, "reuse revoked the family")
	_, err := v.apiGet(at2)
	assert.ErrorIs(t, err, ErrRevokedToken)
}

func TestRefreshLifetimes(t *testing.T) {
	// TradeStation rotating keys: each refresh token lives 30 minutes, the
	// family 24 hours from the login.
	v := newEnv(t, func(c *Config) {
		c.AccessTTL = 20 * time.Minute
		c.Refresh = RefreshPolicy{Mode: RefreshRotate, TTL: 30 * time.Minute, Absolute: 24 * time.Hour}
	})
	rt := str(v.tokens(nil), "refresh_token")
	v.clock.Advance(30 * time.Minute)
	st, body := v.refresh(rt)
	assert.Equal(t, http.StatusBadRequest, st)
	assert.Contains(t, str(body, "error_description"), "expired")

	rt = str(v.tokens(nil), "refresh_token")
	for i := 0; i < 47; i++ { // 47 x 29 min = 22 h 43 min
		v.clock.Advance(29 * time.Minute)
		st, body = v.refresh(rt)
		require.Equal(t, http.StatusOK, st, "refresh %d: %v", i, body)
		rt = str(body, "refresh_token")
	}
	v.clock.Advance(29 * time.Minute) // 23 h 12 min
	st, body = v.refresh(rt)
	require.Equal(t, http.StatusOK, st)
	rt = str(body, "refresh_token")
	v.clock.Advance(29 * time.Minute) // 23 h 41 min: token's 30 min cut to the 24 h deadline
	st, body = v.refresh(rt)
	require.Equal(t, http.StatusOK, st)
	rt = str(body, "refresh_token")
	v.clock.Advance(20 * time.Minute) // 24 h 01 min
	st, body = v.refresh(rt)
	assert.Equal(t, http.StatusBadRequest, st, "absolute lifetime over")
	assert.Equal(t, "invalid_grant", str(body, "error"))
}

func TestRefreshIssuance(t *testing.T) {
	t.Run("none", func(t *testing.T) {
		v := newEnv(t, func(c *Config) { c.Refresh = RefreshPolicy{} })
		body := v.tokens(nil)
		assert.NotContains(t, body, "refresh_token")
		st, body := v.refresh("anything")
		assert.Equal(t, http.StatusBadRequest, st)
		assert.Equal(t, "unsupported_grant_type", str(body, "error"))
	})
	t.Run("requires offline_access", func(t *testing.T) {
		v := newEnv(t, func(c *Config) { c.Refresh.RequireScope = "offline_access" })
		assert.NotContains(t, v.tokens(url.Values{"scope": {"openid"}}), "refresh_token")
		assert.Contains(t, v.tokens(url.Values{"scope": {"openid offline_access"}}), "refresh_token")
	})
	t.Run("client not refresh-enabled", func(t *testing.T) {
		v := newEnv(t, func(c *Config) { c.Clients[0].NoRefresh = true })
		assert.NotContains(t, v.tokens(nil), "refresh_token")
	})
	t.Run("narrowed scope and bound client", func(t *testing.T) {
		v := newEnv(t, func(c *Config) {
			c.Clients = append(c.Clients, Client{ID: "other", Secret: "other-secret", RedirectURIs: []string{testRedirect}})
		})
		rt := str(v.tokens(url.Values{"scope": {"read trade"}}), "refresh_token")
		st, body, _ := v.post("/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt},
			"client_id": {"other"}, "client_secret": {"other-secret"}})
		assert.Equal(t, http.StatusBadRequest, st)
		assert.Equal(t, "invalid_grant", str(body, "error"))
		st, body, _ = v.post("/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "scope": {"admin"}})
		assert.Equal(t, http.StatusBadRequest, st)
		assert.Equal(t, "invalid_scope", str(body, "error"))
		st, body, _ = v.post("/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "scope": {"read"}})
		require.Equal(t, http.StatusOK, st)
		assert.Equal(t, "read", str(body, "scope"))
	})
}

func TestConcurrentRefreshOneWinner(t *testing.T) {
	v := newEnv(t, nil)
	rt := str(v.tokens(nil), "refresh_token")
	var wins atomic.Int32
	var wg sync.WaitGroup
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "client_id": {"app"}, "client_secret": {testSecret}}
			resp, err := v.hc.PostForm(v.url("/token"), form)
			if err != nil {
				return
			}
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				wins.Add(1)
			}
		}()
	}
	wg.Wait()
	assert.Equal(t, int32(1), wins.Load(), "a rotating refresh token is single use even under a race")
}

func TestConcurrentLogins(t *testing.T) {
	v := newEnv(t, nil)
	var wg sync.WaitGroup
	errs := make(chan string, 40)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 3 {
				cb, err := v.srv.Browser("alice", "pw").Login(t.Context(), v.authURL(nil))
				if err != nil {
					errs <- err.Error()
					return
				}
				u, _ := url.Parse(cb)
				form := url.Values{"grant_type": {"authorization_code"}, "code": {u.Query().Get("code")},
					"redirect_uri": {testRedirect}, "client_id": {"app"}, "client_secret": {testSecret}}
				resp, err := v.hc.PostForm(v.url("/token"), form)
				if err != nil {
					errs <- err.Error()
					return
				}
				var body map[string]any
				_ = json.NewDecoder(resp.Body).Decode(&body)
				resp.Body.Close()
				if _, err := v.srv.Engine.ValidateToken(str(body, "access_token")); err != nil {
					errs <- err.Error()
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

func TestClientAuthentication(t *testing.T) {
	code := func(v *env) string { return v.code(nil) }
	form := func(c string) url.Values {
		return url.Values{"grant_type": {"authorization_code"}, "code": {c}, "redirect_uri": {testRedirect}}
	}
	basic := func(v *env, f url.Values, id, secret string) (int, map[string]any, http.Header) {
		req, _ := http.NewRequest(http.MethodPost, v.url("/token"), strings.NewReader(f.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth(url.QueryEscape(id), url.QueryEscape(secret))
		return v.do(req)
	}

	t.Run("basic accepted by default", func(t *testing.T) {
		v := newEnv(t, nil)
		st, body, _ := basic(v, form(code(v)), "app", testSecret)
		assert.Equal(t, http.StatusOK, st, "%v", body)
	})
	t.Run("wrong secret", func(t *testing.T) {
		v := newEnv(t, nil)
		st, body, h := basic(v, form(code(v)), "app", "nope")
		assert.Equal(t, http.StatusUnauthorized, st)
		assert.Equal(t, "invalid_client", str(body, "error"))
		assert.Contains(t, h.Get("WWW-Authenticate"), "Basic")
		f := form(code(v))
		f.Set("client_id", "app")
		f.Set("client_secret", "nope")
		st, body, _ = v.post("/token", f)
		assert.Equal(t, http.StatusUnauthorized, st)
		assert.Equal(t, "invalid_client", str(body, "error"))
		f.Del("client_secret")
		st, _, _ = v.post("/token", f)
		assert.Equal(t, http.StatusUnauthorized, st, "a confidential client must send its secret")
	})
	t.Run("params only refuses basic", func(t *testing.T) {
		v := newEnv(t, func(c *Config) { c.Wire.ClientAuth = ClientAuthParams })
		st, body, _ := basic(v, form(code(v)), "app", testSecret)
		assert.Equal(t, http.StatusUnauthorized, st)
		assert.Equal(t, "invalid_client", str(body, "error"))
	})
	t.Run("basic only refuses params", func(t *testing.T) {
		v := newEnv(t, func(c *Config) { c.Wire.ClientAuth = ClientAuthBasic })
		st, body := v.exchange(code(v), nil)
		assert.Equal(t, http.StatusUnauthorized, st)
		assert.Equal(t, "invalid_client", str(body, "error"))
	})
	t.Run("both at once refused", func(t *testing.T) {
		v := newEnv(t, nil)
		f := form(code(v))
		f.Set("client_secret", testSecret)
		st, body, _ := basic(v, f, "app", testSecret)
		assert.Equal(t, http.StatusBadRequest, st)
		assert.Equal(t, "invalid_request", str(body, "error"))
	})
	t.Run("public client may not send a secret", func(t *testing.T) {
		v := newEnv(t, nil)
		c := v.code(url.Values{"client_id": {"pub"}})
		f := form(c)
		f.Set("client_id", "pub")
		f.Set("client_secret", "made-up")
		st, _, _ := v.post("/token", f)
		assert.Equal(t, http.StatusUnauthorized, st)
	})
	t.Run("no secret in answers", func(t *testing.T) {
		v := newEnv(t, nil)
		f := form(code(v))
		f.Set("client_id", "app")
		f.Set("client_secret", "very-secret-guess")
		req, _ := http.NewRequest(http.MethodPost, v.url("/token"), strings.NewReader(f.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := v.hc.Do(req)
		require.NoError(t, err)
		var buf bytes.Buffer
		_, _ = buf.ReadFrom(resp.Body)
		resp.Body.Close()
		assert.NotContains(t, buf.String(), "very-secret-guess")
		assert.NotContains(t, buf.String(), f.Get("code"))
	})
}

func TestTokenRequestChecks(t *testing.T) {
	v := newEnv(t, nil)
	st, body, _ := v.post("/token", url.Values{})
	assert.Equal(t, http.StatusBadRequest, st)
	assert.Equal(t, "invalid_request", str(body, "error"))
	st, body, _ = v.post("/token", url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:device_code"}})
	assert.Equal(t, http.StatusBadRequest, st)
	assert.Equal(t, "unsupported_grant_type", str(body, "error"))
	st, _, _ = v.post("/token", url.Values{"grant_type": {"authorization_code"}, "code": {"a", "b"}})
	assert.Equal(t, http.StatusBadRequest, st, "repeated parameter")
	st, body, _ = v.post("/token", url.Values{"grant_type": {"authorization_code"}, "code": {"never-issued"}})
	assert.Equal(t, http.StatusBadRequest, st)
	assert.Equal(t, "invalid_grant", str(body, "error"))

	req, _ := http.NewRequest(http.MethodGet, v.url("/token?grant_type=client_credentials&client_id=app&client_secret="+testSecret), nil)
	st, _, h := v.do(req)
	assert.Equal(t, http.StatusMethodNotAllowed, st)
	assert.Equal(t, "POST", h.Get("Allow"))

	req, _ = http.NewRequest(http.MethodPost, v.url("/token"), bytes.NewReader(bytes.Repeat([]byte("a"), maxBody+10)))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	st, _, _ = v.do(req)
	assert.Equal(t, http.StatusBadRequest, st, "oversized body")

	req, _ = http.NewRequest(http.MethodPost, v.url("/token"), strings.NewReader(`{"grant_type":"client_credentials"}`))
	req.Header.Set("Content-Type", "application/json")
	st, _, _ = v.do(req)
	assert.Equal(t, http.StatusBadRequest, st, "JSON is off unless the wire says so")
}

func TestClientCredentials(t *testing.T) {
	v := newEnv(t, func(c *Config) {
		c.AppOnlySubject = "CLIENTONLYLOGIN"
		c.Wire.Fields.Subject = "userid"
		c.ClientCredentialsTTL = 21943 * time.Second
	})
	st, body, _ := v.post("/token", url.Values{"grant_type": {"client_credentials"}})
	require.Equal(t, http.StatusOK, st, "%v", body)
	assert.Equal(t, "CLIENTONLYLOGIN", str(body, "userid"))
	assert.EqualValues(t, 21943, body["expires_in"])
	assert.NotContains(t, body, "refresh_token")
	tok := str(body, "access_token")
	_, err := v.srv.Engine.ValidateToken(tok)
	assert.ErrorIs(t, err, ErrAppOnly, "app-only tokens are refused unless a route allows them")
	g, err := v.srv.Engine.ValidateToken(tok, AllowAppOnly())
	require.NoError(t, err)
	assert.True(t, g.AppOnly)
	assert.Equal(t, "CLIENTONLYLOGIN", g.Subject)
	assert.Empty(t, g.UserID)

	st, body, _ = v.post("/token", url.Values{"grant_type": {"client_credentials"}, "client_id": {"pub"}})
	assert.Equal(t, http.StatusBadRequest, st)
	assert.Equal(t, "unauthorized_client", str(body, "error"))

	v = newEnv(t, func(c *Config) { c.ClientCredentials = false })
	st, body, _ = v.post("/token", url.Values{"grant_type": {"client_credentials"}})
	assert.Equal(t, http.StatusBadRequest, st)
	assert.Equal(t, "unsupported_grant_type", str(body, "error"))
}

func TestPasswordGrant(t *testing.T) {
	v := newEnv(t, func(c *Config) { c.Password = true; c.DefaultScopes = []string{"email", "profile"} })
	st, body, _ := v.post("/token", url.Values{"grant_type": {"password"}, "username": {"alice"}, "password": {"pw"}})
	require.Equal(t, http.StatusOK, st, "%v", body)
	assert.Equal(t, "email profile", str(body, "scope"))
	st, body, _ = v.post("/token", url.Values{"grant_type": {"password"}, "username": {"alice"}, "password": {"nope"}})
	assert.Equal(t, http.StatusBadRequest, st)
	assert.Equal(t, "invalid_grant", str(body, "error"))
	v = newEnv(t, nil)
	_, body, _ = v.post("/token", url.Values{"grant_type": {"password"}, "username": {"alice"}, "password": {"pw"}})
	assert.Equal(t, "unsupported_grant_type", str(body, "error"))
}

func TestIDTokenAndUserinfo(t *testing.T) {
	v := newEnv(t, func(c *Config) { c.Wire.Fields.IDToken = "id_token"; c.Issuer = "https://signin.example.com/" })
	assert.NotContains(t, v.tokens(nil), "id_token", "only with openid")
	body := v.tokens(url.Values{"scope": {"openid profile"}, "nonce": {"n-1"}})
	parts := strings.Split(str(body, "id_token"), ".")
	require.Len(t, parts, 3)
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	require.NoError(t, err)
	var claims map[string]any
	require.NoError(t, json.Unmarshal(raw, &claims))
	assert.Equal(t, "u1", claims["sub"])
	assert.Equal(t, "app", claims["aud"])
	assert.Equal(t, "n-1", claims["nonce"])
	assert.Equal(t, "https://signin.example.com/", claims["iss"])
	assert.NotContains(t, claims, "email", "email is released only with the email scope")
	assert.Equal(t, "Alice A.", claims["name"])

	req, _ := http.NewRequest(http.MethodGet, v.url("/userinfo"), nil)
	req.Header.Set("Authorization", "Bearer "+str(body, "access_token"))
	st, info, _ := v.do(req)
	require.Equal(t, http.StatusOK, st)
	assert.Equal(t, map[string]any{"sub": "u1", "preferred_username": "alice", "nickname": "alice", "name": "Alice A."}, info)

	body = v.tokens(url.Values{"scope": {"openid email"}})
	req, _ = http.NewRequest(http.MethodGet, v.url("/userinfo"), nil)
	req.Header.Set("Authorization", "Bearer "+str(body, "access_token"))
	st, info, _ = v.do(req)
	require.Equal(t, http.StatusOK, st)
	assert.Equal(t, map[string]any{"sub": "u1", "preferred_username": "alice", "email": "alice@example.com"}, info,
		"without profile the name is withheld")

	req, _ = http.NewRequest(http.MethodGet, v.url("/userinfo"), nil)
	st, _, h := v.do(req)
	assert.Equal(t, http.StatusUnauthorized, st)
	assert.True(t, strings.HasPrefix(h.Get("WWW-Authenticate"), "Bearer"))
}

func TestPKCEWithoutSecret(t *testing.T) {
	// TradeStation: one API key, secret optional when the code is PKCE-bound.
	v := newEnv(t, func(c *Config) { c.Clients[0].PKCEWithoutSecret = true })
	challenge := oauth2.S256ChallengeFromVerifier(verifier)
	noSecret := func(f url.Values) (int, map[string]any) {
		f.Set("client_id", "app")
		req, _ := http.NewRequest(http.MethodPost, v.url("/token"), strings.NewReader(f.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		st, body, _ := v.do(req)
		return st, body
	}
	code := v.code(url.Values{"code_challenge": {challenge}, "code_challenge_method": {"S256"}})
	st, body := noSecret(url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {testRedirect},
		"code_verifier": {verifier}})
	require.Equal(t, http.StatusOK, st, "%v", body)
	st, body = noSecret(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {str(body, "refresh_token")}})
	require.Equal(t, http.StatusOK, st, "a PKCE login refreshes without the secret: %v", body)

	plain := v.code(nil)
	st, body = noSecret(url.Values{"grant_type": {"authorization_code"}, "code": {plain}, "redirect_uri": {testRedirect}})
	assert.Equal(t, http.StatusUnauthorized, st)
	assert.Equal(t, "invalid_client", str(body, "error"))
	st, body = v.exchange(plain, nil)
	require.Equal(t, http.StatusOK, st, "the refused attempt did not consume the code")
	st, _ = noSecret(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {str(body, "refresh_token")}})
	assert.Equal(t, http.StatusUnauthorized, st, "a login without PKCE needs the secret to refresh")
	st, _ = noSecret(url.Values{"grant_type": {"client_credentials"}})
	assert.Equal(t, http.StatusUnauthorized, st)
	st, _ = noSecret(url.Values{"grant_type": {"password"}, "username": {"alice"}, "password": {"pw"}})
	assert.Equal(t, http.StatusUnauthorized, st)
}

func TestRefreshOutsideHTTPAndInvalidationHook(t *testing.T) {
	var mu sync.Mutex
	var dropped []string
	v := newEnv(t, func(c *Config) {
		c.Refresh.RevokeOldAccess = true
		c.OnInvalidate = func(toks []string) {
			mu.Lock()
			dropped = append(dropped, toks...)
			mu.Unlock()
		}
	})
	body := v.tokens(nil)
	at, rt := str(body, "access_token"), str(body, "refresh_token")

	is, err := v.srv.Engine.Refresh("app", rt)
	require.NoError(t, err)
	assert.NotEqual(t, rt, is.RefreshToken)
	_, err = v.apiGet(at)
	assert.ErrorIs(t, err, ErrRevokedToken, "RevokeOldAccess")
	_, err = v.apiGet(is.AccessToken)
	assert.NoError(t, err)
	mu.Lock()
	assert.Equal(t, []string{at}, dropped)
	mu.Unlock()

	st, _ := v.refresh(rt)
	assert.Equal(t, http.StatusBadRequest, st, "the HTTP endpoint shares rotation state")
	_, err = v.srv.Engine.Refresh("app", rt)
	var oe *Error
	require.ErrorAs(t, err, &oe)
	assert.Equal(t, "invalid_grant", oe.Code)
	assert.Equal(t, ReasonRefreshReused, oe.Reason)
	_, err = v.srv.Engine.Refresh("nobody", is.RefreshToken)
	require.ErrorAs(t, err, &oe)
	assert.Equal(t, "invalid_client", oe.Code)

	st, _, _ = v.post("/revoke", url.Values{"token": {is.RefreshToken}})
	require.Equal(t, http.StatusOK, st)
	mu.Lock()
	assert.Equal(t, []string{at, is.AccessToken}, dropped, "revocation reports the login's live access token")
	mu.Unlock()
	v.srv.Engine.Invalidate(is.AccessToken)
	mu.Lock()
	assert.Len(t, dropped, 2, "an already revoked token is not reported twice")
	mu.Unlock()
}

// Client.Scopes and Client.Audiences bind every grant that takes a scope
// or an audience, not only the authorization request.
func TestTokenGrantsHonourClientAllowLists(t *testing.T) {
	const api, aop = "https://api.example.com", "https://aop.example.com"
	v := newEnv(t, func(c *Config) {
		c.Password = true
		c.Clients[0].Scopes = []string{"read"}
		c.Clients[0].Audiences = []string{api}
	})
	for _, grant := range []url.Values{
		{"grant_type": {"password"}, "username": {"alice"}, "password": {"pw"}},
		{"grant_type": {"client_credentials"}},
	} {
		gt := grant.Get("grant_type")
		form := func(extra url.Values) url.Values {
			f := url.Values{}
			for k, vs := range grant {
				f[k] = vs
			}
			for k, vs := range extra {
				f[k] = vs
			}
			return f
		}
		st, body, _ := v.post("/token", form(url.Values{"scope": {"read"}, "audience": {aop}}))
		assert.Equal(t, http.StatusBadRequest, st, "%s: audience outside the client's list", gt)
		assert.Equal(t, "invalid_request", str(body, "error"), gt)
		st, body, _ = v.post("/token", form(url.Values{"scope": {"read trade"}, "audience": {api}}))
		assert.Equal(t, http.StatusBadRequest, st, "%s: scope outside the client's list", gt)
		assert.Equal(t, "invalid_scope", str(body, "error"), gt)
		st, body, _ = v.post("/token", form(url.Values{"scope": {"read"}, "audience": {api}}))
		require.Equal(t, http.StatusOK, st, "%s: %v", gt, body)
		g, err := v.apiGet(str(body, "access_token"))
		if gt == "client_credentials" {
			g, err = v.srv.Engine.ValidateToken(str(body, "access_token"), AllowAppOnly())
		}
		require.NoError(t, err, gt)
		assert.Equal(t, api, g.Audience, gt)
	}
}
