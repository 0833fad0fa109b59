package tradestation

import (
	"context"

	"github.com/brokerkit/brokerkit/internal/rest"
)

// maxQuoteSymbols is the most symbols one v3 quotes call takes; Get splits
// longer lists.
const maxQuoteSymbols = 100

// QuotesService fetches quote snapshots (API v3, scope MarketData).
type QuotesService service

// Get returns quotes for symbols. Symbols TradeStation does not know
// ({"Symbol":"X","Error":"FAILED, INVALID SYMBOL"}) are named in a
// *PartialError returned beside the quotes of the others. Lists longer
// than 100 symbols are fetched in several calls, in order.
func (s *QuotesService) Get(ctx context.Context, symbols ...string) ([]Quote, error) {
	if err := checkSymbols(symbols); err != nil {
		return nil, err
	}
	var all []Quote
	failed := map[string]string{}
	for _, batch := range chunks(symbols, maxQuoteSymbols) {
		var out quoteSnapshot
		if err := s.c.get(ctx, s.c.v3, tradingOnly, rest.Pathf("marketdata/quotes/%s", rest.List(batch)), nil, &out); err != nil {
			return nil, err
		}
		all = append(all, out.Quotes...)
		for _, e := range out.Errors {
			e.addTo(failed)
		}
	}
	return all, rest.NewPartialError(Name, failed)
}

// quoteSnapshot is the v3 quotes answer.
type quoteSnapshot struct {
	Quotes []Quote     `json:"Quotes"`
	Errors []itemError `json:"Errors"`
}
