package oauthsim

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/brokerkit/brokerkit/auth"
)

const (
	testRedirect = "http://127.0.0.1/cb"
	testSecret   = "s3cret-client-secret"
)

// env is an engine on a test server with one confidential client ("app"),
// one public client ("pub") and one user (alice).
type env struct {
	t     *testing.T
	srv   *Server
	clock *TestClock
	hc    *http.Client
}

func baseConfig(clock *TestClock) Config {
	return Config{
		Name: "Test Broker",
		Now:  clock.Now,
		Clients: []Client{
			{ID: "app", Secret: testSecret, RedirectURIs: []string{testRedirect, "https://app.example.com/callback"}},
			{ID: "pub", RedirectURIs: []string{testRedirect}},
		},
		Users:             []User{{ID: "u1", Username: "alice", Password: "pw", Name: "Alice A.", Claims: map[string]any{"email": "alice@example.com"}}},
		Refresh:           RefreshPolicy{Mode: RefreshRotate},
		ClientCredentials: true,
	}
}

func newEnv(t *testing.T, mutate func(*Config)) *env {
	t.Helper()
	clock := NewTestClock(time.Time{})
	cfg := baseConfig(clock)
	if mutate != nil {
		mutate(&cfg)
	}
	srv, err := NewServer(cfg)
	require.NoError(t, err)
	t.Cleanup(srv.Close)
	hc := srv.Client()
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &env{t: t, srv: srv, clock: clock, hc: hc}
}

func (v *env) url(path string) string { return v.srv.URL + path }

func (v *env) authURL(params url.Values) string {
	q := url.Values{"response_type": {"code"}, "client_id": {"app"}, "redirect_uri": {testRedirect}, "state": {"st"}}
	for k, vals := range params {
		if len(vals) == 1 && vals[0] == "" {
			q.Del(k)
			continue
		}
		q[k] = vals
	}
	return v.srv.Engine.Endpoint(v.srv.URL).AuthURL + "?" + q.Encode()
}

// login runs the browser and returns the parsed callback URL.
func (v *env) login(params url.Values) *url.URL {
	v.t.Helper()
	cb, err := v.srv.Browser("alice", "pw").Login(context.Background(), v.authURL(params))
	require.NoError(v.t, err)
	u, err := url.Parse(cb)
	require.NoError(v.t, err)
	return u
}

// code logs in and returns the code from the callback.
func (v *env) code(params url.Values) string {
	v.t.Helper()
	cb := v.login(params)
	c := cb.Query().Get("code")
	require.NotEmpty(v.t, c, "callback %s has no code", cb.Redacted())
	return c
}

// post sends a form to path with the confidential client's credentials in
// the parameters unless form already names a client.
func (v *env) post(path string, form url.Values) (int, map[string]any, http.Header) {
	v.t.Helper()
	if form.Get("client_id") == "" {
		form.Set("client_id", "app")
		form.Set("client_secret", testSecret)
	}
	req, err := http.NewRequest(http.MethodPost, v.url(path), strings.NewReader(form.Encode()))
	require.NoError(v.t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return v.do(req)
}

func (v *env) do(req *http.Request) (int, map[string]any, http.Header) {
	v.t.Helper()
	resp, err := v.hc.Do(req)
	require.NoError(v.t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(v.t, err)
	var m map[string]any
	if len(b) > 0 && b[0] == '{' {
		require.NoError(v.t, json.Unmarshal(b, &m), "body %s", b)
	}
	return resp.StatusCode, m, resp.Header
}

// exchange trades code for tokens as the confidential client.
func (v *env) exchange(code string, extra url.Values) (int, map[string]any) {
	v.t.Helper()
	form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {testRedirect}}
	for k, vals := range extra {
		form[k] = vals
	}
	st, body, _ := v.post("/token", form)
	return st, body
}

func (v *env) refresh(rt string) (int, map[string]any) {
	v.t.Helper()
	st, body, _ := v.post("/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}})
	return st, body
}

// tokens logs in and exchanges, returning the answer.
func (v *env) tokens(params url.Values) map[string]any {
	v.t.Helper()
	st, body := v.exchange(v.code(params), nil)
	require.Equal(v.t, http.StatusOK, st, "body %v", body)
	return body
}

func (v *env) apiGet(token string) (*Grant, error) {
	req, _ := http.NewRequest(http.MethodGet, v.url("/api"), nil)
	req.Header.Set("Authorization", "Bearer "+token)
	return v.srv.Engine.Validate(req)
}

func str(m map[string]any, k string) string {
	s, _ := m[k].(string)
	return s
}

func standard(t *testing.T, v *env, mutate func(*auth.Config)) *auth.Standard {
	t.Helper()
	cfg := auth.Config{
		Name: "test", ClientID: "app", ClientSecret: testSecret, RedirectURL: testRedirect,
		Endpoint: v.srv.Endpoint(), AuthStyle: auth.AuthStyleInParams, HTTPClient: v.srv.Client(),
		Now: v.clock.Now, Capabilities: auth.Capabilities{PKCE: true, Refresh: true, RefreshRotates: true},
	}
	if mutate != nil {
		mutate(&cfg)
	}
	p, err := auth.NewStandard(cfg)
	require.NoError(t, err)
	return p
}

var verifier = oauth2.GenerateVerifier()

// newLoopback starts a callback listener on 127.0.0.1 and returns its
// host:port.
func newLoopback(t *testing.T, h http.HandlerFunc) string {
	t.Helper()
	s := httptest.NewServer(h)
	t.Cleanup(s.Close)
	return strings.TrimPrefix(s.URL, "http://")
}
