// Command tradestation logs in to TradeStation and prints the user's
// profile, accounts, balances, positions and a few quotes.
//
// With no environment set it starts the in-process TradeStation emulator
// (tradestationtest) and runs the whole login against it, so it works
// offline:
//
//	go run ./examples/tradestation
//
// To use the real broker, set:
//
//	TS_CLIENT_ID      your API key (required for the real broker)
//	TS_CLIENT_SECRET  its secret; leave empty for a key set up for PKCE
//	TS_ENV            "sim" (the default) or "live"
//	TS_CALLBACK_PORT  the port of a registered callback http://localhost:PORT
//	                  (default 3000, one of TradeStation's default callbacks)
//	TS_SYMBOLS        comma-separated symbols to quote (default MSFT,AAPL,SPY)
//
// The program then prints an address to open in a browser, waits for
// TradeStation to redirect back to http://localhost:PORT, and makes the
// same calls. Tokens are kept in memory only.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/tradestation"
	"github.com/brokerkit/brokerkit/tradestation/tradestationtest"
)

func main() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	if err := run(ctx, os.Stdout, os.Getenv); err != nil {
		fmt.Fprintln(os.Stderr, "tradestation:", err)
		os.Exit(1)
	}
}

// run is the program, with its output and environment passed in so that
// the test can run it.
func run(ctx context.Context, out io.Writer, getenv func(string) string) error {
	env := auth.Sim
	switch strings.ToLower(getenv("TS_ENV")) {
	case "", "sim":
	case "live":
		env = auth.Live
	default:
		return fmt.Errorf("TS_ENV must be sim or live, not %q", getenv("TS_ENV"))
	}
	symbols := []string{"MSFT", "AAPL", "SPY"}
	if s := getenv("TS_SYMBOLS"); s != "" {
		symbols = strings.Split(s, ",")
		for i := range symbols {
			symbols[i] = strings.TrimSpace(symbols[i]) // "MSFT, AAPL" as typed
		}
	}

	var (
		cfg       tradestation.Config
		loginOpts = auth.LoopbackOptions{Host: "localhost", Output: os.Stderr}
	)
	if id := getenv("TS_CLIENT_ID"); id != "" {
		port := 3000
		if p := getenv("TS_CALLBACK_PORT"); p != "" {
			n, err := strconv.Atoi(p)
			if err != nil || n < 1 || n > 65535 {
				return fmt.Errorf("TS_CALLBACK_PORT %q is not a port", p)
			}
			port = n
		}
		cfg = tradestation.Config{ClientID: id, ClientSecret: auth.Secret(getenv("TS_CLIENT_SECRET")), Environment: env}
		loginOpts.Port = port // no Path: TradeStation registers http://localhost:3000
		fmt.Fprintf(out, "Logging in to TradeStation (%s)\n", env)
	} else {
		srv := tradestationtest.NewServer()
		defer srv.Close()
		cfg = srv.Config()
		cfg.Environment = env
		// The emulator's browser plays the user: it signs in, approves and
		// delivers the redirect to our loopback listener.
		browser := srv.Browser(tradestationtest.User, tradestationtest.Password)
		loginOpts.Path = "/callback"
		loginOpts.Open = func(authURL string) error {
			_, err := browser.LoginAndVisit(ctx, authURL)
			return err
		}
		fmt.Fprintf(out, "Logging in to the TradeStation emulator at %s (%s)\n", srv.URL(), env)
	}

	p, err := tradestation.New(cfg)
	if err != nil {
		return err
	}
	tok, err := auth.LoginLoopback(ctx, p, loginOpts)
	if err != nil {
		return err
	}
	src, err := auth.NewSource(p, auth.NewMemoryStore(), auth.Key(tradestation.Name, "me"))
	if err != nil {
		return err
	}
	if err := src.SetToken(ctx, tok); err != nil {
		return err
	}
	c := p.NewClient(src) // the provider's environment and hosts
	return report(ctx, out, c, symbols)
}

// report prints what the client can see.
func report(ctx context.Context, out io.Writer, c *tradestation.Client, symbols []string) error {
	prof, err := c.Profile.Get(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "Logged in as %s (%s)\n\n", prof.Name, prof.Subject)

	accts, err := c.Accounts.List(ctx)
	if err != nil {
		return err
	}
	ids := make([]string, len(accts))
	for i, a := range accts {
		ids[i] = a.AccountID
	}
	fmt.Fprintln(out, "Accounts:")
	if len(ids) > 0 {
		// Accounts TradeStation cannot report on come back in a
		// *PartialError beside the others' balances.
		bals, err := c.Accounts.Balances(ctx, ids...)
		var partial *tradestation.PartialError
		if err != nil && !errors.As(err, &partial) {
			return err
		}
		for _, b := range bals {
			fmt.Fprintf(out, "  %-12s %-8s cash %14s  equity %14s  buying power %14s\n",
				b.AccountID, b.AccountType, b.CashBalance.StringFixed(2), b.Equity.StringFixed(2), b.BuyingPower.StringFixed(2))
		}
		if partial != nil {
			fmt.Fprintf(out, "  %s\n", partial)
		}
		fmt.Fprintln(out, "\nPositions:")
		for _, id := range ids {
			pos, err := c.Positions.List(ctx, id, nil)
			if err != nil && !errors.As(err, &partial) {
				return err
			}
			for _, p := range pos {
				fmt.Fprintf(out, "  %-12s %-6s %-5s %8s @ %10s  P/L %12s\n",
					p.AccountID, p.Symbol, p.LongShort, p.Quantity, p.AveragePrice, p.UnrealizedProfitLoss.StringFixed(2))
			}
		}
	}

	quotes, err := c.Quotes.Get(ctx, symbols...)
	var unknown *tradestation.PartialError
	if err != nil && !errors.As(err, &unknown) {
		return err
	}
	fmt.Fprintln(out, "\nQuotes:")
	for _, q := range quotes {
		fmt.Fprintf(out, "  %-6s last %10s  bid %10s  ask %10s  change %8s%%\n", q.Symbol, q.Last, q.Bid, q.Ask, q.NetChangePct)
	}
	if unknown != nil {
		fmt.Fprintf(out, "  %s\n", unknown)
	}
	return nil
}
