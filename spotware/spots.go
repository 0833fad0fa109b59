package spotware

import (
	"context"
	"errors"
	"fmt"
	"github.com/brokerkit/brokerkit/internal/rest"
	"math"
	"math/big"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/brokerkit/brokerkit/spotware/openapi"
	"github.com/shopspring/decimal"
	"google.golang.org/protobuf/proto"
)

// PriceExponent is the scale of every price on the wire: integers in
// 1/100000 of a unit, whatever the symbol's digits.
const PriceExponent = -5

// ErrAlreadySubscribed means a symbol is already in another Subscription of
// the same account.
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

// Subscription delivers spot quotes for some symbols of one account on C.
// It survives reconnects and re-authorizations: the session subscribes
// again and quotes resume. End it with Unsubscribe.
type Subscription struct {
	s       *Session
	account int64
	symbols []int64
	ch      chan Quote

	mu      sync.Mutex
	state   map[int64]*quoteState
	ended   bool
	dropped atomic.Uint64
	last    atomic.Int64 // unix nanoseconds of the last quote, or of (re)subscribing
}

// C delivers the quotes. It is closed by Unsubscribe and by Session.Close.
// When the reader falls behind, the oldest quote is dropped (see Dropped):
// the newest always gets through.
func (sub *Subscription) C() <-chan Quote { return sub.ch }

// Account returns the account the subscription belongs to.
func (sub *Subscription) Account() int64 { return sub.account }

// Symbols returns the subscribed symbol ids.
func (sub *Subscription) Symbols() []int64 { return slices.Clone(sub.symbols) }

// Dropped counts quotes dropped because C was full.
func (sub *Subscription) Dropped() uint64 { return sub.dropped.Load() }

// String names the account and symbols. It reads only what never changes,
// so printing a live subscription neither races with its quotes nor
// reaches into the session.
func (sub *Subscription) String() string {
	return fmt.Sprintf("spotware.Subscription{account=%d symbols=%v}", sub.account, sub.symbols)
}

// GoString is String.
func (sub *Subscription) GoString() string { return sub.String() }

// Format makes every fmt verb print String.
func (sub *Subscription) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(sub.String())) }

// SubscribeSpots subscribes account (authorized with AuthorizeAccount) to
// the spot prices of symbols. The first quote of each symbol carries both
// sides, even when the market is closed.
func (s *Session) SubscribeSpots(ctx context.Context, account int64, symbols ...int64) (*Subscription, error) {
	if len(symbols) == 0 {
		return nil, rest.Invalid(Name, "SubscribeSpots needs at least one symbol")
	}
	symbols = slices.Compact(slices.Sorted(slices.Values(symbols)))
	sub := &Subscription{s: s, account: account, symbols: symbols, ch: make(chan Quote, s.cfg.QuoteBuffer),
		state: make(map[int64]*quoteState, len(symbols))}
	for _, id := range symbols {
		sub.state[id] = &quoteState{}
	}
	sub.last.Store(time.Now().UnixNano())
	s.subsMu.Lock()
	if s.ctx.Err() != nil {
		s.subsMu.Unlock()
		return nil, ErrClosed
	}
	for _, id := range symbols {
		if _, dup := s.subs[subKey{account, id}]; dup {
			s.subsMu.Unlock()
			return nil, fmt.Errorf("%w: account %d symbol %d", ErrAlreadySubscribed, account, id)
		}
	}
	for _, id := range symbols {
		s.subs[subKey{account, id}] = sub
	}
	s.subsMu.Unlock()

	err := s.call(ctx, account, false, func(string) proto.Message {
		return subscribeReq(account, symbols)
	}, &openapi.ProtoOASubscribeSpotsRes{})
	if errorCode(err) == codeAlreadySubscribed {
		// Only this session subscribes on its connection: the server has
		// the subscription already (a reconnect restored it before the
		// request was sent again).
		err = nil
	}
	if err != nil {
		s.removeSub(sub)
		return nil, err
	}
	return sub, nil
}

func subscribeReq(account int64, symbols []int64) *openapi.ProtoOASubscribeSpotsReq {
	return &openapi.ProtoOASubscribeSpotsReq{CtidTraderAccountId: proto.Int64(account),
		SymbolId: slices.Clone(symbols), SubscribeToSpotTimestamp: proto.Bool(true)}
}

// Unsubscribe ends the subscription and closes C. A few quotes queued
// before may still be read from C until it is closed.
func (sub *Subscription) Unsubscribe(ctx context.Context) error {
	if !sub.s.removeSub(sub) {
		return ErrNotSubscribed
	}
	err := sub.s.call(ctx, sub.account, false, func(string) proto.Message {
		return &openapi.ProtoOAUnsubscribeSpotsReq{CtidTraderAccountId: proto.Int64(sub.account), SymbolId: slices.Clone(sub.symbols)}
	}, &openapi.ProtoOAUnsubscribeSpotsRes{})
	if errorCode(err) == codeNotSubscribed {
		// The server had already forgotten them (a new connection).
		return nil
	}
	return err
}

// removeSub unregisters sub and closes its channel; false if it was gone.
func (s *Session) removeSub(sub *Subscription) bool {
	s.subsMu.Lock()
	defer s.subsMu.Unlock()
	found := false
	for _, id := range sub.symbols {
		k := subKey{sub.account, id}
		if s.subs[k] == sub {
			delete(s.subs, k)
			found = true
		}
	}
	if found {
		sub.end()
	}
	return found
}

// end closes the channel; the caller holds subsMu for writing.
func (sub *Subscription) end() {
	sub.mu.Lock()
	defer sub.mu.Unlock()
	if !sub.ended {
		sub.ended = true
		close(sub.ch)
	}
}

// resubscribe subscribes account's symbols again on c, after its session
// was restored. ALREADY_SUBSCRIBED counts as success.
func (s *Session) resubscribe(ctx context.Context, c *conn, account int64) error {
	s.subsMu.RLock()
	var symbols []int64
	for k := range s.subs {
		if k.account == account {
			symbols = append(symbols, k.symbol)
		}
	}
	s.subsMu.RUnlock()
	if len(symbols) == 0 {
		return nil
	}
	slices.Sort(symbols)
	err := c.roundTrip(ctx, subscribeReq(account, symbols), &openapi.ProtoOASubscribeSpotsRes{})
	if errorCode(err) == codeAlreadySubscribed {
		return nil
	}
	return err
}

// onSpot decodes a spot event and hands the quote to its subscription.
// It runs on the reader goroutine, which owns c.spot.
func (s *Session) onSpot(c *conn, payload []byte) {
	if err := decodeSpot(payload, &c.spot); err != nil {
		return
	}
	now := time.Now()
	s.subsMu.RLock()
	sub := s.subs[subKey{c.spot.GetCtidTraderAccountId(), c.spot.GetSymbolId()}]
	if sub != nil {
		sub.deliver(&c.spot, now)
	}
	s.subsMu.RUnlock()
}

// decodeSpot decodes a spot event into ev, reusing its memory.
func decodeSpot(payload []byte, ev *openapi.ProtoOASpotEvent) error {
	return lenient.Unmarshal(payload, ev)
}

// deliver merges ev into the last known prices and sends the quote,
// dropping the oldest queued quote if the channel is full.
func (sub *Subscription) deliver(ev *openapi.ProtoOASpotEvent, now time.Time) {
	sub.mu.Lock()
	defer sub.mu.Unlock()
	st := sub.state[ev.GetSymbolId()]
	if sub.ended || st == nil {
		return
	}
	q := st.merge(ev, now)
	q.AccountID = sub.account
	sub.last.Store(now.UnixNano())
	for {
		select {
		case sub.ch <- q:
			return
		default:
		}
		select {
		case <-sub.ch:
			sub.dropped.Add(1)
		default:
		}
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

// watchSpots reports subscriptions that went quiet for longer than
// SpotStallTimeout and subscribes them again.
func (s *Session) watchSpots() {
	defer s.wg.Done()
	limit := s.cfg.SpotStallTimeout
	t := time.NewTicker(max(limit/4, time.Millisecond))
	defer t.Stop()
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-t.C:
		}
		now := time.Now()
		s.subsMu.RLock()
		var quiet []*Subscription
		for _, sub := range s.subs {
			if now.Sub(time.Unix(0, sub.last.Load())) > limit && !slices.Contains(quiet, sub) {
				quiet = append(quiet, sub)
			}
		}
		s.subsMu.RUnlock()
		for _, sub := range quiet {
			sub.last.Store(now.UnixNano())
			s.emit(Event{Kind: EventStalled, AccountID: sub.account,
				Err: fmt.Errorf("%w: no quote for symbols %v in %s", ErrStalled, sub.symbols, limit)})
			ctx, cancel := context.WithTimeout(s.ctx, s.cfg.RequestTimeout)
			_ = s.renew(ctx, sub)
			cancel()
		}
	}
}

// renew unsubscribes and subscribes sub's symbols again on the server,
// keeping the Subscription and its channel. A subscription ended by
// Unsubscribe meanwhile is left unsubscribed on the server.
func (s *Session) renew(ctx context.Context, sub *Subscription) error {
	if sub.isEnded() {
		return nil
	}
	c, err := s.ready(ctx, sub.account)
	if err != nil {
		return err
	}
	unsubscribe := func() error {
		err := c.roundTrip(ctx, &openapi.ProtoOAUnsubscribeSpotsReq{CtidTraderAccountId: proto.Int64(sub.account),
			SymbolId: slices.Clone(sub.symbols)}, &openapi.ProtoOAUnsubscribeSpotsRes{})
		if errorCode(err) == codeNotSubscribed {
			return nil
		}
		return err
	}
	if err := unsubscribe(); err != nil {
		return err
	}
	err = c.roundTrip(ctx, subscribeReq(sub.account, sub.symbols), &openapi.ProtoOASubscribeSpotsRes{})
	if errorCode(err) == codeAlreadySubscribed {
		err = nil
	}
	if err == nil && sub.isEnded() {
		// Unsubscribe's request may have reached the server before ours.
		return unsubscribe()
	}
	return err
}

func (sub *Subscription) isEnded() bool {
	sub.mu.Lock()
	defer sub.mu.Unlock()
	return sub.ended
}
