package authtest_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/auth/authtest"
	"github.com/brokerkit/brokerkit/internal/oauthsim"
)

const (
	redirect = "http://127.0.0.1/callback"
	secret   = "conformance-client-secret"
)

type setup struct {
	name   string
	server func(*oauthsim.Config)
	client func(*auth.Config)
	suite  func(*authtest.Config)
}

func start(t *testing.T, s setup) (*oauthsim.Server, *auth.Standard, authtest.Config) {
	t.Helper()
	clock := oauthsim.NewTestClock(time.Time{})
	scfg := oauthsim.Config{
		Name: "conformance", Now: clock.Now,
		Clients: []oauthsim.Client{
			{ID: "app", Secret: secret, RedirectURIs: []string{redirect}},
			{ID: "public-app", RedirectURIs: []string{redirect}},
		},
		Users:             []oauthsim.User{{ID: "u-1", Username: "alice", Password: "alice-password"}},
		Refresh:           oauthsim.RefreshPolicy{Mode: oauthsim.RefreshRotate},
		ClientCredentials: true,
	}
	if s.server != nil {
		s.server(&scfg)
	}
	srv, err := oauthsim.NewServer(scfg)
	require.NoError(t, err)
	t.Cleanup(srv.Close)
	acfg := auth.Config{
		Name: "sim", ClientID: "app", ClientSecret: secret, RedirectURL: redirect,
		Endpoint: srv.Endpoint(), AuthStyle: auth.AuthStyleInParams, HTTPClient: srv.Client(), Now: clock.Now,
		Capabilities: auth.Capabilities{PKCE: true, Refresh: true, RefreshRotates: true, ClientCredentials: true},
	}
	if s.client != nil {
		s.client(&acfg)
	}
	p, err := auth.NewStandard(acfg)
	require.NoError(t, err)
	browser := srv.Browser("alice", "alice-password")
	cfg := authtest.Config{
		Provider: p,
		Login:    browser.Login,
		Decline:  browser.Declining().Login,
		Use: func(ctx context.Context, tok *auth.Token) error {
			_, err := srv.Engine.ValidateToken(tok.AccessToken, oauthsim.AllowAppOnly())
			return err
		},
		RevokeEndsAccess: true,
		Secrets:          []string{"alice-password"},
		FlowOptions:      []auth.FlowOption{auth.FlowOptions{Now: clock.Now}},
	}
	if s.suite != nil {
		s.suite(&cfg)
	}
	return srv, p, cfg
}

var setups = []setup{
	{name: "rotating refresh, PKCE, confidential client"},
	{
		name: "static refresh not returned, no PKCE",
		server: func(c *oauthsim.Config) {
			c.Refresh = oauthsim.RefreshPolicy{Mode: oauthsim.RefreshStatic}
			c.PKCE = oauthsim.PKCEUnsupported
		},
		client: func(c *auth.Config) {
			c.Capabilities = auth.Capabilities{Refresh: true}
			c.AuthStyle = auth.AuthStyleInHeader
		},
	},
	{
		name: "no refresh, no revocation (Just2Trade-like)",
		server: func(c *oauthsim.Config) {
			c.Refresh = oauthsim.RefreshPolicy{}
			c.ClientCredentials = false
			c.Sliding = true
			c.Wire = oauthsim.Wire{AuthorizePath: "/connect/authorize", TokenPath: "/connect/token", RevokePath: "-",
				ClientAuth: oauthsim.ClientAuthParams, TokenHeaders: []string{"Authorization", "Authentication"}}
		},
		client: func(c *auth.Config) {
			c.Capabilities = auth.Capabilities{SlidingExpiry: true}
			c.Endpoint.RevokeURL = ""
		},
	},
	{
		name: "GET token endpoint, camelCase, errors with HTTP 200 (cTrader-like)",
		server: func(c *oauthsim.Config) {
			c.ClientCredentials = false
			c.PKCE = oauthsim.PKCEUnsupported
			c.Wire = oauthsim.Wire{AuthorizePath: "/apps/auth", TokenPath: "/apps/token", RevokePath: "-",
				TokenMethods: []string{http.MethodGet}, ClientAuth: oauthsim.ClientAuthParams,
				Fields: oauthsim.TokenFields{AccessToken: "accessToken", TokenType: "tokenType", RefreshToken: "refreshToken",
					ExpiresIn: "expiresIn", Scope: "-", TokenTypeValue: "bearer"},
				Errors: oauthsim.Status200Errors("errorCode", "description", map[string]string{"invalid_grant": "ACCESS_DENIED"})}
		},
		client: func(c *auth.Config) {
			c.TokenMethod = http.MethodGet
			c.OmitResponseType = true
			c.ReauthCodes = []string{"ACCESS_DENIED"}
			c.Capabilities = auth.Capabilities{Refresh: true, RefreshRotates: true}
			c.Endpoint.RevokeURL = ""
		},
	},
	{
		name: "public client with required PKCE",
		server: func(c *oauthsim.Config) {
			c.PKCE = oauthsim.PKCERequired
			c.Refresh = oauthsim.RefreshPolicy{Mode: oauthsim.RefreshStatic, ReturnOnRefresh: true}
		},
		client: func(c *auth.Config) {
			c.ClientID = "public-app"
			c.ClientSecret = ""
			c.AuthStyle = auth.AuthStylePublic
			c.Capabilities = auth.Capabilities{PKCE: true, Refresh: true}
		},
		suite: func(c *authtest.Config) { c.Secrets = append(c.Secrets, secret) },
	},
	{
		name: "Auth0-like: audience, offline_access, JSON revocation of all refresh tokens",
		server: func(c *oauthsim.Config) {
			c.RequiredScopes = []string{"openid"}
			c.Refresh = oauthsim.RefreshPolicy{Mode: oauthsim.RefreshRotate, RequireScope: "offline_access",
				TTL: 30 * time.Minute, Absolute: 24 * time.Hour}
			c.RevokeAllOfClient = true
			c.Wire = oauthsim.Wire{TokenPath: "/oauth/token", RevokePath: "/oauth/revoke", RequireResponseType: true,
				RequireAuthorizeParams: []string{"audience"}, Fields: oauthsim.TokenFields{IDToken: "id_token"}}
		},
		client: func(c *auth.Config) {
			c.AuthParams = map[string][]string{"audience": {"https://api.example.com"}}
			c.Scopes = []string{"openid", "offline_access", "profile"}
			c.RevokeStyle = auth.RevokeJSON
			c.Audience = "https://api.example.com"
		},
	},
}

func TestConformanceAgainstOauthsim(t *testing.T) {
	for _, s := range setups {
		t.Run(s.name, func(t *testing.T) {
			_, _, cfg := start(t, s)
			authtest.Run(t, cfg)
		})
	}
}

// lyingCaps claims capabilities the server does not have.
type lyingCaps struct {
	*auth.Standard
	caps auth.Capabilities
}

func (l lyingCaps) Capabilities() auth.Capabilities { return l.caps }

// replaying accepts a code twice, as a broken server would.
type replaying struct {
	*auth.Standard
	mu   sync.Mutex
	seen map[string]*auth.Token
}

func (r *replaying) Exchange(ctx context.Context, code string, opts ...auth.AuthCodeOption) (*auth.Token, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if t, ok := r.seen[code]; ok {
		return t, nil
	}
	t, err := r.Standard.Exchange(ctx, code, opts...)
	if err == nil {
		r.seen[code] = t
	}
	return t, err
}

// leaky puts the code in its error text.
type leaky struct{ *auth.Standard }

func (l leaky) Exchange(ctx context.Context, code string, opts ...auth.AuthCodeOption) (*auth.Token, error) {
	t, err := l.Standard.Exchange(ctx, code, opts...)
	if err != nil {
		return nil, fmt.Errorf("exchange of code %s failed: %w", code, err)
	}
	return t, nil
}

// TestBrokenProvider is the body of TestSuiteCatchesBrokenProviders: run in
// a child process, it runs the suite against a deliberately broken
// provider, and must fail.
func TestBrokenProvider(t *testing.T) {
	which := os.Getenv("AUTHTEST_BROKEN")
	if which == "" {
		return // only meaningful in the child process
	}
	_, p, cfg := start(t, setups[0])
	switch which {
	case "rotation":
		// The server keeps its refresh tokens; the provider claims rotation.
		_, p2, cfg2 := start(t, setups[1])
		caps := p2.Capabilities()
		caps.RefreshRotates = true
		cfg2.Provider = lyingCaps{p2, caps}
		cfg = cfg2
	case "replay":
		cfg.Provider = &replaying{Standard: p, seen: map[string]*auth.Token{}}
	case "leak":
		cfg.Provider = leaky{p}
	}
	authtest.Run(t, cfg)
}

func TestSuiteCatchesBrokenProviders(t *testing.T) {
	cases := map[string]string{
		"rotation": "did not change",
		"replay":   "accepted an authorization code twice",
		"leak":     "reveals a secret",
	}
	for which, want := range cases {
		t.Run(which, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestBrokenProvider$", "-test.count=1")
			cmd.Env = append(os.Environ(), "AUTHTEST_BROKEN="+which)
			out, err := cmd.CombinedOutput()
			require.Error(t, err, "the suite passed a broken provider:\n%s", out)
			assert.True(t, strings.Contains(string(out), want), "expected %q in:\n%s", want, out)
		})
	}
}
