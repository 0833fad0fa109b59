package tradestation_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/tradestation"
	"github.com/brokerkit/brokerkit/tradestation/tradestationtest"
)

// The package doc's code: a v3 login on the SIM environment and a quotes
// call with an unknown symbol, against the emulator.
func Example_login() {
	ctx := context.Background()
	srv := tradestationtest.NewServer(tradestationtest.WithRedirectURL("http://localhost:3000/callback"))
	defer srv.Close()
	clientID, clientSecret := tradestationtest.V3ClientID, auth.Secret(tradestationtest.V3ClientSecret)
	store, userID := auth.NewMemoryStore(), "alice"

	p, err := tradestation.New(tradestation.Config{
		ClientID: clientID, ClientSecret: clientSecret,
		RedirectURL: "http://localhost:3000/callback",
		Environment: auth.Sim,  // required: auth.Live or auth.Sim
		BaseURL:     srv.URL(), // the emulator; leave out for TradeStation
	})
	if err != nil {
		log.Fatal(err)
	}

	flow, _ := auth.Begin(p)                       // state, PKCE when the key allows it, deadline
	callback, _ := srv.Consent(ctx, flow.URL)      // the user signs in; a web app redirects to flow.URL
	tok, err := flow.CompleteURL(ctx, p, callback) // in a callback handler: flow.Complete(ctx, p, r.URL.Query())
	if err != nil {
		log.Fatal(err) // a forged, replayed or late callback
	}
	src, _ := auth.NewSource(p, store, auth.Key(tradestation.Name, userID))
	_ = src.SetToken(ctx, tok) // saved; refreshed before its 20 minutes end

	c := p.NewClient(src) // the provider's environment and hosts
	quotes, err := c.Quotes.Get(ctx, "MSFT", "NOPE")
	var partial *tradestation.PartialError // unknown symbols, beside the others' quotes
	if err != nil && !errors.As(err, &partial) {
		log.Fatal(err)
	}
	fmt.Println(quotes[0].Symbol, quotes[0].Last) // exact: 412.37
	fmt.Println(partial)
	// Output:
	// MSFT 412.37
	// tradestation: 1 item(s) failed: NOPE (FAILED, INVALID SYMBOL)
}
