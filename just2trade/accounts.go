package just2trade

import "github.com/shopspring/decimal"

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
	CommonStock    SecurityType = "common_stock"
	PreferredStock SecurityType = "preferred_stock"
	Option         SecurityType = "option"
	Strategy       SecurityType = "strategy" // Lime: a multi-leg position
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
