package spotware_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/auth/authtest"
	"github.com/brokerkit/brokerkit/spotware"
	"github.com/brokerkit/brokerkit/spotware/spotwaretest"
	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/require"
)

// staticTokens is a TokenSource that never refreshes.
type staticTokens struct{ tok *auth.Token }

func (s staticTokens) TokenContext(context.Context) (*auth.Token, error) { return s.tok, nil }
func (s staticTokens) ForceRefresh(context.Context, *auth.Token) (*auth.Token, error) {
	return nil, errors.New("static token source cannot refresh")
}

func TestConformance(t *testing.T) {
	for name, opts := range map[string][]spotwaretest.Option{
		"default":          nil,
		"snake duplicates": {spotwaretest.WithSnakeCaseDuplicates()},
		"ACCESS_DENIED":    {spotwaretest.WithTokenErrorCodes(map[string]string{"invalid_grant": "ACCESS_DENIED"})},
	} {
		t.Run(name, func(t *testing.T) {
			srv := spotwaretest.NewServer(opts...)
			t.Cleanup(srv.Close)
			p, err := srv.Provider()
			require.NoError(t, err)
			authtest.Run(t, authtest.Config{
				Provider: p,
				Login:    srv.Browser(spotwaretest.User, spotwaretest.Password).Login,
				Decline:  srv.Browser(spotwaretest.User, spotwaretest.Password).Declining().Login,
				Use: func(ctx context.Context, tok *auth.Token) error {
					cfg := fast(srv.SessionConfig(staticTokens{tok}))
					s, err := spotware.Dial(ctx, cfg)
					if err != nil {
						return err
					}
					defer s.Close()
					_, err = s.Profile(ctx)
					return err
				},
				Secrets: []string{spotwaretest.ClientSecret},
			})
		})
	}
}

const mockHost = "https://openapi.example"

func mockProvider(t *testing.T, cfg spotware.Config) (*spotware.Provider, *httpmock.MockTransport) {
	t.Helper()
	mt := httpmock.NewMockTransport()
	cfg.ClientID, cfg.ClientSecret, cfg.RedirectURL = "app-id", "app-secret", "https://app.example/cb"
	cfg.BaseURL = mockHost
	if cfg.Environment == "" {
		cfg.Environment = auth.Demo
	}
	cfg.HTTPClient = &http.Client{Transport: mt}
	p, err := spotware.New(cfg)
	require.NoError(t, err)
	return p, mt
}

// TestAuthCodeURL: client_id, redirect_uri, scope and the state; no
// response_type, no PKCE.
func TestAuthCodeURL(t *testing.T) {
	p, _ := mockProvider(t, spotware.Config{Scopes: []string{spotware.ScopeAccounts}})
	u, err := url.Parse(p.AuthCodeURL("st"))
	require.NoError(t, err)
	require.Equal(t, "openapi.example", u.Host)
	require.Equal(t, "/apps/auth", u.Path)
	require.Equal(t, url.Values{"client_id": {"app-id"}, "redirect_uri": {"https://app.example/cb"},
		"scope": {"accounts"}, "state": {"st"}}, u.Query())
	caps := p.Capabilities()
	require.False(t, caps.PKCE)
	require.True(t, caps.Refresh && caps.RefreshRotates)
	require.Equal(t, http.MethodGet, caps.TokenMethod)

	flow, err := auth.Begin(p)
	require.NoError(t, err)
	require.Empty(t, flow.Verifier)
	require.Contains(t, flow.URL, "scope=accounts")

	for _, scopes := range [][]string{{"read"}, {spotware.ScopeTrading, spotware.ScopeAccounts}} {
		_, err = spotware.New(spotware.Config{ClientID: "a", ClientSecret: "b", Environment: auth.Live, Scopes: scopes})
		require.ErrorIs(t, err, spotware.ErrInvalidInput, "scopes %q", scopes)
	}
	_, err = spotware.New(spotware.Config{ClientID: "a", ClientSecret: "b", Environment: auth.Live, BaseURL: "http://openapi.example"})
	require.ErrorIs(t, err, auth.ErrInsecureEndpoint)
	lp, err := spotware.New(spotware.Config{ClientID: "a", ClientSecret: "b", Environment: auth.Live, BaseURL: spotware.LegacyHost})
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(lp.AuthCodeURL("s"), "https://connect.spotware.com/apps/auth?"))
}

// TestTokenRequestWire: the exchange and the refresh are GETs with every
// parameter in the query; the camelCase answer (with or without snake_case
// duplicates) becomes a token.
func TestTokenRequestWire(t *testing.T) {
	p, mt := mockProvider(t, spotware.Config{})
	var got []url.Values
	body := `{"accessToken":"AT1","tokenType":"bearer","expiresIn":2628000,"refreshToken":"RT1","errorCode":null,"description":null}`
	mt.RegisterResponder(http.MethodGet, mockHost+"/apps/token", func(r *http.Request) (*http.Response, error) {
		require.Empty(t, r.Header.Get("Authorization"))
		got = append(got, r.URL.Query())
		return httpmock.NewStringResponse(200, body), nil
	})
	start := time.Now()
	tok, err := p.Exchange(t.Context(), "CODE")
	require.NoError(t, err)
	require.Equal(t, "AT1", tok.AccessToken)
	require.Equal(t, "RT1", tok.RefreshToken)
	require.Equal(t, "Bearer", tok.TokenType)
	require.WithinDuration(t, start.Add(2628000*time.Second), tok.Expiry, 5*time.Second)
	require.Equal(t, url.Values{"grant_type": {"authorization_code"}, "code": {"CODE"}, "redirect_uri": {"https://app.example/cb"},
		"client_id": {"app-id"}, "client_secret": {"app-secret"}}, got[0])

	body = `{"accessToken":null,"access_token":"AT2","refresh_token":"RT2","expires_in":2628000,"tokenType":"bearer","errorCode":null}`
	nt, err := p.Refresh(t.Context(), tok)
	require.NoError(t, err)
	require.Equal(t, "AT2", nt.AccessToken, "snake_case fallback")
	require.Equal(t, "RT2", nt.RefreshToken)
	require.Equal(t, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"RT1"},
		"client_id": {"app-id"}, "client_secret": {"app-secret"}}, got[1])
}

// TestTokenErrorsWithStatus200: errors delivered with HTTP 200 and
// errorCode become typed errors, without the secret in their text.
func TestTokenErrorsWithStatus200(t *testing.T) {
	p, mt := mockProvider(t, spotware.Config{})
	mt.RegisterResponder(http.MethodGet, mockHost+"/apps/token",
		httpmock.NewStringResponder(200, `{"accessToken":null,"errorCode":"ACCESS_DENIED","description":"refresh token is not valid"}`))
	_, err := p.Refresh(t.Context(), &auth.Token{AccessToken: "x", RefreshToken: "old-refresh"})
	require.ErrorIs(t, err, auth.ErrReauthRequired)
	var oe *auth.OAuthError
	require.ErrorAs(t, err, &oe)
	require.Equal(t, "ACCESS_DENIED", oe.Code)
	require.Equal(t, 200, oe.StatusCode)
	require.NotContains(t, err.Error(), "app-secret")
	require.NotContains(t, err.Error(), "old-refresh")

	_, err = p.Exchange(t.Context(), "CODE")
	require.ErrorAs(t, err, &oe)
	require.NotErrorIs(t, err, auth.ErrReauthRequired, "a failed exchange is not a dead session")

	mt.RegisterResponder(http.MethodGet, mockHost+"/apps/token",
		httpmock.NewStringResponder(200, `{"errorCode":"INVALID_CLIENT","description":"bad secret"}`))
	_, err = p.Exchange(t.Context(), "CODE")
	require.ErrorIs(t, err, auth.ErrInvalidClient)

	_, err = p.ClientCredentials(t.Context())
	require.ErrorIs(t, err, auth.ErrUnsupported)
}

func TestAddr(t *testing.T) {
	for _, c := range []struct {
		env    auth.Environment
		region spotware.Region
		want   string
	}{
		{auth.Demo, "", "demo.ctraderapi.com:5035"},
		{auth.Live, "", "live.ctraderapi.com:5035"},
		{auth.Live, spotware.RegionEurope, "live-eu.ctraderapi.com:5035"},
		{auth.Demo, spotware.RegionSingapore, "demo-sg.ctraderapi.com:5035"},
	} {
		got, err := spotware.Addr(c.env, c.region)
		require.NoError(t, err)
		require.Equal(t, c.want, got)
	}
	_, err := spotware.Addr(auth.Sim, "")
	require.Error(t, err)
	_, err = spotware.Addr(auth.Live, "mars")
	require.Error(t, err)
}

// TestElsewhereProviderDialsNothing: a provider whose authorization server
// is not cTrader's (an emulator) gives a session configuration with no
// Protobuf host, so Dial refuses at once instead of sending that server's
// token to cTrader's real hosts; cTrader's own hosts keep theirs.
func TestElsewhereProviderDialsNothing(t *testing.T) {
	emu, err := spotware.New(spotware.Config{ClientID: "id", ClientSecret: "secret", Environment: auth.Demo,
		BaseURL: "http://127.0.0.1:9404"})
	require.NoError(t, err)
	cfg := emu.SessionConfig(staticTokens{&auth.Token{AccessToken: "emulator-token"}})
	require.Empty(t, cfg.Addr)
	_, err = spotware.Dial(context.Background(), cfg)
	require.ErrorIs(t, err, spotware.ErrInvalidInput)
	require.NotContains(t, err.Error(), "emulator-token")

	for _, base := range []string{"", spotware.OpenAPIHost, "https://connect.spotware.com"} {
		p, err := spotware.New(spotware.Config{ClientID: "id", ClientSecret: "secret", Environment: auth.Demo, BaseURL: base})
		require.NoError(t, err)
		require.Equal(t, spotware.DemoHost+":5035", p.SessionConfig(nil).Addr, base)
	}
}
