package auth

import (
	"context"
	"time"
)

// Test-only views of unexported helpers, for the package's external tests.

// CheckRedirectURL is checkRedirectURL.
func CheckRedirectURL(raw string) error { return checkRedirectURL(raw) }

// ExpiresWithin is expiresWithin.
func (t *Token) ExpiresWithin(now time.Time, d time.Duration) bool { return t.expiresWithin(now, d) }

// Defaults, as the tests check them.
const (
	DefaultFlowLimit = defaultFlowLimit
	DefaultFlowTTL   = defaultFlowTTL
)

// Invalidate is invalidate.
func (s *Source) Invalidate(stale *Token) { s.invalidate(stale) }

// Touch is touch.
func (s *Source) Touch(ctx context.Context, used *Token) error { return s.touch(ctx, used) }

// Len is pending.
func (s *FlowStore) Len() int { return s.pending() }
