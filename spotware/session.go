package spotware

import (
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
	"github.com/brokerkit/brokerkit/spotware/internal/wire"
	"github.com/brokerkit/brokerkit/spotware/openapi"
	"google.golang.org/protobuf/proto"
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

// SessionConfig configures Dial. Only Addr (or the default), ClientID,
// ClientSecret and, for anything past application auth, Tokens are needed;
// the rest has the documented defaults.
type SessionConfig struct {
	// Addr is the Protobuf API's host:port; empty means the demo host. See
	// Addr (the function) for live, demo and regional hosts.
	Addr string
	// ClientID and ClientSecret authorize the application. Wrong ones get
	// CH_CLIENT_AUTH_FAILURE and the server closes the connection.
	ClientID, ClientSecret string
	// Tokens supplies the user's access token and refreshes it when the
	// server refuses it. Usually an *auth.TokenSource over a Store.
	Tokens TokenSource
	// TLSConfig is used for the connection; nil means the system roots.
	// ServerName defaults to Addr's host.
	TLSConfig *tls.Config
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
	// SpotStallTimeout, when positive, is how long a subscription may go
	// without a quote before the session reports EventStalled for its
	// account and subscribes again (quotes have been seen to stop while
	// the connection stays up). Markets that are closed send nothing, so
	// it is off by default.
	SpotStallTimeout time.Duration
	// MaxReconnectAttempts ends the session after that many failed attempts
	// in a row; 0 means keep trying.
	MaxReconnectAttempts int
	// RequestsPerSecond and HistoricalPerSecond throttle requests per
	// connection; defaults 50 and 5, the documented limits. Negative
	// disables the throttle.
	RequestsPerSecond, HistoricalPerSecond int
	// HistoricalPayloadTypes are the requests counted against the
	// historical limit; nil means ProtoOAGetTrendbarsReq.
	HistoricalPayloadTypes []uint32
	// MaxFrameSize caps incoming frames; 0 means 8 MiB.
	MaxFrameSize int
	// EventBuffer and QuoteBuffer size the Events channel and each
	// subscription's channel (defaults 64 and 1024). When a reader falls
	// behind, the oldest entry is dropped, never the newest.
	EventBuffer, QuoteBuffer int
}

func (c SessionConfig) withDefaults() (SessionConfig, error) {
	if c.ClientID == "" || c.ClientSecret == "" {
		return c, errors.New("spotware: SessionConfig needs ClientID and ClientSecret")
	}
	if c.Addr == "" {
		c.Addr = net.JoinHostPort(DemoHost, strconv.Itoa(ProtobufPort))
	}
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		return c, fmt.Errorf("spotware: address %q is not host:port", c.Addr)
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
		c.HistoricalPayloadTypes = []uint32{uint32(openapi.ProtoOAPayloadType_PROTO_OA_GET_TRENDBARS_REQ)}
	}
	if c.EventBuffer <= 0 {
		c.EventBuffer = 64
	}
	if c.QuoteBuffer <= 0 {
		c.QuoteBuffer = 1024
	}
	return c, nil
}

// Session is a connection to the cTrader Open API that stays up: it
// authorizes the application, keeps the accounts it was asked to authorize
// authorized, restores spot subscriptions, refreshes the token when the
// server refuses it, and reconnects with backoff. Every state change is
// reported on Events. Calls made while it reconnects wait for the new
// connection, as long as their context allows. A Session is safe for
// concurrent use.
type Session struct {
	// cfg is behind a pointer so that fmt, which expands a *Session field
	// one level under a verb it does not fit (%s), prints its address, not
	// the client secret.
	cfg        *SessionConfig
	historical map[uint32]bool
	msgSeq     atomic.Uint64

	ctx    context.Context // cancelled by Close
	cancel context.CancelFunc

	mu       sync.Mutex
	conn     *conn              // the usable connection; nil while down
	up       chan struct{}      // closed when conn is usable
	accounts map[int64]struct{} // the accounts to keep authorized
	closed   bool

	subsMu sync.RWMutex
	subs   map[subKey]*Subscription

	reauthMu sync.Mutex

	secMu sync.Mutex
	sent  []string // credentials sent, kept out of server text (errors.go)

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
	s := &Session{cfg: &cfg, historical: map[uint32]bool{}, accounts: map[int64]struct{}{},
		subs: map[subKey]*Subscription{}, events: make(chan Event, cfg.EventBuffer)}
	for _, pt := range cfg.HistoricalPayloadTypes {
		s.historical[pt] = true
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	c, err := s.connect(ctx)
	if err != nil {
		s.cancel()
		return nil, err
	}
	s.up = make(chan struct{})
	s.install(c)
	s.wg.Add(1)
	go s.supervise(c)
	if cfg.SpotStallTimeout > 0 {
		s.wg.Add(1)
		go s.watchSpots()
	}
	return s, nil
}

// Format prints the configuration with the client secret redacted, for
// every verb.
func (c SessionConfig) Format(f fmt.State, verb rune) {
	type plain SessionConfig
	p := plain(c)
	if p.ClientSecret != "" {
		p.ClientSecret = "[redacted]"
	}
	fmt.Fprintf(f, fmt.FormatString(f, verb), p)
}

// String names the session's server and application, never the client
// secret.
func (s *Session) String() string {
	return fmt.Sprintf("spotware.Session{addr=%s client=%s}", s.cfg.Addr, s.cfg.ClientID)
}

// GoString is String: %#v must not print the secret either.
func (s *Session) GoString() string { return s.String() }

// Format makes every fmt verb print String.
func (s *Session) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(s.String())) }

// connect dials and authorizes the application.
func (s *Session) connect(ctx context.Context) (*conn, error) {
	c, err := s.dialConn(ctx)
	if err != nil {
		return nil, err
	}
	req := &openapi.ProtoOAApplicationAuthReq{ClientId: proto.String(s.cfg.ClientID), ClientSecret: proto.String(s.cfg.ClientSecret)}
	if err := c.roundTrip(ctx, req, &openapi.ProtoOAApplicationAuthRes{}); err != nil {
		c.close(err)
		return nil, err
	}
	s.emit(Event{Kind: EventConnected})
	return c, nil
}

// install makes c the usable connection, unless it has already ended or
// the session is closed.
func (s *Session) install(c *conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || c.isDone() {
		return false
	}
	s.conn = c
	select {
	case <-s.up:
	default:
		close(s.up)
	}
	return true
}

// connDone is called when c ends: the session stops handing it out.
func (s *Session) connDone(c *conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conn == c {
		s.conn = nil
		s.up = make(chan struct{})
	}
}

// supervise waits for the connection to end and reconnects.
func (s *Session) supervise(c *conn) {
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
		s.emit(Event{Kind: EventDisconnected, Err: c.err})
		nc, err := s.reconnect()
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

func (s *Session) reconnect() (*conn, error) {
	for attempt := 1; ; attempt++ {
		if s.cfg.MaxReconnectAttempts > 0 && attempt > s.cfg.MaxReconnectAttempts {
			return nil, retryable(ErrConnectionLost, "gave up after %d reconnect attempts", s.cfg.MaxReconnectAttempts)
		}
		delay := s.backoff(attempt)
		s.emit(Event{Kind: EventReconnecting, Attempt: attempt, Delay: delay})
		t := time.NewTimer(delay)
		select {
		case <-s.ctx.Done():
			t.Stop()
			return nil, ErrClosed
		case <-t.C:
		}
		c, err := s.connect(s.ctx)
		if err == nil {
			err = s.restore(c)
			if err == nil {
				if s.install(c) {
					s.emit(Event{Kind: EventRestored, Attempt: attempt})
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
		s.emit(Event{Kind: EventReconnectFailed, Attempt: attempt, Err: err})
		if errors.Is(err, auth.ErrInvalidClient) {
			return nil, err
		}
	}
}

// restore authorizes the session's accounts on a new connection and
// subscribes their spots again. A connection failure fails the attempt;
// an account that cannot be authorized is reported and skipped.
func (s *Session) restore(c *conn) error {
	return s.reauthorize(s.ctx, c, s.accountIDs(), false)
}

// reauthorize authorizes ids on c and restores their subscriptions. With
// report, accounts whose authorization fails are reported on Events only;
// without, a connection failure is returned.
func (s *Session) reauthorize(ctx context.Context, c *conn, ids []int64, report bool) error {
	s.reauthMu.Lock()
	defer s.reauthMu.Unlock()
	for _, id := range ids {
		if !s.wanted(id) {
			continue
		}
		err := s.authorizeOn(ctx, c, id)
		if err == nil {
			err = s.resubscribe(ctx, c, id)
		}
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
	case ptSpot:
		s.onSpot(c, env.Payload)
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
		s.emit(Event{Kind: EventServerDisconnect, Reason: reason})
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
	t, err := s.cfg.Tokens.ForceRefresh(ctx, stale)
	if err != nil {
		return nil, fmt.Errorf("spotware: refreshing the access token: %w", err)
	}
	if t != nil {
		s.remember(t.AccessToken, t.RefreshToken)
	}
	if stale == nil || t.AccessToken != stale.AccessToken {
		s.emit(Event{Kind: EventTokenRefreshed})
	}
	return t, nil
}

func (s *Session) nextMsgID() string {
	return "bk" + strconv.FormatUint(s.msgSeq.Add(1), 36)
}

// ready returns the usable connection, waiting while the session
// reconnects.
func (s *Session) ready(ctx context.Context) (*conn, error) {
	for {
		s.mu.Lock()
		closed, c, up := s.closed, s.conn, s.up
		s.mu.Unlock()
		if closed {
			return nil, ErrClosed
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

// call sends a request on the usable connection. build makes the request
// from the access token (ignored by requests that carry none). When the
// server refuses the token it is refreshed, the accounts are authorized
// again and the request is retried once; the same happens for an account
// the server forgot, and for a connection lost before the answer.
func (s *Session) call(ctx context.Context, account int64, needsToken bool, build func(access string) proto.Message, res proto.Message) error {
	var tok *auth.Token
	for attempt := 0; ; attempt++ {
		c, err := s.ready(ctx)
		if err != nil {
			return err
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
				_ = s.reauthorize(ctx, c, s.accountIDs(), true)
			}
		case code == codeNotAuthorized && account != 0 && s.wanted(account):
			_ = s.reauthorize(ctx, c, []int64{account}, true)
		case errors.Is(err, ErrConnectionLost):
		default:
			return err
		}
	}
}

// accountIDs returns the accounts the session keeps authorized, sorted.
func (s *Session) accountIDs() []int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	ids := make([]int64, 0, len(s.accounts))
	for id := range s.accounts {
		ids = append(ids, id)
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

// Close ends the session: the connection, its goroutines, every
// subscription channel and the Events channel.
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
	c := s.conn
	s.mu.Unlock()
	s.cancel()
	if c != nil {
		c.close(ErrClosed)
	}
	s.subsMu.Lock()
	for k, sub := range s.subs {
		delete(s.subs, k)
		sub.end()
	}
	s.subsMu.Unlock()
	s.emit(Event{Kind: EventClosed, Err: cause})
	s.evMu.Lock()
	s.evClosed = true
	close(s.events)
	s.evMu.Unlock()
}

// Do sends any request message and decodes the answer into res, for calls
// brokerkit does not wrap. Server errors come back as *Error. The request's
// payload type is the default of its payloadType field.
func (s *Session) Do(ctx context.Context, req, res proto.Message) error {
	c, err := s.ready(ctx)
	if err != nil {
		return err
	}
	return c.roundTrip(ctx, req, res)
}
