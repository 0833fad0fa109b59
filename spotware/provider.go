package spotware

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/internal/rest"
)

// Name is the provider's registry name.
const Name = "spotware"

// OAuth hosts. The consent page is BaseURL+"/apps/auth", the token
// endpoint BaseURL+"/apps/token".
const (
	// OpenAPIHost is the current authorization server.
	OpenAPIHost = "https://openapi.ctrader.com"
	// LegacyHost is the connect.spotware.com host older apps were given.
	LegacyHost = "https://connect.spotware.com"
)

// The two scopes cTrader grants: ScopeTrading (everything) or
// ScopeAccounts (view only).
const (
	ScopeTrading  = "trading"
	ScopeAccounts = "accounts"
)

// DefaultScopes returns the scopes requested when Config.Scopes is empty:
// ScopeTrading. Each call returns a new slice.
func DefaultScopes() []string { return []string{ScopeTrading} }

// defaultReauthCodes are the token-endpoint errorCode values that, on a
// refresh, mean the refresh token is dead and the user must log in again.
// Spotware does not document its strings; these are the RFC 6749 code and
// the one seen in the field. Compared without regard to case.
func defaultReauthCodes() []string { return []string{"invalid_grant", "ACCESS_DENIED"} }

// environments are the deployments cTrader has: each account is live or
// demo, served by its own Protobuf host.
var environments = []auth.Environment{auth.Live, auth.Demo}

// Config configures the OAuth provider.
type Config struct {
	// ClientID and ClientSecret are the application's credentials from
	// openapi.ctrader.com/apps. The secret prints and marshals redacted.
	ClientID     string
	ClientSecret auth.Secret
	// RedirectURL is one of the app's registered redirect URIs.
	RedirectURL string
	// Environment is required: auth.Live or auth.Demo. It picks the
	// Protobuf host a session dials first (SessionConfig); both hosts stay
	// known, so a session serves live and demo accounts alike.
	Environment auth.Environment
	// Scopes is the one scope requested at consent, ScopeTrading or
	// ScopeAccounts; empty means DefaultScopes.
	Scopes []string
	// BaseURL is the authorization server's origin; empty means
	// OpenAPIHost. It must be https unless it is a loopback address.
	BaseURL string
	// ReauthCodes are the token-endpoint errorCode values that mean the
	// refresh token is dead; nil means invalid_grant and ACCESS_DENIED.
	ReauthCodes []string
	// HTTPClient makes the token requests; nil means a 30-second-timeout
	// client.
	HTTPClient *http.Client `json:"-"`
	// Now is the clock token lifetimes are counted from; nil means
	// time.Now.
	Now func() time.Time `json:"-"`
}

// Provider is the cTrader Open API authorization server: consent at
// /apps/auth with client_id, redirect_uri and scope (no response_type);
// token exchange and refresh at /apps/token by GET with every parameter in
// the query; camelCase answers, with snake_case duplicates on older hosts
// and errors delivered as HTTP 200 with errorCode. The refresh token is
// single use and rotates on every refresh (Capabilities.RefreshRotates), so
// it must be saved at once: run refreshes through an auth.Source with a
// Store. cTrader has no client-credentials grant and documents no PKCE.
type Provider struct {
	*auth.Standard
	env      auth.Environment
	clientID string
	secret   auth.Secret // for the Protobuf application auth
	// elsewhere is true when BaseURL moved the authorization server off
	// cTrader's own hosts (to an emulator, say): its tokens must not be
	// sent to cTrader's Protobuf hosts.
	elsewhere bool
}

// New validates cfg and returns the provider. An empty or unknown
// Environment or a scope other than one of ScopeTrading and ScopeAccounts
// is an error matching ErrInvalidInput.
func New(cfg Config) (*Provider, error) {
	if !slices.Contains(environments, cfg.Environment) {
		return nil, rest.Invalid(Name, "Config.Environment %q is not one of %s, %s", cfg.Environment, auth.Live, auth.Demo)
	}
	base := strings.TrimRight(cfg.BaseURL, "/")
	if base == "" {
		base = OpenAPIHost
	}
	scopes := cfg.Scopes
	if len(scopes) == 0 {
		scopes = DefaultScopes()
	}
	// cTrader grants one scope per consent; dropping extra ones would
	// silently change what the token may do.
	if len(scopes) != 1 || (scopes[0] != ScopeTrading && scopes[0] != ScopeAccounts) {
		return nil, rest.Invalid(Name, "Config.Scopes %q: cTrader grants one scope, %q or %q", scopes, ScopeTrading, ScopeAccounts)
	}
	reauth := cfg.ReauthCodes
	if reauth == nil {
		reauth = defaultReauthCodes()
	}
	std, err := auth.NewStandard(auth.Config{
		Name:             Name,
		ClientID:         cfg.ClientID,
		ClientSecret:     cfg.ClientSecret,
		RedirectURL:      cfg.RedirectURL,
		Scopes:           slices.Clone(scopes),
		Endpoint:         auth.Endpoint{AuthURL: base + "/apps/auth", TokenURL: base + "/apps/token"},
		AuthStyle:        auth.AuthStyleInParams,
		TokenMethod:      http.MethodGet,
		OmitResponseType: true,
		ReauthCodes:      reauth,
		Capabilities: auth.Capabilities{
			Refresh:        true,
			RefreshRotates: true,
			Environments:   slices.Clone(environments),
		},
		HTTPClient: cfg.HTTPClient,
		Now:        cfg.Now,
	})
	if err != nil {
		return nil, fmt.Errorf("spotware: %w", err)
	}
	return &Provider{Standard: std, env: cfg.Environment, clientID: cfg.ClientID, secret: cfg.ClientSecret,
		elsewhere: !cTraderHost(base)}, nil
}

// Environment returns the configured environment, auth.Live or auth.Demo.
func (p *Provider) Environment() auth.Environment { return p.env }

// SessionConfig returns the SessionConfig of a session for src's user:
// the application's credentials, src, and the Protobuf host of p's
// Environment as Addr (live.ctraderapi.com or demo.ctraderapi.com), from
// which Dial derives the other host, so the session routes live and demo
// accounts alike. Set a regional Addr (see the function Addr) or the
// tuning fields on the result before dialling.
//
// A provider whose BaseURL is not cTrader's (an emulator's) gives no Addr:
// its tokens are not cTrader's, so Dial refuses until Addr names the
// Protobuf host that goes with that authorization server.
func (p *Provider) SessionConfig(src auth.TokenSource) SessionConfig {
	addr, _ := Addr(p.env, "") // p.env was checked by New
	if p.elsewhere {
		addr = ""
	}
	return SessionConfig{Addr: addr, ClientID: p.clientID, ClientSecret: p.secret, Tokens: src}
}

// cTraderHost reports whether base is one of cTrader's own hosts.
func cTraderHost(base string) bool {
	u, err := url.Parse(base)
	if err != nil || u.Scheme != "https" {
		return false
	}
	h := strings.ToLower(u.Hostname())
	return h == "ctrader.com" || strings.HasSuffix(h, ".ctrader.com") || h == "spotware.com" || strings.HasSuffix(h, ".spotware.com")
}

var _ auth.Provider = (*Provider)(nil)
