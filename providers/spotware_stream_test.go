package providers_test

import (
	"context"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/brokerkit/brokerkit/providers"
	"github.com/brokerkit/brokerkit/spotware"
)

// TestSpotwareViewStreams: the normalized streams over a cTrader session:
// quotes under the names asked for, with both sides once the first quote
// came; an order placed through the view appears on the order stream open,
// then cancelled, once each.
func TestSpotwareViewStreams(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	v := openView(t, "spotware")

	_, err := v.StreamQuotes(ctx, "EURUSD", "NOPE")
	require.ErrorIs(t, err, spotware.ErrNotFound)
	quotes, err := v.StreamQuotes(ctx, "EURUSD", "gbp/usd", "EUR/USD")
	require.NoError(t, err)
	seen := map[string]int{}
	for seen["EURUSD"] < 3 || seen["gbp/usd"] < 3 {
		select {
		case q, ok := <-quotes.C():
			require.True(t, ok, "quote stream ended: %v", quotes.Err())
			assert.Equal(t, "spotware", q.Broker)
			assert.True(t, q.Bid.Valid && q.Ask.Valid, "%+v", q)
			assert.True(t, q.Ask.Decimal.GreaterThan(q.Bid.Decimal))
			assert.IsType(t, spotware.Quote{}, q.Raw)
			seen[q.Symbol]++
		case <-ctx.Done():
			t.Fatalf("quotes: %v", seen)
		}
	}
	assert.Zero(t, seen["EUR/USD"], "a symbol named twice is streamed once, under its first spelling")
	require.NoError(t, quotes.Close())
	assert.NoError(t, quotes.Err())
	assert.Positive(t, quotes.Stats().Events)

	accts, err := v.Accounts(ctx)
	require.NoError(t, err)
	var account string
	for _, a := range accts {
		if !a.Live {
			account = a.ID
			break
		}
	}
	orders, err := v.StreamOrders(ctx, account)
	require.NoError(t, err)
	defer orders.Close()
	placed, err := v.PlaceOrder(ctx, providers.OrderRequest{Account: account, Symbol: "EURUSD", Side: providers.Buy,
		Type: providers.Limit, Quantity: decimal.NewFromInt(10000), LimitPrice: decimal.RequireFromString("0.5")})
	require.NoError(t, err)
	next := func() providers.Order {
		t.Helper()
		select {
		case o, ok := <-orders.C():
			require.True(t, ok, "order stream ended: %v", orders.Err())
			return o
		case <-ctx.Done():
			t.Fatal("no order event")
		}
		return providers.Order{}
	}
	o := next()
	assert.Equal(t, placed.ID, o.ID)
	assert.Equal(t, providers.StatusOpen, o.Status)
	assert.Equal(t, account, o.AccountID)
	assert.Equal(t, "EUR/USD", o.Symbol)
	require.NoError(t, v.CancelOrder(ctx, account, placed.ID))
	o = next()
	assert.Equal(t, placed.ID, o.ID)
	assert.Equal(t, providers.StatusCanceled, o.Status)
	assert.Zero(t, orders.Stats().Dropped)
}
