package autoshares

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/brokerkit/brokerkit/auth"
	challenges "github.com/brokerkit/brokerkit/internal/classify"
	"github.com/brokerkit/brokerkit/internal/origin"
	"github.com/brokerkit/brokerkit/internal/redact"
	"github.com/brokerkit/brokerkit/internal/rest"
)

// Name is the provider's registry name, stamped on every token it issues.
const Name = "autoshares"

// Default Auth0 paths, relative to the tenant domain. AutoShares names the
// discovery and logout URLs; the rest are Auth0's standard endpoints.
const (
	defaultAuthorizePath = "/authorize"
	defaultTokenPath     = "/oauth/token"
	defaultUserinfoPath  = "/userinfo"
	defaultLogoutPath    = "/v2/logout"
)

// Lifetimes AutoShares publishes. The text is a near copy of Tradier's, so
// the real tenant may differ: every one of them is configurable.
const (
	defaultCodeLifetime   = 10 * time.Minute
	defaultAccessLifetime = 24 * time.Hour
)

// DefaultScopes returns the scopes requested by default;
// ScopeOfflineAccess is added when refresh tokens are enabled for the
// application, because Auth0 issues a refresh token only when it is asked
// for.
func DefaultScopes() []string { return []string{"openid", "profile", "email"} }

// ScopeOfflineAccess asks Auth0 for a refresh token.
const ScopeOfflineAccess = "offline_access"

// Config configures the AutoShares Auth0 application and its API access.
type Config struct {
	// ClientID and ClientSecret are the credentials AutoShares issues for
	// the application. The secret prints and marshals redacted.
	ClientID     string
	ClientSecret auth.Secret
	// RedirectURL is a callback AutoShares added to the application's
	// Allowed Callback URLs.
	RedirectURL string
	// Environment is auth.Live or auth.Demo: it picks the API host
	// (LiveBaseURL, DemoBaseURL). Required: no default.
	Environment auth.Environment
	// BaseURL is one origin that serves both the Auth0-shaped login and
	// the API (an emulator's URL). Empty means Domain for the login and
	// the environment's API host. Must be https or loopback http.
	BaseURL string
	// Domain is the Auth0 tenant: a host name such as
	// "autosharesdev.us.auth0.com" (https is implied) or a full base URL.
	// Required when BaseURL is empty.
	Domain string
	// APIKey is the application's API secret key, sent with every API
	// call of a client from NewClient. It prints and marshals redacted.
	APIKey auth.Secret
	// APIKeyHeader names the API-key header; empty means
	// DefaultAPIKeyHeader.
	APIKeyHeader string
	// Audience, when set, is sent as the audience authorize parameter (the
	// API identifier in Auth0) and recorded on tokens.
	Audience string
	// RefreshEnabled says refresh tokens are enabled for the application:
	// offline_access is requested and Capabilities reports Refresh.
	RefreshEnabled bool
	// Scopes replaces DefaultScopes (offline_access is still added when
	// RefreshEnabled and missing).
	Scopes []string
	// AuthStyle is how the client authenticates at the token endpoint;
	// zero means auth.AuthStyleInParams (Auth0's client_secret_post).
	AuthStyle auth.AuthStyle
	// AuthorizePath, TokenPath, UserinfoPath and LogoutPath override the
	// Auth0 defaults (/authorize, /oauth/token, /userinfo, /v2/logout).
	AuthorizePath, TokenPath, UserinfoPath, LogoutPath string
	// CodeLifetime and AccessLifetime are what the tenant is set to; they
	// default to the published 10 minutes and 24 hours and are reported by
	// Lifetimes. The token's own expires_in always wins for its expiry.
	CodeLifetime, AccessLifetime time.Duration
	// HTTPClient makes token and userinfo requests; nil means a client with
	// a 30-second timeout.
	HTTPClient *http.Client `json:"-"`
	// Now is the clock token expiry is counted from; nil means time.Now.
	Now func() time.Time `json:"-"`
}

// Provider is the AutoShares authorization server (an Auth0 tenant). It is
// an auth.Provider and adds Userinfo and LogoutURL.
type Provider struct {
	*auth.Standard
	cfg     Config
	base    string // the Auth0 tenant's base URL
	apiBase string // the API's base URL
	hc      *http.Client
}

var _ auth.Provider = (*Provider)(nil)

// Lifetimes are the token lifetimes the tenant is configured with.
type Lifetimes struct {
	// Code is how long an authorization code may wait for its exchange.
	Code time.Duration
	// Access is how long an access token lives.
	Access time.Duration
	// Refresh is how long a refresh token lives; zero means it does not
	// expire (or none is issued, see Capabilities().Refresh).
	Refresh time.Duration
}

// New validates cfg and returns the provider.
func New(cfg Config) (*Provider, error) {
	var apiBase string
	switch cfg.Environment {
	case auth.Live:
		apiBase = LiveBaseURL
	case auth.Demo:
		apiBase = DemoBaseURL
	default:
		return nil, rest.Invalid(Name, "Config.Environment %q is not one of %q, %q", cfg.Environment, auth.Live, auth.Demo)
	}
	domain := cfg.Domain
	if cfg.BaseURL != "" {
		domain = cfg.BaseURL
	}
	base, err := baseURL(domain)
	if err != nil {
		return nil, err
	}
	if cfg.BaseURL != "" {
		apiBase = base
	}
	if cfg.APIKeyHeader != "" && !validHeaderName(cfg.APIKeyHeader) {
		return nil, rest.Invalid(Name, "Config.APIKeyHeader %q is not a valid header name", cfg.APIKeyHeader)
	}
	def := func(s *string, d string) {
		if *s == "" {
			*s = d
		}
	}
	def(&cfg.AuthorizePath, defaultAuthorizePath)
	def(&cfg.TokenPath, defaultTokenPath)
	def(&cfg.UserinfoPath, defaultUserinfoPath)
	def(&cfg.LogoutPath, defaultLogoutPath)
	if cfg.CodeLifetime == 0 {
		cfg.CodeLifetime = defaultCodeLifetime
	}
	if cfg.AccessLifetime == 0 {
		cfg.AccessLifetime = defaultAccessLifetime
	}
	if cfg.CodeLifetime < 0 || cfg.AccessLifetime < 0 {
		return nil, rest.Invalid(Name, "lifetimes must not be negative")
	}
	if cfg.AuthStyle == 0 {
		cfg.AuthStyle = auth.AuthStyleInParams
	}
	scopes := slices.Clone(cfg.Scopes)
	if len(scopes) == 0 {
		scopes = DefaultScopes()
	}
	if cfg.RefreshEnabled && !slices.Contains(scopes, ScopeOfflineAccess) {
		scopes = append(scopes, ScopeOfflineAccess)
	}
	cfg.Scopes = scopes
	var authParams url.Values
	if cfg.Audience != "" {
		authParams = url.Values{"audience": {cfg.Audience}}
	}
	std, err := auth.NewStandard(auth.Config{
		Name:         Name,
		ClientID:     cfg.ClientID,
		ClientSecret: cfg.ClientSecret,
		RedirectURL:  cfg.RedirectURL,
		Scopes:       scopes,
		Endpoint: auth.Endpoint{
			AuthURL:  joinURL(base, cfg.AuthorizePath),
			TokenURL: joinURL(base, cfg.TokenPath),
		},
		AuthStyle:  cfg.AuthStyle,
		AuthParams: authParams,
		// The login is Auth0's: an openid login's ID token is verified
		// against the tenant's discovery document and keys.
		Issuer:   base + "/",
		OIDC:     true,
		Audience: cfg.Audience,
		Capabilities: auth.Capabilities{
			PKCE:         true,
			Refresh:      cfg.RefreshEnabled,
			Environments: []auth.Environment{auth.Live, auth.Demo},
		},
		// The API answers a wrong, revoked or expired token with a 401
		// that carries no RFC 6750 challenge.
		Any401Refuses: true,
		HTTPClient:    cfg.HTTPClient,
		Now:           cfg.Now,
	})
	if err != nil {
		return nil, err
	}
	for _, u := range []string{joinURL(base, cfg.UserinfoPath), joinURL(base, cfg.LogoutPath)} {
		if err := origin.CheckEndpoint(u); err != nil {
			return nil, fmt.Errorf("autoshares: %w", err)
		}
	}
	// The userinfo request carries the user's token: like every API call
	// it follows redirects within the tenant's origin only. Without an
	// HTTPClient it gets a 30-second timeout.
	bu, _ := url.Parse(base)
	hc := rest.SameOriginClient(cfg.HTTPClient, bu)
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Provider{Standard: std, cfg: cfg, base: base, apiBase: apiBase, hc: hc}, nil
}

// Environment returns the environment the provider targets.
func (p *Provider) Environment() auth.Environment { return p.cfg.Environment }

// NewClient returns an API client that authorizes its calls with src's
// tokens and takes the host, the API key and its header from p.
func (p *Provider) NewClient(src auth.TokenSource, opts ...Option) *Client {
	return NewClient(auth.NewClient(src), append([]Option{WithProvider(p)}, opts...)...)
}

// baseURL turns a tenant domain into an https (or loopback http) base URL
// without a trailing slash.
func baseURL(domain string) (string, error) {
	d := strings.TrimSpace(domain)
	if d == "" {
		return "", rest.Invalid(Name, "Config.Domain (the Auth0 tenant) and Config.BaseURL are both empty")
	}
	if !strings.Contains(d, "://") {
		d = "https://" + d
	}
	d = strings.TrimRight(d, "/")
	if err := origin.CheckEndpoint(d); err != nil {
		return "", rest.Invalid(Name, "tenant domain: %v", err)
	}
	u, _ := url.Parse(d)
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return "", rest.Invalid(Name, "tenant domain %q must be a bare host or base URL", domain)
	}
	return d, nil
}

func joinURL(base, path string) string {
	if strings.Contains(path, "://") {
		return path
	}
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	return base + path
}

// Lifetimes reports the configured token lifetimes.
func (p *Provider) Lifetimes() Lifetimes {
	return Lifetimes{Code: p.cfg.CodeLifetime, Access: p.cfg.AccessLifetime}
}

// Scopes returns the scopes a login requests by default.
func (p *Provider) Scopes() []string { return slices.Clone(p.cfg.Scopes) }

// LogoutURL returns the Auth0 logout URL that ends the user's tenant
// session and sends the browser to returnTo (which AutoShares must have
// added to the Allowed Logout URLs). AutoShares requires client_id.
func (p *Provider) LogoutURL(returnTo string) string {
	v := url.Values{"client_id": {p.cfg.ClientID}}
	if returnTo != "" {
		v.Set("returnTo", returnTo)
	}
	return joinURL(p.base, p.cfg.LogoutPath) + "?" + v.Encode()
}

// UserInfo is the OpenID Connect profile of the logged-in user.
type UserInfo struct {
	// Subject is the Auth0 user id ("auth0|…").
	Subject string `json:"sub"`
	// Name, Nickname, Email and Picture are the profile claims.
	Name     string `json:"name,omitempty"`
	Nickname string `json:"nickname,omitempty"`
	Email    string `json:"email,omitempty"`
	Picture  string `json:"picture,omitempty"`
	// EmailVerified is the email_verified claim.
	EmailVerified bool `json:"email_verified,omitempty"`
	// Claims holds every claim, the ones above included.
	Claims map[string]json.RawMessage `json:"-"`
}

// UserInfo fetches the OpenID Connect profile for tok from the tenant's
// userinfo endpoint.
func (p *Provider) UserInfo(ctx context.Context, tok *auth.Token) (*UserInfo, error) {
	if tok == nil || tok.AccessToken == "" {
		return nil, fmt.Errorf("autoshares: userinfo: %w", auth.ErrNoToken)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, joinURL(p.base, p.cfg.UserinfoPath), nil)
	if err != nil {
		return nil, fmt.Errorf("autoshares: userinfo request: %v", err)
	}
	req.Header.Set("Authorization", tok.Type()+" "+tok.AccessToken)
	req.Header.Set("Accept", "application/json")
	resp, err := p.hc.Do(req)
	if err != nil {
		if cerr := ctx.Err(); cerr != nil {
			return nil, fmt.Errorf("autoshares: userinfo: %w", cerr)
		}
		if errors.Is(err, auth.ErrCrossOriginRedirect) {
			return nil, fmt.Errorf("autoshares: userinfo: %w", unwrapURLError(err))
		}
		return nil, fmt.Errorf("autoshares: userinfo: %w: %v", auth.ErrUnavailable, unwrapURLError(err))
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 400 {
		return nil, fmt.Errorf("autoshares: userinfo: %w", p.userinfoError(resp))
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxUserinfoBytes+1))
	if err != nil {
		return nil, fmt.Errorf("autoshares: userinfo: %w: %v", auth.ErrUnavailable, err)
	}
	if len(body) > maxUserinfoBytes {
		return nil, &auth.ResponseError{Provider: Name, StatusCode: resp.StatusCode, Reason: "userinfo body too large"}
	}
	var ui UserInfo
	if err := json.Unmarshal(body, &ui); err != nil {
		return nil, &auth.ResponseError{Provider: Name, StatusCode: resp.StatusCode, Reason: "userinfo is not a JSON object", Err: err}
	}
	if err := json.Unmarshal(body, &ui.Claims); err != nil {
		return nil, &auth.ResponseError{Provider: Name, StatusCode: resp.StatusCode, Reason: "userinfo is not a JSON object", Err: err}
	}
	if ui.Subject == "" {
		return nil, &auth.ResponseError{Provider: Name, StatusCode: resp.StatusCode, Reason: "userinfo has no sub claim"}
	}
	return &ui, nil
}

// maxUserinfoBytes caps the userinfo body read.
const maxUserinfoBytes = 1 << 20

// userinfoError maps a refused userinfo answer as the API's answers are
// mapped (a *rest.Error: a bare 401 matches auth.ErrInvalidToken, a 429 is
// an *auth.RateLimitError, 5xx matches auth.ErrUnavailable, the token
// removed from the kept text), and an RFC 6750 Bearer challenge, which
// Auth0 sends, as the *auth.OAuthError it carries.
func (p *Provider) userinfoError(resp *http.Response) error {
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	rc, err := rest.New(p.base, p.hc, rest.WithName(Name), rest.WithErrorHook(bearerChallenge))
	if err != nil {
		return fmt.Errorf("%w: HTTP %d", auth.ErrUnavailable, resp.StatusCode) // unreachable: p.base was checked by New
	}
	return rc.NewError(&rest.Response{Response: resp}, resp.StatusCode, raw)
}

// bearerChallenge puts the error of a 401's or 403's Bearer challenge in
// e.Err as an *auth.OAuthError (invalid_token matches
// auth.ErrInvalidToken, insufficient_scope auth.ErrInsufficientScope, with
// the scopes it names). e.Response's header already has the request's
// secrets removed; the text is cleaned like all server text.
func bearerChallenge(e *rest.Error) {
	if e.Response == nil || (e.StatusCode != http.StatusUnauthorized && e.StatusCode != http.StatusForbidden) {
		return
	}
	c, ok := challenges.Bearer(e.Response.Header)
	if !ok || c.Params["error"] == "" {
		return
	}
	oe := &auth.OAuthError{Endpoint: "resource", Code: redact.Text(c.Params["error"]),
		Description: redact.Text(c.Params["error_description"]), URI: redact.Text(c.Params["error_uri"]),
		StatusCode: e.StatusCode}
	if strings.EqualFold(oe.Code, "insufficient_scope") {
		oe.Scope = strings.Fields(redact.Text(c.Params["scope"]))
	}
	e.Err = oe
}

func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
