package autoshares_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/autoshares"
	"github.com/brokerkit/brokerkit/internal/resttest"
	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const tenant = "https://autosharesdev.us.auth0.com"

func testConfig(mt http.RoundTripper) autoshares.Config {
	return autoshares.Config{Environment: auth.Demo, Domain: "autosharesdev.us.auth0.com", ClientID: "cid", ClientSecret: "csecret-xyz",
		RedirectURL: "https://app.example.com/cb", RefreshEnabled: true, Audience: "https://api.autoshares.com",
		HTTPClient: &http.Client{Transport: mt}}
}

func TestProviderAuthorizeURL(t *testing.T) {
	p, err := autoshares.New(testConfig(nil))
	require.NoError(t, err)
	caps := p.Capabilities()
	assert.True(t, caps.PKCE)
	assert.True(t, caps.Refresh)
	assert.False(t, caps.RefreshRotates)
	assert.False(t, caps.ClientCredentials)
	assert.Equal(t, auth.AuthStyleInParams, caps.AuthStyle)

	flow, err := auth.Begin(p)
	require.NoError(t, err)
	u, err := url.Parse(flow.URL)
	require.NoError(t, err)
	assert.Equal(t, tenant+"/authorize", u.Scheme+"://"+u.Host+u.Path)
	q := u.Query()
	assert.Equal(t, "code", q.Get("response_type"))
	assert.Equal(t, "cid", q.Get("client_id"))
	assert.Equal(t, "https://app.example.com/cb", q.Get("redirect_uri"))
	assert.Equal(t, "openid profile email offline_access", q.Get("scope"))
	assert.Equal(t, "S256", q.Get("code_challenge_method"))
	assert.NotEmpty(t, q.Get("code_challenge"))
	assert.Equal(t, flow.State, q.Get("state"))
	assert.Equal(t, "https://api.autoshares.com", q.Get("audience"))
	assert.NotContains(t, flow.URL, "csecret")

	assert.Equal(t, autoshares.Lifetimes{Code: 10 * time.Minute, Access: 24 * time.Hour}, p.Lifetimes())
	assert.Equal(t, tenant+"/v2/logout?client_id=cid&returnTo=https%3A%2F%2Fapp.example.com%2Fbye",
		p.LogoutURL("https://app.example.com/bye"))
}

func TestProviderWithoutRefresh(t *testing.T) {
	cfg := testConfig(nil)
	cfg.RefreshEnabled = false
	p, err := autoshares.New(cfg)
	require.NoError(t, err)
	assert.False(t, p.Capabilities().Refresh)
	assert.Equal(t, []string{"openid", "profile", "email"}, p.Scopes())
	_, err = p.Refresh(context.Background(), &auth.Token{RefreshToken: "r"})
	assert.ErrorIs(t, err, auth.ErrUnsupported)
}

func TestProviderConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*autoshares.Config)
		want string
	}{
		{"no domain", func(c *autoshares.Config) { c.Domain = "" }, "Domain"},
		{"no environment", func(c *autoshares.Config) { c.Environment = "" }, `Config.Environment "" is not one of "live", "demo"`},
		{"sim is not AutoShares'", func(c *autoshares.Config) { c.Environment = auth.Sim }, "not one of"},
		{"plain http", func(c *autoshares.Config) { c.Domain = "http://tenant.example.com" }, "https"},
		{"query", func(c *autoshares.Config) { c.Domain = "https://tenant.example.com/?x=1" }, "bare host"},
		{"no client id", func(c *autoshares.Config) { c.ClientID = "" }, "client ID"},
		{"no secret", func(c *autoshares.Config) { c.ClientSecret = "" }, "client secret"},
		{"negative lifetime", func(c *autoshares.Config) { c.AccessLifetime = -time.Second }, "negative"},
		{"http userinfo", func(c *autoshares.Config) { c.UserinfoPath = "http://userinfo.example.com/me" }, "https"},
		{"http redirect", func(c *autoshares.Config) { c.RedirectURL = "http://app.example.com/cb" }, "https"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig(nil)
			tc.edit(&cfg)
			_, err := autoshares.New(cfg)
			require.ErrorContains(t, err, tc.want)
			assert.NotContains(t, err.Error(), "csecret-xyz")
		})
	}
	// A loopback emulator and custom paths are fine.
	p, err := autoshares.New(autoshares.Config{Environment: auth.Live, BaseURL: "http://127.0.0.1:8080/", ClientID: "c", ClientSecret: "s",
		TokenPath: "/gapp/oauth/token", AuthorizePath: "/gapp/authorize"})
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(p.AuthCodeURL("st"), "http://127.0.0.1:8080/gapp/authorize?"))
}

func TestProviderExchangeFixture(t *testing.T) {
	mt := httpmock.NewMockTransport()
	mt.RegisterResponder("POST", tenant+"/oauth/token", func(r *http.Request) (*http.Response, error) {
		b, _ := io.ReadAll(r.Body)
		form, err := url.ParseQuery(string(b))
		require.NoError(t, err)
		assert.Equal(t, "application/x-www-form-urlencoded", r.Header.Get("Content-Type"))
		assert.Equal(t, "authorization_code", form.Get("grant_type"))
		assert.Equal(t, "the-code", form.Get("code"))
		assert.Equal(t, "cid", form.Get("client_id"))
		assert.Equal(t, "csecret-xyz", form.Get("client_secret"), "client_secret_post")
		assert.Equal(t, "https://app.example.com/cb", form.Get("redirect_uri"))
		assert.Equal(t, "verifier-1", form.Get("code_verifier"))
		resp := httpmock.NewStringResponse(200, resttest.Fixture(t, "token_auth0.json"))
		resp.Header.Set("Content-Type", "application/json")
		return resp, nil
	})
	cfg := testConfig(mt)
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	cfg.Now = func() time.Time { return now }
	p, err := autoshares.New(cfg)
	require.NoError(t, err)
	tok, err := p.Exchange(context.Background(), "the-code", auth.SetParam("code_verifier", "verifier-1"))
	require.NoError(t, err)
	assert.Equal(t, "eyJhbGciOiJSUzI1NiJ9.access", tok.AccessToken)
	assert.Equal(t, "v1.refresh", tok.RefreshToken)
	assert.Equal(t, now.Add(24*time.Hour), tok.Expiry)
	assert.True(t, tok.RefreshExpiry.IsZero(), "refresh tokens do not expire")
	// An ID token must pass OpenID verification against the issuer's
	// keys, which a fixture cannot sign: the emulator tests cover it.
	assert.Equal(t, []string{"openid", "profile", "email", "offline_access"}, tok.Scopes)
	assert.Equal(t, "https://api.autoshares.com", tok.Audience)
	assert.Equal(t, autoshares.Name, tok.Provider)

	mt.RegisterResponder("POST", tenant+"/oauth/token", func(r *http.Request) (*http.Response, error) {
		resp := httpmock.NewStringResponse(403, resttest.Fixture(t, "token_error.json"))
		resp.Header.Set("Content-Type", "application/json")
		return resp, nil
	})
	_, err = p.Refresh(context.Background(), tok)
	require.ErrorIs(t, err, auth.ErrReauthRequired)
	assert.NotContains(t, err.Error(), "v1.refresh")
	assert.NotContains(t, err.Error(), "csecret-xyz")
}

func TestProviderUserinfoFixture(t *testing.T) {
	mt := httpmock.NewMockTransport()
	mt.RegisterResponder("GET", tenant+"/userinfo", func(r *http.Request) (*http.Response, error) {
		if r.Header.Get("Authorization") != "Bearer at" {
			return httpmock.NewStringResponse(401, `Unauthorized`), nil
		}
		return httpmock.NewStringResponse(200, `{"sub":"auth0|7125","email":"t@example.com","email_verified":true,"nickname":"t","org":"x"}`), nil
	})
	p, err := autoshares.New(testConfig(mt))
	require.NoError(t, err)
	ui, err := p.UserInfo(context.Background(), &auth.Token{AccessToken: "at"})
	require.NoError(t, err)
	assert.Equal(t, "auth0|7125", ui.Subject)
	assert.True(t, ui.EmailVerified)
	assert.JSONEq(t, `"x"`, string(ui.Claims["org"]))
	_, err = p.UserInfo(context.Background(), &auth.Token{AccessToken: "wrong"})
	assert.ErrorIs(t, err, auth.ErrInvalidToken)
	_, err = p.UserInfo(context.Background(), nil)
	assert.ErrorIs(t, err, auth.ErrNoToken)
}

// TestProviderUserinfoRefusals: userinfo answers map like any resource's
// (a *rest.Error, the challenge as an *auth.OAuthError): Auth0's Bearer challenge, a rate limit with its
// Retry-After, a 5xx.
func TestProviderUserinfoRefusals(t *testing.T) {
	mt := httpmock.NewMockTransport()
	status := 0
	mt.RegisterResponder("GET", tenant+"/userinfo", func(r *http.Request) (*http.Response, error) {
		resp := httpmock.NewStringResponse(status, `{"error":"x"}`)
		switch status {
		case http.StatusUnauthorized:
			resp.Header.Set("WWW-Authenticate", `Bearer error="invalid_token", error_description="expired"`)
		case http.StatusTooManyRequests:
			resp.Header.Set("Retry-After", "7")
		}
		return resp, nil
	})
	p, err := autoshares.New(testConfig(mt))
	require.NoError(t, err)
	tok := &auth.Token{AccessToken: "at-secret"}

	status = http.StatusUnauthorized
	_, err = p.UserInfo(context.Background(), tok)
	require.ErrorIs(t, err, auth.ErrInvalidToken)
	var oe *auth.OAuthError
	require.ErrorAs(t, err, &oe)
	assert.Equal(t, "invalid_token", oe.Code)

	status = http.StatusTooManyRequests
	_, err = p.UserInfo(context.Background(), tok)
	require.ErrorIs(t, err, auth.ErrRateLimited)
	var rl *auth.RateLimitError
	require.ErrorAs(t, err, &rl)
	assert.Equal(t, 7*time.Second, rl.RetryAfter)

	status = http.StatusBadGateway
	_, err = p.UserInfo(context.Background(), tok)
	require.ErrorIs(t, err, auth.ErrUnavailable)
	assert.NotContains(t, err.Error(), "at-secret")
}
