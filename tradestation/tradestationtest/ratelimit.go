package tradestationtest

import (
	"net/http"
	"strconv"
	"sync"
	"time"
)

// RateLimits are the emulator's quotas, counted per user and resource in
// fixed windows that start with the first request (TradeStation documents
// both fixed and rolling windows; fixed ones are easier to test against).
// A zero limit means unlimited.
type RateLimits struct {
	// Accounts is the v3 quota of accounts, balances and positions calls;
	// order reads (orders, historical orders) are counted apart against
	// the same figure, as TradeStation lists them beside each other.
	Accounts int
	// Quotes is the v3 quote-snapshot quota; bar charts are counted apart
	// against the same figure. Order execution and symbol details have no
	// documented quota and are not counted.
	Quotes int
	// V2 is WebAPI v2's quota per category (accounts, quotes); over it v2
	// answers 403 "Quota Exceeded".
	V2 int
	// Window is the quota period; zero means five minutes.
	Window time.Duration
	// ResetEpoch sends X-RateLimit-Reset as Unix seconds instead of
	// seconds until the reset (sources disagree on the unit).
	ResetEpoch bool
}

// DefaultRateLimits are the current documented figures: 320 account calls
// and 500 quote snapshots per 5 minutes (v3), 250 per category (v2).
func DefaultRateLimits() RateLimits {
	return RateLimits{Accounts: 320, Quotes: 500, V2: 250, Window: 5 * time.Minute}
}

type window struct {
	start time.Time
	used  int
}

type limiter struct {
	l   RateLimits
	now func() time.Time
	mu  sync.Mutex
	w   map[string]*window
}

func newLimiter(l RateLimits, now func() time.Time) *limiter {
	if l.Window <= 0 {
		l.Window = 5 * time.Minute
	}
	return &limiter{l: l, now: now, w: map[string]*window{}}
}

// quota is one counted request's standing.
type quota struct {
	limit, remaining int
	reset            time.Time
	resource         string
	exceeded         bool
}

// take counts a request of user against resource's limit.
func (l *limiter) take(user, resource string, limit int) *quota {
	if limit <= 0 {
		return nil
	}
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	k := user + "\x00" + resource
	w := l.w[k]
	if w == nil || !now.Before(w.start.Add(l.l.Window)) {
		w = &window{start: now}
		l.w[k] = w
	}
	q := &quota{limit: limit, reset: w.start.Add(l.l.Window), resource: resource}
	if w.used >= limit {
		q.exceeded = true
		return q
	}
	w.used++
	q.remaining = limit - w.used
	return q
}

// setHeaders writes the X-RateLimit-* headers of q.
func (l *limiter) setHeaders(h http.Header, q *quota) {
	if q == nil {
		return
	}
	h.Set("X-RateLimit-Limit", strconv.Itoa(q.limit))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(q.remaining))
	if l.l.ResetEpoch {
		h.Set("X-RateLimit-Reset", strconv.FormatInt(q.reset.Unix(), 10))
	} else {
		secs := int64((q.reset.Sub(l.now()) + time.Second - 1) / time.Second)
		h.Set("X-RateLimit-Reset", strconv.FormatInt(max(secs, 0), 10))
	}
	h.Set("X-RateLimit-Period", strconv.FormatInt(int64(l.l.Window/time.Second), 10))
	h.Set("X-RateLimit-Resource", q.resource)
}
