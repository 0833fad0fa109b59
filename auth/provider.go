package auth

import (
	"context"
	"net/url"
	"reflect"

	"golang.org/x/oauth2"
)

// Provider is one broker's authorization server, in the shape of
// golang.org/x/oauth2.Config. Every broker package returns one; Flow,
// TokenSource and Transport use nothing else.
//
// A Provider may also have, and every Standard has:
//   - TokenRefused(resp *http.Response) bool, which tells Transport
//     whether an API answer means the access token was refused, for APIs
//     that refuse it other than with RFC 6750's invalid_token challenge;
//   - CodeParams() []string (CodeParamser) and Revoke (Revoker).
type Provider interface {
	// Name is the provider's registry name ("tradestation", "spotware", ...).
	Name() string
	// Capabilities says what the provider supports, so callers can ask
	// before they try.
	Capabilities() Capabilities
	// AuthCodeURL returns the URL to send the user to for consent.
	AuthCodeURL(state string, opts ...AuthCodeOption) string
	// Exchange trades an authorization code for a token. Flow.Complete
	// calls it with the PKCE verifier and the flow's redirect; by hand,
	// pass SetParam("code_verifier", v) and SetParam("redirect_uri", u).
	Exchange(ctx context.Context, code string, opts ...AuthCodeOption) (*Token, error)
	// Refresh obtains a new access token with t's refresh token. When the
	// provider returns no new refresh token, the old one is kept. A refused
	// refresh token yields an error matching ErrReauthRequired.
	Refresh(ctx context.Context, t *Token) (*Token, error)
	// ClientCredentials obtains an application token, where supported.
	ClientCredentials(ctx context.Context, scopes ...string) (*Token, error)
}

// Revoker is implemented by providers that can revoke tokens.
type Revoker interface {
	// Revoke invalidates t's refresh token (or its access token when it has
	// none) at the provider.
	Revoke(ctx context.Context, t *Token) error
}

// AuthStyle says how a client authenticates at the token endpoint. It is
// always explicit: guessing posts a one-time code twice.
type AuthStyle int

const (
	// AuthStyleInParams sends client_id and client_secret in the request
	// parameters (form body or query, per TokenMethod).
	AuthStyleInParams AuthStyle = iota + 1
	// AuthStyleInHeader sends them as HTTP Basic credentials.
	AuthStyleInHeader
	// AuthStylePublic sends client_id only: a public client proving
	// possession with PKCE.
	AuthStylePublic
)

// Environment names a broker deployment: live trading, or a simulated one.
type Environment string

// The environments brokers offer. Brokers name their paper-trading
// deployments differently; brokerkit calls them all by these names.
const (
	Live Environment = "live"
	Sim  Environment = "sim"
	Demo Environment = "demo"
)

// Capabilities is what a provider supports, in the spirit of CCXT's has.
type Capabilities struct {
	// PKCE is true when the provider accepts RFC 7636 S256 challenges;
	// Begin then adds them.
	PKCE bool
	// Refresh is true when a refresh_token grant exists.
	Refresh bool
	// RefreshRotates is true when every refresh returns a new refresh token
	// and invalidates the old one: the new one must be saved at once.
	RefreshRotates bool
	// ClientCredentials is true when the client_credentials grant exists.
	ClientCredentials bool
	// Revoke is true when tokens can be revoked.
	Revoke bool
	// SlidingExpiry is true when every successful API call prolongs the
	// access token's life by its original lifetime.
	SlidingExpiry bool
	// AuthStyle is how the client authenticates at the token endpoint.
	AuthStyle AuthStyle
	// TokenMethod is the token request's HTTP method: "POST" (form body)
	// or "GET" (query parameters).
	TokenMethod string
	// Environments lists the deployments the provider can target.
	Environments []Environment
	// RequireIssuer says the authorization server puts iss in every
	// authorization response (RFC 9207; its metadata's
	// authorization_response_iss_parameter_supported). Flow.Complete then
	// refuses a callback without iss as well as one with another issuer,
	// so that a mix-up attacker cannot just leave iss out. Set it only
	// where the broker documents sending iss, or every login fails; none of
	// the brokers brokerkit ships does, so it is off for all of them.
	RequireIssuer bool
	// AllowMissingState accepts a code callback that carries no state at
	// all, for servers whose redirects drop it. It is never on by default
	// and takes effect only when the flow has a PKCE verifier: PKCE then
	// binds the code to the login that began it, provided the server
	// refuses a code_verifier for a code issued without a challenge (RFC
	// 9700 §2.1.1). A state that is present but wrong is refused whatever
	// this says, and so is an error callback without state, which nothing
	// binds. CallbackHandler.FlowByState cannot find the flow of a
	// stateless callback: look it up from the user's session instead
	// (CallbackHandler.Flow).
	AllowMissingState bool
}

// AuthCodeOption adds or overrides a parameter of an authorization URL or a
// token request.
type AuthCodeOption interface {
	setValue(url.Values)
}

type paramOption struct{ k, v string }

func (p paramOption) setValue(v url.Values) { v.Set(p.k, p.v) }

// SetParam sets the parameter key to value. SetParam("redirect_uri", u)
// overrides the configured redirect URI for one flow (pass it to
// AuthCodeURL and Exchange alike) and SetParam("scope", s) the
// space-separated scopes; Begin does both from FlowOptions.RedirectURL
// and Scopes.
func SetParam(key, value string) AuthCodeOption { return paramOption{key, value} }

// s256ChallengeOption adds the PKCE S256 challenge for verifier.
func s256ChallengeOption(verifier string) AuthCodeOption {
	return multiOption{paramOption{"code_challenge", oauth2.S256ChallengeFromVerifier(verifier)},
		paramOption{"code_challenge_method", "S256"}}
}

// verifierOption sends the PKCE verifier with a code exchange.
func verifierOption(verifier string) AuthCodeOption { return paramOption{"code_verifier", verifier} }

type multiOption []AuthCodeOption

func (m multiOption) setValue(v url.Values) {
	for _, o := range m {
		o.setValue(v)
	}
}

func applyOptions(v url.Values, opts []AuthCodeOption) {
	for _, o := range opts {
		if o != nil {
			o.setValue(v)
		}
	}
}

// nilProvider reports whether p is nil or a nil pointer in the interface
// (a nil *Standard, or a broker's nil *Provider): every entry point that
// takes a Provider refuses both with an error rather than panicking on the
// first method call.
func nilProvider(p Provider) bool {
	if p == nil {
		return true
	}
	v := reflect.ValueOf(p)
	return v.Kind() == reflect.Pointer && v.IsNil()
}
