package just2tradetest

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// dialSocket opens one of the emulator's WebSockets with token.
func dialSocket(t *testing.T, s *Server, path, token string) (*websocket.Conn, *http.Response, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	h := http.Header{}
	if token != "" {
		h.Set("Authorization", "Bearer "+token)
	}
	u := "ws" + strings.TrimPrefix(s.URL(), "http") + path
	c, resp, err := websocket.Dial(ctx, u, &websocket.DialOptions{HTTPClient: s.Client(), HTTPHeader: h})
	if err == nil {
		t.Cleanup(func() { _ = c.CloseNow() })
	}
	return c, resp, err
}

func send(t *testing.T, c *websocket.Conn, msg string) {
	t.Helper()
	require.NoError(t, c.Write(context.Background(), websocket.MessageText, []byte(msg)))
}

// message is one feed message, decoded loosely.
type message struct {
	T    string          `json:"t"`
	S    string          `json:"s"`
	Data json.RawMessage `json:"data"`
	raw  map[string]json.RawMessage
}

func next(t *testing.T, c *websocket.Conn) message {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, b, err := c.Read(ctx)
	require.NoError(t, err)
	var m message
	require.NoError(t, json.Unmarshal(b, &m), string(b))
	require.NoError(t, json.Unmarshal(b, &m.raw))
	return m
}

func TestSocketRefusesABadToken(t *testing.T) {
	s := NewServer()
	defer s.Close()
	for _, path := range []string{pathAccountsSocket, pathMarketSocket} {
		_, resp, err := dialSocket(t, s, path, "not-a-token")
		require.Error(t, err, path)
		require.NotNil(t, resp, path)
		assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, path)
	}
	// GET /accounts without an upgrade is still the balances call.
	status, body := api(t, s, http.MethodGet, "/accounts", token(t, s), "")
	assert.Equal(t, http.StatusOK, status)
	assert.Contains(t, string(body), PrimaryAccount)
}

func TestAccountSocketOrdersSnapshotThenChanges(t *testing.T) {
	s := NewServer(WithOrderDelay(0))
	defer s.Close()
	tok := token(t, s)
	c, _, err := dialSocket(t, s, pathAccountsSocket, tok)
	require.NoError(t, err)

	send(t, c, `{"action":"subscribeOrders","account":"`+PrimaryAccount+`"}`)
	m := next(t, c)
	assert.Equal(t, "o", m.T)
	assert.JSONEq(t, `[]`, string(m.Data), "no order today: an empty snapshot")

	status, body := api(t, s, http.MethodPost, "/orders/place", tok,
		`{"account_number":"`+PrimaryAccount+`","symbol":"AAPL","quantity":1,"order_type":"market","side":"buy"}`)
	require.Equal(t, http.StatusOK, status, string(body))
	m = next(t, c)
	assert.Equal(t, "o", m.T)
	var orders []map[string]any
	require.NoError(t, json.Unmarshal(m.Data, &orders))
	require.Len(t, orders, 1)
	assert.Equal(t, "filled", orders[0]["order_status"])
	assert.Equal(t, "AAPL", orders[0]["symbol"])

	// Another subscription on the same socket: the balances list.
	send(t, c, `{"action":"subscribeBalance","account":"`+PrimaryAccount+`"}`)
	m = next(t, c)
	assert.Equal(t, "b", m.T)
	assert.Contains(t, string(m.Data), SecondAccount, "b is the full balance list")

	send(t, c, `{"action":"subscribeOrders","account":"99999999@vision"}`)
	m = next(t, c)
	assert.Equal(t, "e", m.T)
	assert.JSONEq(t, `{"code":"not_found","description":"Account 99999999@vision not found"}`, string(m.Data))
}

func TestMarketSocketAggregateThenChangedFields(t *testing.T) {
	s := NewServer()
	defer s.Close()
	c, _, err := dialSocket(t, s, pathMarketSocket, token(t, s))
	require.NoError(t, err)
	send(t, c, `{"action":"subscribe","symbols":["AAPL","NOPE"]}`)
	got := map[string]message{}
	for range 2 {
		m := next(t, c)
		got[m.T] = m
	}
	assert.Equal(t, "NOPE", got["e"].S)
	a := got["a"]
	assert.Equal(t, "AAPL", a.S)
	for _, f := range []string{"a", "as", "b", "bs", "l", "ls", "lm", "v", "d", "open", "high", "low", "close", "change", "change_pc"} {
		assert.Contains(t, a.raw, f)
	}
	assert.Equal(t, "172.1", string(a.raw["b"]), "prices are JSON numbers")

	s.SetQuote("AAPL", decimal.RequireFromString("172.20"), decimal.RequireFromString("172.15"), decimal.RequireFromString("172.30"))
	tr := next(t, c)
	assert.Equal(t, "t", tr.T)
	assert.Equal(t, "172.3", string(tr.raw["l"]))
	agg := next(t, c)
	assert.Equal(t, "a", agg.T)
	assert.Equal(t, "172.2", string(agg.raw["b"]))
	assert.NotContains(t, agg.raw, "a", "the ask did not change")
	assert.NotContains(t, agg.raw, "open")
}

func TestSocketFaults(t *testing.T) {
	s := NewServer()
	defer s.Close()
	tok := token(t, s)
	c, _, err := dialSocket(t, s, pathMarketSocket, tok)
	require.NoError(t, err)
	send(t, c, `{"action":"subscribe","symbols":["MSFT"]}`)
	assert.Equal(t, "a", next(t, c).T)
	require.Eventually(t, func() bool { return s.Faults().OpenStreams() == 1 }, 5*time.Second, 10*time.Millisecond)

	// Stalled: pings are answered, data is not sent.
	s.Faults().StallStreams(true)
	reads := make(chan error, 1)
	go func() {
		_, _, err := c.Read(context.Background())
		reads <- err
	}()
	s.SetQuote("MSFT", decimal.RequireFromString("1"), decimal.RequireFromString("2"), decimal.RequireFromString("1.5"))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	require.NoError(t, c.Ping(ctx), "pings are answered during a stall")
	cancel()
	select {
	case err := <-reads:
		t.Fatalf("data during a stall (read err %v)", err)
	case <-time.After(3 * streamTick):
	}
	s.Faults().StallStreams(false)

	// Cut: the socket ends without a close handshake.
	assert.Equal(t, 1, s.Faults().CutStreams())
	select {
	case err := <-reads:
		require.Error(t, err)
		assert.Equal(t, websocket.StatusCode(-1), websocket.CloseStatus(err), "a cut has no close frame: %v", err)
	case <-time.After(5 * time.Second):
		t.Fatal("the cut socket stayed open")
	}

	// An invalidated token closes the socket at once, with 1008.
	c2, _, err := dialSocket(t, s, pathAccountsSocket, tok)
	require.NoError(t, err)
	send(t, c2, `{"action":"subscribeTrades","account":"`+PrimaryAccount+`"}`)
	assert.Equal(t, "t", next(t, c2).T)
	require.True(t, s.InvalidateToken(tok))
	ctx, cancel = context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, _, err = c2.Read(ctx)
	assert.Equal(t, websocket.StatusPolicyViolation, websocket.CloseStatus(err), "%v", err)
	_, resp, err := dialSocket(t, s, pathAccountsSocket, tok)
	require.Error(t, err)
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
}

func TestBurstQuotes(t *testing.T) {
	s := NewServer()
	defer s.Close()
	c, _, err := dialSocket(t, s, pathMarketSocket, token(t, s))
	require.NoError(t, err)
	send(t, c, `{"action":"subscribe","symbols":["AAPL"]}`)
	assert.Equal(t, "a", next(t, c).T)
	assert.Equal(t, 0, s.BurstQuotes("MSFT", 10), "nobody subscribed to MSFT")
	require.Equal(t, 1, s.BurstQuotes("AAPL", 500))
	for i := range 500 {
		m := next(t, c)
		require.Equal(t, "a", m.T, "message %d", i)
	}
}
