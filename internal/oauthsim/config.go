package oauthsim

import (
	"time"
)

// Client is an application registered with the authorization server.
type Client struct {
	// ID is the client_id (a broker's "API key").
	ID string
	// Secret is the client_secret. Empty makes the client public: it
	// authenticates with its client_id alone and proves possession with PKCE
	// when the server supports it.
	Secret string
	// RedirectURIs are the registered redirect URIs. A request's redirect_uri
	// must equal one of them exactly, except that a loopback http URI
	// (127.0.0.1, [::1] or localhost) matches any port (RFC 8252 §7.3)
	// unless Config.ExactLoopbackPort is set.
	RedirectURIs []string
	// Scopes, when not empty, are the only scopes the client may request.
	Scopes []string
	// Audiences, when not empty, are the only audiences the client may
	// request.
	Audiences []string
	// NoRefresh withholds refresh tokens from this client even when the
	// server issues them (AutoShares issues them only to clients that are
	// "refresh-enabled").
	NoRefresh bool
	// PKCEWithoutSecret lets this confidential client leave its secret out
	// of a code exchange whose authorization request carried a PKCE
	// challenge, and out of refreshes of the tokens that exchange issued
	// (TradeStation: "client_secret ... not required for Auth Code Flow with
	// PKCE"). Every other request still needs the secret.
	PKCEWithoutSecret bool
	// NoClientCredentials refuses the client_credentials grant to this
	// client even when Config.ClientCredentials is on.
	NoClientCredentials bool
}

// User is a seeded end user who can log in and consent.
type User struct {
	// ID is the stable subject identifier (sub, TradeStation's userid).
	ID string
	// Username and Password are what the consent page asks for.
	Username, Password string
	// Name is the display name shown on the consent page and in userinfo.
	Name string
	// Claims are added to the userinfo answer and the ID token.
	Claims map[string]any
}

// PKCEMode says how the server treats RFC 7636 challenges. Only S256 is
// ever accepted: a plain challenge is refused in every mode.
type PKCEMode int

const (
	// PKCEOptional verifies a challenge when the client sent one and lets
	// clients without one through.
	PKCEOptional PKCEMode = iota
	// PKCERequired refuses authorization requests without an S256
	// challenge.
	PKCERequired
	// PKCEUnsupported ignores code_challenge parameters, as a server that
	// never heard of PKCE does; code_verifier is ignored too.
	PKCEUnsupported
)

// String names the mode.
func (m PKCEMode) String() string {
	switch m {
	case PKCEOptional:
		return "optional"
	case PKCERequired:
		return "required"
	case PKCEUnsupported:
		return "unsupported"
	}
	return "unknown"
}

// RefreshMode says whether and how refresh tokens are issued.
type RefreshMode int

const (
	// RefreshNone issues no refresh tokens and refuses the refresh_token
	// grant with unsupported_grant_type (Just2Trade).
	RefreshNone RefreshMode = iota
	// RefreshStatic issues one refresh token per login that never changes;
	// a refresh returns it again only when RefreshPolicy.ReturnOnRefresh is
	// set (TradeStation's default key returns none).
	RefreshStatic
	// RefreshRotate issues a new refresh token on every refresh and
	// refuses the old one from then on (cTrader, TradeStation's rotating
	// keys).
	RefreshRotate
)

// String names the mode.
func (m RefreshMode) String() string {
	switch m {
	case RefreshNone:
		return "none"
	case RefreshStatic:
		return "static"
	case RefreshRotate:
		return "rotate"
	}
	return "unknown"
}

// RefreshPolicy configures refresh tokens.
type RefreshPolicy struct {
	// Mode is none, static or rotating.
	Mode RefreshMode
	// ReturnOnRefresh makes a static-mode refresh answer carry the
	// unchanged refresh token. Rotating mode always returns the new one.
	ReturnOnRefresh bool
	// TTL is the lifetime of each refresh token from its issue; zero means
	// it never expires (TradeStation rotating keys: 30 minutes).
	TTL time.Duration
	// Absolute is the lifetime of the whole family, counted from the login
	// that started it; zero means unlimited (TradeStation rotating: 24 h).
	Absolute time.Duration
	// ReuseRevokesFamily makes presenting an already rotated refresh token
	// revoke every token of its family, as Auth0's reuse detection does.
	// The reused token is refused either way.
	ReuseRevokesFamily bool
	// RevokeOldAccess makes a refresh revoke the access tokens issued
	// before it in the same login (cTrader closes sessions authorised with
	// the old token).
	RevokeOldAccess bool
	// RequireScope, when set, issues refresh tokens only to logins granted
	// this scope ("offline_access" for Auth0-hosted brokers).
	RequireScope string
}

// Config is an authorization server: its clients, users, lifetimes and
// grant rules, and the wire adapter that makes it look like one broker.
type Config struct {
	// Name appears on the consent page ("Sign in to <Name>").
	Name string
	// Issuer is the iss of ID tokens; empty means none.
	Issuer string
	// Clients are registered at start; AddClient adds more.
	Clients []Client
	// Users are seeded at start; AddUser adds more.
	Users []User

	// Now is the server's clock; nil means time.Now. Share a TestClock's
	// Now with the SDK under test.
	Now func() time.Time

	// CodeTTL is the authorization-code lifetime (TradeStation v2 30 s,
	// cTrader 60 s, Just2Trade 5 min, AutoShares 10 min). Zero means 60 s.
	CodeTTL time.Duration
	// AccessTTL is the access-token lifetime. Zero means one hour.
	AccessTTL time.Duration
	// AccessExpiry, when set, computes a fixed expiry from the issue time
	// instead of AccessTTL (Lime: the next 3:00 AM US Eastern).
	AccessExpiry func(issued time.Time) time.Time
	// Sliding makes every successful Validate move the access token's
	// expiry to now + AccessTTL (Just2Trade). Ignored with AccessExpiry.
	Sliding bool
	// Refresh configures refresh tokens.
	Refresh RefreshPolicy
	// PKCE is the PKCE mode.
	PKCE PKCEMode

	// ClientCredentials turns the client_credentials grant on.
	ClientCredentials bool
	// AppOnlySubject is the subject of client-credentials tokens, reported
	// in Grant.Subject and in the response's subject field
	// (TradeStation v2: "CLIENTONLYLOGIN").
	AppOnlySubject string
	// ClientCredentialsTTL is the lifetime of application tokens; zero means
	// AccessTTL.
	ClientCredentialsTTL time.Duration
	// Password turns the resource-owner password grant on (Just2Trade's
	// grant for a user's own app).
	Password bool
	// Implicit allows response_type=token: the access token is returned in
	// the redirect's fragment and has no refresh token (TradeStation v2
	// legacy).
	Implicit bool
	// ImplicitTTL is the lifetime of implicit-grant tokens; zero means
	// AccessTTL.
	ImplicitTTL time.Duration

	// DefaultScopes are granted when an authorization request names none.
	DefaultScopes []string
	// RequiredScopes must all be in every authorization request's scope
	// (TradeStation v3: "openid").
	RequiredScopes []string
	// DefaultAudience is recorded on grants whose request names none.
	DefaultAudience string
	// RevokeAllOfClient makes revoking a refresh token revoke every
	// refresh token of the same client (TradeStation /oauth/revoke).
	RevokeAllOfClient bool
	// RevokeSecretOptional accepts revocation requests from confidential
	// clients that send their client_id without the secret (TradeStation
	// documents client_secret as optional). A wrong secret is refused.
	RevokeSecretOptional bool
	// ExactLoopbackPort turns off RFC 8252's any-port rule: loopback
	// redirect URIs then need an exact match like any other.
	ExactLoopbackPort bool

	// Signup, when set, turns the registration form on: an authorization
	// request with enableRegistration=true&page=signup (AutoShares' Auth0
	// link) or screen_hint=signup shows a sign-up form instead of the login
	// form. On submit Signup receives the new user (Username is the email,
	// Password, Name and the email claim filled in; no ID) and returns it
	// with its ID, or an error shown on the form; the engine then adds the
	// user, who can log in from then on, and approves the request as them.
	Signup func(u User) (User, error)

	// OnInvalidate, when set, is told of access tokens that stopped being
	// valid before their expiry (revocation, a replayed code or refresh
	// token, RevokeOldAccess, Invalidate), so that an emulator can close
	// sessions authorised with them. It is called without the engine's lock
	// held, from the goroutine that caused the change.
	OnInvalidate func(accessTokens []string)

	// Wire describes the broker's endpoints and wire format.
	Wire Wire
}
