package rest

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/brokerkit/brokerkit/auth"
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
	// diagnosis. It is never part of Error().
	Body []byte
	// Response is the answer; its body has been read and closed.
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

// RateLimitErrorFrom builds the *auth.RateLimitError for a rate-limit answer
// from its Retry-After and X-RateLimit-* headers, with message as the
// broker's text. Error hooks use it to classify exotic answers.
func RateLimitErrorFrom(resp *http.Response, message string, now time.Time) *auth.RateLimitError {
	return auth.NewRateLimitError(resp.StatusCode, resp.Header, now, message)
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
	e := &Error{
		Name:       c.name,
		Method:     method,
		Path:       path,
		StatusCode: status,
		RequestID:  clip(resp.RequestID), // a header: any length, any byte but CR and LF
		Response:   resp.Response,
	}
	if len(raw) > 0 {
		e.Body = bytes.Clone(raw[:min(len(raw), maxErrorBody)])
	}
	c.fields.fill(e, raw, resp.Header.Get("Content-Type"))
	if resp.RequestID == "" {
		resp.RequestID = e.RequestID
	}

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
		c.errorHook(e)
	}
	return e
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
			e.Message = clip(string(trimmed))
		}
		return
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal(trimmed, &obj) != nil {
		return
	}
	e.Code = clip(scalar(obj, f.Code))
	e.Message = clip(message(obj, f.Message))
	if e.Code == "" && e.Message == "" {
		// {"error": {"code": ..., "message": ...}}
		for _, n := range append(f.Code[:len(f.Code):len(f.Code)], f.Message...) {
			var inner map[string]json.RawMessage
			if raw, ok := obj[n]; ok && json.Unmarshal(raw, &inner) == nil && inner != nil {
				e.Code = clip(scalar(inner, f.Code))
				e.Message = clip(message(inner, f.Message))
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
		e.RequestID = clip(scalar(obj, f.RequestID))
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

// clip bounds a message to maxMessage bytes without splitting a rune and
// folds control characters (C0, DEL and C1, whose NEL some log viewers
// break lines at), so a hostile answer cannot forge log lines. It is
// auth's cleanText with a longer limit.
func clip(s string) string {
	if len(s) > maxMessage {
		cut := maxMessage
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return ' '
		}
		return r
	}, s)
}
