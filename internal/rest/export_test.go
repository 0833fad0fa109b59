package rest

import (
	"context"
	"time"
)

// SetSleep replaces the client's ctx-aware sleep, so that retry tests run
// without waiting.
func SetSleep(c *Client, f func(context.Context, time.Duration) error) { c.sleep = f }

// SetNow replaces the client's clock.
func SetNow(c *Client, f func() time.Time) { c.now = f }

// SleepCtx is the client's own sleep, for tests that wrap it.
var SleepCtx = sleepCtx
