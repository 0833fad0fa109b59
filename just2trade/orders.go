package just2trade

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/shopspring/decimal"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/internal/rest"
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
	ExecutedTimestamp Time            `json:"executed_timestamp"`
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

// check refuses, before anything is sent, an order the broker would
// certainly refuse (required fields missing or not positive), with an
// error matching ErrInvalidInput.
func (r *OrderRequest) check() error {
	bad := func(field, msg string) error { return rest.Invalid(Name, "order: %s: %s", field, msg) }
	switch {
	case r.AccountNumber == "":
		return bad("account_number", "required")
	case strings.TrimSpace(r.Symbol) == "":
		return bad("symbol", "required")
	case !r.Quantity.IsPositive():
		return bad("quantity", "must be positive")
	case r.Price.IsNegative():
		return bad("price", "must not be negative")
	case r.StopPrice.IsNegative():
		return bad("stop_price", "must not be negative")
	}
	switch r.Type {
	case Limit, LimitOnClose:
		if !r.Price.IsPositive() {
			return bad("price", "required for a "+string(r.Type)+" order")
		}
	case Stop:
		if !r.StopPrice.IsPositive() {
			return bad("stop_price", "required for a stop order")
		}
	case StopLimit:
		if !r.Price.IsPositive() {
			return bad("price", "required for a stop_limit order")
		}
		if !r.StopPrice.IsPositive() {
			return bad("stop_price", "required for a stop_limit order")
		}
	}
	if len(r.ClientOrderID) > 32 || strings.ContainsFunc(r.ClientOrderID, func(c rune) bool {
		return !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z')
	}) {
		return bad("client_order_id", "at most 32 letters and digits")
	}
	if utf8.RuneCountInString(r.Tag) > 32 {
		return bad("tag", "at most 32 characters")
	}
	return nil
}

// OrdersService validates, places, reads and cancels orders.
type OrdersService service

type validateAnswer struct {
	IsValid           *bool  `json:"is_valid"`
	ValidationMessage string `json:"validation_message"`
}

// Validate asks the broker whether r would be accepted, without sending it
// to the market (POST /orders/validate). A refusal is a *ValidationError
// with the broker's message; it matches ErrBadRequest.
func (s *OrdersService) Validate(ctx context.Context, r OrderRequest) error {
	if err := r.check(); err != nil {
		return err
	}
	var out validateAnswer
	if err := s.c.post(ctx, "orders/validate", r, &out); err != nil {
		return err
	}
	if out.IsValid == nil {
		return fmt.Errorf("just2trade: POST /orders/validate: %w", errNoField("is_valid"))
	}
	if !*out.IsValid {
		return &ValidationError{Message: out.ValidationMessage}
	}
	return nil
}

// result is the {"success": true, "data": "..."} answer of place and
// cancel.
type result struct {
	Success *bool `json:"success"`
	Data    ID    `json:"data"`
}

func (r *result) id(what string) (string, error) {
	switch {
	case r.Success == nil:
		return "", fmt.Errorf("just2trade: %s: %w", what, errNoField("success"))
	case !*r.Success:
		return "", fmt.Errorf("just2trade: %s: the broker answered success false (%s)", what, r.Data)
	case r.Data == "":
		return "", fmt.Errorf("just2trade: %s: %w", what, errNoField("data"))
	}
	return string(r.Data), nil
}

// Place sends r to the market (POST /orders/place) and returns the order
// ID. It is never retried: a failure after sending may still have placed
// the order, so look for it with Active before placing again. Success
// means the broker took the order, not that it was accepted: validation
// failures turn up later as status rejected (see Get and Wait).
func (s *OrdersService) Place(ctx context.Context, r OrderRequest) (string, error) {
	if err := r.check(); err != nil {
		return "", err
	}
	var out result
	if err := s.c.post(ctx, "orders/place", r, &out); err != nil {
		return "", err
	}
	return out.id("POST /orders/place")
}

// Get returns one order by ID (GET /orders/{id}).
func (s *OrdersService) Get(ctx context.Context, id string) (*Order, error) {
	if id == "" {
		return nil, rest.Invalid(Name, "order ID is empty")
	}
	var o Order
	if err := s.c.get(ctx, rest.Pathf("orders/%s", id), nil, &o); err != nil {
		return nil, err
	}
	return &o, nil
}

// Active returns an account's working orders
// (GET /accounts/{account}/activeorders).
func (s *OrdersService) Active(ctx context.Context, account string) ([]Order, error) {
	if err := checkAccount(account); err != nil {
		return nil, err
	}
	var out []Order
	if err := s.c.get(ctx, rest.Pathf("accounts/%s/activeorders", account), nil, &out); err != nil {
		return nil, err
	}
	return out, nil
}

type cancelBody struct {
	Message string `json:"message,omitempty"`
}

// Cancel asks the broker to cancel an order, with an optional message
// (POST /orders/{id}/cancel), and returns the cancel request's ID. The
// order's status moves to canceled asynchronously.
func (s *OrdersService) Cancel(ctx context.Context, id, message string) (string, error) {
	if id == "" {
		return "", rest.Invalid(Name, "order ID is empty")
	}
	var out result
	if err := s.c.post(ctx, rest.Pathf("orders/%s/cancel", id), cancelBody{Message: message}, &out); err != nil {
		return "", err
	}
	return out.id("POST /orders/" + id + "/cancel")
}

// Wait polls an order every interval (a second when interval <= 0) until
// its status is final (filled, rejected, canceled, ...) or ctx is done,
// and returns the last state read: when ctx ends, also during a poll, the
// last state read comes back with an error wrapping ctx.Err().
func (s *OrdersService) Wait(ctx context.Context, id string, interval time.Duration) (*Order, error) {
	if interval <= 0 {
		interval = time.Second
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	var last *Order
	ended := func() (*Order, error) {
		status := OrderStatus("unknown")
		if last != nil {
			status = last.Status
		}
		return last, fmt.Errorf("just2trade: waiting for order %s (last status %s): %w", id, status, ctx.Err())
	}
	for {
		o, err := s.Get(ctx, id)
		if err != nil {
			if ctx.Err() != nil {
				return ended() // the context ended during a poll
			}
			return last, err
		}
		if o.Status.Final() {
			return o, nil
		}
		last = o
		select {
		case <-ctx.Done():
			return ended()
		case <-t.C:
		}
	}
}

// errNoField reports a 200 answer without a member it must have.
func errNoField(name string) error {
	return &auth.ResponseError{Provider: Name, StatusCode: 200, Reason: "the answer has no " + name}
}
