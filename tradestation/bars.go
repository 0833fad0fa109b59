package tradestation

import (
	"context"
	"slices"
	"strconv"

	"github.com/shopspring/decimal"

	"github.com/brokerkit/brokerkit/internal/rest"
)

// BarsService fetches historical bar charts (API v3, scope MarketData).
type BarsService service

// maxIntradayBarsBack is the most minute bars one call may ask for.
const maxIntradayBarsBack = 57600

// BarsOptions select the bars of Bars.Get. The zero value asks for the
// last daily bar.
type BarsOptions struct {
	// Interval is the number of Units per bar: 1 to 1440 for Minute, 1 for
	// the others; zero means 1.
	Interval int `url:"interval,omitempty"`
	// Unit is Minute, Daily, Weekly or Monthly; empty means Daily.
	Unit string `url:"unit,omitempty"`
	// BarsBack is the number of bars to fetch, ending at LastDate (at most
	// 57,600 minute bars); it excludes FirstDate.
	BarsBack int `url:"barsback,omitempty"`
	// FirstDate and LastDate bound the bars (2006-01-02 or RFC 3339);
	// LastDate defaults to now.
	FirstDate string `url:"firstdate,omitempty"`
	LastDate  string `url:"lastdate,omitempty"`
	// SessionTemplate extends US stock bars beyond the regular session:
	// USEQPre, USEQPost, USEQPreAndPost, USEQ24Hour or Default.
	SessionTemplate string `url:"sessiontemplate,omitempty"`
}

// Bar is one bar of a chart. Prices and TotalVolume are exact; tick and
// up/down volume counts are integers, as TradeStation sends them.
type Bar struct {
	TimeStamp       Time            `json:"TimeStamp"`
	Epoch           int64           `json:"Epoch"`
	Open            decimal.Decimal `json:"Open"`
	High            decimal.Decimal `json:"High"`
	Low             decimal.Decimal `json:"Low"`
	Close           decimal.Decimal `json:"Close"`
	TotalVolume     decimal.Decimal `json:"TotalVolume"`
	OpenInterest    decimal.Decimal `json:"OpenInterest"`
	UpTicks         uint64          `json:"UpTicks"`
	DownTicks       uint64          `json:"DownTicks"`
	TotalTicks      uint64          `json:"TotalTicks"`
	UpVolume        uint64          `json:"UpVolume"`
	DownVolume      uint64          `json:"DownVolume"`
	UnchangedTicks  uint64          `json:"UnchangedTicks"`
	UnchangedVolume uint64          `json:"UnchangedVolume"`
	IsRealtime      bool            `json:"IsRealtime"`
	IsEndOfHistory  bool            `json:"IsEndOfHistory"`
	BarStatus       string          `json:"BarStatus"` // Open, Closed
}

var barUnits = []string{"Minute", "Daily", "Weekly", "Monthly"}

// Get returns the bars of one symbol, oldest first. opts may be nil.
func (s *BarsService) Get(ctx context.Context, symbol string, opts *BarsOptions) ([]Bar, error) {
	if err := checkSymbols([]string{symbol}); err != nil {
		return nil, err
	}
	var q BarsOptions
	if opts != nil {
		q = *opts
	}
	if err := q.check(); err != nil {
		return nil, err
	}
	var out struct {
		Bars []Bar `json:"Bars"`
	}
	if err := s.c.get(ctx, s.c.v3, tradingOnly, rest.Pathf("marketdata/barcharts/%s", symbol), &q, &out); err != nil {
		return nil, err
	}
	return out.Bars, nil
}

// check refuses options TradeStation would refuse, before anything is
// sent (the bar streams share it).
func (q *BarsOptions) check() error {
	switch {
	case q.Unit != "" && !slices.Contains(barUnits, q.Unit):
		return rest.Invalid(Name, "bars: unit %.20q is not Minute, Daily, Weekly or Monthly", q.Unit)
	case q.Interval < 0 || q.Interval > 1440 || (q.Interval > 1 && q.Unit != "Minute"):
		return rest.Invalid(Name, "bars: interval %d is not valid for unit %q (1 to 1440 minutes, else 1)",
			q.Interval, q.Unit)
	case q.BarsBack < 0 || (q.Unit == "Minute" && q.BarsBack > maxIntradayBarsBack):
		return rest.Invalid(Name, "bars: barsback %s is out of range", strconv.Itoa(q.BarsBack))
	case q.BarsBack > 0 && q.FirstDate != "":
		return rest.Invalid(Name, "bars: BarsBack and FirstDate exclude each other")
	}
	return nil
}
