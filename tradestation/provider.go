package tradestation

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/internal/redact"
)

// Name implements auth.Provider.
func (p *Provider) Name() string { return Name }

// API returns the API family the provider logs in to.
func (p *Provider) API() API { return p.api }

// Environment returns auth.Live or auth.Sim.
func (p *Provider) Environment() auth.Environment { return p.env }

// Endpoints returns the hosts in use, defaults filled in.
func (p *Provider) Endpoints() Endpoints { return p.endpoints }

// Audience returns the audience the provider's tokens are minted for:
// TradingAudience, AOPAudience or V2Audience.
func (p *Provider) Audience() string { return p.std.Config().Audience }

// Issuer returns the Auth0 issuer a v3 callback may carry as iss; empty for
// v2.
func (p *Provider) Issuer() string { return p.std.Issuer() }

// Capabilities implements auth.Provider.
func (p *Provider) Capabilities() auth.Capabilities { return p.std.Capabilities() }

// AuthCodeURL implements auth.Provider. V3 and AOP URLs carry audience and
// scope; AOP logins may add EnableRegistration and WithPage.
func (p *Provider) AuthCodeURL(state string, opts ...auth.AuthCodeOption) string {
	return p.std.AuthCodeURL(state, opts...)
}

// CodeParams implements auth.CodeParamser: a v2 callback carries code, and
// the 2013 documentation called it auth_code.
func (p *Provider) CodeParams() []string {
	if p.api == V2 {
		return []string{"code", "auth_code"}
	}
	return []string{"code"}
}

// Exchange implements auth.Provider. A v2 token's userid becomes its
// Subject; a rotating v3 session gets its absolute limit as RefreshExpiry.
func (p *Provider) Exchange(ctx context.Context, code string, opts ...auth.AuthCodeOption) (*auth.Token, error) {
	t, err := p.std.Exchange(ctx, code, opts...)
	if err != nil {
		return nil, err
	}
	if p.refresh == RefreshRotating && t.RefreshToken != "" && t.RefreshExpiry.IsZero() {
		t.RefreshExpiry = p.now().Add(p.absolute)
	}
	return t, nil
}

// Refresh implements auth.Provider. Without rotation TradeStation returns
// no new refresh token and the old one is kept; with rotation the new one
// replaces it and the session's absolute limit carries over. A refused
// refresh token (invalid_grant) matches auth.ErrReauthRequired.
func (p *Provider) Refresh(ctx context.Context, t *auth.Token) (*auth.Token, error) {
	if t != nil && t.Audience != "" && t.Audience != p.Audience() {
		return nil, &AudienceError{Want: p.Audience(), Got: t.Audience}
	}
	nt, err := p.std.Refresh(ctx, t)
	if err != nil {
		return nil, err
	}
	if nt.RefreshExpiry.IsZero() {
		nt.RefreshExpiry = t.RefreshExpiry
	}
	return nt, nil
}

// ClientCredentials implements auth.Provider. Only WebAPI v2 has the grant;
// its token has Subject ClientOnlyUser and may only look up symbols.
func (p *Provider) ClientCredentials(ctx context.Context, scopes ...string) (*auth.Token, error) {
	if p.api != V2 {
		return nil, fmt.Errorf("tradestation %s: client credentials grant: %w", p.api, auth.ErrUnsupported)
	}
	if len(scopes) > 0 {
		return nil, fmt.Errorf("tradestation v2: %w: the client credentials grant takes no scopes", ErrInvalidInput)
	}
	return p.std.ClientCredentials(ctx)
}

// Revoke implements auth.Revoker for V3 and AOP. TradeStation revokes every
// refresh token of the API key, not just t's; issued access tokens live
// on until they expire.
func (p *Provider) Revoke(ctx context.Context, t *auth.Token) error {
	return p.std.Revoke(ctx, t)
}

// Page is the Universal Login page an AOP login opens on.
type Page string

// The Universal Login pages.
const (
	PageSignup Page = "signup"
	PageLogin  Page = "login"
)

// EnableRegistration lets a user without TradeStation credentials register
// during an AOP login (enableRegistration=true). Pair it with
// WithPage(PageSignup).
func EnableRegistration() auth.AuthCodeOption { return auth.SetParam("enableRegistration", "true") }

// WithPage opens Universal Login on page.
func WithPage(page Page) auth.AuthCodeOption { return auth.SetParam("page", string(page)) }

// PromptLogin forces the login screen even when the user has a session.
func PromptLogin() auth.AuthCodeOption { return auth.SetParam("prompt", "login") }

// ImplicitURL returns a legacy WebAPI v2 implicit-grant URL
// (response_type=token). The token comes back in the redirect's fragment,
// cannot be refreshed and lasts at most a day. It needs
// Config.LegacyImplicit; prefer the code flow.
func (p *Provider) ImplicitURL(state string) (string, error) {
	if p.api != V2 || !p.implicit {
		return "", fmt.Errorf("tradestation: implicit grant needs API V2 and Config.LegacyImplicit: %w", auth.ErrUnsupported)
	}
	v := url.Values{"response_type": {"token"}, "client_id": {p.clientID}}
	if p.redirect != "" {
		v.Set("redirect_uri", p.redirect)
	}
	if state != "" {
		v.Set("state", state)
	}
	return p.std.Config().Endpoint.AuthURL + "?" + v.Encode(), nil
}

// ParseImplicitFragment reads the fragment of a legacy v2 implicit-grant
// redirect (with or without the leading '#', or the whole redirect URL).
// state is the one ImplicitURL was given: the fragment's state must equal
// it. A fragment without state, or an empty state to check against, is
// refused with auth.ErrStateMismatch unless Config.AllowMissingState is
// set; a fragment whose state is present but wrong is refused always, and
// an error fragment is believed only with the right state. Fragment names
// are undocumented; access_token and token, expires_in and userid are
// read.
func (p *Provider) ParseImplicitFragment(fragment, state string) (*auth.Token, error) {
	if p.api != V2 || !p.implicit {
		return nil, fmt.Errorf("tradestation: implicit grant needs API V2 and Config.LegacyImplicit: %w", auth.ErrUnsupported)
	}
	if i := strings.IndexByte(fragment, '#'); i >= 0 {
		fragment = fragment[i+1:]
	}
	if len(fragment) > 8192 {
		return nil, fmt.Errorf("tradestation: %w: fragment too long", auth.ErrBadCallback)
	}
	q, err := url.ParseQuery(fragment)
	if err != nil {
		return nil, fmt.Errorf("tradestation: %w: fragment does not parse", auth.ErrBadCallback)
	}
	got, present := q["state"]
	switch {
	case len(got) > 1:
		return nil, fmt.Errorf("tradestation: %w: parameter \"state\" repeated", auth.ErrBadCallback)
	case !present && p.missingState && len(q["error"]) == 0:
		// Opted in: a token fragment without state is taken as it is.
	case !present, state == "":
		return nil, fmt.Errorf("tradestation implicit callback: %w: no state to check", auth.ErrStateMismatch)
	case subtle.ConstantTimeCompare([]byte(got[0]), []byte(state)) != 1:
		return nil, fmt.Errorf("tradestation implicit callback: %w", auth.ErrStateMismatch)
	}
	if code := q.Get("error"); code != "" {
		// The fragment may carry a token beside the error; it stays out
		// of the error text, as do line breaks and overlong text.
		secrets := []string{q.Get("access_token"), q.Get("token"), q.Get("refresh_token"), state}
		return nil, &auth.OAuthError{Provider: Name, Endpoint: "authorize", Code: redact.Text(code, secrets...),
			Description: redact.Text(q.Get("error_description"), secrets...)}
	}
	obj := map[string]string{}
	for k, vs := range q {
		if len(vs) != 1 {
			return nil, fmt.Errorf("tradestation: %w: parameter %q repeated", auth.ErrBadCallback, k)
		}
		if k != "state" {
			obj[k] = vs[0]
		}
	}
	body, _ := json.Marshal(obj)
	resp := &http.Response{StatusCode: http.StatusOK, Header: http.Header{"Content-Type": {"application/json"}},
		Body: io.NopCloser(bytes.NewReader(body))}
	t, err := auth.DecodeTokenResponse(Name, resp, p.now(), nil)
	if err != nil {
		return nil, err
	}
	t.Audience = V2Audience
	return t, nil
}

// TokenRefused implements auth.RefusalDetector: WebAPI v2 answers a dead
// token with a bare 401, and the v3 API's 401 carries no RFC 6750
// challenge either.
func (p *Provider) TokenRefused(resp *http.Response) bool { return auth.Any401(resp) }

// String describes the provider by name, API family and client ID. (Its
// client secret lives behind a pointer to an auth.Standard, which redacts
// itself, so no fmt verb on a Provider prints it.)
func (p *Provider) String() string { return auth.Describe(p.std) + " " + p.api.String() }
