// Command stream shows brokerkit's one stream shape on every broker:
//
//	go run ./examples/stream [-for 3s]
//
// It starts an in-process emulator of each broker and logs its seeded user
// in, then merges the quote streams of all four into one live feed while
// the emulated markets move, and finally places an order at the first
// broker with an order stream and prints that order's events as the
// broker reports them. The program has no per-broker code: every stream is
// a *stream.Stream from the normalized providers view.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/signal"
	"sync"
	"time"

	"github.com/shopspring/decimal"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/providers"
	"github.com/brokerkit/brokerkit/providers/providerstest"
	"github.com/brokerkit/brokerkit/stream"
)

func main() {
	d := flag.Duration("for", 3*time.Second, "how long to stream quotes")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Stdout, *d); err != nil {
		fmt.Fprintln(os.Stderr, "stream:", err)
		os.Exit(1)
	}
}

// broker is one broker's emulator, logged in, with its view open.
type broker struct {
	b  providers.Broker
	em providerstest.Emulator
	v  providers.View
}

func run(ctx context.Context, out io.Writer, d time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, d+time.Minute)
	defer cancel()
	var brokers []*broker
	defer func() {
		for _, br := range brokers {
			_ = br.v.Close()
			br.em.Close()
		}
	}()
	r := providers.Builtin()
	for _, name := range r.Names() {
		b, err := r.Lookup(name)
		if err != nil {
			return err
		}
		br, err := open(ctx, b)
		if err != nil {
			return fmt.Errorf("%s: %w", b.Title, err)
		}
		brokers = append(brokers, br)
	}
	if err := quotes(ctx, out, brokers, d); err != nil {
		return err
	}
	return orders(ctx, out, brokers)
}

// quotes merges every broker's quote stream into one feed for d, while a
// market moves the prices of the emulators that take them.
func quotes(ctx context.Context, out io.Writer, brokers []*broker, d time.Duration) error {
	fmt.Fprintf(out, "== quotes from %d brokers for %s\n", len(brokers), d)
	feed := make(chan providers.Quote, 256)
	var wg sync.WaitGroup
	streams := make([]*stream.Stream[providers.Quote], len(brokers))
	for i, br := range brokers {
		s, err := br.v.StreamQuotes(ctx, br.b.Symbols[:2]...)
		if err != nil {
			return fmt.Errorf("%s quotes: %w", br.b.Title, err)
		}
		streams[i] = s
		wg.Add(1)
		go func() {
			defer wg.Done()
			for q := range s.C() {
				feed <- q
			}
		}()
	}
	go func() { wg.Wait(); close(feed) }()

	mctx, stopMarket := context.WithCancel(ctx)
	defer stopMarket()
	go market(mctx, brokers)

	timer := time.NewTimer(d)
	defer timer.Stop()
	counts := map[string]int{}
	for done := false; !done; {
		select {
		case q, ok := <-feed:
			if !ok {
				done = true
				break
			}
			counts[q.Broker]++
			fmt.Fprintf(out, "  %-13s %-7s bid %-10s ask %-10s last %s\n", q.Broker, q.Symbol, show(q.Bid), show(q.Ask), show(q.Last))
		case <-timer.C:
			stopMarket()
			for _, s := range streams {
				_ = s.Close()
			}
			timer.Reset(time.Hour)
		}
	}
	for i, s := range streams {
		if err := s.Err(); err != nil {
			return fmt.Errorf("%s quote stream: %w", brokers[i].b.Title, err)
		}
		st := s.Stats()
		fmt.Fprintf(out, "  %s: %d quotes, %d dropped, %d reconnects\n", brokers[i].b.Name, counts[brokers[i].b.Name], st.Dropped, st.Reconnects)
	}
	return nil
}

// market moves the last price of each emulator's first two symbols every
// 50 ms by up to 0.1% either way, in exact decimals. cTrader's emulator moves by itself.
func market(ctx context.Context, brokers []*broker) {
	type key struct{ broker, symbol string }
	last := map[key]decimal.Decimal{}
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		for _, br := range brokers {
			for _, sym := range br.b.Symbols[:2] {
				k := key{br.b.Name, sym}
				p, ok := last[k]
				if !ok {
					p = decimal.NewFromInt(100)
				}
				move := decimal.New(int64(rand.IntN(21)-10), -4) // -0.10% .. +0.10%
				p = p.Add(p.Mul(move)).Round(2)
				if br.em.SetQuote(sym, p) == nil {
					last[k] = p
				}
			}
		}
	}
}

// orders places a market order at the first broker with an order stream
// while that stream runs, and prints the order's events until it is done.
func orders(ctx context.Context, out io.Writer, brokers []*broker) error {
	for _, br := range brokers {
		accts, err := br.v.Accounts(ctx)
		if err != nil {
			return fmt.Errorf("%s accounts: %w", br.b.Title, err)
		}
		if len(accts) == 0 {
			continue
		}
		acct := accts[0].ID
		s, err := br.v.StreamOrders(ctx, acct)
		if errors.Is(err, auth.ErrUnsupported) {
			continue
		}
		if err != nil {
			return fmt.Errorf("%s orders: %w", br.b.Title, err)
		}
		defer s.Close()
		fmt.Fprintf(out, "== order events at %s\n", br.b.Title)
		o, err := br.v.PlaceOrder(ctx, providers.OrderRequest{Account: acct, Symbol: br.b.Symbols[0],
			Side: providers.Buy, Type: providers.Market, Quantity: br.b.Lot})
		if err != nil {
			return fmt.Errorf("%s place: %w", br.b.Title, err)
		}
		fmt.Fprintf(out, "  placed %s %s %s %s\n", o.ID, o.Side, o.Quantity, o.Symbol)
		for ev := range s.C() {
			if ev.ID != o.ID {
				continue // the account's other orders (the snapshot)
			}
			fmt.Fprintf(out, "  event  %s %s filled %s @ %s\n", ev.ID, ev.Status, ev.FilledQuantity, ev.FillPrice)
			if ev.Status != providers.StatusOpen {
				return nil
			}
		}
		return fmt.Errorf("%s order stream ended: %v", br.b.Title, s.Err())
	}
	return errors.New("no broker has an order stream")
}

// open starts b's emulator, logs its seeded user in and opens the view.
func open(ctx context.Context, b providers.Broker) (*broker, error) {
	em, err := providerstest.Start(b.Name)
	if err != nil {
		return nil, err
	}
	v, err := em.View(ctx)
	if err != nil {
		em.Close()
		return nil, err
	}
	return &broker{b: b, em: em, v: v}, nil
}

func show(d decimal.NullDecimal) string {
	if !d.Valid {
		return "-"
	}
	return d.Decimal.String()
}
