package auth

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/brokerkit/brokerkit/internal/classify"
)

func TestNewRateLimitError(t *testing.T) {
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	h := http.Header{}
	h.Set("Retry-After", "7")
	h.Set("X-RateLimit-Limit", "250")
	h.Set("X-RateLimit-Remaining", "0")
	for reset, want := range map[string]time.Time{
		"30":                 now.Add(30 * time.Second),     // a delta
		"1795435200":         time.Unix(1795435200, 0),      // epoch seconds
		"1795435200500":      time.UnixMilli(1795435200500), // epoch milliseconds
		"999999999999999999": now.Add(7 * 24 * time.Hour),   // far off: capped
		"-3":                 {},
	} {
		h.Set("X-RateLimit-Reset", reset)
		e := newRateLimitError(429, h, now, "Rate quota exceeded")
		assert.True(t, want.Equal(e.Reset), "reset %s: got %v", reset, e.Reset)
		assert.Equal(t, 7*time.Second, e.RetryAfter)
		assert.Equal(t, 250, e.Limit)
		assert.Equal(t, 0, e.Remaining)
		assert.ErrorIs(t, e, ErrRateLimited)
		assert.Contains(t, e.Error(), "Rate quota exceeded")
	}
	e := newRateLimitError(429, http.Header{}, now, "")
	assert.Equal(t, -1, e.Limit, "absent figures are -1, not 0")
	assert.Zero(t, e.RetryAfter)
}

// TestServerWaitsAreCapped: every wait a server asks for, in every form,
// is bounded by one cap (a week): Retry-After in seconds or as a date (the
// year 9999 included), X-RateLimit-Reset as a delta or an epoch; negative
// and malformed values mean no wait.
func TestServerWaitsAreCapped(t *testing.T) {
	const week = 7 * 24 * time.Hour
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	for v, want := range map[string]time.Duration{
		"Fri, 31 Dec 9999 23:59:59 GMT": week,
		"Sun, 29 Nov 2026 12:00:01 GMT": week,
		"Sun, 22 Nov 2026 12:01:00 GMT": time.Minute,
		"Sun, 22 Nov 2026 11:00:00 GMT": 0,
		"99999999999999999999999":       week,
		"9223372036854775807":           week,
		"604801":                        week,
		"604799":                        week - time.Second,
		"-1":                            0,
		"-99999999999999999999":         0,
		"1e9":                           0,
	} {
		assert.Equal(t, want, classify.RetryAfter(v, now), "Retry-After %q", v)
	}
	for v, want := range map[string]time.Time{
		"9999999999.5":    now.Add(week), // 2286, as Unix seconds
		"253402300799":    now.Add(week), // 9999-12-31 as Unix seconds
		"253402300799000": now.Add(week), // 9999-12-31 as Unix milliseconds
		"1e300":           now.Add(week),
		"99999999":        now.Add(week), // a delta of three years
		"604800":          now.Add(week),
		"3600":            now.Add(time.Hour),
		"1795435200":      time.Unix(1795435200, 0), // within the week: kept exactly
		"1763812800":      time.Unix(1763812800, 0), // in the past: kept
		"-1":              {},
		"NaN":             {},
		"soon":            {},
	} {
		h := http.Header{}
		h.Set("X-RateLimit-Reset", v)
		h.Set("Retry-After", "Fri, 31 Dec 9999 23:59:59 GMT")
		e := newRateLimitError(429, h, now, "")
		assert.True(t, want.Equal(e.Reset), "X-RateLimit-Reset %q: got %v want %v", v, e.Reset, want)
		assert.Equal(t, week, e.RetryAfter)
		assert.NotContains(t, e.Error(), "h0m0s; retry after 2", "no wait of years in the message")
	}
}
