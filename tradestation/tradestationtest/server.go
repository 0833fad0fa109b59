package tradestationtest

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"time"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/internal/oauthsim"
	"github.com/brokerkit/brokerkit/tradestation"
)

// The seeded credentials. Keys follow TradeStation's formats: Auth0 keys
// are 32 mixed-case characters, legacy v2 keys are GUIDs.
const (
	// V3ClientID and V3ClientSecret are a confidential v3/AOP key.
	V3ClientID     = "TSemuV3ConfidentialKey0123456789"
	V3ClientSecret = "tsemu-v3-client-secret"
	// PKCEClientID is a v3/AOP key set up for Auth Code + PKCE: it has no
	// secret.
	PKCEClientID = "TSemuV3PkceOnlyKeyAbCdEfGhIjKlMn"
	// V2ClientID and V2ClientSecret are a legacy WebAPI v2 key.
	V2ClientID     = "EAC7BF97-B3A4-4C1B-9A0B-1C2D3E4F5A6B"
	V2ClientSecret = "tsemu-v2-client-secret"
	// RedirectURL is registered for every key. Like TradeStation's
	// defaults it is a localhost URL; any loopback port is accepted.
	RedirectURL = "http://localhost:3000/callback"
	// User and Password log the seeded default user in.
	User     = "trader"
	Password = "trader-pass"
	// V3UserID is the user's Auth0 subject; V2UserID their v2 userid.
	V3UserID = "auth0|5f0c1d2e3a4b5c6d7e8f9a0b"
	V2UserID = "testUser"
)

// TestClock is a settable clock to share between the emulator (WithClock)
// and the SDK under test (tradestation.Config.Now, auth.SourceOptions.Now).
type TestClock = oauthsim.TestClock

// NewTestClock returns a TestClock reading start (the current time when
// zero).
func NewTestClock(start time.Time) *TestClock { return oauthsim.NewTestClock(start) }

// TradeStation's wire facts, stated here rather than read from the SDK
// under test.
const (
	tradingAudience = "https://api.tradestation.com"
	aopAudience     = "https://aopapi.tradestation.com"
	v2Audience      = "https://api.tradestation.com/v2"
	clientOnlyUser  = "CLIENTONLYLOGIN"
	// defaultAbsolute is a rotating refresh-token family's life.
	defaultAbsolute = 24 * time.Hour
)

// Browser signs in to the emulator as one user, as a person would.
type Browser = oauthsim.Browser

// Fault is a misbehaviour to inject with Server.Faults().Next: a 5xx, a
// 429, a delay, a cut connection, a truncated body, an invalidated token.
type Fault = oauthsim.Fault

// Faults injects faults into the emulator's answers by path.
type Faults = oauthsim.Faults

// Server is an in-process TradeStation: the Auth0 sign-in server (for v3
// and AOP), API v3, WebAPI v2 with its own login, and a stand-in AOP API,
// on one 127.0.0.1 listener. Live hosts are served at URL(), the SIM host
// at URL()+"/sim", the AOP host at URL()+"/aop" (tradestation.Config's
// BaseURL layout).
type Server struct {
	srv *httptest.Server

	v3, v2 *oauthsim.Engine
	o      options
	now    func() time.Time
	data   *dataset
	limits *limiter
	api    http.Handler
	trade  trading      // orders, their positions and moved quotes
	hub    streamHub    // the open streams
	traces atomic.Int64 // numbers v2 TraceIds and AOP applications
}

// NewServer starts an emulator. Close it when done. Like
// httptest.NewServer it panics when it cannot start: when it cannot listen
// on 127.0.0.1, or when an option is bad (a redirect URL that does not
// parse). Start returns the error instead.
func NewServer(opts ...Option) *Server {
	s, err := Start(opts...)
	if err != nil {
		panic(err)
	}
	return s
}

// Start is NewServer returning an error instead of panicking.
func Start(opts ...Option) (*Server, error) {
	o := defaultOptions()
	for _, opt := range opts {
		if opt != nil {
			opt(&o)
		}
	}
	switch o.v2Redirect {
	case http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther:
	default:
		return nil, fmt.Errorf("tradestationtest: WithV2RedirectStatus(%d): want 301, 302 or 303", o.v2Redirect)
	}
	s := &Server{o: o, now: o.now, data: newDataset()}
	s.limits = newLimiter(o.rateLimits, o.now)
	// The engines need the URL (the v3 issuer), which the listener fixes:
	// listen first, serve only once everything is built.
	s.srv = httptest.NewUnstartedServer(http.HandlerFunc(s.route))
	if err := o.listen(s.srv); err != nil {
		s.srv.Close()
		return nil, err
	}
	var err error
	if s.v3, err = oauthsim.New(s.v3Config("http://" + s.srv.Listener.Addr().String())); err == nil {
		s.v2, err = oauthsim.New(s.v2Config())
	}
	if err != nil {
		s.srv.Close()
		return nil, fmt.Errorf("tradestationtest: %w", err)
	}
	s.api = s.v3.Faults().Wrap(s.apiMux())
	s.srv.Start()
	return s, nil
}

// v3Config is the sign-in server's configuration; base is the URL the
// emulator will serve.
func (s *Server) v3Config(base string) oauthsim.Config {
	refresh := oauthsim.RefreshPolicy{Mode: oauthsim.RefreshStatic, RequireScope: "offline_access"}
	if s.o.rotating {
		refresh = oauthsim.RefreshPolicy{Mode: oauthsim.RefreshRotate, TTL: s.o.rotation,
			Absolute: s.o.absolute, RequireScope: "offline_access", ReuseRevokesFamily: s.o.reuseRevokes}
	}
	auds := []string{tradingAudience, aopAudience}
	return oauthsim.Config{
		Name:   "TradeStation",
		Issuer: base + "/",
		Now:    s.now,
		Clients: []oauthsim.Client{
			{ID: V3ClientID, Secret: V3ClientSecret, RedirectURIs: s.redirectURIs(), Audiences: auds},
			{ID: PKCEClientID, RedirectURIs: s.redirectURIs(), Audiences: auds},
		},
		Users:          []oauthsim.User{s.user(V3UserID)},
		CodeTTL:        time.Minute,
		AccessTTL:      20 * time.Minute,
		Refresh:        refresh,
		PKCE:           s.o.pkce,
		RequiredScopes: []string{"openid"},
		// Revoking one refresh token revokes every one of the key.
		RevokeAllOfClient:    true,
		RevokeSecretOptional: true,
		Wire: oauthsim.Wire{
			AuthorizePath: "/authorize", TokenPath: "/oauth/token", RevokePath: "/oauth/revoke",
			UserinfoPath: "/userinfo", TokenJSON: true, ClientAuth: oauthsim.ClientAuthParams,
			RequireResponseType: true, RequireAuthorizeParams: []string{"audience", "scope"},
			Fields: oauthsim.TokenFields{IDToken: "id_token"},
		},
	}
}

// redirectURIs are the redirect URIs registered for every key.
func (s *Server) redirectURIs() []string {
	return append([]string{RedirectURL}, s.o.redirects...)
}

func (s *Server) v2Config() oauthsim.Config {
	legacy := s.o.legacyFields
	shape := func(grant string, _ *oauthsim.Grant, body map[string]any) {
		rename := func(from, to string) {
			if v, ok := body[from]; ok {
				delete(body, from)
				body[to] = v
			}
		}
		delete(body, "scope") // v2 answers carry no scope
		if grant == "client_credentials" {
			// The only documented shape: token, token_type null.
			rename("access_token", "token")
			body["token_type"] = nil
			return
		}
		if legacy {
			rename("access_token", "token")
			rename("refresh_token", "RefreshToken")
		}
	}
	codeParam := ""
	if s.o.authCodeParam {
		codeParam = "auth_code"
	}
	return oauthsim.Config{
		Name: "TradeStation WebAPI",
		Now:  s.now,
		Clients: []oauthsim.Client{
			{ID: V2ClientID, Secret: V2ClientSecret, RedirectURIs: s.redirectURIs()},
		},
		Users:                []oauthsim.User{s.user(V2UserID)},
		CodeTTL:              30 * time.Second,
		AccessTTL:            20 * time.Minute,
		Refresh:              oauthsim.RefreshPolicy{Mode: oauthsim.RefreshStatic},
		PKCE:                 oauthsim.PKCEUnsupported,
		ClientCredentials:    true,
		AppOnlySubject:       clientOnlyUser,
		ClientCredentialsTTL: 21943 * time.Second,
		Implicit:             true,
		ImplicitTTL:          24 * time.Hour,
		DefaultAudience:      v2Audience,
		Wire: oauthsim.Wire{
			AuthorizePath: "/v2/authorize/", TokenPath: "/v2/Security/Authorize", RevokePath: "-",
			UserinfoPath: "-", FoldPathCase: true, ClientAuth: oauthsim.ClientAuthParams,
			CodeParam: codeParam,
			Fields:    oauthsim.TokenFields{Subject: "userid", TokenTypeValue: "AccessToken", Shape: shape},
			Errors:    v2AuthErrors,
		},
	}
}

// v2AuthErrors answers like WebAPI v2's authorize endpoint: 401 with the
// documented message.
func v2AuthErrors(w http.ResponseWriter, r *http.Request, e *oauthsim.Error) {
	msg := e.Description
	switch e.Reason {
	case oauthsim.ReasonCodeExpired:
		msg = "Authorization code expired"
	case oauthsim.ReasonRedirectMismatch:
		msg = "Exception of type 'TradeStation.Web.Services.AuthorizationException' was thrown."
	case oauthsim.ReasonLoginFailed:
		msg = "Authorization failed"
	case oauthsim.ReasonBadClientSecret, oauthsim.ReasonUnknownClient:
		msg = "API key failure"
	case oauthsim.ReasonRefreshUnknown, oauthsim.ReasonRefreshRevoked, oauthsim.ReasonRefreshExpired:
		msg = "Invalid refresh token"
	}
	status := http.StatusUnauthorized
	if e.Status >= 500 {
		status = e.Status
	}
	// An RFC 6749 code beside the documented text lets SDKs tell a dead
	// refresh token from other failures.
	oauthsim.WriteJSON(w, status, map[string]any{"StatusCode": status, "Message": msg, "error": e.Code,
		"error_description": msg})
}

func (s *Server) user(id string) oauthsim.User {
	return oauthsim.User{ID: id, Username: User, Password: Password, Name: "Terry Trader",
		Claims: map[string]any{"given_name": "Terry", "family_name": "Trader", "nickname": "trader",
			"email": "trader@example.com", "email_verified": true, "updated_at": "2026-01-02T15:04:05.000Z"}}
}

// route sends each request to its part of the emulator.
func (s *Server) route(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	lower := strings.ToLower(p)
	switch {
	case s.v3.Handles(p):
		s.v3.ServeHTTP(w, r)
	case lower == "/v2/authorize" || lower == "/sim/v2/authorize" || lower == "/sim/v2/authorize/" ||
		lower == "/sim/v2/security/authorize":
		// The SIM host's login is the same server; "/v2/authorize" without
		// the documented trailing slash is accepted too.
		r2 := r.Clone(r.Context())
		r2.URL.Path = strings.TrimPrefix(lower, "/sim")
		if r2.URL.Path == "/v2/authorize" {
			r2.URL.Path = v2AuthorizePath
		}
		s.serveV2(w, r2)
	case s.v2.Handles(p):
		s.serveV2(w, r)
	default:
		s.api.ServeHTTP(w, r)
	}
}

// v2AuthorizePath is WebAPI v2's authorization endpoint, with the
// trailing slash of the documented examples.
const v2AuthorizePath = "/v2/authorize/"

// serveV2 serves WebAPI v2's login endpoints. The engine redirects with
// 302; v2's documentation shows "HTTP 301 Redirect", so its authorization
// redirects take the status WithV2RedirectStatus chose (301 by default).
func (s *Server) serveV2(w http.ResponseWriter, r *http.Request) {
	if s.o.v2Redirect != http.StatusFound && strings.EqualFold(r.URL.Path, v2AuthorizePath) {
		w = redirectStatus{ResponseWriter: w, status: s.o.v2Redirect}
	}
	s.v2.ServeHTTP(w, r)
}

// redirectStatus answers a 302 with another redirect status.
type redirectStatus struct {
	http.ResponseWriter
	status int
}

func (w redirectStatus) WriteHeader(code int) {
	if code == http.StatusFound {
		code = w.status
	}
	w.ResponseWriter.WriteHeader(code)
}

// Hijack lets a cut-connection fault reach the connection.
func (w redirectStatus) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return http.NewResponseController(w.ResponseWriter).Hijack()
}

// URL is the base URL of the emulator: sign-in and the live API.
func (s *Server) URL() string { return s.srv.URL }

// Close shuts the emulator down.
func (s *Server) Close() { s.srv.Close() }

// Client returns an *http.Client for the emulator (plain http).
func (s *Server) Client() *http.Client { return s.srv.Client() }

// Config returns a v3 provider configuration with the confidential key,
// the live environment, the emulator as BaseURL, its HTTP client and its
// clock.
func (s *Server) Config() tradestation.Config { return s.ConfigFor(tradestation.V3) }

// ConfigFor is Config for another API family: AOP shares the v3 key, V2
// has its own legacy key.
func (s *Server) ConfigFor(api tradestation.API) tradestation.Config {
	cfg := tradestation.Config{ClientID: V3ClientID, ClientSecret: V3ClientSecret, RedirectURL: RedirectURL,
		Environment: auth.Live, API: api, AbsoluteLifetime: s.o.absolute, HTTPClient: s.Client(),
		BaseURL: s.URL(), Now: s.now}
	if s.o.rotating {
		cfg.Refresh = tradestation.RefreshRotating
	}
	if api == tradestation.V2 {
		cfg.ClientID, cfg.ClientSecret, cfg.Refresh, cfg.AbsoluteLifetime = V2ClientID, V2ClientSecret, 0, 0
	}
	return cfg
}

// PKCEConfig is ConfigFor(api) with the PKCE-only key (V3 or AOP): no
// secret.
func (s *Server) PKCEConfig(api tradestation.API) tradestation.Config {
	cfg := s.ConfigFor(api)
	cfg.ClientID, cfg.ClientSecret, cfg.PKCE = PKCEClientID, "", true
	return cfg
}

// Provider returns tradestation.New(s.Config()).
func (s *Server) Provider() (*tradestation.Provider, error) { return tradestation.New(s.Config()) }

// Consent plays the seeded user in a browser: it follows authURL, signs
// in, approves, and returns the callback URL for auth.Flow.CompleteURL.
func (s *Server) Consent(ctx context.Context, authURL string) (string, error) {
	return s.Browser(User, Password).Login(ctx, authURL)
}

// Login runs a whole login of the seeded user against p (a provider from
// Config, ConfigFor or PKCEConfig): auth.Begin, the consent page, Complete.
func (s *Server) Login(ctx context.Context, p auth.Provider, opts ...auth.FlowOption) (*auth.Token, error) {
	return s.Browser(User, Password).Token(ctx, p, opts...)
}

// Browser returns a browser signing in as username, for tests that need
// another user, a wrong password or a declined consent
// (Browser(...).Declining()).
func (s *Server) Browser(username, password string) *Browser {
	return oauthsim.NewBrowser(s.Client(), username, password)
}

// SetAutoApprove makes both sign-in servers approve every authorization
// at once as username, without a consent page (for programs with no
// browser, such as the example). "" restores the consent page.
func (s *Server) SetAutoApprove(username string) {
	s.v3.SetAutoApprove(username)
	s.v2.SetAutoApprove(username)
}

// Faults injects faults into the sign-in server (v3, AOP) and every API
// route. WebAPI v2's login has its own: V2AuthFaults.
func (s *Server) Faults() *Faults { return s.v3.Faults() }

// V2AuthFaults injects faults into WebAPI v2's login endpoints, which are
// a separate authorization server.
func (s *Server) V2AuthFaults() *Faults { return s.v2.Faults() }

// InvalidateToken makes an access or refresh token unusable at once, as a
// broker-side logout would. It reports whether the token was known.
func (s *Server) InvalidateToken(token string) bool {
	return s.v3.Invalidate(token) || s.v2.Invalidate(token)
}

// IssueV3 mints a trading-API token for the seeded user without a login,
// for tests and benchmarks that need one quickly. No scopes means the v3
// default scopes.
func (s *Server) IssueV3(scopes ...string) (*auth.Token, error) {
	if len(scopes) == 0 {
		scopes = []string{"openid", "offline_access", "profile", "MarketData", "ReadAccount"}
	}
	is, err := s.v3.Issue(oauthsim.IssueRequest{ClientID: V3ClientID, UserID: V3UserID, Scopes: scopes,
		Audience: tradingAudience})
	if err != nil {
		return nil, err
	}
	return &auth.Token{AccessToken: is.AccessToken, RefreshToken: is.RefreshToken, TokenType: "Bearer",
		Expiry: is.Grant.Expiry, Scopes: is.Grant.Scopes, Audience: tradingAudience,
		Provider: "tradestation"}, nil
}

// String names the server by its URL.
func (s *Server) String() string {
	return fmt.Sprintf("tradestationtest.Server{%s}", s.srv.URL)
}
