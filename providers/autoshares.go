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

func (v asView) Quotes(ctx context.Context, symbols ...string) ([]Quote, error) {
	qs, err := v.c.Quotes.Get(ctx, symbols...)
	var pe *PartialError
	if err != nil && !errors.As(err, &pe) {
		return nil, err
	}
	out := make([]Quote, len(qs))
	for i, q := range qs {
		out[i] = Quote{Broker: autoshares.Name, Symbol: q.Symbol, Bid: valid(q.Bid), Ask: valid(q.Ask),
			Last: valid(q.Last), Raw: q}
		if q.Timestamp != nil {
			out[i].Time = q.Timestamp.Time
		}
	}
	return out, err
}
