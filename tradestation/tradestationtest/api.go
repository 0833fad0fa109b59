package tradestationtest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/internal/oauthsim"
)

// Request limits the real API documents.
const (
	maxV3Symbols  = 100
	maxV2Symbols  = 50
	maxV3Accounts = 25
)

func writeRaw(w http.ResponseWriter, status int, b []byte) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// v3Error writes API v3's {"Error","Message"} body.
func v3Error(w http.ResponseWriter, status int, code, msg string) {
	oauthsim.WriteJSON(w, status, map[string]string{"Error": code, "Message": msg})
}

// v2Error writes WebAPI v2's {"TraceId","StatusCode","Message"} body.
func (s *Server) v2Error(w http.ResponseWriter, status int, msg string) {
	n := s.traces.Add(1)
	oauthsim.WriteJSON(w, status, map[string]any{"TraceId": fmt.Sprintf("00000000-0000-4000-8000-%012d", n),
		"StatusCode": status, "Message": msg})
}

// TradeStation's API paths, as its documentation spells them (v2 paths
// match in any case).
const (
	pathV3Accounts  = "/v3/brokerage/accounts"
	pathV3Balances  = "/v3/brokerage/accounts/{ids}/balances"
	pathV3Positions = "/v3/brokerage/accounts/{ids}/positions"
	pathV3Quotes    = "/v3/marketdata/quotes/{symbols}"
	pathV2Accounts  = "/v2/users/{user}/accounts"
	pathV2Quote     = "/v2/data/quote/{symbols}"
	pathV2Suggest   = "/v2/data/symbols/suggest/{text}"
	pathV2Search    = "/v2/data/symbols/search/{criteria}"
	// pathAOPApplications is the AOP stand-in's one route, on the AOP host.
	pathAOPApplications = "/aop/v1/applications"
	// simPrefix is the SIM host in the one-server layout.
	simPrefix = "/sim"
)

// apiMux routes API v3, WebAPI v2 and the AOP stand-in, on the live host,
// the SIM host (/sim) and the AOP host (/aop). A known path asked with
// another method answers 405 in the API's own error shape.
func (s *Server) apiMux() http.Handler {
	mux := http.NewServeMux()
	route := func(method, path string, h http.HandlerFunc, notAllowed func(http.ResponseWriter, string)) {
		mux.HandleFunc(method+" "+path, h)
		mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Allow", method)
			notAllowed(w, r.Method)
		})
	}
	v3NotAllowed := func(w http.ResponseWriter, m string) {
		v3Error(w, http.StatusMethodNotAllowed, "MethodNotAllowed", m+" is not allowed here")
	}
	v2NotAllowed := func(w http.ResponseWriter, _ string) {
		s.v2Error(w, http.StatusMethodNotAllowed, "Method Not Allowed")
	}
	for prefix, env := range map[string]auth.Environment{"": auth.Live, simPrefix: auth.Sim} {
		v3 := func(scope, resource string, limit *int, h func(http.ResponseWriter, *http.Request, auth.Environment)) http.HandlerFunc {
			return func(w http.ResponseWriter, r *http.Request) {
				if s.v3Allowed(w, r, scope, resource, *limit) {
					h(w, r, env)
				}
			}
		}
		accts, quotes := &s.limits.l.Accounts, &s.limits.l.Quotes
		route(http.MethodGet, prefix+pathV3Accounts, v3("ReadAccount", "Accounts", accts,
			func(w http.ResponseWriter, _ *http.Request, env auth.Environment) { s.v3Accounts(w, env) }), v3NotAllowed)
		route(http.MethodGet, prefix+pathV3Balances, v3("ReadAccount", "Accounts", accts,
			func(w http.ResponseWriter, r *http.Request, env auth.Environment) {
				s.v3Balances(w, env, r.PathValue("ids"))
			}), v3NotAllowed)
		route(http.MethodGet, prefix+pathV3Positions, v3("ReadAccount", "Accounts", accts,
			func(w http.ResponseWriter, r *http.Request, env auth.Environment) {
				s.v3Positions(w, env, r.PathValue("ids"), r.URL.Query().Get("symbol"))
			}), v3NotAllowed)
		route(http.MethodGet, prefix+pathV3Quotes, v3("MarketData", "Quotes", quotes,
			func(w http.ResponseWriter, r *http.Request, _ auth.Environment) {
				s.v3Quotes(w, r.PathValue("symbols"))
			}),
			v3NotAllowed)
		s.tradingRoutes(mux, prefix, env, v3NotAllowed)
		s.streamRoutes(mux, prefix, env)

		route(http.MethodGet, prefix+pathV2Accounts, func(w http.ResponseWriter, r *http.Request) {
			if g, ok := s.v2Allowed(w, r, "Accounts", false); ok {
				if !strings.EqualFold(r.PathValue("user"), g.Subject) {
					s.v2Error(w, http.StatusUnauthorized, "User is not authorized to retrieve this account")
					return
				}
				s.v2Accounts(w, env)
			}
		}, v2NotAllowed)
		route(http.MethodGet, prefix+pathV2Quote, func(w http.ResponseWriter, r *http.Request) {
			if _, ok := s.v2Allowed(w, r, "Quotes", false); ok {
				s.v2Quotes(w, r.PathValue("symbols"))
			}
		}, v2NotAllowed)
		route(http.MethodGet, prefix+pathV2Suggest, func(w http.ResponseWriter, r *http.Request) {
			if _, ok := s.v2Allowed(w, r, "", true); ok {
				s.v2Suggest(w, r, r.PathValue("text"))
			}
		}, v2NotAllowed)
		route(http.MethodGet, prefix+pathV2Search, func(w http.ResponseWriter, r *http.Request) {
			if _, ok := s.v2Allowed(w, r, "", true); ok {
				s.v2Search(w, r.PathValue("criteria"))
			}
		}, v2NotAllowed)
		mux.HandleFunc(prefix+"/v2/", func(w http.ResponseWriter, _ *http.Request) {
			s.v2Error(w, http.StatusNotFound, "Not Found")
		})
	}
	mux.HandleFunc("/aop/", s.serveAOP)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		v3Error(w, http.StatusNotFound, "NotFound", "not found "+strings.ToLower(strings.TrimPrefix(r.URL.Path, "/v3")))
	})
	return s.notifyWrites(foldV2Case(mux))
}

// foldV2Case lower-cases the fixed segments of a WebAPI v2 path (v2,
// users, accounts, data, quote, symbols, suggest, search), which
// TradeStation matches in any case, leaving user IDs, symbols and criteria
// as sent.
func foldV2Case(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seg := strings.Split(r.URL.EscapedPath(), "/")
		i := 1
		if len(seg) > 1 && seg[1] == simPrefix[1:] {
			i = 2
		}
		if len(seg) <= i+1 || !strings.EqualFold(seg[i], "v2") {
			next.ServeHTTP(w, r)
			return
		}
		low := func(j int) {
			if j < len(seg) {
				seg[j] = strings.ToLower(seg[j])
			}
		}
		low(i)
		low(i + 1)
		switch seg[i+1] {
		case "users":
			low(i + 3)
		case "stream":
			low(i + 2)
			low(i + 3)
		case "data":
			low(i + 2)
			if i+2 < len(seg) && seg[i+2] == "symbols" {
				low(i + 3)
			}
		}
		escaped := strings.Join(seg, "/")
		p, err := url.PathUnescape(escaped)
		if err != nil {
			s := "Not Found"
			oauthsim.WriteJSON(w, http.StatusNotFound, map[string]any{"StatusCode": http.StatusNotFound, "Message": s})
			return
		}
		r2 := r.Clone(r.Context())
		r2.URL.Path, r2.URL.RawPath = p, escaped
		next.ServeHTTP(w, r2)
	})
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

// v3Allowed checks a v3 call's token, scope and rate limit, answering
// the refusal itself.
func (s *Server) v3Allowed(w http.ResponseWriter, r *http.Request, scope, resource string, limit int) bool {
	g, err := s.v3.Validate(r, oauthsim.WithAudience(tradingAudience), oauthsim.WithScopes(scope))
	if err != nil {
		tokenRefusal(w, err)
		return false
	}
	q := s.limits.take(g.Subject, resource, limit)
	s.limits.setHeaders(w.Header(), q)
	if q != nil && q.exceeded {
		v3Error(w, http.StatusTooManyRequests, "TooManyRequests", "Rate quota exceeded")
		return false
	}
	return true
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
		q, ok := s.quoteJSON(strings.ToUpper(strings.TrimSpace(sym)))
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
	oauthsim.WriteJSON(w, http.StatusOK, map[string]any{"Accounts": out})
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
		mv, upl := s.tradedValue(a)
		cash := s.cashOf(a)
		for _, p := range a.positions {
			_, v, pl, _ := s.valuation(p)
			if a.typ == "Futures" {
				v = pl // futures are marked to market: only open trade equity counts
			}
			mv, upl = mv.Add(v), upl.Add(pl)
		}
		equity := cash.Add(mv)
		bp := cash
		if a.typ == "Margin" {
			bp = equity.Mul(d("2"))
		}
		b := map[string]any{"AccountID": a.id, "AccountType": a.typ, "CashBalance": cash.String(),
			"BuyingPower": bp.String(), "Equity": equity.String(), "MarketValue": mv.String(),
			"TodaysProfitLoss": "0", "UnclearedDeposit": "0", "Commission": "0",
			"BalanceDetail": map[string]string{"CostOfPositions": equity.Sub(cash).Sub(upl).String(),
				"DayTradeExcess": "0", "DayTradeMargin": "0", "DayTradeOpenOrderMargin": "0", "DayTrades": "0",
				"InitialMargin": "0", "MaintenanceMargin": "0", "MaintenanceRate": "0", "MarginRequirement": "0",
				"OpenOrderMargin": "0", "OptionBuyingPower": cash.String(), "OptionsMarketValue": "0",
				"OvernightBuyingPower": bp.String(), "RealizedProfitLoss": "0", "RequiredMargin": "0",
				"SecurityOnDeposit": "0", "TodayRealTimeTradeEquity": "0", "TradeEquity": "0",
				"UnrealizedProfitLoss": upl.String(), "UnsettledFunds": "0"}}
		if a.typ == "Futures" {
			b["CurrencyDetails"] = []map[string]string{{"Currency": "USD", "Commission": "0",
				"CashBalance": cash.String(), "RealizedProfitLoss": "0", "UnrealizedProfitLoss": upl.String(),
				"InitialMargin": "12650", "MaintenanceMargin": "11500", "AccountConversionRate": "1",
				"AccountMarginRequirement": "12650"}}
		}
		bals = append(bals, b)
	}
	oauthsim.WriteJSON(w, http.StatusOK, map[string]any{"Balances": bals, "Errors": errs})
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
		out = append(out, s.tradedPositions(a, filter)...)
	}
	oauthsim.WriteJSON(w, http.StatusOK, map[string]any{"Positions": out, "Errors": errs})
}

// v2Allowed checks a v2 call's token and quota (category; "" for symbol
// lookups, which are not counted and which client-credentials and v3
// trading tokens may make), answering the refusal itself.
func (s *Server) v2Allowed(w http.ResponseWriter, r *http.Request, category string, appOnly bool) (*oauthsim.Grant, bool) {
	var opts []oauthsim.ValidateOption
	if appOnly {
		opts = append(opts, oauthsim.AllowAppOnly())
	}
	g, err := s.v2.Validate(r, opts...)
	if err == nil && s.pastItsDate(g) {
		err = errPastItsDate
	}
	if err != nil && appOnly {
		// API v3 still serves the v2 symbol lookups to its own tokens.
		if g3, err3 := s.v3.Validate(r, oauthsim.WithAudience(tradingAudience)); err3 == nil {
			g, err = g3, nil
		}
	}
	if err != nil {
		var te *oauthsim.TokenError
		if errors.As(err, &te) && errors.Is(te, oauthsim.ErrAppOnly) {
			s.v2Error(w, http.StatusForbidden, "A client-credentials token may only look up symbols")
			return nil, false
		}
		s.v2Error(w, http.StatusUnauthorized, "Unauthorized")
		return nil, false
	}
	if category != "" {
		if q := s.limits.take("v2\x00"+g.Subject, category, s.limits.l.V2); q != nil && q.exceeded {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusForbidden)
			_, _ = w.Write([]byte("<html><body>Quota Exceeded</body></html>"))
			return nil, false
		}
	}
	return g, true
}

// errPastItsDate refuses a WebAPI v2 token on a later UTC date than the
// one it was issued on.
var errPastItsDate = errors.New("the access token was issued on an earlier date")

// pastItsDate reports whether g, a WebAPI v2 grant, was issued on an
// earlier UTC date than today's. WebAPI v2 documents that "the Access
// Token is only valid for the Date it was issued" (all dates UTC), while
// its answers say expires_in 1200 whatever the hour: a token lives until
// the earlier of the two. Implicit-grant tokens are left to their own
// (conflicting) documentation: 24 hours from issue, the emulator's
// ImplicitTTL.
func (s *Server) pastItsDate(g *oauthsim.Grant) bool {
	if g.GrantType == "implicit" {
		return false
	}
	y1, m1, d1 := g.IssuedAt.UTC().Date()
	y2, m2, d2 := s.now().UTC().Date()
	return y1 != y2 || m1 != m2 || d1 != d2
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
	oauthsim.WriteJSON(w, http.StatusOK, out)
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
	oauthsim.WriteJSON(w, http.StatusOK, out)
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
	oauthsim.WriteJSON(w, http.StatusOK, out)
}

// serveAOP is a stand-in for the account-opening API, whose paths
// TradeStation has not published: POST /aop/v1/applications creates an
// application. It exists to show that AOP tokens work here and trading
// tokens do not.
func (s *Server) serveAOP(w http.ResponseWriter, r *http.Request) {
	if _, err := s.v3.Validate(r, oauthsim.WithAudience(aopAudience), oauthsim.WithScopes("access:aop")); err != nil {
		tokenRefusal(w, err)
		return
	}
	if p := r.URL.Path; p != pathAOPApplications {
		v3Error(w, http.StatusNotFound, "NotFound", "not found "+strings.ToLower(strings.TrimPrefix(p, "/aop")))
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
	oauthsim.WriteJSON(w, http.StatusOK, map[string]any{"ApplicationId": fmt.Sprintf("APP-%06d", n),
		"AgreementsHtml": "&lt;p&gt;Customer Agreement&lt;/p&gt;", "Agreements": map[string]any{},
		"RequiredDocuments": []any{}})
}
