// Command spotware streams cTrader quotes: it logs in, shows the cTrader
// ID, the accounts and one account's balance, then prints bid and ask of a
// few symbols for a few seconds and unsubscribes.
//
// With no environment set it runs against an in-process emulator
// (spotwaretest), Protobuf over TLS on 127.0.0.1 included, and needs no
// account anywhere:
//
//	go run ./examples/spotware
//
// To stream from Spotware's demo server, set:
//
//	CTRADER_CLIENT_ID      the application's client ID (required to leave the emulator)
//	CTRADER_CLIENT_SECRET  the application's secret
//	CTRADER_ACCESS_TOKEN   an access token, e.g. from the app's Playground at openapi.ctrader.com/apps
//	CTRADER_REFRESH_TOKEN  optional: its refresh token, so an expired token can be refreshed
//	CTRADER_TOKEN_DIR      optional: keep the token in this directory (0600 file); a refresh
//	                       rotates the refresh token and the old one stops working, so set this
//	                       whenever you set CTRADER_REFRESH_TOKEN
//	CTRADER_ACCOUNT_ID     optional: the ctidTraderAccountId to use (default: the first demo account)
//	CTRADER_SYMBOLS        optional: comma-separated symbol names (default EURUSD,GBPUSD,XAUUSD)
//	CTRADER_ADDR           optional: host:port (default demo.ctraderapi.com:5035)
//	CTRADER_SECONDS        optional: how long to stream (default 5)
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/spotware"
	"github.com/brokerkit/brokerkit/spotware/spotwaretest"
)

func main() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if err := run(ctx, os.Stdout, os.Getenv); err != nil {
		fmt.Fprintln(os.Stderr, "spotware:", err)
		os.Exit(1)
	}
}

// printer serializes output from the quote loop and the event watcher.
type printer struct {
	mu  sync.Mutex
	out io.Writer
}

func (p *printer) f(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.out, format+"\n", args...)
}

func run(ctx context.Context, out io.Writer, getenv func(string) string) error {
	pr := &printer{out: out}
	seconds := 5
	if v := getenv("CTRADER_SECONDS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			return fmt.Errorf("CTRADER_SECONDS=%q is not a positive number", v)
		}
		seconds = n
	}
	cfg, cleanup, err := connectConfig(ctx, pr, getenv)
	if err != nil {
		return err
	}
	defer cleanup()

	s, err := spotware.Dial(ctx, cfg)
	if err != nil {
		return err
	}
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		for ev := range s.Events() {
			pr.f("  (%s)", ev)
		}
	}()
	defer func() {
		_ = s.Close() // closes Events, which ends the watcher
		<-watched
	}()

	prof, err := s.Profile(ctx)
	if err != nil {
		return err
	}
	list, err := s.Accounts(ctx)
	if err != nil {
		return err
	}
	pr.f("cTrader ID %d, scope %s, %d accounts:", prof.UserID, list.Scope, len(list.Accounts))
	for _, a := range list.Accounts {
		kind := "demo"
		if a.IsLive {
			kind = "live"
		}
		pr.f("  %d  %s  login %d  %s", a.ID, kind, a.TraderLogin, a.BrokerName)
	}
	account, err := pickAccount(list, getenv("CTRADER_ACCOUNT_ID"))
	if err != nil {
		return err
	}
	if err := s.AuthorizeAccount(ctx, account); err != nil {
		return err
	}
	tr, err := s.Trader(ctx, account)
	if err != nil {
		return err
	}
	assets, err := s.Assets(ctx, account)
	if err != nil {
		return err
	}
	currency := "?"
	for _, a := range assets {
		if a.ID == tr.DepositAssetID {
			currency = a.Name
		}
	}
	pr.f("Account %d at %s: balance %s %s, leverage 1:%s", account, tr.BrokerName, tr.Balance.StringFixed(2), currency, tr.Leverage)

	symbols, err := s.Symbols(ctx, account)
	if err != nil {
		return err
	}
	wanted := strings.Split(getenv("CTRADER_SYMBOLS"), ",")
	if getenv("CTRADER_SYMBOLS") == "" {
		wanted = []string{"EURUSD", "GBPUSD", "XAUUSD"}
	}
	chosen := map[int64]spotware.Symbol{}
	var ids []int64
	for _, sy := range symbols {
		if slices.Contains(wanted, strings.ReplaceAll(sy.Name, "/", "")) {
			chosen[sy.ID] = sy
			ids = append(ids, sy.ID)
		}
	}
	if len(ids) == 0 {
		return fmt.Errorf("none of the symbols %v is offered to account %d", wanted, account)
	}
	quotes, err := s.StreamQuotes(ctx, account, ids...)
	if err != nil {
		return err
	}
	defer quotes.Close()
	pr.f("Streaming %d symbols for %d s:", len(ids), seconds)
	deadline := time.After(time.Duration(seconds) * time.Second)
stream:
	for {
		select {
		case q, ok := <-quotes.C():
			if !ok {
				if err := quotes.Err(); err != nil {
					return err
				}
				break stream
			}
			sy := chosen[q.SymbolID]
			pr.f("  %-8s bid %-12s ask %-12s %s", sy.Name, side(q.Bid, q.HasBid, sy.Digits), side(q.Ask, q.HasAsk, sy.Digits),
				q.Time.UTC().Format("15:04:05.000"))
		case <-deadline:
			break stream
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if err := quotes.Close(); err != nil { // unsubscribes
		return err
	}
	st := quotes.Stats()
	pr.f("Unsubscribed: %d quotes, %d dropped, %d reconnects.", st.Events, st.Dropped, st.Reconnects)
	return nil
}

func side(v interface{ StringFixed(int32) string }, ok bool, digits int32) string {
	if !ok {
		return "-"
	}
	return v.StringFixed(digits)
}

func pickAccount(list *spotware.AccountList, want string) (int64, error) {
	if want != "" {
		id, err := strconv.ParseInt(want, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("CTRADER_ACCOUNT_ID=%q is not a number", want)
		}
		return id, nil
	}
	for _, a := range list.Accounts {
		if !a.IsLive {
			return a.ID, nil
		}
	}
	return 0, errors.New("the token gives access to no demo account; set CTRADER_ACCOUNT_ID and CTRADER_ADDR")
}

// connectConfig returns the session configuration: the emulator's by
// default, Spotware's demo server when CTRADER_CLIENT_ID is set.
func connectConfig(ctx context.Context, pr *printer, getenv func(string) string) (spotware.SessionConfig, func(), error) {
	id := getenv("CTRADER_CLIENT_ID")
	if id == "" {
		srv, err := spotwaretest.Start()
		if err != nil {
			return spotware.SessionConfig{}, nil, err
		}
		pr.f("Using the cTrader emulator (set CTRADER_CLIENT_ID and friends for Spotware's demo server).")
		p, err := srv.Provider()
		if err != nil {
			srv.Close()
			return spotware.SessionConfig{}, nil, err
		}
		tok, err := srv.Login(ctx, p)
		if err != nil {
			srv.Close()
			return spotware.SessionConfig{}, nil, err
		}
		pr.f("Logged in: %s", tok)
		ts, err := auth.NewSource(p, auth.NewMemoryStore(), auth.Key(spotware.Name, "emulated"))
		if err == nil {
			err = ts.SetToken(ctx, tok)
		}
		if err != nil {
			srv.Close()
			return spotware.SessionConfig{}, nil, err
		}
		return srv.SessionConfig(ts), srv.Close, nil
	}

	secret, access := getenv("CTRADER_CLIENT_SECRET"), getenv("CTRADER_ACCESS_TOKEN")
	if secret == "" {
		return spotware.SessionConfig{}, nil, errors.New("CTRADER_CLIENT_SECRET is required with CTRADER_CLIENT_ID")
	}
	// The example reads a demo account; say so rather than rely on a default.
	p, err := spotware.New(spotware.Config{ClientID: id, ClientSecret: auth.Secret(secret), Environment: auth.Demo})
	if err != nil {
		return spotware.SessionConfig{}, nil, err
	}
	var store auth.Store = auth.NewMemoryStore()
	if dir := getenv("CTRADER_TOKEN_DIR"); dir != "" {
		fs, err := auth.NewFileStore(dir)
		if err != nil {
			return spotware.SessionConfig{}, nil, err
		}
		store = fs
	}
	key := auth.Key(spotware.Name, id)
	ts, err := auth.NewSource(p, store, key)
	if err != nil {
		return spotware.SessionConfig{}, nil, err
	}
	if _, err := store.Load(ctx, key); errors.Is(err, auth.ErrNoToken) {
		if access == "" {
			return spotware.SessionConfig{}, nil, errors.New("CTRADER_ACCESS_TOKEN is required (no token kept in CTRADER_TOKEN_DIR yet)")
		}
		tok := &auth.Token{AccessToken: access, RefreshToken: getenv("CTRADER_REFRESH_TOKEN"), TokenType: "Bearer", Provider: spotware.Name}
		if err := ts.SetToken(ctx, tok); err != nil {
			return spotware.SessionConfig{}, nil, err
		}
	} else if err != nil {
		return spotware.SessionConfig{}, nil, err
	}
	sc := p.SessionConfig(ts)
	if addr := getenv("CTRADER_ADDR"); addr != "" {
		sc.Addr = addr
	}
	pr.f("Connecting to %s.", sc.Addr)
	return sc, func() {}, nil
}
