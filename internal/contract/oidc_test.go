package contract_test

import (
	"context"
	"encoding/json"
	"net/http"
	neturl "net/url"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/brokerkit/brokerkit/autoshares/autosharestest"
	"github.com/brokerkit/brokerkit/internal/oauthsim"
	"github.com/brokerkit/brokerkit/tradestation/tradestationtest"
)

// auth0Emulator is what the strict-client test needs of an emulator of an
// Auth0 broker: its server on a test clock, a user to log in as, and the
// app registration a standard client would use.
type auth0Emulator struct {
	name       string
	start      func(now func() time.Time) (url string, hc *http.Client, browser *oauthsim.Browser, stop func())
	clientID   string
	secret     string // empty: a public client with PKCE
	redirect   string
	scopes     []string
	authParams []oauth2.AuthCodeOption
}

func auth0Emulators() []auth0Emulator {
	return []auth0Emulator{{
		name: "tradestation",
		start: func(now func() time.Time) (string, *http.Client, *oauthsim.Browser, func()) {
			s := tradestationtest.NewServer(tradestationtest.WithClock(now))
			return s.URL(), s.Client(), s.Browser(tradestationtest.User, tradestationtest.Password), s.Close
		},
		clientID: tradestationtest.PKCEClientID, redirect: tradestationtest.RedirectURL,
		scopes:     []string{"ReadAccount"},
		authParams: []oauth2.AuthCodeOption{oauth2.SetAuthURLParam("audience", "https://api.tradestation.com")},
	}, {
		name: "autoshares",
		start: func(now func() time.Time) (string, *http.Client, *oauthsim.Browser, func()) {
			s := autosharestest.NewServer(autosharestest.WithClock(now), autosharestest.WithRefresh(true))
			return s.URL(), s.Client(), s.Browser(autosharestest.User, autosharestest.Password), s.Close
		},
		clientID: autosharestest.ClientID, secret: autosharestest.ClientSecret, redirect: autosharestest.RedirectURL,
	}}
}

// TestStrictOIDCClient logs in to every Auth0 broker's emulator with
// go-oidc as the relying party and plain golang.org/x/oauth2 — no
// brokerkit code: discovery, JWKS, code + PKCE + nonce, ID-token
// verification, userinfo, then a refresh whose ID token verifies too.
func TestStrictOIDCClient(t *testing.T) {
	for _, e := range auth0Emulators() {
		t.Run(e.name, func(t *testing.T) {
			clock := oauthsim.NewTestClock(time.Now())
			url, hc, browser, stop := e.start(clock.Now)
			t.Cleanup(stop)
			ctx := oidc.ClientContext(context.Background(), hc)

			// Discovery and JWKS are served where Auth0 serves them.
			resp, err := hc.Get(url + "/.well-known/jwks.json")
			require.NoError(t, err)
			var jwks struct {
				Keys []map[string]string `json:"keys"`
			}
			require.NoError(t, json.NewDecoder(resp.Body).Decode(&jwks))
			resp.Body.Close()
			require.Len(t, jwks.Keys, 1)
			assert.Equal(t, "RS256", jwks.Keys[0]["alg"])
			op, err := oidc.NewProvider(ctx, url+"/")
			require.NoError(t, err)

			conf := oauth2.Config{ClientID: e.clientID, ClientSecret: e.secret, RedirectURL: e.redirect, Endpoint: op.Endpoint(),
				Scopes: append([]string{oidc.ScopeOpenID, "profile", "email", oidc.ScopeOfflineAccess}, e.scopes...)}
			conf.Endpoint.AuthStyle = oauth2.AuthStyleInParams
			verifier := oauth2.GenerateVerifier()
			authURL := conf.AuthCodeURL("state-1", append([]oauth2.AuthCodeOption{oauth2.S256ChallengeOption(verifier),
				oidc.Nonce("nonce-1")}, e.authParams...)...)
			cb, err := browser.Login(ctx, authURL)
			require.NoError(t, err)
			u, err := neturl.Parse(cb)
			require.NoError(t, err)
			require.Equal(t, "state-1", u.Query().Get("state"))
			tok, err := conf.Exchange(ctx, u.Query().Get("code"), oauth2.VerifierOption(verifier))
			require.NoError(t, err)

			v := op.Verifier(&oidc.Config{ClientID: e.clientID, Now: clock.Now})
			raw, _ := tok.Extra("id_token").(string)
			idt, err := v.Verify(ctx, raw)
			require.NoError(t, err)
			assert.Equal(t, "nonce-1", idt.Nonce)
			assert.Equal(t, url+"/", idt.Issuer)
			require.NotEmpty(t, idt.Subject)

			ui, err := op.UserInfo(ctx, oauth2.StaticTokenSource(tok))
			require.NoError(t, err)
			assert.Equal(t, idt.Subject, ui.Subject)
			assert.NotEmpty(t, ui.Email, "email scope granted")

			require.NotEmpty(t, tok.RefreshToken)
			clock.Advance(time.Hour)
			expired := *tok
			expired.Expiry = time.Now().Add(-time.Minute) // x/oauth2 reads the wall clock
			nt, err := conf.TokenSource(ctx, &expired).Token()
			require.NoError(t, err)
			assert.NotEqual(t, tok.AccessToken, nt.AccessToken)
			raw, _ = nt.Extra("id_token").(string)
			next, err := v.Verify(ctx, raw)
			require.NoError(t, err, "the refreshed ID token verifies")
			assert.Equal(t, idt.Subject, next.Subject)
		})
	}
}
