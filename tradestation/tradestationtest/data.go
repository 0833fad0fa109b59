package tradestationtest

import (
	"encoding/json"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/brokerkit/brokerkit/auth"
)

// instrument is a seeded symbol.
type instrument struct {
	symbol, description, category, exchange, assetType string
	last                                               decimal.Decimal
	volume                                             int64
	minMove, pointValue                                string
}

var seedInstruments = []struct {
	sym, desc, cat, exch, last string
	vol                        int64
}{
	{"MSFT", "Microsoft Corp", "Stock", "NASDAQ", "412.37", 21894512},
	{"AAPL", "Apple Inc", "Stock", "NASDAQ", "227.52", 48211873},
	{"GOOG", "Alphabet Inc Class C", "Stock", "NASDAQ", "176.41", 19873301},
	{"AMZN", "Amazon.com Inc", "Stock", "NASDAQ", "201.18", 35120044},
	{"META", "Meta Platforms Inc", "Stock", "NASDAQ", "583.09", 11002871},
	{"NVDA", "NVIDIA Corp", "Stock", "NASDAQ", "138.85", 201337512},
	{"TSLA", "Tesla Inc", "Stock", "NASDAQ", "251.44", 88123407},
	{"SPY", "SPDR S&P 500 ETF Trust", "Stock", "ARCX", "585.75", 44817230},
	{"QQQ", "Invesco QQQ Trust", "Stock", "NASDAQ", "505.58", 30155412},
	{"IWM", "iShares Russell 2000 ETF", "Stock", "ARCX", "228.06", 25101987},
	{"DIA", "SPDR Dow Jones Industrial Average ETF", "Stock", "ARCX", "431.27", 3210554},
	{"NFLX", "Netflix Inc", "Stock", "NASDAQ", "754.68", 3120448},
	{"AMD", "Advanced Micro Devices Inc", "Stock", "NASDAQ", "156.23", 40112785},
	{"INTC", "Intel Corp", "Stock", "NASDAQ", "22.61", 70334120},
	{"ORCL", "Oracle Corp", "Stock", "NYSE", "176.39", 9884123},
	{"IBM", "International Business Machines Corp", "Stock", "NYSE", "213.47", 4021776},
	{"CSCO", "Cisco Systems Inc", "Stock", "NASDAQ", "56.89", 17123009},
	{"JPM", "JPMorgan Chase & Co", "Stock", "NYSE", "222.98", 8120456},
	{"BAC", "Bank of America Corp", "Stock", "NYSE", "41.47", 36770812},
	{"WFC", "Wells Fargo & Co", "Stock", "NYSE", "64.31", 15220930},
	{"GS", "Goldman Sachs Group Inc", "Stock", "NYSE", "532.84", 2100873},
	{"XOM", "Exxon Mobil Corp", "Stock", "NYSE", "119.32", 14330221},
	{"CVX", "Chevron Corp", "Stock", "NYSE", "156.15", 7120994},
	{"KO", "Coca-Cola Co", "Stock", "NYSE", "62.83", 13450212},
	{"PEP", "PepsiCo Inc", "Stock", "NASDAQ", "158.95", 5120443},
	{"WMT", "Walmart Inc", "Stock", "NYSE", "83.49", 16002310},
	{"DIS", "Walt Disney Co", "Stock", "NYSE", "96.74", 9877120},
	{"V", "Visa Inc Class A", "Stock", "NYSE", "287.61", 6120887},
	{"MA", "Mastercard Inc Class A", "Stock", "NYSE", "503.21", 2710443},
	{"BRK.B", "Berkshire Hathaway Inc Class B", "Stock", "NYSE", "463.04", 3301229},
	{"ESZ26", "E-mini S&P 500 Dec 2026", "Future", "CME", "5931.25", 1532110},
	{"@ES", "E-mini S&P 500 Continuous Contract", "Future", "CME", "5931.25", 1532110},
}

// account is a seeded brokerage account.
type account struct {
	id, typ, v2Type string
	v2Key           int64
	cash            decimal.Decimal
	positions       []position
}

type position struct {
	id, symbol string
	qty        decimal.Decimal
	avg        decimal.Decimal
	long       bool
}

// dataset is the emulator's market and accounts; it is read-only after
// construction, so handlers need no lock.
type dataset struct {
	instruments map[string]*instrument // by upper-case symbol
	order       []string
	accounts    map[auth.Environment][]*account
	v3Quotes    map[string][]byte // v3 quote JSON by upper-case symbol
	v2Quotes    map[string][]byte
}

func d(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func newDataset() *dataset {
	ds := &dataset{instruments: map[string]*instrument{}, accounts: map[auth.Environment][]*account{},
		v3Quotes: map[string][]byte{}, v2Quotes: map[string][]byte{}}
	for _, s := range seedInstruments {
		in := &instrument{symbol: s.sym, description: s.desc, category: s.cat, exchange: s.exch,
			assetType: "STOCK", last: d(s.last), volume: s.vol, minMove: "0.01", pointValue: "1"}
		if s.cat == "Future" {
			in.assetType, in.minMove, in.pointValue = "FUTURE", "0.25", "50"
		}
		key := strings.ToUpper(s.sym)
		ds.instruments[key] = in
		ds.order = append(ds.order, s.sym)
		ds.v3Quotes[key], _ = json.Marshal(v3QuoteOf(in))
		ds.v2Quotes[key], _ = json.Marshal(v2QuoteOf(in))
	}
	mk := func(prefix, suffix string, n int64, typ, v2t, cash string, pos ...position) *account {
		id := prefix + decimal.NewFromInt(n).String() + suffix
		return &account{id: id, typ: typ, v2Type: v2t, v2Key: n, cash: d(cash), positions: pos}
	}
	ds.accounts[auth.Live] = []*account{
		mk("", "", 11827461, "Cash", "C", "25000.00",
			position{"70010001", "SPY", d("5"), d("430.00"), true}),
		mk("", "", 11827462, "Margin", "M", "103527.18",
			position{"70010002", "MSFT", d("10"), d("216.68"), true},
			position{"70010003", "AAPL", d("25"), d("150.10"), true},
			position{"70010004", "TSLA", d("3"), d("260.00"), false}),
		mk("", "", 21827463, "Futures", "F", "50000.00",
			position{"70010005", "ESZ26", d("1"), d("5900.25"), true}),
	}
	ds.accounts[auth.Sim] = []*account{
		mk("SIM", "C", 1182746, "Cash", "C", "100000.00",
			position{"80010001", "SPY", d("10"), d("500.00"), true}),
		mk("SIM", "M", 1182747, "Margin", "M", "1000000.00",
			position{"80010002", "MSFT", d("100"), d("300.00"), true}),
		mk("SIM", "F", 2182748, "Futures", "F", "250000.00",
			position{"80010003", "ESZ26", d("2"), d("5800.00"), true}),
	}
	return ds
}

func (ds *dataset) account(env auth.Environment, id string) *account {
	for _, a := range ds.accounts[env] {
		if strings.EqualFold(a.id, id) {
			return a
		}
	}
	return nil
}

// v3Quote is API v3's quote JSON: every number a string.
type v3Quote struct {
	Symbol              string          `json:"Symbol"`
	Open                string          `json:"Open"`
	High                string          `json:"High"`
	Low                 string          `json:"Low"`
	PreviousClose       string          `json:"PreviousClose"`
	Last                string          `json:"Last"`
	Ask                 string          `json:"Ask"`
	AskSize             string          `json:"AskSize"`
	Bid                 string          `json:"Bid"`
	BidSize             string          `json:"BidSize"`
	NetChange           string          `json:"NetChange"`
	NetChangePct        string          `json:"NetChangePct"`
	High52Week          string          `json:"High52Week"`
	High52WeekTimestamp string          `json:"High52WeekTimestamp"`
	Low52Week           string          `json:"Low52Week"`
	Low52WeekTimestamp  string          `json:"Low52WeekTimestamp"`
	Volume              string          `json:"Volume"`
	PreviousVolume      string          `json:"PreviousVolume"`
	Close               string          `json:"Close"`
	DailyOpenInterest   string          `json:"DailyOpenInterest"`
	TradeTime           string          `json:"TradeTime"`
	TickSizeTier        string          `json:"TickSizeTier"`
	MarketFlags         map[string]bool `json:"MarketFlags"`
	LastSize            string          `json:"LastSize"`
	LastVenue           string          `json:"LastVenue"`
	VWAP                string          `json:"VWAP"`
}

// prices derives a deterministic day from the last price.
type prices struct{ open, high, low, prevClose, bid, ask, netChange, netPct, high52, low52, vwap decimal.Decimal }

func pricesOf(in *instrument) prices {
	l := in.last
	step := d(in.minMove)
	p := prices{
		open: l.Mul(d("0.994")).Round(2), high: l.Mul(d("1.012")).Round(2), low: l.Mul(d("0.987")).Round(2),
		prevClose: l.Mul(d("0.991")).Round(2), bid: l.Sub(step), ask: l.Add(step),
		high52: l.Mul(d("1.18")).Round(2), low52: l.Mul(d("0.71")).Round(2), vwap: l.Mul(d("0.99873")).Round(6),
	}
	p.netChange = l.Sub(p.prevClose)
	p.netPct = p.netChange.Div(p.prevClose).Mul(d("100")).Round(4)
	return p
}

func v3QuoteOf(in *instrument) v3Quote {
	p := pricesOf(in)
	return v3Quote{Symbol: in.symbol, Open: p.open.String(), High: p.high.String(), Low: p.low.String(),
		PreviousClose: p.prevClose.String(), Last: in.last.String(), Ask: p.ask.String(), AskSize: "300",
		Bid: p.bid.String(), BidSize: "200", NetChange: p.netChange.String(), NetChangePct: p.netPct.String(),
		High52Week: p.high52.String(), High52WeekTimestamp: "2026-07-10T00:00:00Z", Low52Week: p.low52.String(),
		Low52WeekTimestamp: "2025-04-08T00:00:00Z", Volume: decimal.NewFromInt(in.volume).String(),
		PreviousVolume: decimal.NewFromInt(in.volume * 9 / 10).String(), Close: in.last.String(),
		DailyOpenInterest: "0", TradeTime: "2026-01-02T15:04:05Z", TickSizeTier: "0",
		MarketFlags: map[string]bool{"IsDelayed": false, "IsHardToBorrow": false, "IsBats": false, "IsHalted": false},
		LastSize:    "100", LastVenue: in.exchange, VWAP: p.vwap.String()}
}

// v2QuoteOf is WebAPI v2's quote JSON: JSON numbers with *PriceDisplay
// strings beside them.
func v2QuoteOf(in *instrument) map[string]any {
	p := pricesOf(in)
	num := func(x decimal.Decimal) json.Number { return json.Number(x.String()) }
	return map[string]any{
		"Symbol": in.symbol, "SymbolRoot": in.symbol, "Description": in.description, "AssetType": in.assetType,
		"Exchange": in.exchange, "CountryCode": "United States", "Currency": "USD", "DisplayType": 3,
		"Error": nil, "Ask": num(p.ask), "AskPriceDisplay": p.ask.StringFixed(2), "AskSize": 300,
		"Bid": num(p.bid), "BidPriceDisplay": p.bid.StringFixed(2), "BidSize": 200,
		"Last": num(in.last), "LastPriceDisplay": in.last.StringFixed(2), "LastSize": 100, "LastVenue": in.exchange,
		"Open": num(p.open), "High": num(p.high), "Low": num(p.low), "Close": num(in.last),
		"ClosePriceDisplay": in.last.StringFixed(2), "PreviousClose": num(p.prevClose),
		"High52Week": num(p.high52), "Low52Week": num(p.low52), "NetChange": num(p.netChange),
		"NetChangePct": num(p.netPct.Div(d("100"))), "Volume": in.volume, "PreviousVolume": in.volume * 9 / 10,
		"DailyOpenInterest": 0, "VWAP": num(p.vwap), "MinMove": json.Number(in.minMove),
		"PointValue": json.Number(in.pointValue), "StrikePrice": 0, "FractionalDisplay": false,
		"Halted": false, "IsDelayed": false, "NameExt": "", "TradeTime": `/Date(1767366245000)/`,
		"Underlying": "", "Restrictions": []string{},
	}
}
