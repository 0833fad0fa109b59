package tradestation_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/tradestation"
	"github.com/brokerkit/brokerkit/tradestation/tradestationtest"
)

// A complete v3 login and a quotes call, against the emulator.
func Example() {
	ctx := context.Background()
	srv := tradestationtest.NewServer()
	defer srv.Close()

	p, err := tradestation.New(srv.Config())
	if err != nil {
		panic(err)
	}
	flow, err := auth.Begin(p)
	if err != nil {
		panic(err)
	}
	callback, err := srv.Consent(ctx, flow.URL) // a browser signing in and approving
	if err != nil {
		panic(err)
	}
	tok, err := flow.CompleteURL(ctx, p, callback)
	if err != nil {
		panic(err)
	}
	src, err := auth.NewSource(p, auth.NewMemoryStore(), auth.Key(tradestation.Name, "trader"))
	if err != nil {
		panic(err)
	}
	if err := src.SetToken(ctx, tok); err != nil {
		panic(err)
	}

	c := p.NewClient(src)
	quotes, err := c.Quotes.Get(ctx, "MSFT", "AAPL", "NOPE")
	var partial *tradestation.PartialError
	if err != nil && !errors.As(err, &partial) {
		panic(err)
	}
	for _, q := range quotes {
		fmt.Println(q.Symbol, q.Last, q.Bid, q.Ask)
	}
	fmt.Println(partial)
	// Output:
	// MSFT 412.37 412.36 412.38
	// AAPL 227.52 227.51 227.53
	// tradestation: 1 item(s) failed: NOPE (FAILED, INVALID SYMBOL)
}
