package just2trade_test

import (
	"context"
	"fmt"
	"log"

	"github.com/shopspring/decimal"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/just2trade/just2tradetest"
)

// Quotes pushed over the market-data WebSocket: the full quote first,
// then each change merged into it.
func ExampleStreamsService_Quotes() {
	srv := just2tradetest.NewServer()
	defer srv.Close()
	ctx := context.Background()
	p, _ := srv.Provider()
	tok, _ := srv.Login(ctx, p)
	src, _ := auth.NewSource(p, auth.NewMemoryStore(), auth.Key(p.Name(), "user-1"))
	_ = src.SetToken(ctx, tok)
	c := p.NewClient(src)

	st, err := c.Streams.Quotes(ctx, "AAPL")
	if err != nil {
		log.Fatal(err)
	}
	defer st.Close()
	ev := <-st.C()
	fmt.Println(ev.Quote.Symbol, "bid", ev.Quote.Bid, "ask", ev.Quote.Ask, "last", ev.Quote.Last)

	srv.SetQuote("AAPL", decimal.RequireFromString("172.11"), decimal.RequireFromString("172.14"),
		decimal.RequireFromString("172.12"))
	ev = <-st.C() // only bid and ask changed; the rest is kept
	fmt.Println(ev.Quote.Symbol, "bid", ev.Quote.Bid, "ask", ev.Quote.Ask, "last", ev.Quote.Last)
	// Output:
	// AAPL bid 172.1 ask 172.15 last 172.12
	// AAPL bid 172.11 ask 172.14 last 172.12
}
