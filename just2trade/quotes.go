package just2trade

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/brokerkit/brokerkit/internal/rest"
)

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
	Date     Time            `json:"date"`
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
	Timestamp Time            `json:"timestamp"`
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

// securitiesAnswer is a search answer; Count is the total number of
// matches.
type securitiesAnswer struct {
	Securities []Security `json:"securities"`
	Count      int        `json:"count"`
}

// QuotesService reads market data (15 minutes delayed) and searches
// securities.
type QuotesService service

// Get returns quotes for symbols, in the broker's order. One symbol is
// fetched with GET /marketdata/quote?symbol=, several with one
// POST /marketdata/quotes; a symbol that answer leaves out is reported in
// a *PartialError beside the quotes found.
func (s *QuotesService) Get(ctx context.Context, symbols ...string) ([]Quote, error) {
	if len(symbols) == 0 {
		return nil, rest.Invalid(Name, "quotes: no symbol given")
	}
	for i, sym := range symbols {
		if strings.TrimSpace(sym) == "" {
			return nil, rest.Invalid(Name, "quotes: symbol %d is empty", i+1)
		}
	}
	if len(symbols) == 1 {
		var q Quote
		if err := s.c.get(ctx, "marketdata/quote", symbolQuery{Symbol: symbols[0]}, &q); err != nil {
			return nil, err
		}
		return []Quote{q}, nil
	}
	var out []Quote
	// A read, but a POST: the rest layer does not retry it.
	if err := s.c.post(ctx, "marketdata/quotes", symbols, &out); err != nil {
		return nil, err
	}
	failed := map[string]string{}
	for _, sym := range symbols {
		if !slices.ContainsFunc(out, func(q Quote) bool { return q.Symbol == sym }) {
			failed[sym] = "no quote in the answer"
		}
	}
	return out, rest.NewPartialError(Name, failed)
}

type symbolQuery struct {
	Symbol string `url:"symbol"`
}

type historyQuery struct {
	Symbol string `url:"symbol"`
	Period Period `url:"period"`
	From   int64  `url:"from"`
	To     int64  `url:"to"`
}

// History returns bars of period for symbol between from and to
// (GET /marketdata/history). Lime caps the range per period: minute bars a
// week, 5 to 60 minutes a month, days a year, longer periods five years.
func (s *QuotesService) History(ctx context.Context, symbol string, period Period, from, to time.Time) ([]Bar, error) {
	if strings.TrimSpace(symbol) == "" {
		return nil, rest.Invalid(Name, "history: symbol is empty")
	}
	if !period.valid() {
		return nil, rest.Invalid(Name, "history: unknown period %q", period)
	}
	if from.IsZero() || to.IsZero() || to.Before(from) {
		return nil, rest.Invalid(Name, "history: need from <= to, both set")
	}
	var out []Bar
	q := historyQuery{Symbol: symbol, Period: period, From: from.Unix(), To: to.Unix()}
	if err := s.c.get(ctx, "marketdata/history", q, &out); err != nil {
		return nil, err
	}
	return out, nil
}

func (p Period) valid() bool {
	switch p {
	case PeriodMinute, PeriodMinute5, PeriodMinute15, PeriodMinute30, PeriodHour,
		PeriodDay, PeriodWeek, PeriodMonth, PeriodQuarter, PeriodYear:
		return true
	}
	return false
}

type searchQuery struct {
	Query string `url:"query"`
	Limit int    `url:"limit,omitempty"`
}

// Search finds securities whose symbol or name matches query, at most
// limit of them (0 means the broker's default) (GET /securities). Total
// is the number of matches; the page has no Next, since the endpoint
// takes no offset: ask again with a larger limit.
func (s *QuotesService) Search(ctx context.Context, query string, limit int) (*Page[Security], error) {
	if strings.TrimSpace(query) == "" {
		return nil, rest.Invalid(Name, "search: query is empty")
	}
	if limit < 0 {
		return nil, rest.Invalid(Name, "search: limit %d is negative", limit)
	}
	var out securitiesAnswer
	if err := s.c.get(ctx, "securities", searchQuery{Query: query, Limit: limit}, &out); err != nil {
		return nil, err
	}
	return rest.NewPage(out.Securities, out.Count, nil), nil
}
