package oauthsim

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// Endpoint names an authorization-server endpoint in an Error.
type Endpoint string

// The endpoints an Error can come from.
const (
	// EndpointAuthorize is the authorization (consent) endpoint.
	EndpointAuthorize Endpoint = "authorize"
	// EndpointToken is the token endpoint.
	EndpointToken Endpoint = "token"
	// EndpointRevoke is the revocation endpoint.
	EndpointRevoke Endpoint = "revoke"
	// EndpointUserinfo is the userinfo endpoint.
	EndpointUserinfo Endpoint = "userinfo"
)

// Error is an RFC 6749 error the server is about to answer. An ErrorWriter
// turns it into the broker's shape.
type Error struct {
	// Endpoint is where the error arose.
	Endpoint Endpoint
	// Status is the RFC 6749 HTTP status: 400, or 401 for invalid_client.
	Status int
	// Code is the RFC 6749 error code (invalid_grant, invalid_client, ...).
	Code string
	// Reason is the precise cause, for brokers that word each cause
	// differently (TradeStation v2: "Authorization code expired").
	Reason Reason
	// Description is a human-readable explanation. It never contains a
	// token, secret or verifier.
	Description string
}

// Error describes the error; it holds no secret.
func (e *Error) Error() string {
	return fmt.Sprintf("oauthsim: %s endpoint: %s: %s", e.Endpoint, e.Code, e.Description)
}

// Reason is the precise cause of an Error.
type Reason string

// The causes the engine reports. Code says the RFC 6749 class; Reason
// says which check failed.
const (
	// ReasonUnknownClient: the client_id is not registered.
	ReasonUnknownClient Reason = "unknown_client"
	// ReasonBadClientSecret: the secret is wrong or missing, or the client
	// used an authentication method the wire does not accept.
	ReasonBadClientSecret Reason = "bad_client_secret"
	// ReasonRedirectMismatch: the redirect_uri is not registered, or the
	// token request's differs from the authorization request's.
	ReasonRedirectMismatch Reason = "redirect_uri_mismatch"
	// ReasonBadRequest: a parameter is missing, repeated, too long or
	// malformed.
	ReasonBadRequest Reason = "bad_request"
	// ReasonLoginFailed: the user's username or password is wrong.
	ReasonLoginFailed Reason = "login_failed"
	// ReasonDenied: the user pressed Deny.
	ReasonDenied Reason = "denied"
	// ReasonCodeUnknown: the code was never issued to this client.
	ReasonCodeUnknown Reason = "code_unknown"
	// ReasonCodeExpired: the code outlived Config.CodeTTL.
	ReasonCodeExpired Reason = "code_expired"
	// ReasonCodeUsed: the code was presented before.
	ReasonCodeUsed Reason = "code_used"
	// ReasonVerifierMismatch: the PKCE verifier is missing, malformed,
	// wrong, or sent for a code issued without a challenge.
	ReasonVerifierMismatch Reason = "verifier_mismatch"
	// ReasonRefreshUnknown: the refresh token was never issued to this
	// client.
	ReasonRefreshUnknown Reason = "refresh_unknown"
	// ReasonRefreshExpired: the refresh token or its family has expired.
	ReasonRefreshExpired Reason = "refresh_expired"
	// ReasonRefreshReused: a rotated-out refresh token was presented.
	ReasonRefreshReused Reason = "refresh_reused"
	// ReasonRefreshRevoked: the refresh token was revoked.
	ReasonRefreshRevoked Reason = "refresh_revoked"
	// ReasonGrantUnsupported: the grant is off, or not for this client.
	ReasonGrantUnsupported Reason = "grant_unsupported"
	// ReasonScope: a scope is missing or not allowed.
	ReasonScope Reason = "scope"
	// ReasonMethodNotAllowed: the endpoint does not take this HTTP method.
	ReasonMethodNotAllowed Reason = "method_not_allowed"
	// ReasonWrongClient: a client tried to revoke another client's token.
	ReasonWrongClient Reason = "wrong_client"
	// ReasonResponseTypeInvalid: response_type is missing (when required)
	// or not supported.
	ReasonResponseTypeInvalid Reason = "response_type_invalid"
)

func oauthErr(ep Endpoint, status int, code string, reason Reason, desc string) *Error {
	return &Error{Endpoint: ep, Status: status, Code: code, Reason: reason, Description: desc}
}

// JSONErrors is the RFC 6749 error shape: a JSON object with error and
// error_description and the error's status; invalid_client sent with Basic
// credentials also gets a WWW-Authenticate challenge.
func JSONErrors(w http.ResponseWriter, r *http.Request, e *Error) {
	if e.Status == http.StatusUnauthorized {
		if _, _, ok := r.BasicAuth(); ok {
			w.Header().Set("WWW-Authenticate", `Basic realm="oauthsim"`)
		}
	}
	writeJSON(w, e.Status, map[string]string{"error": e.Code, "error_description": e.Description})
}

// Status200Errors answers every error with HTTP 200 and a JSON object whose
// codeField and descField carry the code and description (cTrader:
// "errorCode", "description"). codes maps RFC 6749 codes to the broker's own
// (invalid_grant → ACCESS_DENIED, say); unmapped codes pass through.
func Status200Errors(codeField, descField string, codes map[string]string) ErrorWriter {
	return func(w http.ResponseWriter, r *http.Request, e *Error) {
		code := e.Code
		if c, ok := codes[code]; ok {
			code = c
		}
		writeJSON(w, http.StatusOK, map[string]string{codeField: code, descField: e.Description})
	}
}

// TextErrors answers every error with status and a plain body: the broker's
// message for the error's Reason from messages, else for its Code, else the
// description (TradeStation v2: 401 "Authorization code expired").
// contentType empty means text/plain.
func TextErrors(status int, contentType string, messages map[string]string) ErrorWriter {
	if contentType == "" {
		contentType = "text/plain; charset=utf-8"
	}
	return func(w http.ResponseWriter, r *http.Request, e *Error) {
		msg, ok := messages[string(e.Reason)]
		if !ok {
			msg, ok = messages[e.Code]
		}
		if !ok {
			msg = e.Description
		}
		w.Header().Set("Content-Type", contentType)
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(msg))
	}
}

// writeJSON writes a token-endpoint answer, which must not be cached
// (RFC 6749 §5.1).
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	WriteJSON(w, status, v)
}

// WriteJSON writes v as a JSON answer with status and a Content-Length,
// the one JSON writer of every emulator. A value that cannot be encoded
// is an emulator bug and answers 500.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "emulator: encoding the answer failed", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// Reasons Validate refuses a bearer token. Every error Validate returns is
// a *TokenError that matches exactly one of these with errors.Is.
var (
	// ErrNoToken means the request carried no bearer token.
	ErrNoToken = errors.New("no bearer token")
	// ErrUnknownToken means the token was never issued (or is malformed).
	ErrUnknownToken = errors.New("unknown token")
	// ErrExpiredToken means the token's lifetime has passed.
	ErrExpiredToken = errors.New("token expired")
	// ErrRevokedToken means the token was revoked or invalidated.
	ErrRevokedToken = errors.New("token revoked")
	// ErrWrongAudience means the token was issued for another audience.
	ErrWrongAudience = errors.New("token issued for another audience")
	// ErrInsufficientScope means the token lacks a required scope.
	ErrInsufficientScope = errors.New("insufficient scope")
	// ErrAppOnly means an application-only token was presented where a
	// user's token is needed.
	ErrAppOnly = errors.New("application-only token not allowed")
)

// TokenError is Validate's refusal. Reason is one of the sentinels above;
// the emulator maps it to its broker's 401 (or 403) body. It never holds the
// token itself.
type TokenError struct {
	// Reason is ErrNoToken, ErrUnknownToken, ErrExpiredToken,
	// ErrRevokedToken, ErrWrongAudience, ErrInsufficientScope or ErrAppOnly.
	Reason error
	// Detail adds context: the audience or scope that was wanted.
	Detail string
}

// Error names the reason; it never holds the token.
func (e *TokenError) Error() string {
	if e.Detail == "" {
		return "oauthsim: " + e.Reason.Error()
	}
	return "oauthsim: " + e.Reason.Error() + ": " + e.Detail
}

// Unwrap returns Reason.
func (e *TokenError) Unwrap() error { return e.Reason }

// Status is the HTTP status RFC 6750 gives the refusal: 401, or 403 for
// insufficient scope, wrong audience and app-only tokens.
func (e *TokenError) Status() int {
	switch e.Reason {
	case ErrInsufficientScope, ErrWrongAudience, ErrAppOnly:
		return http.StatusForbidden
	}
	return http.StatusUnauthorized
}

// WriteBearerError answers err the RFC 6750 way: the TokenError's status, a
// WWW-Authenticate: Bearer challenge and a JSON error body. Emulators with
// their own 401 shape write that instead.
func WriteBearerError(w http.ResponseWriter, err error) {
	var te *TokenError
	if !errors.As(err, &te) {
		te = &TokenError{Reason: ErrUnknownToken}
	}
	code := "invalid_token"
	switch te.Reason {
	case ErrNoToken:
		code = ""
	case ErrInsufficientScope, ErrWrongAudience, ErrAppOnly:
		code = "insufficient_scope"
	}
	challenge := `Bearer realm="oauthsim"`
	if code != "" {
		challenge += fmt.Sprintf(`, error=%q, error_description=%q`, code, strings.ReplaceAll(te.Reason.Error(), `"`, "'"))
	}
	w.Header().Set("WWW-Authenticate", challenge)
	if code == "" {
		code = "invalid_request"
	}
	writeJSON(w, te.Status(), map[string]string{"error": code, "error_description": te.Reason.Error()})
}
