package main

import (
	"context"
	"fmt"
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

// manage stores tok and returns the Manager that hands out an HTTP client
// which authorizes every request and refreshes the token when it must.
func manage(ctx context.Context, p auth.Provider, tok *auth.Token, opts ...auth.ManagerOption) (*auth.Manager, error) {
	m, err := auth.NewManager(p, auth.NewMemoryStore(), opts...)
	if err != nil {
		return nil, err
	}
	return m, m.SetToken(ctx, user, tok)
}

func connectTradeStation(ctx context.Context, getenv func(string) string) (*session, error) {
	s := &session{title: "TradeStation", symbols: []string{"MSFT", "AAPL", "SPY"}, close: func() {}}
	var (
		p    auth.Provider
		tok  *auth.Token
		opts []tradestation.Option
		err  error
	)
	if cfg, envErr := providers.FromEnvFunc(providers.TradeStation, getenv); envErr == nil {
		s.where = "live API"
		if p, err = providers.New(providers.TradeStation, cfg); err != nil {
			return nil, err
		}
		tok, err = loginReal(ctx, p, cfg.RedirectURL)
	} else {
		srv := tradestationtest.NewServer()
		s.where, s.close, opts = "emulator at "+srv.URL, srv.Close, srv.ClientOptions()
		if p, err = tradestation.New(srv.Config(tradestation.V3)); err != nil {
			return nil, err
		}
		tok, err = login(ctx, p, srv.Browser(tradestationtest.Username, tradestationtest.Password).Login)
	}
	if err != nil {
		s.close()
		return nil, err
	}
	m, err := manage(ctx, p, tok)
	if err != nil {
		s.close()
		return nil, err
	}
	s.token = tok
	s.view = providers.NewTradeStationView(tradestation.NewClient(m.Client(user), opts...))
	return s, nil
}

func connectJust2Trade(ctx context.Context, getenv func(string) string) (*session, error) {
	s := &session{title: "Just2Trade", symbols: []string{"AAPL", "MSFT", "TSLA"}, close: func() {}}
	var (
		p    auth.Provider
		tok  *auth.Token
		opts []just2trade.Option
		err  error
	)
	if cfg, envErr := providers.FromEnvFunc(providers.Just2Trade, getenv); envErr == nil {
		s.where = "live API"
		if p, err = providers.New(providers.Just2Trade, cfg); err != nil {
			return nil, err
		}
		opts = append(opts, just2trade.WithEnvironment(cfg.Environment))
		tok, err = loginReal(ctx, p, cfg.RedirectURL)
	} else {
		srv := just2tradetest.NewServer()
		s.where, s.close, opts = "emulator at "+srv.URL, srv.Close, srv.ClientOptions()
		if p, err = srv.Provider(); err != nil {
			return nil, err
		}
		tok, err = login(ctx, p, srv.Browser(just2tradetest.Username, just2tradetest.Password).Login)
	}
	if err != nil {
		s.close()
		return nil, err
	}
	// Just2Trade has no refresh grant: its token lives 24 hours after its
	// last use. The Manager's transport keeps that sliding expiry in step.
	m, err := manage(ctx, p, tok)
	if err != nil {
		s.close()
		return nil, err
	}
	s.token = tok
	s.view = providers.NewJust2TradeView(just2trade.NewClient(m.Client(user), opts...))
	return s, nil
}

func connectAutoShares(ctx context.Context, getenv func(string) string) (*session, error) {
	s := &session{title: "AutoShares", symbols: []string{"AAPL", "MSFT", "TSLA"}, close: func() {}}
	var (
		p    auth.Provider
		tok  *auth.Token
		opts []autoshares.Option
		err  error
	)
	if cfg, envErr := providers.FromEnvFunc(providers.AutoShares, getenv); envErr == nil {
		s.where = "tenant " + cfg.Domain
		if p, err = providers.New(providers.AutoShares, cfg); err != nil {
			return nil, err
		}
		opts = append(opts, autoshares.WithAPIKey(cfg.APIKey))
		tok, err = loginReal(ctx, p, cfg.RedirectURL)
	} else {
		srv := autosharestest.NewServer()
		s.where, s.close, opts = "emulator at "+srv.URL, srv.Close, srv.ClientOptions()
		if p, err = autoshares.New(srv.ProviderConfig()); err != nil {
			return nil, err
		}
		tok, err = login(ctx, p, srv.Browser(autosharestest.TraderLogin, autosharestest.TraderPassword).Login)
	}
	if err != nil {
		s.close()
		return nil, err
	}
	m, err := manage(ctx, p, tok)
	if err != nil {
		s.close()
		return nil, err
	}
	c := autoshares.NewClient(m.Client(user), opts...)
	// AutoShares refuses market data and trading until the user has signed
	// the required agreements; an onboarding app signs them once.
	signed, err := c.Agreements.SignAllRequired(ctx, autoshares.Me)
	if err != nil {
		s.close()
		return nil, err
	}
	if len(signed) > 0 {
		s.where += fmt.Sprintf("; signed %d pending agreements", len(signed))
	}
	s.token = tok
	s.view = providers.NewAutoSharesView(c)
	return s, nil
}

func connectSpotware(ctx context.Context, getenv func(string) string) (*session, error) {
	s := &session{title: "Spotware cTrader", symbols: []string{"EURUSD", "GBPUSD", "XAUUSD"}, close: func() {}}
	var (
		p   auth.Provider
		tok *auth.Token
		sc  spotware.SessionConfig
		err error
	)
	cfg, envErr := providers.FromEnvFunc(providers.Spotware, getenv)
	var srv *spotwaretest.Server
	if envErr == nil {
		s.where = "demo server"
		if p, err = providers.New(providers.Spotware, cfg); err != nil {
			return nil, err
		}
		tok, err = loginReal(ctx, p, cfg.RedirectURL)
	} else {
		srv = spotwaretest.NewServer()
		s.where, s.close = "emulator at "+srv.Addr+" (protobuf over TLS)", srv.Close
		if p, err = srv.Provider(); err != nil {
			return nil, err
		}
		tok, err = login(ctx, p, srv.Browser(spotwaretest.Username, spotwaretest.Password).Login)
	}
	if err != nil {
		s.close()
		return nil, err
	}
	// cTrader rotates its refresh token on every use: the TokenSource saves
	// each new one before anyone sees it.
	src, err := auth.NewTokenSource(p, auth.NewMemoryStore(), user)
	if err == nil {
		err = src.SetToken(ctx, tok)
	}
	if err != nil {
		s.close()
		return nil, err
	}
	if srv != nil {
		sc = srv.SessionConfig(src)
	} else {
		sc = spotware.SessionConfig{ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret, Tokens: src}
	}
	sess, err := spotware.Dial(ctx, sc)
	if err != nil {
		s.close()
		return nil, err
	}
	stop := s.close
	s.close = func() { _ = sess.Close(); stop() }
	list, err := sess.Accounts(ctx)
	if err != nil {
		s.close()
		return nil, err
	}
	if len(list.Accounts) == 0 {
		s.close()
		return nil, fmt.Errorf("spotware: the token grants no trading account")
	}
	account := list.Accounts[0].ID
	if err := sess.AuthorizeAccount(ctx, account); err != nil {
		s.close()
		return nil, err
	}
	s.token = tok
	s.view = providers.NewSpotwareView(sess, account)
	return s, nil
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
