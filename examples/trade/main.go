// Command trade places, lists and cancels orders at every broker through
// the one order API of package providers:
//
//	go run ./examples/trade
//
// On an in-process emulator of each broker it logs the seeded user in,
// places a buy limit order 10% under the bid (so it rests), lists the
// account's orders to show it, cancels it, then places a marketable
// (market) order and prints its fill and the position it opened. The
// program has no per-broker code: the symbol and lot come from the
// registry entry, the emulator from providerstest.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/brokerkit/brokerkit/providers"
	"github.com/brokerkit/brokerkit/providers/providerstest"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "trade:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, out io.Writer) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	r := providers.Builtin()
	for _, name := range r.Names() {
		b, err := r.Lookup(name)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "== %s\n", b.Title)
		if err := trade(ctx, out, b); err != nil {
			return fmt.Errorf("%s: %w", b.Title, err)
		}
	}
	return nil
}

// trade runs the whole round at b's emulator.
func trade(ctx context.Context, out io.Writer, b providers.Broker) error {
	v, closeAll, err := open(ctx, b)
	if err != nil {
		return err
	}
	defer closeAll()
	accts, err := v.Accounts(ctx)
	if err != nil {
		return err
	}
	if len(accts) == 0 {
		return errors.New("no account")
	}
	acct, sym := accts[0].ID, b.Symbols[0]
	qs, err := v.Quotes(ctx, sym)
	if err != nil {
		return err
	}
	if len(qs) != 1 || !qs[0].Bid.Valid {
		return fmt.Errorf("no bid for %s", sym)
	}
	limit := qs[0].Bid.Decimal.Mul(decimal.RequireFromString("0.9")).RoundDown(2)

	o, err := v.PlaceOrder(ctx, providers.OrderRequest{Account: acct, Symbol: sym, Side: providers.Buy,
		Type: providers.Limit, TimeInForce: providers.GTC, Quantity: b.Lot, LimitPrice: limit})
	if err != nil {
		return fmt.Errorf("place limit: %w", err)
	}
	fmt.Fprintf(out, "  placed   %s\n", describe(o))
	list, err := v.ListOrders(ctx, acct)
	if err != nil {
		return fmt.Errorf("list: %w", err)
	}
	for _, l := range list {
		if l.Status == providers.StatusOpen {
			fmt.Fprintf(out, "  listed   %s\n", describe(&l))
		}
	}
	if err := v.CancelOrder(ctx, acct, o.ID); err != nil {
		return fmt.Errorf("cancel: %w", err)
	}
	if o, err = settle(ctx, v, acct, o.ID); err != nil {
		return err
	}
	fmt.Fprintf(out, "  canceled %s\n", describe(o))

	o, err = v.PlaceOrder(ctx, providers.OrderRequest{Account: acct, Symbol: sym, Side: providers.Buy,
		Type: providers.Market, Quantity: b.Lot})
	if err != nil {
		return fmt.Errorf("place market: %w", err)
	}
	if o, err = settle(ctx, v, acct, o.ID); err != nil {
		return err
	}
	fmt.Fprintf(out, "  filled   %s\n", describe(o))
	ps, err := v.Positions(ctx, acct)
	if err != nil {
		return fmt.Errorf("positions: %w", err)
	}
	i := slices.IndexFunc(ps, func(p providers.Position) bool { return sameSymbol(p.Symbol, sym) })
	if i < 0 {
		return fmt.Errorf("no %s position after the fill", sym)
	}
	fmt.Fprintf(out, "  position %s %s @ %s\n", ps[i].Symbol, ps[i].Quantity, ps[i].AveragePrice)
	return nil
}

// open starts b's emulator, logs its seeded user in and opens the view.
func open(ctx context.Context, b providers.Broker) (providers.View, func(), error) {
	em, err := providerstest.Start(b.Name)
	if err != nil {
		return nil, nil, err
	}
	v, err := em.View(ctx)
	if err != nil {
		em.Close()
		return nil, nil, err
	}
	return v, func() { _ = v.Close(); em.Close() }, nil
}

// settle waits until the broker has worked the order (a cancel or a fill
// may take a moment).
func settle(ctx context.Context, v providers.View, acct, id string) (*providers.Order, error) {
	for {
		o, err := v.GetOrder(ctx, acct, id)
		if err != nil || o.Status != providers.StatusOpen {
			return o, err
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("order %s is still open: %w", id, ctx.Err())
		case <-time.After(25 * time.Millisecond):
		}
	}
}

func describe(o *providers.Order) string {
	s := fmt.Sprintf("%s %s %s %s", o.Side, o.Quantity, o.Symbol, o.Type)
	if o.Type == providers.Limit {
		s += " @ " + o.LimitPrice.String()
	}
	s += ": " + string(o.Status)
	if o.Status == providers.StatusFilled {
		s += fmt.Sprintf(" %s @ %s", o.FilledQuantity, o.FillPrice)
	}
	return s
}

func sameSymbol(a, b string) bool {
	return strings.EqualFold(strings.ReplaceAll(a, "/", ""), strings.ReplaceAll(b, "/", ""))
}
