package providers_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/internal/oauthsim"
	"github.com/brokerkit/brokerkit/internal/rest"
	"github.com/brokerkit/brokerkit/providers"
	"github.com/brokerkit/brokerkit/providers/providerstest"
)

// openTrader is openView that also returns the emulator, for its faults.
func openTrader(t *testing.T, name string) (providers.View, providerstest.Emulator) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	em, err := providerstest.Start(name)
	require.NoError(t, err)
	t.Cleanup(em.Close)
	v, err := em.View(ctx)
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, v.Close()) })
	return v, em
}

// awayPrice is a buy limit 10% under the bid, in cents: it will not fill.
func awayPrice(t *testing.T, v providers.View, symbol string) decimal.Decimal {
	t.Helper()
	qs, err := v.Quotes(context.Background(), symbol)
	require.NoError(t, err)
	require.Len(t, qs, 1)
	require.True(t, qs[0].Bid.Valid, "%s has a bid", symbol)
	return qs[0].Bid.Decimal.Mul(decimal.RequireFromString("0.9")).RoundDown(2)
}

// symbolKey matches EURUSD with EUR/USD, in any case.
func symbolKey(s string) string { return strings.ToUpper(strings.ReplaceAll(s, "/", "")) }

// settled polls an order until it is no longer open.
func settled(ctx context.Context, t *testing.T, v providers.View, acct, id string) *providers.Order {
	t.Helper()
	for {
		o, err := v.GetOrder(ctx, acct, id)
		require.NoError(t, err)
		if o.Status != providers.StatusOpen {
			return o
		}
		select {
		case <-ctx.Done():
			t.Fatalf("order %s still open: %v", id, ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func orderIDs(os []providers.Order) []string {
	ids := make([]string, len(os))
	for i, o := range os {
		ids[i] = o.ID
	}
	return ids
}

// TestTraderEndToEnd places a resting limit order on every emulator,
// reads it back, lists and cancels it, then fills a market order and finds
// the position it opened, all through the one Trader API.
func TestTraderEndToEnd(t *testing.T) {
	for _, name := range providers.Names() {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			b, err := providers.Builtin().Lookup(name)
			require.NoError(t, err)
			v, _ := openTrader(t, name)
			accts, err := v.Accounts(ctx)
			require.NoError(t, err)
			acct, sym := accts[0].ID, b.Symbols[0]
			limit := awayPrice(t, v, sym)

			placed, err := v.PlaceOrder(ctx, providers.OrderRequest{Account: acct, Symbol: sym, Side: providers.Buy,
				Type: providers.Limit, TimeInForce: providers.GTC, Quantity: b.Lot, LimitPrice: limit})
			require.NoError(t, err)
			require.NotEmpty(t, placed.ID)
			assert.Equal(t, name, placed.Broker)
			assert.Equal(t, providers.StatusOpen, placed.Status)
			assert.Equal(t, providers.Limit, placed.Type)
			assert.Equal(t, providers.Buy, placed.Side)
			assert.True(t, placed.LimitPrice.Equal(limit), "limit %s, want %s", placed.LimitPrice, limit)
			assert.True(t, placed.Quantity.Equal(b.Lot), "quantity %s", placed.Quantity)
			assert.NotNil(t, placed.Raw)

			got, err := v.GetOrder(ctx, acct, placed.ID)
			require.NoError(t, err)
			assert.Equal(t, placed.ID, got.ID)
			assert.Equal(t, providers.StatusOpen, got.Status)
			assert.Equal(t, symbolKey(sym), symbolKey(got.Symbol))

			list, err := v.ListOrders(ctx, acct)
			require.NoError(t, err)
			assert.Contains(t, orderIDs(list), placed.ID)

			require.NoError(t, v.CancelOrder(ctx, acct, placed.ID))
			got = settled(ctx, t, v, acct, placed.ID) // a broker may cancel later
			assert.Equal(t, providers.StatusCanceled, got.Status)
			list, err = v.ListOrders(ctx, acct)
			require.NoError(t, err)
			for _, o := range list {
				if o.ID == placed.ID {
					assert.NotEqual(t, providers.StatusOpen, o.Status, "a cancelled order is not open")
				}
			}

			filled, err := v.PlaceOrder(ctx, providers.OrderRequest{Account: acct, Symbol: sym, Side: providers.Buy,
				Type: providers.Market, Quantity: b.Lot})
			require.NoError(t, err)
			filled = settled(ctx, t, v, acct, filled.ID)
			require.Equal(t, providers.StatusFilled, filled.Status)
			assert.True(t, filled.FilledQuantity.Equal(b.Lot), "filled %s", filled.FilledQuantity)
			assert.True(t, filled.FillPrice.IsPositive(), "fill price %s", filled.FillPrice)

			ps, err := v.Positions(ctx, acct)
			require.NoError(t, err)
			i := slices.IndexFunc(ps, func(p providers.Position) bool { return symbolKey(p.Symbol) == symbolKey(sym) })
			require.GreaterOrEqual(t, i, 0, "a position in %s after the fill: %+v", sym, ps)
			assert.True(t, ps[i].Quantity.GreaterThanOrEqual(b.Lot), "position %s", ps[i].Quantity)
		})
	}
}

// unsupported is an order the broker's API row cannot express, on a
// supported base: a type it lacks, else a time in force it lacks, else a
// client order ID where it has none.
func unsupported(t *testing.T, a providers.APIRow, r providers.OrderRequest) providers.OrderRequest {
	t.Helper()
	for _, typ := range []providers.OrderType{providers.StopLimit, providers.Stop} {
		if !slices.Contains(a.OrderTypes, typ) {
			r.Type, r.StopPrice = typ, r.LimitPrice.Add(decimal.NewFromInt(1))
			if typ == providers.Stop {
				r.LimitPrice = decimal.Zero
			}
			return r
		}
	}
	for _, tif := range []providers.TimeInForce{providers.FOK, providers.IOC, providers.Day, providers.GTC} {
		if !slices.Contains(a.TimeInForce, tif) {
			r.TimeInForce = tif
			return r
		}
	}
	require.False(t, a.ClientOrderID, "the builtin rows all lack something")
	r.ClientOrderID = "abc123"
	return r
}

// TestTraderRefusesUnsupported holds every broker's PlaceOrder to its API
// row: what the row lacks is refused with auth.ErrUnsupported, and neither
// the emulator's HTTP side nor its order book sees anything.
func TestTraderRefusesUnsupported(t *testing.T) {
	for _, name := range providers.Names() {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			b, err := providers.Builtin().Lookup(name)
			require.NoError(t, err)
			v, em := openTrader(t, name)
			accts, err := v.Accounts(ctx)
			require.NoError(t, err)
			acct := accts[0].ID
			before, err := v.ListOrders(ctx, acct)
			require.NoError(t, err)

			base := providers.OrderRequest{Account: acct, Symbol: b.Symbols[0], Side: providers.Buy,
				Type: providers.Limit, Quantity: b.Lot, LimitPrice: awayPrice(t, v, b.Symbols[0])}
			req := unsupported(t, b.API, base)
			// A tripwire: any HTTP request now takes this fault.
			em.Faults().Next("", oauthsim.Fault{Status: http.StatusTeapot}, 1)
			_, err = v.PlaceOrder(ctx, req)
			require.ErrorIs(t, err, auth.ErrUnsupported, "%+v", req)
			assert.Equal(t, 1, em.Faults().Pending(), "a request reached the emulator's HTTP side")
			em.Faults().Clear()

			after, err := v.ListOrders(ctx, acct)
			require.NoError(t, err)
			assert.Equal(t, orderIDs(before), orderIDs(after), "the order book changed")
		})
	}
}

// TestTraderTripwire shows the tripwire above catches a request: the same
// fault armed before a real order call is taken by it (REST brokers).
func TestTraderTripwire(t *testing.T) {
	for _, name := range []string{"autoshares", "just2trade", "tradestation"} {
		t.Run(name, func(t *testing.T) {
			v, em := openTrader(t, name)
			accts, err := v.Accounts(context.Background())
			require.NoError(t, err)
			em.Faults().Next("", oauthsim.Fault{Status: http.StatusTeapot}, 1)
			_, _ = v.ListOrders(context.Background(), accts[0].ID)
			assert.Equal(t, 0, em.Faults().Pending())
		})
	}
}

// TestOrderRequestChecks: incomplete requests are input errors, refused
// before sending, on every broker alike.
func TestOrderRequestChecks(t *testing.T) {
	ok := providers.OrderRequest{Account: "A1", Symbol: "MSFT", Side: providers.Buy, Type: providers.Limit,
		Quantity: decimal.NewFromInt(1), LimitPrice: decimal.NewFromInt(10)}
	bad := map[string]func(*providers.OrderRequest){
		"no account":       func(r *providers.OrderRequest) { r.Account = "" },
		"no symbol":        func(r *providers.OrderRequest) { r.Symbol = "" },
		"side":             func(r *providers.OrderRequest) { r.Side = "hold" },
		"zero quantity":    func(r *providers.OrderRequest) { r.Quantity = decimal.Zero },
		"negative qty":     func(r *providers.OrderRequest) { r.Quantity = decimal.NewFromInt(-1) },
		"type":             func(r *providers.OrderRequest) { r.Type = "iceberg" },
		"limit w/o price":  func(r *providers.OrderRequest) { r.LimitPrice = decimal.Zero },
		"market w/ limit":  func(r *providers.OrderRequest) { r.Type = providers.Market },
		"stop w/o stop":    func(r *providers.OrderRequest) { r.Type, r.LimitPrice = providers.Stop, decimal.Zero },
		"stop-limit w/o s": func(r *providers.OrderRequest) { r.Type = providers.StopLimit },
	}
	for _, name := range providers.Names() {
		v, _ := openTrader(t, name)
		for what, mutate := range bad {
			r := ok
			mutate(&r)
			_, err := v.PlaceOrder(context.Background(), r)
			assert.ErrorIs(t, err, rest.ErrInvalidInput, "%s: %s", name, what)
			assert.False(t, errors.Is(err, auth.ErrUnsupported), "%s: %s", name, what)
		}
	}
}

// TestREADMEAPITable holds the README's API table to WriteAPITable.
func TestREADMEAPITable(t *testing.T) {
	var want bytes.Buffer
	require.NoError(t, providers.WriteAPITable(&want))
	readme, err := os.ReadFile("../README.md")
	require.NoError(t, err)
	const heading = "\n## What each broker's API offers\n"
	i := bytes.Index(readme, []byte(heading))
	require.GreaterOrEqual(t, i, 0, "README has no %q section", strings.TrimSpace(heading))
	section := string(readme[i+len(heading):])
	start := strings.Index(section, "| broker |")
	require.GreaterOrEqual(t, start, 0, "the section has no table")
	table := section[start:]
	if end := strings.Index(table, "\n\n"); end >= 0 {
		table = table[:end+1]
	}
	assert.Equal(t, want.String(), table, "regenerate the README table with providers.WriteAPITable")
}

// TestAPIRowIsACopy: changing a looked-up entry's API row changes neither
// the registry nor another registry's checks.
func TestAPIRowIsACopy(t *testing.T) {
	b, err := providers.Builtin().Lookup("spotware")
	require.NoError(t, err)
	b.API.OrderTypes[0] = providers.StopLimit
	again, err := providers.Builtin().Lookup("spotware")
	require.NoError(t, err)
	assert.NotContains(t, again.API.OrderTypes, providers.StopLimit)
}
