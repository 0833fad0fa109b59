package tradestationtest_test

import (
	"context"
	"fmt"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/tradestation/tradestationtest"
)

// The package doc's code: the emulator, a login as the seeded user and a
// quote.
func Example() {
	ctx := context.Background()

	srv := tradestationtest.NewServer()
	defer srv.Close()
	p, _ := srv.Provider()      // v3; srv.ConfigFor(tradestation.V2) for the others
	tok, _ := srv.Login(ctx, p) // signs in and approves as the seeded User
	src, _ := auth.NewSource(p, auth.NewMemoryStore(), "trader")
	_ = src.SetToken(ctx, tok)
	c := p.NewClient(src)
	quotes, err := c.Quotes.Get(ctx, "MSFT")
	fmt.Println(quotes[0].Symbol, quotes[0].Last, err) // MSFT 412.37 <nil>
	// Output:
	// MSFT 412.37 <nil>
}
