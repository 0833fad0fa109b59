// Package exampletest holds what the example programs' tests share to check
// a run as a user sees it: which hosts its requests reached, and the login
// address it printed for the user to open.
package exampletest

import (
	"bytes"
	"net/http"
	"regexp"
	"sort"
	"sync"
	"testing"
)

// Hosts counts the host of every request sent through
// http.DefaultTransport while a test runs.
type Hosts struct {
	next  http.RoundTripper
	mu    sync.Mutex
	hosts map[string]int
}

// RecordHosts puts a Hosts in front of http.DefaultTransport until t ends.
// Tests that use it must not run in parallel with others.
func RecordHosts(t testing.TB) *Hosts {
	h := &Hosts{next: http.DefaultTransport, hosts: map[string]int{}}
	http.DefaultTransport = h
	t.Cleanup(func() { http.DefaultTransport = h.next })
	return h
}

// RoundTrip records r's host and passes r on.
func (h *Hosts) RoundTrip(r *http.Request) (*http.Response, error) {
	h.mu.Lock()
	h.hosts[r.URL.Host]++
	h.mu.Unlock()
	return h.next.RoundTrip(r)
}

// Seen returns the hosts requests went to so far, sorted.
func (h *Hosts) Seen() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]string, 0, len(h.hosts))
	for host := range h.hosts {
		out = append(out, host)
	}
	sort.Strings(out)
	return out
}

// Terminal is the terminal of a user who opens the address a program
// prints: it keeps the output and hands over, on URL, the first http URL
// printed alone on its (indented) line.
type Terminal struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	urls chan string
	sent bool
}

var printedURL = regexp.MustCompile(`(?m)^\s+(http://\S+)$`)

// NewTerminal returns an empty Terminal.
func NewTerminal() *Terminal { return &Terminal{urls: make(chan string, 1)} }

// Write keeps p and looks for the printed address.
func (w *Terminal) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if m := printedURL.FindStringSubmatch(w.buf.String()); m != nil && !w.sent {
		w.sent = true
		w.urls <- m[1]
	}
	return len(p), nil
}

// URL delivers the first printed address.
func (w *Terminal) URL() <-chan string { return w.urls }

// String returns everything written so far.
func (w *Terminal) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}
