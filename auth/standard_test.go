package auth_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/brokerkit/brokerkit/auth"
)

// wireRequest is what a mocked token endpoint received.
type wireRequest struct {
	Method string
	URL    *url.URL
	Header http.Header
	Body   []byte
	Form   url.Values // the body parsed as a form, when it is one
}

// wireMock is an httpmock transport on a client of its own, so that tests
// neither touch http.DefaultTransport nor share responders.
type wireMock struct {
	t      *testing.T
	mt     *httpmock.MockTransport
	client *http.Client
	got    []wireRequest
}

func newWireMock(t *testing.T) *wireMock {
	m := &wireMock{t: t, mt: httpmock.NewMockTransport()}
	m.client = &http.Client{Transport: m.mt}
	return m
}

// answer registers a responder for method+URL (URL without query) that
// records the request and replies with status and body.
func (m *wireMock) answer(method, rawURL string, status int, body []byte, hdr ...string) {
	m.mt.RegisterResponder(method, rawURL, func(r *http.Request) (*http.Response, error) {
		w := wireRequest{Method: r.Method, URL: r.URL, Header: r.Header.Clone()}
		if r.Body != nil {
			w.Body, _ = io.ReadAll(r.Body)
		}
		if strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
			f, err := url.ParseQuery(string(w.Body))
			require.NoError(m.t, err)
			w.Form = f
		}
		m.got = append(m.got, w)
		resp := httpmock.NewBytesResponse(status, body)
		resp.Header.Set("Content-Type", "application/json")
		for i := 0; i+1 < len(hdr); i += 2 {
			resp.Header.Set(hdr[i], hdr[i+1])
		}
		return resp, nil
	})
}

// last returns the one request recorded since the previous call.
func (m *wireMock) last() wireRequest {
	m.t.Helper()
	require.Len(m.t, m.got, 1, "want exactly one request to the token endpoint")
	w := m.got[0]
	m.got = nil
	return w
}

func stdProvider(t *testing.T, cfg auth.Config) *auth.Standard {
	t.Helper()
	if cfg.Now == nil {
		cfg.Now = func() time.Time { return decodeNow }
	}
	p, err := auth.NewStandard(cfg)
	require.NoError(t, err)
	return p
}

func authQuery(t *testing.T, raw, wantPrefix string) url.Values {
	t.Helper()
	require.True(t, strings.HasPrefix(raw, wantPrefix+"?"), "authorize URL %s", raw)
	u, err := url.Parse(raw)
	require.NoError(t, err)
	return u.Query()
}

const (
	tsAuthURL   = "https://signin.tradestation.com/authorize"
	tsTokenURL  = "https://signin.tradestation.com/oauth/token"
	tsRevokeURL = "https://signin.tradestation.com/oauth/revoke"
	tsAudience  = "https://api.tradestation.com"
	testVerif   = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
)

func tradeStationV3(t *testing.T, hc *http.Client, public bool) *auth.Standard {
	cfg := auth.Config{
		Name: "tradestation", ClientID: "ts-client-id", ClientSecret: "ts-client-secret",
		RedirectURL: "http://localhost:3000",
		Scopes:      []string{"openid", "offline_access", "MarketData", "ReadAccount", "Trade"},
		Endpoint:    auth.Endpoint{AuthURL: tsAuthURL, TokenURL: tsTokenURL, RevokeURL: tsRevokeURL},
		AuthStyle:   auth.AuthStyleInParams,
		AuthParams:  url.Values{"audience": {tsAudience}},
		RevokeStyle: auth.RevokeJSON,
		Audience:    tsAudience,
		Capabilities: auth.Capabilities{PKCE: true, Refresh: true, Revoke: true,
			Environments: []auth.Environment{auth.Live, auth.Sim}},
		HTTPClient: hc,
	}
	if public {
		cfg.ClientSecret = ""
		cfg.AuthStyle = auth.AuthStylePublic
	}
	return stdProvider(t, cfg)
}

// TestTradeStationV3Wire checks the Auth0-style v3 flow with the secret in
// the form body: authorize URL, code exchange, refresh and JSON revocation.
func TestTradeStationV3Wire(t *testing.T) {
	m := newWireMock(t)
	p := tradeStationV3(t, m.client, false)

	flow, err := auth.Begin(p)
	require.NoError(t, err)
	q := authQuery(t, flow.URL, tsAuthURL)
	assert.Equal(t, url.Values{
		"response_type":         {"code"},
		"client_id":             {"ts-client-id"},
		"redirect_uri":          {"http://localhost:3000"},
		"scope":                 {"openid offline_access MarketData ReadAccount Trade"},
		"state":                 {flow.State},
		"audience":              {tsAudience},
		"code_challenge":        {oauth2.S256ChallengeFromVerifier(flow.Verifier)},
		"code_challenge_method": {"S256"},
	}, q)

	m.answer(http.MethodPost, tsTokenURL, 200, tokenFixture(t, "tradestation_v3.json"))
	tok, err := p.Exchange(context.Background(), "code-123", auth.SetParam("code_verifier", testVerif))
	require.NoError(t, err)
	r := m.last()
	assert.Equal(t, http.MethodPost, r.Method)
	assert.Equal(t, "/oauth/token", r.URL.Path)
	assert.Empty(t, r.URL.RawQuery)
	assert.Equal(t, "application/x-www-form-urlencoded", r.Header.Get("Content-Type"))
	assert.Equal(t, "application/json", r.Header.Get("Accept"))
	assert.Empty(t, r.Header.Get("Authorization"))
	assert.Equal(t, url.Values{
		"grant_type":    {"authorization_code"},
		"code":          {"code-123"},
		"redirect_uri":  {"http://localhost:3000"},
		"client_id":     {"ts-client-id"},
		"client_secret": {"ts-client-secret"},
		"code_verifier": {testVerif},
	}, r.Form)
	assert.Equal(t, "ts3-access", tok.AccessToken)
	assert.Equal(t, "ts3-refresh", tok.RefreshToken)
	assert.Equal(t, tsAudience, tok.Audience)
	assert.Equal(t, "tradestation", tok.Provider)
	assert.True(t, tok.Expiry.Equal(decodeNow.Add(20*time.Minute)))

	m.answer(http.MethodPost, tsTokenURL, 200, tokenFixture(t, "tradestation_v3_refresh.json"))
	nt, err := p.Refresh(context.Background(), tok)
	require.NoError(t, err)
	r = m.last()
	assert.Equal(t, url.Values{
		"grant_type":    {"refresh_token"},
		"refresh_token": {"ts3-refresh"},
		"client_id":     {"ts-client-id"},
		"client_secret": {"ts-client-secret"},
	}, r.Form)
	assert.Equal(t, "ts3-access-2", nt.AccessToken)
	assert.Equal(t, "ts3-refresh", nt.RefreshToken, "no rotation: the old refresh token is kept")
	assert.Equal(t, []string{"openid", "offline_access"}, nt.Scopes)

	m.answer(http.MethodPost, tsRevokeURL, 200, nil)
	require.NoError(t, p.Revoke(context.Background(), nt))
	r = m.last()
	assert.Equal(t, "application/json", r.Header.Get("Content-Type"))
	var body map[string]string
	require.NoError(t, json.Unmarshal(r.Body, &body))
	assert.Equal(t, map[string]string{"client_id": "ts-client-id", "client_secret": "ts-client-secret", "token": "ts3-refresh"}, body)

	caps := p.Capabilities()
	assert.Equal(t, auth.AuthStyleInParams, caps.AuthStyle)
	assert.Equal(t, http.MethodPost, caps.TokenMethod)
	assert.True(t, caps.Revoke)
	caps.Environments[0] = "mutated"
	assert.Equal(t, auth.Live, p.Capabilities().Environments[0], "Capabilities returns a copy")
}

// TestTradeStationV3PublicPKCE checks the public-client variant: no secret
// anywhere, the verifier proves possession.
func TestTradeStationV3PublicPKCE(t *testing.T) {
	m := newWireMock(t)
	p := tradeStationV3(t, m.client, true)

	m.answer(http.MethodPost, tsTokenURL, 200, tokenFixture(t, "tradestation_v3.json"))
	tok, err := p.Exchange(context.Background(), "code-456", auth.SetParam("code_verifier", testVerif))
	require.NoError(t, err)
	r := m.last()
	assert.Equal(t, url.Values{
		"grant_type":    {"authorization_code"},
		"code":          {"code-456"},
		"redirect_uri":  {"http://localhost:3000"},
		"client_id":     {"ts-client-id"},
		"code_verifier": {testVerif},
	}, r.Form)
	assert.Empty(t, r.Header.Get("Authorization"))

	m.answer(http.MethodPost, tsTokenURL, 200, tokenFixture(t, "tradestation_v3_refresh.json"))
	_, err = p.Refresh(context.Background(), tok)
	require.NoError(t, err)
	assert.Equal(t, url.Values{
		"grant_type":    {"refresh_token"},
		"refresh_token": {"ts3-refresh"},
		"client_id":     {"ts-client-id"},
	}, m.last().Form)

	m.answer(http.MethodPost, tsRevokeURL, 200, nil)
	require.NoError(t, p.Revoke(context.Background(), tok))
	var body map[string]string
	require.NoError(t, json.Unmarshal(m.last().Body, &body))
	assert.NotContains(t, body, "client_secret")
}

// TestTradeStationV2Wire checks the legacy WebAPI: response_type=token on
// every token request, redirect_uri on refresh, the legacy JSON names, and
// the client-credentials grant.
func TestTradeStationV2Wire(t *testing.T) {
	const tokenURL = "https://api.tradestation.com/v2/Security/Authorize"
	m := newWireMock(t)
	p := stdProvider(t, auth.Config{
		Name: "tradestation-v2", ClientID: "EAC7BF97-B3HE-1234", ClientSecret: "ts2-secret",
		RedirectURL: "https://exampleclientapp.com/authcode.aspx",
		Endpoint:    auth.Endpoint{AuthURL: "https://api.tradestation.com/v2/authorize/", TokenURL: tokenURL},
		AuthStyle:   auth.AuthStyleInParams,
		GrantParams: map[string]url.Values{
			"authorization_code": {"response_type": {"token"}},
			"refresh_token":      {"response_type": {"token"}},
		},
		RefreshSendsRedirectURI: true,
		Capabilities:            auth.Capabilities{Refresh: true, ClientCredentials: true},
		HTTPClient:              m.client,
	})

	flow, err := auth.Begin(p)
	require.NoError(t, err)
	assert.Empty(t, flow.Verifier, "no PKCE for v2")
	assert.Equal(t, url.Values{
		"response_type": {"code"},
		"client_id":     {"EAC7BF97-B3HE-1234"},
		"redirect_uri":  {"https://exampleclientapp.com/authcode.aspx"},
		"state":         {flow.State},
	}, authQuery(t, flow.URL, "https://api.tradestation.com/v2/authorize/"))

	m.answer(http.MethodPost, tokenURL, 200, tokenFixture(t, "tradestation_v2_legacy.json"))
	tok, err := p.Exchange(context.Background(), "AFF345CD12B")
	require.NoError(t, err)
	r := m.last()
	assert.Equal(t, "/v2/Security/Authorize", r.URL.Path)
	assert.Equal(t, url.Values{
		"grant_type":    {"authorization_code"},
		"code":          {"AFF345CD12B"},
		"redirect_uri":  {"https://exampleclientapp.com/authcode.aspx"},
		"client_id":     {"EAC7BF97-B3HE-1234"},
		"client_secret": {"ts2-secret"},
		"response_type": {"token"},
	}, r.Form)
	assert.Equal(t, "ts2-legacy-access", tok.AccessToken)
	assert.Equal(t, "ts2-legacy-refresh", tok.RefreshToken)
	assert.Equal(t, "testUser", tok.Subject)

	m.answer(http.MethodPost, tokenURL, 200, []byte(`{"access_token":"ts2-access-3","expires_in":1200,"token_type":"AccessToken"}`))
	nt, err := p.Refresh(context.Background(), tok)
	require.NoError(t, err)
	assert.Equal(t, url.Values{
		"grant_type":    {"refresh_token"},
		"refresh_token": {"ts2-legacy-refresh"},
		"client_id":     {"EAC7BF97-B3HE-1234"},
		"client_secret": {"ts2-secret"},
		"redirect_uri":  {"https://exampleclientapp.com/authcode.aspx"},
		"response_type": {"token"},
	}, m.last().Form)
	assert.Equal(t, "ts2-access-3", nt.AccessToken)
	assert.Equal(t, "ts2-legacy-refresh", nt.RefreshToken, "v2 refresh returns no refresh token; the old one is kept")
	assert.Equal(t, "testUser", nt.Subject, "the subject carries over")

	m.answer(http.MethodPost, tokenURL, 200, tokenFixture(t, "tradestation_v2_client_credentials.json"))
	ct, err := p.ClientCredentials(context.Background())
	require.NoError(t, err)
	assert.Equal(t, url.Values{
		"grant_type":    {"client_credentials"},
		"client_id":     {"EAC7BF97-B3HE-1234"},
		"client_secret": {"ts2-secret"},
	}, m.last().Form)
	assert.Equal(t, "CLIENTONLYLOGIN", ct.Subject)
	assert.Empty(t, ct.RefreshToken)
}

func cTrader(t *testing.T, hc *http.Client) *auth.Standard {
	return stdProvider(t, auth.Config{
		Name: "spotware", ClientID: "7_ctrader-app", ClientSecret: "ct-app-secret",
		RedirectURL:      "https://app.example.com/callback/spotware",
		Scopes:           []string{"trading"},
		Endpoint:         auth.Endpoint{AuthURL: "https://openapi.ctrader.com/apps/auth", TokenURL: "https://openapi.ctrader.com/apps/token"},
		AuthStyle:        auth.AuthStyleInParams,
		TokenMethod:      http.MethodGet,
		OmitResponseType: true,
		ReauthCodes:      []string{"invalid_grant", "ACCESS_DENIED"},
		Capabilities:     auth.Capabilities{Refresh: true, RefreshRotates: true},
		HTTPClient:       hc,
	})
}

// TestCTraderWire checks the GET token endpoint with everything in the
// query, the camelCase body, rotation, and an error delivered with 200.
func TestCTraderWire(t *testing.T) {
	const tokenURL = "https://openapi.ctrader.com/apps/token"
	m := newWireMock(t)
	p := cTrader(t, m.client)

	flow, err := auth.Begin(p)
	require.NoError(t, err)
	assert.Equal(t, url.Values{
		"client_id":    {"7_ctrader-app"},
		"redirect_uri": {"https://app.example.com/callback/spotware"},
		"scope":        {"trading"},
		"state":        {flow.State},
	}, authQuery(t, flow.URL, "https://openapi.ctrader.com/apps/auth"), "no response_type")

	m.answer(http.MethodGet, tokenURL, 200, tokenFixture(t, "ctrader.json"))
	tok, err := p.Exchange(context.Background(), "ct-code")
	require.NoError(t, err)
	r := m.last()
	assert.Equal(t, http.MethodGet, r.Method)
	assert.Equal(t, "/apps/token", r.URL.Path)
	assert.Empty(t, r.Body)
	assert.Empty(t, r.Header.Get("Content-Type"))
	assert.Empty(t, r.Header.Get("Authorization"))
	assert.Equal(t, url.Values{
		"grant_type":    {"authorization_code"},
		"code":          {"ct-code"},
		"redirect_uri":  {"https://app.example.com/callback/spotware"},
		"client_id":     {"7_ctrader-app"},
		"client_secret": {"ct-app-secret"},
	}, r.URL.Query())
	assert.Equal(t, "ct-access", tok.AccessToken)
	assert.True(t, tok.Expiry.Equal(decodeNow.Add(2628000*time.Second)))

	rotated := []byte(`{"accessToken":"ct-access-2","tokenType":"bearer","expiresIn":2628000,"refreshToken":"ct-refresh-2","errorCode":null,"description":null}`)
	m.answer(http.MethodGet, tokenURL, 200, rotated)
	nt, err := p.Refresh(context.Background(), tok)
	require.NoError(t, err)
	assert.Equal(t, url.Values{
		"grant_type":    {"refresh_token"},
		"refresh_token": {"ct-refresh"},
		"client_id":     {"7_ctrader-app"},
		"client_secret": {"ct-app-secret"},
	}, m.last().URL.Query())
	assert.Equal(t, "ct-refresh-2", nt.RefreshToken)

	// A reused refresh token answered with 200 and errorCode.
	m.answer(http.MethodGet, tokenURL, 200, tokenFixture(t, "ctrader_error_200.json"))
	_, err = p.Refresh(context.Background(), tok)
	require.Error(t, err)
	m.last()
	assert.ErrorIs(t, err, auth.ErrReauthRequired)
	var oe *auth.OAuthError
	require.ErrorAs(t, err, &oe)
	assert.Equal(t, "ACCESS_DENIED", oe.Code)
	assert.Equal(t, 200, oe.StatusCode)

	// On a code exchange the same error is not a dead session.
	m.answer(http.MethodGet, tokenURL, 200, tokenFixture(t, "ctrader_error_200.json"))
	_, err = p.Exchange(context.Background(), "expired-code")
	m.last()
	assert.NotErrorIs(t, err, auth.ErrReauthRequired)
	assert.ErrorIs(t, err, auth.ErrAccessDenied)
}

// TestGETTransportErrorHidesQuery checks that a failed GET, whose URL holds
// the code and the client secret, does not put the URL in the error.
func TestGETTransportErrorHidesQuery(t *testing.T) {
	m := newWireMock(t)
	m.mt.RegisterNoResponder(httpmock.NewErrorResponder(errors.New("connection refused")))
	p := cTrader(t, m.client)
	_, err := p.Exchange(context.Background(), "secret-code-value")
	require.Error(t, err)
	assert.ErrorIs(t, err, auth.ErrUnavailable)
	assert.NotContains(t, err.Error(), "ct-app-secret")
	assert.NotContains(t, err.Error(), "secret-code-value")
	assert.Contains(t, err.Error(), "openapi.ctrader.com")
}

// TestJust2TradeWire checks the IdentityServer-style form POST with the
// credentials in the body, and that the grants it lacks fail without a
// request.
func TestJust2TradeWire(t *testing.T) {
	const tokenURL = "https://auth.just2trade.com/connect/token"
	m := newWireMock(t)
	p := stdProvider(t, auth.Config{
		Name: "just2trade", ClientID: "j2t-client", ClientSecret: "j2t-secret",
		RedirectURL:  "https://app.example.com/callback/just2trade",
		Endpoint:     auth.Endpoint{AuthURL: "https://auth.just2trade.com/connect/authorize", TokenURL: tokenURL},
		AuthStyle:    auth.AuthStyleInParams,
		Capabilities: auth.Capabilities{SlidingExpiry: true},
		HTTPClient:   m.client,
	})

	flow, err := auth.Begin(p)
	require.NoError(t, err)
	assert.Equal(t, url.Values{
		"response_type": {"code"},
		"client_id":     {"j2t-client"},
		"redirect_uri":  {"https://app.example.com/callback/just2trade"},
		"state":         {flow.State},
	}, authQuery(t, flow.URL, "https://auth.just2trade.com/connect/authorize"))

	m.answer(http.MethodPost, tokenURL, 200, tokenFixture(t, "just2trade.json"))
	tok, err := p.Exchange(context.Background(), "j2t-code")
	require.NoError(t, err)
	r := m.last()
	assert.Equal(t, "/connect/token", r.URL.Path)
	assert.Equal(t, "application/x-www-form-urlencoded", r.Header.Get("Content-Type"))
	assert.Equal(t, "application/json", r.Header.Get("Accept"))
	assert.Empty(t, r.Header.Get("Authorization"))
	assert.Equal(t, url.Values{
		"grant_type":    {"authorization_code"},
		"code":          {"j2t-code"},
		"redirect_uri":  {"https://app.example.com/callback/just2trade"},
		"client_id":     {"j2t-client"},
		"client_secret": {"j2t-secret"},
	}, r.Form)
	assert.Equal(t, []string{"email", "profile"}, tok.Scopes)

	_, err = p.Refresh(context.Background(), tok)
	assert.ErrorIs(t, err, auth.ErrUnsupported)
	_, err = p.ClientCredentials(context.Background())
	assert.ErrorIs(t, err, auth.ErrUnsupported)
	assert.ErrorIs(t, p.Revoke(context.Background(), tok), auth.ErrUnsupported)
	assert.Empty(t, m.got, "unsupported grants send nothing")
	assert.True(t, p.Capabilities().SlidingExpiry)
}

// TestBasicAuthWire checks HTTP Basic client authentication (RFC 6749
// 2.3.1: form-encoded, then base64) and RFC 7009 revocation.
func TestBasicAuthWire(t *testing.T) {
	const tokenURL = "https://as.example.com/oauth2/token"
	m := newWireMock(t)
	p := stdProvider(t, auth.Config{
		Name: "generic", ClientID: "client id:1", ClientSecret: "s3cr&t+",
		Endpoint: auth.Endpoint{AuthURL: "https://as.example.com/oauth2/authorize?tenant=a", TokenURL: tokenURL,
			RevokeURL: "https://as.example.com/oauth2/revoke"},
		AuthStyle:    auth.AuthStyleInHeader,
		Capabilities: auth.Capabilities{Refresh: true, ClientCredentials: true},
		HTTPClient:   m.client,
	})
	assert.True(t, strings.HasPrefix(p.AuthCodeURL("st"), "https://as.example.com/oauth2/authorize?tenant=a&"))

	m.answer(http.MethodPost, tokenURL, 200, tokenFixture(t, "rfc6749_bearer_scope.json"))
	tok, err := p.ClientCredentials(context.Background(), "read", "write")
	require.NoError(t, err)
	r := m.last()
	want := "Basic " + base64.StdEncoding.EncodeToString([]byte("client+id%3A1:s3cr%26t%2B"))
	assert.Equal(t, want, r.Header.Get("Authorization"))
	assert.Equal(t, url.Values{"grant_type": {"client_credentials"}, "scope": {"read write"}}, r.Form)

	m.answer(http.MethodPost, "https://as.example.com/oauth2/revoke", 200, nil)
	require.NoError(t, p.Revoke(context.Background(), &auth.Token{AccessToken: "only-access"}))
	r = m.last()
	assert.Equal(t, want, r.Header.Get("Authorization"))
	assert.Equal(t, url.Values{"token": {"only-access"}, "token_type_hint": {"access_token"}}, r.Form)

	m.answer(http.MethodPost, "https://as.example.com/oauth2/revoke", 400, []byte(`{"error":"unsupported_token_type"}`))
	err = p.Revoke(context.Background(), tok)
	m.last()
	var oe *auth.OAuthError
	require.ErrorAs(t, err, &oe)
	assert.Equal(t, "revoke", oe.Endpoint)
	assert.Equal(t, "unsupported_token_type", oe.Code)
}

// TestRefreshErrors checks the mapping of refresh failures.
func TestRefreshErrors(t *testing.T) {
	m := newWireMock(t)
	p := tradeStationV3(t, m.client, false)
	old := &auth.Token{AccessToken: "a", RefreshToken: "rt-old"}

	m.answer(http.MethodPost, tsTokenURL, 400, tokenFixture(t, "error_invalid_grant.json"))
	_, err := p.Refresh(context.Background(), old)
	m.last()
	assert.ErrorIs(t, err, auth.ErrReauthRequired)
	var oe *auth.OAuthError
	require.ErrorAs(t, err, &oe)
	assert.Equal(t, "invalid_grant", oe.Code)

	m.answer(http.MethodPost, tsTokenURL, 401, tokenFixture(t, "error_invalid_client.json"))
	_, err = p.Refresh(context.Background(), old)
	m.last()
	assert.ErrorIs(t, err, auth.ErrInvalidClient)
	assert.NotErrorIs(t, err, auth.ErrReauthRequired)

	m.answer(http.MethodPost, tsTokenURL, 503, []byte("<html>down</html>"), "Content-Type", "text/html")
	_, err = p.Refresh(context.Background(), old)
	m.last()
	assert.ErrorIs(t, err, auth.ErrUnavailable)
	assert.NotErrorIs(t, err, auth.ErrReauthRequired)

	_, err = p.Refresh(context.Background(), &auth.Token{AccessToken: "a"})
	assert.ErrorIs(t, err, auth.ErrReauthRequired, "no refresh token at all")
	_, err = p.Refresh(context.Background(), nil)
	assert.ErrorIs(t, err, auth.ErrReauthRequired)
	assert.Empty(t, m.got)

	_, err = p.Exchange(context.Background(), "")
	assert.ErrorIs(t, err, auth.ErrMissingCode)
}

// TestTokenRequestContext checks that the caller's ctx governs the call:
// a slow token endpoint is abandoned when the ctx ends.
func TestTokenRequestContext(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer srv.Close()
	defer close(release)
	p := stdProvider(t, auth.Config{Name: "slow", ClientID: "id", ClientSecret: "slow-secret",
		AuthStyle: auth.AuthStyleInParams, TokenMethod: http.MethodGet,
		Endpoint: auth.Endpoint{AuthURL: srv.URL + "/a", TokenURL: srv.URL + "/t"}})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := p.Exchange(ctx, "code")
	require.Error(t, err)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.NotContains(t, err.Error(), "slow-secret")
}

// TestExchangeStripsAuthorizeOnlyOptions checks that options meant for the
// authorization URL never reach the token request.
func TestExchangeStripsAuthorizeOnlyOptions(t *testing.T) {
	m := newWireMock(t)
	m.answer(http.MethodPost, tsTokenURL, 200, tokenFixture(t, "tradestation_v3.json"))
	p := tradeStationV3(t, m.client, false)
	_, err := p.Exchange(context.Background(), "c", auth.SetParam("code_challenge", "ch"), auth.SetParam("code_challenge_method", "S256"), auth.SetParam("scope", "x"),
		auth.SetParam("redirect_uri", "http://127.0.0.1:31022/cb"), auth.SetParam("prompt", "login"), nil)
	require.NoError(t, err)
	f := m.last().Form
	assert.NotContains(t, f, "scope")
	assert.NotContains(t, f, "code_challenge")
	assert.NotContains(t, f, "code_challenge_method")
	assert.Equal(t, "http://127.0.0.1:31022/cb", f.Get("redirect_uri"))
	assert.Equal(t, "login", f.Get("prompt"))
}

func TestNewStandardValidation(t *testing.T) {
	ok := auth.Config{Name: "x", ClientID: "id", ClientSecret: "val-Qx7-secret", AuthStyle: auth.AuthStyleInParams,
		Endpoint: auth.Endpoint{AuthURL: "https://as.example/a", TokenURL: "https://as.example/t"}}
	_, err := auth.NewStandard(ok)
	require.NoError(t, err)

	tests := []struct {
		name     string
		mutate   func(*auth.Config)
		insecure bool
	}{
		{"no name", func(c *auth.Config) { c.Name = "" }, false},
		{"no client id", func(c *auth.Config) { c.ClientID = "" }, false},
		{"no secret in params", func(c *auth.Config) { c.ClientSecret = "" }, false},
		{"no secret in header", func(c *auth.Config) { c.ClientSecret = ""; c.AuthStyle = auth.AuthStyleInHeader }, false},
		{"auth style unset", func(c *auth.Config) { c.AuthStyle = 0 }, false},
		{"token method PUT", func(c *auth.Config) { c.TokenMethod = "PUT" }, false},
		{"no token URL", func(c *auth.Config) { c.Endpoint.TokenURL = "" }, false},
		{"relative URL", func(c *auth.Config) { c.Endpoint.AuthURL = "/authorize" }, false},
		{"http token URL", func(c *auth.Config) { c.Endpoint.TokenURL = "http://as.example/t" }, true},
		{"http revoke URL", func(c *auth.Config) { c.Endpoint.RevokeURL = "http://as.example/r" }, true},
		{"http redirect", func(c *auth.Config) { c.RedirectURL = "http://app.example/cb" }, true},
		{"redirect with fragment", func(c *auth.Config) { c.RedirectURL = "https://app.example/cb#x" }, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := ok
			tc.mutate(&c)
			_, err := auth.NewStandard(c)
			require.Error(t, err)
			assert.Equal(t, tc.insecure, errors.Is(err, auth.ErrInsecureEndpoint))
			assert.NotContains(t, err.Error(), "val-Qx7-secret")
		})
	}

	for _, u := range []string{"http://127.0.0.1:8080/t", "http://localhost/t", "http://[::1]:9/t", "https://x.example/t"} {
		assert.NoError(t, auth.CheckEndpoint(u), u)
	}
	for _, u := range []string{"http://127.0.0.1.example.com/t", "http://10.0.0.1/t", "ftp://x/t"} {
		assert.ErrorIs(t, auth.CheckEndpoint(u), auth.ErrInsecureEndpoint, u)
	}
	for _, u := range []string{"http://127.0.0.1:53121/cb", "https://app.example/cb"} {
		assert.NoError(t, auth.CheckRedirectURL(u), u)
	}
}

// TestTokenEndpointRedirectNotFollowed checks that a redirecting token
// endpoint does not get the code and secret re-sent elsewhere, and that the
// caller's own client keeps its redirect policy.
func TestTokenEndpointRedirectNotFollowed(t *testing.T) {
	var elsewhere atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		elsewhere.Add(1)
		_, _ = io.WriteString(w, `{"access_token":"stolen"}`)
	}))
	defer other.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+"/token", http.StatusTemporaryRedirect)
	}))
	defer srv.Close()
	hc := srv.Client()
	p := stdProvider(t, auth.Config{Name: "redir", ClientID: "id", ClientSecret: "redir-secret", AuthStyle: auth.AuthStyleInParams,
		Endpoint: auth.Endpoint{AuthURL: srv.URL + "/a", TokenURL: srv.URL + "/token"}, HTTPClient: hc})
	_, err := p.Exchange(context.Background(), "code")
	var he *auth.HTTPError
	require.ErrorAs(t, err, &he)
	assert.Equal(t, http.StatusTemporaryRedirect, he.StatusCode)
	assert.Zero(t, elsewhere.Load(), "the request was not re-sent")
	assert.Nil(t, hc.CheckRedirect, "the caller's client is not modified")
}

// A provider keeps its own copy of the Config's slices and maps: an app
// that reuses or changes its Config afterwards does not change it.
func TestStandardCopiesConfig(t *testing.T) {
	cfg := auth.Config{Name: "cp", ClientID: "id", AuthStyle: auth.AuthStylePublic,
		Endpoint:     auth.Endpoint{AuthURL: "https://as.example/authorize", TokenURL: "https://as.example/token"},
		Scopes:       []string{"read"},
		AuthParams:   url.Values{"audience": {"https://api.example"}},
		Capabilities: auth.Capabilities{Environments: []auth.Environment{auth.Live}}}
	p := stdProvider(t, cfg)
	before := p.AuthCodeURL("s")
	cfg.Scopes[0] = "trade"
	cfg.AuthParams["audience"][0] = "https://evil.example"
	cfg.AuthParams.Set("prompt", "none")
	cfg.Capabilities.Environments[0] = auth.Sim
	assert.Equal(t, before, p.AuthCodeURL("s"))
	assert.Equal(t, []auth.Environment{auth.Live}, p.Capabilities().Environments)
}

// TestCheckRedirectURL: a redirect URI is https with a host, http on a
// loopback address, or (only when the app opted in) a private-use scheme
// in reverse-domain form (RFC 8252 §7.1). Everything else is refused with
// ErrInsecureEndpoint.
func TestCheckRedirectURL(t *testing.T) {
	good := []string{
		"https://app.example/cb", "https://app.example:8443/cb?x=1", "https://app.example",
		"http://127.0.0.1:53121/cb", "http://localhost:3000", "http://[::1]:9/cb", "http://127.0.0.2/cb",
	}
	privateUse := []string{"com.example.app:/oauth2redirect", "com.example.app:/callback", "io.brokerkit.cli://cb"}
	bad := []string{
		"javascript:alert(1)", "javascript://app.example/%0aalert(1)", "JavaScript:alert(1)",
		"data:text/html,<script>alert(1)</script>", "file:///etc/passwd", "file://app.example/cb",
		"ftp://evil.example/cb", "ws://evil.example/cb", "wss://evil.example/cb", "ws://127.0.0.1:9/cb",
		"https:evil.com", "https:/evil.com/cb", "https:///cb", "https://", "http:evil.com",
		"http://evil.example/cb", "http://127.0.0.1.evil.example/cb", "http://localhost.evil.example/cb",
		"//app.example/cb", "/cb", "cb", "", "https://app.example/cb#frag", "https://user:pw@app.example/cb",
		"vbscript:msgbox", "blob:https://app.example/x", "about:blank", "mailto:a@app.example",
		"device://viewname", "myapp:/cb", "com.:/cb", ".com.example:/cb", "com..example:/cb",
		"com.example.app:cb", "com.example.app:", "chrome-extension://abc/cb",
	}
	for _, u := range good {
		assert.NoError(t, auth.CheckRedirectURL(u), u)
	}
	for _, u := range append(bad, privateUse...) {
		err := auth.CheckRedirectURL(u)
		assert.ErrorIs(t, err, auth.ErrInsecureEndpoint, "%q", u)
	}

	cfg := auth.Config{Name: "native", ClientID: "id", AuthStyle: auth.AuthStylePublic,
		Endpoint:     auth.Endpoint{AuthURL: "https://as.example/a", TokenURL: "https://as.example/t"},
		Capabilities: auth.Capabilities{PKCE: true}}
	for _, u := range privateUse {
		c := cfg
		c.RedirectURL = u
		_, err := auth.NewStandard(c)
		assert.ErrorIs(t, err, auth.ErrInsecureEndpoint, "%q without the opt-in", u)
		c.PrivateUseRedirect = true
		_, err = auth.NewStandard(c)
		assert.NoError(t, err, "%q with the opt-in", u)
	}
	for _, u := range append(bad[:len(bad):len(bad)], good...) {
		c := cfg
		c.RedirectURL, c.PrivateUseRedirect = u, true
		_, err := auth.NewStandard(c)
		if slices.Contains(good, u) || u == "" {
			assert.NoError(t, err, "%q", u)
		} else {
			assert.ErrorIs(t, err, auth.ErrInsecureEndpoint, "%q: the opt-in allows only reverse-domain schemes", u)
		}
	}
	_, err := auth.Begin(mustStandard(t, cfg), auth.FlowOptions{RedirectURL: "javascript:alert(1)"})
	assert.ErrorIs(t, err, auth.ErrInsecureEndpoint, "per-flow redirects are checked too")
}

func mustStandard(t *testing.T, cfg auth.Config) *auth.Standard {
	t.Helper()
	p, err := auth.NewStandard(cfg)
	require.NoError(t, err)
	return p
}

func TestIsLoopbackFoldsASCIIOnly(t *testing.T) {
	assert.True(t, auth.IsLoopback("LOCALHOST"))
	assert.True(t, auth.IsLoopback("::1"))
	assert.False(t, auth.IsLoopback("localhoſt"), "a name that is localhost only under Unicode folding is not loopback")
	assert.ErrorIs(t, auth.CheckEndpoint("http://localhoſt:8080/token"), auth.ErrInsecureEndpoint)
}
