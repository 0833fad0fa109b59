package tradestationtest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/internal/oauthsim"
	"github.com/brokerkit/brokerkit/tradestation"
)

// Request limits the real API documents.
const (
	maxV3Symbols  = 100
	maxV2Symbols  = 50
	maxV3Accounts = 25
)

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "tradestationtest: encoding failed", http.StatusInternalServerError)
		return
	}
	writeRaw(w, status, b)
}

func writeRaw(w http.ResponseWriter, status int, b []byte) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// v3Error writes API v3's {"Error","Message"} body.
func v3Error(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, map[string]string{"Error": code, "Message": msg})
}

// v2Error writes WebAPI v2's {"TraceId","StatusCode","Message"} body.
func (s *Server) v2Error(w http.ResponseWriter, status int, msg string) {
	n := s.traces.Add(1)
	writeJSON(w, status, map[string]any{"TraceId": fmt.Sprintf("00000000-0000-4000-8000-%012d", n),
		"StatusCode": status, "Message": msg})
}

// serveAPI serves API v3, WebAPI v2 and the AOP stand-in, on the live
// host, the SIM host (/sim) and the AOP host (/aop).
func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request) {
	env, aop, p := hostOf(r.URL.EscapedPath())
	lower := strings.ToLower(p)
	switch {
	case aop:
		s.serveAOP(w, r, p)
	case strings.HasPrefix(p, "/v3/"):
		s.serveV3(w, r, env, p)
	case strings.HasPrefix(lower, "/v2/"):
		s.serveV2(w, r, env, p)
	default:
		v3Error(w, http.StatusNotFound, "NotFound", "not found "+lower)
	}
}

// tokenRefusal writes the v3 answer to a refused token: 403 for a missing
// scope, 401 for everything else (a wrong audience included, as Auth0's
// APIs answer).
func tokenRefusal(w http.ResponseWriter, err error) {
	var te *oauthsim.TokenError
	if errors.As(err, &te) && errors.Is(te, oauthsim.ErrInsufficientScope) {
		v3Error(w, http.StatusForbidden, "Forbidden", "Insufficient scope: "+te.Detail)
		return
	}
	msg := "Unauthorized"
	if te != nil {
		msg = "Unauthorized: " + te.Reason.Error()
	}
	v3Error(w, http.StatusUnauthorized, "Unauthorized", msg)
}

func (s *Server) serveV3(w http.ResponseWriter, r *http.Request, env auth.Environment, p string) {
	seg, ok := pathSegments(p)
	if !ok || len(seg) < 3 {
		v3Error(w, http.StatusNotFound, "NotFound", "not found "+strings.ToLower(strings.TrimPrefix(p, "/v3")))
		return
	}
	seg = seg[1:] // drop "v3"
	var scope, resource string
	var limit int
	switch {
	case seg[0] == "brokerage" && seg[1] == "accounts" && (len(seg) == 2 ||
		len(seg) == 4 && (seg[3] == "balances" || seg[3] == "positions")):
		scope, resource, limit = "ReadAccount", "Accounts", s.limits.l.Accounts
	case len(seg) == 3 && seg[0] == "marketdata" && seg[1] == "quotes":
		scope, resource, limit = "MarketData", "Quotes", s.limits.l.Quotes
	default:
		v3Error(w, http.StatusNotFound, "NotFound", "not found "+strings.ToLower(strings.TrimPrefix(p, "/v3")))
		return
	}
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", "GET")
		v3Error(w, http.StatusMethodNotAllowed, "MethodNotAllowed", r.Method+" is not allowed here")
		return
	}
	g, err := s.v3.Validate(r, oauthsim.WithAudience(tradestation.TradingAudience), oauthsim.WithScopes(scope))
	if err != nil {
		tokenRefusal(w, err)
		return
	}
	q := s.limits.take(g.Subject, resource, limit)
	s.limits.setHeaders(w.Header(), q)
	if q != nil && q.exceeded {
		v3Error(w, http.StatusTooManyRequests, "TooManyRequests", "Rate quota exceeded")
		return
	}
	switch {
	case resource == "Quotes":
		s.v3Quotes(w, seg[2])
	case len(seg) == 2:
		s.v3Accounts(w, env)
	case seg[3] == "balances":
		s.v3Balances(w, env, seg[2])
	default:
		s.v3Positions(w, env, seg[2], r.URL.Query().Get("symbol"))
	}
}

func (s *Server) v3Quotes(w http.ResponseWriter, list string) {
	syms := strings.Split(list, ",")
	if len(syms) > maxV3Symbols {
		v3Error(w, http.StatusBadRequest, "BadRequest", fmt.Sprintf("at most %d symbols per request", maxV3Symbols))
		return
	}
	var b bytes.Buffer
	b.WriteString(`{"Quotes":[`)
	var errs []map[string]string
	n := 0
	for _, sym := range syms {
		q, ok := s.data.v3Quotes[strings.ToUpper(strings.TrimSpace(sym))]
		if !ok {
			errs = append(errs, map[string]string{"Symbol": sym, "Error": "FAILED, INVALID SYMBOL"})
			continue
		}
		if n > 0 {
			b.WriteByte(',')
		}
		b.Write(q)
		n++
	}
	b.WriteString(`]`)
	if len(errs) > 0 {
		e, _ := json.Marshal(errs)
		b.WriteString(`,"Errors":`)
		b.Write(e)
	}
	b.WriteString(`}`)
	writeRaw(w, http.StatusOK, b.Bytes())
}

func (s *Server) v3Accounts(w http.ResponseWriter, env auth.Environment) {
	var out []map[string]any
	for _, a := range s.data.accounts[env] {
		out = append(out, map[string]any{"AccountID": a.id, "Currency": "USD", "Status": "Active",
			"AccountType": a.typ, "AccountDetail": map[string]any{"IsStockLocateEligible": false,
				"EnrolledInRegTProgram": a.typ == "Margin", "RequiresBuyingPowerWarning": a.typ == "Margin",
				"DayTradingQualified": a.typ == "Margin", "OptionApprovalLevel": 2, "PatternDayTrader": false}})
	}
	writeJSON(w, http.StatusOK, map[string]any{"Accounts": out})
}

// accountsOf resolves a comma list of account IDs into the known
// accounts and an Errors[] item for each unknown one, answering 400 itself
// when there are too many.
func (s *Server) accountsOf(w http.ResponseWriter, env auth.Environment, list string) ([]*account, []map[string]string, bool) {
	ids := strings.Split(list, ",")
	if len(ids) > maxV3Accounts {
		v3Error(w, http.StatusBadRequest, "BadRequest", fmt.Sprintf("at most %d accounts per request", maxV3Accounts))
		return nil, nil, false
	}
	var found []*account
	errs := []map[string]string{}
	for _, id := range ids {
		if a := s.data.account(env, id); a != nil {
			found = append(found, a)
		} else {
			errs = append(errs, map[string]string{"AccountID": id, "Error": "Forbidden",
				"Message": "Not authorized for this account."})
		}
	}
	return found, errs, true
}

// valuation is a position marked to the seeded last price.
func (s *Server) valuation(p position) (last, value, pl decimal.Decimal, pointValue decimal.Decimal) {
	in := s.data.instruments[strings.ToUpper(p.symbol)]
	last, pointValue = in.last, d(in.pointValue)
	sign := decimal.NewFromInt(1)
	if !p.long {
		sign = sign.Neg()
	}
	value = last.Mul(p.qty).Mul(pointValue).Mul(sign)
	pl = last.Sub(p.avg).Mul(p.qty).Mul(pointValue).Mul(sign)
	return
}

func (s *Server) v3Balances(w http.ResponseWriter, env auth.Environment, list string) {
	accts, errs, ok := s.accountsOf(w, env, list)
	if !ok {
		return
	}
	bals := []map[string]any{}
	for _, a := range accts {
		mv, upl := decimal.Zero, decimal.Zero
		for _, p := range a.positions {
			_, v, pl, _ := s.valuation(p)
			if a.typ == "Futures" {
				v = pl // futures are marked to market: only open trade equity counts
			}
			mv, upl = mv.Add(v), upl.Add(pl)
		}
		equity := a.cash.Add(mv)
		bp := a.cash
		if a.typ == "Margin" {
			bp = equity.Mul(d("2"))
		}
		b := map[string]any{"AccountID": a.id, "AccountType": a.typ, "CashBalance": a.cash.String(),
			"BuyingPower": bp.String(), "Equity": equity.String(), "MarketValue": mv.String(),
			"TodaysProfitLoss": "0", "UnclearedDeposit": "0", "Commission": "0",
			"BalanceDetail": map[string]string{"CostOfPositions": equity.Sub(a.cash).Sub(upl).String(),
				"DayTradeExcess": "0", "DayTradeMargin": "0", "DayTradeOpenOrderMargin": "0", "DayTrades": "0",
				"InitialMargin": "0", "MaintenanceMargin": "0", "MaintenanceRate": "0", "MarginRequirement": "0",
				"OpenOrderMargin": "0", "OptionBuyingPower": a.cash.String(), "OptionsMarketValue": "0",
				"OvernightBuyingPower": bp.String(), "RealizedProfitLoss": "0", "RequiredMargin": "0",
				"SecurityOnDeposit": "0", "TodayRealTimeTradeEquity": "0", "TradeEquity": "0",
				"UnrealizedProfitLoss": upl.String(), "UnsettledFunds": "0"}}
		if a.typ == "Futures" {
			b["CurrencyDetails"] = []map[string]string{{"Currency": "USD", "Commission": "0",
				"CashBalance": a.cash.String(), "RealizedProfitLoss": "0", "UnrealizedProfitLoss": upl.String(),
				"InitialMargin": "12650", "MaintenanceMargin": "11500", "AccountConversionRate": "1",
				"AccountMarginRequirement": "12650"}}
		}
		bals = append(bals, b)
	}
	writeJSON(w, http.StatusOK, map[string]any{"Balances": bals, "Errors": errs})
}

// symbolMatch applies the positions filter: comma-separated symbols, '*'
// a wildcard.
func symbolMatch(filter, sym string) bool {
	if filter == "" {
		return true
	}
	for _, f := range strings.Split(filter, ",") {
		f = strings.TrimSpace(f)
		if pre, wild := strings.CutSuffix(f, "*"); wild {
			if strings.HasPrefix(strings.ToUpper(sym), strings.ToUpper(strings.TrimSpace(pre))) {
				return true
			}
		} else if strings.EqualFold(f, sym) {
			return true
		}
	}
	return false
}

func (s *Server) v3Positions(w http.ResponseWriter, env auth.Environment, list, filter string) {
	accts, errs, ok := s.accountsOf(w, env, list)
	if !ok {
		return
	}
	out := []map[string]any{}
	for _, a := range accts {
		for _, p := range a.positions {
			if !symbolMatch(filter, p.symbol) {
				continue
			}
			in := s.data.instruments[strings.ToUpper(p.symbol)]
			pr := pricesOf(in)
			last, value, pl, pv := s.valuation(p)
			cost := p.avg.Mul(p.qty).Mul(pv)
			side := "Long"
			if !p.long {
				side = "Short"
			}
			out = append(out, map[string]any{"AccountID": a.id, "AssetType": in.assetType,
				"AveragePrice": p.avg.String(), "Bid": pr.bid.String(), "Ask": pr.ask.String(), "Last": last.String(),
				"ConversionRate": "1", "DayTradeRequirement": "0", "InitialRequirement": "0", "MaintenanceMargin": "0",
				"LongShort": side, "MarkToMarketPrice": p.avg.String(), "MarketValue": value.String(),
				"PositionID": p.id, "Quantity": p.qty.String(), "Symbol": p.symbol,
				"Timestamp": "2026-01-02T14:30:00Z", "TodaysProfitLoss": "0", "TotalCost": cost.String(),
				"UnrealizedProfitLoss":        pl.String(),
				"UnrealizedProfitLossPercent": pl.Div(cost).Mul(d("100")).Round(4).String(),
				"UnrealizedProfitLossQty":     pl.Div(p.qty).Div(pv).Round(4).String()})
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"Positions": out, "Errors": errs})
}

// serveV2 serves WebAPI v2. Paths are matched case-insensitively, as the
// documentation spells them both ways.
func (s *Server) serveV2(w http.ResponseWriter, r *http.Request, env auth.Environment, p string) {
	seg, ok := pathSegments(p)
	if !ok {
		s.v2Error(w, http.StatusNotFound, "Not Found")
		return
	}
	low := make([]string, len(seg))
	for i, x := range seg {
		low[i] = strings.ToLower(x)
	}
	type route struct {
		category string // counted against the v2 quota; "" for symbol lookup
		appOnly  bool
	}
	var rt route
	switch {
	case len(seg) == 4 && low[1] == "users" && low[3] == "accounts":
		rt = route{category: "Accounts"}
	case len(seg) == 4 && low[1] == "data" && low[2] == "quote":
		rt = route{category: "Quotes"}
	case len(seg) == 5 && low[1] == "data" && low[2] == "symbols" && (low[3] == "suggest" || low[3] == "search"):
		rt = route{appOnly: true}
	default:
		s.v2Error(w, http.StatusNotFound, "Not Found")
		return
	}
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", "GET")
		s.v2Error(w, http.StatusMethodNotAllowed, "Method Not Allowed")
		return
	}
	var opts []oauthsim.ValidateOption
	if rt.appOnly {
		opts = append(opts, oauthsim.AllowAppOnly())
	}
	g, err := s.v2.Validate(r, opts...)
	if err != nil && rt.appOnly {
		// API v3 still serves the v2 symbol lookups to its own tokens.
		if g3, err3 := s.v3.Validate(r, oauthsim.WithAudience(tradestation.TradingAudience)); err3 == nil {
			g, err = g3, nil
		}
	}
	if err != nil {
		var te *oauthsim.TokenError
		if errors.As(err, &te) && errors.Is(te, oauthsim.ErrAppOnly) {
			s.v2Error(w, http.StatusForbidden, "A client-credentials token may only look up symbols")
			return
		}
		s.v2Error(w, http.StatusUnauthorized, "Unauthorized")
		return
	}
	if rt.category != "" {
		if q := s.limits.take("v2\x00"+g.Subject, rt.category, s.limits.l.V2); q != nil && q.exceeded {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusForbidden)
			_, _ = w.Write([]byte("<html><body>Quota Exceeded</body></html>"))
			return
		}
	}
	switch {
	case low[1] == "users":
		if !strings.EqualFold(seg[2], g.Subject) {
			s.v2Error(w, http.StatusUnauthorized, "User is not authorized to retrieve this account")
			return
		}
		s.v2Accounts(w, env)
	case low[2] == "quote":
		s.v2Quotes(w, seg[3])
	case low[3] == "suggest":
		s.v2Suggest(w, r, seg[4])
	default:
		s.v2Search(w, seg[4])
	}
}

func (s *Server) v2Accounts(w http.ResponseWriter, env auth.Environment) {
	var out []map[string]any
	desc := map[string]string{"C": "Cash", "M": "Margin", "F": "Futures", "D": "DVP"}
	for _, a := range s.data.accounts[env] {
		key := strconv.FormatInt(a.v2Key, 10)
		out = append(out, map[string]any{"Key": a.v2Key, "Name": key + " Terry Trader", "Type": a.v2Type,
			"TypeDescription": desc[a.v2Type], "Alias": "", "AltId": "", "DisplayName": key, "Status": "A",
			"StatusDescription": "Active", "IsStockLocateEligible": false})
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) v2Quotes(w http.ResponseWriter, list string) {
	syms := strings.Split(list, ",")
	if len(syms) > maxV2Symbols {
		s.v2Error(w, http.StatusBadRequest, fmt.Sprintf("at most %d symbols per request", maxV2Symbols))
		return
	}
	var b bytes.Buffer
	b.WriteByte('[')
	for i, sym := range syms {
		q, ok := s.data.v2Quotes[strings.ToUpper(strings.TrimSpace(sym))]
		if !ok {
			if s.o.invalidAs404 {
				s.v2Error(w, http.StatusNotFound, "INVALID SYMBOL")
				return
			}
			q, _ = json.Marshal(map[string]any{"Symbol": sym, "Error": "FAILED, INVALID SYMBOL"})
		}
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(q)
	}
	b.WriteByte(']')
	writeRaw(w, http.StatusOK, b.Bytes())
}

func (s *Server) symbolItem(in *instrument) map[string]any {
	return map[string]any{"Name": in.symbol, "Description": in.description, "Category": in.category,
		"Country": "US", "Currency": "USD", "Exchange": in.exchange, "ExchangeID": 43, "DisplayType": 1,
		"Error": nil, "ExpirationDate": "", "ExpirationType": "", "FutureType": "", "OptionType": "",
		"MinMove": json.Number(in.minMove), "PointValue": json.Number(in.pointValue), "StrikePrice": 0,
		"Root": strings.TrimPrefix(in.symbol, "@"), "Underlying": ""}
}

func (s *Server) v2Suggest(w http.ResponseWriter, r *http.Request, text string) {
	top := 10
	if v := r.URL.Query().Get("$top"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			s.v2Error(w, http.StatusBadRequest, "$top must be a positive integer")
			return
		}
		top = n
	}
	out := []map[string]any{}
	for _, sym := range s.data.order {
		in := s.data.instruments[strings.ToUpper(sym)]
		if strings.HasPrefix(strings.ToUpper(sym), strings.ToUpper(text)) && len(out) < top {
			out = append(out, s.symbolItem(in))
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// v2Search reads criteria such as "N=MSFT&C=Stock&Cnt=US" from the path.
func (s *Server) v2Search(w http.ResponseWriter, criteria string) {
	crit := map[string]string{}
	for _, kv := range strings.Split(criteria, "&") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			s.v2Error(w, http.StatusBadRequest, "criteria must be key=value pairs joined with &")
			return
		}
		crit[strings.ToUpper(k)] = v
	}
	cats := map[string][]string{"S": {"Stock"}, "STOCK": {"Stock"}, "FU": {"Future"}, "FUTURE": {"Future"}}
	out := []map[string]any{}
	for _, sym := range s.data.order {
		in := s.data.instruments[strings.ToUpper(sym)]
		if n, ok := crit["N"]; ok && !strings.EqualFold(n, in.symbol) {
			continue
		}
		if c, ok := crit["C"]; ok && !slices.Contains(cats[strings.ToUpper(c)], in.category) {
			continue
		}
		if c, ok := crit["CNT"]; ok && !strings.EqualFold(c, "ALL") && !strings.EqualFold(c, "US") {
			continue
		}
		if len(out) < 500 {
			out = append(out, s.symbolItem(in))
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// serveAOP is a stand-in for the account-opening API, whose paths
// TradeStation has not published: POST /aop/v1/applications creates an
// application. It exists to show that AOP tokens work here and trading
// tokens do not.
func (s *Server) serveAOP(w http.ResponseWriter, r *http.Request, p string) {
	if _, err := s.v3.Validate(r, oauthsim.WithAudience(tradestation.AOPAudience), oauthsim.WithScopes("access:aop")); err != nil {
		tokenRefusal(w, err)
		return
	}
	if p != "/v1/applications" {
		v3Error(w, http.StatusNotFound, "NotFound", "not found "+strings.ToLower(p))
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		v3Error(w, http.StatusMethodNotAllowed, "MethodNotAllowed", r.Method+" is not allowed here")
		return
	}
	var body map[string]any
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&body); err != nil {
		v3Error(w, http.StatusBadRequest, "BadRequest", "the application payload is not a JSON object")
		return
	}
	n := s.traces.Add(1)
	writeJSON(w, http.StatusOK, map[string]any{"ApplicationId": fmt.Sprintf("APP-%06d", n),
		"AgreementsHtml": "&lt;p&gt;Customer Agreement&lt;/p&gt;", "Agreements": map[string]any{},
		"RequiredDocuments": []any{}})
}
