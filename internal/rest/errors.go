package rest

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/internal/classify"
	"github.com/brokerkit/brokerkit/internal/redact"
)

// Sentinels for the HTTP statuses that have no home in the auth tree. 401
// matches auth.ErrInvalidToken, 429 auth.ErrRateLimited, 5xx
// auth.ErrUnavailable.
var (
	// ErrNotFound matches a 404 or 410 answer.
	ErrNotFound = errors.New("not found")
	// ErrForbidden matches a 403 answer that is not a rate limit.
	ErrForbidden = errors.New("forbidden")
	// ErrBadRequest matches a 400 or 422 answer: the broker refused the
	// request's content.
	ErrBadRequest = errors.New("bad request")
	// ErrBodyTooLarge matches a success body over the client's cap. The
	// error is also an *auth.ResponseError matching auth.ErrInvalidResponse.
	ErrBodyTooLarge = errors.New("response body too large")
)

// Caps on what an error keeps of a body.
const (
	maxErrorRead = 64 << 10 // read at most this much of an error body
	maxErrorBody = 4 << 10  // keep at most this much in Error.Body
	maxMessage   = 1 << 10  // and at most this much in Error.Message
)

// ErrorFields names the JSON members of a broker's error body, each list
// tried in order; the first member present with a non-empty value wins.
// Values may be strings or numbers. A message member holding an array
// (AutoShares' {"Errors":[...]}) is joined with "; ", taking the Message
// members of object elements. A member holding an object
// ({"error":{"code":..., "message":...}}) is searched the same way when the
// top level yields nothing.
type ErrorFields struct {
	// Code is the broker's own error code ("NotFound", "validation_error").
	Code []string
	// Message is the human-readable text.
	Message []string
	// RequestID is a body member that identifies the request, used when no
	// request-ID header was present (TradeStation v2's TraceId).
	RequestID []string
}

// DefaultErrorFields covers the shapes the supported brokers document:
// TradeStation v3 {"Error","Message"}, v2 {"TraceId","StatusCode","Message"},
// Just2Trade {"code","message"}, AutoShares {"error"}, {"Message"},
// {"Errors":[...]} and {"IsSuccessful":false,"ErrorDescription"}.
var DefaultErrorFields = ErrorFields{
	Code:      []string{"Error", "code", "Code", "errorCode", "error_code", "error"},
	Message:   []string{"Message", "message", "ErrorDescription", "error_description", "description", "Errors", "errors", "error"},
	RequestID: []string{"TraceId", "traceId", "RequestId", "requestId", "request_id"},
}

// Error is a non-2xx answer from a broker's API. It never quotes the query
// string, a header or the body in Error(), since they may carry secrets.
// The server's text in Code, Message and RequestID is cleaned where the
// error is built: the credentials the request carried (bearer token, API
// key) are removed in every encoding, control characters folded and the
// length capped, so printing a field directly is as safe as Error().
//
// Err holds the class the answer belongs to, so that errors.Is and
// errors.As reach it through Unwrap: auth.ErrInvalidToken for 401,
// ErrForbidden for 403, ErrNotFound for 404 and 410, ErrBadRequest for 400
// and 422, a *auth.RateLimitError for 429 (and for what the client's
// rate-limit check recognises), auth.ErrUnavailable for 408 and 5xx; nil
// for any other status.
type Error struct {
	// Name is the broker's name, from WithName.
	Name string
	// Method and Path say which call failed; Path has no query string.
	Method, Path string
	// StatusCode is the HTTP status.
	StatusCode int
	// Code and Message are the broker's own, from its error body.
	Code, Message string
	// RequestID is the broker's ID for the request, for support tickets.
	RequestID string
	// Body holds the first bytes of the answer (at most 4 KiB), for
	// diagnosis, with the request's credentials removed. It is never part
	// of Error().
	Body []byte
	// Response is the answer; its body has been read and closed. It is a
	// copy made safe to log: the credentials of the request are removed
	// from its header values, and its Request carries no Authorization,
	// Proxy-Authorization or Cookie header, none set with WithHeader and no
	// credential query parameter.
	Response *http.Response
	// Err is the class of the error (see above).
	Err error
}

// Error implements the error interface.
func (e *Error) Error() string {
	var b strings.Builder
	if e.Name != "" {
		b.WriteString(e.Name)
		b.WriteString(": ")
	}
	b.WriteString(e.Method)
	b.WriteByte(' ')
	b.WriteString(e.Path)
	b.WriteString(": HTTP ")
	b.WriteString(strconv.Itoa(e.StatusCode))
	if t := http.StatusText(e.StatusCode); t != "" {
		b.WriteByte(' ')
		b.WriteString(t)
	}
	if e.Code != "" {
		b.WriteString(": ")
		b.WriteString(e.Code)
	}
	if e.Message != "" && e.Message != e.Code {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	var rl *auth.RateLimitError
	if errors.As(e.Err, &rl) && rl.RetryAfter > 0 {
		b.WriteString("; retry after ")
		b.WriteString(rl.RetryAfter.String())
	}
	if e.RequestID != "" {
		b.WriteString(" (request ID ")
		b.WriteString(e.RequestID)
		b.WriteByte(')')
	}
	return b.String()
}

// GoString keeps %#v from dumping the body and the response.
func (e *Error) GoString() string { return "&rest.Error{" + strconv.Quote(e.Error()) + "}" }

// Unwrap returns the class of the error.
func (e *Error) Unwrap() error { return e.Err }

// MarshalJSON renders the error for a JSON log: its message and its
// cleaned fields, without Body and Response (which encoding/json could not
// render anyway: a request holds functions).
func (e *Error) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Error      string `json:"error"`
		Name       string `json:"name,omitempty"`
		Method     string `json:"method,omitempty"`
		Path       string `json:"path,omitempty"`
		StatusCode int    `json:"status"`
		Code       string `json:"code,omitempty"`
		Message    string `json:"message,omitempty"`
		RequestID  string `json:"request_id,omitempty"`
	}{e.Error(), e.Name, e.Method, e.Path, e.StatusCode, e.Code, e.Message, e.RequestID})
}

// RateLimitErrorFrom builds the *auth.RateLimitError for a rate-limit answer
// from its Retry-After and X-RateLimit-* headers, with message as the
// broker's text. Error hooks use it to classify exotic answers.
func RateLimitErrorFrom(resp *http.Response, message string, now time.Time) *auth.RateLimitError {
	limit, remaining, reset := classify.ParseRateLimit(resp.Header, func() time.Time { return now })
	return &auth.RateLimitError{StatusCode: resp.StatusCode, Message: redact.Text(message), Limit: limit,
		Remaining: remaining, Reset: reset,
		RetryAfter: classify.RetryAfter(classify.First(resp.Header, classify.HdrRetryAfter), now)}
}

// errorFrom reads a non-2xx answer into an *Error and closes its body.
func (c *Client) errorFrom(req *http.Request, resp *Response) error {
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, min(c.maxBody, maxErrorRead)))
	resp.Body.Close()
	return c.newError(req.Method, req.URL.EscapedPath(), resp, resp.StatusCode, raw)
}

// NewError builds the *Error for a failure a broker reports inside a 2xx
// body, such as AutoShares' {"IsSucceed":false,"StatusCode":500,...}:
// status is the status the body states and body the raw body. The error is
// decoded and classified exactly like a non-2xx answer (ErrorFields, status
// class, rate-limit check, error hook), so one broker shape has one
// mapping. resp is the answer as Do returned it.
func (c *Client) NewError(resp *Response, status int, body []byte) *Error {
	if resp == nil || resp.Response == nil {
		resp = &Response{Response: &http.Response{StatusCode: status, Header: http.Header{}}}
	}
	method, path := "", ""
	if resp.Request != nil {
		method = resp.Request.Method
		if resp.Request.URL != nil {
			path = resp.Request.URL.EscapedPath()
		}
	}
	return c.newError(method, path, resp, status, body)
}

func (c *Client) newError(method, path string, resp *Response, status int, raw []byte) *Error {
	sec := c.secrets(resp.Request)
	e := &Error{
		Name:       c.name,
		Method:     method,
		Path:       path,
		StatusCode: status,
		RequestID:  resp.RequestID,
	}
	if len(raw) > 0 {
		body := raw[:min(len(raw), maxErrorBody+maxMessage)] // room for a secret that starts in the kept part
		if len(sec) > 0 {
			body = []byte(redact.Secrets(string(body), sec...))
		}
		e.Body = bytes.Clone(body[:min(len(body), maxErrorBody)])
	}
	c.fields.fill(e, raw, resp.Header.Get("Content-Type"))
	e.clean(sec)
	resp.RequestID = e.RequestID
	if resp.Response != nil {
		// The caller's *Response and the error share the safe copy.
		resp.Response = c.safeResponse(resp.Response, sec)
	}
	e.Response = resp.Response

	switch {
	case status == http.StatusTooManyRequests,
		c.isRateLimit != nil && c.isRateLimit(resp.Response, raw):
		rl := RateLimitErrorFrom(resp.Response, e.Message, c.now())
		rl.StatusCode = status
		e.Err = rl
	case status == http.StatusUnauthorized:
		e.Err = auth.ErrInvalidToken
	case status == http.StatusForbidden:
		e.Err = ErrForbidden
	case status == http.StatusNotFound, status == http.StatusGone:
		e.Err = ErrNotFound
	case status == http.StatusBadRequest, status == http.StatusUnprocessableEntity:
		e.Err = ErrBadRequest
	case status == http.StatusRequestTimeout, status >= 500:
		e.Err = auth.ErrUnavailable
	}
	if c.errorHook != nil {
		code, msg, id := e.Code, e.Message, e.RequestID
		c.errorHook(e)
		// A hook may copy server text in; it is cleaned like the rest.
		if e.Code != code || e.Message != msg || e.RequestID != id {
			e.clean(sec)
		}
		var rl *auth.RateLimitError
		if errors.As(e.Err, &rl) {
			rl.Message = redact.TextN(rl.Message, maxMessage, sec...)
			rl.RetryAfter = redact.Wait(rl.RetryAfter.Seconds())
		}
	}
	return e
}

// clean makes the server's text in e safe: secrets removed, control
// characters folded, length capped.
func (e *Error) clean(secrets []string) {
	e.Code = redact.TextN(e.Code, maxMessage, secrets...)
	e.Message = redact.TextN(e.Message, maxMessage, secrets...)
	e.RequestID = redact.TextN(e.RequestID, maxMessage, secrets...)
}

// credentialHeaders are request headers that are credentials whatever the
// broker; WithHeader adds the broker's own (an API key).
var credentialHeaders = [...]string{"Authorization", "Proxy-Authorization", "Cookie"}

// credentialParams are query parameters that carry credentials.
var credentialParams = [...]string{"access_token", "api_key", "apikey", "apiKey", "key", "token", "client_secret"}

// isCredentialHeader reports whether the canonical header name k holds a
// credential of this client's requests.
func (c *Client) isCredentialHeader(k string) bool {
	return slices.Contains(credentialHeaders[:], k) || slices.Contains(c.secretHeaders, k)
}

// secrets lists the credentials req carried: its Authorization headers
// (as the authentication transport set them), the headers set with
// WithHeader and the credential query parameters.
func (c *Client) secrets(req *http.Request) []string {
	var out []string
	for _, k := range c.secretHeaders {
		out = append(out, c.header[k]...)
	}
	if req == nil {
		return out
	}
	for _, k := range credentialHeaders {
		for _, v := range req.Header[k] {
			out = append(out, redact.Credentials(v)...)
		}
	}
	for _, k := range c.secretHeaders {
		out = append(out, req.Header[k]...)
	}
	if req.URL != nil && req.URL.RawQuery != "" {
		q := req.URL.Query()
		for _, k := range credentialParams {
			out = append(out, q[k]...)
		}
	}
	return out
}

// safeResponse returns a copy of r whose header values have the secrets
// removed and whose Request (a copy too) carries no credential header or
// query parameter, so that an Error can be logged whole.
func (c *Client) safeResponse(r *http.Response, secrets []string) *http.Response {
	cp := *r
	cp.Header = make(http.Header, len(r.Header))
	for k, vs := range r.Header {
		safe := make([]string, len(vs))
		for i, v := range vs {
			safe[i] = redact.Secrets(v, secrets...)
		}
		cp.Header[k] = safe
	}
	if r.Request != nil {
		req := *r.Request
		req.Header = make(http.Header, len(r.Request.Header))
		for k, vs := range r.Request.Header {
			if !c.isCredentialHeader(http.CanonicalHeaderKey(k)) {
				req.Header[k] = slices.Clone(vs)
			}
		}
		if r.Request.URL != nil {
			u := *r.Request.URL
			if u.RawQuery != "" {
				q := u.Query()
				for _, k := range credentialParams {
					q.Del(k)
				}
				u.RawQuery = q.Encode()
			}
			u.User = nil
			req.URL = &u
		}
		req.Response = nil // a redirect's answer would carry the same headers
		cp.Request = &req
	}
	return &cp
}

// fill sets e's Code, Message and RequestID from an error body: a JSON
// object per f, or short plain text.
func (f *ErrorFields) fill(e *Error, body []byte, contentType string) {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return
	}
	if trimmed[0] != '{' {
		if mt, _, _ := mime.ParseMediaType(contentType); mt == "text/plain" {
			e.Message = string(trimmed)
		}
		return
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal(trimmed, &obj) != nil {
		return
	}
	e.Code = scalar(obj, f.Code)
	e.Message = message(obj, f.Message)
	if e.Code == "" && e.Message == "" {
		// {"error": {"code": ..., "message": ...}}
		for _, n := range append(f.Code[:len(f.Code):len(f.Code)], f.Message...) {
			var inner map[string]json.RawMessage
			if raw, ok := obj[n]; ok && json.Unmarshal(raw, &inner) == nil && inner != nil {
				e.Code = scalar(inner, f.Code)
				e.Message = message(inner, f.Message)
				break
			}
		}
	}
	if e.Code == e.Message {
		e.Message = ""
		if e.Code != "" && !looksLikeCode(e.Code) {
			e.Code, e.Message = "", e.Code
		}
	}
	if e.RequestID == "" {
		e.RequestID = scalar(obj, f.RequestID)
	}
}

// looksLikeCode reports whether s is an identifier rather than prose.
func looksLikeCode(s string) bool { return !strings.ContainsAny(s, " \t\n") }

// scalar returns the first named member that is a non-empty string or a
// number, as text.
func scalar(obj map[string]json.RawMessage, names []string) string {
	for _, n := range names {
		raw, ok := obj[n]
		if !ok || len(raw) == 0 {
			continue
		}
		switch raw[0] {
		case '"':
			var s string
			if json.Unmarshal(raw, &s) == nil && strings.TrimSpace(s) != "" {
				return strings.TrimSpace(s)
			}
		case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
			return string(raw)
		}
	}
	return ""
}

// message returns the first named member that is a non-empty string or
// number, or an array of strings or objects joined with "; ".
func message(obj map[string]json.RawMessage, names []string) string {
	for _, n := range names {
		raw, ok := obj[n]
		if !ok || len(raw) == 0 {
			continue
		}
		if raw[0] == '[' {
			if s := joinMessages(raw, names); s != "" {
				return s
			}
			continue
		}
		if s := scalar(obj, []string{n}); s != "" {
			return s
		}
	}
	return ""
}

func joinMessages(raw json.RawMessage, names []string) string {
	var items []json.RawMessage
	if json.Unmarshal(raw, &items) != nil {
		return ""
	}
	var parts []string
	for _, it := range items {
		if len(it) == 0 {
			continue
		}
		switch it[0] {
		case '"':
			var s string
			if json.Unmarshal(it, &s) == nil && strings.TrimSpace(s) != "" {
				parts = append(parts, strings.TrimSpace(s))
			}
		case '{':
			var o map[string]json.RawMessage
			if json.Unmarshal(it, &o) == nil {
				if s := scalar(o, names); s != "" {
					parts = append(parts, s)
				}
			}
		}
	}
	return strings.Join(parts, "; ")
}
