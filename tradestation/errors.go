package tradestation

import (
	"errors"
	"fmt"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/internal/rest"
)

// ErrWrongAudience matches every *AudienceError.
var ErrWrongAudience = errors.New("token issued for another audience")

// ErrClientOnlyToken means a v2 client-credentials token (userid
// CLIENTONLYLOGIN) was used for a call that needs a user: it may only look
// up symbols.
var ErrClientOnlyToken = errors.New("client-credentials token may only look up symbols")

// AudienceError reports a token minted for one TradeStation audience and
// used against another API (an AOP token on the trading API, or the
// reverse). The client returns it before sending anything. It matches
// ErrWrongAudience and auth.ErrInvalidToken.
type AudienceError struct {
	// Want is the audience of the API being called; Got is the token's.
	Want, Got string
}

// Error says which audience the token has and which the API wants.
func (e *AudienceError) Error() string {
	return fmt.Sprintf("tradestation: token was issued for audience %s and cannot call %s; log in with that audience",
		e.Got, e.Want)
}

// Is reports whether target is ErrWrongAudience or auth.ErrInvalidToken.
func (e *AudienceError) Is(target error) bool {
	return target == ErrWrongAudience || target == auth.ErrInvalidToken
}

// Error is a non-2xx answer from TradeStation's API: the HTTP status, the
// v3 {"Error","Message"} pair (Code, Message), v2's TraceId as RequestID.
// Reach it with errors.As. Its class, reached with errors.Is: 401
// auth.ErrInvalidToken, 403 ErrForbidden, 404 ErrNotFound, 400
// ErrBadRequest, 5xx auth.ErrUnavailable; a v3 429 and a v2 403 "Quota
// Exceeded" page wrap an *auth.RateLimitError with the reset time.
type Error = rest.Error

// Classes of Error, for errors.Is.
var (
	ErrNotFound   = rest.ErrNotFound
	ErrForbidden  = rest.ErrForbidden
	ErrBadRequest = rest.ErrBadRequest
)

// ErrInvalidInput matches every error about a bad argument or
// configuration, reported before anything is sent: an empty or malformed
// symbol or account ID, empty search criteria, a Config that cannot work,
// a client without provider or base URL.
var ErrInvalidInput = rest.ErrInvalidInput

// PartialError reports the items (symbols, account IDs) of a multi-item
// call that failed while the others succeeded, each with TradeStation's
// reason; the call returns the items it got beside it.
type PartialError = rest.PartialError
