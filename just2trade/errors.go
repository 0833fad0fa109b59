package just2trade

import (
	"errors"

	"github.com/brokerkit/brokerkit/internal/rest"
)

// Error is an error answer from the API: HTTP status, the broker's code
// (not_found, validation_error, api_error) and message, and the request ID
// when one was sent. Reach it with errors.As. A 401 matches
// auth.ErrInvalidToken (log in again), a 404 or code not_found ErrNotFound,
// a 400 or code validation_error ErrBadRequest, a 5xx auth.ErrUnavailable,
// a 429 auth.ErrRateLimited.
type Error = rest.Error

// PartialError lists the items of a multi-item call that failed while the
// others succeeded; the call returns those beside it.
type PartialError = rest.PartialError

// Sentinels matched with errors.Is.
var (
	// ErrNotFound means the account, order or symbol does not exist.
	ErrNotFound = rest.ErrNotFound
	// ErrForbidden means the broker refused the caller access.
	ErrForbidden = rest.ErrForbidden
	// ErrBadRequest means the broker refused the request's content: a 400,
	// code validation_error, or an order Orders.Validate declared invalid
	// (a *ValidationError).
	ErrBadRequest = rest.ErrBadRequest
	// ErrInvalidInput means the call was refused before anything was
	// sent: a required argument is missing or malformed, or the client
	// has no provider or base URL.
	ErrInvalidInput = rest.ErrInvalidInput
)

// The codes of the {"code","message"} envelope that add a class.
const (
	codeNotFound   = "not_found"
	codeValidation = "validation_error"
)

// ValidationError is an order the broker declared invalid: Orders.Validate
// answered is_valid false. It matches ErrBadRequest.
type ValidationError struct {
	// Message is the broker's validation_message.
	Message string
}

// Error says which broker message made the order invalid.
func (e *ValidationError) Error() string {
	if e.Message == "" {
		return "just2trade: invalid order (the broker gave no reason)"
	}
	return "just2trade: invalid order: " + e.Message
}

// Is reports whether target is ErrBadRequest.
func (e *ValidationError) Is(target error) bool { return target == ErrBadRequest }

// errorFields is the envelope {"code":"not_found","message":"..."}; the
// RFC 6749 names cover answers from the authorization server's side.
var errorFields = rest.ErrorFields{
	Code:    []string{"code", "error"},
	Message: []string{"message", "error_description"},
}

// classify adds the envelope's code to the error's class, so that a
// not_found or validation_error answered with an unexpected status still
// matches ErrNotFound or ErrBadRequest.
func classify(e *rest.Error) {
	var add error
	switch e.Code {
	case codeNotFound:
		add = ErrNotFound
	case codeValidation:
		add = ErrBadRequest
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
