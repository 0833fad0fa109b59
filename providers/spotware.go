package providers

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/shopspring/decimal"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/internal/rest"
	"github.com/brokerkit/brokerkit/spotware"
	"github.com/brokerkit/brokerkit/stream"
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
		API:     swAPI,
		Lot:     decimal.NewFromInt(10000),
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
	return &swView{s: s, account: account, authed: map[int64]bool{account: true}}, nil
}

type swView struct {
	s       *spotware.Session
	account int64

	// mu guards what the view learnt once per account: that the session
	// authorized it (the session keeps it so across reconnects), and its
	// symbols, so that placing an order is one round trip.
	mu      sync.Mutex
	authed  map[int64]bool
	symbols map[int64][]spotware.Symbol
	byKey   map[int64]map[string]spotware.Symbol // by symbolKey
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
	id, err := v.authorized(ctx, accountID)
	if err != nil {
		return nil, err
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

// Positions are the account's open positions, from a reconcile.
func (v *swView) Positions(ctx context.Context, accountID string) ([]Position, error) {
	id, err := v.authorized(ctx, accountID)
	if err != nil {
		return nil, err
	}
	r, err := v.s.Reconcile(ctx, id)
	if err != nil {
		return nil, err
	}
	names, err := v.symbolNames(ctx, id)
	if err != nil {
		return nil, err
	}
	out := make([]Position, 0, len(r.Positions))
	for _, p := range r.Positions {
		if p.Status != "POSITION_STATUS_OPEN" {
			continue
		}
		qty := p.Volume
		if p.Side == spotware.Sell {
			qty = qty.Neg()
		}
		out = append(out, Position{Broker: spotware.Name, AccountID: accountID, Symbol: names[p.SymbolID],
			Quantity: qty, AveragePrice: p.Price, Raw: p})
	}
	return out, nil
}

// authorized parses accountID and authorizes it on the session (cTrader
// answers only for accounts authorized there).
func (v *swView) authorized(ctx context.Context, accountID string) (int64, error) {
	id, err := strconv.ParseInt(accountID, 10, 64)
	if err != nil {
		return 0, rest.Invalid(spotware.Name, "account ID %.30q is not a number", accountID)
	}
	v.mu.Lock()
	done := v.authed[id]
	v.mu.Unlock()
	if done {
		return id, nil
	}
	if err := v.s.AuthorizeAccount(ctx, id); err != nil && !errors.Is(err, spotware.ErrAlreadyLoggedIn) {
		return 0, err
	}
	v.mu.Lock()
	if v.authed == nil {
		v.authed = map[int64]bool{}
	}
	v.authed[id] = true
	v.mu.Unlock()
	return id, nil
}

// symbolList is the account's symbols, read once.
func (v *swView) symbolList(ctx context.Context, account int64) ([]spotware.Symbol, error) {
	v.mu.Lock()
	all, ok := v.symbols[account]
	v.mu.Unlock()
	if ok {
		return all, nil
	}
	all, err := v.s.Symbols(ctx, account)
	if err != nil {
		return nil, err
	}
	byKey := make(map[string]spotware.Symbol, len(all))
	for _, s := range all {
		byKey[symbolKey(s.Name)] = s
	}
	v.mu.Lock()
	if v.symbols == nil {
		v.symbols, v.byKey = map[int64][]spotware.Symbol{}, map[int64]map[string]spotware.Symbol{}
	}
	v.symbols[account], v.byKey[account] = all, byKey
	v.mu.Unlock()
	return all, nil
}

// symbol is the account's symbol named name, in any spelling.
func (v *swView) symbol(ctx context.Context, account int64, name string) (spotware.Symbol, bool, error) {
	if _, err := v.symbolList(ctx, account); err != nil {
		return spotware.Symbol{}, false, err
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	s, ok := v.byKey[account][symbolKey(name)]
	return s, ok, nil
}

// symbolNames maps the account's symbol IDs to their names.
func (v *swView) symbolNames(ctx context.Context, account int64) (map[int64]string, error) {
	all, err := v.symbolList(ctx, account)
	if err != nil {
		return nil, err
	}
	out := make(map[int64]string, len(all))
	for _, s := range all {
		out[s.ID] = s.Name
	}
	return out, nil
}

// Quotes subscribes to the symbols' spots, waits for a price on both sides
// of each, and unsubscribes. A symbol asked for twice, in any spelling, is
// subscribed once and quoted under each spelling.
func (v *swView) Quotes(ctx context.Context, symbols ...string) ([]Quote, error) {
	all, err := v.symbolList(ctx, v.account)
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
	sub, err := v.s.StreamQuotes(ctx, v.account, ids...)
	if err != nil {
		return nil, err
	}
	defer sub.Close() // unsubscribes
	got := make(map[int64]spotware.Quote, len(ids))
	for len(got) < len(ids) {
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("spotware: waiting for spot prices: %w", ctx.Err())
		case q, ok := <-sub.C():
			if !ok {
				return nil, fmt.Errorf("spotware: quote stream ended before every price arrived: %w", cmp.Or(sub.Err(), errors.New("closed")))
			}
			if q.HasBid && q.HasAsk && slices.Contains(ids, q.SymbolID) {
				got[q.SymbolID] = q
			}
		}
	}
	return got, nil
}

// swAPI is cTrader's line of the API table. Its stop-limit order is a
// stop with a slippage bound, not a limit price, so a normalized
// stop-limit is refused; pending orders are good till cancelled.
var swAPI = APIRow{Place: true, Replace: true, Cancel: true,
	OrderTypes:    []OrderType{Market, Limit, Stop},
	TimeInForce:   []TimeInForce{GTC},
	ClientOrderID: true, Bars: true, Positions: true, Balances: true, Streaming: true}

var swTypes = map[OrderType]spotware.OrderType{Market: spotware.Market, Limit: spotware.Limit, Stop: spotware.Stop}

func (v *swView) PlaceOrder(ctx context.Context, r OrderRequest) (*Order, error) {
	if err := swAPI.checkOrder(spotware.Name, r); err != nil {
		return nil, err
	}
	id, err := v.authorized(ctx, r.Account)
	if err != nil {
		return nil, err
	}
	sym, ok, err := v.symbol(ctx, id, r.Symbol)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, rest.Invalid(spotware.Name, "unknown symbol %.30q", r.Symbol)
	}
	side := spotware.Buy
	if r.Side == Sell {
		side = spotware.Sell
	}
	e, err := v.s.PlaceOrder(ctx, id, spotware.OrderRequest{SymbolID: sym.ID, Side: side, Type: swTypes[r.Type],
		Volume: r.Quantity, LimitPrice: r.LimitPrice, StopPrice: r.StopPrice, ClientOrderID: r.ClientOrderID})
	if err != nil {
		return nil, err
	}
	if e.Order == nil {
		return nil, fmt.Errorf("spotware: the %s answer carries no order", e.Type)
	}
	o := swOrder(r.Account, sym.Name, *e.Order)
	return &o, nil
}

func (v *swView) CancelOrder(ctx context.Context, accountID, orderID string) error {
	acct, err := v.authorized(ctx, accountID)
	if err != nil {
		return err
	}
	id, err := strconv.ParseInt(orderID, 10, 64)
	if err != nil {
		return rest.Invalid(spotware.Name, "order ID %.30q is not a number", orderID)
	}
	_, err = v.s.CancelOrder(ctx, acct, id)
	return err
}

// GetOrder looks among the pending orders first, then in the history.
func (v *swView) GetOrder(ctx context.Context, accountID, orderID string) (*Order, error) {
	acct, err := v.authorized(ctx, accountID)
	if err != nil {
		return nil, err
	}
	id, err := strconv.ParseInt(orderID, 10, 64)
	if err != nil {
		return nil, rest.Invalid(spotware.Name, "order ID %.30q is not a number", orderID)
	}
	r, err := v.s.Reconcile(ctx, acct)
	if err != nil {
		return nil, err
	}
	orders := r.Orders
	if !slices.ContainsFunc(orders, func(o spotware.Order) bool { return o.ID == id }) {
		if orders, _, err = v.s.Orders(ctx, acct, time.Time{}, time.Time{}); err != nil {
			return nil, err
		}
	}
	for _, o := range orders {
		if o.ID == id {
			names, err := v.symbolNames(ctx, acct)
			if err != nil {
				return nil, err
			}
			n := swOrder(accountID, names[o.SymbolID], o)
			return &n, nil
		}
	}
	return nil, fmt.Errorf("spotware: order %s: %w", orderID, spotware.ErrNotFound)
}

// ListOrders lists the pending orders.
func (v *swView) ListOrders(ctx context.Context, accountID string) ([]Order, error) {
	acct, err := v.authorized(ctx, accountID)
	if err != nil {
		return nil, err
	}
	r, err := v.s.Reconcile(ctx, acct)
	if err != nil {
		return nil, err
	}
	names, err := v.symbolNames(ctx, acct)
	if err != nil {
		return nil, err
	}
	out := make([]Order, len(r.Orders))
	for i, o := range r.Orders {
		out[i] = swOrder(accountID, names[o.SymbolID], o)
	}
	return out, nil
}

func swOrder(accountID, symbol string, o spotware.Order) Order {
	n := Order{Broker: spotware.Name, AccountID: accountID, ID: strconv.FormatInt(o.ID, 10),
		ClientOrderID: o.ClientOrderID, Symbol: symbol, Side: Buy, Quantity: o.Volume, FilledQuantity: o.ExecutedVolume,
		LimitPrice: o.LimitPrice, StopPrice: o.StopPrice, FillPrice: o.ExecutionPrice, Status: StatusOpen, Raw: o}
	if o.Side == spotware.Sell {
		n.Side = Sell
	}
	for t, s := range swTypes {
		if s == o.Type {
			n.Type = t
		}
	}
	if o.TimeInForce == "GOOD_TILL_CANCEL" {
		n.TimeInForce = GTC
	}
	switch o.Status {
	case "ORDER_STATUS_FILLED":
		n.Status = StatusFilled
	case "ORDER_STATUS_CANCELLED", "ORDER_STATUS_EXPIRED":
		n.Status = StatusCanceled
	case "ORDER_STATUS_REJECTED":
		n.Status = StatusRejected
	}
	return n
}

// StreamQuotes streams the spot prices of symbols (names in any
// spelling, "EURUSD" or "EUR/USD") for the view's account, resolved to
// cTrader's symbol ids through the account's symbol list. A name the
// account does not offer fails the call (spotware.ErrNotFound). A symbol
// named twice is streamed once, under its first spelling. Close
// unsubscribes; closing the view ends the stream with spotware.ErrClosed.
func (v *swView) StreamQuotes(ctx context.Context, symbols ...string) (*stream.Stream[Quote], error) {
	if len(symbols) == 0 {
		return nil, rest.Invalid(spotware.Name, "StreamQuotes needs at least one symbol")
	}
	all, err := v.symbolList(ctx, v.account)
	if err != nil {
		return nil, err
	}
	byKey := make(map[string]int64, len(all))
	for _, s := range all {
		byKey[symbolKey(s.Name)] = s.ID
	}
	names := map[int64]string{}
	var ids []int64
	var unknown []string
	for _, sym := range symbols {
		id, ok := byKey[symbolKey(sym)]
		switch {
		case !ok:
			unknown = append(unknown, sym)
		case names[id] == "":
			names[id] = sym
			ids = append(ids, id)
		}
	}
	if len(unknown) > 0 {
		return nil, fmt.Errorf("%w: account %d offers no symbol %.100q", spotware.ErrNotFound, v.account, unknown)
	}
	st, err := v.s.StreamQuotes(ctx, v.account, ids...)
	if err != nil {
		return nil, err
	}
	return stream.Map(st, func(q spotware.Quote) (Quote, bool) {
		n := Quote{Broker: spotware.Name, Symbol: names[q.SymbolID], Time: q.Time, Raw: q}
		if q.HasBid {
			n.Bid = valid(q.Bid)
		}
		if q.HasAsk {
			n.Ask = valid(q.Ask)
		}
		return n, true
	}), nil
}

// StreamOrders streams the orders of accountID as their state changes:
// the account's pending orders first, then every change once, and after a
// reconnect the orders that changed meanwhile (spotware.StreamOrders).
// Execution events that carry no order (swaps, deposits, order errors)
// are left out.
func (v *swView) StreamOrders(ctx context.Context, accountID string) (*stream.Stream[Order], error) {
	id, err := v.authorized(ctx, accountID)
	if err != nil {
		return nil, err
	}
	names, err := v.symbolNames(ctx, id)
	if err != nil {
		return nil, err
	}
	st, err := v.s.StreamOrders(ctx, id)
	if err != nil {
		return nil, err
	}
	return stream.Map(st, func(ex spotware.Execution) (Order, bool) {
		if ex.Order == nil {
			return Order{}, false
		}
		sym := names[ex.Order.SymbolID]
		if sym == "" {
			sym = strconv.FormatInt(ex.Order.SymbolID, 10)
		}
		return swOrder(accountID, sym, *ex.Order), true
	}), nil
}
