package stream

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/internal/rest"
)

// Policy says what a stream does when its reader falls behind and the
// buffer is full.
type Policy int

const (
	// DropOldest drops the oldest queued event to make room for the
	// newest, and counts it in Stats.Dropped: a slow reader of quotes sees
	// the latest prices, never stale ones. The default for quotes and bars.
	DropOldest Policy = iota + 1
	// Block makes the stream wait for the reader: nothing is dropped, and
	// the broker's connection is read no faster than the reader reads
	// (stall detection pauses meanwhile). The default for orders,
	// positions, balances, trades and account events.
	Block
)

// String names the policy.
func (p Policy) String() string {
	switch p {
	case DropOldest:
		return "DropOldest"
	case Block:
		return "Block"
	}
	return fmt.Sprintf("Policy(%d)", int(p))
}

// Options tunes a stream. Its zero value takes every default: a broker
// package states the defaults of each stream kind once, and a caller's
// options override them field by field (see With).
type Options struct {
	// Buffer is the capacity of C; 0 means 1024.
	Buffer int
	// Policy is what happens when C is full; 0 means the kind's default.
	Policy Policy
	// MinBackoff is the first wait before a reconnect; each failed attempt
	// doubles it up to MaxBackoff. Every wait is jittered: uniform in
	// [d/2, d]. 0 means 100 ms and 30 s.
	MinBackoff, MaxBackoff time.Duration
	// MaxRetries is how many connection attempts in a row may fail before
	// the stream ends with the last error; 0 means no limit.
	MaxRetries int
	// Stall is how long the connection may go without any frame (event
	// or heartbeat) before it is given up and made again (ErrStalled).
	// 0 means the broker's default; a negative value turns it off.
	Stall time.Duration
	// Resync is how long a connection may carry heartbeats but no event
	// before it is made again to take a fresh snapshot (ErrResync): some
	// brokers' order streams hang while their heartbeats go on. 0 means
	// the broker's default; a negative value turns it off.
	Resync time.Duration
	// OnReconnect, when set, is called before each reconnect with the
	// reason: the connection's error, ErrStalled or ErrResync. It runs on
	// the stream's goroutine and should return quickly.
	OnReconnect func(reason error) `json:"-"`
}

// With returns o with each zero field taken from defaults.
func (o Options) With(defaults Options) Options {
	if o.Buffer == 0 {
		o.Buffer = defaults.Buffer
	}
	if o.Policy == 0 {
		o.Policy = defaults.Policy
	}
	if o.MinBackoff == 0 {
		o.MinBackoff = defaults.MinBackoff
	}
	if o.MaxBackoff == 0 {
		o.MaxBackoff = defaults.MaxBackoff
	}
	if o.MaxRetries == 0 {
		o.MaxRetries = defaults.MaxRetries
	}
	if o.Stall == 0 {
		o.Stall = defaults.Stall
	}
	if o.Resync == 0 {
		o.Resync = defaults.Resync
	}
	if o.OnReconnect == nil {
		o.OnReconnect = defaults.OnReconnect
	}
	return o
}

const (
	defaultBuffer     = 1024
	defaultMinBackoff = 100 * time.Millisecond
	defaultMaxBackoff = 30 * time.Second
	// maxRefusals is how many connections in a row may be refused for
	// their token (after the transport's own refresh) before the stream
	// decides the user must log in again.
	maxRefusals = 3
)

func (o Options) normalized() Options {
	o = o.With(Options{Buffer: defaultBuffer, Policy: DropOldest,
		MinBackoff: defaultMinBackoff, MaxBackoff: defaultMaxBackoff})
	if o.Buffer < 1 {
		o.Buffer = 1
	}
	if o.MaxBackoff < o.MinBackoff {
		o.MaxBackoff = o.MinBackoff
	}
	return o
}

var (
	// ErrStalled is the reason of a reconnect after a connection carried
	// no frame for Options.Stall.
	ErrStalled = errors.New("stream stalled: no frame from the broker")
	// ErrResync is the reason of a reconnect after a connection carried
	// heartbeats but no event for Options.Resync: the new connection's
	// snapshot brings back whatever the old one failed to send.
	ErrResync = errors.New("stream quiet: reconnecting for a fresh snapshot")
	// errNotReady ends Open when the first connection ends before the
	// broker accepted the subscription and said nothing why.
	errNotReady = errors.New("stream ended before the broker accepted it")
)

type permanent struct{ err error }

func (p permanent) Error() string { return p.err.Error() }
func (p permanent) Unwrap() error { return p.err }

// Permanent marks err as terminal: a stream whose connection fails with it
// ends with it instead of reconnecting. Broker packages use it for errors
// that another attempt cannot cure (every symbol invalid, say).
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return permanent{err}
}

// terminal reports whether err ends a stream rather than a connection.
func terminal(err error) bool {
	var p permanent
	if errors.As(err, &p) {
		return true
	}
	for _, e := range []error{auth.ErrReauthRequired, auth.ErrUnsupported, auth.ErrInvalidClient,
		auth.ErrInsufficientScope, rest.ErrInvalidInput, rest.ErrForbidden, rest.ErrNotFound, rest.ErrBadRequest} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// Stats are a stream's counters since it was opened.
type Stats struct {
	// Events were put on C, including those Dropped later.
	Events uint64
	// Dropped events were pushed out of a full buffer (DropOldest).
	Dropped uint64
	// Duplicates were events a broker sent again unchanged (a snapshot
	// after a reconnect) and that were not delivered a second time.
	Duplicates uint64
	// Heartbeats are the keep-alive frames received.
	Heartbeats uint64
	// Reconnects counts the connections made after the first.
	Reconnects uint64
}

// Stream is a live feed of events of type T from a broker: quotes, bars,
// orders, positions or account events. Read C until it is closed, then
// Err says why it ended. A stream outlives broken connections: it
// reconnects with jittered backoff, subscribes again and re-authenticates
// through its token source, and it ends only when Close is called, the
// context given to it is done, or an error no retry can cure occurs (the
// user must log in again, the broker does not offer the stream, ...).
type Stream[T any] struct {
	ch     chan T
	policy Policy
	opts   Options

	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{} // closed after ch, when the stream's goroutine is gone

	errMu sync.Mutex
	err   error // why it ended; set before ch is closed

	// seen holds, per key, a digest of the last event sent with Update.
	// Only the connect goroutine touches it (connections are sequential).
	seen map[string]uint64
	// base, on a stream made by Map, reads the counters of its source.
	base func() Stats

	events, dropped, duplicates, heartbeats, reconnects atomic.Uint64
	closeOnce                                           sync.Once
}

// C delivers the events. It is closed when the stream ends; what is still
// queued in it can be read until then.
func (s *Stream[T]) C() <-chan T { return s.ch }

// Err is why the stream ended, once C is closed: nil after Close or after
// the context given to it was done, else the terminal error (matching
// auth.ErrReauthRequired when the user must log in again). Before the end
// it returns nil.
func (s *Stream[T]) Err() error {
	s.errMu.Lock()
	defer s.errMu.Unlock()
	return s.err
}

func (s *Stream[T]) end(err error) {
	s.errMu.Lock()
	s.err = err
	s.errMu.Unlock()
}

// Close ends the stream and waits until its connection is closed and C is
// closed. It may be called more than once and from any goroutine.
func (s *Stream[T]) Close() error {
	s.closeOnce.Do(s.cancel)
	<-s.done
	return nil
}

// Stats returns the stream's counters.
func (s *Stream[T]) Stats() Stats {
	if s.base != nil {
		st := s.base()
		st.Events = s.events.Load()
		st.Dropped += s.dropped.Load()
		return st
	}
	return Stats{Events: s.events.Load(), Dropped: s.dropped.Load(), Duplicates: s.duplicates.Load(),
		Heartbeats: s.heartbeats.Load(), Reconnects: s.reconnects.Load()}
}

// String names the stream's policy and counters; it never shows events.
func (s *Stream[T]) String() string {
	st := s.Stats()
	return fmt.Sprintf("stream(%s events=%d dropped=%d duplicates=%d reconnects=%d)",
		s.policy, st.Events, st.Dropped, st.Duplicates, st.Reconnects)
}

// Connect runs one connection of a stream: it dials the broker, subscribes,
// calls c.Ready once the broker accepted, then reads frames and hands them
// to c until the connection ends or ctx is done, and returns why. A nil
// error means the broker ended the stream normally; the stream connects
// again either way, unless the error is terminal.
type Connect[T any] func(ctx context.Context, c *Conn[T]) error

// Open starts a stream whose connections connect makes, and returns once
// the first one is ready. If the first connection fails before it is
// ready, Open returns its error and no stream: bad symbols, a dead login
// or a wrong address show at once. ctx bounds the whole stream.
func Open[T any](ctx context.Context, o Options, connect Connect[T]) (*Stream[T], error) {
	o = o.normalized()
	sctx, cancel := context.WithCancel(ctx)
	s := &Stream[T]{ch: make(chan T, o.Buffer), policy: o.Policy, opts: o,
		ctx: sctx, cancel: cancel, done: make(chan struct{})}
	ready := make(chan error, 1)
	go s.run(connect, ready)
	if err := <-ready; err != nil {
		cancel()
		<-s.done
		return nil, err
	}
	return s, nil
}

// run makes connection after connection until the stream ends.
func (s *Stream[T]) run(connect Connect[T], ready chan<- error) {
	defer close(s.done)
	defer close(s.ch)
	defer s.cancel()
	attempt, refusals := 0, 0
	first := true
	for {
		c := &Conn[T]{s: s}
		if first {
			c.ready = ready
		}
		err := s.connectOnce(connect, c)
		if first && !c.isReady {
			if err == nil {
				err = errNotReady
			}
			if cerr := s.ctx.Err(); cerr != nil {
				err = cerr
			}
			s.end(err)
			ready <- err
			return
		}
		first = false
		if s.ctx.Err() != nil {
			return // closed, or the caller's context is done: no error
		}
		if c.isReady {
			attempt = 0
		}
		if errors.Is(err, auth.ErrInvalidToken) {
			if refusals++; refusals >= maxRefusals {
				s.end(fmt.Errorf("%w: %w", auth.ErrReauthRequired, err))
				return
			}
		} else if c.isReady {
			refusals = 0
		}
		if terminal(err) {
			s.end(err)
			return
		}
		if attempt++; s.opts.MaxRetries > 0 && attempt > s.opts.MaxRetries {
			s.end(err)
			return
		}
		if err == nil {
			err = errors.New("stream ended by the broker")
		}
		if s.opts.OnReconnect != nil {
			s.opts.OnReconnect(err)
		}
		if !s.sleep(s.backoff(attempt, err)) {
			return
		}
		s.reconnects.Add(1)
	}
}

// connectOnce runs one connection under a watchdog.
func (s *Stream[T]) connectOnce(connect Connect[T], c *Conn[T]) error {
	cctx, cancel := context.WithCancelCause(s.ctx)
	defer cancel(nil)
	c.done = cctx.Done()
	stop := s.watch(c, cancel)
	err := connect(cctx, c)
	stop()
	if cause := context.Cause(cctx); cause == ErrStalled || cause == ErrResync {
		return cause
	}
	return err
}

// backoff is the jittered wait before reconnect attempt n (1-based).
func (s *Stream[T]) backoff(n int, err error) time.Duration {
	d := s.opts.MinBackoff
	for i := 1; i < n && d < s.opts.MaxBackoff; i++ {
		d *= 2
	}
	d = min(d, s.opts.MaxBackoff)
	d = d/2 + rand.N(d/2+1)
	var rl *auth.RateLimitError
	if errors.As(err, &rl) && rl.RetryAfter > d {
		d = rl.RetryAfter
	}
	return d
}

func (s *Stream[T]) sleep(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-s.ctx.Done():
		return false
	}
}

// watch cancels the connection when it stalls or goes quiet, and returns
// a function that stops watching.
func (s *Stream[T]) watch(c *Conn[T], cancel context.CancelCauseFunc) (stop func()) {
	stall, resync := s.opts.Stall, s.opts.Resync
	if stall <= 0 && resync <= 0 {
		return func() {}
	}
	tick := stall
	if tick <= 0 || (resync > 0 && resync < tick) {
		tick = resync
	}
	tick = max(tick/8, time.Millisecond)
	quit := make(chan struct{})
	go func() {
		t := time.NewTicker(tick)
		defer t.Stop()
		frames, events := c.framesSeen(), c.eventsSeen()
		lastFrame, lastEvent := time.Now(), time.Now()
		for {
			select {
			case <-quit:
				return
			case now := <-t.C:
				if c.busy.Load() {
					lastFrame, lastEvent = now, now // the reader holds us up, not the broker
					continue
				}
				if f := c.framesSeen(); f != frames {
					frames, lastFrame = f, now
				}
				if e := c.eventsSeen(); e != events || !c.isReadyAtomic.Load() {
					events, lastEvent = e, now // quiet counts from Ready on
				}
				switch {
				case stall > 0 && now.Sub(lastFrame) >= stall:
					cancel(ErrStalled)
					return
				case resync > 0 && now.Sub(lastEvent) >= resync:
					cancel(ErrResync)
					return
				}
			}
		}
	}()
	return func() { close(quit) }
}

// Conn is one connection of a stream, as its Connect sees it. Its methods
// are called from the goroutine running Connect.
type Conn[T any] struct {
	s     *Stream[T]
	done  <-chan struct{} // the connection's context is done
	ready chan<- error    // the first connection's only

	isReady       bool
	isReadyAtomic atomic.Bool
	busy          atomic.Bool // blocked on a slow reader
}

// Ready says the broker accepted the subscription: the first time, Open
// returns; on every connection, the reconnect backoff starts over.
func (c *Conn[T]) Ready() {
	if c.isReady {
		return
	}
	c.isReady = true
	c.isReadyAtomic.Store(true)
	if c.ready != nil {
		select {
		case c.ready <- nil:
		default:
		}
	}
}

// Heartbeat records a keep-alive frame.
func (c *Conn[T]) Heartbeat() {
	c.s.heartbeats.Add(1)
}

// eventsSeen and framesSeen read the stream's counters for the watchdog:
// connections run one after another, so a change in them is this
// connection's doing, and the hot path bumps one counter per event.
func (c *Conn[T]) eventsSeen() uint64 { return c.s.events.Load() + c.s.duplicates.Load() }
func (c *Conn[T]) framesSeen() uint64 { return c.eventsSeen() + c.s.heartbeats.Load() }

// Send delivers ev. It returns false when the stream is ending: Connect
// should then return at once.
func (c *Conn[T]) Send(ev T) bool {
	s := c.s
	// Counted before a reader can hold it, so Stats never lags behind
	// what has been read.
	s.events.Add(1)
	select {
	case s.ch <- ev:
		return c.live()
	default:
	}
	if s.policy == Block {
		c.busy.Store(true)
		defer c.busy.Store(false)
		select {
		case s.ch <- ev:
			return c.live()
		case <-c.done:
			s.events.Add(^uint64(0)) // not delivered after all
			return false
		}
	}
	for {
		select {
		case <-s.ch:
			s.dropped.Add(1)
		default:
		}
		select {
		case s.ch <- ev:
			return c.live()
		default:
		}
	}
}

// Update delivers ev unless the last event sent under key carried the same
// raw bytes: a broker that sends its snapshot again after a reconnect
// (orders, positions) then delivers each change exactly once, and nothing
// that changed while the connection was down is lost. raw is read, not
// kept.
func (c *Conn[T]) Update(key string, raw []byte, ev T) bool {
	d := digest(raw)
	s := c.s
	if s.seen == nil {
		s.seen = make(map[string]uint64)
	}
	if prev, ok := s.seen[key]; ok && prev == d {
		s.duplicates.Add(1)
		return c.live()
	}
	s.seen[key] = d
	return c.Send(ev)
}

func (c *Conn[T]) live() bool {
	select {
	case <-c.done:
		return false
	default:
		return true
	}
}

// digest is FNV-1a over raw, 64 bits.
func digest(raw []byte) uint64 {
	h := uint64(14695981039346656037)
	for _, b := range raw {
		h ^= uint64(b)
		h *= 1099511628211
	}
	return h
}
