package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/autoshares"
	"github.com/brokerkit/brokerkit/autoshares/autosharestest"
	"github.com/brokerkit/brokerkit/just2trade"
	"github.com/brokerkit/brokerkit/just2trade/just2tradetest"
	"github.com/brokerkit/brokerkit/providers"
	"github.com/brokerkit/brokerkit/spotware"
	"github.com/brokerkit/brokerkit/spotware/spotwaretest"
	"github.com/brokerkit/brokerkit/tradestation"
	"github.com/brokerkit/brokerkit/tradestation/tradestationtest"
)

// user is the one user of this program, the key of its tokens in the store.
const user = "quickstart-user"

// login runs the authorization-code flow as every app does: Begin makes the
// state and PKCE verifier, the user consents at flow.URL (browse plays the
// user here), and Complete checks the callback and exchanges the code.
func login(ctx context.Context, p auth.Provider, browse func(ctx context.Context, authURL string) (string, error)) (*auth.Token, error) {
	flow, err := auth.Begin(p)
	if err != nil {
		return nil, err
	}
	callback, err := browse(ctx, flow.URL)
	if err != nil {
		return nil, fmt.Errorf("consent: %w", err)
	}
	return flow.CompleteURL(ctx, p, callback)
}

// loginReal logs in to a real broker through a loopback redirect: the user
// opens the printed URL in a browser.
func loginReal(ctx context.Context, p auth.Provider, redirect string) (*auth.Token, error) {
	u, err := url.Parse(redirect)
	if err != nil {
		return nil, fmt.Errorf("redirect URL: %w", err)
	}
	opts := []auth.LoopbackOption{auth.LoopbackOutput(os.Stderr), auth.LoopbackHost(u.Hostname()), auth.LoopbackPath(u.Path)}
	if port, err := strconv.Atoi(u.Port()); err == nil {
		opts = append(opts, auth.LoopbackPort(port))
	}
	return auth.LoginLoopback(ctx, p, opts...)
}

// target is where one broker's login happens: its emulator, or the real
// broker when its environment variables are set (then cfg holds them).
type target struct {
	p      auth.Provider
	cfg    providers.Config
	real   bool
	where  string
	browse func(ctx context.Context, authURL string) (string, error)
	close  func()
}

// open picks the real broker when getenv configures it, else the emulator,
// and logs the user in.
func open(ctx context.Context, name string, getenv func(string) string, emulate func() (*target, error)) (*target, *auth.Token, error) {
	var t *target
	if cfg, err := providers.FromEnvFunc(name, getenv); err == nil {
		p, err := providers.New(name, cfg)
		if err != nil {
			return nil, nil, err
		}
		t = &target{p: p, cfg: cfg, real: true, where: "real broker", close: func() {}}
	} else if t, err = emulate(); err != nil {
		return nil, nil, err
	}
	var tok *auth.Token
	var err error
	if t.real {
		tok, err = loginReal(ctx, t.p, t.cfg.RedirectURL)
	} else {
		tok, err = login(ctx, t.p, t.browse)
	}
	if err != nil {
		t.close()
		return nil, nil, err
	}
	return t, tok, nil
}

// client returns the HTTP client that authorizes every request with the
// user's token and refreshes it when it must.
func (t *target) client(ctx context.Context, tok *auth.Token) (*http.Client, error) {
	m, err := auth.NewManager(t.p, auth.NewMemoryStore())
	if err == nil {
		err = m.SetToken(ctx, user, tok)
	}
	if err != nil {
		t.close()
		return nil, err
	}
	return m.Client(user), nil
}

// tsProvider is p as the TradeStation provider it is; nil (and a client
// that refuses every call) otherwise.
func tsProvider(p auth.Provider) *tradestation.Provider {
	tp, _ := p.(*tradestation.Provider)
	return tp
}

func connectTradeStation(ctx context.Context, getenv func(string) string) (*session, error) {
	t, tok, err := open(ctx, providers.TradeStation, getenv, func() (*target, error) {
		srv := tradestationtest.NewServer()
		p, err := srv.Provider()
		return &target{p: p, where: "emulator at " + srv.URL(), close: srv.Close,
			browse: srv.Browser(tradestationtest.User, tradestationtest.Password).Login}, err
	})
	if err != nil {
		return nil, err
	}
	hc, err := t.client(ctx, tok)
	if err != nil {
		return nil, err
	}
	return &session{title: "TradeStation", where: t.where, token: tok, close: t.close, symbols: []string{"MSFT", "AAPL", "SPY"},
		// The provider (from the registry or the emulator) carries the
		// environment and hosts.
		view: providers.NewTradeStationView(tradestation.NewClient(hc, tradestation.WithProvider(tsProvider(t.p))))}, nil
}

func connectJust2Trade(ctx context.Context, getenv func(string) string) (*session, error) {
	t, tok, err := open(ctx, providers.Just2Trade, getenv, func() (*target, error) {
		srv := just2tradetest.NewServer()
		p, err := srv.Provider()
		return &target{p: p, where: "emulator at " + srv.URL(), close: srv.Close,
			browse: srv.Browser(just2tradetest.User, just2tradetest.Password).Login}, err
	})
	if err != nil {
		return nil, err
	}
	// The provider, emulated or real, states the API host and environment.
	p, ok := t.p.(*just2trade.Provider)
	if !ok {
		return nil, fmt.Errorf("quickstart: %s provider is a %T", providers.Just2Trade, t.p)
	}
	// Just2Trade has no refresh grant: its token lives 24 hours after its
	// last use, and the Manager's transport keeps that sliding expiry in step.
	hc, err := t.client(ctx, tok)
	if err != nil {
		return nil, err
	}
	return &session{title: "Just2Trade", where: t.where, token: tok, close: t.close, symbols: []string{"AAPL", "MSFT", "TSLA"},
		view: providers.NewJust2TradeView(just2trade.NewClient(hc, just2trade.WithProvider(p)))}, nil
}

func connectAutoShares(ctx context.Context, getenv func(string) string) (*session, error) {
	t, tok, err := open(ctx, providers.AutoShares, getenv, func() (*target, error) {
		srv := autosharestest.NewServer()
		p, err := srv.Provider()
		return &target{p: p, where: "emulator at " + srv.URL(), close: srv.Close,
			browse: srv.Browser(autosharestest.User, autosharestest.Password).Login}, err
	})
	if err != nil {
		return nil, err
	}
	// The provider states the environment's host and the API key once.
	p, ok := t.p.(*autoshares.Provider)
	if !ok {
		t.close()
		return nil, fmt.Errorf("quickstart: %T is not an AutoShares provider", t.p)
	}
	hc, err := t.client(ctx, tok)
	if err != nil {
		return nil, err
	}
	c := autoshares.NewClient(hc, autoshares.WithProvider(p))
	// AutoShares refuses market data and trading until the user has signed
	// the required agreements; an onboarding app signs them once.
	signed, err := c.Agreements.SignAllRequired(ctx, autoshares.Me)
	if err != nil {
		t.close()
		return nil, err
	}
	where := t.where
	if len(signed) > 0 {
		where += fmt.Sprintf("; signed %d pending agreements", len(signed))
	}
	return &session{title: "AutoShares", where: where, token: tok, close: t.close, symbols: []string{"AAPL", "MSFT", "TSLA"},
		view: providers.NewAutoSharesView(c)}, nil
}

func connectSpotware(ctx context.Context, getenv func(string) string) (*session, error) {
	var srv *spotwaretest.Server
	t, tok, err := open(ctx, providers.Spotware, getenv, func() (*target, error) {
		srv = spotwaretest.NewServer()
		p, err := srv.Provider()
		return &target{p: p, where: "emulator at " + srv.Addr + ", protobuf over TLS", close: srv.Close,
			browse: srv.Browser(spotwaretest.User, spotwaretest.Password).Login}, err
	})
	if err != nil {
		return nil, err
	}
	fail := func(err error) (*session, error) { t.close(); return nil, err }
	// cTrader rotates its refresh token on every use: the TokenSource saves
	// each new one before anyone sees it.
	src, err := auth.NewSource(t.p, auth.NewMemoryStore(), user)
	if err == nil {
		err = src.SetToken(ctx, tok)
	}
	if err != nil {
		return fail(err)
	}
	// The real broker's hosts come from its configured environment.
	var sc spotware.SessionConfig
	if srv != nil {
		sc = srv.SessionConfig(src)
	} else if p, ok := t.p.(*spotware.Provider); ok {
		sc = p.SessionConfig(src)
	} else {
		return fail(fmt.Errorf("spotware: unexpected provider %T", t.p))
	}
	sess, err := spotware.Dial(ctx, sc)
	if err != nil {
		return fail(err)
	}
	stop := t.close
	t.close = func() { _ = sess.Close(); stop() }
	list, err := sess.Accounts(ctx)
	if err == nil && len(list.Accounts) == 0 {
		err = errors.New("spotware: the token grants no trading account")
	}
	if err != nil {
		return fail(err)
	}
	account := list.Accounts[0].ID
	if err := sess.AuthorizeAccount(ctx, account); err != nil {
		return fail(err)
	}
	return &session{title: "Spotware cTrader", where: t.where, token: tok, close: t.close,
		symbols: []string{"EURUSD", "GBPUSD", "XAUUSD"}, view: providers.NewSpotwareView(sess, account)}, nil
}

// price shows d exactly, with at least two decimals.
func price(d decimal.Decimal) string {
	if d.Exponent() > -2 {
		return d.StringFixed(2)
	}
	return d.String()
}

// money formats d with two decimals and thousands separators.
func money(d decimal.Decimal) string {
	s := d.StringFixed(2)
	sign := ""
	if strings.HasPrefix(s, "-") {
		sign, s = "-", s[1:]
	}
	whole, frac, _ := strings.Cut(s, ".")
	var b strings.Builder
	for i, r := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return sign + b.String() + "." + frac
}
