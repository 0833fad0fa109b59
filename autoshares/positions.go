package autoshares

import (
	"context"
	"fmt"
	"net/http"

	"github.com/shopspring/decimal"
)

// MaxPositionsPageSize is the largest page the positions endpoint serves.
const MaxPositionsPageSize = 99

// Position is an open position (PositionResource).
type Position struct {
	ID                   int64           `json:"Id"`
	AccountID            int64           `json:"AccountId"`
	SecurityID           int64           `json:"SecurityId"`
	Symbol               string          `json:"Symbol"`
	Name                 string          `json:"Name,omitempty"`
	CompanyName          string          `json:"CompanyName,omitempty"`
	SecurityCurrency     string          `json:"SecurityCurrency,omitempty"`
	SecurityType         string          `json:"SecurityType,omitempty"`
	ContractSize         decimal.Decimal `json:"ContractSize"`
	CostBasis            decimal.Decimal `json:"CostBasis"`
	DailyCostBasis       decimal.Decimal `json:"DailyCostBasis"`
	CreateDate           *Time           `json:"CreateDate,omitempty"`
	ModifyDate           *Time           `json:"ModifyDate,omitempty"`
	Quantity             decimal.Decimal `json:"Quantity"`
	RealizedProfitLoss   decimal.Decimal `json:"RealizedProfitLoss"`
	AverageOpenPrice     decimal.Decimal `json:"AverageOpenPrice"`
	AverageClosePrice    decimal.Decimal `json:"AverageClosePrice"`
	StopLossPrice        decimal.Decimal `json:"StopLossPrice"`
	TakeProfitPrice      decimal.Decimal `json:"TakeProfitPrice"`
	DailyCloseProfitLoss decimal.Decimal `json:"DailyCloseProfitLoss"`
	ExcessChanges        decimal.Decimal `json:"ExcessChanges"`
	DayQuantity          decimal.Decimal `json:"DayQuantity"`
	MarketValueEOD       decimal.Decimal `json:"MarketValueEOD"`
}

// PositionListOptions are the documented filter, sort and paging
// parameters. Filter is the broker's SQL-like expression, for example
// "Symbol = 'AAPL'".
type PositionListOptions struct {
	PageNumber int    `url:"pageNumber,omitempty"`
	PageSize   int    `url:"pageSize,omitempty"`
	SortField  string `url:"sortField,omitempty"`
	Desc       *bool  `url:"desc,omitempty"`
	Filter     string `url:"filter,omitempty"`
}

// PositionsService lists an account's positions.
type PositionsService struct{ c *Client }

// List returns one page of the account's positions. The answer may be a
// PagingResult or a bare array; both are read.
func (s *PositionsService) List(ctx context.Context, accountID int64, opts *PositionListOptions) (*Page[Position], error) {
	if opts != nil {
		if opts.PageSize < 0 || opts.PageSize > MaxPositionsPageSize {
			return nil, fmt.Errorf("autoshares: positions: page size %d is outside 0..%d", opts.PageSize, MaxPositionsPageSize)
		}
		if opts.PageNumber < 0 {
			return nil, fmt.Errorf("autoshares: positions: page number %d is negative", opts.PageNumber)
		}
	}
	p, err := s.c.accountPath(s.c.paths.Positions, accountID, "", nil)
	if err != nil {
		return nil, err
	}
	var out Page[Position]
	if err := s.c.call(ctx, call{method: http.MethodGet, path: p, query: opts}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
