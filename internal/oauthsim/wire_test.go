package oauthsim

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/brokerkit/brokerkit/auth"
)

// cTrader's shape: GET token requests with query parameters, camelCase
// answers with snake_case duplicates, errors as HTTP 200 with errorCode.
func ctraderWire(c *Config) {
	c.CodeTTL = time.Minute
	c.AccessTTL = 2628000 * time.Second
	c.Refresh = RefreshPolicy{Mode: RefreshRotate}
	c.Wire = Wire{
		AuthorizePath: "/apps/auth", TokenPath: "/apps/token", RevokePath: "-", UserinfoPath: "-",
		TokenMethods: []string{http.MethodGet}, ClientAuth: ClientAuthParams,
		Fields: TokenFields{AccessToken: "accessToken", TokenType: "tokenType", RefreshToken: "refreshToken",
			ExpiresIn: "expiresIn", Scope: "-", TokenTypeValue: "bearer",
			Shape: func(grantType string, g *Grant, body map[string]any) {
				body["errorCode"] = nil
				body["description"] = nil
				body["access_token"] = body["accessToken"]
				body["expires_in"] = body["expiresIn"]
				if rt, ok := body["refreshToken"]; ok {
					body["refresh_token"] = rt
				}
			}},
		Errors: Status200Errors("errorCode", "description", map[string]string{"invalid_grant": "ACCESS_DENIED"}),
	}
}

func TestWireCTrader(t *testing.T) {
	v := newEnv(t, ctraderWire)
	p := standard(t, v, func(c *auth.Config) {
		c.TokenMethod = http.MethodGet
		c.OmitResponseType = true
		c.Scopes = []string{"trading"}
		c.ReauthCodes = []string{"ACCESS_DENIED"}
		c.Capabilities.PKCE = false
	})
	ctx := context.Background()
	flow, err := auth.Begin(p, auth.FlowOptions{Now: v.clock.Now})
	require.NoError(t, err)
	assert.NotContains(t, flow.URL, "response_type")
	cb, err := v.srv.Browser("alice", "pw").Login(ctx, flow.URL)
	require.NoError(t, err)
	tok, err := flow.CompleteURL(ctx, p, cb)
	require.NoError(t, err)
	assert.Equal(t, v.clock.Now().Add(2628000*time.Second), tok.Expiry)

	req, _ := http.NewRequest(http.MethodGet, v.url("/apps/token?grant_type=refresh_token&client_id=app&client_secret="+testSecret+
		"&refresh_token="+url.QueryEscape(tok.RefreshToken)), nil)
	st, raw, _ := v.do(req)
	require.Equal(t, http.StatusOK, st)
	for _, k := range []string{"accessToken", "tokenType", "expiresIn", "refreshToken", "errorCode", "description",
		"access_token", "refresh_token", "expires_in"} {
		assert.Contains(t, raw, k)
	}
	assert.Equal(t, "bearer", raw["tokenType"])
	assert.Nil(t, raw["errorCode"])

	_, err = p.Refresh(ctx, tok)
	require.Error(t, err, "the refresh token rotated on the raw refresh above")
	assert.ErrorIs(t, err, auth.ErrReauthRequired, "HTTP 200 + errorCode ACCESS_DENIED maps to re-login")
	assert.NotContains(t, err.Error(), tok.RefreshToken)
	assert.NotContains(t, err.Error(), testSecret)

	resp, err := v.srv.Client().PostForm(v.url("/apps/token"), url.Values{"grant_type": {"refresh_token"}})
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode, "even a refused method is an HTTP 200 error here")
}

func TestWireTradeStationV2(t *testing.T) {
	v := newEnv(t, func(c *Config) {
		c.CodeTTL = 30 * time.Second
		c.AccessTTL = 1200 * time.Second
		c.Refresh = RefreshPolicy{Mode: RefreshStatic}
		c.ClientCredentials = true
		c.AppOnlySubject = "CLIENTONLYLOGIN"
		c.Implicit = true
		c.Wire = Wire{
			AuthorizePath: "/v2/authorize/", TokenPath: "/v2/Security/Authorize", RevokePath: "-", UserinfoPath: "-",
			FoldPathCase: true, CodeParam: "auth_code", ClientAuth: ClientAuthParams,
			Fields: TokenFields{AccessToken: "token", RefreshToken: "RefreshToken", Subject: "userid", Scope: "-",
				TokenTypeValue: "AccessToken",
				Shape: func(grantType string, g *Grant, body map[string]any) {
					if grantType == "client_credentials" {
						body["token_type"] = nil
					}
				}},
			Errors: TextErrors(http.StatusUnauthorized, "", map[string]string{
				string(ReasonCodeExpired):      "Authorization code expired",
				string(ReasonRedirectMismatch): "Exception of type 'TradeStation.Web.Services.AuthorizationException' was thrown.",
				"invalid_client":               "API key failure",
			}),
		}
	})
	cb := v.login(url.Values{"state": {""}})
	code := cb.Query().Get("auth_code")
	require.NotEmpty(t, code)
	assert.False(t, cb.Query().Has("code"))

	v.clock.Advance(30 * time.Second)
	resp, err := v.srv.Client().PostForm(v.url("/v2/security/authorize"), url.Values{"grant_type": {"authorization_code"},
		"code": {code}, "redirect_uri": {testRedirect}, "client_id": {"app"}, "client_secret": {testSecret}, "response_type": {"token"}})
	require.NoError(t, err)
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	assert.Equal(t, "Authorization code expired", string(b))

	code = v.login(nil).Query().Get("auth_code")
	st, body, _ := v.post("/V2/SECURITY/AUTHORIZE", url.Values{"grant_type": {"authorization_code"}, "code": {code},
		"redirect_uri": {testRedirect}})
	require.Equal(t, http.StatusOK, st)
	assert.Equal(t, "u1", body["userid"])
	assert.Equal(t, "AccessToken", body["token_type"])
	assert.NotEmpty(t, body["token"])
	assert.NotEmpty(t, body["RefreshToken"])
	assert.NotContains(t, body, "access_token")

	// Decoded by the SDK's default field aliases.
	answer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"token":"`+str(body, "token")+`","RefreshToken":"r","userid":"u1","token_type":"AccessToken","expires_in":1200}`)
	}))
	defer answer.Close()
	sdk, err := auth.NewStandard(auth.Config{Name: "tradestation", ClientID: "app", AuthStyle: auth.AuthStylePublic,
		Endpoint: auth.Endpoint{AuthURL: answer.URL + "/authorize", TokenURL: answer.URL + "/token"}, Now: v.clock.Now})
	require.NoError(t, err)
	tok, err := sdk.Exchange(context.Background(), "c")
	require.NoError(t, err)
	assert.Equal(t, "u1", tok.Subject)
	_, err = v.srv.Engine.ValidateToken(tok.AccessToken)
	assert.NoError(t, err)

	st, body, _ = v.post("/v2/Security/Authorize", url.Values{"grant_type": {"client_credentials"}})
	require.Equal(t, http.StatusOK, st)
	assert.Equal(t, "CLIENTONLYLOGIN", body["userid"])
	assert.Contains(t, body, "token_type")
	assert.Nil(t, body["token_type"])

	resp, err = v.hc.Get(v.authURL(url.Values{"redirect_uri": {"https://elsewhere.example.com/"}, "response_type": {"code"}}))
	require.NoError(t, err)
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	assert.Contains(t, string(b), "AuthorizationException")

	frag := v.login(url.Values{"response_type": {"token"}}).Fragment
	q, _ := url.ParseQuery(frag)
	assert.NotEmpty(t, q.Get("token"), "the implicit fragment uses the wire's names")
	assert.Equal(t, "u1", q.Get("userid"))
}

func TestWireAuth0JSONToken(t *testing.T) {
	v := newEnv(t, func(c *Config) {
		c.CodeTTL = 10 * time.Minute
		c.AccessTTL = 24 * time.Hour
		c.Refresh = RefreshPolicy{Mode: RefreshStatic, ReturnOnRefresh: true}
		c.Wire = Wire{AuthorizePath: "/authorize", TokenPath: "/oauth/token", RevokePath: "/oauth/revoke",
			TokenJSON: true, RequireResponseType: true, Fields: TokenFields{IDToken: "id_token"}}
	})
	code := v.code(url.Values{"scope": {"openid profile email"}})
	st, body := postJSON(v, "/oauth/token", `{"grant_type":"authorization_code","client_id":"app","client_secret":"`+testSecret+
		`","code":"`+code+`","redirect_uri":"`+testRedirect+`"}`)
	require.Equal(t, http.StatusOK, st, "%v", body)
	assert.Equal(t, "openid profile email", body["scope"])
	assert.NotEmpty(t, body["id_token"])
	assert.EqualValues(t, 86400, body["expires_in"])
	st, body = postJSON(v, "/oauth/token", `{"grant_type":"authorization_code","client_id":"app","client_secret":"`+testSecret+`","code":["x"]}`)
	assert.Equal(t, http.StatusBadRequest, st)
	assert.Equal(t, "invalid_request", body["error"])
}
