package tradestation_test

import (
	"context"
	"fmt"

	"github.com/shopspring/decimal"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/tradestation"
	"github.com/brokerkit/brokerkit/tradestation/tradestationtest"
)

// Live quotes: each symbol's whole quote, then every change, with a
// symbol TradeStation cannot stream reported in-band.
func ExampleStreamsService_Quotes() {
	ctx := context.Background()
	srv := tradestationtest.NewServer()
	defer srv.Close()
	p, err := srv.Provider()
	if err != nil {
		panic(err)
	}
	tok, err := srv.IssueV3() // or a login, as in the package example
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

	s, err := c.Streams.Quotes(ctx, "MSFT", "NOPE")
	if err != nil {
		panic(err)
	}
	defer s.Close()
	for i := 0; i < 3; i++ {
		q := <-s.C()
		if q.Error != "" {
			fmt.Println(q.Symbol, q.Error)
			// Move the emulator's price: the stream sends the change.
			if err := srv.SetQuote("MSFT", decimal.RequireFromString("415.10")); err != nil {
				panic(err)
			}
			continue
		}
		fmt.Println(q.Symbol, q.Last, q.Bid, q.Ask, q.Volume)
	}
	// Output:
	// MSFT 412.37 412.36 412.38 21894512
	// NOPE FAILED, INVALID SYMBOL
	// MSFT 415.1 415.09 415.11 21894512
}
