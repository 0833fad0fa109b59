package providers_test

import (
	"context"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/autoshares"
	"github.com/brokerkit/brokerkit/just2trade"
	"github.com/brokerkit/brokerkit/providers"
	"github.com/brokerkit/brokerkit/providers/providerstest"
	"github.com/brokerkit/brokerkit/spotware"
	"github.com/brokerkit/brokerkit/tradestation"
)

// directPlacers place the same resting limit order as the benchmark's
// OrderRequest through each broker's own client, built from the same
// provider and token source as the view.
var directPlacers = map[string]func(tb testing.TB, p auth.Provider, src auth.TokenSource, r providers.OrderRequest) func(context.Context) error{
	tradestation.Name: func(tb testing.TB, p auth.Provider, src auth.TokenSource, r providers.OrderRequest) func(context.Context) error {
		c := p.(*tradestation.Provider).NewClient(src)
		return func(ctx context.Context) error {
			_, err := c.Orders.Place(ctx, &tradestation.OrderRequest{AccountID: r.Account, Symbol: r.Symbol,
				Quantity: r.Quantity, OrderType: "Limit", TradeAction: "BUY",
				TimeInForce: tradestation.TimeInForce{Duration: "GTC"}, LimitPrice: r.LimitPrice})
			return err
		}
	},
	just2trade.Name: func(tb testing.TB, p auth.Provider, src auth.TokenSource, r providers.OrderRequest) func(context.Context) error {
		c := p.(*just2trade.Provider).NewClient(src)
		return func(ctx context.Context) error {
			_, err := c.Orders.Place(ctx, just2trade.OrderRequest{AccountNumber: r.Account, Symbol: r.Symbol,
				Quantity: r.Quantity, Price: r.LimitPrice, TimeInForce: just2trade.GoodTillCancel,
				Type: just2trade.Limit, Side: just2trade.Buy})
			return err
		}
	},
	autoshares.Name: func(tb testing.TB, p auth.Provider, src auth.TokenSource, r providers.OrderRequest) func(context.Context) error {
		c := p.(*autoshares.Provider).NewClient(src)
		acct, err := strconv.ParseInt(r.Account, 10, 64)
		require.NoError(tb, err)
		return func(ctx context.Context) error {
			_, err := c.Orders.Place(ctx, acct, autoshares.OrderRequest{Symbol: r.Symbol, Type: autoshares.OrderLimit,
				Side: autoshares.SideBuy, Quantity: r.Quantity, Price: r.LimitPrice,
				TimeInForce: autoshares.TimeInForceGoodTillCancel})
			return err
		}
	},
	spotware.Name: func(tb testing.TB, p auth.Provider, src auth.TokenSource, r providers.OrderRequest) func(context.Context) error {
		ctx := context.Background()
		sp := p.(interface {
			SessionConfig(auth.TokenSource) spotware.SessionConfig
		})
		s, err := spotware.Dial(ctx, sp.SessionConfig(src))
		require.NoError(tb, err)
		tb.Cleanup(func() { _ = s.Close() })
		acct, err := strconv.ParseInt(r.Account, 10, 64)
		require.NoError(tb, err)
		require.NoError(tb, s.AuthorizeAccount(ctx, acct))
		syms, err := s.Symbols(ctx, acct)
		require.NoError(tb, err)
		var id int64
		for _, sym := range syms {
			if symbolKey(sym.Name) == symbolKey(r.Symbol) {
				id = sym.ID
			}
		}
		require.NotZero(tb, id)
		return func(ctx context.Context) error {
			_, err := s.PlaceOrder(ctx, acct, spotware.OrderRequest{SymbolID: id, Side: spotware.Buy,
				Type: spotware.Limit, Volume: r.Quantity, LimitPrice: r.LimitPrice})
			return err
		}
	},
}

// paceBatch is how many interleaved pairs BenchmarkPlaceOrder sends per
// second at most.
const paceBatch = 20

// BenchmarkPlaceOrder places a resting limit order through the
// cross-broker API and through the broker's own client, interleaved in one
// run against the same emulator, and reports both and their ratio (ns/op
// includes the pacing sleeps; the providers-ns/op and direct-ns/op
// metrics do not).
func BenchmarkPlaceOrder(b *testing.B) {
	for _, name := range providers.Names() {
		b.Run(name, func(b *testing.B) {
			ctx := context.Background()
			br, err := providers.Builtin().Lookup(name)
			require.NoError(b, err)
			em, err := providerstest.Start(name)
			require.NoError(b, err)
			defer em.Close()
			p, err := em.Provider(em.Config())
			require.NoError(b, err)
			tok, err := em.Login(ctx, p)
			require.NoError(b, err)
			src, err := auth.NewSource(p, auth.NewMemoryStore(), "bench")
			require.NoError(b, err)
			require.NoError(b, src.SetToken(ctx, tok))
			if br.Ready != nil {
				_, err := br.Ready(ctx, p, src, true)
				require.NoError(b, err)
			}
			v, err := br.View(ctx, p, src)
			require.NoError(b, err)
			defer v.Close()
			accts, err := v.Accounts(ctx)
			require.NoError(b, err)
			qs, err := v.Quotes(ctx, br.Symbols[0])
			require.NoError(b, err)
			r := providers.OrderRequest{Account: accts[0].ID, Symbol: br.Symbols[0], Side: providers.Buy,
				Type: providers.Limit, TimeInForce: providers.GTC, Quantity: br.Lot,
				LimitPrice: qs[0].Bid.Decimal.Mul(decimal.RequireFromString("0.9")).RoundDown(2)}
			direct := directPlacers[name](b, p, src, r)
			via := func(ctx context.Context) error { _, err := v.PlaceOrder(ctx, r); return err }

			tVia := make([]time.Duration, 0, b.N)
			tDirect := make([]time.Duration, 0, b.N)
			timed := func(f func(context.Context) error, samples *[]time.Duration) {
				start := time.Now()
				if err := f(ctx); err != nil {
					b.Fatal(err)
				}
				*samples = append(*samples, time.Since(start))
			}
			b.ResetTimer()
			batch := time.Now()
			for i := 0; i < b.N; i++ {
				// Stay under the brokers' request rates (cTrader's session
				// throttles at 50 a second): a throttled side's waits would
				// let the other side's budget refill and skew the ratio.
				if i > 0 && i%paceBatch == 0 {
					time.Sleep(time.Until(batch.Add(time.Second)))
					batch = time.Now()
				}
				if i%2 == 0 {
					timed(via, &tVia)
					timed(direct, &tDirect)
				} else {
					timed(direct, &tDirect)
					timed(via, &tVia)
				}
			}
			mVia, mDirect := median(tVia), median(tDirect)
			b.ReportMetric(float64(mVia.Nanoseconds()), "providers-median-ns")
			b.ReportMetric(float64(mDirect.Nanoseconds()), "direct-median-ns")
			b.ReportMetric(float64(mVia)/float64(mDirect), "ratio")
			// The median of each pair's ratio cancels drift in the
			// emulator's state and the machine's load over the run.
			pairs := make([]time.Duration, len(tVia))
			for i := range tVia {
				pairs[i] = time.Duration(1e6 * float64(tVia[i]) / float64(tDirect[i]))
			}
			b.ReportMetric(float64(median(pairs))/1e6, "pair-ratio")
		})
	}
}

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}
