package spotware_test

import (
	"context"
	"fmt"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/spotware"
	"github.com/brokerkit/brokerkit/spotware/spotwaretest"
)

// Example logs in to the emulator, reads an account's balance and the
// first quote of EUR/USD.
func Example() {
	srv := spotwaretest.NewServer()
	defer srv.Close()
	ctx := context.Background()

	p, _ := srv.Provider()
	tok, err := srv.Login(ctx, p) // auth.Begin, the consent page, flow.Complete
	if err != nil {
		fmt.Println(err)
		return
	}
	tokens, _ := auth.NewSource(p, auth.NewMemoryStore(), auth.Key(spotware.Name, "1001"))
	_ = tokens.SetToken(ctx, tok)

	s, err := spotware.Dial(ctx, srv.SessionConfig(tokens))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s.Close()
	if err := s.AuthorizeAccount(ctx, spotwaretest.DemoAccountPrecise); err != nil {
		fmt.Println(err)
		return
	}
	tr, _ := s.Trader(ctx, spotwaretest.DemoAccountPrecise)
	fmt.Println("balance", tr.Balance, "with moneyDigits", tr.MoneyDigits)

	quotes, err := s.StreamQuotes(ctx, spotwaretest.DemoAccountPrecise, spotwaretest.EURUSD)
	if err != nil {
		fmt.Println(err)
		return
	}
	q := <-quotes.C()
	fmt.Println("EUR/USD bid", q.Bid.StringFixed(5), "ask", q.Ask.StringFixed(5)) // EUR/USD has 5 digits
	_ = quotes.Close()                                                            // unsubscribes
	// Output:
	// balance 100.53099944 with moneyDigits 8
	// EUR/USD bid 1.08457 ask 1.08470
}
