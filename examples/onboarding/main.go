// Command onboarding walks a new AutoShares user from sign-up to a first
// trade: an administrator creates the user account, the user logs in, signs
// the agreements AutoShares requires, gets a trading account bound, looks
// at positions and quotes, places an order and sets a price alert.
//
// With no environment set it runs against an in-process emulator
// (autosharestest) and needs no account anywhere; the emulator's consent
// page is answered by a scripted browser and the example moves a quote
// itself so that the alert fires:
//
//	go run ./examples/onboarding
//
// Against a real AutoShares tenant every login goes through your browser
// (a loopback redirect on 127.0.0.1, RFC 8252; AutoShares must add
// http://127.0.0.1:PORT/callback to the application's Allowed Callback
// URLs). Set:
//
//	AUTOSHARES_DOMAIN         the Auth0 tenant, e.g. autosharesdev.us.auth0.com (required to leave the emulator)
//	AUTOSHARES_CLIENT_ID      the application's client ID
//	AUTOSHARES_CLIENT_SECRET  the application's client secret
//	AUTOSHARES_API_KEY        the application's API secret key
//	AUTOSHARES_ENVIRONMENT    live or demo: the API host (no default: nothing trades live by accident)
//	AUTOSHARES_API_URL        optional: API base URL overriding the environment's host
//	AUTOSHARES_API_KEY_HEADER optional: header for the API key (default Et-App-Key)
//	AUTOSHARES_AUDIENCE       optional: Auth0 audience of the API
//	AUTOSHARES_REFRESH        optional: "1" when refresh tokens are enabled for the application
//	AUTOSHARES_REDIRECT_PORT  optional: loopback callback port (default 8765)
//	AUTOSHARES_NEW_LOGIN      optional: with AUTOSHARES_NEW_EMAIL, AUTOSHARES_NEW_FIRST and
//	                          AUTOSHARES_NEW_LAST, an administrator logs in first and creates this
//	                          user; otherwise the user signs up on the tenant's login page
//	AUTOSHARES_BIND_ACCOUNT   optional: account id the administrator binds to the user (Full access)
//	AUTOSHARES_SIGN           optional: "yes" signs the required agreements (a legal act: read them first)
//	AUTOSHARES_ORDER_SYMBOL   optional: places a market order for one share of this symbol
//	                          (a real order on a live account)
//
// Quotes come from AutoShares' quote streamer (GET /v1.0/streamers and its
// WebSocket): Quotes.Get takes one quote of the symbol from the stream.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/autoshares"
	"github.com/brokerkit/brokerkit/autoshares/autosharestest"
	"github.com/brokerkit/brokerkit/internal/origin"
	"github.com/shopspring/decimal"
)

func main() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	if err := run(ctx, os.Stdout, os.Getenv); err != nil {
		fmt.Fprintln(os.Stderr, "onboarding:", err)
		os.Exit(1)
	}
}

// env is where the example runs: the provider, the client options, how a
// user logs in, and the emulator when there is one.
type env struct {
	p       *autoshares.Provider
	opts    []autoshares.Option
	login   func(ctx context.Context, who, password string) (*auth.Token, error)
	emu     *autosharestest.Server
	logins  int
	newUser autoshares.NewUser
	account int64
	sign    bool
	symbol  string
}

func run(ctx context.Context, out io.Writer, getenv func(string) string) error {
	e, cleanup, err := setup(getenv, out)
	if err != nil {
		return err
	}
	defer cleanup()
	say := func(format string, args ...any) { fmt.Fprintf(out, format+"\n", args...) }

	// 1. An administrator creates the user account.
	if e.newUser.Login != "" {
		adminTok, err := e.login(ctx, autosharestest.AdminLogin, autosharestest.AdminPassword)
		if err != nil {
			return fmt.Errorf("administrator login: %w", err)
		}
		admin, err := e.client(ctx, adminTok)
		if err != nil {
			return err
		}
		u, err := admin.Users.Create(ctx, e.newUser, &autoshares.CreateUserOptions{SendInvitationEmail: e.emu == nil})
		if err != nil {
			return fmt.Errorf("creating the user: %w", err)
		}
		say("created user %s (id %d)", u.Login, u.ID)
		if e.account != 0 {
			b, err := admin.Accounts.Bind(ctx, e.account, autoshares.UserID(u.ID), autoshares.AccessFull)
			if err != nil {
				return fmt.Errorf("binding account %d: %w", e.account, err)
			}
			say("bound account %d to %s with %s access", e.account, u.Login, b.AccessType)
		}
	}

	// 2. The user logs in.
	tok, err := e.login(ctx, e.newUser.Login, autosharestest.NewUserPassword)
	if err != nil {
		return fmt.Errorf("user login: %w", err)
	}
	c, err := e.client(ctx, tok)
	if err != nil {
		return err
	}
	me, err := c.Profile.Get(ctx)
	if err != nil {
		return fmt.Errorf("reading @me: %w", err)
	}
	say("logged in as %s %s <%s>, token %s", me.FirstName, me.LastName, me.Email, tok)

	// 3. Agreements: list, and sign the required ones.
	pending, err := c.Agreements.Outstanding(ctx, autoshares.Me)
	if err != nil {
		return fmt.Errorf("listing agreements: %w", err)
	}
	for _, a := range pending {
		say("outstanding agreement: %s (required %t)", label(a), a.IsRequired())
	}
	if e.sign {
		signed, err := c.Agreements.SignAllRequired(ctx, autoshares.Me)
		if err != nil {
			return err
		}
		for _, a := range signed {
			say("signed %s", label(a))
		}
	} else if len(pending) > 0 {
		say("not signing agreements (set AUTOSHARES_SIGN=yes to sign them)")
	}

	// 4. Accounts, balances, positions.
	accounts, err := c.Accounts.List(ctx)
	if err != nil {
		return fmt.Errorf("listing accounts: %w", err)
	}
	if len(accounts) == 0 {
		say("no trading account is bound to this user yet")
		return nil
	}
	acc := accounts[0]
	accID := strconv.FormatInt(acc.ID, 10)
	bals, err := c.Accounts.Balances(ctx, accID)
	if err != nil {
		return fmt.Errorf("balances of %d: %w", acc.ID, err)
	}
	bal := bals[0]
	say("account %d (%s, %s): cash %s, buying power %s", acc.ID, acc.MarginType, acc.AccessType,
		bal.Cash.StringFixed(2), bal.StockBuyingPower.StringFixed(2))
	positions, err := c.Positions.List(ctx, accID, nil) // every page
	if err != nil {
		return fmt.Errorf("positions of %d: %w", acc.ID, err)
	}
	for _, p := range positions {
		say("position %s: %s @ %s", p.Symbol, p.Quantity, p.AverageOpenPrice.StringFixed(2))
	}

	// 5. Quotes.
	if e.symbol == "" {
		return nil
	}
	quotes, err := c.Quotes.Get(ctx, e.symbol)
	if err != nil {
		if errors.Is(err, autoshares.ErrAgreementsPending) {
			say("quotes refused: %v", err)
			return nil
		}
		return fmt.Errorf("quotes: %w", err)
	}
	for _, q := range quotes {
		say("quote %s: bid %s ask %s last %s", q.Symbol, q.Bid, q.Ask, q.Last)
	}
	if len(quotes) == 0 {
		return fmt.Errorf("no quote for %s", e.symbol)
	}
	sec, err := c.Quotes.LookupSecurity(ctx, e.symbol)
	if err != nil {
		return fmt.Errorf("security lookup: %w", err)
	}

	// 6. A first order.
	order := autoshares.OrderRequest{Symbol: e.symbol, Type: autoshares.OrderMarket, Side: autoshares.SideBuy,
		Quantity: decimal.NewFromInt(1), TimeInForce: autoshares.TimeInForceDay,
		ClientID: "onboarding-" + strconv.FormatInt(time.Now().Unix(), 10)}
	preview, err := c.Orders.Preview(ctx, acc.ID, order)
	if err != nil {
		return fmt.Errorf("order preview: %w", err)
	}
	say("preview: cost %s, commission %s", preview.Cost.StringFixed(2), preview.Commission.StringFixed(2))
	placed, err := c.Orders.Place(ctx, acc.ID, order)
	if err != nil {
		return fmt.Errorf("placing the order: %w", err)
	}
	now, err := c.Orders.Get(ctx, acc.ID, placed.ID)
	if err != nil {
		return fmt.Errorf("reading order %d: %w", placed.ID, err)
	}
	say("order %d: %s, then %s at %s", placed.ID, placed.Status, now.Status, now.AveragePrice)

	// 7. A price alert one percent above the last price.
	target := quotes[0].Last.Mul(decimal.RequireFromString("1.01")).Round(2)
	alert, err := c.PriceAlerts.Create(ctx, autoshares.Me, autoshares.NewPriceAlert{SecurityID: sec.ID,
		Operator: autoshares.AlertGreaterOrEqual, Field: autoshares.AlertFieldLast, Argument: target})
	if err != nil {
		return fmt.Errorf("creating the price alert: %w", err)
	}
	say("price alert %d: %s when Last >= %s", alert.ID, alert.State, target)
	if e.emu != nil {
		up := target.Add(decimal.RequireFromString("0.05"))
		e.emu.SetQuote(e.symbol, up.Sub(decimal.RequireFromString("0.02")), up.Add(decimal.RequireFromString("0.02")), up)
		say("(emulator) %s moved to %s", e.symbol, up)
		alert, err = c.PriceAlerts.Get(ctx, autoshares.Me, alert.ID)
		if err != nil {
			return fmt.Errorf("reading the price alert: %w", err)
		}
		say("price alert %d: %s", alert.ID, alert.State)
	}
	return nil
}

func label(a autoshares.Agreement) string {
	if a.Title != "" {
		return a.Title
	}
	return a.Type
}

// client returns an API client for tok, refreshing it when the provider
// can.
func (e *env) client(ctx context.Context, tok *auth.Token) (*autoshares.Client, error) {
	e.logins++
	src, err := auth.NewSource(e.p, auth.NewMemoryStore(), auth.Key(e.p.Name(), "login-"+strconv.Itoa(e.logins)))
	if err != nil {
		return nil, err
	}
	if err := src.SetToken(ctx, tok); err != nil {
		return nil, err
	}
	return e.p.NewClient(src, e.opts...), nil
}

func setup(getenv func(string) string, out io.Writer) (*env, func(), error) {
	if getenv("AUTOSHARES_DOMAIN") == "" {
		return emulatorSetup()
	}
	return tenantSetup(getenv, out)
}

func emulatorSetup() (*env, func(), error) {
	srv, err := autosharestest.Start()
	if err != nil {
		return nil, nil, err
	}
	p, err := srv.Provider()
	if err != nil {
		srv.Close()
		return nil, nil, err
	}
	e := &env{p: p, emu: srv,
		newUser: autoshares.NewUser{FirstName: "Nina", LastName: "Newcomer", EmailAddress: "nina@example.com", Login: "nina"},
		account: autosharestest.SpareAccountID, sign: true, symbol: "AAPL"}
	e.login = func(ctx context.Context, who, password string) (*auth.Token, error) {
		browser := srv.Browser(who, password)
		return auth.LoginLoopback(ctx, p, auth.LoopbackOptions{Path: "/callback", Timeout: 30 * time.Second, Output: io.Discard,
			Open: func(u string) error {
				_, err := browser.LoginAndVisit(ctx, u)
				return err
			}})
	}
	return e, srv.Close, nil
}

func tenantSetup(getenv func(string) string, out io.Writer) (*env, func(), error) {
	need := func(k string) (string, error) {
		if v := getenv(k); v != "" {
			return v, nil
		}
		return "", fmt.Errorf("%s is not set (see go doc ./examples/onboarding)", k)
	}
	var vals [5]string
	for i, k := range []string{"AUTOSHARES_CLIENT_ID", "AUTOSHARES_CLIENT_SECRET", "AUTOSHARES_API_KEY", "AUTOSHARES_DOMAIN",
		"AUTOSHARES_ENVIRONMENT"} {
		v, err := need(k)
		if err != nil {
			return nil, nil, err
		}
		vals[i] = v
	}
	port := 8765
	if v := getenv("AUTOSHARES_REDIRECT_PORT"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 || n > 65535 {
			return nil, nil, fmt.Errorf("AUTOSHARES_REDIRECT_PORT=%q is not a port", v)
		}
		port = n
	}
	p, err := autoshares.New(autoshares.Config{Domain: vals[3], ClientID: vals[0], ClientSecret: auth.Secret(vals[1]),
		Environment: auth.Environment(vals[4]), APIKey: auth.Secret(vals[2]), APIKeyHeader: getenv("AUTOSHARES_API_KEY_HEADER"),
		Audience: getenv("AUTOSHARES_AUDIENCE"), RefreshEnabled: getenv("AUTOSHARES_REFRESH") == "1"})
	if err != nil {
		return nil, nil, err
	}
	var opts []autoshares.Option
	if v := getenv("AUTOSHARES_API_URL"); v != "" {
		if err := origin.CheckEndpoint(v); err != nil {
			return nil, nil, fmt.Errorf("AUTOSHARES_API_URL: %w", err)
		}
		opts = append(opts, autoshares.WithBaseURL(v))
	}
	e := &env{p: p, opts: opts, sign: getenv("AUTOSHARES_SIGN") == "yes",
		symbol: getenv("AUTOSHARES_ORDER_SYMBOL"),
		newUser: autoshares.NewUser{Login: getenv("AUTOSHARES_NEW_LOGIN"), EmailAddress: getenv("AUTOSHARES_NEW_EMAIL"),
			FirstName: getenv("AUTOSHARES_NEW_FIRST"), LastName: getenv("AUTOSHARES_NEW_LAST")}}
	if v := getenv("AUTOSHARES_BIND_ACCOUNT"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			return nil, nil, fmt.Errorf("AUTOSHARES_BIND_ACCOUNT=%q is not an account id", v)
		}
		e.account = n
	}
	e.login = func(ctx context.Context, who, _ string) (*auth.Token, error) {
		switch who {
		case autosharestest.AdminLogin:
			who = "an administrator of the tenant"
		case "":
			who = "the new user (sign up on the page if you have no login yet)"
		}
		fmt.Fprintf(out, "Log in as %s.\n", who)
		return auth.LoginLoopback(ctx, p, auth.LoopbackOptions{Port: port, Path: "/callback", Output: out})
	}
	return e, func() {}, nil
}
