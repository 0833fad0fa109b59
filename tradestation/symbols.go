package tradestation

import (
	"context"

	"github.com/shopspring/decimal"

	"github.com/brokerkit/brokerkit/internal/rest"
)

// SymbolsService reads symbol details (API v3, scope MarketData).
type SymbolsService service

// maxSymbolDetails is the most symbols one details call takes; Get splits
// longer lists.
const maxSymbolDetails = 50

// SymbolDetail describes a symbol: what it is, where it trades, and how
// its prices and quantities move.
type SymbolDetail struct {
	Symbol         string          `json:"Symbol"`
	Root           string          `json:"Root"`
	Underlying     string          `json:"Underlying,omitempty"`
	AssetType      string          `json:"AssetType"`
	Description    string          `json:"Description"`
	Exchange       string          `json:"Exchange"`
	Country        string          `json:"Country"`
	Currency       string          `json:"Currency"`
	FutureType     string          `json:"FutureType,omitempty"`
	OptionType     string          `json:"OptionType,omitempty"`
	ExpirationDate Time            `json:"ExpirationDate,omitzero"`
	StrikePrice    decimal.Decimal `json:"StrikePrice,omitzero"`
	PriceFormat    PriceFormat     `json:"PriceFormat"`
	QuantityFormat QuantityFormat  `json:"QuantityFormat"`
}

// PriceFormat says how a symbol's prices are written and move: Format
// Decimal (Decimals places), Fraction (1/Fraction) or SubFraction; by a
// Simple Increment or a Schedule.
type PriceFormat struct {
	Format            string          `json:"Format"`
	Decimals          decimal.Decimal `json:"Decimals,omitzero"`
	Fraction          decimal.Decimal `json:"Fraction,omitzero"`
	SubFraction       decimal.Decimal `json:"SubFraction,omitzero"`
	IncrementStyle    string          `json:"IncrementStyle"`
	Increment         decimal.Decimal `json:"Increment,omitzero"`
	IncrementSchedule []IncrementStep `json:"IncrementSchedule,omitempty"`
	PointValue        decimal.Decimal `json:"PointValue"`
}

// QuantityFormat says how a symbol's quantities move.
type QuantityFormat struct {
	Format               string          `json:"Format"`
	Decimals             decimal.Decimal `json:"Decimals,omitzero"`
	IncrementStyle       string          `json:"IncrementStyle"`
	Increment            decimal.Decimal `json:"Increment,omitzero"`
	IncrementSchedule    []IncrementStep `json:"IncrementSchedule,omitempty"`
	MinimumTradeQuantity decimal.Decimal `json:"MinimumTradeQuantity"`
}

// IncrementStep is one row of an increment schedule: from StartsAt on,
// prices move by Increment.
type IncrementStep struct {
	Increment decimal.Decimal `json:"Increment"`
	StartsAt  decimal.Decimal `json:"StartsAt"`
}

// Get returns the details of symbols. Symbols TradeStation does not know
// are named in a *PartialError returned beside the others. Lists longer
// than 50 symbols are fetched in several calls, in order.
func (s *SymbolsService) Get(ctx context.Context, symbols ...string) ([]SymbolDetail, error) {
	if err := checkSymbols(symbols); err != nil {
		return nil, err
	}
	var all []SymbolDetail
	failed := map[string]string{}
	for _, batch := range chunks(symbols, maxSymbolDetails) {
		var out struct {
			Symbols []SymbolDetail `json:"Symbols"`
			Errors  []itemError    `json:"Errors"`
		}
		if err := s.c.get(ctx, s.c.v3, tradingOnly, rest.Pathf("marketdata/symbols/%s", rest.List(batch)), nil, &out); err != nil {
			return nil, err
		}
		all = append(all, out.Symbols...)
		for _, e := range out.Errors {
			e.addTo(failed)
		}
	}
	return all, rest.NewPartialError(Name, failed)
}
