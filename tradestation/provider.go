package tradestation

import (
	"context"
	"crypto/subtle"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/internal/redact"
)

// API returns the API family the provider logs in to.
func (p *Provider) API() API { return p.api }

// Environment returns auth.Live or auth.Sim.
func (p *Provider) Environment() auth.Environment { return p.env }

// Audience returns the audience the provider's tokens are minted for:
// TradingAudience, AOPAudience or V2Audience.
func (p *Provider) Audience() string { return p.Config().Audience }

// Exchange implements auth.Provider. It overrides auth.Standard's to
// stamp a rotating v3 session's absolute limit on the token as
// RefreshExpiry, which TradeStation does not send, and to end a v2 token
// with its UTC date (see dayBound). (A v2 token's userid becomes its
// Subject through the decoder's fields.)
func (p *Provider) Exchange(ctx context.Context, code string, opts ...auth.AuthCodeOption) (*auth.Token, error) {
	sent := p.now()
	t, err := p.Standard.Exchange(ctx, code, opts...)
	if err != nil {
		return nil, err
	}
	p.dayBound(t, sent)
	if p.refresh == RefreshRotating && t.RefreshToken != "" && t.RefreshExpiry.IsZero() {
		t.RefreshExpiry = p.now().Add(p.absolute)
	}
	return t, nil
}

// Refresh implements auth.Provider. Without rotation TradeStation returns
// no new refresh token and the old one is kept; with rotation the new one
// replaces it and the session's absolute limit carries over. A refused
// refresh token (invalid_grant) matches auth.ErrReauthRequired. It
// overrides auth.Standard's to refuse a token of another audience before
// sending it, to carry the absolute limit over, and to end a v2 token with
// its UTC date (see dayBound).
func (p *Provider) Refresh(ctx context.Context, t *auth.Token) (*auth.Token, error) {
	if t != nil && t.Audience != "" && t.Audience != p.Audience() {
		return nil, &AudienceError{Want: p.Audience(), Got: t.Audience}
	}
	sent := p.now()
	nt, err := p.Standard.Refresh(ctx, t)
	if err != nil {
		return nil, err
	}
	p.dayBound(nt, sent)
	if nt.RefreshExpiry.IsZero() {
		nt.RefreshExpiry = t.RefreshExpiry
	}
	return nt, nil
}

// ClientCredentials implements auth.Provider (WebAPI v2 only). It
// overrides auth.Standard's only to end the token with its UTC date (see
// dayBound).
func (p *Provider) ClientCredentials(ctx context.Context, scopes ...string) (*auth.Token, error) {
	sent := p.now()
	t, err := p.Standard.ClientCredentials(ctx, scopes...)
	if err != nil {
		return nil, err
	}
	p.dayBound(t, sent)
	return t, nil
}

// dayBound ends a WebAPI v2 token at the first UTC midnight after sent,
// the moment its request left, when expires_in would carry it further (or
// when the answer gave no expires_in): WebAPI v2 documents that "the
// Access Token is only valid for the Date it was issued", all dates UTC,
// while its answers say expires_in 1200 at any hour. A token issued at
// 23:50 UTC thus expires at midnight, and a token source renews it then
// rather than send it to be refused. Counting from the request's start
// errs early: a token issued just after midnight is renewed once more.
// v3 and AOP tokens keep their expires_in.
func (p *Provider) dayBound(t *auth.Token, sent time.Time) {
	if p.api != V2 || t == nil {
		return
	}
	y, m, d := sent.UTC().Date()
	midnight := time.Date(y, m, d+1, 0, 0, 0, 0, time.UTC)
	if t.Expiry.IsZero() || t.Expiry.After(midnight) {
		t.Expiry = midnight
	}
}

// LoginPage is the Universal Login page an AOP login opens on. (Page is
// the name every broker package keeps for a page of a paged list.)
type LoginPage string

// The Universal Login pages.
const (
	PageSignup LoginPage = "signup"
	PageLogin  LoginPage = "login"
)

// EnableRegistration lets a user without TradeStation credentials register
// during an AOP login (enableRegistration=true). Pair it with
// WithPage(PageSignup).
func EnableRegistration() auth.AuthCodeOption { return auth.SetParam("enableRegistration", "true") }

// WithPage opens Universal Login on page.
func WithPage(page LoginPage) auth.AuthCodeOption { return auth.SetParam("page", string(page)) }

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
	cfg := p.Config()
	v := url.Values{"response_type": {"token"}, "client_id": {cfg.ClientID}}
	if cfg.RedirectURL != "" {
		v.Set("redirect_uri", cfg.RedirectURL)
	}
	if state != "" {
		v.Set("state", state)
	}
	return cfg.Endpoint.AuthURL + "?" + v.Encode(), nil
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
	for k, vs := range q {
		if len(vs) != 1 {
			return nil, fmt.Errorf("tradestation: %w: parameter %q repeated", auth.ErrBadCallback, k)
		}
	}
	return p.implicitToken(q)
}

// implicitToken builds the token of an implicit-grant fragment, whose
// names TradeStation never documented: those of its v2 token answers
// (v2Fields) are read, first match wins.
func (p *Provider) implicitToken(q url.Values) (*auth.Token, error) {
	f := v2Fields()
	first := func(names []string) string {
		for _, n := range names {
			if v := q.Get(n); v != "" {
				return v
			}
		}
		return ""
	}
	// v2 tokens are bearer tokens whatever token_type says ("AccessToken").
	t := &auth.Token{AccessToken: first(f.AccessToken), TokenType: "Bearer",
		Subject: first(f.Subject), Audience: V2Audience, Provider: Name}
	if t.AccessToken == "" {
		return nil, fmt.Errorf("tradestation: %w: fragment carries no access token", auth.ErrInvalidResponse)
	}
	if e := first(f.ExpiresIn); e != "" {
		n, err := strconv.ParseInt(e, 10, 64)
		if err != nil || n < 0 || n > 10*365*24*3600 {
			return nil, fmt.Errorf("tradestation: %w: expires_in %.20q is not a lifetime", auth.ErrInvalidResponse, e)
		}
		if n > 0 {
			t.Expiry = p.now().Add(time.Duration(n) * time.Second)
		}
	}
	return t, nil
}
