package auth

import (
	"math"
	"net/http"
	"strconv"
	"time"
)

// Canonical header names, so that lookups skip canonicalisation.
const (
	hdrRetryAfter = "Retry-After"
	hdrLimit      = "X-Ratelimit-Limit"
	hdrRemaining  = "X-Ratelimit-Remaining"
	hdrReset      = "X-Ratelimit-Reset"
)

// epochThreshold separates the two meanings brokers give X-RateLimit-Reset:
// a value above it (2001-09-09 as Unix seconds) is an epoch, anything
// smaller is seconds from now.
const epochThreshold = 1e9

// ParseRateLimit reads an answer's X-RateLimit-Limit, -Remaining and -Reset
// headers. Limit and remaining are -1 when absent. Reset is accepted as
// seconds from now or as a Unix epoch in seconds (values above 1e9) or
// milliseconds (above 1e12), whole or fractional; a value that is none of
// these credibly (a delta over a week, a date past the year 5138) leaves
// reset zero. now is called only for a delta, so the common answer without
// these headers costs no clock read.
func ParseRateLimit(h http.Header, now func() time.Time) (limit, remaining int, reset time.Time) {
	limit, remaining = -1, -1
	if v := first(h, hdrLimit); v != "" {
		if n, err := strconv.Atoi(v); err == nil && n >= 0 {
			limit = n
		}
	}
	if v := first(h, hdrRemaining); v != "" {
		if n, err := strconv.Atoi(v); err == nil && n >= 0 {
			remaining = n
		}
	}
	if v := first(h, hdrReset); v != "" {
		reset = parseReset(v, now)
	}
	return limit, remaining, reset
}

// NewRateLimitError builds the *RateLimitError of a rate-limit answer from
// its status, its Retry-After and X-RateLimit-* headers and the server's
// message, if any. now is the moment the answer arrived.
func NewRateLimitError(status int, h http.Header, now time.Time, msg string) *RateLimitError {
	limit, remaining, reset := ParseRateLimit(h, func() time.Time { return now })
	return &RateLimitError{StatusCode: status, Message: cleanText(msg), Limit: limit, Remaining: remaining,
		Reset: reset, RetryAfter: ParseRetryAfter(first(h, hdrRetryAfter), now)}
}

func parseReset(v string, now func() time.Time) time.Time {
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f < 0 || math.IsNaN(f) || math.IsInf(f, 0) {
		return time.Time{}
	}
	switch {
	case f > epochThreshold*1e5: // past the year 5138 even in milliseconds
		return time.Time{}
	case f > epochThreshold*1000: // Unix milliseconds
		return time.UnixMilli(int64(f))
	case f > epochThreshold*100: // past the year 5138 in seconds
		return time.Time{}
	case f > epochThreshold: // Unix seconds
		sec := math.Floor(f)
		return time.Unix(int64(sec), int64((f-sec)*1e9))
	case f > 7*24*3600: // neither a credible delta nor an epoch
		return time.Time{}
	default:
		return now().Add(time.Duration(f * float64(time.Second)))
	}
}

// first returns the first value of a canonical header key, without the
// canonicalisation cost of Header.Get.
func first(h http.Header, key string) string {
	if v := h[key]; len(v) > 0 {
		return v[0]
	}
	return ""
}
