package rest

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/internal/classify"
	"github.com/brokerkit/brokerkit/internal/redact"
)

// RetryPolicy is the retry budget of idempotent requests (GET, HEAD, and
// PUT, DELETE or PATCH marked Idempotent). A request is retried after a
// 429, a 408, a 5xx or a connection failure, never after any other answer,
// never once its context is done, and never when it is a POST.
//
// The wait before a retry is the server's Retry-After (or, for a rate
// limit, the time until X-RateLimit-Reset) when it gave one, never more
// than a week however far off the server's answer lies; otherwise an
// exponential backoff with full jitter: a random duration between 0 and
// BaseDelay·2^(n-1), at most MaxDelay. A retry whose wait would overrun
// MaxWait, or the context's deadline, is not made: the last error is
// returned at once.
type RetryPolicy struct {
	// MaxAttempts counts every send, the first included. 0 means 3; 1 (or
	// less) disables retries.
	MaxAttempts int
	// BaseDelay is the first backoff ceiling. 0 means 250ms.
	BaseDelay time.Duration
	// MaxDelay caps one backoff wait. 0 means 8s. It does not shorten a
	// server's Retry-After, which only MaxWait (and the week every server
	// wait is capped at) bounds.
	MaxDelay time.Duration
	// MaxWait caps the total time one call spends waiting between
	// attempts. 0 means 30s.
	MaxWait time.Duration
}

func (p RetryPolicy) withDefaults() RetryPolicy {
	switch {
	case p.MaxAttempts == 0:
		p.MaxAttempts = 3
	case p.MaxAttempts < 0:
		p.MaxAttempts = 1
	}
	if p.BaseDelay <= 0 {
		p.BaseDelay = 250 * time.Millisecond
	}
	if p.MaxDelay <= 0 {
		p.MaxDelay = 8 * time.Second
	}
	if p.MaxDelay < p.BaseDelay {
		p.MaxDelay = p.BaseDelay
	}
	if p.MaxWait <= 0 {
		p.MaxWait = 30 * time.Second
	}
	return p
}

// shouldRetry reports whether err belongs to the retryable class: rate
// limits, 5xx and connection failures all match auth.ErrUnavailable.
func shouldRetry(err error) bool {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	return errors.Is(err, auth.ErrUnavailable)
}

// wait returns how long to sleep before attempt+1, and false when the
// remaining budget cannot cover it.
func (p RetryPolicy) wait(attempt int, err error, now time.Time, remaining time.Duration) (time.Duration, bool) {
	if remaining <= 0 {
		return 0, false
	}
	if d := serverWait(err, now); d > 0 {
		return d, d <= remaining
	}
	ceil := p.MaxDelay
	if shift := attempt - 1; shift < 30 {
		if c := p.BaseDelay << shift; c > 0 && c < ceil {
			ceil = c
		}
	}
	d := time.Duration(rand.Int64N(int64(ceil) + 1))
	return min(d, remaining), true
}

// serverWait is the wait the server asked for: Retry-After, or the time
// until a rate limit's reset, bounded like every server-supplied wait by
// redact.Wait (a hint an error hook built is bounded here too).
func serverWait(err error, now time.Time) time.Duration {
	var rl *auth.RateLimitError
	if errors.As(err, &rl) {
		if rl.RetryAfter > 0 {
			return redact.Wait(rl.RetryAfter.Seconds())
		}
		if !rl.Reset.IsZero() {
			return redact.Wait(rl.Reset.Sub(now).Seconds())
		}
		return 0
	}
	var e *Error
	if errors.As(err, &e) && e.Response != nil {
		return classify.RetryAfter(first(e.Response.Header, hdrRetryAfter), now)
	}
	return 0
}

// sleepCtx waits for d or until ctx is done, whichever comes first.
func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
