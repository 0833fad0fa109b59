package spotware_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/spotware"
	"github.com/brokerkit/brokerkit/spotware/openapi"
	"github.com/brokerkit/brokerkit/spotware/spotwaretest"
	"github.com/brokerkit/brokerkit/stream"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"
)

const acct = spotwaretest.DemoAccount

var ptNewOrder = uint32(openapi.ProtoOAPayloadType_PROTO_OA_NEW_ORDER_REQ)

// tradingEnv is newEnv with DemoAccount authorized.
func tradingEnv(t *testing.T) *env {
	t.Helper()
	e := newEnv(t, nil, nil)
	require.NoError(t, e.sess.AuthorizeAccount(t.Context(), acct))
	return e
}

// tick0 is the price the emulator trades symbol at.
func tick0(t *testing.T, symbol int64) (bid, ask decimal.Decimal) {
	t.Helper()
	tk, ok := spotwaretest.PriceAt(symbol, 0)
	require.True(t, ok)
	return spotware.Price(tk.Bid), spotware.Price(tk.Ask)
}

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func requireDec(t *testing.T, want, got decimal.Decimal, msgAndArgs ...any) {
	t.Helper()
	require.Truef(t, want.Equal(got), "want %s, got %s %v", want, got, msgAndArgs)
}

// orderStream is what StreamOrders returns.
type orderStream = *stream.Stream[spotware.Execution]

// streamOrders opens account's order stream, closed with the test.
func streamOrders(t *testing.T, s *spotware.Session, account int64) orderStream {
	t.Helper()
	st, err := s.StreamOrders(t.Context(), account)
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	return st
}

// nextExecutions reads n events from st, failing after within.
func nextExecutions(t *testing.T, st orderStream, n int, within time.Duration) []spotware.Execution {
	t.Helper()
	var out []spotware.Execution
	deadline := time.After(within)
	for len(out) < n {
		select {
		case ex, ok := <-st.C():
			require.True(t, ok, "order stream ended: %v", st.Err())
			out = append(out, ex)
		case <-deadline:
			t.Fatalf("waited %s for %d order events; got %d: %+v", within, n, len(out), out)
		}
	}
	return out
}

// noMoreExecutions fails if st delivers anything within d.
func noMoreExecutions(t *testing.T, st orderStream, d time.Duration) {
	t.Helper()
	select {
	case ex, ok := <-st.C():
		if ok {
			t.Fatalf("unexpected order event %+v (order %+v)", ex, ex.Order)
		}
	case <-time.After(d):
	}
}

func TestTradingLimitOrderPendingAmendCancel(t *testing.T) {
	e := tradingEnv(t)
	ctx := t.Context()
	bid, _ := tick0(t, spotwaretest.EURUSD)
	limit := bid.Sub(dec("0.01"))
	ex, err := e.sess.PlaceOrder(ctx, acct, spotware.OrderRequest{SymbolID: spotwaretest.EURUSD, Side: spotware.Buy,
		Type: spotware.Limit, Volume: dec("10000"), LimitPrice: limit, StopLoss: limit.Sub(dec("0.005")), Label: "dip"})
	require.NoError(t, err)
	require.Equal(t, "ORDER_ACCEPTED", ex.Type)
	require.Equal(t, "ORDER_STATUS_ACCEPTED", ex.Order.Status)
	require.Equal(t, spotware.Limit, ex.Order.Type)
	requireDec(t, limit, ex.Order.LimitPrice)
	requireDec(t, dec("10000"), ex.Order.Volume)
	require.NotEmpty(t, ex.Order.ClientOrderID)

	r, err := e.sess.Reconcile(ctx, acct)
	require.NoError(t, err)
	require.Len(t, r.Orders, 1)
	require.Empty(t, r.Positions)
	require.Equal(t, ex.Order.ID, r.Orders[0].ID)

	lower := limit.Sub(dec("0.00100"))
	am, err := e.sess.AmendOrder(ctx, acct, ex.Order.ID, spotware.AmendOrderRequest{LimitPrice: lower, Volume: dec("20000")})
	require.NoError(t, err)
	require.Equal(t, "ORDER_REPLACED", am.Type)
	requireDec(t, lower, am.Order.LimitPrice)
	requireDec(t, dec("20000"), am.Order.Volume)

	c, err := e.sess.CancelOrder(ctx, acct, ex.Order.ID)
	require.NoError(t, err)
	require.Equal(t, "ORDER_CANCELLED", c.Type)
	r, err = e.sess.Reconcile(ctx, acct)
	require.NoError(t, err)
	require.Empty(t, r.Orders)

	_, err = e.sess.CancelOrder(ctx, acct, ex.Order.ID)
	var se *spotware.Error
	require.ErrorAs(t, err, &se)
	require.Equal(t, "ORDER_NOT_FOUND", se.Code)
}

func TestTradingMarketOrderPositionAmendClose(t *testing.T) {
	e := tradingEnv(t)
	ctx := t.Context()
	bid, ask := tick0(t, spotwaretest.EURUSD)
	ex, err := e.sess.PlaceOrder(ctx, acct, spotware.OrderRequest{SymbolID: spotwaretest.EURUSD, Side: spotware.Buy,
		Type: spotware.Market, Volume: dec("10000"), RelativeStopLoss: dec("0.005"), RelativeTakeProfit: dec("0.01")})
	require.NoError(t, err)
	require.Equal(t, "ORDER_FILLED", ex.Type)
	requireDec(t, ask, ex.Order.ExecutionPrice)
	require.NotNil(t, ex.Position)
	require.Equal(t, "POSITION_STATUS_OPEN", ex.Position.Status)
	requireDec(t, ask, ex.Position.Price)
	requireDec(t, ask.Sub(dec("0.005")), ex.Position.StopLoss)
	requireDec(t, ask.Add(dec("0.01")), ex.Position.TakeProfit)
	requireDec(t, dec("10000"), ex.Position.Volume)
	// 10,000 units × ask ÷ 100 (1:100), in EUR cents.
	requireDec(t, dec("10000").Mul(ask).Div(dec("100")).RoundCeil(2), ex.Position.UsedMargin)
	require.NotNil(t, ex.Deal)
	pos := ex.Position.ID

	sl, tp := bid.Sub(dec("0.002")), bid.Add(dec("0.003"))
	am, err := e.sess.AmendPositionSLTP(ctx, acct, pos, sl, tp)
	require.NoError(t, err)
	require.Equal(t, "ORDER_REPLACED", am.Type)
	requireDec(t, sl, am.Position.StopLoss)
	requireDec(t, tp, am.Position.TakeProfit)

	// A stop loss above the market for a buy is refused with the code.
	_, err = e.sess.AmendPositionSLTP(ctx, acct, pos, bid.Add(dec("0.001")), decimal.Zero)
	var se *spotware.Error
	require.ErrorAs(t, err, &se)
	require.Equal(t, "TRADING_BAD_STOPS", se.Code)

	// Close half, then the rest.
	cl, err := e.sess.ClosePosition(ctx, acct, pos, dec("5000"))
	require.NoError(t, err)
	require.Equal(t, "ORDER_FILLED", cl.Type)
	require.NotNil(t, cl.Deal.Close)
	gross := bid.Sub(ask).Mul(dec("5000")).Round(2)
	requireDec(t, gross, cl.Deal.Close.GrossProfit)
	requireDec(t, dec("5000"), cl.Position.Volume)
	cl, err = e.sess.ClosePosition(ctx, acct, pos, dec("5000"))
	require.NoError(t, err)
	require.Equal(t, "POSITION_STATUS_CLOSED", cl.Position.Status)
	requireDec(t, dec("10000").Add(gross.Mul(dec("2"))), cl.Deal.Close.Balance)

	tr, err := e.sess.Trader(ctx, acct)
	require.NoError(t, err)
	requireDec(t, dec("10000").Add(gross.Mul(dec("2"))), tr.Balance)
	r, err := e.sess.Reconcile(ctx, acct)
	require.NoError(t, err)
	require.Empty(t, r.Positions)

	_, err = e.sess.ClosePosition(ctx, acct, pos, dec("5000"))
	require.ErrorAs(t, err, &se)
	require.Equal(t, "POSITION_NOT_FOUND", se.Code)
}

func TestTradingStopLimitOrder(t *testing.T) {
	e := tradingEnv(t)
	ctx := t.Context()
	bid, _ := tick0(t, spotwaretest.GBPUSD)
	stop := bid.Sub(dec("0.005"))
	ex, err := e.sess.PlaceOrder(ctx, acct, spotware.OrderRequest{SymbolID: spotwaretest.GBPUSD, Side: spotware.Sell,
		Type: spotware.StopLimit, Volume: dec("1000"), StopPrice: stop, SlippagePoints: 15, TakeProfit: stop.Sub(dec("0.01"))})
	require.NoError(t, err)
	require.Equal(t, "ORDER_ACCEPTED", ex.Type)
	require.Equal(t, spotware.StopLimit, ex.Order.Type)
	require.Equal(t, spotware.Sell, ex.Order.Side)
	requireDec(t, stop, ex.Order.StopPrice)
	require.EqualValues(t, 15, ex.Order.SlippagePoints)
	requireDec(t, stop.Sub(dec("0.01")), ex.Order.TakeProfit)
	r, err := e.sess.Reconcile(ctx, acct)
	require.NoError(t, err)
	require.Len(t, r.Orders, 1)
	require.Equal(t, spotware.StopLimit, r.Orders[0].Type)
}

func TestTradingMarketRangeOrder(t *testing.T) {
	e := tradingEnv(t)
	ctx := t.Context()
	_, ask := tick0(t, spotwaretest.EURUSD)
	// Within 3 points (0.00003) of the base price: filled.
	ex, err := e.sess.PlaceOrder(ctx, acct, spotware.OrderRequest{SymbolID: spotwaretest.EURUSD, Side: spotware.Buy,
		Type: spotware.MarketRange, Volume: dec("1000"), BasePrice: ask.Sub(dec("0.00002")), SlippagePoints: 3})
	require.NoError(t, err)
	require.Equal(t, "ORDER_FILLED", ex.Type)
	requireDec(t, ask, ex.Order.ExecutionPrice)
	// Out of range: cancelled, no position.
	ex, err = e.sess.PlaceOrder(ctx, acct, spotware.OrderRequest{SymbolID: spotwaretest.EURUSD, Side: spotware.Buy,
		Type: spotware.MarketRange, Volume: dec("1000"), BasePrice: ask.Sub(dec("0.001")), SlippagePoints: 3})
	require.NoError(t, err)
	require.Equal(t, "ORDER_CANCELLED", ex.Type)
	r, err := e.sess.Reconcile(ctx, acct)
	require.NoError(t, err)
	require.Len(t, r.Positions, 1)
}

func TestTradingMarginRejected(t *testing.T) {
	e := tradingEnv(t)
	ctx := t.Context()
	syms, err := e.sess.Symbols(ctx, acct)
	require.NoError(t, err)
	requireDec(t, dec("100000"), syms[0].LotSize)
	requireDec(t, dec("1000"), syms[0].MinVolume)
	requireDec(t, dec("1000"), syms[0].StepVolume)
	requireDec(t, dec("10000000"), syms[0].MaxVolume)
	// 10 lots of EUR/USD at 1:100 need about 10,850 EUR; the balance is 10,000.
	ex, err := e.sess.PlaceOrder(ctx, acct, spotware.OrderRequest{SymbolID: spotwaretest.EURUSD, Side: spotware.Buy,
		Type: spotware.Market, Volume: dec("1000000")})
	require.Nil(t, ex)
	var se *spotware.Error
	require.ErrorAs(t, err, &se)
	require.Equal(t, "NOT_ENOUGH_MONEY", se.Code)
	require.Equal(t, openapi.ProtoOAErrorCode_NOT_ENOUGH_MONEY, se.OACode())
	require.Contains(t, err.Error(), "PROTO_OA_NEW_ORDER_REQ")
	r, err := e.sess.Reconcile(ctx, acct)
	require.NoError(t, err)
	require.Empty(t, r.Positions)

	// A volume off the symbol's step is refused by the server's code too.
	_, err = e.sess.PlaceOrder(ctx, acct, spotware.OrderRequest{SymbolID: spotwaretest.EURUSD, Side: spotware.Buy,
		Type: spotware.Market, Volume: dec("1000.5")})
	require.ErrorAs(t, err, &se)
	require.Equal(t, "TRADING_BAD_VOLUME", se.Code)
}

func TestTradingAccountsScopeRefusedBeforeSending(t *testing.T) {
	srv := spotwaretest.NewServer()
	t.Cleanup(srv.Close)
	ctx := t.Context()
	cfg := srv.Config()
	cfg.Scopes = []string{spotware.ScopeAccounts}
	p, err := spotware.New(cfg)
	require.NoError(t, err)
	tok, err := srv.Login(ctx, p)
	require.NoError(t, err)
	ts, err := auth.NewSource(p, auth.NewMemoryStore(), auth.Key(spotware.Name, "1001"))
	require.NoError(t, err)
	require.NoError(t, ts.SetToken(ctx, tok))
	s, err := spotware.Dial(ctx, fast(srv.SessionConfig(ts)))
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	require.NoError(t, s.AuthorizeAccount(ctx, acct))

	_, err = s.PlaceOrder(ctx, acct, spotware.OrderRequest{SymbolID: spotwaretest.EURUSD, Side: spotware.Buy,
		Type: spotware.Market, Volume: dec("1000")})
	require.ErrorIs(t, err, spotware.ErrTradingScope)
	require.ErrorIs(t, err, auth.ErrInsufficientScope)
	_, err = s.ClosePosition(ctx, acct, 1, dec("1000"))
	require.ErrorIs(t, err, spotware.ErrTradingScope)
	require.Zero(t, srv.Received(ptNewOrder), "the order went out")
	require.Zero(t, srv.Received(uint32(openapi.ProtoOAPayloadType_PROTO_OA_CLOSE_POSITION_REQ)))
	// Reading stays allowed.
	_, err = s.Reconcile(ctx, acct)
	require.NoError(t, err)

	// The emulator refuses it too, for a client that sends anyway.
	err = s.Do(ctx, &openapi.ProtoOANewOrderReq{CtidTraderAccountId: proto64(acct), SymbolId: proto64(spotwaretest.EURUSD),
		OrderType: openapi.ProtoOAOrderType_MARKET.Enum(), TradeSide: openapi.ProtoOATradeSide_BUY.Enum(), Volume: proto64(100000)},
		&openapi.ProtoOAExecutionEvent{})
	var se *spotware.Error
	require.ErrorAs(t, err, &se)
	require.Equal(t, "TRADING_NOT_ALLOWED", se.Code)
}

func proto64(v int64) *int64 { return &v }

func TestTradingTimeoutReconciles(t *testing.T) {
	e := tradingEnv(t)
	ctx := t.Context()
	bid, _ := tick0(t, spotwaretest.EURUSD)

	// The order request is swallowed: it never executed.
	e.srv.SilenceNext(ptNewOrder, 1)
	start := time.Now()
	_, err := e.sess.PlaceOrder(ctx, acct, spotware.OrderRequest{SymbolID: spotwaretest.EURUSD, Side: spotware.Buy,
		Type: spotware.Market, Volume: dec("1000"), ClientOrderID: "lost-1"})
	require.ErrorIs(t, err, spotware.ErrTimeout)
	var te *spotware.TimeoutError
	require.ErrorAs(t, err, &te)
	require.Equal(t, "PlaceOrder", te.Op)
	require.NoError(t, te.ReconcileErr)
	require.False(t, te.Exists)
	require.Less(t, time.Since(start), 10*time.Second)

	// The order executes but its answers are lost: the order history finds
	// it by its client order id, and reconcile its position.
	e.srv.WithholdNext(ptNewOrder, 1)
	_, err = e.sess.PlaceOrder(ctx, acct, spotware.OrderRequest{SymbolID: spotwaretest.EURUSD, Side: spotware.Buy,
		Type: spotware.Market, Volume: dec("3000"), ClientOrderID: "lost-2"})
	require.ErrorAs(t, err, &te)
	require.NoError(t, te.ReconcileErr)
	require.True(t, te.Exists)
	require.Equal(t, "lost-2", te.Order.ClientOrderID)
	require.Equal(t, "ORDER_STATUS_FILLED", te.Order.Status)
	require.NotNil(t, te.Position)
	requireDec(t, dec("3000"), te.Position.Volume)

	// A pending order exists; its cancel is swallowed: still pending.
	ex, err := e.sess.PlaceOrder(ctx, acct, spotware.OrderRequest{SymbolID: spotwaretest.EURUSD, Side: spotware.Buy,
		Type: spotware.Limit, Volume: dec("1000"), LimitPrice: bid.Sub(dec("0.01")), ClientOrderID: "kept-1"})
	require.NoError(t, err)
	e.srv.SilenceNext(uint32(openapi.ProtoOAPayloadType_PROTO_OA_CANCEL_ORDER_REQ), 1)
	_, err = e.sess.CancelOrder(ctx, acct, ex.Order.ID)
	require.ErrorAs(t, err, &te)
	require.True(t, te.Exists)
	require.Equal(t, "kept-1", te.Order.ClientOrderID)
	require.Contains(t, te.Error(), "exists")

	// A close that is swallowed leaves the position open, and the error
	// says so with the position as the server has it.
	e.srv.SilenceNext(uint32(openapi.ProtoOAPayloadType_PROTO_OA_CLOSE_POSITION_REQ), 1)
	fill, err := e.sess.PlaceOrder(ctx, acct, spotware.OrderRequest{SymbolID: spotwaretest.EURUSD, Side: spotware.Sell,
		Type: spotware.Market, Volume: dec("2000")})
	require.NoError(t, err)
	_, err = e.sess.ClosePosition(ctx, acct, fill.Position.ID, dec("2000"))
	require.ErrorAs(t, err, &te)
	require.True(t, te.Exists, "the position is still open")
	requireDec(t, dec("2000"), te.Position.Volume)
}

func TestTradingHistory(t *testing.T) {
	e := tradingEnv(t)
	ctx := t.Context()
	before := time.Now().Add(-time.Second)
	var ids []int64
	for i := range 3 {
		ex, err := e.sess.PlaceOrder(ctx, acct, spotware.OrderRequest{SymbolID: spotwaretest.EURUSD, Side: spotware.Buy,
			Type: spotware.Market, Volume: dec("1000").Mul(decimal.NewFromInt(int64(i + 1)))})
		require.NoError(t, err)
		ids = append(ids, ex.Position.ID)
	}
	_, err := e.sess.ClosePosition(ctx, acct, ids[0], dec("1000"))
	require.NoError(t, err)

	deals, more, err := e.sess.Deals(ctx, acct, before, time.Time{}, 0)
	require.NoError(t, err)
	require.False(t, more)
	require.Len(t, deals, 4)
	requireDec(t, dec("2000"), deals[1].Volume)
	require.Equal(t, "FILLED", deals[0].Status)
	require.Nil(t, deals[0].Close)
	require.NotNil(t, deals[3].Close)
	require.Equal(t, ids[0], deals[3].PositionID)

	deals, more, err = e.sess.Deals(ctx, acct, before, time.Time{}, 2)
	require.NoError(t, err)
	require.True(t, more)
	require.Len(t, deals, 2)

	deals, _, err = e.sess.Deals(ctx, acct, time.Now().Add(-48*time.Hour), time.Now().Add(-24*time.Hour), 0)
	require.NoError(t, err)
	require.Empty(t, deals)

	orders, _, err := e.sess.Orders(ctx, acct, before, time.Time{})
	require.NoError(t, err)
	require.Len(t, orders, 4)
	require.True(t, orders[3].Closing)
	for _, o := range orders {
		require.Equal(t, "ORDER_STATUS_FILLED", o.Status)
	}

	_, _, err = e.sess.Deals(ctx, acct, time.Now(), time.Now().Add(-time.Hour), 0)
	require.ErrorIs(t, err, spotware.ErrInvalidInput)
}

func TestTrendbars(t *testing.T) {
	e := tradingEnv(t)
	ctx := t.Context()
	to := time.Date(2026, 11, 2, 12, 0, 0, 0, time.UTC)
	bars, more, err := e.sess.Trendbars(ctx, acct, spotwaretest.EURUSD, "M5", to.Add(-time.Hour), to, 0)
	require.NoError(t, err)
	require.False(t, more)
	require.Len(t, bars, 13)
	for i, b := range bars {
		start := to.Add(-time.Hour + time.Duration(i)*5*time.Minute)
		require.True(t, start.Equal(b.Time), "bar %d at %s", i, b.Time)
		o, h, l, c, v := spotwaretest.Bar(spotwaretest.EURUSD, start.Unix()/60, 5)
		requireDec(t, spotware.Price(o), b.Open)
		requireDec(t, spotware.Price(h), b.High)
		requireDec(t, spotware.Price(l), b.Low)
		requireDec(t, spotware.Price(c), b.Close)
		require.Equal(t, v, b.Volume)
		require.True(t, b.Low.LessThanOrEqual(b.Open) && b.Open.LessThanOrEqual(b.High))
	}
	last3, _, err := e.sess.Trendbars(ctx, acct, spotwaretest.EURUSD, "M5", to.Add(-time.Hour), to, 3)
	require.NoError(t, err)
	require.Equal(t, bars[10:], last3)

	_, _, err = e.sess.Trendbars(ctx, acct, spotwaretest.EURUSD, "M7", to.Add(-time.Hour), to, 0)
	require.ErrorIs(t, err, spotware.ErrInvalidInput)
	_, _, err = e.sess.Trendbars(ctx, acct, 999, "M5", to.Add(-time.Hour), to, 0)
	require.ErrorIs(t, err, spotware.ErrNotFound)
}

func TestTickData(t *testing.T) {
	e := tradingEnv(t)
	ctx := t.Context()
	to := time.Date(2026, 11, 2, 12, 0, 10, 0, time.UTC)
	for _, ask := range []bool{false, true} {
		ticks, more, err := e.sess.TickData(ctx, acct, spotwaretest.USDJPY, ask, to.Add(-10*time.Second), to)
		require.NoError(t, err)
		require.False(t, more)
		require.Len(t, ticks, 11)
		for i, tk := range ticks { // newest first
			at := to.Add(-time.Duration(i) * time.Second)
			require.True(t, at.Equal(tk.Time), "tick %d at %s", i, tk.Time)
			requireDec(t, spotware.Price(spotwaretest.TickAt(spotwaretest.USDJPY, at.Unix(), ask)), tk.Price)
		}
	}
}

func TestExecutionEventsReachEverySession(t *testing.T) {
	e := tradingEnv(t)
	ctx := t.Context()
	// A second client of the same account, on its own connection.
	other, err := spotware.Dial(ctx, fast(e.srv.SessionConfig(e.tokens)))
	require.NoError(t, err)
	t.Cleanup(func() { _ = other.Close() })
	require.NoError(t, other.AuthorizeAccount(ctx, acct))
	mine, theirs := streamOrders(t, e.sess, acct), streamOrders(t, other, acct)

	ex, err := e.sess.PlaceOrder(ctx, acct, spotware.OrderRequest{SymbolID: spotwaretest.EURUSD, Side: spotware.Buy,
		Type: spotware.Market, Volume: dec("1000")})
	require.NoError(t, err)
	// The caller's session streams the answer and the fill; the other
	// session, which sent nothing, streams both as well.
	for _, st := range []orderStream{mine, theirs} {
		got := nextExecutions(t, st, 2, 5*time.Second)
		require.Equal(t, "ORDER_ACCEPTED", got[0].Type)
		require.Equal(t, "ORDER_FILLED", got[1].Type)
		require.Equal(t, ex.Order.ID, got[1].Order.ID)
		require.Equal(t, acct, got[1].AccountID)
		require.False(t, got[1].Recovered)
		require.NotNil(t, got[1].Deal)
	}
	_, err = e.sess.ClosePosition(ctx, acct, ex.Position.ID, dec("1000"))
	require.NoError(t, err)
	got := nextExecutions(t, theirs, 2, 5*time.Second)
	require.True(t, got[1].Order.Closing)
	require.Equal(t, "ORDER_FILLED", got[1].Type)
	require.Zero(t, theirs.Stats().Dropped)
}

func TestPlaceOrderInputRefusedBeforeSending(t *testing.T) {
	e := tradingEnv(t)
	ctx := t.Context()
	base := spotware.OrderRequest{SymbolID: spotwaretest.EURUSD, Side: spotware.Buy, Type: spotware.Market, Volume: dec("1000")}
	for name, edit := range map[string]func(*spotware.OrderRequest){
		"no side":           func(o *spotware.OrderRequest) { o.Side = "" },
		"bad type":          func(o *spotware.OrderRequest) { o.Type = "STOP_LOSS_TAKE_PROFIT" },
		"zero volume":       func(o *spotware.OrderRequest) { o.Volume = decimal.Zero },
		"sub-cent volume":   func(o *spotware.OrderRequest) { o.Volume = dec("1000.001") },
		"negative volume":   func(o *spotware.OrderRequest) { o.Volume = dec("-1000") },
		"limit no price":    func(o *spotware.OrderRequest) { o.Type = spotware.Limit },
		"market with limit": func(o *spotware.OrderRequest) { o.LimitPrice = dec("1.1") },
		"stop no price":     func(o *spotware.OrderRequest) { o.Type = spotware.Stop },
		"range no base":     func(o *spotware.OrderRequest) { o.Type = spotware.MarketRange; o.SlippagePoints = 3 },
		"range no slippage": func(o *spotware.OrderRequest) { o.Type = spotware.MarketRange; o.BasePrice = dec("1.1") },
		"market absolute sl": func(o *spotware.OrderRequest) {
			o.StopLoss = dec("1.0")
		},
		"six decimals": func(o *spotware.OrderRequest) { o.Type = spotware.Limit; o.LimitPrice = dec("1.123456") },
		"both stop losses": func(o *spotware.OrderRequest) {
			o.Type = spotware.Limit
			o.LimitPrice = dec("1")
			o.StopLoss = dec("0.9")
			o.RelativeStopLoss = dec("0.1")
		},
		"long client id":    func(o *spotware.OrderRequest) { o.ClientOrderID = string(make([]byte, 51)) },
		"market expires":    func(o *spotware.OrderRequest) { o.Expires = time.Now().Add(time.Hour) },
		"slippage on limit": func(o *spotware.OrderRequest) { o.Type = spotware.Limit; o.LimitPrice = dec("1"); o.SlippagePoints = 2 },
	} {
		t.Run(name, func(t *testing.T) {
			o := base
			edit(&o)
			_, err := e.sess.PlaceOrder(ctx, acct, o)
			require.ErrorIs(t, err, spotware.ErrInvalidInput)
		})
	}
	require.Zero(t, e.srv.Received(ptNewOrder))
	_, err := e.sess.ClosePosition(ctx, acct, 1, dec("0"))
	require.ErrorIs(t, err, spotware.ErrInvalidInput)
}

// Trading calls made while the caller's context is already done still
// tell the caller what happened: the reconcile runs on its own deadline.
func TestTradingTimeoutReconcilesAfterCallerDeadline(t *testing.T) {
	e := tradingEnv(t)
	e.srv.SilenceNext(ptNewOrder, 1)
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	_, err := e.sess.PlaceOrder(ctx, acct, spotware.OrderRequest{SymbolID: spotwaretest.EURUSD, Side: spotware.Buy,
		Type: spotware.Market, Volume: dec("1000")})
	var te *spotware.TimeoutError
	require.ErrorAs(t, err, &te)
	require.True(t, errors.Is(err, context.DeadlineExceeded))
	require.NoError(t, te.ReconcileErr)
	require.False(t, te.Exists)
}

// Money is scaled by each message's moneyDigits: DemoAccountPrecise keeps
// 8 digits (balance 100.53099944 USD), so the realized profit and the new
// balance come back with 8 decimals, not cents.
func TestTradingMoneyDigits(t *testing.T) {
	e := newEnv(t, nil, nil)
	ctx := t.Context()
	const precise = spotwaretest.DemoAccountPrecise
	require.NoError(t, e.sess.AuthorizeAccount(ctx, precise))
	bid, ask := tick0(t, spotwaretest.EURUSD)
	ex, err := e.sess.PlaceOrder(ctx, precise, spotware.OrderRequest{SymbolID: spotwaretest.EURUSD, Side: spotware.Buy,
		Type: spotware.Market, Volume: dec("1000")})
	require.NoError(t, err)
	require.EqualValues(t, 8, ex.Position.MoneyDigits)
	// 1,000 units × ask ÷ 50.
	requireDec(t, dec("1000").Mul(ask).Div(dec("50")), ex.Position.UsedMargin)
	cl, err := e.sess.ClosePosition(ctx, precise, ex.Position.ID, dec("1000"))
	require.NoError(t, err)
	gross := bid.Sub(ask).Mul(dec("1000"))
	requireDec(t, gross, cl.Deal.Close.GrossProfit)
	requireDec(t, dec("100.53099944").Add(gross), cl.Deal.Close.Balance)
	tr, err := e.sess.Trader(ctx, precise)
	require.NoError(t, err)
	requireDec(t, dec("100.53099944").Add(gross), tr.Balance)

	// 10,000 units need about 217 USD of margin: refused.
	_, err = e.sess.PlaceOrder(ctx, precise, spotware.OrderRequest{SymbolID: spotwaretest.EURUSD, Side: spotware.Buy,
		Type: spotware.Market, Volume: dec("10000")})
	var se *spotware.Error
	require.ErrorAs(t, err, &se)
	require.Equal(t, "NOT_ENOUGH_MONEY", se.Code)
}
