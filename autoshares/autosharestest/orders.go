package autosharestest

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/brokerkit/brokerkit/internal/oauthsim"
	"github.com/shopspring/decimal"
)

type orderBody struct {
	Symbol      string
	ClientID    string `json:"ClientId"`
	Type        string
	Side        string
	Quantity    json.Number
	Price       json.Number
	StopPrice   json.Number
	TimeInForce string
	Comment     string
}

// orderCheck writes the documented order-check failure: HTTP 200 with
// IsSuccessful false.
func orderCheck(w http.ResponseWriter, reason string) {
	zero := num(decimal.Zero)
	oauthsim.WriteJSON(w, http.StatusOK, map[string]any{"IsSuccessful": false, "ErrorDescription": reason,
		"ErrorDescriptionArgs": []string{}, "Commission": zero, "Commissions": map[string]any{},
		"Cost": zero, "NetCost": zero, "MarginChange": zero})
}

func optDecimal(n json.Number) (decimal.Decimal, error) {
	if n == "" {
		return decimal.Zero, nil
	}
	return decimal.NewFromString(n.String())
}

// checkOrder parses and checks an order the way the broker's order checks
// do; a refusal has been written when ok is false.
func (s *Server) checkOrder(w http.ResponseWriter, r *http.Request, c caller) (*order, *account, *quote, bool) {
	a, ok := s.account(w, r, c, true)
	if !ok || !agreementsSigned(w, c.u) {
		return nil, nil, nil, false
	}
	var in orderBody
	if err := decodeBody(r, &in); err != nil {
		fail(w, http.StatusBadRequest, "invalid_request", "body: "+err.Error())
		return nil, nil, nil, false
	}
	qty, err1 := decimal.NewFromString(in.Quantity.String())
	price, err2 := optDecimal(in.Price)
	stop, err3 := optDecimal(in.StopPrice)
	if err1 != nil || err2 != nil || err3 != nil || !qty.IsPositive() {
		fail(w, http.StatusUnprocessableEntity, "validation_error", "Quantity, Price and StopPrice must be numbers, Quantity positive")
		return nil, nil, nil, false
	}
	switch in.Side {
	case "Buy", "Sell", "SellShort", "BuyToCover":
	default:
		fail(w, http.StatusUnprocessableEntity, "validation_error", "Side must be Buy, Sell, SellShort or BuyToCover")
		return nil, nil, nil, false
	}
	q := s.st.quotes[in.Symbol]
	if q == nil {
		orderCheck(w, "SecurityNotFound")
		return nil, nil, nil, false
	}
	switch in.Type {
	case "Market":
	case "Limit":
		if !price.IsPositive() {
			orderCheck(w, "QuotePriceIsInvalid")
			return nil, nil, nil, false
		}
	case "Stop":
		if !stop.IsPositive() {
			orderCheck(w, "QuotePriceIsInvalid")
			return nil, nil, nil, false
		}
	case "StopLimit":
		if !price.IsPositive() || !stop.IsPositive() {
			orderCheck(w, "QuotePriceIsInvalid")
			return nil, nil, nil, false
		}
	default:
		fail(w, http.StatusUnprocessableEntity, "validation_error", "Type "+in.Type+" is not supported by the emulator")
		return nil, nil, nil, false
	}
	o := &order{accountID: a.id, userID: c.u.id, securityID: q.securityID, clientID: in.ClientID, symbol: q.symbol,
		typ: in.Type, side: in.Side, tif: or(in.TimeInForce, "Day"), comment: in.Comment, qty: qty, price: price, stop: stop}
	buy := in.Side == "Buy" || in.Side == "BuyToCover"
	if buy {
		px := q.ask
		if in.Type == "Limit" || in.Type == "StopLimit" {
			px = price
		}
		if qty.Mul(px).GreaterThan(a.buyingPower()) {
			orderCheck(w, "DayTradingBuyingPowerExceeded")
			return nil, nil, nil, false
		}
	} else {
		held := decimal.Zero
		if p := a.positions[q.symbol]; p != nil {
			held = p.qty
		}
		if in.Side == "Sell" && qty.GreaterThan(held) {
			orderCheck(w, "NotEnoughSharesToSell")
			return nil, nil, nil, false
		}
		if in.Side == "SellShort" && a.marginType == "Cash" {
			orderCheck(w, "ShortSellingNotAllowed")
			return nil, nil, nil, false
		}
	}
	if access := a.access[c.u.id]; access == "ClosePositionsOnly" && (buy || in.Side == "SellShort") {
		fail(w, http.StatusForbidden, "forbidden", "access ClosePositionsOnly may only close positions")
		return nil, nil, nil, false
	}
	return o, a, q, true
}

func (s *Server) previewOrder(w http.ResponseWriter, r *http.Request, c caller) {
	o, _, q, ok := s.checkOrder(w, r, c)
	if !ok {
		return
	}
	px := q.ask
	if o.side == "Sell" || o.side == "SellShort" {
		px = q.bid
	}
	if o.typ == "Limit" || o.typ == "StopLimit" {
		px = o.price
	}
	cost := o.qty.Mul(px)
	zero := num(decimal.Zero)
	oauthsim.WriteJSON(w, http.StatusOK, map[string]any{"IsSuccessful": true, "ErrorDescription": nil,
		"ErrorDescriptionArgs": []string{}, "Commission": zero, "Commissions": map[string]any{},
		"Cost": num(cost), "NetCost": num(cost), "MarginChange": zero,
		"Quotes": []any{map[string]any{"Ask": num(q.ask), "Bid": num(q.bid), "Last": num(q.last),
			"Volume": num(q.volume), "OpenInterest": 0}}})
}

func orderJSON(o *order) map[string]any {
	return map[string]any{
		"Id": o.id, "SecurityId": o.securityID, "Symbol": o.symbol, "Quantity": num(o.qty), "Price": num(o.price),
		"StopPrice": num(o.stop), "ClientId": o.clientID, "ExecutedQuantity": num(o.executed),
		"LeavesQuantity": num(o.qty.Sub(o.executed)), "LastPrice": num(o.avgPrice), "LastQuantity": num(o.executed),
		"AveragePrice": num(o.avgPrice), "Side": o.side, "Date": rfc3339(o.created), "CreateDate": rfc3339(o.created),
		"Status": o.status, "ExecutionStatus": o.status, "Type": o.typ, "RequestStatus": "Accepted",
		"TimeInForce": o.tif, "Comment": o.comment, "AccountId": o.accountID, "UserId": o.userID,
		"ParentId": -1, "Legs": []any{}, "ExecutionInstructions": map[string]any{},
	}
}

func (s *Server) placeOrder(w http.ResponseWriter, r *http.Request, c caller) {
	o, _, _, ok := s.checkOrder(w, r, c)
	if !ok {
		return
	}
	now := s.opts.now()
	s.st.nextOrder++
	o.id, o.status, o.created = s.st.nextOrder, "PendingNew", now
	s.st.orders[o.id] = o
	// The answer shows the order as accepted (PendingNew, as documented);
	// the venue works it right after.
	answer := orderJSON(o)
	if px, ok := s.st.marketable(o); ok {
		s.st.fill(o, px, now)
	} else {
		o.status = "New"
	}
	oauthsim.WriteJSON(w, http.StatusOK, answer)
}

func (s *Server) orderOf(w http.ResponseWriter, r *http.Request, c caller) (*order, bool) {
	a, ok := s.account(w, r, c, false)
	if !ok {
		return nil, false
	}
	id, err := strconv.ParseInt(r.PathValue("orderId"), 10, 64)
	o := s.st.orders[id]
	if err != nil || o == nil || o.accountID != a.id {
		fail(w, http.StatusNotFound, "not_found", "no order "+r.PathValue("orderId"))
		return nil, false
	}
	return o, true
}

func (s *Server) getOrder(w http.ResponseWriter, r *http.Request, c caller) {
	if o, ok := s.orderOf(w, r, c); ok {
		oauthsim.WriteJSON(w, http.StatusOK, orderJSON(o))
	}
}

func (s *Server) cancelOrder(w http.ResponseWriter, r *http.Request, c caller) {
	o, ok := s.orderOf(w, r, c)
	if !ok {
		return
	}
	switch o.status {
	case "New", "PendingNew":
		o.status = "Canceled"
	case "Canceled":
	default:
		fail(w, http.StatusConflict, "conflict", "order "+strconv.FormatInt(o.id, 10)+" is "+o.status)
		return
	}
	oauthsim.WriteJSON(w, http.StatusOK, orderJSON(o))
}

func (s *Server) listOrders(w http.ResponseWriter, r *http.Request, c caller) {
	a, ok := s.account(w, r, c, false)
	if !ok {
		return
	}
	pn, size, ok := page(w, r, 100)
	if !ok {
		return
	}
	var ids []int64
	for id, o := range s.st.orders {
		if o.accountID == a.id {
			ids = append(ids, id)
		}
	}
	// sortField and desc are optional here; desc defaults to false, as the
	// spec says. Orders are sorted by Id whatever sortField names.
	desc := false
	if q := r.URL.Query(); q.Get("desc") != "" {
		if desc, ok = boolParam(w, q, "desc"); !ok {
			return
		}
	}
	slices.Sort(ids)
	if desc {
		slices.Reverse(ids)
	}
	items := make([]map[string]any, len(ids))
	for i, id := range ids {
		items[i] = orderJSON(s.st.orders[id])
	}
	oauthsim.WriteJSON(w, http.StatusOK, pagingResult(r, items, pn, size))
}

func (s *Server) positionJSON(a *account, p *position) map[string]any {
	q := s.st.quotes[p.symbol]
	name := p.symbol
	mv := decimal.Zero
	if q != nil {
		name = q.name
		mv = p.qty.Mul(q.close)
	}
	zero := num(decimal.Zero)
	return map[string]any{
		"Id": p.id, "AccountId": a.id, "SecurityId": p.securityID, "Symbol": p.symbol, "Name": name,
		"CompanyName": name, "SecurityCurrency": "USD", "SecurityType": "Stock", "ContractSize": 1,
		"CostBasis": num(p.qty.Mul(p.avgOpen)), "DailyCostBasis": num(p.qty.Mul(p.avgOpen)),
		"CreateDate": rfc3339(p.created), "ModifyDate": rfc3339(p.modified), "Quantity": num(p.qty),
		"RealizedProfitLoss": num(p.realized), "AverageOpenPrice": num(p.avgOpen), "AverageClosePrice": zero,
		"StopLossPrice": zero, "TakeProfitPrice": zero, "DailyCloseProfitLoss": zero, "ExcessChanges": zero,
		"DayQuantity": zero, "MarketValueEOD": num(mv),
	}
}

// positionFilter reads the one filter form the emulator understands:
// Symbol = 'X' (the documented example).
func positionFilter(f string) (string, bool) {
	f = strings.TrimSpace(f)
	if f == "" {
		return "", true
	}
	field, value, ok := strings.Cut(f, "=")
	if !ok || !strings.EqualFold(strings.TrimSpace(field), "Symbol") {
		return "", false
	}
	value = strings.TrimSpace(value)
	if len(value) < 2 || value[0] != '\'' || value[len(value)-1] != '\'' {
		return "", false
	}
	return value[1 : len(value)-1], true
}

func (s *Server) positions(w http.ResponseWriter, r *http.Request, c caller) {
	a, ok := s.account(w, r, c, false)
	if !ok {
		return
	}
	pn, size, ok := page(w, r, maxPositionsPage)
	if !ok {
		return
	}
	// The spec marks sortField and desc required too.
	q := r.URL.Query()
	if !required(w, q, "sortField") {
		return
	}
	desc, ok := boolParam(w, q, "desc")
	if !ok {
		return
	}
	symbol, ok := positionFilter(q.Get("filter"))
	if !ok {
		fail(w, http.StatusBadRequest, "invalid_request", "filter must look like Symbol = 'AAPL'")
		return
	}
	var list []*position
	for _, p := range a.positions {
		if symbol == "" || p.symbol == symbol {
			list = append(list, p)
		}
	}
	var less func(x, y *position) int
	switch strings.ToLower(q.Get("sortField")) {
	case "symbol":
		less = func(x, y *position) int { return strings.Compare(x.symbol, y.symbol) }
	case "quantity":
		less = func(x, y *position) int { return x.qty.Cmp(y.qty) }
	case "id":
		less = func(x, y *position) int { return int(x.id - y.id) }
	default:
		fail(w, http.StatusBadRequest, "invalid_request", "sortField must be Symbol, Quantity or Id")
		return
	}
	slices.SortFunc(list, less)
	if desc {
		slices.Reverse(list)
	}
	items := make([]map[string]any, len(list))
	for i, p := range list {
		items[i] = s.positionJSON(a, p)
	}
	oauthsim.WriteJSON(w, http.StatusOK, pagingResult(r, items, pn, size))
}

// logout ends the tenant session: it checks client_id, as AutoShares
// requires, and sends the browser to returnTo.
func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("client_id") != ClientID {
		fail(w, http.StatusBadRequest, "invalid_request", "client_id is missing or unknown")
		return
	}
	if rt := q.Get("returnTo"); rt != "" {
		http.Redirect(w, r, rt, http.StatusFound)
		return
	}
	w.WriteHeader(http.StatusOK)
}
