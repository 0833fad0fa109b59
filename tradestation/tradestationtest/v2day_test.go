package tradestationtest_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/tradestation"
	"github.com/brokerkit/brokerkit/tradestation/tradestationtest"
)

// v2TokenRequest posts a WebAPI v2 token request with the seeded key and
// returns the decoded answer.
func v2TokenRequest(t *testing.T, srv *tradestationtest.Server, form url.Values) map[string]any {
	t.Helper()
	form.Set("client_id", tradestationtest.V2ClientID)
	form.Set("client_secret", tradestationtest.V2ClientSecret)
	resp, err := srv.Client().PostForm(srv.URL()+"/v2/Security/Authorize", form)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var body map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&body))
	return body
}

// v2Status is the status of a WebAPI v2 call made with token.
func v2Status(t *testing.T, srv *tradestationtest.Server, path, token string) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, srv.URL()+path, nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := srv.Client().Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	return resp.StatusCode
}

// TestV2TokenValidOnlyOnItsUTCDate: "the Access Token is only valid for
// the Date it was issued; all dates are UTC". The answer still says
// expires_in 1200, as the documentation shows; the API refuses the token
// from the next UTC midnight on.
func TestV2TokenValidOnlyOnItsUTCDate(t *testing.T) {
	clock := tradestationtest.NewTestClock(time.Date(2026, 3, 10, 23, 50, 0, 0, time.UTC))
	srv := tradestationtest.NewServer(tradestationtest.WithClock(clock.Now))
	defer srv.Close()
	ctx := context.Background()

	p, err := tradestation.New(srv.ConfigFor(tradestation.V2))
	require.NoError(t, err)
	flow, err := auth.Begin(p)
	require.NoError(t, err)
	cb, err := srv.Consent(ctx, flow.URL)
	require.NoError(t, err)
	u, err := url.Parse(cb)
	require.NoError(t, err)
	body := v2TokenRequest(t, srv, url.Values{"grant_type": {"authorization_code"}, "code": {u.Query().Get("code")},
		"redirect_uri": {tradestationtest.RedirectURL}, "response_type": {"token"}})
	assert.EqualValues(t, 1200, body["expires_in"], "the wire says 20 minutes, as documented")
	access, _ := body["access_token"].(string)
	refresh, _ := body["refresh_token"].(string)
	require.NotEmpty(t, access)
	require.NotEmpty(t, refresh)
	app := v2TokenRequest(t, srv, url.Values{"grant_type": {"client_credentials"}})
	appToken, _ := app["token"].(string)
	require.NotEmpty(t, appToken)

	const accounts = "/v2/users/" + tradestationtest.V2UserID + "/accounts"
	const suggest = "/v2/data/symbols/suggest/MS"
	clock.Set(time.Date(2026, 3, 10, 23, 59, 59, 0, time.UTC))
	assert.Equal(t, http.StatusOK, v2Status(t, srv, accounts, access), "valid until the end of its date")
	assert.Equal(t, http.StatusOK, v2Status(t, srv, suggest, appToken))

	clock.Set(time.Date(2026, 3, 11, 0, 0, 0, 0, time.UTC))
	assert.Equal(t, http.StatusUnauthorized, v2Status(t, srv, accounts, access),
		"refused at midnight UTC though expires_in has 10 minutes left")
	assert.Equal(t, http.StatusUnauthorized, v2Status(t, srv, suggest, appToken),
		"a client-credentials token is bound to its date too")

	// The refresh token outlives the date; the new token lives its full
	// 20 minutes into the new day.
	body = v2TokenRequest(t, srv, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refresh},
		"redirect_uri": {tradestationtest.RedirectURL}, "response_type": {"token"}})
	assert.EqualValues(t, 1200, body["expires_in"])
	fresh, _ := body["access_token"].(string)
	clock.Advance(19 * time.Minute)
	assert.Equal(t, http.StatusOK, v2Status(t, srv, accounts, fresh))
	clock.Advance(time.Minute)
	assert.Equal(t, http.StatusUnauthorized, v2Status(t, srv, accounts, fresh), "expires_in still holds")
}

// authorizeStatus is the status of an auto-approved authorization request.
func authorizeStatus(t *testing.T, srv *tradestationtest.Server, cfg tradestation.Config) (int, string) {
	t.Helper()
	p, err := tradestation.New(cfg)
	require.NoError(t, err)
	flow, err := auth.Begin(p)
	require.NoError(t, err)
	hc := *srv.Client()
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := hc.Get(flow.URL)
	require.NoError(t, err)
	resp.Body.Close()
	return resp.StatusCode, resp.Header.Get("Location")
}

func TestV2RedirectStatus(t *testing.T) {
	srv := tradestationtest.NewServer()
	defer srv.Close()
	srv.SetAutoApprove(tradestationtest.User)
	status, loc := authorizeStatus(t, srv, srv.ConfigFor(tradestation.V2))
	assert.Equal(t, http.StatusMovedPermanently, status, "WebAPI v2 documents an HTTP 301 redirect")
	assert.True(t, strings.HasPrefix(loc, tradestationtest.RedirectURL+"?code="), loc)
	status, _ = authorizeStatus(t, srv, srv.Config())
	assert.Equal(t, http.StatusFound, status, "Auth0 (v3) answers 302")

	found := tradestationtest.NewServer(tradestationtest.WithV2RedirectStatus(http.StatusFound))
	defer found.Close()
	found.SetAutoApprove(tradestationtest.User)
	status, loc = authorizeStatus(t, found, found.ConfigFor(tradestation.V2))
	assert.Equal(t, http.StatusFound, status)
	assert.True(t, strings.HasPrefix(loc, tradestationtest.RedirectURL+"?code="), loc)
	// The whole login works either way.
	for _, s := range []*tradestationtest.Server{srv, found} {
		p, err := tradestation.New(s.ConfigFor(tradestation.V2))
		require.NoError(t, err)
		_, err = s.Login(context.Background(), p)
		require.NoError(t, err)
	}

	// Faults still reach the v2 login under the status rewrite.
	srv.SetAutoApprove("")
	srv.V2AuthFaults().Next("/v2/authorize/", tradestationtest.Fault{Status: http.StatusServiceUnavailable}, 1)
	p, err := tradestation.New(srv.ConfigFor(tradestation.V2))
	require.NoError(t, err)
	_, err = srv.Login(context.Background(), p)
	assert.ErrorContains(t, err, "503")
	assert.Zero(t, srv.V2AuthFaults().Pending())

	_, err = tradestationtest.Start(tradestationtest.WithV2RedirectStatus(http.StatusOK))
	assert.ErrorContains(t, err, "200")
}
