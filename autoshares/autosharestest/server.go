package autosharestest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"time"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/autoshares"
	"github.com/brokerkit/brokerkit/internal/oauthsim"
	"github.com/shopspring/decimal"
)

// The seeded application, users and accounts.
const (
	// ClientID and ClientSecret are the seeded Auth0 application's.
	ClientID     = "autoshares-demo-app"
	ClientSecret = "autoshares-demo-secret"
	// RedirectURL is the application's allowed callback. Any port of
	// 127.0.0.1 is accepted (RFC 8252).
	RedirectURL = "http://127.0.0.1/callback"
	// APIKey is the application's API secret key.
	APIKey = "autoshares-demo-api-key"

	// AdminLogin and AdminPassword sign in the administrator, who may
	// create users and accounts and bind accounts to users.
	AdminLogin    = "admin"
	AdminPassword = "admin-password"
	// AdminUserID is the administrator's user id.
	AdminUserID = 7000

	// User and Password sign in the seeded default user, a trader who has
	// not signed the required agreements yet and owns TraderAccountID.
	User     = "trader"
	Password = "trader-password"
	// TraderUserID is the trader's user id.
	TraderUserID = 7125
	// TraderAccountID is the trader's margin account, with positions.
	TraderAccountID = 6303
	// SpareAccountID is a funded cash account with a position, bound to
	// nobody: the account onboarding binds.
	SpareAccountID = 6304

	// NewUserPassword is the password of every user created through the
	// API, as if they had accepted the invitation and chosen it.
	NewUserPassword = "welcome-password"
)

// The emulator's own statement of the wire facts (from the broker's
// documentation and the project's emulator contract), kept apart from the
// SDK it checks.
const (
	authorizePath    = "/authorize"
	tokenPath        = "/oauth/token"
	userinfoPath     = "/userinfo"
	logoutPath       = "/v2/logout"
	apiKeyHeader     = "Et-App-Key"
	offlineAccess    = "offline_access"
	codeLifetime     = 10 * time.Minute
	accessLifetime   = 24 * time.Hour
	maxPositionsPage = 99
)

// defaultScopes are the scopes of the documented samples.
func defaultScopes() []string { return []string{"openid", "profile", "email"} }

// Paths are the API paths the emulator serves, with the placeholders
// {userId}, {accountId}, {orderId}, {alertId}, {agreementId}, {symbol} and
// {username}. Empty fields keep the documented ETNA-layer paths.
type Paths struct {
	CreateUser, UserInfo, UpdateUser, UserAccounts, CreateAccount        string
	BindAccount, BindAccountByUsername, UnbindAccount, AccountBalances   string
	Agreements, SignAgreement, Quotes, Security, PriceAlerts, PriceAlert string
	Orders, Order, PreviewOrder, Positions                               string
}

// withDefaults fills p's empty fields with the documented paths.
func (p Paths) withDefaults() Paths {
	for _, f := range []struct {
		dst *string
		def string
	}{
		{&p.CreateUser, "/v1.0/users"},
		{&p.UserInfo, "/v1.0/users/{userId}/info"},
		{&p.UpdateUser, "/v1.0/users/{userId}"},
		{&p.UserAccounts, "/v1.0/users/{userId}/accounts"},
		{&p.CreateAccount, "/v1.0/accounts"},
		{&p.BindAccount, "/v1.0/accounts/{accountId}/users/{userId}"},
		{&p.BindAccountByUsername, "/v1.0/accounts/{accountId}/username/{username}"},
		{&p.UnbindAccount, "/v1.0/accounts/{accountId}/users/{userId}"},
		{&p.AccountBalances, "/v1.0/accounts/{accountId}/info"},
		{&p.Agreements, "/v1.0/users/{userId}/agreements"},
		{&p.SignAgreement, "/v1.0/users/{userId}/agreements/{agreementId}/sign"},
		{&p.Quotes, "/v1.0/quotes"},
		{&p.Security, "/v1.0/equities/{symbol}"},
		{&p.PriceAlerts, "/v1.0/users/{userId}/pricealerts"},
		{&p.PriceAlert, "/v1.0/users/{userId}/pricealerts/{alertId}"},
		{&p.Orders, "/v1.0/accounts/{accountId}/orders"},
		{&p.Order, "/v1.0/accounts/{accountId}/orders/{orderId}"},
		{&p.PreviewOrder, "/v1.0/accounts/{accountId}/preview/orders"},
		{&p.Positions, "/v1.0/accounts/{accountId}/positions"},
	} {
		if *f.dst == "" {
			*f.dst = f.def
		}
	}
	return p
}

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
	now               func() time.Time
	refresh           bool
	apiKey            string
	apiKeyHeader      string
	badKeyStatus      int
	codeTTL           time.Duration
	accessTTL         time.Duration
	paths             Paths
	minimalAgreements bool
	redirects         []string
	addr              string // WithAddr
}

// WithClock makes the emulator read time from now (a TestClock's Now).
func WithClock(now func() time.Time) Option { return func(o *options) { o.now = now } }

// WithRefresh turns refresh tokens on or off for the application (on by
// default). With them on, logins that request offline_access get a
// refresh token that never expires.
func WithRefresh(on bool) Option { return func(o *options) { o.refresh = on } }

// WithRedirectURL registers another redirect URI for the application,
// beside RedirectURL: a web app's per-broker callback such as
// "http://127.0.0.1/callback/autoshares" (any loopback port is accepted).
func WithRedirectURL(u string) Option {
	return func(o *options) { o.redirects = append(o.redirects, u) }
}

// WithAPIKey changes the API secret key the emulator expects.
func WithAPIKey(key string) Option { return func(o *options) { o.apiKey = key } }

// WithAPIKeyHeader changes the header the API key is read from (default
// Et-App-Key).
func WithAPIKeyHeader(name string) Option { return func(o *options) { o.apiKeyHeader = name } }

// WithBadKeyStatus sets the status of a missing or unknown API key: 403 as
// the spec says (default), or 401 as another AutoShares page says.
func WithBadKeyStatus(status int) Option { return func(o *options) { o.badKeyStatus = status } }

// WithLifetimes sets the code and access-token lifetimes (10 minutes and
// 24 hours by default).
func WithLifetimes(code, access time.Duration) Option {
	return func(o *options) { o.codeTTL, o.accessTTL = code, access }
}

// WithPaths serves the API at other paths (empty fields keep the
// defaults), to match a client configured with autoshares.WithPaths.
func WithPaths(p Paths) Option { return func(o *options) { o.paths = p } }

// WithMinimalAgreements lists agreements in the documented minimal shape,
// {"Type","CanSkip"}, without the id that signing needs.
func WithMinimalAgreements() Option { return func(o *options) { o.minimalAgreements = true } }

// Server is an AutoShares emulator on 127.0.0.1: an Auth0-shaped
// authorization server and the API, in the style of httptest.Server.
type Server struct {
	url  string
	srv  *httptest.Server
	eng  *oauthsim.Engine
	opts options

	mu    sync.Mutex
	st    *state
	paths Paths
}

// NewServer starts an emulator seeded with the administrator, the trader,
// their accounts, positions and quotes. Close it when done. It panics only
// if it cannot listen on 127.0.0.1, as httptest.NewServer does.
func NewServer(opts ...Option) *Server {
	s, err := Start(opts...)
	if err != nil {
		panic(err)
	}
	return s
}

// Start is NewServer returning an error instead of panicking on a bad
// option.
func Start(opts ...Option) (*Server, error) {
	o := options{refresh: true, apiKey: APIKey, apiKeyHeader: apiKeyHeader,
		badKeyStatus: http.StatusForbidden, codeTTL: codeLifetime,
		accessTTL: accessLifetime, now: time.Now}
	for _, opt := range opts {
		if opt != nil {
			opt(&o)
		}
	}
	if o.apiKey == "" || o.apiKeyHeader == "" {
		return nil, errors.New("autosharestest: the API key and its header name must not be empty")
	}
	if o.badKeyStatus != http.StatusForbidden && o.badKeyStatus != http.StatusUnauthorized {
		return nil, fmt.Errorf("autosharestest: bad-key status %d is neither 401 nor 403", o.badKeyStatus)
	}
	refresh := oauthsim.RefreshPolicy{Mode: oauthsim.RefreshNone}
	if o.refresh {
		refresh = oauthsim.RefreshPolicy{Mode: oauthsim.RefreshStatic, RequireScope: offlineAccess}
	}
	s := &Server{opts: o, paths: o.paths.withDefaults()}
	s.st = seed(o.now())
	var users []oauthsim.User
	for _, u := range s.st.users {
		users = append(users, s.st.simUser(u))
	}
	ln, err := net.Listen("tcp", o.listenAddr())
	if err != nil {
		return nil, fmt.Errorf("autosharestest: listening on 127.0.0.1: %w", err)
	}
	// The tenant's issuer is its URL, which the listener fixes.
	issuer := "http://" + ln.Addr().String() + "/"
	eng, err := oauthsim.New(oauthsim.Config{
		Name:          "AutoShares",
		Issuer:        issuer,
		Signup:        s.signup,
		Clients:       []oauthsim.Client{{ID: ClientID, Secret: ClientSecret, RedirectURIs: append([]string{RedirectURL}, o.redirects...), NoRefresh: !o.refresh}},
		Users:         users,
		Now:           o.now,
		CodeTTL:       o.codeTTL,
		AccessTTL:     o.accessTTL,
		Refresh:       refresh,
		PKCE:          oauthsim.PKCEOptional,
		DefaultScopes: defaultScopes(),
		Wire: oauthsim.Wire{
			AuthorizePath: authorizePath,
			TokenPath:     tokenPath,
			UserinfoPath:  userinfoPath,
			RevokePath:    "-",
			TokenJSON:     true,
			ClientAuth:    oauthsim.ClientAuthAny,
			Fields:        oauthsim.TokenFields{IDToken: "id_token"},
		},
	})
	if err != nil {
		ln.Close()
		return nil, fmt.Errorf("autosharestest: %w", err)
	}
	s.eng = eng
	mux := http.NewServeMux()
	eng.Mount(mux)
	mux.HandleFunc("GET "+logoutPath, s.logout)
	if err := s.routes(mux); err != nil {
		ln.Close()
		return nil, err
	}
	s.srv = &httptest.Server{Listener: ln, Config: &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}}
	s.srv.Start()
	s.url = s.srv.URL
	return s, nil
}

// URL returns the base URL of both the tenant and the API, with no
// trailing slash.
func (s *Server) URL() string { return s.url }

// Close shuts the server down.
func (s *Server) Close() { s.srv.Close() }

// Client returns an HTTP client for the server, without authentication.
func (s *Server) Client() *http.Client { return s.srv.Client() }

// Config returns the autoshares.Config of the seeded application at this
// server: the demo environment, BaseURL = URL(), the seeded client
// credentials and API key, refresh tokens enabled as the server issues
// them.
func (s *Server) Config() autoshares.Config {
	return autoshares.Config{
		ClientID:       ClientID,
		ClientSecret:   ClientSecret,
		RedirectURL:    RedirectURL,
		Environment:    auth.Demo,
		BaseURL:        s.url,
		APIKey:         auth.Secret(s.opts.apiKey),
		APIKeyHeader:   s.opts.apiKeyHeader,
		RefreshEnabled: s.opts.refresh,
		CodeLifetime:   s.opts.codeTTL,
		AccessLifetime: s.opts.accessTTL,
		HTTPClient:     s.srv.Client(),
		Now:            s.opts.now,
	}
}

// Provider returns autoshares.New(s.Config()).
func (s *Server) Provider() (*autoshares.Provider, error) { return autoshares.New(s.Config()) }

// Browser plays a user who signs in as login on the consent page.
func (s *Server) Browser(login, password string) *Browser {
	return oauthsim.NewBrowser(s.srv.Client(), login, password)
}

// Consent plays the seeded default user in a browser: it follows authURL,
// signs in, approves, and returns the callback URL for
// auth.Flow.CompleteURL.
func (s *Server) Consent(ctx context.Context, authURL string) (string, error) {
	return s.Browser(User, Password).Login(ctx, authURL)
}

// Login runs a whole login as the seeded default user against p (a
// provider from Config): Begin, the consent page, Complete. Other users
// log in through Browser.
func (s *Server) Login(ctx context.Context, p auth.Provider, opts ...auth.FlowOption) (*auth.Token, error) {
	return s.Browser(User, Password).Token(ctx, p, opts...)
}

// InvalidateToken revokes one access token, as the tenant does when a
// token is withdrawn; it reports whether the token was known.
func (s *Server) InvalidateToken(accessToken string) bool { return s.eng.Invalidate(accessToken) }

// Faults returns the fault injector: Faults().Next(path, Fault{Status:
// 503}, 1) makes the next request of path fail.
func (s *Server) Faults() *Faults { return s.eng.Faults() }

// SetAutoApprove makes logins skip the consent page and approve as login
// (empty turns it off): for programs with no browser.
func (s *Server) SetAutoApprove(login string) { s.eng.SetAutoApprove(login) }

// InvalidateUser revokes every token of the user with this login (a broker
// extra: AutoShares withdraws a user's whole session, refresh tokens
// included).
func (s *Server) InvalidateUser(login string) {
	s.mu.Lock()
	u := s.st.byLogin[login]
	s.mu.Unlock()
	if u != nil {
		s.eng.InvalidateUser(strconv.FormatInt(u.id, 10))
	}
}

// SetQuote moves a symbol's quote (adding the symbol if new) and fires the
// price alerts and resting limit orders it satisfies.
func (s *Server) SetQuote(symbol string, bid, ask, last decimal.Decimal) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.opts.now()
	q, ok := s.st.quotes[symbol]
	if !ok {
		s.st.nextSecurity++
		q = &quote{symbol: symbol, securityID: s.st.nextSecurity, name: symbol}
		s.st.quotes[symbol] = q
	}
	q.change = last.Sub(q.prevClose())
	q.bid, q.ask, q.last, q.at = bid, ask, last, now
	s.st.fireAlerts(now)
	s.st.fillResting(now)
}

// AlertState returns the state of price alert id ("" when unknown).
func (s *Server) AlertState(id int64) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.fireAlerts(s.opts.now())
	if a, ok := s.st.alerts[id]; ok {
		return a.state
	}
	return ""
}

// UserID returns the id of the user with this login (0 when unknown).
func (s *Server) UserID(login string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u := s.st.byLogin[login]; u != nil {
		return u.id
	}
	return 0
}
