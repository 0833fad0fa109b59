// Package origintest starts the two servers a redirect test needs: an
// origin that redirects, and a foreign origin (another port of 127.0.0.1)
// that records whatever reaches it.
package origintest

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// Pair is an origin server and a foreign one. On Origin, a path under
// /same/ is redirected to the same path under /final/ (same origin), a
// path under /final/ is answered 200 with "{}", and every other path is
// redirected to Foreign, path kept, with the query leak=1 added. Foreign
// answers 200 with "{}".
type Pair struct {
	// Origin is where requests are made.
	Origin *httptest.Server
	// Foreign is where Origin's cross-origin redirects point.
	Foreign *httptest.Server
	mu      sync.Mutex
	status  int // of Origin's redirects; 302 unless SetStatus
	origin  []http.Header
	foreign []http.Header
}

// New starts a Pair, closed when t ends.
func New(t testing.TB) *Pair {
	t.Helper()
	p := &Pair{status: http.StatusFound}
	p.Foreign = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.record(&p.foreign, r)
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, "{}")
	}))
	t.Cleanup(p.Foreign.Close)
	p.Origin = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.record(&p.origin, r)
		p.mu.Lock()
		status := p.status
		p.mu.Unlock()
		switch {
		case strings.HasPrefix(r.URL.Path, "/final/"):
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, "{}")
		case strings.HasPrefix(r.URL.Path, "/same/"):
			http.Redirect(w, r, "/final/"+strings.TrimPrefix(r.URL.Path, "/same/"), status)
		default:
			http.Redirect(w, r, p.Foreign.URL+r.URL.Path+"?leak=1", status)
		}
	}))
	t.Cleanup(p.Origin.Close)
	return p
}

func (p *Pair) record(into *[]http.Header, r *http.Request) {
	_, _ = io.Copy(io.Discard, r.Body)
	p.mu.Lock()
	defer p.mu.Unlock()
	*into = append(*into, r.Header.Clone())
}

// SetStatus changes the status of Origin's redirects.
func (p *Pair) SetStatus(code int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.status = code
}

// OriginHeaders returns the headers of every request Origin received.
func (p *Pair) OriginHeaders() []http.Header {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]http.Header(nil), p.origin...)
}

// ForeignHeaders returns the headers of every request Foreign received.
func (p *Pair) ForeignHeaders() []http.Header {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]http.Header(nil), p.foreign...)
}

// Leaks lists "Header: value" for every header value Foreign received that
// contains one of secrets.
func (p *Pair) Leaks(secrets ...string) []string {
	var out []string
	for _, h := range p.ForeignHeaders() {
		for k, vs := range h {
			for _, v := range vs {
				for _, s := range secrets {
					if s != "" && strings.Contains(v, s) {
						out = append(out, k+": "+v)
					}
				}
			}
		}
	}
	return out
}
