package rest_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/internal/rest"
)

// FuzzClassify sends a GET through a client whose broker always gives the
// same arbitrary answer: status, Content-Type, Retry-After, X-RateLimit-*
// and X-Request-Id headers, and body. Whatever the answer, the call must
// not panic; a failure is a *rest.Error of the status's class (or, for a
// 2xx whose body does not decode, an auth.ErrInvalidResponse); every wait
// before a retry is neither negative nor beyond the policy's MaxWait, nor
// are the waits together; and the error text has no control character.
func FuzzClassify(f *testing.F) {
	type seed struct {
		status                          int
		ctype, retryAfter, reset, limit string
		requestID, body                 string
	}
	for _, s := range []seed{
		{429, "application/json", "2", "", "60", "r-1", `{"message":"slow down"}`},
		{429, "", "Sun, 06 Nov 1994 08:49:37 GMT", "1795435230", "x", "", ""},
		{429, "", "", "1795435200500", "", "", ""},
		{503, "text/plain", "45", "", "", "", "maintenance\r\nX-Forged: 1"},
		{500, "application/json", "", "", "", "", `{"Error":"InternalServerError","Message":"boom","TraceId":"t\u0007"}`},
		{401, "application/json", "", "", "", "", `{"error":"invalid_token"}`},
		{403, "text/html", "", "", "", "", "<html>Quota Exceeded</html>"},
		{404, "application/json", "", "", "", "", `{"Errors":["a",{"Message":"b"}]}`},
		{422, "application/json", "", "", "", "", `{"error":{"code":7,"message":"bad"}}`},
		{408, "", "-1", "-5", "-1", "", ""},
		{200, "application/json", "", "", "", "", `{"a":1} x`},
		{204, "", "", "", "", "", ""},
	} {
		f.Add(s.status, s.ctype, s.retryAfter, s.reset, s.limit, s.requestID, []byte(s.body))
	}
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	policy := rest.RetryPolicy{MaxAttempts: 4, BaseDelay: time.Second, MaxDelay: 4 * time.Second, MaxWait: 30 * time.Second}
	f.Fuzz(func(t *testing.T, status int, ctype, retryAfter, reset, limit, requestID string, body []byte) {
		for _, v := range []string{ctype, retryAfter, reset, limit, requestID} {
			if !headerValue(v) {
				return
			}
		}
		if status < 200 || status > 599 {
			status = 200 + (status%400+400)%400
		}
		if status >= 300 && status < 400 {
			status += 100 // redirects are the http.Client's business
		}
		h := http.Header{}
		for k, v := range map[string]string{"Content-Type": ctype, "Retry-After": retryAfter,
			"X-Ratelimit-Reset": reset, "X-Ratelimit-Limit": limit, "X-Request-Id": requestID} {
			if v != "" {
				h.Set(k, v)
			}
		}
		hc := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
			return &http.Response{StatusCode: status, Header: h.Clone(), Request: r,
				Body: io.NopCloser(bytes.NewReader(body)), ContentLength: int64(len(body))}, nil
		})}
		c, err := rest.New("https://api.example.com/v3", hc, rest.WithName("fuzz"), rest.WithRetry(policy))
		if err != nil {
			t.Fatal(err)
		}
		rest.SetNow(c, func() time.Time { return now })
		var waits []time.Duration
		rest.SetSleep(c, func(ctx context.Context, d time.Duration) error {
			waits = append(waits, d)
			return nil
		})

		var out any
		resp, err := c.Get(context.Background(), "accounts/1", nil, &out)

		var total time.Duration
		for _, d := range waits {
			if d < 0 || d > policy.MaxWait {
				t.Fatalf("waited %v (Retry-After %q, reset %q)", d, retryAfter, reset)
			}
			total += d
		}
		if total > policy.MaxWait {
			t.Fatalf("waited %v in all, over MaxWait %v (%v)", total, policy.MaxWait, waits)
		}
		if resp != nil && resp.Attempts != len(waits)+1 {
			t.Fatalf("%d attempts after %d waits", resp.Attempts, len(waits))
		}
		if err == nil {
			if status >= 400 {
				t.Fatalf("HTTP %d gave no error", status)
			}
			return
		}
		if strings.IndexFunc(err.Error(), unicode.IsControl) >= 0 || !utf8.ValidString(err.Error()) {
			t.Fatalf("error text carries control characters: %q", err.Error())
		}
		if status < 300 {
			if !errors.Is(err, auth.ErrInvalidResponse) {
				t.Fatalf("HTTP %d body %q: untyped %v", status, body, err)
			}
			return
		}
		var e *rest.Error
		if !errors.As(err, &e) || e.StatusCode != status {
			t.Fatalf("HTTP %d gave %T %v", status, err, err)
		}
		for _, s := range []string{e.Code, e.Message, e.RequestID} {
			if strings.IndexFunc(s, unicode.IsControl) >= 0 {
				t.Fatalf("control character kept in %q", s)
			}
		}
		var rl *auth.RateLimitError
		switch {
		case status == http.StatusTooManyRequests:
			if !errors.As(err, &rl) || !errors.Is(err, auth.ErrRateLimited) || !errors.Is(err, auth.ErrUnavailable) {
				t.Fatalf("HTTP 429 gave %v", err)
			}
			if rl.RetryAfter < 0 || rl.Limit < -1 || rl.Remaining < -1 {
				t.Fatalf("rate limit %+v from Retry-After %q", rl, retryAfter)
			}
		case status == http.StatusUnauthorized && !errors.Is(err, auth.ErrInvalidToken),
			status == http.StatusForbidden && !errors.Is(err, rest.ErrForbidden),
			(status == http.StatusNotFound || status == http.StatusGone) && !errors.Is(err, rest.ErrNotFound),
			(status == http.StatusBadRequest || status == http.StatusUnprocessableEntity) && !errors.Is(err, rest.ErrBadRequest),
			(status == http.StatusRequestTimeout || status >= 500) && !errors.Is(err, auth.ErrUnavailable),
			status < 500 && status != http.StatusRequestTimeout && status != http.StatusTooManyRequests && errors.Is(err, auth.ErrUnavailable):
			t.Fatalf("HTTP %d classified as %v", status, e.Err)
		}
	})
}

// headerValue reports whether v can arrive as a header value through
// net/http, which refuses control characters other than tab in responses.
func headerValue(v string) bool {
	for i := 0; i < len(v); i++ {
		if c := v[i]; (c < 0x20 && c != '\t') || c == 0x7f {
			return false
		}
	}
	return true
}
