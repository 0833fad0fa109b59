package main

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/providers"
	"github.com/brokerkit/brokerkit/providers/providerstest"
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
// opens the address printed on out in a browser.
func loginReal(ctx context.Context, out io.Writer, p auth.Provider, redirect string) (*auth.Token, error) {
	u, err := url.Parse(redirect)
	if err != nil {
		return nil, fmt.Errorf("redirect URL: %w", err)
	}
	opts := auth.LoopbackOptions{Output: out, Host: u.Hostname(), Path: u.Path}
	if port, err := strconv.Atoi(u.Port()); err == nil {
		opts.Port = port
	}
	return auth.LoginLoopback(ctx, p, opts)
}

// configured reports whether the user has set up the real broker: its
// client ID is set. FromEnv then names anything else missing, rather than
// the emulator silently standing in.
func configured(name string, getenv func(string) string) bool {
	return getenv(providers.EnvPrefix+strings.ToUpper(name)+"_CLIENT_ID") != ""
}

// connect logs in to one broker, at the real broker when getenv configures
// it, else at its emulator, and opens the registry's view of the user.
func connect(ctx context.Context, out io.Writer, r *providers.Registry, b providers.Broker, getenv func(string) string) (_ *session, err error) {
	s := &session{title: b.Title, symbols: b.Symbols, close: func() {}}
	defer func() {
		if err != nil {
			s.close()
		}
	}()
	var p auth.Provider
	if configured(b.Name, getenv) {
		cfg, err := r.FromEnv(b.Name, getenv)
		if err != nil {
			return nil, err
		}
		if p, err = b.New(cfg); err != nil {
			return nil, err
		}
		s.where = fmt.Sprintf("real broker, %s environment", cfg.Environment)
		if cfg.BaseURL != "" {
			s.where += " at " + cfg.BaseURL
		}
		if s.token, err = loginReal(ctx, out, p, cfg.RedirectURL); err != nil {
			return nil, err
		}
	} else {
		em, err := providerstest.Start(b.Name)
		if err != nil {
			return nil, err
		}
		s.close = em.Close
		if p, err = em.Provider(em.Config()); err != nil {
			return nil, err
		}
		s.where = "emulator at " + em.URL()
		if s.token, err = login(ctx, p, em.Browser(em.User()).Login); err != nil {
			return nil, err
		}
	}
	// The Source keeps the token, refreshes it ahead of expiry, and saves
	// a rotated refresh token before anyone sees it.
	src, err := auth.NewSource(p, auth.NewMemoryStore(), user)
	if err == nil {
		err = src.SetToken(ctx, s.token)
	}
	if err != nil {
		return nil, err
	}
	if b.Ready != nil {
		// AutoShares refuses market data and trading until the user has
		// signed the required agreements; an onboarding app signs them once.
		note, err := b.Ready(ctx, p, src, true)
		if err != nil {
			return nil, err
		}
		if note != "" {
			s.where += "; " + note
		}
	}
	v, err := b.View(ctx, p, src)
	if err != nil {
		return nil, err
	}
	stop := s.close
	s.view, s.close = v, func() { _ = v.Close(); stop() }
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
