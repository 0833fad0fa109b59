// Package classify reads what an HTTP answer says about itself: its
// rate-limit headers (X-RateLimit-*, Retry-After) and its WWW-Authenticate
// challenges (RFC 9110 §11.6.1, RFC 6750 §3). It is the one reader of these
// headers that auth and the REST clients share; every wait it returns is
// bounded by redact.Wait.
package classify

import (
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/brokerkit/brokerkit/internal/redact"
)

// Canonical header names, so that lookups skip canonicalisation.
const (
	// HdrRetryAfter is the Retry-After header's canonical name.
	HdrRetryAfter = "Retry-After"
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
// milliseconds (above 1e12), whole or fractional; one further off than
// redact.MaxWait (a week) from now is read as now plus that cap, the same
// cap every server-supplied wait gets. A value that is not a finite
// non-negative number leaves reset zero. now is called only when the
// header is present, so the common answer without it costs no clock read.
func ParseRateLimit(h http.Header, now func() time.Time) (limit, remaining int, reset time.Time) {
	limit, remaining = -1, -1
	if v := First(h, hdrLimit); v != "" {
		if n, err := strconv.Atoi(v); err == nil && n >= 0 {
			limit = n
		}
	}
	if v := First(h, hdrRemaining); v != "" {
		if n, err := strconv.Atoi(v); err == nil && n >= 0 {
			remaining = n
		}
	}
	if v := First(h, hdrReset); v != "" {
		reset = parseReset(v, now)
	}
	return limit, remaining, reset
}

// maxEpochMillis is past every date a Unix-millisecond value can name
// without overflowing time.Time's arithmetic (the year 33658).
const maxEpochMillis = 1e15

func parseReset(v string, now func() time.Time) time.Time {
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f < 0 || math.IsNaN(f) || math.IsInf(f, 0) {
		return time.Time{}
	}
	var at time.Time
	switch {
	case f > maxEpochMillis: // as far off as can be: the cap
		return now().Add(redact.Wait(f))
	case f > epochThreshold*1000: // Unix milliseconds
		at = time.UnixMilli(int64(f))
	case f > epochThreshold: // Unix seconds
		sec := math.Floor(f)
		at = time.Unix(int64(sec), int64((f-sec)*1e9))
	default: // seconds from now
		return now().Add(redact.Wait(f))
	}
	n := now()
	if d := at.Sub(n); d > 0 {
		return n.Add(redact.Wait(d.Seconds()))
	}
	return at
}

// First returns the first value of a canonical header key, without the
// canonicalisation cost of Header.Get.
func First(h http.Header, key string) string {
	if v := h[key]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// RetryAfter reads a Retry-After header value, in seconds or as an
// HTTP date relative to now. It returns 0 when the value is absent, bad or
// in the past, and at most redact.MaxWait (a week) however far off the
// server's answer lies.
func RetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		return redact.Wait(float64(n))
	}
	if strings.TrimLeft(v, "0123456789") == "" {
		// All digits, but past int64: a wait longer than any cap.
		return redact.Wait(math.Inf(1))
	}
	if t, err := http.ParseTime(v); err == nil {
		return redact.Wait(t.Sub(now).Seconds())
	}
	return 0
}
