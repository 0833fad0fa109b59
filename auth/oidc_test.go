package auth_test

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/internal/oauthsim"
)

// oidcSim is an OpenID provider built on oauthsim whose ID tokens the test
// re-signs with its own key (served as the JWKS), after mutate edits their
// claims: the way to present forged, expired, foreign or replayed ID
// tokens to the relying party.
type oidcSim struct {
	srv   *httptest.Server
	eng   *oauthsim.Engine
	clock *oauthsim.TestClock
	p     *auth.Standard
	key   *rsa.PrivateKey
	rogue *rsa.PrivateKey

	mu     sync.Mutex
	mutate func(claims map[string]any) (signer *rsa.PrivateKey)
}

func newOIDCSim(t *testing.T) *oidcSim {
	t.Helper()
	s := &oidcSim{clock: oauthsim.NewTestClock(time.Time{})}
	var err error
	s.key, err = rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	s.rogue, err = rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	s.srv = httptest.NewUnstartedServer(nil)
	base := "http://" + s.srv.Listener.Addr().String()
	s.eng, err = oauthsim.New(oauthsim.Config{
		Name:    "OIDC Broker",
		Issuer:  base + "/",
		Now:     s.clock.Now,
		Clients: []oauthsim.Client{{ID: "app", Secret: "app-secret", RedirectURIs: []string{"http://127.0.0.1/cb"}}},
		Users: []oauthsim.User{{ID: "auth0|u1", Username: "alice", Password: "pw", Name: "Alice A.",
			Claims: map[string]any{"email": "alice@example.com", "email_verified": true}}},
		Refresh: oauthsim.RefreshPolicy{Mode: oauthsim.RefreshRotate},
		Wire:    oauthsim.Wire{TokenPath: "/oauth/token", Fields: oauthsim.TokenFields{IDToken: "id_token"}},
	})
	require.NoError(t, err)
	s.srv.Config.Handler = http.HandlerFunc(s.serve)
	s.srv.Start()
	t.Cleanup(s.srv.Close)
	s.p, err = auth.NewStandard(auth.Config{
		Name: "oidc", ClientID: "app", ClientSecret: "app-secret", RedirectURL: "http://127.0.0.1/cb",
		Scopes: []string{"openid", "profile", "email"}, Endpoint: s.eng.Endpoint(base),
		AuthStyle: auth.AuthStyleInParams, Issuer: base + "/", OIDC: true,
		Capabilities: auth.Capabilities{PKCE: true, Refresh: true, RefreshRotates: true},
		HTTPClient:   s.srv.Client(), Now: s.clock.Now,
	})
	require.NoError(t, err)
	return s
}

func (s *oidcSim) set(f func(map[string]any) *rsa.PrivateKey) {
	s.mu.Lock()
	s.mutate = f
	s.mu.Unlock()
}

func (s *oidcSim) serve(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/.well-known/jwks.json":
		pub := &s.key.PublicKey
		enc := base64.RawURLEncoding
		oauthsim.WriteJSON(w, http.StatusOK, map[string]any{"keys": []map[string]string{{"kty": "RSA", "alg": "RS256",
			"use": "sig", "kid": "test", "n": enc.EncodeToString(pub.N.Bytes()),
			"e": enc.EncodeToString(big.NewInt(int64(pub.E)).Bytes())}}})
	case "/oauth/token":
		rec := httptest.NewRecorder()
		s.eng.ServeHTTP(rec, r)
		var body map[string]any
		if json.Unmarshal(rec.Body.Bytes(), &body) == nil {
			if raw, ok := body["id_token"].(string); ok {
				body["id_token"] = s.resign(raw)
			}
		}
		oauthsim.WriteJSON(w, rec.Code, body)
	default:
		s.eng.ServeHTTP(w, r)
	}
}

// resign re-signs the engine's ID token with the test key after the
// current mutation, which may pick another signer.
func (s *oidcSim) resign(raw string) string {
	parts := strings.Split(raw, ".")
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	var claims map[string]any
	_ = json.Unmarshal(payload, &claims)
	signer := s.key
	s.mu.Lock()
	if s.mutate != nil {
		if k := s.mutate(claims); k != nil {
			signer = k
		}
	}
	s.mu.Unlock()
	return signJWT(signer, claims)
}

func signJWT(k *rsa.PrivateKey, claims map[string]any) string {
	enc := base64.RawURLEncoding
	hdr, _ := json.Marshal(map[string]string{"alg": "RS256", "typ": "JWT", "kid": "test"})
	body, _ := json.Marshal(claims)
	signing := enc.EncodeToString(hdr) + "." + enc.EncodeToString(body)
	sum := sha256.Sum256([]byte(signing))
	sig, _ := rsa.SignPKCS1v15(rand.Reader, k, crypto.SHA256, sum[:])
	return signing + "." + enc.EncodeToString(sig)
}

// login runs a whole login as alice: Begin, consent, Complete.
func (s *oidcSim) login(ctx context.Context) (*auth.Flow, *auth.Token, error) {
	f, err := auth.Begin(s.p, auth.FlowOptions{Now: s.clock.Now})
	if err != nil {
		return nil, nil, err
	}
	cb, err := oauthsim.NewBrowser(s.srv.Client(), "alice", "pw").Login(ctx, f.URL)
	if err != nil {
		return f, nil, err
	}
	tok, err := f.CompleteURL(ctx, s.p, cb)
	return f, tok, err
}

func TestIDTokenVerifiedAndRead(t *testing.T) {
	s := newOIDCSim(t)
	ctx := context.Background()
	f, tok, err := s.login(ctx)
	require.NoError(t, err)
	require.NotEmpty(t, f.Nonce, "an openid login carries a nonce")
	u, _ := url.Parse(f.URL)
	assert.Equal(t, f.Nonce, u.Query().Get("nonce"))
	assert.Equal(t, "auth0|u1", tok.Subject, "Subject comes from the ID token's sub")
	require.NotNil(t, tok.IDClaims)
	assert.Equal(t, auth.Claims{Issuer: s.srv.URL + "/", Subject: "auth0|u1", Email: "alice@example.com",
		EmailVerified: true, Name: "Alice A."}, *tok.IDClaims)

	// The claims survive the JSON a Store writes.
	b, err := json.Marshal(tok)
	require.NoError(t, err)
	var back auth.Token
	require.NoError(t, json.Unmarshal(b, &back))
	assert.Equal(t, tok.IDClaims, back.IDClaims)
	assert.NotSame(t, tok.IDClaims, tok.Clone().IDClaims, "Clone copies the claims")

	// A refresh verifies the new ID token and keeps the user.
	s.clock.Advance(time.Minute)
	nt, err := s.p.Refresh(ctx, tok)
	require.NoError(t, err)
	assert.Equal(t, "auth0|u1", nt.Subject)
	require.NotNil(t, nt.IDClaims)

	// Userinfo through the discovered endpoint.
	ui, err := s.p.UserInfo(ctx, nt)
	require.NoError(t, err)
	assert.Equal(t, "auth0|u1", ui.Subject)
	assert.Equal(t, "alice@example.com", ui.Email)
	assert.Equal(t, "Alice A.", ui.Name)
}

func TestIDTokenRefused(t *testing.T) {
	cases := map[string]func(c map[string]any, s *oidcSim) *rsa.PrivateKey{
		"forged signature": func(c map[string]any, s *oidcSim) *rsa.PrivateKey { return s.rogue },
		"expired": func(c map[string]any, s *oidcSim) *rsa.PrivateKey {
			c["exp"] = s.clock.Now().Add(-time.Minute).Unix()
			return nil
		},
		"wrong audience": func(c map[string]any, _ *oidcSim) *rsa.PrivateKey { c["aud"] = "another-app"; return nil },
		"wrong issuer": func(c map[string]any, _ *oidcSim) *rsa.PrivateKey {
			c["iss"] = "https://evil.example/"
			return nil
		},
		"wrong nonce": func(c map[string]any, _ *oidcSim) *rsa.PrivateKey { c["nonce"] = "replayed"; return nil },
		"no nonce":    func(c map[string]any, _ *oidcSim) *rsa.PrivateKey { delete(c, "nonce"); return nil },
	}
	for name, mutate := range cases {
		t.Run(name, func(t *testing.T) {
			s := newOIDCSim(t)
			s.set(func(c map[string]any) *rsa.PrivateKey { return mutate(c, s) })
			_, tok, err := s.login(context.Background())
			require.ErrorIs(t, err, auth.ErrIDToken)
			assert.Nil(t, tok, "no token to store")
			assert.NotContains(t, err.Error(), "eyJ", "the ID token is not in the error")
		})
	}
}

func TestIDTokenRefusedOnRefresh(t *testing.T) {
	s := newOIDCSim(t)
	ctx := context.Background()
	_, tok, err := s.login(ctx)
	require.NoError(t, err)
	s.set(func(c map[string]any) *rsa.PrivateKey { c["sub"] = "auth0|someone-else"; return nil })
	nt, err := s.p.Refresh(ctx, tok)
	require.ErrorIs(t, err, auth.ErrIDToken, "a refreshed ID token for another user")
	assert.Nil(t, nt)
	s.set(func(map[string]any) *rsa.PrivateKey { return s.rogue })
	nt, err = s.p.Refresh(ctx, tok)
	require.Error(t, err)
	assert.Nil(t, nt)
}

func TestFlowNonceSurvivesJSON(t *testing.T) {
	s := newOIDCSim(t)
	ctx := context.Background()
	f, err := auth.Begin(s.p, auth.FlowOptions{Now: s.clock.Now})
	require.NoError(t, err)
	b, err := json.Marshal(f)
	require.NoError(t, err)
	assert.Contains(t, string(b), `"nonce":"`+f.Nonce+`"`)
	assert.NotContains(t, f.String(), f.Nonce)
	var restored auth.Flow
	require.NoError(t, json.Unmarshal(b, &restored))
	cb, err := oauthsim.NewBrowser(s.srv.Client(), "alice", "pw").Login(ctx, f.URL)
	require.NoError(t, err)
	tok, err := restored.CompleteURL(ctx, s.p, cb)
	require.NoError(t, err)
	assert.Equal(t, "auth0|u1", tok.Subject)

	// A flow whose nonce was changed in storage is refused.
	f2, err := auth.Begin(s.p, auth.FlowOptions{Now: s.clock.Now})
	require.NoError(t, err)
	cb, err = oauthsim.NewBrowser(s.srv.Client(), "alice", "pw").Login(ctx, f2.URL)
	require.NoError(t, err)
	f2.Nonce = "tampered"
	_, err = f2.CompleteURL(ctx, s.p, cb)
	require.ErrorIs(t, err, auth.ErrIDToken)
}

func TestOIDCNeedsIssuer(t *testing.T) {
	_, err := auth.NewStandard(auth.Config{Name: "x", ClientID: "c", AuthStyle: auth.AuthStylePublic, OIDC: true,
		Endpoint: auth.Endpoint{AuthURL: "https://x.example/a", TokenURL: "https://x.example/t"}})
	require.Error(t, err)
}
