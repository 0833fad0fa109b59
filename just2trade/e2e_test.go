package just2trade_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/just2trade"
	"github.com/brokerkit/brokerkit/just2trade/just2tradetest"
)

// session is a logged-in user of an emulator: provider, token source,
// client and the clock both sides read.
type session struct {
	srv   *just2tradetest.Server
	clock *just2tradetest.TestClock
	p     *just2trade.Provider
	src   *auth.Source
	c     *just2trade.Client
	tok   *auth.Token
}

func login(t *testing.T, opts ...just2tradetest.Option) *session {
	t.Helper()
	return loginAt(t, time.Now(), opts...)
}

// loginAt logs in with the emulator's clock (shared with the token
// source) starting at start. The login flow's own deadline is counted on
// the wall clock, so start may be any moment.
func loginAt(t *testing.T, start time.Time, opts ...just2tradetest.Option) *session {
	t.Helper()
	clock := just2tradetest.NewTestClock(start)
	srv := just2tradetest.NewServer(append([]just2tradetest.Option{just2tradetest.WithClock(clock.Now)}, opts...)...)
	t.Cleanup(srv.Close)
	p, err := srv.Provider()
	require.NoError(t, err)
	ctx := context.Background()
	tok, err := srv.Login(ctx, p)
	require.NoError(t, err)
	src, err := auth.NewSource(p, auth.NewMemoryStore(), auth.Key(p.Name(), "tess"), auth.SourceOptions{Now: clock.Now})
	require.NoError(t, err)
	require.NoError(t, src.SetToken(ctx, tok))
	c := p.NewClient(src, just2trade.WithBaseTransport(srv.Client().Transport))
	return &session{srv: srv, clock: clock, p: p, src: src, c: c, tok: tok}
}

func TestEndToEnd(t *testing.T) {
	s := login(t)
	ctx := context.Background()
	assert.True(t, s.tok.Expiry.Equal(s.clock.Now().Add(24*time.Hour)), "24-hour token: %s", s.tok.Expiry)

	prof, err := s.c.Profile.Get(ctx)
	require.NoError(t, err)
	assert.Equal(t, just2tradetest.UserID, prof.ID)
	require.Len(t, prof.Accounts, 2)
	assert.Equal(t, just2tradetest.PrimaryAccount, prof.Accounts[0].AccountNumber)
	assert.Equal(t, "ETNA", prof.Accounts[1].TradePlatform)

	bals, err := s.c.Accounts.List(ctx)
	require.NoError(t, err)
	require.Len(t, bals, 2)
	startCash := bals[0].Cash
	assert.True(t, startCash.Equal(decimal.RequireFromString("12500.10")), startCash.String())

	pos, err := s.c.Positions.List(ctx, just2tradetest.PrimaryAccount, nil)
	require.NoError(t, err)
	require.Len(t, pos, 2)
	assert.Equal(t, "AAPL", pos[0].Symbol)
	assert.True(t, pos[0].Quantity.Equal(decimal.NewFromInt(20)))

	_, err = s.c.Positions.List(ctx, "99999999@vision", nil)
	assert.ErrorIs(t, err, just2trade.ErrNotFound)

	qs, err := s.c.Quotes.Get(ctx, "AAPL")
	require.NoError(t, err)
	require.Len(t, qs, 1)
	ask := qs[0].Ask
	assert.True(t, ask.Equal(decimal.RequireFromString("172.15")))
	qs, err = s.c.Quotes.Get(ctx, "MSFT", "BRK B", "GOOG")
	require.NoError(t, err)
	require.Len(t, qs, 3)
	assert.Equal(t, "BRK B", qs[1].Symbol)

	bars, err := s.c.Quotes.History(ctx, "AAPL", just2trade.PeriodDay, s.clock.Now().AddDate(0, 0, -10), s.clock.Now())
	require.NoError(t, err)
	assert.Len(t, bars, 10)
	for _, b := range bars {
		assert.True(t, b.High.GreaterThanOrEqual(decimal.Max(b.Open, b.Close)) && b.Low.LessThanOrEqual(decimal.Min(b.Open, b.Close)))
	}
	found, err := s.c.Quotes.Search(ctx, "ba", 1)
	require.NoError(t, err)
	assert.Equal(t, []just2trade.Security{{Symbol: "BA", Description: "Boeing Co"}}, found.Items)
	assert.Equal(t, 2, found.Total, "BA and BAC")

	// A buy that is valid and fills.
	buy := just2trade.OrderRequest{AccountNumber: just2tradetest.PrimaryAccount, Symbol: "AAPL",
		Quantity: decimal.NewFromInt(10), Type: just2trade.Market, Side: just2trade.Buy}
	require.NoError(t, s.c.Orders.Validate(ctx, buy))
	id, err := s.c.Orders.Place(ctx, buy)
	require.NoError(t, err)
	o, err := s.c.Orders.Get(ctx, id)
	require.NoError(t, err)
	assert.Equal(t, just2trade.StatusPendingNew, o.Status, "accepted, not yet processed")
	active, err := s.c.Orders.Active(ctx, just2tradetest.PrimaryAccount)
	require.NoError(t, err)
	require.Len(t, active, 1)
	assert.Equal(t, id, active[0].ID())
	s.clock.Advance(2 * time.Second)
	o, err = s.c.Orders.Get(ctx, id)
	require.NoError(t, err)
	assert.Equal(t, just2trade.StatusFilled, o.Status)
	assert.True(t, o.ExecutedPrice.Equal(ask))
	assert.True(t, o.ExecutedQuantity.Equal(decimal.NewFromInt(10)))
	bals, err = s.c.Accounts.List(ctx)
	require.NoError(t, err)
	assert.True(t, bals[0].Cash.Equal(startCash.Sub(ask.Mul(decimal.NewFromInt(10)))), bals[0].Cash.String())
	pos, err = s.c.Positions.List(ctx, just2tradetest.PrimaryAccount, nil)
	require.NoError(t, err)
	assert.True(t, pos[0].Quantity.Equal(decimal.NewFromInt(30)))
	trades, err := s.c.Accounts.Trades(ctx, just2tradetest.PrimaryAccount, s.clock.Now().UTC(), nil)
	require.NoError(t, err)
	require.Equal(t, 1, trades.Total)
	assert.Equal(t, just2trade.TradeBuy, trades.Items[0].Side)
	txs, err := s.c.Accounts.Transactions(ctx, just2tradetest.PrimaryAccount,
		&just2trade.TransactionsOptions{Start: s.clock.Now().UTC(), End: s.clock.Now().UTC()})
	require.NoError(t, err)
	require.Equal(t, 1, txs.Total)
	assert.Equal(t, "BUY:EXCH:STD", txs.Items[0].Type)
	assert.True(t, txs.Items[0].Asset.Price.Equal(ask))

	// A buy the broker refuses: Validate says so, Place takes it and
	// rejects it later.
	big := buy
	big.Quantity = decimal.NewFromInt(1_000_000)
	err = s.c.Orders.Validate(ctx, big)
	var ve *just2trade.ValidationError
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, "Insufficient buying power", ve.Message)
	id, err = s.c.Orders.Place(ctx, big)
	require.NoError(t, err, "placing succeeds; the rejection is asynchronous")
	s.clock.Advance(2 * time.Second)
	o, err = s.c.Orders.Wait(ctx, id, time.Millisecond)
	require.NoError(t, err)
	assert.Equal(t, just2trade.StatusRejected, o.Status)

	// A limit order below the market keeps working until cancelled.
	limit := buy
	limit.Type, limit.Price, limit.TimeInForce = just2trade.Limit, decimal.RequireFromString("100.00"), just2trade.GoodTillCancel
	id, err = s.c.Orders.Place(ctx, limit)
	require.NoError(t, err)
	s.clock.Advance(2 * time.Second)
	o, err = s.c.Orders.Get(ctx, id)
	require.NoError(t, err)
	assert.Equal(t, just2trade.StatusNew, o.Status)
	_, err = s.c.Orders.Cancel(ctx, id, "no longer wanted")
	require.NoError(t, err)
	s.clock.Advance(2 * time.Second)
	o, err = s.c.Orders.Get(ctx, id)
	require.NoError(t, err)
	assert.Equal(t, just2trade.StatusCanceled, o.Status)
	_, err = s.c.Orders.Cancel(ctx, id, "")
	assert.ErrorIs(t, err, just2trade.ErrBadRequest, "a final order cannot be cancelled")

	_, err = s.c.Orders.Get(ctx, "ORD-999999")
	assert.ErrorIs(t, err, just2trade.ErrNotFound)
}

func TestSteadyUseStaysLoggedIn(t *testing.T) {
	s := login(t)
	ctx := context.Background()
	start := s.clock.Now()
	// 23 hours of a call every 20 minutes, then past the 24 hours that the
	// first token would have lived: still logged in.
	for s.clock.Now().Sub(start) < 26*time.Hour {
		_, err := s.c.Accounts.List(ctx)
		require.NoError(t, err, "after %s", s.clock.Now().Sub(start))
		s.clock.Advance(20 * time.Minute)
	}
	tok, err := s.src.TokenContext(ctx)
	require.NoError(t, err)
	assert.Equal(t, s.tok.AccessToken, tok.AccessToken, "same token all along: no re-login")
	serverExp, ok := s.srv.TokenExpiry(tok.AccessToken)
	require.True(t, ok)
	assert.WithinDuration(t, serverExp, tok.Expiry, time.Second, "local expiry follows the server's")

	// The window counts from the last call: 23 idle hours more are fine.
	s.clock.Advance(23 * time.Hour)
	_, err = s.c.Profile.Get(ctx)
	require.NoError(t, err)
}

func TestIdleBeyond24HoursNeedsLogin(t *testing.T) {
	s := login(t)
	ctx := context.Background()
	_, err := s.c.Accounts.List(ctx)
	require.NoError(t, err)
	s.clock.Advance(23 * time.Hour)
	_, err = s.c.Accounts.List(ctx)
	require.NoError(t, err, "23 hours idle is within the window")

	s.clock.Advance(25 * time.Hour)
	_, err = s.c.Accounts.List(ctx)
	require.Error(t, err)
	assert.ErrorIs(t, err, auth.ErrReauthRequired)
	assert.NotContains(t, err.Error(), s.tok.AccessToken)
	// The source says so without a request, too.
	_, err = s.src.TokenContext(ctx)
	assert.ErrorIs(t, err, auth.ErrReauthRequired)
}

func TestRevokedTokenNeedsLogin(t *testing.T) {
	s := login(t)
	ctx := context.Background()
	require.True(t, s.srv.InvalidateToken(s.tok.AccessToken))
	_, err := s.c.Profile.Get(ctx)
	assert.ErrorIs(t, err, auth.ErrReauthRequired)
}

func TestLimeFixedExpiry(t *testing.T) {
	// Logged in at 10:00 EST (15:00 UTC) on a winter day: the token
	// lapses at 3:00 EST (8:00 UTC) the next morning.
	s := loginAt(t, time.Date(2026, 1, 15, 15, 0, 0, 0, time.UTC), just2tradetest.WithLime())
	ctx := context.Background()
	assert.Equal(t, just2trade.EnvLime, s.p.Environment())
	assert.False(t, s.p.Capabilities().SlidingExpiry)
	want := time.Date(2026, 1, 16, 8, 0, 0, 0, time.UTC)
	assert.True(t, s.tok.Expiry.Equal(want), "token expiry %s, want %s", s.tok.Expiry, want)
	serverExp, ok := s.srv.TokenExpiry(s.tok.AccessToken)
	require.True(t, ok)
	assert.True(t, serverExp.Equal(want))

	// Use does not prolong it.
	for range 5 {
		_, err := s.c.Accounts.List(ctx)
		require.NoError(t, err)
		s.clock.Advance(time.Minute)
	}
	tok, err := s.src.TokenContext(ctx)
	require.NoError(t, err)
	assert.True(t, tok.Expiry.Equal(want))
	serverExp, _ = s.srv.TokenExpiry(s.tok.AccessToken)
	assert.True(t, serverExp.Equal(want))

	s.clock.Set(want.Add(time.Second))
	_, err = s.c.Accounts.List(ctx)
	assert.ErrorIs(t, err, auth.ErrReauthRequired)
}

func TestAuthenticationHeaderSpelling(t *testing.T) {
	s := login(t)
	for _, h := range []string{"Authorization", "Authentication"} {
		req, err := http.NewRequest(http.MethodGet, s.srv.URL()+"/accounts", nil)
		require.NoError(t, err)
		req.Header.Set(h, "Bearer "+s.tok.AccessToken)
		resp, err := s.srv.Client().Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, http.StatusOK, resp.StatusCode, h)
	}
	req, _ := http.NewRequest(http.MethodGet, s.srv.URL()+"/accounts", nil)
	req.Header.Set("Authorization", "Bearer wrong")
	resp, err := s.srv.Client().Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
}

func TestFaultsReachTheClient(t *testing.T) {
	s := login(t)
	ctx := context.Background()
	s.srv.Faults().Next("/orders/place", just2tradetest.Fault{Status: http.StatusServiceUnavailable,
		Body: `{"code":"api_error","message":"maintenance"}`, ContentType: "application/json"}, 1)
	_, err := s.c.Orders.Place(ctx, just2trade.OrderRequest{AccountNumber: just2tradetest.PrimaryAccount,
		Symbol: "AAPL", Quantity: decimal.NewFromInt(1)})
	assert.ErrorIs(t, err, auth.ErrUnavailable)
	var e *just2trade.Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, "maintenance", e.Message)

	// A read is retried past one 503.
	s.srv.Faults().Next("/accounts", just2tradetest.Fault{Status: http.StatusServiceUnavailable}, 1)
	_, err = s.c.Accounts.List(ctx)
	require.NoError(t, err)

	s.srv.Faults().Next("/accounts", just2tradetest.Fault{Malformed: true}, 1)
	_, err = s.c.Accounts.List(ctx)
	assert.ErrorIs(t, err, auth.ErrInvalidResponse)
	assert.False(t, errors.Is(err, auth.ErrReauthRequired))
}

// WithRetry is usable outside the module: its policy type is exported
// from this package, not only from internal/rest.
func TestRetryPolicyFromOutside(t *testing.T) {
	s := login(t)
	c := s.p.NewClient(s.src, just2trade.WithRetry(just2trade.RetryPolicy{MaxAttempts: 1}))
	s.srv.Faults().Next("/accounts", just2tradetest.Fault{Status: http.StatusServiceUnavailable}, 1)
	_, err := c.Accounts.List(context.Background())
	assert.ErrorIs(t, err, auth.ErrUnavailable, "one attempt: the 503 is not retried")
}
