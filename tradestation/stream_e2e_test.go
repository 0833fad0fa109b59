package tradestation_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/stream"
	"github.com/brokerkit/brokerkit/tradestation"
	"github.com/brokerkit/brokerkit/tradestation/tradestationtest"
)

// testHeartbeat is the emulator's heartbeat period in the stream tests.
const testHeartbeat = 40 * time.Millisecond

// reasons records why a stream reconnected.
type reasons struct {
	mu   sync.Mutex
	list []error
}

func (r *reasons) add(err error) {
	r.mu.Lock()
	r.list = append(r.list, err)
	r.mu.Unlock()
}

func (r *reasons) has(target error) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, e := range r.list {
		if errors.Is(e, target) {
			return true
		}
	}
	return false
}

func (r *reasons) String() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var s []string
	for _, e := range r.list {
		s = append(s, e.Error())
	}
	return strings.Join(s, "; ")
}

// streamOpts are quick stream options for tests: short backoff, and
// stall detection at a few test heartbeats.
func streamOpts(r *reasons) stream.Options {
	return stream.Options{MinBackoff: 10 * time.Millisecond, MaxBackoff: 50 * time.Millisecond,
		Stall: 5 * testHeartbeat, OnReconnect: r.add}
}

// streamSession starts an emulator with short heartbeats and returns a
// client on a refreshing token source, and the source.
func streamSession(t *testing.T, o stream.Options) (*tradestationtest.Server, *tradestation.Client, *auth.Source) {
	t.Helper()
	srv := tradestationtest.NewServer(tradestationtest.WithStreamHeartbeat(testHeartbeat))
	t.Cleanup(srv.Close)
	tok, err := srv.IssueV3("openid", "offline_access", "MarketData", "ReadAccount", "Trade")
	require.NoError(t, err)
	p, err := srv.Provider()
	require.NoError(t, err)
	c, src, _ := session(t, srv, p, tok, nil, tradestation.WithStreams(o),
		tradestation.WithRetry(tradestation.RetryPolicy{MaxAttempts: 1}))
	return srv, c, src
}

// next waits for the next event of s.
func next[T any](t *testing.T, s *stream.Stream[T]) T {
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

func TestStreamQuotesWholeQuoteThenChanges(t *testing.T) {
	var r reasons
	srv, c, _ := streamSession(t, streamOpts(&r))
	ctx := context.Background()
	s, err := c.Streams.Quotes(ctx, "MSFT", "NOPE")
	require.NoError(t, err)
	defer s.Close()

	first := next(t, s)
	assert.Equal(t, "MSFT", first.Symbol)
	assert.Empty(t, first.Error)
	assertEq(t, "412.37", first.Last, "Last")
	assertEq(t, "412.36", first.Bid, "Bid")
	assert.False(t, first.Open.IsZero(), "a whole quote")
	bad := next(t, s)
	assert.Equal(t, "NOPE", bad.Symbol)
	assert.Equal(t, "FAILED, INVALID SYMBOL", bad.Error)

	require.NoError(t, srv.SetQuote("MSFT", num("413.10")))
	ch := next(t, s)
	assert.Equal(t, "MSFT", ch.Symbol)
	assertEq(t, "413.10", ch.Last, "Last after the change")
	assertEq(t, "413.11", ch.Ask, "Ask after the change")
	assertEq(t, "21894512", ch.Volume, "Volume kept from the whole quote")
	assert.Equal(t, "NASDAQ", ch.LastVenue, "LastVenue kept from the whole quote")
	assert.Equal(t, first.TradeTime, ch.TradeTime, "TradeTime kept from the whole quote")
	assert.NotContains(t, string(ch.Raw), `"Volume"`, "the frame carried only the change")
	assert.Contains(t, string(ch.Raw), `"Last":"413.1"`)
	assert.Equal(t, uint64(3), s.Stats().Events)
	assert.Equal(t, uint64(0), s.Stats().Reconnects, r.String())
}

func TestStreamHeartbeatsAreCounted(t *testing.T) {
	var r reasons
	_, c, _ := streamSession(t, streamOpts(&r))
	s, err := c.Streams.Quotes(context.Background(), "AAPL")
	require.NoError(t, err)
	defer s.Close()
	next(t, s)
	time.Sleep(6 * testHeartbeat)
	st := s.Stats()
	assert.GreaterOrEqual(t, st.Heartbeats, uint64(3), "heartbeats every %v", testHeartbeat)
	assert.Equal(t, uint64(0), st.Reconnects, "heartbeats keep a quiet stream alive: %s", r.String())
}

// orderEvents collects the events of an order stream by order ID.
type orderEvents struct {
	byID map[string][]tradestation.OrderEvent
}

func (o *orderEvents) take(ev tradestation.OrderEvent) {
	if o.byID == nil {
		o.byID = map[string][]tradestation.OrderEvent{}
	}
	o.byID[ev.OrderID] = append(o.byID[ev.OrderID], ev)
}

// statuses lists the statuses delivered for id, in order.
func (o *orderEvents) statuses(id string) []string {
	var s []string
	for _, ev := range o.byID[id] {
		s = append(s, ev.Status)
	}
	return s
}

// until reads s into o until done reports true or 5 s pass.
func (o *orderEvents) until(t *testing.T, s *stream.Stream[tradestation.OrderEvent], done func() bool) {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for !done() {
		select {
		case ev, ok := <-s.C():
			if !ok {
				t.Fatalf("stream ended: %v", s.Err())
			}
			o.take(ev)
		case <-deadline:
			got := map[string][]string{}
			for id := range o.byID {
				got[id] = o.statuses(id)
			}
			t.Fatalf("timed out; statuses so far: %v", got)
		}
	}
}

// drain reads s into o for d.
func (o *orderEvents) drain(s *stream.Stream[tradestation.OrderEvent], d time.Duration) {
	deadline := time.After(d)
	for {
		select {
		case ev, ok := <-s.C():
			if !ok {
				return
			}
			o.take(ev)
		case <-deadline:
			return
		}
	}
}

func place(t *testing.T, c *tradestation.Client, o *tradestation.OrderRequest) string {
	t.Helper()
	res, err := c.Orders.Place(context.Background(), o)
	require.NoError(t, err)
	require.Len(t, res, 1)
	return res[0].OrderID
}

// TradeStation's order streams can hang while heartbeats go on, and fills
// are lost. A stall of the emulator (data dropped, heartbeats kept) must be
// recovered by the resync: the fill made during the stall arrives once, and
// the orders that did not change are not delivered again.
func TestStreamOrdersStallResyncDeliversTheFillOnce(t *testing.T) {
	var r reasons
	o := streamOpts(&r)
	o.Resync = 8 * testHeartbeat
	srv, c, _ := streamSession(t, o)
	resting := place(t, c, limit(order(marginAccount, "INTC", "BUY", "Limit", "10"), "10.00"))
	s, err := c.Streams.Orders(context.Background(), marginAccount)
	require.NoError(t, err)
	defer s.Close()
	var evs orderEvents
	evs.until(t, s, func() bool { return len(evs.byID[resting]) == 1 })

	filling := place(t, c, limit(order(marginAccount, "INTC", "BUY", "Limit", "10"), "22.00"))
	evs.until(t, s, func() bool { return len(evs.byID[filling]) == 1 })
	assert.Equal(t, []string{"ACK"}, evs.statuses(filling))

	srv.Faults().StallStreams(true)
	require.NoError(t, srv.SetQuote("INTC", num("21.90"))) // fills at the ask, 21.91
	require.True(t, byID(t, c, marginAccount, filling).Filled())
	time.Sleep(3 * testHeartbeat) // the emulator drops the fill's frame
	srv.Faults().StallStreams(false)

	evs.until(t, s, func() bool { return len(evs.byID[filling]) == 2 })
	evs.drain(s, 12*testHeartbeat) // a second resync: still nothing new
	assert.Equal(t, []string{"ACK", "FLL"}, evs.statuses(filling), "the fill once, after the resync")
	assertEq(t, "21.91", evs.byID[filling][1].FilledPrice, "FilledPrice")
	assert.Equal(t, []string{"ACK"}, evs.statuses(resting), "the unchanged order is not delivered again")
	assert.True(t, r.has(stream.ErrResync), "reconnected for a resync: %s", r.String())
	st := s.Stats()
	assert.GreaterOrEqual(t, st.Reconnects, uint64(1))
	assert.GreaterOrEqual(t, st.Duplicates, uint64(2), "the re-sent snapshot was recognised")
}

func TestStreamOrdersCutResubscribesWithoutDuplicates(t *testing.T) {
	var r reasons
	srv, c, _ := streamSession(t, streamOpts(&r))
	a := place(t, c, limit(order(marginAccount, "KO", "BUY", "Limit", "5"), "50.00"))
	s, err := c.Streams.Orders(context.Background(), marginAccount)
	require.NoError(t, err)
	defer s.Close()
	var evs orderEvents
	evs.until(t, s, func() bool { return len(evs.byID[a]) == 1 })

	require.Equal(t, 1, srv.Faults().CutStreams())
	b := place(t, c, limit(order(marginAccount, "KO", "BUY", "Limit", "5"), "51.00"))
	evs.until(t, s, func() bool { return len(evs.byID[b]) == 1 })
	require.NoError(t, srv.SetQuote("KO", num("50.50"))) // b fills
	evs.until(t, s, func() bool { return len(evs.byID[b]) == 2 })
	evs.drain(s, 4*testHeartbeat)
	assert.Equal(t, []string{"ACK"}, evs.statuses(a), "a once, across the reconnect")
	assert.Equal(t, []string{"ACK", "FLL"}, evs.statuses(b))
	assert.GreaterOrEqual(t, s.Stats().Reconnects, uint64(1), r.String())
	assert.Equal(t, 1, srv.Faults().OpenStreams(), "resubscribed")
}

func TestStreamGoAwayReconnects(t *testing.T) {
	var r reasons
	srv, c, _ := streamSession(t, streamOpts(&r))
	s, err := c.Streams.Quotes(context.Background(), "IBM")
	require.NoError(t, err)
	defer s.Close()
	next(t, s)
	require.Equal(t, 1, srv.GoAwayStreams())
	again := next(t, s) // the new connection's whole quote
	assert.Equal(t, "IBM", again.Symbol)
	assert.Contains(t, r.String(), "GoAway")
	require.NoError(t, srv.SetQuote("IBM", num("214.00")))
	assertEq(t, "214", next(t, s).Last, "Last on the new connection")
	assert.Equal(t, uint64(1), s.Stats().Reconnects)
}

// A stream with data but no heartbeats and no events for Stall reconnects
// (ErrStalled): here the emulator's heartbeats are slower than Stall.
func TestStreamStallReconnects(t *testing.T) {
	var r reasons
	srv := tradestationtest.NewServer(tradestationtest.WithStreamHeartbeat(time.Hour))
	t.Cleanup(srv.Close)
	tok, err := srv.IssueV3()
	require.NoError(t, err)
	p, err := srv.Provider()
	require.NoError(t, err)
	o := streamOpts(&r)
	o.Stall = 100 * time.Millisecond
	c := p.NewClient(fixedToken{tok}, tradestation.WithStreams(o))
	s, err := c.Streams.Quotes(context.Background(), "CSCO")
	require.NoError(t, err)
	defer s.Close()
	next(t, s)
	next(t, s) // the whole quote again, from the new connection
	assert.True(t, r.has(stream.ErrStalled), r.String())
}

func TestStreamInvalidatedTokenRefreshesAndContinues(t *testing.T) {
	var r reasons
	srv, c, src := streamSession(t, streamOpts(&r))
	ctx := context.Background()
	before, err := src.TokenContext(ctx)
	require.NoError(t, err)
	s, err := c.Streams.Quotes(ctx, "JPM")
	require.NoError(t, err)
	defer s.Close()
	next(t, s)

	require.True(t, srv.InvalidateToken(before.AccessToken))
	next(t, s) // the whole quote from the connection made with the new token
	after, err := src.TokenContext(ctx)
	require.NoError(t, err)
	assert.NotEqual(t, before.AccessToken, after.AccessToken, "refreshed")
	require.NoError(t, srv.SetQuote("JPM", num("223.50")))
	assertEq(t, "223.5", next(t, s).Last, "the stream goes on")
	assert.True(t, r.has(auth.ErrInvalidToken), "reconnected because the token was refused: %s", r.String())
	for _, e := range r.list {
		assert.NotContains(t, e.Error(), before.AccessToken)
	}
}

func TestStreamRefusedRefreshEndsWithReauthRequired(t *testing.T) {
	var r reasons
	srv, c, src := streamSession(t, streamOpts(&r))
	ctx := context.Background()
	tok, err := src.TokenContext(ctx)
	require.NoError(t, err)
	s, err := c.Streams.Orders(ctx, marginAccount, cashAccount)
	require.NoError(t, err)
	defer s.Close()

	require.True(t, srv.InvalidateToken(tok.RefreshToken))
	require.True(t, srv.InvalidateToken(tok.AccessToken))
	deadline := time.After(5 * time.Second)
	for open := true; open; {
		select {
		case _, open = <-s.C():
		case <-deadline:
			t.Fatal("the stream did not end")
		}
	}
	err = s.Err()
	require.ErrorIs(t, err, auth.ErrReauthRequired)
	assert.NotContains(t, err.Error(), tok.RefreshToken)
	assert.NotContains(t, err.Error(), tok.AccessToken)
}

func TestStreamBarsAndPositions(t *testing.T) {
	var r reasons
	srv, c, _ := streamSession(t, streamOpts(&r))
	ctx := context.Background()
	bars, err := c.Streams.Bars(ctx, "NFLX", &tradestation.BarsOptions{Interval: 5, Unit: "Minute", BarsBack: 3})
	require.NoError(t, err)
	defer bars.Close()
	var got []tradestation.BarEvent
	for range 3 {
		got = append(got, next(t, bars))
	}
	assertEq(t, "754.68", got[2].Close, "the newest bar closes at the last price")
	assert.True(t, got[0].TimeStamp.Before(got[2].TimeStamp.Time))
	require.NoError(t, srv.SetQuote("NFLX", num("760.00")))
	assertEq(t, "760", next(t, bars).Close, "the newest bar again, changed")

	pos, err := c.Streams.Positions(ctx, cashAccount)
	require.NoError(t, err)
	defer pos.Close()
	spy := next(t, pos)
	assert.Equal(t, "SPY", spy.Symbol)
	assertEq(t, "5", spy.Quantity, "seeded position")
	place(t, c, order(cashAccount, "WMT", "BUY", "Market", "10"))
	wmt := next(t, pos)
	assert.Equal(t, "WMT", wmt.Symbol)
	assertEq(t, "10", wmt.Quantity, "the new position")
	place(t, c, order(cashAccount, "WMT", "SELL", "Market", "10"))
	closed := next(t, pos)
	assert.True(t, closed.Deleted, "%+v", closed)
	assert.Equal(t, wmt.PositionID, closed.PositionID)
}

func TestStreamBadInput(t *testing.T) {
	_, c, _ := streamSession(t, stream.Options{})
	ctx := context.Background()
	_, err := c.Streams.Quotes(ctx)
	assert.ErrorIs(t, err, tradestation.ErrInvalidInput)
	_, err = c.Streams.Quotes(ctx, "MSFT,AAPL")
	assert.ErrorIs(t, err, tradestation.ErrInvalidInput)
	_, err = c.Streams.Bars(ctx, "MSFT", &tradestation.BarsOptions{Unit: "Hourly"})
	assert.ErrorIs(t, err, tradestation.ErrInvalidInput)
	_, err = c.Streams.Bars(ctx, "MSFT", &tradestation.BarsOptions{FirstDate: "2026-01-02"})
	assert.ErrorIs(t, err, tradestation.ErrInvalidInput)
	_, err = c.Streams.Orders(ctx)
	assert.ErrorIs(t, err, tradestation.ErrInvalidInput)
	_, err = c.Streams.Positions(ctx, "../x")
	assert.ErrorIs(t, err, tradestation.ErrInvalidInput)
	many := make([]string, 101)
	for i := range many {
		many[i] = "MSFT"
	}
	_, err = c.Streams.Quotes(ctx, many...)
	assert.ErrorIs(t, err, tradestation.ErrInvalidInput)
	var none context.Context
	_, err = c.Streams.Quotes(none, "MSFT")
	assert.ErrorIs(t, err, tradestation.ErrInvalidInput)
}

func TestStreamRefusedAtOpen(t *testing.T) {
	srv := tradestationtest.NewServer(tradestationtest.WithStreamHeartbeat(testHeartbeat))
	t.Cleanup(srv.Close)
	p, err := srv.Provider()
	require.NoError(t, err)
	noMarketData, err := srv.IssueV3("openid", "ReadAccount")
	require.NoError(t, err)
	c := p.NewClient(fixedToken{noMarketData})
	_, err = c.Streams.Quotes(context.Background(), "MSFT")
	var e *tradestation.Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, 403, e.StatusCode)
	assert.ErrorIs(t, err, tradestation.ErrForbidden)

	tok, err := srv.IssueV3()
	require.NoError(t, err)
	require.True(t, srv.InvalidateToken(tok.AccessToken))
	_, err = p.NewClient(fixedToken{tok}).Streams.Quotes(context.Background(), "MSFT")
	require.ErrorAs(t, err, &e)
	assert.Equal(t, 401, e.StatusCode, "refused before any streaming")
}

func v2Client(t *testing.T, o stream.Options) (*tradestationtest.Server, *tradestation.Client, *auth.Source) {
	t.Helper()
	srv := tradestationtest.NewServer(tradestationtest.WithStreamHeartbeat(testHeartbeat))
	t.Cleanup(srv.Close)
	p, err := tradestation.New(srv.ConfigFor(tradestation.V2))
	require.NoError(t, err)
	tok, err := srv.Login(context.Background(), p)
	require.NoError(t, err)
	c, src, _ := session(t, srv, p, tok, nil, tradestation.WithStreams(o))
	return srv, c, src
}

func TestStreamV2QuotesChangesAndReset(t *testing.T) {
	var r reasons
	srv, c, _ := v2Client(t, streamOpts(&r))
	s, err := c.Streams.Quotes(context.Background(), "AAPL", "NOPE")
	require.NoError(t, err)
	defer s.Close()
	q := next(t, s)
	assert.Equal(t, "AAPL", q.Symbol)
	assertEq(t, "227.52", q.Last, "v2 JSON number, exact")
	assert.Equal(t, time.UnixMilli(1767366245000).UTC(), q.TradeTime.Time, `"\/Date(ms)\/"`)
	assert.Contains(t, string(q.Raw), `"AskPriceDisplay"`)
	bad := next(t, s)
	assert.Equal(t, "NOPE", bad.Symbol)
	assert.Equal(t, "FAILED, EX_INVALID_SYMBOL", bad.Error)

	require.NoError(t, srv.SetQuote("AAPL", num("228.00")))
	ch := next(t, s)
	assertEq(t, "228", ch.Last, "the change")
	assertEq(t, "48211873", ch.Volume, "kept from the whole quote")
	assert.NotContains(t, string(ch.Raw), `"Volume"`)

	require.Equal(t, 1, srv.GoAwayStreams()) // "ERROR - RESET"
	assert.Equal(t, "AAPL", next(t, s).Symbol, "the whole quote again")
	assert.True(t, r.has(auth.ErrUnavailable), "RESET reconnects: %s", r.String())
	assert.Contains(t, r.String(), "RESET")

	_, err = c.Streams.Orders(context.Background(), marginAccount)
	assert.ErrorIs(t, err, auth.ErrUnsupported)
}

func TestStreamV2AllSymbolsInvalidFailsAtOpen(t *testing.T) {
	_, c, _ := v2Client(t, stream.Options{})
	_, err := c.Streams.Quotes(context.Background(), "NOPE", "NADA")
	require.Error(t, err)
	assert.ErrorIs(t, err, tradestation.ErrBadRequest, "permanent")
	assert.Contains(t, err.Error(), "EX_INVALID_SYMBOL")
}

// A reader that falls behind a quote stream loses the oldest quotes, not
// the newest, and the stream counts what it dropped.
func TestStreamSlowReaderDropsOldestAndCounts(t *testing.T) {
	var r reasons
	o := streamOpts(&r)
	o.Buffer = 4
	srv, c, _ := streamSession(t, o)
	s, err := c.Streams.Quotes(context.Background(), "MSFT")
	require.NoError(t, err)
	defer s.Close()
	require.Eventually(t, func() bool { return s.Stats().Events == 1 }, 5*time.Second, time.Millisecond)
	require.Equal(t, 1, srv.BurstQuotes("MSFT", 500))
	require.Eventually(t, func() bool { return s.Stats().Events == 501 }, 5*time.Second, time.Millisecond)
	st := s.Stats()
	assert.Equal(t, uint64(497), st.Dropped, "501 events into a buffer of 4")
	var last tradestation.QuoteEvent
	for range 4 {
		last = next(t, s)
	}
	assertEq(t, "412.86", last.Last, "the newest quote is kept")
	assert.Equal(t, "MSFT", last.Symbol)
	assertEq(t, "21894512", last.Volume, "still a whole quote")
}

// A stream request redirected to another origin is refused before the
// token goes there, whatever transport adds the token (here a plain one,
// not auth.Transport, which refuses such redirects itself).
func TestStreamRedirectToAnotherOriginIsRefused(t *testing.T) {
	var leaked atomic.Bool
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "" {
			leaked.Store(true)
		}
		w.WriteHeader(http.StatusOK)
	}))
	defer other.Close()
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+r.URL.Path, http.StatusFound)
	}))
	defer api.Close()
	const secret = "stream-secret-token"
	c := tradestation.NewClient(&http.Client{Transport: bearer(secret)}, tradestation.WithBaseURL(api.URL))
	_, err := c.Streams.Quotes(context.Background(), "MSFT")
	require.ErrorIs(t, err, auth.ErrCrossOriginRedirect)
	assert.False(t, leaked.Load(), "the token went to the other origin")
	assert.NotContains(t, err.Error(), secret)
}

// The HTTP client's Timeout bounds a REST call, and would cut a healthy
// stream: streams go without it.
func TestStreamOutlivesTheClientTimeout(t *testing.T) {
	var r reasons
	srv := tradestationtest.NewServer(tradestationtest.WithStreamHeartbeat(testHeartbeat))
	t.Cleanup(srv.Close)
	tok, err := srv.IssueV3()
	require.NoError(t, err)
	c := tradestation.NewClient(&http.Client{Transport: bearer(tok.AccessToken), Timeout: 3 * testHeartbeat},
		tradestation.WithBaseURL(srv.URL()), tradestation.WithStreams(streamOpts(&r)))
	s, err := c.Streams.Quotes(context.Background(), "V")
	require.NoError(t, err)
	defer s.Close()
	next(t, s)
	time.Sleep(10 * testHeartbeat)
	assert.Equal(t, uint64(0), s.Stats().Reconnects, r.String())
	require.NoError(t, srv.SetQuote("V", num("290")))
	assertEq(t, "290", next(t, s).Last, "the first connection still streams")
}

// A v2 stream whose token is invalidated ends with END; the new
// connection refreshes the token and streams on.
func TestStreamV2InvalidatedTokenRefreshes(t *testing.T) {
	var r reasons
	srv, c, src := v2Client(t, streamOpts(&r))
	ctx := context.Background()
	before, err := src.TokenContext(ctx)
	require.NoError(t, err)
	s, err := c.Streams.Quotes(ctx, "GS")
	require.NoError(t, err)
	defer s.Close()
	next(t, s)
	require.True(t, srv.InvalidateToken(before.AccessToken))
	assert.Equal(t, "GS", next(t, s).Symbol, "the whole quote again, on a new connection")
	after, err := src.TokenContext(ctx)
	require.NoError(t, err)
	assert.NotEqual(t, before.AccessToken, after.AccessToken, "refreshed")
	require.NoError(t, srv.SetQuote("GS", num("540")))
	assertEq(t, "540", next(t, s).Last, "the stream goes on")
}
