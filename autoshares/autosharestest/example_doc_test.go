package autosharestest_test

import (
	"context"
	"fmt"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/autoshares"
	"github.com/brokerkit/brokerkit/autoshares/autosharestest"
)

// The package doc's code: the emulator, a login as the seeded trader and
// the agreements the trader has yet to sign.
func Example() {
	ctx := context.Background()

	srv := autosharestest.NewServer()
	defer srv.Close()
	p, _ := srv.Provider()
	tok, _ := srv.Login(ctx, p) // the seeded default user, User
	src, _ := auth.NewSource(p, auth.NewMemoryStore(), "trader")
	_ = src.SetToken(ctx, tok)
	c := p.NewClient(src)
	list, _ := c.Agreements.Outstanding(ctx, autoshares.Me)
	for _, a := range list {
		fmt.Println(a.ID, a.Title, a.IsRequired()) // 101 Platform Agreement true, …
	}
	// Output:
	// 101 Platform Agreement true
	// 102 Market Data Agreement true
	// 103 Margin Agreement false
}
