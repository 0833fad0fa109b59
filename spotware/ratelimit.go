package spotware

import (
	"context"
	"sync"
	"time"
)

// limitWindow is the window a limiter counts in: a second, plus a margin
// so that arrival jitter cannot squeeze n+1 requests into the server's
// second.
const limitWindow = time.Second + 100*time.Millisecond

// limiter keeps at most n sends in any one-second window, a guarantee a
// token bucket with a burst of n does not give (it allows nearly 2n
// across a window boundary). One per connection and class, as cTrader
// counts per connection.
type limiter struct {
	mu   sync.Mutex
	ring []time.Time // the last n send times, oldest at next
	next int
}

func newLimiter(perSecond int) *limiter {
	if perSecond <= 0 {
		return nil
	}
	return &limiter{ring: make([]time.Time, perSecond)}
}

// wait reserves a send slot, sleeping until the n-th most recent send is a
// second old or ctx ends.
func (l *limiter) wait(ctx context.Context) error {
	if l == nil {
		return nil
	}
	for {
		l.mu.Lock()
		now := time.Now()
		oldest := l.ring[l.next]
		if oldest.IsZero() || now.Sub(oldest) >= limitWindow {
			l.ring[l.next] = now
			l.next = (l.next + 1) % len(l.ring)
			l.mu.Unlock()
			return nil
		}
		need := limitWindow - now.Sub(oldest)
		l.mu.Unlock()
		t := time.NewTimer(need)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}
