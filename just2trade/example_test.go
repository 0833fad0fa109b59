package just2trade_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/shopspring/decimal"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/just2trade"
	"github.com/brokerkit/brokerkit/just2trade/just2tradetest"
)

// The whole path against the emulator: log in, keep the token in a
// TokenSource, call the API.
func Example() {
	ctx := context.Background()

	srv := just2tradetest.NewServer()
	defer srv.Close()
	p, _ := srv.Provider()      // or New(Config{ClientID, ClientSecret, RedirectURL, Environment: EnvJust2Trade})
	tok, _ := srv.Login(ctx, p) // a real app: auth.Begin, redirect, flow.Complete
	src, _ := auth.NewSource(p, auth.NewMemoryStore(), auth.Key(p.Name(), "user-1"))
	_ = src.SetToken(ctx, tok)
	c := p.NewClient(src)                            // hosts from p's environment (or BaseURL)
	quotes, err := c.Quotes.Get(ctx, "AAPL", "MSFT") // []Quote, prices as decimal.Decimal
	if err != nil {
		log.Fatal(err)
	}
	for _, q := range quotes {
		fmt.Println(q.Symbol, "bid", q.Bid, "ask", q.Ask)
	}
	fmt.Println("refresh grant:", p.Capabilities().Refresh, "sliding expiry:", p.Capabilities().SlidingExpiry)
	// Output:
	// AAPL bid 172.1 ask 172.15
	// MSFT bid 78.86 ask 78.87
	// refresh grant: false sliding expiry: true
}

// Validate reports a refusal as a *ValidationError carrying the broker's
// message.
func ExampleOrdersService_Validate() {
	ctx := context.Background()
	srv := just2tradetest.NewServer()
	defer srv.Close()
	p, _ := srv.Provider()
	tok, _ := srv.Login(ctx, p)
	src, _ := auth.NewSource(p, auth.NewMemoryStore(), "example")
	_ = src.SetToken(ctx, tok)
	c := p.NewClient(src)

	err := c.Orders.Validate(ctx, just2trade.OrderRequest{
		AccountNumber: just2tradetest.SecondAccount, Symbol: "GOOG", Quantity: decimal.NewFromInt(100),
		Type: just2trade.Limit, Price: decimal.RequireFromString("970.00"), Side: just2trade.Buy,
	})
	var ve *just2trade.ValidationError
	if errors.As(err, &ve) {
		fmt.Println("refused:", ve.Message)
	}
	// Output:
	// refused: Insufficient buying power
}

// Lime tokens lapse at 3:00 AM US Eastern, whatever their use.
func ExampleNextDailyExpiry() {
	issued := time.Date(2026, 7, 1, 20, 30, 0, 0, time.UTC) // 16:30 EDT
	fmt.Println(just2trade.NextDailyExpiry(issued, just2trade.DailyExpiry{}).UTC())
	// Output:
	// 2026-07-02 07:00:00 +0000 UTC
}
