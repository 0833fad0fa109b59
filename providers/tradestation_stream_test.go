package providers_test

import (
	"context"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/providers"
	"github.com/brokerkit/brokerkit/stream"
	"github.com/brokerkit/brokerkit/tradestation"
	"github.com/brokerkit/brokerkit/tradestation/tradestationtest"
)

func nextOf[T any](t *testing.T, s *stream.Stream[T]) T {
	t.Helper()
	select {
	case ev, ok := <-s.C():
		if !ok {
			t.Fatalf("stream ended: %v", s.Err())
		}
		return ev
	case <-time.After(5 * time.Second):
		t.Fatal("no event within 5 s")
	}
	var zero T
	return zero
}

func TestTradeStationViewStreams(t *testing.T) {
	ctx := context.Background()
	srv := tradestationtest.NewServer(tradestationtest.WithStreamHeartbeat(50 * time.Millisecond))
	defer srv.Close()
	p, err := srv.Provider()
	require.NoError(t, err)
	tok, err := srv.IssueV3("openid", "offline_access", "MarketData", "ReadAccount", "Trade")
	require.NoError(t, err)
	src, err := auth.NewSource(p, auth.NewMemoryStore(), "u1")
	require.NoError(t, err)
	require.NoError(t, src.SetToken(ctx, tok))
	b, err := providers.Builtin().Lookup(tradestation.Name)
	require.NoError(t, err)
	assert.True(t, b.API.Streaming)
	v, err := b.View(ctx, p, src)
	require.NoError(t, err)
	defer v.Close()

	qs, err := v.StreamQuotes(ctx, "NOPE", "AMD")
	require.NoError(t, err)
	defer qs.Close()
	q := nextOf(t, qs)
	assert.Equal(t, providers.Quote{Broker: tradestation.Name, Symbol: "AMD", Bid: q.Bid, Ask: q.Ask, Last: q.Last,
		Time: q.Time, Raw: q.Raw}, q)
	assert.Equal(t, "156.23", q.Last.Decimal.String())
	assert.True(t, q.Bid.Valid && q.Ask.Valid)
	require.NoError(t, srv.SetQuote("AMD", decimal.RequireFromString("157")))
	assert.Equal(t, "157", nextOf(t, qs).Last.Decimal.String(), "the invalid symbol was left out")

	os, err := v.StreamOrders(ctx, "11827462")
	require.NoError(t, err)
	defer os.Close()
	placed, err := v.PlaceOrder(ctx, providers.OrderRequest{Account: "11827462", Symbol: "AMD", Side: providers.Buy,
		Type: providers.Limit, Quantity: decimal.NewFromInt(3), LimitPrice: decimal.RequireFromString("150")})
	require.NoError(t, err)
	o := nextOf(t, os)
	assert.Equal(t, placed.ID, o.ID)
	assert.Equal(t, providers.StatusOpen, o.Status)
	require.NoError(t, srv.SetQuote("AMD", decimal.RequireFromString("149")))
	o = nextOf(t, os)
	assert.Equal(t, providers.StatusFilled, o.Status)
	assert.Equal(t, "149.01", o.FillPrice.String())
}
