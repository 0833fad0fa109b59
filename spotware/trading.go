package spotware

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/internal/redact"
	"github.com/brokerkit/brokerkit/internal/rest"
	"github.com/brokerkit/brokerkit/spotware/internal/wire"
	"github.com/brokerkit/brokerkit/spotware/openapi"
	"github.com/shopspring/decimal"
	"google.golang.org/protobuf/proto"
)

// Scaling on the wire, stated once: volumes are integers in cents of a
// unit (volumeExp), money is an integer scaled by 10^moneyDigits (Money),
// stream and relative prices are integers in 1/100000 (PriceExponent),
// order prices are doubles, timestamps Unix milliseconds (trendbars: Unix
// minutes). At the API surface every one of them is a decimal or a
// time.Time.
const volumeExp = -2

var (
	ptExecution  = uint32(openapi.ProtoOAPayloadType_PROTO_OA_EXECUTION_EVENT)
	ptOrderError = uint32(openapi.ProtoOAPayloadType_PROTO_OA_ORDER_ERROR_EVENT)
)

// ErrTradingScope means the session's token was granted only the accounts
// (view) scope, so a trading call was refused before anything was sent. It
// matches auth.ErrInsufficientScope too.
var ErrTradingScope = fmt.Errorf("spotware: the token has the accounts scope only, trading needs the %q scope: %w", ScopeTrading, auth.ErrInsufficientScope)

// Side is the direction of an order, position or deal.
type Side string

// The two sides.
const (
	Buy  Side = "BUY"
	Sell Side = "SELL"
)

// OrderType is the kind of an order, named as the protocol names it.
type OrderType string

// The order types PlaceOrder takes.
const (
	// Market fills at once at the market price.
	Market OrderType = "MARKET"
	// Limit waits for LimitPrice or better.
	Limit OrderType = "LIMIT"
	// Stop becomes a market order when the market reaches StopPrice.
	Stop OrderType = "STOP"
	// StopLimit becomes a limit order at StopPrice, filled only within
	// SlippagePoints of it.
	StopLimit OrderType = "STOP_LIMIT"
	// MarketRange fills at once only within SlippagePoints of BasePrice.
	MarketRange OrderType = "MARKET_RANGE"
)

// OrderRequest is a new order. Volume is in units of the symbol's base
// asset (10000 for 10,000 EUR of EUR/USD; a lot is Symbol.LotSize units) and
// must be a whole number of cents. Prices are exact decimals with at most
// five decimals. Zero means "not set" for every price.
type OrderRequest struct {
	SymbolID int64
	Side     Side
	Type     OrderType
	Volume   decimal.Decimal
	// LimitPrice is the price of a Limit order; StopPrice the trigger of a
	// Stop or StopLimit order.
	LimitPrice, StopPrice decimal.Decimal
	// BasePrice is the reference price of a MarketRange order.
	BasePrice decimal.Decimal
	// SlippagePoints is the distance, in points of the symbol's last
	// digit, a MarketRange or StopLimit order may fill from its price.
	SlippagePoints int32
	// StopLoss and TakeProfit are absolute prices (pending orders only: the
	// protocol does not take them for market orders).
	StopLoss, TakeProfit decimal.Decimal
	// RelativeStopLoss and RelativeTakeProfit are distances from the fill
	// price, for any order type: a buy's stop loss is fill − distance.
	RelativeStopLoss, RelativeTakeProfit decimal.Decimal
	// TrailingStopLoss and GuaranteedStopLoss ask for those stops.
	TrailingStopLoss, GuaranteedStopLoss bool
	// Expires, when set, makes a pending order good till that time;
	// otherwise it is good till cancelled.
	Expires time.Time
	// PositionID adds to (or, on a netted account, reduces) a position.
	PositionID int64
	// ClientOrderID identifies the order for reconciliation (at most 50
	// characters); PlaceOrder makes one up when it is empty.
	ClientOrderID string
	// Label (at most 100 characters) and Comment (at most 512) are kept
	// with the order.
	Label, Comment string
}

// AmendOrderRequest is the new state of a pending order. Volume and the
// order prices left zero stay as they are; StopLoss and TakeProfit (or
// their relative forms) state the order's stops in full: left zero, the
// order has none.
type AmendOrderRequest struct {
	Volume                               decimal.Decimal
	LimitPrice, StopPrice                decimal.Decimal
	StopLoss, TakeProfit                 decimal.Decimal
	RelativeStopLoss, RelativeTakeProfit decimal.Decimal
	SlippagePoints                       int32
	Expires                              time.Time
}

// Order is an order as the server reports it. Zero prices and times are
// absent ones.
type Order struct {
	ID, PositionID, SymbolID int64
	Side                     Side
	Type                     OrderType
	// Status is ORDER_STATUS_ACCEPTED, ORDER_STATUS_FILLED,
	// ORDER_STATUS_REJECTED, ORDER_STATUS_EXPIRED or ORDER_STATUS_CANCELLED.
	Status string
	// Volume and ExecutedVolume are in units.
	Volume, ExecutedVolume                                 decimal.Decimal
	LimitPrice, StopPrice, BasePrice, StopLoss, TakeProfit decimal.Decimal
	RelativeStopLoss, RelativeTakeProfit, ExecutionPrice   decimal.Decimal
	SlippagePoints                                         int64
	TimeInForce                                            string
	ClientOrderID, Label, Comment                          string
	Closing, TrailingStopLoss                              bool
	Opened, Updated, Expires                               time.Time
}

// Position is an open (or just closed) position. Money fields are in the
// deposit currency.
type Position struct {
	ID, SymbolID int64
	Side         Side
	// Status is POSITION_STATUS_OPEN, POSITION_STATUS_CLOSED,
	// POSITION_STATUS_CREATED (for a pending order) or POSITION_STATUS_ERROR.
	Status string
	// Volume is in units; Price the average entry price.
	Volume, Price                decimal.Decimal
	StopLoss, TakeProfit         decimal.Decimal
	Swap, Commission, UsedMargin decimal.Decimal
	MoneyDigits                  int32
	Label, Comment               string
	GuaranteedStopLoss, Trailing bool
	Opened, Updated, Closed      time.Time
}

// Deal is an execution. Volumes are in units, money in the deposit
// currency.
type Deal struct {
	ID, OrderID, PositionID, SymbolID int64
	Side                              Side
	// Status is FILLED, PARTIALLY_FILLED, REJECTED, INTERNALLY_REJECTED,
	// ERROR or MISSED.
	Status               string
	Volume, FilledVolume decimal.Decimal
	Price, Commission    decimal.Decimal
	MoneyDigits          int32
	Created, Executed    time.Time
	// Close is set on a deal that closed (part of) a position.
	Close *CloseDetail
}

// CloseDetail is what a closing deal realized.
type CloseDetail struct {
	EntryPrice                             decimal.Decimal
	GrossProfit, Swap, Commission, Balance decimal.Decimal
	ClosedVolume                           decimal.Decimal
}

// Execution is a ProtoOAExecutionEvent: the answer to a trading call, and
// every change of an account's orders and positions, which StreamOrders
// delivers.
type Execution struct {
	AccountID int64
	// Type is ORDER_ACCEPTED, ORDER_FILLED, ORDER_REPLACED, ORDER_CANCELLED,
	// ORDER_EXPIRED, ORDER_REJECTED, ORDER_CANCEL_REJECTED, SWAP,
	// DEPOSIT_WITHDRAW, ORDER_PARTIAL_FILL or BONUS_DEPOSIT_WITHDRAW; on a
	// stream also ORDER_ERROR for a ProtoOAOrderErrorEvent (Err set).
	Type     string
	Order    *Order
	Position *Position
	Deal     *Deal
	// ErrorCode is the server's code on a rejection.
	ErrorCode string
	// ServerEvent is true when the server acted by itself (a stop-out).
	ServerEvent bool
	// Recovered is true for an order state a stream read from the server
	// (its snapshot when it starts and after a reconnect) rather than from
	// an execution event: Type then names the execution that leaves the
	// order in its status, and only Order is set.
	Recovered bool
	// Err is the *Error of a ProtoOAOrderErrorEvent that answered no call
	// of this session (Type ORDER_ERROR).
	Err error
}

// Reconciliation is an account's open positions and pending orders.
type Reconciliation struct {
	Positions []Position
	Orders    []Order
}

// TimeoutError reports a trading call whose answer did not come (the
// server has been seen to leave trading requests unanswered) or whose
// connection dropped before it: the session then reconciled the account
// to learn what happened. It matches ErrTimeout or ErrConnectionLost.
type TimeoutError struct {
	// Op names the call, e.g. "PlaceOrder".
	Op string
	// Err is the timeout or the lost connection.
	Err error
	// Exists says whether, after reconciling, the order (PlaceOrder,
	// AmendOrder, CancelOrder) or the position (AmendPositionSLTP,
	// ClosePosition) is there: a placed order exists, a cancelled order is
	// still pending, a closed position is still open. Order and Position
	// are what the server has now.
	Exists   bool
	Order    *Order
	Position *Position
	// ReconcileErr is set when reconciling failed too; Exists is then
	// unknown (false).
	ReconcileErr error
}

// Error says what timed out and what reconciling found.
func (e *TimeoutError) Error() string {
	s := fmt.Sprintf("spotware: %s: %v", e.Op, e.Err)
	switch {
	case e.ReconcileErr != nil:
		return s + "; reconciling failed too: " + e.ReconcileErr.Error()
	case e.Exists:
		return s + "; reconciled: it exists on the server"
	}
	return s + "; reconciled: it does not exist on the server"
}

// Unwrap returns the timeout or the lost connection.
func (e *TimeoutError) Unwrap() error { return e.Err }

// tradeState is the session's trading bookkeeping.
type tradeState struct {
	mu sync.Mutex
	// scopeToken is the access token scopeOK was learnt for.
	scopeToken string
	scopeOK    bool
	// waiters wait for the final event of an order; recent keeps the last
	// final events nobody waited for yet (the event can overtake the
	// caller that waits for it).
	waiters map[int64]chan *Execution
	recent  []*Execution
}

const keptFinalEvents = 64

// final reports whether an execution ends an order's way through the
// market (filled, cancelled, rejected, expired).
func final(ex *Execution) bool {
	switch ex.Type {
	case "ORDER_FILLED", "ORDER_CANCELLED", "ORDER_REJECTED", "ORDER_EXPIRED":
		return true
	}
	return false
}

// onExecution hands an execution event (or an order error event that
// answers no request) to the account's order streams on c, and a final
// one to its waiter. It runs on the reader goroutine, so events keep the
// server's order.
func (s *Session) onExecution(c *conn, env wire.Envelope) {
	if env.PayloadType == ptOrderError {
		var m openapi.ProtoOAOrderErrorEvent
		if lenient.Unmarshal(env.Payload, &m) != nil {
			return
		}
		err := orderError(&m, 0, s.secrets()...)
		s.toOrderStreams(c, Execution{AccountID: m.GetCtidTraderAccountId(), Type: "ORDER_ERROR", ErrorCode: err.Code, Err: err})
		return
	}
	var m openapi.ProtoOAExecutionEvent
	if lenient.Unmarshal(env.Payload, &m) != nil {
		return
	}
	ex := s.execution(&m)
	s.toOrderStreams(c, *ex)
	if ex.Order == nil || !final(ex) {
		return
	}
	t := &s.trading
	t.mu.Lock()
	defer t.mu.Unlock()
	if ch, ok := t.waiters[ex.Order.ID]; ok {
		delete(t.waiters, ex.Order.ID)
		ch <- ex
		return
	}
	t.recent = append(t.recent, ex)
	if len(t.recent) > keptFinalEvents {
		t.recent = slices.Delete(t.recent, 0, len(t.recent)-keptFinalEvents)
	}
}

// awaitFinal waits for the final event of order id.
func (s *Session) awaitFinal(ctx context.Context, id int64) (*Execution, error) {
	t := &s.trading
	t.mu.Lock()
	for i, ex := range t.recent {
		if ex.Order.ID == id {
			t.recent = slices.Delete(t.recent, i, i+1)
			t.mu.Unlock()
			return ex, nil
		}
	}
	ch := make(chan *Execution, 1)
	if t.waiters == nil {
		t.waiters = map[int64]chan *Execution{}
	}
	t.waiters[id] = ch
	t.mu.Unlock()
	defer func() {
		t.mu.Lock()
		delete(t.waiters, id)
		t.mu.Unlock()
	}()
	timer := time.NewTimer(s.cfg.RequestTimeout)
	defer timer.Stop()
	select {
	case ex := <-ch:
		return ex, nil
	case <-timer.C:
		return nil, retryable(ErrTimeout, "no fill or rejection of order %d in %s", id, s.cfg.RequestTimeout)
	case <-ctx.Done():
		return nil, fmt.Errorf("spotware: waiting for order %d: %w", id, ctx.Err())
	case <-s.ctx.Done():
		return nil, ErrClosed
	}
}

// orderError turns a ProtoOAOrderErrorEvent into an *Error.
func orderError(m *openapi.ProtoOAOrderErrorEvent, reqType uint32, secrets ...string) *Error {
	return &Error{Code: redact.Text(m.GetErrorCode(), secrets...), Description: redact.Text(m.GetDescription(), secrets...),
		AccountID: m.GetCtidTraderAccountId(), PayloadType: reqType}
}

// requireTrading refuses, before sending, a trading call with a token
// that has the accounts scope only. The scope is learnt once per access
// token from the account list.
func (s *Session) requireTrading(ctx context.Context) error {
	tok, err := s.token(ctx)
	if err != nil {
		return err
	}
	if tok == nil {
		return fmt.Errorf("spotware: the TokenSource returned no token: %w", auth.ErrReauthRequired)
	}
	t := &s.trading
	t.mu.Lock()
	known, ok := t.scopeToken == tok.AccessToken && tok.AccessToken != "", t.scopeOK
	t.mu.Unlock()
	if !known {
		l, err := s.Accounts(ctx)
		if err != nil {
			return fmt.Errorf("spotware: learning the token's scope: %w", err)
		}
		ok = l.Scope == ScopeTrading
		t.mu.Lock()
		t.scopeToken, t.scopeOK = tok.AccessToken, ok
		t.mu.Unlock()
	}
	if !ok {
		return ErrTradingScope
	}
	return nil
}

// tradeCall sends a trading request once. Unlike call it never resends
// after a lost connection or a timeout (the first request may have been
// executed); it retries only requests the server refused unexecuted
// (a refused token, an account it forgot).
func (s *Session) tradeCall(ctx context.Context, account int64, req proto.Message, res proto.Message) error {
	for attempt := 0; ; attempt++ {
		c, err := s.ready(ctx, account)
		if err != nil {
			return err
		}
		err = c.roundTrip(ctx, req, res)
		if err == nil || attempt > 0 {
			return err
		}
		switch code := errorCode(err); {
		case isTokenCode(code) && s.cfg.Tokens != nil:
			tok, terr := s.token(ctx)
			if terr != nil {
				return err
			}
			if _, rerr := s.refresh(ctx, tok); rerr != nil {
				return fmt.Errorf("%w; refreshing the token: %w", err, rerr)
			}
			_ = s.reauthorize(ctx, c, s.accountIDs(c.l), true)
		case code == codeNotAuthorized && s.wanted(account):
			_ = s.reauthorize(ctx, c, []int64{account}, true)
		default:
			return err
		}
	}
}

// uncertain reports whether err leaves a trading request's fate unknown.
func uncertain(err error) bool {
	return errors.Is(err, ErrTimeout) || errors.Is(err, ErrConnectionLost) || errors.Is(err, context.DeadlineExceeded)
}

// afterTimeout reconciles account after a trading call's answer did not
// come, and lets find say whether the order or position exists.
func (s *Session) afterTimeout(ctx context.Context, op string, account int64, cause error, find func(context.Context, *Reconciliation, *TimeoutError)) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*s.cfg.RequestTimeout)
	defer cancel()
	te := &TimeoutError{Op: op, Err: cause}
	r, err := s.Reconcile(ctx, account)
	if err != nil {
		te.ReconcileErr = err
		return te
	}
	find(ctx, r, te)
	return te
}

// execute sends a trading request and returns the execution answering it
// (the reader reports it on Events too); an uncertain outcome is
// reconciled.
func (s *Session) execute(ctx context.Context, op string, account int64, req proto.Message, find func(context.Context, *Reconciliation, *TimeoutError)) (*Execution, error) {
	if err := s.requireTrading(ctx); err != nil {
		return nil, err
	}
	res := &openapi.ProtoOAExecutionEvent{}
	if err := s.tradeCall(ctx, account, req, res); err != nil {
		if uncertain(err) {
			return nil, s.afterTimeout(ctx, op, account, err, find)
		}
		return nil, err
	}
	ex := s.execution(res)
	if ex.Type == "ORDER_REJECTED" {
		return ex, &Error{Code: ex.ErrorCode, AccountID: account, PayloadType: mustPayloadType(req)}
	}
	return ex, nil
}

func mustPayloadType(m proto.Message) uint32 {
	pt, _ := wire.PayloadType(m)
	return pt
}

// settle waits, after ORDER_ACCEPTED of an order that fills at once, for
// its fill (or cancellation, or rejection).
func (s *Session) settle(ctx context.Context, op string, account int64, ex *Execution, find func(context.Context, *Reconciliation, *TimeoutError)) (*Execution, error) {
	if ex.Type != "ORDER_ACCEPTED" || ex.Order == nil {
		return ex, nil
	}
	done, err := s.awaitFinal(ctx, ex.Order.ID)
	if err != nil {
		if uncertain(err) {
			return nil, s.afterTimeout(ctx, op, account, err, find)
		}
		return nil, err
	}
	if done.Type == "ORDER_REJECTED" {
		return done, &Error{Code: done.ErrorCode, AccountID: account}
	}
	return done, nil
}

// PlaceOrder places a new order on account. A pending order (Limit, Stop,
// StopLimit) returns with ORDER_ACCEPTED (when the market has already
// reached it, its fill follows on Events); a market order (Market, MarketRange) waits for
// its fill and returns ORDER_FILLED, or ORDER_CANCELLED when a MarketRange
// order found the price out of range. A refused order is an *Error with
// the protocol's code (NOT_ENOUGH_MONEY, TRADING_BAD_VOLUME, ...). A token
// with the accounts scope only gets ErrTradingScope before anything is
// sent. When the answer does not come, the account is reconciled and a
// *TimeoutError says whether the order exists (found by ClientOrderID).
func (s *Session) PlaceOrder(ctx context.Context, account int64, o OrderRequest) (*Execution, error) {
	if o.ClientOrderID == "" {
		var b [12]byte
		_, _ = rand.Read(b[:])
		o.ClientOrderID = "bk-" + hex.EncodeToString(b[:])
	}
	req, err := newOrderReq(account, &o)
	if err != nil {
		return nil, err
	}
	sent := time.Now()
	find := func(ctx context.Context, r *Reconciliation, te *TimeoutError) {
		for i := range r.Orders {
			if r.Orders[i].ClientOrderID == o.ClientOrderID {
				te.Exists, te.Order = true, &r.Orders[i]
				return
			}
		}
		// Filled or closed already: the order history knows the
		// client order id, and the position the order opened.
		orders, _, err := s.Orders(ctx, account, sent.Add(-time.Minute), time.Now().Add(time.Minute))
		if err != nil {
			te.ReconcileErr = err
			return
		}
		for i := range orders {
			if orders[i].ClientOrderID == o.ClientOrderID {
				te.Exists, te.Order = true, &orders[i]
				for j := range r.Positions {
					if r.Positions[j].ID == orders[i].PositionID {
						te.Position = &r.Positions[j]
					}
				}
				return
			}
		}
	}
	ex, err := s.execute(ctx, "PlaceOrder", account, req, find)
	if err != nil || (o.Type != Market && o.Type != MarketRange) {
		return ex, err
	}
	return s.settle(ctx, "PlaceOrder", account, ex, find)
}

// AmendOrder changes pending order id of account. A missing order is an
// *Error ORDER_NOT_FOUND. After a timeout, *TimeoutError.Order is the order
// as the server has it, to compare with what was asked.
func (s *Session) AmendOrder(ctx context.Context, account, id int64, a AmendOrderRequest) (*Execution, error) {
	req := &openapi.ProtoOAAmendOrderReq{CtidTraderAccountId: proto.Int64(account), OrderId: proto.Int64(id)}
	var err error
	if !a.Volume.IsZero() {
		if req.Volume, err = volumeWire(a.Volume); err != nil {
			return nil, err
		}
	}
	for _, f := range []struct {
		name string
		v    decimal.Decimal
		dst  **float64
	}{{"LimitPrice", a.LimitPrice, &req.LimitPrice}, {"StopPrice", a.StopPrice, &req.StopPrice},
		{"StopLoss", a.StopLoss, &req.StopLoss}, {"TakeProfit", a.TakeProfit, &req.TakeProfit}} {
		if *f.dst, err = priceWire(f.name, f.v); err != nil {
			return nil, err
		}
	}
	if req.RelativeStopLoss, err = relativeWire("RelativeStopLoss", a.RelativeStopLoss, req.StopLoss != nil); err != nil {
		return nil, err
	}
	if req.RelativeTakeProfit, err = relativeWire("RelativeTakeProfit", a.RelativeTakeProfit, req.TakeProfit != nil); err != nil {
		return nil, err
	}
	if a.SlippagePoints < 0 {
		return nil, rest.Invalid(Name, "SlippagePoints %d is negative", a.SlippagePoints)
	}
	if a.SlippagePoints > 0 {
		req.SlippageInPoints = proto.Int32(a.SlippagePoints)
	}
	if !a.Expires.IsZero() {
		req.ExpirationTimestamp = proto.Int64(a.Expires.UnixMilli())
	}
	return s.execute(ctx, "AmendOrder", account, req, findOrder(id))
}

// findOrder reports whether pending order id is there.
func findOrder(id int64) func(context.Context, *Reconciliation, *TimeoutError) {
	return func(ctx context.Context, r *Reconciliation, te *TimeoutError) {
		for i := range r.Orders {
			if r.Orders[i].ID == id {
				te.Exists, te.Order = true, &r.Orders[i]
			}
		}
	}
}

// findPosition reports whether open position id is there.
func findPosition(id int64) func(context.Context, *Reconciliation, *TimeoutError) {
	return func(ctx context.Context, r *Reconciliation, te *TimeoutError) {
		for i := range r.Positions {
			if r.Positions[i].ID == id {
				te.Exists, te.Position = true, &r.Positions[i]
			}
		}
	}
}

// CancelOrder cancels pending order id of account. A missing order is an
// *Error ORDER_NOT_FOUND. After a timeout, *TimeoutError.Exists says the
// order is still pending (the cancel did not happen).
func (s *Session) CancelOrder(ctx context.Context, account, id int64) (*Execution, error) {
	req := &openapi.ProtoOACancelOrderReq{CtidTraderAccountId: proto.Int64(account), OrderId: proto.Int64(id)}
	return s.execute(ctx, "CancelOrder", account, req, findOrder(id))
}

// AmendPositionSLTP sets the stop loss and take profit of position id;
// a zero price removes that stop.
func (s *Session) AmendPositionSLTP(ctx context.Context, account, id int64, stopLoss, takeProfit decimal.Decimal) (*Execution, error) {
	req := &openapi.ProtoOAAmendPositionSLTPReq{CtidTraderAccountId: proto.Int64(account), PositionId: proto.Int64(id)}
	var err error
	if req.StopLoss, err = priceWire("stop loss", stopLoss); err != nil {
		return nil, err
	}
	if req.TakeProfit, err = priceWire("take profit", takeProfit); err != nil {
		return nil, err
	}
	return s.execute(ctx, "AmendPositionSLTP", account, req, findPosition(id))
}

// ClosePosition closes volume units of position id (all of it when volume
// is its whole volume) and waits for the closing fill, whose Deal.Close
// carries the realized profit and the new balance. After a timeout,
// *TimeoutError.Exists says the position is still open (with the volume it
// has now).
func (s *Session) ClosePosition(ctx context.Context, account, id int64, volume decimal.Decimal) (*Execution, error) {
	v, err := volumeWire(volume)
	if err != nil {
		return nil, err
	}
	req := &openapi.ProtoOAClosePositionReq{CtidTraderAccountId: proto.Int64(account), PositionId: proto.Int64(id), Volume: v}
	ex, err := s.execute(ctx, "ClosePosition", account, req, findPosition(id))
	if err != nil {
		return ex, err
	}
	return s.settle(ctx, "ClosePosition", account, ex, findPosition(id))
}

// Reconcile returns account's open positions and pending orders.
func (s *Session) Reconcile(ctx context.Context, account int64) (*Reconciliation, error) {
	res := &openapi.ProtoOAReconcileRes{}
	err := s.call(ctx, account, false, func(string) proto.Message {
		return &openapi.ProtoOAReconcileReq{CtidTraderAccountId: proto.Int64(account)}
	}, res)
	if err != nil {
		return nil, err
	}
	r := &Reconciliation{}
	for _, p := range res.GetPosition() {
		r.Positions = append(r.Positions, *positionFrom(p))
	}
	for _, o := range res.GetOrder() {
		r.Orders = append(r.Orders, *orderFrom(o))
	}
	return r, nil
}

// window converts a history request's times; zero from is the epoch and
// zero to is now.
func window(from, to time.Time) (*int64, *int64, error) {
	if to.IsZero() {
		to = time.Now()
	}
	if from.After(to) {
		return nil, nil, rest.Invalid(Name, "from %s is after to %s", from.Format(time.RFC3339), to.Format(time.RFC3339))
	}
	f := int64(0)
	if !from.IsZero() {
		f = from.UnixMilli()
	}
	return proto.Int64(max(f, 0)), proto.Int64(to.UnixMilli()), nil
}

// Deals returns account's deals executed between from and to (zero from:
// the beginning; zero to: now), at most maxRows of them when positive;
// more says the server has more.
func (s *Session) Deals(ctx context.Context, account int64, from, to time.Time, maxRows int) (deals []Deal, more bool, err error) {
	f, t, err := window(from, to)
	if err != nil {
		return nil, false, err
	}
	if maxRows < 0 || maxRows > math.MaxInt32 {
		return nil, false, rest.Invalid(Name, "maxRows %d is out of range", maxRows)
	}
	req := &openapi.ProtoOADealListReq{CtidTraderAccountId: proto.Int64(account), FromTimestamp: f, ToTimestamp: t}
	if maxRows > 0 {
		req.MaxRows = proto.Int32(int32(maxRows))
	}
	res := &openapi.ProtoOADealListRes{}
	if err := s.call(ctx, account, false, func(string) proto.Message { return req }, res); err != nil {
		return nil, false, err
	}
	for _, d := range res.GetDeal() {
		deals = append(deals, *dealFrom(d))
	}
	return deals, res.GetHasMore(), nil
}

// Orders returns account's orders (of every status) between from and to
// (zero from: the beginning; zero to: now); more says the server has more.
func (s *Session) Orders(ctx context.Context, account int64, from, to time.Time) (orders []Order, more bool, err error) {
	f, t, err := window(from, to)
	if err != nil {
		return nil, false, err
	}
	res := &openapi.ProtoOAOrderListRes{}
	err = s.call(ctx, account, false, func(string) proto.Message {
		return &openapi.ProtoOAOrderListReq{CtidTraderAccountId: proto.Int64(account), FromTimestamp: f, ToTimestamp: t}
	}, res)
	if err != nil {
		return nil, false, err
	}
	for _, o := range res.GetOrder() {
		orders = append(orders, *orderFrom(o))
	}
	return orders, res.GetHasMore(), nil
}

// Trendbar is a historical bar; prices are exact decimals.
type Trendbar struct {
	// Time is when the bar opened.
	Time                   time.Time
	Open, High, Low, Close decimal.Decimal
	// Volume is the number of ticks in the bar.
	Volume int64
}

// Trendbars returns symbol's bars of period ("M1", "M5", "H1", "D1",
// "W1", "MN1", ... as the protocol names them) between from and to
// (zero to: now), the last count of them when count is positive; more
// says the server has more.
func (s *Session) Trendbars(ctx context.Context, account, symbol int64, period string, from, to time.Time, count int) (bars []Trendbar, more bool, err error) {
	p, ok := openapi.ProtoOATrendbarPeriod_value[period]
	if !ok {
		return nil, false, rest.Invalid(Name, "unknown trendbar period %q", period)
	}
	f, t, err := window(from, to)
	if err != nil {
		return nil, false, err
	}
	if count < 0 || count > math.MaxUint32 {
		return nil, false, rest.Invalid(Name, "count %d is out of range", count)
	}
	req := &openapi.ProtoOAGetTrendbarsReq{CtidTraderAccountId: proto.Int64(account), SymbolId: proto.Int64(symbol),
		Period: openapi.ProtoOATrendbarPeriod(p).Enum(), FromTimestamp: f, ToTimestamp: t}
	if count > 0 {
		req.Count = proto.Uint32(uint32(count))
	}
	res := &openapi.ProtoOAGetTrendbarsRes{}
	if err := s.call(ctx, account, false, func(string) proto.Message { return req }, res); err != nil {
		return nil, false, err
	}
	for _, b := range res.GetTrendbar() {
		low := b.GetLow()
		bars = append(bars, Trendbar{Time: time.Unix(int64(b.GetUtcTimestampInMinutes())*60, 0),
			Low: decimal.New(low, PriceExponent), Open: deltaPrice(low, b.GetDeltaOpen()),
			High: deltaPrice(low, b.GetDeltaHigh()), Close: deltaPrice(low, b.GetDeltaClose()), Volume: b.GetVolume()})
	}
	return bars, res.GetHasMore(), nil
}

// deltaPrice is low + delta as an exact decimal (1/100000 units), without
// overflow.
func deltaPrice(low int64, delta uint64) decimal.Decimal {
	return decimal.New(low, PriceExponent).Add(Price(delta))
}

// Tick is a historical price.
type Tick struct {
	Time  time.Time
	Price decimal.Decimal
}

// TickData returns symbol's bid ticks (ask ticks when ask) between from
// and to (zero to: now), newest first; more says the server has more. The
// server sends the first tick whole and each later one as the difference
// to the one before it; TickData returns whole ticks.
func (s *Session) TickData(ctx context.Context, account, symbol int64, ask bool, from, to time.Time) (ticks []Tick, more bool, err error) {
	f, t, err := window(from, to)
	if err != nil {
		return nil, false, err
	}
	qt := openapi.ProtoOAQuoteType_BID
	if ask {
		qt = openapi.ProtoOAQuoteType_ASK
	}
	res := &openapi.ProtoOAGetTickDataRes{}
	err = s.call(ctx, account, false, func(string) proto.Message {
		return &openapi.ProtoOAGetTickDataReq{CtidTraderAccountId: proto.Int64(account), SymbolId: proto.Int64(symbol),
			Type: qt.Enum(), FromTimestamp: f, ToTimestamp: t}
	}, res)
	if err != nil {
		return nil, false, err
	}
	var ts, px int64
	for i, td := range res.GetTickData() {
		if i == 0 {
			ts, px = td.GetTimestamp(), td.GetTick()
		} else {
			ts, px = ts+td.GetTimestamp(), px+td.GetTick()
		}
		ticks = append(ticks, Tick{Time: time.UnixMilli(ts), Price: decimal.New(px, PriceExponent)})
	}
	return ticks, res.GetHasMore(), nil
}

// ---------------------------------------------------------------------------
// Conversions.

// volumeWire converts units to the wire's cents, refusing what is not a
// positive whole number of cents.
func volumeWire(v decimal.Decimal) (*int64, error) {
	c := v.Shift(-volumeExp)
	if !v.IsPositive() || !c.IsInteger() || c.GreaterThan(decimal.NewFromInt(math.MaxInt64)) {
		return nil, rest.Invalid(Name, "volume %s is not a positive whole number of cents of a unit", v)
	}
	return proto.Int64(c.IntPart()), nil
}

// priceWire converts a price to the protocol's double; zero is absent.
func priceWire(name string, v decimal.Decimal) (*float64, error) {
	if v.IsZero() {
		return nil, nil
	}
	if v.IsNegative() || !v.Shift(-PriceExponent).IsInteger() || v.GreaterThan(decimal.NewFromInt(1<<40)) {
		return nil, rest.Invalid(Name, "%s %s is not a positive price with at most five decimals", name, v)
	}
	return proto.Float64(v.InexactFloat64()), nil
}

// relativeWire converts a distance to 1/100000 units; zero is absent.
// absolute says the absolute form is set too, which the two exclude.
func relativeWire(name string, v decimal.Decimal, absolute bool) (*int64, error) {
	if v.IsZero() {
		return nil, nil
	}
	c := v.Shift(-PriceExponent)
	if absolute {
		return nil, rest.Invalid(Name, "%s and its absolute form are both set", name)
	}
	if !v.IsPositive() || !c.IsInteger() || c.GreaterThan(decimal.NewFromInt(math.MaxInt64)) {
		return nil, rest.Invalid(Name, "%s %s is not a positive distance with at most five decimals", name, v)
	}
	return proto.Int64(c.IntPart()), nil
}

func newOrderReq(account int64, o *OrderRequest) (*openapi.ProtoOANewOrderReq, error) {
	side, ok := openapi.ProtoOATradeSide_value[string(o.Side)]
	if !ok {
		return nil, rest.Invalid(Name, "side %q is neither BUY nor SELL", o.Side)
	}
	typ, ok := openapi.ProtoOAOrderType_value[string(o.Type)]
	if !ok || o.Type == "STOP_LOSS_TAKE_PROFIT" {
		return nil, rest.Invalid(Name, "order type %q is not one PlaceOrder takes", o.Type)
	}
	if o.SymbolID <= 0 {
		return nil, rest.Invalid(Name, "order has no SymbolID")
	}
	switch {
	case len(o.ClientOrderID) > 50:
		return nil, rest.Invalid(Name, "ClientOrderID is longer than 50 characters")
	case len(o.Label) > 100:
		return nil, rest.Invalid(Name, "Label is longer than 100 characters")
	case len(o.Comment) > 512:
		return nil, rest.Invalid(Name, "Comment is longer than 512 characters")
	case o.SlippagePoints < 0:
		return nil, rest.Invalid(Name, "SlippagePoints %d is negative", o.SlippagePoints)
	}
	req := &openapi.ProtoOANewOrderReq{CtidTraderAccountId: proto.Int64(account), SymbolId: proto.Int64(o.SymbolID),
		OrderType: openapi.ProtoOAOrderType(typ).Enum(), TradeSide: openapi.ProtoOATradeSide(side).Enum(),
		ClientOrderId: proto.String(o.ClientOrderID)}
	var err error
	if req.Volume, err = volumeWire(o.Volume); err != nil {
		return nil, err
	}
	for _, f := range []struct {
		name string
		v    decimal.Decimal
		dst  **float64
	}{{"LimitPrice", o.LimitPrice, &req.LimitPrice}, {"StopPrice", o.StopPrice, &req.StopPrice},
		{"BasePrice", o.BasePrice, &req.BaseSlippagePrice}, {"StopLoss", o.StopLoss, &req.StopLoss},
		{"TakeProfit", o.TakeProfit, &req.TakeProfit}} {
		if *f.dst, err = priceWire(f.name, f.v); err != nil {
			return nil, err
		}
	}
	if req.RelativeStopLoss, err = relativeWire("RelativeStopLoss", o.RelativeStopLoss, req.StopLoss != nil); err != nil {
		return nil, err
	}
	if req.RelativeTakeProfit, err = relativeWire("RelativeTakeProfit", o.RelativeTakeProfit, req.TakeProfit != nil); err != nil {
		return nil, err
	}
	market := o.Type == Market || o.Type == MarketRange
	// Each type takes its own prices and no other.
	need := map[OrderType][]bool{
		Market:      {false, false, false},
		MarketRange: {false, false, true},
		Limit:       {true, false, false},
		Stop:        {false, true, false},
		StopLimit:   {false, true, false},
	}[o.Type]
	for i, have := range []bool{req.LimitPrice != nil, req.StopPrice != nil, req.BaseSlippagePrice != nil} {
		if have != need[i] {
			return nil, rest.Invalid(Name, "a %s order %s %s", o.Type, map[bool]string{true: "needs", false: "takes no"}[need[i]],
				[]string{"LimitPrice", "StopPrice", "BasePrice"}[i])
		}
	}
	switch {
	case o.Type == MarketRange && o.SlippagePoints == 0:
		return nil, rest.Invalid(Name, "a MARKET_RANGE order needs SlippagePoints")
	case o.SlippagePoints > 0 && o.Type != MarketRange && o.Type != StopLimit:
		return nil, rest.Invalid(Name, "a %s order takes no SlippagePoints", o.Type)
	}
	if o.SlippagePoints > 0 {
		req.SlippageInPoints = proto.Int32(o.SlippagePoints)
	}
	if market && (req.StopLoss != nil || req.TakeProfit != nil) {
		return nil, rest.Invalid(Name, "a %s order takes RelativeStopLoss and RelativeTakeProfit, not absolute ones", o.Type)
	}
	if !o.Expires.IsZero() {
		if market {
			return nil, rest.Invalid(Name, "a %s order cannot expire", o.Type)
		}
		req.TimeInForce = openapi.ProtoOATimeInForce_GOOD_TILL_DATE.Enum()
		req.ExpirationTimestamp = proto.Int64(o.Expires.UnixMilli())
	}
	if o.PositionID > 0 {
		req.PositionId = proto.Int64(o.PositionID)
	}
	if o.Label != "" {
		req.Label = proto.String(o.Label)
	}
	if o.Comment != "" {
		req.Comment = proto.String(o.Comment)
	}
	if o.TrailingStopLoss {
		req.TrailingStopLoss = proto.Bool(true)
	}
	if o.GuaranteedStopLoss {
		req.GuaranteedStopLoss = proto.Bool(true)
	}
	return req, nil
}

// dprice converts a protocol double price to an exact decimal (rounded to
// the 1/100000 every price is quoted in); absent is zero.
func dprice(v *float64) decimal.Decimal {
	if v == nil || math.IsNaN(*v) || math.IsInf(*v, 0) {
		return decimal.Zero
	}
	return decimal.NewFromFloat(*v).Round(-PriceExponent)
}

func units(cents int64) decimal.Decimal { return decimal.New(cents, volumeExp) }

// digits reads a moneyDigits field, falling back to DefaultMoneyDigits
// and capping what no int64 amount can have.
func digits(v *uint32) int32 {
	if v == nil || *v > 18 {
		return DefaultMoneyDigits
	}
	return int32(*v)
}

func orderFrom(o *openapi.ProtoOAOrder) *Order {
	td := o.GetTradeData()
	out := &Order{ID: o.GetOrderId(), PositionID: o.GetPositionId(), SymbolID: td.GetSymbolId(), Side: Side(td.GetTradeSide().String()),
		Type: OrderType(o.GetOrderType().String()), Status: o.GetOrderStatus().String(), Volume: units(td.GetVolume()),
		ExecutedVolume: units(o.GetExecutedVolume()), LimitPrice: dprice(o.LimitPrice), StopPrice: dprice(o.StopPrice),
		BasePrice: dprice(o.BaseSlippagePrice), StopLoss: dprice(o.StopLoss), TakeProfit: dprice(o.TakeProfit),
		RelativeStopLoss: decimal.New(o.GetRelativeStopLoss(), PriceExponent), RelativeTakeProfit: decimal.New(o.GetRelativeTakeProfit(), PriceExponent),
		ExecutionPrice: dprice(o.ExecutionPrice), SlippagePoints: o.GetSlippageInPoints(), TimeInForce: o.GetTimeInForce().String(),
		ClientOrderID: o.GetClientOrderId(), Label: td.GetLabel(), Comment: td.GetComment(), Closing: o.GetClosingOrder(),
		TrailingStopLoss: o.GetTrailingStopLoss(), Opened: msTime(td.GetOpenTimestamp()), Updated: msTime(o.GetUtcLastUpdateTimestamp()),
		Expires: msTime(o.GetExpirationTimestamp())}
	return out
}

func positionFrom(p *openapi.ProtoOAPosition) *Position {
	td := p.GetTradeData()
	md := digits(p.MoneyDigits)
	used := p.GetUsedMargin()
	return &Position{ID: p.GetPositionId(), SymbolID: td.GetSymbolId(), Side: Side(td.GetTradeSide().String()),
		Status: p.GetPositionStatus().String(), Volume: units(td.GetVolume()), Price: dprice(p.Price),
		StopLoss: dprice(p.StopLoss), TakeProfit: dprice(p.TakeProfit), Swap: Money(p.GetSwap(), md),
		Commission: Money(p.GetCommission(), md), UsedMargin: decimal.NewFromUint64(used).Shift(-md), MoneyDigits: md,
		Label: td.GetLabel(), Comment: td.GetComment(), GuaranteedStopLoss: p.GetGuaranteedStopLoss(), Trailing: p.GetTrailingStopLoss(),
		Opened: msTime(td.GetOpenTimestamp()), Updated: msTime(p.GetUtcLastUpdateTimestamp()), Closed: msTime(int64(min(td.GetCloseTimestamp(), math.MaxInt64)))}
}

func dealFrom(d *openapi.ProtoOADeal) *Deal {
	md := digits(d.MoneyDigits)
	out := &Deal{ID: d.GetDealId(), OrderID: d.GetOrderId(), PositionID: d.GetPositionId(), SymbolID: d.GetSymbolId(),
		Side: Side(d.GetTradeSide().String()), Status: d.GetDealStatus().String(), Volume: units(d.GetVolume()),
		FilledVolume: units(d.GetFilledVolume()), Price: dprice(d.ExecutionPrice), Commission: Money(d.GetCommission(), md),
		MoneyDigits: md, Created: msTime(d.GetCreateTimestamp()), Executed: msTime(d.GetExecutionTimestamp())}
	if c := d.GetClosePositionDetail(); c != nil {
		cmd := md
		if c.MoneyDigits != nil {
			cmd = digits(c.MoneyDigits)
		}
		out.Close = &CloseDetail{EntryPrice: dprice(c.EntryPrice), GrossProfit: Money(c.GetGrossProfit(), cmd),
			Swap: Money(c.GetSwap(), cmd), Commission: Money(c.GetCommission(), cmd), Balance: Money(c.GetBalance(), cmd),
			ClosedVolume: units(c.GetClosedVolume())}
	}
	return out
}

// execution converts a wire execution event; the error code is cleaned
// like every other server text.
func (s *Session) execution(m *openapi.ProtoOAExecutionEvent) *Execution {
	ex := &Execution{AccountID: m.GetCtidTraderAccountId(), Type: m.GetExecutionType().String(),
		ErrorCode: redact.Text(m.GetErrorCode(), s.secrets()...), ServerEvent: m.GetIsServerEvent()}
	if m.Order != nil {
		ex.Order = orderFrom(m.Order)
	}
	if m.Position != nil {
		ex.Position = positionFrom(m.Position)
	}
	if m.Deal != nil {
		ex.Deal = dealFrom(m.Deal)
	}
	return ex
}
