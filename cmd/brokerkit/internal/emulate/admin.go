package emulate

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/brokerkit/brokerkit/internal/oauthsim"
	"github.com/brokerkit/brokerkit/internal/origin"
	"github.com/brokerkit/brokerkit/internal/redact"
)

// Limits of the admin API's input.
const (
	maxAdminBody = 64 << 10
	maxDelay     = 10 * time.Minute
	maxAdvance   = 10 * 366 * 24 * time.Hour
	// maxBurst caps streams/burst: Just2Trade's emulator builds a burst's
	// frames before it sends them.
	maxBurst = 100_000
)

// adminError is an admin API failure: its status and a sentence.
type adminError struct {
	status int
	msg    string
}

func (e *adminError) Error() string { return e.msg }

func errorf(status int, format string, args ...any) *adminError {
	return &adminError{status: status, msg: fmt.Sprintf(format, args...)}
}

// adminHandler routes the admin API (see the package doc).
func (s *Server) adminHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v, err := s.serveAdmin(r)
		if err != nil {
			var ae *adminError
			if !errors.As(err, &ae) {
				ae = errorf(http.StatusInternalServerError, "%s", redact.Text(err.Error()))
			}
			if ae.status == http.StatusMethodNotAllowed {
				w.Header().Set("Allow", allowed(r.URL.Path))
			}
			oauthsim.WriteJSON(w, ae.status, map[string]string{"error": ae.msg})
			return
		}
		oauthsim.WriteJSON(w, http.StatusOK, v)
	})
}

// allowed is the Allow header of a path the method did not fit.
func allowed(path string) string {
	switch {
	case strings.HasSuffix(path, "/faults"):
		return "GET, POST, DELETE"
	case strings.HasSuffix(path, "/streams"):
		return "GET, POST"
	case strings.Count(strings.Trim(path, "/"), "/") == 0:
		return "GET"
	}
	return "POST"
}

func (s *Server) serveAdmin(r *http.Request) (any, error) {
	if err := guard(r); err != nil {
		return nil, err
	}
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	if len(parts) == 1 && parts[0] == "" {
		if r.Method != http.MethodGet {
			return nil, errorf(http.StatusMethodNotAllowed, "%s / is not an admin call: use GET", r.Method)
		}
		return map[string]any{"brokers": s.Brokers()}, nil
	}
	st := s.state(parts[0])
	if st == nil {
		return nil, errorf(http.StatusNotFound, "no emulator %q is running here (running: %s)", redact.Text(parts[0]),
			strings.Join(s.names(), ", "))
	}
	call := strings.Join(parts[1:], "/")
	method := r.Method
	want := http.MethodPost
	switch call {
	case "":
		want = http.MethodGet
	case "faults":
		if method == http.MethodDelete || method == http.MethodGet {
			want = method
		}
	case "streams":
		if method == http.MethodGet {
			want = method
		}
	case "clock/advance", "invalidate", "reset", "auto-approve", "quote", "streams/burst":
	default:
		return nil, errorf(http.StatusNotFound, "no admin call %q: the calls are clock/advance, invalidate, faults, reset, "+
			"auto-approve, quote, streams, streams/burst", redact.Text(call))
	}
	if method != want {
		return nil, errorf(http.StatusMethodNotAllowed, "%s %s: use %s", method, call, want)
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxAdminBody+1))
	if err != nil {
		return nil, errorf(http.StatusBadRequest, "reading the request body failed")
	}
	if len(body) > maxAdminBody {
		return nil, errorf(http.StatusRequestEntityTooLarge, "the request body is over %d bytes", maxAdminBody)
	}
	if call == "reset" {
		st.mu.Lock()
		v, err := st.reset()
		st.mu.Unlock()
		if err != nil {
			return nil, err
		}
		// A fresh cTrader emulator has a new certificate: other commands
		// must read the one it presents.
		if err := s.reannounce(); err != nil {
			return nil, errorf(http.StatusInternalServerError, "%s", redact.Text(err.Error()))
		}
		return v, nil
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.run == nil {
		return nil, errorf(http.StatusServiceUnavailable, "the %s emulator is not running (its last reset failed): reset it again", st.b.name)
	}
	switch call {
	case "":
		return st.info.clone(), nil
	case "clock/advance":
		return st.advance(body)
	case "invalidate":
		return st.invalidate(body)
	case "faults":
		switch method {
		case http.MethodGet:
			return map[string]any{"broker": st.b.name, "pending": st.run.srv.Faults().Pending()}, nil
		case http.MethodDelete:
			st.run.srv.Faults().Clear()
			return map[string]any{"broker": st.b.name, "pending": 0}, nil
		}
		return st.addFault(body)
	case "quote":
		return st.quote(body)
	case "streams":
		if method == http.MethodGet {
			f := st.run.srv.Faults()
			return map[string]any{"broker": st.b.name, "open": f.OpenStreams(), "stalled": f.StreamsStalled()}, nil
		}
		return st.streams(body)
	case "streams/burst":
		return st.burst(body)
	default: // auto-approve
		return st.autoApprove(body)
	}
}

// guard admits loopback callers that are not web pages: a page in the
// user's browser must not drive the emulator (no Origin header), nor reach
// it through a rebound DNS name (a loopback Host).
func guard(r *http.Request) error {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil || !origin.IsLoopback(host) {
		return errorf(http.StatusForbidden, "the admin API answers loopback callers only")
	}
	h := r.Host
	if hh, _, err := net.SplitHostPort(h); err == nil {
		h = hh
	}
	if !origin.IsLoopback(h) {
		return errorf(http.StatusForbidden, "the admin API answers requests for a loopback host only")
	}
	if r.Header.Get("Origin") != "" {
		return errorf(http.StatusForbidden, "the admin API does not answer web pages (the request has an Origin)")
	}
	return nil
}

func (s *Server) state(name string) *state {
	for _, st := range s.order {
		if st.b.name == strings.ToLower(name) {
			return st
		}
	}
	return nil
}

func (s *Server) names() []string {
	out := make([]string, len(s.order))
	for i, st := range s.order {
		out[i] = st.b.name
	}
	return out
}

// decode reads a JSON object into v, refusing unknown members, so that a
// misspelt field is an error rather than silently ignored.
func decode(body []byte, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		body = []byte("{}")
	}
	d := json.NewDecoder(bytes.NewReader(body))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.Is(err, io.ErrUnexpectedEOF):
			return errorf(http.StatusBadRequest, "the body is not JSON (it ends early)")
		case errors.As(err, &se):
			return errorf(http.StatusBadRequest, "the body is not JSON (at byte %d)", se.Offset)
		case errors.As(err, &te):
			return errorf(http.StatusBadRequest, "member %q has the wrong type: want %s", te.Field, te.Type)
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			return errorf(http.StatusBadRequest, "unknown member %s", redact.Text(strings.TrimPrefix(err.Error(), "json: unknown field ")))
		default:
			var ae *adminError
			if errors.As(err, &ae) {
				return ae
			}
			return errorf(http.StatusBadRequest, "the body is not a JSON object")
		}
	}
	if d.More() {
		return errorf(http.StatusBadRequest, "the body holds more than one JSON value")
	}
	return nil
}

// duration is a JSON duration: a Go duration string ("90s", "1h") or a
// number of seconds.
type duration time.Duration

func (d *duration) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		v, err := time.ParseDuration(s)
		if err != nil {
			return errorf(http.StatusBadRequest, "%q is not a duration such as \"90s\" or \"1h\"", redact.Text(s))
		}
		*d = duration(v)
		return nil
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil || f > maxAdvance.Seconds() || f < -maxAdvance.Seconds() {
		return errorf(http.StatusBadRequest, "a duration is a string such as \"90s\" or a number of seconds")
	}
	*d = duration(time.Duration(f * float64(time.Second)))
	return nil
}

func (st *state) advance(body []byte) (any, error) {
	var req struct {
		By *duration `json:"by"`
	}
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	if req.By == nil || *req.By == 0 {
		return nil, errorf(http.StatusBadRequest, `say how far to move the clock: {"by":"1h"}`)
	}
	by := time.Duration(*req.By)
	if by > maxAdvance || by < -maxAdvance {
		return nil, errorf(http.StatusBadRequest, "the clock moves at most %s at a time", maxAdvance)
	}
	off := st.offset.Add(int64(by))
	return map[string]any{"broker": st.b.name, "now": st.now().UTC().Format(time.RFC3339Nano),
		"offset": time.Duration(off).String()}, nil
}

func (st *state) invalidate(body []byte) (any, error) {
	var req struct {
		User  *string `json:"user"`
		Token *string `json:"token"`
	}
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	switch {
	case (req.User == nil) == (req.Token == nil):
		return nil, errorf(http.StatusBadRequest, `give one of {"user":LOGIN} (every token of the user) or {"token":TOKEN}`)
	case req.User != nil:
		if !st.run.knows(*req.User) {
			return nil, errorf(http.StatusNotFound, "%s has no user %q", st.b.name, redact.Text(*req.User))
		}
		st.run.srv.InvalidateUser(*req.User)
		return map[string]any{"broker": st.b.name, "user": *req.User, "invalidated": true}, nil
	default:
		if !st.run.srv.InvalidateToken(*req.Token) {
			// The token is not echoed: it may be a real one pasted by mistake.
			return nil, errorf(http.StatusNotFound, "%s did not issue that token", st.b.name)
		}
		return map[string]any{"broker": st.b.name, "invalidated": true}, nil
	}
}

func (st *state) addFault(body []byte) (any, error) {
	var req struct {
		Path            string   `json:"path"`
		Times           int      `json:"times"`
		Status          int      `json:"status"`
		RetryAfter      duration `json:"retry_after"`
		Body            string   `json:"body"`
		ContentType     string   `json:"content_type"`
		Cut             bool     `json:"cut"`
		Delay           duration `json:"delay"`
		Malformed       bool     `json:"malformed"`
		InvalidateToken bool     `json:"invalidate_token"`
	}
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	f := oauthsim.Fault{Delay: time.Duration(req.Delay), Cut: req.Cut, Status: req.Status,
		RetryAfter: time.Duration(req.RetryAfter), Body: req.Body, ContentType: req.ContentType,
		Malformed: req.Malformed, InvalidateToken: req.InvalidateToken}
	switch {
	case req.Times < 0:
		return nil, errorf(http.StatusBadRequest, "times is how many requests take the fault (0: every one until DELETE)")
	case f.Status != 0 && (f.Status < 200 || f.Status > 599):
		return nil, errorf(http.StatusBadRequest, "status %d is not a final HTTP status (200-599)", f.Status)
	case f.Delay < 0 || f.Delay > maxDelay:
		return nil, errorf(http.StatusBadRequest, "delay is from 0 to %s", maxDelay)
	case f.RetryAfter < 0 || (f.RetryAfter > 0 && f.Status == 0):
		return nil, errorf(http.StatusBadRequest, "retry_after goes with a status (429 or 503, say) and is not negative")
	case (f.Body != "" || f.ContentType != "") && f.Status == 0:
		return nil, errorf(http.StatusBadRequest, "body and content_type go with a status")
	case f.Delay == 0 && !f.Cut && f.Status == 0 && !f.Malformed && !f.InvalidateToken:
		return nil, errorf(http.StatusBadRequest, "say what the fault does: status, cut, delay, malformed or invalidate_token")
	case req.Path != "" && !strings.HasPrefix(req.Path, "/"):
		return nil, errorf(http.StatusBadRequest, `path is a URL path such as "/v3/brokerage/accounts" (a trailing * matches a prefix; empty: every path)`)
	}
	faults := st.run.srv.Faults()
	faults.Next(req.Path, f, req.Times)
	return map[string]any{"broker": st.b.name, "pending": faults.Pending()}, nil
}

func (st *state) autoApprove(body []byte) (any, error) {
	var req struct {
		User *string `json:"user"`
	}
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	if req.User == nil {
		return nil, errorf(http.StatusBadRequest, `give the user who approves every login: {"user":LOGIN} ("" turns it off)`)
	}
	if *req.User != "" && !st.run.knows(*req.User) {
		return nil, errorf(http.StatusNotFound, "%s has no user %q", st.b.name, redact.Text(*req.User))
	}
	st.run.srv.SetAutoApprove(*req.User)
	return map[string]any{"broker": st.b.name, "auto_approve": *req.User}, nil
}

// symbolPrice is a symbol and its new last price, a decimal string.
type symbolPrice struct {
	Symbol *string `json:"symbol"`
	Last   *string `json:"last"`
}

func (st *state) quote(body []byte) (any, error) {
	if st.run.setQuote == nil {
		return nil, errorf(http.StatusNotImplemented, "%s's prices move by themselves: its emulator takes no quote", st.b.name)
	}
	var req symbolPrice
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	if req.Symbol == nil || *req.Symbol == "" || req.Last == nil {
		return nil, errorf(http.StatusBadRequest, `give the symbol and its last price as a decimal string: {"symbol":"MSFT","last":"412.50"}`)
	}
	last, err := decimal.NewFromString(*req.Last)
	if err != nil || len(*req.Last) > 40 {
		return nil, errorf(http.StatusBadRequest, "last %q is not a decimal price such as \"412.50\"", redact.Text(*req.Last))
	}
	if !last.IsPositive() {
		return nil, errorf(http.StatusBadRequest, "last %s is not a positive price", last)
	}
	symbol := strings.ToUpper(*req.Symbol)
	if err := st.run.setQuote(symbol, last); err != nil {
		return nil, errorf(http.StatusBadRequest, "%s refused the quote: %s", st.b.name, redact.Text(err.Error()))
	}
	return map[string]any{"broker": st.b.name, "symbol": symbol, "last": last.String()}, nil
}

func (st *state) streams(body []byte) (any, error) {
	var req struct {
		Cut   bool  `json:"cut"`
		Stall *bool `json:"stall"`
	}
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	if req.Cut == (req.Stall != nil) {
		return nil, errorf(http.StatusBadRequest, `give one of {"cut":true} (end every open stream) or {"stall":true|false}`)
	}
	f := st.run.srv.Faults()
	if req.Cut {
		return map[string]any{"broker": st.b.name, "cut": f.CutStreams()}, nil
	}
	f.StallStreams(*req.Stall)
	return map[string]any{"broker": st.b.name, "stalled": f.StreamsStalled()}, nil
}

func (st *state) burst(body []byte) (any, error) {
	if st.run.burst == nil {
		return nil, errorf(http.StatusNotImplemented, "%s's emulator sends no quote bursts: its prices move by themselves", st.b.name)
	}
	var req struct {
		Symbol string `json:"symbol"`
		N      int    `json:"n"`
	}
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	switch {
	case req.Symbol == "":
		return nil, errorf(http.StatusBadRequest, `give the symbol and how many changes: {"symbol":"MSFT","n":1000}`)
	case req.N < 1 || req.N > maxBurst:
		return nil, errorf(http.StatusBadRequest, "n is how many quote changes to send, 1 to %d", maxBurst)
	}
	symbol := strings.ToUpper(req.Symbol)
	return map[string]any{"broker": st.b.name, "symbol": symbol, "n": req.N, "streams": st.run.burst(symbol, req.N)}, nil
}

// closeCutting closes an emulator, cutting its open streams until it is
// closed: an HTTP emulator's Close waits for every request in flight,
// and a stream (stalled or not) lasts until its client hangs up.
func closeCutting(srv emulator) {
	done := make(chan struct{})
	go func() {
		srv.Close()
		close(done)
	}()
	for {
		srv.Faults().CutStreams()
		select {
		case <-done:
			return
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// reset replaces the emulator with a fresh one on the same addresses:
// seeded data, no tokens, no faults, no auto-approval, the wall clock;
// its Info follows (cTrader's certificate is new). Call it with st.mu
// held, and Server.reannounce after.
func (st *state) reset() (any, error) {
	if st.run != nil {
		closeCutting(st.run.srv)
		st.run = nil
	}
	st.offset.Store(0)
	run, err := st.b.start(st.addrs, st.now, st.redirect)
	if err != nil {
		return nil, errorf(http.StatusInternalServerError, "restarting %s failed: %s", st.b.name, redact.Text(err.Error()))
	}
	info, err := describe(st.b, run, st.info.AdminURL)
	if err != nil {
		run.srv.Close()
		return nil, errorf(http.StatusInternalServerError, "restarting %s failed: %s", st.b.name, redact.Text(err.Error()))
	}
	st.run, st.info = run, info
	return map[string]any{"broker": st.b.name, "reset": true, "url": run.cfg.BaseURL}, nil
}
