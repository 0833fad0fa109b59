package autoshares_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/autoshares"
	"github.com/brokerkit/brokerkit/autoshares/autosharestest"
)

// Log in, look at the agreements a new trader must sign, and see trading
// refused until they are signed.
func Example() {
	ctx := context.Background()
	srv := autosharestest.NewServer() // an AutoShares emulator on 127.0.0.1
	defer srv.Close()

	p, err := srv.Provider() // autoshares.New(srv.Config())
	if err != nil {
		panic(err)
	}
	tok, err := srv.Login(ctx, p) // the seeded trader signs in
	if err != nil {
		panic(err)
	}
	src, _ := auth.NewSource(p, auth.NewMemoryStore(), auth.Key(p.Name(), "trader"))
	_ = src.SetToken(ctx, tok)
	c := p.NewClient(src) // host and API key from the provider's Config

	_, err = c.Quotes.Get(ctx, "AAPL")
	fmt.Println(errors.Is(err, autoshares.ErrAgreementsPending))
	fmt.Println(err)

	signed, _ := c.Agreements.SignAllRequired(ctx, autoshares.Me)
	fmt.Println("signed", len(signed))
	quotes, _ := c.Quotes.Get(ctx, "AAPL")
	fmt.Println(quotes[0].Symbol, quotes[0].Bid, quotes[0].Ask)
	// Output:
	// true
	// autoshares: GET /v1.0/equities/AAPL: agreements must be signed first: Platform Agreement (id 101), Market Data Agreement (id 102)
	// signed 2
	// AAPL 196.28 196.31
}

// Orders the broker's checks refuse arrive as HTTP 200 with IsSuccessful
// false; the client turns them into an *OrderRejectedError.
func ExampleOrdersService_Place() {
	ctx := context.Background()
	srv := autosharestest.NewServer()
	defer srv.Close()
	p, _ := srv.Provider()
	tok, _ := srv.Browser(autosharestest.AdminLogin, autosharestest.AdminPassword).Token(ctx, p)
	src, _ := auth.NewSource(p, auth.NewMemoryStore(), auth.Key(p.Name(), "admin"))
	_ = src.SetToken(ctx, tok)
	c := p.NewClient(src)

	_, err := c.Orders.Place(ctx, autosharestest.TraderAccountID, autoshares.OrderRequest{
		Symbol: "MSFT", Type: autoshares.OrderMarket, Side: autoshares.SideBuy, Quantity: dec("500")})
	var rejected *autoshares.OrderRejectedError
	if errors.As(err, &rejected) {
		fmt.Println(rejected.Reason)
	}
	// Output: DayTradingBuyingPowerExceeded
}

// Quotes stream from the broker's quote streamer: the current quote of
// each symbol first, then every change, exact decimals throughout.
func ExampleStreamsService_Quotes() {
	ctx := context.Background()
	srv := autosharestest.NewServer()
	defer srv.Close()
	p, _ := srv.Provider()
	tok, _ := srv.Login(ctx, p)
	src, _ := auth.NewSource(p, auth.NewMemoryStore(), auth.Key(p.Name(), "trader"))
	_ = src.SetToken(ctx, tok)
	c := p.NewClient(src)
	_, _ = c.Agreements.SignAllRequired(ctx, autoshares.Me) // quotes are market data

	st, err := c.Streams.Quotes(ctx, "AAPL")
	if err != nil {
		panic(err)
	}
	defer st.Close()
	q := <-st.C()
	fmt.Println(q.Symbol, q.SecurityID, q.Bid, q.Ask)

	srv.SetQuote("AAPL", dec("196.300000000000000001"), dec("196.35"), dec("196.32"))
	q = <-st.C()
	fmt.Println(q.Symbol, q.Bid, q.Ask)
	// Output:
	// AAPL 4 196.28 196.31
	// AAPL 196.300000000000000001 196.35
}
