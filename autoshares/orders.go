package autoshares

import (
	"context"
	"encoding/json"
	"errors"
	"github.com/brokerkit/brokerkit/internal/rest"
	"net/http"
	"strconv"

	"github.com/shopspring/decimal"
)

// Order types, sides and times in force.
const (
	OrderMarket            = "Market"
	OrderLimit             = "Limit"
	OrderStop              = "Stop"
	OrderStopLimit         = "StopLimit"
	OrderTrailingStop      = "TrailingStop"
	OrderTrailingStopLimit = "TrailingStopLimit"

	SideBuy        = "Buy"
	SideSell       = "Sell"
	SideSellShort  = "SellShort"
	SideBuyToCover = "BuyToCover"

	TimeInForceDay            = "Day"
	TimeInForceGoodTillCancel = "GoodTillCancel"
	TimeInForceGoodTillDate   = "GoodTillDate"
)

// OrderLeg is one leg of a multi-leg or conditional order.
type OrderLeg struct {
	Symbol    string
	Side      string
	Quantity  decimal.Decimal
	Type      string
	Price     decimal.Decimal
	StopPrice decimal.Decimal
}

// OrderRequest is an order to preview or place. Zero Price and StopPrice
// are left out of the request.
type OrderRequest struct {
	Symbol                string
	ClientID              string
	Type                  string
	Side                  string
	Quantity              decimal.Decimal
	Price                 decimal.Decimal
	StopPrice             decimal.Decimal
	TimeInForce           string
	ExpireDate            *Time
	ExecInst              string
	Exchange              string
	ExtendedHours         string
	Comment               string
	ExecutionInstructions map[string]string
	Legs                  []OrderLeg
}

func num(d decimal.Decimal) json.Number { return json.Number(d.String()) }

func optNum(d decimal.Decimal) *json.Number {
	if d.IsZero() {
		return nil
	}
	n := num(d)
	return &n
}

type legJSON struct {
	Symbol    string       `json:"Symbol"`
	Type      string       `json:"Type,omitempty"`
	Side      string       `json:"Side"`
	Quantity  json.Number  `json:"Quantity"`
	Price     *json.Number `json:"Price,omitempty"`
	StopPrice *json.Number `json:"StopPrice,omitempty"`
}

// MarshalJSON writes the documented body, amounts as JSON numbers.
func (o OrderRequest) MarshalJSON() ([]byte, error) {
	legs := make([]legJSON, len(o.Legs))
	for i, l := range o.Legs {
		legs[i] = legJSON{l.Symbol, l.Type, l.Side, num(l.Quantity), optNum(l.Price), optNum(l.StopPrice)}
	}
	v := struct {
		Symbol                string            `json:"Symbol"`
		ClientID              string            `json:"ClientId,omitempty"`
		Type                  string            `json:"Type"`
		Side                  string            `json:"Side,omitempty"`
		Quantity              *json.Number      `json:"Quantity,omitempty"`
		Price                 *json.Number      `json:"Price,omitempty"`
		StopPrice             *json.Number      `json:"StopPrice,omitempty"`
		TimeInForce           string            `json:"TimeInForce,omitempty"`
		ExpireDate            *Time             `json:"ExpireDate,omitempty"`
		ExecInst              string            `json:"ExecInst,omitempty"`
		Exchange              string            `json:"Exchange,omitempty"`
		ExtendedHours         string            `json:"ExtendedHours,omitempty"`
		Comment               string            `json:"Comment,omitempty"`
		ExecutionInstructions map[string]string `json:"ExecutionInstructions,omitempty"`
		Legs                  []legJSON         `json:"Legs,omitempty"`
	}{o.Symbol, o.ClientID, o.Type, o.Side, optNum(o.Quantity), optNum(o.Price), optNum(o.StopPrice),
		o.TimeInForce, o.ExpireDate, o.ExecInst, o.Exchange, o.ExtendedHours, o.Comment,
		o.ExecutionInstructions, legs}
	return json.Marshal(v)
}

// validate catches the mistakes the broker would only reject later (it
// answers 200 for orders it rejects afterwards).
func (o *OrderRequest) validate() error {
	bad := func(format string, a ...any) error {
		return rest.Invalid(Name, "order: "+format, a...)
	}
	if len(o.Legs) == 0 {
		if err := checkSymbol(o.Symbol); err != nil {
			return bad("%v", err)
		}
		switch o.Side {
		case SideBuy, SideSell, SideSellShort, SideBuyToCover:
		default:
			return bad("side %q is not Buy, Sell, SellShort or BuyToCover", o.Side)
		}
		if !o.Quantity.IsPositive() {
			return bad("quantity %s is not positive", o.Quantity)
		}
	}
	if o.Price.IsNegative() || o.StopPrice.IsNegative() {
		return bad("negative price")
	}
	switch o.Type {
	case OrderMarket, OrderTrailingStop, OrderTrailingStopLimit:
	case OrderLimit:
		if o.Price.IsZero() {
			return bad("a Limit order needs Price")
		}
	case OrderStop:
		if o.StopPrice.IsZero() {
			return bad("a Stop order needs StopPrice")
		}
	case OrderStopLimit:
		if o.Price.IsZero() || o.StopPrice.IsZero() {
			return bad("a StopLimit order needs Price and StopPrice")
		}
	case "":
		return bad("Type is empty")
	default:
		if len(o.Legs) == 0 {
			return bad("type %q needs Legs", o.Type)
		}
	}
	switch o.TimeInForce {
	case "", TimeInForceDay, TimeInForceGoodTillCancel:
	case TimeInForceGoodTillDate:
		if o.ExpireDate == nil || o.ExpireDate.IsZero() {
			return bad("GoodTillDate needs ExpireDate")
		}
	default:
		return bad("time in force %q is not Day, GoodTillCancel or GoodTillDate", o.TimeInForce)
	}
	for i, l := range o.Legs {
		if err := checkSymbol(l.Symbol); err != nil {
			return bad("leg %d: %v", i, err)
		}
		if !l.Quantity.IsPositive() {
			return bad("leg %d: quantity %s is not positive", i, l.Quantity)
		}
	}
	return nil
}

// Order is an order as the broker reports it.
type Order struct {
	ID                    int64                      `json:"Id"`
	ClientID              string                     `json:"ClientId,omitempty"`
	AccountID             int64                      `json:"AccountId"`
	UserID                int64                      `json:"UserId"`
	SecurityID            int64                      `json:"SecurityId"`
	Symbol                string                     `json:"Symbol,omitempty"`
	Type                  string                     `json:"Type"`
	Side                  string                     `json:"Side"`
	Quantity              decimal.Decimal            `json:"Quantity"`
	Price                 decimal.Decimal            `json:"Price"`
	StopPrice             decimal.Decimal            `json:"StopPrice"`
	ExecutedQuantity      decimal.Decimal            `json:"ExecutedQuantity"`
	LeavesQuantity        decimal.Decimal            `json:"LeavesQuantity"`
	LastPrice             decimal.Decimal            `json:"LastPrice"`
	LastQuantity          decimal.Decimal            `json:"LastQuantity"`
	AveragePrice          decimal.Decimal            `json:"AveragePrice"`
	Status                string                     `json:"Status"`
	ExecutionStatus       string                     `json:"ExecutionStatus,omitempty"`
	RequestStatus         string                     `json:"RequestStatus,omitempty"`
	TimeInForce           string                     `json:"TimeInForce,omitempty"`
	Comment               string                     `json:"Comment,omitempty"`
	Date                  *Time                      `json:"Date,omitempty"`
	CreateDate            *Time                      `json:"CreateDate,omitempty"`
	ExpireDate            *Time                      `json:"ExpireDate,omitempty"`
	RequestID             int64                      `json:"RequestId,omitempty"`
	ParentID              int64                      `json:"ParentId,omitempty"`
	ExecutionInstructions map[string]json.RawMessage `json:"ExecutionInstructions,omitempty"`
}

// OrderPreview is the result of the broker's order checks: costs,
// commission and the quotes used.
type OrderPreview struct {
	IsSuccessful         bool                       `json:"IsSuccessful"`
	ErrorDescription     string                     `json:"ErrorDescription,omitempty"`
	ErrorDescriptionArgs []string                   `json:"-"`
	Commission           decimal.Decimal            `json:"Commission"`
	Commissions          map[string]decimal.Decimal `json:"Commissions,omitempty"`
	Cost                 decimal.Decimal            `json:"Cost"`
	NetCost              decimal.Decimal            `json:"NetCost"`
	MarginChange         decimal.Decimal            `json:"MarginChange"`
	Quotes               []Quote                    `json:"Quotes,omitempty"`
}

// OrderListOptions filter and page the order list. The broker requires
// pageNumber and pageSize, so both are always sent: PageNumber is
// zero-based, and a zero PageSize asks for 99 (the page size the positions
// list allows at most; the broker documents no bound for orders). SortField
// and Desc are optional (the broker's default is ascending).
type OrderListOptions struct {
	PageNumber int    `url:"pageNumber"`
	PageSize   int    `url:"pageSize"`
	SortField  string `url:"sortField,omitempty"`
	Desc       *bool  `url:"desc,omitempty"`
	Filter     string `url:"filter,omitempty"`
}

// OrdersService previews, places, reads and cancels orders.
type OrdersService service

// Preview runs the broker's checks on o without placing it. A failed check
// is an *OrderRejectedError whose Check holds the full result.
func (s *OrdersService) Preview(ctx context.Context, accountID int64, o OrderRequest) (*OrderPreview, error) {
	if err := o.validate(); err != nil {
		return nil, err
	}
	p, err := s.c.accountPath(s.c.paths.PreviewOrder, accountID, "", nil)
	if err != nil {
		return nil, err
	}
	var out OrderPreview
	if err := s.c.call(ctx, call{method: http.MethodPost, path: p, body: o}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Place places o. It is sent exactly once: never retried, whatever the
// failure, so a lost answer never doubles an order (look it up by
// ClientID instead). A refusal by the order checks is an
// *OrderRejectedError; unsigned agreements an *AgreementsPendingError. The
// broker may still reject an accepted order later: watch its Status.
func (s *OrdersService) Place(ctx context.Context, accountID int64, o OrderRequest) (*Order, error) {
	if err := o.validate(); err != nil {
		return nil, err
	}
	p, err := s.c.accountPath(s.c.paths.Orders, accountID, "", nil)
	if err != nil {
		return nil, err
	}
	var out Order
	if err := s.c.call(ctx, call{method: http.MethodPost, path: p, body: o}, &out); err != nil {
		return nil, err
	}
	if out.ID == 0 {
		return nil, s.c.invalid("placed order", errors.New("no Id in the answer"))
	}
	return &out, nil
}

// Get returns one order.
func (s *OrdersService) Get(ctx context.Context, accountID, orderID int64) (*Order, error) {
	if orderID <= 0 {
		return nil, rest.Invalid(Name, "order id %d is not positive", orderID)
	}
	p, err := s.c.accountPath(s.c.paths.Order, accountID, "", map[string]string{"orderId": strconv.FormatInt(orderID, 10)})
	if err != nil {
		return nil, err
	}
	var out Order
	if err := s.c.call(ctx, call{method: http.MethodGet, path: p}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// List returns one page of the account's orders (opts may be nil: the
// first page).
func (s *OrdersService) List(ctx context.Context, accountID int64, opts *OrderListOptions) (*Page[Order], error) {
	var o OrderListOptions
	if opts != nil {
		o = *opts
	}
	if o.PageSize < 0 || o.PageNumber < 0 {
		return nil, rest.Invalid(Name, "orders: negative page number or size")
	}
	if o.PageSize == 0 {
		o.PageSize = defaultPageSize
	}
	p, err := s.c.accountPath(s.c.paths.Orders, accountID, "", nil)
	if err != nil {
		return nil, err
	}
	return fetchPage[Order](ctx, s.c, p, o)
}

// Cancel asks the broker to cancel an order. Cancelling is idempotent and
// retried like a GET.
func (s *OrdersService) Cancel(ctx context.Context, accountID, orderID int64) error {
	if orderID <= 0 {
		return rest.Invalid(Name, "order id %d is not positive", orderID)
	}
	p, err := s.c.accountPath(s.c.paths.Order, accountID, "", map[string]string{"orderId": strconv.FormatInt(orderID, 10)})
	if err != nil {
		return err
	}
	return s.c.call(ctx, call{method: http.MethodDelete, path: p, idempotent: true}, nil)
}
