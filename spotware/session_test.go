package spotware_test

import (
	"context"
	"errors"
	"sync"
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

// env is an emulator, a logged-in token source and a dialled session.
type env struct {
	srv    *spotwaretest.Server
	prov   *spotware.Provider
	tokens *auth.Source
	store  *auth.MemoryStore
	sess   *spotware.Session
	events *eventLog
}

// fast are the short intervals the tests run with.
func fast(cfg spotware.SessionConfig) spotware.SessionConfig {
	cfg.RequestTimeout = 2 * time.Second
	cfg.HeartbeatInterval = 200 * time.Millisecond
	cfg.StallTimeout = 1500 * time.Millisecond
	cfg.ReconnectMin = 20 * time.Millisecond
	cfg.ReconnectMax = 200 * time.Millisecond
	return cfg
}

func newEnv(t *testing.T, srvOpts []spotwaretest.Option, tweak func(*spotware.SessionConfig)) *env {
	t.Helper()
	srvOpts = append([]spotwaretest.Option{spotwaretest.WithSpotPeriod(20*time.Millisecond, 1),
		spotwaretest.WithHeartbeat(200 * time.Millisecond), spotwaretest.WithIdleTimeout(3 * time.Second)}, srvOpts...)
	srv := spotwaretest.NewServer(srvOpts...)
	t.Cleanup(srv.Close)
	ctx := t.Context()
	p, err := srv.Provider()
	require.NoError(t, err)
	tok, err := srv.Login(ctx, p)
	require.NoError(t, err)
	store := auth.NewMemoryStore()
	ts, err := auth.NewSource(p, store, auth.Key(spotware.Name, "1001"))
	require.NoError(t, err)
	require.NoError(t, ts.SetToken(ctx, tok))
	cfg := fast(srv.SessionConfig(ts))
	if tweak != nil {
		tweak(&cfg)
	}
	s, err := spotware.Dial(ctx, cfg)
	require.NoError(t, err)
	e := &env{srv: srv, prov: p, tokens: ts, store: store, sess: s, events: watch(s)}
	t.Cleanup(func() { _ = s.Close() })
	return e
}

// eventLog records a session's events.
type eventLog struct {
	mu  sync.Mutex
	all []spotware.Event
	new chan struct{}
}

func watch(s *spotware.Session) *eventLog {
	l := &eventLog{new: make(chan struct{}, 1)}
	go func() {
		for e := range s.Events() {
			l.mu.Lock()
			l.all = append(l.all, e)
			l.mu.Unlock()
			select {
			case l.new <- struct{}{}:
			default:
			}
		}
	}()
	return l
}

func (l *eventLog) count(k spotware.EventKind) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, e := range l.all {
		if e.Kind == k {
			n++
		}
	}
	return n
}

// waitFor waits until n events of kind k have been seen.
func (l *eventLog) waitFor(t *testing.T, k spotware.EventKind, n int, within time.Duration) {
	t.Helper()
	deadline := time.After(within)
	for l.count(k) < n {
		select {
		case <-l.new:
		case <-deadline:
			l.mu.Lock()
			defer l.mu.Unlock()
			t.Fatalf("waited %s for %d %q events; saw %v", within, n, k, l.all)
		}
	}
}

// quoteStream is what StreamQuotes returns.
type quoteStream = *stream.Stream[spotware.Quote]

// collect reads quotes from sub for d, or until it is closed.
func collect(t *testing.T, sub quoteStream, d time.Duration) []spotware.Quote {
	t.Helper()
	var out []spotware.Quote
	deadline := time.After(d)
	for {
		select {
		case q, ok := <-sub.C():
			if !ok {
				return out
			}
			out = append(out, q)
		case <-deadline:
			return out
		}
	}
}

// checkQuotes verifies quotes against the emulator's deterministic stream:
// each symbol's quotes are consecutive ticks from 0, with the last known
// value of a side that a tick did not carry.
func checkQuotes(t *testing.T, quotes []spotware.Quote, account int64) map[int64]int {
	t.Helper()
	seen := map[int64]int{}
	last := map[int64]spotwaretest.Tick{}
	for _, q := range quotes {
		require.Equal(t, account, q.AccountID)
		n := uint64(seen[q.SymbolID])
		tick, ok := spotwaretest.PriceAt(q.SymbolID, n)
		require.True(t, ok)
		prev := last[q.SymbolID]
		if tick.HasBid {
			prev.Bid = tick.Bid
		}
		if tick.HasAsk {
			prev.Ask = tick.Ask
		}
		last[q.SymbolID] = prev
		require.True(t, q.HasBid && q.HasAsk, "tick 0 carries both sides, so both are known")
		require.True(t, decimal.New(int64(prev.Bid), -5).Equal(q.Bid), "symbol %d tick %d bid %s want %d", q.SymbolID, n, q.Bid, prev.Bid)
		require.True(t, decimal.New(int64(prev.Ask), -5).Equal(q.Ask), "symbol %d tick %d ask %s", q.SymbolID, n, q.Ask)
		require.False(t, q.Time.IsZero())
		seen[q.SymbolID]++
	}
	return seen
}

func TestEndToEnd(t *testing.T) {
	e := newEnv(t, nil, nil)
	ctx := t.Context()
	s := e.sess

	prof, err := s.Profile(ctx)
	require.NoError(t, err)
	require.Equal(t, spotwaretest.UserID, prof.UserID)

	list, err := s.Accounts(ctx)
	require.NoError(t, err)
	require.Equal(t, spotware.ScopeTrading, list.Scope)
	require.Len(t, list.Accounts, 3)
	var live, demo int
	for _, a := range list.Accounts {
		require.Equal(t, spotwaretest.BrokerName, a.BrokerName)
		if a.IsLive {
			live++
		} else {
			demo++
		}
	}
	require.Equal(t, 1, live)
	require.Equal(t, 2, demo)

	require.NoError(t, s.AuthorizeAccount(ctx, spotwaretest.DemoAccount))
	require.NoError(t, s.AuthorizeAccount(ctx, spotwaretest.DemoAccountPrecise))

	tr, err := s.Trader(ctx, spotwaretest.DemoAccount)
	require.NoError(t, err)
	require.Equal(t, "10000", tr.Balance.String())
	require.Equal(t, int32(2), tr.MoneyDigits)
	require.Equal(t, "100", tr.Leverage.String())
	tr, err = s.Trader(ctx, spotwaretest.DemoAccountPrecise)
	require.NoError(t, err)
	require.Equal(t, "100.53099944", tr.Balance.String(), "balance scaled by moneyDigits, not by 100")
	assets, err := s.Assets(ctx, spotwaretest.DemoAccountPrecise)
	require.NoError(t, err)
	var currency string
	for _, a := range assets {
		if a.ID == tr.DepositAssetID {
			currency = a.Name
		}
	}
	require.Equal(t, "USD", currency)

	syms, err := s.Symbols(ctx, spotwaretest.DemoAccount)
	require.NoError(t, err)
	require.Len(t, syms, 4)
	digits := map[string]int32{}
	for _, sy := range syms {
		digits[sy.Name] = sy.Digits
	}
	require.Equal(t, map[string]int32{"EUR/USD": 5, "GBP/USD": 5, "USD/JPY": 3, "XAU/USD": 2}, digits)

	sub, err := s.StreamQuotes(ctx, spotwaretest.DemoAccount, spotwaretest.EURUSD, spotwaretest.GBPUSD, spotwaretest.XAUUSD)
	require.NoError(t, err)
	quotes := collect(t, sub, 2*time.Second)
	seen := checkQuotes(t, quotes, spotwaretest.DemoAccount)
	for _, id := range []int64{spotwaretest.EURUSD, spotwaretest.GBPUSD, spotwaretest.XAUUSD} {
		require.Greater(t, seen[id], 10, "symbol %d", id)
	}
	require.Equal(t, 3, e.srv.Subscriptions())
	st := sub.Stats()
	require.GreaterOrEqual(t, st.Events, uint64(len(quotes)))
	require.Positive(t, st.Heartbeats, "the server's heartbeats reach the stream")
	require.Zero(t, st.Reconnects)
	require.NoError(t, sub.Close())
	for range sub.C() {
	}
	require.NoError(t, sub.Err())
	require.Zero(t, e.srv.Subscriptions(), "Close unsubscribes before it returns")
	require.NoError(t, sub.Close(), "Close is idempotent")
	require.Greater(t, e.srv.Received(51), 0, "the client sends heartbeats")
	require.Zero(t, e.events.count(spotware.EventDisconnected))
}

func TestDialRefusedApplication(t *testing.T) {
	srv := spotwaretest.NewServer()
	t.Cleanup(srv.Close)
	cfg := fast(srv.SessionConfig(nil))
	cfg.ClientSecret = "wrong"
	_, err := spotware.Dial(t.Context(), cfg)
	var se *spotware.Error
	require.ErrorAs(t, err, &se)
	require.Equal(t, "CH_CLIENT_AUTH_FAILURE", se.Code)
	require.Equal(t, openapi.ProtoOAErrorCode_CH_CLIENT_AUTH_FAILURE, se.OACode())
	require.ErrorIs(t, err, auth.ErrInvalidClient)
	require.NotContains(t, err.Error(), "wrong")
	require.Eventually(t, func() bool { return srv.Connections() == 0 }, time.Second, 10*time.Millisecond, "server closes after 101")
}

var _ = errors.New
var _ = context.Background

var errReauth = auth.ErrReauthRequired
