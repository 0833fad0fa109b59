package just2trade_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/just2trade"
	"github.com/brokerkit/brokerkit/just2trade/just2tradetest"
	"github.com/brokerkit/brokerkit/stream"
)

// streamClient is s's client with stream options o.
func streamClient(s *session, o stream.Options) *just2trade.Client {
	return s.p.NewClient(s.src, just2trade.WithBaseTransport(s.srv.Client().Transport), just2trade.WithStreams(o))
}

// recv returns the next event of st, failing after 5 seconds.
func recv[T any](t *testing.T, st *stream.Stream[T]) T {
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

// quiet fails when st delivers an event within d.
func quiet[T any](t *testing.T, st *stream.Stream[T], d time.Duration) {
	t.Helper()
	select {
	case ev, ok := <-st.C():
		if ok {
			t.Fatalf("unexpected event %+v", ev)
		}
		t.Fatalf("the stream ended: %v", st.Err())
	case <-time.After(d):
	}
}

func px(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func TestStreamQuotes(t *testing.T) {
	s := login(t)
	ctx := context.Background()
	st, err := s.c.Streams.Quotes(ctx, "AAPL", "MSFT", "AAPL")
	require.NoError(t, err)
	defer st.Close()

	snap := map[string]just2trade.QuoteEvent{}
	for range 2 {
		ev := recv(t, st)
		assert.Equal(t, just2trade.QuoteAggregate, ev.Kind)
		snap[ev.Quote.Symbol] = ev
	}
	require.Contains(t, snap, "AAPL")
	assert.True(t, snap["AAPL"].Quote.Bid.Equal(px("172.10")), snap["AAPL"].Quote.Bid.String())
	assert.True(t, snap["MSFT"].Quote.Ask.Equal(px("78.87")))
	assert.Equal(t, "NASDAQ", snap["AAPL"].LastMarket)

	s.srv.SetQuote("AAPL", px("172.20"), px("172.15"), px("172.18"))
	tr := recv(t, st)
	assert.Equal(t, just2trade.QuoteTrade, tr.Kind)
	assert.True(t, tr.Quote.Last.Equal(px("172.18")))
	agg := recv(t, st)
	assert.Equal(t, just2trade.QuoteAggregate, agg.Kind)
	assert.True(t, agg.Quote.Bid.Equal(px("172.20")))
	assert.True(t, agg.Quote.High.Equal(px("173.00")), "fields the change left out are kept")
	assert.NotContains(t, string(agg.Raw), `"high"`, "the change carried only what changed")

	require.NoError(t, st.Close())
	_, open := <-st.C()
	assert.False(t, open)
	assert.NoError(t, st.Err())
	assert.Equal(t, uint64(4), st.Stats().Events)
}

func TestStreamQuotesRefusedSymbols(t *testing.T) {
	s := login(t)
	ctx := context.Background()
	st, err := s.c.Streams.Quotes(ctx, "NOPE", "MSFT")
	require.NoError(t, err, "one good symbol keeps the stream")
	defer st.Close()
	got := map[just2trade.QuoteKind]just2trade.QuoteEvent{}
	for range 2 {
		ev := recv(t, st)
		got[ev.Kind] = ev
	}
	require.Contains(t, got, just2trade.QuoteError)
	assert.Equal(t, "NOPE", got[just2trade.QuoteError].Quote.Symbol)
	assert.ErrorIs(t, got[just2trade.QuoteError].Err, just2trade.ErrNotFound)
	assert.Equal(t, "MSFT", got[just2trade.QuoteAggregate].Quote.Symbol)

	_, err = s.c.Streams.Quotes(ctx, "NOPE")
	var se *just2trade.StreamError
	require.ErrorAs(t, err, &se, "every symbol refused: Open fails")
	assert.ErrorIs(t, err, just2trade.ErrNotFound)

	_, err = s.c.Streams.Quotes(ctx)
	assert.ErrorIs(t, err, just2trade.ErrInvalidInput)
	_, err = s.c.Streams.Quotes(ctx, " ")
	assert.ErrorIs(t, err, just2trade.ErrInvalidInput)
}

func TestStreamOrdersFollowsRESTOrders(t *testing.T) {
	s := login(t)
	ctx := context.Background()
	st, err := s.c.Streams.Orders(ctx, just2tradetest.PrimaryAccount)
	require.NoError(t, err, "an empty day's snapshot opens the stream")
	defer st.Close()

	id, err := s.c.Orders.Place(ctx, just2trade.OrderRequest{AccountNumber: just2tradetest.PrimaryAccount,
		Symbol: "AAPL", Quantity: decimal.NewFromInt(2), Type: just2trade.Market, Side: just2trade.Buy})
	require.NoError(t, err)
	ev := recv(t, st)
	assert.Equal(t, id, ev.ID())
	assert.Equal(t, just2trade.StatusPendingNew, ev.Status)
	assert.True(t, ev.Quantity.Equal(decimal.NewFromInt(2)))

	s.clock.Advance(2 * time.Second) // the emulator's order delay
	ev = recv(t, st)
	assert.Equal(t, just2trade.StatusFilled, ev.Status)
	assert.True(t, ev.ExecutedPrice.Equal(px("172.15")), ev.ExecutedPrice.String())
	assert.Contains(t, string(ev.Raw), `"executed_price":172.15`)
	quiet(t, st, 200*time.Millisecond)

	// The other account feeds.
	trades, err := s.c.Streams.Trades(ctx, just2tradetest.PrimaryAccount)
	require.NoError(t, err)
	defer trades.Close()
	tr := recv(t, trades)
	assert.Equal(t, "AAPL", tr.Symbol)
	assert.True(t, tr.Quantity.Equal(decimal.NewFromInt(2)))
	assert.Equal(t, just2tradetest.PrimaryAccount, tr.Account)

	pos, err := s.c.Streams.Positions(ctx, just2tradetest.PrimaryAccount)
	require.NoError(t, err)
	defer pos.Close()
	p := recv(t, pos)
	assert.Equal(t, just2tradetest.PrimaryAccount, p.Account)
	require.Len(t, p.Positions, 2)
	assert.True(t, p.Positions[0].Quantity.Equal(decimal.NewFromInt(22)), "20 held + 2 bought")

	bals, err := s.c.Streams.Balances(ctx, just2tradetest.PrimaryAccount)
	require.NoError(t, err)
	defer bals.Close()
	seen := map[string]bool{}
	for range 2 {
		seen[recv(t, bals).AccountNumber] = true
	}
	assert.Equal(t, map[string]bool{just2tradetest.PrimaryAccount: true, just2tradetest.SecondAccount: true}, seen)

	_, err = s.c.Streams.Orders(ctx, "99999999@vision")
	var se *just2trade.StreamError
	require.ErrorAs(t, err, &se, "a refused subscription fails Open")
	assert.ErrorIs(t, err, just2trade.ErrNotFound)
	_, err = s.c.Streams.Orders(ctx, "")
	assert.ErrorIs(t, err, just2trade.ErrInvalidInput)
}

func TestStreamCutReconnectsAndResubscribes(t *testing.T) {
	s := login(t, just2tradetest.WithOrderDelay(0))
	ctx := context.Background()
	var reasons atomic.Int32
	c := streamClient(s, stream.Options{MinBackoff: 20 * time.Millisecond,
		OnReconnect: func(error) { reasons.Add(1) }})
	_, err := c.Orders.Place(ctx, just2trade.OrderRequest{AccountNumber: just2tradetest.PrimaryAccount,
		Symbol: "MSFT", Quantity: decimal.NewFromInt(1), Type: just2trade.Market, Side: just2trade.Buy})
	require.NoError(t, err)

	orders, err := c.Streams.Orders(ctx, just2tradetest.PrimaryAccount)
	require.NoError(t, err)
	defer orders.Close()
	assert.Equal(t, just2trade.StatusFilled, recv(t, orders).Status)
	quotes, err := c.Streams.Quotes(ctx, "TSLA")
	require.NoError(t, err)
	defer quotes.Close()
	recv(t, quotes)

	require.Equal(t, 2, s.srv.Faults().CutStreams())
	require.Eventually(t, func() bool { return s.srv.Faults().OpenStreams() == 2 }, 5*time.Second, 5*time.Millisecond,
		"both streams redialled")
	// The quote feed resubscribed: its snapshot comes again, then changes.
	assert.Equal(t, just2trade.QuoteAggregate, recv(t, quotes).Kind)
	s.srv.SetQuote("TSLA", px("290"), px("290.10"), px("290.05"))
	recv(t, quotes) // trade
	assert.True(t, recv(t, quotes).Quote.Bid.Equal(px("290")))

	// The order feed resubscribed: the re-sent snapshot is no event, a
	// new order is.
	id, err := c.Orders.Place(ctx, just2trade.OrderRequest{AccountNumber: just2tradetest.PrimaryAccount,
		Symbol: "BAC", Quantity: decimal.NewFromInt(1), Type: just2trade.Market, Side: just2trade.Buy})
	require.NoError(t, err)
	ev := recv(t, orders)
	assert.Equal(t, id, ev.ID(), "no duplicate of the first order before it")
	assert.Equal(t, uint64(1), orders.Stats().Duplicates)
	assert.Equal(t, uint64(1), orders.Stats().Reconnects)
	assert.Equal(t, uint64(2), orders.Stats().Events)
	assert.Equal(t, int32(2), reasons.Load())
}

func TestStreamStallIsResyncedWithoutLossOrDuplicate(t *testing.T) {
	s := login(t, just2tradetest.WithOrderDelay(0))
	ctx := context.Background()
	reasons := make(chan error, 8)
	c := streamClient(s, stream.Options{MinBackoff: 20 * time.Millisecond, Stall: 600 * time.Millisecond,
		Resync: 400 * time.Millisecond, OnReconnect: func(r error) { reasons <- r }})
	first, err := c.Orders.Place(ctx, just2trade.OrderRequest{AccountNumber: just2tradetest.PrimaryAccount,
		Symbol: "MSFT", Quantity: decimal.NewFromInt(1), Type: just2trade.Market, Side: just2trade.Buy})
	require.NoError(t, err)
	st, err := c.Streams.Orders(ctx, just2tradetest.PrimaryAccount)
	require.NoError(t, err)
	defer st.Close()
	ev := recv(t, st)
	assert.Equal(t, first, ev.ID())

	s.srv.Faults().StallStreams(true)
	second, err := c.Orders.Place(ctx, just2trade.OrderRequest{AccountNumber: just2tradetest.PrimaryAccount,
		Symbol: "BAC", Quantity: decimal.NewFromInt(1), Type: just2trade.Market, Side: just2trade.Buy})
	require.NoError(t, err)
	// Pongs go on, so only the resync sees the hang.
	select {
	case r := <-reasons:
		assert.ErrorIs(t, r, stream.ErrResync)
	case <-time.After(5 * time.Second):
		t.Fatal("the hung feed was not resynced")
	}
	assert.Positive(t, st.Stats().Heartbeats, "pongs counted while stalled")
	s.srv.Faults().StallStreams(false)

	ev = recv(t, st)
	assert.Equal(t, second, ev.ID(), "the order placed during the stall comes from the new snapshot")
	assert.Equal(t, just2trade.StatusFilled, ev.Status)
	quiet(t, st, 200*time.Millisecond)
	assert.Equal(t, uint64(2), st.Stats().Events)
	assert.GreaterOrEqual(t, st.Stats().Duplicates, uint64(1), "the first order was re-sent and dropped")
}

func TestStreamInvalidatedTokenIsReplaced(t *testing.T) {
	s := login(t)
	ctx := context.Background()
	var reasons []error
	reasonsCh := make(chan error, 8)
	store := auth.NewMemoryStore()
	key := auth.Key(s.p.Name(), "tess")
	src, err := auth.NewSource(s.p, store, key, auth.SourceOptions{Now: s.clock.Now})
	require.NoError(t, err)
	require.NoError(t, src.SetToken(ctx, s.tok))
	c := s.p.NewClient(src, just2trade.WithBaseTransport(s.srv.Client().Transport),
		just2trade.WithStreams(stream.Options{MinBackoff: 20 * time.Millisecond, OnReconnect: func(r error) { reasonsCh <- r }}))
	st, err := c.Streams.Quotes(ctx, "BA")
	require.NoError(t, err)
	defer st.Close()
	recv(t, st)

	// The user logs in again elsewhere (another process, the app's own
	// login page): the new token is saved under the same key. Just2Trade
	// has no refresh grant, so a refused token is replaced from the store.
	tok2, err := s.srv.Login(ctx, s.p)
	require.NoError(t, err)
	require.NoError(t, store.Save(ctx, key, tok2))

	require.True(t, s.srv.InvalidateToken(s.tok.AccessToken), "closes the socket at once")
	select {
	case r := <-reasonsCh:
		reasons = append(reasons, r)
		assert.ErrorIs(t, r, auth.ErrInvalidToken, "the 1008 close is a refused token")
	case <-time.After(5 * time.Second):
		t.Fatal("the invalidated socket was not closed")
	}
	assert.Equal(t, just2trade.QuoteAggregate, recv(t, st).Kind, "the new socket's snapshot")
	s.srv.SetQuote("BA", px("264"), px("264.20"), px("264.10"))
	recv(t, st)
	assert.True(t, recv(t, st).Quote.Bid.Equal(px("264")))
	got, err := src.TokenContext(ctx)
	require.NoError(t, err)
	assert.Equal(t, tok2.AccessToken, got.AccessToken)
	assert.Len(t, reasons, 1)
}

func TestStreamRefusedTokenEndsWithReauthRequired(t *testing.T) {
	s := login(t, just2tradetest.WithOrderDelay(0))
	ctx := context.Background()
	c := streamClient(s, stream.Options{MinBackoff: 20 * time.Millisecond})
	st, err := c.Streams.Trades(ctx, just2tradetest.PrimaryAccount)
	require.NoError(t, err)
	defer st.Close()

	require.True(t, s.srv.InvalidateToken(s.tok.AccessToken))
	select {
	case _, ok := <-st.C():
		require.False(t, ok, "no event expected")
	case <-time.After(5 * time.Second):
		t.Fatal("the stream did not end")
	}
	err = st.Err()
	require.ErrorIs(t, err, auth.ErrReauthRequired)
	assert.NotContains(t, err.Error(), s.tok.AccessToken)
}

func TestStreamDropsOldestQuotesAndCountsThem(t *testing.T) {
	s := login(t)
	ctx := context.Background()
	c := streamClient(s, stream.Options{Buffer: 8})
	st, err := c.Streams.Quotes(ctx, "GOOG")
	require.NoError(t, err)
	defer st.Close()
	recv(t, st)
	require.Equal(t, 1, s.srv.BurstQuotes("GOOG", 2000))
	require.Eventually(t, func() bool { return st.Stats().Events == 2001 }, 10*time.Second, 5*time.Millisecond)
	stats := st.Stats()
	assert.Positive(t, stats.Dropped, "an unread buffer of 8 drops")
	n := 0
	var last just2trade.QuoteEvent
	for len(st.C()) > 0 {
		last = <-st.C()
		n++
	}
	assert.Equal(t, 8, n)
	// 2001 events: the snapshot read above, 8 in the buffer, the rest
	// dropped and counted.
	assert.Equal(t, uint64(2001-1-8), stats.Dropped)
	assert.Contains(t, string(last.Raw), `"b":973.39,`, "the newest quote (the burst's last) is kept")
}

func TestStreamOnLimeHasNoMarketData(t *testing.T) {
	s := login(t, just2tradetest.WithLime())
	ctx := context.Background()
	_, err := s.c.Streams.Quotes(ctx, "AAPL")
	require.ErrorIs(t, err, just2trade.ErrNotFound)
	var ae *just2trade.Error
	require.True(t, errors.As(err, &ae))
	st, err := s.c.Streams.Orders(ctx, just2tradetest.PrimaryAccount)
	require.NoError(t, err, "Lime kept the account feed")
	require.NoError(t, st.Close())
}
