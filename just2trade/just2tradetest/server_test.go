package just2tradetest

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/just2trade"
)

// authorize runs the consent page and returns the callback's query.
func authorize(t *testing.T, s *Server, extra url.Values) url.Values {
	t.Helper()
	q := url.Values{"response_type": {"code"}, "client_id": {ClientID}, "redirect_uri": {RedirectURL}}
	for k, v := range extra {
		q[k] = v
	}
	cb, err := s.Browser(User, Password).Login(context.Background(), s.URL()+authorizePath+"?"+q.Encode())
	require.NoError(t, err)
	u, err := url.Parse(cb)
	require.NoError(t, err)
	return u.Query()
}

func postForm(t *testing.T, s *Server, path string, form url.Values, basic bool) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, s.URL()+path, strings.NewReader(form.Encode()))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if basic {
		req.SetBasicAuth(ClientID, ClientSecret)
	}
	return do(t, s, req)
}

func do(t *testing.T, s *Server, req *http.Request) (int, map[string]any) {
	t.Helper()
	resp, err := s.Client().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	var m map[string]any
	if len(b) > 0 && b[0] == '{' {
		require.NoError(t, json.Unmarshal(b, &m), string(b))
	}
	return resp.StatusCode, m
}

func codeForm(code string) url.Values {
	return url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {RedirectURL},
		"client_id": {ClientID}, "client_secret": {ClientSecret}}
}

func api(t *testing.T, s *Server, method, path, token, body string) (int, []byte) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, s.URL()+path, rd)
	require.NoError(t, err)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := s.Client().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, b
}

func TestTokenResponseShape(t *testing.T) {
	s := NewServer()
	defer s.Close()
	q := authorize(t, s, url.Values{"state": {"xyz"}})
	assert.Equal(t, "xyz", q.Get("state"), "state is echoed")
	status, body := postForm(t, s, tokenPath, codeForm(q.Get("code")), false)
	require.Equal(t, http.StatusOK, status, body)
	assert.Equal(t, "Bearer", body["token_type"])
	assert.Equal(t, "email profile", body["scope"])
	assert.Equal(t, float64(86400), body["expires_in"])
	assert.NotEmpty(t, body["access_token"])
	assert.NotContains(t, body, "refresh_token")
	assert.Len(t, body, 4)
}

func TestCodeLivesFiveMinutes(t *testing.T) {
	for _, c := range []struct {
		wait time.Duration
		ok   bool
	}{{4*time.Minute + 59*time.Second, true}, {5*time.Minute + time.Second, false}} {
		clock := NewTestClock(time.Now())
		s := NewServer(WithClock(clock.Now))
		q := authorize(t, s, nil)
		clock.Advance(c.wait)
		status, body := postForm(t, s, tokenPath, codeForm(q.Get("code")), false)
		if c.ok {
			assert.Equal(t, http.StatusOK, status, body)
		} else {
			assert.Equal(t, http.StatusBadRequest, status)
			assert.Equal(t, "invalid_grant", body["error"])
		}
		s.Close()
	}
}

func TestTokenEndpointRules(t *testing.T) {
	s := NewServer()
	defer s.Close()
	// Credentials in the body only: Basic is refused.
	q := authorize(t, s, nil)
	form := codeForm(q.Get("code"))
	form.Del("client_secret")
	form.Del("client_id")
	status, _ := postForm(t, s, tokenPath, form, true)
	assert.NotEqual(t, http.StatusOK, status)
	// No refresh grant.
	status, body := postForm(t, s, tokenPath, url.Values{"grant_type": {"refresh_token"},
		"refresh_token": {"x"}, "client_id": {ClientID}, "client_secret": {ClientSecret}}, false)
	assert.Equal(t, http.StatusBadRequest, status)
	assert.Equal(t, "unsupported_grant_type", body["error"])
	// The broker's password grant (the SDK never uses it) works.
	status, body = postForm(t, s, tokenPath, url.Values{"grant_type": {"password"},
		"username": {User}, "password": {Password}, "client_id": {ClientID}, "client_secret": {ClientSecret}}, false)
	assert.Equal(t, http.StatusOK, status, body)
	// A wrong redirect URI is refused at the authorization endpoint.
	req, _ := http.NewRequest(http.MethodGet, s.URL()+authorizePath+"?"+url.Values{"response_type": {"code"},
		"client_id": {ClientID}, "redirect_uri": {"https://evil.example.com/cb"}}.Encode(), nil)
	status, _ = do(t, s, req)
	assert.Equal(t, http.StatusBadRequest, status)
}

func TestWithoutStateEchoIsCaughtBySDK(t *testing.T) {
	s := NewServer(WithoutStateEcho())
	defer s.Close()
	p, err := s.Provider()
	require.NoError(t, err)
	_, err = s.Login(context.Background(), p)
	assert.ErrorIs(t, err, auth.ErrStateMismatch)
}

func token(t *testing.T, s *Server) string {
	t.Helper()
	p, err := s.Provider()
	require.NoError(t, err)
	tok, err := s.Login(context.Background(), p)
	require.NoError(t, err)
	return tok.AccessToken
}

func TestAPIWireShapes(t *testing.T) {
	s := NewServer(WithOrderDelay(time.Hour))
	defer s.Close()
	tok := token(t, s)

	status, b := api(t, s, http.MethodGet, "/accounts", "", "")
	assert.Equal(t, http.StatusUnauthorized, status)
	assert.Empty(t, b, "a bare 401")

	status, b = api(t, s, http.MethodGet, "/auth", tok, "")
	require.Equal(t, http.StatusOK, status)
	assert.Contains(t, string(b), `"application":{"status":"process"}`)
	assert.NotContains(t, string(b), "first_name")

	status, b = api(t, s, http.MethodGet, "/accounts", tok, "")
	require.Equal(t, http.StatusOK, status)
	assert.Contains(t, string(b), `"cash":12500.1,`, "money as JSON numbers")

	status, b = api(t, s, http.MethodGet, "/marketdata/quote?symbols=AAPL", tok, "")
	assert.Equal(t, http.StatusBadRequest, status, "plural parameter is off by default")
	assert.JSONEq(t, `{"code":"validation_error","message":"symbol is required"}`, string(b))

	status, b = api(t, s, http.MethodGet, "/marketdata/quote?symbol=NOPE", tok, "")
	assert.Equal(t, http.StatusNotFound, status)
	assert.Contains(t, string(b), `"code":"not_found"`)

	status, b = api(t, s, http.MethodGet, "/nowhere", tok, "")
	assert.Equal(t, http.StatusNotFound, status)
	assert.Contains(t, string(b), `"code":"not_found"`)

	status, b = api(t, s, http.MethodPost, "/orders/place", tok, `{"account_number":`)
	assert.Equal(t, http.StatusBadRequest, status)
	assert.Contains(t, string(b), `"code":"validation_error"`)

	status, _ = api(t, s, http.MethodPost, "/orders/place", tok, `{"account_number":"`+strings.Repeat("x", 2<<20)+`"}`)
	assert.Equal(t, http.StatusRequestEntityTooLarge, status)

	status, b = api(t, s, http.MethodPost, "/orders/place", tok,
		`{"account_number":"12345678@vision","symbol":"NOPE","quantity":1}`)
	require.Equal(t, http.StatusOK, status, "placing succeeds; checks come later")
	var placed struct {
		Success bool   `json:"success"`
		Data    string `json:"data"`
	}
	require.NoError(t, json.Unmarshal(b, &placed))
	assert.True(t, placed.Success)
	assert.Equal(t, "pending_new", s.OrderStatus(placed.Data))
}

func TestPluralQuoteOption(t *testing.T) {
	s := NewServer(WithPluralQuoteParam())
	defer s.Close()
	status, _ := api(t, s, http.MethodGet, "/marketdata/quote?symbols=AAPL", token(t, s), "")
	assert.Equal(t, http.StatusOK, status)
}

func TestLimeOrderTypes(t *testing.T) {
	s := NewServer(WithLime())
	defer s.Close()
	tok := token(t, s)
	status, b := api(t, s, http.MethodPost, "/orders/validate", tok,
		`{"account_number":"12345678@vision","symbol":"AAPL","quantity":1,"order_type":"stop","stop_price":100}`)
	require.Equal(t, http.StatusOK, status)
	assert.JSONEq(t, `{"is_valid":false,"validation_message":"Order type stop is not supported"}`, string(b))
}

func TestStartRejectsBadOptions(t *testing.T) {
	_, err := start(WithOrderDelay(-time.Second))
	assert.Error(t, err)
	_, err = start(WithDailyExpiry(just2trade.DailyExpiry{Hour: 25}))
	assert.Error(t, err)
}

func TestLimeHistoryCaps(t *testing.T) {
	s := NewServer(WithLime())
	defer s.Close()
	tok := token(t, s)
	week := int64(7 * 24 * 3600)
	status, _ := api(t, s, http.MethodGet, "/marketdata/history?symbol=AAPL&period=minute&from=0&to="+strconv.FormatInt(week, 10), tok, "")
	assert.Equal(t, http.StatusOK, status)
	status, b := api(t, s, http.MethodGet, "/marketdata/history?symbol=AAPL&period=minute&from=0&to="+strconv.FormatInt(week+60, 10), tok, "")
	assert.Equal(t, http.StatusBadRequest, status)
	assert.Contains(t, string(b), "validation_error")
	status, _ = api(t, s, http.MethodGet, "/marketdata/history?symbol=AAPL&period=day&from=0&to="+strconv.FormatInt(300*24*3600, 10), tok, "")
	assert.Equal(t, http.StatusOK, status)
}
