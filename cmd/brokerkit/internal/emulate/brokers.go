package emulate

import (
	"context"
	"crypto/tls"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"slices"
	"time"

	"github.com/shopspring/decimal"

	"github.com/brokerkit/brokerkit/autoshares"
	"github.com/brokerkit/brokerkit/autoshares/autosharestest"
	"github.com/brokerkit/brokerkit/internal/oauthsim"
	"github.com/brokerkit/brokerkit/just2trade/just2tradetest"
	"github.com/brokerkit/brokerkit/providers"
	"github.com/brokerkit/brokerkit/spotware/spotwaretest"
	"github.com/brokerkit/brokerkit/tradestation"
	"github.com/brokerkit/brokerkit/tradestation/tradestationtest"
)

// emulator is what every broker's test server offers the admin API.
type emulator interface {
	URL() string
	InvalidateToken(token string) bool
	InvalidateUser(login string)
	Faults() *oauthsim.Faults
	SetAutoApprove(login string)
	Close()
}

// running is one started emulator and what the announcement says of it.
type running struct {
	srv emulator
	cfg providers.Config
	// api is the API's base URL (for cTrader, the Protobuf host a session
	// dials first, as tls://host:port).
	api string
	// addrs are the addresses actually listened on, in the broker's port
	// order, so that a reset listens on the same ones.
	addrs []string
	// proto are cTrader's two Protobuf hosts.
	proto *Protobuf
	// knows reports whether a login is a user of this emulator.
	knows func(login string) bool
	// setQuote moves a symbol's last price (bid and ask one cent either
	// side where the broker has them); it fails for a symbol the
	// emulator does not know or a price that is not positive. nil: the
	// broker's prices move by themselves (cTrader).
	setQuote func(symbol string, last decimal.Decimal) error
	// burst sends n quote changes of symbol to the open streams that
	// carry it and reports how many were told; nil: not offered.
	burst func(symbol string, n int) int
}

// errUnknownSymbol is a symbol an emulator has no quote for.
var errUnknownSymbol = errors.New("unknown symbol")

// spreadQuote moves a quote whose bid and ask are one cent either side of
// last, for the emulators that take all three, refusing a symbol not in
// known (their SetQuote would add it) and a price that is not positive.
func spreadQuote(known []string, set func(symbol string, bid, ask, last decimal.Decimal)) func(string, decimal.Decimal) error {
	return func(symbol string, last decimal.Decimal) error {
		if !slices.Contains(known, symbol) {
			return fmt.Errorf("%w %q", errUnknownSymbol, symbol)
		}
		if !last.IsPositive() {
			return fmt.Errorf("price %s is not positive", last)
		}
		cent := decimal.New(1, -2)
		set(symbol, last.Sub(cent), last.Add(cent), last)
		return nil
	}
}

// The symbols Just2Trade's and AutoShares' emulators are seeded with
// (TestAdminQuoteSymbolsAreSeeded holds these lists to the emulators).
var (
	just2tradeSymbols = []string{"AAPL", "MSFT", "GOOG", "BRK B", "TSLA", "BA", "BAC"}
	autosharesSymbols = []string{"AAPL", "MSFT", "TSLA"}
)

// broker is one emulator brokerkit emulate can run.
type broker struct {
	name string
	// offset is the broker's first port counted from the base port; it
	// takes ports consecutive ports from there.
	offset, ports int
	users         []User
	start         func(addrs []string, now func() time.Time, redirect string) (*running, error)
}

// brokers are the emulators in port order: the admin API on the base
// port, then TradeStation, Just2Trade, AutoShares and Spotware cTrader
// (whose two Protobuf hosts take the two ports after its own).
var brokers = []broker{
	{name: "tradestation", offset: 1, ports: 1, start: startTradeStation,
		users: []User{{tradestationtest.User, tradestationtest.Password}}},
	{name: "just2trade", offset: 2, ports: 1, start: startJust2Trade,
		users: []User{{just2tradetest.User, just2tradetest.Password}}},
	{name: "autoshares", offset: 3, ports: 1, start: startAutoShares,
		users: []User{{autosharestest.User, autosharestest.Password},
			{autosharestest.AdminLogin, autosharestest.AdminPassword}}},
	{name: "spotware", offset: 4, ports: 3, start: startSpotware,
		users: []User{{spotwaretest.User, spotwaretest.Password}}},
}

// brokerNames returns the names of the brokers Start can emulate, in port
// order.
func brokerNames() []string {
	out := make([]string, len(brokers))
	for i, b := range brokers {
		out[i] = b.name
	}
	return out
}

func lookup(name string) (broker, bool) {
	i := slices.IndexFunc(brokers, func(b broker) bool { return b.name == name })
	if i < 0 {
		return broker{}, false
	}
	return brokers[i], true
}

func hostOf(url string) string { return url[len("http://"):] }

func startTradeStation(addrs []string, now func() time.Time, redirect string) (*running, error) {
	srv, err := tradestationtest.Start(tradestationtest.WithAddr(addrs[0]), tradestationtest.WithClock(now),
		tradestationtest.WithRedirectURL(redirect))
	if err != nil {
		return nil, err
	}
	c := srv.Config()
	return &running{srv: srv, api: c.BaseURL, addrs: []string{hostOf(srv.URL())},
		knows:    func(l string) bool { return l == tradestationtest.User },
		setQuote: srv.SetQuote, burst: srv.BurstQuotes,
		cfg: providers.Config{ClientID: c.ClientID, ClientSecret: c.ClientSecret, RedirectURL: redirect,
			Environment: c.Environment, BaseURL: c.BaseURL,
			// The seeded key may trade: order calls need the Trade scope,
			// which the package's defaults leave out.
			Scopes: append(tradestation.DefaultScopes(), "Trade")}}, nil
}

func startJust2Trade(addrs []string, now func() time.Time, redirect string) (*running, error) {
	srv, err := noPanic(func() *just2tradetest.Server {
		return just2tradetest.NewServer(just2tradetest.WithAddr(addrs[0]), just2tradetest.WithClock(now),
			just2tradetest.WithRedirectURL(redirect))
	})
	if err != nil {
		return nil, err
	}
	c := srv.Config()
	return &running{srv: srv, api: c.BaseURL, addrs: []string{hostOf(srv.URL())},
		knows:    func(l string) bool { return l == just2tradetest.User },
		setQuote: spreadQuote(just2tradeSymbols, srv.SetQuote), burst: srv.BurstQuotes,
		cfg: providers.Config{ClientID: c.ClientID, ClientSecret: c.ClientSecret, RedirectURL: redirect,
			Environment: c.Environment, Scopes: c.Scopes, BaseURL: c.BaseURL}}, nil
}

func startAutoShares(addrs []string, now func() time.Time, redirect string) (*running, error) {
	srv, err := autosharestest.Start(autosharestest.WithAddr(addrs[0]), autosharestest.WithClock(now),
		autosharestest.WithRedirectURL(redirect))
	if err != nil {
		return nil, err
	}
	c := srv.Config()
	scopes := c.Scopes
	if c.RefreshEnabled { // providers turns refresh on by the scope
		scopes = slices.Compact(append(autoshares.DefaultScopes(), autoshares.ScopeOfflineAccess))
	}
	return &running{srv: srv, api: c.BaseURL, addrs: []string{hostOf(srv.URL())},
		knows:    func(l string) bool { return srv.UserID(l) != 0 },
		setQuote: spreadQuote(autosharesSymbols, srv.SetQuote), burst: srv.BurstQuotes,
		cfg: providers.Config{ClientID: c.ClientID, ClientSecret: c.ClientSecret, RedirectURL: redirect,
			Environment: c.Environment, Scopes: scopes, BaseURL: c.BaseURL, APIKey: c.APIKey,
			// With BaseURL set the tenant is the emulator itself; the
			// registry still asks for a domain.
			Domain: hostOf(srv.URL())}}, nil
}

func startSpotware(addrs []string, now func() time.Time, redirect string) (*running, error) {
	srv, err := spotwaretest.Start(spotwaretest.WithAddrs(addrs[0], addrs[1], addrs[2]),
		spotwaretest.WithClock(now), spotwaretest.WithRedirectURL(redirect))
	if err != nil {
		return nil, err
	}
	certPEM, err := presentedCert(srv.DemoAddr, srv.TLSConfig())
	if err != nil {
		srv.Close()
		return nil, err
	}
	c := srv.Config()
	return &running{srv: srv, api: "tls://" + srv.Addr,
		addrs: []string{hostOf(srv.URL()), srv.DemoAddr, srv.LiveAddr},
		proto: &Protobuf{Demo: srv.DemoAddr, Live: srv.LiveAddr, CertPEM: certPEM},
		knows: func(l string) bool { return l == spotwaretest.User },
		cfg: providers.Config{ClientID: c.ClientID, ClientSecret: c.ClientSecret, RedirectURL: redirect,
			Environment: c.Environment, Scopes: c.Scopes, BaseURL: c.BaseURL}}, nil
}

// presentedCert is the certificate the TLS host at addr presents, as PEM,
// verified with tc: spotwaretest trusts its certificate through a pool,
// from which it cannot be read back, so it is read from a handshake.
func presentedCert(addr string, tc *tls.Config) (string, error) {
	if host, port, err := net.SplitHostPort(addr); err == nil {
		if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
			addr = net.JoinHostPort("127.0.0.1", port) // a public listener answers on loopback too
		}
	}
	d := tls.Dialer{NetDialer: &net.Dialer{Timeout: 5 * time.Second}, Config: tc}
	c, err := d.DialContext(context.Background(), "tcp", addr)
	if err != nil {
		return "", fmt.Errorf("reading the Protobuf hosts' certificate: %w", err)
	}
	defer c.Close()
	certs := c.(*tls.Conn).ConnectionState().PeerCertificates
	if len(certs) == 0 {
		return "", fmt.Errorf("reading the Protobuf hosts' certificate: %s presented none", addr)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: certs[0].Raw})), nil
}

// noPanic turns the panic of a NewServer that has no Start (it cannot
// listen) into an error.
func noPanic[T any](start func() T) (v T, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	return start(), nil
}

// portAddrs returns the addresses of a broker taking n consecutive ports
// from addr (host:port); port 0 gives every one port 0.
func portAddrs(addr string, n int) ([]string, error) {
	host, port, err := splitPort(addr)
	if err != nil {
		return nil, err
	}
	out := make([]string, n)
	for i := range out {
		p := port
		if p != 0 {
			p += i
		}
		out[i] = net.JoinHostPort(host, itoa(p))
	}
	return out, nil
}
