package providers

import (
	"context"
	"fmt"
	"slices"

	"github.com/shopspring/decimal"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/internal/rest"
)

// Trader places, cancels and reads orders at one broker, in normalized
// types; every View is one.
// A request the broker cannot express (an order type or time in force
// missing from its APIRow, a client order ID where it has none) is refused
// with an error matching auth.ErrUnsupported before anything is sent.
type Trader interface {
	// PlaceOrder sends r and returns the order as accepted, from the
	// broker's answer alone (one request): its ID and, where the answer
	// carries no more, r's fields with status open. GetOrder reads its
	// later state (a fill, say).
	PlaceOrder(ctx context.Context, r OrderRequest) (*Order, error)
	// CancelOrder cancels an open order.
	CancelOrder(ctx context.Context, accountID, orderID string) error
	// GetOrder reads one order.
	GetOrder(ctx context.Context, accountID, orderID string) (*Order, error)
	// ListOrders lists the account's open orders (and, where the broker
	// reports them in the same call, the day's finished ones).
	ListOrders(ctx context.Context, accountID string) ([]Order, error)
}

// Side is an order's direction.
type Side string

// The order sides.
const (
	Buy  Side = "buy"
	Sell Side = "sell"
)

// OrderType is how an order is priced.
type OrderType string

// The order types.
const (
	Market    OrderType = "market"
	Limit     OrderType = "limit"
	Stop      OrderType = "stop"
	StopLimit OrderType = "stop-limit"
)

// TimeInForce is how long an order stays working. Empty means the
// broker's default.
type TimeInForce string

// The times in force.
const (
	Day TimeInForce = "day"
	GTC TimeInForce = "gtc"
	IOC TimeInForce = "ioc"
	FOK TimeInForce = "fok"
)

// OrderStatus is an order's state, normalized.
type OrderStatus string

// The order states.
const (
	StatusOpen     OrderStatus = "open"
	StatusFilled   OrderStatus = "filled"
	StatusCanceled OrderStatus = "canceled"
	StatusRejected OrderStatus = "rejected"
)

// OrderRequest is an order to place.
type OrderRequest struct {
	// Account is the account ID, as View.Accounts returns it.
	Account string
	// Symbol is the instrument, as View.Quotes takes it.
	Symbol string
	// Side and Type are required.
	Side Side
	Type OrderType
	// TimeInForce is empty for the broker's default.
	TimeInForce TimeInForce
	// Quantity is positive: shares, or units of a currency pair's base.
	Quantity decimal.Decimal
	// LimitPrice is required for Limit and StopLimit orders; StopPrice for
	// Stop and StopLimit orders. Each is refused on other types.
	LimitPrice, StopPrice decimal.Decimal
	// ClientOrderID makes the placement idempotent where the broker
	// supports it (APIRow.ClientOrderID); elsewhere a non-empty one is
	// refused with auth.ErrUnsupported.
	ClientOrderID string
}

// Order is an order as the broker reports it, normalized.
type Order struct {
	// Broker is the registry name.
	Broker string
	// AccountID and ID identify the order for GetOrder and CancelOrder.
	AccountID, ID string
	// ClientOrderID is the client's ID, when the broker reports it.
	ClientOrderID string
	Symbol        string
	Side          Side
	Type          OrderType
	TimeInForce   TimeInForce
	Status        OrderStatus
	// Quantity is ordered; FilledQuantity executed so far.
	Quantity, FilledQuantity decimal.Decimal
	// LimitPrice and StopPrice are zero when the type has none.
	LimitPrice, StopPrice decimal.Decimal
	// FillPrice is the (average) execution price; zero before a fill.
	FillPrice decimal.Decimal
	// Raw is the broker's own value this was made from.
	Raw any
}

// checkOrder refuses, before anything is sent, a request that is
// incomplete (ErrInvalidInput) or that the broker described by a cannot
// express (auth.ErrUnsupported).
func (a APIRow) checkOrder(broker string, r OrderRequest) error {
	unsupported := func(format string, args ...any) error {
		return fmt.Errorf("providers: %s: %s: %w", broker, fmt.Sprintf(format, args...), auth.ErrUnsupported)
	}
	switch {
	case !a.Place:
		return unsupported("placing orders")
	case r.Account == "":
		return rest.Invalid(broker, "order: account is required")
	case r.Symbol == "":
		return rest.Invalid(broker, "order: symbol is required")
	case r.Side != Buy && r.Side != Sell:
		return rest.Invalid(broker, "order: side %.20q is not buy or sell", r.Side)
	case !r.Quantity.IsPositive():
		return rest.Invalid(broker, "order: quantity %s is not positive", r.Quantity)
	case !slices.Contains([]OrderType{Market, Limit, Stop, StopLimit}, r.Type):
		return rest.Invalid(broker, "order: type %.20q is not market, limit, stop or stop-limit", r.Type)
	}
	needLimit := r.Type == Limit || r.Type == StopLimit
	needStop := r.Type == Stop || r.Type == StopLimit
	switch {
	case needLimit != r.LimitPrice.IsPositive():
		return rest.Invalid(broker, "order: a %s order needs a positive limit price, and only it has one", r.Type)
	case needStop != r.StopPrice.IsPositive():
		return rest.Invalid(broker, "order: a %s order needs a positive stop price, and only it has one", r.Type)
	case !slices.Contains(a.OrderTypes, r.Type):
		return unsupported("%s orders", r.Type)
	case r.TimeInForce != "" && !slices.Contains(a.TimeInForce, r.TimeInForce):
		return unsupported("time in force %.20q", r.TimeInForce)
	case r.ClientOrderID != "" && !a.ClientOrderID:
		return unsupported("client order IDs")
	}
	return nil
}

// accepted is the order r as a broker accepted it under id, for brokers
// whose answer to placing carries the ID only.
func accepted(broker string, r OrderRequest, id string, raw any) *Order {
	return &Order{Broker: broker, AccountID: r.Account, ID: id, ClientOrderID: r.ClientOrderID, Symbol: r.Symbol,
		Side: r.Side, Type: r.Type, TimeInForce: r.TimeInForce, Status: StatusOpen, Quantity: r.Quantity,
		LimitPrice: r.LimitPrice, StopPrice: r.StopPrice, Raw: raw}
}

// allOrders walks every page of a broker's order list, from the first
// (or the error that fetching it gave), and normalizes each order.
func allOrders[T any](ctx context.Context, first *rest.Page[T], err error, normalize func(T) Order) ([]Order, error) {
	if err != nil {
		return nil, err
	}
	var out []Order
	for o, err := range first.All(ctx) {
		if err != nil {
			return nil, err
		}
		out = append(out, normalize(o))
	}
	return out, nil
}
