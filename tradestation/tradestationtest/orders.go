package tradestationtest

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/shopspring/decimal"

	"github.com/brokerkit/brokerkit/auth"
)

// TradeStation's order-execution wire facts.
const (
	pathV3Orders          = "/v3/brokerage/accounts/{ids}/orders"
	pathV3OrdersByID      = "/v3/brokerage/accounts/{ids}/orders/{orderIDs}"
	pathV3History         = "/v3/brokerage/accounts/{ids}/historicalorders"
	pathV3HistoryByID     = "/v3/brokerage/accounts/{ids}/historicalorders/{orderIDs}"
	pathV3PlaceOrder      = "/v3/orderexecution/orders"
	pathV3Order           = "/v3/orderexecution/orders/{orderID}"
	pathV3Confirm         = "/v3/orderexecution/orderconfirm"
	pathV3PlaceGroup      = "/v3/orderexecution/ordergroups"
	pathV3ConfirmGroup    = "/v3/orderexecution/ordergroupconfirm"
	pathV3Routes          = "/v3/orderexecution/routes"
	pathV3Triggers        = "/v3/orderexecution/activationtriggers"
	pathV3Bars            = "/v3/marketdata/barcharts/{symbol}"
	pathV3Symbols         = "/v3/marketdata/symbols/{symbols}"
	maxOrderIDs           = 50
	maxPageSize           = 600
	maxSymbolDetails      = 50
	maxIntradayBars       = 57600
	historyDays           = 90
	nextTokenLife         = time.Hour
	futuresInitialMargin  = "12650"
	orderSentPrefix       = "Sent order: "
	orderFailedPrefix     = "Order failed. Reason: "
	replaceSentMessage    = "Cancel/Replace order sent."
	cancelSentMessage     = "Cancel request sent"
	statusQueued          = "DON" // an OSO child waiting for its parent to fill
	statusReceived        = "ACK"
	statusFilled          = "FLL"
	statusCanceled        = "CAN"
	statusRejected        = "REJ"
	relationshipOCO       = "OCO"
	relationshipBracket   = "BRK"
	relationshipOSOParent = "OSP"
	relationshipOSOChild  = "OSO"
)

var statusText = map[string]string{statusQueued: "Queued", statusReceived: "Received", statusFilled: "Filled",
	statusCanceled: "Canceled", statusRejected: "Rejected"}

// simOrder is one order the emulator holds.
type simOrder struct {
	id, account, symbol, action, typ, duration, route string
	env                                               auth.Environment
	qty, limit, stop, filled                          decimal.Decimal
	status, reason, group                             string
	opened, closed                                    time.Time
	links                                             []link
	held                                              []*simOrder // OSO children sent once this one fills
}

type link struct{ id, rel string }

type simPosition struct {
	qty, avg decimal.Decimal // qty signed: negative is short
	opened   time.Time
	id       string
}

// trading is the emulator's mutable order book: the orders, the positions
// and cash they produce, and moved quotes. Its zero value is ready.
type trading struct {
	mu       sync.Mutex
	seq      int64
	last     map[string]decimal.Decimal // moved last prices by upper-case symbol
	orders   []*simOrder
	pos      map[string]*simPosition // by account + "\x00" + symbol
	cash     map[string]decimal.Decimal
	confirms map[string]bool // OrderConfirmIDs used
}

func (t *trading) nextID() string {
	t.seq++
	return strconv.FormatInt(900000000+t.seq, 10)
}

// SetQuote moves symbol's last price (bid and ask follow it by one tick)
// and works the resting orders against the new quote: a limit order fills
// once the price crosses it, a stop triggers. It fails for a symbol the
// emulator does not know or a price that is not positive.
func (s *Server) SetQuote(symbol string, last decimal.Decimal) error {
	key := strings.ToUpper(symbol)
	if s.data.instruments[key] == nil {
		return fmt.Errorf("tradestationtest: SetQuote: unknown symbol %q", symbol)
	}
	if !last.IsPositive() {
		return fmt.Errorf("tradestationtest: SetQuote: price %s is not positive", last)
	}
	t := &s.trade
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.last == nil {
		t.last = map[string]decimal.Decimal{}
	}
	t.last[key] = last
	s.work()
	s.hub.notify()
	return nil
}

// instrumentNow is symbol's instrument at its current (possibly moved)
// last price; the caller holds s.trade.mu.
func (s *Server) instrumentNow(key string) *instrument {
	in := s.data.instruments[key]
	if in == nil {
		return nil
	}
	if l, ok := s.trade.last[key]; ok {
		c := *in
		c.last = l
		return &c
	}
	return in
}

// quoteJSON is the v3 quote of a symbol at its current price.
func (s *Server) quoteJSON(key string) ([]byte, bool) {
	s.trade.mu.Lock()
	_, moved := s.trade.last[key]
	in := s.instrumentNow(key)
	s.trade.mu.Unlock()
	if !moved {
		q, ok := s.data.v3Quotes[key]
		return q, ok
	}
	b, err := json.Marshal(v3QuoteOf(in))
	return b, err == nil
}

func isBuy(action string) bool {
	return strings.HasPrefix(action, "BUY")
}

var tradeActions = []string{"BUY", "SELL", "BUYTOCOVER", "SELLSHORT", "BUYTOOPEN", "BUYTOCLOSE", "SELLTOOPEN", "SELLTOCLOSE"}

// work fills every working order the current quotes allow, repeatedly,
// since a fill can release OSO children; the caller holds s.trade.mu.
func (s *Server) work() {
	for changed := true; changed; {
		changed = false
		for _, o := range s.trade.orders {
			if o.status == statusReceived && s.tryFill(o) {
				changed = true
			}
		}
	}
}

// tryFill fills o when the market reaches it.
func (s *Server) tryFill(o *simOrder) bool {
	in := s.instrumentNow(strings.ToUpper(o.symbol))
	p := pricesOf(in)
	buy := isBuy(o.action)
	px := p.bid
	if buy {
		px = p.ask
	}
	if o.typ == "StopMarket" || o.typ == "StopLimit" {
		hit := (buy && in.last.GreaterThanOrEqual(o.stop)) || (!buy && in.last.LessThanOrEqual(o.stop))
		if !hit {
			return false
		}
	}
	if o.typ == "Limit" || o.typ == "StopLimit" {
		if (buy && px.GreaterThan(o.limit)) || (!buy && px.LessThan(o.limit)) {
			return false
		}
	}
	s.fill(o, px, in)
	return true
}

func (s *Server) fill(o *simOrder, px decimal.Decimal, in *instrument) {
	t := &s.trade
	now := s.now().UTC()
	o.status, o.filled, o.closed = statusFilled, px, now
	if t.pos == nil {
		t.pos = map[string]*simPosition{}
		t.cash = map[string]decimal.Decimal{}
	}
	k := o.account + "\x00" + strings.ToUpper(o.symbol)
	signed := o.qty
	if !isBuy(o.action) {
		signed = signed.Neg()
	}
	p := t.pos[k]
	if p == nil {
		p = &simPosition{opened: now, id: t.nextID()}
		t.pos[k] = p
	}
	nq := p.qty.Add(signed)
	switch {
	case nq.IsZero():
		delete(t.pos, k)
	case p.qty.IsZero() || p.qty.Sign() == signed.Sign():
		p.avg = p.avg.Mul(p.qty.Abs()).Add(px.Mul(o.qty)).Div(nq.Abs()).Round(4)
	case nq.Sign() != p.qty.Sign():
		p.avg = px // reversed through zero
	}
	p.qty = nq
	if in.assetType != "FUTURE" {
		t.cash[o.account] = t.cash[o.account].Sub(px.Mul(signed).Mul(d(in.pointValue)))
	}
	for _, l := range o.links {
		if l.rel != relationshipOCO && l.rel != relationshipBracket {
			continue
		}
		if sib := t.find(l.id); sib != nil && (sib.status == statusReceived || sib.status == statusQueued) {
			sib.status, sib.closed = statusCanceled, now
		}
	}
	for _, c := range o.held {
		if c.status == statusQueued {
			c.status = statusReceived
		}
	}
}

func (t *trading) find(id string) *simOrder {
	for _, o := range t.orders {
		if o.id == id {
			return o
		}
	}
	return nil
}

// orderIn is the order request the emulator reads (prices and quantities
// are strings on the wire).
type orderIn struct {
	AccountID      string `json:"AccountID"`
	Symbol         string `json:"Symbol"`
	Quantity       string `json:"Quantity"`
	OrderType      string `json:"OrderType"`
	TradeAction    string `json:"TradeAction"`
	LimitPrice     string `json:"LimitPrice"`
	StopPrice      string `json:"StopPrice"`
	Route          string `json:"Route"`
	OrderConfirmID string `json:"OrderConfirmID"`
	TimeInForce    struct{ Duration string }
	OSOs           []groupIn `json:"OSOs"`
}

type groupIn struct {
	Type   string    `json:"Type"`
	Orders []orderIn `json:"Orders"`
}

// checked is an order request found well-formed.
type checked struct {
	in               orderIn
	qty, limit, stop decimal.Decimal
	instrument       *instrument
	account          *account
	children         []checkedGroup
	rejectBeforeSend string
}

type checkedGroup struct {
	typ    string
	orders []*checked
}

var errBadOrder = errors.New("bad order")

// check validates o as TradeStation's order execution does: a malformed
// request is a 400; an order the broker refuses (an unknown symbol, a
// cash account selling short) comes back in Errors[].
func (s *Server) checkOrder(env auth.Environment, o orderIn) (*checked, error) {
	bad := func(format string, args ...any) (*checked, error) {
		return nil, fmt.Errorf("%w: "+format, append([]any{errBadOrder}, args...)...)
	}
	c := &checked{in: o}
	if o.AccountID == "" || o.Symbol == "" || o.Quantity == "" || o.OrderType == "" || o.TradeAction == "" ||
		o.TimeInForce.Duration == "" {
		return bad("AccountID, Symbol, Quantity, OrderType, TradeAction and TimeInForce are required")
	}
	if c.account = s.data.account(env, o.AccountID); c.account == nil {
		return bad("invalid AccountID %s", o.AccountID)
	}
	var err error
	if c.qty, err = decimal.NewFromString(o.Quantity); err != nil || !c.qty.IsPositive() {
		return bad("invalid Quantity")
	}
	if !slices.Contains(tradeActions, strings.ToUpper(o.TradeAction)) {
		return bad("invalid TradeAction %s", o.TradeAction)
	}
	switch o.OrderType {
	case "Market":
	case "Limit", "StopMarket", "StopLimit":
	default:
		return bad("invalid OrderType %s", o.OrderType)
	}
	price := func(v, name string, want bool) (decimal.Decimal, error) {
		if !want {
			if v != "" {
				return decimal.Zero, fmt.Errorf("%w: %s is not allowed for %s orders", errBadOrder, name, o.OrderType)
			}
			return decimal.Zero, nil
		}
		x, err := decimal.NewFromString(v)
		if err != nil || !x.IsPositive() {
			return decimal.Zero, fmt.Errorf("%w: invalid %s", errBadOrder, name)
		}
		return x, nil
	}
	if c.limit, err = price(o.LimitPrice, "LimitPrice", o.OrderType == "Limit" || o.OrderType == "StopLimit"); err != nil {
		return nil, err
	}
	if c.stop, err = price(o.StopPrice, "StopPrice", o.OrderType == "StopMarket" || o.OrderType == "StopLimit"); err != nil {
		return nil, err
	}
	c.instrument = s.data.instruments[strings.ToUpper(o.Symbol)]
	switch {
	case c.instrument == nil:
		c.rejectBeforeSend = "Invalid symbol " + o.Symbol
	case c.account.typ == "Cash" && strings.ToUpper(o.TradeAction) == "SELLSHORT":
		c.rejectBeforeSend = "Short selling is not allowed in a cash account"
	case (c.instrument.assetType == "FUTURE") != (c.account.typ == "Futures"):
		c.rejectBeforeSend = "Asset type " + c.instrument.assetType + " cannot be traded in a " + c.account.typ + " account"
	}
	for _, g := range o.OSOs {
		cg, err := s.checkGroup(env, g)
		if err != nil {
			return nil, err
		}
		c.children = append(c.children, cg)
	}
	return c, nil
}

func (s *Server) checkGroup(env auth.Environment, g groupIn) (checkedGroup, error) {
	cg := checkedGroup{typ: g.Type}
	if g.Type != "OCO" && g.Type != "BRK" && g.Type != "NORMAL" {
		return cg, fmt.Errorf("%w: invalid group Type %q", errBadOrder, g.Type)
	}
	if len(g.Orders) == 0 {
		return cg, fmt.Errorf("%w: a group needs orders", errBadOrder)
	}
	for _, o := range g.Orders {
		c, err := s.checkOrder(env, o)
		if err != nil {
			return cg, err
		}
		cg.orders = append(cg.orders, c)
	}
	return cg, nil
}

// summary is TradeStation's one-line description of an order.
func summary(c *checked) string {
	act := strings.ToUpper(c.in.TradeAction)
	word := map[string]string{"BUY": "Buy", "SELL": "Sell", "SELLSHORT": "Sell Short", "BUYTOCOVER": "Buy to Cover",
		"BUYTOOPEN": "Buy to Open", "BUYTOCLOSE": "Buy to Close", "SELLTOOPEN": "Sell to Open",
		"SELLTOCLOSE": "Sell to Close"}[act]
	base := fmt.Sprintf("%s %s %s @ ", word, c.qty, strings.ToUpper(c.in.Symbol))
	switch c.in.OrderType {
	case "Limit":
		return base + c.limit.StringFixed(2) + " Limit"
	case "StopMarket":
		return base + c.stop.StringFixed(2) + " Stop Market"
	case "StopLimit":
		return base + c.stop.StringFixed(2) + " Stop " + c.limit.StringFixed(2) + " Limit"
	}
	return base + "Market"
}

// estimate is an order's expected price and cost at the current quote.
func (s *Server) estimate(c *checked) (price, cost decimal.Decimal) {
	in := s.instrumentNow(strings.ToUpper(c.in.Symbol))
	p := pricesOf(in)
	price = p.bid
	if isBuy(strings.ToUpper(c.in.TradeAction)) {
		price = p.ask
	}
	if c.in.OrderType == "Limit" || c.in.OrderType == "StopLimit" {
		price = c.limit
	} else if c.in.OrderType == "StopMarket" {
		price = c.stop
	}
	if in.assetType == "FUTURE" {
		return price, c.qty.Mul(d(futuresInitialMargin))
	}
	return price, price.Mul(c.qty).Mul(d(in.pointValue))
}

// buyingPower is an account's buying power now; the caller holds
// s.trade.mu.
func (s *Server) buyingPower(a *account) decimal.Decimal {
	cash := a.cash.Add(s.trade.cash[a.id])
	if a.typ == "Margin" {
		return cash.Mul(d("2"))
	}
	return cash
}

// place records c (and its OSO children, held) and answers its result;
// the caller holds s.trade.mu.
func (s *Server) place(env auth.Environment, c *checked, results, errs *[]map[string]string) *simOrder {
	t := &s.trade
	o := &simOrder{id: t.nextID(), account: c.account.id, symbol: strings.ToUpper(c.in.Symbol),
		action: strings.ToUpper(c.in.TradeAction), typ: c.in.OrderType, duration: c.in.TimeInForce.Duration,
		route: c.in.Route, env: env, qty: c.qty, limit: c.limit, stop: c.stop, status: statusReceived,
		opened: s.now().UTC()}
	if o.route == "" {
		o.route = "Intelligent"
	}
	reason := c.rejectBeforeSend
	if reason == "" && c.in.OrderConfirmID != "" {
		if t.confirms == nil {
			t.confirms = map[string]bool{}
		}
		if t.confirms[c.in.OrderConfirmID] {
			reason = "Duplicate OrderConfirmID"
		}
		t.confirms[c.in.OrderConfirmID] = true
	}
	if reason == "" && (isBuy(o.action) || o.action == "SELLSHORT") {
		if _, cost := s.estimate(c); cost.GreaterThan(s.buyingPower(c.account)) {
			reason = "Insufficient buying power: order cost " + cost.StringFixed(2) + " exceeds buying power " +
				s.buyingPower(c.account).StringFixed(2)
		}
	}
	t.orders = append(t.orders, o)
	if reason != "" {
		o.status, o.reason, o.closed = statusRejected, reason, o.opened
		*errs = append(*errs, map[string]string{"Error": "FAILED", "Message": orderFailedPrefix + reason, "OrderID": o.id})
		return o
	}
	*results = append(*results, map[string]string{"Message": orderSentPrefix + summary(c), "OrderID": o.id})
	for _, g := range c.children {
		kids := s.placeGroup(env, g, results, errs)
		for _, k := range kids {
			if k.status == statusReceived {
				k.status = statusQueued
			}
			k.links = append(k.links, link{o.id, relationshipOSOParent})
			o.links = append(o.links, link{k.id, relationshipOSOChild})
		}
		o.held = append(o.held, kids...)
	}
	return o
}

// placeGroup places the orders of g and links them (OCO and BRK members
// cancel each other when one fills); the caller holds s.trade.mu.
func (s *Server) placeGroup(env auth.Environment, g checkedGroup, results, errs *[]map[string]string) []*simOrder {
	var placed []*simOrder
	for _, c := range g.orders {
		placed = append(placed, s.place(env, c, results, errs))
	}
	if g.typ == "NORMAL" {
		return placed
	}
	rel := relationshipOCO
	if g.typ == "BRK" {
		rel = relationshipBracket
	}
	name := g.typ + " " + strconv.FormatInt(s.trade.seq, 10)
	for _, a := range placed {
		a.group = name
		for _, b := range placed {
			if a != b {
				a.links = append(a.links, link{b.id, rel})
			}
		}
	}
	return placed
}

// readJSON decodes a request body, answering 400 itself when it cannot.
func readJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20))
	if err := dec.Decode(v); err != nil {
		v3Error(w, http.StatusBadRequest, "BadRequest", "Invalid request body")
		return false
	}
	return true
}

// readGroup decodes and checks a v3 order body: one order, or with group
// an order group. It answers 400 itself when it cannot.
func (s *Server) readGroup(w http.ResponseWriter, r *http.Request, env auth.Environment, group bool) (checkedGroup, bool) {
	var g groupIn
	if group {
		if !readJSON(w, r, &g) {
			return checkedGroup{}, false
		}
	} else {
		var o orderIn
		if !readJSON(w, r, &o) {
			return checkedGroup{}, false
		}
		g = groupIn{Type: "NORMAL", Orders: []orderIn{o}}
	}
	cg, err := s.checkGroup(env, g)
	if err != nil {
		v3Error(w, http.StatusBadRequest, "BadRequest", strings.TrimPrefix(err.Error(), errBadOrder.Error()+": "))
		return checkedGroup{}, false
	}
	return cg, true
}

func (s *Server) v3PlaceOrder(w http.ResponseWriter, r *http.Request, env auth.Environment, group bool) {
	cg, ok := s.readGroup(w, r, env, group)
	if !ok {
		return
	}
	s.trade.mu.Lock()
	results, errs := []map[string]string{}, []map[string]string{}
	s.placeGroup(env, cg, &results, &errs)
	s.work()
	s.trade.mu.Unlock()
	out := map[string]any{"Orders": results}
	if len(errs) > 0 {
		out["Errors"] = errs
	}
	writeJSONv3(w, out)
}

func writeJSONv3(w http.ResponseWriter, v any) {
	b, _ := json.Marshal(v)
	writeRaw(w, http.StatusOK, b)
}

func (s *Server) v3ConfirmOrder(w http.ResponseWriter, r *http.Request, env auth.Environment, group bool) {
	cg, ok := s.readGroup(w, r, env, group)
	if !ok {
		return
	}
	s.trade.mu.Lock()
	defer s.trade.mu.Unlock()
	var confs []map[string]any
	for _, c := range cg.orders {
		if c.rejectBeforeSend != "" {
			v3Error(w, http.StatusBadRequest, "BadRequest", c.rejectBeforeSend)
			return
		}
		price, cost := s.estimate(c)
		category := "EQUITY"
		if c.instrument.assetType == "FUTURE" {
			category = "FUTURE"
		}
		s.trade.seq++
		id := base64.RawURLEncoding.EncodeToString([]byte(fmt.Sprintf("conf%011d", s.trade.seq)))
		conf := map[string]any{"OrderAssetCategory": category, "Currency": "USD", "DisplayName": c.account.id,
			"Route": "Intelligent", "TimeInForce": map[string]string{"Duration": c.in.TimeInForce.Duration},
			"AccountID": c.account.id, "OrderConfirmID": id, "EstimatedPrice": price.String(),
			"EstimatedCost": cost.String(), "DebitCreditEstimatedCost": cost.String(), "EstimatedCommission": "0",
			"SummaryMessage": summary(c)}
		if c.in.Route != "" {
			conf["Route"] = c.in.Route
		}
		if !c.limit.IsZero() {
			conf["LimitPrice"] = c.limit.String()
		}
		if !c.stop.IsZero() {
			conf["StopPrice"] = c.stop.String()
		}
		confs = append(confs, conf)
	}
	writeJSONv3(w, map[string]any{"Confirmations": confs})
}

// openOrder finds an open (received or queued) order of env by ID,
// answering 404 itself when there is none and 400 when it is no longer
// open; the caller holds s.trade.mu.
func (s *Server) openOrder(w http.ResponseWriter, env auth.Environment, id string) *simOrder {
	o := s.trade.find(id)
	if o == nil || o.env != env {
		v3Error(w, http.StatusNotFound, "NotFound", "Order "+id+" not found")
		return nil
	}
	if o.status != statusReceived && o.status != statusQueued {
		v3Error(w, http.StatusBadRequest, "BadRequest", "Order "+o.id+" is not open ("+o.status+")")
		return nil
	}
	return o
}

func (s *Server) v3ReplaceOrder(w http.ResponseWriter, r *http.Request, env auth.Environment) {
	var in struct {
		Quantity, LimitPrice, StopPrice, OrderType string
	}
	if !readJSON(w, r, &in) {
		return
	}
	s.trade.mu.Lock()
	defer s.trade.mu.Unlock()
	o := s.openOrder(w, env, r.PathValue("orderID"))
	if o == nil {
		return
	}
	if in.Quantity == "" && in.LimitPrice == "" && in.StopPrice == "" && in.OrderType == "" {
		v3Error(w, http.StatusBadRequest, "BadRequest", "Nothing to replace")
		return
	}
	upd := *o
	parse := func(v string, dst *decimal.Decimal, ok bool) bool {
		if v == "" {
			return true
		}
		x, err := decimal.NewFromString(v)
		if err != nil || !x.IsPositive() || !ok {
			return false
		}
		*dst = x
		return true
	}
	limitOK := o.typ == "Limit" || o.typ == "StopLimit"
	stopOK := o.typ == "StopMarket" || o.typ == "StopLimit"
	if !parse(in.Quantity, &upd.qty, true) || !parse(in.LimitPrice, &upd.limit, limitOK) ||
		!parse(in.StopPrice, &upd.stop, stopOK) || (in.OrderType != "" && in.OrderType != "Market") {
		v3Error(w, http.StatusBadRequest, "BadRequest", "Invalid replace request for a "+o.typ+" order")
		return
	}
	if in.OrderType == "Market" {
		upd.typ, upd.limit, upd.stop = "Market", decimal.Zero, decimal.Zero
	}
	*o = upd
	s.work()
	writeJSONv3(w, map[string]string{"Message": replaceSentMessage, "OrderID": o.id})
}

func (s *Server) v3CancelOrder(w http.ResponseWriter, r *http.Request, env auth.Environment) {
	s.trade.mu.Lock()
	defer s.trade.mu.Unlock()
	o := s.openOrder(w, env, r.PathValue("orderID"))
	if o == nil {
		return
	}
	now := s.now().UTC()
	o.status, o.closed = statusCanceled, now
	for _, k := range o.held {
		if k.status == statusQueued {
			k.status, k.closed = statusCanceled, now
		}
	}
	writeJSONv3(w, map[string]string{"Message": cancelSentMessage, "OrderID": o.id})
}

// orderJSON is an order as v3 reports it; the caller holds s.trade.mu.
func (s *Server) orderJSON(o *simOrder) map[string]any {
	in := s.data.instruments[o.symbol]
	asset := "STOCK"
	if in != nil {
		asset = in.assetType
	}
	exec, rem := decimal.Zero, o.qty
	if o.status == statusFilled {
		exec, rem = o.qty, decimal.Zero
	}
	side := map[string]string{"BUY": "Buy", "SELL": "Sell", "SELLSHORT": "SellShort", "BUYTOCOVER": "BuyToCover",
		"BUYTOOPEN": "Buy", "BUYTOCLOSE": "Buy", "SELLTOOPEN": "Sell", "SELLTOCLOSE": "Sell"}[o.action]
	openClose := "Open"
	if o.action == "SELL" || o.action == "BUYTOCOVER" || strings.HasSuffix(o.action, "CLOSE") {
		openClose = "Close"
	}
	leg := map[string]any{"AssetType": asset, "BuyOrSell": side, "OpenOrClose": openClose, "Symbol": o.symbol,
		"QuantityOrdered": o.qty.String(), "ExecQuantity": exec.String(), "QuantityRemaining": rem.String()}
	if o.status == statusFilled {
		leg["ExecutionPrice"] = o.filled.String()
	}
	m := map[string]any{"AccountID": o.account, "OrderID": o.id, "OrderType": o.typ, "Status": o.status,
		"StatusDescription": statusText[o.status], "Duration": o.duration, "Currency": "USD", "CommissionFee": "0",
		"Routing": o.route, "OpenedDateTime": o.opened.Format(time.RFC3339), "Legs": []any{leg},
		"UnbundledRouteFee": "0"}
	if !o.closed.IsZero() {
		m["ClosedDateTime"] = o.closed.Format(time.RFC3339)
	}
	if o.status == statusFilled {
		m["FilledPrice"] = o.filled.String()
	}
	if !o.limit.IsZero() {
		m["LimitPrice"] = o.limit.String()
		m["PriceUsedForBuyingPower"] = o.limit.String()
	}
	if !o.stop.IsZero() {
		m["StopPrice"] = o.stop.String()
	}
	if o.reason != "" {
		m["RejectReason"] = o.reason
	}
	if o.group != "" {
		m["GroupName"] = o.group
	}
	if len(o.links) > 0 {
		var rels []map[string]string
		for _, l := range o.links {
			rels = append(rels, map[string]string{"OrderID": l.id, "Relationship": l.rel})
		}
		m["ConditionalOrders"] = rels
	}
	return m
}

func closed(o *simOrder) bool {
	return o.status == statusFilled || o.status == statusCanceled || o.status == statusRejected
}

// parseSince reads historicalorders' since in the formats TradeStation
// documents.
func parseSince(v string) (time.Time, bool) {
	for _, f := range []string{"2006-01-02", "01-02-2006", "2006/01/02", "01/02/2006"} {
		if t, err := time.Parse(f, v); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// pageToken is the emulator's opaque nextToken: the list, the offset and
// an expiry (TradeStation's tokens live an hour).
func pageToken(kind string, offset int, exp time.Time) string {
	return base64.RawURLEncoding.EncodeToString([]byte(fmt.Sprintf("%s|%d|%d", kind, offset, exp.Unix())))
}

func readPageToken(tok, kind string, now time.Time) (int, bool) {
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return 0, false
	}
	parts := strings.Split(string(b), "|")
	if len(parts) != 3 || parts[0] != kind {
		return 0, false
	}
	off, err1 := strconv.Atoi(parts[1])
	exp, err2 := strconv.ParseInt(parts[2], 10, 64)
	if err1 != nil || err2 != nil || off < 0 || !now.Before(time.Unix(exp, 0)) {
		return 0, false
	}
	return off, true
}

// v3Orders answers /orders and /historicalorders (with or without order
// IDs).
func (s *Server) v3Orders(w http.ResponseWriter, r *http.Request, env auth.Environment, history bool) {
	accts, errs, ok := s.accountsOf(w, env, r.PathValue("ids"))
	if !ok {
		return
	}
	q := r.URL.Query()
	now := s.now().UTC()
	var since time.Time
	if history {
		var good bool
		if since, good = parseSince(q.Get("since")); !good {
			v3Error(w, http.StatusBadRequest, "BadRequest", "since is required: a date such as 2006-01-13")
			return
		}
		if since.Before(now.AddDate(0, 0, -historyDays).Truncate(24 * time.Hour)) {
			v3Error(w, http.StatusBadRequest, "BadRequest", fmt.Sprintf("since is limited to %d days back", historyDays))
			return
		}
	}
	var ids []string
	if v := r.PathValue("orderIDs"); v != "" {
		ids = strings.Split(v, ",")
		if len(ids) > maxOrderIDs {
			v3Error(w, http.StatusBadRequest, "BadRequest", fmt.Sprintf("at most %d order IDs per request", maxOrderIDs))
			return
		}
	}
	pageSize := 0
	if v := q.Get("pageSize"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxPageSize {
			v3Error(w, http.StatusBadRequest, "BadRequest", fmt.Sprintf("pageSize must be 1 to %d", maxPageSize))
			return
		}
		pageSize = n
	}
	kind := "orders"
	if history {
		kind = "history"
	}
	offset := 0
	if tok := q.Get("nextToken"); tok != "" {
		var good bool
		if offset, good = readPageToken(tok, kind, now); !good {
			v3Error(w, http.StatusBadRequest, "BadRequest", "Invalid or expired nextToken")
			return
		}
	}
	s.trade.mu.Lock()
	defer s.trade.mu.Unlock()
	mine := map[string]bool{}
	for _, a := range accts {
		mine[a.id] = true
	}
	var list []*simOrder
	for i := len(s.trade.orders) - 1; i >= 0; i-- { // newest first
		o := s.trade.orders[i]
		if !mine[o.account] {
			continue
		}
		if history && (!closed(o) || o.closed.Before(since)) {
			continue
		}
		if !history && closed(o) && o.closed.Before(now.Truncate(24*time.Hour)) {
			continue
		}
		list = append(list, o)
	}
	orders := []map[string]any{}
	if ids != nil {
		for _, id := range ids {
			i := slices.IndexFunc(list, func(o *simOrder) bool { return o.id == id })
			if i < 0 {
				errs = append(errs, map[string]string{"AccountID": r.PathValue("ids"), "OrderID": id,
					"Error": "NotFound", "Message": "Order not found"})
				continue
			}
			orders = append(orders, s.orderJSON(list[i]))
		}
		writeJSONv3(w, map[string]any{"Orders": orders, "Errors": errs})
		return
	}
	limit := maxPageSize
	if pageSize > 0 {
		limit = pageSize
	}
	list = list[min(offset, len(list)):]
	out := map[string]any{}
	if len(list) > limit {
		list = list[:limit]
	}
	if pageSize > 0 && len(list) == pageSize {
		out["NextToken"] = pageToken(kind, offset+pageSize, now.Add(nextTokenLife))
	}
	for _, o := range list {
		orders = append(orders, s.orderJSON(o))
	}
	out["Orders"], out["Errors"] = orders, errs
	writeJSONv3(w, out)
}

// tradedPositions are the positions orders opened in account a, as v3
// positions JSON.
func (s *Server) tradedPositions(a *account, filter string) []map[string]any {
	s.trade.mu.Lock()
	defer s.trade.mu.Unlock()
	var out []map[string]any
	for k, p := range s.trade.pos {
		acct, sym, _ := strings.Cut(k, "\x00")
		if acct != a.id || !symbolMatch(filter, sym) {
			continue
		}
		in := s.instrumentNow(sym)
		pr := pricesOf(in)
		pv := d(in.pointValue)
		side := "Long"
		if p.qty.IsNegative() {
			side = "Short"
		}
		qty := p.qty.Abs()
		value := in.last.Mul(p.qty).Mul(pv)
		pl := in.last.Sub(p.avg).Mul(p.qty).Mul(pv)
		cost := p.avg.Mul(qty).Mul(pv)
		out = append(out, map[string]any{"AccountID": a.id, "AssetType": in.assetType,
			"AveragePrice": p.avg.String(), "Bid": pr.bid.String(), "Ask": pr.ask.String(), "Last": in.last.String(),
			"ConversionRate": "1", "DayTradeRequirement": "0", "InitialRequirement": "0", "MaintenanceMargin": "0",
			"LongShort": side, "MarkToMarketPrice": p.avg.String(), "MarketValue": value.String(),
			"PositionID": p.id, "Quantity": qty.String(), "Symbol": in.symbol,
			"Timestamp": p.opened.Format(time.RFC3339), "TodaysProfitLoss": pl.String(), "TotalCost": cost.String(),
			"UnrealizedProfitLoss":        pl.String(),
			"UnrealizedProfitLossPercent": pl.Div(cost).Mul(d("100")).Round(4).String(),
			"UnrealizedProfitLossQty":     pl.Div(qty).Div(pv).Round(4).String()})
	}
	slices.SortFunc(out, func(x, y map[string]any) int { return strings.Compare(x["Symbol"].(string), y["Symbol"].(string)) })
	return out
}

// cashOf is a's seeded cash moved by its fills.
func (s *Server) cashOf(a *account) decimal.Decimal {
	s.trade.mu.Lock()
	defer s.trade.mu.Unlock()
	return a.cash.Add(s.trade.cash[a.id])
}

// tradedValue is the market value and open profit of the positions
// orders opened in a (futures count only their open profit, as the
// seeded ones do).
func (s *Server) tradedValue(a *account) (mv, upl decimal.Decimal) {
	s.trade.mu.Lock()
	defer s.trade.mu.Unlock()
	for k, p := range s.trade.pos {
		acct, sym, _ := strings.Cut(k, "\x00")
		if acct != a.id {
			continue
		}
		in := s.instrumentNow(sym)
		pv := d(in.pointValue)
		pl := in.last.Sub(p.avg).Mul(p.qty).Mul(pv)
		v := in.last.Mul(p.qty).Mul(pv)
		if in.assetType == "FUTURE" {
			v = pl
		}
		mv, upl = mv.Add(v), upl.Add(pl)
	}
	return mv, upl
}

// routes and activationTriggers are the emulator's static lists.
var (
	routes = []map[string]any{
		{"Id": "Intelligent", "Name": "Intelligent", "AssetTypes": []string{"STOCK", "STOCKOPTION", "INDEXOPTION", "FUTURE"}},
		{"Id": "ARCA", "Name": "ARCX", "AssetTypes": []string{"STOCK"}},
		{"Id": "NSDQ", "Name": "NSDQ", "AssetTypes": []string{"STOCK"}},
		{"Id": "AMEX", "Name": "AMEX", "AssetTypes": []string{"STOCK"}},
	}
	activationTriggers = []map[string]string{
		{"Key": "STT", "Name": "Single Trade Tick", "Description": "One trade at or through the price triggers."},
		{"Key": "STTN", "Name": "Single Trade Tick Within NBBO", "Description": "One trade within the NBBO at or through the price triggers."},
		{"Key": "SBA", "Name": "Single Bid/Ask Tick", "Description": "One bid (sell) or ask (buy) at or through the price triggers."},
		{"Key": "SAB", "Name": "Single Ask/Bid Tick", "Description": "One ask (sell) or bid (buy) at or through the price triggers."},
		{"Key": "DTT", "Name": "Double Trade Tick", "Description": "Two consecutive trades at or through the price trigger."},
		{"Key": "DTTN", "Name": "Double Trade Tick Within NBBO", "Description": "Two consecutive trades within the NBBO trigger."},
		{"Key": "DBA", "Name": "Double Bid/Ask Tick", "Description": "Two consecutive bids (sell) or asks (buy) trigger."},
		{"Key": "DAB", "Name": "Double Ask/Bid Tick", "Description": "Two consecutive asks (sell) or bids (buy) trigger."},
		{"Key": "TTT", "Name": "Twice Trade Tick", "Description": "Two trades, not necessarily consecutive, trigger."},
		{"Key": "TTTN", "Name": "Twice Trade Tick Within NBBO", "Description": "Two trades within the NBBO, not necessarily consecutive, trigger."},
		{"Key": "TBA", "Name": "Twice Bid/Ask Tick", "Description": "Two bids (sell) or asks (buy), not necessarily consecutive, trigger."},
		{"Key": "TAB", "Name": "Twice Ask/Bid Tick", "Description": "Two asks (sell) or bids (buy), not necessarily consecutive, trigger."},
	}
)

// v3SymbolDetails answers /marketdata/symbols.
func (s *Server) v3SymbolDetails(w http.ResponseWriter, list string) {
	syms := strings.Split(list, ",")
	if len(syms) > maxSymbolDetails {
		v3Error(w, http.StatusBadRequest, "BadRequest", fmt.Sprintf("at most %d symbols per request", maxSymbolDetails))
		return
	}
	out, errs := []map[string]any{}, []map[string]string{}
	for _, sym := range syms {
		in := s.data.instruments[strings.ToUpper(sym)]
		if in == nil {
			errs = append(errs, map[string]string{"Symbol": sym, "Error": "FAILED", "Message": "INVALID SYMBOL"})
			continue
		}
		m := map[string]any{"AssetType": in.assetType, "Country": "United States", "Currency": "USD",
			"Description": in.description, "Exchange": in.exchange, "Symbol": in.symbol, "Root": in.symbol,
			"PriceFormat": map[string]string{"Format": "Decimal", "Decimals": "2", "IncrementStyle": "Simple",
				"Increment": in.minMove, "PointValue": in.pointValue},
			"QuantityFormat": map[string]string{"Format": "Decimal", "Decimals": "0", "IncrementStyle": "Simple",
				"Increment": "1", "MinimumTradeQuantity": "1"}}
		if in.assetType == "FUTURE" {
			m["FutureType"], m["Root"] = "Electronic", "ES"
			if strings.HasPrefix(in.symbol, "@") {
				m["Underlying"] = "ESZ26"
			}
		}
		out = append(out, m)
	}
	writeJSONv3(w, map[string]any{"Symbols": out, "Errors": errs})
}

// v3Bars answers /marketdata/barcharts with deterministic bars that end
// at the symbol's current last price.
func (s *Server) v3Bars(w http.ResponseWriter, r *http.Request, sym string) {
	q := r.URL.Query()
	bad := func(msg string) { v3Error(w, http.StatusBadRequest, "BadRequest", msg) }
	unit := q.Get("unit")
	if unit == "" {
		unit = "Daily"
	}
	interval := 1
	if v := q.Get("interval"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1440 || (n > 1 && unit != "Minute") {
			bad("Invalid interval")
			return
		}
		interval = n
	}
	var step func(t time.Time, n int) time.Time
	switch unit {
	case "Minute":
		step = func(t time.Time, n int) time.Time { return t.Add(time.Duration(n*interval) * time.Minute) }
	case "Daily":
		step = func(t time.Time, n int) time.Time { return t.AddDate(0, 0, n) }
	case "Weekly":
		step = func(t time.Time, n int) time.Time { return t.AddDate(0, 0, 7*n) }
	case "Monthly":
		step = func(t time.Time, n int) time.Time { return t.AddDate(0, n, 0) }
	default:
		bad("Invalid unit")
		return
	}
	if q.Get("barsback") != "" && q.Get("firstdate") != "" {
		bad("barsback and firstdate are mutually exclusive")
		return
	}
	parseDate := func(v string) (time.Time, bool) {
		if t, err := time.Parse(time.RFC3339, v); err == nil {
			return t.UTC(), true
		}
		t, err := time.Parse("2006-01-02", v)
		return t, err == nil
	}
	last := s.now().UTC()
	if v := q.Get("lastdate"); v != "" {
		var ok bool
		if last, ok = parseDate(v); !ok {
			bad("Invalid lastdate")
			return
		}
	}
	if unit == "Minute" {
		last = last.Truncate(time.Duration(interval) * time.Minute)
	} else {
		last = time.Date(last.Year(), last.Month(), last.Day(), 21, 0, 0, 0, time.UTC)
	}
	n := 1
	if v := q.Get("barsback"); v != "" {
		x, err := strconv.Atoi(v)
		if err != nil || x < 1 || (unit == "Minute" && x > maxIntradayBars) {
			bad("Invalid barsback")
			return
		}
		n = x
	}
	if v := q.Get("firstdate"); v != "" {
		first, ok := parseDate(v)
		if !ok || first.After(last) {
			bad("Invalid firstdate")
			return
		}
		n = 0
		for t := last; !t.Before(first) && n < maxIntradayBars; t = step(t, -1) {
			n++
		}
	}
	s.trade.mu.Lock()
	in := s.instrumentNow(strings.ToUpper(sym))
	s.trade.mu.Unlock()
	if in == nil {
		bad("Invalid symbol: " + sym)
		return
	}
	tick := d(in.minMove)
	bars := make([]map[string]any, 0, n)
	for i := n - 1; i >= 0; i-- {
		ts := step(last, -i)
		// The close walks back from the last price by a small,
		// deterministic zigzag; the newest bar closes at the last price.
		off := decimal.NewFromInt(int64((i*7)%11 - 5)).Mul(tick).Mul(decimal.NewFromInt(int64(1 + i%3)))
		if i == 0 {
			off = decimal.Zero
		}
		cl := in.last.Add(off)
		op := cl.Sub(tick.Mul(decimal.NewFromInt(int64(i%5 - 2))))
		hi := decimal.Max(op, cl).Add(tick.Mul(d("3")))
		lo := decimal.Min(op, cl).Sub(tick.Mul(d("3")))
		up, down := uint64(1000+i%97*13), uint64(900+i%89*11)
		bars = append(bars, map[string]any{"High": hi.String(), "Low": lo.String(), "Open": op.String(),
			"Close": cl.String(), "TimeStamp": ts.Format(time.RFC3339), "TotalVolume": strconv.FormatUint((up+down)*100, 10),
			"DownTicks": down, "DownVolume": down * 100, "OpenInterest": "0", "IsRealtime": false,
			"IsEndOfHistory": i == 0, "TotalTicks": up + down, "UnchangedTicks": 0, "UnchangedVolume": 0,
			"UpTicks": up, "UpVolume": up * 100, "Epoch": ts.UnixMilli(), "BarStatus": "Closed"})
	}
	writeJSONv3(w, map[string]any{"Bars": bars})
}

// tradingRoutes registers order execution, order reads, bars and symbol
// details on mux under prefix (the live or SIM host). A known path asked
// with another method answers 405.
func (s *Server) tradingRoutes(mux *http.ServeMux, prefix string, env auth.Environment, notAllowed func(http.ResponseWriter, string)) {
	noLimit := 0
	guard := func(scope, resource string, limit *int, h func(http.ResponseWriter, *http.Request)) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if s.v3Allowed(w, r, scope, resource, *limit) {
				h(w, r)
			}
		}
	}
	type route struct {
		method, path, scope, resource string
		limit                         *int
		h                             func(http.ResponseWriter, *http.Request)
	}
	accts, quotes := &s.limits.l.Accounts, &s.limits.l.Quotes
	rs := []route{
		{http.MethodGet, pathV3Orders, "ReadAccount", "Orders", accts, func(w http.ResponseWriter, r *http.Request) { s.v3Orders(w, r, env, false) }},
		{http.MethodGet, pathV3OrdersByID, "ReadAccount", "Orders", accts, func(w http.ResponseWriter, r *http.Request) { s.v3Orders(w, r, env, false) }},
		{http.MethodGet, pathV3History, "ReadAccount", "Orders", accts, func(w http.ResponseWriter, r *http.Request) { s.v3Orders(w, r, env, true) }},
		{http.MethodGet, pathV3HistoryByID, "ReadAccount", "Orders", accts, func(w http.ResponseWriter, r *http.Request) { s.v3Orders(w, r, env, true) }},
		{http.MethodPost, pathV3PlaceOrder, "Trade", "", &noLimit, func(w http.ResponseWriter, r *http.Request) { s.v3PlaceOrder(w, r, env, false) }},
		{http.MethodPost, pathV3PlaceGroup, "Trade", "", &noLimit, func(w http.ResponseWriter, r *http.Request) { s.v3PlaceOrder(w, r, env, true) }},
		{http.MethodPost, pathV3Confirm, "Trade", "", &noLimit, func(w http.ResponseWriter, r *http.Request) { s.v3ConfirmOrder(w, r, env, false) }},
		{http.MethodPost, pathV3ConfirmGroup, "Trade", "", &noLimit, func(w http.ResponseWriter, r *http.Request) { s.v3ConfirmOrder(w, r, env, true) }},
		{http.MethodPut, pathV3Order, "Trade", "", &noLimit, func(w http.ResponseWriter, r *http.Request) { s.v3ReplaceOrder(w, r, env) }},
		{http.MethodDelete, pathV3Order, "Trade", "", &noLimit, func(w http.ResponseWriter, r *http.Request) { s.v3CancelOrder(w, r, env) }},
		{http.MethodGet, pathV3Routes, "Trade", "", &noLimit, func(w http.ResponseWriter, _ *http.Request) { writeJSONv3(w, map[string]any{"Routes": routes}) }},
		{http.MethodGet, pathV3Triggers, "Trade", "", &noLimit, func(w http.ResponseWriter, _ *http.Request) {
			writeJSONv3(w, map[string]any{"ActivationTriggers": activationTriggers})
		}},
		{http.MethodGet, pathV3Bars, "MarketData", "Barcharts", quotes, func(w http.ResponseWriter, r *http.Request) { s.v3Bars(w, r, r.PathValue("symbol")) }},
		{http.MethodGet, pathV3Symbols, "MarketData", "", &noLimit, func(w http.ResponseWriter, r *http.Request) { s.v3SymbolDetails(w, r.PathValue("symbols")) }},
	}
	allowed := map[string][]string{}
	for _, rt := range rs {
		mux.HandleFunc(rt.method+" "+prefix+rt.path, guard(rt.scope, rt.resource, rt.limit, rt.h))
		allowed[rt.path] = append(allowed[rt.path], rt.method)
	}
	for path, methods := range allowed {
		allow := strings.Join(methods, ", ")
		mux.HandleFunc(prefix+path, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Allow", allow)
			notAllowed(w, r.Method)
		})
	}
}
