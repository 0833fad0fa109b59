package autoshares_test

import (
	"context"
	"fmt"
	"log"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/autoshares"
	"github.com/brokerkit/brokerkit/autoshares/autosharestest"
)

// The package doc's code: a login, the required agreements signed, and
// two quotes, against the emulator.
func Example_login() {
	ctx := context.Background()
	srv := autosharestest.NewServer() // stands in for AutoShares here
	defer srv.Close()
	id, secret, apiKey := autosharestest.ClientID, auth.Secret(autosharestest.ClientSecret), auth.Secret(autosharestest.APIKey)
	redirectURL := autosharestest.RedirectURL
	store, userID := auth.NewMemoryStore(), "alice"

	p, err := autoshares.New(autoshares.Config{Domain: "autosharesdev.us.auth0.com",
		Environment: auth.Demo, ClientID: id, ClientSecret: secret, APIKey: apiKey,
		RedirectURL: redirectURL, RefreshEnabled: true,
		BaseURL: srv.URL(), HTTPClient: srv.Client()}) // the emulator; leave both out for AutoShares
	if err != nil {
		log.Fatal(err)
	}
	flow, _ := auth.Begin(p)                       // redirect the user to flow.URL
	callback, _ := srv.Consent(ctx, flow.URL)      // the user signs in and approves
	tok, err := flow.CompleteURL(ctx, p, callback) // in your callback: flow.Complete(ctx, p, r.URL.Query())
	if err != nil {
		log.Fatal(err)
	}

	src, _ := auth.NewSource(p, store, auth.Key(p.Name(), userID))
	_ = src.SetToken(ctx, tok)
	c := p.NewClient(src)
	if _, err := c.Agreements.SignAllRequired(ctx, autoshares.Me); err != nil {
		log.Fatal(err) // quotes and trading wait for the required agreements
	}
	quotes, err := c.Quotes.Get(ctx, "AAPL", "MSFT")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(quotes[0].Symbol, quotes[0].Bid, quotes[0].Ask) // exact decimals
	// Output:
	// AAPL 196.28 196.31
}
