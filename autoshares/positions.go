package autoshares

import (
	"context"
	"fmt"

	"github.com/brokerkit/brokerkit/internal/rest"

	"github.com/shopspring/decimal"
)

// MaxPositionsPageSize is the largest page the positions endpoint serves.
const MaxPositionsPageSize = 99

// defaultPageSize is the page size a list call asks for when its caller
// names none: the broker requires one on every paged list and documents a
// bound only for positions, MaxPositionsPageSize.
const defaultPageSize = MaxPositionsPageSize

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

// PositionsOptions are the documented filter and sort parameters. Filter
// is the broker's SQL-like expression, for example "Symbol = 'AAPL'".
// PageSize is the size of the pages List walks (1..MaxPositionsPageSize;
// zero means MaxPositionsPageSize).
type PositionsOptions struct {
	SortField string `url:"sortField,omitempty"`
	Desc      bool   `url:"desc"`
	Filter    string `url:"filter,omitempty"`
	PageSize  int    `url:"pageSize"`
}

// defaultPositionsSort is the sort sent when the caller names none (the
// broker's spec wants one): a stable order, so the pages do not overlap.
const defaultPositionsSort = "Symbol"

// PositionsService lists an account's positions.
type PositionsService service

// List returns all of the account's open positions, walking the pages
// itself (pageNumber from 0, pageSize at most MaxPositionsPageSize,
// sortField and desc always sent). A page may be a PagingResult or a bare
// array; both are read. opts may be nil.
func (s *PositionsService) List(ctx context.Context, accountID string, opts *PositionsOptions) ([]Position, error) {
	o := PositionsOptions{SortField: defaultPositionsSort, PageSize: defaultPageSize}
	if opts != nil {
		o = *opts
		if o.SortField == "" {
			o.SortField = defaultPositionsSort
		}
		if o.PageSize == 0 {
			o.PageSize = defaultPageSize
		}
	}
	if o.PageSize < 1 || o.PageSize > MaxPositionsPageSize {
		return nil, rest.Invalid(Name, "positions: page size %d is outside 1..%d", o.PageSize, MaxPositionsPageSize)
	}
	id, err := parseAccountID(accountID)
	if err != nil {
		return nil, err
	}
	p, err := s.c.accountPath(s.c.paths.Positions, id, "", nil)
	if err != nil {
		return nil, err
	}
	q, err := toValues(o)
	if err != nil {
		return nil, err
	}
	q.Set("pageNumber", "0")
	page, err := fetchPage[Position](ctx, s.c, p, q)
	if err != nil {
		return nil, err
	}
	var out []Position
	for n := 0; page != nil; n++ {
		if n == maxPages {
			return nil, fmt.Errorf("autoshares: positions: still more pages after %d; narrow the list with a Filter", maxPages)
		}
		out = append(out, page.Items...)
		if page, err = page.Next(ctx); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// maxPages bounds a walk over pages, against a server whose next-page
// link never ends.
const maxPages = 1000
