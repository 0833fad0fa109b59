package spotware_test

import (
	"errors"
	"testing"
	"time"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/spotware"
	"github.com/brokerkit/brokerkit/spotware/spotwaretest"
	"github.com/brokerkit/brokerkit/stream"
	"github.com/stretchr/testify/require"
)

// TestQuoteStreamCountsDrops: a reader that falls behind a fast feed loses
// the oldest quotes, never the newest, and every quote lost is counted in
// Stats.Dropped: what was put on the stream is what was read plus what
// was dropped.
func TestQuoteStreamCountsDrops(t *testing.T) {
	e := newEnv(t, []spotwaretest.Option{spotwaretest.WithSpotPeriod(time.Millisecond, 20)},
		func(c *spotware.SessionConfig) { c.Streams.Buffer = 8 })
	ctx := t.Context()
	require.NoError(t, e.sess.AuthorizeAccount(ctx, spotwaretest.DemoAccount))
	sub, err := e.sess.StreamQuotes(ctx, spotwaretest.DemoAccount, spotwaretest.EURUSD)
	require.NoError(t, err)
	time.Sleep(300 * time.Millisecond) // the reader is away
	require.Positive(t, sub.Stats().Dropped, "a full buffer drops and counts")

	var read uint64
	var last spotware.Quote
	for range 8 {
		last = <-sub.C()
		read++
	}
	require.NoError(t, sub.Close())
	for q := range sub.C() {
		last = q
		read++
	}
	st := sub.Stats()
	require.Equal(t, st.Events, read+st.Dropped, "every quote is read or counted as dropped: %+v", st)
	require.Zero(t, st.Reconnects)
	// The quotes kept are the newest: the last one read is the last tick
	// the stream took (ticks count from 0), with both sides merged.
	var want spotwaretest.Tick
	for n := range st.Events {
		tick, ok := spotwaretest.PriceAt(spotwaretest.EURUSD, n)
		require.True(t, ok)
		if tick.HasBid {
			want.Bid = tick.Bid
		}
		if tick.HasAsk {
			want.Ask = tick.Ask
		}
	}
	requireDec(t, spotware.Price(want.Bid), last.Bid)
	requireDec(t, spotware.Price(want.Ask), last.Ask)
}

// TestQuoteStreamPolicyBlockRefused: a quote stream cannot pause the
// session's shared connection.
func TestQuoteStreamPolicyBlockRefused(t *testing.T) {
	e := newEnv(t, nil, func(c *spotware.SessionConfig) { c.Streams.Policy = stream.Block })
	require.NoError(t, e.sess.AuthorizeAccount(t.Context(), spotwaretest.DemoAccount))
	_, err := e.sess.StreamQuotes(t.Context(), spotwaretest.DemoAccount, spotwaretest.EURUSD)
	require.ErrorIs(t, err, spotware.ErrInvalidInput)
	require.Zero(t, e.srv.Subscriptions())
}

// TestQuoteStreamUnknownSymbolFailsAtOnce: the first subscription's refusal
// is Open's error, not a stream retrying forever.
func TestQuoteStreamUnknownSymbolFailsAtOnce(t *testing.T) {
	e := newEnv(t, nil, nil)
	require.NoError(t, e.sess.AuthorizeAccount(t.Context(), spotwaretest.DemoAccount))
	start := time.Now()
	_, err := e.sess.StreamQuotes(t.Context(), spotwaretest.DemoAccount, spotwaretest.EURUSD, 999_999)
	require.ErrorIs(t, err, spotware.ErrNotFound)
	require.Less(t, time.Since(start), time.Second)
	// The refused stream left no route behind: the symbol can be streamed.
	sub, err := e.sess.StreamQuotes(t.Context(), spotwaretest.DemoAccount, spotwaretest.EURUSD)
	require.NoError(t, err)
	require.NoError(t, sub.Close())
}

// TestQuoteStreamCutStreams: the emulator's shared stream fault cuts the
// connection; the session reconnects, the stream subscribes again and
// counts the reconnect.
func TestQuoteStreamCutStreams(t *testing.T) {
	e := newEnv(t, nil, nil)
	sub := streaming(t, e)
	require.Equal(t, 1, e.srv.Faults().CutStreams())
	e.events.waitFor(t, spotware.EventRestored, 1, 3*time.Second)
	collect(t, sub, 50*time.Millisecond)
	flowsAgain(t, sub)
	require.Equal(t, 3, e.srv.Subscriptions())
	require.Equal(t, uint64(1), sub.Stats().Reconnects)
}

// placeLimit places a buy limit order of EUR/USD far below the market, so
// that it stays pending.
func placeLimit(t *testing.T, s *spotware.Session) *spotware.Execution {
	t.Helper()
	bid, _ := tick0(t, spotwaretest.EURUSD)
	ex, err := s.PlaceOrder(t.Context(), acct, spotware.OrderRequest{SymbolID: spotwaretest.EURUSD, Side: spotware.Buy,
		Type: spotware.Limit, Volume: dec("10000"), LimitPrice: bid.Sub(dec("0.01"))})
	require.NoError(t, err)
	require.Equal(t, "ORDER_ACCEPTED", ex.Type)
	return ex
}

// TestOrderFilledDuringCutDeliveredOnce: while this session's connection
// is down, another client fills a market order and cancels a pending one.
// After the reconnect the order stream delivers the fill and the cancel
// once each (from the server's snapshot), and does not deliver again the
// pending order it had already delivered.
func TestOrderFilledDuringCutDeliveredOnce(t *testing.T) {
	e := newEnv(t, nil, func(c *spotware.SessionConfig) {
		// This session comes back slowly, so the other client acts while
		// it is away.
		c.ReconnectMin, c.ReconnectMax = 1500*time.Millisecond, 1500*time.Millisecond
		c.Streams.OnReconnect = func(err error) { t.Logf("order stream reconnects: %v", err) }
	})
	ctx := t.Context()
	require.NoError(t, e.sess.AuthorizeAccount(ctx, acct))
	other, err := spotware.Dial(ctx, fast(e.srv.SessionConfig(e.tokens)))
	require.NoError(t, err)
	t.Cleanup(func() { _ = other.Close() })
	require.NoError(t, other.AuthorizeAccount(ctx, acct))
	otherEvents := watch(other)

	orders := streamOrders(t, e.sess, acct)
	kept, cancelled := placeLimit(t, other), placeLimit(t, other)
	for _, ex := range nextExecutions(t, orders, 2, 5*time.Second) {
		require.Equal(t, "ORDER_ACCEPTED", ex.Type)
		require.False(t, ex.Recovered)
	}

	require.Equal(t, 2, e.srv.DropConnections())
	e.events.waitFor(t, spotware.EventDisconnected, 1, 2*time.Second)
	otherEvents.waitFor(t, spotware.EventRestored, 1, 2*time.Second)
	filled, err := other.PlaceOrder(ctx, acct, spotware.OrderRequest{SymbolID: spotwaretest.GBPUSD, Side: spotware.Sell,
		Type: spotware.Market, Volume: dec("1000")})
	require.NoError(t, err)
	require.Equal(t, "ORDER_FILLED", filled.Type)
	_, err = other.CancelOrder(ctx, acct, cancelled.Order.ID)
	require.NoError(t, err)
	require.Zero(t, e.events.count(spotware.EventRestored), "the other client acted while this session was away")

	got := nextExecutions(t, orders, 2, 5*time.Second)
	byID := map[int64]spotware.Execution{}
	for _, ex := range got {
		require.True(t, ex.Recovered, "%+v", ex)
		byID[ex.Order.ID] = ex
	}
	require.Equal(t, "ORDER_FILLED", byID[filled.Order.ID].Type)
	require.Equal(t, "ORDER_STATUS_FILLED", byID[filled.Order.ID].Order.Status)
	requireDec(t, dec("1000"), byID[filled.Order.ID].Order.ExecutedVolume)
	require.Equal(t, "ORDER_CANCELLED", byID[cancelled.Order.ID].Type)
	noMoreExecutions(t, orders, 500*time.Millisecond)
	st := orders.Stats()
	require.Equal(t, uint64(1), st.Reconnects)
	require.Equal(t, uint64(1), st.Duplicates, "the pending order %d, already delivered, is not delivered again", kept.Order.ID)
	require.Zero(t, st.Dropped)

	// Events flow live again on the new connection.
	_, err = other.CancelOrder(ctx, acct, kept.Order.ID)
	require.NoError(t, err)
	ex := nextExecutions(t, orders, 1, 5*time.Second)[0]
	require.Equal(t, "ORDER_CANCELLED", ex.Type)
	require.False(t, ex.Recovered)
	require.Equal(t, kept.Order.ID, ex.Order.ID)
}

// TestOrderStreamStallRecovered: the server's order events stop while its
// heartbeats go on (the emulator's shared stall fault); the stream notices
// (Options.Resync), takes the snapshot again and delivers the fill it
// missed, once.
func TestOrderStreamStallRecovered(t *testing.T) {
	reasons := make(chan error, 16)
	e := newEnv(t, nil, func(c *spotware.SessionConfig) {
		c.Streams.Resync = 400 * time.Millisecond
		c.Streams.OnReconnect = func(err error) {
			select {
			case reasons <- err:
			default:
			}
		}
	})
	ctx := t.Context()
	require.NoError(t, e.sess.AuthorizeAccount(ctx, acct))
	other, err := spotware.Dial(ctx, fast(e.srv.SessionConfig(e.tokens)))
	require.NoError(t, err)
	t.Cleanup(func() { _ = other.Close() })
	require.NoError(t, other.AuthorizeAccount(ctx, acct))
	orders := streamOrders(t, e.sess, acct)

	e.srv.Faults().StallStreams(true)
	filled, err := other.PlaceOrder(ctx, acct, spotware.OrderRequest{SymbolID: spotwaretest.EURUSD, Side: spotware.Buy,
		Type: spotware.Market, Volume: dec("2000")})
	require.NoError(t, err)
	select {
	case err := <-reasons:
		require.ErrorIs(t, err, stream.ErrResync)
	case <-time.After(3 * time.Second):
		t.Fatal("the stalled order stream was not renewed")
	}
	got := nextExecutions(t, orders, 1, 3*time.Second)
	require.Equal(t, filled.Order.ID, got[0].Order.ID)
	require.Equal(t, "ORDER_FILLED", got[0].Type)
	require.True(t, got[0].Recovered)
	e.srv.Faults().StallStreams(false)
	noMoreExecutions(t, orders, 1200*time.Millisecond) // more resyncs bring nothing new
	require.Zero(t, e.events.count(spotware.EventDisconnected), "the connection stayed up")
	require.Positive(t, orders.Stats().Heartbeats)
}

// TestStreamsEndWhenRefreshRefused: the user's tokens die (access and
// refresh revoked): the server closes the account's session, the session
// cannot authorize it again, and its streams end with
// auth.ErrReauthRequired instead of going silent.
func TestStreamsEndWhenRefreshRefused(t *testing.T) {
	e := newEnv(t, nil, nil)
	ctx := t.Context()
	quotes := streaming(t, e)
	orders := streamOrders(t, e.sess, acct)
	tok, err := e.tokens.TokenContext(ctx)
	require.NoError(t, err)
	require.True(t, e.srv.InvalidateToken(tok.RefreshToken))
	require.True(t, e.srv.InvalidateToken(tok.AccessToken))
	for name, done := range map[string]func() error{
		"quotes": func() error { return drain(t, quotes.C(), quotes.Err) },
		"orders": func() error { return drain(t, orders.C(), orders.Err) },
	} {
		err := done()
		require.ErrorIs(t, err, auth.ErrReauthRequired, name)
		for _, secret := range []string{tok.AccessToken, tok.RefreshToken} {
			require.NotContains(t, err.Error(), secret)
		}
	}
}

// drain reads c until it is closed and returns err().
func drain[T any](t *testing.T, c <-chan T, err func() error) error {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		select {
		case _, ok := <-c:
			if !ok {
				return err()
			}
		case <-deadline:
			t.Fatal("the stream did not end")
		}
	}
}

// TestStreamsEndWithSessionAndLogout: LogoutAccount ends the account's
// streams with ErrNotSubscribed; closing the session ends the others with
// ErrClosed.
func TestStreamsEndWithSessionAndLogout(t *testing.T) {
	e := newEnv(t, nil, nil)
	ctx := t.Context()
	quotes := streaming(t, e)
	orders := streamOrders(t, e.sess, acct)
	require.NoError(t, e.sess.AuthorizeAccount(ctx, spotwaretest.DemoAccountPrecise))
	precise := streamOrders(t, e.sess, spotwaretest.DemoAccountPrecise)

	require.NoError(t, e.sess.LogoutAccount(ctx, acct))
	require.ErrorIs(t, drain(t, quotes.C(), quotes.Err), spotware.ErrNotSubscribed)
	require.ErrorIs(t, drain(t, orders.C(), orders.Err), spotware.ErrNotSubscribed)
	_, err := e.sess.StreamOrders(ctx, acct)
	require.ErrorIs(t, err, spotware.ErrInvalidInput, "an account the session does not keep")

	require.NoError(t, e.sess.Close())
	require.ErrorIs(t, drain(t, precise.C(), precise.Err), spotware.ErrClosed)
	require.False(t, errors.Is(precise.Err(), auth.ErrReauthRequired))
}
