package rest_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/brokerkit/brokerkit/internal/rest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// basePath is where the test API lives on the server, so that a path joined
// as absolute ("/x" dropping the base path) misses the mux and fails.
const basePath = "/api/v3"

// sleeps records the waits a client asked for instead of sleeping.
type sleeps struct {
	mu sync.Mutex
	d  []time.Duration
}

func (s *sleeps) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.d = append(s.d, d)
	s.mu.Unlock()
	return ctx.Err()
}

func (s *sleeps) all() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.d...)
}

// setup starts an httptest server with mux mounted under basePath and
// returns a client for it whose retries do not sleep.
func setup(t *testing.T, opts ...rest.Option) (*rest.Client, *http.ServeMux, *sleeps) {
	t.Helper()
	mux := http.NewServeMux()
	api := http.NewServeMux()
	api.Handle(basePath+"/", http.StripPrefix(basePath, mux))
	api.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("request outside the base path: %s %s", r.Method, r.URL.Path)
		http.Error(w, "outside base path", http.StatusTeapot)
	})
	srv := httptest.NewServer(api)
	t.Cleanup(srv.Close)

	c, err := rest.New(srv.URL+basePath, srv.Client(), append([]rest.Option{rest.WithName("testbroker")}, opts...)...)
	require.NoError(t, err)
	s := &sleeps{}
	rest.SetSleep(c, s.sleep)
	return c, mux, s
}

func testMethod(t *testing.T, r *http.Request, want string) {
	t.Helper()
	assert.Equal(t, want, r.Method, "method")
}

func testHeader(t *testing.T, r *http.Request, name, want string) {
	t.Helper()
	assert.Equal(t, want, r.Header.Get(name), "header %s", name)
}

func testQuery(t *testing.T, r *http.Request, want string) {
	t.Helper()
	assert.Equal(t, want, r.URL.RawQuery, "query")
}

func testJSONBody(t *testing.T, r *http.Request, want string) {
	t.Helper()
	b, err := io.ReadAll(r.Body)
	require.NoError(t, err)
	assert.JSONEq(t, want, string(b), "body")
}

// writeJSON answers with status and body as application/json.
func writeJSON(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

// counter counts the requests a handler saw.
type counter struct {
	mu sync.Mutex
	n  int
}

func (c *counter) inc() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n++
	return c.n
}

func (c *counter) get() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}
