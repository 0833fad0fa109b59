package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"

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

// broker is one broker a user can link: its provider, the users' tokens
// and how to read a user's data there.
type broker struct {
	name string
	// tokens keeps every user's token at this broker. All brokers share
	// one Store; each Manager keys it by broker and user.
	tokens *auth.Manager
	// callback is the path of the redirect URL registered for this
	// broker. Each broker has its own (RFC 9700 §4.4.2, mix-up defence).
	callback string
	// view opens a normalized view of user's data; done releases what it
	// holds.
	view func(ctx context.Context, user string) (v providers.View, done func(), err error)
	// afterLogin, when set, runs once the new token is stored.
	afterLogin func(ctx context.Context, user string) error
	// notice, when set, tells what the user must do at the broker before
	// everything works ("" when nothing).
	notice func(ctx context.Context, user string) (string, error)
	// hint is shown beside the login link.
	hint string
}

// newBroker gives p a token manager over store. The REST brokers answer a
// refused token with a bare 401 (no RFC 6750 challenge), so any 401 is
// worth one refresh.
func newBroker(p auth.Provider, store auth.Store, redirectURL string) (*broker, error) {
	u, err := url.Parse(redirectURL)
	if err != nil || u.Path == "" || u.Path == "/" || strings.ContainsAny(u.Path, "{} ") {
		return nil, fmt.Errorf("%s: redirect URL %q needs a path of its own, such as /callback/%s",
			p.Name(), redirectURL, p.Name())
	}
	m, err := auth.NewManager(p, store) // each provider states how its API refuses tokens
	if err != nil {
		return nil, err
	}
	return &broker{name: p.Name(), tokens: m, callback: u.Path}, nil
}

func noop() {}

func tradeStationBroker(p *tradestation.Provider, store auth.Store, redirectURL string) (*broker, error) {
	b, err := newBroker(p, store, redirectURL)
	if err != nil {
		return nil, err
	}
	b.view = func(_ context.Context, user string) (providers.View, func(), error) {
		// The provider carries the environment and the hosts.
		return providers.NewTradeStationView(tradestation.NewClient(b.tokens.Client(user),
			tradestation.WithProvider(p))), noop, nil
	}
	return b, nil
}

func just2TradeBroker(p auth.Provider, store auth.Store, redirectURL string, opts ...just2trade.Option) (*broker, error) {
	b, err := newBroker(p, store, redirectURL)
	if err != nil {
		return nil, err
	}
	// The provider states the API host and the environment, once.
	if jp, ok := p.(*just2trade.Provider); ok {
		opts = append([]just2trade.Option{just2trade.WithProvider(jp)}, opts...)
	}
	b.view = func(_ context.Context, user string) (providers.View, func(), error) {
		return providers.NewJust2TradeView(just2trade.NewClient(b.tokens.Client(user), opts...)), noop, nil
	}
	return b, nil
}

func autoSharesBroker(p *autoshares.Provider, store auth.Store, redirectURL string) (*broker, error) {
	b, err := newBroker(p, store, redirectURL)
	if err != nil {
		return nil, err
	}
	b.view = func(_ context.Context, user string) (providers.View, func(), error) {
		return providers.NewAutoSharesView(p.NewClient(b.tokens.Source(user))), noop, nil
	}
	return b, nil
}

// pendingAgreements lists the required AutoShares agreements the user has
// not signed. Real users sign them themselves, at AutoShares; until then
// quotes and trading are refused.
func pendingAgreements(b *broker, p *autoshares.Provider) func(context.Context, string) (string, error) {
	return func(ctx context.Context, user string) (string, error) {
		c := p.NewClient(b.tokens.Source(user))
		list, err := c.Agreements.Outstanding(ctx, autoshares.Me)
		list = slices.DeleteFunc(list, func(a autoshares.Agreement) bool { return !a.IsRequired() })
		if err != nil || len(list) == 0 {
			return "", err
		}
		return "sign these agreements at AutoShares to unlock quotes and trading: " + autoshares.AgreementTitles(list), nil
	}
}

// spotwareBroker reads data over a cTrader session per page view: dial,
// authorize the live and demo accounts, read, close. live picks the kind
// of account quotes are read through.
func spotwareBroker(p auth.Provider, store auth.Store, redirectURL string,
	session func(auth.TokenSource) spotware.SessionConfig, live bool) (*broker, error) {
	b, err := newBroker(p, store, redirectURL)
	if err != nil {
		return nil, err
	}
	b.view = func(ctx context.Context, user string) (providers.View, func(), error) {
		s, err := spotware.Dial(ctx, session(b.tokens.Source(user)))
		if err != nil {
			return nil, nil, err
		}
		v, err := authorizeAccounts(ctx, s, live)
		if err != nil {
			s.Close()
			return nil, nil, err
		}
		return v, func() { s.Close() }, nil
	}
	return b, nil
}

// authorizeAccounts authorizes on s every account of the user, live and
// demo alike (the session takes each to its own host), and returns a view
// of them that reads quotes through the first account of the kind live
// asks for, or else the first account.
func authorizeAccounts(ctx context.Context, s *spotware.Session, live bool) (providers.View, error) {
	list, err := s.Accounts(ctx)
	if err != nil {
		return nil, err
	}
	var quotes int64
	preferred := false // quotes is of the kind live asks for
	for _, a := range list.Accounts {
		if err := s.AuthorizeAccount(ctx, a.ID); err != nil {
			return nil, err
		}
		if quotes == 0 || (a.IsLive == live && !preferred) {
			quotes, preferred = a.ID, a.IsLive == live
		}
	}
	if quotes == 0 {
		return nil, errors.New("spotware: the token grants no trading account")
	}
	return providers.NewSpotwareView(s, quotes), nil
}

// configuredBrokers builds the brokers whose BROKERKIT_<BROKER>_* variables
// are set (providers.FromEnv), for real accounts.
func configuredBrokers(store auth.Store, getenv func(string) string) ([]*broker, error) {
	var out []*broker
	for _, name := range providers.Names() {
		if !configured(name, getenv) {
			continue
		}
		cfg, err := providers.FromEnv(name)
		if err != nil {
			return nil, err
		}
		p, err := providers.New(name, cfg)
		if err != nil {
			return nil, err
		}
		var b *broker
		switch name {
		case providers.TradeStation:
			tp, ok := p.(*tradestation.Provider)
			if !ok {
				return nil, fmt.Errorf("%s: unexpected provider type %T", name, p)
			}
			b, err = tradeStationBroker(tp, store, cfg.RedirectURL)
		case providers.Just2Trade:
			b, err = just2TradeBroker(p, store, cfg.RedirectURL)
		case providers.AutoShares:
			// The provider carries the environment's host (or BaseURL)
			// and the API key from the configuration.
			ap, ok := p.(*autoshares.Provider)
			if !ok {
				return nil, fmt.Errorf("webapp: %T is not an AutoShares provider", p)
			}
			b, err = autoSharesBroker(ap, store, cfg.RedirectURL)
			if err == nil {
				b.notice = pendingAgreements(b, ap)
			}
		case providers.Spotware:
			// The hosts follow the provider's (required) environment.
			sp, ok := p.(*spotware.Provider)
			if !ok {
				return nil, fmt.Errorf("spotware: unexpected provider %T", p)
			}
			b, err = spotwareBroker(p, store, cfg.RedirectURL, sp.SessionConfig, sp.Environment() == auth.Live)
		}
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, nil
}

// emulators are the four in-process brokers the app uses when none is
// configured.
type emulators struct {
	tradeStation *tradestationtest.Server
	just2Trade   *just2tradetest.Server
	autoShares   *autosharestest.Server
	spotware     *spotwaretest.Server
}

func (e *emulators) Close() {
	for _, c := range []interface{ Close() }{e.tradeStation, e.just2Trade, e.autoShares, e.spotware} {
		if c != nil {
			c.Close()
		}
	}
}

// emulatedBrokers starts the four emulators and points a broker at each.
// base is the app's own address (http://127.0.0.1:PORT). Each emulator
// registers the app's callback path for its broker; being loopback URLs,
// they match on any port (RFC 8252 §7.3).
func emulatedBrokers(base string, store auth.Store) (_ []*broker, _ *emulators, err error) {
	callback := func(name string) string { return "/callback/" + name }
	registered := func(name string) string { return "http://127.0.0.1" + callback(name) }
	e := &emulators{}
	defer func() {
		if err != nil {
			e.Close()
		}
	}()

	e.tradeStation = tradestationtest.NewServer(tradestationtest.WithRedirectURL(registered(providers.TradeStation)))
	tsCfg := e.tradeStation.Config()
	tsCfg.RedirectURL = base + callback(providers.TradeStation)
	tsProvider, err := tradestation.New(tsCfg)
	if err != nil {
		return nil, nil, err
	}
	ts, err := tradeStationBroker(tsProvider, store, tsCfg.RedirectURL)
	if err != nil {
		return nil, nil, err
	}
	ts.hint = "emulator user " + tradestationtest.User + " / " + tradestationtest.Password

	e.just2Trade = just2tradetest.NewServer(just2tradetest.WithRedirectURL(registered(providers.Just2Trade)))
	j2tCfg := e.just2Trade.Config()
	j2tCfg.RedirectURL = base + callback(providers.Just2Trade)
	j2tProvider, err := just2trade.New(j2tCfg)
	if err != nil {
		return nil, nil, err
	}
	j2t, err := just2TradeBroker(j2tProvider, store, j2tCfg.RedirectURL)
	if err != nil {
		return nil, nil, err
	}
	j2t.hint = "emulator user " + just2tradetest.User + " / " + just2tradetest.Password

	e.autoShares = autosharestest.NewServer(autosharestest.WithRedirectURL(registered(providers.AutoShares)))
	asCfg := e.autoShares.Config()
	asCfg.RedirectURL = base + callback(providers.AutoShares)
	asProvider, err := autoshares.New(asCfg)
	if err != nil {
		return nil, nil, err
	}
	as, err := autoSharesBroker(asProvider, store, asCfg.RedirectURL)
	if err != nil {
		return nil, nil, err
	}
	as.hint = "emulator user " + autosharestest.User + " / " + autosharestest.Password
	// The seeded trader has required agreements pending, which block
	// quotes and trading. Sign them for the demo; a real app shows them
	// to the user instead.
	as.afterLogin = func(ctx context.Context, user string) error {
		c := asProvider.NewClient(as.tokens.Source(user))
		_, err := c.Agreements.SignAllRequired(ctx, autoshares.Me)
		return err
	}

	e.spotware = spotwaretest.NewServer(spotwaretest.WithRedirectURL(registered(providers.Spotware)))
	swCfg := e.spotware.Config()
	swCfg.RedirectURL = base + callback(providers.Spotware)
	swProvider, err := spotware.New(swCfg)
	if err != nil {
		return nil, nil, err
	}
	sw, err := spotwareBroker(swProvider, store, swCfg.RedirectURL, e.spotware.SessionConfig, false)
	if err != nil {
		return nil, nil, err
	}
	sw.hint = "emulator user " + spotwaretest.User + " / " + spotwaretest.Password

	return []*broker{as, j2t, sw, ts}, e, nil
}
