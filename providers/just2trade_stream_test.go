package providers_test

import (
	"context"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/brokerkit/brokerkit/just2trade"
	"github.com/brokerkit/brokerkit/providers"
	"github.com/brokerkit/brokerkit/stream"
)

// nextJ2T returns st's next event, failing after 5 seconds.
func nextJ2T[T any](t *testing.T, st *stream.Stream[T]) T {
	t.Helper()
	select {
	case ev, ok := <-st.C():
		if !ok {
			t.Fatalf("the stream ended: %v", st.Err())
		}
		return ev
	case <-time.After(5 * time.Second):
		t.Fatal("no event in 5 s")
	}
	panic("unreachable")
}

func TestJust2TradeViewStreams(t *testing.T) {
	ctx := context.Background()
	v := openView(t, just2trade.Name)
	quotes, err := v.StreamQuotes(ctx, "NOPE", "MSFT")
	require.NoError(t, err)
	defer quotes.Close()
	q := nextJ2T(t, quotes)
	assert.Equal(t, "MSFT", q.Symbol, "the refused symbol is left out")
	assert.Equal(t, just2trade.Name, q.Broker)
	require.True(t, q.Bid.Valid && q.Ask.Valid && q.Last.Valid)
	assert.True(t, q.Ask.Decimal.Equal(decimal.RequireFromString("78.87")), q.Ask.Decimal.String())
	assert.False(t, q.Time.IsZero())

	accts, err := v.Accounts(ctx)
	require.NoError(t, err)
	orders, err := v.StreamOrders(ctx, accts[0].ID)
	require.NoError(t, err)
	defer orders.Close()
	placed, err := v.PlaceOrder(ctx, providers.OrderRequest{Account: accts[0].ID, Symbol: "AAPL",
		Side: providers.Buy, Type: providers.Market, Quantity: decimal.NewFromInt(1)})
	require.NoError(t, err)
	o := nextJ2T(t, orders)
	assert.Equal(t, placed.ID, o.ID)
	assert.Equal(t, providers.StatusOpen, o.Status)
	o = nextJ2T(t, orders) // the emulator fills it after its order delay
	assert.Equal(t, providers.StatusFilled, o.Status)
	assert.True(t, o.FillPrice.Equal(decimal.RequireFromString("172.15")))
	require.NoError(t, orders.Close())
	assert.NoError(t, orders.Err())
}
