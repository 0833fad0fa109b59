package auth_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"time"

	"github.com/brokerkit/brokerkit/auth"
)

// newExampleAS starts a tiny authorization server for the examples: its
// /authorize approves at once and redirects with a code, its /token trades
// that code (with the PKCE verifier) for a token.
func newExampleAS() *httptest.Server {
	mux := http.NewServeMux()
	mux.HandleFunc("/authorize", func(w http.ResponseWriter, r *http.Request) {
		q := url.Values{"code": {"example-code"}, "state": {r.FormValue("state")}}
		http.Redirect(w, r, r.FormValue("redirect_uri")+"?"+q.Encode(), http.StatusFound)
	})
	mux.HandleFunc("/token", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.FormValue("code") != "example-code" || r.FormValue("code_verifier") == "" {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = io.WriteString(w, `{"error":"invalid_grant","error_description":"unknown code"}`)
			return
		}
		_, _ = io.WriteString(w, `{"access_token":"example-access","token_type":"bearer","expires_in":1200,`+
			`"refresh_token":"example-refresh","scope":"read trade"}`)
	})
	return httptest.NewServer(mux)
}

// exampleClock is a fixed clock, so that the printed expiry is stable.
func exampleClock() time.Time { return time.Date(2026, 1, 2, 15, 4, 0, 0, time.UTC) }

// A web login: Begin, send the user to flow.URL, Complete in the callback.
func ExampleBegin() {
	as := newExampleAS()
	defer as.Close()
	p, err := auth.NewStandard(auth.Config{
		Name: "example", ClientID: "my-app", ClientSecret: "my-secret",
		RedirectURL:  "https://app.example.com/callback",
		Scopes:       []string{"read", "trade"},
		Endpoint:     auth.Endpoint{AuthURL: as.URL + "/authorize", TokenURL: as.URL + "/token"},
		AuthStyle:    auth.AuthStyleInParams,
		Capabilities: auth.Capabilities{PKCE: true, Refresh: true},
		Now:          exampleClock,
	})
	if err != nil {
		panic(err)
	}

	// Step 1, in the login handler: begin, keep the flow, redirect.
	flow, err := auth.Begin(p)
	if err != nil {
		panic(err)
	}
	fmt.Println("PKCE:", flow.Verifier != "")

	// Step 2, the user's browser: the broker redirects back to the app.
	// (Here a client that does not follow redirects plays the browser.)
	browser := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := browser.Get(flow.URL)
	if err != nil {
		panic(err)
	}
	resp.Body.Close()
	callback, _ := url.Parse(resp.Header.Get("Location"))

	// Step 3, in the callback handler: check the callback, exchange the code.
	tok, err := flow.Complete(context.Background(), p, callback.Query())
	if err != nil {
		panic(err)
	}
	fmt.Println(tok) // secrets are never printed

	// The same callback a second time is refused.
	_, err = flow.Complete(context.Background(), p, callback.Query())
	fmt.Println(errors.Is(err, auth.ErrFlowUsed))
	// Output:
	// PKCE: true
	// auth.Token{provider=example type=Bearer access=redacted refresh=redacted expiry=2026-01-02T15:24:00Z scopes="read trade"}
	// true
}

// Complete checks the callback before anything is sent to the broker.
func ExampleFlow_Complete() {
	p, err := auth.NewStandard(auth.Config{
		Name: "example", ClientID: "my-app", ClientSecret: "my-secret",
		Endpoint:     auth.Endpoint{AuthURL: "https://as.example.com/authorize", TokenURL: "https://as.example.com/token"},
		AuthStyle:    auth.AuthStyleInParams,
		Capabilities: auth.Capabilities{PKCE: true},
	})
	if err != nil {
		panic(err)
	}
	flow, err := auth.Begin(p)
	if err != nil {
		panic(err)
	}
	ctx := context.Background()

	_, err = flow.Complete(ctx, p, url.Values{"code": {"c"}, "state": {"forged"}})
	fmt.Println("forged state:", errors.Is(err, auth.ErrStateMismatch))

	_, err = flow.Complete(ctx, p, url.Values{"error": {"access_denied"}, "state": {flow.State}})
	fmt.Println("user declined:", errors.Is(err, auth.ErrAccessDenied))

	_, err = flow.Complete(ctx, p, url.Values{"state": {flow.State}})
	fmt.Println("no code:", errors.Is(err, auth.ErrMissingCode))
	// Output:
	// forged state: true
	// user declined: true
	// no code: true
}

// Exchange reads any broker's token answer; here cTrader's camelCase
// body, which golang.org/x/oauth2 cannot read.
func ExampleStandard_Exchange() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"accessToken":"at","tokenType":"bearer","expiresIn":2628000,`+
			`"refreshToken":"rt","errorCode":null,"description":null}`)
	}))
	defer srv.Close()

	p, err := auth.NewStandard(auth.Config{Name: "spotware", ClientID: "app", AuthStyle: auth.AuthStylePublic,
		Endpoint: auth.Endpoint{AuthURL: srv.URL + "/apps/auth", TokenURL: srv.URL + "/apps/token"}, Now: exampleClock})
	if err != nil {
		panic(err)
	}
	tok, err := p.Exchange(context.Background(), "the-code")
	if err != nil {
		panic(err)
	}
	fmt.Println(tok)
	fmt.Println("refresh token present:", tok.RefreshToken != "")
	// Output:
	// auth.Token{provider=spotware type=Bearer access=redacted refresh=redacted expiry=2026-02-02T01:04:00Z}
	// refresh token present: true
}

// Errors come back typed, whatever shape the broker wrapped them in.
func ExampleStandard_Exchange_errors() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		// cTrader reports failures with HTTP 200.
		_, _ = io.WriteString(w, `{"errorCode":"ACCESS_DENIED","description":"Access denied"}`)
	}))
	defer srv.Close()

	p, err := auth.NewStandard(auth.Config{Name: "spotware", ClientID: "app", AuthStyle: auth.AuthStylePublic,
		Endpoint: auth.Endpoint{AuthURL: srv.URL + "/apps/auth", TokenURL: srv.URL + "/apps/token"}})
	if err != nil {
		panic(err)
	}
	_, err = p.Exchange(context.Background(), "the-code")
	var oe *auth.OAuthError
	if errors.As(err, &oe) {
		fmt.Println(oe.Code, oe.StatusCode)
	}
	fmt.Println(err)
	// Output:
	// ACCESS_DENIED 200
	// spotware: token endpoint: ACCESS_DENIED: Access denied (HTTP 200)
}

// A command-line login: LoginLoopback listens on 127.0.0.1, the browser
// comes back to it, and the token is returned.
func ExampleLoginLoopback() {
	as := newExampleAS()
	defer as.Close()
	p, err := auth.NewStandard(auth.Config{
		Name: "example", ClientID: "my-cli",
		Endpoint:     auth.Endpoint{AuthURL: as.URL + "/authorize", TokenURL: as.URL + "/token"},
		AuthStyle:    auth.AuthStylePublic, // a CLI keeps no secret; PKCE proves it is the same program
		Capabilities: auth.Capabilities{PKCE: true, Refresh: true},
		Now:          exampleClock,
	})
	if err != nil {
		panic(err)
	}
	tok, err := auth.LoginLoopback(context.Background(), p, auth.LoopbackOptions{
		// A real program starts the user's browser here; this one follows
		// the redirects itself.
		Open: func(authURL string) error {
			resp, err := http.Get(authURL)
			if err != nil {
				return err
			}
			page, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			_, text, _ := strings.Cut(string(page), "<p>")
			text, _, _ = strings.Cut(text, "</p>")
			fmt.Println("browser shows:", text)
			return nil
		},
	})
	if err != nil {
		panic(err)
	}
	fmt.Println(tok)
	// Output:
	// browser shows: You are logged in to example. You can close this window.
	// auth.Token{provider=example type=Bearer access=redacted refresh=redacted expiry=2026-01-02T15:24:00Z scopes="read trade"}
}

// The back-end pattern: /login begins a flow and redirects; the redirect
// route is a CallbackHandler, which finds the flow by its state, completes
// it and hands the token to the Manager; every later request of that user
// goes through the Manager's client, which refreshes and saves the token.
func ExampleCallbackHandler() {
	as := newExampleAS()
	defer as.Close()
	p, err := auth.NewStandard(auth.Config{
		Name: "example", ClientID: "my-app", ClientSecret: "my-secret",
		RedirectURL:  "https://app.example.com/callback/example",
		Endpoint:     auth.Endpoint{AuthURL: as.URL + "/authorize", TokenURL: as.URL + "/token"},
		AuthStyle:    auth.AuthStyleInParams,
		Capabilities: auth.Capabilities{PKCE: true},
	})
	if err != nil {
		panic(err)
	}
	m, err := auth.NewManager(p, auth.NewMemoryStore()) // a FileStore or a database in production
	if err != nil {
		panic(err)
	}
	flows := &auth.FlowStore{}
	mux := http.NewServeMux()
	mux.HandleFunc("/login", func(w http.ResponseWriter, r *http.Request) {
		flow, err := auth.Begin(p)
		if err != nil {
			http.Error(w, "login unavailable", http.StatusInternalServerError)
			return
		}
		if err := flows.Put(flow); err != nil {
			http.Error(w, "too many logins in progress", http.StatusServiceUnavailable)
			return
		}
		http.Redirect(w, r, flow.URL, http.StatusFound)
	})
	mux.Handle("/callback/example", &auth.CallbackHandler{
		Provider:    p,
		Path:        "/callback/example",
		FlowByState: flows.Take,
		OnToken: func(w http.ResponseWriter, r *http.Request, tok *auth.Token) {
			// The signed-in user of the app's own session; "user-42" here.
			if err := m.SetToken(r.Context(), "user-42", tok); err != nil {
				http.Error(w, "could not keep the login", http.StatusInternalServerError)
				return
			}
			fmt.Println("got a token from", tok.Provider)
			http.Redirect(w, r, "/home", http.StatusFound)
		},
	})

	// The user's browser: /login → broker → /callback/example.
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/login", nil))
	browser := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := browser.Get(rec.Header().Get("Location"))
	if err != nil {
		panic(err)
	}
	resp.Body.Close()
	cb, _ := url.Parse(resp.Header.Get("Location"))
	rec = httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, cb.RequestURI(), nil))
	fmt.Println(rec.Code, rec.Header().Get("Location"))

	// Later requests of user-42: m.Client("user-42") carries the token.
	tok, err := m.Source("user-42").TokenContext(context.Background())
	fmt.Println(tok.Provider, err)

	// Replaying the callback finds no login in progress.
	rec = httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, cb.RequestURI(), nil))
	fmt.Println(rec.Code)
	// Output:
	// got a token from example
	// 302 /home
	// example <nil>
	// 400
}
