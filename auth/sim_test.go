package auth_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/internal/oauthsim"
)

// sim is an oauthsim authorization server with a protected API at /api,
// counting what reaches the token endpoint.
type sim struct {
	t     testing.TB
	eng   *oauthsim.Engine
	srv   *httptest.Server
	clock *oauthsim.TestClock
	p     *auth.Standard
	cfg   oauthsim.Config

	tokenCalls    atomic.Int64
	invalidGrants atomic.Int64
	apiCalls      atomic.Int64

	// gate, when set, holds every token request until it is closed.
	gateMu sync.Mutex
	gate   chan struct{}
	// apiHandler overrides the protected API handler.
	apiHandler http.Handler
}

const simAccessTTL = 20 * time.Minute

func simConfig(clock *oauthsim.TestClock) oauthsim.Config {
	return oauthsim.Config{
		Name:      "Sim Broker",
		Now:       clock.Now,
		Clients:   []oauthsim.Client{{ID: "app", Secret: "app-secret", RedirectURIs: []string{"http://127.0.0.1/cb"}}},
		Users:     []oauthsim.User{{ID: "u1", Username: "alice", Password: "pw"}, {ID: "u2", Username: "bob", Password: "pw"}},
		AccessTTL: simAccessTTL,
		Refresh:   oauthsim.RefreshPolicy{Mode: oauthsim.RefreshRotate, ReuseRevokesFamily: true},
	}
}

// newSim starts a server; mutate adjusts its config, caps the provider's
// declared capabilities.
func newSim(t testing.TB, mutate func(*oauthsim.Config), caps auth.Capabilities) *sim {
	t.Helper()
	clock := oauthsim.NewTestClock(time.Time{})
	cfg := simConfig(clock)
	if mutate != nil {
		mutate(&cfg)
	}
	eng, err := oauthsim.New(cfg)
	require.NoError(t, err)
	s := &sim{t: t, eng: eng, clock: clock, cfg: cfg}
	mux := http.NewServeMux()
	mux.Handle("/api", eng.Protect(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.apiHandler != nil {
			s.apiHandler.ServeHTTP(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"ok":true}`))
	}), nil))
	token := eng.Endpoint("").TokenURL
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == token:
			s.tokenCalls.Add(1)
			s.gateMu.Lock()
			g := s.gate
			s.gateMu.Unlock()
			if g != nil {
				<-g
			}
			rec := &teeWriter{ResponseWriter: w}
			eng.ServeHTTP(rec, r)
			if bytes.Contains(rec.body.Bytes(), []byte("invalid_grant")) {
				s.invalidGrants.Add(1)
			}
		case r.URL.Path == "/api":
			s.apiCalls.Add(1)
			eng.Faults().Wrap(mux).ServeHTTP(w, r)
		default:
			eng.ServeHTTP(w, r)
		}
	}))
	t.Cleanup(s.srv.Close)
	p, err := auth.NewStandard(auth.Config{
		Name:         "sim",
		ClientID:     "app",
		ClientSecret: "app-secret",
		RedirectURL:  "http://127.0.0.1/cb",
		Endpoint:     eng.Endpoint(s.srv.URL),
		AuthStyle:    auth.AuthStyleInHeader,
		Capabilities: caps,
		HTTPClient:   s.srv.Client(),
		Now:          clock.Now,
	})
	require.NoError(t, err)
	s.p = p
	return s
}

func rotatingCaps() auth.Capabilities {
	return auth.Capabilities{Refresh: true, RefreshRotates: true}
}

// login mints a token for alice as a completed login would.
func (s *sim) login() *auth.Token { return s.loginAs("u1") }

// loginAs mints a token for the seeded user with this ID.
func (s *sim) loginAs(userID string) *auth.Token {
	s.t.Helper()
	is, err := s.eng.Issue(oauthsim.IssueRequest{ClientID: "app", UserID: userID})
	require.NoError(s.t, err)
	return &auth.Token{AccessToken: is.AccessToken, RefreshToken: is.RefreshToken, TokenType: "Bearer",
		Expiry: s.clock.Now().Add(simAccessTTL), Provider: "sim"}
}

// holdTokens makes token requests wait until the returned func is called.
func (s *sim) holdTokens() (release func()) {
	g := make(chan struct{})
	s.gateMu.Lock()
	s.gate = g
	s.gateMu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			s.gateMu.Lock()
			s.gate = nil
			s.gateMu.Unlock()
			close(g)
		})
	}
}

// source returns a TokenSource for alice, seeded with a fresh login.
func (s *sim) source(store auth.Store, opts ...auth.SourceOption) (*auth.Source, *auth.Token) {
	s.t.Helper()
	opts = append([]auth.SourceOption{auth.SourceOptions{Now: s.clock.Now}}, opts...)
	src, err := auth.NewSource(s.p, store, auth.Key("sim", "alice"), opts...)
	require.NoError(s.t, err)
	tok := s.login()
	require.NoError(s.t, src.SetToken(context.Background(), tok))
	return src, tok
}

func (s *sim) apiURL() string { return s.srv.URL + "/api" }

type teeWriter struct {
	http.ResponseWriter
	body bytes.Buffer
}

func (w *teeWriter) Write(b []byte) (int, error) {
	if w.body.Len() < 4096 {
		w.body.Write(b)
	}
	return w.ResponseWriter.Write(b)
}

// countingStore counts Saves and can be told to fail them.
type countingStore struct {
	auth.Store
	saves    atomic.Int64
	failNext atomic.Int64
}

func (c *countingStore) Save(ctx context.Context, key string, t *auth.Token) error {
	if c.failNext.Load() > 0 {
		c.failNext.Add(-1)
		return errDiskFull
	}
	c.saves.Add(1)
	return c.Store.Save(ctx, key, t)
}

var errDiskFull = &diskFullError{}

type diskFullError struct{}

func (*diskFullError) Error() string { return "disk full" }
