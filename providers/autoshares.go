package providers

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/autoshares"
	"github.com/brokerkit/brokerkit/internal/rest"
	"github.com/brokerkit/brokerkit/stream"
)

// autoShares is the AutoShares entry: an Auth0 tenant, an API key on every
// call, and agreements to sign before quotes and trading.
func autoShares() Broker {
	return Broker{
		Name:  autoshares.Name,
		Title: "AutoShares",
		Env: []EnvVar{secretRequired,
			{"DOMAIN", true, "the Auth0 tenant domain", func(c *Config, v string) { c.Domain = v }},
			{"API_KEY", true, "the API secret key sent as Et-App-Key", func(c *Config, v string) { c.APIKey = auth.Secret(v) }},
		},
		New: func(cfg Config) (auth.Provider, error) {
			return autoshares.New(autoshares.Config{Domain: cfg.Domain, BaseURL: cfg.BaseURL, ClientID: cfg.ClientID,
				ClientSecret: cfg.ClientSecret, RedirectURL: cfg.RedirectURL, Environment: cfg.Environment,
				Scopes: cfg.Scopes, APIKey: cfg.APIKey,
				RefreshEnabled: slices.Contains(cfg.Scopes, autoshares.ScopeOfflineAccess),
				HTTPClient:     cfg.HTTPClient, Now: cfg.Now})
		},
		View: func(_ context.Context, p auth.Provider, src auth.TokenSource) (View, error) {
			ap, err := providerAs[*autoshares.Provider](autoshares.Name, p)
			if err != nil {
				return nil, err
			}
			// The provider states the environment's API host and the key.
			return asView{ap.NewClient(src)}, nil
		},
		Ready: agreementsReady,
		Row: Row{PKCE: Yes, Refresh: OptIn, Rotation: No, ClientCredentials: No, Revoke: No,
			SlidingExpiry: No, Environments: []auth.Environment{auth.Live, auth.Demo},
			Note: "Auth0 tenant; API secret key header on every call"},
		Symbols: []string{"AAPL", "MSFT", "TSLA"},
		API:     asAPI,
		Lot:     decimal.NewFromInt(1),
	}
}

// agreementsReady lists the required agreements the user has not signed
// (AutoShares refuses quotes and trading until then); with sign it signs
// them, as an onboarding app does once.
func agreementsReady(ctx context.Context, p auth.Provider, src auth.TokenSource, sign bool) (string, error) {
	ap, err := providerAs[*autoshares.Provider](autoshares.Name, p)
	if err != nil {
		return "", err
	}
	c := ap.NewClient(src)
	if sign {
		signed, err := c.Agreements.SignAllRequired(ctx, autoshares.Me)
		if err != nil || len(signed) == 0 {
			return "", err
		}
		return fmt.Sprintf("signed %d pending agreements", len(signed)), nil
	}
	list, err := c.Agreements.Outstanding(ctx, autoshares.Me)
	list = slices.DeleteFunc(list, func(a autoshares.Agreement) bool { return !a.IsRequired() })
	if err != nil || len(list) == 0 {
		return "", err
	}
	return "sign these agreements at AutoShares to unlock quotes and trading: " + autoshares.AgreementTitles(list), nil
}

type asView struct{ c *autoshares.Client }

func (v asView) Broker() string { return autoshares.Name }
func (v asView) Close() error   { return nil }

func (v asView) Profile(ctx context.Context) (*Profile, error) {
	u, err := v.c.Profile.Get(ctx)
	if err != nil {
		return nil, err
	}
	name := strings.TrimSpace(u.FirstName + " " + u.LastName)
	if name == "" {
		name = u.Login
	}
	return &Profile{Broker: autoshares.Name, UserID: strconv.FormatInt(u.ID, 10), Name: name, Email: u.Email, Raw: u}, nil
}

func (v asView) Accounts(ctx context.Context) ([]Account, error) {
	list, err := v.c.Accounts.List(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Account, len(list))
	for i, a := range list {
		out[i] = Account{Broker: autoshares.Name, ID: strconv.FormatInt(a.ID, 10), Name: a.Alias,
			Type: a.MarginType, Currency: a.Currency, Live: true, Raw: a}
	}
	return out, nil
}

func (v asView) Balances(ctx context.Context, accountID string) (*Balance, error) {
	bs, err := v.c.Accounts.Balances(ctx, accountID)
	if err != nil {
		return nil, err
	}
	if len(bs) == 0 {
		return nil, fmt.Errorf("autoshares: no balances for account %q", accountID)
	}
	b := bs[0]
	return &Balance{Broker: autoshares.Name, AccountID: accountID, Cash: b.Cash, Equity: valid(b.EquityTotal),
		BuyingPower: valid(b.StockBuyingPower), Raw: b}, nil
}

// Positions lists every page (the client walks them); AutoShares
// positions carry no market price, so the latest quotes fill MarketPrice,
// MarketValue and UnrealizedPL where the broker has one.
func (v asView) Positions(ctx context.Context, accountID string) ([]Position, error) {
	raw, err := v.c.Positions.List(ctx, accountID, nil)
	if err != nil {
		return nil, err
	}
	prices := map[string]decimal.Decimal{}
	if len(raw) > 0 {
		syms := make([]string, len(raw))
		for i, p := range raw {
			syms[i] = p.Symbol
		}
		qs, err := v.c.Quotes.Get(ctx, syms...)
		var pe *PartialError
		if err != nil && !errors.As(err, &pe) {
			return nil, err
		}
		for _, q := range qs {
			prices[q.Symbol] = q.Last
		}
	}
	out := make([]Position, len(raw))
	for i, p := range raw {
		pos := Position{Broker: autoshares.Name, AccountID: accountID, Symbol: p.Symbol, Quantity: p.Quantity,
			AveragePrice: p.AverageOpenPrice, Raw: p}
		if last, ok := prices[p.Symbol]; ok {
			pos.MarketPrice = valid(last)
			pos.MarketValue = valid(last.Mul(p.Quantity))
			pos.UnrealizedPL = valid(last.Sub(p.AverageOpenPrice).Mul(p.Quantity))
		}
		out[i] = pos
	}
	return out, nil
}

// Quotes takes a snapshot from the quote streamer (the broker has no REST
// quote call).
func (v asView) Quotes(ctx context.Context, symbols ...string) ([]Quote, error) {
	qs, err := v.c.Quotes.Get(ctx, symbols...)
	var pe *PartialError
	if err != nil && !errors.As(err, &pe) {
		return nil, err
	}
	out := make([]Quote, len(qs))
	for i, q := range qs {
		out[i] = asQuote(q)
	}
	return out, err
}

func asQuote(q autoshares.Quote) Quote {
	return Quote{Broker: autoshares.Name, Symbol: q.Symbol, Bid: valid(q.Bid), Ask: valid(q.Ask),
		Last: valid(q.Last), Time: q.Time, Raw: q}
}

// asAPI is AutoShares' line of the API table.
var asAPI = APIRow{OrderHistory: true, Place: true, Cancel: true,
	OrderTypes:    []OrderType{Market, Limit, Stop, StopLimit},
	TimeInForce:   []TimeInForce{Day, GTC},
	ClientOrderID: true, Positions: true, Balances: true, Streaming: true}

var (
	asTypes = map[OrderType]string{Market: autoshares.OrderMarket, Limit: autoshares.OrderLimit,
		Stop: autoshares.OrderStop, StopLimit: autoshares.OrderStopLimit}
	asTIF   = map[TimeInForce]string{Day: autoshares.TimeInForceDay, GTC: autoshares.TimeInForceGoodTillCancel}
	asSides = map[Side]string{Buy: autoshares.SideBuy, Sell: autoshares.SideSell}
)

// asID parses an AutoShares account or order ID.
func asID(what, id string) (int64, error) {
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		return 0, rest.Invalid(autoshares.Name, "%s ID %.30q is not a number", what, id)
	}
	return n, nil
}

func (v asView) PlaceOrder(ctx context.Context, r OrderRequest) (*Order, error) {
	if err := asAPI.checkOrder(autoshares.Name, r); err != nil {
		return nil, err
	}
	acct, err := asID("account", r.Account)
	if err != nil {
		return nil, err
	}
	o, err := v.c.Orders.Place(ctx, acct, autoshares.OrderRequest{Symbol: r.Symbol, ClientID: r.ClientOrderID,
		Type: asTypes[r.Type], Side: asSides[r.Side], Quantity: r.Quantity, Price: r.LimitPrice,
		StopPrice: r.StopPrice, TimeInForce: asTIF[r.TimeInForce]})
	if err != nil {
		return nil, err
	}
	n := asOrder(*o)
	if n.Symbol == "" {
		n.Symbol = r.Symbol
	}
	return &n, nil
}

func (v asView) CancelOrder(ctx context.Context, accountID, orderID string) error {
	acct, err := asID("account", accountID)
	if err != nil {
		return err
	}
	id, err := asID("order", orderID)
	if err != nil {
		return err
	}
	return v.c.Orders.Cancel(ctx, acct, id)
}

func (v asView) GetOrder(ctx context.Context, accountID, orderID string) (*Order, error) {
	acct, err := asID("account", accountID)
	if err != nil {
		return nil, err
	}
	id, err := asID("order", orderID)
	if err != nil {
		return nil, err
	}
	o, err := v.c.Orders.Get(ctx, acct, id)
	if err != nil {
		return nil, err
	}
	n := asOrder(*o)
	return &n, nil
}

func (v asView) ListOrders(ctx context.Context, accountID string) ([]Order, error) {
	acct, err := asID("account", accountID)
	if err != nil {
		return nil, err
	}
	page, err := v.c.Orders.List(ctx, acct, nil)
	return allOrders(ctx, page, err, asOrder)
}

func asOrder(o autoshares.Order) Order {
	n := Order{Broker: autoshares.Name, AccountID: strconv.FormatInt(o.AccountID, 10), ID: strconv.FormatInt(o.ID, 10),
		ClientOrderID: o.ClientID, Symbol: o.Symbol, Quantity: o.Quantity, FilledQuantity: o.ExecutedQuantity,
		LimitPrice: o.Price, StopPrice: o.StopPrice, FillPrice: o.AveragePrice, Status: StatusOpen, Raw: o}
	for t, s := range asTypes {
		if s == o.Type {
			n.Type = t
		}
	}
	for t, s := range asTIF {
		if s == o.TimeInForce {
			n.TimeInForce = t
		}
	}
	n.Side = Buy
	if strings.HasPrefix(o.Side, "Sell") {
		n.Side = Sell
	}
	switch strings.ToLower(o.Status) {
	case "filled":
		n.Status = StatusFilled
	case "canceled", "cancelled", "expired":
		n.Status = StatusCanceled
	case "rejected":
		n.Status = StatusRejected
	}
	return n
}

// StreamQuotes streams from the quote streamer; a symbol the broker
// refuses (an event with Error set) is left out of the normalized feed.
func (v asView) StreamQuotes(ctx context.Context, symbols ...string) (*stream.Stream[Quote], error) {
	st, err := v.c.Streams.Quotes(ctx, symbols...)
	if err != nil {
		return nil, err
	}
	return stream.Map(st, func(q autoshares.Quote) (Quote, bool) { return asQuote(q), q.Error == "" }), nil
}

// StreamOrders: AutoShares documents no order stream (its facts give only
// the quote streamer).
func (v asView) StreamOrders(context.Context, string) (*stream.Stream[Order], error) {
	return nil, fmt.Errorf("%s order stream: %w", autoshares.Name, auth.ErrUnsupported)
}
