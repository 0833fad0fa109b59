package oauthsim

import (
	"net/http"
)

// ClientAuth is a set of client-authentication methods the token endpoint
// accepts.
type ClientAuth int

const (
	// ClientAuthParams accepts client_id and client_secret as request
	// parameters (form body, query or JSON body).
	ClientAuthParams ClientAuth = 1 << iota
	// ClientAuthBasic accepts them as HTTP Basic credentials.
	ClientAuthBasic
	// ClientAuthAny accepts either method. A request that uses both at
	// once is refused, as RFC 6749 §2.3 requires.
	ClientAuthAny = ClientAuthParams | ClientAuthBasic
)

// Wire is a broker's wire format: where the endpoints live and how
// requests and answers are spelled. The zero Wire is a plain RFC 6749
// server at /authorize, /token, /revoke and /userinfo that takes form POSTs,
// accepts both client-authentication methods, echoes state and answers
// snake_case JSON with RFC 6749 errors.
type Wire struct {
	// AuthorizePath, TokenPath, RevokePath and UserinfoPath are the
	// endpoint paths. Empty takes the default (/authorize, /token, /revoke,
	// /userinfo); "-" means the endpoint does not exist.
	AuthorizePath, TokenPath, RevokePath, UserinfoPath string
	// FoldPathCase matches paths case-insensitively (TradeStation v2
	// documents both /v2/Security/Authorize and /v2/security/authorize).
	FoldPathCase bool

	// TokenMethods are the HTTP methods the token endpoint accepts: "POST"
	// (form body) and/or "GET" (query parameters, cTrader). Empty means
	// POST only.
	TokenMethods []string
	// TokenJSON also accepts a JSON object body on POST token requests
	// (Auth0).
	TokenJSON bool
	// ClientAuth is the set of accepted client-authentication methods;
	// zero means ClientAuthAny.
	ClientAuth ClientAuth

	// CodeParam is the redirect's code parameter; empty means "code"
	// (TradeStation v2's 2013 docs: "auth_code").
	CodeParam string
	// RequireResponseType refuses authorization requests without
	// response_type. cTrader's SDKs send none, so the default is lenient: a
	// missing response_type means "code", a wrong one is refused.
	RequireResponseType bool
	// OmitState drops state from redirects instead of echoing it.
	OmitState bool
	// SendIssuer adds iss=Config.Issuer to every authorization response
	// (RFC 9207), so that clients can detect mix-up attacks.
	SendIssuer bool
	// RequireAuthorizeParams must be present on every authorization
	// request (TradeStation v3: "audience", "scope").
	RequireAuthorizeParams []string
	// AudienceParam is the authorization and client-credentials parameter
	// naming the audience; empty means "audience".
	AudienceParam string

	// Fields names the token-response members.
	Fields TokenFields
	// Errors renders every error the authorization server answers; nil
	// means JSONErrors (RFC 6749).
	Errors ErrorWriter

	// TokenHeaders are the request headers Validate reads a bearer token
	// from, in order; empty means "Authorization" (Just2Trade also accepts
	// "Authentication").
	TokenHeaders []string
	// TokenQueryParams are query parameters Validate also reads a token
	// from (TradeStation v2's retired access_token=); empty means none.
	TokenQueryParams []string
}

// TokenFields names the members of a token response; the zero TokenFields
// is RFC 6749's snake_case.
type TokenFields struct {
	// AccessToken, TokenType, RefreshToken, ExpiresIn and Scope name the
	// standard members; empty means the RFC 6749 name. Set a name to "-"
	// to leave the member out.
	AccessToken, TokenType, RefreshToken, ExpiresIn, Scope string
	// Subject, when set, carries the user's ID (TradeStation v2: "userid").
	Subject string
	// IDToken, when set, carries an ID token for grants with the openid
	// scope ("id_token").
	IDToken string
	// TokenTypeValue is the token_type value; empty means "Bearer".
	TokenTypeValue string
	// Shape, when set, edits each answer's members after they are built:
	// add, rename, remove or null members (cTrader's snake_case duplicates
	// and null errorCode, TradeStation v2's null token_type). grantType is
	// "authorization_code", "refresh_token", "client_credentials",
	// "password" or "implicit".
	Shape func(grantType string, g *Grant, body map[string]any)
}

// ErrorWriter renders an authorization-server error in a broker's shape.
type ErrorWriter func(w http.ResponseWriter, r *http.Request, e *Error)

const (
	defaultAuthorizePath = "/authorize"
	defaultTokenPath     = "/token"
	defaultRevokePath    = "/revoke"
	defaultUserinfoPath  = "/userinfo"
)

// nameOr resolves a Wire path or name: empty means def, "-" means none
// ("").
func nameOr(n, def string) string {
	switch n {
	case "":
		return def
	case "-":
		return ""
	}
	return n
}
