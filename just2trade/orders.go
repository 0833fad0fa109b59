package just2trade

import (
	"encoding/json"

	"github.com/shopspring/decimal"
)

// Side is an order's side.
type Side string

// The order sides.
const (
	Buy  Side = "buy"
	Sell Side = "sell"
)

// OrderType is an order's type. Lime accepts only market and limit.
type OrderType string

// The documented order types.
const (
	Market        OrderType = "market"
	Limit         OrderType = "limit"
	Stop          OrderType = "stop"
	StopLimit     OrderType = "stop_limit"
	MarketOnClose OrderType = "market_on_close"
	LimitOnClose  OrderType = "limit_on_close"
)

// TimeInForce is how long an order stays working.
type TimeInForce string

// The documented times in force (Just2Trade; Lime uses day, ext, on-open,
// on-close, ioc and fok).
const (
	Day              TimeInForce = "day"
	GoodTillCancel   TimeInForce = "good_till_cancel"
	GoodTillCrossing TimeInForce = "good_till_crossing"
)

// OrderStatus is an order's state.
type OrderStatus string

// The documented order statuses.
const (
	StatusNew             OrderStatus = "new"
	StatusPendingNew      OrderStatus = "pending_new"
	StatusPartiallyFilled OrderStatus = "partially_filled"
	StatusFilled          OrderStatus = "filled"
	StatusPendingCancel   OrderStatus = "pending_cancel"
	StatusCanceled        OrderStatus = "canceled"
	StatusPendingReplace  OrderStatus = "pending_replace"
	StatusReplaced        OrderStatus = "replaced"
	StatusRejected        OrderStatus = "rejected"
	StatusDoneForDay      OrderStatus = "done_for_day"
	StatusExpired         OrderStatus = "expired"
	StatusSuspended       OrderStatus = "suspended"
)

// Final reports whether no further change can happen to an order in s.
func (s OrderStatus) Final() bool {
	switch s {
	case StatusFilled, StatusCanceled, StatusReplaced, StatusRejected, StatusDoneForDay, StatusExpired:
		return true
	}
	return false
}

// Order is an order as the broker reports it.
type Order struct {
	AccountNumber string `json:"account_number"`
	// ClientID is the order's ID (the broker names it client_id).
	ClientID          ID              `json:"client_id"`
	Exchange          string          `json:"exchange"`
	Quantity          decimal.Decimal `json:"quantity"`
	ExecutedQuantity  decimal.Decimal `json:"executed_quantity"`
	Status            OrderStatus     `json:"order_status"`
	Price             decimal.Decimal `json:"price"`
	StopPrice         decimal.Decimal `json:"stop_price"`
	TimeInForce       TimeInForce     `json:"time_in_force"`
	Type              OrderType       `json:"order_type"`
	Side              Side            `json:"order_side"`
	Symbol            string          `json:"symbol"`
	ExecutedPrice     decimal.Decimal `json:"executed_price"`
	ExecutedTimestamp Timestamp       `json:"executed_timestamp"`
	Comment           string          `json:"comment,omitempty"`
}

// ID returns the order's identifier.
func (o *Order) ID() string { return string(o.ClientID) }

// OrderRequest is an order to validate or place.
type OrderRequest struct {
	// AccountNumber is required ("12345678@vision").
	AccountNumber string
	// Symbol is required: stocks in Nasdaq CMS form ("BRK B"), options in
	// OCC form ("AAPL  171103C00155000").
	Symbol string
	// Quantity is required and positive.
	Quantity decimal.Decimal
	// Price is required for limit and stop-limit orders, else left out.
	Price decimal.Decimal
	// StopPrice is required for stop and stop-limit orders, else left out.
	StopPrice decimal.Decimal
	// TimeInForce defaults to day at the broker.
	TimeInForce TimeInForce
	// Type defaults to market at the broker.
	Type OrderType
	// Side defaults to buy at the broker.
	Side Side
	// Comment is free text.
	Comment string
	// Exchange defaults to "auto" at the broker.
	Exchange string
	// ClientOrderID (Lime; at most 32 alphanumeric characters) makes a
	// placement idempotent.
	ClientOrderID string
	// Tag (Lime; at most 32 characters) labels the order.
	Tag string
}

// orderWire is the JSON body of an order request: prices as JSON numbers,
// unset members left out.
type orderWire struct {
	AccountNumber string      `json:"account_number"`
	Symbol        string      `json:"symbol"`
	Quantity      json.Number `json:"quantity"`
	Price         json.Number `json:"price,omitempty"`
	StopPrice     json.Number `json:"stop_price,omitempty"`
	TimeInForce   TimeInForce `json:"time_in_force,omitempty"`
	OrderType     OrderType   `json:"order_type,omitempty"`
	Side          Side        `json:"side,omitempty"`
	Comment       string      `json:"comment,omitempty"`
	Exchange      string      `json:"exchange,omitempty"`
	ClientOrderID string      `json:"client_order_id,omitempty"`
	Tag           string      `json:"tag,omitempty"`
}

func number(d decimal.Decimal) json.Number {
	if d.IsZero() {
		return ""
	}
	return json.Number(d.String())
}

// MarshalJSON writes the broker's order JSON, prices as numbers.
func (r OrderRequest) MarshalJSON() ([]byte, error) {
	return json.Marshal(orderWire{
		AccountNumber: r.AccountNumber,
		Symbol:        r.Symbol,
		Quantity:      json.Number(r.Quantity.String()),
		Price:         number(r.Price),
		StopPrice:     number(r.StopPrice),
		TimeInForce:   r.TimeInForce,
		OrderType:     r.Type,
		Side:          r.Side,
		Comment:       r.Comment,
		Exchange:      r.Exchange,
		ClientOrderID: r.ClientOrderID,
		Tag:           r.Tag,
	})
}
