package auth_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/internal/oauthsim"
)

// cbApp is a web app's callback route under test.
type cbApp struct {
	p      *exchangeRecorder
	flows  *auth.FlowStore
	h      *auth.CallbackHandler
	tokens []*auth.Token
	seen   []*auth.Flow
}

func newCBApp(t *testing.T) *cbApp {
	a := &cbApp{p: newExchangeRecorder(t, true), flows: &auth.FlowStore{}}
	a.h = &auth.CallbackHandler{
		Provider:    a.p,
		Path:        "/callback/fake",
		FlowByState: a.flows.Take,
		OnToken: func(w http.ResponseWriter, r *http.Request, tok *auth.Token) {
			a.tokens = append(a.tokens, tok)
			f, ok := auth.FlowFromContext(r.Context())
			if ok {
				a.seen = append(a.seen, f)
			}
			http.Redirect(w, r, "/home", http.StatusFound)
		},
	}
	return a
}

func (a *cbApp) begin(t *testing.T, opts ...auth.FlowOption) *auth.Flow {
	f, err := auth.Begin(a.p, opts...)
	require.NoError(t, err)
	require.NoError(t, a.flows.Put(f))
	return f
}

func (a *cbApp) get(target string) *httptest.ResponseRecorder {
	return a.do(http.MethodGet, target)
}

func (a *cbApp) do(method, target string) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	a.h.ServeHTTP(w, httptest.NewRequest(method, target, nil))
	return w
}

func TestCallbackHandlerSuccessAndReplay(t *testing.T) {
	a := newCBApp(t)
	f := a.begin(t)
	target := "/callback/fake?code=c-1&state=" + url.QueryEscape(f.State)
	w := a.get(target)
	assert.Equal(t, http.StatusFound, w.Code)
	assert.Equal(t, "/home", w.Header().Get("Location"))
	assert.Equal(t, "no-store", w.Header().Get("Cache-Control"))
	assert.Equal(t, "no-referrer", w.Header().Get("Referrer-Policy"))
	require.Len(t, a.tokens, 1)
	assert.Equal(t, "access-for-c-1", a.tokens[0].AccessToken)
	require.Len(t, a.seen, 1)
	assert.Same(t, f, a.seen[0], "OnToken sees the flow it completed")
	assert.Equal(t, f.Verifier, a.p.params[0].Get("code_verifier"))
	assert.Zero(t, a.flows.Len(), "the flow was taken")

	w = a.get(target)
	assert.Equal(t, http.StatusBadRequest, w.Code, "a replayed callback finds no flow")
	assert.Contains(t, w.Body.String(), "does not belong to a login in progress")
	assert.Equal(t, int32(1), a.p.calls.Load())
}

// TestCallbackHandlerRefusals checks status and page of each failure, and
// that nothing from the query reaches the page.
func TestCallbackHandlerRefusals(t *testing.T) {
	const evil = `<script>alert("x")</script>`
	tests := []struct {
		name   string
		method string
		target func(f *auth.Flow) string
		setup  func(a *cbApp)
		status int
		text   string
	}{
		{"other path", "GET", func(f *auth.Flow) string { return "/callback/other?code=c&state=" + f.State }, nil,
			http.StatusNotFound, "404"},
		{"POST", "POST", func(f *auth.Flow) string { return "/callback/fake?code=c&state=" + f.State }, nil,
			http.StatusMethodNotAllowed, "only accepts"},
		{"HEAD", "HEAD", func(f *auth.Flow) string { return "/callback/fake?code=c&state=" + f.State }, nil,
			http.StatusMethodNotAllowed, ""},
		{"access denied", "GET", func(f *auth.Flow) string {
			return "/callback/fake?error=access_denied&error_description=" + url.QueryEscape(evil) + "&state=" + f.State
		}, nil, http.StatusForbidden, "declined"},
		{"other authorize error", "GET", func(f *auth.Flow) string {
			return "/callback/fake?error=invalid_scope&error_description=" + url.QueryEscape(evil) + "&state=" + f.State
		}, nil, http.StatusBadRequest, "incomplete or malformed"},
		{"unknown state", "GET", func(f *auth.Flow) string { return "/callback/fake?code=c&state=" + url.QueryEscape(evil) }, nil,
			http.StatusBadRequest, "does not belong"},
		{"no state", "GET", func(f *auth.Flow) string { return "/callback/fake?code=" + url.QueryEscape(evil) }, nil,
			http.StatusBadRequest, "does not belong"},
		{"repeated state", "GET", func(f *auth.Flow) string { return "/callback/fake?code=c&state=" + f.State + "&state=" + f.State }, nil,
			http.StatusBadRequest, "incomplete or malformed"},
		{"bad query", "GET", func(f *auth.Flow) string { return "/callback/fake?code=%zz&state=" + f.State }, nil,
			http.StatusBadRequest, "incomplete or malformed"},
		{"missing code", "GET", func(f *auth.Flow) string { return "/callback/fake?state=" + f.State + "&x=" + url.QueryEscape(evil) }, nil,
			http.StatusBadRequest, "incomplete or malformed"},
		{"issuer mismatch", "GET", func(f *auth.Flow) string {
			return "/callback/fake?code=c&state=" + f.State + "&iss=" + url.QueryEscape(evil)
		}, nil, http.StatusBadRequest, "unexpected server"},
		{"exchange refused", "GET", func(f *auth.Flow) string { return "/callback/fake?code=c&state=" + f.State },
			func(a *cbApp) {
				a.p.err = &auth.OAuthError{Provider: "fake", Endpoint: "token", Code: "invalid_grant", Description: evil, StatusCode: 400}
			}, http.StatusBadGateway, "did not complete"},
		{"broker down", "GET", func(f *auth.Flow) string { return "/callback/fake?code=c&state=" + f.State },
			func(a *cbApp) { a.p.err = &auth.HTTPError{StatusCode: 503, Body: []byte(evil)} }, http.StatusBadGateway, "did not complete"},
		{"broker slow", "GET", func(f *auth.Flow) string { return "/callback/fake?code=c&state=" + f.State },
			func(a *cbApp) { a.p.err = fmt.Errorf("token: %w", context.DeadlineExceeded) }, http.StatusGatewayTimeout, "did not complete"},
		{"store failure", "GET", func(f *auth.Flow) string { return "/callback/fake?code=c&state=" + f.State },
			func(a *cbApp) {
				a.h.FlowByState = func(context.Context, string) (*auth.Flow, error) { return nil, errors.New("flow store: " + evil) }
			}, http.StatusInternalServerError, "could not be completed"},
		{"session failure", "GET", func(f *auth.Flow) string { return "/callback/fake?code=c&state=" + f.State },
			func(a *cbApp) {
				a.h.FlowByState = nil
				a.h.Flow = func(*http.Request) (*auth.Flow, error) { return nil, errors.New("session store: " + evil) }
			}, http.StatusInternalServerError, "could not be completed"},
		{"no flow lookup", "GET", func(f *auth.Flow) string { return "/callback/fake?code=c&state=" + f.State },
			func(a *cbApp) { a.h.FlowByState = nil }, http.StatusInternalServerError, "could not be completed"},
		{"misconfigured", "GET", func(f *auth.Flow) string { return "/callback/fake?code=c&state=" + f.State },
			func(a *cbApp) { a.h.OnToken = nil }, http.StatusInternalServerError, "could not be completed"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := newCBApp(t)
			a.p.issuer = "https://as.example"
			f, err := auth.Begin(a.p, auth.FlowOptions{Issuer: "https://as.example"})
			require.NoError(t, err)
			require.NoError(t, a.flows.Put(f))
			if tc.setup != nil {
				tc.setup(a)
			}
			w := a.do(tc.method, tc.target(f))
			assert.Equal(t, tc.status, w.Code)
			body := w.Body.String()
			assert.Contains(t, body, tc.text)
			assert.NotContains(t, body, "<script>")
			assert.NotContains(t, body, "alert")
			assert.Empty(t, a.tokens)
			if tc.status != http.StatusNotFound {
				assert.Equal(t, "no-store", w.Header().Get("Cache-Control"))
				assert.Equal(t, "no-referrer", w.Header().Get("Referrer-Policy"))
			}
			if tc.status >= 400 && tc.status != http.StatusNotFound && tc.method != "HEAD" {
				assert.Equal(t, "text/html; charset=utf-8", w.Header().Get("Content-Type"))
				assert.Equal(t, "default-src 'none'", w.Header().Get("Content-Security-Policy"))
			}
			if tc.status == http.StatusMethodNotAllowed {
				assert.Equal(t, "GET", w.Header().Get("Allow"))
			}
		})
	}
}

func TestCallbackHandlerCustomOnError(t *testing.T) {
	a := newCBApp(t)
	var got error
	a.h.OnError = func(w http.ResponseWriter, r *http.Request, err error) {
		got = err
		_, inCtx := auth.FlowFromContext(r.Context())
		w.Header().Set("X-Flow-Known", fmt.Sprint(inCtx))
		http.Redirect(w, r, "/login?retry=1", http.StatusFound)
	}
	skew := -time.Hour // the flow is begun an hour ago, then the clock catches up
	f := a.begin(t, auth.FlowOptions{Now: func() time.Time { return time.Now().Add(skew) }})
	skew = 0
	w := a.get("/callback/fake?code=c&state=" + f.State)
	assert.Equal(t, http.StatusFound, w.Code)
	assert.ErrorIs(t, got, auth.ErrFlowExpired)
	assert.Equal(t, "true", w.Header().Get("X-Flow-Known"))
	assert.Zero(t, a.p.calls.Load())
}

// TestCallbackHandlerAnyPath checks that without Path every path is served.
func TestCallbackHandlerAnyPath(t *testing.T) {
	a := newCBApp(t)
	a.h.Path = ""
	f := a.begin(t)
	w := a.get("/whatever?code=c&state=" + f.State)
	assert.Equal(t, http.StatusFound, w.Code)
	require.Len(t, a.tokens, 1)
}

func TestCallbackStatus(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want int
	}{
		{nil, 200},
		{&auth.OAuthError{Endpoint: "authorize", Code: "access_denied"}, 403},
		{&auth.OAuthError{Endpoint: "token", Code: "ACCESS_DENIED", StatusCode: 200}, 502},
		{&auth.OAuthError{Endpoint: "authorize", Code: "server_error"}, 400},
		{fmt.Errorf("x: %w", auth.ErrStateMismatch), 400},
		{fmt.Errorf("x: %w", auth.ErrFlowUsed), 400},
		{&auth.RateLimitError{StatusCode: 429}, 502},
		{&auth.ResponseError{Reason: "r"}, 502},
		{&auth.HTTPError{StatusCode: 404}, 502},
		{fmt.Errorf("x: %w", auth.ErrInvalidClient), 502},
		{context.DeadlineExceeded, 504},
		{errors.New("other"), 500},
	} {
		assert.Equal(t, tc.want, auth.CallbackStatus(tc.err), "%v", tc.err)
	}
}

func TestFlowStore(t *testing.T) {
	s := &auth.FlowStore{}
	old := &auth.Flow{State: "old", Expires: time.Now().Add(-time.Second)}
	require.NoError(t, s.Put(old))
	got, err := s.Take(context.Background(), "old")
	require.NoError(t, err)
	assert.Same(t, old, got, "an expired flow is still handed out, so Complete can say it expired")

	require.NoError(t, s.Put(old))
	require.NoError(t, s.Put(&auth.Flow{State: "new", Expires: time.Now().Add(time.Minute)}))
	assert.Equal(t, 1, s.Len(), "Put drops expired flows")
	got, _ = s.Take(context.Background(), "new")
	require.NotNil(t, got)
	got, _ = s.Take(context.Background(), "new")
	assert.Nil(t, got, "Take hands out a flow once")
}

// TestCallbackHandlerWithOAuthSim runs a web app's callback route against
// the oauthsim authorization server: a user logs in and consents, the
// browser follows the redirect to the app, the app gets the token.
func TestCallbackHandlerWithOAuthSim(t *testing.T) {
	app := http.NewServeMux()
	appSrv := httptest.NewServer(app)
	defer appSrv.Close()
	redirect := appSrv.URL + "/callback/sim"

	as, err := oauthsim.NewServer(oauthsim.Config{
		Name:    "Sim",
		Clients: []oauthsim.Client{{ID: "web-app", Secret: "web-secret", RedirectURIs: []string{redirect}}},
		Users:   []oauthsim.User{{ID: "u-42", Username: "alice", Password: "pw"}},
		PKCE:    oauthsim.PKCERequired,
		Refresh: oauthsim.RefreshPolicy{Mode: oauthsim.RefreshRotate},
	})
	require.NoError(t, err)
	defer as.Close()
	p, err := auth.NewStandard(auth.Config{Name: "sim", ClientID: "web-app", ClientSecret: "web-secret",
		RedirectURL: redirect, Endpoint: as.Endpoint(), AuthStyle: auth.AuthStyleInParams,
		Capabilities: auth.Capabilities{PKCE: true, Refresh: true, RefreshRotates: true}, HTTPClient: as.Client()})
	require.NoError(t, err)

	flows := &auth.FlowStore{}
	got := make(chan *auth.Token, 1)
	app.Handle("/callback/sim", &auth.CallbackHandler{Provider: p, Path: "/callback/sim", FlowByState: flows.Take,
		OnToken: func(w http.ResponseWriter, r *http.Request, tok *auth.Token) {
			got <- tok
			_, _ = io.WriteString(w, "welcome")
		}})
	app.HandleFunc("/login", func(w http.ResponseWriter, r *http.Request) {
		f, err := auth.Begin(p)
		if err != nil {
			http.Error(w, "begin failed", http.StatusInternalServerError)
			return
		}
		if err := flows.Put(f); err != nil {
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		http.Redirect(w, r, f.URL, http.StatusFound)
	})

	// The user clicks "log in" in the app, then logs in at the broker.
	nofollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := nofollow.Get(appSrv.URL + "/login")
	require.NoError(t, err)
	resp.Body.Close()
	authURL := resp.Header.Get("Location")
	require.True(t, strings.HasPrefix(authURL, as.URL))

	ctx := context.Background()
	cb, err := as.Browser("alice", "pw").LoginAndVisit(ctx, authURL)
	require.NoError(t, err)
	tok := <-got
	grant, err := as.Engine.ValidateToken(tok.AccessToken)
	require.NoError(t, err)
	assert.Equal(t, "u-42", grant.Subject)

	// The browser's history replays the callback: refused, no second token.
	resp, err = http.Get(cb)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
	assert.Empty(t, got)

	// A user who presses Deny gets 403 from the app.
	resp, err = nofollow.Get(appSrv.URL + "/login")
	require.NoError(t, err)
	resp.Body.Close()
	_, err = as.Browser("alice", "pw").Declining().LoginAndVisit(ctx, resp.Header.Get("Location"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "403")
}

// FuzzCallbackHandler sends arbitrary callback queries to a web app's
// callback route: no panic, a token only for this flow's state and one
// code, and an error page that never echoes the query.
func FuzzCallbackHandler(f *testing.F) {
	const state = "cb-fuzz-state-0123456789abcdefghijklmnopqrst"
	f.Add("code=c&state=" + state)
	f.Add("error=access_denied&error_description=%3Cscript%3E&state=" + state)
	f.Add("code=c&code=d&state=" + state)
	f.Add("code=%zz&state=" + state)
	f.Add("state=" + state + "&iss=x")
	f.Add("code=<b>x</b>")
	f.Add("")
	f.Fuzz(func(t *testing.T, raw string) {
		a := newCBApp(t)
		if err := a.flows.Put(&auth.Flow{Provider: "fake", State: state, Verifier: "v", Expires: time.Now().Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		r := (&http.Request{Method: http.MethodGet, URL: &url.URL{Path: "/callback/fake", RawQuery: raw},
			Header: http.Header{}, Host: "app.example"}).WithContext(context.Background())
		w := httptest.NewRecorder()
		a.h.ServeHTTP(w, r)
		switch w.Code {
		case http.StatusFound:
			q, err := url.ParseQuery(raw)
			if err != nil || len(q["state"]) != 1 || q.Get("state") != state || len(a.tokens) != 1 {
				t.Fatalf("token for %q", raw)
			}
		case http.StatusBadRequest, http.StatusForbidden:
			if len(a.tokens) != 0 {
				t.Fatal("token despite an error")
			}
			// The page is one of the fixed ones: nothing of the query in it.
			body := w.Body.String()
			_, msg, _ := strings.Cut(body, "<p>")
			msg, _, _ = strings.Cut(msg, "</p>")
			if !strings.Contains(body, "<h1>Login failed</h1>") || !fixedCallbackMessages[msg] {
				t.Fatalf("unexpected page %q", body)
			}
		default:
			t.Fatalf("status %d for %q", w.Code, raw)
		}
	})
}

// fixedCallbackMessages are the texts the default error page may show.
var fixedCallbackMessages = map[string]bool{
	"The login was declined. You can close this window or start the login again.":        true,
	"This login has already been completed.":                                             true,
	"This login took too long. Please start it again.":                                   true,
	"This answer does not belong to a login in progress. Please start the login again.":  true,
	"The answer came from an unexpected server. Please start the login again.":           true,
	"The broker&#39;s answer was incomplete or malformed. Please start the login again.": true,
	"The broker did not complete the login. Please try again in a moment.":               true,
	"The login could not be completed.":                                                  true,
}

// BenchmarkFlowStorePut is a login start with many logins pending, as
// under a flood of login requests: Put must not scan them all each time.
func BenchmarkFlowStorePut(b *testing.B) {
	s := &auth.FlowStore{}
	exp := time.Now().Add(time.Hour)
	for i := range 50_000 {
		if err := s.Put(&auth.Flow{State: strconv.Itoa(i), Expires: exp}); err != nil {
			b.Fatal(err)
		}
	}
	f := &auth.Flow{State: "new", Expires: exp}
	ctx := context.Background()
	for b.Loop() {
		if err := s.Put(f); err != nil {
			b.Fatal(err)
		}
		_, _ = s.Take(ctx, "new")
	}
}

// simServer starts an oauthsim server for one public PKCE client whose
// redirect is http://127.0.0.1/cb, and a provider for it; mutate adjusts
// the server, caps the provider.
func simServer(t *testing.T, mutate func(*oauthsim.Config), issuer string, caps auth.Capabilities) (*oauthsim.Server, *auth.Standard) {
	t.Helper()
	cfg := oauthsim.Config{
		Name:    "Sim",
		Issuer:  "https://as.sim.example/",
		Clients: []oauthsim.Client{{ID: "app", RedirectURIs: []string{"http://127.0.0.1/cb"}}},
		Users:   []oauthsim.User{{ID: "u-1", Username: "alice", Password: "pw"}, {ID: "u-2", Username: "mallory", Password: "pw"}},
	}
	if mutate != nil {
		mutate(&cfg)
	}
	as, err := oauthsim.NewServer(cfg)
	require.NoError(t, err)
	t.Cleanup(as.Close)
	p, err := auth.NewStandard(auth.Config{Name: "sim", ClientID: "app", RedirectURL: "http://127.0.0.1/cb",
		Endpoint: as.Endpoint(), AuthStyle: auth.AuthStylePublic, Issuer: issuer, Capabilities: caps,
		HTTPClient: as.Client()})
	require.NoError(t, err)
	return as, p
}

// TestRequireIssuerAgainstSim runs logins against a server that does and
// one that does not send iss (RFC 9207): a provider marked RequireIssuer
// completes only the first; an unmarked one completes both.
func TestRequireIssuerAgainstSim(t *testing.T) {
	ctx := context.Background()
	const iss = "https://as.sim.example/"
	for _, sends := range []bool{true, false} {
		for _, require9207 := range []bool{true, false} {
			as, p := simServer(t, func(c *oauthsim.Config) { c.Wire.SendIssuer = sends }, iss,
				auth.Capabilities{PKCE: true, RequireIssuer: require9207})
			f, err := auth.Begin(p)
			require.NoError(t, err)
			cb, err := as.Browser("alice", "pw").Login(ctx, f.URL)
			require.NoError(t, err)
			assert.Equal(t, sends, strings.Contains(cb, "iss="))
			_, err = f.CompleteURL(ctx, p, cb)
			if sends || !require9207 {
				assert.NoError(t, err, "sends=%t require=%t", sends, require9207)
			} else {
				assert.ErrorIs(t, err, auth.ErrIssuerMismatch, "a callback without iss is refused")
			}
		}
	}
	_, err := auth.NewStandard(auth.Config{Name: "x", ClientID: "x", AuthStyle: auth.AuthStylePublic,
		Endpoint:     auth.Endpoint{AuthURL: "https://as.example/a", TokenURL: "https://as.example/t"},
		Capabilities: auth.Capabilities{RequireIssuer: true}})
	assert.Error(t, err, "RequireIssuer needs Config.Issuer")
}

// TestCallbackWithoutStateAgainstSim: a server that drops state from its
// redirects (TradeStation v2's documentation shows none) can be logged in
// to only by a provider that opted in, with PKCE; and a code injected into
// such a stateless callback is refused by the code exchange, because the
// flow's verifier does not fit it.
func TestCallbackWithoutStateAgainstSim(t *testing.T) {
	ctx := context.Background()
	omit := func(c *oauthsim.Config) { c.Wire.OmitState = true }

	as, strict := simServer(t, omit, "", auth.Capabilities{PKCE: true})
	f, err := auth.Begin(strict)
	require.NoError(t, err)
	cb, err := as.Browser("alice", "pw").Login(ctx, f.URL)
	require.NoError(t, err)
	require.NotContains(t, cb, "state=")
	_, err = f.CompleteURL(ctx, strict, cb)
	assert.ErrorIs(t, err, auth.ErrStateMismatch, "not opted in: refused")

	as, p := simServer(t, omit, "", auth.Capabilities{PKCE: true, AllowMissingState: true})
	f, err = auth.Begin(p)
	require.NoError(t, err)
	cb, err = as.Browser("alice", "pw").Login(ctx, f.URL)
	require.NoError(t, err)
	tok, err := f.CompleteURL(ctx, p, cb)
	require.NoError(t, err)
	g, err := as.Engine.ValidateToken(tok.AccessToken)
	require.NoError(t, err)
	assert.Equal(t, "u-1", g.Subject)

	// Mallory logs in herself, with and without a PKCE challenge of her
	// own, and plants her code in Alice's stateless callback.
	for _, attackerPKCE := range []bool{true, false} {
		victim, err := auth.Begin(p)
		require.NoError(t, err)
		authURL := p.AuthCodeURL("")
		if attackerPKCE {
			own, err := auth.Begin(p)
			require.NoError(t, err)
			authURL = own.URL
		}
		planted, err := as.Browser("mallory", "pw").Login(ctx, authURL)
		require.NoError(t, err)
		_, err = victim.CompleteURL(ctx, p, planted)
		var oe *auth.OAuthError
		require.ErrorAs(t, err, &oe, "attackerPKCE=%t", attackerPKCE)
		assert.Equal(t, "invalid_grant", oe.Code)
	}

	_, err = auth.NewStandard(auth.Config{Name: "x", ClientID: "x", ClientSecret: "s", AuthStyle: auth.AuthStyleInParams,
		Endpoint:     auth.Endpoint{AuthURL: "https://as.example/a", TokenURL: "https://as.example/t"},
		Capabilities: auth.Capabilities{AllowMissingState: true}})
	assert.Error(t, err, "AllowMissingState needs PKCE")
}

// TestFlowStoreLimit: a flood of login starts cannot grow the store past
// its limit; Put says so with ErrTooManyFlows, and room comes back as
// flows are taken or expire.
func TestFlowStoreLimit(t *testing.T) {
	s := &auth.FlowStore{}
	s.Limit = 3
	live := time.Now().Add(time.Hour)
	require.NoError(t, s.Put(&auth.Flow{State: "gone", Expires: time.Now().Add(-time.Second)}))
	require.NoError(t, s.Put(&auth.Flow{State: "a", Expires: live}))
	require.NoError(t, s.Put(&auth.Flow{State: "b", Expires: live}))
	require.NoError(t, s.Put(&auth.Flow{State: "c", Expires: live}), "the expired flow makes room")
	err := s.Put(&auth.Flow{State: "d", Expires: live})
	assert.ErrorIs(t, err, auth.ErrTooManyFlows)
	assert.Equal(t, 3, s.Len())
	got, _ := s.Take(context.Background(), "d")
	assert.Nil(t, got, "a refused flow is not kept")

	got, _ = s.Take(context.Background(), "b")
	require.NotNil(t, got)
	require.NoError(t, s.Put(&auth.Flow{State: "d", Expires: live}))
	require.NoError(t, s.Put(&auth.Flow{State: "a", Expires: live}), "putting a pending state again replaces it")
	assert.Equal(t, 3, s.Len())
	assert.ErrorIs(t, s.Put(&auth.Flow{State: "e", Expires: live}), auth.ErrTooManyFlows)
	assert.Error(t, s.Put(nil))

	d := &auth.FlowStore{}
	n := 0
	for ; n <= auth.DefaultFlowLimit; n++ {
		if d.Put(&auth.Flow{State: strconv.Itoa(n), Expires: live}) != nil {
			break
		}
	}
	assert.Equal(t, auth.DefaultFlowLimit, n, "the default limit holds")
}

// BenchmarkFlowStorePutFull is a login start refused under a flood: the
// store is full of live flows, and the refusal must cost O(1) too.
func BenchmarkFlowStorePutFull(b *testing.B) {
	s := &auth.FlowStore{}
	s.Limit = 50_000
	exp := time.Now().Add(time.Hour)
	for i := range s.Limit {
		if err := s.Put(&auth.Flow{State: strconv.Itoa(i), Expires: exp}); err != nil {
			b.Fatal(err)
		}
	}
	f := &auth.Flow{State: "new", Expires: exp}
	for b.Loop() {
		if err := s.Put(f); !errors.Is(err, auth.ErrTooManyFlows) {
			b.Fatal(err)
		}
	}
}
