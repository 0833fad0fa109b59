package auth_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"time"

	"github.com/brokerkit/brokerkit/auth"
)

// newRotatingAS starts a token endpoint that trades refresh-1 for a new
// access token and a rotated refresh token, and an API that wants both the
// new access token and an application key.
func newRotatingAS() *httptest.Server {
	mux := http.NewServeMux()
	mux.HandleFunc("/token", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		id, secret, _ := r.BasicAuth()
		if id != "my-app" || secret != "my-secret" || r.FormValue("grant_type") != "refresh_token" ||
			r.FormValue("refresh_token") != "refresh-1" {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = io.WriteString(w, `{"error":"invalid_grant"}`)
			return
		}
		_, _ = io.WriteString(w, `{"access_token":"access-2","token_type":"bearer","expires_in":1200,"refresh_token":"refresh-2"}`)
	})
	mux.HandleFunc("/accounts", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer access-2" || r.Header.Get("App-Key") != "key-123" {
			w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		_, _ = io.WriteString(w, `[{"id":"A1"}]`)
	})
	return httptest.NewServer(mux)
}

// A CLI keeps its token in a file and refreshes it on later runs; the
// rotated refresh token is written back before it is used.
func ExampleSource() {
	as := newRotatingAS()
	defer as.Close()
	dir, _ := os.MkdirTemp("", "brokerkit-example")
	defer os.RemoveAll(dir)

	now := time.Date(2026, 1, 2, 15, 4, 0, 0, time.UTC)
	clock := func() time.Time { return now } // a real CLI leaves the clock out
	p, _ := auth.NewStandard(auth.Config{
		Name: "example", ClientID: "my-app", ClientSecret: "my-secret",
		Endpoint:     auth.Endpoint{AuthURL: as.URL + "/authorize", TokenURL: as.URL + "/token"},
		AuthStyle:    auth.AuthStyleInHeader,
		Capabilities: auth.Capabilities{Refresh: true, RefreshRotates: true},
		HTTPClient:   as.Client(),
		Now:          clock,
	})
	store, err := auth.NewFileStore(dir) // e.g. os.UserConfigDir()/mycli/tokens
	if err != nil {
		fmt.Println(err)
		return
	}
	key := auth.Key("example", "me")
	ctx := context.Background()

	// First run: after the login (auth.LoginLoopback), keep the token.
	src, _ := auth.NewSource(p, store, key, auth.SourceOptions{Now: clock})
	_ = src.SetToken(ctx, &auth.Token{AccessToken: "access-1", RefreshToken: "refresh-1",
		Expiry: now.Add(20 * time.Minute)})

	// A later run, half an hour on: the access token has expired.
	now = now.Add(30 * time.Minute)
	src, _ = auth.NewSource(p, store, key, auth.SourceOptions{Now: clock})
	tok, err := src.TokenContext(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(tok)
	saved, _ := store.Load(ctx, key)
	fmt.Println("rotated refresh token saved:", saved.RefreshToken == "refresh-2")

	// Requests made through a Transport carry the token.
	hc := &http.Client{Transport: &auth.Transport{Source: src, Base: as.Client().Transport,
		Header: http.Header{"App-Key": {"key-123"}}}}
	resp, err := hc.Get(as.URL + "/accounts")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	fmt.Println(resp.StatusCode, string(body))
	// Output:
	// auth.Token{provider=example type=Bearer access=redacted refresh=redacted expiry=2026-01-02T15:54:00Z}
	// rotated refresh token saved: true
	// 200 [{"id":"A1"}]
}

// A back end serving many users gets one client per user from a Manager;
// every client shares the provider and the store.
func ExampleManager() {
	as := newRotatingAS()
	defer as.Close()
	p, _ := auth.NewStandard(auth.Config{
		Name: "example", ClientID: "my-app", ClientSecret: "my-secret",
		Endpoint:     auth.Endpoint{AuthURL: as.URL + "/authorize", TokenURL: as.URL + "/token"},
		AuthStyle:    auth.AuthStyleInHeader,
		Capabilities: auth.Capabilities{Refresh: true, RefreshRotates: true},
		HTTPClient:   as.Client(),
	})
	m, _ := auth.NewManager(p, auth.NewMemoryStore(),
		auth.WithTransport(auth.Transport{Base: as.Client().Transport, Header: http.Header{"App-Key": {"key-123"}}}))
	ctx := context.Background()

	// In the login callback: tok, err := flow.Complete(ctx, p, r.URL.Query())
	tok := &auth.Token{AccessToken: "access-1", RefreshToken: "refresh-1", Expiry: time.Now().Add(-time.Minute)}
	_ = m.SetToken(ctx, "user-42", tok)

	// In any later request of that user:
	resp, err := m.Client("user-42").Get(as.URL + "/accounts")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	fmt.Println(resp.StatusCode)

	// A user who never logged in is told so.
	_, err = m.Client("user-7").Get(as.URL + "/accounts")
	fmt.Println(errors.Is(err, auth.ErrReauthRequired))
	// Output:
	// 200
	// true
}
