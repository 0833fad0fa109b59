package spotwaretest

import (
	"math"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/brokerkit/brokerkit/spotware/openapi"
	"github.com/shopspring/decimal"
	"google.golang.org/protobuf/proto"
)

// The emulator's trading model, stated once:
//
//   - Orders fill at tick 0 of the symbol's price stream (PriceAt(id, 0)):
//     buys at its ask, sells at its bid. Prices do not move for trading,
//     so a test knows every fill price in advance.
//   - Used margin is volume (units) × entry price ÷ leverage, counted in the
//     deposit currency (conversion rate 1). A market order whose margin
//     exceeds balance minus the margin already used is refused with a
//     ProtoOAOrderErrorEvent NOT_ENOUGH_MONEY.
//   - Closing realizes (close − entry) × units (negated for sells) into the
//     balance, at conversion rate 1, scaled by the account's moneyDigits.
//   - A limit or stop order the market already reached fills at once;
//     otherwise it stays pending until cancelled.
//   - Every change goes out as a ProtoOAExecutionEvent: with the request's
//     clientMsgId on the connection that asked, without one on every other
//     connection that authorized the account.

// withheldID stands for the clientMsgId of a request whose answers
// WithholdNext drops.
const withheldID = "\x00withheld"

// Volume limits of the seeded symbols, in cents of a unit.
const (
	fxLotSize   int64 = 10_000_000 // 100,000 units
	goldLotSize int64 = 10_000     // 100 ounces
)

// volumes returns a symbol's lot size, minimum, step and maximum volume
// in cents: 0.01 lot to 100 lots in steps of 0.01 lot.
func volumes(sy *symbol) (lot, minV, step, maxV int64) {
	lot = fxLotSize
	if sy.id == XAUUSD {
		lot = goldLotSize
	}
	return lot, lot / 100, lot / 100, lot * 100
}

// ledger is one account's trading state.
type ledger struct {
	balance   int64
	positions map[int64]*openapi.ProtoOAPosition
	pending   map[int64]*openapi.ProtoOAOrder
	orders    []*openapi.ProtoOAOrder // every order, by id
	deals     []*openapi.ProtoOADeal
}

// book is the server's trading state.
type book struct {
	mu      sync.Mutex
	nextID  int64
	ledgers map[int64]*ledger
}

// ledger returns acct's state, seeding it on first use. Callers hold mu.
func (b *book) ledger(a *account) *ledger {
	if b.ledgers == nil {
		b.ledgers = map[int64]*ledger{}
	}
	l := b.ledgers[a.id]
	if l == nil {
		l = &ledger{balance: a.balance, positions: map[int64]*openapi.ProtoOAPosition{}, pending: map[int64]*openapi.ProtoOAOrder{}}
		b.ledgers[a.id] = l
	}
	return l
}

// balance returns a's balance after its trades.
func (b *book) balance(a *account) int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.ledger(a).balance
}

func (b *book) id() int64 {
	b.nextID++
	return 100_000 + b.nextID
}

// trade handles the trading and history requests; false means t is not one
// of them.
func (p *peer) trade(id string, t uint32, payload []byte) bool {
	switch openapi.ProtoOAPayloadType(t) {
	case openapi.ProtoOAPayloadType_PROTO_OA_NEW_ORDER_REQ:
		serve(p, id, payload, &openapi.ProtoOANewOrderReq{}, p.tradeAccount, p.newOrder)
	case openapi.ProtoOAPayloadType_PROTO_OA_CANCEL_ORDER_REQ:
		serve(p, id, payload, &openapi.ProtoOACancelOrderReq{}, p.tradeAccount, p.cancelOrder)
	case openapi.ProtoOAPayloadType_PROTO_OA_AMEND_ORDER_REQ:
		serve(p, id, payload, &openapi.ProtoOAAmendOrderReq{}, p.tradeAccount, p.amendOrder)
	case openapi.ProtoOAPayloadType_PROTO_OA_AMEND_POSITION_SLTP_REQ:
		serve(p, id, payload, &openapi.ProtoOAAmendPositionSLTPReq{}, p.tradeAccount, p.amendSLTP)
	case openapi.ProtoOAPayloadType_PROTO_OA_CLOSE_POSITION_REQ:
		serve(p, id, payload, &openapi.ProtoOAClosePositionReq{}, p.tradeAccount, p.closePosition)
	case openapi.ProtoOAPayloadType_PROTO_OA_RECONCILE_REQ:
		serve(p, id, payload, &openapi.ProtoOAReconcileReq{}, p.requireAccount, p.reconcile)
	case openapi.ProtoOAPayloadType_PROTO_OA_DEAL_LIST_REQ:
		serve(p, id, payload, &openapi.ProtoOADealListReq{}, p.requireAccount, p.dealList)
	case openapi.ProtoOAPayloadType_PROTO_OA_ORDER_LIST_REQ:
		serve(p, id, payload, &openapi.ProtoOAOrderListReq{}, p.requireAccount, p.orderList)
	case openapi.ProtoOAPayloadType_PROTO_OA_GET_TRENDBARS_REQ:
		serve(p, id, payload, &openapi.ProtoOAGetTrendbarsReq{}, p.requireAccount, p.trendbars)
	case openapi.ProtoOAPayloadType_PROTO_OA_GET_TICKDATA_REQ:
		serve(p, id, payload, &openapi.ProtoOAGetTickDataReq{}, p.requireAccount, p.tickData)
	default:
		return false
	}
	return true
}

// accountReq is a request that names a trading account.
type accountReq interface {
	proto.Message
	GetCtidTraderAccountId() int64
}

// serve decodes payload into req and, once check accepts the account it
// names, hands it to handle. decode and check answer their own errors.
func serve[R accountReq](p *peer, id string, payload []byte, req R, check func(string, int64) bool, handle func(string, R)) {
	if p.decode(id, payload, req) && check(id, req.GetCtidTraderAccountId()) {
		handle(id, req)
	}
}

// tradeAccount checks that acct is authorized with a token granted the
// trading scope.
func (p *peer) tradeAccount(id string, acct int64) bool {
	if !p.requireAccount(id, acct) {
		return false
	}
	p.mu.Lock()
	tok := p.accounts[acct].token
	p.mu.Unlock()
	if g, code, _ := p.s.checkToken(tok); code != "" || !g.HasScope("trading") {
		p.sendErr(id, acct, oaCode(openapi.ProtoOAErrorCode_TRADING_NOT_ALLOWED), "The access token has no trading scope")
		return false
	}
	return true
}

// toWire and fromWire convert between protocol doubles and 1/100000 units.
func toWire(v float64) int64   { return int64(math.Round(v * 1e5)) }
func fromWire(v int64) float64 { return decimal.New(v, -5).InexactFloat64() }

// market returns the price an order of side fills at: the ask for buys,
// the bid for sells.
func market(sid int64, side openapi.ProtoOATradeSide) int64 {
	t, _ := PriceAt(sid, 0)
	if side == openapi.ProtoOATradeSide_BUY {
		return int64(t.Ask)
	}
	return int64(t.Bid)
}

func opposite(side openapi.ProtoOATradeSide) openapi.ProtoOATradeSide {
	if side == openapi.ProtoOATradeSide_BUY {
		return openapi.ProtoOATradeSide_SELL
	}
	return openapi.ProtoOATradeSide_BUY
}

// margin is volume × price ÷ leverage in the account's money units.
func margin(a *account, volume, price int64) int64 {
	m := decimal.New(volume, -2).Mul(decimal.New(price, -5)).Mul(decimal.NewFromInt(100)).
		Div(decimal.NewFromInt(int64(a.leverage))).Shift(int32(a.moneyDigits))
	return m.Ceil().IntPart()
}

func (l *ledger) usedMargin() int64 {
	var n int64
	for _, pos := range l.positions {
		n += int64(pos.GetUsedMargin())
	}
	return n
}

func (p *peer) now() time.Time { return p.s.opts.now() }

// checkVolume answers TRADING_BAD_VOLUME for a volume off the symbol's
// limits or step.
func (p *peer) checkVolume(id string, acct int64, sy *symbol, v int64) bool {
	_, minV, step, maxV := volumes(sy)
	if v < minV || v > maxV || v%step != 0 {
		p.sendErr(id, acct, oaCode(openapi.ProtoOAErrorCode_TRADING_BAD_VOLUME),
			"Volume "+strconv.FormatInt(v, 10)+" is outside ["+strconv.FormatInt(minV, 10)+", "+strconv.FormatInt(maxV, 10)+"] or off step "+strconv.FormatInt(step, 10))
		return false
	}
	return true
}

// stopsOK reports whether stop loss sl and take profit tp (0: none, 1/100000
// units) lie on the right sides of price for side.
func stopsOK(side openapi.ProtoOATradeSide, price, sl, tp int64) bool {
	if side == openapi.ProtoOATradeSide_BUY {
		return (sl == 0 || sl < price) && (tp == 0 || tp > price)
	}
	return (sl == 0 || sl > price) && (tp == 0 || tp < price)
}

// symbol finds a seeded symbol, answering SYMBOL_NOT_FOUND itself when
// there is none.
func (p *peer) symbol(id string, acct, symbolID int64) *symbol {
	sy := findSymbol(symbolID)
	if sy == nil {
		p.sendErr(id, acct, oaCode(openapi.ProtoOAErrorCode_SYMBOL_NOT_FOUND), "Symbol "+strconv.FormatInt(symbolID, 10)+" is not found")
	}
	return sy
}

func (p *peer) newOrder(id string, req *openapi.ProtoOANewOrderReq) {
	acct := req.GetCtidTraderAccountId()
	a := findAccount(acct)
	sy := p.symbol(id, acct, req.GetSymbolId())
	if sy == nil {
		return
	}
	if !p.checkVolume(id, acct, sy, req.GetVolume()) {
		return
	}
	typ, side := req.GetOrderType(), req.GetTradeSide()
	bad := func(code openapi.ProtoOAErrorCode, desc string) {
		p.sendErr(id, acct, oaCode(code), desc)
	}
	switch typ {
	case openapi.ProtoOAOrderType_MARKET:
		if req.StopLoss != nil || req.TakeProfit != nil {
			bad(openapi.ProtoOAErrorCode_TRADING_BAD_STOPS, "Absolute stop loss and take profit are not supported for market orders")
			return
		}
	case openapi.ProtoOAOrderType_MARKET_RANGE:
		if req.BaseSlippagePrice == nil || req.SlippageInPoints == nil {
			bad(openapi.ProtoOAErrorCode_TRADING_BAD_PRICES, "A market range order needs baseSlippagePrice and slippageInPoints")
			return
		}
	case openapi.ProtoOAOrderType_LIMIT:
		if req.GetLimitPrice() <= 0 {
			bad(openapi.ProtoOAErrorCode_TRADING_BAD_PRICES, "A limit order needs limitPrice")
			return
		}
	case openapi.ProtoOAOrderType_STOP, openapi.ProtoOAOrderType_STOP_LIMIT:
		if req.GetStopPrice() <= 0 {
			bad(openapi.ProtoOAErrorCode_TRADING_BAD_PRICES, "A stop order needs stopPrice")
			return
		}
	default:
		bad(openapi.ProtoOAErrorCode_TRADING_BAD_PRICES, "Order type "+typ.String()+" cannot be placed")
		return
	}
	now := p.now().UnixMilli()
	l := p.lockLedger(acct)
	o := &openapi.ProtoOAOrder{OrderId: proto.Int64(p.s.trade.id()), OrderType: typ.Enum(),
		OrderStatus: openapi.ProtoOAOrderStatus_ORDER_STATUS_ACCEPTED.Enum(),
		TradeData: &openapi.ProtoOATradeData{SymbolId: proto.Int64(sy.id), Volume: proto.Int64(req.GetVolume()), TradeSide: side.Enum(),
			OpenTimestamp: proto.Int64(now), Label: req.Label, Comment: req.Comment},
		UtcLastUpdateTimestamp: proto.Int64(now), ClientOrderId: req.ClientOrderId, LimitPrice: req.LimitPrice, StopPrice: req.StopPrice,
		StopLoss: req.StopLoss, TakeProfit: req.TakeProfit, RelativeStopLoss: req.RelativeStopLoss, RelativeTakeProfit: req.RelativeTakeProfit,
		BaseSlippagePrice: req.BaseSlippagePrice, ExpirationTimestamp: req.ExpirationTimestamp,
		TimeInForce: req.GetTimeInForce().Enum(), PositionId: proto.Int64(p.s.trade.id())}
	if req.SlippageInPoints != nil {
		o.SlippageInPoints = proto.Int64(int64(req.GetSlippageInPoints()))
	}
	if typ == openapi.ProtoOAOrderType_MARKET || typ == openapi.ProtoOAOrderType_MARKET_RANGE {
		o.TimeInForce = openapi.ProtoOATimeInForce_IMMEDIATE_OR_CANCEL.Enum()
	}
	price := market(sy.id, side)
	point := int64(math.Pow10(int(5 - sy.digits)))
	fill := false
	switch typ {
	case openapi.ProtoOAOrderType_MARKET, openapi.ProtoOAOrderType_MARKET_RANGE:
		fill = true
	case openapi.ProtoOAOrderType_LIMIT:
		lp := toWire(req.GetLimitPrice())
		fill = (side == openapi.ProtoOATradeSide_BUY && price <= lp) || (side == openapi.ProtoOATradeSide_SELL && price >= lp)
	case openapi.ProtoOAOrderType_STOP, openapi.ProtoOAOrderType_STOP_LIMIT:
		sp := toWire(req.GetStopPrice())
		fill = (side == openapi.ProtoOATradeSide_BUY && price >= sp) || (side == openapi.ProtoOATradeSide_SELL && price <= sp)
	}
	if !fill {
		sl, tp := toWire(req.GetStopLoss()), toWire(req.GetTakeProfit())
		entry := toWire(req.GetLimitPrice() + req.GetStopPrice())
		if !stopsOK(side, entry, sl, tp) {
			p.unlockRefuse(id, acct, openapi.ProtoOAErrorCode_TRADING_BAD_STOPS, "Stop loss or take profit is on the wrong side of the order price")
			return
		}
		l.pending[o.GetOrderId()] = o
		l.orders = append(l.orders, o)
		pos := &openapi.ProtoOAPosition{PositionId: proto.Int64(o.GetPositionId()), TradeData: proto.Clone(o.TradeData).(*openapi.ProtoOATradeData),
			PositionStatus: openapi.ProtoOAPositionStatus_POSITION_STATUS_CREATED.Enum(), Swap: proto.Int64(0), MoneyDigits: proto.Uint32(a.moneyDigits)}
		p.unlockBroadcast(id, acct, p.event(acct, openapi.ProtoOAExecutionType_ORDER_ACCEPTED, o, pos, nil))
		return
	}
	need := margin(a, req.GetVolume(), price)
	if free := l.balance - l.usedMargin(); need > free { // read under the lock
		p.s.trade.mu.Unlock()
		p.send(id, &openapi.ProtoOAOrderErrorEvent{CtidTraderAccountId: proto.Int64(acct), ErrorCode: proto.String(oaCode(openapi.ProtoOAErrorCode_NOT_ENOUGH_MONEY)),
			OrderId: o.OrderId, Description: proto.String("Not enough money: the order needs margin " + strconv.FormatInt(need, 10) +
				", free margin is " + strconv.FormatInt(free, 10))})
		return
	}
	accepted := p.event(acct, openapi.ProtoOAExecutionType_ORDER_ACCEPTED, proto.Clone(o).(*openapi.ProtoOAOrder), nil, nil)
	l.orders = append(l.orders, o)
	if typ == openapi.ProtoOAOrderType_MARKET_RANGE && abs(price-toWire(req.GetBaseSlippagePrice())) > int64(req.GetSlippageInPoints())*point {
		o.OrderStatus = openapi.ProtoOAOrderStatus_ORDER_STATUS_CANCELLED.Enum()
		cancelled := p.event(acct, openapi.ProtoOAExecutionType_ORDER_CANCELLED, o, nil, nil)
		p.unlockBroadcast(id, acct, accepted, cancelled)
		return
	}
	filled := p.fill(l, a, o, price, now)
	p.unlockBroadcast(id, acct, accepted, filled)
}

func abs(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}

// fill executes o at price: a deal, and a new position with o's stops
// (relative ones measured from price). Callers hold the book's lock.
func (p *peer) fill(l *ledger, a *account, o *openapi.ProtoOAOrder, price, now int64) *openapi.ProtoOAExecutionEvent {
	td := o.GetTradeData()
	side := td.GetTradeSide()
	sign := int64(1)
	if side == openapi.ProtoOATradeSide_SELL {
		sign = -1
	}
	o.OrderStatus = openapi.ProtoOAOrderStatus_ORDER_STATUS_FILLED.Enum()
	o.ExecutionPrice = proto.Float64(fromWire(price))
	o.ExecutedVolume = proto.Int64(td.GetVolume())
	o.UtcLastUpdateTimestamp = proto.Int64(now)
	pos := &openapi.ProtoOAPosition{PositionId: proto.Int64(o.GetPositionId()), TradeData: proto.Clone(td).(*openapi.ProtoOATradeData),
		PositionStatus: openapi.ProtoOAPositionStatus_POSITION_STATUS_OPEN.Enum(), Swap: proto.Int64(0), Price: proto.Float64(fromWire(price)),
		StopLoss: o.StopLoss, TakeProfit: o.TakeProfit, UtcLastUpdateTimestamp: proto.Int64(now), Commission: proto.Int64(0),
		UsedMargin: proto.Uint64(uint64(margin(a, td.GetVolume(), price))), MoneyDigits: proto.Uint32(a.moneyDigits)}
	pos.TradeData.OpenTimestamp = proto.Int64(now)
	if o.RelativeStopLoss != nil {
		pos.StopLoss = proto.Float64(fromWire(price - sign*o.GetRelativeStopLoss()))
	}
	if o.RelativeTakeProfit != nil {
		pos.TakeProfit = proto.Float64(fromWire(price + sign*o.GetRelativeTakeProfit()))
	}
	l.positions[pos.GetPositionId()] = pos
	deal := &openapi.ProtoOADeal{DealId: proto.Int64(p.s.trade.id()), OrderId: o.OrderId, PositionId: pos.PositionId,
		Volume: proto.Int64(td.GetVolume()), FilledVolume: proto.Int64(td.GetVolume()), SymbolId: proto.Int64(td.GetSymbolId()),
		CreateTimestamp: proto.Int64(now), ExecutionTimestamp: proto.Int64(now), UtcLastUpdateTimestamp: proto.Int64(now),
		ExecutionPrice: proto.Float64(fromWire(price)), TradeSide: side.Enum(), DealStatus: openapi.ProtoOADealStatus_FILLED.Enum(),
		Commission: proto.Int64(0), MoneyDigits: proto.Uint32(a.moneyDigits)}
	l.deals = append(l.deals, deal)
	return p.event(a.id, openapi.ProtoOAExecutionType_ORDER_FILLED, o, pos, deal)
}

// event builds an execution event from copies of the entities, so that
// later changes do not reach a frame not yet written.
func (p *peer) event(acct int64, typ openapi.ProtoOAExecutionType, o *openapi.ProtoOAOrder, pos *openapi.ProtoOAPosition, deal *openapi.ProtoOADeal) *openapi.ProtoOAExecutionEvent {
	ev := &openapi.ProtoOAExecutionEvent{CtidTraderAccountId: proto.Int64(acct), ExecutionType: typ.Enum()}
	if o != nil {
		ev.Order = proto.Clone(o).(*openapi.ProtoOAOrder)
	}
	if pos != nil {
		ev.Position = proto.Clone(pos).(*openapi.ProtoOAPosition)
	}
	if deal != nil {
		ev.Deal = proto.Clone(deal).(*openapi.ProtoOADeal)
	}
	return ev
}

// broadcast sends evs to the asking connection with its clientMsgId and to
// every other connection that authorized acct without one (unless the
// streams are stalled: Faults().StallStreams).
func (p *peer) broadcast(id string, acct int64, evs ...*openapi.ProtoOAExecutionEvent) {
	for _, ev := range evs {
		p.send(id, ev)
	}
	p.s.mu.Lock()
	others := make([]*peer, 0, len(p.s.peers))
	for o := range p.s.peers {
		if o != p {
			others = append(others, o)
		}
	}
	p.s.mu.Unlock()
	if p.s.eng.Faults().StreamsStalled() {
		// A stalled stream: the other connections get their heartbeats
		// but not the events, which a client recovers from its snapshot
		// (ProtoOAReconcileReq, the order list).
		return
	}
	for _, o := range others {
		o.mu.Lock()
		_, ok := o.accounts[acct]
		o.mu.Unlock()
		if ok {
			for _, ev := range evs {
				o.send("", ev)
			}
		}
	}
}

// pendingOrder locks the trading book and returns acct's ledger and its
// pending order orderID; the caller then holds the lock and releases it
// (unlockBroadcast, unlockRefuse). On a miss it unlocks, answers
// ORDER_NOT_FOUND and returns false.
func (p *peer) pendingOrder(id string, acct, orderID int64) (*ledger, *openapi.ProtoOAOrder, bool) {
	return lockedEntry(p, id, acct, orderID, func(l *ledger) map[int64]*openapi.ProtoOAOrder { return l.pending },
		openapi.ProtoOAErrorCode_ORDER_NOT_FOUND, "Order")
}

// openPosition is pendingOrder for acct's open position positionID,
// answering POSITION_NOT_FOUND on a miss.
func (p *peer) openPosition(id string, acct, positionID int64) (*ledger, *openapi.ProtoOAPosition, bool) {
	return lockedEntry(p, id, acct, positionID, func(l *ledger) map[int64]*openapi.ProtoOAPosition { return l.positions },
		openapi.ProtoOAErrorCode_POSITION_NOT_FOUND, "Position")
}

// lockedEntry locks the trading book and looks key up in table of acct's
// ledger. On a hit it returns with the lock held; on a miss it unlocks and
// answers code with "<what> <key> is not found".
func lockedEntry[V any](p *peer, id string, acct, key int64, table func(*ledger) map[int64]*V, code openapi.ProtoOAErrorCode, what string) (*ledger, *V, bool) {
	l := p.lockLedger(acct)
	v := table(l)[key]
	if v == nil {
		p.unlockRefuse(id, acct, code, what+" "+strconv.FormatInt(key, 10)+" is not found")
		return nil, nil, false
	}
	return l, v, true
}

// lockLedger locks the trading book and returns acct's ledger; the caller
// releases the lock (unlockSend, unlockBroadcast, unlockRefuse).
func (p *peer) lockLedger(acct int64) *ledger {
	p.s.trade.mu.Lock()
	return p.s.trade.ledger(findAccount(acct))
}

// unlockSend releases the trading book's lock, then answers m.
func (p *peer) unlockSend(id string, m proto.Message) {
	p.s.trade.mu.Unlock()
	p.send(id, m)
}

// unlockBroadcast releases the trading book's lock, then broadcasts evs.
func (p *peer) unlockBroadcast(id string, acct int64, evs ...*openapi.ProtoOAExecutionEvent) {
	p.s.trade.mu.Unlock()
	p.broadcast(id, acct, evs...)
}

// unlockRefuse releases the trading book's lock, then answers code and desc.
func (p *peer) unlockRefuse(id string, acct int64, code openapi.ProtoOAErrorCode, desc string) {
	p.s.trade.mu.Unlock()
	p.sendErr(id, acct, oaCode(code), desc)
}

func (p *peer) cancelOrder(id string, req *openapi.ProtoOACancelOrderReq) {
	acct := req.GetCtidTraderAccountId()
	l, o, ok := p.pendingOrder(id, acct, req.GetOrderId())
	if !ok {
		return
	}
	delete(l.pending, o.GetOrderId())
	o.OrderStatus = openapi.ProtoOAOrderStatus_ORDER_STATUS_CANCELLED.Enum()
	o.UtcLastUpdateTimestamp = proto.Int64(p.now().UnixMilli())
	p.unlockBroadcast(id, acct, p.event(acct, openapi.ProtoOAExecutionType_ORDER_CANCELLED, o, nil, nil))
}

func (p *peer) amendOrder(id string, req *openapi.ProtoOAAmendOrderReq) {
	acct := req.GetCtidTraderAccountId()
	_, o, ok := p.pendingOrder(id, acct, req.GetOrderId())
	if !ok {
		return
	}
	if req.Volume != nil && !p.checkVolume(id, acct, findSymbol(o.GetTradeData().GetSymbolId()), req.GetVolume()) {
		p.s.trade.mu.Unlock()
		return
	}
	next := proto.Clone(o).(*openapi.ProtoOAOrder)
	if req.Volume != nil {
		next.TradeData.Volume = req.Volume
	}
	if req.LimitPrice != nil {
		next.LimitPrice = req.LimitPrice
	}
	if req.StopPrice != nil {
		next.StopPrice = req.StopPrice
	}
	if req.ExpirationTimestamp != nil {
		next.ExpirationTimestamp = req.ExpirationTimestamp
	}
	next.StopLoss, next.TakeProfit = req.StopLoss, req.TakeProfit
	next.RelativeStopLoss, next.RelativeTakeProfit = req.RelativeStopLoss, req.RelativeTakeProfit
	if req.SlippageInPoints != nil {
		next.SlippageInPoints = proto.Int64(int64(req.GetSlippageInPoints()))
	}
	entry := toWire(next.GetLimitPrice() + next.GetStopPrice())
	if !stopsOK(next.GetTradeData().GetTradeSide(), entry, toWire(next.GetStopLoss()), toWire(next.GetTakeProfit())) {
		p.unlockRefuse(id, acct, openapi.ProtoOAErrorCode_TRADING_BAD_STOPS, "Stop loss or take profit is on the wrong side of the order price")
		return
	}
	next.UtcLastUpdateTimestamp = proto.Int64(p.now().UnixMilli())
	proto.Reset(o)
	proto.Merge(o, next)
	p.unlockBroadcast(id, acct, p.event(acct, openapi.ProtoOAExecutionType_ORDER_REPLACED, o, nil, nil))
}

func (p *peer) amendSLTP(id string, req *openapi.ProtoOAAmendPositionSLTPReq) {
	acct := req.GetCtidTraderAccountId()
	_, pos, ok := p.openPosition(id, acct, req.GetPositionId())
	if !ok {
		return
	}
	side := pos.GetTradeData().GetTradeSide()
	// Stops are checked against the price the position would close at.
	if !stopsOK(side, market(pos.GetTradeData().GetSymbolId(), opposite(side)), toWire(req.GetStopLoss()), toWire(req.GetTakeProfit())) {
		p.unlockRefuse(id, acct, openapi.ProtoOAErrorCode_TRADING_BAD_STOPS, "Stop loss or take profit is on the wrong side of the market")
		return
	}
	pos.StopLoss, pos.TakeProfit = req.StopLoss, req.TakeProfit
	pos.UtcLastUpdateTimestamp = proto.Int64(p.now().UnixMilli())
	p.unlockBroadcast(id, acct, p.event(acct, openapi.ProtoOAExecutionType_ORDER_REPLACED, nil, pos, nil))
}

func (p *peer) closePosition(id string, req *openapi.ProtoOAClosePositionReq) {
	acct := req.GetCtidTraderAccountId()
	l, pos, ok := p.openPosition(id, acct, req.GetPositionId())
	if !ok {
		return
	}
	a := findAccount(acct)
	b := &p.s.trade
	td := pos.GetTradeData()
	sy := findSymbol(td.GetSymbolId())
	v := req.GetVolume()
	if _, _, step, _ := volumes(sy); v <= 0 || v > td.GetVolume() || v%step != 0 {
		p.unlockRefuse(id, acct, openapi.ProtoOAErrorCode_TRADING_BAD_VOLUME, "Volume "+strconv.FormatInt(v, 10)+" cannot be closed")
		return
	}
	now := p.now().UnixMilli()
	side := opposite(td.GetTradeSide())
	price := market(sy.id, side)
	o := &openapi.ProtoOAOrder{OrderId: proto.Int64(b.id()), OrderType: openapi.ProtoOAOrderType_MARKET.Enum(),
		OrderStatus:    openapi.ProtoOAOrderStatus_ORDER_STATUS_FILLED.Enum(),
		TradeData:      &openapi.ProtoOATradeData{SymbolId: proto.Int64(sy.id), Volume: proto.Int64(v), TradeSide: side.Enum(), OpenTimestamp: proto.Int64(now)},
		ExecutionPrice: proto.Float64(fromWire(price)), ExecutedVolume: proto.Int64(v), UtcLastUpdateTimestamp: proto.Int64(now),
		ClosingOrder: proto.Bool(true), PositionId: pos.PositionId, TimeInForce: openapi.ProtoOATimeInForce_IMMEDIATE_OR_CANCEL.Enum()}
	accepted := proto.Clone(o).(*openapi.ProtoOAOrder)
	accepted.OrderStatus = openapi.ProtoOAOrderStatus_ORDER_STATUS_ACCEPTED.Enum()
	accepted.ExecutionPrice, accepted.ExecutedVolume = nil, nil
	entry := toWire(pos.GetPrice())
	diff := price - entry
	if td.GetTradeSide() == openapi.ProtoOATradeSide_SELL {
		diff = -diff
	}
	gross := decimal.New(diff, -5).Mul(decimal.New(v, -2)).Shift(int32(a.moneyDigits)).Round(0).IntPart()
	l.balance += gross
	remaining := td.GetVolume() - v
	usedBefore := int64(pos.GetUsedMargin())
	td.Volume = proto.Int64(remaining)
	pos.UsedMargin = proto.Uint64(uint64(usedBefore - usedBefore*v/(v+remaining)))
	pos.UtcLastUpdateTimestamp = proto.Int64(now)
	if remaining == 0 {
		pos.PositionStatus = openapi.ProtoOAPositionStatus_POSITION_STATUS_CLOSED.Enum()
		td.CloseTimestamp = proto.Uint64(uint64(now))
		delete(l.positions, pos.GetPositionId())
	}
	deal := &openapi.ProtoOADeal{DealId: proto.Int64(b.id()), OrderId: o.OrderId, PositionId: pos.PositionId,
		Volume: proto.Int64(v), FilledVolume: proto.Int64(v), SymbolId: proto.Int64(sy.id),
		CreateTimestamp: proto.Int64(now), ExecutionTimestamp: proto.Int64(now), UtcLastUpdateTimestamp: proto.Int64(now),
		ExecutionPrice: proto.Float64(fromWire(price)), TradeSide: side.Enum(), DealStatus: openapi.ProtoOADealStatus_FILLED.Enum(),
		Commission: proto.Int64(0), MoneyDigits: proto.Uint32(a.moneyDigits),
		ClosePositionDetail: &openapi.ProtoOAClosePositionDetail{EntryPrice: pos.Price, GrossProfit: proto.Int64(gross), Swap: proto.Int64(0),
			Commission: proto.Int64(0), Balance: proto.Int64(l.balance), ClosedVolume: proto.Int64(v), MoneyDigits: proto.Uint32(a.moneyDigits)}}
	l.orders = append(l.orders, o)
	l.deals = append(l.deals, deal)
	evs := []*openapi.ProtoOAExecutionEvent{
		p.event(acct, openapi.ProtoOAExecutionType_ORDER_ACCEPTED, accepted, pos, nil),
		p.event(acct, openapi.ProtoOAExecutionType_ORDER_FILLED, o, pos, deal),
	}
	p.unlockBroadcast(id, acct, evs...)
}

func (p *peer) reconcile(id string, req *openapi.ProtoOAReconcileReq) {
	acct := req.GetCtidTraderAccountId()
	l := p.lockLedger(acct)
	res := &openapi.ProtoOAReconcileRes{CtidTraderAccountId: proto.Int64(acct)}
	for _, k := range slices.Sorted(mapKeys(l.positions)) {
		res.Position = append(res.Position, proto.Clone(l.positions[k]).(*openapi.ProtoOAPosition))
	}
	for _, k := range slices.Sorted(mapKeys(l.pending)) {
		res.Order = append(res.Order, proto.Clone(l.pending[k]).(*openapi.ProtoOAOrder))
	}
	p.unlockSend(id, res)
}

func mapKeys[V any](m map[int64]V) func(func(int64) bool) {
	return func(yield func(int64) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// maxTimestamp is the largest time the history requests take
// (2147483646000, 19 January 2038).
const maxTimestamp int64 = 2_147_483_646_000

// window checks a history request's [from, to], answering
// INCORRECT_BOUNDARIES when it is out of range or reversed.
func (p *peer) window(id string, acct int64, from, to *int64) (int64, int64, bool) {
	f, t := int64(0), maxTimestamp
	if from != nil {
		f = *from
	}
	if to != nil {
		t = *to
	}
	if f < 0 || t > maxTimestamp || f > t {
		p.sendErr(id, acct, oaCode(openapi.ProtoOAErrorCode_INCORRECT_BOUNDARIES), "fromTimestamp and toTimestamp are out of range or reversed")
		return 0, 0, false
	}
	return f, t, true
}

func (p *peer) dealList(id string, req *openapi.ProtoOADealListReq) {
	acct := req.GetCtidTraderAccountId()
	from, to, ok := p.window(id, acct, req.FromTimestamp, req.ToTimestamp)
	if !ok {
		return
	}
	l := p.lockLedger(acct)
	res := &openapi.ProtoOADealListRes{CtidTraderAccountId: proto.Int64(acct), HasMore: proto.Bool(false)}
	for _, d := range l.deals {
		if ts := d.GetExecutionTimestamp(); ts >= from && ts <= to {
			if mr := req.GetMaxRows(); mr > 0 && len(res.Deal) >= int(mr) {
				res.HasMore = proto.Bool(true)
				break
			}
			res.Deal = append(res.Deal, proto.Clone(d).(*openapi.ProtoOADeal))
		}
	}
	p.unlockSend(id, res)
}

func (p *peer) orderList(id string, req *openapi.ProtoOAOrderListReq) {
	acct := req.GetCtidTraderAccountId()
	from, to, ok := p.window(id, acct, req.FromTimestamp, req.ToTimestamp)
	if !ok {
		return
	}
	l := p.lockLedger(acct)
	res := &openapi.ProtoOAOrderListRes{CtidTraderAccountId: proto.Int64(acct), HasMore: proto.Bool(false)}
	for _, o := range l.orders {
		if ts := o.GetTradeData().GetOpenTimestamp(); ts >= from && ts <= to {
			res.Order = append(res.Order, proto.Clone(o).(*openapi.ProtoOAOrder))
		}
	}
	p.unlockSend(id, res)
}

// periodMinutes is each trendbar period's length; MN1 is a calendar month.
var periodMinutes = map[openapi.ProtoOATrendbarPeriod]int64{
	openapi.ProtoOATrendbarPeriod_M1: 1, openapi.ProtoOATrendbarPeriod_M2: 2, openapi.ProtoOATrendbarPeriod_M3: 3,
	openapi.ProtoOATrendbarPeriod_M4: 4, openapi.ProtoOATrendbarPeriod_M5: 5, openapi.ProtoOATrendbarPeriod_M10: 10,
	openapi.ProtoOATrendbarPeriod_M15: 15, openapi.ProtoOATrendbarPeriod_M30: 30, openapi.ProtoOATrendbarPeriod_H1: 60,
	openapi.ProtoOATrendbarPeriod_H4: 240, openapi.ProtoOATrendbarPeriod_H12: 720, openapi.ProtoOATrendbarPeriod_D1: 1440,
	openapi.ProtoOATrendbarPeriod_W1: 10080,
}

// maxBars caps one trendbar or tick-data answer; more sets hasMore.
const maxBars = 1000

// Bar returns the emulator's trendbar of symbolID starting at Unix minute
// start and lasting minutes, in 1/100000 units: the bid of one tick per
// minute (PriceAt(symbolID, minute)), at most 32 of them sampled evenly.
// volume is the number of ticks sampled.
func Bar(symbolID, start, minutes int64) (open, high, low, closing uint64, volume int64) {
	n := min(minutes, 32)
	for i := range n {
		t, _ := PriceAt(symbolID, uint64(start+i*minutes/n))
		if i == 0 {
			open, high, low = t.Bid, t.Bid, t.Bid
		}
		high, low, closing = max(high, t.Bid), min(low, t.Bid), t.Bid
	}
	return open, high, low, closing, n
}

func (p *peer) trendbars(id string, req *openapi.ProtoOAGetTrendbarsReq) {
	acct := req.GetCtidTraderAccountId()
	from, to, ok := p.window(id, acct, req.FromTimestamp, req.ToTimestamp)
	if !ok {
		return
	}
	sy := p.symbol(id, acct, req.GetSymbolId())
	if sy == nil {
		return
	}
	period := req.GetPeriod()
	var starts []int64 // Unix minutes, oldest first
	if period == openapi.ProtoOATrendbarPeriod_MN1 {
		t := time.UnixMilli(from).UTC()
		for m := time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC); m.UnixMilli() <= to; m = m.AddDate(0, 1, 0) {
			if m.UnixMilli() >= from {
				starts = append(starts, m.Unix()/60)
			}
		}
	} else {
		pm, ok := periodMinutes[period]
		if !ok {
			p.sendCommon(id, openapi.ProtoErrorCode_INVALID_REQUEST.String(), "unknown trendbar period")
			return
		}
		first := (from/60_000 + pm - 1) / pm * pm
		for m := first; m*60_000 <= to; m += pm {
			starts = append(starts, m)
			if len(starts) > 100_000 {
				p.sendErr(id, acct, oaCode(openapi.ProtoOAErrorCode_INCORRECT_BOUNDARIES), "The requested period is too large")
				return
			}
		}
	}
	res := &openapi.ProtoOAGetTrendbarsRes{CtidTraderAccountId: proto.Int64(acct), Period: period.Enum(), SymbolId: proto.Int64(sy.id), HasMore: proto.Bool(false)}
	if c := int(req.GetCount()); c > 0 && len(starts) > c {
		starts = starts[len(starts)-c:]
	}
	if len(starts) > maxBars {
		starts = starts[len(starts)-maxBars:]
		res.HasMore = proto.Bool(true)
	}
	for _, st := range starts {
		minutes := periodMinutes[period]
		if period == openapi.ProtoOATrendbarPeriod_MN1 {
			t := time.Unix(st*60, 0).UTC()
			minutes = int64(t.AddDate(0, 1, 0).Sub(t) / time.Minute)
		}
		o, h, l, c, v := Bar(sy.id, st, minutes)
		res.Trendbar = append(res.Trendbar, &openapi.ProtoOATrendbar{Volume: proto.Int64(v), Period: period.Enum(), Low: proto.Int64(int64(l)),
			DeltaOpen: proto.Uint64(o - l), DeltaClose: proto.Uint64(c - l), DeltaHigh: proto.Uint64(h - l),
			UtcTimestampInMinutes: proto.Uint32(uint32(st))})
	}
	p.send(id, res)
}

// TickAt returns the emulator's historical tick of symbolID at Unix
// second sec: the bid or ask of PriceAt(symbolID, sec), in 1/100000 units.
// The emulator has one tick per second.
func TickAt(symbolID, sec int64, ask bool) uint64 {
	t, _ := PriceAt(symbolID, uint64(sec))
	if ask {
		return t.Ask
	}
	return t.Bid
}

func (p *peer) tickData(id string, req *openapi.ProtoOAGetTickDataReq) {
	acct := req.GetCtidTraderAccountId()
	from, to, ok := p.window(id, acct, req.FromTimestamp, req.ToTimestamp)
	if !ok {
		return
	}
	sy := p.symbol(id, acct, req.GetSymbolId())
	if sy == nil {
		return
	}
	ask := req.GetType() == openapi.ProtoOAQuoteType_ASK
	res := &openapi.ProtoOAGetTickDataRes{CtidTraderAccountId: proto.Int64(acct), HasMore: proto.Bool(false)}
	var prevT, prevP int64
	// Newest first: the first tick absolute, each later one the difference
	// to the one before it.
	for sec := to / 1000; sec*1000 >= from; sec-- {
		if len(res.TickData) == maxBars {
			res.HasMore = proto.Bool(true)
			break
		}
		ts, px := sec*1000, int64(TickAt(sy.id, sec, ask))
		if len(res.TickData) == 0 {
			res.TickData = append(res.TickData, &openapi.ProtoOATickData{Timestamp: proto.Int64(ts), Tick: proto.Int64(px)})
		} else {
			res.TickData = append(res.TickData, &openapi.ProtoOATickData{Timestamp: proto.Int64(ts - prevT), Tick: proto.Int64(px - prevP)})
		}
		prevT, prevP = ts, px
	}
	p.send(id, res)
}

// volumeFields returns a symbol's lotSize, minVolume, stepVolume and
// maxVolume fields.
func volumeFields(sy *symbol) (lot, minV, step, maxV *int64) {
	l, mn, st, mx := volumes(sy)
	return &l, &mn, &st, &mx
}
