package spotware

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/brokerkit/brokerkit/auth"
)

// Name is the provider's registry name.
const Name = "spotware"

// OAuth hosts. The consent page is Host+"/apps/auth", the token endpoint
// Host+"/apps/token".
const (
	// OpenAPIHost is the current authorization server.
	OpenAPIHost = "https://openapi.ctrader.com"
	// LegacyHost is the connect.spotware.com host older apps were given.
	LegacyHost = "https://connect.spotware.com"
)

// Scope is what a token may do: ScopeTrading (everything) or ScopeAccounts
// (view only).
type Scope string

// The two scopes cTrader grants.
const (
	ScopeTrading  Scope = "trading"
	ScopeAccounts Scope = "accounts"
)

// DefaultReauthCodes are the token-endpoint errorCode values that, on a
// refresh, mean the refresh token is dead and the user must log in again.
// Spotware does not document its strings; these are the RFC 6749 code and
// the one seen in the field. Compared without regard to case.
var DefaultReauthCodes = []string{"invalid_grant", "ACCESS_DENIED"}

// Config configures the OAuth provider.
type Config struct {
	// ClientID and ClientSecret are the application's credentials from
	// openapi.ctrader.com/apps. The secret prints and marshals redacted.
	ClientID     string
	ClientSecret auth.Secret
	// RedirectURL is one of the app's registered redirect URIs.
	RedirectURL string
	// Scope is requested at consent; empty means ScopeTrading.
	Scope Scope
	// Host is the authorization server's base URL; empty means
	// OpenAPIHost. It must be https unless it is a loopback address.
	Host string
	// ReauthCodes overrides DefaultReauthCodes.
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
// it must be saved at once: run refreshes through an auth TokenSource with a
// Store.
type Provider struct {
	std   *auth.Standard
	host  string
	scope Scope
}

// New validates cfg and returns the provider.
func New(cfg Config) (*Provider, error) {
	host := strings.TrimRight(cfg.Host, "/")
	if host == "" {
		host = OpenAPIHost
	}
	scope := cfg.Scope
	switch scope {
	case "":
		scope = ScopeTrading
	case ScopeTrading, ScopeAccounts:
	default:
		return nil, fmt.Errorf("spotware: scope %q is neither %q nor %q", scope, ScopeTrading, ScopeAccounts)
	}
	reauth := cfg.ReauthCodes
	if reauth == nil {
		reauth = slices.Clone(DefaultReauthCodes)
	}
	std, err := auth.NewStandard(auth.Config{
		Name:             Name,
		ClientID:         cfg.ClientID,
		ClientSecret:     cfg.ClientSecret,
		RedirectURL:      cfg.RedirectURL,
		Scopes:           []string{string(scope)},
		Endpoint:         auth.Endpoint{AuthURL: host + "/apps/auth", TokenURL: host + "/apps/token"},
		AuthStyle:        auth.AuthStyleInParams,
		TokenMethod:      http.MethodGet,
		OmitResponseType: true,
		ReauthCodes:      reauth,
		Capabilities: auth.Capabilities{
			Refresh:        true,
			RefreshRotates: true,
			Environments:   []auth.Environment{auth.Live, auth.Demo},
		},
		HTTPClient: cfg.HTTPClient,
		Now:        cfg.Now,
	})
	if err != nil {
		return nil, fmt.Errorf("spotware: %w", err)
	}
	return &Provider{std: std, host: host, scope: scope}, nil
}

// Name implements auth.Provider.
func (p *Provider) Name() string { return Name }

// Host returns the authorization server's base URL.
func (p *Provider) Host() string { return p.host }

// Capabilities implements auth.Provider: refresh with rotation, no PKCE
// (Spotware documents none), client secret in the query of a GET.
func (p *Provider) Capabilities() auth.Capabilities { return p.std.Capabilities() }

// AuthCodeURL implements auth.Provider. Besides client_id, redirect_uri and
// scope it carries the state, which Spotware does not document; the
// callback's state is still checked by auth.Flow.
func (p *Provider) AuthCodeURL(state string, opts ...auth.AuthCodeOption) string {
	return p.std.AuthCodeURL(state, opts...)
}

// Exchange implements auth.Provider. Codes live one minute.
func (p *Provider) Exchange(ctx context.Context, code string, opts ...auth.AuthCodeOption) (*auth.Token, error) {
	return p.std.Exchange(ctx, code, opts...)
}

// Refresh implements auth.Provider. The answer carries a new refresh token
// and the old one is dead from then on; a refused refresh token matches
// auth.ErrReauthRequired.
func (p *Provider) Refresh(ctx context.Context, t *auth.Token) (*auth.Token, error) {
	return p.std.Refresh(ctx, t)
}

// ClientCredentials implements auth.Provider; cTrader has no such grant, so
// it returns an error matching auth.ErrUnsupported.
func (p *Provider) ClientCredentials(ctx context.Context, scopes ...string) (*auth.Token, error) {
	return p.std.ClientCredentials(ctx, scopes...)
}

var _ auth.Provider = (*Provider)(nil)

// String describes the provider by name and client ID. (Its client
// secret lives behind a pointer to an auth.Standard, which redacts itself,
// so no fmt verb on a Provider prints it.)
func (p *Provider) String() string { return auth.Describe(p.std) }
