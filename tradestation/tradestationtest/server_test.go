package tradestationtest

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/brokerkit/brokerkit/tradestation"
)

// get sends a GET with tok and returns status, headers and body.
func get(t *testing.T, srv *Server, path, tok string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, srv.URL()+path, nil)
	require.NoError(t, err)
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := srv.Client().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, resp.Header, string(b)
}

// postForm posts form to path and decodes the JSON answer.
func postForm(t *testing.T, srv *Server, path string, form url.Values) (int, map[string]any) {
	t.Helper()
	resp, err := srv.Client().PostForm(srv.URL()+path, form)
	require.NoError(t, err)
	defer resp.Body.Close()
	var out map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
	return resp.StatusCode, out
}

// v2Code logs in to WebAPI v2 and returns the code from the redirect.
func v2Code(t *testing.T, srv *Server, param string) string {
	t.Helper()
	auth := srv.URL() + "/v2/authorize/?" + url.Values{"client_id": {V2ClientID}, "redirect_uri": {RedirectURL},
		"response_type": {"code"}}.Encode()
	cb, err := srv.Consent(context.Background(), auth)
	require.NoError(t, err)
	u, err := url.Parse(cb)
	require.NoError(t, err)
	code := u.Query().Get(param)
	require.NotEmpty(t, code, cb)
	return code
}

func TestV3QuoteNumbersAreStrings(t *testing.T) {
	srv := NewServer()
	defer srv.Close()
	tok, err := srv.IssueV3()
	require.NoError(t, err)
	status, h, body := get(t, srv, "/v3/marketdata/quotes/MSFT,BAD", tok.AccessToken)
	require.Equal(t, 200, status, body)
	var raw struct {
		Quotes []map[string]json.RawMessage
		Errors []map[string]string
	}
	require.NoError(t, json.Unmarshal([]byte(body), &raw))
	require.Len(t, raw.Quotes, 1)
	for _, f := range []string{"Last", "Bid", "Ask", "Volume", "NetChangePct", "VWAP"} {
		assert.Equal(t, byte('"'), raw.Quotes[0][f][0], "%s must be a JSON string", f)
	}
	assert.JSONEq(t, `{"IsDelayed":false,"IsHardToBorrow":false,"IsBats":false,"IsHalted":false}`, string(raw.Quotes[0]["MarketFlags"]))
	assert.Equal(t, []map[string]string{{"Symbol": "BAD", "Error": "FAILED, INVALID SYMBOL"}}, raw.Errors)
	assert.Equal(t, "500", h.Get("X-RateLimit-Limit"))
	assert.Equal(t, "499", h.Get("X-RateLimit-Remaining"))
	assert.Equal(t, "300", h.Get("X-RateLimit-Reset"))
	assert.Equal(t, "Quotes", h.Get("X-RateLimit-Resource"))

	syms := strings.TrimSuffix(strings.Repeat("MSFT,", 101), ",")
	status, _, body = get(t, srv, "/v3/marketdata/quotes/"+syms, tok.AccessToken)
	assert.Equal(t, 400, status)
	assert.Contains(t, body, `"Error":"BadRequest"`)
}

func TestV3ErrorShapes(t *testing.T) {
	clock := NewTestClock(time.Now())
	srv := NewServer(WithClock(clock.Now), WithRateLimits(RateLimits{Accounts: 1, Window: time.Minute, ResetEpoch: true}))
	defer srv.Close()
	tok, err := srv.IssueV3()
	require.NoError(t, err)

	status, _, body := get(t, srv, "/v3/brokerage/accounts", "")
	assert.Equal(t, 401, status)
	assert.JSONEq(t, `{"Error":"Unauthorized","Message":"Unauthorized: no bearer token"}`, body)

	status, _, body = get(t, srv, "/v3/accounts/SIM3113503M/balances", tok.AccessToken)
	assert.Equal(t, 404, status)
	assert.JSONEq(t, `{"Error":"NotFound","Message":"not found /accounts/sim3113503m/balances"}`, body)

	status, _, _ = get(t, srv, "/v3/brokerage/accounts", tok.AccessToken)
	assert.Equal(t, 200, status)
	status, h, body := get(t, srv, "/v3/brokerage/accounts", tok.AccessToken)
	assert.Equal(t, 429, status)
	assert.JSONEq(t, `{"Error":"TooManyRequests","Message":"Rate quota exceeded"}`, body)
	assert.Equal(t, "0", h.Get("X-RateLimit-Remaining"))
	assert.Equal(t, clock.Now().Add(time.Minute).Unix(), mustInt(t, h.Get("X-RateLimit-Reset")), "epoch mode")

	noScope, err := srv.IssueV3("openid", "MarketData")
	require.NoError(t, err)
	status, _, body = get(t, srv, "/v3/brokerage/accounts", noScope.AccessToken)
	assert.Equal(t, 403, status)
	assert.Contains(t, body, "ReadAccount")

	clock.Advance(21 * time.Minute)
	status, _, _ = get(t, srv, "/v3/marketdata/quotes/MSFT", tok.AccessToken)
	assert.Equal(t, 401, status, "20-minute access tokens")
}

func mustInt(t *testing.T, s string) int64 {
	t.Helper()
	var n int64
	require.NoError(t, json.Unmarshal([]byte(s), &n))
	return n
}

func TestV2TokenShapesOnTheWire(t *testing.T) {
	for _, tc := range []struct {
		name              string
		opts              []Option
		param, at, rt     string
		missingAt, missRt string
	}{
		{"current", nil, "code", "access_token", "refresh_token", "token", "RefreshToken"},
		{"legacy", []Option{WithLegacyTokenFields(), WithAuthCodeParam()}, "auth_code", "token", "RefreshToken", "access_token", "refresh_token"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := NewServer(tc.opts...)
			defer srv.Close()
			code := v2Code(t, srv, tc.param)
			status, body := postForm(t, srv, "/v2/security/authorize", url.Values{"grant_type": {"authorization_code"},
				"client_id": {V2ClientID}, "client_secret": {V2ClientSecret}, "redirect_uri": {RedirectURL},
				"code": {code}, "response_type": {"token"}})
			require.Equal(t, 200, status, body)
			assert.NotEmpty(t, body[tc.at])
			assert.NotEmpty(t, body[tc.rt])
			assert.NotContains(t, body, tc.missingAt)
			assert.NotContains(t, body, tc.missRt)
			assert.Equal(t, "AccessToken", body["token_type"])
			assert.Equal(t, V2UserID, body["userid"])
			assert.InDelta(t, 1200, body["expires_in"], 1)

			status, ref := postForm(t, srv, "/V2/Security/Authorize", url.Values{"grant_type": {"refresh_token"},
				"client_id": {V2ClientID}, "client_secret": {V2ClientSecret}, "redirect_uri": {RedirectURL},
				"refresh_token": {body[tc.rt].(string)}, "response_type": {"token"}})
			require.Equal(t, 200, status, ref)
			assert.NotContains(t, ref, tc.rt, "a v2 refresh returns no new refresh token")
			assert.NotEmpty(t, ref[tc.at])
		})
	}

	srv := NewServer()
	defer srv.Close()
	status, cc := postForm(t, srv, "/v2/Security/Authorize", url.Values{"grant_type": {"client_credentials"},
		"client_id": {V2ClientID}, "client_secret": {V2ClientSecret}})
	require.Equal(t, 200, status)
	assert.Equal(t, tradestation.ClientOnlyUser, cc["userid"])
	assert.Nil(t, cc["token_type"])
	assert.Contains(t, cc, "token_type")
	assert.NotEmpty(t, cc["token"])
	code, _, body := get(t, srv, "/v2/users/"+V2UserID+"/accounts", cc["token"].(string))
	assert.Equal(t, 403, code, body)
	code, _, _ = get(t, srv, "/v2/data/symbols/suggest/MS", cc["token"].(string))
	assert.Equal(t, 200, code)
}

func TestV2CodeExpiresAfterThirtySeconds(t *testing.T) {
	clock := NewTestClock(time.Now())
	srv := NewServer(WithClock(clock.Now))
	defer srv.Close()
	code := v2Code(t, srv, "code")
	clock.Advance(30 * time.Second)
	resp, err := srv.Client().PostForm(srv.URL()+"/v2/Security/Authorize", url.Values{"grant_type": {"authorization_code"},
		"client_id": {V2ClientID}, "client_secret": {V2ClientSecret}, "redirect_uri": {RedirectURL}, "code": {code}})
	require.NoError(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	assert.Equal(t, 401, resp.StatusCode)
	assert.Contains(t, string(b), "Authorization code expired")
}

func TestV2NumbersQuotaAndCase(t *testing.T) {
	srv := NewServer(WithRateLimits(RateLimits{V2: 2}))
	defer srv.Close()
	code := v2Code(t, srv, "code")
	_, tok := postForm(t, srv, "/v2/Security/Authorize", url.Values{"grant_type": {"authorization_code"},
		"client_id": {V2ClientID}, "client_secret": {V2ClientSecret}, "redirect_uri": {RedirectURL}, "code": {code}})
	at := tok["access_token"].(string)
	status, _, body := get(t, srv, "/V2/DATA/QUOTE/msft", at)
	require.Equal(t, 200, status, body)
	var quotes []map[string]json.RawMessage
	require.NoError(t, json.Unmarshal([]byte(body), &quotes))
	assert.Equal(t, "412.37", string(quotes[0]["Last"]), "v2 prices are JSON numbers")
	assert.Equal(t, `"412.37"`, string(quotes[0]["LastPriceDisplay"]))

	status, _, _ = get(t, srv, "/v2/data/quote/MSFT", at)
	assert.Equal(t, 200, status)
	status, h, body := get(t, srv, "/v2/data/quote/MSFT", at)
	assert.Equal(t, "text/html", h.Get("Content-Type"))
	assert.Equal(t, 403, status)
	assert.Equal(t, "<html><body>Quota Exceeded</body></html>", body)
}

func TestV2InvalidSymbolModes(t *testing.T) {
	for _, as404 := range []bool{false, true} {
		var opts []Option
		if as404 {
			opts = append(opts, WithInvalidSymbol404())
		}
		srv := NewServer(opts...)
		code := v2Code(t, srv, "code")
		_, tok := postForm(t, srv, "/v2/Security/Authorize", url.Values{"grant_type": {"authorization_code"},
			"client_id": {V2ClientID}, "client_secret": {V2ClientSecret}, "redirect_uri": {RedirectURL}, "code": {code}})
		status, _, body := get(t, srv, "/v2/data/quote/NOPE", tok["access_token"].(string))
		if as404 {
			assert.Equal(t, 404, status)
			assert.Contains(t, body, "INVALID SYMBOL")
		} else {
			assert.Equal(t, 200, status)
			assert.Contains(t, body, `"Error":"FAILED, INVALID SYMBOL"`)
		}
		srv.Close()
	}
}

func TestRevokeEndsEveryRefreshTokenOfTheKey(t *testing.T) {
	srv := NewServer()
	defer srv.Close()
	a, err := srv.IssueV3()
	require.NoError(t, err)
	b, err := srv.IssueV3()
	require.NoError(t, err)
	body := `{"client_id":"` + V3ClientID + `","client_secret":"` + V3ClientSecret + `","token":"` + a.RefreshToken + `"}`
	resp, err := srv.Client().Post(srv.URL()+"/oauth/revoke", "application/json", strings.NewReader(body))
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, 200, resp.StatusCode)
	status, out := postForm(t, srv, "/oauth/token", url.Values{"grant_type": {"refresh_token"}, "client_id": {V3ClientID},
		"client_secret": {V3ClientSecret}, "refresh_token": {b.RefreshToken}})
	assert.Equal(t, 400, status)
	assert.Equal(t, "invalid_grant", out["error"])
}

func TestAOPAudienceSeparation(t *testing.T) {
	srv := NewServer()
	defer srv.Close()
	tok, err := srv.IssueV3()
	require.NoError(t, err)
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodPost, srv.URL()+"/aop/v1/applications", strings.NewReader(`{}`))
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	resp, err := srv.Client().Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, 401, resp.StatusCode, "a trading token is refused by the AOP API")
}

// TestRoutesMethodAndV2Case: a known path asked with another method answers
// 405 with Allow in the API's own error shape; WebAPI v2's fixed path words
// match in any case while the user ID and symbols keep theirs.
func TestRoutesMethodAndV2Case(t *testing.T) {
	srv := NewServer()
	defer srv.Close()
	tok, err := srv.IssueV3()
	require.NoError(t, err)

	req, err := http.NewRequest(http.MethodDelete, srv.URL()+"/sim/v3/marketdata/quotes/MSFT", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	resp, err := srv.Client().Do(req)
	require.NoError(t, err)
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode)
	assert.Equal(t, "GET", resp.Header.Get("Allow"))
	assert.JSONEq(t, `{"Error":"MethodNotAllowed","Message":"DELETE is not allowed here"}`, string(b))

	status, _, body := get(t, srv, "/V2/Data/Symbols/SUGGEST/MSF", tok.AccessToken)
	assert.Equal(t, http.StatusOK, status, body)
	assert.Contains(t, body, `"Name":"MSFT"`)
	status, _, body = get(t, srv, "/sim/v2/DATA/Quote/msft", tok.AccessToken)
	assert.Equal(t, http.StatusUnauthorized, status, "a v3 token is no v2 token: %s", body)
	status, _, _ = get(t, srv, "/v2/data/nothing/MSFT", tok.AccessToken)
	assert.Equal(t, http.StatusNotFound, status)
}
