package just2trade

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/brokerkit/brokerkit/auth"
)

// Name is the provider's registry name, stamped on every token it issues.
const Name = "just2trade"

// The two deployments of the same API. Just2Trade became Lime Trading in
// 2022 and kept the paths and JSON keys; the hosts and the token lifetime
// changed.
const (
	// EnvJust2Trade is auth.just2trade.com and api.just2trade.com: tokens
	// live 24 hours and every successful call prolongs them by 24 hours.
	EnvJust2Trade auth.Environment = "just2trade"
	// EnvLime is auth.lime.co and api.lime.co: tokens expire at a fixed
	// time of day (3:00 AM US Eastern) and are not prolonged.
	EnvLime auth.Environment = "lime"
)

// Hosts of each environment.
const (
	Just2TradeAuthURL = "https://auth.just2trade.com"
	Just2TradeAPIURL  = "https://api.just2trade.com"
	LimeAuthURL       = "https://auth.lime.co"
	LimeAPIURL        = "https://api.lime.co"
)

// Paths on the authorization server; both environments use them.
const (
	AuthorizePath = "/connect/authorize"
	TokenPath     = "/connect/token"
)

// SlidingLifetime is how long a Just2Trade token lives after its last use.
const SlidingLifetime = 24 * time.Hour

// DailyExpiry is a fixed time of day at which tokens lapse, as Lime's do.
// The zero value means 3:00 AM in America/New_York.
type DailyExpiry struct {
	// Hour and Minute are the wall-clock time of the expiry.
	Hour, Minute int
	// Location is the time zone of Hour and Minute; nil means US Eastern.
	Location *time.Location
}

// withDefaults fills in the zero value's meaning: without a Location the
// time zone is US Eastern, and 00:00 there means Lime's 3:00 AM.
func (d DailyExpiry) withDefaults() DailyExpiry {
	if d.Location == nil {
		d.Location = usEastern()
		if d.Hour == 0 && d.Minute == 0 {
			d.Hour = 3
		}
	}
	return d
}

// Config configures a Just2Trade (or Lime) provider.
type Config struct {
	// ClientID and ClientSecret are the application's credentials (issued
	// by support@just2trade.com, or self-service at myaccount.lime.co). The
	// secret prints and marshals redacted.
	ClientID     string
	ClientSecret auth.Secret
	// RedirectURL is the callback registered with the broker; Just2Trade
	// whitelists redirect URIs in advance, and matches them exactly.
	RedirectURL string
	// Environment is EnvJust2Trade (the default) or EnvLime.
	Environment auth.Environment
	// AuthURL and APIURL replace the environment's hosts (scheme and host,
	// optionally a path prefix), to reach an emulator. Each must be https,
	// or http on a loopback address.
	AuthURL, APIURL string
	// DailyExpiry is the Lime environment's daily expiry; the zero value
	// is 3:00 AM US Eastern. Ignored for EnvJust2Trade.
	DailyExpiry DailyExpiry
	// PKCE adds an RFC 7636 S256 challenge to authorization URLs. The
	// broker documents no PKCE support, so it is off by default.
	PKCE bool
	// HTTPClient makes the token requests; nil means a client with a
	// 30-second timeout.
	HTTPClient *http.Client `json:"-"`
	// Now is the clock expiry is counted from; nil means time.Now.
	Now func() time.Time `json:"-"`
}

// Provider is the Just2Trade authorization server. It implements
// auth.Provider. It offers only the authorization-code grant: Refresh and
// ClientCredentials return errors matching auth.ErrUnsupported.
type Provider struct {
	std    *auth.Standard
	env    auth.Environment
	apiURL string
	daily  DailyExpiry
	now    func() time.Time
}

var _ auth.Provider = (*Provider)(nil)

// New validates cfg and returns a provider.
func New(cfg Config) (*Provider, error) {
	env := cfg.Environment
	authBase, apiBase := Just2TradeAuthURL, Just2TradeAPIURL
	switch env {
	case "", EnvJust2Trade:
		env = EnvJust2Trade
	case EnvLime:
		authBase, apiBase = LimeAuthURL, LimeAPIURL
	default:
		return nil, fmt.Errorf("just2trade: unknown environment %q (want %q or %q)", env, EnvJust2Trade, EnvLime)
	}
	if cfg.AuthURL != "" {
		authBase = cfg.AuthURL
	}
	if cfg.APIURL != "" {
		apiBase = cfg.APIURL
	}
	authBase = strings.TrimRight(authBase, "/")
	apiBase = strings.TrimRight(apiBase, "/")
	if err := auth.CheckEndpoint(apiBase); err != nil {
		return nil, fmt.Errorf("just2trade: API URL: %w", err)
	}
	if cfg.RedirectURL == "" {
		return nil, errors.New("just2trade: RedirectURL is required (the broker requires redirect_uri)")
	}
	if cfg.ClientSecret == "" {
		return nil, errors.New("just2trade: ClientSecret is required (the token endpoint authenticates the client in the form body)")
	}
	daily := cfg.DailyExpiry
	if daily.Hour < 0 || daily.Hour > 23 || daily.Minute < 0 || daily.Minute > 59 {
		return nil, fmt.Errorf("just2trade: daily expiry %02d:%02d is not a time of day", daily.Hour, daily.Minute)
	}
	daily = daily.withDefaults()
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	fields := auth.DefaultFields()
	// The REST error envelope {"code","message"} may also answer a token
	// request; RFC 6749 "error" is tried first.
	fields.ErrorCode = append(fields.ErrorCode, "code")
	std, err := auth.NewStandard(auth.Config{
		Name:         Name,
		ClientID:     cfg.ClientID,
		ClientSecret: cfg.ClientSecret,
		RedirectURL:  cfg.RedirectURL,
		Endpoint: auth.Endpoint{
			AuthURL:  authBase + AuthorizePath,
			TokenURL: authBase + TokenPath,
		},
		AuthStyle:   auth.AuthStyleInParams,
		TokenMethod: http.MethodPost,
		Fields:      &fields,
		Capabilities: auth.Capabilities{
			PKCE:          cfg.PKCE,
			SlidingExpiry: env == EnvJust2Trade,
			Environments:  []auth.Environment{EnvJust2Trade, EnvLime},
		},
		HTTPClient: cfg.HTTPClient,
		Now:        now,
	})
	if err != nil {
		return nil, err // already "auth: just2trade: ..."
	}
	return &Provider{std: std, env: env, apiURL: apiBase, daily: daily, now: now}, nil
}

// Name implements auth.Provider.
func (p *Provider) Name() string { return Name }

// Capabilities implements auth.Provider: no refresh grant, no client
// credentials, no revocation; sliding expiry in EnvJust2Trade.
func (p *Provider) Capabilities() auth.Capabilities { return p.std.Capabilities() }

// Environment is the deployment this provider talks to.
func (p *Provider) Environment() auth.Environment { return p.env }

// APIURL is the REST API base URL of the provider's environment; pass it
// to NewClient with WithBaseURL.
func (p *Provider) APIURL() string { return p.apiURL }

// AuthCodeURL implements auth.Provider. The broker documents no state
// parameter; it is sent anyway and auth.Flow verifies it on return.
func (p *Provider) AuthCodeURL(state string, opts ...auth.AuthCodeOption) string {
	return p.std.AuthCodeURL(state, opts...)
}

// Exchange implements auth.Provider. In EnvLime the token's Expiry is the
// next daily expiry (or the server's expires_in, whichever comes first).
func (p *Provider) Exchange(ctx context.Context, code string, opts ...auth.AuthCodeOption) (*auth.Token, error) {
	issued := p.now()
	t, err := p.std.Exchange(ctx, code, opts...)
	if err != nil {
		return nil, err
	}
	if p.env == EnvLime {
		fixed := NextDailyExpiry(issued, p.daily)
		if t.Expiry.IsZero() || fixed.Before(t.Expiry) {
			t.Expiry = fixed
		}
	}
	return t, nil
}

// Refresh implements auth.Provider. Just2Trade has no refresh grant: the
// user logs in again. The error matches auth.ErrUnsupported.
func (p *Provider) Refresh(ctx context.Context, t *auth.Token) (*auth.Token, error) {
	return nil, fmt.Errorf("%s: refresh grant (none exists; log in again): %w", Name, auth.ErrUnsupported)
}

// ClientCredentials implements auth.Provider; the grant does not exist.
func (p *Provider) ClientCredentials(ctx context.Context, scopes ...string) (*auth.Token, error) {
	return nil, fmt.Errorf("%s: client credentials grant: %w", Name, auth.ErrUnsupported)
}

// NextDailyExpiry returns the first moment strictly after t at which d's
// wall-clock time occurs in d's location. The zero DailyExpiry is 3:00 AM
// US Eastern.
func NextDailyExpiry(t time.Time, d DailyExpiry) time.Time {
	d = d.withDefaults()
	loc := d.Location
	local := t.In(loc)
	next := time.Date(local.Year(), local.Month(), local.Day(), d.Hour, d.Minute, 0, 0, loc)
	for !next.After(t) {
		local = local.AddDate(0, 0, 1)
		next = time.Date(local.Year(), local.Month(), local.Day(), d.Hour, d.Minute, 0, 0, loc)
	}
	return next
}

// String describes the provider by name and client ID. (Its client
// secret lives behind a pointer to an auth.Standard, which redacts itself,
// so no fmt verb on a Provider prints it.)
func (p *Provider) String() string { return auth.Describe(p.std) }

// TokenRefused implements auth.RefusalDetector: the API answers a wrong,
// revoked or expired token with a 401 that carries no RFC 6750 challenge.
func (p *Provider) TokenRefused(resp *http.Response) bool { return auth.Any401(resp) }
