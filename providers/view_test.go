package providers_test

import (
	"context"
	"errors"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/autoshares"
	"github.com/brokerkit/brokerkit/just2trade"
	"github.com/brokerkit/brokerkit/providers"
	"github.com/brokerkit/brokerkit/providers/providerstest"
	"github.com/brokerkit/brokerkit/spotware"
	"github.com/brokerkit/brokerkit/tradestation"
)

// openView starts the named broker's emulator, logs its seeded user in,
// readies the user where the broker asks for it, and opens the registry's
// view of them.
func openView(t *testing.T, name string) providers.View {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	em, err := providerstest.Start(name)
	require.NoError(t, err)
	t.Cleanup(em.Close)
	p, err := em.Provider(em.Config())
	require.NoError(t, err)
	tok, err := em.Login(ctx, p)
	require.NoError(t, err)
	src, err := auth.NewSource(p, auth.NewMemoryStore(), "u1")
	require.NoError(t, err)
	require.NoError(t, src.SetToken(ctx, tok))
	b, err := providers.Builtin().Lookup(name)
	require.NoError(t, err)
	if b.Ready != nil {
		_, err := b.Ready(ctx, p, src, true)
		require.NoError(t, err)
	}
	v, err := b.View(ctx, p, src)
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, v.Close()) })
	return v
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

// TestEveryBuiltinView runs every builtin broker's view over its
// emulator, through the registry and providerstest alone.
func TestEveryBuiltinView(t *testing.T) {
	r := providers.Builtin()
	for _, name := range r.Names() {
		t.Run(name, func(t *testing.T) {
			b, err := r.Lookup(name)
			require.NoError(t, err)
			require.Len(t, b.Symbols, 3)
			checkView(t, openView(t, name), name, b.Symbols)
		})
	}
}

func TestTradeStationView(t *testing.T) {
	ctx := context.Background()
	v := openView(t, tradestation.Name)
	accts := checkView(t, v, tradestation.Name, []string{"MSFT", "AAPL"})
	ps := checkPositions(t, v, accts[0].ID)
	// TradeStation reports its own figures: the adapter passes them through.
	raw := ps[0].Raw.(tradestation.Position)
	assert.True(t, raw.UnrealizedProfitLoss.Equal(ps[0].UnrealizedPL.Decimal))

	qs, err := v.Quotes(ctx, "MSFT", "NOSUCHSYMBOL")
	var pe *providers.PartialError
	require.True(t, errors.As(err, &pe), "%v", err)
	assert.Contains(t, pe.Failed, "NOSUCHSYMBOL")
	assert.Len(t, qs, 1, "the good quote comes back beside the partial error")
	var tpe *tradestation.PartialError
	assert.ErrorAs(t, err, &tpe, "the broker's partial error passes through unchanged")
}

func TestJust2TradeView(t *testing.T) {
	v := openView(t, just2trade.Name)
	accts := checkView(t, v, just2trade.Name, []string{"AAPL", "MSFT"})
	ps := checkPositions(t, v, accts[0].ID)
	raw := ps[0].Raw.(just2trade.Position)
	want := raw.CurrentPrice.Sub(raw.AverageOpenPrice).Mul(raw.Quantity)
	assert.True(t, want.Equal(ps[0].UnrealizedPL.Decimal), "P/L is (price - average) x quantity, exactly")
}

func TestAutoSharesView(t *testing.T) {
	ctx := context.Background()
	v := openView(t, autoshares.Name)
	accts := checkView(t, v, autoshares.Name, []string{"AAPL", "MSFT"})
	ps := checkPositions(t, v, accts[0].ID)
	for _, p := range ps {
		assert.True(t, p.MarketPrice.Decimal.Sub(p.AveragePrice).Mul(p.Quantity).Equal(p.UnrealizedPL.Decimal))
	}
	_, err := v.Balances(ctx, "not-a-number")
	assert.ErrorIs(t, err, autoshares.ErrInvalidInput)
	qs, err := v.Quotes(ctx, "AAPL", "NOPE")
	var pe *providers.PartialError
	require.ErrorAs(t, err, &pe)
	assert.Contains(t, pe.Failed, "NOPE")
	assert.Len(t, qs, 1)
}

// TestAutoSharesReady: the entry's Ready names the pending agreements,
// signs them when asked, and then has nothing left to say.
func TestAutoSharesReady(t *testing.T) {
	ctx := context.Background()
	em, err := providerstest.Start(autoshares.Name)
	require.NoError(t, err)
	defer em.Close()
	p, err := em.Provider(em.Config())
	require.NoError(t, err)
	tok, err := em.Login(ctx, p)
	require.NoError(t, err)
	src, err := auth.NewSource(p, auth.NewMemoryStore(), "u1")
	require.NoError(t, err)
	require.NoError(t, src.SetToken(ctx, tok))
	b, err := providers.Builtin().Lookup(autoshares.Name)
	require.NoError(t, err)
	note, err := b.Ready(ctx, p, src, false)
	require.NoError(t, err)
	assert.Contains(t, note, "sign these agreements at AutoShares")
	note, err = b.Ready(ctx, p, src, true)
	require.NoError(t, err)
	assert.Equal(t, "signed 2 pending agreements", note)
	note, err = b.Ready(ctx, p, src, false)
	require.NoError(t, err)
	assert.Empty(t, note)
}

func TestSpotwareView(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	v := openView(t, "spotware")
	accts := checkView(t, v, "spotware", []string{"EURUSD", "GBPUSD"})
	for _, a := range accts {
		assert.Equal(t, map[bool]string{true: "live", false: "demo"}[a.Live], a.Type)
	}
	ps, err := v.Positions(ctx, accts[0].ID)
	require.NoError(t, err, "positions come from a reconcile")
	assert.Empty(t, ps, "the seeded account holds no position")
	_, err = v.Positions(ctx, "1")
	assert.ErrorIs(t, err, spotware.ErrNotFound, "an account the token does not grant")
	qs, err := v.Quotes(ctx, "EURUSD", "NOPE")
	var pe *providers.PartialError
	require.True(t, errors.As(err, &pe), "%v", err)
	assert.Len(t, qs, 1)
}

// A symbol asked for twice (or spelt two ways) is one subscription and one
// price, and each asked-for spelling gets its quote: the wait for prices
// must not count the duplicate as a price still to come.
func TestSpotwareViewDuplicateSymbols(t *testing.T) {
	v := openView(t, "spotware")
	qctx, qcancel := context.WithTimeout(context.Background(), 5*time.Second)
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

// TestEmulatorsShareHelpers: every emulator logs its user in through the
// same interface, and each login gets its own token.
func TestEmulatorsShareHelpers(t *testing.T) {
	ctx := context.Background()
	for _, name := range providerstest.Names() {
		t.Run(name, func(t *testing.T) {
			em, err := providerstest.Start(name)
			require.NoError(t, err)
			defer em.Close()
			assert.Equal(t, name, em.Name())
			p, err := em.Provider(em.Config())
			require.NoError(t, err)
			flow, err := auth.Begin(p)
			require.NoError(t, err)
			assert.True(t, strings.HasPrefix(flow.URL, em.URL()+"/"), "the login goes to the emulator: %s", flow.URL)
			cb, err := em.Browser(em.User()).Login(ctx, flow.URL)
			require.NoError(t, err)
			tok, err := flow.CompleteURL(ctx, p, cb)
			require.NoError(t, err)
			assert.Equal(t, name, tok.Provider)
			tok2, err := em.Login(ctx, p)
			require.NoError(t, err)
			assert.NotEqual(t, tok.AccessToken, tok2.AccessToken, "a second login gets its own token")
		})
	}
	_, err := providerstest.Start("robinhood")
	var ue *providers.UnknownBrokerError
	assert.ErrorAs(t, err, &ue)
}

// hostRecorder stands in for the network: it records the host of every
// request and answers 503 without sending anything.
type hostRecorder struct {
	mu    sync.Mutex
	hosts []string
}

func (h *hostRecorder) RoundTrip(r *http.Request) (*http.Response, error) {
	h.mu.Lock()
	h.hosts = append(h.hosts, r.URL.Host)
	h.mu.Unlock()
	return &http.Response{StatusCode: http.StatusServiceUnavailable, Status: "503 Service Unavailable",
		Header: http.Header{}, Body: http.NoBody, Request: r}, nil
}

func (h *hostRecorder) take() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := h.hosts
	h.hosts = nil
	return out
}

type spotwareSessionConfig = spotware.SessionConfig

// staticSource hands out one unexpiring token.
type staticSource struct{ tok *auth.Token }

func (s staticSource) TokenContext(context.Context) (*auth.Token, error) { return s.tok, nil }

// TestEnvironmentPicksTheAPIHost: for every builtin broker, each of its
// environments reaches its own API host, the one of the environment asked
// for (the TradeStation view once logged in at sim and read from live).
// The network is replaced by a recorder, so nothing leaves the machine.
func TestEnvironmentPicksTheAPIHost(t *testing.T) {
	rec := &hostRecorder{}
	saved := http.DefaultTransport
	http.DefaultTransport = rec
	t.Cleanup(func() { http.DefaultTransport = saved })
	// Where each environment's API lives, from the brokers' documentation.
	want := map[string]map[auth.Environment]string{
		"autoshares":   {auth.Live: "api.autoshares.com", auth.Demo: "api.autoshares.dev"},
		"just2trade":   {"just2trade": "api.just2trade.com", "lime": "api.lime.co"},
		"spotware":     {auth.Live: "live.ctraderapi.com", auth.Demo: "demo.ctraderapi.com"},
		"tradestation": {auth.Live: "api.tradestation.com", auth.Sim: "sim-api.tradestation.com"},
	}
	r := providers.Builtin()
	require.ElementsMatch(t, r.Names(), slices.Collect(maps.Keys(want)))
	for _, name := range r.Names() {
		b, err := r.Lookup(name)
		require.NoError(t, err)
		require.Len(t, want[name], len(b.Row.Environments), name)
		seen := map[string]auth.Environment{}
		for _, env := range b.Row.Environments {
			cfg := providers.Config{ClientID: "id", ClientSecret: "secret", APIKey: "key", Domain: "tenant.example.com",
				RedirectURL: "https://app.example.com/callback/" + name, Environment: env}
			p, err := b.New(cfg)
			require.NoError(t, err, name)
			var host string
			if sp, ok := p.(interface {
				SessionConfig(auth.TokenSource) spotwareSessionConfig
			}); ok {
				host = sp.SessionConfig(nil).Addr // a Protobuf session: where it dials
			} else {
				src := staticSource{&auth.Token{Provider: name, AccessToken: "at", TokenType: "Bearer"}}
				v, err := b.View(context.Background(), p, src)
				require.NoError(t, err, name)
				_, err = v.Accounts(context.Background())
				require.Error(t, err, "the recorder answers 503")
				hosts := rec.take()
				require.NotEmpty(t, hosts, "%s %s sent nothing", name, env)
				for _, h := range hosts[1:] {
					assert.Equal(t, hosts[0], h, "%s %s: one host per environment", name, env)
				}
				host = hosts[0]
			}
			if u, err := url.Parse("//" + host); err == nil {
				host = u.Hostname()
			}
			other, dup := seen[host]
			assert.False(t, dup, "%s: %s and %s both reach %s", name, other, env, host)
			seen[host] = env
			assert.Equal(t, want[name][env], host, "%s %s", name, env)
			assert.NotContains(t, host, "127.0.0.1", "no BaseURL: a real host")
		}
	}
}
