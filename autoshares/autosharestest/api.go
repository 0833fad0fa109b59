package autosharestest

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/brokerkit/brokerkit/internal/oauthsim"
	"github.com/shopspring/decimal"
)

// maxRequestBody caps request bodies the emulator reads.
const maxRequestBody = 1 << 20

// The documented bodies.
const (
	apiKeyMessage = "Application key is not defined or does not exist"
	deniedMessage = "Authorization has been denied for this request."
)

// caller is the authenticated user of an API request.
type caller struct{ u *user }

type apiHandler func(w http.ResponseWriter, r *http.Request, c caller)

// routes mounts the API on mux; a path set that ServeMux cannot hold is an
// error, not a panic.
func (s *Server) routes(mux *http.ServeMux) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("autosharestest: paths: %v", r)
		}
	}()
	p := s.paths
	for _, rt := range []struct {
		method, path string
		h            apiHandler
	}{
		{"POST", p.CreateUser, s.createUser},
		{"GET", p.UserInfo, s.userInfo},
		{"PATCH", p.UpdateUser, s.updateUser},
		{"GET", p.UserAccounts, s.userAccounts},
		{"POST", p.CreateAccount, s.createAccount},
		{"PUT", p.BindAccount, s.bindAccount},
		{"PUT", p.BindAccountByUsername, s.bindAccount},
		{"DELETE", p.UnbindAccount, s.unbindAccount},
		{"GET", p.AccountBalances, s.balances},
		{"GET", p.Agreements, s.agreements},
		{"POST", p.SignAgreement, s.signAgreement},
		{"GET", p.Security, s.security},
		{"POST", p.PriceAlerts, s.createAlert},
		{"GET", p.PriceAlerts, s.listAlerts},
		{"GET", p.PriceAlert, s.getAlert},
		{"PUT", p.PriceAlert, s.updateAlert},
		{"DELETE", p.PriceAlert, s.deleteAlert},
		{"POST", p.Orders, s.placeOrder},
		{"GET", p.Orders, s.listOrders},
		{"GET", p.Order, s.getOrder},
		{"DELETE", p.Order, s.cancelOrder},
		{"POST", p.PreviewOrder, s.previewOrder},
		{"GET", p.Positions, s.positions},
		{"GET", p.Streamers, s.streamers},
		{"PUT", p.RecoverSession, s.recoverSession},
	} {
		mux.Handle(rt.method+" "+rt.path, s.eng.Faults().Wrap(s.protect(rt.h)))
	}
	return nil
}

// protect checks the API key, then the bearer token, then runs h with the
// state locked.
func (s *Server) protect(h apiHandler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := r.Header.Get(s.opts.apiKeyHeader)
		if key == "" || subtle.ConstantTimeCompare([]byte(key), []byte(s.opts.apiKey)) != 1 {
			oauthsim.WriteJSON(w, s.opts.badKeyStatus, map[string]string{"error": apiKeyMessage})
			return
		}
		g, err := s.eng.Validate(r)
		if err != nil {
			// ASP.NET's bearer middleware challenges without an error code.
			w.Header().Set("WWW-Authenticate", "Bearer")
			denied(w)
			return
		}
		id, _ := strconv.ParseInt(g.UserID, 10, 64)
		s.mu.Lock()
		defer s.mu.Unlock()
		u := s.st.users[id]
		if u == nil {
			denied(w)
			return
		}
		h(w, r, caller{u: u})
	})
}

// fail writes the emulator contract's envelope.
func fail(w http.ResponseWriter, status int, code, desc string) {
	oauthsim.WriteJSON(w, status, map[string]any{"error": code, "error_description": desc, "status": status})
}

func denied(w http.ResponseWriter) {
	oauthsim.WriteJSON(w, http.StatusUnauthorized, map[string]string{"Message": deniedMessage})
}

// serverError is the documented 500 for, among others, a user id given
// where an account id belongs.
func serverError(w http.ResponseWriter) {
	oauthsim.WriteJSON(w, http.StatusInternalServerError, map[string]string{
		"message": "An error occurred while processing your request", "error": "Unexpected server error"})
}

func decodeBody(r *http.Request, v any) error {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxRequestBody+1))
	if err != nil {
		return err
	}
	if len(body) > maxRequestBody {
		return errors.New("body too large")
	}
	if len(strings.TrimSpace(string(body))) == 0 {
		return errors.New("empty body")
	}
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.UseNumber()
	return dec.Decode(v)
}

func num(v decimal.Decimal) json.Number { return json.Number(v.String()) }

func unix(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.Unix()
}

func rfc3339(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// --- users ---------------------------------------------------------------

// target resolves the {userId} of a path: @me, or an id the caller may
// see (its own, or any for an administrator).
func (s *Server) target(w http.ResponseWriter, r *http.Request, c caller) (*user, bool) {
	ref := r.PathValue("userId")
	if ref == "@me" || ref == "" {
		return c.u, true
	}
	id, err := strconv.ParseInt(ref, 10, 64)
	if err != nil {
		fail(w, http.StatusBadRequest, "invalid_request", "user id must be @me or a number")
		return nil, false
	}
	if id != c.u.id && !c.u.admin {
		denied(w)
		return nil, false
	}
	u := s.st.users[id]
	if u == nil {
		fail(w, http.StatusNotFound, "not_found", "no user "+ref)
		return nil, false
	}
	return u, true
}

func userJSON(u *user) map[string]any {
	return map[string]any{
		"Id": u.id, "UserId": u.id, "FirstName": u.first, "MiddleName": u.middle, "LastName": u.last,
		"Login": u.login, "Email": u.email, "Role": u.role, "AddedDate": rfc3339(u.added),
		"Salutation": or(u.salutation, "NoSalutation"), "Suffix": or(u.suffix, "NoSuffix"),
		"DateOfBirth": nil, "PhoneNumber": u.phone,
	}
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func (s *Server) createUser(w http.ResponseWriter, r *http.Request, c caller) {
	if !c.u.admin {
		fail(w, http.StatusForbidden, "forbidden", "creating users needs an administrator")
		return
	}
	var in struct {
		FirstName, Middle, LastName, EmailAddress, Login string
		Salutation, Suffix, TimeZoneInfoID, PhoneNumber  string
	}
	if err := decodeBody(r, &in); err != nil {
		fail(w, http.StatusBadRequest, "invalid_request", "body: "+err.Error())
		return
	}
	var missing []string
	for _, f := range []struct{ n, v string }{{"FirstName", in.FirstName}, {"LastName", in.LastName},
		{"EmailAddress", in.EmailAddress}, {"Login", in.Login}} {
		if strings.TrimSpace(f.v) == "" {
			missing = append(missing, f.n)
		}
	}
	if len(missing) > 0 {
		fail(w, http.StatusUnprocessableEntity, "validation_error", strings.Join(missing, ", ")+" required")
		return
	}
	for _, u := range s.st.users {
		if strings.EqualFold(u.login, in.Login) || strings.EqualFold(u.email, in.EmailAddress) {
			fail(w, http.StatusConflict, "conflict", "a user with this login or email exists")
			return
		}
	}
	now := s.opts.now()
	s.st.nextUser++
	u := &user{id: s.st.nextUser, login: in.Login, email: in.EmailAddress, password: NewUserPassword,
		first: in.FirstName, middle: in.Middle, last: in.LastName, salutation: in.Salutation, suffix: in.Suffix,
		timeZone: in.TimeZoneInfoID, phone: in.PhoneNumber, role: 2, added: now,
		agreements: standardAgreements(false, now)}
	if err := s.eng.AddUser(s.st.simUser(u)); err != nil {
		fail(w, http.StatusConflict, "conflict", err.Error())
		return
	}
	s.st.addUser(u)
	oauthsim.WriteJSON(w, http.StatusOK, userJSON(u))
}

// signup creates the user the tenant's registration form describes
// (enableRegistration=true&page=signup): a role-2 user whose login is
// their email, with the standard agreements pending, as createUser does.
func (s *Server) signup(in oauthsim.User) (oauthsim.User, error) {
	first, last, _ := strings.Cut(in.Name, " ")
	email, _ := in.Claims["email"].(string)
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, u := range s.st.users {
		if strings.EqualFold(u.login, in.Username) || strings.EqualFold(u.email, email) {
			return oauthsim.User{}, errors.New("a user with this login or email exists")
		}
	}
	now := s.opts.now()
	s.st.nextUser++
	u := &user{id: s.st.nextUser, login: in.Username, email: email, password: in.Password,
		first: first, last: last, role: 2, added: now, agreements: standardAgreements(false, now)}
	s.st.addUser(u)
	su := s.st.simUser(u)
	su.Claims["email_verified"] = false // nobody has clicked a link yet
	return su, nil
}

func (s *Server) userInfo(w http.ResponseWriter, r *http.Request, c caller) {
	if u, ok := s.target(w, r, c); ok {
		oauthsim.WriteJSON(w, http.StatusOK, userJSON(u))
	}
}

func (s *Server) updateUser(w http.ResponseWriter, r *http.Request, c caller) {
	u, ok := s.target(w, r, c)
	if !ok {
		return
	}
	var in map[string]*string
	if err := decodeBody(r, &in); err != nil {
		fail(w, http.StatusBadRequest, "invalid_request", "body: "+err.Error())
		return
	}
	fields := map[string]*string{"FirstName": &u.first, "MiddleName": &u.middle, "LastName": &u.last,
		"Email": &u.email, "Salutation": &u.salutation, "Suffix": &u.suffix,
		"TimeZoneInfoId": &u.timeZone, "PhoneNumber": &u.phone}
	for k, v := range in {
		dst, known := fields[k]
		if !known {
			fail(w, http.StatusUnprocessableEntity, "validation_error", "field "+k+" cannot be updated")
			return
		}
		if v != nil {
			*dst = *v
		}
	}
	oauthsim.WriteJSON(w, http.StatusOK, userJSON(u))
}

// --- accounts ------------------------------------------------------------

func accountJSON(a *account, access string) map[string]any {
	return map[string]any{
		"Id": a.id, "ClearingAccount": a.clearing, "AccessType": access, "MarginType": a.marginType,
		"OwnerType": a.ownerType, "Enabled": a.enabled, "Alias": a.alias, "ClearingFirm": a.firm,
		"IsAverageAccount": false, "Owners": []any{}, "Currency": a.currency,
	}
}

func (s *Server) userAccounts(w http.ResponseWriter, r *http.Request, c caller) {
	u, ok := s.target(w, r, c)
	if !ok {
		return
	}
	out := []map[string]any{}
	ids := make([]int64, 0, len(s.st.accounts))
	for id := range s.st.accounts {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		a := s.st.accounts[id]
		if access, ok := a.access[u.id]; ok {
			out = append(out, accountJSON(a, access))
		}
	}
	oauthsim.WriteJSON(w, http.StatusOK, out)
}

func (s *Server) createAccount(w http.ResponseWriter, r *http.Request, c caller) {
	if !c.u.admin {
		fail(w, http.StatusForbidden, "forbidden", "creating accounts needs an administrator")
		return
	}
	var in struct{ ClearingAccount, MarginType, OwnerType, Alias, ClearingFirm, Currency string }
	if err := decodeBody(r, &in); err != nil {
		fail(w, http.StatusBadRequest, "invalid_request", "body: "+err.Error())
		return
	}
	switch in.MarginType {
	case "Cash", "Margin", "DayTrader", "MarginIra":
	default:
		fail(w, http.StatusUnprocessableEntity, "validation_error", "MarginType must be Cash, Margin, DayTrader or MarginIra")
		return
	}
	s.st.nextAccount++
	a := &account{id: s.st.nextAccount, clearing: or(in.ClearingAccount, "PT"+strconv.FormatInt(s.st.nextAccount, 10)),
		marginType: in.MarginType, ownerType: or(in.OwnerType, "IndividualCustomer"), alias: in.Alias,
		firm: or(in.ClearingFirm, "PaperTrading"), currency: or(in.Currency, "USD"), enabled: true,
		access: map[int64]string{}, positions: map[string]*position{}}
	s.st.accounts[a.id] = a
	oauthsim.WriteJSON(w, http.StatusOK, accountJSON(a, ""))
}

// account resolves {accountId}; trade asks for an access that may place
// orders. Unknown ids get the documented 500, foreign accounts 401.
func (s *Server) account(w http.ResponseWriter, r *http.Request, c caller, trade bool) (*account, bool) {
	id, err := strconv.ParseInt(r.PathValue("accountId"), 10, 64)
	a := s.st.accounts[id]
	if err != nil || a == nil {
		serverError(w)
		return nil, false
	}
	if c.u.admin {
		return a, true
	}
	access, bound := a.access[c.u.id]
	if !bound {
		denied(w)
		return nil, false
	}
	if trade && access == "ReadOnly" {
		fail(w, http.StatusForbidden, "forbidden", "read-only access to account "+strconv.FormatInt(id, 10))
		return nil, false
	}
	return a, true
}

func (s *Server) bindAccount(w http.ResponseWriter, r *http.Request, c caller) {
	access := r.URL.Query().Get("accessType")
	switch access {
	case "Full", "ReadOnly", "ClosePositionsOnly", "Owner":
	default:
		fail(w, http.StatusBadRequest, "invalid_request", "accessType must be Full, ReadOnly, ClosePositionsOnly or Owner")
		return
	}
	id, err := strconv.ParseInt(r.PathValue("accountId"), 10, 64)
	a := s.st.accounts[id]
	if err != nil || a == nil {
		fail(w, http.StatusNotFound, "not_found", "no account "+r.PathValue("accountId"))
		return
	}
	if !c.u.admin && a.access[c.u.id] != "Owner" {
		fail(w, http.StatusForbidden, "forbidden", "binding accounts needs an administrator or the owner")
		return
	}
	var u *user
	if name := r.PathValue("username"); name != "" {
		u = s.st.byLogin[name]
	} else if ref := r.PathValue("userId"); ref == "@me" {
		u = c.u
	} else if uid, err := strconv.ParseInt(ref, 10, 64); err == nil {
		u = s.st.users[uid]
	}
	if u == nil {
		fail(w, http.StatusNotFound, "not_found", "no such user")
		return
	}
	a.access[u.id] = access
	oauthsim.WriteJSON(w, http.StatusOK, map[string]any{"UserModel": userJSON(u), "AccountAccessType": access})
}

func (s *Server) unbindAccount(w http.ResponseWriter, r *http.Request, c caller) {
	id, err := strconv.ParseInt(r.PathValue("accountId"), 10, 64)
	a := s.st.accounts[id]
	if err != nil || a == nil {
		fail(w, http.StatusNotFound, "not_found", "no account "+r.PathValue("accountId"))
		return
	}
	if !c.u.admin && a.access[c.u.id] != "Owner" {
		fail(w, http.StatusForbidden, "forbidden", "unbinding accounts needs an administrator or the owner")
		return
	}
	ref := r.PathValue("userId")
	uid := c.u.id
	if ref != "@me" {
		if uid, err = strconv.ParseInt(ref, 10, 64); err != nil {
			fail(w, http.StatusBadRequest, "invalid_request", "user id must be @me or a number")
			return
		}
	}
	delete(a.access, uid)
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) marketValue(a *account) (long, short decimal.Decimal) {
	for _, p := range a.positions {
		q := s.st.quotes[p.symbol]
		if q == nil {
			continue
		}
		v := p.qty.Mul(q.last)
		if v.IsNegative() {
			short = short.Add(v)
		} else {
			long = long.Add(v)
		}
	}
	return long, short
}

func (a *account) buyingPower() decimal.Decimal {
	switch a.marginType {
	case "Margin", "DayTrader":
		return a.cash.Mul(decimal.NewFromInt(2))
	}
	return a.cash
}

func (s *Server) balances(w http.ResponseWriter, r *http.Request, c caller) {
	a, ok := s.account(w, r, c, false)
	if !ok {
		return
	}
	long, short := s.marketValue(a)
	equity := a.cash.Add(long).Add(short)
	var openPL decimal.Decimal
	pending := 0
	for _, p := range a.positions {
		if q := s.st.quotes[p.symbol]; q != nil {
			openPL = openPL.Add(q.last.Sub(p.avgOpen).Mul(p.qty))
		}
	}
	for _, o := range s.st.orders {
		if o.accountID == a.id && (o.status == "New" || o.status == "PendingNew") {
			pending++
		}
	}
	bp := a.buyingPower()
	zero := num(decimal.Zero)
	oauthsim.WriteJSON(w, http.StatusOK, map[string]any{
		"cash": num(a.cash), "netCash": num(a.cash), "excess": num(bp), "changeAbsolute": zero,
		"changePercent": zero, "equityTotal": num(equity), "pendingOrdersCount": pending,
		"netLiquidity": num(long.Add(short)), "stockLongMarketValue": num(long), "stockShortMarketValue": num(short),
		"optionLongMarketValue": zero, "optionShortMarketValue": zero, "forexLongMarketValue": zero,
		"forexShortMarketValue": zero, "dayTrades": 0, "stockBuyingPower": num(bp), "optionBuyingPower": num(bp),
		"forexBuyingPower": num(bp), "dayTradingBuyingPower": num(bp.Mul(decimal.NewFromInt(2))),
		"pendingCash": zero, "maintenanceMargin": zero, "optionMaintenanceMargin": zero,
		"openPL": num(openPL), "openPLDay": zero, "openPLPercent": zero, "closePL": zero,
		"marketValue": num(long.Add(short)), "totalPL": num(openPL),
	})
}

// --- agreements ----------------------------------------------------------

func agreementJSON(a *agreement) map[string]any {
	var signed any
	if !a.signedAt.IsZero() {
		signed = rfc3339(a.signedAt)
	}
	return map[string]any{"Id": a.id, "Type": a.typ, "Title": a.title, "Version": a.version, "CanSkip": a.canSkip,
		"Required": a.required, "DocumentUrl": a.url, "Status": a.status, "SignedAt": signed}
}

func (s *Server) agreements(w http.ResponseWriter, r *http.Request, c caller) {
	u, ok := s.target(w, r, c)
	if !ok {
		return
	}
	out := []map[string]any{}
	for _, a := range u.agreements {
		if a.status != "Pending" {
			continue
		}
		if s.opts.minimalAgreements {
			out = append(out, map[string]any{"Type": a.docType, "CanSkip": a.canSkip})
			continue
		}
		out = append(out, agreementJSON(a))
	}
	oauthsim.WriteJSON(w, http.StatusOK, out)
}

func (s *Server) signAgreement(w http.ResponseWriter, r *http.Request, c caller) {
	u, ok := s.target(w, r, c)
	if !ok {
		return
	}
	id, err := strconv.ParseInt(r.PathValue("agreementId"), 10, 64)
	var a *agreement
	for _, x := range u.agreements {
		if err == nil && x.id == id {
			a = x
		}
	}
	if a == nil {
		fail(w, http.StatusNotFound, "not_found", "no agreement "+r.PathValue("agreementId"))
		return
	}
	var in struct {
		Version  json.Number
		Accepted bool
	}
	if err := decodeBody(r, &in); err != nil {
		fail(w, http.StatusBadRequest, "invalid_request", "body: "+err.Error())
		return
	}
	if !in.Accepted {
		fail(w, http.StatusUnprocessableEntity, "validation_error", "Accepted must be true")
		return
	}
	if in.Version != "" && in.Version.String() != strconv.Itoa(a.version) {
		fail(w, http.StatusConflict, "conflict", fmt.Sprintf("agreement %d is at version %d", a.id, a.version))
		return
	}
	if a.status != "Signed" {
		a.status, a.signedAt = "Signed", s.opts.now()
	}
	oauthsim.WriteJSON(w, http.StatusOK, agreementJSON(a))
}

// agreementsSigned refuses the call while required agreements are pending.
func agreementsSigned(w http.ResponseWriter, u *user) bool {
	pending := u.pendingRequired()
	if len(pending) == 0 {
		return true
	}
	titles := make([]string, len(pending))
	for i, a := range pending {
		titles[i] = a.title
	}
	fail(w, http.StatusForbidden, "agreements_pending", "sign first: "+strings.Join(titles, ", "))
	return false
}

// --- quotes --------------------------------------------------------------

func changePc(q *quote) decimal.Decimal {
	ref := q.prevClose()
	if ref.IsZero() {
		return decimal.Zero
	}
	return q.change.Div(ref).Mul(decimal.NewFromInt(100)).Round(4)
}

func (s *Server) security(w http.ResponseWriter, r *http.Request, c caller) {
	if !agreementsSigned(w, c.u) {
		return
	}
	q := s.st.quotes[r.PathValue("symbol")]
	if q == nil {
		fail(w, http.StatusNotFound, "not_found", "no security "+r.PathValue("symbol"))
		return
	}
	oauthsim.WriteJSON(w, http.StatusOK, map[string]any{"Id": q.securityID, "Symbol": q.symbol, "Name": q.name,
		"Exchange": "XNAS", "Currency": "USD", "SecurityType": "Stock"})
}

// --- price alerts ----------------------------------------------------------

func alertJSON(a *alert) map[string]any {
	return map[string]any{"Id": a.id, "State": a.state, "CreatedDate": unix(a.created), "Operator": a.operator,
		"SecurityId": a.securityID, "Symbol": a.symbol, "Field": a.field, "Argument": num(a.argument),
		"ExpirationDate": unix(a.expires)}
}

type alertBody struct {
	State          string
	Operator       string
	SecurityID     int64 `json:"SecurityId"`
	Field          string
	Argument       json.Number
	ExpirationDate *json.Number
}

// parseAlert validates an alert body and resolves its security.
func (s *Server) parseAlert(w http.ResponseWriter, r *http.Request) (*alert, bool) {
	var in alertBody
	if err := decodeBody(r, &in); err != nil {
		fail(w, http.StatusBadRequest, "invalid_request", "body: "+err.Error())
		return nil, false
	}
	arg, err := decimal.NewFromString(in.Argument.String())
	switch {
	case in.Operator != "GTEQ" && in.Operator != "LTEQ":
		fail(w, http.StatusUnprocessableEntity, "validation_error", "Operator must be GTEQ or LTEQ")
		return nil, false
	case in.Field != "Ask" && in.Field != "Bid" && in.Field != "Last":
		fail(w, http.StatusUnprocessableEntity, "validation_error", "Field must be Ask, Bid or Last")
		return nil, false
	case err != nil:
		fail(w, http.StatusUnprocessableEntity, "validation_error", "Argument must be a number")
		return nil, false
	}
	var q *quote
	for _, x := range s.st.quotes {
		if x.securityID == in.SecurityID {
			q = x
		}
	}
	if q == nil {
		fail(w, http.StatusUnprocessableEntity, "validation_error", "unknown SecurityId")
		return nil, false
	}
	a := &alert{state: or(in.State, "New"), operator: in.Operator, field: in.Field, argument: arg,
		securityID: q.securityID, symbol: q.symbol}
	if in.ExpirationDate != nil {
		secs, err := in.ExpirationDate.Int64()
		if err != nil {
			fail(w, http.StatusUnprocessableEntity, "validation_error", "ExpirationDate must be unix seconds")
			return nil, false
		}
		a.expires = time.Unix(secs, 0).UTC()
	}
	switch a.state {
	case "New", "Expired", "Completed", "Stopped":
	default:
		fail(w, http.StatusUnprocessableEntity, "validation_error", "State must be New, Expired, Completed or Stopped")
		return nil, false
	}
	return a, true
}

func (s *Server) createAlert(w http.ResponseWriter, r *http.Request, c caller) {
	u, ok := s.target(w, r, c)
	if !ok || !agreementsSigned(w, c.u) {
		return
	}
	a, ok := s.parseAlert(w, r)
	if !ok {
		return
	}
	now := s.opts.now()
	s.st.nextAlert++
	a.id, a.userID, a.created, a.state = s.st.nextAlert, u.id, now, "New"
	s.st.alerts[a.id] = a
	s.st.fireAlerts(now)
	oauthsim.WriteJSON(w, http.StatusOK, alertJSON(a))
}

// page reads pageNumber and pageSize, which the broker's spec marks
// required on every paged list, answering 400 when one is missing or bad
// (pageSize must be 1..maxSize).
func page(w http.ResponseWriter, r *http.Request, maxSize int) (num, size int, ok bool) {
	q := r.URL.Query()
	if !required(w, q, "pageNumber", "pageSize") {
		return 0, 0, false
	}
	var err error
	if num, err = strconv.Atoi(q.Get("pageNumber")); err != nil || num < 0 {
		fail(w, http.StatusBadRequest, "invalid_request", "pageNumber must be a non-negative integer")
		return 0, 0, false
	}
	if size, err = strconv.Atoi(q.Get("pageSize")); err != nil || size < 1 || size > maxSize {
		fail(w, http.StatusBadRequest, "invalid_request", fmt.Sprintf("pageSize must be 1..%d", maxSize))
		return 0, 0, false
	}
	return num, size, true
}

// required answers 400 naming the first of names that q lacks (or holds
// empty), as the broker does for a required query parameter.
func required(w http.ResponseWriter, q url.Values, names ...string) bool {
	for _, n := range names {
		if q.Get(n) == "" {
			fail(w, http.StatusBadRequest, "invalid_request", n+" is required")
			return false
		}
	}
	return true
}

// boolParam reads the required boolean query parameter name ("true" or
// "false", in any case), answering 400 when it is missing or not one.
func boolParam(w http.ResponseWriter, q url.Values, name string) (v, ok bool) {
	if !required(w, q, name) {
		return false, false
	}
	switch strings.ToLower(q.Get(name)) {
	case "true":
		return true, true
	case "false":
		return false, true
	}
	fail(w, http.StatusBadRequest, "invalid_request", name+" must be true or false")
	return false, false
}

// pagingResult slices items into the PagingResult shape.
func pagingResult(r *http.Request, items []map[string]any, pageNum, size int) map[string]any {
	total := len(items)
	from := min(pageNum*size, total)
	to := min(from+size, total)
	res := map[string]any{"Result": items[from:to], "TotalCount": total, "NextPageLink": nil, "PreviousPageLink": nil}
	link := func(n int) string {
		q := r.URL.Query()
		q.Set("pageNumber", strconv.Itoa(n))
		q.Set("pageSize", strconv.Itoa(size))
		return r.URL.Path + "?" + q.Encode()
	}
	if to < total {
		res["NextPageLink"] = link(pageNum + 1)
	}
	if pageNum > 0 {
		res["PreviousPageLink"] = link(pageNum - 1)
	}
	return res
}

func (s *Server) listAlerts(w http.ResponseWriter, r *http.Request, c caller) {
	u, ok := s.target(w, r, c)
	if !ok {
		return
	}
	pn, size, ok := page(w, r, 100)
	if !ok {
		return
	}
	// The spec marks sortBy and isDesc required too.
	q := r.URL.Query()
	if !required(w, q, "sortBy") {
		return
	}
	desc, ok := boolParam(w, q, "isDesc")
	if !ok {
		return
	}
	s.st.fireAlerts(s.opts.now())
	var ids []int64
	for id, a := range s.st.alerts {
		if a.userID == u.id {
			ids = append(ids, id)
		}
	}
	switch strings.ToLower(q.Get("sortBy")) {
	case "id", "createddate": // ids grow with creation
		slices.Sort(ids)
	case "symbol":
		slices.SortFunc(ids, func(x, y int64) int {
			if c := strings.Compare(s.st.alerts[x].symbol, s.st.alerts[y].symbol); c != 0 {
				return c
			}
			return int(x - y)
		})
	default:
		fail(w, http.StatusBadRequest, "invalid_request", "sortBy must be Id, CreatedDate or Symbol")
		return
	}
	if desc {
		slices.Reverse(ids)
	}
	items := make([]map[string]any, len(ids))
	for i, id := range ids {
		items[i] = alertJSON(s.st.alerts[id])
	}
	oauthsim.WriteJSON(w, http.StatusOK, pagingResult(r, items, pn, size))
}

func (s *Server) alertOf(w http.ResponseWriter, r *http.Request, c caller) (*alert, bool) {
	u, ok := s.target(w, r, c)
	if !ok {
		return nil, false
	}
	id, err := strconv.ParseInt(r.PathValue("alertId"), 10, 64)
	a := s.st.alerts[id]
	if err != nil || a == nil || a.userID != u.id {
		fail(w, http.StatusNotFound, "not_found", "no price alert "+r.PathValue("alertId"))
		return nil, false
	}
	s.st.fireAlerts(s.opts.now())
	return a, true
}

func (s *Server) getAlert(w http.ResponseWriter, r *http.Request, c caller) {
	if a, ok := s.alertOf(w, r, c); ok {
		oauthsim.WriteJSON(w, http.StatusOK, alertJSON(a))
	}
}

func (s *Server) updateAlert(w http.ResponseWriter, r *http.Request, c caller) {
	a, ok := s.alertOf(w, r, c)
	if !ok {
		return
	}
	upd, ok := s.parseAlert(w, r)
	if !ok {
		return
	}
	a.state, a.operator, a.field, a.argument = upd.state, upd.operator, upd.field, upd.argument
	a.securityID, a.symbol, a.expires = upd.securityID, upd.symbol, upd.expires
	s.st.fireAlerts(s.opts.now())
	oauthsim.WriteJSON(w, http.StatusOK, alertJSON(a))
}

func (s *Server) deleteAlert(w http.ResponseWriter, r *http.Request, c caller) {
	if a, ok := s.alertOf(w, r, c); ok {
		delete(s.st.alerts, a.id)
		w.WriteHeader(http.StatusNoContent)
	}
}
