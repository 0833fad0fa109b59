// Command just2trade logs in to Just2Trade (or Lime), then shows the
// user's profile, balances, positions and quotes, and validates, places
// and follows one order.
//
// With no environment set it runs against an in-process emulator
// (just2tradetest) and needs no account anywhere:
//
//	go run ./examples/just2trade
//
// To use the real broker, set:
//
//	J2T_CLIENT_ID      the application's client_id (required to leave the emulator)
//	J2T_CLIENT_SECRET  the application's client_secret
//	J2T_REDIRECT_URL   the registered loopback redirect URI, e.g. http://127.0.0.1:8765/callback
//	J2T_ENV            "just2trade" or "lime" (required with J2T_CLIENT_ID)
//	J2T_TOKEN_DIR      optional: keep the token in this directory (0600 file) between runs
//	J2T_PLACE_ORDER    "yes" to really place the 1-share market order; otherwise it is only validated
//
// The program prints the authorization URL; open it, log in, and the
// browser's redirect to the loopback address completes the login. Tokens
// slide: a token kept in J2T_TOKEN_DIR stays valid while it is used at
// least once every 24 hours (Lime: until 3:00 AM US Eastern).
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"time"

	"github.com/shopspring/decimal"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/internal/origin"
	"github.com/brokerkit/brokerkit/just2trade"
	"github.com/brokerkit/brokerkit/just2trade/just2tradetest"
)

func main() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	if err := run(ctx, os.Stdout, os.Getenv); err != nil {
		fmt.Fprintln(os.Stderr, "just2trade:", err)
		os.Exit(1)
	}
}

// setup is where the program talks to: a provider, how to reach the
// authorization page, and the base transport.
type setup struct {
	p         *just2trade.Provider
	store     auth.Store
	base      http.RoundTripper
	loopback  auth.LoopbackOptions
	placeReal bool
	emulated  bool
}

func run(ctx context.Context, out io.Writer, env func(string) string) error {
	var s setup
	var err error
	if env("J2T_CLIENT_ID") == "" {
		srv := just2tradetest.NewServer(just2tradetest.WithOrderDelay(200 * time.Millisecond))
		defer srv.Close()
		fmt.Fprintf(out, "Using the Just2Trade emulator at %s (set J2T_CLIENT_ID for the real broker).\n", srv.URL())
		s, err = emulated(srv)
	} else {
		s, err = live(env)
	}
	if err != nil {
		return err
	}

	src, err := auth.NewSource(s.p, s.store, auth.Key(s.p.Name(), "example"))
	if err != nil {
		return err
	}
	if _, err := src.TokenContext(ctx); err != nil {
		if !errors.Is(err, auth.ErrReauthRequired) {
			return err
		}
		tok, err := auth.LoginLoopback(ctx, s.p, s.loopback)
		if err != nil {
			return fmt.Errorf("login: %w", err)
		}
		if err := src.SetToken(ctx, tok); err != nil {
			return err
		}
		fmt.Fprintf(out, "Logged in; the token expires %s unless used.\n", tok.Expiry.Format(time.RFC1123))
	}
	c := s.p.NewClient(src, just2trade.WithBaseTransport(s.base))

	prof, err := c.Profile.Get(ctx)
	if err != nil {
		return fmt.Errorf("profile: %w", err)
	}
	fmt.Fprintf(out, "User %s (%s %s), %d accounts\n", prof.Login, prof.FirstName, prof.LastName, len(prof.Accounts))
	bals, err := c.Accounts.List(ctx)
	if err != nil {
		return fmt.Errorf("balances: %w", err)
	}
	for _, b := range bals {
		fmt.Fprintf(out, "  %-18s %-9s value %12s  cash %12s\n", b.AccountNumber, b.MarginType,
			b.AccountValueTotal.StringFixed(2), b.Cash.StringFixed(2))
	}
	if len(bals) == 0 {
		return errors.New("the user has no accounts")
	}
	account := bals[0].AccountNumber
	pos, err := c.Positions.List(ctx, account, nil)
	if err != nil {
		return fmt.Errorf("positions: %w", err)
	}
	fmt.Fprintf(out, "Positions of %s:\n", account)
	for _, p := range pos {
		fmt.Fprintf(out, "  %-6s %8s @ %10s  now %10s\n", p.Symbol, p.Quantity, p.AverageOpenPrice.StringFixed(2),
			p.CurrentPrice.StringFixed(2))
	}
	quotes, err := c.Quotes.Get(ctx, "AAPL", "MSFT")
	if err != nil {
		return fmt.Errorf("quotes: %w", err)
	}
	for _, q := range quotes {
		fmt.Fprintf(out, "Quote %-5s bid %10s  ask %10s  last %10s (15 min delayed)\n", q.Symbol, q.Bid, q.Ask, q.Last)
	}

	order := just2trade.OrderRequest{AccountNumber: account, Symbol: "AAPL", Quantity: decimal.NewFromInt(1),
		Type: just2trade.Market, Side: just2trade.Buy, TimeInForce: just2trade.Day}
	if err := c.Orders.Validate(ctx, order); err != nil {
		var ve *just2trade.ValidationError
		if errors.As(err, &ve) {
			fmt.Fprintf(out, "The broker would refuse the order: %s\n", ve.Message)
			return nil
		}
		return fmt.Errorf("validate: %w", err)
	}
	fmt.Fprintln(out, "Order validated: buy 1 AAPL at market.")
	if !s.emulated && !s.placeReal {
		fmt.Fprintln(out, "Not placing it (set J2T_PLACE_ORDER=yes to place it).")
		return nil
	}
	id, err := c.Orders.Place(ctx, order)
	if err != nil {
		return fmt.Errorf("place: %w", err)
	}
	fmt.Fprintf(out, "Order %s placed; waiting for the broker's verdict...\n", id)
	wctx, wcancel := context.WithTimeout(ctx, time.Minute)
	defer wcancel()
	o, err := c.Orders.Wait(wctx, id, 250*time.Millisecond)
	if err != nil {
		return fmt.Errorf("order %s: %w", id, err)
	}
	fmt.Fprintf(out, "Order %s is %s", id, o.Status)
	if o.Status == just2trade.StatusFilled {
		fmt.Fprintf(out, ": %s at %s", o.ExecutedQuantity, o.ExecutedPrice)
	}
	fmt.Fprintln(out)
	return nil
}

// emulated configures the program for srv: the seeded application, a user
// who approves at once, and a "browser" that follows the authorization URL
// to the loopback callback.
func emulated(srv *just2tradetest.Server) (setup, error) {
	p, err := srv.Provider()
	if err != nil {
		return setup{}, err
	}
	srv.SetAutoApprove(just2tradetest.User)
	browser := srv.Client()
	open := func(authURL string) error {
		resp, err := browser.Get(authURL)
		if err != nil {
			return err
		}
		resp.Body.Close()
		return nil
	}
	return setup{p: p, store: auth.NewMemoryStore(), base: srv.Client().Transport, emulated: true,
		loopback: auth.LoopbackOptions{Path: "/callback", Open: open, Output: io.Discard}}, nil
}

// live configures the program for the broker from the environment.
func live(env func(string) string) (setup, error) {
	redirect := env("J2T_REDIRECT_URL")
	u, err := url.Parse(redirect)
	if err != nil || u.Port() == "" || !origin.IsLoopback(u.Hostname()) {
		return setup{}, fmt.Errorf("J2T_REDIRECT_URL must be a registered loopback URI with a port, such as http://127.0.0.1:8765/callback")
	}
	port, _ := strconv.Atoi(u.Port())
	p, err := just2trade.New(just2trade.Config{
		ClientID:     env("J2T_CLIENT_ID"),
		ClientSecret: auth.Secret(env("J2T_CLIENT_SECRET")),
		RedirectURL:  redirect,
		Environment:  auth.Environment(env("J2T_ENV")),
	})
	if err != nil {
		return setup{}, err
	}
	var store auth.Store = auth.NewMemoryStore()
	if dir := env("J2T_TOKEN_DIR"); dir != "" {
		if store, err = auth.NewFileStore(dir); err != nil {
			return setup{}, err
		}
	}
	return setup{p: p, store: store, placeReal: env("J2T_PLACE_ORDER") == "yes",
		loopback: auth.LoopbackOptions{Host: u.Hostname(), Port: port, Path: u.Path}}, nil
}
