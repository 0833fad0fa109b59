package oauthsim

import (
	"bytes"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Fault is one misbehaviour to inject into a response. Delay combines with
// any of the others; of Cut, Status and Malformed the first set wins;
// InvalidateToken with none of them lets the request through afterwards.
type Fault struct {
	// Delay holds the response back this long (or until the client gives
	// up), in real time.
	Delay time.Duration
	// Cut hijacks the connection and closes it without an answer.
	Cut bool
	// Status answers with this status (5xx, 429, ...) instead of the
	// handler, with Body (default: the status text) as ContentType
	// (default text/plain).
	Status int
	// RetryAfter sets a Retry-After header (whole seconds, rounded up) on a
	// Status answer.
	RetryAfter time.Duration
	// Body is the Status answer's body; empty means the status text.
	Body string
	// ContentType is the Status answer's Content-Type; empty means
	// text/plain.
	ContentType string
	// Malformed runs the handler but truncates its body mid-way, so that
	// the client reads invalid JSON with the real status and headers.
	Malformed bool
	// InvalidateToken revokes the bearer token the request carries (access
	// or refresh token) before the handler sees it.
	InvalidateToken bool
}

type faultRule struct {
	path  string
	fault Fault
	left  int // < 0: until cleared
}

// Faults injects faults into responses. Set them at any time, from any
// goroutine; each request takes at most one fault: the first rule, in the
// order they were added, whose path matches and that has uses left.
type Faults struct {
	e     *Engine
	mu    sync.Mutex
	rules []*faultRule

	streams streamFaults
}

func newFaults(e *Engine) *Faults { return &Faults{e: e} }

// Next injects fault into the next times requests whose URL path is path
// ("" matches every path; a trailing "*" matches a prefix). times <= 0
// means every matching request until Clear.
func (f *Faults) Next(path string, fault Fault, times int) {
	left := times
	if times <= 0 {
		left = -1
	}
	f.mu.Lock()
	f.rules = append(f.rules, &faultRule{path: path, fault: fault, left: left})
	f.mu.Unlock()
}

// Clear removes every pending fault.
func (f *Faults) Clear() {
	f.mu.Lock()
	f.rules = nil
	f.mu.Unlock()
}

// Pending returns how many fault rules still have uses left.
func (f *Faults) Pending() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.rules)
}

func (f *Faults) match(path string) (Fault, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fold := f.e != nil && f.e.cfg.Wire.FoldPathCase
	for i, r := range f.rules {
		if !pathMatches(r.path, path, fold) {
			continue
		}
		if r.left > 0 {
			r.left--
			if r.left == 0 {
				f.rules = append(f.rules[:i:i], f.rules[i+1:]...)
			}
		}
		return r.fault, true
	}
	return Fault{}, false
}

func pathMatches(pattern, path string, fold bool) bool {
	if pattern == "" {
		return true
	}
	if fold {
		pattern, path = strings.ToLower(pattern), strings.ToLower(path)
	}
	if p, ok := strings.CutSuffix(pattern, "*"); ok {
		return strings.HasPrefix(path, p)
	}
	return pattern == path
}

// Wrap returns next with fault injection in front of it. The engine wraps
// its own endpoints; an emulator wraps its API routes.
func (f *Faults) Wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fault, ok := f.match(r.URL.Path)
		if !ok {
			next.ServeHTTP(w, r)
			return
		}
		f.apply(fault, next, w, r)
	})
}

func (f *Faults) apply(fault Fault, next http.Handler, w http.ResponseWriter, r *http.Request) {
	if fault.Delay > 0 {
		t := time.NewTimer(fault.Delay)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		}
	}
	if fault.InvalidateToken && f.e != nil {
		if tok := f.e.BearerToken(r); tok != "" {
			f.e.Invalidate(tok)
		}
	}
	switch {
	case fault.Cut:
		cut(w)
	case fault.Status != 0:
		if fault.RetryAfter > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(fault.RetryAfter.Seconds()))))
		}
		ct, body := fault.ContentType, fault.Body
		if ct == "" {
			ct = "text/plain; charset=utf-8"
		}
		if body == "" {
			body = http.StatusText(fault.Status)
		}
		w.Header().Set("Content-Type", ct)
		w.WriteHeader(fault.Status)
		_, _ = w.Write([]byte(body))
	case fault.Malformed:
		rec := &recorder{header: http.Header{}}
		next.ServeHTTP(rec, r)
		for k, v := range rec.header {
			w.Header()[k] = v
		}
		w.Header().Del("Content-Length")
		if rec.status == 0 {
			rec.status = http.StatusOK
		}
		w.WriteHeader(rec.status)
		b := rec.body.Bytes()
		if len(b) < 2 {
			b = []byte(`{"`)
		} else {
			b = b[:len(b)/2]
		}
		_, _ = w.Write(b)
	default:
		next.ServeHTTP(w, r)
	}
}

// cut closes the connection without an answer.
func cut(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			_ = conn.Close()
			return
		}
	}
	// HTTP/2 or a wrapped writer: ErrAbortHandler is net/http's way to drop
	// the response without logging.
	panic(http.ErrAbortHandler)
}

// recorder captures a handler's answer for Malformed.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.body.Write(b)
}
