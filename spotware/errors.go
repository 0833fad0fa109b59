package spotware

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/internal/redact"
	"github.com/brokerkit/brokerkit/internal/rest"
	"github.com/brokerkit/brokerkit/spotware/openapi"
	"google.golang.org/protobuf/proto"
)

// Sentinel errors of the session client. Each also matches the auth
// sentinel for its class where one fits (auth.ErrUnavailable for the
// retryable ones).
var (
	// ErrClosed means the session was closed.
	ErrClosed = errors.New("spotware: session closed")
	// ErrTimeout means a request got no answer within its timeout; the
	// server is known to leave some requests unanswered.
	ErrTimeout = errors.New("spotware: no answer in time")
	// ErrConnectionLost means the connection dropped before the answer.
	ErrConnectionLost = errors.New("spotware: connection lost")
	// ErrStalled means the watchdog saw no frame, not even a heartbeat,
	// for longer than SessionConfig.StallTimeout.
	ErrStalled = errors.New("spotware: connection stalled")
	// ErrUnexpectedResponse means the server answered with a message of
	// another type than the request calls for, or one that does not decode.
	ErrUnexpectedResponse = errors.New("spotware: unexpected response")
	// ErrNotSubscribed ends the streams of an account logged out with
	// LogoutAccount.
	ErrNotSubscribed = errors.New("spotware: not subscribed")
	// ErrNoTokenSource means a call needs an access token but the session
	// was dialled without a TokenSource.
	ErrNoTokenSource = errors.New("spotware: session has no TokenSource")
	// ErrAlreadyLoggedIn matches the *Error of ALREADY_LOGGED_IN: the
	// account was already authorized on the connection, which
	// AuthorizeAccount returns but the session counts as authorized.
	ErrAlreadyLoggedIn = errors.New("spotware: account already logged in")
)

// The error classes every brokerkit broker shares.
var (
	// ErrInvalidInput matches a call or configuration refused before
	// anything was sent (rest.ErrInvalidInput, one value in every broker).
	ErrInvalidInput = rest.ErrInvalidInput
	// ErrNotFound matches the *Error of an unknown account
	// (CH_CTID_TRADER_ACCOUNT_NOT_FOUND) or symbol (SYMBOL_NOT_FOUND).
	ErrNotFound = rest.ErrNotFound
)

// retryable wraps a sentinel so that it also matches auth.ErrUnavailable.
func retryable(sentinel error, format string, args ...any) error {
	return fmt.Errorf("%w: %w: "+format, append([]any{sentinel, auth.ErrUnavailable}, args...)...)
}

// Error is the server's error answer: a ProtoOAErrorRes, or a ProtoErrorRes
// when Common is true. Code is the error enum's name as the server sends it
// ("CH_ACCESS_TOKEN_INVALID", "REQUEST_FREQUENCY_EXCEEDED", ...). It
// matches, with errors.Is:
//
//   - auth.ErrInvalidClient: CH_CLIENT_AUTH_FAILURE, CH_OA_CLIENT_NOT_FOUND
//   - auth.ErrInvalidToken: OA_AUTH_TOKEN_EXPIRED, CH_ACCESS_TOKEN_INVALID
//     (the session refreshes and retries these itself before giving up)
//   - auth.ErrRateLimited: REQUEST_FREQUENCY_EXCEEDED, BLOCKED_PAYLOAD_TYPE
//   - auth.ErrUnavailable: the rate limits, SERVER_IS_UNDER_MAINTENANCE,
//     TIMEOUT_ERROR, CH_SERVER_NOT_REACHABLE
//   - ErrNotFound: CH_CTID_TRADER_ACCOUNT_NOT_FOUND, SYMBOL_NOT_FOUND
//   - ErrAlreadyLoggedIn: ALREADY_LOGGED_IN
type Error struct {
	// Code is the error code's name.
	Code string
	// Description is the server's text.
	Description string
	// AccountID is the account the error concerns, when the server said.
	AccountID int64
	// RetryAfter is how long the server blocks the payload type (rate
	// limits).
	RetryAfter time.Duration
	// MaintenanceEnd is when a maintenance window ends, when the server
	// said.
	MaintenanceEnd time.Time
	// Common is true for a ProtoErrorRes (payload type 50).
	Common bool
	// PayloadType is the type of the request that failed, when known.
	PayloadType uint32
}

// Error describes the server's answer and the request it refused.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("spotware: ")
	if name := payloadName(e.PayloadType); name != "" {
		b.WriteString(name)
		b.WriteString(": ")
	}
	b.WriteString(e.Code)
	if e.Description != "" {
		b.WriteString(": ")
		b.WriteString(e.Description)
	}
	if e.AccountID != 0 {
		fmt.Fprintf(&b, " (account %d)", e.AccountID)
	}
	if e.RetryAfter > 0 {
		fmt.Fprintf(&b, "; retry after %s", e.RetryAfter)
	}
	if !e.MaintenanceEnd.IsZero() {
		fmt.Fprintf(&b, "; maintenance until %s", e.MaintenanceEnd.UTC().Format(time.RFC3339))
	}
	return b.String()
}

// Is maps the codes onto the auth sentinels, as listed on Error.
func (e *Error) Is(target error) bool {
	switch target {
	case auth.ErrInvalidClient:
		return e.Code == codeClientAuthFailure || e.Code == codeClientNotFound
	case auth.ErrInvalidToken:
		return isTokenCode(e.Code)
	case auth.ErrRateLimited:
		return e.rateLimited()
	case auth.ErrUnavailable:
		switch e.Code {
		case codeMaintenance, codeTimeout, codeServerNotReachable:
			return true
		}
		return e.rateLimited()
	case ErrNotFound:
		return !e.Common && (e.Code == codeAccountNotFound || e.Code == codeSymbolNotFound)
	case ErrAlreadyLoggedIn:
		return !e.Common && e.Code == codeAlreadyLoggedIn
	}
	return false
}

func (e *Error) rateLimited() bool {
	return e.Code == codeFrequencyExceeded || e.Code == codeBlockedPayloadType
}

// OACode returns the code as an Open API error enum, or 0 when the code is
// not one of those brokerkit knows.
func (e *Error) OACode() openapi.ProtoOAErrorCode {
	if e.Common {
		return 0
	}
	return openapi.ProtoOAErrorCode(openapi.ProtoOAErrorCode_value[e.Code])
}

// The codes the session acts on.
var (
	codeTokenExpired       = openapi.ProtoOAErrorCode_OA_AUTH_TOKEN_EXPIRED.String()
	codeTokenInvalid       = openapi.ProtoOAErrorCode_CH_ACCESS_TOKEN_INVALID.String()
	codeNotAuthorized      = openapi.ProtoOAErrorCode_ACCOUNT_NOT_AUTHORIZED.String()
	codeAlreadyLoggedIn    = openapi.ProtoOAErrorCode_ALREADY_LOGGED_IN.String()
	codeClientAuthFailure  = openapi.ProtoOAErrorCode_CH_CLIENT_AUTH_FAILURE.String()
	codeClientNotFound     = openapi.ProtoOAErrorCode_CH_OA_CLIENT_NOT_FOUND.String()
	codeFrequencyExceeded  = openapi.ProtoOAErrorCode_REQUEST_FREQUENCY_EXCEEDED.String()
	codeBlockedPayloadType = openapi.ProtoErrorCode_BLOCKED_PAYLOAD_TYPE.String()
	codeMaintenance        = openapi.ProtoOAErrorCode_SERVER_IS_UNDER_MAINTENANCE.String()
	codeTimeout            = openapi.ProtoErrorCode_TIMEOUT_ERROR.String()
	codeServerNotReachable = openapi.ProtoOAErrorCode_CH_SERVER_NOT_REACHABLE.String()
	codeAlreadySubscribed  = openapi.ProtoOAErrorCode_ALREADY_SUBSCRIBED.String()
	codeAccountNotFound    = openapi.ProtoOAErrorCode_CH_CTID_TRADER_ACCOUNT_NOT_FOUND.String()
	codeSymbolNotFound     = openapi.ProtoOAErrorCode_SYMBOL_NOT_FOUND.String()
)

func isTokenCode(code string) bool { return code == codeTokenExpired || code == codeTokenInvalid }

// errorCode returns the server error code in err, if err is an *Error.
func errorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// payloadName is the enum name of a payload type, for messages.
func payloadName(pt uint32) string {
	if pt == 0 {
		return ""
	}
	if n, ok := openapi.ProtoOAPayloadType_name[int32(pt)]; ok {
		return n
	}
	if n, ok := openapi.ProtoPayloadType_name[int32(pt)]; ok {
		return n
	}
	return fmt.Sprintf("payload type %d", pt)
}

// epoch reads a timestamp the server gave in seconds or milliseconds. The
// two error messages document different units for maintenanceEndTimestamp,
// so a value too large to be seconds (after the year 5138) is read as ms.
func epoch(v int64) time.Time {
	if v <= 0 {
		return time.Time{}
	}
	if v >= 100_000_000_000 {
		return time.UnixMilli(v)
	}
	return time.Unix(v, 0)
}

// errorFromOA builds the *Error of a ProtoOAErrorRes. The server's text is
// cleaned here, where the error is built: secrets (what the session has
// sent: access and refresh tokens, client secret) removed, control
// characters folded, length capped; the retry hint is capped like every
// server-supplied wait.
func errorFromOA(m *openapi.ProtoOAErrorRes, pt uint32, secrets ...string) *Error {
	e := &Error{Code: redact.Text(m.GetErrorCode(), secrets...), Description: redact.Text(m.GetDescription(), secrets...),
		AccountID: m.GetCtidTraderAccountId(), MaintenanceEnd: epoch(m.GetMaintenanceEndTimestamp()), PayloadType: pt,
		RetryAfter: redact.Wait(float64(m.GetRetryAfter()))}
	return e
}

// errorFromCommon builds the *Error of a ProtoErrorRes, cleaned like
// errorFromOA's.
func errorFromCommon(m *openapi.ProtoErrorRes, pt uint32, secrets ...string) *Error {
	e := &Error{Code: redact.Text(m.GetErrorCode(), secrets...), Description: redact.Text(m.GetDescription(), secrets...),
		Common: true, PayloadType: pt}
	if v := m.GetMaintenanceEndTimestamp(); v > 0 && v < 1<<62 {
		e.MaintenanceEnd = epoch(int64(v))
	}
	return e
}

// maxRemembered bounds the secrets a session remembers: the client secret
// and the few latest tokens.
const maxRemembered = 16

// remember notes credentials the session has sent or is about to send, so
// that server text quoting them can be cleaned (see secrets).
func (s *Session) remember(vals ...string) {
	for _, v := range vals {
		if v == "" {
			continue
		}
		s.secMu.Lock()
		if !slices.Contains(s.sent, v) {
			if len(s.sent) >= maxRemembered {
				s.sent = slices.Delete(s.sent, 0, 1)
			}
			s.sent = append(s.sent, v)
		}
		s.secMu.Unlock()
	}
}

// secrets lists what the session has sent that server text must not
// repeat.
func (s *Session) secrets() []string {
	s.secMu.Lock()
	defer s.secMu.Unlock()
	return slices.Clone(s.sent)
}

// requestSecrets lists the credentials inside a request message.
func requestSecrets(m proto.Message) []string {
	switch r := m.(type) {
	case *openapi.ProtoOAApplicationAuthReq:
		return []string{r.GetClientSecret()}
	case *openapi.ProtoOAAccountAuthReq:
		return []string{r.GetAccessToken()}
	case *openapi.ProtoOAGetAccountListByAccessTokenReq:
		return []string{r.GetAccessToken()}
	case *openapi.ProtoOAGetCtidProfileByTokenReq:
		return []string{r.GetAccessToken()}
	case *openapi.ProtoOARefreshTokenReq:
		return []string{r.GetRefreshToken()}
	}
	return nil
}
