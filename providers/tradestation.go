package providers

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/stream"
	"github.com/brokerkit/brokerkit/tradestation"
)

// tradeStation is the TradeStation entry: API v3 through Auth0.
func tradeStation() Broker {
	return Broker{
		Name:  tradestation.Name,
		Title: "TradeStation",
		New: func(cfg Config) (auth.Provider, error) {
			return tradestation.New(tradestation.Config{ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret,
				RedirectURL: cfg.RedirectURL, Environment: cfg.Environment, Scopes: cfg.Scopes,
				BaseURL: cfg.BaseURL, HTTPClient: cfg.HTTPClient, Now: cfg.Now})
		},
		View: func(_ context.Context, p auth.Provider, src auth.TokenSource) (View, error) {
			tp, err := providerAs[*tradestation.Provider](tradestation.Name, p)
			if err != nil {
				return nil, err
			}
			// The provider states the environment's hosts, for the login
			// and the API alike.
			return tsView{tp.NewClient(src)}, nil
		},
		Row: Row{PKCE: OptIn, Refresh: Yes, Rotation: OptIn, ClientCredentials: No, Revoke: Yes,
			SlidingExpiry: No, Environments: []auth.Environment{auth.Live, auth.Sim},
			Note: "20-minute access tokens; audience per API (trading, AOP); v2 legacy flow available"},
		Symbols: []string{"MSFT", "AAPL", "SPY"},
		API:     tsAPI,
		Lot:     decimal.NewFromInt(1),
	}
}

type tsView struct{ c *tradestation.Client }

func (v tsView) Broker() string { return tradestation.Name }
func (v tsView) Close() error   { return nil }

func (v tsView) Profile(ctx context.Context) (*Profile, error) {
	u, err := v.c.Profile.Get(ctx)
	if err != nil {
		return nil, err
	}
	return &Profile{Broker: tradestation.Name, UserID: u.Subject, Name: u.Name, Email: u.Email, Raw: u}, nil
}

func (v tsView) Accounts(ctx context.Context) ([]Account, error) {
	list, err := v.c.Accounts.List(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Account, len(list))
	for i, a := range list {
		out[i] = Account{Broker: tradestation.Name, ID: a.AccountID, Name: a.Alias, Type: a.AccountType,
			Currency: a.Currency, Live: !strings.HasPrefix(a.AccountID, "SIM"), Raw: a}
	}
	return out, nil
}

func (v tsView) Balances(ctx context.Context, accountID string) (*Balance, error) {
	bs, err := v.c.Accounts.Balances(ctx, accountID)
	var pe *PartialError
	if err != nil && !errors.As(err, &pe) {
		return nil, err
	}
	for _, b := range bs {
		if b.AccountID == accountID {
			return &Balance{Broker: tradestation.Name, AccountID: accountID, Cash: b.CashBalance,
				Equity: valid(b.Equity), BuyingPower: valid(b.BuyingPower), Raw: b}, nil
		}
	}
	if err != nil {
		return nil, err
	}
	return nil, fmt.Errorf("tradestation: no balances for account %q", accountID)
}

func (v tsView) Positions(ctx context.Context, accountID string) ([]Position, error) {
	ps, err := v.c.Positions.List(ctx, accountID, nil)
	if err != nil {
		return nil, err
	}
	out := make([]Position, len(ps))
	for i, p := range ps {
		qty := p.Quantity
		if strings.EqualFold(p.LongShort, "Short") && qty.IsPositive() {
			qty = qty.Neg()
		}
		out[i] = Position{Broker: tradestation.Name, AccountID: p.AccountID, Symbol: p.Symbol, Quantity: qty,
			AveragePrice: p.AveragePrice, MarketPrice: valid(p.Last), MarketValue: valid(p.MarketValue),
			UnrealizedPL: valid(p.UnrealizedProfitLoss), Raw: p}
	}
	return out, nil
}

func (v tsView) Quotes(ctx context.Context, symbols ...string) ([]Quote, error) {
	qs, err := v.c.Quotes.Get(ctx, symbols...)
	var pe *PartialError
	if err != nil && !errors.As(err, &pe) {
		return nil, err
	}
	out := make([]Quote, len(qs))
	for i, q := range qs {
		out[i] = Quote{Broker: tradestation.Name, Symbol: q.Symbol, Bid: valid(q.Bid), Ask: valid(q.Ask),
			Last: valid(q.Last), Time: q.TradeTime.Time, Raw: q}
	}
	return out, err
}

// tsAPI is TradeStation v3's line of the API table.
var tsAPI = APIRow{OrderHistory: true, Place: true, Replace: true, Cancel: true,
	OrderTypes:  []OrderType{Market, Limit, Stop, StopLimit},
	TimeInForce: []TimeInForce{Day, GTC, IOC, FOK},
	Bars:        true, Positions: true, Balances: true, Streaming: true}

var (
	tsTypes = map[OrderType]string{Market: "Market", Limit: "Limit", Stop: "StopMarket", StopLimit: "StopLimit"}
	tsTIF   = map[TimeInForce]string{Day: "DAY", GTC: "GTC", IOC: "IOC", FOK: "FOK"}
)

func (v tsView) PlaceOrder(ctx context.Context, r OrderRequest) (*Order, error) {
	if err := tsAPI.checkOrder(tradestation.Name, r); err != nil {
		return nil, err
	}
	tif := r.TimeInForce
	if tif == "" {
		tif = Day
	}
	res, err := v.c.Orders.Place(ctx, &tradestation.OrderRequest{AccountID: r.Account, Symbol: r.Symbol,
		Quantity: r.Quantity, OrderType: tsTypes[r.Type], TradeAction: strings.ToUpper(string(r.Side)),
		TimeInForce: tradestation.TimeInForce{Duration: tsTIF[tif]}, LimitPrice: r.LimitPrice, StopPrice: r.StopPrice})
	if len(res) == 0 {
		if err == nil {
			err = errors.New("tradestation: the order was neither accepted nor refused")
		}
		return nil, err
	}
	if r.TimeInForce == "" {
		r.TimeInForce = tif
	}
	return accepted(tradestation.Name, r, res[0].OrderID, res[0]), nil
}

func (v tsView) CancelOrder(ctx context.Context, _, orderID string) error {
	_, err := v.c.Orders.Cancel(ctx, orderID)
	return err
}

func (v tsView) GetOrder(ctx context.Context, accountID, orderID string) (*Order, error) {
	os, err := v.c.Orders.Get(ctx, accountID, orderID)
	if err != nil {
		return nil, err
	}
	for _, o := range os {
		if o.OrderID == orderID {
			n := tsOrder(o)
			return &n, nil
		}
	}
	return nil, fmt.Errorf("tradestation: order %q: %w", orderID, tradestation.ErrNotFound)
}

func (v tsView) ListOrders(ctx context.Context, accountID string) ([]Order, error) {
	page, err := v.c.Orders.List(ctx, accountID, nil)
	return allOrders(ctx, page, err, tsOrder)
}

// tsOrder normalizes a TradeStation order (its first leg).
func tsOrder(o tradestation.Order) Order {
	n := Order{Broker: tradestation.Name, AccountID: o.AccountID, ID: o.OrderID, LimitPrice: o.LimitPrice,
		StopPrice: o.StopPrice, FillPrice: o.FilledPrice, Status: StatusOpen, Raw: o}
	for t, s := range tsTypes {
		if s == o.OrderType {
			n.Type = t
		}
	}
	for t, s := range tsTIF {
		if s == o.Duration {
			n.TimeInForce = t
		}
	}
	switch {
	case o.Filled():
		n.Status = StatusFilled
	case o.Canceled():
		n.Status = StatusCanceled
	case o.Status == "REJ":
		n.Status = StatusRejected
	}
	if len(o.Legs) > 0 {
		l := o.Legs[0]
		n.Symbol, n.Quantity, n.FilledQuantity = l.Symbol, l.QuantityOrdered, l.ExecQuantity
		n.Side = Buy
		if strings.HasPrefix(strings.ToUpper(l.BuyOrSell), "SELL") {
			n.Side = Sell
		}
	}
	return n
}

// StreamQuotes streams quotes through TradeStation's quote stream (v3, or
// v2 for a v2 login). Symbols TradeStation cannot stream are left out.
func (v tsView) StreamQuotes(ctx context.Context, symbols ...string) (*stream.Stream[Quote], error) {
	s, err := v.c.Streams.Quotes(ctx, symbols...)
	if err != nil {
		return nil, err
	}
	return stream.Map(s, func(e tradestation.QuoteEvent) (Quote, bool) {
		if e.Error != "" {
			return Quote{}, false
		}
		return Quote{Broker: tradestation.Name, Symbol: e.Symbol, Bid: valid(e.Bid), Ask: valid(e.Ask),
			Last: valid(e.Last), Time: e.TradeTime.Time, Raw: e}, true
	}), nil
}

// StreamOrders streams the account's orders through TradeStation's order
// stream: every order once, then each change once.
func (v tsView) StreamOrders(ctx context.Context, accountID string) (*stream.Stream[Order], error) {
	s, err := v.c.Streams.Orders(ctx, accountID)
	if err != nil {
		return nil, err
	}
	return stream.Map(s, func(e tradestation.OrderEvent) (Order, bool) {
		if e.Error != "" {
			return Order{}, false
		}
		return tsOrder(e.Order), true
	}), nil
}
