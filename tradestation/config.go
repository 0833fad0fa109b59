package tradestation

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/internal/origin"
	"github.com/brokerkit/brokerkit/internal/rest"
)

// API selects which TradeStation authorization family and API a Provider
// logs in to.
type API int

const (
	// V3 is the current API: Auth0 at signin.tradestation.com with
	// audience https://api.tradestation.com. It is the default.
	V3 API = iota
	// AOP is the account-opening API: the same Auth0 flow with audience
	// https://aopapi.tradestation.com. Its tokens work only on the AOP API.
	AOP
	// V2 is the legacy WebAPI v2 flow at /v2/authorize and
	// /v2/Security/Authorize, for GUID-style API keys.
	V2
)

// String returns "v3", "aop" or "v2".
func (a API) String() string {
	switch a {
	case V3:
		return "v3"
	case AOP:
		return "aop"
	case V2:
		return "v2"
	}
	return fmt.Sprintf("API(%d)", int(a))
}

// The audiences TradeStation's Auth0 tenant issues tokens for. A token is
// stamped with its audience (auth.Token.Audience) and a Client refuses a
// token minted for the other one before sending anything.
const (
	TradingAudience = "https://api.tradestation.com"
	AOPAudience     = "https://aopapi.tradestation.com"
	// V2Audience marks tokens from the legacy WebAPI v2 flow.
	V2Audience = "https://api.tradestation.com/v2"
)

// ClientOnlyUser is the userid of a v2 client-credentials token: such a
// token may only look up symbols.
const ClientOnlyUser = "CLIENTONLYLOGIN"

// Default scope sets. DefaultScopes are the v3 scopes every key has by
// default; trading, option spreads and market depth must be asked for
// explicitly (a fixed list including scopes a key lacks breaks logins).
var (
	defaultScopes    = []string{"openid", "offline_access", "profile", "MarketData", "ReadAccount"}
	defaultAOPScopes = []string{"openid", "offline_access", "profile", "email", "access:aop"}
)

// DefaultScopes returns the scopes a v3 login requests when Config.Scopes
// is empty.
func DefaultScopes() []string { return slices.Clone(defaultScopes) }

// DefaultAOPScopes returns the scopes an AOP login requests when
// Config.Scopes is empty.
func DefaultAOPScopes() []string { return slices.Clone(defaultAOPScopes) }

// endpoints are the TradeStation hosts: the Auth0 sign-in tenant, the live
// and SIM API hosts (v3 under /v3, WebAPI v2 and its login under /v2) and
// the account-opening API host.
type endpoints struct {
	signin, live, sim, aop string
}

// The real hosts.
const (
	defaultSignin = "https://signin.tradestation.com"
	defaultLive   = "https://api.tradestation.com"
	defaultSim    = "https://sim-api.tradestation.com"
	defaultAOP    = "https://aopapi.tradestation.com"
)

// endpointsAt returns the hosts of Config.BaseURL: sign-in and the live
// API at base, the SIM API under base/sim and the AOP API under base/aop
// (the emulator's one-server layout). An empty base means the real hosts.
func endpointsAt(base string) endpoints {
	if base == "" {
		return endpoints{signin: defaultSignin, live: defaultLive, sim: defaultSim, aop: defaultAOP}
	}
	base = strings.TrimRight(base, "/")
	return endpoints{signin: base, live: base, sim: base + "/sim", aop: base + "/aop"}
}

// host returns the API host for env.
func (e endpoints) host(env auth.Environment) string {
	if env == auth.Sim {
		return e.sim
	}
	return e.live
}

// v2Fields are the names of WebAPI v2's token answers in their three
// documented shapes (token or access_token, RefreshToken or refresh_token,
// userid), of its {"StatusCode","Message"} errors, and of an implicit-grant
// fragment.
func v2Fields() *auth.Fields {
	return &auth.Fields{
		AccessToken:      []string{"access_token", "token"},
		TokenType:        []string{"token_type"},
		RefreshToken:     []string{"refresh_token", "RefreshToken"},
		ExpiresIn:        []string{"expires_in"},
		RefreshExpiresIn: []string{"refresh_token_expires_in"},
		Scope:            []string{"scope"},
		Subject:          []string{"userid"},
		ErrorCode:        []string{"error"},
		ErrorDescription: []string{"error_description", "Message"},
		ErrorURI:         []string{"error_uri"},
	}
}

// RefreshMode is how the API key's refresh tokens behave; TradeStation
// sets it per key on request.
type RefreshMode int

const (
	// RefreshNonExpiring is the default: refresh tokens never expire and a
	// refresh returns no new one.
	RefreshNonExpiring RefreshMode = iota
	// RefreshRotating means every refresh returns a new refresh token (save
	// it at once) and the session ends at an absolute limit, 24 hours by
	// default, after which the user must log in again.
	RefreshRotating
)

// DefaultAbsoluteLifetime is how long a rotating refresh-token family lives.
const DefaultAbsoluteLifetime = 24 * time.Hour

// Config configures a TradeStation Provider.
type Config struct {
	// ClientID is the API key.
	ClientID string
	// ClientSecret is the API secret. It is not sent when PKCE is used;
	// leave it empty for a PKCE-only key. It prints and marshals redacted.
	ClientSecret auth.Secret
	// RedirectURL is a callback registered for the key. TradeStation
	// pre-registers only http://localhost callbacks.
	RedirectURL string
	// Environment is auth.Live or auth.Sim; it is required. For V2 it
	// picks the host of the login endpoints; for V3 the login is shared and
	// only the API host differs.
	Environment auth.Environment
	// API is V3 (default), AOP or V2.
	API API
	// PKCE uses Authorization Code + PKCE (S256) instead of the client
	// secret. It needs a key enabled for it. It is implied when
	// ClientSecret is empty. V2 has no PKCE.
	PKCE bool
	// Scopes override DefaultScopes (V3) or DefaultAOPScopes (AOP). V2
	// sends no scope.
	Scopes []string
	// Refresh says how the key's refresh tokens behave (V3 and AOP).
	Refresh RefreshMode
	// AbsoluteLifetime is a rotating session's absolute limit; zero means
	// DefaultAbsoluteLifetime. The provider records it on tokens as
	// RefreshExpiry when TradeStation does not say.
	AbsoluteLifetime time.Duration
	// LegacyImplicit enables the v2 implicit grant (ImplicitURL,
	// ParseImplicitFragment). Its tokens travel in the URL and cannot be
	// refreshed; use it only for apps that cannot keep a secret and cannot
	// move to v3.
	LegacyImplicit bool
	// AllowMissingState accepts a callback that carries no state at all
	// (auth.Capabilities.AllowMissingState): a PKCE code callback (V3 and
	// AOP with PKCE), or a V2 implicit-grant fragment (ParseImplicitFragment;
	// needs LegacyImplicit). A present but wrong state is refused always.
	// Off by default; the V2 code flow cannot use it, having no PKCE to
	// bind a stateless callback to its login.
	AllowMissingState bool
	// RequireIssuer refuses V3 and AOP callbacks without iss
	// (auth.Capabilities.RequireIssuer). TradeStation does not document
	// sending iss, so it is off by default; set it if yours does.
	RequireIssuer bool
	// HTTPClient makes token requests; nil means a 30-second-timeout client.
	HTTPClient *http.Client `json:"-"`
	// BaseURL is one origin serving the sign-in server and every API in
	// the emulator's layout: sign-in and the live API at BaseURL, the SIM
	// API under BaseURL/sim, the AOP API under BaseURL/aop. Empty means
	// TradeStation's real hosts. It must be https or loopback http.
	BaseURL string
	// Now is the clock token expiry is counted from; nil means time.Now.
	Now func() time.Time `json:"-"`
}

// Name is the provider name stamped on tokens.
const Name = "tradestation"

// Provider is TradeStation's authorization server for one API family: an
// *auth.Standard configured for it (Name, Capabilities, AuthCodeURL,
// Revoke, TokenRefused, CodeParams and String come from there), plus the
// hosts and environment its clients use. Exchange, Refresh and
// ClientCredentials wrap the Standard's to add what TradeStation's answers
// leave out: a rotating session's absolute limit, and a v2 token's end
// with its UTC date. V3 and AOP providers revoke; only V2 has the
// client-credentials grant.
type Provider struct {
	*auth.Standard
	api       API
	env       auth.Environment
	endpoints endpoints
	refresh   RefreshMode
	absolute  time.Duration
	implicit  bool
	now       func() time.Time

	// missingState lets ParseImplicitFragment accept a fragment without
	// state (Config.AllowMissingState).
	missingState bool
}

var (
	_ auth.Provider     = (*Provider)(nil)
	_ auth.Revoker      = (*Provider)(nil)
	_ auth.CodeParamser = (*Provider)(nil)
)

// New validates cfg and returns a Provider.
func New(cfg Config) (*Provider, error) {
	if cfg.ClientID == "" {
		return nil, rest.Invalid(Name, "ClientID (the API key) is empty")
	}
	switch cfg.Environment {
	case auth.Live, auth.Sim:
	case "":
		return nil, rest.Invalid(Name, "Config.Environment is required: live or sim")
	default:
		return nil, rest.Invalid(Name, "environment %.32q is unknown: live or sim", cfg.Environment)
	}
	if cfg.AbsoluteLifetime < 0 {
		return nil, rest.Invalid(Name, "AbsoluteLifetime is negative")
	}
	if cfg.AbsoluteLifetime == 0 {
		cfg.AbsoluteLifetime = DefaultAbsoluteLifetime
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.BaseURL != "" {
		if err := origin.CheckEndpoint(cfg.BaseURL); err != nil {
			return nil, fmt.Errorf("tradestation: %w", err)
		}
	}
	ep := endpointsAt(cfg.BaseURL)
	envs := []auth.Environment{auth.Live, auth.Sim}
	sc := auth.Config{
		Name:         Name,
		ClientID:     cfg.ClientID,
		ClientSecret: cfg.ClientSecret,
		RedirectURL:  cfg.RedirectURL,
		HTTPClient:   cfg.HTTPClient,
		Now:          cfg.Now,
		// WebAPI v2 answers a dead token with a bare 401, and the v3
		// API's 401 carries no RFC 6750 challenge either.
		Any401Refuses: true,
	}
	switch cfg.API {
	case V3, AOP:
		if cfg.LegacyImplicit {
			return nil, rest.Invalid(Name, "the implicit grant exists only in WebAPI v2")
		}
		pkce := cfg.PKCE || cfg.ClientSecret == ""
		sc.Endpoint = auth.Endpoint{AuthURL: ep.signin + "/authorize", TokenURL: ep.signin + "/oauth/token",
			RevokeURL: ep.signin + "/oauth/revoke"}
		sc.RevokeStyle = auth.RevokeJSON
		sc.AuthStyle = auth.AuthStyleInParams
		if pkce {
			sc.AuthStyle = auth.AuthStylePublic
		}
		sc.Audience, sc.Scopes = TradingAudience, defaultScopes
		if cfg.API == AOP {
			sc.Audience, sc.Scopes = AOPAudience, defaultAOPScopes
		}
		if len(cfg.Scopes) > 0 {
			sc.Scopes = cfg.Scopes
		}
		sc.Scopes = slices.Clone(sc.Scopes)
		if !slices.Contains(sc.Scopes, "openid") {
			return nil, rest.Invalid(Name, "v3 scopes must include openid")
		}
		sc.AuthParams = url.Values{"audience": {sc.Audience}}
		sc.Issuer = ep.signin + "/"
		// Auth0 signs an ID token for every openid login: verify it
		// (signature, iss, aud, exp, the flow's nonce) before keeping it.
		sc.OIDC = true
		if cfg.AllowMissingState && !pkce {
			return nil, rest.Invalid(Name, "AllowMissingState needs PKCE to bind a callback without state")
		}
		sc.Capabilities = auth.Capabilities{PKCE: pkce, Refresh: true,
			RefreshRotates: cfg.Refresh == RefreshRotating, Environments: envs,
			RequireIssuer: cfg.RequireIssuer, AllowMissingState: cfg.AllowMissingState}
	case V2:
		if cfg.PKCE {
			return nil, rest.Invalid(Name, "WebAPI v2 has no PKCE; use V3")
		}
		if cfg.ClientSecret == "" {
			return nil, rest.Invalid(Name, "WebAPI v2 needs the ClientSecret")
		}
		if len(cfg.Scopes) > 0 {
			return nil, rest.Invalid(Name, "WebAPI v2 takes no scopes (they are set on the key)")
		}
		if cfg.Refresh != RefreshNonExpiring {
			return nil, rest.Invalid(Name, "WebAPI v2 refresh tokens do not rotate")
		}
		if cfg.AllowMissingState && !cfg.LegacyImplicit {
			return nil, rest.Invalid(Name, "AllowMissingState applies in WebAPI v2 only to the implicit grant; "+
				"its code flow has no PKCE to bind a callback without state")
		}
		if cfg.RequireIssuer {
			return nil, rest.Invalid(Name, "WebAPI v2 has no issuer to require")
		}
		base := ep.host(cfg.Environment) + "/v2"
		// The documented examples keep the trailing slash on /v2/authorize/.
		sc.Endpoint = auth.Endpoint{AuthURL: base + "/authorize/", TokenURL: base + "/Security/Authorize"}
		sc.AuthStyle = auth.AuthStyleInParams
		sc.RefreshSendsRedirectURI = true
		sc.GrantParams = map[string]url.Values{
			"authorization_code": {"response_type": {"token"}},
			"refresh_token":      {"response_type": {"token"}},
		}
		sc.Audience = V2Audience
		// A v2 callback carries code; the 2013 documentation called it
		// auth_code. Its token answers use the v2 names (v2Fields).
		sc.CodeParams = []string{"code", "auth_code"}
		sc.Fields = v2Fields()
		sc.Capabilities = auth.Capabilities{Refresh: true, ClientCredentials: true, Environments: envs}
	default:
		return nil, rest.Invalid(Name, "unknown API %d", int(cfg.API))
	}
	std, err := auth.NewStandard(sc)
	if err != nil {
		return nil, err
	}
	return &Provider{Standard: std, api: cfg.API, env: cfg.Environment, endpoints: ep, refresh: cfg.Refresh,
		absolute: cfg.AbsoluteLifetime, implicit: cfg.LegacyImplicit, missingState: cfg.AllowMissingState,
		now: cfg.Now}, nil
}
