package spotware

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/big"
	"slices"
	"time"

	"github.com/brokerkit/brokerkit/internal/rest"
	"github.com/brokerkit/brokerkit/spotware/openapi"
	"github.com/brokerkit/brokerkit/stream"
	"github.com/shopspring/decimal"
	"google.golang.org/protobuf/proto"
)

// PriceExponent is the scale of every price on the wire: integers in
// 1/100000 of a unit, whatever the symbol's digits.
const PriceExponent = -5

// ErrAlreadySubscribed means a symbol is already in another quote stream
// of the same account.
var ErrAlreadySubscribed = errors.New("spotware: symbol already subscribed")

// Quote is the latest price of a symbol. Each spot event may carry one side
// only; a Quote always carries the last known value of both, and HasBid and
// HasAsk say whether a side has been seen at all.
type Quote struct {
	// AccountID and SymbolID say whose price it is.
	AccountID int64
	SymbolID  int64
	// Bid and Ask are exact decimals.
	Bid, Ask       decimal.Decimal
	HasBid, HasAsk bool
	// Time is the server's timestamp when it sent one, else the time the
	// event arrived.
	Time time.Time
}

type subKey struct{ account, symbol int64 }

// side is the last known raw price of one side.
type side struct {
	v  uint64
	ok bool
}

type quoteState struct{ bid, ask side }

// quoteSink is a quote stream's end inside the session: the reader
// goroutine merges spot events into quotes and queues them in box; the
// stream's connect goroutine hands them to the stream.
type quoteSink struct {
	account int64
	symbols []int64
	box     mailbox[Quote]
	c       *conn                 // the connection subscribed on; guarded by Session.subsMu
	state   map[int64]*quoteState // guarded by box.mu
}

// StreamQuotes streams the spot prices of symbols for account, which must
// be authorized (AuthorizeAccount). The first quote of each symbol carries
// both sides, even when the market is closed; each later one carries the
// last known value of a side its event left out.
//
// The stream's options are SessionConfig.Streams over the quote defaults:
// when the reader falls behind, the oldest queued
// quote is dropped and counted in Stats.Dropped. A Block policy is refused
// (ErrInvalidInput): the session's one connection carries every stream and
// call, so no reader may pause it. After the session reconnects, or the
// server drops and the session authorizes the account again, the stream
// subscribes again (Stats.Reconnects) and the server's first quote of each
// symbol follows. A symbol the server does not know fails StreamQuotes at
// once (ErrNotFound); a symbol already streamed for the account by another
// stream of the session fails with ErrAlreadySubscribed. Close unsubscribes.
// Closing the session ends the stream with ErrClosed.
func (s *Session) StreamQuotes(ctx context.Context, account int64, symbols ...int64) (*stream.Stream[Quote], error) {
	if len(symbols) == 0 {
		return nil, rest.Invalid(Name, "StreamQuotes needs at least one symbol")
	}
	o := s.cfg.Streams.With(quoteDefaults)
	if o.Policy == stream.Block {
		return nil, rest.Invalid(Name, "a quote stream cannot use the Block policy: the session's connection carries every stream and call, and no reader may pause it")
	}
	symbols = slices.Compact(slices.Sorted(slices.Values(symbols)))
	sk := &quoteSink{account: account, symbols: symbols, state: make(map[int64]*quoteState, len(symbols))}
	for _, id := range symbols {
		sk.state[id] = &quoteState{}
	}
	sk.box.init()
	return stream.Open(ctx, o, func(ctx context.Context, sc *stream.Conn[Quote]) error {
		return s.runQuotes(ctx, sc, sk)
	})
}

// runQuotes is one connection of a quote stream: it registers sk on the
// session's connection of the account's host, subscribes, and hands quotes
// on until the stream ends, the connection drops or the account's session
// is restored (then the stream calls it again).
func (s *Session) runQuotes(ctx context.Context, sc *stream.Conn[Quote], sk *quoteSink) error {
	c, err := retryLost(ctx, func() (*conn, error) { return s.subscribeQuotes(ctx, sk) })
	if err != nil {
		return s.streamErr(sk.account, err)
	}
	defer s.dropQuoteSink(sk, c, true)
	sc.Ready()
	return pump(ctx, s, c, &sk.box, sc.Heartbeat, sc.Send)
}

// subscribeQuotes registers sk and subscribes its symbols on the
// connection of its account's host, which it returns.
func (s *Session) subscribeQuotes(ctx context.Context, sk *quoteSink) (*conn, error) {
	c, err := s.ready(ctx, sk.account)
	if err != nil {
		return nil, err
	}
	if err := s.addQuoteSink(sk, c); err != nil {
		return nil, stream.Permanent(err)
	}
	err = s.streamCall(ctx, c, sk.account, subscribeReq(sk.account, sk.symbols), &openapi.ProtoOASubscribeSpotsRes{})
	if errorCode(err) == codeAlreadySubscribed {
		// Only this stream subscribes these symbols on the connection:
		// the server kept an earlier subscription of it.
		err = nil
	}
	if err != nil {
		s.dropQuoteSink(sk, c, false)
		return nil, err
	}
	return c, nil
}

func subscribeReq(account int64, symbols []int64) *openapi.ProtoOASubscribeSpotsReq {
	return &openapi.ProtoOASubscribeSpotsReq{CtidTraderAccountId: proto.Int64(account),
		SymbolId: slices.Clone(symbols), SubscribeToSpotTimestamp: proto.Bool(true)}
}

// addQuoteSink routes sk's symbols to it, on c.
func (s *Session) addQuoteSink(sk *quoteSink, c *conn) error {
	s.subsMu.Lock()
	defer s.subsMu.Unlock()
	if s.ctx.Err() != nil {
		return ErrClosed
	}
	for _, id := range sk.symbols {
		if other, dup := s.subs[subKey{sk.account, id}]; dup && other != sk {
			return fmt.Errorf("%w: account %d symbol %d", ErrAlreadySubscribed, sk.account, id)
		}
	}
	for _, id := range sk.symbols {
		s.subs[subKey{sk.account, id}] = sk
	}
	sk.c = c
	sk.box.flag(func(b *mailbox[Quote]) { b.reset = false })
	return nil
}

// dropQuoteSink stops routing sk's symbols and, when it subscribed on c
// and c is still up, unsubscribes them on the server.
func (s *Session) dropQuoteSink(sk *quoteSink, c *conn, subscribed bool) {
	s.subsMu.Lock()
	for _, id := range sk.symbols {
		if k := (subKey{sk.account, id}); s.subs[k] == sk {
			delete(s.subs, k)
		}
	}
	sk.c = nil
	s.subsMu.Unlock()
	if !subscribed || c.isDone() || s.ctx.Err() != nil {
		return
	}
	ctx, cancel := context.WithTimeout(s.ctx, s.cfg.RequestTimeout)
	defer cancel()
	_ = c.roundTrip(ctx, &openapi.ProtoOAUnsubscribeSpotsReq{CtidTraderAccountId: proto.Int64(sk.account),
		SymbolId: slices.Clone(sk.symbols)}, &openapi.ProtoOAUnsubscribeSpotsRes{})
}

// onSpot decodes a spot event and queues the quote for its stream. It runs
// on the reader goroutine, which owns c.spot.
func (s *Session) onSpot(c *conn, payload []byte) {
	if err := decodeSpot(payload, &c.spot); err != nil {
		return
	}
	now := time.Now()
	s.subsMu.RLock()
	sk := s.subs[subKey{c.spot.GetCtidTraderAccountId(), c.spot.GetSymbolId()}]
	if sk != nil && sk.c == c {
		sk.deliver(&c.spot, now)
	}
	s.subsMu.RUnlock()
}

// decodeSpot decodes a spot event into ev, reusing its memory.
func decodeSpot(payload []byte, ev *openapi.ProtoOASpotEvent) error {
	return lenient.Unmarshal(payload, ev)
}

// deliver merges ev into the last known prices and queues the quote.
func (sk *quoteSink) deliver(ev *openapi.ProtoOASpotEvent, now time.Time) {
	b := &sk.box
	b.mu.Lock()
	st := sk.state[ev.GetSymbolId()]
	if st == nil {
		b.mu.Unlock()
		return
	}
	q := st.merge(ev, now)
	q.AccountID = sk.account
	b.q = append(b.q, q)
	first := len(b.q) == 1
	b.mu.Unlock()
	if first {
		b.signal()
	}
}

// merge applies ev to the state and returns the resulting quote.
func (st *quoteState) merge(ev *openapi.ProtoOASpotEvent, now time.Time) Quote {
	if ev.Bid != nil {
		st.bid = side{ev.GetBid(), true}
	}
	if ev.Ask != nil {
		st.ask = side{ev.GetAsk(), true}
	}
	q := Quote{AccountID: ev.GetCtidTraderAccountId(), SymbolID: ev.GetSymbolId(), HasBid: st.bid.ok, HasAsk: st.ask.ok, Time: now}
	if st.bid.ok {
		q.Bid = Price(st.bid.v)
	}
	if st.ask.ok {
		q.Ask = Price(st.ask.v)
	}
	if ts := ev.GetTimestamp(); ts > 0 {
		q.Time = time.UnixMilli(ts)
	}
	return q
}

// Price converts a wire price (1/100000 units) to an exact decimal.
func Price(v uint64) decimal.Decimal {
	if v > math.MaxInt64 {
		return decimal.NewFromBigInt(new(big.Int).SetUint64(v), PriceExponent)
	}
	return decimal.New(int64(v), PriceExponent)
}
