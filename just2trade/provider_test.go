package just2trade

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/internal/resttest"
)

func testConfig(hc *http.Client) Config {
	return Config{
		ClientID:     "app-id",
		ClientSecret: "app-secret",
		RedirectURL:  "https://app.example.com/callback",
		Environment:  EnvJust2Trade,
		HTTPClient:   hc,
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	good := testConfig(nil)
	cases := map[string]func(*Config){
		"no client id":     func(c *Config) { c.ClientID = "" },
		"no secret":        func(c *Config) { c.ClientSecret = "" },
		"no redirect":      func(c *Config) { c.RedirectURL = "" },
		"http redirect":    func(c *Config) { c.RedirectURL = "http://app.example.com/cb" },
		"unknown env":      func(c *Config) { c.Environment = "paper" },
		"no env":           func(c *Config) { c.Environment = "" },
		"http base":        func(c *Config) { c.BaseURL = "http://auth.example.com" },
		"bad daily expiry": func(c *Config) { c.DailyExpiry = DailyExpiry{Hour: 24} },
		"negative minute":  func(c *Config) { c.DailyExpiry = DailyExpiry{Minute: -1} },
		"relative base":    func(c *Config) { c.BaseURL = "auth.example.com" },
	}
	for name, mutate := range cases {
		t.Run(name, func(t *testing.T) {
			cfg := good
			mutate(&cfg)
			p, err := New(cfg)
			require.Error(t, err)
			assert.Nil(t, p)
			assert.NotContains(t, err.Error(), "app-secret")
			assert.Equal(t, 1, strings.Count(err.Error(), "just2trade:"), "the broker is named once: %v", err)
			if name != "http redirect" {
				assert.ErrorIs(t, err, ErrInvalidInput)
			}
		})
	}
	_, err := New(Config{ClientID: "a", ClientSecret: "b", RedirectURL: "https://x/cb", Environment: EnvLime, BaseURL: "http://api.example.com"})
	assert.ErrorIs(t, err, auth.ErrInsecureEndpoint)
	_, err = New(Config{ClientID: "a", ClientSecret: "b", RedirectURL: "https://x/cb"})
	assert.ErrorIs(t, err, ErrInvalidInput)
	assert.ErrorContains(t, err, `"just2trade", "lime"`, "the error lists the environments")
}

func TestEnvironmentsAndCapabilities(t *testing.T) {
	p, err := New(testConfig(nil))
	require.NoError(t, err)
	assert.Equal(t, "just2trade", p.Name())
	assert.Equal(t, EnvJust2Trade, p.Environment())
	assert.Equal(t, "https://api.just2trade.com", p.apiURL)
	caps := p.Capabilities()
	assert.False(t, caps.Refresh)
	assert.False(t, caps.ClientCredentials)
	assert.False(t, caps.Revoke)
	assert.False(t, caps.PKCE)
	assert.True(t, caps.SlidingExpiry)
	assert.Equal(t, auth.AuthStyleInParams, caps.AuthStyle)
	assert.Equal(t, http.MethodPost, caps.TokenMethod)
	assert.ElementsMatch(t, []auth.Environment{EnvJust2Trade, EnvLime}, caps.Environments)
	u, err := url.Parse(p.AuthCodeURL("st"))
	require.NoError(t, err)
	assert.Equal(t, "auth.just2trade.com", u.Host)

	cfg := testConfig(nil)
	cfg.Environment = EnvLime
	lime, err := New(cfg)
	require.NoError(t, err)
	assert.Equal(t, "https://api.lime.co", lime.apiURL)
	assert.False(t, lime.Capabilities().SlidingExpiry)
	u, err = url.Parse(lime.AuthCodeURL("st"))
	require.NoError(t, err)
	assert.Equal(t, "auth.lime.co", u.Host)
	assert.Equal(t, "/connect/authorize", u.Path)
}

func TestAuthCodeURL(t *testing.T) {
	p, err := New(testConfig(nil))
	require.NoError(t, err)
	flow, err := auth.Begin(p)
	require.NoError(t, err)
	u, err := url.Parse(flow.URL)
	require.NoError(t, err)
	assert.Equal(t, "https", u.Scheme)
	assert.Equal(t, "/connect/authorize", u.Path)
	q := u.Query()
	assert.Equal(t, "code", q.Get("response_type"))
	assert.Equal(t, "app-id", q.Get("client_id"))
	assert.Equal(t, "https://app.example.com/callback", q.Get("redirect_uri"))
	assert.Equal(t, flow.State, q.Get("state"))
	assert.Empty(t, q.Get("code_challenge"), "PKCE is off unless configured")
	assert.Empty(t, q.Get("client_secret"), "the 2017 docs put the secret here; never")

	cfg := testConfig(nil)
	cfg.PKCE = true
	pk, err := New(cfg)
	require.NoError(t, err)
	flow, err = auth.Begin(pk)
	require.NoError(t, err)
	u, _ = url.Parse(flow.URL)
	assert.Equal(t, "S256", u.Query().Get("code_challenge_method"))
}

func TestExchangeWire(t *testing.T) {
	hc, mt := resttest.Setup(t)
	now := time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC)
	cfg := testConfig(hc)
	cfg.Now = func() time.Time { return now }
	p, err := New(cfg)
	require.NoError(t, err)

	mt.RegisterResponder(http.MethodPost, "https://auth.just2trade.com/connect/token",
		func(r *http.Request) (*http.Response, error) {
			assert.Equal(t, "application/x-www-form-urlencoded", r.Header.Get("Content-Type"))
			assert.Equal(t, "application/json", r.Header.Get("Accept"))
			assert.Empty(t, r.Header.Get("Authorization"), "credentials go in the body, never Basic")
			require.NoError(t, r.ParseForm())
			assert.Equal(t, url.Values{
				"grant_type":    {"authorization_code"},
				"code":          {"the-code"},
				"redirect_uri":  {"https://app.example.com/callback"},
				"client_id":     {"app-id"},
				"client_secret": {"app-secret"},
			}, r.PostForm)
			resp := httpmock.NewStringResponse(http.StatusOK, resttest.Fixture(t, "token.json"))
			resp.Header.Set("Content-Type", "application/json")
			return resp, nil
		})
	tok, err := p.Exchange(context.Background(), "the-code")
	require.NoError(t, err)
	assert.Equal(t, "Zm9vYmFyLWFjY2Vzcy10b2tlbi0xMjM0NTY3ODkw", tok.AccessToken)
	assert.Equal(t, "Bearer", tok.TokenType)
	assert.Empty(t, tok.RefreshToken)
	assert.Equal(t, []string{"email", "profile"}, tok.Scopes)
	assert.Equal(t, "just2trade", tok.Provider)
	assert.True(t, tok.Expiry.Equal(now.Add(24*time.Hour)), tok.Expiry.String())
	assert.Equal(t, 1, mt.GetTotalCallCount())
}

func TestExchangeLimeFixedExpiry(t *testing.T) {
	ny := usEastern()
	cases := []struct {
		name    string
		now     time.Time
		fixture string
		want    time.Time
	}{
		// 16:00 ET: expires_in 86400 would run to tomorrow 16:00; 3:00 AM comes first.
		{"daily expiry first", time.Date(2026, 3, 2, 16, 0, 0, 0, ny), "token.json", time.Date(2026, 3, 3, 3, 0, 0, 0, ny)},
		// 16:00 ET: expires_in 28800 ends at midnight, before 3:00 AM.
		{"server lifetime first", time.Date(2026, 3, 2, 16, 0, 0, 0, ny), "token_lime.json", time.Date(2026, 3, 3, 0, 0, 0, 0, ny)},
		// 2:30 ET: 3:00 AM the same morning.
		{"small hours", time.Date(2026, 3, 2, 2, 30, 0, 0, ny), "token.json", time.Date(2026, 3, 2, 3, 0, 0, 0, ny)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			hc, mt := resttest.Setup(t)
			cfg := testConfig(hc)
			cfg.Environment = EnvLime
			cfg.Now = func() time.Time { return c.now }
			p, err := New(cfg)
			require.NoError(t, err)
			mt.RegisterResponder(http.MethodPost, "https://auth.lime.co/connect/token",
				httpmock.NewStringResponder(http.StatusOK, resttest.Fixture(t, c.fixture)))
			tok, err := p.Exchange(context.Background(), "code")
			require.NoError(t, err)
			assert.True(t, tok.Expiry.Equal(c.want), "expiry %s, want %s", tok.Expiry, c.want)
		})
	}
}

func TestExchangeErrors(t *testing.T) {
	cases := []struct {
		name   string
		status int
		body   string
		check  func(t *testing.T, err error)
	}{
		{"invalid_grant", 400, `{"error":"invalid_grant"}`, func(t *testing.T, err error) {
			var oe *auth.OAuthError
			require.ErrorAs(t, err, &oe)
			assert.Equal(t, "invalid_grant", oe.Code)
		}},
		{"invalid_client", 400, `{"error":"invalid_client"}`, func(t *testing.T, err error) {
			assert.ErrorIs(t, err, auth.ErrInvalidClient)
		}},
		{"code/message envelope", 400, resttest.Fixture(t, "error_validation.json"), func(t *testing.T, err error) {
			var oe *auth.OAuthError
			require.ErrorAs(t, err, &oe)
			assert.Equal(t, "validation_error", oe.Code)
			assert.Equal(t, "Symbol is required", oe.Description)
		}},
		{"html 500", 500, "<html>oops</html>", func(t *testing.T, err error) {
			assert.ErrorIs(t, err, auth.ErrUnavailable)
		}},
		{"no access token", 200, `{"token_type":"Bearer","expires_in":86400}`, func(t *testing.T, err error) {
			assert.ErrorIs(t, err, auth.ErrInvalidResponse)
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			hc, mt := resttest.Setup(t)
			p, err := New(testConfig(hc))
			require.NoError(t, err)
			mt.RegisterResponder(http.MethodPost, "https://auth.just2trade.com/connect/token",
				httpmock.NewStringResponder(c.status, c.body))
			_, err = p.Exchange(context.Background(), "code")
			require.Error(t, err)
			assert.NotContains(t, err.Error(), "app-secret")
			c.check(t, err)
		})
	}
}

func TestNoRefreshNoClientCredentials(t *testing.T) {
	hc, mt := resttest.Setup(t)
	p, err := New(testConfig(hc))
	require.NoError(t, err)
	_, err = p.Refresh(context.Background(), &auth.Token{AccessToken: "a", RefreshToken: "r"})
	assert.ErrorIs(t, err, auth.ErrUnsupported)
	_, err = p.ClientCredentials(context.Background())
	assert.ErrorIs(t, err, auth.ErrUnsupported)
	assert.Zero(t, mt.GetTotalCallCount(), "no request may be sent")
}

// regexpPath matches the API URL with exactly this path and any query.
func regexpPath(path string) *regexp.Regexp {
	return regexp.MustCompile(`^` + regexp.QuoteMeta(api+path) + `(\?.*)?$`)
}
