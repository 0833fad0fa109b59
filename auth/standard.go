package auth

import (
	"bytes"
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

	"github.com/brokerkit/brokerkit/internal/classify"
	"github.com/brokerkit/brokerkit/internal/origin"
	"github.com/brokerkit/brokerkit/internal/redact"
)

// Endpoint is where a provider's authorization server lives.
type Endpoint struct {
	// AuthURL is the authorization (consent) endpoint.
	AuthURL string
	// TokenURL is the token endpoint.
	TokenURL string
	// RevokeURL is the revocation endpoint; empty when there is none.
	RevokeURL string
}

// RevokeStyle is how a revocation request is encoded.
type RevokeStyle int

const (
	// RevokeForm is RFC 7009: a form POST of token and token_type_hint.
	RevokeForm RevokeStyle = iota
	// RevokeJSON posts {"client_id","client_secret","token"} as JSON, as
	// Auth0-hosted brokers do.
	RevokeJSON
)

// Config describes a provider as data. Broker packages fill one in; apps
// rarely need to, but can, for an authorization server brokerkit does not
// know yet.
type Config struct {
	// Name is the provider's name, used in errors and stamped on tokens.
	Name string
	// ClientID is the application's client ID.
	ClientID string
	// ClientSecret is the application's client secret; empty for a public
	// client. As a Secret it never appears in an error, log line or JSON.
	ClientSecret Secret
	// RedirectURL is the callback registered with the provider: https, or
	// http on a loopback address (RFC 8252 §7.3; a private-use scheme where the provider allows it).
	RedirectURL string
	// PrivateUseRedirect also allows a RedirectURL with a private-use
	// scheme in reverse-domain form (com.example.app:/callback, RFC 8252
	// §7.1), for native apps that registered one.
	PrivateUseRedirect bool
	// Scopes are requested when a flow does not name its own.
	Scopes []string
	// Endpoint holds the authorization server's URLs. Each must be https,
	// or http on a loopback address.
	Endpoint Endpoint
	// AuthStyle is how the client authenticates at the token endpoint. It
	// must be set: there is no auto-detection.
	AuthStyle AuthStyle
	// TokenMethod is "POST" (form body, the default) or "GET" (query).
	TokenMethod string
	// AuthParams are extra authorization-URL parameters (audience, say).
	AuthParams url.Values
	// GrantParams are extra token-request parameters per grant type
	// ("authorization_code", "refresh_token", "client_credentials").
	GrantParams map[string]url.Values
	// RefreshSendsRedirectURI adds redirect_uri to refresh requests, for
	// servers that require it.
	RefreshSendsRedirectURI bool
	// OmitResponseType leaves response_type=code out of authorization
	// URLs, for servers that reject it.
	OmitResponseType bool
	// RevokeStyle is how revocation requests are encoded.
	RevokeStyle RevokeStyle
	// Issuer is the expected iss of callbacks (RFC 9207), when known, and
	// the OpenID issuer whose discovery document OIDC reads.
	Issuer string
	// OIDC verifies ID tokens as an OpenID Connect relying party: the
	// Issuer's discovery document (/.well-known/openid-configuration) names
	// the signing keys; each ID token's signature, iss, aud (the client ID)
	// and exp are checked, and on a login that requested openid the nonce
	// Begin sent. A failed check is an error matching ErrIDToken and no
	// token is returned. A verified ID token sets Token.Subject and
	// Token.IDClaims. Needs Issuer.
	OIDC bool
	// Audience is recorded on every token this provider issues.
	Audience string
	// Fields names the token-response members; nil means DefaultFields().
	Fields *Fields
	// ReauthCodes are the error codes that, on refresh, mean the user must
	// log in again. Nil means just invalid_grant.
	ReauthCodes []string
	// Capabilities declares PKCE, refresh, rotation, client credentials,
	// sliding expiry and environments. AuthStyle, TokenMethod and Revoke
	// are filled in from the fields above.
	Capabilities Capabilities
	// Any401Refuses says the provider's APIs answer a refused token with a
	// bare 401 that carries no RFC 6750 invalid_token challenge: every 401
	// then counts as a refused token (a refresh and one retry, or
	// ErrReauthRequired). Off means only the RFC 6750 challenge counts.
	Any401Refuses bool
	// CodeParams names the callback parameters that may carry the code,
	// for servers that do not call it "code" (TradeStation v2 sends
	// auth_code). Empty means "code".
	CodeParams []string
	// HTTPClient makes the token requests; nil means a client with a
	// 30-second timeout. Redirects from token and revocation endpoints are
	// not followed (a 307 would re-send the code and the client secret to
	// another address): a 3xx answer is an *HTTPError.
	HTTPClient *http.Client `json:"-"`
	// Now is the clock expiry is counted from; nil means time.Now.
	Now func() time.Time `json:"-"`
}

// Standard is a Provider driven by a Config: an RFC 6749 authorization
// server with the broker's quirks described as data.
type Standard struct {
	cfg  Config
	caps Capabilities
	hc   *http.Client
	rp   oidcState // the OpenID relying party, when cfg.OIDC
}

// NewStandard validates cfg and returns a provider for it.
func NewStandard(cfg Config) (*Standard, error) {
	if cfg.Name == "" {
		return nil, errors.New("auth: provider config needs a Name")
	}
	if cfg.ClientID == "" {
		return nil, fmt.Errorf("auth: %s: client ID is empty", cfg.Name)
	}
	switch cfg.AuthStyle {
	case AuthStyleInParams, AuthStyleInHeader:
		if cfg.ClientSecret == "" {
			return nil, fmt.Errorf("auth: %s: client secret is empty (use AuthStylePublic for a public client)", cfg.Name)
		}
	case AuthStylePublic:
	default:
		return nil, fmt.Errorf("auth: %s: AuthStyle must be set explicitly", cfg.Name)
	}
	switch cfg.TokenMethod {
	case "":
		cfg.TokenMethod = http.MethodPost
	case http.MethodPost, http.MethodGet:
	default:
		return nil, fmt.Errorf("auth: %s: token method %q is neither GET nor POST", cfg.Name, cfg.TokenMethod)
	}
	if cfg.Endpoint.AuthURL == "" || cfg.Endpoint.TokenURL == "" {
		return nil, fmt.Errorf("auth: %s: authorization and token URLs are required", cfg.Name)
	}
	for _, u := range []string{cfg.Endpoint.AuthURL, cfg.Endpoint.TokenURL, cfg.Endpoint.RevokeURL} {
		if u == "" {
			continue
		}
		if err := origin.CheckEndpoint(u); err != nil {
			return nil, fmt.Errorf("auth: %s: %w", cfg.Name, err)
		}
	}
	if cfg.RedirectURL != "" {
		if err := checkRedirect(cfg.RedirectURL, cfg.PrivateUseRedirect); err != nil {
			return nil, fmt.Errorf("auth: %s: %w", cfg.Name, err)
		}
	}
	if cfg.Capabilities.RequireIssuer && cfg.Issuer == "" {
		return nil, fmt.Errorf("auth: %s: RequireIssuer needs the Issuer to compare iss with", cfg.Name)
	}
	if cfg.OIDC && cfg.Issuer == "" {
		return nil, fmt.Errorf("auth: %s: OIDC needs the Issuer whose discovery document names the keys", cfg.Name)
	}
	if cfg.OIDC {
		if err := origin.CheckEndpoint(cfg.Issuer); err != nil {
			return nil, fmt.Errorf("auth: %s: issuer: %w", cfg.Name, err)
		}
	}
	if cfg.Capabilities.AllowMissingState && !cfg.Capabilities.PKCE {
		return nil, fmt.Errorf("auth: %s: AllowMissingState needs PKCE, which binds a callback without state", cfg.Name)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	// The provider keeps its own copies: a caller that reuses or changes
	// its Config afterwards does not change the provider under it.
	cfg.Scopes = slices.Clone(cfg.Scopes)
	cfg.ReauthCodes = slices.Clone(cfg.ReauthCodes)
	cfg.CodeParams = slices.Clone(cfg.CodeParams)
	cfg.AuthParams = cloneValues(cfg.AuthParams)
	if cfg.GrantParams != nil {
		gp := make(map[string]url.Values, len(cfg.GrantParams))
		for grant, v := range cfg.GrantParams {
			gp[grant] = cloneValues(v)
		}
		cfg.GrantParams = gp
	}
	cfg.Capabilities.Environments = slices.Clone(cfg.Capabilities.Environments)
	if cfg.ReauthCodes == nil {
		cfg.ReauthCodes = []string{"invalid_grant"}
	}
	caps := cfg.Capabilities
	caps.AuthStyle = cfg.AuthStyle
	caps.TokenMethod = cfg.TokenMethod
	caps.Revoke = cfg.Endpoint.RevokeURL != ""
	hc := &http.Client{Timeout: 30 * time.Second}
	if cfg.HTTPClient != nil {
		c := *cfg.HTTPClient // a copy: the caller's client keeps its own redirect policy
		hc = &c
	}
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &Standard{cfg: cfg, caps: caps, hc: hc}, nil
}

// cloneValues returns a deep copy of v (nil for nil).
func cloneValues(v url.Values) url.Values {
	if v == nil {
		return nil
	}
	c := make(url.Values, len(v))
	for k, vals := range v {
		c[k] = slices.Clone(vals)
	}
	return c
}

// checkRedirectURL accepts a redirect URI that is https with a host, or
// http on a loopback address (RFC 8252 §7.3), without user information or
// a fragment. Anything else (javascript:, data:, file:, ftp:, ws:, plain
// http elsewhere, "https:host" without //) is refused with an error
// matching ErrInsecureEndpoint. Private-use schemes are allowed only where
// the app opts in: Config.PrivateUseRedirect.
func checkRedirectURL(raw string) error { return checkRedirect(raw, false) }

// checkRedirect is checkRedirectURL, also accepting private-use schemes in
// reverse-domain form (com.example.app:/callback) when privateUse is set.
func checkRedirect(raw string, privateUse bool) error {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" {
		return fmt.Errorf("%w: redirect URL %q is not an absolute URL", ErrInsecureEndpoint, urlForError(raw))
	}
	if u.Fragment != "" || strings.Contains(raw, "#") {
		return fmt.Errorf("%w: redirect URL %q must not have a fragment", ErrInsecureEndpoint, urlForError(raw))
	}
	if u.User != nil {
		return fmt.Errorf("%w: redirect URL %q must not carry user information", ErrInsecureEndpoint, urlForError(raw))
	}
	scheme := strings.ToLower(u.Scheme)
	switch {
	case u.Opaque != "":
		// "https:evil.com", "javascript:...", "com.example.app:cb": no
		// authority and no absolute path.
	case scheme == "https" && u.Host != "" && u.Hostname() != "":
		return nil
	case scheme == "http" && u.Host != "" && origin.IsLoopback(u.Hostname()):
		return nil
	case privateUse && reverseDomain(scheme) && (u.Host != "" || strings.HasPrefix(u.Path, "/")):
		return nil
	}
	allowed := "https with a host, or http on a loopback address"
	if privateUse {
		allowed += ", or a private-use scheme in reverse-domain form"
	}
	return fmt.Errorf("%w: redirect %q is not %s", ErrInsecureEndpoint, urlForError(raw), allowed)
}

// reverseDomain reports whether scheme is a private-use scheme in
// reverse-domain form: two or more dot-separated labels of letters,
// digits and hyphens, the first starting with a letter.
func reverseDomain(scheme string) bool {
	labels := strings.Split(scheme, ".")
	if len(labels) < 2 {
		return false
	}
	for i, l := range labels {
		if l == "" {
			return false
		}
		for j, r := range l {
			letter := r >= 'a' && r <= 'z'
			if !(letter || (r >= '0' && r <= '9' && (i > 0 || j > 0)) || (r == '-' && j > 0)) {
				return false
			}
		}
	}
	return true
}

// urlForError shows a URL in an error without the parts that may carry a
// secret: user information, query and fragment.
func urlForError(raw string) string { return origin.ForError(raw) }

// Name implements Provider.
func (p *Standard) Name() string { return p.cfg.Name }

// Capabilities implements Provider.
func (p *Standard) Capabilities() Capabilities {
	c := p.caps
	c.Environments = slices.Clone(c.Environments)
	return c
}

// Config returns a copy of the provider's configuration. Broker packages
// use it to build related endpoints. Its ClientSecret is a Secret, so the
// copy prints and marshals without it. Its slices and maps are the
// provider's own: read them, do not change them.
func (p *Standard) Config() Config { return p.cfg }

// Issuer returns the expected callback issuer, if configured.
func (p *Standard) Issuer() string { return p.cfg.Issuer }

// AuthCodeURL implements Provider.
func (p *Standard) AuthCodeURL(state string, opts ...AuthCodeOption) string {
	v := url.Values{}
	if !p.cfg.OmitResponseType {
		v.Set("response_type", "code")
	}
	v.Set("client_id", p.cfg.ClientID)
	if p.cfg.RedirectURL != "" {
		v.Set("redirect_uri", p.cfg.RedirectURL)
	}
	if len(p.cfg.Scopes) > 0 {
		v.Set("scope", strings.Join(p.cfg.Scopes, " "))
	}
	if state != "" {
		v.Set("state", state)
	}
	for k, vals := range p.cfg.AuthParams {
		v[k] = slices.Clone(vals)
	}
	applyOptions(v, opts)
	return withQuery(p.cfg.Endpoint.AuthURL, v.Encode())
}

// withQuery appends the encoded query q to u, which may have one already.
func withQuery(u, q string) string {
	if strings.Contains(u, "?") {
		return u + "&" + q
	}
	return u + "?" + q
}

// Exchange implements Provider.
func (p *Standard) Exchange(ctx context.Context, code string, opts ...AuthCodeOption) (*Token, error) {
	if code == "" {
		return nil, fmt.Errorf("%s: %w", p.cfg.Name, ErrMissingCode)
	}
	v := url.Values{"grant_type": {"authorization_code"}, "code": {code}}
	if p.cfg.RedirectURL != "" {
		v.Set("redirect_uri", p.cfg.RedirectURL)
	}
	applyOptions(v, opts)
	// Options meant for the authorization URL must not leak into the
	// token request.
	v.Del("scope")
	v.Del("code_challenge")
	v.Del("code_challenge_method")
	v.Del("nonce")
	t, err := p.tokenRequest(ctx, v)
	if err != nil {
		return nil, err
	}
	nonce, wantNonce := expectedNonce(opts)
	if err := p.verifyIDToken(ctx, t, nonce, wantNonce, nil); err != nil {
		return nil, err
	}
	return t, nil
}

// Refresh implements Provider.
func (p *Standard) Refresh(ctx context.Context, t *Token) (*Token, error) {
	if !p.caps.Refresh {
		return nil, fmt.Errorf("%s: refresh grant: %w", p.cfg.Name, ErrUnsupported)
	}
	if t == nil || t.RefreshToken == "" {
		return nil, fmt.Errorf("%s: no refresh token: %w", p.cfg.Name, ErrReauthRequired)
	}
	v := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {t.RefreshToken}}
	if p.cfg.RefreshSendsRedirectURI && p.cfg.RedirectURL != "" {
		v.Set("redirect_uri", p.cfg.RedirectURL)
	}
	nt, err := p.tokenRequest(ctx, v)
	if err != nil {
		var oe *OAuthError
		if errors.As(err, &oe) && p.isReauthCode(oe.Code) {
			return nil, reauth(err)
		}
		return nil, err
	}
	if nt.RefreshToken == "" {
		nt.RefreshToken = t.RefreshToken
		nt.RefreshExpiry = t.RefreshExpiry
	}
	if nt.Subject == "" {
		nt.Subject = t.Subject
	}
	if nt.Scopes == nil {
		nt.Scopes = slices.Clone(t.Scopes)
	}
	if err := p.verifyIDToken(ctx, nt, "", false, t); err != nil {
		return nil, err
	}
	return nt, nil
}

func (p *Standard) isReauthCode(code string) bool {
	for _, c := range p.cfg.ReauthCodes {
		if strings.EqualFold(c, code) {
			return true
		}
	}
	return false
}

// ClientCredentials implements Provider.
func (p *Standard) ClientCredentials(ctx context.Context, scopes ...string) (*Token, error) {
	if !p.caps.ClientCredentials {
		return nil, fmt.Errorf("%s: client credentials grant: %w", p.cfg.Name, ErrUnsupported)
	}
	v := url.Values{"grant_type": {"client_credentials"}}
	if len(scopes) > 0 {
		v.Set("scope", strings.Join(scopes, " "))
	}
	return p.tokenRequest(ctx, v)
}

// Revoke implements Revoker. It revokes the refresh token when t has one,
// else the access token.
func (p *Standard) Revoke(ctx context.Context, t *Token) error {
	if p.cfg.Endpoint.RevokeURL == "" {
		return fmt.Errorf("%s: revocation: %w", p.cfg.Name, ErrUnsupported)
	}
	if t == nil {
		return fmt.Errorf("%s: revocation: no token", p.cfg.Name)
	}
	tok, hint := t.RefreshToken, "refresh_token"
	if tok == "" {
		tok, hint = t.AccessToken, "access_token"
	}
	var req *http.Request
	var err error
	switch p.cfg.RevokeStyle {
	case RevokeJSON:
		body := map[string]string{"client_id": p.cfg.ClientID, "token": tok}
		if p.cfg.ClientSecret != "" && p.cfg.AuthStyle != AuthStylePublic {
			body["client_secret"] = p.cfg.ClientSecret.Reveal()
		}
		b, _ := json.Marshal(body)
		req, err = http.NewRequestWithContext(ctx, http.MethodPost, p.cfg.Endpoint.RevokeURL, bytes.NewReader(b))
		if err == nil {
			req.Header.Set("Content-Type", "application/json")
		}
	default:
		v := url.Values{"token": {tok}, "token_type_hint": {hint}}
		req, err = p.newRequest(ctx, http.MethodPost, p.cfg.Endpoint.RevokeURL, v)
	}
	if err != nil {
		return fmt.Errorf("%s: revocation request: %v", p.cfg.Name, err)
	}
	resp, err := p.do(req, "revocation")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxResponseBytes))
		return nil
	}
	_, err = decodeTokenResponse(p.cfg.Name, resp, p.cfg.Now(), p.cfg.Fields, req)
	var oe *OAuthError
	if errors.As(err, &oe) {
		oe.Endpoint = "revoke"
	}
	return err
}

// newRequest builds a request to endpoint carrying v and the client's
// credentials per AuthStyle: v goes in the query of a GET and in the form
// body of a POST.
func (p *Standard) newRequest(ctx context.Context, method, endpoint string, v url.Values) (*http.Request, error) {
	switch p.cfg.AuthStyle {
	case AuthStyleInParams:
		v.Set("client_id", p.cfg.ClientID)
		v.Set("client_secret", p.cfg.ClientSecret.Reveal())
	case AuthStylePublic:
		v.Set("client_id", p.cfg.ClientID)
	}
	var body io.Reader
	if method == http.MethodGet {
		endpoint = withQuery(endpoint, v.Encode())
	} else {
		body = strings.NewReader(v.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, method, endpoint, body)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if p.cfg.AuthStyle == AuthStyleInHeader {
		req.SetBasicAuth(url.QueryEscape(p.cfg.ClientID), url.QueryEscape(p.cfg.ClientSecret.Reveal()))
	}
	return req, nil
}

func (p *Standard) tokenRequest(ctx context.Context, v url.Values) (*Token, error) {
	grant := v.Get("grant_type")
	for k, vals := range p.cfg.GrantParams[grant] {
		v[k] = slices.Clone(vals)
	}
	req, err := p.newRequest(ctx, p.cfg.TokenMethod, p.cfg.Endpoint.TokenURL, v)
	if err != nil {
		return nil, fmt.Errorf("%s: building %s request: %v", p.cfg.Name, grant, redact.URLError(err))
	}
	req.Header.Set("Accept", "application/json")
	resp, err := p.do(req, grant)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	t, err := decodeTokenResponse(p.cfg.Name, resp, p.cfg.Now(), p.cfg.Fields, req)
	if err != nil {
		return nil, err
	}
	if p.cfg.Audience != "" && t.Audience == "" {
		t.Audience = p.cfg.Audience
	}
	return t, nil
}

// do sends req and reports transport failures without the request URL,
// which for GET token endpoints carries the code and the client secret.
func (p *Standard) do(req *http.Request, what string) (*http.Response, error) {
	resp, err := p.hc.Do(req)
	if err != nil {
		if ctxErr := req.Context().Err(); ctxErr != nil {
			return nil, fmt.Errorf("%s: %s request to %s: %w", p.cfg.Name, what, req.URL.Host, ctxErr)
		}
		return nil, fmt.Errorf("%s: %s request to %s: %w: %v", p.cfg.Name, what, req.URL.Host, ErrUnavailable, redact.URLError(err))
	}
	return resp, nil
}

// describe names p for humans and logs: its name and client ID, never its
// secret.
func describe(p Provider) string {
	id := ""
	if s, ok := p.(interface{ Config() Config }); ok {
		id = " client_id=" + s.Config().ClientID
	}
	return fmt.Sprintf("%s provider{%s%s}", p.Name(), authStyleText(p.Capabilities().AuthStyle), id)
}

// authStyleText describes an AuthStyle in words.
func authStyleText(s AuthStyle) string {
	switch s {
	case AuthStyleInParams:
		return "client secret in parameters"
	case AuthStyleInHeader:
		return "client secret in Basic header"
	case AuthStylePublic:
		return "public client (no secret)"
	}
	return "unset"
}

// TokenRefused reports whether resp means the access token was refused:
// any 401 when the Config says Any401Refuses, else a 401 with an RFC 6750
// invalid_token challenge. Transport asks it (see Provider), so the
// broker's rule is data of its provider.
func (p *Standard) TokenRefused(resp *http.Response) bool {
	if p.cfg.Any401Refuses {
		return resp.StatusCode == http.StatusUnauthorized
	}
	return classify.InvalidToken(resp)
}

// CodeParams returns the callback parameters that may carry the code
// (Config.CodeParams), making every Standard a CodeParamser.
func (p *Standard) CodeParams() []string {
	if len(p.cfg.CodeParams) == 0 {
		return []string{"code"}
	}
	return slices.Clone(p.cfg.CodeParams)
}

// Format makes every fmt verb print the provider's name and client ID,
// never its client secret.
func (p *Standard) Format(f fmt.State, verb rune) { formatRedacted(f, verb, describe(p)) }
