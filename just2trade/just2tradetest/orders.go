package just2tradetest

import (
	"time"

	"github.com/shopspring/decimal"
)

// orderReq is an order request as the API receives it.
type orderReq struct {
	AccountNumber string          `json:"account_number"`
	Symbol        string          `json:"symbol"`
	Quantity      decimal.Decimal `json:"quantity"`
	Price         decimal.Decimal `json:"price"`
	StopPrice     decimal.Decimal `json:"stop_price"`
	TimeInForce   string          `json:"time_in_force"`
	OrderType     string          `json:"order_type"`
	Side          string          `json:"side"`
	Comment       string          `json:"comment"`
	Exchange      string          `json:"exchange"`
}

// defaults fills in what the broker defaults.
func (r *orderReq) defaults() {
	if r.TimeInForce == "" {
		r.TimeInForce = "day"
	}
	if r.OrderType == "" {
		r.OrderType = "market"
	}
	if r.Side == "" {
		r.Side = "buy"
	}
	if r.Exchange == "" {
		r.Exchange = "auto"
	}
}

// verdict returns why the order would be refused, or "" when it would be
// accepted: the check behind /orders/validate and the asynchronous
// rejection of placed orders.
func (s *Server) verdict(a *account, r *orderReq) string {
	st := s.st
	q, ok := st.quotes[r.Symbol]
	switch {
	case r.Symbol == "":
		return "Symbol is required"
	case !ok:
		return "Unknown symbol " + r.Symbol
	case !r.Quantity.IsPositive():
		return "Quantity must be positive"
	case !r.Quantity.IsInteger():
		return "Fractional quantities are not supported"
	case r.Price.IsNegative() || r.StopPrice.IsNegative():
		return "Prices must not be negative"
	}
	if !s.orderTypes[r.OrderType] {
		return "Order type " + r.OrderType + " is not supported"
	}
	if !s.tifs[r.TimeInForce] {
		return "Time in force " + r.TimeInForce + " is not supported"
	}
	if r.Side != "buy" && r.Side != "sell" {
		return "Side must be buy or sell"
	}
	needPrice := r.OrderType == "limit" || r.OrderType == "stop_limit" || r.OrderType == "limit_on_close"
	needStop := r.OrderType == "stop" || r.OrderType == "stop_limit"
	if needPrice && !r.Price.IsPositive() {
		return "Price is required for " + r.OrderType + " orders"
	}
	if needStop && !r.StopPrice.IsPositive() {
		return "Stop price is required for " + r.OrderType + " orders"
	}
	switch a.restriction {
	case "disabled", "closed":
		return "Account is " + a.restriction
	}
	if r.Side == "buy" {
		if a.restriction == "restricted" {
			return "Account is restricted to closing transactions"
		}
		px := q.ask
		if needPrice {
			px = r.Price
		}
		if r.Quantity.Mul(px).GreaterThan(st.buyingPower(a)) {
			return "Insufficient buying power"
		}
		return ""
	}
	held := decimal.Zero
	if p, ok := a.positions[r.Symbol]; ok {
		held = p.quantity
	}
	if r.Quantity.GreaterThan(held) {
		return "Short selling is not allowed: insufficient position"
	}
	return ""
}

// process moves every order whose processing time has come: the broker
// accepts or rejects it, and fills it when it is marketable. It runs at
// the start of every API request, on the emulator's clock.
func (s *Server) process(now time.Time) {
	for _, o := range s.st.ordersInOrder() {
		switch o.status {
		case "pending_new":
			if now.Sub(o.placedAt) < s.opts.orderDelay {
				continue
			}
			a := s.st.accounts[o.account]
			r := orderReq{AccountNumber: o.account, Symbol: o.symbol, Quantity: o.quantity, Price: o.price,
				StopPrice: o.stopPrice, TimeInForce: o.tif, OrderType: o.typ, Side: o.side}
			if reason := s.verdict(a, &r); reason != "" {
				o.status = "rejected"
				continue
			}
			o.status = "new"
			s.fill(o, now)
		case "new":
			s.fill(o, now)
		case "pending_cancel":
			if now.Sub(o.cancelAt) >= s.opts.orderDelay {
				o.status = "canceled"
			}
		}
	}
}

// fill executes a working order in full when the quote allows it.
func (s *Server) fill(o *order, now time.Time) {
	q := s.st.quotes[o.symbol]
	a := s.st.accounts[o.account]
	var px decimal.Decimal
	switch {
	case o.typ == "market" || o.typ == "market_on_close":
		px = q.ask
		if o.side == "sell" {
			px = q.bid
		}
	case o.typ == "limit" || o.typ == "limit_on_close":
		if o.side == "buy" && q.ask.LessThanOrEqual(o.price) {
			px = q.ask
		}
		if o.side == "sell" && q.bid.GreaterThanOrEqual(o.price) {
			px = q.bid
		}
	}
	if px.IsZero() {
		return // stops and non-marketable limits keep working
	}
	qty := o.quantity
	signed := qty
	if o.side == "sell" {
		signed = qty.Neg()
	}
	amount := signed.Mul(px)
	a.cash = a.cash.Sub(amount)
	p, ok := a.positions[o.symbol]
	if !ok {
		p = &position{symbol: o.symbol, securityType: q.securityType}
		a.positions[o.symbol] = p
	}
	if o.side == "buy" {
		total := p.quantity.Add(qty)
		p.avgPrice = p.quantity.Mul(p.avgPrice).Add(amount).DivRound(total, 4)
		p.quantity = total
	} else {
		p.quantity = p.quantity.Sub(qty)
		if p.quantity.IsZero() {
			delete(a.positions, o.symbol)
		}
	}
	o.status = "filled"
	o.executedQty = qty
	o.executedPrice = px
	o.executedAt = now
	a.trades = append(a.trades, trade{symbol: o.symbol, at: now, quantity: signed, price: px, side: o.side,
		id: s.st.newID("T")})
	typ, verb := "BUY:EXCH:STD", "Buy"
	if o.side == "sell" {
		typ, verb = "SELL:EXCH:STD", "Sell"
	}
	a.transactions = append(a.transactions, transaction{id: s.st.newID("X"), typ: typ,
		description: verb + " " + qty.String() + " " + o.symbol, day: now.UTC(), symbol: o.symbol,
		symbolDesc: q.description, quantity: signed, price: px, gross: amount.Neg(), net: amount.Neg()})
}
