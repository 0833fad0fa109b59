package spotware

import (
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/internal/redact"
	"github.com/brokerkit/brokerkit/internal/rest"
	"github.com/brokerkit/brokerkit/spotware/internal/wire"
	"github.com/brokerkit/brokerkit/spotware/openapi"
	"github.com/brokerkit/brokerkit/stream"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// Documented limits and recommended intervals, the defaults of
// SessionConfig.
const (
	DefaultRequestsPerSecond   = 50
	DefaultHistoricalPerSecond = 5
	DefaultHeartbeatInterval   = 10 * time.Second
	DefaultStallTimeout        = 45 * time.Second
	DefaultRequestTimeout      = 15 * time.Second
	DefaultReconnectMin        = 500 * time.Millisecond
	DefaultReconnectMax        = 30 * time.Second
)

// SessionConfig configures Dial. Provider.SessionConfig fills in the
// hosts of the provider's Environment, the application's credentials and
// the TokenSource; the rest has the documented defaults.
type SessionConfig struct {
	// Addr is the Protobuf host:port the session connects to first: Dial
	// authorizes the application there, and calls that name no account
	// (Accounts, Profile) go there. Empty means DemoAddr or LiveAddr
	// (whichever is set); with none of the three set Dial fails, as no
	// session picks live or demo by accident. See Addr (the function) for
	// live, demo and regional hosts.
	Addr string
	// ClientID and ClientSecret authorize the application. Wrong ones get
	// CH_CLIENT_AUTH_FAILURE and the server closes the connection. The
	// secret prints and marshals redacted.
	ClientID     string
	ClientSecret auth.Secret
	// Tokens supplies the user's access token. Usually an *auth.Source
	// over a Store, which must save each new token before handing it out
	// (cTrader's refresh token is single use). When the server refuses the
	// token, a source with a ForceRefresh(ctx, stale) method, as
	// *auth.Source has, is asked for a new one; with another source the
	// refusal stands. It is not part of the JSON form.
	Tokens auth.TokenSource `json:"-"`
	// TLSConfig is used for the connections; nil means the system roots.
	// ServerName defaults to the host dialled. It is not part of the JSON
	// form.
	TLSConfig *tls.Config `json:"-"`
	// LiveAddr and DemoAddr are the hosts of live and demo accounts. Live
	// and demo are separate systems; the session routes each account to
	// the host its IsLive names (from the account list), connecting to the
	// other host on first use, so that no call meets CANT_ROUTE_REQUEST.
	// An empty one is derived from Addr when Addr is a Spotware host
	// (live.ctraderapi.com and demo.ctraderapi.com, regional hosts alike);
	// otherwise it is Addr, and Addr serves every account. When either is
	// set, Addr must be one of them.
	LiveAddr, DemoAddr string
	// RequestTimeout bounds each request (and the dial); default 15 s.
	RequestTimeout time.Duration
	// HeartbeatInterval is how often a heartbeat is sent; default 10 s as
	// Spotware asks.
	HeartbeatInterval time.Duration
	// StallTimeout is how long the connection may be silent (no frame, not
	// even the server's heartbeat) before the watchdog drops it and
	// reconnects; default 45 s.
	StallTimeout time.Duration
	// ReconnectMin and ReconnectMax bound the exponential backoff between
	// reconnect attempts; defaults 0.5 s and 30 s.
	ReconnectMin, ReconnectMax time.Duration
	// MaxReconnectAttempts ends the session after that many failed attempts
	// in a row; 0 means keep trying.
	MaxReconnectAttempts int
	// RequestsPerSecond and HistoricalPerSecond throttle requests per
	// connection; defaults 50 and 5, the documented limits. Negative
	// disables the throttle.
	RequestsPerSecond, HistoricalPerSecond int
	// HistoricalPayloadTypes are the requests counted against the
	// historical limit; nil means ProtoOAGetTrendbarsReq and
	// ProtoOAGetTickDataReq.
	HistoricalPayloadTypes []uint32
	// MaxFrameSize caps incoming frames; 0 means 8 MiB.
	MaxFrameSize int
	// EventBuffer sizes the Events channel (default 64). When its reader
	// falls behind, the oldest event is dropped, never the newest.
	EventBuffer int
	// Streams are the options of the session's streams (StreamQuotes,
	// StreamOrders); fields left zero take the kind's defaults: a buffer
	// of 1024, quotes DropOldest, order events Block, no stream-level
	// stall watchdog (the session's, StallTimeout, covers the shared
	// connection), no resync on heartbeats alone. It is not part of the
	// JSON form (its OnReconnect is a function).
	Streams stream.Options `json:"-"`
}

func (c SessionConfig) withDefaults() (SessionConfig, error) {
	if c.ClientID == "" || c.ClientSecret == "" {
		return c, rest.Invalid(Name, "SessionConfig needs ClientID and ClientSecret")
	}
	if err := c.hosts(); err != nil {
		return c, err
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&c.RequestTimeout, DefaultRequestTimeout)
	def(&c.HeartbeatInterval, DefaultHeartbeatInterval)
	def(&c.StallTimeout, DefaultStallTimeout)
	def(&c.ReconnectMin, DefaultReconnectMin)
	def(&c.ReconnectMax, DefaultReconnectMax)
	if c.ReconnectMax < c.ReconnectMin {
		c.ReconnectMax = c.ReconnectMin
	}
	if c.RequestsPerSecond == 0 {
		c.RequestsPerSecond = DefaultRequestsPerSecond
	}
	if c.HistoricalPerSecond == 0 {
		c.HistoricalPerSecond = DefaultHistoricalPerSecond
	}
	if c.HistoricalPayloadTypes == nil {
		c.HistoricalPayloadTypes = []uint32{uint32(openapi.ProtoOAPayloadType_PROTO_OA_GET_TRENDBARS_REQ),
			uint32(openapi.ProtoOAPayloadType_PROTO_OA_GET_TICKDATA_REQ)}
	}
	if c.EventBuffer <= 0 {
		c.EventBuffer = 64
	}
	return c, nil
}

// Session is a connection to the cTrader Open API that stays up: it
// authorizes the application, keeps the accounts it was asked to authorize
// authorized, refreshes the token when the server refuses it, reconnects
// with backoff, and carries the streams (StreamQuotes, StreamOrders),
// which subscribe again after each reconnect. Every state change is
// reported on Events. Calls made while it reconnects wait for the new
// connection, as long as their context allows. A Session is safe for
// concurrent use.
type Session struct {
	// cfg is behind a pointer so that fmt, which expands a *Session field
	// one level under a verb it does not fit (%s), prints its address, not
	// the configuration (whose secret would print redacted anyway).
	cfg        *SessionConfig
	historical map[uint32]bool
	msgSeq     atomic.Uint64

	ctx    context.Context // cancelled by Close
	cancel context.CancelFunc

	// home is the link to Addr; demo and live those to DemoAddr and
	// LiveAddr (one of them is home; all three are one link when the
	// session has a single host).
	home, demo, live *link

	mu       sync.Mutex
	accounts map[int64]struct{} // the accounts to keep authorized
	isLive   map[int64]bool     // each account's kind, from the account list
	authTok  map[int64]string   // the access token each account was last authorized with
	closed   bool

	// subsMu guards the streams' routes: quote streams by account and
	// symbol, order streams by account.
	subsMu     sync.RWMutex
	subs       map[subKey]*quoteSink
	orderSinks map[int64][]*orderSink

	reauthMu sync.Mutex

	trading tradeState // trading.go

	secMu sync.Mutex
	sent  []string // credentials sent, kept out of server text (errors.go)

	// announced is the last access token EventTokenRefreshed was sent for:
	// callers refused at once share one refresh, and it is told once.
	announced atomic.Pointer[string]

	evMu     sync.Mutex
	events   chan Event
	evClosed bool

	wg sync.WaitGroup
}

// Dial connects to the server and authorizes the application. It returns
// once the session is usable; from then on the session reconnects by
// itself until Close. A refused application (CH_CLIENT_AUTH_FAILURE) is an
// *Error matching auth.ErrInvalidClient.
func Dial(ctx context.Context, cfg SessionConfig) (*Session, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	s := &Session{cfg: &cfg, historical: map[uint32]bool{}, accounts: map[int64]struct{}{}, isLive: map[int64]bool{},
		subs: map[subKey]*quoteSink{}, orderSinks: map[int64][]*orderSink{}, events: make(chan Event, cfg.EventBuffer)}
	for _, pt := range cfg.HistoricalPayloadTypes {
		s.historical[pt] = true
	}
	s.demo = newLink(cfg.DemoAddr)
	s.live = s.demo
	if cfg.LiveAddr != cfg.DemoAddr {
		s.live = newLink(cfg.LiveAddr)
	}
	s.home = s.demo
	if cfg.Addr == cfg.LiveAddr {
		s.home = s.live
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	if err := s.start(ctx, s.home); err != nil {
		s.cancel()
		return nil, err
	}
	return s, nil
}

// String names the session's server and application.
func (s *Session) String() string {
	return fmt.Sprintf("spotware.Session{addr=%s client=%s}", s.cfg.Addr, s.cfg.ClientID)
}

// GoString is String.
func (s *Session) GoString() string { return s.String() }

// Format makes every fmt verb print String. This is not for the secret
// (an auth.Secret prints redacted): it keeps fmt from walking the live
// state of a running session, whose maps another goroutine writes.
func (s *Session) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(s.String())) }

// connect dials l and authorizes the application.
func (s *Session) connect(ctx context.Context, l *link) (*conn, error) {
	c, err := s.dialConn(ctx, l)
	if err != nil {
		return nil, err
	}
	req := &openapi.ProtoOAApplicationAuthReq{ClientId: proto.String(s.cfg.ClientID), ClientSecret: proto.String(s.cfg.ClientSecret.Reveal())}
	if err := c.roundTrip(ctx, req, &openapi.ProtoOAApplicationAuthRes{}); err != nil {
		c.close(err)
		return nil, err
	}
	s.emit(Event{Kind: EventConnected, Host: l.addr})
	return c, nil
}

// link is the session's connection to one host. Its fields other than
// addr and dialMu are guarded by Session.mu.
type link struct {
	addr    string
	dialMu  sync.Mutex    // one first connect at a time
	started bool          // connected once; supervised since
	conn    *conn         // the usable connection; nil while down
	up      chan struct{} // closed when conn is usable
}

func newLink(addr string) *link { return &link{addr: addr, up: make(chan struct{})} }

// start connects l for the first time and supervises it from then on.
// A failed first connect leaves l as it was, for the next call to try.
func (s *Session) start(ctx context.Context, l *link) error {
	l.dialMu.Lock()
	defer l.dialMu.Unlock()
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrClosed
	}
	if l.started {
		s.mu.Unlock()
		return nil
	}
	// Added under mu, before Close can wait: held while connecting, then
	// handed to the supervisor.
	s.wg.Add(1)
	s.mu.Unlock()
	ctx, cancel := context.WithCancel(ctx)
	defer context.AfterFunc(s.ctx, cancel)()
	defer cancel()
	c, err := s.connect(ctx, l)
	if err != nil {
		s.wg.Done()
		if s.ctx.Err() != nil {
			return ErrClosed
		}
		return err
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		c.close(ErrClosed)
		s.wg.Done()
		return ErrClosed
	}
	l.started = true
	s.mu.Unlock()
	s.install(c)
	go s.supervise(l, c)
	return nil
}

// install makes c the usable connection of its link, unless it has
// already ended or the session is closed.
func (s *Session) install(c *conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || c.isDone() {
		return false
	}
	l := c.l
	l.conn = c
	select {
	case <-l.up:
	default:
		close(l.up)
	}
	return true
}

// connDone is called when c ends: the session stops handing it out.
func (s *Session) connDone(c *conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if l := c.l; l.conn == c {
		l.conn = nil
		l.up = make(chan struct{})
	}
}

// supervise waits for l's connection to end and reconnects.
func (s *Session) supervise(l *link, c *conn) {
	defer s.wg.Done()
	for {
		select {
		case <-c.done:
		case <-s.ctx.Done():
			c.close(ErrClosed)
			return
		}
		if s.ctx.Err() != nil {
			return
		}
		s.emit(Event{Kind: EventDisconnected, Host: l.addr, Err: c.err})
		nc, err := s.reconnect(l)
		if err != nil {
			s.shutdown(err)
			return
		}
		c = nc
	}
}

// backoff is the wait before attempt n (from 1): exponential, capped,
// with ±20% jitter.
func (s *Session) backoff(n int) time.Duration {
	d := s.cfg.ReconnectMin
	for i := 1; i < n && d < s.cfg.ReconnectMax; i++ {
		d *= 2
	}
	d = min(d, s.cfg.ReconnectMax)
	return time.Duration(float64(d) * (0.8 + 0.4*rand.Float64()))
}

func (s *Session) reconnect(l *link) (*conn, error) {
	for attempt := 1; ; attempt++ {
		if s.cfg.MaxReconnectAttempts > 0 && attempt > s.cfg.MaxReconnectAttempts {
			return nil, retryable(ErrConnectionLost, "gave up after %d reconnect attempts", s.cfg.MaxReconnectAttempts)
		}
		delay := s.backoff(attempt)
		s.emit(Event{Kind: EventReconnecting, Host: l.addr, Attempt: attempt, Delay: delay})
		t := time.NewTimer(delay)
		select {
		case <-s.ctx.Done():
			t.Stop()
			return nil, ErrClosed
		case <-t.C:
		}
		c, err := s.connect(s.ctx, l)
		if err == nil {
			err = s.restore(c)
			if err == nil {
				if s.install(c) {
					s.emit(Event{Kind: EventRestored, Host: l.addr, Attempt: attempt})
					return c, nil
				}
				// Either c ended during the restore or the session was
				// closed meanwhile.
				err = ErrClosed
				if c.isDone() {
					err = c.lostErr()
				}
			}
			c.close(err)
		}
		if s.ctx.Err() != nil || errors.Is(err, ErrClosed) {
			return nil, ErrClosed
		}
		s.emit(Event{Kind: EventReconnectFailed, Host: l.addr, Attempt: attempt, Err: err})
		if errors.Is(err, auth.ErrInvalidClient) {
			return nil, err
		}
	}
}

// restore authorizes the session's accounts of c's host on a new
// connection (the streams subscribe again by themselves). A connection
// failure fails the attempt; an account that cannot be authorized is
// reported and skipped.
func (s *Session) restore(c *conn) error {
	return s.reauthorize(s.ctx, c, s.accountIDs(c.l), false)
}

// reauthorize authorizes ids on c and tells their streams to subscribe
// again. With report, accounts whose authorization fails are reported on
// Events only; without, a connection failure is returned.
func (s *Session) reauthorize(ctx context.Context, c *conn, ids []int64, report bool) error {
	s.reauthMu.Lock()
	defer s.reauthMu.Unlock()
	for _, id := range ids {
		if !s.wanted(id) {
			continue
		}
		err := s.authorizeOn(ctx, c, id)
		// Either way the account's streams start over: subscribed again
		// once it is authorized, or ended by the same refusal (a user who
		// must log in again) rather than left silent.
		s.resetStreams(id)
		if err != nil {
			if c.isDone() && !report {
				return err
			}
			s.emit(Event{Kind: EventReauthFailed, AccountID: id, Err: err})
			continue
		}
		s.emit(Event{Kind: EventAccountAuthorized, AccountID: id})
	}
	return nil
}

func (s *Session) wanted(id int64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.accounts[id]
	return ok
}

// authorizeOn sends ProtoOAAccountAuthReq for id, refreshing the token once
// if the server refuses it. ALREADY_LOGGED_IN counts as success.
func (s *Session) authorizeOn(ctx context.Context, c *conn, id int64) error {
	tok, err := s.token(ctx)
	if err != nil {
		return err
	}
	for attempt := 0; ; attempt++ {
		req := &openapi.ProtoOAAccountAuthReq{CtidTraderAccountId: proto.Int64(id), AccessToken: proto.String(tok.AccessToken)}
		err = c.roundTrip(ctx, req, &openapi.ProtoOAAccountAuthRes{})
		if err == nil {
			s.setAuthorizedWith(id, tok.AccessToken)
		}
		switch code := errorCode(err); {
		case code == codeAlreadyLoggedIn:
			return nil
		case isTokenCode(code) && attempt == 0:
			nt, rerr := s.refresh(ctx, tok)
			if rerr != nil {
				return fmt.Errorf("%w; refreshing the token: %w", err, rerr)
			}
			tok = nt
			continue
		}
		return err
	}
}

// push handles a frame that answers no request.
func (s *Session) push(c *conn, env wire.Envelope) {
	switch env.PayloadType {
	case ptHeartbeat:
		s.onHeartbeat(c)
	case ptSpot:
		s.onSpot(c, env.Payload)
	case ptExecution, ptOrderError:
		s.onExecution(c, env)
	case ptTokenInvalidated:
		var m openapi.ProtoOAAccountsTokenInvalidatedEvent
		if lenient.Unmarshal(env.Payload, &m) != nil {
			return
		}
		ids := slices.Clone(m.GetCtidTraderAccountIds())
		s.emit(Event{Kind: EventTokenInvalidated, Accounts: ids, Reason: redact.Text(m.GetReason(), s.secrets()...)})
		s.reauthAsync(c, ids)
	case ptAccountDisconnect:
		var m openapi.ProtoOAAccountDisconnectEvent
		if lenient.Unmarshal(env.Payload, &m) != nil {
			return
		}
		id := m.GetCtidTraderAccountId()
		s.emit(Event{Kind: EventAccountDisconnected, AccountID: id})
		s.reauthAsync(c, []int64{id})
	case ptClientDisconnect:
		var m openapi.ProtoOAClientDisconnectEvent
		_ = lenient.Unmarshal(env.Payload, &m)
		reason := redact.Text(m.GetReason(), s.secrets()...)
		s.emit(Event{Kind: EventServerDisconnect, Host: c.l.addr, Reason: reason})
		c.close(retryable(ErrConnectionLost, "server disconnected the client: %s", reason))
	case ptOAError, ptCommonError:
		if err := decodeReply(reply{pt: env.PayloadType, payload: env.Payload}, 0, nil, s.secrets); err != nil {
			s.emit(Event{Kind: EventServerError, Err: err})
		}
	}
}

func (s *Session) reauthAsync(c *conn, ids []int64) {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		ctx, cancel := context.WithTimeout(s.ctx, 4*s.cfg.RequestTimeout)
		defer cancel()
		_ = s.reauthorize(ctx, c, ids, true)
	}()
}

func (s *Session) token(ctx context.Context) (*auth.Token, error) {
	if s.cfg.Tokens == nil {
		return nil, ErrNoTokenSource
	}
	t, err := s.cfg.Tokens.TokenContext(ctx)
	if err != nil {
		return nil, fmt.Errorf("spotware: getting the access token: %w", err)
	}
	if t != nil {
		s.remember(t.AccessToken, t.RefreshToken)
	}
	return t, nil
}

func (s *Session) refresh(ctx context.Context, stale *auth.Token) (*auth.Token, error) {
	if s.cfg.Tokens == nil {
		return nil, ErrNoTokenSource
	}
	r, ok := s.cfg.Tokens.(forceRefresher)
	if !ok {
		return nil, fmt.Errorf("spotware: the server refused the token and its source cannot refresh on demand: %w", auth.ErrReauthRequired)
	}
	t, err := r.ForceRefresh(ctx, stale)
	if err != nil {
		return nil, fmt.Errorf("spotware: refreshing the access token: %w", err)
	}
	if t != nil {
		s.remember(t.AccessToken, t.RefreshToken)
	}
	if t != nil && (stale == nil || t.AccessToken != stale.AccessToken) {
		prev := s.announced.Load()
		if (prev == nil || *prev != t.AccessToken) && s.announced.CompareAndSwap(prev, &t.AccessToken) {
			s.emit(Event{Kind: EventTokenRefreshed})
		}
	}
	return t, nil
}

// forceRefresher is the part of *auth.Source the session uses after the
// server refuses a token; another TokenSource may have it too.
type forceRefresher interface {
	ForceRefresh(ctx context.Context, stale *auth.Token) (*auth.Token, error)
}

func (s *Session) nextMsgID() string {
	return "bk" + strconv.FormatUint(s.msgSeq.Add(1), 36)
}

// ready returns the usable connection of account's host (the first host
// for 0), connecting to it on first use and waiting while it reconnects.
func (s *Session) ready(ctx context.Context, account int64) (*conn, error) {
	l, err := s.linkFor(ctx, account)
	if err != nil {
		return nil, err
	}
	for {
		s.mu.Lock()
		closed, started, c, up := s.closed, l.started, l.conn, l.up
		s.mu.Unlock()
		if closed {
			return nil, ErrClosed
		}
		if !started {
			if err := s.start(ctx, l); err != nil {
				return nil, err
			}
			continue
		}
		if c != nil {
			if !c.isDone() {
				return c, nil
			}
			// c ended and its close has not told the session yet; do it
			// here (connDone is idempotent) rather than poll.
			s.connDone(c)
			continue
		}
		select {
		case <-up:
		case <-ctx.Done():
			return nil, fmt.Errorf("spotware: waiting for the connection: %w", ctx.Err())
		case <-s.ctx.Done():
			return nil, ErrClosed
		}
	}
}

// linkFor returns the link of account's host: the first host for 0 or
// when the session has one host, else the host its IsLive names, asking
// the account list when the session does not know it yet. An account the
// list does not name goes to the first host, which answers for it.
func (s *Session) linkFor(ctx context.Context, account int64) (*link, error) {
	if account == 0 || s.live == s.demo {
		return s.home, nil
	}
	if l, ok := s.knownLink(account); ok {
		return l, nil
	}
	if _, err := s.Accounts(ctx); err != nil {
		return nil, fmt.Errorf("spotware: finding the host of account %d: %w", account, err)
	}
	if l, ok := s.knownLink(account); ok {
		return l, nil
	}
	return s.home, nil
}

// knownLink returns account's link if the session knows its kind.
func (s *Session) knownLink(account int64) (*link, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.knownLinkLocked(account)
}

func (s *Session) knownLinkLocked(account int64) (*link, bool) {
	live, ok := s.isLive[account]
	switch {
	case s.live == s.demo:
		return s.home, true
	case !ok:
		return nil, false
	case live:
		return s.live, true
	default:
		return s.demo, true
	}
}

// call sends a request on the usable connection. build makes the request
// from the access token (ignored by requests that carry none). When the
// server refuses the token it is refreshed, the accounts are authorized
// again and the request is retried once; the same happens for an account
// the server forgot, and for a connection lost before the answer. account
// (0 for none) picks the host.
func (s *Session) call(ctx context.Context, account int64, needsToken bool, build func(access string) proto.Message, res proto.Message) error {
	var tok *auth.Token
	for attempt := 0; ; attempt++ {
		c, err := s.ready(ctx, account)
		if err != nil {
			return err
		}
		// The token a refusal would be about: the one sent, or for a call
		// that sends none, the one its account was authorized with when the
		// call went out (another caller may replace it meanwhile).
		var sentWith string
		if !needsToken && account != 0 {
			sentWith = s.authorizedWith(account)
		}
		access := ""
		if needsToken {
			if tok == nil {
				if tok, err = s.token(ctx); err != nil {
					return err
				}
			}
			access = tok.AccessToken
		}
		err = c.roundTrip(ctx, build(access), res)
		if err == nil || attempt > 0 {
			return err
		}
		code := errorCode(err)
		switch {
		case isTokenCode(code) && s.cfg.Tokens != nil:
			if tok == nil && sentWith != "" {
				tok = &auth.Token{AccessToken: sentWith}
			}
			if tok == nil {
				if tok, err = s.token(ctx); err != nil {
					return err
				}
			}
			nt, rerr := s.refresh(ctx, tok)
			if rerr != nil {
				return fmt.Errorf("%w; refreshing the token: %w", err, rerr)
			}
			tok = nt
			if account != 0 {
				_ = s.reauthorize(ctx, c, s.accountIDs(c.l), true)
			}
		case code == codeNotAuthorized && account != 0 && s.wanted(account):
			_ = s.reauthorize(ctx, c, []int64{account}, true)
		case errors.Is(err, ErrConnectionLost):
		default:
			return err
		}
	}
}

// setAuthorizedWith records the access token account id was authorized
// with.
func (s *Session) setAuthorizedWith(id int64, access string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.authTok == nil {
		s.authTok = map[int64]string{}
	}
	s.authTok[id] = access
}

// authorizedWith returns the access token account id was last authorized
// with, or "".
func (s *Session) authorizedWith(id int64) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.authTok[id]
}

// accountIDs returns the accounts the session keeps authorized on l's
// host, sorted.
func (s *Session) accountIDs(l *link) []int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	ids := make([]int64, 0, len(s.accounts))
	for id := range s.accounts {
		if al, ok := s.knownLinkLocked(id); (ok && al == l) || (!ok && l == s.home) {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids
}

// emit reports e on Events, dropping the oldest event when nobody reads.
func (s *Session) emit(e Event) {
	e.Time = time.Now()
	s.evMu.Lock()
	defer s.evMu.Unlock()
	if s.evClosed {
		return
	}
	for {
		select {
		case s.events <- e:
			return
		default:
		}
		select {
		case <-s.events:
		default:
		}
	}
}

// Events reports the session's state changes: connects, disconnects,
// reconnect attempts, token refreshes, accounts authorized again, stalls.
// It is closed after Close. When it is not read, old events are dropped.
func (s *Session) Events() <-chan Event { return s.events }

// Close ends the session: the connection, its goroutines and the Events
// channel. Its streams end with ErrClosed.
func (s *Session) Close() error {
	s.shutdown(nil)
	s.wg.Wait()
	return nil
}

func (s *Session) shutdown(cause error) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	var conns []*conn
	for _, l := range []*link{s.demo, s.live} {
		if l.conn != nil && !slices.Contains(conns, l.conn) {
			conns = append(conns, l.conn)
		}
	}
	s.mu.Unlock()
	s.cancel()
	for _, c := range conns {
		c.close(ErrClosed)
	}
	s.emit(Event{Kind: EventClosed, Err: cause})
	s.evMu.Lock()
	s.evClosed = true
	close(s.events)
	s.evMu.Unlock()
}

// Do sends any request message and decodes the answer into res, for calls
// brokerkit does not wrap. Server errors come back as *Error. The request's
// payload type is the default of its payloadType field. A request with a
// ctidTraderAccountId goes to that account's host, others to Addr.
func (s *Session) Do(ctx context.Context, req, res proto.Message) error {
	var account int64
	m := req.ProtoReflect()
	if f := m.Descriptor().Fields().ByName("ctidTraderAccountId"); f != nil && f.Kind() == protoreflect.Int64Kind &&
		f.Cardinality() != protoreflect.Repeated && m.Has(f) {
		account = m.Get(f).Int()
	}
	c, err := s.ready(ctx, account)
	if err != nil {
		return err
	}
	return c.roundTrip(ctx, req, res)
}

// hosts fills in Addr, LiveAddr and DemoAddr and checks them.
func (c *SessionConfig) hosts() error {
	c.Addr = cmp.Or(c.Addr, c.DemoAddr, c.LiveAddr)
	if c.Addr == "" {
		return rest.Invalid(Name, "SessionConfig has no Addr (Provider.SessionConfig sets the host of its Environment, unless its BaseURL is not cTrader's: then set the Protobuf host that goes with it)")
	}
	for _, a := range []string{c.Addr, c.LiveAddr, c.DemoAddr} {
		if _, _, err := net.SplitHostPort(a); a != "" && err != nil {
			return rest.Invalid(Name, "address %q is not host:port", a)
		}
	}
	live, demo := pairedHosts(c.Addr)
	c.LiveAddr = cmp.Or(c.LiveAddr, live, c.Addr)
	c.DemoAddr = cmp.Or(c.DemoAddr, demo, c.Addr)
	if c.Addr != c.LiveAddr && c.Addr != c.DemoAddr {
		return rest.Invalid(Name, "Addr %q is neither LiveAddr %q nor DemoAddr %q", c.Addr, c.LiveAddr, c.DemoAddr)
	}
	return nil
}
