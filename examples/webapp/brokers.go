package main

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/providers"
	"github.com/brokerkit/brokerkit/providers/providerstest"
)

// broker is one broker a user can link: its registry entry and provider,
// the users' tokens, and how to read a user's data there.
type broker struct {
	name  string
	entry providers.Broker
	p     auth.Provider
	// tokens keeps every user's token at this broker. All brokers share
	// one Store; each Manager keys it by broker and user.
	tokens *auth.Manager
	// callback is the path of the redirect URL registered for this
	// broker. Each broker has its own (RFC 9700 §4.4.2, mix-up defence).
	callback string
	// emulated: the broker is an in-process emulator, whose seeded user
	// the app may ready on its own (sign AutoShares' agreements, say).
	emulated bool
	// hint is shown beside the login link.
	hint string
}

// newBroker gives p a token manager over store.
func newBroker(entry providers.Broker, p auth.Provider, store auth.Store, redirectURL string) (*broker, error) {
	u, err := url.Parse(redirectURL)
	if err != nil || u.Path == "" || u.Path == "/" || strings.ContainsAny(u.Path, "{} ") {
		return nil, fmt.Errorf("%s: redirect URL %q needs a path of its own, such as /callback/%s",
			p.Name(), redirectURL, p.Name())
	}
	m, err := auth.NewManager(p, store) // each provider states how its API refuses tokens
	if err != nil {
		return nil, err
	}
	return &broker{name: p.Name(), entry: entry, p: p, tokens: m, callback: u.Path}, nil
}

// view opens the registry's normalized view of user's data; done releases
// what it holds (a cTrader session, say).
func (b *broker) view(ctx context.Context, user string) (v providers.View, done func(), err error) {
	v, err = b.entry.View(ctx, b.p, b.tokens.Source(user))
	if err != nil {
		return nil, nil, err
	}
	return v, func() { _ = v.Close() }, nil
}

// afterLogin runs once the new token is stored. At an emulator the seeded
// user's pending steps (AutoShares' required agreements, which block
// quotes and trading) are done for the demo; a real app shows them to the
// user instead (notice).
func (b *broker) afterLogin(ctx context.Context, user string) error {
	if !b.emulated || b.entry.Ready == nil {
		return nil
	}
	_, err := b.entry.Ready(ctx, b.p, b.tokens.Source(user), true)
	return err
}

// notice tells what the user must do at the broker before everything
// works ("" when nothing).
func (b *broker) notice(ctx context.Context, user string) (string, error) {
	if b.entry.Ready == nil {
		return "", nil
	}
	return b.entry.Ready(ctx, b.p, b.tokens.Source(user), false)
}

// configuredBrokers builds the brokers of r whose BROKERKIT_<BROKER>_*
// variables getenv has (r.FromEnv), for real accounts.
func configuredBrokers(r *providers.Registry, store auth.Store, getenv func(string) string) ([]*broker, error) {
	var out []*broker
	for _, name := range r.Names() {
		if !configured(name, getenv) {
			continue
		}
		entry, err := r.Lookup(name)
		if err != nil {
			return nil, err
		}
		cfg, err := r.FromEnv(name, getenv)
		if err != nil {
			return nil, err
		}
		// The provider carries the environment's hosts (or BaseURL), and
		// extras such as AutoShares' API key, from the configuration.
		p, err := entry.New(cfg)
		if err != nil {
			return nil, err
		}
		b, err := newBroker(entry, p, store, cfg.RedirectURL)
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, nil
}

// emulators are the in-process brokers the app uses when none is
// configured, by name.
type emulators map[string]providerstest.Emulator

func (e emulators) Close() {
	for _, em := range e {
		em.Close()
	}
}

// emulatedBrokers starts every broker's emulator and points a broker at
// each. base is the app's own address (http://127.0.0.1:PORT). Each
// emulator registers the app's callback path for its broker; being
// loopback URLs, they match on any port (RFC 8252 §7.3).
func emulatedBrokers(r *providers.Registry, base string, store auth.Store) (_ []*broker, _ emulators, err error) {
	e := emulators{}
	defer func() {
		if err != nil {
			e.Close()
		}
	}()
	var out []*broker
	for _, name := range r.Names() {
		entry, err := r.Lookup(name)
		if err != nil {
			return nil, nil, err
		}
		callback := "/callback/" + name
		em, err := providerstest.Start(name, providerstest.WithRedirectURL("http://127.0.0.1"+callback))
		if err != nil {
			return nil, nil, err
		}
		e[name] = em
		cfg := em.Config()
		cfg.RedirectURL = base + callback
		p, err := em.Provider(cfg)
		if err != nil {
			return nil, nil, err
		}
		b, err := newBroker(entry, p, store, cfg.RedirectURL)
		if err != nil {
			return nil, nil, err
		}
		user, password := em.User()
		b.emulated, b.hint = true, "emulator user "+user+" / "+password
		out = append(out, b)
	}
	return out, e, nil
}
