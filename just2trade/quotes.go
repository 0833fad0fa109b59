package just2trade

import "github.com/shopspring/decimal"

// Quote is a symbol's market data, 15 minutes delayed. Option greeks are
// sent by Lime for option symbols only; otherwise they are zero.
type Quote struct {
	Symbol   string          `json:"symbol"`
	Ask      decimal.Decimal `json:"ask"`
	AskSize  decimal.Decimal `json:"ask_size"`
	Bid      decimal.Decimal `json:"bid"`
	BidSize  decimal.Decimal `json:"bid_size"`
	Last     decimal.Decimal `json:"last"`
	LastSize decimal.Decimal `json:"last_size"`
	Volume   decimal.Decimal `json:"volume"`
	Date     Timestamp       `json:"date"`
	High     decimal.Decimal `json:"high"`
	Low      decimal.Decimal `json:"low"`
	Open     decimal.Decimal `json:"open"`
	// Close is the previous session's close.
	Close        decimal.Decimal `json:"close"`
	Week52High   decimal.Decimal `json:"week52_high"`
	Week52Low    decimal.Decimal `json:"week52_low"`
	Change       decimal.Decimal `json:"change"`
	ChangePc     decimal.Decimal `json:"change_pc"`
	OpenInterest decimal.Decimal `json:"open_interest"`

	ImpliedVolatility decimal.Decimal `json:"implied_volatility"`
	TheoreticalPrice  decimal.Decimal `json:"theoretical_price"`
	Delta             decimal.Decimal `json:"delta"`
	Gamma             decimal.Decimal `json:"gamma"`
	Theta             decimal.Decimal `json:"theta"`
	Vega              decimal.Decimal `json:"vega"`
	Rho               decimal.Decimal `json:"rho"`
}

// Period is a history bar's length.
type Period string

// The documented bar periods.
const (
	PeriodMinute   Period = "minute"
	PeriodMinute5  Period = "minute_5"
	PeriodMinute15 Period = "minute_15"
	PeriodMinute30 Period = "minute_30"
	PeriodHour     Period = "hour"
	PeriodDay      Period = "day"
	PeriodWeek     Period = "week"
	PeriodMonth    Period = "month"
	PeriodQuarter  Period = "quarter"
	PeriodYear     Period = "year"
)

// Bar is one history candle.
type Bar struct {
	Timestamp Timestamp       `json:"timestamp"`
	Period    Period          `json:"period"`
	Open      decimal.Decimal `json:"open"`
	High      decimal.Decimal `json:"high"`
	Low       decimal.Decimal `json:"low"`
	Close     decimal.Decimal `json:"close"`
	Volume    decimal.Decimal `json:"volume"`
}

// Security is one search result.
type Security struct {
	Symbol      string `json:"symbol"`
	Description string `json:"description"`
}

// SecuritiesPage is a search answer; Count is the total number of matches.
type SecuritiesPage struct {
	Securities []Security `json:"securities"`
	Count      int        `json:"count"`
}
