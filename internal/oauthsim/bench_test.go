package oauthsim

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

func benchEngine(b *testing.B, sliding bool) (*Engine, string) {
	b.Helper()
	clock := NewTestClock(time.Time{})
	cfg := baseConfig(clock)
	cfg.Sliding = sliding
	e, err := New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	is, err := e.Issue(IssueRequest{ClientID: "app", UserID: "u1", Scopes: []string{"read", "trade"}})
	if err != nil {
		b.Fatal(err)
	}
	// Realistic table size: many live tokens.
	for range 10000 {
		if _, err := e.Issue(IssueRequest{ClientID: "app", UserID: "u1"}); err != nil {
			b.Fatal(err)
		}
	}
	return e, is.AccessToken
}

// BenchmarkValidate is the check every emulated API call makes.
func BenchmarkValidate(b *testing.B) {
	e, tok := benchEngine(b, true)
	req := httptest.NewRequest(http.MethodGet, "/v3/accounts", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.Validate(req, WithScopes("read")); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkValidateBaseline is the floor Validate is measured against: a
// mutex-guarded map lookup of the same token with the header parsed the
// same way, and nothing else.
func BenchmarkValidateBaseline(b *testing.B) {
	e, tok := benchEngine(b, true)
	var mu sync.Mutex
	m := map[string]*Grant{}
	for k, a := range e.access {
		m[k] = &a.grant
	}
	req := httptest.NewRequest(http.MethodGet, "/v3/accounts", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	b.ReportAllocs()
	for b.Loop() {
		_, t, _ := strings.Cut(req.Header.Get("Authorization"), " ")
		mu.Lock()
		g := m[t]
		mu.Unlock()
		if g == nil {
			b.Fatal("missing")
		}
	}
}

// BenchmarkTokenEndpoint is a client-credentials request served in
// process, through fault matching, parameter parsing, client
// authentication and JSON encoding.
func BenchmarkTokenEndpoint(b *testing.B) {
	e, _ := benchEngine(b, false)
	body := url.Values{"grant_type": {"client_credentials"}, "client_id": {"app"}, "client_secret": {testSecret}}.Encode()
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest(http.MethodPost, "/token", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatal(rec.Code, rec.Body.String())
		}
	}
}

// BenchmarkTokenEndpointBaseline serves a fixed token answer of the same
// shape with the same request construction: the cost of the HTTP plumbing
// alone.
func BenchmarkTokenEndpointBaseline(b *testing.B) {
	body := url.Values{"grant_type": {"client_credentials"}, "client_id": {"app"}, "client_secret": {testSecret}}.Encode()
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		writeJSON(w, http.StatusOK, map[string]any{"access_token": newSecret(), "token_type": "Bearer", "expires_in": 3600})
	})
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest(http.MethodPost, "/token", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatal(rec.Code)
		}
	}
}
