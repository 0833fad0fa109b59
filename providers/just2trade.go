package providers

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/just2trade"
	"github.com/brokerkit/brokerkit/stream"
)

// just2Trade is the Just2Trade (and Lime) entry: no refresh grant, a
// token that slides with use.
func just2Trade() Broker {
	return Broker{
		Name:  just2trade.Name,
		Title: "Just2Trade",
		Env:   []EnvVar{secretRequired},
		New: func(cfg Config) (auth.Provider, error) {
			return just2trade.New(just2trade.Config{ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret,
				RedirectURL: cfg.RedirectURL, Environment: cfg.Environment, Scopes: cfg.Scopes,
				BaseURL: cfg.BaseURL, HTTPClient: cfg.HTTPClient, Now: cfg.Now})
		},
		View: func(_ context.Context, p auth.Provider, src auth.TokenSource) (View, error) {
			jp, err := providerAs[*just2trade.Provider](just2trade.Name, p)
			if err != nil {
				return nil, err
			}
			return j2tView{jp.NewClient(src)}, nil
		},
		Row: Row{PKCE: OptIn, Refresh: No, Rotation: No, ClientCredentials: No, Revoke: No,
			SlidingExpiry: Yes, Environments: []auth.Environment{just2trade.EnvJust2Trade, just2trade.EnvLime},
			Note: "no refresh grant: 24 h token prolonged by use (Lime: fixed 3:00 AM ET expiry)"},
		Symbols: []string{"AAPL", "MSFT", "TSLA"},
		API:     j2tAPI,
		Lot:     decimal.NewFromInt(1),
	}
}

type j2tView struct{ c *just2trade.Client }

func (v j2tView) Broker() string { return just2trade.Name }
func (v j2tView) Close() error   { return nil }

func (v j2tView) Profile(ctx context.Context) (*Profile, error) {
	p, err := v.c.Profile.Get(ctx)
	if err != nil {
		return nil, err
	}
	name := strings.TrimSpace(p.FirstName + " " + p.LastName)
	if name == "" {
		name = p.Login
	}
	return &Profile{Broker: just2trade.Name, UserID: p.ID, Name: name, Email: p.Email, Raw: p}, nil
}

func (v j2tView) Accounts(ctx context.Context) ([]Account, error) {
	list, err := v.c.Accounts.List(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Account, len(list))
	for i, b := range list {
		out[i] = Account{Broker: just2trade.Name, ID: b.AccountNumber, Type: string(b.MarginType),
			Currency: "USD", Live: true, Raw: b}
	}
	return out, nil
}

func (v j2tView) Balances(ctx context.Context, accountID string) (*Balance, error) {
	bs, err := v.c.Accounts.Balances(ctx, accountID)
	if len(bs) != 1 {
		if err == nil {
			err = fmt.Errorf("just2trade: no account %q among the user's accounts", accountID)
		}
		return nil, err
	}
	b := bs[0]
	bp := b.MarginBuyingPower
	if b.MarginType == "cash" {
		bp = b.NonMarginBuyingPower
	}
	return &Balance{Broker: just2trade.Name, AccountID: accountID, Currency: "USD", Cash: b.Cash,
		Equity: valid(b.AccountValueTotal), BuyingPower: valid(bp), Raw: b}, nil
}

func (v j2tView) Positions(ctx context.Context, accountID string) ([]Position, error) {
	ps, err := v.c.Positions.List(ctx, accountID, nil)
	if err != nil {
		return nil, err
	}
	out := make([]Position, len(ps))
	for i, p := range ps {
		out[i] = Position{Broker: just2trade.Name, AccountID: accountID, Symbol: p.Symbol, Quantity: p.Quantity,
			AveragePrice: p.AverageOpenPrice, MarketPrice: valid(p.CurrentPrice),
			MarketValue:  valid(p.CurrentPrice.Mul(p.Quantity)),
			UnrealizedPL: valid(p.CurrentPrice.Sub(p.AverageOpenPrice).Mul(p.Quantity)), Raw: p}
	}
	return out, nil
}

func (v j2tView) Quotes(ctx context.Context, symbols ...string) ([]Quote, error) {
	qs, err := v.c.Quotes.Get(ctx, symbols...)
	var pe *PartialError
	if err != nil && !errors.As(err, &pe) {
		return nil, err
	}
	out := make([]Quote, len(qs))
	for i, q := range qs {
		out[i] = Quote{Broker: just2trade.Name, Symbol: q.Symbol, Bid: valid(q.Bid), Ask: valid(q.Ask),
			Last: valid(q.Last), Time: q.Date.Time, Raw: q}
	}
	return out, err
}

// j2tAPI is Just2Trade's line of the API table. Client order IDs are a
// Lime feature only, so providers sends none.
var j2tAPI = APIRow{Place: true, Cancel: true,
	OrderTypes:  []OrderType{Market, Limit, Stop, StopLimit},
	TimeInForce: []TimeInForce{Day, GTC},
	Bars:        true, Positions: true, Balances: true}

var (
	j2tTypes = map[OrderType]just2trade.OrderType{Market: just2trade.Market, Limit: just2trade.Limit,
		Stop: just2trade.Stop, StopLimit: just2trade.StopLimit}
	j2tTIF = map[TimeInForce]just2trade.TimeInForce{Day: just2trade.Day, GTC: just2trade.GoodTillCancel}
)

func (v j2tView) PlaceOrder(ctx context.Context, r OrderRequest) (*Order, error) {
	if err := j2tAPI.checkOrder(just2trade.Name, r); err != nil {
		return nil, err
	}
	id, err := v.c.Orders.Place(ctx, just2trade.OrderRequest{AccountNumber: r.Account, Symbol: r.Symbol,
		Quantity: r.Quantity, Price: r.LimitPrice, StopPrice: r.StopPrice, TimeInForce: j2tTIF[r.TimeInForce],
		Type: j2tTypes[r.Type], Side: just2trade.Side(r.Side)})
	if err != nil {
		return nil, err
	}
	return accepted(just2trade.Name, r, id, id), nil
}

func (v j2tView) CancelOrder(ctx context.Context, _, orderID string) error {
	_, err := v.c.Orders.Cancel(ctx, orderID, "")
	return err
}

func (v j2tView) GetOrder(ctx context.Context, _, orderID string) (*Order, error) {
	o, err := v.c.Orders.Get(ctx, orderID)
	if err != nil {
		return nil, err
	}
	n := j2tOrder(*o)
	return &n, nil
}

func (v j2tView) ListOrders(ctx context.Context, accountID string) ([]Order, error) {
	os, err := v.c.Orders.Active(ctx, accountID)
	if err != nil {
		return nil, err
	}
	out := make([]Order, len(os))
	for i, o := range os {
		out[i] = j2tOrder(o)
	}
	return out, nil
}

func j2tOrder(o just2trade.Order) Order {
	n := Order{Broker: just2trade.Name, AccountID: o.AccountNumber, ID: o.ID(), Symbol: o.Symbol,
		Side: Side(o.Side), Quantity: o.Quantity, FilledQuantity: o.ExecutedQuantity, LimitPrice: o.Price,
		StopPrice: o.StopPrice, FillPrice: o.ExecutedPrice, Status: StatusOpen, Raw: o}
	for t, s := range j2tTypes {
		if s == o.Type {
			n.Type = t
		}
	}
	for t, s := range j2tTIF {
		if s == o.TimeInForce {
			n.TimeInForce = t
		}
	}
	switch o.Status {
	case just2trade.StatusFilled:
		n.Status = StatusFilled
	case just2trade.StatusCanceled, just2trade.StatusExpired, just2trade.StatusReplaced, just2trade.StatusDoneForDay:
		n.Status = StatusCanceled
	case just2trade.StatusRejected:
		n.Status = StatusRejected
	}
	return n
}

// StreamQuotes is not wired yet.
func (v j2tView) StreamQuotes(context.Context, ...string) (*stream.Stream[Quote], error) {
	return nil, fmt.Errorf("%s quote stream: %w", just2trade.Name, auth.ErrUnsupported)
}

// StreamOrders is not wired yet.
func (v j2tView) StreamOrders(context.Context, string) (*stream.Stream[Order], error) {
	return nil, fmt.Errorf("%s order stream: %w", just2trade.Name, auth.ErrUnsupported)
}
