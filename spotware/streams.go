package spotware

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/internal/rest"
	"github.com/brokerkit/brokerkit/spotware/openapi"
	"github.com/brokerkit/brokerkit/stream"
	"github.com/shopspring/decimal"
	"google.golang.org/protobuf/proto"
)

// The defaults of the two stream kinds, stated once: quotes drop the
// oldest when the reader falls behind, order events are never dropped.
// Neither has a stream-level stall watchdog: the session's own (no frame
// at all, not even the server's heartbeat, for SessionConfig.StallTimeout)
// drops the shared connection, and the streams reconnect with it; a stream
// Stall set by the caller also counts the time spent waiting for the
// session to reconnect. Neither resyncs on heartbeats alone by default,
// since a closed market and a quiet account send nothing but heartbeats:
// set SessionConfig.Streams.Resync to renew quote subscriptions (and take
// the order snapshot again) when they go quiet while heartbeats go on.
var (
	quoteDefaults = stream.Options{Policy: stream.DropOldest, Stall: -1, Resync: -1}
	orderDefaults = stream.Options{Policy: stream.Block, Stall: -1, Resync: -1}
)

// errAccountRestored ends a stream's connection when the server dropped
// its account's session and the session authorized it again: the stream
// then subscribes again (quotes) or takes a fresh snapshot (orders).
var errAccountRestored = retryable(ErrConnectionLost, "the account's session was restored")

// mailbox hands events from the reader goroutine, which must never block
// (it serves every stream and call of its connection), to a stream's
// connect goroutine. It never drops: a quote stream's connect goroutine
// drains it into a DropOldest stream without blocking, so drops happen in
// the stream and are counted there; an order stream's events are few.
type mailbox[T any] struct {
	mu    sync.Mutex
	q     []T
	spare []T
	beat  bool // a heartbeat arrived
	reset bool // the account's session was restored
	ended error
	wake  chan struct{}
}

func (b *mailbox[T]) init() { b.wake = make(chan struct{}, 1) }

func (b *mailbox[T]) signal() {
	select {
	case b.wake <- struct{}{}:
	default:
	}
}

// put queues v, waking the connect goroutine when the queue was empty
// (take empties it, so a non-empty queue has a wake-up pending).
func (b *mailbox[T]) put(v T) {
	b.mu.Lock()
	b.q = append(b.q, v)
	first := len(b.q) == 1
	b.mu.Unlock()
	if first {
		b.signal()
	}
}

func (b *mailbox[T]) flag(f func(*mailbox[T])) {
	b.mu.Lock()
	f(b)
	b.mu.Unlock()
	b.signal()
}

// take returns what is queued and the flags, clearing them. The slice is
// the box's until give hands it back.
func (b *mailbox[T]) take() (q []T, beat, reset bool, ended error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	q, b.q, b.spare = b.q, b.spare[:0], nil
	beat, reset, ended = b.beat, b.reset, b.ended
	b.beat, b.reset = false, false
	return q, beat, reset, ended
}

// give returns a slice take handed out, for reuse.
func (b *mailbox[T]) give(q []T) {
	clear(q)
	b.mu.Lock()
	if b.spare == nil {
		b.spare = q[:0]
	}
	b.mu.Unlock()
}

// pump hands queued events to the stream until the stream's connection
// context ends, the session closes, c drops, the account's session is
// restored or the session ends the stream (LogoutAccount).
func pump[T any](ctx context.Context, s *Session, c *conn, b *mailbox[T], beat func(), send func(T) bool) error {
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-s.ctx.Done():
			return stream.Permanent(ErrClosed)
		case <-c.done:
			return c.lostErr()
		case <-b.wake:
		}
		q, hb, reset, ended := b.take()
		if hb {
			beat()
		}
		for _, v := range q {
			if !send(v) {
				return nil
			}
		}
		b.give(q)
		switch {
		case ended != nil:
			return stream.Permanent(ended)
		case reset:
			return errAccountRestored
		}
	}
}

// streamErr sorts an error of a stream's connection: the session closed
// and server refusals that will not change (an unknown symbol, an account
// the session does not keep authorized) end the stream; lost connections,
// timeouts, rate limits, refused tokens and accounts the session is
// authorizing again are retried by the stream.
func (s *Session) streamErr(account int64, err error) error {
	if err == nil || errors.Is(err, ErrClosed) {
		if err != nil {
			return stream.Permanent(err)
		}
		return nil
	}
	var e *Error
	if !errors.As(err, &e) || errors.Is(err, auth.ErrUnavailable) || isTokenCode(e.Code) {
		return err
	}
	if e.Code == codeNotAuthorized && s.wanted(account) {
		return err
	}
	return stream.Permanent(err)
}

// streamCall sends a stream's request on c, the connection the stream
// watches. An account the server does not know as authorized (it dropped
// its session, or the token was refused) is authorized again once, then
// the request is retried; an error authorizing it (auth.ErrReauthRequired
// when the user must log in again) is returned.
func (s *Session) streamCall(ctx context.Context, c *conn, account int64, req, res proto.Message) error {
	err := c.roundTrip(ctx, req, res)
	code := errorCode(err)
	if err == nil || !(code == codeNotAuthorized || isTokenCode(code)) || !s.wanted(account) {
		return err
	}
	s.reauthMu.Lock()
	aerr := s.authorizeOn(ctx, c, account)
	s.reauthMu.Unlock()
	if aerr != nil {
		return aerr
	}
	return c.roundTrip(ctx, req, res)
}

// onHeartbeat tells the streams on c that the server is alive.
func (s *Session) onHeartbeat(c *conn) {
	s.subsMu.RLock()
	defer s.subsMu.RUnlock()
	for _, sk := range s.subs {
		if sk.c == c {
			sk.box.flag(func(b *mailbox[Quote]) { b.beat = true })
		}
	}
	for _, sinks := range s.orderSinks {
		for _, sk := range sinks {
			if sk.c == c {
				sk.box.flag(func(b *mailbox[Execution]) { b.beat = true })
			}
		}
	}
}

// resetStreams makes account's streams subscribe again (or take a fresh
// snapshot): its session was restored after the server dropped it.
func (s *Session) resetStreams(account int64) {
	s.endStreams(account, nil)
}

// endStreams ends account's streams with err, or resets them for nil.
func (s *Session) endStreams(account int64, err error) {
	s.subsMu.RLock()
	defer s.subsMu.RUnlock()
	for k, sk := range s.subs {
		if k.account == account {
			sk.box.flag(func(b *mailbox[Quote]) { b.reset, b.ended = err == nil, err })
		}
	}
	for _, sk := range s.orderSinks[account] {
		sk.box.flag(func(b *mailbox[Execution]) { b.reset, b.ended = err == nil, err })
	}
}

// orderSink is an order stream's end inside the session. The fields after
// box belong to the stream's connect goroutine.
type orderSink struct {
	account int64
	box     mailbox[Execution]
	c       *conn // the connection watched; guarded by Session.subsMu

	connected bool
	cut       time.Time       // when the last connection ended
	seen      map[int64]int64 // order id → utcLastUpdateTimestamp of the last state delivered
	pending   map[int64]int64 // orders last seen pending: id → open timestamp (ms)
}

// StreamOrders streams the order and position changes of account, which
// must be authorized (AuthorizeAccount): every ProtoOAExecutionEvent,
// whether this session's call or another client caused it, and every
// ProtoOAOrderErrorEvent that answers no call of this session (Type
// ORDER_ERROR, Err set).
//
// It starts with the account's pending orders as the server has them
// (ProtoOAReconcileReq; Recovered set, Type from the order's status).
// After every reconnect — the session's connection dropped, the server
// dropped the account's session, or the stream's own watchdog — it takes
// that snapshot again together with the orders of the cut (the order list
// from a few minutes before the cut, and from the oldest order it knew as
// pending): an order filled, cancelled or placed while the connection was
// down is delivered once, and a state already delivered is not delivered
// again (Stats.Duplicates).
//
// Its options are SessionConfig.Streams over the order defaults: Block,
// so nothing is dropped; the session queues events for a slow reader
// rather than pause its connection. Closing the session ends the stream
// with ErrClosed, LogoutAccount with ErrNotSubscribed.
func (s *Session) StreamOrders(ctx context.Context, account int64) (*stream.Stream[Execution], error) {
	o := s.cfg.Streams.With(orderDefaults)
	if !s.wanted(account) {
		return nil, rest.Invalid(Name, "account %d is not authorized on the session; call AuthorizeAccount first", account)
	}
	sk := &orderSink{account: account, seen: map[int64]int64{}, pending: map[int64]int64{}}
	sk.box.init()
	return stream.Open(ctx, o, func(ctx context.Context, sc *stream.Conn[Execution]) error {
		return s.runOrders(ctx, sc, sk)
	})
}

// cutMargin is how far before a cut the order list is read after a
// reconnect, for clocks that disagree and events in flight.
const cutMargin = 5 * time.Minute

// runOrders is one connection of an order stream: it registers sk on the
// connection of the account's host, takes the snapshot, then hands events
// on as they come.
func (s *Session) runOrders(ctx context.Context, sc *stream.Conn[Execution], sk *orderSink) error {
	var snap []Execution
	c, err := retryLost(ctx, func() (*conn, error) {
		c, err := s.ready(ctx, sk.account)
		if err != nil {
			return nil, err
		}
		if !s.addOrderSink(sk, c) {
			return nil, stream.Permanent(ErrClosed)
		}
		if snap, err = s.orderSnapshot(ctx, c, sk); err != nil {
			s.dropOrderSink(sk)
			return nil, err
		}
		return c, nil
	})
	if err != nil {
		return s.streamErr(sk.account, err)
	}
	defer s.dropOrderSink(sk)
	sk.connected = true
	sc.Ready()
	// Events that came while the snapshot was taken go first: they are
	// the latest news of their orders, which the snapshot then repeats
	// (dropped as duplicates) or, being older, leaves alone.
	q, _, reset, ended := sk.box.take()
	for _, ex := range q {
		if !sk.send(sc, ex) {
			return nil
		}
	}
	sk.box.give(q)
	for _, ex := range snap {
		if ts := ex.Order.Updated.UnixMilli(); !ex.Order.Updated.IsZero() && ts < sk.seen[ex.Order.ID] {
			continue
		}
		if !sk.send(sc, ex) {
			return nil
		}
	}
	switch {
	case ended != nil:
		return stream.Permanent(ended)
	case reset:
		sk.cut = time.Now()
		return errAccountRestored
	}
	err = pump(ctx, s, c, &sk.box, sc.Heartbeat, func(ex Execution) bool { return sk.send(sc, ex) })
	sk.cut = time.Now()
	return err
}

// retryLost runs setup, a stream connection's first steps, once more when
// the session's connection dropped under it: the session reconnects at
// once, and the first connection of a stream should not fail for that.
func retryLost(ctx context.Context, setup func() (*conn, error)) (*conn, error) {
	c, err := setup()
	if err != nil && errors.Is(err, ErrConnectionLost) && ctx.Err() == nil {
		c, err = setup()
	}
	return c, err
}

// send delivers ex: an order's state under the order's id, so that the
// same state from a snapshot is not delivered twice; other events as
// they come.
func (sk *orderSink) send(sc *stream.Conn[Execution], ex Execution) bool {
	o := ex.Order
	if o == nil || ex.Type == "ORDER_CANCEL_REJECTED" {
		return sc.Send(ex)
	}
	if o.Updated.IsZero() || o.Updated.UnixMilli() >= sk.seen[o.ID] {
		sk.seen[o.ID] = o.Updated.UnixMilli()
	}
	if o.Status == "ORDER_STATUS_ACCEPTED" {
		sk.pending[o.ID] = o.Opened.UnixMilli()
	} else {
		delete(sk.pending, o.ID)
	}
	return sc.Update("order:"+strconv.FormatInt(o.ID, 10), orderState(o), ex)
}

// orderState is the part of an order that a change changes, as bytes:
// what the stream compares a snapshot's order with the last delivered
// state of that order by. It is read from the decoded Order, so that an
// execution event and a snapshot of the same state match whatever fields
// each message happens to carry besides.
func orderState(o *Order) []byte {
	b := make([]byte, 0, 160)
	b = strconv.AppendInt(b, o.ID, 10)
	for _, v := range []string{o.Status, string(o.Type), string(o.Side)} {
		b = append(append(b, '|'), v...)
	}
	for _, v := range []int64{o.PositionID, o.SymbolID, o.Updated.UnixMilli(), o.Expires.UnixMilli(), o.SlippagePoints} {
		b = strconv.AppendInt(append(b, '|'), v, 10)
	}
	for _, d := range []decimal.Decimal{o.Volume, o.ExecutedVolume, o.ExecutionPrice, o.LimitPrice, o.StopPrice, o.StopLoss,
		o.TakeProfit, o.RelativeStopLoss, o.RelativeTakeProfit, o.BasePrice} {
		b = append(append(b, '|'), d.String()...)
	}
	return b
}

// orderSnapshot reads the account's pending orders and, after a cut, the
// orders of the cut, as events sorted by their last update.
func (s *Session) orderSnapshot(ctx context.Context, c *conn, sk *orderSink) ([]Execution, error) {
	rec := &openapi.ProtoOAReconcileRes{}
	if err := s.streamCall(ctx, c, sk.account, &openapi.ProtoOAReconcileReq{CtidTraderAccountId: proto.Int64(sk.account)}, rec); err != nil {
		return nil, err
	}
	byID := map[int64]*Order{}
	add := func(o *Order) {
		if prev, ok := byID[o.ID]; !ok || !o.Updated.Before(prev.Updated) {
			byID[o.ID] = o
		}
	}
	for _, o := range rec.GetOrder() {
		add(orderFrom(o))
	}
	if sk.connected {
		from := sk.cut.Add(-cutMargin)
		for _, opened := range sk.pending {
			if t := time.UnixMilli(opened); t.Before(from) {
				from = t
			}
		}
		list := &openapi.ProtoOAOrderListRes{}
		req := &openapi.ProtoOAOrderListReq{CtidTraderAccountId: proto.Int64(sk.account),
			FromTimestamp: proto.Int64(max(from.UnixMilli(), 0)), ToTimestamp: proto.Int64(time.Now().UnixMilli())}
		if err := s.streamCall(ctx, c, sk.account, req, list); err != nil {
			return nil, err
		}
		for _, o := range list.GetOrder() {
			add(orderFrom(o))
		}
	}
	out := make([]Execution, 0, len(byID))
	for _, o := range byID {
		out = append(out, Execution{AccountID: sk.account, Type: statusType(o), Order: o, Recovered: true})
	}
	slices.SortFunc(out, func(a, b Execution) int {
		if c := a.Order.Updated.Compare(b.Order.Updated); c != 0 {
			return c
		}
		return cmp.Compare(a.Order.ID, b.Order.ID)
	})
	return out, nil
}

// statusType names the execution that leaves an order in its status.
func statusType(o *Order) string {
	switch o.Status {
	case "ORDER_STATUS_FILLED":
		return "ORDER_FILLED"
	case "ORDER_STATUS_CANCELLED":
		return "ORDER_CANCELLED"
	case "ORDER_STATUS_EXPIRED":
		return "ORDER_EXPIRED"
	case "ORDER_STATUS_REJECTED":
		return "ORDER_REJECTED"
	}
	if o.ExecutedVolume.IsPositive() {
		return "ORDER_PARTIAL_FILL"
	}
	return "ORDER_ACCEPTED"
}

// addOrderSink routes account's execution events on c to sk; false once
// the session is closed.
func (s *Session) addOrderSink(sk *orderSink, c *conn) bool {
	s.subsMu.Lock()
	defer s.subsMu.Unlock()
	if s.ctx.Err() != nil {
		return false
	}
	if !slices.Contains(s.orderSinks[sk.account], sk) {
		s.orderSinks[sk.account] = append(s.orderSinks[sk.account], sk)
	}
	sk.c = c
	sk.box.flag(func(b *mailbox[Execution]) { b.reset = false })
	return true
}

func (s *Session) dropOrderSink(sk *orderSink) {
	s.subsMu.Lock()
	defer s.subsMu.Unlock()
	l := slices.DeleteFunc(s.orderSinks[sk.account], func(o *orderSink) bool { return o == sk })
	if len(l) == 0 {
		delete(s.orderSinks, sk.account)
	} else {
		s.orderSinks[sk.account] = l
	}
	sk.c = nil
}

// toOrderStreams queues ex for the order streams of its account on c.
func (s *Session) toOrderStreams(c *conn, ex Execution) {
	s.subsMu.RLock()
	defer s.subsMu.RUnlock()
	for _, sk := range s.orderSinks[ex.AccountID] {
		if sk.c == c {
			sk.box.put(ex)
		}
	}
}
