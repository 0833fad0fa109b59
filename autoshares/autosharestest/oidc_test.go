package autosharestest_test

import (
	"context"
	"encoding/json"
	"io"
	neturl "net/url"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/autoshares/autosharestest"
)

// TestStrictOIDCClient logs in with go-oidc as the relying party and plain
// golang.org/x/oauth2 (no brokerkit code): discovery, code + PKCE + nonce,
// ID-token verification against the JWKS, then a refresh whose ID token
// verifies too.
func TestStrictOIDCClient(t *testing.T) {
	clock := autosharestest.NewTestClock(time.Now())
	s := autosharestest.NewServer(autosharestest.WithClock(clock.Now), autosharestest.WithRefresh(true))
	t.Cleanup(s.Close)
	ctx := oidc.ClientContext(context.Background(), s.Client())

	// Discovery and JWKS are served where Auth0 serves them.
	resp, err := s.Client().Get(s.URL() + "/.well-known/jwks.json")
	require.NoError(t, err)
	var jwks struct {
		Keys []map[string]string `json:"keys"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&jwks))
	resp.Body.Close()
	require.Len(t, jwks.Keys, 1)
	assert.Equal(t, "RS256", jwks.Keys[0]["alg"])

	op, err := oidc.NewProvider(ctx, s.URL()+"/")
	require.NoError(t, err)
	var doc struct {
		Userinfo string `json:"userinfo_endpoint"`
	}
	require.NoError(t, op.Claims(&doc))
	assert.Equal(t, s.URL()+"/userinfo", doc.Userinfo)

	conf := oauth2.Config{ClientID: autosharestest.ClientID, ClientSecret: autosharestest.ClientSecret, RedirectURL: autosharestest.RedirectURL,
		Endpoint: op.Endpoint(), Scopes: []string{oidc.ScopeOpenID, "profile", "email", oidc.ScopeOfflineAccess}}
	conf.Endpoint.AuthStyle = oauth2.AuthStyleInParams
	verifier := oauth2.GenerateVerifier()
	url := conf.AuthCodeURL("state-1", oauth2.S256ChallengeOption(verifier), oidc.Nonce("nonce-1"))
	cb, err := s.Browser(autosharestest.User, autosharestest.Password).Login(ctx, url)
	require.NoError(t, err)
	q, err := queryOf(cb)
	require.NoError(t, err)
	require.Equal(t, "state-1", q.Get("state"))
	tok, err := conf.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(verifier))
	require.NoError(t, err)

	v := op.Verifier(&oidc.Config{ClientID: autosharestest.ClientID, Now: clock.Now})
	raw, _ := tok.Extra("id_token").(string)
	idt, err := v.Verify(ctx, raw)
	require.NoError(t, err)
	assert.Equal(t, "nonce-1", idt.Nonce)
	sub := idt.Subject
	require.NotEmpty(t, sub)
	assert.Equal(t, s.URL()+"/", idt.Issuer)

	ui, err := op.UserInfo(ctx, oauth2.StaticTokenSource(tok))
	require.NoError(t, err)
	assert.Equal(t, sub, ui.Subject)
	assert.NotEmpty(t, ui.Email, "email scope granted")

	require.NotEmpty(t, tok.RefreshToken)
	clock.Advance(time.Hour)
	expired := *tok
	expired.Expiry = time.Now().Add(-time.Minute) // x/oauth2 reads the wall clock
	nt, err := conf.TokenSource(ctx, &expired).Token()
	require.NoError(t, err)
	assert.NotEqual(t, tok.AccessToken, nt.AccessToken)
	raw, _ = nt.Extra("id_token").(string)
	idt, err = v.Verify(ctx, raw)
	require.NoError(t, err, "the refreshed ID token verifies")
	assert.Equal(t, sub, idt.Subject)
}

func queryOf(raw string) (interface{ Get(string) string }, error) {
	u, err := neturl.Parse(raw)
	if err != nil {
		return nil, err
	}
	return u.Query(), nil
}

// TestProviderVerifiesIDToken: the SDK's AutoShares provider verifies
// the emulator's ID token and reads the user's registration details.
func TestProviderVerifiesIDToken(t *testing.T) {
	s := autosharestest.NewServer()
	t.Cleanup(s.Close)
	p, err := s.Provider()
	require.NoError(t, err)
	tok, err := s.Login(context.Background(), p)
	require.NoError(t, err)
	require.NotEmpty(t, tok.Subject)
	require.NotNil(t, tok.IDClaims)
	assert.Equal(t, tok.Subject, tok.IDClaims.Subject)
	assert.NotEmpty(t, tok.IDClaims.Email, "email is a default scope")
	assert.NotEmpty(t, tok.IDClaims.Name, "profile is a default scope")
}

// TestSignupForm: enableRegistration=true&page=signup opens a registration
// form; the user it creates is logged in at once (the ID token names
// them) and can log in again with the same credentials.
func TestSignupForm(t *testing.T) {
	s := autosharestest.NewServer()
	t.Cleanup(s.Close)
	ctx := context.Background()
	p, err := s.Provider()
	require.NoError(t, err)
	signup := auth.FlowOptions{AuthParams: []auth.AuthCodeOption{
		auth.SetParam("enableRegistration", "true"), auth.SetParam("page", "signup")}}

	f, err := auth.Begin(p, signup)
	require.NoError(t, err)
	resp, err := s.Client().Get(f.URL)
	require.NoError(t, err)
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Contains(t, string(page), `id="oauthsim-signup"`, "a registration form, not the login form")
	assert.NotContains(t, string(page), `id="oauthsim-consent"`)

	b := s.Browser("new.trader@example.com", "new-trader-pass")
	cb, err := b.Signup(ctx, f.URL, "New Trader")
	require.NoError(t, err)
	tok, err := f.CompleteURL(ctx, p, cb)
	require.NoError(t, err)
	require.NotNil(t, tok.IDClaims)
	assert.Equal(t, "new.trader@example.com", tok.IDClaims.Email)
	assert.Equal(t, "New Trader", tok.IDClaims.Name)
	assert.False(t, tok.IDClaims.EmailVerified)

	// The API knows the new user.
	c := p.NewClient(staticSource{tok})
	prof, err := c.Profile.Get(ctx)
	require.NoError(t, err)
	assert.Equal(t, "new.trader@example.com", prof.Email)

	// The new user logs in like any other; signing up twice is refused.
	again, err := b.Token(ctx, p)
	require.NoError(t, err)
	assert.Equal(t, tok.Subject, again.Subject)
	f, err = auth.Begin(p, signup)
	require.NoError(t, err)
	_, err = b.Signup(ctx, f.URL, "New Trader")
	require.ErrorContains(t, err, "exists")
}

// staticSource hands out one token.
type staticSource struct{ t *auth.Token }

func (s staticSource) TokenContext(context.Context) (*auth.Token, error) { return s.t, nil }
