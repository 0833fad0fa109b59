package tradestation

import (
	"context"

	"github.com/brokerkit/brokerkit/internal/rest"
)

// MaxQuoteSymbols is the most symbols one v3 quotes call takes; Get splits
// longer lists.
const MaxQuoteSymbols = 100

// QuotesService fetches quote snapshots (API v3, scope MarketData).
type QuotesService struct{ c *Client }

// Get returns quotes for symbols. Symbols TradeStation does not know come
// back in the second result ({"Symbol":"X","Error":"FAILED, INVALID
// SYMBOL"}), beside the quotes of the others; only a failure of the whole
// call is an error. Lists longer than MaxQuoteSymbols are fetched in
// several calls, in order.
func (s *QuotesService) Get(ctx context.Context, symbols ...string) ([]Quote, []PartialError, error) {
	if _, err := s.c.check(ctx, TradingAudience); err != nil {
		return nil, nil, err
	}
	if err := checkSymbols(symbols); err != nil {
		return nil, nil, err
	}
	var all []Quote
	var errs []PartialError
	for _, batch := range chunks(symbols, MaxQuoteSymbols) {
		var out quoteSnapshot
		if _, err := s.c.v3.Get(ctx, rest.Pathf("marketdata/quotes/%s", rest.List(batch)), nil, &out); err != nil {
			return nil, nil, err
		}
		if all == nil {
			all = out.Quotes
		} else {
			all = append(all, out.Quotes...)
		}
		errs = append(errs, out.Errors...)
	}
	return all, errs, nil
}

// quoteSnapshot is the v3 quotes answer.
type quoteSnapshot struct {
	Quotes []Quote        `json:"Quotes"`
	Errors []PartialError `json:"Errors"`
}
