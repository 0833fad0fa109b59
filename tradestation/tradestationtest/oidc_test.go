package tradestationtest_test

import (
	"context"
	"encoding/json"
	neturl "net/url"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/brokerkit/brokerkit/tradestation/tradestationtest"
)

// TestStrictOIDCClient logs in with go-oidc as the relying party and plain
// golang.org/x/oauth2 (no brokerkit code): discovery, code + PKCE + nonce,
// ID-token verification against the JWKS, then a refresh whose ID token
// verifies too.
func TestStrictOIDCClient(t *testing.T) {
	clock := tradestationtest.NewTestClock(time.Now())
	s := tradestationtest.NewServer(tradestationtest.WithClock(clock.Now))
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

	conf := oauth2.Config{ClientID: tradestationtest.PKCEClientID, RedirectURL: tradestationtest.RedirectURL,
		Endpoint: op.Endpoint(), Scopes: []string{oidc.ScopeOpenID, "profile", "email", oidc.ScopeOfflineAccess, "ReadAccount"}}
	conf.Endpoint.AuthStyle = oauth2.AuthStyleInParams
	verifier := oauth2.GenerateVerifier()
	url := conf.AuthCodeURL("state-1", oauth2.S256ChallengeOption(verifier), oidc.Nonce("nonce-1"),
		oauth2.SetAuthURLParam("audience", "https://api.tradestation.com"))
	cb, err := s.Browser(tradestationtest.User, tradestationtest.Password).Login(ctx, url)
	require.NoError(t, err)
	q, err := queryOf(cb)
	require.NoError(t, err)
	require.Equal(t, "state-1", q.Get("state"))
	tok, err := conf.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(verifier))
	require.NoError(t, err)

	v := op.Verifier(&oidc.Config{ClientID: tradestationtest.PKCEClientID, Now: clock.Now})
	raw, _ := tok.Extra("id_token").(string)
	idt, err := v.Verify(ctx, raw)
	require.NoError(t, err)
	assert.Equal(t, "nonce-1", idt.Nonce)
	assert.Equal(t, tradestationtest.V3UserID, idt.Subject)
	assert.Equal(t, s.URL()+"/", idt.Issuer)

	ui, err := op.UserInfo(ctx, oauth2.StaticTokenSource(tok))
	require.NoError(t, err)
	assert.Equal(t, tradestationtest.V3UserID, ui.Subject)
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
	assert.Equal(t, tradestationtest.V3UserID, idt.Subject)
}

func queryOf(raw string) (interface{ Get(string) string }, error) {
	u, err := neturl.Parse(raw)
	if err != nil {
		return nil, err
	}
	return u.Query(), nil
}

// TestProviderVerifiesIDToken: the SDK's TradeStation provider verifies
// the emulator's ID token and reads the user from it.
func TestProviderVerifiesIDToken(t *testing.T) {
	s := tradestationtest.NewServer()
	t.Cleanup(s.Close)
	p, err := s.Provider()
	require.NoError(t, err)
	tok, err := s.Login(context.Background(), p)
	require.NoError(t, err)
	assert.Equal(t, tradestationtest.V3UserID, tok.Subject)
	require.NotNil(t, tok.IDClaims)
	assert.Equal(t, tradestationtest.V3UserID, tok.IDClaims.Subject)
	assert.Equal(t, s.URL()+"/", tok.IDClaims.Issuer)
	assert.NotEmpty(t, tok.IDClaims.Name, "profile is a default scope")
	ui, err := p.UserInfo(context.Background(), tok)
	require.NoError(t, err)
	assert.Equal(t, tok.Subject, ui.Subject)
}
