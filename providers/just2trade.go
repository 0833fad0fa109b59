package providers

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/just2trade"
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
