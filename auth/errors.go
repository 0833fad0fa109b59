package auth

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/brokerkit/brokerkit/internal/classify"
	"github.com/brokerkit/brokerkit/internal/origin"
	"github.com/brokerkit/brokerkit/internal/redact"
)

// Sentinel errors. Every error returned by this package and by the broker
// packages matches at most a few of these with errors.Is; the structured
// types below (OAuthError, RateLimitError, HTTPError, ResponseError) carry the
// details and are reached with errors.As.
var (
	// ErrReauthRequired means the user must log in again: the refresh token
	// was refused (invalid_grant), revoked or expired, or the provider has no
	// refresh grant and the access token has lapsed.
	ErrReauthRequired = errors.New("re-authorization required")
	// ErrInvalidClient means the provider refused the client credentials.
	ErrInvalidClient = errors.New("invalid client credentials")
	// ErrStateMismatch means a callback's state does not belong to the flow.
	ErrStateMismatch = errors.New("state mismatch")
	// ErrIssuerMismatch means a callback carried an iss parameter (RFC 9207)
	// other than the expected issuer: a possible mix-up attack.
	ErrIssuerMismatch = errors.New("issuer mismatch")
	// ErrFlowExpired means the login flow outlived its time limit.
	ErrFlowExpired = errors.New("login flow expired")
	// ErrFlowUsed means a flow was completed before; a callback is single use.
	ErrFlowUsed = errors.New("login flow already used")
	// ErrMissingCode means a callback carried neither a code nor an error.
	ErrMissingCode = errors.New("callback has no authorization code")
	// ErrBadCallback means a callback query is malformed: a parameter
	// repeated, or a value too long to be genuine.
	ErrBadCallback = errors.New("malformed callback")
	// ErrAccessDenied means the user or the provider declined the request.
	ErrAccessDenied = errors.New("access denied")
	// ErrUnsupported means the provider does not offer the requested grant
	// or feature; Capabilities tells in advance.
	ErrUnsupported = errors.New("not supported by this provider")
	// ErrInsufficientScope means the token lacks a scope the call needs.
	ErrInsufficientScope = errors.New("insufficient scope")
	// ErrInvalidToken means a resource server refused the access token.
	ErrInvalidToken = errors.New("invalid access token")
	// ErrRateLimited matches every *RateLimitError.
	ErrRateLimited = errors.New("rate limited")
	// ErrUnavailable is the retryable class: 5xx answers, temporarily
	// unavailable servers and cut connections. *RateLimitError matches it too.
	ErrUnavailable = errors.New("provider unavailable")
	// ErrInvalidResponse means a provider's answer could not be used:
	// malformed or oversized body, missing access token, absurd lifetime.
	ErrInvalidResponse = errors.New("invalid response")
	// ErrNoToken means a Store holds no token for the key.
	ErrNoToken = errors.New("no token stored")
	// ErrInsecureEndpoint means an endpoint is not HTTPS and not loopback.
	ErrInsecureEndpoint = origin.ErrInsecure
)

// OAuthError is an RFC 6749 error from an authorization or token endpoint,
// whatever shape the provider wrapped it in.
type OAuthError struct {
	// Provider is the name of the provider that answered.
	Provider string
	// Endpoint says where the error came from: "authorize", "token", "revoke".
	Endpoint string
	// Code is the error code ("invalid_grant", "access_denied", or the
	// provider's own code such as "ACCESS_DENIED").
	Code string
	// Description is the provider's human-readable text, if any.
	Description string
	// URI is the error_uri, if any.
	URI string
	// StatusCode is the HTTP status of the answer (0 for a callback error).
	StatusCode int
	// Scope lists the scopes a resource server said the call needs, for
	// Code "insufficient_scope" (RFC 6750 §3.1), if it said.
	Scope []string
}

// Error describes the error with the provider, endpoint, code, description
// and HTTP status.
func (e *OAuthError) Error() string {
	var b strings.Builder
	if e.Provider != "" {
		b.WriteString(e.Provider)
		b.WriteString(": ")
	}
	if e.Endpoint != "" {
		b.WriteString(e.Endpoint)
		b.WriteString(" endpoint: ")
	}
	b.WriteString(e.Code)
	if e.Description != "" {
		b.WriteString(": ")
		b.WriteString(e.Description)
	}
	if len(e.Scope) > 0 {
		b.WriteString(": needs ")
		b.WriteString(strings.Join(e.Scope, " "))
	}
	if e.StatusCode != 0 {
		b.WriteString(" (HTTP ")
		b.WriteString(strconv.Itoa(e.StatusCode))
		b.WriteString(")")
	}
	return b.String()
}

// Is maps RFC 6749 codes onto the sentinels. invalid_grant is mapped to
// ErrReauthRequired only by the refresh path, which wraps it, because on a
// code exchange it means a bad code rather than a dead session.
func (e *OAuthError) Is(target error) bool {
	code := strings.ToLower(e.Code)
	switch target {
	case ErrInvalidClient:
		return code == "invalid_client" || code == "unauthorized_client"
	case ErrAccessDenied:
		return code == "access_denied"
	case ErrUnavailable:
		return code == "temporarily_unavailable" || code == "server_error" || e.StatusCode >= 500
	case ErrInsufficientScope:
		return code == "insufficient_scope"
	case ErrInvalidToken:
		return code == "invalid_token"
	}
	return false
}

// RateLimitError reports an HTTP 429 (or a broker's equivalent, such as a
// 403 "Quota Exceeded" page). It matches ErrRateLimited and ErrUnavailable.
type RateLimitError struct {
	// StatusCode is the HTTP status of the answer.
	StatusCode int
	// RetryAfter is how long the server asked to wait (0 if it did not say).
	RetryAfter time.Duration
	// Reset is when the server's quota resets, if it said (zero otherwise).
	Reset time.Time
	// Limit and Remaining are the quota figures, when the server sent them
	// (-1 when it did not).
	Limit, Remaining int
	// Message is the server's own text, if any.
	Message string
}

// Error describes the limit and, when known, how long to wait.
func (e *RateLimitError) Error() string {
	msg := fmt.Sprintf("rate limited (HTTP %d)", e.StatusCode)
	if e.Message != "" {
		msg += ": " + e.Message
	}
	if e.RetryAfter > 0 {
		msg += "; retry after " + e.RetryAfter.String()
	}
	return msg
}

// Is reports whether target is ErrRateLimited or ErrUnavailable.
func (e *RateLimitError) Is(target error) bool {
	return target == ErrRateLimited || target == ErrUnavailable
}

// HTTPError is an unexpected HTTP answer that carried no usable error
// document: an HTML page, an empty body, a gateway error. A 5xx or a 408
// matches ErrUnavailable.
type HTTPError struct {
	// Provider is the provider's name, when known.
	Provider string
	// StatusCode is the HTTP status.
	StatusCode int
	// ContentType is the answer's media type.
	ContentType string
	// Message is the server's own text, when its body carried one.
	Message string
	// Body holds the first bytes of the answer (at most 512), for diagnosis.
	// It is never part of Error().
	Body []byte
}

// Error names the status and content type; it never includes Body.
func (e *HTTPError) Error() string {
	prefix := ""
	if e.Provider != "" {
		prefix = e.Provider + ": "
	}
	ct := e.ContentType
	if ct == "" {
		ct = "no content type"
	}
	msg := fmt.Sprintf("%sunexpected HTTP %d %s (%s)", prefix, e.StatusCode, http.StatusText(e.StatusCode), ct)
	if e.Message != "" {
		msg += ": " + e.Message
	}
	return msg
}

// Is reports whether target is ErrUnavailable and the answer a 5xx or a
// 408.
func (e *HTTPError) Is(target error) bool {
	return target == ErrUnavailable && (e.StatusCode >= 500 || e.StatusCode == http.StatusRequestTimeout)
}

// ResponseError says why a provider's answer could not be used. It matches
// ErrInvalidResponse.
type ResponseError struct {
	// Provider is the provider's name, when known.
	Provider string
	// StatusCode is the HTTP status of the answer.
	StatusCode int
	// Reason says what was wrong, without quoting any secret.
	Reason string
	// Err is the underlying error, if any (a JSON syntax error, say).
	Err error
}

// Error says which answer was unusable and why.
func (e *ResponseError) Error() string {
	prefix := ""
	if e.Provider != "" {
		prefix = e.Provider + ": "
	}
	msg := fmt.Sprintf("%sinvalid response (HTTP %d): %s", prefix, e.StatusCode, e.Reason)
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// Is reports whether target is ErrInvalidResponse.
func (e *ResponseError) Is(target error) bool { return target == ErrInvalidResponse }

// Unwrap returns the underlying error.
func (e *ResponseError) Unwrap() error { return e.Err }

// reauth wraps err so that it also matches ErrReauthRequired.
func reauth(err error) error {
	return fmt.Errorf("%w: %w", ErrReauthRequired, err)
}

// cleanText makes a server- or callback-supplied string safe to embed in an
// error message and a log line: the secrets are removed (in every encoding),
// control characters (newlines included) become spaces, surrounding space is
// trimmed, and it is cut to about redact.MaxText bytes on a rune boundary.
func cleanText(s string, secrets ...string) string { return redact.Text(s, secrets...) }

// newRateLimitError builds the *RateLimitError of a rate-limit answer from
// its status, its Retry-After and X-RateLimit-* headers and the server's
// message, if any. now is the moment the answer arrived.
func newRateLimitError(status int, h http.Header, now time.Time, msg string) *RateLimitError {
	limit, remaining, reset := classify.ParseRateLimit(h, func() time.Time { return now })
	return &RateLimitError{StatusCode: status, Message: cleanText(msg), Limit: limit, Remaining: remaining,
		Reset: reset, RetryAfter: classify.RetryAfter(classify.First(h, classify.HdrRetryAfter), now)}
}
