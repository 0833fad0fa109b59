package autoshares

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/brokerkit/brokerkit/internal/rest"
)

// Error is an error answer from the AutoShares API, in any of its body
// shapes ({"error"}, {"Message"}, {"Errors":[…]}, order checks): the HTTP
// status, the broker's code and message, and the request ID. Reach it with
// errors.As; its Err says which class of failure it is.
type Error = rest.Error

// PartialError names the items of a multi-item call (symbols, accounts)
// that failed while the others succeeded; the call returns those beside it.
type PartialError = rest.PartialError

// Errors the client returns, matched with errors.Is. The details are on
// *Error, *AgreementsPendingError and *OrderRejectedError (errors.As).
// A refused access token (401) matches auth.ErrInvalidToken, a rate limit
// auth.ErrRateLimited, a 5xx auth.ErrUnavailable.
var (
	// ErrInvalidInput matches a call refused before anything was sent: a
	// bad argument, or a client with no host or API key configured.
	ErrInvalidInput = rest.ErrInvalidInput
	// ErrAPIKeyRejected means AutoShares refused the API secret key:
	// "Application key is not defined or does not exist".
	ErrAPIKeyRejected = errors.New("API secret key rejected")
	// ErrAgreementsPending means the user must sign agreements before the
	// call is allowed. *AgreementsPendingError names them.
	ErrAgreementsPending = errors.New("agreements must be signed first")
	// ErrOrderRejected means the broker's order checks refused an order
	// (IsSuccessful false). *OrderRejectedError carries the reason.
	ErrOrderRejected = errors.New("order rejected")
	// ErrConflict means the request conflicts with the resource's state
	// (HTTP 409: a duplicate login, a stale agreement version).
	ErrConflict = errors.New("conflict")
	// ErrNotFound matches HTTP 404 and 410.
	ErrNotFound = rest.ErrNotFound
	// ErrForbidden matches an HTTP 403 that is not about the API key or
	// agreements: the caller is not an administrator or owner, say.
	ErrForbidden = rest.ErrForbidden
	// ErrBadRequest matches HTTP 400 and 422: the broker refused the
	// request's content.
	ErrBadRequest = rest.ErrBadRequest
)

// apiKeyMessage is the documented body text for a missing or bad key.
const apiKeyMessage = "Application key is not defined or does not exist"

// agreementsPendingCode is the emulator contract's code for a call blocked
// by unsigned agreements.
const agreementsPendingCode = "agreements_pending"

// errorFields reads every documented error shape: {"error"} and the
// contract's {"error","error_description"}, {"Message"}, {"message",
// "error"}, {"Errors":[…]} and the order checks' ErrorDescription.
var errorFields = rest.ErrorFields{
	Code:    []string{"error", "ErrorDescription"},
	Message: []string{"error_description", "Message", "message", "Errors", "ErrorDescription", "error"},
}

// classify is the rest error hook: it gives AutoShares' answers their own
// classes on top of the status-based ones.
func classify(e *Error) {
	switch {
	case e.Code == apiKeyMessage || e.Message == apiKeyMessage:
		// Not a token problem: no re-login, no refresh.
		e.Code, e.Message = "", apiKeyMessage
		e.Err = ErrAPIKeyRejected
	case e.Code == agreementsPendingCode:
		e.Err = fmt.Errorf("%w: %w", ErrAgreementsPending, rest.ErrForbidden)
	case e.StatusCode == http.StatusConflict:
		e.Err = ErrConflict
	}
}

// AgreementsPendingError is a call the broker refused because the user has
// agreements to sign. Agreements names them when they could be fetched.
type AgreementsPendingError struct {
	// Agreements are the outstanding agreements the call waits for.
	Agreements []Agreement
	// Err is the broker's answer.
	Err *Error
}

// Error implements the error interface.
func (e *AgreementsPendingError) Error() string {
	msg := "autoshares: agreements must be signed first"
	if e.Err != nil {
		msg = fmt.Sprintf("autoshares: %s %s: agreements must be signed first", e.Err.Method, e.Err.Path)
	}
	if len(e.Agreements) > 0 {
		msg += ": " + AgreementTitles(e.Agreements)
	}
	return msg
}

// Is reports whether target is ErrAgreementsPending.
func (e *AgreementsPendingError) Is(target error) bool { return target == ErrAgreementsPending }

// Unwrap returns the broker's answer.
func (e *AgreementsPendingError) Unwrap() error {
	if e.Err == nil {
		return nil
	}
	return e.Err
}

// OrderRejectedError is an order the broker's checks refused
// ({"IsSuccessful":false,"ErrorDescription":…}), whatever the HTTP status
// (AutoShares answers these with 200).
type OrderRejectedError struct {
	// Method and Path say which call was refused.
	Method, Path string
	// StatusCode is the HTTP status of the answer.
	StatusCode int
	// Reason is the ErrorDescription ("DayTradingBuyingPowerExceeded").
	Reason string
	// Args are the ErrorDescriptionArgs.
	Args []string
	// Check is the full check result: costs, commission, quotes.
	Check *OrderPreview
	// Err is the broker's answer when it came with an error status.
	Err *Error
}

// Error implements the error interface.
func (e *OrderRejectedError) Error() string {
	msg := fmt.Sprintf("autoshares: %s %s: order rejected: %s", e.Method, e.Path, e.Reason)
	if len(e.Args) > 0 {
		msg += " (" + strings.Join(e.Args, ", ") + ")"
	}
	return msg
}

// Is reports whether target is ErrOrderRejected.
func (e *OrderRejectedError) Is(target error) bool { return target == ErrOrderRejected }

// Unwrap returns the broker's answer, if it had an error status.
func (e *OrderRejectedError) Unwrap() error {
	if e.Err == nil {
		return nil
	}
	return e.Err
}

// orderCheck reads body as an order-check failure; nil when it is not one.
func orderCheck(method, path string, status int, body []byte) *OrderRejectedError {
	if !bytes.Contains(body, []byte(`"IsSuccessful"`)) {
		return nil // the common case, decided without parsing
	}
	obj := object(body)
	raw, ok := obj["IsSuccessful"]
	if !ok {
		return nil
	}
	var success bool
	if json.Unmarshal(raw, &success) != nil || success {
		return nil
	}
	var check OrderPreview
	_ = json.Unmarshal(body, &check)
	e := &OrderRejectedError{Method: method, Path: path, StatusCode: status, Check: &check,
		Reason: check.ErrorDescription, Args: stringList(obj["ErrorDescriptionArgs"])}
	check.ErrorDescriptionArgs = e.Args
	if e.Reason == "" {
		e.Reason = "order checks failed"
	}
	return e
}

// wrappedFailure reports whether a 2xx body is the {"Errors":[…],
// "IsSucceed":false} envelope, and the status it states (500 when none).
func wrappedFailure(body []byte) (status int, failed bool) {
	if !bytes.Contains(body, []byte(`"IsSucceed"`)) {
		return 0, false
	}
	obj := object(body)
	raw, ok := obj["IsSucceed"]
	if !ok {
		return 0, false
	}
	var succeed bool
	if json.Unmarshal(raw, &succeed) != nil || succeed {
		return 0, false
	}
	status = http.StatusInternalServerError
	var sc int
	if json.Unmarshal(obj["StatusCode"], &sc) == nil && sc >= 400 && sc <= 599 {
		status = sc
	}
	return status, true
}

func object(body []byte) map[string]json.RawMessage {
	t := bytes.TrimSpace(body)
	if len(t) == 0 || t[0] != '{' {
		return nil
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal(t, &obj) != nil {
		return nil
	}
	return obj
}

// stringList reads a JSON array of strings (other items as their JSON).
func stringList(raw json.RawMessage) []string {
	var items []json.RawMessage
	if json.Unmarshal(raw, &items) != nil {
		return nil
	}
	out := make([]string, 0, len(items))
	for _, it := range items {
		var s string
		if json.Unmarshal(it, &s) == nil {
			out = append(out, s)
			continue
		}
		out = append(out, string(bytes.TrimSpace(it)))
	}
	return out
}
