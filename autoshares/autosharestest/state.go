package autosharestest

import (
	"strconv"
	"time"

	"github.com/brokerkit/brokerkit/internal/oauthsim"
	"github.com/shopspring/decimal"
)

// state is the emulator's data. Server.mu guards it.
type state struct {
	users    map[int64]*user
	byLogin  map[string]*user
	accounts map[int64]*account
	quotes   map[string]*quote
	alerts   map[int64]*alert
	orders   map[int64]*order

	nextUser, nextAccount, nextOrder, nextAlert, nextPosition, nextSecurity int64
}

type user struct {
	id                           int64
	login, email, password       string
	first, middle, last, phone   string
	salutation, suffix, timeZone string
	role                         int
	admin                        bool
	added                        time.Time
	agreements                   []*agreement
}

type agreement struct {
	id       int64
	typ      string // the contract's type
	docType  string // the documented minimal item's type
	title    string
	version  int
	canSkip  bool
	required bool
	url      string
	status   string
	signedAt time.Time
}

type account struct {
	id                                           int64
	clearing, marginType, ownerType, alias, firm string
	currency                                     string
	enabled                                      bool
	cash                                         decimal.Decimal
	access                                       map[int64]string // user id → access type
	positions                                    map[string]*position
}

type position struct {
	id, securityID    int64
	symbol            string
	qty, avgOpen      decimal.Decimal
	realized          decimal.Decimal
	created, modified time.Time
}

type order struct {
	id, accountID, userID, securityID int64
	clientID, symbol                  string
	typ, side, tif, comment           string
	qty, price, stop                  decimal.Decimal
	executed, avgPrice                decimal.Decimal
	status                            string
	created                           time.Time
}

type alert struct {
	id, userID, securityID int64
	symbol                 string
	state, operator, field string
	argument               decimal.Decimal
	created, expires       time.Time
}

type quote struct {
	symbol           string
	securityID       int64
	name             string
	bid, ask, last   decimal.Decimal
	bidSize, askSize decimal.Decimal
	volume, change   decimal.Decimal
	close            decimal.Decimal
	at               time.Time
}

// prevClose is the reference the change is counted from.
func (q *quote) prevClose() decimal.Decimal {
	if q.close.IsZero() {
		return q.last
	}
	return q.close
}

func d(s string) decimal.Decimal { return decimal.RequireFromString(s) }

// standardAgreements is what every new trader must deal with: two
// required agreements and one that may be skipped.
func standardAgreements(signed bool, now time.Time) []*agreement {
	list := []*agreement{
		{id: 101, typ: "PlatformAgreement", docType: "Platform", title: "Platform Agreement", version: 3, required: true,
			url: "https://documents.example.invalid/platform-v3.pdf"},
		{id: 102, typ: "MarketDataAgreement", docType: "Quotemedia", title: "Market Data Agreement", version: 2, required: true,
			url: "https://documents.example.invalid/market-data-v2.pdf"},
		{id: 103, typ: "MarginAgreement", docType: "Platform", title: "Margin Agreement", version: 1, canSkip: true,
			url: "https://documents.example.invalid/margin-v1.pdf"},
	}
	for _, a := range list {
		a.status = "Pending"
		if signed {
			a.status, a.signedAt = "Signed", now
		}
	}
	return list
}

func seed(now time.Time) *state {
	st := &state{
		users: map[int64]*user{}, byLogin: map[string]*user{}, accounts: map[int64]*account{},
		quotes: map[string]*quote{}, alerts: map[int64]*alert{}, orders: map[int64]*order{},
		nextUser: TraderUserID, nextAccount: SpareAccountID, nextOrder: 80327, nextAlert: 500,
		nextPosition: 900, nextSecurity: 10,
	}
	st.addUser(&user{id: AdminUserID, login: AdminLogin, email: "admin@autoshares.example", password: AdminPassword,
		first: "Ada", last: "Admin", role: 1, admin: true, added: now, agreements: standardAgreements(true, now)})
	st.addUser(&user{id: TraderUserID, login: User, email: "trader@autoshares.example", password: Password,
		first: "Tom", last: "Trader", role: 2, added: now, agreements: standardAgreements(false, now)})

	for _, q := range []*quote{
		{symbol: "AAPL", securityID: 4, name: "Apple Inc.", bid: d("196.28"), ask: d("196.31"), last: d("196.29"), close: d("195.10")},
		{symbol: "MSFT", securityID: 5, name: "Microsoft Corporation", bid: d("415.10"), ask: d("415.20"), last: d("415.15"), close: d("414.00")},
		{symbol: "TSLA", securityID: 6, name: "Tesla, Inc.", bid: d("176.50"), ask: d("176.62"), last: d("176.55"), close: d("180.00")},
	} {
		q.bidSize, q.askSize, q.volume, q.at = d("300"), d("200"), d("1250000"), now
		q.change = q.last.Sub(q.close)
		st.quotes[q.symbol] = q
	}

	st.accounts[TraderAccountID] = &account{id: TraderAccountID, clearing: "PT6303", marginType: "Margin",
		ownerType: "IndividualCustomer", alias: "Tom's margin", firm: "PaperTrading", currency: "USD", enabled: true,
		cash: d("25000.00"), access: map[int64]string{TraderUserID: "Owner"}, positions: map[string]*position{}}
	st.accounts[SpareAccountID] = &account{id: SpareAccountID, clearing: "PT6304", marginType: "Cash",
		ownerType: "IndividualCustomer", alias: "Onboarding cash", firm: "PaperTrading", currency: "USD", enabled: true,
		cash: d("100000.00"), access: map[int64]string{}, positions: map[string]*position{}}
	st.addPosition(st.accounts[TraderAccountID], "AAPL", d("100"), d("150.25"), now)
	st.addPosition(st.accounts[TraderAccountID], "TSLA", d("10"), d("210.00"), now)
	st.addPosition(st.accounts[SpareAccountID], "MSFT", d("20"), d("380.50"), now)
	return st
}

func (st *state) addUser(u *user) {
	st.users[u.id] = u
	st.byLogin[u.login] = u
}

func (st *state) simUser(u *user) oauthsim.User {
	return oauthsim.User{ID: strconv.FormatInt(u.id, 10), Username: u.login, Password: u.password,
		Name: u.first + " " + u.last, Claims: map[string]any{"email": u.email, "email_verified": true, "nickname": u.login}}
}

func (st *state) addPosition(a *account, symbol string, qty, price decimal.Decimal, now time.Time) {
	st.nextPosition++
	q := st.quotes[symbol]
	a.positions[symbol] = &position{id: st.nextPosition, securityID: q.securityID, symbol: symbol, qty: qty,
		avgOpen: price, created: now, modified: now}
}

// pendingRequired lists the user's required agreements still pending.
func (u *user) pendingRequired() []*agreement {
	var out []*agreement
	for _, a := range u.agreements {
		if a.required && a.status == "Pending" {
			out = append(out, a)
		}
	}
	return out
}

// fireAlerts completes the alerts whose condition the quotes meet and
// expires the ones past their date.
func (st *state) fireAlerts(now time.Time) {
	for _, a := range st.alerts {
		if a.state != "New" {
			continue
		}
		if !a.expires.IsZero() && !now.Before(a.expires) {
			a.state = "Expired"
			continue
		}
		q := st.quotes[a.symbol]
		if q == nil {
			continue
		}
		v := q.last
		switch a.field {
		case "Ask":
			v = q.ask
		case "Bid":
			v = q.bid
		}
		if (a.operator == "GTEQ" && v.GreaterThanOrEqual(a.argument)) ||
			(a.operator == "LTEQ" && v.LessThanOrEqual(a.argument)) {
			a.state = "Completed"
		}
	}
}

// fillResting fills the resting limit and stop orders the quotes now
// reach.
func (st *state) fillResting(now time.Time) {
	for _, o := range st.orders {
		if o.status != "New" {
			continue
		}
		if px, ok := st.marketable(o); ok {
			st.fill(o, px, now)
		}
	}
}

// marketable says whether o can fill now, and at which price.
func (st *state) marketable(o *order) (decimal.Decimal, bool) {
	q := st.quotes[o.symbol]
	if q == nil {
		return decimal.Decimal{}, false
	}
	buy := o.side == "Buy" || o.side == "BuyToCover"
	px := q.bid
	if buy {
		px = q.ask
	}
	switch o.typ {
	case "Market":
		return px, true
	case "Limit":
		if (buy && px.LessThanOrEqual(o.price)) || (!buy && px.GreaterThanOrEqual(o.price)) {
			return px, true
		}
	case "Stop":
		if (buy && q.last.GreaterThanOrEqual(o.stop)) || (!buy && q.last.LessThanOrEqual(o.stop)) {
			return px, true
		}
	case "StopLimit":
		triggered := (buy && q.last.GreaterThanOrEqual(o.stop)) || (!buy && q.last.LessThanOrEqual(o.stop))
		if triggered && ((buy && px.LessThanOrEqual(o.price)) || (!buy && px.GreaterThanOrEqual(o.price))) {
			return px, true
		}
	}
	return decimal.Decimal{}, false
}

// fill executes o in full at px: cash and the position move.
func (st *state) fill(o *order, px decimal.Decimal, now time.Time) {
	a := st.accounts[o.accountID]
	o.status, o.executed, o.avgPrice = "Filled", o.qty, px
	cost := o.qty.Mul(px)
	signed := o.qty
	if o.side == "Sell" || o.side == "SellShort" {
		signed = o.qty.Neg()
		a.cash = a.cash.Add(cost)
	} else {
		a.cash = a.cash.Sub(cost)
	}
	p := a.positions[o.symbol]
	if p == nil {
		st.nextPosition++
		p = &position{id: st.nextPosition, securityID: o.securityID, symbol: o.symbol, created: now}
		a.positions[o.symbol] = p
	}
	newQty := p.qty.Add(signed)
	switch {
	case p.qty.IsZero() || p.qty.Sign() == signed.Sign():
		// Opening or adding: the average open price moves.
		total := p.qty.Abs().Mul(p.avgOpen).Add(cost)
		p.avgOpen = total.Div(newQty.Abs()).Round(4)
	default:
		closed := decimal.Min(p.qty.Abs(), o.qty)
		pl := px.Sub(p.avgOpen).Mul(closed)
		if p.qty.IsNegative() {
			pl = pl.Neg()
		}
		p.realized = p.realized.Add(pl)
		if newQty.Sign() != 0 && newQty.Sign() != p.qty.Sign() {
			p.avgOpen = px
		}
	}
	p.qty, p.modified = newQty, now
	if p.qty.IsZero() {
		delete(a.positions, o.symbol)
	}
}
