package just2tradetest

import (
	"encoding/json"
	"errors"
	"io"
	"math"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/brokerkit/brokerkit/internal/oauthsim"
)

// maxRequestBody caps every request body the API reads.
const maxRequestBody = 1 << 20

// maxBars caps one history answer.
const maxBars = 20000

// num writes a decimal as a JSON number, as the broker does.
var num = oauthsim.Decimal

// apiError writes the broker's {"code","message"} envelope.
func apiError(w http.ResponseWriter, status int, code, msg string) {
	oauthsim.WriteJSON(w, status, map[string]string{"code": code, "message": msg})
}

// unauthorized is the broker's 401 for a wrong, revoked or expired token:
// a bare status, as documented.
func unauthorized(w http.ResponseWriter, _ *http.Request, _ error) {
	w.WriteHeader(http.StatusUnauthorized)
}

// api wraps a handler: faults first, then the token (either header
// spelling), then due order processing under the state lock.
func (s *Server) api(h func(w http.ResponseWriter, r *http.Request, now time.Time)) http.Handler {
	inner := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, maxRequestBody)
		defer s.hub.bump() // the streams look for what the call changed
		s.mu.Lock()
		defer s.mu.Unlock()
		now := s.eng.Now()
		s.process(now)
		h(w, r, now)
	})
	return s.eng.Faults().Wrap(s.eng.Protect(inner, unauthorized))
}

func (s *Server) routes(mux *http.ServeMux) {
	if s.opts.profilePath != pathLegacyProfile {
		mux.Handle("GET "+pathUserinfo, s.api(s.userinfo))
	}
	if s.opts.profilePath != pathUserinfo {
		mux.Handle("GET "+pathLegacyProfile, s.api(s.legacyAuth))
	}
	mux.Handle("GET "+pathAccountsSocket, upgradeOr(s.socketHandler(false), s.api(s.balances)))
	mux.Handle("GET "+pathMarketSocket, s.socketHandler(true))
	mux.Handle("GET /accounts/{account}/positions", s.api(s.positions))
	mux.Handle("GET /accounts/{account}/trades/{date}", s.api(s.trades))
	mux.Handle("GET /accounts/{account}/transactions", s.api(s.transactions))
	mux.Handle("GET /accounts/{account}/activeorders", s.api(s.activeOrders))
	mux.Handle("GET /marketdata/quote", s.api(s.quote))
	mux.Handle("POST /marketdata/quotes", s.api(s.quotes))
	mux.Handle("GET /marketdata/history", s.api(s.history))
	mux.Handle("GET /securities", s.api(s.securities))
	mux.Handle("POST /orders/validate", s.api(s.validate))
	mux.Handle("POST /orders/place", s.api(s.place))
	mux.Handle("GET /orders/{id}", s.api(s.getOrder))
	mux.Handle("POST /orders/{id}/cancel", s.api(s.cancel))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		apiError(w, http.StatusNotFound, codeNotFound, "No such endpoint")
	})
}

// The profile's paths: GET /userinfo from 2017-10-25 on, GET /auth in the
// documentation's first weeks (2017-10-10 to 2017-10-18).
const (
	pathUserinfo      = "/userinfo"
	pathLegacyProfile = "/auth"
)

// account returns the caller's account named in the path, or answers 404.
func (s *Server) account(w http.ResponseWriter, r *http.Request) *account {
	a, ok := s.st.accounts[r.PathValue("account")]
	if !ok || !s.owns(r) {
		apiError(w, http.StatusNotFound, codeNotFound, "Account not found")
		return nil
	}
	return a
}

// owns reports whether the request's token is the seeded user's.
func (s *Server) owns(r *http.Request) bool {
	g, ok := oauthsim.GrantFrom(r.Context())
	return ok && g.UserID == s.st.user.id
}

type profileAccountJSON struct {
	AccountNumber string `json:"account_number"`
	AccountName   string `json:"account_name,omitempty"`
	TradePlatform string `json:"trade_platform"`
}

func (s *Server) profileAccounts(withName bool) []profileAccountJSON {
	out := []profileAccountJSON{}
	for _, n := range s.st.order {
		a := s.st.accounts[n]
		pa := profileAccountJSON{AccountNumber: a.number, TradePlatform: TradePlatform}
		if withName {
			pa.AccountName = a.name
		}
		out = append(out, pa)
	}
	return out
}

func (s *Server) userinfo(w http.ResponseWriter, r *http.Request, _ time.Time) {
	u := s.st.user
	oauthsim.WriteJSON(w, http.StatusOK, map[string]any{
		"id": u.id, "login": u.login, "email": u.email, "first_name": u.first, "last_name": u.last,
		"domestic": true, "accounts": s.profileAccounts(true),
		"applications": []map[string]string{{"account_number": "", "status": "process"}},
	})
}

// legacyAuth is the October 2017 profile at GET /auth: one application
// object, no names.
func (s *Server) legacyAuth(w http.ResponseWriter, r *http.Request, _ time.Time) {
	u := s.st.user
	oauthsim.WriteJSON(w, http.StatusOK, map[string]any{
		"id": u.id, "login": u.login, "email": u.email, "domestic": true,
		"accounts": s.profileAccounts(false), "application": map[string]string{"status": "process"},
	})
}

func (s *Server) balances(w http.ResponseWriter, r *http.Request, _ time.Time) {
	out := []map[string]any{}
	for _, n := range s.st.order {
		out = append(out, s.balanceJSON(s.st.accounts[n]))
	}
	oauthsim.WriteJSON(w, http.StatusOK, out)
}

// balanceJSON is one account's balances, as GET /accounts and the account
// feed's b messages list them.
func (s *Server) balanceJSON(a *account) map[string]any {
	mv := s.st.marketValue(a)
	bp := s.st.buyingPower(a)
	margin := decimal.Zero
	if a.marginType != "cash" {
		margin = bp
	}
	return map[string]any{
		"account_number": a.number, "trade_platform": TradePlatform, "margin_type": a.marginType,
		"restriction": a.restriction, "daytrades_count": a.daytrades,
		"account_value_total": num(a.cash.Add(mv)), "cash": num(a.cash),
		"day_trading_buying_power": num(decimal.Zero), "margin_buying_power": num(margin),
		"non_margin_buying_power": num(a.cash), "position_market_value": num(mv),
		"unsettled_cash": num(a.unsettled), "cash_to_withdraw": num(a.cash.Sub(a.unsettled)),
	}
}

func (s *Server) positions(w http.ResponseWriter, r *http.Request, _ time.Time) {
	a := s.account(w, r)
	if a == nil {
		return
	}
	q := r.URL.Query()
	if v := q.Get("date"); v != "" {
		if _, err := time.Parse("2006-01-02", v); err != nil {
			apiError(w, http.StatusBadRequest, codeValidation, "date must be yyyy-MM-dd")
			return
		}
	}
	oauthsim.WriteJSON(w, http.StatusOK, s.positionsJSON(a))
}

// positionsJSON is an account's positions, as GET .../positions and the
// account feed's p messages list them.
func (s *Server) positionsJSON(a *account) []map[string]any {
	out := []map[string]any{}
	for _, p := range a.sortedPositions() {
		cur := decimal.Zero
		if qt, ok := s.st.quotes[p.symbol]; ok {
			cur = qt.last
		}
		out = append(out, map[string]any{"symbol": p.symbol, "quantity": num(p.quantity),
			"average_open_price": num(p.avgPrice), "current_price": num(cur), "security_type": p.securityType})
	}
	return out
}

// paging reads limit and skip; ok is false after a 400 was written.
func paging(w http.ResponseWriter, r *http.Request, defLimit int) (limit, skip int, ok bool) {
	limit, skip = defLimit, 0
	q := r.URL.Query()
	for name, dst := range map[string]*int{"limit": &limit, "skip": &skip} {
		if v := q.Get(name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 || n > 1000 {
				apiError(w, http.StatusBadRequest, codeValidation, name+" must be an integer from 0 to 1000")
				return 0, 0, false
			}
			*dst = n
		}
	}
	return limit, skip, true
}

func page[T any](items []T, limit, skip int) []T {
	if skip >= len(items) {
		return []T{}
	}
	items = items[skip:]
	if limit < len(items) {
		items = items[:limit]
	}
	return items
}

func (s *Server) trades(w http.ResponseWriter, r *http.Request, _ time.Time) {
	a := s.account(w, r)
	if a == nil {
		return
	}
	day, err := time.Parse("2006-01-02", r.PathValue("date"))
	if err != nil {
		apiError(w, http.StatusBadRequest, codeValidation, "date must be yyyy-MM-dd")
		return
	}
	limit, skip, ok := paging(w, r, 10)
	if !ok {
		return
	}
	var list []map[string]any
	for i := len(a.trades) - 1; i >= 0; i-- { // newest first
		t := a.trades[i]
		if !t.at.UTC().Truncate(24 * time.Hour).Equal(day) {
			continue
		}
		side := t.side
		list = append(list, map[string]any{"symbol": t.symbol, "timestamp": t.at.Unix(), "quantity": num(t.quantity),
			"price": num(t.price), "amount": num(t.quantity.Mul(t.price)), "side": side, "trade_id": t.id})
	}
	oauthsim.WriteJSON(w, http.StatusOK, map[string]any{"trades": page(list, limit, skip), "count": len(list)})
}

func (s *Server) transactions(w http.ResponseWriter, r *http.Request, _ time.Time) {
	a := s.account(w, r)
	if a == nil {
		return
	}
	var start, end time.Time
	for name, dst := range map[string]*time.Time{"start_date": &start, "end_date": &end} {
		if v := r.URL.Query().Get(name); v != "" {
			t, err := time.Parse("2006-01-02", v)
			if err != nil {
				apiError(w, http.StatusBadRequest, codeValidation, name+" must be yyyy-MM-dd")
				return
			}
			*dst = t
		}
	}
	limit, skip, ok := paging(w, r, 10)
	if !ok {
		return
	}
	var list []map[string]any
	for i := len(a.transactions) - 1; i >= 0; i-- {
		t := a.transactions[i]
		day := t.day.UTC().Truncate(24 * time.Hour)
		if (!start.IsZero() && day.Before(start)) || (!end.IsZero() && day.After(end)) {
			continue
		}
		fees := []map[string]any{}
		total := decimal.Zero
		for _, f := range t.fees {
			fees = append(fees, map[string]any{"name": f.name, "amount": num(f.amount)})
			total = total.Add(f.amount)
		}
		item := map[string]any{"id": t.id, "type": t.typ, "description": t.description,
			"date": day.Format("2006-01-02"), "cash": map[string]any{"gross_amount": num(t.gross), "net_amount": num(t.net)},
			"fees": fees}
		if t.symbol != "" {
			item["asset"] = map[string]any{"symbol": t.symbol, "symbol_description": t.symbolDesc,
				"quantity": num(t.quantity), "price": num(t.price)}
		}
		list = append(list, item)
	}
	oauthsim.WriteJSON(w, http.StatusOK, map[string]any{"transactions": page(list, limit, skip), "count": len(list)})
}

func (s *Server) quoteJSON(q *quote, now time.Time) map[string]any {
	change := q.last.Sub(q.prevClose)
	pc := decimal.Zero
	if !q.prevClose.IsZero() {
		pc = change.Div(q.prevClose).Mul(decimal.NewFromInt(100)).Round(2)
	}
	return map[string]any{"symbol": q.symbol, "ask": num(q.ask), "ask_size": q.askSize, "bid": num(q.bid),
		"bid_size": q.bidSize, "last": num(q.last), "last_size": q.lastSize, "volume": q.volume,
		// 15 minutes delayed.
		"date": now.Add(-15 * time.Minute).Unix(), "high": num(q.high), "low": num(q.low), "open": num(q.open),
		"close": num(q.prevClose), "week52_high": num(q.week52High), "week52_low": num(q.week52Low),
		"change": num(change), "change_pc": num(pc), "open_interest": 0}
}

func (s *Server) quote(w http.ResponseWriter, r *http.Request, now time.Time) {
	sym := r.URL.Query().Get("symbol")
	if sym == "" && s.opts.pluralQuote {
		sym = r.URL.Query().Get("symbols")
	}
	if sym == "" {
		apiError(w, http.StatusBadRequest, codeValidation, "symbol is required")
		return
	}
	q, ok := s.st.quotes[sym]
	if !ok {
		apiError(w, http.StatusNotFound, codeNotFound, "Symbol "+sym+" not found")
		return
	}
	oauthsim.WriteJSON(w, http.StatusOK, s.quoteJSON(q, now))
}

func (s *Server) quotes(w http.ResponseWriter, r *http.Request, now time.Time) {
	var syms []string
	if err := json.NewDecoder(r.Body).Decode(&syms); err != nil {
		apiError(w, http.StatusBadRequest, codeValidation, "body must be a JSON array of symbols")
		return
	}
	out := []map[string]any{}
	for _, sym := range syms {
		if q, ok := s.st.quotes[sym]; ok {
			out = append(out, s.quoteJSON(q, now))
		}
	}
	oauthsim.WriteJSON(w, http.StatusOK, out)
}

var periods = map[string]time.Duration{
	"minute": time.Minute, "minute_5": 5 * time.Minute, "minute_15": 15 * time.Minute,
	"minute_30": 30 * time.Minute, "hour": time.Hour, "day": 24 * time.Hour, "week": 7 * 24 * time.Hour,
	"month": 30 * 24 * time.Hour, "quarter": 91 * 24 * time.Hour, "year": 365 * 24 * time.Hour,
}

// history generates bars deterministically around the symbol's last
// price: the same request always gets the same bars.
func (s *Server) history(w http.ResponseWriter, r *http.Request, _ time.Time) {
	qv := r.URL.Query()
	q, ok := s.st.quotes[qv.Get("symbol")]
	if !ok {
		apiError(w, http.StatusNotFound, codeNotFound, "Symbol not found")
		return
	}
	step, ok := periods[qv.Get("period")]
	if !ok {
		apiError(w, http.StatusBadRequest, codeValidation, "unknown period")
		return
	}
	from, err1 := strconv.ParseInt(qv.Get("from"), 10, 64)
	to, err2 := strconv.ParseInt(qv.Get("to"), 10, 64)
	if err1 != nil || err2 != nil || from < 0 || to < from {
		apiError(w, http.StatusBadRequest, codeValidation, "from and to must be Unix seconds, from <= to")
		return
	}
	if s.opts.lime && time.Duration(to-from)*time.Second > limeHistoryCap(step) {
		apiError(w, http.StatusBadRequest, codeValidation, "range too large for period "+qv.Get("period"))
		return
	}
	secs := int64(step / time.Second)
	first := (from + secs - 1) / secs
	last := to / secs
	if last-first+1 > maxBars {
		apiError(w, http.StatusBadRequest, codeValidation, "range too large for the period")
		return
	}
	cent := decimal.New(1, -2)
	out := []map[string]any{}
	for k := first; k <= last; k++ {
		// A bounded, repeatable wiggle of at most ±1% around last.
		wig := func(salt int64) decimal.Decimal {
			x := math.Sin(float64(k*31+salt)) * 100
			return q.last.Mul(decimal.NewFromInt(int64(x))).Div(decimal.NewFromInt(10000)).Round(2)
		}
		open, cls := q.last.Add(wig(1)), q.last.Add(wig(2))
		high := decimal.Max(open, cls).Add(cent.Mul(decimal.NewFromInt(k%7 + 1)))
		low := decimal.Min(open, cls).Sub(cent.Mul(decimal.NewFromInt(k%5 + 1)))
		out = append(out, map[string]any{"timestamp": k * secs, "period": qv.Get("period"), "open": num(open),
			"high": num(high), "low": num(low), "close": num(cls), "volume": 1000 + (k*7919)%50000})
	}
	oauthsim.WriteJSON(w, http.StatusOK, out)
}

// limeHistoryCap is Lime's longest history range for a bar length: a week
// of minutes, a month of 5 to 60 minutes, a year of days, five years of
// longer bars.
func limeHistoryCap(step time.Duration) time.Duration {
	const day = 24 * time.Hour
	switch {
	case step < 5*time.Minute:
		return 7 * day
	case step <= time.Hour:
		return 31 * day
	case step <= day:
		return 366 * day
	}
	return 5 * 366 * day
}

func (s *Server) securities(w http.ResponseWriter, r *http.Request, _ time.Time) {
	query := strings.ToUpper(strings.TrimSpace(r.URL.Query().Get("query")))
	if query == "" {
		apiError(w, http.StatusBadRequest, codeValidation, "query is required")
		return
	}
	limit, _, ok := paging(w, r, 10)
	if !ok {
		return
	}
	var list []map[string]any
	syms := make([]string, 0, len(s.st.quotes))
	for sym := range s.st.quotes {
		syms = append(syms, sym)
	}
	sort.Strings(syms)
	for _, sym := range syms {
		q := s.st.quotes[sym]
		if strings.HasPrefix(sym, query) || strings.Contains(strings.ToUpper(q.description), query) {
			list = append(list, map[string]any{"symbol": sym, "description": q.description})
		}
	}
	oauthsim.WriteJSON(w, http.StatusOK, map[string]any{"securities": page(list, limit, 0), "count": len(list)})
}

// readOrder decodes an order request; ok is false after a 400 or 404 was
// written.
func (s *Server) readOrder(w http.ResponseWriter, r *http.Request) (*orderReq, *account, bool) {
	var req orderReq
	dec := json.NewDecoder(r.Body)
	if err := dec.Decode(&req); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			apiError(w, http.StatusRequestEntityTooLarge, codeValidation, "request body too large")
			return nil, nil, false
		}
		apiError(w, http.StatusBadRequest, codeValidation, "Malformed order: "+err.Error())
		return nil, nil, false
	}
	if req.AccountNumber == "" {
		apiError(w, http.StatusBadRequest, codeValidation, "account_number is required")
		return nil, nil, false
	}
	a, ok := s.st.accounts[req.AccountNumber]
	if !ok || !s.owns(r) {
		apiError(w, http.StatusNotFound, codeNotFound, "Account not found")
		return nil, nil, false
	}
	req.defaults()
	return &req, a, true
}

func (s *Server) validate(w http.ResponseWriter, r *http.Request, _ time.Time) {
	req, a, ok := s.readOrder(w, r)
	if !ok {
		return
	}
	if reason := s.verdict(a, req); reason != "" {
		oauthsim.WriteJSON(w, http.StatusOK, map[string]any{"is_valid": false, "validation_message": reason})
		return
	}
	oauthsim.WriteJSON(w, http.StatusOK, map[string]any{"is_valid": true})
}

// place takes every well-formed order; checks run later and reject it
// asynchronously, as the broker documents.
func (s *Server) place(w http.ResponseWriter, r *http.Request, now time.Time) {
	req, a, ok := s.readOrder(w, r)
	if !ok {
		return
	}
	o := &order{id: s.st.newID("ORD"), account: a.number, symbol: req.Symbol, quantity: req.Quantity,
		price: req.Price, stopPrice: req.StopPrice, tif: req.TimeInForce, typ: req.OrderType, side: req.Side,
		exchange: req.Exchange, comment: req.Comment, status: "pending_new", placedAt: now}
	s.st.orders[o.id] = o
	a.orderIDs = append(a.orderIDs, o.id)
	if s.opts.orderDelay == 0 {
		s.process(now)
	}
	oauthsim.WriteJSON(w, http.StatusOK, map[string]any{"success": true, "data": o.id})
}

func orderJSON(o *order) map[string]any {
	m := map[string]any{"account_number": o.account, "client_id": o.id, "exchange": o.exchange,
		"quantity": num(o.quantity), "executed_quantity": num(o.executedQty), "order_status": o.status,
		"price": num(o.price), "stop_price": num(o.stopPrice), "time_in_force": o.tif, "order_type": o.typ,
		"order_side": o.side, "symbol": o.symbol}
	if o.comment != "" {
		m["comment"] = o.comment
	}
	if !o.executedAt.IsZero() {
		m["executed_price"] = num(o.executedPrice)
		m["executed_timestamp"] = o.executedAt.Unix()
	}
	return m
}

// order returns the caller's order named in the path, or answers 404.
func (s *Server) order(w http.ResponseWriter, r *http.Request) *order {
	o, ok := s.st.orders[r.PathValue("id")]
	if !ok || !s.owns(r) {
		apiError(w, http.StatusNotFound, codeNotFound, "Order not found")
		return nil
	}
	return o
}

func (s *Server) getOrder(w http.ResponseWriter, r *http.Request, _ time.Time) {
	if o := s.order(w, r); o != nil {
		oauthsim.WriteJSON(w, http.StatusOK, orderJSON(o))
	}
}

func (s *Server) activeOrders(w http.ResponseWriter, r *http.Request, _ time.Time) {
	a := s.account(w, r)
	if a == nil {
		return
	}
	out := []map[string]any{}
	for _, id := range a.orderIDs {
		if o := s.st.orders[id]; !final(o.status) {
			out = append(out, orderJSON(o))
		}
	}
	oauthsim.WriteJSON(w, http.StatusOK, out)
}

func (s *Server) cancel(w http.ResponseWriter, r *http.Request, now time.Time) {
	o := s.order(w, r)
	if o == nil {
		return
	}
	var body struct {
		Message string `json:"message"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil && !errors.Is(err, io.EOF) {
		apiError(w, http.StatusBadRequest, codeValidation, "Malformed cancel request")
		return
	}
	if final(o.status) || o.status == "pending_cancel" {
		apiError(w, http.StatusBadRequest, codeValidation, "Order "+o.id+" is "+o.status+" and cannot be canceled")
		return
	}
	o.status = "pending_cancel"
	o.cancelAt = now
	if s.opts.orderDelay == 0 {
		s.process(now)
	}
	oauthsim.WriteJSON(w, http.StatusOK, map[string]any{"success": true, "data": s.st.newID("CXL")})
}

// final reports whether an order in status can change no more.
func final(status string) bool {
	switch status {
	case "filled", "canceled", "replaced", "rejected", "done_for_day", "expired":
		return true
	}
	return false
}
