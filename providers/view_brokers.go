package providers

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/autoshares"
	"github.com/brokerkit/brokerkit/just2trade"
	"github.com/brokerkit/brokerkit/spotware"
	"github.com/brokerkit/brokerkit/tradestation"
)

// NewTradeStationView adapts a TradeStation v3 client.
func NewTradeStationView(c *tradestation.Client) View { return tsView{c} }

type tsView struct{ c *tradestation.Client }

func (v tsView) Broker() string { return TradeStation }

func (v tsView) Profile(ctx context.Context) (*Profile, error) {
	u, err := v.c.Profile.Get(ctx)
	if err != nil {
		return nil, err
	}
	return &Profile{Broker: TradeStation, UserID: u.Subject, Name: u.Name, Email: u.Email, Raw: u}, nil
}

func (v tsView) Accounts(ctx context.Context) ([]Account, error) {
	list, err := v.c.Accounts.List(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Account, len(list))
	for i, a := range list {
		out[i] = Account{Broker: TradeStation, ID: a.AccountID, Name: a.Alias, Type: a.AccountType,
			Currency: a.Currency, Live: !strings.HasPrefix(a.AccountID, "SIM"), Raw: a}
	}
	return out, nil
}

// tsPartial turns the SDK's *PartialError into the view's; other errors
// pass as they are.
func tsPartial(err error) error {
	var pe *tradestation.PartialError
	if errors.As(err, &pe) {
		return &PartialError{Broker: TradeStation, Failed: maps.Clone(pe.Failed)}
	}
	return err
}

func (v tsView) Balances(ctx context.Context, accountID string) (*Balance, error) {
	bs, err := v.c.Accounts.Balances(ctx, accountID)
	var pe *tradestation.PartialError
	if err != nil && !errors.As(err, &pe) {
		return nil, err
	}
	for _, b := range bs {
		if b.AccountID == accountID {
			return &Balance{Broker: TradeStation, AccountID: accountID, Cash: b.CashBalance,
				Equity: valid(b.Equity), BuyingPower: valid(b.BuyingPower), Raw: b}, nil
		}
	}
	if err != nil {
		return nil, tsPartial(err)
	}
	return nil, fmt.Errorf("tradestation: no balances for account %q", accountID)
}

func (v tsView) Positions(ctx context.Context, accountID string) ([]Position, error) {
	ps, err := v.c.Positions.List(ctx, accountID, nil)
	if err != nil {
		return nil, tsPartial(err)
	}
	out := make([]Position, len(ps))
	for i, p := range ps {
		qty := p.Quantity
		if strings.EqualFold(p.LongShort, "Short") && qty.IsPositive() {
			qty = qty.Neg()
		}
		out[i] = Position{Broker: TradeStation, AccountID: p.AccountID, Symbol: p.Symbol, Quantity: qty,
			AveragePrice: p.AveragePrice, MarketPrice: valid(p.Last), MarketValue: valid(p.MarketValue),
			UnrealizedPL: valid(p.UnrealizedProfitLoss), Raw: p}
	}
	return out, nil
}

func (v tsView) Quotes(ctx context.Context, symbols ...string) ([]Quote, error) {
	qs, err := v.c.Quotes.Get(ctx, symbols...)
	var pe *tradestation.PartialError
	if err != nil && !errors.As(err, &pe) {
		return nil, err
	}
	out := make([]Quote, len(qs))
	for i, q := range qs {
		out[i] = Quote{Broker: TradeStation, Symbol: q.Symbol, Bid: valid(q.Bid), Ask: valid(q.Ask),
			Last: valid(q.Last), Time: q.TradeTime.Time, Raw: q}
	}
	return out, tsPartial(err)
}

// NewJust2TradeView adapts a Just2Trade client.
func NewJust2TradeView(c *just2trade.Client) View { return j2tView{c} }

type j2tView struct{ c *just2trade.Client }

func (v j2tView) Broker() string { return Just2Trade }

func (v j2tView) Profile(ctx context.Context) (*Profile, error) {
	p, err := v.c.Profile.Get(ctx)
	if err != nil {
		return nil, err
	}
	name := strings.TrimSpace(p.FirstName + " " + p.LastName)
	if name == "" {
		name = p.Login
	}
	return &Profile{Broker: Just2Trade, UserID: p.ID, Name: name, Email: p.Email, Raw: p}, nil
}

func (v j2tView) Accounts(ctx context.Context) ([]Account, error) {
	list, err := v.c.Accounts.List(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Account, len(list))
	for i, b := range list {
		out[i] = Account{Broker: Just2Trade, ID: b.AccountNumber, Type: string(b.MarginType),
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
	return &Balance{Broker: Just2Trade, AccountID: accountID, Currency: "USD", Cash: b.Cash,
		Equity: valid(b.AccountValueTotal), BuyingPower: valid(bp), Raw: b}, nil
}

func (v j2tView) Positions(ctx context.Context, accountID string) ([]Position, error) {
	ps, err := v.c.Positions.List(ctx, accountID, nil)
	if err != nil {
		return nil, err
	}
	out := make([]Position, len(ps))
	for i, p := range ps {
		out[i] = Position{Broker: Just2Trade, AccountID: accountID, Symbol: p.Symbol, Quantity: p.Quantity,
			AveragePrice: p.AverageOpenPrice, MarketPrice: valid(p.CurrentPrice),
			MarketValue:  valid(p.CurrentPrice.Mul(p.Quantity)),
			UnrealizedPL: valid(p.CurrentPrice.Sub(p.AverageOpenPrice).Mul(p.Quantity)), Raw: p}
	}
	return out, nil
}

func (v j2tView) Quotes(ctx context.Context, symbols ...string) ([]Quote, error) {
	qs, err := v.c.Quotes.Get(ctx, symbols...)
	var jpe *just2trade.PartialError
	if err != nil {
		if !errors.As(err, &jpe) {
			return nil, err
		}
		err = &PartialError{Broker: Just2Trade, Failed: jpe.Failed}
	}
	out := make([]Quote, len(qs))
	for i, q := range qs {
		out[i] = Quote{Broker: Just2Trade, Symbol: q.Symbol, Bid: valid(q.Bid), Ask: valid(q.Ask),
			Last: valid(q.Last), Time: q.Date.Time, Raw: q}
	}
	return out, err
}

// NewAutoSharesView adapts an AutoShares client for the logged-in user.
func NewAutoSharesView(c *autoshares.Client) View { return asView{c} }

type asView struct{ c *autoshares.Client }

func (v asView) Broker() string { return AutoShares }

func (v asView) Profile(ctx context.Context) (*Profile, error) {
	u, err := v.c.Profile.Get(ctx)
	if err != nil {
		return nil, err
	}
	name := strings.TrimSpace(u.FirstName + " " + u.LastName)
	if name == "" {
		name = u.Login
	}
	return &Profile{Broker: AutoShares, UserID: strconv.FormatInt(u.ID, 10), Name: name, Email: u.Email, Raw: u}, nil
}

func (v asView) Accounts(ctx context.Context) ([]Account, error) {
	list, err := v.c.Accounts.List(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Account, len(list))
	for i, a := range list {
		out[i] = Account{Broker: AutoShares, ID: strconv.FormatInt(a.ID, 10), Name: a.Alias,
			Type: a.MarginType, Currency: a.Currency, Live: true, Raw: a}
	}
	return out, nil
}

// accountNumber parses the numeric account ID of a broker whose accounts
// are numbered (AutoShares, cTrader).
func accountNumber(broker, id string) (int64, error) {
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%s: account ID %q is not a number", broker, id)
	}
	return n, nil
}

func (v asView) Balances(ctx context.Context, accountID string) (*Balance, error) {
	bs, err := v.c.Accounts.Balances(ctx, accountID)
	if err != nil {
		return nil, err
	}
	b := bs[0]
	return &Balance{Broker: AutoShares, AccountID: accountID, Cash: b.Cash, Equity: valid(b.EquityTotal),
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
		var pe *autoshares.PartialError
		if err != nil && !errors.As(err, &pe) {
			return nil, err
		}
		for _, q := range qs {
			prices[q.Symbol] = q.Last
		}
	}
	out := make([]Position, len(raw))
	for i, p := range raw {
		pos := Position{Broker: AutoShares, AccountID: accountID, Symbol: p.Symbol, Quantity: p.Quantity,
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
	var pe *autoshares.PartialError
	if err != nil && !errors.As(err, &pe) {
		return nil, err
	}
	out := make([]Quote, len(qs))
	for i, q := range qs {
		out[i] = Quote{Broker: AutoShares, Symbol: q.Symbol, Bid: valid(q.Bid), Ask: valid(q.Ask),
			Last: valid(q.Last), Raw: q}
		if q.Timestamp != nil {
			out[i].Time = q.Timestamp.Time
		}
	}
	if pe != nil {
		return out, &PartialError{Broker: AutoShares, Failed: pe.Failed}
	}
	return out, nil
}

// NewSpotwareView adapts a cTrader session. Spotware prices need an
// authorized account: quotes are read through account, which must be one
// of the session's authorized accounts.
func NewSpotwareView(s *spotware.Session, account int64) View { return &swView{s: s, account: account} }

type swView struct {
	s       *spotware.Session
	account int64
}

func (v *swView) Broker() string { return Spotware }

func (v *swView) Profile(ctx context.Context) (*Profile, error) {
	p, err := v.s.Profile(ctx)
	if err != nil {
		return nil, err
	}
	return &Profile{Broker: Spotware, UserID: strconv.FormatInt(p.UserID, 10), Raw: p}, nil
}

func (v *swView) Accounts(ctx context.Context) ([]Account, error) {
	l, err := v.s.Accounts(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Account, len(l.Accounts))
	for i, a := range l.Accounts {
		kind := "demo"
		if a.IsLive {
			kind = "live"
		}
		out[i] = Account{Broker: Spotware, ID: strconv.FormatInt(a.ID, 10), Type: kind,
			Name: fmt.Sprintf("%s %d", a.BrokerName, a.TraderLogin), Live: a.IsLive, Raw: a}
	}
	return out, nil
}

func (v *swView) Balances(ctx context.Context, accountID string) (*Balance, error) {
	id, err := accountNumber(Spotware, accountID)
	if err != nil {
		return nil, err
	}
	// cTrader answers only for accounts authorized on the session.
	if err := v.s.AuthorizeAccount(ctx, id); err != nil {
		if !errors.Is(err, spotware.ErrAlreadyLoggedIn) {
			return nil, err
		}
	}
	t, err := v.s.Trader(ctx, id)
	if err != nil {
		return nil, err
	}
	b := &Balance{Broker: Spotware, AccountID: accountID, Cash: t.Balance, Raw: t}
	if assets, err := v.s.Assets(ctx, id); err == nil {
		for _, a := range assets {
			if a.ID == t.DepositAssetID {
				b.Currency = a.Name
			}
		}
	}
	return b, nil
}

// Positions is not in the part of the cTrader API brokerkit speaks.
func (v *swView) Positions(ctx context.Context, accountID string) ([]Position, error) {
	return nil, fmt.Errorf("spotware: positions: %w", auth.ErrUnsupported)
}

// Quotes subscribes to the symbols' spots, waits for a price on both sides
// of each, and unsubscribes. A symbol asked for twice, in any spelling, is
// subscribed once and quoted under each spelling.
func (v *swView) Quotes(ctx context.Context, symbols ...string) ([]Quote, error) {
	all, err := v.s.Symbols(ctx, v.account)
	if err != nil {
		return nil, err
	}
	byName := make(map[string]int64, len(all))
	for _, s := range all {
		byName[symbolKey(s.Name)] = s.ID
	}
	pe := &PartialError{Broker: Spotware, Failed: map[string]string{}}
	asked := make([]int64, len(symbols)) // 0: unknown
	var ids []int64
	for i, sym := range symbols {
		id, ok := byName[symbolKey(sym)]
		if !ok {
			pe.Failed[sym] = "unknown symbol"
			continue
		}
		asked[i] = id
		if !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	var out []Quote
	if len(ids) > 0 {
		got, err := v.firstQuotes(ctx, ids)
		if err != nil {
			return nil, err
		}
		for i, id := range asked {
			if q, ok := got[id]; ok {
				out = append(out, Quote{Broker: Spotware, Symbol: symbols[i], Bid: valid(q.Bid), Ask: valid(q.Ask),
					Time: q.Time, Raw: q})
			}
		}
	}
	if len(pe.Failed) > 0 {
		return out, pe
	}
	return out, nil
}

// symbolKey matches "EURUSD" with "EUR/USD", in any case.
func symbolKey(name string) string { return strings.ToUpper(strings.ReplaceAll(name, "/", "")) }

// firstQuotes returns the first two-sided quote of each of ids, which must
// be distinct.
func (v *swView) firstQuotes(ctx context.Context, ids []int64) (map[int64]spotware.Quote, error) {
	sub, err := v.s.SubscribeSpots(ctx, v.account, ids...)
	if err != nil {
		return nil, err
	}
	defer func() { _ = sub.Unsubscribe(context.WithoutCancel(ctx)) }()
	got := make(map[int64]spotware.Quote, len(ids))
	for len(got) < len(ids) {
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("spotware: waiting for spot prices: %w", ctx.Err())
		case q, ok := <-sub.C():
			if !ok {
				return nil, errors.New("spotware: spot subscription ended before every price arrived")
			}
			if q.HasBid && q.HasAsk && slices.Contains(ids, q.SymbolID) {
				got[q.SymbolID] = q
			}
		}
	}
	return got, nil
}
