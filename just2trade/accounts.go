package just2trade

import (
	"context"
	"fmt"
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

// Balance is one account's balances, from GET /accounts.
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
	Symbol    string    `json:"symbol"`
	Timestamp Timestamp `json:"timestamp"`
	// Quantity is negative for sells.
	Quantity decimal.Decimal `json:"quantity"`
	Price    decimal.Decimal `json:"price"`
	Amount   decimal.Decimal `json:"amount"`
	Side     TradeSide       `json:"side"`
	// TradeID is sent by Lime only.
	TradeID ID `json:"trade_id,omitempty"`
}

// TradesPage is one page of trades, newest first; Count is the total.
type TradesPage struct {
	Trades []Trade `json:"trades"`
	Count  int     `json:"count"`
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

// TransactionsPage is one page of transactions; Count is the total.
type TransactionsPage struct {
	Transactions []Transaction `json:"transactions"`
	Count        int           `json:"count"`
}

// AccountsService reads balances, positions, trades and transactions.
type AccountsService service

// List returns the balances of every account of the user (GET /accounts).
func (s *AccountsService) List(ctx context.Context) ([]Balance, error) {
	var out []Balance
	if err := s.c.get(ctx, "accounts", nil, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// PositionsOptions narrows Positions.
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

// Positions returns an account's positions
// (GET /accounts/{account}/positions). opts may be nil.
func (s *AccountsService) Positions(ctx context.Context, account string, opts *PositionsOptions) ([]Position, error) {
	if err := checkAccount(account); err != nil {
		return nil, err
	}
	var q positionsQuery
	if opts != nil {
		if opts.Strategy && !opts.Date.IsZero() {
			return nil, fmt.Errorf("just2trade: positions: %w: a date and strategy grouping cannot be combined", ErrValidation)
		}
		if !opts.Date.IsZero() {
			q.Date = FormatDate(opts.Date)
		}
		q.Strategy = opts.Strategy
	}
	var out []Position
	if err := s.c.get(ctx, rest.Pathf("accounts/%s/positions", account), q, &out); err != nil {
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
		return fmt.Errorf("just2trade: %w: limit %d and skip %d must not be negative", ErrValidation, o.Limit, o.Skip)
	}
	return nil
}

// Trades returns one page of an account's executions on day, newest first
// (GET /accounts/{account}/trades/{yyyy-MM-dd}). opts may be nil.
func (s *AccountsService) Trades(ctx context.Context, account string, day time.Time, opts *ListOptions) (*TradesPage, error) {
	if err := checkAccount(account); err != nil {
		return nil, err
	}
	if day.IsZero() {
		return nil, fmt.Errorf("just2trade: trades: %w: the day is required", ErrValidation)
	}
	if err := opts.check(); err != nil {
		return nil, err
	}
	var out TradesPage
	if err := s.c.get(ctx, rest.Pathf("accounts/%s/trades/%s", account, FormatDate(day)), opts, &out); err != nil {
		return nil, err
	}
	return &out, nil
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

// Transactions returns one page of an account's cash and security
// movements (GET /accounts/{account}/transactions). opts may be nil.
func (s *AccountsService) Transactions(ctx context.Context, account string, opts *TransactionsOptions) (*TransactionsPage, error) {
	if err := checkAccount(account); err != nil {
		return nil, err
	}
	var q transactionsQuery
	if opts != nil {
		if err := opts.ListOptions.check(); err != nil {
			return nil, err
		}
		if !opts.Start.IsZero() && !opts.End.IsZero() && opts.End.Before(opts.Start) {
			return nil, fmt.Errorf("just2trade: transactions: %w: end %s is before start %s", ErrValidation, FormatDate(opts.End), FormatDate(opts.Start))
		}
		if !opts.Start.IsZero() {
			q.StartDate = FormatDate(opts.Start)
		}
		if !opts.End.IsZero() {
			q.EndDate = FormatDate(opts.End)
		}
		q.ListOptions = opts.ListOptions
	}
	var out TransactionsPage
	if err := s.c.get(ctx, rest.Pathf("accounts/%s/transactions", account), q, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
