package auth_test

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/brokerkit/brokerkit/auth"
)

// maxServerWait is the longest wait a server may impose through
// Retry-After: the classifier refuses delta-seconds above a week.
const maxServerWait = 7 * 24 * time.Hour

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

// printable fails t when s, text bound for an error message, holds a
// control character or invalid UTF-8.
func printable(t *testing.T, what, s string) {
	t.Helper()
	if strings.IndexFunc(s, unicode.IsControl) >= 0 || !utf8.ValidString(s) {
		t.Fatalf("%s carries control characters or invalid UTF-8: %q", what, s)
	}
}

// FuzzCheckResponse sends arbitrary answers through CheckResponse, the
// classification of a resource server's answer: WWW-Authenticate,
// Retry-After, X-RateLimit-* and the body. Whatever the answer, it must
// not panic; a status below 400 is no error and every other status gets
// its typed class; waits are never negative nor above maxServerWait; the
// quota figures are -1 or more; the error text has no control character;
// and the body is still there, whole, for the caller's own decoding.
func FuzzCheckResponse(f *testing.F) {
	type seed struct {
		status                                    int
		challenge, retryAfter, limit, left, reset string
		body                                      string
	}
	for _, s := range []seed{
		{401, `Bearer realm="api", error="invalid_token", error_description="The access token expired"`, "", "", "", "", `{"error":"x"}`},
		{403, `Bearer error="insufficient_scope", scope="read trade", error_description="needs \"trade\""`, "", "", "", "", ""},
		{401, `Basic realm="x", Bearer error="a` + "\t" + `b", error_description="c` + "\t" + `d"`, "", "", "", "", "<html>"},
		{429, "", "120", "60", "0", "1795435200", `{"message":"slow down"}`},
		{429, "", "Sun, 06 Nov 1994 08:49:37 GMT", "-1", "x", "1795435200123", ""},
		{429, "", "-5", "9223372036854775808", "1e3", "86400.5", ""},
		{503, "", "30", "", "", "", "Service Unavailable"},
		{408, "", "", "", "", "", ""},
		{200, "Bearer error=invalid_token", "", "", "", "", ""},
		{403, "Bearer", "", "", "", "", "Quota Exceeded"},
		{401, "", "", "", "", "", "\x00\xff"},
	} {
		f.Add(s.status, s.challenge, s.retryAfter, s.limit, s.left, s.reset, []byte(s.body))
	}
	f.Fuzz(func(t *testing.T, status int, challenge, retryAfter, limit, left, reset string, body []byte) {
		for _, v := range []string{challenge, retryAfter, limit, left, reset} {
			if !headerValue(v) {
				return
			}
		}
		if status < 100 || status > 599 {
			status = 100 + (status%500+500)%500
		}
		h := http.Header{}
		for k, v := range map[string]string{"Www-Authenticate": challenge, "Retry-After": retryAfter,
			"X-Ratelimit-Limit": limit, "X-Ratelimit-Remaining": left, "X-Ratelimit-Reset": reset} {
			if v != "" {
				h.Set(k, v)
			}
		}
		resp := &http.Response{StatusCode: status, Header: h, Body: io.NopCloser(bytes.NewReader(body))}
		err := auth.CheckResponse(resp)
		if rest, rerr := io.ReadAll(resp.Body); rerr != nil || !bytes.Equal(rest, body) {
			t.Fatalf("body not put back whole: %q of %q (%v)", rest, body, rerr)
		}
		if status < 400 {
			if err != nil {
				t.Fatalf("HTTP %d gave %v", status, err)
			}
			return
		}
		if err == nil {
			t.Fatalf("HTTP %d gave no error", status)
		}
		printable(t, "error", err.Error())

		var (
			rl    *auth.RateLimitError
			oe    *auth.OAuthError
			scope *auth.OAuthError
			he    *auth.HTTPError
		)
		switch {
		case errors.As(err, &rl):
			if status != http.StatusTooManyRequests || !errors.Is(err, auth.ErrRateLimited) || !errors.Is(err, auth.ErrUnavailable) {
				t.Fatalf("HTTP %d classified as a rate limit: %v", status, err)
			}
			if rl.RetryAfter < 0 || rl.RetryAfter > maxServerWait {
				t.Fatalf("Retry-After %q gave a wait of %v", retryAfter, rl.RetryAfter)
			}
			if rl.Limit < -1 || rl.Remaining < -1 {
				t.Fatalf("quota figures %d/%d from %q/%q", rl.Limit, rl.Remaining, limit, left)
			}
			if !rl.Reset.IsZero() && (rl.Reset.Before(time.Unix(0, 0)) || rl.Reset.Year() > 5138) {
				t.Fatalf("X-RateLimit-Reset %q gave %v", reset, rl.Reset)
			}
		case errors.As(err, &scope) && strings.EqualFold(scope.Code, "insufficient_scope"):
			if status != 401 && status != 403 || !errors.Is(err, auth.ErrInsufficientScope) {
				t.Fatalf("HTTP %d classified as insufficient scope: %v", status, err)
			}
			for _, s := range scope.Scope {
				printable(t, "scope", s)
			}
			printable(t, "description", scope.Description)
		case errors.As(err, &oe):
			if status != 401 && status != 403 || oe.Code == "" {
				t.Fatalf("HTTP %d classified as an OAuth error %+v", status, oe)
			}
			for _, s := range []string{oe.Code, oe.Description, oe.URI} {
				printable(t, "OAuth error field", s)
			}
		case errors.As(err, &he):
			if he.StatusCode != status || len(he.Body) > 512 || !bytes.HasPrefix(body, he.Body) {
				t.Fatalf("HTTP %d gave %+v", status, he)
			}
			if retryable := status >= 500 || status == 408; errors.Is(err, auth.ErrUnavailable) != retryable {
				t.Fatalf("HTTP %d: matches ErrUnavailable %v", status, !retryable)
			}
			if errors.Is(err, auth.ErrInvalidToken) != (status == 401) {
				t.Fatalf("HTTP %d: matches ErrInvalidToken %v", status, status != 401)
			}
			noBody := *he
			noBody.Body = nil
			if noBody.Error() != he.Error() {
				t.Fatalf("error text depends on the body: %v", err)
			}
		default:
			t.Fatalf("HTTP %d gave an untyped %T: %v", status, err, err)
		}
	})
}
