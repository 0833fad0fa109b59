package autoshares

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/brokerkit/brokerkit/internal/rest"

	"github.com/shopspring/decimal"
)

// Quote is a price snapshot. The REST quote endpoint is the emulator
// contract's (AutoShares streams quotes over WebSocket); its numbers may
// arrive as JSON numbers or, as in the stream, strings.
type Quote struct {
	Symbol     string          `json:"Symbol"`
	SecurityID int64           `json:"SecurityId"`
	Bid        decimal.Decimal `json:"Bid"`
	BidSize    decimal.Decimal `json:"BidSize"`
	Ask        decimal.Decimal `json:"Ask"`
	AskSize    decimal.Decimal `json:"AskSize"`
	Last       decimal.Decimal `json:"Last"`
	Volume     decimal.Decimal `json:"Volume"`
	Change     decimal.Decimal `json:"Change"`
	ChangePc   decimal.Decimal `json:"ChangePc"`
	Timestamp  *Time           `json:"Timestamp,omitempty"`
}

// Security is a tradable instrument as the lookup endpoint describes it.
// ID is the broker's internal security id that streams and price alerts
// are keyed by.
type Security struct {
	ID           int64  `json:"Id"`
	Symbol       string `json:"Symbol"`
	Name         string `json:"Name,omitempty"`
	Description  string `json:"Description,omitempty"`
	Exchange     string `json:"Exchange,omitempty"`
	Currency     string `json:"Currency,omitempty"`
	SecurityType string `json:"SecurityType,omitempty"`
}

// QuotesService reads quotes and resolves symbols to security ids.
type QuotesService service

// maxSymbols bounds one quote request.
const maxSymbols = 100

func checkSymbol(s string) error {
	if strings.TrimSpace(s) == "" {
		return rest.Invalid(Name, "empty symbol")
	}
	if len(s) > 64 || strings.ContainsAny(s, ",/?#") {
		return rest.Invalid(Name, "symbol %q is not valid", s)
	}
	return nil
}

// Get returns quotes for the symbols, in the broker's order. Symbols the
// broker answers no quote for are named in a *PartialError returned beside
// the quotes it did answer.
func (s *QuotesService) Get(ctx context.Context, symbols ...string) ([]Quote, error) {
	if len(symbols) == 0 {
		return nil, rest.Invalid(Name, "quotes: no symbols")
	}
	if len(symbols) > maxSymbols {
		return nil, rest.Invalid(Name, "quotes: %d symbols, at most %d per call", len(symbols), maxSymbols)
	}
	for _, sym := range symbols {
		if err := checkSymbol(sym); err != nil {
			return nil, err
		}
	}
	q := url.Values{"symbols": {strings.Join(symbols, ",")}}
	var out []Quote
	if err := s.c.call(ctx, call{method: http.MethodGet, path: s.c.paths.Quotes, query: q}, &out); err != nil {
		return nil, err
	}
	got := make(map[string]bool, len(out))
	for _, qt := range out {
		got[strings.ToUpper(qt.Symbol)] = true
	}
	var failed map[string]string
	for _, sym := range symbols {
		if !got[strings.ToUpper(sym)] {
			if failed == nil {
				failed = map[string]string{}
			}
			failed[sym] = "no quote in the answer"
		}
	}
	return out, rest.NewPartialError(Name, failed)
}

// LookupSecurity resolves a ticker symbol to the broker's security.
func (s *QuotesService) LookupSecurity(ctx context.Context, symbol string) (*Security, error) {
	if err := checkSymbol(symbol); err != nil {
		return nil, err
	}
	p, err := s.c.path(s.c.paths.Security, "", map[string]string{"symbol": symbol})
	if err != nil {
		return nil, err
	}
	var out Security
	if err := s.c.call(ctx, call{method: http.MethodGet, path: p}, &out); err != nil {
		return nil, err
	}
	if out.ID == 0 {
		return nil, s.c.invalid("security "+symbol, errors.New("no Id in the answer"))
	}
	return &out, nil
}
