package oauthsim

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestValidate(t *testing.T) {
	v := newEnv(t, nil)
	body := v.tokens(url.Values{"scope": {"read"}, "audience": {"https://api.example.com"}})
	tok := str(body, "access_token")

	req := httptest.NewRequest(http.MethodGet, "/x", nil)
	_, err := v.srv.Engine.Validate(req)
	assert.ErrorIs(t, err, ErrNoToken)
	req.Header.Set("Authorization", "Basic "+tok)
	_, err = v.srv.Engine.Validate(req)
	assert.ErrorIs(t, err, ErrNoToken, "only the Bearer scheme")
	req.Header.Set("Authorization", "bearer "+tok)
	g, err := v.srv.Engine.Validate(req)
	require.NoError(t, err, "scheme is case-insensitive")
	assert.Equal(t, "https://api.example.com", g.Audience)
	assert.True(t, g.HasScope("read"))

	_, err = v.srv.Engine.ValidateToken(tok, WithAudience("https://aopapi.example.com"))
	assert.ErrorIs(t, err, ErrWrongAudience)
	_, err = v.srv.Engine.ValidateToken(tok, WithScopes("trade"))
	assert.ErrorIs(t, err, ErrInsufficientScope)
	_, err = v.srv.Engine.ValidateToken(tok, WithAudience("https://api.example.com"), WithScopes("read"))
	assert.NoError(t, err)
	_, err = v.srv.Engine.ValidateToken("made-up")
	assert.ErrorIs(t, err, ErrUnknownToken)

	var te *TokenError
	require.True(t, errors.As(err, &te))
	assert.Equal(t, http.StatusUnauthorized, te.Status())
	assert.NotContains(t, err.Error(), "made-up")

	g.Scopes[0] = "mutated"
	g2, err := v.srv.Engine.ValidateToken(tok)
	require.NoError(t, err)
	assert.Equal(t, []string{"read"}, g2.Scopes, "Validate returns a copy")

	v.clock.Advance(time.Hour)
	_, err = v.srv.Engine.ValidateToken(tok)
	assert.ErrorIs(t, err, ErrExpiredToken)
}

func TestSlidingExpiry(t *testing.T) {
	v := newEnv(t, func(c *Config) { c.Sliding = true; c.AccessTTL = 24 * time.Hour; c.Refresh = RefreshPolicy{} })
	tok := str(v.tokens(nil), "access_token")
	for range 5 {
		v.clock.Advance(23 * time.Hour)
		g, err := v.srv.Engine.ValidateToken(tok)
		require.NoError(t, err, "each use prolongs the token")
		assert.Equal(t, v.clock.Now().Add(24*time.Hour), g.Expiry)
	}
	v.clock.Advance(23 * time.Hour)
	_, err := v.srv.Engine.ValidateToken(tok, WithoutTouch())
	require.NoError(t, err)
	v.clock.Advance(time.Hour)
	_, err = v.srv.Engine.ValidateToken(tok)
	assert.ErrorIs(t, err, ErrExpiredToken, "WithoutTouch did not prolong it")
}

func TestFixedExpiryFunction(t *testing.T) {
	// Lime: tokens lapse at the next 3:00 AM US Eastern and are not
	// prolonged by use.
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		ny = time.FixedZone("EST", -5*3600)
	}
	next3am := func(t time.Time) time.Time {
		l := t.In(ny)
		d := time.Date(l.Year(), l.Month(), l.Day(), 3, 0, 0, 0, ny)
		if !d.After(l) {
			d = d.AddDate(0, 0, 1)
		}
		return d
	}
	clock := NewTestClock(time.Date(2026, 3, 10, 19, 0, 0, 0, ny)) // 7 PM
	v := newEnv(t, func(c *Config) {
		c.Now = clock.Now
		c.AccessExpiry = next3am
		c.Sliding = true // ignored with a fixed expiry
		c.Refresh = RefreshPolicy{}
	})
	v.clock = clock
	body := v.tokens(nil)
	assert.EqualValues(t, 8*3600, body["expires_in"], "7 PM to 3 AM")
	tok := str(body, "access_token")
	clock.Advance(7*time.Hour + 59*time.Minute)
	_, err = v.srv.Engine.ValidateToken(tok)
	require.NoError(t, err)
	clock.Advance(time.Minute)
	_, err = v.srv.Engine.ValidateToken(tok)
	assert.ErrorIs(t, err, ErrExpiredToken)
}

func TestProtectAndHeaders(t *testing.T) {
	v := newEnv(t, func(c *Config) { c.Wire.TokenHeaders = []string{"Authorization", "Authentication"} })
	tok := str(v.tokens(nil), "access_token")
	h := v.srv.Engine.Protect(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		g, ok := GrantFrom(r.Context())
		if !ok {
			http.Error(w, "no grant", 500)
			return
		}
		_, _ = io.WriteString(w, g.UserID)
	}), nil)

	for _, hdr := range []string{"Authorization", "Authentication"} {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodGet, "/accounts", nil)
		req.Header.Set(hdr, "Bearer "+tok)
		h.ServeHTTP(rec, req)
		assert.Equal(t, http.StatusOK, rec.Code, hdr)
		assert.Equal(t, "u1", rec.Body.String())
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/accounts", nil))
	assert.Equal(t, http.StatusUnauthorized, rec.Code)
	assert.Equal(t, `Bearer realm="oauthsim"`, rec.Header().Get("WWW-Authenticate"))

	rec = httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, "/accounts", nil)
	req.Header.Set("Authorization", "Bearer expired-or-unknown")
	h.ServeHTTP(rec, req)
	assert.Equal(t, http.StatusUnauthorized, rec.Code)
	assert.Contains(t, rec.Header().Get("WWW-Authenticate"), `error="invalid_token"`)

	custom := v.srv.Engine.Protect(http.NotFoundHandler(), func(w http.ResponseWriter, r *http.Request, err error) {
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = io.WriteString(w, `{"Error":"Unauthorized","Message":"`+err.Error()+`"}`)
	}, WithScopes("trade"))
	rec = httptest.NewRecorder()
	req = httptest.NewRequest(http.MethodGet, "/accounts", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	custom.ServeHTTP(rec, req)
	assert.Equal(t, http.StatusUnauthorized, rec.Code)
	assert.Contains(t, rec.Body.String(), "insufficient scope")

	v = newEnv(t, func(c *Config) { c.Wire.TokenQueryParams = []string{"access_token"} })
	tok = str(v.tokens(nil), "access_token")
	_, err := v.srv.Engine.Validate(httptest.NewRequest(http.MethodGet, "/x?access_token="+tok, nil))
	assert.NoError(t, err)
}

func TestIssue(t *testing.T) {
	v := newEnv(t, nil)
	is, err := v.srv.Engine.Issue(IssueRequest{ClientID: "app", UserID: "u1", Scopes: []string{"read"}, Audience: "aud"})
	require.NoError(t, err)
	assert.NotEmpty(t, is.RefreshToken)
	g, err := v.srv.Engine.ValidateToken(is.AccessToken, WithAudience("aud"), WithScopes("read"))
	require.NoError(t, err)
	assert.Equal(t, "u1", g.UserID)
	st, _ := v.refresh(is.RefreshToken)
	assert.Equal(t, http.StatusOK, st)

	app, err := v.srv.Engine.Issue(IssueRequest{ClientID: "app"})
	require.NoError(t, err)
	assert.True(t, app.Grant.AppOnly)
	_, err = v.srv.Engine.Issue(IssueRequest{ClientID: "nobody"})
	assert.Error(t, err)
	_, err = v.srv.Engine.Issue(IssueRequest{ClientID: "app", UserID: "nobody"})
	assert.Error(t, err)
}

func TestConfigChecks(t *testing.T) {
	bad := []Config{
		{CodeTTL: -1},
		{PKCE: PKCEMode(9)},
		{Refresh: RefreshPolicy{Mode: RefreshMode(9)}},
		{Wire: Wire{TokenMethods: []string{"PUT"}}},
		{Wire: Wire{ClientAuth: 8}},
		{Clients: []Client{{ID: "a"}, {ID: "a"}}},
		{Clients: []Client{{ID: "a", RedirectURIs: []string{"/relative"}}}},
		{Clients: []Client{{ID: "a", RedirectURIs: []string{"https://x/cb#frag"}}}},
		{Clients: []Client{{}}},
		{Users: []User{{ID: "1", Username: "a"}, {ID: "2", Username: "a"}}},
		{Users: []User{{ID: "1", Username: "a"}, {ID: "1", Username: "b"}}},
		{Users: []User{{Username: "a"}}},
	}
	for i, cfg := range bad {
		_, err := New(cfg)
		assert.Error(t, err, "case %d", i)
	}
	e, err := New(Config{})
	require.NoError(t, err)
	assert.Equal(t, "http://127.0.0.1:1/authorize", e.Endpoint("http://127.0.0.1:1/").AuthURL)
	assert.Equal(t, "http://127.0.0.1:1/userinfo", e.UserinfoURL("http://127.0.0.1:1"))
	assert.True(t, e.Handles("/token"))
	assert.False(t, e.Handles("/TOKEN"))
	e, err = New(Config{Wire: Wire{RevokePath: "-", UserinfoPath: "-"}})
	require.NoError(t, err)
	assert.Empty(t, e.Endpoint("http://127.0.0.1:1").RevokeURL)
	assert.Empty(t, e.UserinfoURL("http://127.0.0.1:1"))
	assert.False(t, e.Handles("/revoke"))
}

func TestTestClock(t *testing.T) {
	start := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	c := NewTestClock(start)
	assert.Equal(t, start, c.Now())
	c.Advance(90 * time.Second)
	assert.Equal(t, start.Add(90*time.Second), c.Now())
	c.Set(start)
	assert.Equal(t, start, c.Now())
	now := c.Now
	c.Advance(time.Minute)
	assert.Equal(t, start.Add(time.Minute), now(), "the method value follows the clock")
	assert.WithinDuration(t, time.Now(), NewTestClock(time.Time{}).Now(), 2*time.Second)
}
