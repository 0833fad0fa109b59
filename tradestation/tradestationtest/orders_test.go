package tradestationtest

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// send makes one raw API call with a bearer token and returns the status,
// headers and decoded JSON body.
func send(t *testing.T, srv *Server, method, path, tok, body string) (int, http.Header, map[string]any) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, srv.URL()+path, rd)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/json")
	resp, err := srv.Client().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var out map[string]any
	b, _ := io.ReadAll(resp.Body)
	require.NoErrorf(t, json.Unmarshal(b, &out), "body %s", b)
	return resp.StatusCode, resp.Header, out
}

func tradeToken(t *testing.T, srv *Server, scopes ...string) string {
	t.Helper()
	if len(scopes) == 0 {
		scopes = []string{"openid", "MarketData", "ReadAccount", "Trade"}
	}
	tok, err := srv.IssueV3(scopes...)
	require.NoError(t, err)
	return tok.AccessToken
}

func TestOrderWireShapes(t *testing.T) {
	srv := NewServer()
	defer srv.Close()
	tok := tradeToken(t, srv)
	const limitBuy = `{"AccountID":"11827462","Symbol":"AAPL","Quantity":"10","OrderType":"Limit","TradeAction":"BUY",
		"TimeInForce":{"Duration":"DAY"},"LimitPrice":"200.00"}`

	st, _, body := send(t, srv, http.MethodPost, "/v3/orderexecution/orders", tok, limitBuy)
	require.Equal(t, http.StatusOK, st)
	orders := body["Orders"].([]any)
	require.Len(t, orders, 1)
	first := orders[0].(map[string]any)
	assert.Equal(t, "Sent order: Buy 10 AAPL @ 200.00 Limit", first["Message"])
	id := first["OrderID"].(string)

	st, _, body = send(t, srv, http.MethodGet, "/v3/brokerage/accounts/11827462/orders/"+id, tok, "")
	require.Equal(t, http.StatusOK, st)
	o := body["Orders"].([]any)[0].(map[string]any)
	assert.Equal(t, "200", o["LimitPrice"], "prices are JSON strings")
	assert.Equal(t, "ACK", o["Status"])
	assert.Equal(t, "Received", o["StatusDescription"])

	st, _, body = send(t, srv, http.MethodPost, "/v3/orderexecution/orders", tok, `{"AccountID":`)
	assert.Equal(t, http.StatusBadRequest, st)
	assert.Equal(t, "BadRequest", body["Error"], "the v3 {Error,Message} shape")
	assert.NotEmpty(t, body["Message"])

	st, hdr, body := send(t, srv, http.MethodPatch, "/v3/orderexecution/orders/"+id, tok, "")
	assert.Equal(t, http.StatusMethodNotAllowed, st)
	assert.Equal(t, "PUT, DELETE", hdr.Get("Allow"))
	assert.Equal(t, "MethodNotAllowed", body["Error"])

	st, _, body = send(t, srv, http.MethodGet, "/v3/brokerage/accounts/11827462/orders?pageSize=1&nextToken=bogus", tok, "")
	assert.Equal(t, http.StatusBadRequest, st)
	assert.Equal(t, "BadRequest", body["Error"])

	st, hdr, _ = send(t, srv, http.MethodGet, "/v3/brokerage/accounts/11827462/orders", tok, "")
	assert.Equal(t, http.StatusOK, st)
	assert.Equal(t, "Orders", hdr.Get("X-RateLimit-Resource"))

	st, _, body = send(t, srv, http.MethodGet, "/v3/brokerage/accounts/11827462/historicalorders", tok, "")
	assert.Equal(t, http.StatusBadRequest, st, "since is required")
	assert.Equal(t, "BadRequest", body["Error"])

	ro := tradeToken(t, srv, "openid", "MarketData", "ReadAccount")
	st, _, body = send(t, srv, http.MethodPost, "/v3/orderexecution/orders", ro, limitBuy)
	assert.Equal(t, http.StatusForbidden, st, "placing needs the Trade scope")
	assert.Equal(t, "Forbidden", body["Error"])

	st, _, body = send(t, srv, http.MethodPost, "/sim/v3/orderexecution/orders", tok, limitBuy)
	assert.Equal(t, http.StatusBadRequest, st, "a live account is unknown on the SIM host")
	assert.Contains(t, body["Message"], "AccountID")
}

func TestNextTokenExpiresAfterAnHour(t *testing.T) {
	clock := NewTestClock(time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC))
	srv := NewServer(WithClock(clock.Now))
	defer srv.Close()
	tok := tradeToken(t, srv)
	for range 2 {
		st, _, _ := send(t, srv, http.MethodPost, "/v3/orderexecution/orders", tok,
			`{"AccountID":"11827462","Symbol":"KO","Quantity":"1","OrderType":"Market","TradeAction":"BUY","TimeInForce":{"Duration":"DAY"}}`)
		require.Equal(t, http.StatusOK, st)
	}
	st, _, body := send(t, srv, http.MethodGet, "/v3/brokerage/accounts/11827462/orders?pageSize=1", tok, "")
	require.Equal(t, http.StatusOK, st)
	next, _ := body["NextToken"].(string)
	require.NotEmpty(t, next)
	clock.Advance(nextTokenLife + 1)
	tok = tradeToken(t, srv)
	st, _, body = send(t, srv, http.MethodGet, "/v3/brokerage/accounts/11827462/orders?pageSize=1&nextToken="+next, tok, "")
	assert.Equal(t, http.StatusBadRequest, st)
	assert.Contains(t, body["Message"], "nextToken")
}
