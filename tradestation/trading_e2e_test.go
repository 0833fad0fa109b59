package tradestation_test

import (
	"context"
	"errors"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/tradestation"
	"github.com/brokerkit/brokerkit/tradestation/tradestationtest"
)

// The emulator's seeded live accounts.
const (
	cashAccount   = "11827461"
	marginAccount = "11827462"
)

type fixedToken struct{ t *auth.Token }

func (f fixedToken) TokenContext(context.Context) (*auth.Token, error) { return f.t, nil }

// tradingClient starts an emulator and returns a client whose token has
// the Trade scope (or the given scopes).
func tradingClient(t *testing.T, srvOpts []tradestationtest.Option, scopes ...string) (*tradestationtest.Server, *tradestation.Client) {
	t.Helper()
	srv := tradestationtest.NewServer(srvOpts...)
	t.Cleanup(srv.Close)
	if len(scopes) == 0 {
		scopes = []string{"openid", "MarketData", "ReadAccount", "Trade"}
	}
	tok, err := srv.IssueV3(scopes...)
	require.NoError(t, err)
	p, err := srv.Provider()
	require.NoError(t, err)
	return srv, p.NewClient(fixedToken{tok}, tradestation.WithRetry(tradestation.RetryPolicy{MaxAttempts: 1}))
}

func num(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func order(account, symbol, action, typ, qty string) *tradestation.OrderRequest {
	return &tradestation.OrderRequest{AccountID: account, Symbol: symbol, TradeAction: action, OrderType: typ,
		Quantity: num(qty), TimeInForce: tradestation.TimeInForce{Duration: "GTC"}}
}

func limit(o *tradestation.OrderRequest, px string) *tradestation.OrderRequest {
	o.LimitPrice = num(px)
	return o
}

func stop(o *tradestation.OrderRequest, px string) *tradestation.OrderRequest {
	o.StopPrice = num(px)
	return o
}

// byID fetches one order by ID.
func byID(t *testing.T, c *tradestation.Client, account, id string) tradestation.Order {
	t.Helper()
	got, err := c.Orders.Get(context.Background(), account, id)
	require.NoError(t, err)
	require.Len(t, got, 1)
	return got[0]
}

func openIDs(t *testing.T, c *tradestation.Client, account string) []string {
	t.Helper()
	page, err := c.Orders.List(context.Background(), account, nil)
	require.NoError(t, err)
	var ids []string
	for o, err := range page.All(context.Background()) {
		require.NoError(t, err)
		if o.Open() {
			ids = append(ids, o.OrderID)
		}
	}
	return ids
}

func assertEq(t *testing.T, want string, got decimal.Decimal, what string) {
	t.Helper()
	assert.Truef(t, num(want).Equal(got), "%s: want %s, got %s", what, want, got)
}

func TestTradingE2ELimitAwayFromMarketRestsAndCancels(t *testing.T) {
	_, c := tradingClient(t, nil)
	ctx := context.Background()
	res, err := c.Orders.Place(ctx, limit(order(marginAccount, "AAPL", "BUY", "Limit", "10"), "200.00"))
	require.NoError(t, err)
	require.Len(t, res, 1)
	assert.Equal(t, "Sent order: Buy 10 AAPL @ 200.00 Limit", res[0].Message)
	id := res[0].OrderID

	assert.Contains(t, openIDs(t, c, marginAccount), id)
	o := byID(t, c, marginAccount, id)
	assert.Equal(t, "ACK", o.Status)
	assert.Equal(t, "Limit", o.OrderType)
	assertEq(t, "200", o.LimitPrice, "LimitPrice")
	require.Len(t, o.Legs, 1)
	assert.Equal(t, "Buy", o.Legs[0].BuyOrSell)
	assertEq(t, "10", o.Legs[0].QuantityRemaining, "QuantityRemaining")

	cr, err := c.Orders.Cancel(ctx, id)
	require.NoError(t, err)
	assert.Equal(t, id, cr.OrderID)
	assert.NotContains(t, openIDs(t, c, marginAccount), id)
	assert.True(t, byID(t, c, marginAccount, id).Canceled())

	_, err = c.Orders.Cancel(ctx, id)
	var te *tradestation.Error
	require.ErrorAs(t, err, &te, "a second cancel is refused")
	assert.ErrorIs(t, err, tradestation.ErrBadRequest)
	assert.Equal(t, "BadRequest", te.Code)

	_, err = c.Orders.Cancel(ctx, "999999")
	assert.ErrorIs(t, err, tradestation.ErrNotFound)
}

func TestTradingE2EMarketOrderFillsAndOpensPosition(t *testing.T) {
	_, c := tradingClient(t, nil)
	ctx := context.Background()
	res, err := c.Orders.Place(ctx, order(marginAccount, "NVDA", "BUY", "Market", "5"))
	require.NoError(t, err)
	require.Len(t, res, 1)
	o := byID(t, c, marginAccount, res[0].OrderID)
	require.True(t, o.Filled(), "status %s", o.Status)
	assertEq(t, "138.86", o.FilledPrice, "FilledPrice is the ask")
	assertEq(t, "5", o.Legs[0].ExecQuantity, "ExecQuantity")
	assert.False(t, o.ClosedDateTime.IsZero())

	pos, err := c.Positions.List(ctx, marginAccount, &tradestation.PositionsOptions{Symbol: "NVDA"})
	require.NoError(t, err)
	require.Len(t, pos, 1)
	assert.Equal(t, "NVDA", pos[0].Symbol)
	assert.Equal(t, "Long", pos[0].LongShort)
	assertEq(t, "5", pos[0].Quantity, "Quantity")
	assertEq(t, "138.86", pos[0].AveragePrice, "AveragePrice")

	bal, err := c.Accounts.Balances(ctx, marginAccount)
	require.NoError(t, err)
	assertEq(t, "102832.88", bal[0].CashBalance, "cash paid 5 x 138.86")
}

func TestTradingE2ELimitFillsWhenQuoteCrosses(t *testing.T) {
	srv, c := tradingClient(t, nil)
	ctx := context.Background()
	res, err := c.Orders.Place(ctx, limit(order(marginAccount, "INTC", "BUY", "Limit", "100"), "22.00"))
	require.NoError(t, err)
	id := res[0].OrderID
	require.NoError(t, srv.SetQuote("INTC", num("22.30")))
	assert.True(t, byID(t, c, marginAccount, id).Open(), "ask 22.31 is above the limit")
	require.NoError(t, srv.SetQuote("INTC", num("21.95")))
	o := byID(t, c, marginAccount, id)
	require.True(t, o.Filled(), "status %s", o.Status)
	assertEq(t, "21.96", o.FilledPrice, "FilledPrice")
	q, err := c.Quotes.Get(ctx, "INTC")
	require.NoError(t, err)
	assertEq(t, "21.95", q[0].Last, "the quote moved")
	assert.Error(t, srv.SetQuote("NOPE", num("1")))
	assert.Error(t, srv.SetQuote("INTC", num("0")))
}

func TestTradingE2EReplace(t *testing.T) {
	_, c := tradingClient(t, nil)
	ctx := context.Background()
	res, err := c.Orders.Place(ctx, limit(order(marginAccount, "CSCO", "BUY", "Limit", "10"), "50"))
	require.NoError(t, err)
	id := res[0].OrderID
	rr, err := c.Orders.Replace(ctx, id, &tradestation.OrderReplace{Quantity: num("20"), LimitPrice: num("51.5")})
	require.NoError(t, err)
	assert.Equal(t, id, rr.OrderID)
	assert.Equal(t, "Cancel/Replace order sent.", rr.Message)
	o := byID(t, c, marginAccount, id)
	assert.True(t, o.Open())
	assertEq(t, "51.5", o.LimitPrice, "LimitPrice")
	assertEq(t, "20", o.Legs[0].QuantityOrdered, "QuantityOrdered")

	_, err = c.Orders.Replace(ctx, id, &tradestation.OrderReplace{OrderType: "Market"})
	require.NoError(t, err)
	o = byID(t, c, marginAccount, id)
	require.True(t, o.Filled(), "converted to market, it fills: %s", o.Status)
	assertEq(t, "56.90", o.FilledPrice, "FilledPrice")

	_, err = c.Orders.Replace(ctx, id, &tradestation.OrderReplace{Quantity: num("1")})
	assert.ErrorIs(t, err, tradestation.ErrBadRequest, "a filled order cannot be replaced")
}

func TestTradingE2EOCOOneFillsOtherCancelled(t *testing.T) {
	srv, c := tradingClient(t, nil)
	ctx := context.Background()
	res, err := c.Orders.PlaceGroup(ctx, &tradestation.OrderGroup{Type: "OCO", Orders: []tradestation.OrderRequest{
		*limit(order(marginAccount, "KO", "BUY", "Limit", "10"), "60"),
		*stop(order(marginAccount, "KO", "BUY", "StopMarket", "10"), "65"),
	}})
	require.NoError(t, err)
	require.Len(t, res, 2)
	lim, stp := res[0].OrderID, res[1].OrderID
	o := byID(t, c, marginAccount, lim)
	assert.Equal(t, []tradestation.OrderRelationship{{OrderID: stp, Relationship: "OCO"}}, o.ConditionalOrders)
	assert.NotEmpty(t, o.GroupName)

	require.NoError(t, srv.SetQuote("KO", num("65.10")))
	assert.True(t, byID(t, c, marginAccount, stp).Filled(), "the stop triggered")
	assert.True(t, byID(t, c, marginAccount, lim).Canceled(), "its OCO sibling is cancelled")
}

func TestTradingE2EBracketAfterEntry(t *testing.T) {
	srv, c := tradingClient(t, nil)
	ctx := context.Background()
	entry := order(marginAccount, "PEP", "BUY", "Market", "10")
	entry.OSOs = []tradestation.OrderGroup{{Type: "BRK", Orders: []tradestation.OrderRequest{
		*limit(order(marginAccount, "PEP", "SELL", "Limit", "10"), "170"),
		*stop(order(marginAccount, "PEP", "SELL", "StopMarket", "10"), "150"),
	}}}
	res, err := c.Orders.Place(ctx, entry)
	require.NoError(t, err)
	require.Len(t, res, 3)
	parent, target, protect := res[0].OrderID, res[1].OrderID, res[2].OrderID
	require.True(t, byID(t, c, marginAccount, parent).Filled())
	tg := byID(t, c, marginAccount, target)
	assert.Equal(t, "ACK", tg.Status, "released once the entry filled")
	assert.Contains(t, tg.ConditionalOrders, tradestation.OrderRelationship{OrderID: protect, Relationship: "BRK"})
	assert.Contains(t, tg.ConditionalOrders, tradestation.OrderRelationship{OrderID: parent, Relationship: "OSP"})

	require.NoError(t, srv.SetQuote("PEP", num("149.50")))
	p := byID(t, c, marginAccount, protect)
	require.True(t, p.Filled(), "stop hit: %s", p.Status)
	assertEq(t, "149.49", p.FilledPrice, "sold at the bid")
	assert.True(t, byID(t, c, marginAccount, target).Canceled())
	pos, err := c.Positions.List(ctx, marginAccount, &tradestation.PositionsOptions{Symbol: "PEP"})
	require.NoError(t, err)
	assert.Empty(t, pos, "the bracket closed the position")
}

func TestTradingE2EBracketChildrenWaitForEntry(t *testing.T) {
	_, c := tradingClient(t, nil)
	ctx := context.Background()
	entry := limit(order(marginAccount, "WMT", "BUY", "Limit", "10"), "70")
	entry.OSOs = []tradestation.OrderGroup{{Type: "BRK", Orders: []tradestation.OrderRequest{
		*limit(order(marginAccount, "WMT", "SELL", "Limit", "10"), "80"),
	}}}
	res, err := c.Orders.Place(ctx, entry)
	require.NoError(t, err)
	require.Len(t, res, 2)
	assert.Equal(t, "DON", byID(t, c, marginAccount, res[1].OrderID).Status, "queued behind the entry")
	_, err = c.Orders.Cancel(ctx, res[0].OrderID)
	require.NoError(t, err)
	assert.True(t, byID(t, c, marginAccount, res[1].OrderID).Canceled(), "cancelled with its parent")
}

func TestTradingE2EHistoryPagesWithNextToken(t *testing.T) {
	_, c := tradingClient(t, nil)
	ctx := context.Background()
	var placed []string
	for range 5 {
		res, err := c.Orders.Place(ctx, order(marginAccount, "BAC", "BUY", "Market", "1"))
		require.NoError(t, err)
		placed = append(placed, res[0].OrderID)
	}
	since := time.Now().UTC().Format("2006-01-02")
	page, err := c.Orders.History(ctx, marginAccount, &tradestation.HistoryOptions{Since: since, PageSize: 2})
	require.NoError(t, err)
	var sizes []int
	var seen []string
	for p := page; p != nil; {
		sizes = append(sizes, len(p.Items))
		for _, o := range p.Items {
			seen = append(seen, o.OrderID)
		}
		if !p.HasNext() {
			break
		}
		p, err = p.Next(ctx)
		require.NoError(t, err)
	}
	assert.Equal(t, []int{2, 2, 1}, sizes)
	assert.ElementsMatch(t, placed, seen)

	n := 0
	for _, err := range page.All(ctx) {
		require.NoError(t, err)
		n++
	}
	assert.Equal(t, 5, n)

	lp, err := c.Orders.List(ctx, marginAccount, &tradestation.OrdersOptions{PageSize: 5})
	require.NoError(t, err)
	assert.Len(t, lp.Items, 5)
	require.True(t, lp.HasNext(), "a full page carries a nextToken")
	last, err := lp.Next(ctx)
	require.NoError(t, err)
	assert.Empty(t, last.Items)
	assert.False(t, last.HasNext())

	_, err = c.Orders.History(ctx, marginAccount, &tradestation.HistoryOptions{Since: "2001-01-01"})
	assert.ErrorIs(t, err, tradestation.ErrBadRequest, "more than 90 days back")
}

func TestTradingE2EConfirm(t *testing.T) {
	_, c := tradingClient(t, nil)
	ctx := context.Background()
	conf, err := c.Orders.Confirm(ctx, order(marginAccount, "MSFT", "BUY", "Market", "10"))
	require.NoError(t, err)
	require.Len(t, conf, 1)
	assertEq(t, "412.38", conf[0].EstimatedPrice, "EstimatedPrice")
	assertEq(t, "4123.8", conf[0].EstimatedCost, "EstimatedCost")
	assert.Equal(t, "Buy 10 MSFT @ Market", conf[0].SummaryMessage)
	assert.Equal(t, "EQUITY", conf[0].OrderAssetCategory)
	assert.NotEmpty(t, conf[0].OrderConfirmID)
	assert.Empty(t, openIDs(t, c, marginAccount), "confirming places nothing")

	// The confirmation's ID prevents placing the same order twice.
	o := order(marginAccount, "MSFT", "BUY", "Market", "1")
	o.OrderConfirmID = conf[0].OrderConfirmID
	_, err = c.Orders.Place(ctx, o)
	require.NoError(t, err)
	_, err = c.Orders.Place(ctx, o)
	var pe *tradestation.PartialError
	require.ErrorAs(t, err, &pe)

	gc, err := c.Orders.ConfirmGroup(ctx, &tradestation.OrderGroup{Type: "OCO", Orders: []tradestation.OrderRequest{
		*limit(order(marginAccount, "MSFT", "SELL", "Limit", "1"), "450"),
		*stop(order(marginAccount, "MSFT", "SELL", "StopMarket", "1"), "400"),
	}})
	require.NoError(t, err)
	require.Len(t, gc, 2)
	assert.Equal(t, "Sell 1 MSFT @ 450.00 Limit", gc[0].SummaryMessage)
	assert.Equal(t, "Sell 1 MSFT @ 400.00 Stop Market", gc[1].SummaryMessage)
}

func TestTradingE2ERejections(t *testing.T) {
	_, c := tradingClient(t, nil)
	ctx := context.Background()
	res, err := c.Orders.Place(ctx, order(cashAccount, "NVDA", "BUY", "Market", "1000"))
	var pe *tradestation.PartialError
	require.ErrorAs(t, err, &pe, "insufficient buying power comes back in Errors[]")
	assert.Empty(t, res)
	require.Len(t, pe.Failed, 1)
	for id, reason := range pe.Failed {
		assert.Contains(t, reason, "FAILED: Order failed. Reason: Insufficient buying power")
		o := byID(t, c, cashAccount, id)
		assert.True(t, o.Rejected())
		assert.Contains(t, o.RejectReason, "Insufficient buying power")
	}

	_, err = c.Orders.Place(ctx, order(cashAccount, "NOSUCH", "BUY", "Market", "1"))
	require.ErrorAs(t, err, &pe)
	for _, reason := range pe.Failed {
		assert.Contains(t, reason, "Invalid symbol")
	}

	_, err = c.Orders.Place(ctx, order("99999999", "MSFT", "BUY", "Market", "1"))
	var te *tradestation.Error
	require.ErrorAs(t, err, &te, "an unknown account is refused as a whole")
	assert.Equal(t, http.StatusBadRequest, te.StatusCode)
	assert.Equal(t, "BadRequest", te.Code)
	assert.Contains(t, te.Message, "AccountID")
}

func TestTradingE2ENeedsTradeScope(t *testing.T) {
	_, c := tradingClient(t, nil, "openid", "MarketData", "ReadAccount")
	_, err := c.Orders.Place(context.Background(), order(marginAccount, "MSFT", "BUY", "Market", "1"))
	assert.ErrorIs(t, err, tradestation.ErrForbidden)
}

func TestTradingE2ERateLimitOnOrderReads(t *testing.T) {
	l := tradestationtest.DefaultRateLimits()
	l.Accounts = 2
	_, c := tradingClient(t, []tradestationtest.Option{tradestationtest.WithRateLimits(l)})
	ctx := context.Background()
	for range 2 {
		_, err := c.Orders.List(ctx, marginAccount, nil)
		require.NoError(t, err)
	}
	_, err := c.Orders.List(ctx, marginAccount, nil)
	var rl *auth.RateLimitError
	require.ErrorAs(t, err, &rl)
	var te *tradestation.Error
	require.ErrorAs(t, err, &te)
	assert.Equal(t, "TooManyRequests", te.Code)
	assert.Equal(t, 2, rl.Limit)
}

func TestTradingE2ERoutesAndTriggers(t *testing.T) {
	_, c := tradingClient(t, nil)
	ctx := context.Background()
	routes, err := c.Orders.Routes(ctx)
	require.NoError(t, err)
	require.NotEmpty(t, routes)
	assert.Equal(t, "Intelligent", routes[0].ID)
	trig, err := c.Orders.ActivationTriggers(ctx)
	require.NoError(t, err)
	require.Len(t, trig, 12)
	assert.Equal(t, "STT", trig[0].Key)
}

func TestTradingE2EBars(t *testing.T) {
	_, c := tradingClient(t, nil)
	ctx := context.Background()
	bars, err := c.Bars.Get(ctx, "MSFT", &tradestation.BarsOptions{Unit: "Daily", BarsBack: 5})
	require.NoError(t, err)
	require.Len(t, bars, 5)
	for i, b := range bars {
		assert.True(t, b.High.GreaterThanOrEqual(decimal.Max(b.Open, b.Close)), "bar %d high", i)
		assert.True(t, b.Low.LessThanOrEqual(decimal.Min(b.Open, b.Close)), "bar %d low", i)
		if i > 0 {
			assert.Equal(t, 24*time.Hour, b.TimeStamp.Sub(bars[i-1].TimeStamp.Time), "daily steps, oldest first")
		}
	}
	assertEq(t, "412.37", bars[4].Close, "the last bar closes at the last price")
	assert.True(t, bars[4].IsEndOfHistory)

	mins, err := c.Bars.Get(ctx, "MSFT", &tradestation.BarsOptions{Unit: "Minute", Interval: 5, BarsBack: 3})
	require.NoError(t, err)
	require.Len(t, mins, 3)
	assert.Equal(t, 5*time.Minute, mins[1].TimeStamp.Sub(mins[0].TimeStamp.Time))

	_, err = c.Bars.Get(ctx, "NOSUCH", nil)
	assert.ErrorIs(t, err, tradestation.ErrBadRequest)
}

func TestTradingE2ESymbols(t *testing.T) {
	_, c := tradingClient(t, nil)
	syms, err := c.Symbols.Get(context.Background(), "MSFT", "@ES", "NOSUCH")
	var pe *tradestation.PartialError
	require.ErrorAs(t, err, &pe)
	assert.Contains(t, pe.Failed, "NOSUCH")
	require.Len(t, syms, 2)
	assert.Equal(t, "MSFT", syms[0].Symbol)
	assert.Equal(t, "STOCK", syms[0].AssetType)
	assertEq(t, "0.01", syms[0].PriceFormat.Increment, "Increment")
	assert.Equal(t, "FUTURE", syms[1].AssetType)
	assertEq(t, "50", syms[1].PriceFormat.PointValue, "PointValue")
	assert.Equal(t, "ESZ26", syms[1].Underlying)
}

// errIsInput is errors.Is with ErrInvalidInput, for brevity.
func errIsInput(err error) bool { return errors.Is(err, tradestation.ErrInvalidInput) }

func TestTradingInputErrorsBeforeSending(t *testing.T) {
	srv, _ := tradingClient(t, nil)
	ctx := context.Background()
	var hits atomic.Int32
	count := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		hits.Add(1)
		return srv.Client().Transport.RoundTrip(r)
	})
	c := tradestation.NewClient(&http.Client{Transport: count}, tradestation.WithBaseURL(srv.URL()))
	for name, call := range map[string]func() error{
		"no order": func() error { _, err := c.Orders.Place(ctx, nil); return err },
		"no quantity": func() error {
			_, err := c.Orders.Place(ctx, order(marginAccount, "MSFT", "BUY", "Market", "0"))
			return err
		},
		"limit sans px": func() error {
			_, err := c.Orders.Place(ctx, order(marginAccount, "MSFT", "BUY", "Limit", "1"))
			return err
		},
		"market with px": func() error {
			_, err := c.Orders.Place(ctx, limit(order(marginAccount, "MSFT", "BUY", "Market", "1"), "1"))
			return err
		},
		"bad type": func() error {
			_, err := c.Orders.Place(ctx, order(marginAccount, "MSFT", "BUY", "Bogus", "1"))
			return err
		},
		"bad group":     func() error { _, err := c.Orders.PlaceGroup(ctx, &tradestation.OrderGroup{Type: "XYZ"}); return err },
		"dashed id":     func() error { _, err := c.Orders.Cancel(ctx, "1-2345-6789"); return err },
		"empty replace": func() error { _, err := c.Orders.Replace(ctx, "123", &tradestation.OrderReplace{}); return err },
		"replace to lim": func() error {
			_, err := c.Orders.Replace(ctx, "123", &tradestation.OrderReplace{OrderType: "Limit"})
			return err
		},
		"no since": func() error { _, err := c.Orders.History(ctx, marginAccount, nil); return err },
		"page size": func() error {
			_, err := c.Orders.List(ctx, marginAccount, &tradestation.OrdersOptions{PageSize: 601})
			return err
		},
		"no order ids": func() error { _, err := c.Orders.Get(ctx, marginAccount); return err },
		"bars unit":    func() error { _, err := c.Bars.Get(ctx, "MSFT", &tradestation.BarsOptions{Unit: "Hourly"}); return err },
		"bars exclusive": func() error {
			_, err := c.Bars.Get(ctx, "MSFT", &tradestation.BarsOptions{BarsBack: 2, FirstDate: "2026-01-01"})
			return err
		},
		"symbols none":    func() error { _, err := c.Symbols.Get(ctx); return err },
		"symbol w/ comma": func() error { _, err := c.Symbols.Get(ctx, "A,B"); return err },
	} {
		assert.Truef(t, errIsInput(call()), "%s: want ErrInvalidInput", name)
	}
	assert.Zero(t, hits.Load(), "nothing was sent")
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestTradingE2ESimHostKeepsItsOwnBook(t *testing.T) {
	srv := tradestationtest.NewServer()
	t.Cleanup(srv.Close)
	tok, err := srv.IssueV3("openid", "MarketData", "ReadAccount", "Trade")
	require.NoError(t, err)
	cfg := srv.Config()
	cfg.Environment = auth.Sim
	p, err := tradestation.New(cfg)
	require.NoError(t, err)
	sim := p.NewClient(fixedToken{tok})
	ctx := context.Background()
	res, err := sim.Orders.Place(ctx, order("SIM1182747M", "AMD", "BUY", "Market", "3"))
	require.NoError(t, err)
	assert.True(t, byID(t, sim, "SIM1182747M", res[0].OrderID).Filled())

	live, err := srv.Provider()
	require.NoError(t, err)
	_, err = live.NewClient(fixedToken{tok}).Orders.Place(ctx, order("SIM1182747M", "AMD", "BUY", "Market", "3"))
	assert.ErrorIs(t, err, tradestation.ErrBadRequest, "a SIM account is unknown on the live host")
}
