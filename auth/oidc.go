package auth

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"sync"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/brokerkit/brokerkit/internal/redact"
)

// ErrIDToken is matched (errors.Is) by every ID token that fails OpenID
// Connect verification: a bad signature, another issuer or audience, an
// expired token, a nonce other than the login's, a subject other than the
// refreshed token's, or no ID token where one was due. The token that
// carried it is not returned, so nothing is stored.
var ErrIDToken = errors.New("ID token refused")

// Claims are what an OpenID provider says about the user, read from a
// verified ID token (Token.IDClaims) or the userinfo endpoint
// (Standard.UserInfo).
type Claims struct {
	// Issuer is the iss of the ID token; empty from userinfo.
	Issuer string `json:"iss,omitempty"`
	// Subject is the user's stable identifier at the provider (sub).
	Subject string `json:"sub"`
	// Email is the user's email address, released with the email scope.
	Email string `json:"email,omitempty"`
	// EmailVerified says the provider has verified Email.
	EmailVerified bool `json:"email_verified,omitempty"`
	// Name is the user's display name, released with the profile scope.
	Name string `json:"name,omitempty"`
}

// oidcState is a Standard's OpenID Connect relying party: the discovered
// provider, fetched once on first use (and again after a failed fetch).
type oidcState struct {
	mu       sync.Mutex
	provider *oidc.Provider
}

// wantsNonce reports whether a login with these scopes (nil: the
// configured ones) expects an ID token, and so carries a nonce.
func (p *Standard) wantsNonce(scopes []string) bool {
	if !p.cfg.OIDC {
		return false
	}
	if len(scopes) == 0 {
		scopes = p.cfg.Scopes
	}
	return slices.Contains(scopes, "openid")
}

// discover returns the OpenID provider at the configured Issuer, fetching
// its discovery document through the provider's HTTP client.
func (p *Standard) discover(ctx context.Context) (*oidc.Provider, error) {
	p.rp.mu.Lock()
	defer p.rp.mu.Unlock()
	if p.rp.provider != nil {
		return p.rp.provider, nil
	}
	op, err := oidc.NewProvider(oidc.ClientContext(ctx, p.hc), p.cfg.Issuer)
	if err != nil {
		return nil, fmt.Errorf("auth: %s: OpenID discovery at %s: %w: %s", p.cfg.Name, urlForError(p.cfg.Issuer),
			ErrIDToken, redact.Text(err.Error()))
	}
	p.rp.provider = op
	return op, nil
}

// nonceOption carries a flow's nonce to Exchange, which checks the ID
// token against it. It adds nothing to the token request.
type nonceOption string

func (nonceOption) setValue(url.Values) {}

// expectedNonce is the nonce a Flow passed to Exchange, if any.
func expectedNonce(opts []AuthCodeOption) (string, bool) {
	for _, o := range opts {
		if n, ok := o.(nonceOption); ok {
			return string(n), true
		}
	}
	return "", false
}

// verifyIDToken checks the ID token of t, when p verifies ID tokens, and
// fills t.Subject and t.IDClaims from it. nonce is the login's (checked
// when wantNonce); prev is the token a refresh replaced (nil on a code
// exchange), whose subject a refreshed ID token must keep.
func (p *Standard) verifyIDToken(ctx context.Context, t *Token, nonce string, wantNonce bool, prev *Token) error {
	if !p.cfg.OIDC {
		return nil
	}
	raw, present, err := rawIDToken(t)
	if err != nil {
		return fmt.Errorf("auth: %s: %w: %v", p.cfg.Name, ErrIDToken, err)
	}
	if !present {
		if wantNonce {
			return fmt.Errorf("auth: %s: %w: the answer to an openid login carries no ID token", p.cfg.Name, ErrIDToken)
		}
		if prev != nil && prev.IDClaims != nil {
			t.IDClaims = prev.IDClaims.clone()
		}
		return nil
	}
	op, err := p.discover(ctx)
	if err != nil {
		return err
	}
	v := op.Verifier(&oidc.Config{ClientID: p.cfg.ClientID, Now: p.cfg.Now})
	idt, err := v.Verify(oidc.ClientContext(ctx, p.hc), raw)
	if err != nil {
		return fmt.Errorf("auth: %s: %w: %s", p.cfg.Name, ErrIDToken, redact.Text(err.Error(), raw))
	}
	if wantNonce && subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(nonce)) != 1 {
		return fmt.Errorf("auth: %s: %w: nonce is not this login's", p.cfg.Name, ErrIDToken)
	}
	var c Claims
	if err := idt.Claims(&c); err != nil {
		return fmt.Errorf("auth: %s: %w: claims do not decode", p.cfg.Name, ErrIDToken)
	}
	c.Issuer, c.Subject = idt.Issuer, idt.Subject
	if prev != nil && prev.Subject != "" && prev.Subject != c.Subject {
		return fmt.Errorf("auth: %s: %w: the refreshed ID token names another user", p.cfg.Name, ErrIDToken)
	}
	t.Subject = c.Subject
	t.IDClaims = &c
	return nil
}

// rawIDToken returns the id_token member of t's response, if any.
func rawIDToken(t *Token) (string, bool, error) {
	m, ok := t.Extra["id_token"]
	if !ok || string(m) == "null" {
		return "", false, nil
	}
	var s string
	if err := json.Unmarshal(m, &s); err != nil || s == "" {
		return "", false, errors.New("id_token is not a string")
	}
	return s, true, nil
}

// UserInfo asks the provider's OpenID userinfo endpoint (found by
// discovery at Config.Issuer) who t belongs to. It needs Config.OIDC; the
// answer must name t's Subject when t has one (else ErrIDToken).
func (p *Standard) UserInfo(ctx context.Context, t *Token) (*Claims, error) {
	if !p.cfg.OIDC {
		return nil, fmt.Errorf("auth: %s: userinfo: %w (Config.OIDC is off)", p.cfg.Name, ErrUnsupported)
	}
	if t == nil || t.AccessToken == "" {
		return nil, fmt.Errorf("auth: %s: userinfo: %w", p.cfg.Name, ErrNoToken)
	}
	op, err := p.discover(ctx)
	if err != nil {
		return nil, err
	}
	ui, err := op.UserInfo(oidc.ClientContext(ctx, p.hc), oauth2.StaticTokenSource(t.OAuth2()))
	if err != nil {
		return nil, fmt.Errorf("auth: %s: userinfo: %s", p.cfg.Name, redact.Text(err.Error(), t.AccessToken))
	}
	var c Claims
	if err := ui.Claims(&c); err != nil {
		return nil, fmt.Errorf("auth: %s: userinfo: %w: claims do not decode", p.cfg.Name, ErrInvalidResponse)
	}
	c.Subject, c.Email, c.EmailVerified = ui.Subject, ui.Email, ui.EmailVerified
	if t.Subject != "" && c.Subject != t.Subject {
		return nil, fmt.Errorf("auth: %s: userinfo: %w: it names another user", p.cfg.Name, ErrIDToken)
	}
	return &c, nil
}

func (c *Claims) clone() *Claims {
	if c == nil {
		return nil
	}
	d := *c
	return &d
}
