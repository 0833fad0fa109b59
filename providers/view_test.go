package providers_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/autoshares"
	"github.com/brokerkit/brokerkit/autoshares/autosharestest"
	"github.com/brokerkit/brokerkit/just2trade"
	"github.com/brokerkit/brokerkit/just2trade/just2tradetest"
	"github.com/brokerkit/brokerkit/providers"
	"github.com/brokerkit/brokerkit/spotware"
	"github.com/brokerkit/brokerkit/spotware/spotwaretest"
	"github.com/brokerkit/brokerkit/tradestation"
	"github.com/brokerkit/brokerkit/tradestation/tradestationtest"
)

func manager(t *testing.T, p auth.Provider, tok *auth.Token, opts ...auth.ManagerOption) *auth.Manager {
	t.Helper()
	m, err := auth.NewManager(p, auth.NewMemoryStore(), opts...)
	require.NoError(t, err)
	require.NoError(t, m.SetToken(context.Background(), "u1", tok))
	return m
}

// checkView runs every View method against a logged-in emulator user and
// checks the shapes every adapter must produce.
func checkView(t *testing.T, v providers.View, broker string, symbols []string) []providers.Account {
	t.Helper()
	ctx := context.Background()
	assert.Equal(t, broker, v.Broker())
	prof, err := v.Profile(ctx)
	require.NoError(t, err)
	assert.Equal(t, broker, prof.Broker)
	assert.NotEmpty(t, prof.UserID)
	assert.NotNil(t, prof.Raw)

	accts, err := v.Accounts(ctx)
	require.NoError(t, err)
	require.NotEmpty(t, accts)
	for _, a := range accts {
		assert.NotEmpty(t, a.ID)
		assert.NotNil(t, a.Raw)
	}
	bal, err := v.Balances(ctx, accts[0].ID)
	require.NoError(t, err)
	assert.Equal(t, accts[0].ID, bal.AccountID)
	assert.False(t, bal.Cash.IsZero(), "seeded accounts hold cash")

	qs, err := v.Quotes(ctx, symbols...)
	require.NoError(t, err)
	require.Len(t, qs, len(symbols))
	for i, q := range qs {
		assert.Equal(t, symbols[i], q.Symbol)
		require.True(t, q.Bid.Valid && q.Ask.Valid, "%s has both sides", q.Symbol)
		assert.True(t, q.Ask.Decimal.GreaterThanOrEqual(q.Bid.Decimal), "%s: ask %s < bid %s", q.Symbol, q.Ask.Decimal, q.Bid.Decimal)
		assert.True(t, q.Bid.Decimal.IsPositive())
	}
	_, err = v.Balances(ctx, "no-such-account")
	assert.Error(t, err)
	return accts
}

func checkPositions(t *testing.T, v providers.View, account string) []providers.Position {
	t.Helper()
	ps, err := v.Positions(context.Background(), account)
	require.NoError(t, err)
	require.NotEmpty(t, ps)
	for _, p := range ps {
		assert.NotEmpty(t, p.Symbol)
		assert.False(t, p.Quantity.IsZero())
		require.True(t, p.MarketPrice.Valid, p.Symbol)
		require.True(t, p.UnrealizedPL.Valid, p.Symbol)
	}
	return ps
}

func TestTradeStationView(t *testing.T) {
	srv := tradestationtest.NewServer()
	defer srv.Close()
	ctx := context.Background()
	p, err := tradestation.New(srv.Config())
	require.NoError(t, err)
	flow, err := auth.Begin(p)
	require.NoError(t, err)
	cb, err := srv.Consent(context.Background(), flow.URL)
	require.NoError(t, err)
	tok, err := flow.CompleteURL(ctx, p, cb)
	require.NoError(t, err)
	m := manager(t, p, tok)
	v := providers.NewTradeStationView(tradestation.NewClient(m.Client("u1"), tradestation.WithProvider(p)))
	accts := checkView(t, v, providers.TradeStation, []string{"MSFT", "AAPL"})
	ps := checkPositions(t, v, accts[0].ID)
	// TradeStation reports its own figures: the adapter passes them through.
	raw := ps[0].Raw.(tradestation.Position)
	assert.True(t, raw.UnrealizedProfitLoss.Equal(ps[0].UnrealizedPL.Decimal))

	qs, err := v.Quotes(ctx, "MSFT", "NOSUCHSYMBOL")
	var pe *providers.PartialError
	require.True(t, errors.As(err, &pe), "%v", err)
	assert.Contains(t, pe.Failed, "NOSUCHSYMBOL")
	assert.Len(t, qs, 1, "the good quote comes back beside the partial error")
}

func TestJust2TradeView(t *testing.T) {
	srv := just2tradetest.NewServer()
	defer srv.Close()
	p, err := srv.Provider()
	require.NoError(t, err)
	tok, err := srv.Login(context.Background(), p)
	require.NoError(t, err)
	m := manager(t, p, tok)
	v := providers.NewJust2TradeView(just2trade.NewClient(m.Client("u1"), just2trade.WithProvider(p)))
	accts := checkView(t, v, providers.Just2Trade, []string{"AAPL", "MSFT"})
	ps := checkPositions(t, v, accts[0].ID)
	raw := ps[0].Raw.(just2trade.Position)
	want := raw.CurrentPrice.Sub(raw.AverageOpenPrice).Mul(raw.Quantity)
	assert.True(t, want.Equal(ps[0].UnrealizedPL.Decimal), "P/L is (price - average) x quantity, exactly")
}

func TestAutoSharesView(t *testing.T) {
	srv := autosharestest.NewServer()
	defer srv.Close()
	ctx := context.Background()
	p, err := srv.Provider()
	require.NoError(t, err)
	tok, err := srv.Login(ctx, p)
	require.NoError(t, err)
	m := manager(t, p, tok)
	c := p.NewClient(m.Source("u1"))
	_, err = c.Agreements.SignAllRequired(ctx, autoshares.Me) // the seeded trader has agreements pending
	require.NoError(t, err)
	v := providers.NewAutoSharesView(c)
	accts := checkView(t, v, providers.AutoShares, []string{"AAPL", "MSFT"})
	ps := checkPositions(t, v, accts[0].ID)
	for _, p := range ps {
		assert.True(t, p.MarketPrice.Decimal.Sub(p.AveragePrice).Mul(p.Quantity).Equal(p.UnrealizedPL.Decimal))
	}
	_, err = v.Balances(ctx, "not-a-number")
	assert.ErrorIs(t, err, autoshares.ErrInvalidInput)
	qs, err := v.Quotes(ctx, "AAPL", "NOPE")
	var pe *providers.PartialError
	require.ErrorAs(t, err, &pe)
	assert.Contains(t, pe.Failed, "NOPE")
	assert.Len(t, qs, 1)
}

// spotwareSession logs in at a cTrader emulator and returns a session with
// its first account authorized.
func spotwareSession(t *testing.T, ctx context.Context) (*spotware.Session, int64) {
	t.Helper()
	srv := spotwaretest.NewServer()
	t.Cleanup(srv.Close)
	p, err := srv.Provider()
	require.NoError(t, err)
	tok, err := srv.Login(ctx, p)
	require.NoError(t, err)
	src, err := auth.NewSource(p, auth.NewMemoryStore(), "u1")
	require.NoError(t, err)
	require.NoError(t, src.SetToken(ctx, tok))
	s, err := spotware.Dial(ctx, srv.SessionConfig(src))
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	list, err := s.Accounts(ctx)
	require.NoError(t, err)
	require.NotEmpty(t, list.Accounts)
	account := list.Accounts[0].ID
	require.NoError(t, s.AuthorizeAccount(ctx, account))
	return s, account
}

func TestSpotwareView(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, account := spotwareSession(t, ctx)

	v := providers.NewSpotwareView(s, account)
	for _, a := range checkView(t, v, providers.Spotware, []string{"EURUSD", "GBPUSD"}) {
		assert.Equal(t, map[bool]string{true: "live", false: "demo"}[a.Live], a.Type)
	}
	_, err := v.Positions(ctx, "1")
	assert.ErrorIs(t, err, auth.ErrUnsupported, "what a broker cannot provide is ErrUnsupported, not an empty list")
	qs, err := v.Quotes(ctx, "EURUSD", "NOPE")
	var pe *providers.PartialError
	require.True(t, errors.As(err, &pe), "%v", err)
	assert.Len(t, qs, 1)
}

// A symbol asked for twice (or spelt two ways) is one subscription and one
// price, and each asked-for spelling gets its quote: the wait for prices
// must not count the duplicate as a price still to come.
func TestSpotwareViewDuplicateSymbols(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, account := spotwareSession(t, ctx)

	v := providers.NewSpotwareView(s, account)
	qctx, qcancel := context.WithTimeout(ctx, 5*time.Second)
	defer qcancel()
	symbols := []string{"EURUSD", "GBPUSD", "eur/usd", "EURUSD"}
	qs, err := v.Quotes(qctx, symbols...)
	require.NoError(t, err)
	require.Len(t, qs, len(symbols))
	for i, q := range qs {
		assert.Equal(t, symbols[i], q.Symbol)
		assert.True(t, q.Bid.Valid && q.Ask.Valid, q.Symbol)
	}
	assert.True(t, qs[0].Bid.Decimal.Equal(qs[2].Bid.Decimal), "one symbol, one price")
}

// TestEmulatorsShareHelpers: every emulator answers Consent (the callback
// URL for a flow) and Login (a whole login) the same way.
func TestEmulatorsShareHelpers(t *testing.T) {
	ctx := context.Background()
	type emulator interface {
		Consent(ctx context.Context, authURL string) (string, error)
		Close()
	}
	ts := tradestationtest.NewServer()
	tsP, err := ts.Provider()
	require.NoError(t, err)
	j2t := just2tradetest.NewServer()
	j2tP, err := j2t.Provider()
	require.NoError(t, err)
	as := autosharestest.NewServer()
	asP, err := as.Provider()
	require.NoError(t, err)
	sw := spotwaretest.NewServer()
	swP, err := sw.Provider()
	require.NoError(t, err)
	logins := map[string]func() (*auth.Token, error){
		providers.TradeStation: func() (*auth.Token, error) { return ts.Login(ctx, tsP) },
		providers.Just2Trade:   func() (*auth.Token, error) { return j2t.Login(ctx, j2tP) },
		providers.AutoShares: func() (*auth.Token, error) {
			return as.Login(ctx, asP)
		},
		providers.Spotware: func() (*auth.Token, error) { return sw.Login(ctx, swP) },
	}
	for name, c := range map[string]struct {
		emu emulator
		p   auth.Provider
	}{
		providers.TradeStation: {ts, tsP}, providers.Just2Trade: {j2t, j2tP},
		providers.AutoShares: {as, asP}, providers.Spotware: {sw, swP},
	} {
		t.Run(name, func(t *testing.T) {
			defer c.emu.Close()
			flow, err := auth.Begin(c.p)
			require.NoError(t, err)
			cb, err := c.emu.Consent(ctx, flow.URL)
			require.NoError(t, err)
			tok, err := flow.CompleteURL(ctx, c.p, cb)
			require.NoError(t, err)
			assert.Equal(t, name, tok.Provider)
			tok2, err := logins[name]()
			require.NoError(t, err)
			assert.NotEqual(t, tok.AccessToken, tok2.AccessToken, "a second login gets its own token")
		})
	}
}
