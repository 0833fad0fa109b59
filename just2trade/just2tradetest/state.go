package just2tradetest

import (
	"fmt"
	"sort"
	"time"

	"github.com/shopspring/decimal"
)

// state is everything the API serves; Server.mu guards it.
type state struct {
	user     user
	accounts map[string]*account // by account number
	order    []string            // account numbers, in profile order
	quotes   map[string]*quote   // by symbol
	orders   map[string]*order   // by ID
	nextID   int
}

type user struct {
	id, login, email, first, last string
}

type account struct {
	number, name string
	marginType   string
	restriction  string
	cash         decimal.Decimal
	unsettled    decimal.Decimal
	daytrades    int
	positions    map[string]*position
	trades       []trade // oldest first
	transactions []transaction
	orderIDs     []string
}

type position struct {
	symbol, securityType string
	quantity, avgPrice   decimal.Decimal
}

type trade struct {
	symbol   string
	at       time.Time
	quantity decimal.Decimal // negative for sells
	price    decimal.Decimal
	side     string
	id       string
}

type transaction struct {
	id, typ, description string
	day                  time.Time
	symbol, symbolDesc   string
	quantity, price      decimal.Decimal
	gross, net           decimal.Decimal
	fees                 []fee
}

type fee struct {
	name   string
	amount decimal.Decimal
}

type quote struct {
	symbol, description, securityType string
	bid, ask, last                    decimal.Decimal
	bidSize, askSize, lastSize        int64
	volume                            int64
	open, high, low, prevClose        decimal.Decimal
	week52High, week52Low             decimal.Decimal
}

type order struct {
	id, account, symbol string
	quantity            decimal.Decimal
	price, stopPrice    decimal.Decimal
	tif, typ, side      string
	exchange, comment   string
	status              string
	executedQty         decimal.Decimal
	executedPrice       decimal.Decimal
	executedAt          time.Time
	placedAt            time.Time
	cancelAt            time.Time // zero: no cancel requested
}

func d(s string) decimal.Decimal { return decimal.RequireFromString(s) }

// seed builds the seeded user, two accounts, positions, quotes, trades and
// transactions, dated relative to now.
func seed(now time.Time) *state {
	st := &state{
		user:     user{id: UserID, login: User, email: "trader@example.com", first: "Tess", last: "Trader"},
		accounts: map[string]*account{},
		quotes:   map[string]*quote{},
		orders:   map[string]*order{},
		nextID:   1,
	}
	q := func(sym, desc, bid, ask, last, open, high, low, prev, w52h, w52l string, vol int64) {
		st.quotes[sym] = &quote{symbol: sym, description: desc, securityType: "common_stock",
			bid: d(bid), ask: d(ask), last: d(last), bidSize: 200, askSize: 300, lastSize: 100, volume: vol,
			open: d(open), high: d(high), low: d(low), prevClose: d(prev), week52High: d(w52h), week52Low: d(w52l)}
	}
	q("AAPL", "Apple Inc", "172.10", "172.15", "172.12", "171.20", "173.00", "170.95", "170.60", "177.20", "104.08", 31247680)
	q("MSFT", "Microsoft Corp", "78.86", "78.87", "78.86", "79.20", "79.42", "78.75", "78.83", "79.42", "57.28", 22140430)
	q("GOOG", "Alphabet Inc Class C", "972.40", "972.60", "972.56", "967.00", "975.50", "965.60", "968.45", "1006.19", "727.54", 1415720)
	q("BRK B", "Berkshire Hathaway Inc Class B", "322.10", "322.30", "322.20", "321.00", "323.40", "320.50", "321.75", "330.00", "250.10", 3100450)
	q("TSLA", "Tesla Inc", "288.40", "288.60", "288.51", "285.00", "291.30", "284.10", "286.00", "389.61", "178.19", 7500120)
	q("BA", "Boeing Co", "263.90", "264.10", "264.00", "262.00", "265.20", "261.30", "262.50", "266.00", "143.80", 2800300)
	q("BAC", "Bank of America Corp", "26.45", "26.46", "26.46", "26.30", "26.60", "26.20", "26.32", "26.80", "15.88", 61000400)

	yesterday := now.UTC().Truncate(24 * time.Hour).Add(-24 * time.Hour)
	main := &account{number: PrimaryAccount, name: "Individual", marginType: "marginx2", restriction: "none",
		cash: d("12500.10"), positions: map[string]*position{}}
	main.positions["AAPL"] = &position{symbol: "AAPL", securityType: "common_stock", quantity: d("20"), avgPrice: d("150.25")}
	main.positions["MSFT"] = &position{symbol: "MSFT", securityType: "common_stock", quantity: d("50"), avgPrice: d("65.10")}
	main.trades = []trade{
		{symbol: "MSFT", at: yesterday.Add(14*time.Hour + 31*time.Minute), quantity: d("50"), price: d("65.10"), side: "buy", id: "T-1001"},
		{symbol: "AAPL", at: yesterday.Add(15 * time.Hour), quantity: d("30"), price: d("150.25"), side: "buy", id: "T-1002"},
		{symbol: "AAPL", at: yesterday.Add(19*time.Hour + 5*time.Minute), quantity: d("-10"), price: d("156.17"), side: "sell", id: "T-1003"},
	}
	main.transactions = []transaction{
		{id: "2071840", typ: "MONEY:IN:DEP", description: "ACH deposit", day: yesterday.AddDate(0, 0, -3), gross: d("20000"), net: d("20000")},
		{id: "2071841", typ: "BUY:EXCH:STD", description: "Buy 50 MSFT", day: yesterday, symbol: "MSFT", symbolDesc: "Microsoft Corp",
			quantity: d("50"), price: d("65.10"), gross: d("-3255.00"), net: d("-3256.00"), fees: []fee{{"Commission", d("1.00")}}},
		{id: "2071842", typ: "MONEY:OUT:CHRG", description: "Market data fee", day: yesterday, gross: d("-10"), net: d("-10")},
	}
	ira := &account{number: SecondAccount, name: "IRA", marginType: "cash", restriction: "none",
		cash: d("1000.00"), unsettled: d("0.01"), positions: map[string]*position{}}
	ira.positions["BRK B"] = &position{symbol: "BRK B", securityType: "common_stock", quantity: d("5"), avgPrice: d("310.015")}
	st.accounts[main.number] = main
	st.accounts[ira.number] = ira
	st.order = []string{main.number, ira.number}
	return st
}

func (st *state) newID(prefix string) string {
	id := fmt.Sprintf("%s-%06d", prefix, st.nextID)
	st.nextID++
	return id
}

// marketValue is the positions' value at the last price.
func (st *state) marketValue(a *account) decimal.Decimal {
	v := decimal.Zero
	for _, p := range a.positions {
		if q, ok := st.quotes[p.symbol]; ok {
			v = v.Add(p.quantity.Mul(q.last))
		}
	}
	return v
}

// buyingPower is what the account may spend on a purchase.
func (st *state) buyingPower(a *account) decimal.Decimal {
	if a.marginType == "marginx2" || a.marginType == "daytrader" {
		return a.cash.Mul(decimal.NewFromInt(2))
	}
	return a.cash
}

func (a *account) sortedPositions() []*position {
	out := make([]*position, 0, len(a.positions))
	for _, p := range a.positions {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].symbol < out[j].symbol })
	return out
}

// ordersInOrder returns every order, accounts in profile order and each
// account's orders oldest first, so that processing is deterministic.
func (st *state) ordersInOrder() []*order {
	var out []*order
	for _, n := range st.order {
		for _, id := range st.accounts[n].orderIDs {
			out = append(out, st.orders[id])
		}
	}
	return out
}
