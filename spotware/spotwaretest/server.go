package spotwaretest

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"time"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/internal/oauthsim"
	"github.com/brokerkit/brokerkit/spotware"
	"github.com/brokerkit/brokerkit/spotware/openapi"
)

// Aliases for the shared engine's types, so tests need not import it.
type (
	// Fault is an HTTP fault for the authorization server (Faults().Next).
	Fault = oauthsim.Fault
	// Faults injects HTTP faults.
	Faults = oauthsim.Faults
	// Browser plays the user on the consent page.
	Browser = oauthsim.Browser
	// TestClock is a settable clock to share with the SDK.
	TestClock = oauthsim.TestClock
)

// NewTestClock returns a clock reading start (a fixed instant if zero)
// until moved.
func NewTestClock(start time.Time) *TestClock { return oauthsim.NewTestClock(start) }

// The emulator's defaults, from Spotware's documentation.
const (
	CodeLifetime      = time.Minute
	AccessLifetime    = 2628000 * time.Second
	DefaultHeartbeat  = 10 * time.Second
	DefaultIdle       = 30 * time.Second
	DefaultSpotPeriod = 100 * time.Millisecond
	DefaultRateLimit  = 50
	DefaultHistLimit  = 5
)

// Option configures NewServer.
type Option func(*options)

type options struct {
	now         func() time.Time
	live        bool
	heartbeat   time.Duration
	idle        time.Duration
	spotPeriod  time.Duration
	spotsPerTck int
	rate, hist  int
	rateCode    string
	retryAfter  time.Duration
	expiredCode string
	snake       bool
	errorCodes  map[string]string
	redirects   []string
	accessTTL   time.Duration
	omitState   bool
	addrs       [3]string // WithAddrs: HTTP, demo, live
}

// WithClock makes the authorization server read time from now (share a
// TestClock with the SDK to test expiry without sleeping).
func WithClock(now func() time.Time) Option { return func(o *options) { o.now = now } }

// WithLive makes Addr the live host (LiveAddr), which serves LiveAccount
// and refuses the demo accounts with CANT_ROUTE_REQUEST, as
// live.ctraderapi.com does. The default Addr is the demo host (DemoAddr).
// Both hosts are served either way.
func WithLive() Option { return func(o *options) { o.live = true } }

// WithHeartbeat sets how often the server sends heartbeats (default 10 s).
func WithHeartbeat(d time.Duration) Option { return func(o *options) { o.heartbeat = d } }

// WithIdleTimeout sets how long a client may stay silent before the server
// drops it (default 30 s).
func WithIdleTimeout(d time.Duration) Option { return func(o *options) { o.idle = d } }

// WithSpotPeriod sets the interval between spot ticks (default 100 ms) and
// how many events each subscribed symbol gets per tick (default 1; raise it
// to measure throughput).
func WithSpotPeriod(d time.Duration, perTick int) Option {
	return func(o *options) { o.spotPeriod, o.spotsPerTck = d, perTick }
}

// WithRateLimits sets the per-connection limits (default 50 and 5 requests
// per second), the error code sent when one is exceeded
// (REQUEST_FREQUENCY_EXCEEDED by default; BLOCKED_PAYLOAD_TYPE is the
// other documented one) and its retryAfter (default 1 s).
func WithRateLimits(perSecond, historicalPerSecond int, code string, retryAfter time.Duration) Option {
	return func(o *options) {
		o.rate, o.hist, o.rateCode, o.retryAfter = perSecond, historicalPerSecond, code, retryAfter
	}
}

// WithExpiredTokenCode sets the code an expired access token gets:
// CH_ACCESS_TOKEN_INVALID (the default, "Access token expired", as seen in
// the field) or OA_AUTH_TOKEN_EXPIRED.
func WithExpiredTokenCode(code string) Option { return func(o *options) { o.expiredCode = code } }

// WithSnakeCaseDuplicates adds access_token, refresh_token and expires_in
// beside the camelCase members of token answers, as older hosts did.
func WithSnakeCaseDuplicates() Option { return func(o *options) { o.snake = true } }

// WithTokenErrorCodes maps RFC 6749 error codes to the errorCode strings
// the token endpoint answers with (HTTP 200). Spotware does not document
// its strings; by default the RFC codes pass through.
func WithTokenErrorCodes(codes map[string]string) Option {
	return func(o *options) { o.errorCodes = codes }
}

// WithRedirectURL registers another redirect URI for the application.
func WithRedirectURL(u string) Option {
	return func(o *options) { o.redirects = append(o.redirects, u) }
}

// WithoutStateEcho leaves state out of the consent redirect. Spotware's
// own SDKs send no state and whether the server echoes one is not
// documented; with this option a login through auth.Flow fails with
// auth.ErrStateMismatch, which is how the SDK would tell.
func WithoutStateEcho() Option { return func(o *options) { o.omitState = true } }

// WithAccessLifetime overrides the 2,628,000-second access-token lifetime.
func WithAccessLifetime(d time.Duration) Option { return func(o *options) { o.accessTTL = d } }

// Version is what the emulator answers ProtoOAVersionReq with.
const Version = "brokerkit-emulator-1"

// Server is a cTrader Open API emulator on 127.0.0.1: the authorization
// server (/apps/auth, /apps/token) over HTTP, and the Protobuf API over TLS
// with a self-signed certificate that TLSConfig trusts, on two hosts as
// cTrader has them: a demo host serving the demo accounts and a live host
// serving the live ones.
type Server struct {
	// DemoAddr and LiveAddr are the host:port of the demo and the live
	// Protobuf host. Each refuses the other's accounts with
	// CANT_ROUTE_REQUEST.
	DemoAddr, LiveAddr string
	// Addr is the host a client connects to first: DemoAddr, or LiveAddr
	// with WithLive.
	Addr string

	url            string
	opts           options
	eng            *oauthsim.Engine
	http           *httptest.Server
	oauth          http.Handler
	lnDemo, lnLive net.Listener
	pool           *x509.CertPool

	mu        sync.Mutex
	peers     map[*peer]struct{}
	faults    []*tcpFault
	stats     map[uint32]int
	hostStats map[string]map[uint32]int
	flags     flags
	trade     book
	closed    bool
	wg        sync.WaitGroup
}

type flags struct {
	unknownFields bool
	splitFrames   bool
	cutNext       bool
	frozen        bool
	spotsPaused   bool
}

// NewServer starts an emulator. It panics only if it cannot listen on
// 127.0.0.1 or make its certificate, as httptest.NewServer does; Start
// returns the error instead.
func NewServer(opts ...Option) *Server {
	s, err := Start(opts...)
	if err != nil {
		panic(err)
	}
	return s
}

// Start is NewServer returning an error instead of panicking.
func Start(opts ...Option) (*Server, error) {
	o := options{now: time.Now, heartbeat: DefaultHeartbeat, idle: DefaultIdle, spotPeriod: DefaultSpotPeriod,
		spotsPerTck: 1, rate: DefaultRateLimit, hist: DefaultHistLimit,
		rateCode: openapi.ProtoOAErrorCode_REQUEST_FREQUENCY_EXCEEDED.String(), retryAfter: time.Second,
		expiredCode: openapi.ProtoOAErrorCode_CH_ACCESS_TOKEN_INVALID.String(), accessTTL: AccessLifetime}
	for _, opt := range opts {
		if opt != nil {
			opt(&o)
		}
	}
	if o.heartbeat <= 0 || o.idle <= 0 || o.spotPeriod <= 0 || o.spotsPerTck <= 0 || o.accessTTL <= 0 {
		return nil, fmt.Errorf("spotwaretest: intervals, lifetimes and spots per tick must be positive")
	}
	s := &Server{opts: o, peers: map[*peer]struct{}{}, stats: map[uint32]int{}, hostStats: map[string]map[uint32]int{}}
	if err := s.startOAuth(); err != nil {
		return nil, err
	}
	if err := s.startProto(); err != nil {
		s.http.Close()
		return nil, err
	}
	return s, nil
}

// Close stops both servers and drops every connection.
func (s *Server) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	peers := s.peerList()
	s.mu.Unlock()
	s.closeListeners()
	for _, p := range peers {
		p.close()
	}
	s.wg.Wait()
	s.http.Close()
}

// URL returns the authorization server's base URL: plain http on
// 127.0.0.1, which brokerkit accepts for loopback hosts, so a provider
// configured only by BaseURL (providers.FromEnv) reaches it.
func (s *Server) URL() string { return s.url }

// Client returns an *http.Client for the authorization server.
func (s *Server) Client() *http.Client { return s.http.Client() }

// TLSConfig returns a client TLS configuration that trusts the emulator's
// Protobuf hosts' certificate.
func (s *Server) TLSConfig() *tls.Config {
	return &tls.Config{RootCAs: s.pool, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12}
}

// Config returns the spotware.Config of the seeded application at this
// server: BaseURL is URL, Environment is demo (live with WithLive), and
// HTTPClient is Client.
func (s *Server) Config() spotware.Config {
	env := auth.Demo
	if s.opts.live {
		env = auth.Live
	}
	return spotware.Config{ClientID: ClientID, ClientSecret: ClientSecret, RedirectURL: RedirectURL,
		Environment: env, BaseURL: s.url, HTTPClient: s.http.Client(), Now: s.opts.now}
}

// Provider returns spotware.New(s.Config()).
func (s *Server) Provider() (*spotware.Provider, error) { return spotware.New(s.Config()) }

// SessionConfig returns a spotware.SessionConfig for the seeded application
// at this server, with tokens as its TokenSource: it starts on Addr and
// knows both hosts, so it serves live and demo accounts alike. (A
// provider's own SessionConfig names cTrader's real hosts.)
func (s *Server) SessionConfig(tokens auth.TokenSource) spotware.SessionConfig {
	return spotware.SessionConfig{Addr: s.Addr, LiveAddr: s.LiveAddr, DemoAddr: s.DemoAddr, ClientID: ClientID,
		ClientSecret: ClientSecret, Tokens: tokens, TLSConfig: s.TLSConfig()}
}

// Browser plays a user who signs in on the consent page.
func (s *Server) Browser(username, password string) *Browser {
	return oauthsim.NewBrowser(s.http.Client(), username, password)
}

// Consent plays the seeded user in a browser: it follows authURL, signs
// in, approves, and returns the callback URL for auth.Flow.CompleteURL.
func (s *Server) Consent(ctx context.Context, authURL string) (string, error) {
	return s.Browser(User, Password).Login(ctx, authURL)
}

// Login runs a whole login of the seeded user against p: Begin, the consent
// page, Complete.
func (s *Server) Login(ctx context.Context, p auth.Provider, opts ...auth.FlowOption) (*auth.Token, error) {
	return s.Browser(User, Password).Token(ctx, p, opts...)
}

// Faults returns the fault injector: the authorization server's HTTP
// faults, and the stream faults of the Protobuf connections (CutStreams
// drops them, StallStreams holds back their spot and pushed execution
// events while heartbeats go on).
func (s *Server) Faults() *Faults { return s.eng.Faults() }

// InvalidateToken revokes an access or refresh token at once.
func (s *Server) InvalidateToken(token string) bool { return s.eng.Invalidate(token) }

// SetAutoApprove makes the consent page approve at once as username,
// with no sign-in form, for programs that have no browser; "" turns it
// off.
func (s *Server) SetAutoApprove(username string) { s.eng.SetAutoApprove(username) }

// Received counts the frames of a payload type the Protobuf server has
// received (heartbeats included), on both hosts.
func (s *Server) Received(payloadType uint32) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats[payloadType]
}

// ReceivedOn is Received for one host, DemoAddr or LiveAddr.
func (s *Server) ReceivedOn(addr string, payloadType uint32) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hostStats[addr][payloadType]
}

// Connections counts open Protobuf connections.
func (s *Server) Connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.peers)
}

// Subscriptions counts the spot subscriptions (account, symbol) open over
// every connection.
func (s *Server) Subscriptions() int {
	n := 0
	for _, p := range s.snapshotPeers() {
		p.mu.Lock()
		for _, m := range p.subs {
			n += len(m)
		}
		p.mu.Unlock()
	}
	return n
}

func (s *Server) snapshotPeers() []*peer {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.peerList()
}

func (s *Server) peerList() []*peer {
	out := make([]*peer, 0, len(s.peers))
	for p := range s.peers {
		out = append(out, p)
	}
	return out
}
