package rest

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"syscall"
	"time"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/internal/classify"
	"github.com/brokerkit/brokerkit/internal/redact"
)

// Response is an HTTP answer whose body has been read and closed.
type Response struct {
	*http.Response
	// RequestID is the broker's ID for the request, from the first of the
	// client's request-ID headers present (or, for an error, its body).
	RequestID string
	// RateLimit holds the X-RateLimit-* figures the answer carried.
	RateLimit RateLimit
	// Attempts is how many times the request was sent (1 unless retried).
	Attempts int
}

// RateLimit is a broker's quota as reported by X-RateLimit-Limit,
// X-RateLimit-Remaining and X-RateLimit-Reset.
type RateLimit struct {
	// Limit and Remaining are -1 when the header was absent or bad.
	Limit, Remaining int
	// Reset is when the quota window resets; zero when not reported.
	Reset time.Time
}

// hdrRetryAfter is canonical, so that lookups skip canonicalisation.
const hdrRetryAfter = "Retry-After"

// ParseRateLimit reads the X-RateLimit-* headers of h. X-RateLimit-Reset is
// accepted as seconds from now or as a Unix epoch in seconds (values above
// 1e9) or milliseconds (above 1e12), whole or fractional; a reset further
// off than the cap on every server-supplied wait (a week) is read as now
// plus that cap, and a value that is no finite non-negative number leaves
// Reset zero.
func ParseRateLimit(h http.Header, now time.Time) RateLimit {
	return parseRateLimit(h, func() time.Time { return now })
}

func parseRateLimit(h http.Header, now func() time.Time) RateLimit {
	var rl RateLimit
	rl.Limit, rl.Remaining, rl.Reset = classify.ParseRateLimit(h, now)
	return rl
}

// first returns the first value of a canonical header key, without the
// canonicalisation cost of Header.Get.
func first(h http.Header, key string) string {
	if v := h[key]; len(v) > 0 {
		return v[0]
	}
	return ""
}

func (c *Client) newResponse(h *http.Response) *Response {
	r := &Response{Response: h, RateLimit: parseRateLimit(h.Header, c.now)}
	for _, k := range c.requestIDHdr {
		if v := first(h.Header, k); v != "" {
			r.RequestID = v
			break
		}
	}
	return r
}

// capReader reads at most n bytes from r and then fails with errTooLarge,
// so a decoder reading from it can neither run past the cap nor mistake a
// truncated body for a complete one. It remembers the first read error
// other than io.EOF, to tell a cut connection from malformed JSON.
type capReader struct {
	r   io.Reader
	n   int64
	err error
}

var errTooLarge = errors.New("body over the limit")

func (cr *capReader) Read(p []byte) (int, error) {
	if cr.err != nil {
		return 0, cr.err
	}
	if cr.n <= 0 {
		// At the cap: only a clean EOF proves the body fits.
		var one [1]byte
		n, err := cr.r.Read(one[:])
		if n > 0 {
			cr.err = errTooLarge
			return 0, cr.err
		}
		if err != nil && err != io.EOF {
			cr.err = err
		}
		return 0, err
	}
	if int64(len(p)) > cr.n {
		p = p[:cr.n]
	}
	n, err := cr.r.Read(p)
	cr.n -= int64(n)
	if err != nil && err != io.EOF {
		cr.err = err
	}
	return n, err
}

// decode reads a 2xx answer into out and closes the body.
func (c *Client) decode(req *http.Request, resp *Response, out any, idempotent bool) error {
	body := resp.Body
	defer body.Close()
	if req.Method == http.MethodHead {
		return nil
	}
	cr := &capReader{r: body, n: c.maxBody}
	if out == nil {
		// Drained so the connection can be reused; what it held does not
		// matter, and the request was carried out.
		_, _ = io.Copy(io.Discard, cr)
		return nil
	}
	var dec *json.Decoder
	if sec := c.secrets(resp.Request); len(sec) > 0 {
		// A successful answer can echo what the request carried (a token
		// in an item's error text): read it whole and take them out before
		// any of it reaches a value the caller keeps or prints.
		raw, err := io.ReadAll(cr)
		if err != nil {
			return c.bodyError(req, resp, cr, err, idempotent)
		}
		dec = json.NewDecoder(bytes.NewReader(redact.Bytes(raw, sec...)))
	} else {
		dec = json.NewDecoder(cr)
	}
	if err := dec.Decode(out); err != nil {
		if err == io.EOF && cr.err == nil {
			return nil // empty body: nothing to decode
		}
		return c.bodyError(req, resp, cr, err, idempotent)
	}
	// Only whitespace may follow the value; reading to EOF also lets the
	// transport reuse the connection.
	if _, err := dec.Token(); err != io.EOF {
		if err == nil {
			err = errors.New("data after the JSON value")
		}
		return c.bodyError(req, resp, cr, err, idempotent)
	}
	return nil
}

// bodyError classifies a failure to read a 2xx body: over the cap, a cut
// connection (retryable only for an idempotent request), or JSON that does
// not fit.
func (c *Client) bodyError(req *http.Request, resp *Response, cr *capReader, err error, idempotent bool) error {
	where := c.prefix() + req.Method + " " + req.URL.EscapedPath()
	switch {
	case cr.err == errTooLarge:
		return fmt.Errorf("%s: %w", where, &auth.ResponseError{StatusCode: resp.StatusCode,
			Reason: fmt.Sprintf("body exceeds the %d-byte limit", c.maxBody), Err: ErrBodyTooLarge})
	case cr.err != nil:
		cause := redactURLError(cr.err)
		ctxErr := req.Context().Err()
		if ctxErr != nil {
			cause = ctxErr
		}
		switch {
		case !idempotent:
			return fmt.Errorf("%s: %w", where, &auth.ResponseError{StatusCode: resp.StatusCode,
				Reason: "answer cut short; the request was carried out", Err: cause})
		case ctxErr != nil:
			return fmt.Errorf("%s: reading response: %w", where, ctxErr)
		}
		return fmt.Errorf("%s: reading response: %w: %w", where, auth.ErrUnavailable, cause)
	}
	return fmt.Errorf("%s: %w", where, &auth.ResponseError{StatusCode: resp.StatusCode,
		Reason: "malformed JSON", Err: err})
}

// transportError reports a request that got no answer, without its URL.
func (c *Client) transportError(ctx context.Context, req *http.Request, err error) error {
	where := c.prefix() + req.Method + " " + req.URL.EscapedPath()
	cause := redactURLError(err)
	if ctxErr := ctx.Err(); ctxErr != nil {
		return fmt.Errorf("%s: %w", where, ctxErr)
	}
	if isNetworkError(cause) {
		return fmt.Errorf("%s: %w: %w", where, auth.ErrUnavailable, cause)
	}
	// Errors from the auth transport (a refused refresh, say) keep their
	// own class; a certificate failure is not worth repeating.
	return fmt.Errorf("%s: %w", where, cause)
}

// isNetworkError reports whether err is a connection-level failure worth a
// retry: refused, reset, cut, timed out. Certificate failures are not.
func isNetworkError(err error) bool {
	var cve *tls.CertificateVerificationError
	if errors.As(err, &cve) {
		return false
	}
	var ne net.Error
	return errors.As(err, &ne) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNREFUSED) ||
		errors.Is(err, syscall.EPIPE)
}
