package emulate

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/brokerkit/brokerkit/providers"
	"github.com/brokerkit/brokerkit/stream"
)

var restBrokers = []string{"tradestation", "just2trade", "autoshares"}

// marketView is the broker's View for the seeded user, with AutoShares'
// pending agreements signed (its market data needs them).
func marketView(t *testing.T, s *Server, name string) providers.View {
	t.Helper()
	p, src := sdkLogin(t, s, name)
	b, err := providers.Builtin().Lookup(name)
	require.NoError(t, err)
	if b.Ready != nil {
		_, err = b.Ready(context.Background(), p, src, true)
		require.NoError(t, err)
	}
	return view(t, p, src)
}

// restQuote is symbol's quote as the broker's REST API gives it.
func restQuote(t *testing.T, v providers.View, symbol string) providers.Quote {
	t.Helper()
	qs, err := v.Quotes(context.Background(), symbol)
	require.NoError(t, err)
	require.Len(t, qs, 1)
	return qs[0]
}

// awaitQuote reads quotes until one has last as its Last price.
func awaitQuote(t *testing.T, qs *stream.Stream[providers.Quote], last string, within time.Duration) {
	t.Helper()
	want := decimal.RequireFromString(last)
	deadline := time.After(within)
	for {
		select {
		case q, ok := <-qs.C():
			require.True(t, ok, "the stream ended: %v", qs.Err())
			if q.Last.Valid && q.Last.Decimal.Equal(want) {
				return
			}
		case <-deadline:
			t.Fatalf("no quote at %s within %s (stats %+v)", last, within, qs.Stats())
		}
	}
}

// openQuotes opens a quote stream of symbol through the SDK and waits for
// its first quote.
func openQuotes(t *testing.T, v providers.View, symbol string) *stream.Stream[providers.Quote] {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	qs, err := v.StreamQuotes(ctx, symbol)
	require.NoError(t, err)
	t.Cleanup(func() { _ = qs.Close() })
	select {
	case _, ok := <-qs.C():
		require.True(t, ok, "the stream ended: %v", qs.Err())
	case <-time.After(10 * time.Second):
		t.Fatal("no first quote")
	}
	return qs
}

func streamsState(t *testing.T, b Info) (open float64, stalled bool) {
	t.Helper()
	status, out := admin(t, "GET", b.AdminURL+"/streams", "")
	require.Equal(t, 200, status, "%v", out)
	return out["open"].(float64), out["stalled"].(bool)
}

// TestAdminQuoteMovesThePrice: a price set through the admin API is the
// price the broker's REST quote call then returns, and the one its stream
// sends; cTrader, whose prices move by themselves, answers 501.
func TestAdminQuoteMovesThePrice(t *testing.T) {
	s := start(t, Options{})
	for _, name := range restBrokers {
		t.Run(name, func(t *testing.T) {
			b := info(t, s, name)
			v := marketView(t, s, name)
			qs := openQuotes(t, v, "MSFT")

			status, out := admin(t, "POST", b.AdminURL+"/quote", `{"symbol":"msft","last":"123.45"}`)
			require.Equal(t, 200, status, "%v", out)
			assert.Equal(t, "MSFT", out["symbol"])
			assert.Equal(t, "123.45", out["last"])
			q := restQuote(t, v, "MSFT")
			require.True(t, q.Last.Valid)
			assert.Equal(t, "123.45", q.Last.Decimal.String())
			if name != "tradestation" { // TradeStation's emulator sets its own spread
				assert.Equal(t, "123.44", q.Bid.Decimal.String())
				assert.Equal(t, "123.46", q.Ask.Decimal.String())
			}
			awaitQuote(t, qs, "123.45", 10*time.Second)
		})
	}
	b := info(t, s, "spotware")
	for _, call := range []string{"/quote", "/streams/burst"} {
		status, out := admin(t, "POST", b.AdminURL+call, `{"symbol":"EURUSD","last":"1.1"}`)
		assert.Equal(t, 501, status, call)
		assert.Contains(t, out["error"], "move by themselves", call)
	}
}

// TestAdminQuoteSymbolsAreSeeded holds the symbol lists the admin API
// checks to the emulators: each is quoted before anything moves it.
func TestAdminQuoteSymbolsAreSeeded(t *testing.T) {
	s := start(t, Options{Brokers: []string{"just2trade", "autoshares"}})
	for name, symbols := range map[string][]string{"just2trade": just2tradeSymbols, "autoshares": autosharesSymbols} {
		v := marketView(t, s, name)
		for _, sym := range symbols {
			q := restQuote(t, v, sym)
			assert.True(t, q.Last.Valid && q.Last.Decimal.IsPositive(), "%s %s: %+v", name, sym, q)
		}
	}
}

// TestAdminMarketCallsRefuseBadBodies: every bad body of quote, streams
// and streams/burst is a JSON 400 that says what is wrong, and moves
// nothing.
func TestAdminMarketCallsRefuseBadBodies(t *testing.T) {
	s := start(t, Options{Brokers: restBrokers})
	for _, name := range restBrokers {
		b := info(t, s, name)
		for _, c := range []struct {
			call, body, says string
		}{
			{"/quote", `{"symbol":"MSFT","last":412.5}`, "wrong type"},
			{"/quote", `{"symbol":"MSFT","last":"0"}`, "not a positive price"},
			{"/quote", `{"symbol":"MSFT","last":"-3.10"}`, "not a positive price"},
			{"/quote", `{"symbol":"MSFT","last":"cheap"}`, "not a decimal"},
			{"/quote", `{"symbol":"NOPE","last":"10"}`, "unknown symbol"},
			{"/quote", `{"symbol":"MSFT"}`, "give the symbol"},
			{"/quote", `{"last":"10"}`, "give the symbol"},
			{"/quote", `{"symbol":"MSFT","last":"10","bid":"9"}`, "unknown member"},
			{"/quote", `{"symbol":"MSFT","last":`, "not JSON"},
			{"/streams", `{}`, "one of"},
			{"/streams", `{"cut":true,"stall":true}`, "one of"},
			{"/streams", `{"cut":"yes"}`, "wrong type"},
			{"/streams", `{"stall":1}`, "wrong type"},
			{"/streams/burst", `{"symbol":"MSFT","n":0}`, "1 to"},
			{"/streams/burst", `{"symbol":"MSFT","n":100000000}`, "1 to"},
			{"/streams/burst", `{"n":10}`, "give the symbol"},
		} {
			status, out := admin(t, "POST", b.AdminURL+c.call, c.body)
			assert.Equal(t, 400, status, "%s %s %s", name, c.call, c.body)
			assert.Contains(t, out["error"], c.says, "%s %s %s", name, c.call, c.body)
		}
		_, stalled := streamsState(t, b)
		assert.False(t, stalled, name)
		status, out := admin(t, "DELETE", b.AdminURL+"/streams", "")
		assert.Equal(t, 405, status)
		assert.Contains(t, out["error"], "use POST")
	}
	// Nothing moved.
	assert.Equal(t, "78.86", restQuote(t, marketView(t, s, "just2trade"), "MSFT").Last.Decimal.String())
}

// TestAdminStreamsCutReconnects: a cut ends every open stream, which the
// SDK's stream notices and reconnects, and data flows again.
func TestAdminStreamsCutReconnects(t *testing.T) {
	s := start(t, Options{Brokers: restBrokers})
	for _, name := range restBrokers {
		t.Run(name, func(t *testing.T) {
			b := info(t, s, name)
			v := marketView(t, s, name)
			qs := openQuotes(t, v, "MSFT")
			open, _ := streamsState(t, b)
			require.GreaterOrEqual(t, open, 1.0)

			status, out := admin(t, "POST", b.AdminURL+"/streams", `{"cut":true}`)
			require.Equal(t, 200, status, "%v", out)
			assert.GreaterOrEqual(t, out["cut"], 1.0)
			require.Eventually(t, func() bool { return qs.Stats().Reconnects >= 1 }, 10*time.Second, 20*time.Millisecond,
				"the stream did not reconnect after the cut")
			status, out = admin(t, "POST", b.AdminURL+"/quote", `{"symbol":"MSFT","last":"222.22"}`)
			require.Equal(t, 200, status, "%v", out)
			awaitQuote(t, qs, "222.22", 10*time.Second)
		})
	}
}

// TestAdminStreamsCutSpotware: cTrader's Protobuf connections are its
// streams: GET streams counts one, a cut drops it.
func TestAdminStreamsCutSpotware(t *testing.T) {
	s := start(t, Options{Brokers: []string{"spotware"}})
	b := info(t, s, "spotware")
	pool := x509.NewCertPool()
	require.True(t, pool.AppendCertsFromPEM([]byte(b.Protobuf.CertPEM)))
	host, _, err := net.SplitHostPort(b.Protobuf.Demo)
	require.NoError(t, err)
	c, err := tls.Dial("tcp", b.Protobuf.Demo, &tls.Config{RootCAs: pool, ServerName: host})
	require.NoError(t, err)
	defer c.Close()
	require.Eventually(t, func() bool { open, _ := streamsState(t, b); return open == 1 }, 5*time.Second, 20*time.Millisecond)

	status, out := admin(t, "POST", b.AdminURL+"/streams", `{"cut":true}`)
	require.Equal(t, 200, status, "%v", out)
	assert.Equal(t, 1.0, out["cut"])
	require.NoError(t, c.SetReadDeadline(time.Now().Add(5*time.Second)))
	_, err = io.Copy(io.Discard, c) // heartbeats, if any, until the cut closes it
	// Closed is EOF or, when the server had unread bytes, a reset; only a
	// timeout means the cut left it open.
	var ne net.Error
	require.False(t, errors.As(err, &ne) && ne.Timeout(), "the connection was not closed by the cut: %v", err)
	open, _ := streamsState(t, b)
	assert.Zero(t, open)
}

// TestAdminStreamsStallStopsData: while stalled a stream stays open but
// carries no data; unstalled, data flows again; a reset clears a stall.
func TestAdminStreamsStallStopsData(t *testing.T) {
	s := start(t, Options{Brokers: restBrokers})
	for _, name := range restBrokers {
		t.Run(name, func(t *testing.T) {
			b := info(t, s, name)
			v := marketView(t, s, name)
			qs := openQuotes(t, v, "MSFT")

			status, out := admin(t, "POST", b.AdminURL+"/streams", `{"stall":true}`)
			require.Equal(t, 200, status, "%v", out)
			assert.Equal(t, true, out["stalled"])
			open, stalled := streamsState(t, b)
			assert.True(t, stalled)
			assert.GreaterOrEqual(t, open, 1.0)

			status, _ = admin(t, "POST", b.AdminURL+"/quote", `{"symbol":"MSFT","last":"333.33"}`)
			require.Equal(t, 200, status)
			// The REST API has the price (AutoShares' quotes come from its
			// streamer, stalled too); the stream, open, sends nothing.
			if name != "autoshares" {
				assert.Equal(t, "333.33", restQuote(t, v, "MSFT").Last.Decimal.String())
			}
			quiet := time.After(1500 * time.Millisecond)
		wait:
			for {
				select {
				case q, ok := <-qs.C():
					require.True(t, ok, "the stream ended while stalled: %v", qs.Err())
					require.False(t, q.Last.Valid && q.Last.Decimal.String() == "333.33", "a stalled stream sent data: %+v", q)
				case <-quiet:
					break wait
				}
			}
			open, _ = streamsState(t, b)
			assert.GreaterOrEqual(t, open, 1.0, "the stalled stream was closed")

			status, out = admin(t, "POST", b.AdminURL+"/streams", `{"stall":false}`)
			require.Equal(t, 200, status, "%v", out)
			assert.Equal(t, false, out["stalled"])
			status, _ = admin(t, "POST", b.AdminURL+"/quote", `{"symbol":"MSFT","last":"444.44"}`)
			require.Equal(t, 200, status)
			awaitQuote(t, qs, "444.44", 10*time.Second)

			// A reset clears a stall.
			status, _ = admin(t, "POST", b.AdminURL+"/streams", `{"stall":true}`)
			require.Equal(t, 200, status)
			status, _ = admin(t, "POST", b.AdminURL+"/reset", "")
			require.Equal(t, 200, status)
			_, stalled = streamsState(t, b)
			assert.False(t, stalled, "reset left the streams stalled")
		})
	}
}

// TestAdminStreamsBurst: a burst reaches the open stream that carries
// the symbol as that many quote changes.
func TestAdminStreamsBurst(t *testing.T) {
	s := start(t, Options{Brokers: restBrokers})
	for _, name := range restBrokers {
		t.Run(name, func(t *testing.T) {
			b := info(t, s, name)
			v := marketView(t, s, name)
			qs := openQuotes(t, v, "MSFT")
			before := qs.Stats()
			const n = 300
			status, out := admin(t, "POST", b.AdminURL+"/streams/burst", `{"symbol":"msft","n":300}`)
			require.Equal(t, 200, status, "%v", out)
			assert.GreaterOrEqual(t, out["streams"], 1.0)
			assert.Equal(t, float64(n), out["n"])
			require.Eventually(t, func() bool {
				st := qs.Stats()
				return st.Events+st.Duplicates-before.Events-before.Duplicates >= n/2
			}, 10*time.Second, 20*time.Millisecond, "the burst did not reach the stream")
		})
	}
}

// TestCloseEndsOpenStreams: Close does not wait for the clients of open
// streams to hang up (an HTTP emulator's own Close would).
func TestCloseEndsOpenStreams(t *testing.T) {
	s := start(t, Options{Brokers: []string{"tradestation"}})
	qs := openQuotes(t, marketView(t, s, "tradestation"), "MSFT")
	closed := make(chan error, 1)
	go func() { closed <- s.Close() }()
	select {
	case err := <-closed:
		require.NoError(t, err)
	case <-time.After(5 * time.Second):
		t.Fatal("Close hangs while a stream is open")
	}
	_ = qs.Close()
}
