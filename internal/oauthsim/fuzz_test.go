package oauthsim

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

func fuzzEngine(f *testing.F) *Engine {
	f.Helper()
	clock := NewTestClock(time.Time{})
	cfg := baseConfig(clock)
	cfg.Implicit = true
	cfg.Password = true
	cfg.Wire.TokenJSON = true
	cfg.Wire.TokenMethods = []string{http.MethodGet, http.MethodPost}
	e, err := New(cfg)
	if err != nil {
		f.Fatal(err)
	}
	e.SetAutoApprove("alice")
	return e
}

// FuzzAuthorize feeds arbitrary authorization queries to an auto-approving
// engine. Whatever the query, the engine must not panic, and it may only
// ever redirect to a URI registered for the client (RFC 6749 §4.1.2.1: an
// unregistered redirect_uri is never followed, not even with an error).
func FuzzAuthorize(f *testing.F) {
	e := fuzzEngine(f)
	for _, q := range []string{
		"response_type=code&client_id=app&redirect_uri=http%3A%2F%2F127.0.0.1%2Fcb&state=x",
		"response_type=token&client_id=pub&redirect_uri=http%3A%2F%2F127.0.0.1%3A8080%2Fcb",
		"client_id=app&redirect_uri=https%3A%2F%2Fevil.example.com%2Fcb",
		"client_id=app&redirect_uri=http%3A%2F%2F127.0.0.1%3A8080%2Fcb%2F..%2Fevil",
		"client_id=app&redirect_uri=http%3A%2F%2F127.0.0.1%40evil.com%2Fcb",
		"client_id=pub&code_challenge=abc&code_challenge_method=plain",
		"client_id=app&client_id=pub",
		"%zz",
	} {
		f.Add(q)
	}
	f.Fuzz(func(t *testing.T, rawQuery string) {
		req := httptest.NewRequest(http.MethodGet, "/authorize", nil)
		req.URL.RawQuery = rawQuery
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, req)
		if rec.Code < 300 || rec.Code > 399 {
			return
		}
		loc, err := url.Parse(rec.Header().Get("Location"))
		if err != nil {
			t.Fatalf("unparsable Location %q", rec.Header().Get("Location"))
		}
		loc.RawQuery, loc.Fragment, loc.RawFragment = "", "", ""
		target := loc.String()
		q, _ := url.ParseQuery(rawQuery)
		c := e.clients[q.Get("client_id")]
		if c == nil {
			t.Fatalf("redirected for unknown client %q to %s", q.Get("client_id"), target)
		}
		for _, reg := range c.RedirectURIs {
			ru, _ := url.Parse(reg)
			ru.RawQuery = ""
			if matchRedirect(ru.String(), target, false) {
				return
			}
		}
		t.Fatalf("redirected to unregistered %s (query %q)", target, rawQuery)
	})
}

// FuzzToken feeds arbitrary bodies, content types and methods to the token
// endpoint: no panic, and only the statuses the engine is meant to answer.
func FuzzToken(f *testing.F) {
	e := fuzzEngine(f)
	f.Add(http.MethodPost, "application/x-www-form-urlencoded", "grant_type=client_credentials&client_id=app&client_secret="+testSecret)
	f.Add(http.MethodPost, "application/json", `{"grant_type":"password","client_id":"app","client_secret":"`+testSecret+`","username":"alice","password":"pw"}`)
	f.Add(http.MethodPost, "application/json", `{"grant_type":["x"],"client_id":{}}`)
	f.Add(http.MethodGet, "", "grant_type=refresh_token&refresh_token=x&client_id=pub")
	f.Add(http.MethodPost, "application/x-www-form-urlencoded", "grant_type=authorization_code&code=%zz")
	f.Add(http.MethodPut, "text/plain", "")
	f.Fuzz(func(t *testing.T, method, contentType, body string) {
		if method != http.MethodGet && method != http.MethodPost && method != http.MethodPut {
			method = http.MethodPost
		}
		req := httptest.NewRequest(method, "/token", strings.NewReader(body))
		if method == http.MethodGet {
			req = httptest.NewRequest(method, "/token", nil)
			req.URL.RawQuery = body
		}
		req.Header.Set("Content-Type", contentType)
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, req)
		switch rec.Code {
		case http.StatusOK, http.StatusBadRequest, http.StatusUnauthorized, http.StatusMethodNotAllowed:
		default:
			t.Fatalf("status %d for %s %q %q", rec.Code, method, contentType, body)
		}
	})
}

// asciiLower lower-cases the ASCII letters of s and nothing else.
func asciiLower(s string) string {
	return strings.Map(func(r rune) rune {
		if 'A' <= r && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return r
	}, s)
}

// FuzzMatchRedirect checks that a loopback match never changes anything
// but the port (and the case of the host name's ASCII letters).
func FuzzMatchRedirect(f *testing.F) {
	f.Add("http://127.0.0.1/cb", "http://127.0.0.1:8080/cb")
	f.Add("http://localhost", "http://localhost:3000/")
	f.Add("https://app.example.com/cb", "https://app.example.com/cb")
	f.Add("http://[::1]/cb", "http://[::1]:1/cb?x")
	f.Fuzz(func(t *testing.T, registered, requested string) {
		if !matchRedirect(registered, requested, false) || registered == requested {
			return
		}
		ru, err1 := url.Parse(registered)
		qu, err2 := url.Parse(requested)
		if err1 != nil || err2 != nil {
			t.Fatalf("matched unparsable URIs %q %q", registered, requested)
		}
		// Host names are case-insensitive (RFC 3986 §3.2.2), in ASCII only:
		// Unicode case folding would make "localhoſt" (long s) localhost.
		if qu.Scheme != "http" || asciiLower(ru.Hostname()) != asciiLower(qu.Hostname()) || qu.User != nil || qu.Fragment != "" {
			t.Fatalf("%q matched %q beyond the port", requested, registered)
		}
		if matchRedirect(registered, requested, true) {
			t.Fatalf("exact mode matched %q to %q", requested, registered)
		}
	})
}
