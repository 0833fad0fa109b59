package tradestation_test

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"time"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/tradestation"
	"github.com/brokerkit/brokerkit/tradestation/tradestationtest"
)

// The three examples below are the README's code, kept here so that every
// line of it compiles and runs against the emulator under go test.

// A web back end: a login redirect, a safe callback, tokens that refresh
// and persist per user, and a typed client per request.
func Example_webBackEnd() {
	srv := tradestationtest.NewServer( // stands in for TradeStation here
		tradestationtest.WithRedirectURL("http://localhost:3000/callback/tradestation"))
	defer srv.Close()
	ctx := context.Background()

	p, err := tradestation.New(tradestation.Config{
		ClientID:     tradestationtest.V3ClientID,
		ClientSecret: tradestationtest.V3ClientSecret,
		RedirectURL:  "http://localhost:3000/callback/tradestation", // one callback path per broker
		Environment:  auth.Sim,                                      // required: auth.Live or auth.Sim
		BaseURL:      srv.URL(),                                     // leave out for the real TradeStation
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	m, err := auth.NewManager(p, auth.NewMemoryStore()) // or auth.NewFileStore, pgstore.New
	if err != nil {
		fmt.Println(err)
		return
	}
	flows := &auth.FlowStore{} // pending logins, kept server-side

	// GET /login/tradestation
	flow, err := auth.Begin(p) // random state, PKCE S256, deadline
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := flows.Put(flow); err != nil {
		fmt.Println(err)
		return
	}
	// http.Redirect(w, r, flow.URL, http.StatusFound); the emulator plays the user:
	callback, err := srv.Consent(ctx, flow.URL)
	if err != nil {
		fmt.Println(err)
		return
	}
	query := must(url.Parse(callback)).Query()

	// GET /callback/tradestation: state (constant time), iss, expiry, single use
	flow, err = flows.Take(ctx, query.Get("state"))
	if err != nil || flow == nil {
		fmt.Println("unknown login")
		return
	}
	tok, err := flow.Complete(ctx, p, query)
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := m.SetToken(ctx, "alice", tok); err != nil { // persisted; refreshed and rotated from now on
		fmt.Println(err)
		return
	}

	// any request later
	c := p.NewClient(m.Source("alice")) // hosts and environment come from p
	quotes, err := c.Quotes.Get(ctx, "MSFT", "AAPL")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(quotes[0].Symbol, quotes[1].Symbol)
	// Output: MSFT AAPL
}

// A command-line tool: a loopback login (RFC 8252) and a token kept in an
// encrypted file.
func Example_commandLine() {
	srv := tradestationtest.NewServer() // stands in for TradeStation here
	defer srv.Close()
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "brokerkit-example")
	defer os.RemoveAll(dir)
	key := make([]byte, 32) // keep a real key in the OS keychain

	p, err := tradestation.New(tradestation.Config{
		ClientID: tradestationtest.PKCEClientID, PKCE: true, // a key without a secret
		RedirectURL: "http://localhost:3000/callback",
		Environment: auth.Sim, BaseURL: srv.URL(),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	browser := srv.Browser(tradestationtest.User, tradestationtest.Password)
	tok, err := auth.LoginLoopback(ctx, p, auth.LoopbackOptions{
		Host: "localhost", Path: "/callback", // TradeStation registers http://localhost callbacks
		Open: func(authURL string) error { // a real tool opens the system browser
			go func() { _, _ = browser.LoginAndVisit(ctx, authURL) }()
			return nil
		},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	store, err := auth.NewFileStore(dir, auth.FileStoreOptions{EncryptionKey: key}) // 0600, atomic writes, AES-GCM
	if err != nil {
		fmt.Println(err)
		return
	}
	src, err := auth.NewSource(p, store, auth.Key(p.Name(), "me")) // refreshes ahead of expiry, one at a time
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := src.SetToken(ctx, tok); err != nil {
		fmt.Println(err)
		return
	}
	accounts, err := p.NewClient(src).Accounts.List(ctx)
	fmt.Println(len(accounts) > 0, err)
	// Output: true <nil>
}

// Tests against the emulator: the whole login in three lines.
func Example_emulator() {
	srv := tradestationtest.NewServer() // auth server + API on 127.0.0.1, seeded data
	defer srv.Close()
	ctx := context.Background()

	p, _ := srv.Provider()                         // tradestation.New(srv.Config())
	flow, _ := auth.Begin(p)                       // as the app does
	callback, _ := srv.Consent(ctx, flow.URL)      // the emulator plays the consenting user
	tok, err := flow.CompleteURL(ctx, p, callback) // or all three at once: srv.Login(ctx, p)
	fmt.Println(tok.Valid(time.Now()), err)
	// Output: true <nil>
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
