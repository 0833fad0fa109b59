package tradestation

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/internal/resttest"
)

var fixedNow = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

// mockProvider returns a provider whose token requests go to a fresh
// httpmock transport.
func mockProvider(t *testing.T, cfg Config) (*Provider, *httpmock.MockTransport) {
	t.Helper()
	mt := httpmock.NewMockTransport()
	cfg.HTTPClient = &http.Client{Transport: mt}
	cfg.Now = func() time.Time { return fixedNow }
	if cfg.ClientID == "" {
		cfg.ClientID = "AbCdEfGhIjKlMnOpQrStUvWxYz012345"
	}
	if cfg.RedirectURL == "" {
		cfg.RedirectURL = "http://localhost:3000/callback"
	}
	if cfg.Environment == "" {
		cfg.Environment = auth.Live
	}
	p, err := New(cfg)
	require.NoError(t, err)
	return p, mt
}

// formResponder asserts the request is a form POST, hands the form to
// check and answers status with body.
func formResponder(t *testing.T, check func(url.Values), status int, body string) httpmock.Responder {
	return func(r *http.Request) (*http.Response, error) {
		assert.Equal(t, "application/x-www-form-urlencoded", r.Header.Get("Content-Type"))
		require.NoError(t, r.ParseForm())
		check(r.PostForm)
		resp := httpmock.NewStringResponse(status, body)
		resp.Header.Set("Content-Type", "application/json")
		return resp, nil
	}
}

func TestV3AuthCodeURL(t *testing.T) {
	p, _ := mockProvider(t, Config{ClientSecret: "s3cret"})
	u, err := url.Parse(p.AuthCodeURL("st"))
	require.NoError(t, err)
	assert.Equal(t, "signin.tradestation.com", u.Host)
	assert.Equal(t, "/authorize", u.Path)
	q := u.Query()
	assert.Equal(t, "code", q.Get("response_type"))
	assert.Equal(t, TradingAudience, q.Get("audience"))
	assert.Equal(t, "openid offline_access profile MarketData ReadAccount", q.Get("scope"))
	assert.Equal(t, "st", q.Get("state"))
	assert.Equal(t, "http://localhost:3000/callback", q.Get("redirect_uri"))
	assert.False(t, p.Capabilities().PKCE, "a confidential key without the PKCE switch uses its secret")
	assert.True(t, p.Capabilities().Refresh)
	assert.True(t, p.Capabilities().Revoke)
	assert.False(t, p.Capabilities().ClientCredentials)

	pk, _ := mockProvider(t, Config{ClientSecret: "s3cret", PKCE: true, Scopes: []string{"openid", "MarketData"}})
	f, err := auth.Begin(pk)
	require.NoError(t, err)
	fu, _ := url.Parse(f.URL)
	assert.Equal(t, "S256", fu.Query().Get("code_challenge_method"))
	assert.NotEmpty(t, fu.Query().Get("code_challenge"))
	assert.Equal(t, "openid MarketData", fu.Query().Get("scope"))
	assert.Equal(t, auth.AuthStylePublic, pk.Capabilities().AuthStyle)
}

func TestAOPAuthCodeURL(t *testing.T) {
	p, _ := mockProvider(t, Config{API: AOP, ClientSecret: "s3cret"})
	f, err := auth.Begin(p, auth.FlowOptions{AuthParams: []auth.AuthCodeOption{EnableRegistration(), WithPage(PageSignup)}})
	require.NoError(t, err)
	u, _ := url.Parse(f.URL)
	q := u.Query()
	assert.Equal(t, AOPAudience, q.Get("audience"))
	assert.Equal(t, "openid offline_access profile email access:aop", q.Get("scope"))
	assert.Equal(t, "true", q.Get("enableRegistration"))
	assert.Equal(t, "signup", q.Get("page"))
	assert.Equal(t, AOPAudience, p.Audience())
}

func TestV3ExchangeConfidential(t *testing.T) {
	p, mt := mockProvider(t, Config{ClientSecret: "s3cret"})
	mt.RegisterResponder(http.MethodPost, "https://signin.tradestation.com/oauth/token",
		formResponder(t, func(f url.Values) {
			assert.Equal(t, "authorization_code", f.Get("grant_type"))
			assert.Equal(t, "the-code", f.Get("code"))
			assert.Equal(t, "AbCdEfGhIjKlMnOpQrStUvWxYz012345", f.Get("client_id"))
			assert.Equal(t, "s3cret", f.Get("client_secret"))
			assert.Equal(t, "http://localhost:3000/callback", f.Get("redirect_uri"))
			assert.Empty(t, f.Get("code_verifier"))
		}, 200, resttest.Fixture(t, "v3_token.json")))
	tok, err := p.Exchange(context.Background(), "the-code")
	require.NoError(t, err)
	assert.Equal(t, "AT-v3", tok.AccessToken)
	assert.Equal(t, "RT-v3", tok.RefreshToken)
	assert.Equal(t, "Bearer", tok.TokenType)
	assert.Equal(t, fixedNow.Add(20*time.Minute), tok.Expiry)
	assert.Equal(t, TradingAudience, tok.Audience)
	// An ID token must pass OpenID verification against the issuer's
	// keys, which a fixture cannot sign: the emulator tests cover it.
	assert.Contains(t, tok.Scopes, "MarketData")
	assert.True(t, tok.RefreshExpiry.IsZero(), "non-expiring refresh tokens have no limit")
	assert.Equal(t, 1, mt.GetTotalCallCount())
}

func TestV3ExchangePKCESendsNoSecret(t *testing.T) {
	p, mt := mockProvider(t, Config{ClientSecret: "s3cret", PKCE: true})
	mt.RegisterResponder(http.MethodPost, "https://signin.tradestation.com/oauth/token",
		formResponder(t, func(f url.Values) {
			assert.Equal(t, "verifier-123", f.Get("code_verifier"))
			_, has := f["client_secret"]
			assert.False(t, has, "PKCE flow must not send the secret")
			assert.Equal(t, "AbCdEfGhIjKlMnOpQrStUvWxYz012345", f.Get("client_id"))
		}, 200, resttest.Fixture(t, "v3_token.json")))
	_, err := p.Exchange(context.Background(), "c", auth.SetParam("code_verifier", "verifier-123"))
	require.NoError(t, err)
}

func TestV3Refresh(t *testing.T) {
	old := &auth.Token{AccessToken: "AT-v3", RefreshToken: "RT-v3", Audience: TradingAudience, Provider: Name}

	t.Run("non-expiring keeps the refresh token", func(t *testing.T) {
		p, mt := mockProvider(t, Config{ClientSecret: "s3cret"})
		mt.RegisterResponder(http.MethodPost, "https://signin.tradestation.com/oauth/token",
			formResponder(t, func(f url.Values) {
				assert.Equal(t, "refresh_token", f.Get("grant_type"))
				assert.Equal(t, "RT-v3", f.Get("refresh_token"))
				assert.Equal(t, "s3cret", f.Get("client_secret"))
			}, 200, resttest.Fixture(t, "v3_refresh.json")))
		nt, err := p.Refresh(context.Background(), old)
		require.NoError(t, err)
		assert.Equal(t, "AT-v3-refreshed", nt.AccessToken)
		assert.Equal(t, "RT-v3", nt.RefreshToken)
		assert.Equal(t, TradingAudience, nt.Audience)
	})
	t.Run("rotating replaces it and keeps the absolute limit", func(t *testing.T) {
		p, mt := mockProvider(t, Config{ClientSecret: "s3cret", Refresh: RefreshRotating})
		assert.True(t, p.Capabilities().RefreshRotates)
		mt.RegisterResponder(http.MethodPost, "https://signin.tradestation.com/oauth/token",
			httpmock.NewStringResponder(200, resttest.Fixture(t, "v3_token.json")))
		tok, err := p.Exchange(context.Background(), "c")
		require.NoError(t, err)
		assert.Equal(t, fixedNow.Add(24*time.Hour), tok.RefreshExpiry)
		mt.RegisterResponder(http.MethodPost, "https://signin.tradestation.com/oauth/token",
			httpmock.NewStringResponder(200, resttest.Fixture(t, "v3_refresh_rotated.json")))
		nt, err := p.Refresh(context.Background(), tok)
		require.NoError(t, err)
		assert.Equal(t, "RT-v3-rotated", nt.RefreshToken)
		assert.Equal(t, tok.RefreshExpiry, nt.RefreshExpiry)
	})
	t.Run("invalid_grant means log in again", func(t *testing.T) {
		p, mt := mockProvider(t, Config{ClientSecret: "s3cret"})
		mt.RegisterResponder(http.MethodPost, "https://signin.tradestation.com/oauth/token",
			httpmock.NewStringResponder(403, `{"error":"invalid_grant","error_description":"Unknown or invalid refresh token."}`))
		_, err := p.Refresh(context.Background(), old)
		require.ErrorIs(t, err, auth.ErrReauthRequired)
		assert.NotContains(t, err.Error(), "RT-v3")
	})
	t.Run("an AOP token is not refreshed by the trading provider", func(t *testing.T) {
		p, mt := mockProvider(t, Config{ClientSecret: "s3cret"})
		aop := old.Clone()
		aop.Audience = AOPAudience
		_, err := p.Refresh(context.Background(), aop)
		require.ErrorIs(t, err, ErrWrongAudience)
		assert.Zero(t, mt.GetTotalCallCount())
	})
}

func TestV3RevokeSendsJSON(t *testing.T) {
	p, mt := mockProvider(t, Config{ClientSecret: "s3cret"})
	mt.RegisterResponder(http.MethodPost, "https://signin.tradestation.com/oauth/revoke",
		func(r *http.Request) (*http.Response, error) {
			assert.Equal(t, "application/json", r.Header.Get("Content-Type"))
			var body map[string]string
			require.NoError(t, json.NewDecoder(r.Body).Decode(&body))
			assert.Equal(t, map[string]string{"client_id": "AbCdEfGhIjKlMnOpQrStUvWxYz012345",
				"client_secret": "s3cret", "token": "RT-v3"}, body)
			return httpmock.NewStringResponse(200, ""), nil
		})
	require.NoError(t, p.Revoke(context.Background(), &auth.Token{AccessToken: "a", RefreshToken: "RT-v3"}))
	assert.Equal(t, 1, mt.GetTotalCallCount())
}

func TestV2TokenShapes(t *testing.T) {
	cases := []struct {
		fixture, access, refresh, subject string
		expiresIn                         time.Duration
	}{
		{"v2_token_current.json", "AT-v2-current", "RT-v2-current", "testUser", 1200 * time.Second},
		{"v2_token_legacy.json", "AT-v2-legacy", "RT-v2-legacy", "testUser", 29367 * time.Second},
		{"v2_token_2011.json", "AT-v2-2011", "", "testuser", 21943 * time.Second},
	}
	for _, c := range cases {
		t.Run(c.fixture, func(t *testing.T) {
			p, mt := mockProvider(t, Config{API: V2, ClientID: "EAC7BF97-B3HE-4C1B-9A0B-1C2D3E4F5A6B", ClientSecret: "s3cret",
				RedirectURL: "https://exampleclientapp.com/authcode.aspx"})
			mt.RegisterResponder(http.MethodPost, "https://api.tradestation.com/v2/Security/Authorize",
				formResponder(t, func(f url.Values) {
					assert.Equal(t, url.Values{
						"grant_type":    {"authorization_code"},
						"client_id":     {"EAC7BF97-B3HE-4C1B-9A0B-1C2D3E4F5A6B"},
						"client_secret": {"s3cret"},
						"redirect_uri":  {"https://exampleclientapp.com/authcode.aspx"},
						"code":          {"AFF345CD12B"},
						"response_type": {"token"},
					}, f)
				}, 200, resttest.Fixture(t, c.fixture)))
			tok, err := p.Exchange(context.Background(), "AFF345CD12B")
			require.NoError(t, err)
			assert.Equal(t, c.access, tok.AccessToken)
			assert.Equal(t, c.refresh, tok.RefreshToken)
			assert.Equal(t, c.subject, tok.Subject)
			assert.Equal(t, "Bearer", tok.TokenType)
			assert.Equal(t, fixedNow.Add(c.expiresIn), tok.Expiry)
			assert.Equal(t, V2Audience, tok.Audience)
		})
	}
}

func TestV2AuthorizeURLAndCallback(t *testing.T) {
	p, mt := mockProvider(t, Config{API: V2, Environment: auth.Sim, ClientSecret: "s3cret"})
	u, _ := url.Parse(p.AuthCodeURL("st"))
	assert.Equal(t, "sim-api.tradestation.com", u.Host)
	assert.Equal(t, "/v2/authorize/", u.Path)
	assert.Empty(t, u.Query().Get("scope"))
	assert.Empty(t, u.Query().Get("audience"))
	assert.Equal(t, "code", u.Query().Get("response_type"))
	assert.False(t, p.Capabilities().PKCE)
	assert.True(t, p.Capabilities().ClientCredentials)

	mt.RegisterResponder(http.MethodPost, "https://sim-api.tradestation.com/v2/Security/Authorize",
		formResponder(t, func(f url.Values) { assert.Equal(t, "OLDSTYLE", f.Get("code")) },
			200, resttest.Fixture(t, "v2_token_current.json")))
	for _, param := range []string{"code", "auth_code"} {
		f, err := auth.Begin(p)
		require.NoError(t, err)
		assert.Empty(t, f.Verifier)
		tok, err := f.Complete(context.Background(), p, url.Values{param: {"OLDSTYLE"}, "state": {f.State}})
		require.NoError(t, err, param)
		assert.Equal(t, "testUser", tok.Subject)
	}
}

func TestV2RefreshKeepsRefreshToken(t *testing.T) {
	p, mt := mockProvider(t, Config{API: V2, ClientSecret: "s3cret", RedirectURL: "http://localhost:8080/cb"})
	mt.RegisterResponder(http.MethodPost, "https://api.tradestation.com/v2/Security/Authorize",
		formResponder(t, func(f url.Values) {
			assert.Equal(t, url.Values{
				"grant_type":    {"refresh_token"},
				"client_id":     {"AbCdEfGhIjKlMnOpQrStUvWxYz012345"},
				"client_secret": {"s3cret"},
				"redirect_uri":  {"http://localhost:8080/cb"},
				"refresh_token": {"RT-v2-current"},
				"response_type": {"token"},
			}, f)
		}, 200, resttest.Fixture(t, "v2_refresh.json")))
	nt, err := p.Refresh(context.Background(), &auth.Token{AccessToken: "x", RefreshToken: "RT-v2-current", Subject: "testUser"})
	require.NoError(t, err)
	assert.Equal(t, "AT-v2-refreshed", nt.AccessToken)
	assert.Equal(t, "RT-v2-current", nt.RefreshToken, "v2 returns no new refresh token: the old one stays")
	assert.Equal(t, "testUser", nt.Subject)
}

func TestV2ClientCredentials(t *testing.T) {
	p, mt := mockProvider(t, Config{API: V2, ClientSecret: "s3cret"})
	mt.RegisterResponder(http.MethodPost, "https://api.tradestation.com/v2/Security/Authorize",
		formResponder(t, func(f url.Values) {
			assert.Equal(t, url.Values{"grant_type": {"client_credentials"},
				"client_id": {"AbCdEfGhIjKlMnOpQrStUvWxYz012345"}, "client_secret": {"s3cret"}}, f)
		}, 200, resttest.Fixture(t, "v2_client_credentials.json")))
	tok, err := p.ClientCredentials(context.Background())
	require.NoError(t, err)
	assert.Equal(t, ClientOnlyUser, tok.Subject)
	assert.Equal(t, "AT-v2-client-only", tok.AccessToken)

	v3, _ := mockProvider(t, Config{ClientSecret: "s3cret"})
	_, err = v3.ClientCredentials(context.Background())
	assert.ErrorIs(t, err, auth.ErrUnsupported)
}

func TestV2AuthorizeErrorsAreTyped(t *testing.T) {
	p, mt := mockProvider(t, Config{API: V2, ClientSecret: "s3cret"})
	mt.RegisterResponder(http.MethodPost, "https://api.tradestation.com/v2/Security/Authorize",
		httpmock.NewStringResponder(401, "Authorization code expired"))
	_, err := p.Exchange(context.Background(), "AFF345CD12B")
	var he *auth.HTTPError
	require.ErrorAs(t, err, &he)
	assert.Equal(t, 401, he.StatusCode)
	assert.NotContains(t, err.Error(), "s3cret")
	assert.NotContains(t, err.Error(), "AFF345CD12B")
}

func TestV2Implicit(t *testing.T) {
	p, _ := mockProvider(t, Config{API: V2, ClientSecret: "s3cret"})
	_, err := p.ImplicitURL("st")
	require.ErrorIs(t, err, auth.ErrUnsupported, "implicit grant is off unless asked for")

	p, _ = mockProvider(t, Config{API: V2, ClientSecret: "s3cret", LegacyImplicit: true})
	raw, err := p.ImplicitURL("st")
	require.NoError(t, err)
	u, _ := url.Parse(raw)
	assert.Equal(t, "token", u.Query().Get("response_type"))

	tok, err := p.ParseImplicitFragment("http://localhost:3000/callback#access_token=AT-imp&expires_in=86400&userid=testUser&state=st", "st")
	require.NoError(t, err)
	assert.Equal(t, "AT-imp", tok.AccessToken)
	assert.Equal(t, "testUser", tok.Subject)
	assert.Empty(t, tok.RefreshToken)
	assert.Equal(t, fixedNow.Add(24*time.Hour), tok.Expiry)

	_, err = p.ParseImplicitFragment("#access_token=AT-imp&state=other", "st")
	assert.ErrorIs(t, err, auth.ErrStateMismatch)
	_, err = p.ParseImplicitFragment("#error=access_denied&state=st", "st")
	assert.ErrorIs(t, err, auth.ErrAccessDenied)
	_, err = p.ParseImplicitFragment("#state=st", "st")
	assert.ErrorIs(t, err, auth.ErrInvalidResponse)
	_, err = p.ParseImplicitFragment("#%zz", "st")
	assert.ErrorIs(t, err, auth.ErrBadCallback)
}

func TestNewRejectsBadConfig(t *testing.T) {
	cases := map[string]Config{
		"no client id":        {ClientSecret: "s"},
		"bad environment":     {ClientID: "id", Environment: "paper"},
		"v3 without openid":   {ClientID: "id", Scopes: []string{"MarketData"}},
		"v2 with pkce":        {ClientID: "id", ClientSecret: "s", API: V2, PKCE: true},
		"v2 without secret":   {ClientID: "id", API: V2},
		"v2 with scopes":      {ClientID: "id", ClientSecret: "s", API: V2, Scopes: []string{"openid"}},
		"v3 implicit":         {ClientID: "id", LegacyImplicit: true},
		"insecure endpoint":   {ClientID: "id", BaseURL: "http://signin.example.com"},
		"http redirect":       {ClientID: "id", RedirectURL: "http://app.example.com/cb"},
		"unknown api":         {ClientID: "id", API: API(9)},
		"negative absolute":   {ClientID: "id", AbsoluteLifetime: -time.Second},
		"v2 rotating refresh": {ClientID: "id", ClientSecret: "s", API: V2, Refresh: RefreshRotating},
		// Without PKCE nothing binds a stateless code callback to its login.
		"v3 secret, no state": {ClientID: "id", ClientSecret: "s", AllowMissingState: true},
		"v2 code, no state":   {ClientID: "id", ClientSecret: "s", API: V2, AllowMissingState: true},
		"v2 issuer required":  {ClientID: "id", ClientSecret: "s", API: V2, RequireIssuer: true},
	}
	for name, cfg := range cases {
		t.Run(name, func(t *testing.T) {
			if cfg.Environment == "" {
				cfg.Environment = auth.Live // only the case's own flaw is tested
			}
			cfg.ClientSecret = auth.Secret(strings.TrimSpace(cfg.ClientSecret.Reveal()))
			_, err := New(cfg)
			require.Error(t, err)
			if !errors.Is(err, auth.ErrInsecureEndpoint) {
				assert.ErrorIs(t, err, ErrInvalidInput)
			}
			assert.NotContains(t, fmt.Sprint(err), "s3cret")
		})
	}
	p, err := New(Config{Environment: auth.Live, ClientID: "id"})
	require.NoError(t, err)
	assert.True(t, p.Capabilities().PKCE, "a key without a secret is a PKCE key")
	assert.Equal(t, []auth.Environment{auth.Live, auth.Sim}, p.Capabilities().Environments)
}

func TestTokenErrorsHideSecrets(t *testing.T) {
	p, mt := mockProvider(t, Config{ClientSecret: "s3cret-value"})
	mt.RegisterResponder(http.MethodPost, "https://signin.tradestation.com/oauth/token",
		func(r *http.Request) (*http.Response, error) {
			b, _ := io.ReadAll(r.Body)
			assert.Contains(t, string(b), "s3cret-value")
			return httpmock.NewStringResponse(401, `{"error":"access_denied","error_description":"Unauthorized"}`), nil
		})
	_, err := p.Exchange(context.Background(), "code-value")
	require.Error(t, err)
	assert.True(t, errors.Is(err, auth.ErrAccessDenied))
	assert.NotContains(t, err.Error(), "s3cret-value")
	assert.NotContains(t, err.Error(), "code-value")
}

// TestImplicitFragmentState: the implicit grant's fragment is checked
// against the login's state; a fragment without one, or a check without
// an expected state, is refused unless AllowMissingState opted in, and a
// present but wrong state is refused always. An error fragment is
// believed only with the right state.
func TestImplicitFragmentState(t *testing.T) {
	strict, _ := mockProvider(t, Config{API: V2, ClientSecret: "s3cret", LegacyImplicit: true})
	lax, _ := mockProvider(t, Config{API: V2, ClientSecret: "s3cret", LegacyImplicit: true, AllowMissingState: true})
	const tok = "#access_token=AT-imp&expires_in=86400&userid=u"
	tests := []struct {
		fragment, state string
		strictOK, laxOK bool
	}{
		{tok + "&state=st", "st", true, true},
		{tok + "&state=other", "st", false, false},
		{tok + "&state=", "st", false, false},
		{tok, "st", false, true},
		{tok, "", false, true},
		{tok + "&state=st", "", false, false},
		{tok + "&state=other", "", false, false},
	}
	for _, tc := range tests {
		for _, c := range []struct {
			p  *Provider
			ok bool
		}{{strict, tc.strictOK}, {lax, tc.laxOK}} {
			got, err := c.p.ParseImplicitFragment(tc.fragment, tc.state)
			if c.ok {
				require.NoError(t, err, "%q %q", tc.fragment, tc.state)
				assert.Equal(t, "AT-imp", got.AccessToken)
				continue
			}
			assert.ErrorIs(t, err, auth.ErrStateMismatch, "%q %q", tc.fragment, tc.state)
		}
	}
	for _, p := range []*Provider{strict, lax} {
		for _, frag := range []string{"#error=access_denied", "#error=access_denied&state=other"} {
			_, err := p.ParseImplicitFragment(frag, "st")
			assert.ErrorIs(t, err, auth.ErrStateMismatch, frag)
			assert.NotErrorIs(t, err, auth.ErrAccessDenied, frag)
		}
	}
	v3, err := New(Config{Environment: auth.Live, ClientID: "id", AllowMissingState: true, RequireIssuer: true})
	require.NoError(t, err)
	assert.True(t, v3.Capabilities().AllowMissingState, "a PKCE key may opt in")
	assert.True(t, v3.Capabilities().RequireIssuer)
	def, err := New(Config{Environment: auth.Live, ClientID: "id"})
	require.NoError(t, err)
	assert.False(t, def.Capabilities().AllowMissingState, "never on by default")
	assert.False(t, def.Capabilities().RequireIssuer, "TradeStation does not document sending iss")
}

// TestImplicitFragmentErrorIsCleaned: the broker's error text reaches the
// error cleaned: no line breaks or escapes, no token, bounded length.
func TestImplicitFragmentErrorIsCleaned(t *testing.T) {
	p, _ := mockProvider(t, Config{API: V2, ClientSecret: "s3cret", LegacyImplicit: true})
	desc := url.QueryEscape("denied\nlevel=ERROR forged=1\r\x1b[31m AT-secret-value " + strings.Repeat("x", 3000))
	_, err := p.ParseImplicitFragment("#error=access_denied&error_description="+desc+
		"&access_token=AT-secret-value&state=st", "st")
	require.Error(t, err)
	assert.ErrorIs(t, err, auth.ErrAccessDenied)
	for _, bad := range []string{"\n", "\r", "\x1b", "AT-secret-value"} {
		assert.NotContains(t, err.Error(), bad)
	}
	assert.Contains(t, err.Error(), "level=ERROR forged=1")
	assert.Less(t, len(err.Error()), 1500)
}
