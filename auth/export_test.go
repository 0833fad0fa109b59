package auth

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/brokerkit/brokerkit/internal/origin"
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

// DecodeTokenResponse is decodeTokenResponse for an answer to
// resp.Request.
func DecodeTokenResponse(provider string, resp *http.Response, now time.Time, fields *Fields) (*Token, error) {
	var req *http.Request
	if resp != nil {
		req = resp.Request
	}
	return decodeTokenResponse(provider, resp, now, fields, req)
}

// MaxResponseBytes is maxResponseBytes.
const MaxResponseBytes = maxResponseBytes

// CheckResponse is checkResponse.
func CheckResponse(resp *http.Response) error { return checkResponse(resp) }

// SetAuthHeader is setAuthHeader.
func (t *Token) SetAuthHeader(r *http.Request) { t.setAuthHeader(r) }

// ExtraString returns the response field key when it is a JSON string.
func (t *Token) ExtraString(key string) string {
	var s string
	if t == nil {
		return s
	}
	if raw, ok := t.Extra[key]; ok {
		_ = json.Unmarshal(raw, &s)
	}
	return s
}

// CheckEndpoint is origin.CheckEndpoint, as the endpoint checks use it.
func CheckEndpoint(raw string) error { return origin.CheckEndpoint(raw) }

// IsLoopback is origin.IsLoopback.
func IsLoopback(host string) bool { return origin.IsLoopback(host) }
