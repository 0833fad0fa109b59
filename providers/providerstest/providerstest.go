// Package providerstest starts any builtin broker's in-process emulator by
// its registry name, behind one small interface, so that programs and
// tests that work over the providers registry need no per-broker code to
// run offline:
//
//	em, err := providerstest.Start("tradestation")
//	defer em.Close()
//	v, err := em.View(ctx)                  // the seeded user, logged in
//
// or, step by step:
//
//	p, err := em.Provider(em.Config())
//	tok, err := em.Login(ctx, p)            // the seeded user consents
//	src, _ := auth.NewSource(p, auth.NewMemoryStore(), "user")
//	_ = src.SetToken(ctx, tok)
//	b, _ := providers.Builtin().Lookup(em.Name())
//	v, err := b.View(ctx, p, src)
//
// Each broker's own test package (tradestationtest, ...) has the full
// emulator, with fault injection and broker extras.
package providerstest

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/internal/oauthsim"
	"github.com/brokerkit/brokerkit/providers"
	"github.com/shopspring/decimal"
)

// Browser plays a user at an emulator's consent page.
type Browser = oauthsim.Browser

// Faults injects failures into an emulator's HTTP side.
type Faults = oauthsim.Faults

// Emulator is one running broker emulator.
type Emulator interface {
	// Name is the broker's registry name.
	Name() string
	// URL is the base URL of the emulator's authorization server and
	// (for the REST brokers) API.
	URL() string
	// Config is the seeded application's configuration at this emulator:
	// Environment, BaseURL, credentials and redirect URL set.
	Config() providers.Config
	// Provider builds the broker's provider from cfg (Config, perhaps
	// with another RedirectURL) through the registry. Its View reaches
	// this emulator's API, also where the API is not at URL (cTrader's
	// Protobuf hosts).
	Provider(cfg providers.Config) (auth.Provider, error)
	// Login runs a whole login of the seeded user against p.
	Login(ctx context.Context, p auth.Provider) (*auth.Token, error)
	// View logs the seeded user in with the seeded application (signing
	// any agreement the broker requires first) and opens the broker's
	// normalized view; closing the view leaves the emulator running.
	View(ctx context.Context) (providers.View, error)
	// User is the seeded user's login and password.
	User() (login, password string)
	// Browser plays a user who signs in with login and password.
	Browser(login, password string) *Browser
	// Faults injects failures (5xx, 429, invalidated tokens, ...) into
	// the emulator's HTTP side.
	Faults() *Faults
	// SetQuote moves symbol's last price (bid and ask one cent either
	// side), as the market would; streams of the symbol carry the change.
	// The cTrader emulator's prices move by themselves: it answers
	// auth.ErrUnsupported.
	SetQuote(symbol string, last decimal.Decimal) error
	// Close stops the emulator.
	Close()
}

// Option configures Start.
type Option func(*options)

type options struct{ redirectURL string }

// WithRedirectURL makes the emulator accept u as the seeded application's
// redirect URL (a loopback one matches on any port) instead of its own.
func WithRedirectURL(u string) Option { return func(o *options) { o.redirectURL = u } }

// Start starts the named broker's emulator. A misspelt name gives a
// *providers.UnknownBrokerError.
func Start(name string, opts ...Option) (Emulator, error) {
	var o options
	for _, f := range opts {
		f(&o)
	}
	n := strings.ToLower(strings.TrimSpace(name))
	start, ok := starters()[n]
	if !ok {
		names := Names()
		return nil, &providers.UnknownBrokerError{Name: name, Valid: names}
	}
	return start(o), nil
}

// Names returns the names of the brokers Start can emulate, sorted.
func Names() []string {
	out := make([]string, 0, 4)
	for n := range starters() {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// starters are the emulators, by broker name.
func starters() map[string]func(options) *emulator {
	return map[string]func(options) *emulator{
		"autoshares": startAutoShares, "just2trade": startJust2Trade,
		"spotware": startSpotware, "tradestation": startTradeStation,
	}
}

// emulator is every broker's Emulator: the broker files fill it in.
type emulator struct {
	name, url      string
	cfg            providers.Config
	wrap           func(auth.Provider) auth.Provider // nil: none
	login          func(context.Context, auth.Provider, ...auth.FlowOption) (*auth.Token, error)
	user, password string
	browser        func(login, password string) *Browser
	faults         func() *Faults
	setQuote       func(symbol string, last decimal.Decimal) error
	close          func()
}

func (e *emulator) Name() string                  { return e.name }
func (e *emulator) URL() string                   { return e.url }
func (e *emulator) Config() providers.Config      { c := e.cfg; c.Scopes = slices.Clone(c.Scopes); return c }
func (e *emulator) User() (string, string)        { return e.user, e.password }
func (e *emulator) Browser(l, pw string) *Browser { return e.browser(l, pw) }
func (e *emulator) Faults() *Faults               { return e.faults() }
func (e *emulator) Close()                        { e.close() }

func (e *emulator) View(ctx context.Context) (providers.View, error) {
	b, err := providers.Builtin().Lookup(e.name)
	if err != nil {
		return nil, err
	}
	p, err := e.Provider(e.Config())
	if err != nil {
		return nil, err
	}
	tok, err := e.Login(ctx, p)
	if err != nil {
		return nil, err
	}
	src, err := auth.NewSource(p, auth.NewMemoryStore(), e.user)
	if err != nil {
		return nil, err
	}
	if err := src.SetToken(ctx, tok); err != nil {
		return nil, err
	}
	if b.Ready != nil {
		if _, err := b.Ready(ctx, p, src, true); err != nil {
			return nil, err
		}
	}
	return b.View(ctx, p, src)
}

func (e *emulator) SetQuote(symbol string, last decimal.Decimal) error {
	if e.setQuote == nil {
		return fmt.Errorf("providerstest: the %s emulator's prices move by themselves: %w", e.name, auth.ErrUnsupported)
	}
	return e.setQuote(symbol, last)
}

// spread sets a quote whose bid and ask are one cent either side of last.
func spread(set func(symbol string, bid, ask, last decimal.Decimal)) func(string, decimal.Decimal) error {
	cent := decimal.New(1, -2)
	return func(symbol string, last decimal.Decimal) error {
		if !last.IsPositive() {
			return fmt.Errorf("providerstest: SetQuote: price %s is not positive", last)
		}
		set(symbol, last.Sub(cent), last.Add(cent), last)
		return nil
	}
}

func (e *emulator) Login(ctx context.Context, p auth.Provider) (*auth.Token, error) {
	return e.login(ctx, p)
}

func (e *emulator) Provider(cfg providers.Config) (auth.Provider, error) {
	p, err := providers.New(e.name, cfg)
	if err != nil || e.wrap == nil {
		return p, err
	}
	return e.wrap(p), nil
}
