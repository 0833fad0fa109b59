package just2trade

import (
	"errors"
	"fmt"

	"github.com/brokerkit/brokerkit/internal/rest"
)

// Error is an error answer from the API: HTTP status, the broker's code
// (CodeNotFound, CodeValidation, CodeAPI) and message, and the request ID
// when one was sent. Reach it with errors.As. A 401 matches
// auth.ErrInvalidToken (log in again), a 404 or code not_found ErrNotFound,
// code validation_error ErrValidation, a 5xx auth.ErrUnavailable, a 429
// auth.ErrRateLimited.
type Error = rest.Error

// The error codes of the {"code","message"} envelope.
const (
	CodeNotFound   = "not_found"
	CodeValidation = "validation_error"
	CodeAPI        = "api_error"
)

// Sentinels matched with errors.Is.
var (
	// ErrNotFound means the account, order or symbol does not exist.
	ErrNotFound = rest.ErrNotFound
	// ErrValidation means a request, usually an order, was refused as
	// invalid: by the broker (code validation_error, or is_valid false from
	// Orders.Validate) or by the client before sending. *ValidationError
	// carries the message.
	ErrValidation = errors.New("validation failed")
)

// ValidationError is an order the broker declared invalid
// (Orders.Validate answered is_valid false) or that the client refused to
// send because a required field was missing. It matches ErrValidation.
type ValidationError struct {
	// Message is the broker's validation_message, or the client's reason.
	Message string
	// Field names the offending request field when the client found it.
	Field string
}

// Error says which order field or broker message made the order invalid.
func (e *ValidationError) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("just2trade: invalid order: %s: %s", e.Field, e.Message)
	}
	if e.Message == "" {
		return "just2trade: invalid order (the broker gave no reason)"
	}
	return "just2trade: invalid order: " + e.Message
}

// Is reports whether target is ErrValidation.
func (e *ValidationError) Is(target error) bool { return target == ErrValidation }

// errorFields is the envelope {"code":"not_found","message":"..."}; the
// RFC 6749 names cover answers from the authorization server's side.
var errorFields = rest.ErrorFields{
	Code:    []string{"code", "error"},
	Message: []string{"message", "error_description"},
}

// classify adds the envelope's code to the error's class, so that a
// not_found or validation_error answered with an unexpected status still
// matches ErrNotFound or ErrValidation.
func classify(e *rest.Error) {
	var add error
	switch e.Code {
	case CodeNotFound:
		add = ErrNotFound
	case CodeValidation:
		add = ErrValidation
	default:
		return
	}
	switch {
	case e.Err == nil:
		e.Err = add
	case !errors.Is(e.Err, add):
		e.Err = errors.Join(e.Err, add)
	}
}
