package just2trade

import (
	"context"
	"slices"
	"time"

	"github.com/shopspring/decimal"

	"github.com/brokerkit/brokerkit/internal/rest"
)

// MarginType is an account's margin type.
type MarginType string

// The documented margin types.
const (
	MarginCash      MarginType = "cash"
	MarginX1        MarginType = "marginx1"
	MarginX2        MarginType = "marginx2"
	MarginDayTrader MarginType = "daytrader"
)

// Restriction says what an account may still do.
type Restriction string

// The documented restrictions.
const (
	RestrictionNone       Restriction = "none"
	RestrictionRestricted Restriction = "restricted" // closing trades only
	RestrictionDisabled   Restriction = "disabled"
	RestrictionClosed     Restriction = "closed"
)

// Balance is one account's balances, from GET /accounts, which lists
// every account with its balances.
type Balance struct {
	AccountNumber         string          `json:"account_number"`
	TradePlatform         string          `json:"trade_platform"`
	MarginType            MarginType      `json:"margin_type"`
	Restriction           Restriction     `json:"restriction"`
	RestrictionReason     string          `json:"restriction_reason,omitempty"`
	DaytradesCount        int             `json:"daytrades_count"`
	AccountValueTotal     decimal.Decimal `json:"account_value_total"`
	Cash                  decimal.Decimal `json:"cash"`
	DayTradingBuyingPower decimal.Decimal `json:"day_trading_buying_power"`
	MarginBuyingPower     decimal.Decimal `json:"margin_buying_power"`
	NonMarginBuyingPower  decimal.Decimal `json:"non_margin_buying_power"`
	PositionMarketValue   decimal.Decimal `json:"position_market_value"`
	UnsettledCash         decimal.Decimal `json:"unsettled_cash"`
	// CashToWithdraw was added in September 2018.
	CashToWithdraw decimal.Decimal `json:"cash_to_withdraw"`
}

// Account is one of the user's accounts as GET /accounts lists it: the
// broker answers each account with its balances, so an Account is its
// Balance.
type Account = Balance

// SecurityType is the kind of a position's security.
type SecurityType string

// The common security types.
const (
	SecurityCommonStock    SecurityType = "common_stock"
	SecurityPreferredStock SecurityType = "preferred_stock"
	SecurityOption         SecurityType = "option"
	SecurityStrategy       SecurityType = "strategy" // Lime: a multi-leg position
)

// Position is one holding, from GET /accounts/{account}/positions.
type Position struct {
	Symbol           string          `json:"symbol"`
	Quantity         decimal.Decimal `json:"quantity"`
	AverageOpenPrice decimal.Decimal `json:"average_open_price"`
	CurrentPrice     decimal.Decimal `json:"current_price"`
	SecurityType     SecurityType    `json:"security_type"`
	// Legs are a Lime strategy position's parts.
	Legs []Position `json:"legs,omitempty"`
}

// TradeSide is the side of an executed trade.
type TradeSide string

// The documented trade sides (Lime reports only buy and sell).
const (
	TradeBuy        TradeSide = "buy"
	TradeSell       TradeSide = "sell"
	TradeSellShort  TradeSide = "sell_short"
	TradeBuyToCover TradeSide = "buy_to_cover"
)

// Trade is one execution, from GET /accounts/{account}/trades/{date}.
type Trade struct {
	Symbol    string `json:"symbol"`
	Timestamp Time   `json:"timestamp"`
	// Quantity is negative for sells.
	Quantity decimal.Decimal `json:"quantity"`
	Price    decimal.Decimal `json:"price"`
	Amount   decimal.Decimal `json:"amount"`
	Side     TradeSide       `json:"side"`
	// TradeID is sent by Lime only.
	TradeID ID `json:"trade_id,omitempty"`
}

// Transaction is one cash or security movement, from
// GET /accounts/{account}/transactions.
type Transaction struct {
	ID ID `json:"id"`
	// Type is a code such as "MONEY:OUT:CHRG" or "SELL-SHORT:EXCH:STD".
	Type        string            `json:"type"`
	Description string            `json:"description"`
	Date        string            `json:"date"`
	Asset       *TransactionAsset `json:"asset,omitempty"`
	Cash        *TransactionCash  `json:"cash,omitempty"`
	Fees        []Fee             `json:"fees,omitempty"`
}

// TransactionAsset is the security part of a Transaction.
type TransactionAsset struct {
	Symbol            string          `json:"symbol"`
	SymbolDescription string          `json:"symbol_description"`
	Quantity          decimal.Decimal `json:"quantity"`
	Price             decimal.Decimal `json:"price"`
}

// TransactionCash is the money part of a Transaction.
type TransactionCash struct {
	GrossAmount decimal.Decimal `json:"gross_amount"`
	NetAmount   decimal.Decimal `json:"net_amount"`
}

// Fee is one fee of a Transaction.
type Fee struct {
	Name   string          `json:"name"`
	Amount decimal.Decimal `json:"amount"`
}

// Page is one page of a list call: its items, the total the broker
// counted, and Next to fetch the following page; All walks them all.
type Page[T any] = rest.Page[T]

// AccountsService reads accounts, balances, trades and transactions.
type AccountsService service

// List returns every account of the user with its balances
// (GET /accounts).
func (s *AccountsService) List(ctx context.Context) ([]Account, error) {
	var out []Account
	if err := s.c.get(ctx, "accounts", nil, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// Balances returns the balances of the accounts named, in that order, or
// of every account when none is named. The broker answers all accounts in
// one GET /accounts, so one call serves them; an account the answer lacks
// is reported in a *PartialError beside the balances found.
func (s *AccountsService) Balances(ctx context.Context, accountIDs ...string) ([]Balance, error) {
	for i, id := range accountIDs {
		if id == "" {
			return nil, rest.Invalid(Name, "balances: account number %d is empty", i+1)
		}
	}
	all, err := s.List(ctx)
	if err != nil || len(accountIDs) == 0 {
		return all, err
	}
	out := make([]Balance, 0, len(accountIDs))
	failed := map[string]string{}
	for _, id := range accountIDs {
		i := slices.IndexFunc(all, func(b Balance) bool { return b.AccountNumber == id })
		if i < 0 {
			failed[id] = "not among the user's accounts"
			continue
		}
		out = append(out, all[i])
	}
	return out, rest.NewPartialError(Name, failed)
}

// PositionsOptions narrows Positions.List.
type PositionsOptions struct {
	// Date asks for the positions held at the end of that day; zero means
	// now.
	Date time.Time
	// Strategy groups multi-leg positions (Lime only; not combinable with
	// Date).
	Strategy bool
}

type positionsQuery struct {
	Date     string `url:"date,omitempty"`
	Strategy bool   `url:"strategy,omitempty"`
}

// PositionsService reads an account's holdings.
type PositionsService service

// List returns an account's positions
// (GET /accounts/{account}/positions). opts may be nil.
func (s *PositionsService) List(ctx context.Context, accountID string, opts *PositionsOptions) ([]Position, error) {
	if err := checkAccount(accountID); err != nil {
		return nil, err
	}
	var q positionsQuery
	if opts != nil {
		if opts.Strategy && !opts.Date.IsZero() {
			return nil, rest.Invalid(Name, "positions: a date and strategy grouping cannot be combined")
		}
		if !opts.Date.IsZero() {
			q.Date = FormatDate(opts.Date)
		}
		q.Strategy = opts.Strategy
	}
	var out []Position
	if err := s.c.get(ctx, rest.Pathf("accounts/%s/positions", accountID), q, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// ListOptions pages a list: at most Limit items (0 means the broker's
// default, 10 for trades) after skipping Skip.
type ListOptions struct {
	Limit int `url:"limit,omitempty"`
	Skip  int `url:"skip,omitempty"`
}

func (o *ListOptions) check() error {
	if o != nil && (o.Limit < 0 || o.Skip < 0) {
		return rest.Invalid(Name, "limit %d and skip %d must not be negative", o.Limit, o.Skip)
	}
	return nil
}

// pageOf wraps one answer of a skip/limit list: Total is the broker's
// count, and Next, while items remain, asks again skipping what this page
// and the ones before it held.
func pageOf[T any](items []T, count int, o ListOptions, fetch func(ctx context.Context, o ListOptions) (*Page[T], error)) *Page[T] {
	var next func(ctx context.Context) (*Page[T], error)
	if seen := o.Skip + len(items); len(items) > 0 && seen < count {
		o.Skip = seen
		next = func(ctx context.Context) (*Page[T], error) { return fetch(ctx, o) }
	}
	return rest.NewPage(items, count, next)
}

type tradesAnswer struct {
	Trades []Trade `json:"trades"`
	Count  int     `json:"count"`
}

// Trades returns one page of an account's executions on day, newest first
// (GET /accounts/{account}/trades/{yyyy-MM-dd}); Total is the day's count
// and Next skips to the following page. opts may be nil.
func (s *AccountsService) Trades(ctx context.Context, account string, day time.Time, opts *ListOptions) (*Page[Trade], error) {
	if err := checkAccount(account); err != nil {
		return nil, err
	}
	if day.IsZero() {
		return nil, rest.Invalid(Name, "trades: the day is required")
	}
	if err := opts.check(); err != nil {
		return nil, err
	}
	var o ListOptions
	if opts != nil {
		o = *opts
	}
	path := rest.Pathf("accounts/%s/trades/%s", account, FormatDate(day))
	var fetch func(ctx context.Context, o ListOptions) (*Page[Trade], error)
	fetch = func(ctx context.Context, o ListOptions) (*Page[Trade], error) {
		var out tradesAnswer
		if err := s.c.get(ctx, path, o, &out); err != nil {
			return nil, err
		}
		return pageOf(out.Trades, out.Count, o, fetch), nil
	}
	return fetch(ctx, o)
}

// TransactionsOptions narrows Transactions; zero fields are left out.
type TransactionsOptions struct {
	// Start and End bound the days, inclusive.
	Start, End time.Time
	ListOptions
}

type transactionsQuery struct {
	StartDate string `url:"start_date,omitempty"`
	EndDate   string `url:"end_date,omitempty"`
	ListOptions
}

type transactionsAnswer struct {
	Transactions []Transaction `json:"transactions"`
	Count        int           `json:"count"`
}

// Transactions returns one page of an account's cash and security
// movements (GET /accounts/{account}/transactions); Total is the broker's
// count and Next skips to the following page. opts may be nil.
func (s *AccountsService) Transactions(ctx context.Context, account string, opts *TransactionsOptions) (*Page[Transaction], error) {
	if err := checkAccount(account); err != nil {
		return nil, err
	}
	var q transactionsQuery
	if opts != nil {
		if err := opts.ListOptions.check(); err != nil {
			return nil, err
		}
		if !opts.Start.IsZero() && !opts.End.IsZero() && opts.End.Before(opts.Start) {
			return nil, rest.Invalid(Name, "transactions: end %s is before start %s", FormatDate(opts.End), FormatDate(opts.Start))
		}
		if !opts.Start.IsZero() {
			q.StartDate = FormatDate(opts.Start)
		}
		if !opts.End.IsZero() {
			q.EndDate = FormatDate(opts.End)
		}
		q.ListOptions = opts.ListOptions
	}
	path := rest.Pathf("accounts/%s/transactions", account)
	var fetch func(ctx context.Context, o ListOptions) (*Page[Transaction], error)
	fetch = func(ctx context.Context, o ListOptions) (*Page[Transaction], error) {
		qo := q
		qo.ListOptions = o
		var out transactionsAnswer
		if err := s.c.get(ctx, path, qo, &out); err != nil {
			return nil, err
		}
		return pageOf(out.Transactions, out.Count, o, fetch), nil
	}
	return fetch(ctx, q.ListOptions)
}
