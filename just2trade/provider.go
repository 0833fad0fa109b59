package just2trade

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/internal/origin"
	"github.com/brokerkit/brokerkit/internal/rest"
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

// hosts are an environment's authorization server and API.
type hosts struct{ auth, api string }

var envHosts = map[auth.Environment]hosts{
	EnvJust2Trade: {"https://auth.just2trade.com", "https://api.just2trade.com"},
	EnvLime:       {"https://auth.lime.co", "https://api.lime.co"},
}

// Paths on the authorization server; both environments use them.
const (
	authorizePath = "/connect/authorize"
	tokenPath     = "/connect/token"
)

// SlidingLifetime is how long a Just2Trade token lives after its last use;
// give it to auth.WithSlidingLifetime.
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
	// Environment is EnvJust2Trade or EnvLime. It is required: no
	// deployment is chosen by default.
	Environment auth.Environment
	// Scopes are sent as the scope parameter. Empty means DefaultScopes(),
	// none: the broker documents no scope parameter.
	Scopes []string
	// BaseURL is one origin that serves both the authorization server
	// (/connect/authorize, /connect/token) and the API, as the emulator in
	// just2tradetest does. Empty means the environment's real hosts. It
	// must be https, or http on a loopback address.
	BaseURL string
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

// DefaultScopes returns the scopes requested when Config.Scopes is empty:
// none, since the broker documents no scope parameter (its tokens carry
// "email profile" whatever is asked).
func DefaultScopes() []string { return nil }

// Provider is the Just2Trade authorization server: an auth.Standard
// configured with the broker's data (credentials in the form body, any 401
// a refused token, sliding expiry in EnvJust2Trade, no refresh, client
// credentials or revocation grant). Only Exchange differs, for Lime's
// daily expiry.
type Provider struct {
	*auth.Standard
	env    auth.Environment
	apiURL string
	daily  DailyExpiry
	now    func() time.Time
}

// New validates cfg and returns a provider.
func New(cfg Config) (*Provider, error) {
	env := cfg.Environment
	h, ok := envHosts[env]
	if !ok {
		return nil, rest.Invalid(Name, "Config.Environment %q is not one of %q, %q", env, EnvJust2Trade, EnvLime)
	}
	if cfg.BaseURL != "" {
		base := strings.TrimRight(cfg.BaseURL, "/")
		if err := origin.CheckEndpoint(base); err != nil {
			return nil, fmt.Errorf("%s: %w: Config.BaseURL: %w", Name, ErrInvalidInput, err)
		}
		h = hosts{base, base}
	}
	if cfg.ClientID == "" {
		return nil, rest.Invalid(Name, "Config.ClientID is required")
	}
	if cfg.RedirectURL == "" {
		return nil, rest.Invalid(Name, "Config.RedirectURL is required (the broker requires redirect_uri)")
	}
	if cfg.ClientSecret == "" {
		return nil, rest.Invalid(Name, "Config.ClientSecret is required (the token endpoint authenticates the client in the form body)")
	}
	daily := cfg.DailyExpiry
	if daily.Hour < 0 || daily.Hour > 23 || daily.Minute < 0 || daily.Minute > 59 {
		return nil, rest.Invalid(Name, "Config.DailyExpiry %02d:%02d is not a time of day", daily.Hour, daily.Minute)
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	scopes := cfg.Scopes
	if len(scopes) == 0 {
		scopes = DefaultScopes()
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
		Scopes:       slices.Clone(scopes),
		Endpoint: auth.Endpoint{
			AuthURL:  h.auth + authorizePath,
			TokenURL: h.auth + tokenPath,
		},
		AuthStyle:   auth.AuthStyleInParams,
		TokenMethod: http.MethodPost,
		Fields:      &fields,
		Capabilities: auth.Capabilities{
			PKCE:          cfg.PKCE,
			SlidingExpiry: env == EnvJust2Trade,
			Environments:  []auth.Environment{EnvJust2Trade, EnvLime},
		},
		// A wrong, revoked or expired token is a 401 with no RFC 6750
		// challenge.
		Any401Refuses: true,
		HTTPClient:    cfg.HTTPClient,
		Now:           now,
	})
	if err != nil {
		return nil, err // already "auth: just2trade: ..."
	}
	return &Provider{Standard: std, env: env, apiURL: h.api, daily: daily.withDefaults(), now: now}, nil
}

// Environment is the deployment this provider talks to.
func (p *Provider) Environment() auth.Environment { return p.env }

// NewClient returns an API client of p's environment (or BaseURL) whose
// requests carry src's token. opts may add WithRetry, WithUserAgent,
// WithBaseTransport, or WithBaseURL to reach another host.
func (p *Provider) NewClient(src auth.TokenSource, opts ...Option) *Client {
	return newClient(src, nil, append([]Option{WithProvider(p)}, opts...))
}

// Exchange implements auth.Provider. It overrides auth.Standard's only to
// set Lime's daily expiry: in EnvLime the token's Expiry is the next daily
// expiry (or the server's expires_in, whichever comes first). auth has no
// time-of-day expiry rule, so this one stays here.
func (p *Provider) Exchange(ctx context.Context, code string, opts ...auth.AuthCodeOption) (*auth.Token, error) {
	issued := p.now()
	t, err := p.Standard.Exchange(ctx, code, opts...)
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
