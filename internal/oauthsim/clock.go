package oauthsim

import (
	"sync"
	"time"
)

// TestClock is a settable clock shared by an emulator and the SDK under
// test, so that expiry can be tested without sleeping. It is safe for
// concurrent use. Pass its Now method value wherever a func() time.Time is
// wanted (Config.Now here, auth.Config.Now and auth.FlowOptions.Now in the SDK).
type TestClock struct {
	mu  sync.Mutex
	now time.Time
}

// NewTestClock returns a clock that reads start until moved. A zero start
// means the current time truncated to the second: close to the wall clock,
// so that code which still reads time.Now (auth.Flow.Complete does) agrees
// with it until the test moves it.
func NewTestClock(start time.Time) *TestClock {
	if start.IsZero() {
		start = time.Now().UTC().Truncate(time.Second)
	}
	return &TestClock{now: start}
}

// Now returns the clock's current time.
func (c *TestClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d (backward when d is negative).
func (c *TestClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// Set moves the clock to t.
func (c *TestClock) Set(t time.Time) {
	c.mu.Lock()
	c.now = t
	c.mu.Unlock()
}
