package just2tradetest

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"time"

	"github.com/shopspring/decimal"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/internal/oauthsim"
	"github.com/brokerkit/brokerkit/just2trade"
)

// The seeded application, user and accounts.
const (
	// ClientID and ClientSecret are the seeded application's credentials.
	ClientID     = "brokerkit-demo"
	ClientSecret = "brokerkit-demo-secret"
	// RedirectURL is the application's registered callback; any port of
	// 127.0.0.1 is accepted (RFC 8252).
	RedirectURL = "http://127.0.0.1/callback"
	// User and Password sign in the seeded user.
	User     = "trader"
	Password = "trader-password"
	// UserID is the seeded user's GUID.
	UserID = "8f1e7eba-4c2d-4b8e-9a51-2b67c9af83a5"
	// PrimaryAccount is a marginx2 account holding AAPL and MSFT.
	PrimaryAccount = "12345678@vision"
	// SecondAccount is a cash account holding BRK B.
	SecondAccount = "87654321@vision"
	// TradePlatform is the platform both accounts report.
	TradePlatform = "ETNA"
	// CodeLifetime is how long an authorization code lives.
	CodeLifetime = 5 * time.Minute
)

// The broker's wire facts, stated here rather than taken from the SDK the
// emulator checks.
const (
	authorizePath   = "/connect/authorize"
	tokenPath       = "/connect/token"
	slidingLifetime = 24 * time.Hour // prolonged by every call
	codeNotFound    = "not_found"
	codeValidation  = "validation_error"
)

// Fault is a misbehaviour to inject into the next responses of a path.
type Fault = oauthsim.Fault

// Faults injects faults into the emulator's responses.
type Faults = oauthsim.Faults

// Browser plays the user agent of a login: Login(ctx, authURL) signs in,
// approves and returns the callback URL.
type Browser = oauthsim.Browser

// TestClock is a settable clock to share with the SDK under test.
type TestClock = oauthsim.TestClock

// NewTestClock returns a clock reading start (a fixed moment when zero).
func NewTestClock(start time.Time) *TestClock { return oauthsim.NewTestClock(start) }

// Option configures NewServer.
type Option func(*options)

type options struct {
	now         func() time.Time
	lime        bool
	daily       just2trade.DailyExpiry
	orderDelay  time.Duration
	omitState   bool
	pluralQuote bool
	redirects   []string
	// profilePath, when set, is the only path the profile is served at.
	profilePath string
	addr        string // WithAddr
}

// WithClock makes the emulator read time from now (a TestClock's Now), for
// token lifetimes, code lifetimes and order processing.
func WithClock(now func() time.Time) Option { return func(o *options) { o.now = now } }

// WithLime makes the emulator behave as Lime: tokens expire at the daily
// expiry (3:00 AM US Eastern) and are not prolonged; orders are market or
// limit only, with Lime's times in force.
func WithLime() Option { return func(o *options) { o.lime = true } }

// WithDailyExpiry changes the Lime daily expiry.
func WithDailyExpiry(d just2trade.DailyExpiry) Option {
	return func(o *options) { o.daily = d }
}

// WithOrderDelay sets how long (on the emulator's clock) a placed order
// stays pending_new before it is accepted or rejected, and a cancel stays
// pending_cancel. The default is one second.
func WithOrderDelay(d time.Duration) Option { return func(o *options) { o.orderDelay = d } }

// WithoutStateEcho drops state from authorization redirects, as a server
// that ignores the undocumented parameter would.
func WithoutStateEcho() Option { return func(o *options) { o.omitState = true } }

// WithPluralQuoteParam also accepts GET /marketdata/quote?symbols= (no
// documentation version shows it; off by default).
func WithPluralQuoteParam() Option { return func(o *options) { o.pluralQuote = true } }

// WithProfilePath serves the profile at path only: "/userinfo", where
// every documentation version from 2017-10-25 on (and Lime) puts it, or
// "/auth", where its first weeks did (the older shape: one application
// object, no names). The other path answers 404. By default both are
// served. NewServer panics on any other path.
func WithProfilePath(path string) Option { return func(o *options) { o.profilePath = path } }

// WithRedirectURL registers another redirect URI for the seeded
// application.
func WithRedirectURL(u string) Option {
	return func(o *options) { o.redirects = append(o.redirects, u) }
}

// Server is a Just2Trade emulator on 127.0.0.1: the authorization server
// (/connect/authorize, /connect/token) and the REST API on one server, in
// the style of httptest.Server.
type Server struct {
	srv  *httptest.Server
	eng  *oauthsim.Engine
	opts options

	orderTypes map[string]bool
	tifs       map[string]bool

	mu sync.Mutex
	st *state
}

// NewServer starts an emulator seeded with one user and two accounts,
// positions, quotes, trades and transactions. Close it when done. Like
// httptest.NewServer it panics when it cannot start: when it cannot listen
// on 127.0.0.1, or when an option is bad (a negative order delay, a daily
// expiry that is not a time of day, a redirect URL that does not parse).
func NewServer(opts ...Option) *Server {
	s, err := start(opts...)
	if err != nil {
		panic(err)
	}
	return s
}

// start is NewServer returning an error instead of panicking.
func start(opts ...Option) (*Server, error) {
	o := options{now: time.Now, orderDelay: time.Second}
	for _, opt := range opts {
		if opt != nil {
			opt(&o)
		}
	}
	if o.orderDelay < 0 {
		return nil, fmt.Errorf("just2tradetest: negative order delay %s", o.orderDelay)
	}
	if o.daily.Hour < 0 || o.daily.Hour > 23 || o.daily.Minute < 0 || o.daily.Minute > 59 {
		return nil, fmt.Errorf("just2tradetest: daily expiry %02d:%02d is not a time of day", o.daily.Hour, o.daily.Minute)
	}
	switch o.profilePath {
	case "", pathUserinfo, pathLegacyProfile:
	default:
		return nil, fmt.Errorf("just2tradetest: WithProfilePath(%q): want %q or %q", o.profilePath,
			pathUserinfo, pathLegacyProfile)
	}
	s := &Server{opts: o, st: seed(o.now())}
	s.orderTypes = map[string]bool{"market": true, "limit": true, "stop": true, "stop_limit": true,
		"market_on_close": true, "limit_on_close": true}
	s.tifs = map[string]bool{"day": true, "good_till_cancel": true, "good_till_crossing": true}
	cfg := oauthsim.Config{
		Name:          "Just2Trade",
		Clients:       []oauthsim.Client{{ID: ClientID, Secret: ClientSecret, RedirectURIs: append([]string{RedirectURL}, o.redirects...)}},
		Users:         []oauthsim.User{{ID: UserID, Username: User, Password: Password, Name: "Tess Trader"}},
		Now:           o.now,
		CodeTTL:       CodeLifetime,
		AccessTTL:     slidingLifetime,
		Sliding:       true,
		Refresh:       oauthsim.RefreshPolicy{Mode: oauthsim.RefreshNone},
		PKCE:          oauthsim.PKCEOptional,
		Password:      true,
		DefaultScopes: []string{"email", "profile"},
		Wire: oauthsim.Wire{
			AuthorizePath:       authorizePath,
			TokenPath:           tokenPath,
			RevokePath:          "-",
			UserinfoPath:        "-",
			TokenMethods:        []string{http.MethodPost},
			ClientAuth:          oauthsim.ClientAuthParams,
			RequireResponseType: true,
			OmitState:           o.omitState,
			TokenHeaders:        []string{"Authorization", "Authentication"},
		},
	}
	if o.lime {
		daily := o.daily
		cfg.Name = "Lime"
		cfg.Sliding = false
		cfg.AccessExpiry = func(issued time.Time) time.Time { return nextDailyExpiry(issued, daily) }
		s.orderTypes = map[string]bool{"market": true, "limit": true}
		s.tifs = map[string]bool{"day": true, "ext": true, "on-open": true, "on-close": true, "ioc": true, "fok": true}
	}
	eng, err := oauthsim.New(cfg)
	if err != nil {
		return nil, fmt.Errorf("just2tradetest: %w", err)
	}
	s.eng = eng
	mux := http.NewServeMux()
	eng.Mount(mux)
	s.routes(mux)
	ln, err := net.Listen("tcp", o.listenAddr())
	if err != nil {
		return nil, fmt.Errorf("just2tradetest: listening on 127.0.0.1: %w", err)
	}
	s.srv = &httptest.Server{Listener: ln, Config: &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}}
	s.srv.Start()
	return s, nil
}

// nextDailyExpiry is the first moment after t at which d's wall-clock time
// occurs: Lime's rule, 3:00 AM US Eastern for the zero d.
func nextDailyExpiry(t time.Time, d just2trade.DailyExpiry) time.Time {
	loc := d.Location
	if loc == nil {
		var err error
		if loc, err = time.LoadLocation("America/New_York"); err != nil {
			loc = time.FixedZone("EST", -5*3600)
		}
		if d.Hour == 0 && d.Minute == 0 {
			d.Hour = 3
		}
	}
	local := t.In(loc)
	for {
		next := time.Date(local.Year(), local.Month(), local.Day(), d.Hour, d.Minute, 0, 0, loc)
		if next.After(t) {
			return next
		}
		local = local.AddDate(0, 0, 1)
	}
}

// URL is the base URL of both the authorization server and the API, with
// no trailing slash.
func (s *Server) URL() string { return s.srv.URL }

// Close shuts the server down.
func (s *Server) Close() { s.srv.Close() }

// Client returns an HTTP client for the server, without authentication.
func (s *Server) Client() *http.Client { return s.srv.Client() }

func (s *Server) environment() auth.Environment {
	if s.opts.lime {
		return just2trade.EnvLime
	}
	return just2trade.EnvJust2Trade
}

// Config returns the just2trade.Config of the seeded application at this
// server: BaseURL is URL(), the environment is just2trade.EnvLime with
// WithLime (else just2trade.EnvJust2Trade), the clock is the emulator's.
func (s *Server) Config() just2trade.Config {
	return just2trade.Config{
		ClientID:     ClientID,
		ClientSecret: ClientSecret,
		RedirectURL:  RedirectURL,
		Environment:  s.environment(),
		BaseURL:      s.URL(),
		DailyExpiry:  s.opts.daily,
		HTTPClient:   s.srv.Client(),
		Now:          s.opts.now,
	}
}

// Provider returns just2trade.New(s.Config()).
func (s *Server) Provider() (*just2trade.Provider, error) { return just2trade.New(s.Config()) }

// Browser plays a user who signs in on the consent page.
func (s *Server) Browser(username, password string) *Browser {
	return oauthsim.NewBrowser(s.srv.Client(), username, password)
}

// Consent plays the seeded user in a browser: it follows authURL, signs
// in, approves, and returns the callback URL for auth.Flow.CompleteURL.
func (s *Server) Consent(ctx context.Context, authURL string) (string, error) {
	return s.Browser(User, Password).Login(ctx, authURL)
}

// Login runs a whole login of the seeded user against p (a provider from
// Config): Begin with opts, the consent page, Complete.
func (s *Server) Login(ctx context.Context, p auth.Provider, opts ...auth.FlowOption) (*auth.Token, error) {
	return s.Browser(User, Password).Token(ctx, p, opts...)
}

// Faults returns the fault injector: Faults().Next("/accounts",
// Fault{Status: 503}, 1) makes the next request of that path fail.
func (s *Server) Faults() *Faults { return s.eng.Faults() }

// SetAutoApprove makes logins skip the consent page as username ("" turns
// it off), for programs without a browser.
func (s *Server) SetAutoApprove(username string) { s.eng.SetAutoApprove(username) }

// InvalidateToken revokes an access token at once, as if the broker had
// dropped the session.
func (s *Server) InvalidateToken(accessToken string) bool { return s.eng.Invalidate(accessToken) }

// TokenExpiry returns the server's expiry of an access token, without
// prolonging it; ok is false for an unknown, revoked or expired token.
func (s *Server) TokenExpiry(accessToken string) (exp time.Time, ok bool) {
	g, err := s.eng.ValidateToken(accessToken, oauthsim.WithoutTouch())
	if err != nil {
		return time.Time{}, false
	}
	return g.Expiry, true
}

// SetQuote changes a symbol's bid, ask and last price (adding the symbol
// when it is new), so that tests can make orders marketable or not.
func (s *Server) SetQuote(symbol string, bid, ask, last decimal.Decimal) {
	s.mu.Lock()
	defer s.mu.Unlock()
	q, ok := s.st.quotes[symbol]
	if !ok {
		q = &quote{symbol: symbol, description: symbol, securityType: "common_stock", open: last, high: last,
			low: last, prevClose: last, week52High: last, week52Low: last}
		s.st.quotes[symbol] = q
	}
	q.bid, q.ask, q.last = bid, ask, last
}

// OrderStatus returns an order's current status without processing it;
// empty for an unknown order.
func (s *Server) OrderStatus(id string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if o, ok := s.st.orders[id]; ok {
		return o.status
	}
	return ""
}
