package auth_test

import (
	"context"
	"fmt"
	"log"
	"net/http/httptest"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/tradestation"
	"github.com/brokerkit/brokerkit/tradestation/tradestationtest"
)

// The package doc's command-line program, against the TradeStation
// emulator: the emulator plays the browser the program opens.
func Example_commandLine() {
	ctx := context.Background()
	srv := tradestationtest.NewServer(tradestationtest.WithRedirectURL("http://localhost:3000"))
	defer srv.Close()
	id, secret := tradestationtest.V3ClientID, auth.Secret(tradestationtest.V3ClientSecret)
	browser := srv.Browser(tradestationtest.User, tradestationtest.Password)
	openBrowser := func(authURL string) error { // a real program opens the system browser
		go func() { _, _ = browser.LoginAndVisit(ctx, authURL) }()
		return nil
	}
	apiURL := srv.URL() + "/sim/v3/brokerage/accounts"

	p, err := tradestation.New(tradestation.Config{ClientID: id, ClientSecret: secret,
		RedirectURL: "http://localhost:3000", Environment: auth.Sim,
		BaseURL: srv.URL()}) // leave BaseURL out for the real TradeStation
	if err != nil {
		log.Fatal(err)
	}
	tok, err := auth.LoginLoopback(ctx, p, // on localhost, as RedirectURL; any free port
		auth.LoopbackOptions{Host: "localhost", Open: openBrowser})
	if err != nil {
		log.Fatal(err)
	}
	src, err := auth.NewSource(p, auth.NewMemoryStore(), auth.Key(p.Name(), "me"))
	if err != nil {
		log.Fatal(err)
	}
	if err := src.SetToken(ctx, tok); err != nil {
		log.Fatal(err)
	}
	resp, err := auth.NewClient(src).Get(apiURL)
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	fmt.Println(resp.Status)
	// Output: 200 OK
}

// The package doc's web app, against the TradeStation emulator.
func Example_webApp() {
	ctx := context.Background()
	srv := tradestationtest.NewServer()
	defer srv.Close()
	p, _ := srv.Provider()
	store, userID := auth.NewMemoryStore(), "alice"
	apiURL := srv.URL() + "/v3/brokerage/accounts"
	flow, _ := auth.Begin(p)                       // the login handler sends the user to flow.URL
	callback, _ := srv.Consent(ctx, flow.URL)      // the emulator plays the user
	r := httptest.NewRequest("GET", callback, nil) // the request the callback handler gets

	tok, err := flow.Complete(ctx, p, r.URL.Query())
	if err != nil {
		log.Fatal(err)
	}
	m, err := auth.NewManager(p, store)
	if err != nil {
		log.Fatal(err)
	}
	if err := m.SetToken(ctx, userID, tok); err != nil {
		log.Fatal(err)
	}
	resp, err := m.Client(userID).Get(apiURL)
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	fmt.Println(resp.Status)
	// Output: 200 OK
}
