package spotware_test

import (
	"context"
	"fmt"
	"log"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/spotware"
	"github.com/brokerkit/brokerkit/spotware/spotwaretest"
)

// The package doc's code: a login, a session, an authorized account and
// one quote of EUR/USD, against the emulator.
func Example_session() {
	srv := spotwaretest.NewServer() // stands in for cTrader here
	defer srv.Close()
	ctx := context.Background()
	id, secret, redirectURL := spotwaretest.ClientID, auth.Secret(spotwaretest.ClientSecret), spotwaretest.RedirectURL
	store, user := auth.NewMemoryStore(), "alice"

	p, _ := spotware.New(spotware.Config{ClientID: id, ClientSecret: secret,
		RedirectURL: redirectURL, Environment: auth.Demo,
		BaseURL: srv.URL(), HTTPClient: srv.Client()}) // the emulator; leave both out for cTrader
	flow, _ := auth.Begin(p)                     // redirect the user to flow.URL
	callback, _ := srv.Consent(ctx, flow.URL)    // the user signs in and approves
	tok, _ := flow.CompleteURL(ctx, p, callback) // in your callback: flow.Complete(ctx, p, r.URL.Query())
	tokens, _ := auth.NewSource(p, store, auth.Key(spotware.Name, user))
	_ = tokens.SetToken(ctx, tok)

	s, err := spotware.Dial(ctx, srv.SessionConfig(tokens)) // for cTrader: p.SessionConfig(tokens)
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	list, _ := s.Accounts(ctx)                       // live and demo accounts
	_ = s.AuthorizeAccount(ctx, list.Accounts[0].ID) // live or demo: routed to its host
	quotes, _ := s.StreamQuotes(ctx, list.Accounts[0].ID, spotwaretest.EURUSD)
	defer quotes.Close()                  // unsubscribes
	q := <-quotes.C()                     // one quote; range over quotes.C() for the stream
	fmt.Println(q.SymbolID, q.Bid, q.Ask) // exact decimals
	// Output:
	// 1 1.08457 1.0847
}
