package main

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/internal/oauthsim"
	"github.com/brokerkit/brokerkit/providers"
)

var tradedRow = regexp.MustCompile(`<tr class="traded"><td>([^<]+)</td><td class="n">(\d+)</td><td>([^<]*)</td></tr>`)

// fill places market orders for symbol at broker's first account, as the
// user, and waits until each has filled.
func fill(ctx context.Context, t *testing.T, s *server, user, broker, symbol string, n int) {
	t.Helper()
	b := s.app.byName[broker]
	v, done, err := b.view(ctx, user)
	require.NoError(t, err)
	defer done()
	accts, err := v.Accounts(ctx)
	require.NoError(t, err)
	for range n {
		o, err := v.PlaceOrder(ctx, providers.OrderRequest{Account: accts[0].ID, Symbol: symbol,
			Side: providers.Buy, Type: providers.Market, Quantity: b.entry.Lot})
		require.NoError(t, err, "%s %s", broker, symbol)
		for o.Status == providers.StatusOpen {
			select {
			case <-ctx.Done():
				t.Fatalf("%s order %s still open", broker, o.ID)
			case <-time.After(20 * time.Millisecond):
			}
			o, err = v.GetOrder(ctx, accts[0].ID, o.ID)
			require.NoError(t, err)
		}
		require.Equal(t, providers.StatusFilled, o.Status, "%s %s", broker, symbol)
	}
}

// TestMostTradedWidget seeds filled orders at two brokers and finds the
// most traded symbols on the dashboard, in order, each with the brokers it
// was traded at; the brokers whose order list has no history are named.
func TestMostTradedWidget(t *testing.T) {
	s, _ := startApp(t)
	c := visitor(t)
	for _, b := range providers.Names() {
		link(t, s, c, b)
	}
	user := userOf(t, s, c)
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	fill(ctx, t, s, user, "tradestation", "MSFT", 4)
	fill(ctx, t, s, user, "tradestation", "AAPL", 1)
	fill(ctx, t, s, user, "autoshares", "AAPL", 2)
	fill(ctx, t, s, user, "autoshares", "TSLA", 1)
	// A resting order is not a trade: it must not lift TSLA.
	as := s.app.byName["autoshares"]
	v, done, err := as.view(ctx, user)
	require.NoError(t, err)
	accts, err := v.Accounts(ctx)
	require.NoError(t, err)
	_, err = v.PlaceOrder(ctx, providers.OrderRequest{Account: accts[0].ID, Symbol: "TSLA", Side: providers.Buy,
		Type: providers.Limit, TimeInForce: providers.GTC, Quantity: as.entry.Lot, LimitPrice: decimal.RequireFromString("1.00")})
	require.NoError(t, err)
	done()

	_, body := get(t, c, s.URL+"/")
	require.Contains(t, body, "<h2>Most traded</h2>")
	assert.Contains(t, body, "Filled orders (partly filled ones too) per symbol, across all linked brokers and accounts")
	var got [][]string
	for _, m := range tradedRow.FindAllStringSubmatch(body, -1) {
		got = append(got, m[1:])
	}
	assert.Equal(t, [][]string{
		{"MSFT", "4", "tradestation"},
		{"AAPL", "3", "autoshares, tradestation"},
		{"TSLA", "1", "autoshares"},
	}, got, body)

	// Just2Trade and cTrader list working orders only: named, not dropped.
	line := regexp.MustCompile(`No order history from: ([^<]*)\.</p>`).FindStringSubmatch(body)
	require.NotNil(t, line, "the widget names the brokers without order history")
	names := strings.Split(line[1], ", ")
	assert.ElementsMatch(t, []string{"just2trade (open orders only)", "spotware (open orders only)"}, names)
	assert.NotContains(t, body, "orders could not be read")
}

// TestMostTradedNamesAFailingBroker: a broker whose order list cannot be
// read is named under the widget, its account shows the fixed sentence,
// the log says why, and the other brokers' trades are still counted.
func TestMostTradedNamesAFailingBroker(t *testing.T) {
	s, logs := startApp(t)
	c := visitor(t)
	for _, b := range []string{"autoshares", "tradestation"} {
		link(t, s, c, b)
	}
	user := userOf(t, s, c)
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	fill(ctx, t, s, user, "autoshares", "AAPL", 1)

	const hostile = `<script>alert("orders")</script>`
	s.emulators["tradestation"].Faults().Next("/v3/brokerage/accounts/11827461/orders",
		oauthsim.Fault{Status: http.StatusInternalServerError, Body: hostile}, 0)
	_, body := get(t, c, s.URL+"/")
	s.emulators["tradestation"].Faults().Clear()

	assert.Contains(t, body, `<p class="note" id="orders-failed">Not included, orders could not be read just now: tradestation.</p>`)
	assert.Contains(t, body, "<td>11827461</td>")
	assert.Contains(t, body, `<td class="note">tradestation is not answering as expected right now. Try again in a few minutes.</td>`)
	assert.NotContains(t, body, "alert(")
	assert.Regexp(t, `broker=tradestation what=orders`, logs.String())
	var got [][]string
	for _, m := range tradedRow.FindAllStringSubmatch(body, -1) {
		got = append(got, m[1:])
	}
	assert.Equal(t, [][]string{{"AAPL", "1", "autoshares"}}, got)
	// Brokers not linked are not the widget's business.
	assert.NotContains(t, body, "No order history from")
}

// noOrderAPI is a view whose broker has no order API.
type noOrderAPI struct{ providers.View }

func (noOrderAPI) ListOrders(context.Context, string) ([]providers.Order, error) {
	return nil, fmt.Errorf("listing orders: %w", auth.ErrUnsupported)
}

// TestMostTradedNamesABrokerWithoutOrderAPI: a broker whose ListOrders
// answers auth.ErrUnsupported is named in the no-history line, not
// dropped, and its accounts show no error.
func TestMostTradedNamesABrokerWithoutOrderAPI(t *testing.T) {
	s, _ := startApp(t)
	c := visitor(t)
	for _, b := range []string{"autoshares", "tradestation"} {
		link(t, s, c, b)
	}
	user := userOf(t, s, c)
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	fill(ctx, t, s, user, "autoshares", "AAPL", 1)
	fill(ctx, t, s, user, "tradestation", "MSFT", 2)

	ts := s.app.byName["tradestation"]
	open := ts.entry.View
	ts.entry.View = func(ctx context.Context, p auth.Provider, src auth.TokenSource) (providers.View, error) {
		v, err := open(ctx, p, src)
		if err != nil {
			return nil, err
		}
		return noOrderAPI{v}, nil
	}
	_, body := get(t, c, s.URL+"/")

	assert.Contains(t, body, `<p class="note" id="no-history">No order history from: tradestation (no order API).</p>`)
	assert.NotContains(t, body, "orders could not be read")
	assert.NotContains(t, body, "not answering as expected")
	var got [][]string
	for _, m := range tradedRow.FindAllStringSubmatch(body, -1) {
		got = append(got, m[1:])
	}
	assert.Equal(t, [][]string{{"AAPL", "1", "autoshares"}}, got)
}
