package providers

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/spotware"
)

// spotwareBroker is the Spotware cTrader entry: OAuth over HTTP, the API
// over a Protobuf session, which the view owns and Close ends.
func spotwareBroker() Broker {
	return Broker{
		Name:  spotware.Name,
		Title: "Spotware cTrader",
		Env:   []EnvVar{secretRequired},
		New: func(cfg Config) (auth.Provider, error) {
			return spotware.New(spotware.Config{ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret,
				RedirectURL: cfg.RedirectURL, Environment: cfg.Environment, Scopes: cfg.Scopes, BaseURL: cfg.BaseURL,
				HTTPClient: cfg.HTTPClient, Now: cfg.Now})
		},
		View: openSpotwareView,
		Row: Row{PKCE: No, Refresh: Yes, Rotation: Yes, ClientCredentials: No, Revoke: No,
			SlidingExpiry: No, Environments: []auth.Environment{auth.Live, auth.Demo},
			Note: "token by GET, camelCase JSON; single-use refresh token; API is protobuf over TLS"},
		Symbols: []string{"EURUSD", "GBPUSD", "XAUUSD"},
	}
}

// sessionProvider is a provider that states where its cTrader session
// goes: *spotware.Provider (the environment's hosts), or a stand-in
// pointing at an emulator.
type sessionProvider interface {
	auth.Provider
	Environment() auth.Environment
	SessionConfig(auth.TokenSource) spotware.SessionConfig
}

// openSpotwareView dials a session to the provider's hosts and authorizes
// the account quotes are read through: the first of the provider's
// environment (live or demo), else the first. Other accounts are
// authorized when first read.
func openSpotwareView(ctx context.Context, p auth.Provider, src auth.TokenSource) (View, error) {
	sp, err := providerAs[sessionProvider](spotware.Name, p)
	if err != nil {
		return nil, err
	}
	s, err := spotware.Dial(ctx, sp.SessionConfig(src))
	if err != nil {
		return nil, err
	}
	list, err := s.Accounts(ctx)
	if err == nil && len(list.Accounts) == 0 {
		err = errors.New("spotware: the token grants no trading account")
	}
	if err != nil {
		_ = s.Close()
		return nil, err
	}
	live := sp.Environment() == auth.Live
	account := list.Accounts[0].ID
	if i := slices.IndexFunc(list.Accounts, func(a spotware.Account) bool { return a.IsLive == live }); i >= 0 {
		account = list.Accounts[i].ID
	}
	if err := s.AuthorizeAccount(ctx, account); err != nil {
		_ = s.Close()
		return nil, err
	}
	return &swView{s: s, account: account}, nil
}

type swView struct {
	s       *spotware.Session
	account int64
}

func (v *swView) Broker() string { return spotware.Name }

// Close ends the session.
func (v *swView) Close() error { return v.s.Close() }

func (v *swView) Profile(ctx context.Context) (*Profile, error) {
	p, err := v.s.Profile(ctx)
	if err != nil {
		return nil, err
	}
	return &Profile{Broker: spotware.Name, UserID: strconv.FormatInt(p.UserID, 10), Raw: p}, nil
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
		out[i] = Account{Broker: spotware.Name, ID: strconv.FormatInt(a.ID, 10), Type: kind,
			Name: fmt.Sprintf("%s %d", a.BrokerName, a.TraderLogin), Live: a.IsLive, Raw: a}
	}
	return out, nil
}

func (v *swView) Balances(ctx context.Context, accountID string) (*Balance, error) {
	id, err := strconv.ParseInt(accountID, 10, 64)
	if err != nil {
		return nil, fmt.Errorf("spotware: account ID %q is not a number", accountID)
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
	b := &Balance{Broker: spotware.Name, AccountID: accountID, Cash: t.Balance, Raw: t}
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
	failed := map[string]string{}
	asked := make([]int64, len(symbols)) // 0: unknown
	var ids []int64
	for i, sym := range symbols {
		id, ok := byName[symbolKey(sym)]
		if !ok {
			failed[sym] = "unknown symbol"
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
				out = append(out, Quote{Broker: spotware.Name, Symbol: symbols[i], Bid: valid(q.Bid), Ask: valid(q.Ask),
					Time: q.Time, Raw: q})
			}
		}
	}
	if len(failed) > 0 {
		return out, &PartialError{Broker: spotware.Name, Failed: failed}
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
