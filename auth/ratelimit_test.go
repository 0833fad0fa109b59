package auth_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/brokerkit/brokerkit/auth"
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
		"999999999999999999": {},                            // no credible date
		"-3":                 {},
	} {
		h.Set("X-RateLimit-Reset", reset)
		e := auth.NewRateLimitError(429, h, now, "Rate quota exceeded")
		assert.True(t, want.Equal(e.Reset), "reset %s: got %v", reset, e.Reset)
		assert.Equal(t, 7*time.Second, e.RetryAfter)
		assert.Equal(t, 250, e.Limit)
		assert.Equal(t, 0, e.Remaining)
		assert.ErrorIs(t, e, auth.ErrRateLimited)
		assert.Contains(t, e.Error(), "Rate quota exceeded")
	}
	e := auth.NewRateLimitError(429, http.Header{}, now, "")
	assert.Equal(t, -1, e.Limit, "absent figures are -1, not 0")
	assert.Zero(t, e.RetryAfter)
}
