// Package resttest is the one harness every broker's unit tests use to
// hold a client to the broker's documented wire format, in the manner of
// go-github's tests: Setup gives a client whose requests never leave the
// process, a responder per route answers with a fixture from testdata/,
// and Method, Query, Body and Header assert what the client sent in one
// line each.
//
//	hc, mt := resttest.Setup(t)
//	mt.RegisterResponder("GET", "https://api.example.com/v1/accounts", func(r *http.Request) (*http.Response, error) {
//		resttest.Query(t, r, url.Values{"page": {"1"}})
//		return resttest.JSON(200, resttest.Fixture(t, "accounts.json")), nil
//	})
package resttest

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Setup returns an *http.Client whose transport answers only the routes
// registered on the returned MockTransport; any other request fails the
// test's call with httpmock's no-responder error.
func Setup(t testing.TB) (*http.Client, *httpmock.MockTransport) {
	t.Helper()
	mt := httpmock.NewMockTransport()
	return &http.Client{Transport: mt}, mt
}

// Fixture returns testdata/name of the package under test.
func Fixture(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	return string(b)
}

// JSON is an answer with status, body and a JSON content type; headers
// are name, value pairs set on it as well.
func JSON(status int, body string, headers ...string) *http.Response {
	resp := httpmock.NewStringResponse(status, body)
	resp.Header.Set("Content-Type", "application/json; charset=utf-8")
	for i := 0; i+1 < len(headers); i += 2 {
		resp.Header.Set(headers[i], headers[i+1])
	}
	return resp
}

// Method asserts the request's method.
func Method(t testing.TB, r *http.Request, want string) {
	t.Helper()
	assert.Equal(t, want, r.Method, "method of %s", r.URL.Path)
}

// Query asserts the request's query parameters, exactly: a parameter the
// client sends and want lacks fails as well.
func Query(t testing.TB, r *http.Request, want url.Values) {
	t.Helper()
	got := r.URL.Query()
	if len(want) == 0 && len(got) == 0 {
		return
	}
	assert.Equal(t, want, got, "query of %s %s", r.Method, r.URL.Path)
}

// Body asserts that the request's body is JSON equal to want and says so
// in its Content-Type.
func Body(t testing.TB, r *http.Request, want string) {
	t.Helper()
	require.NotNil(t, r.Body, "body of %s %s", r.Method, r.URL.Path)
	b, err := io.ReadAll(r.Body)
	require.NoError(t, err)
	assert.True(t, json.Valid(b), "body of %s %s is not JSON: %s", r.Method, r.URL.Path, b)
	assert.JSONEq(t, want, string(b), "body of %s %s", r.Method, r.URL.Path)
	assert.Equal(t, "application/json", r.Header.Get("Content-Type"), "content type of %s %s", r.Method, r.URL.Path)
}

// Header asserts one request header.
func Header(t testing.TB, r *http.Request, name, want string) {
	t.Helper()
	assert.Equal(t, want, r.Header.Get(name), "header %s of %s %s", name, r.Method, r.URL.Path)
}
