package providers

import (
	"context"
	"time"

	"github.com/shopspring/decimal"

	"github.com/brokerkit/brokerkit/internal/rest"
	"github.com/brokerkit/brokerkit/stream"
)

// View is a normalized, read-only view of one user's data at one broker,
// opened by the broker's Broker.View. A broker that cannot provide
// something answers with an error matching auth.ErrUnsupported, never with
// an empty success.
type View interface {
	// Broker is the registry name of the broker behind the view.
	Broker() string
	// Profile is the logged-in user.
	Profile(ctx context.Context) (*Profile, error)
	// Accounts are the user's trading accounts.
	Accounts(ctx context.Context) ([]Account, error)
	// Balances are one account's money figures.
	Balances(ctx context.Context, accountID string) (*Balance, error)
	// Positions are one account's open positions.
	Positions(ctx context.Context, accountID string) ([]Position, error)
	// Quotes are the latest prices of symbols. When some symbols fail and
	// others do not, the quotes that succeeded come back together with a
	// *PartialError naming the failed ones.
	Quotes(ctx context.Context, symbols ...string) ([]Quote, error)
	// Trader places, cancels and reads orders; a broker without an order
	// API answers with auth.ErrUnsupported.
	Trader
	// StreamQuotes streams the prices of symbols as they change, in the one
	// stream shape (see package stream): quotes drop the oldest when the
	// reader falls behind, and count it.
	StreamQuotes(ctx context.Context, symbols ...string) (*stream.Stream[Quote], error)
	// StreamOrders streams the orders of one account as their state
	// changes: each change once, none lost across a reconnect.
	StreamOrders(ctx context.Context, accountID string) (*stream.Stream[Order], error)
	// Close lets go of what the view holds (a cTrader session, say).
	Close() error
}

// Profile is the logged-in user.
type Profile struct {
	// Broker is the registry name.
	Broker string
	// UserID is the broker's identifier of the user.
	UserID string
	// Name and Email are empty when the broker does not tell.
	Name, Email string
	// Raw is the broker's own value this was made from.
	Raw any
}

// Account is a trading account.
type Account struct {
	// Broker is the registry name.
	Broker string
	// ID is what the other View methods take as accountID.
	ID string
	// Name is the account's alias or display name, if any.
	Name string
	// Type is the broker's account type (Cash, Margin, ...).
	Type string
	// Currency is the account currency, when known.
	Currency string
	// Live is false for simulated or demo accounts.
	Live bool
	// Raw is the broker's own value this was made from.
	Raw any
}

// Balance is an account's money figures. A figure the broker does not
// report is invalid (Valid false), not zero.
type Balance struct {
	// Broker is the registry name.
	Broker string
	// AccountID is the account.
	AccountID string
	// Currency is the currency of the figures, when known.
	Currency string
	// Cash is the cash balance.
	Cash decimal.Decimal
	// Equity is the account value: cash plus positions at market.
	Equity decimal.NullDecimal
	// BuyingPower is what the account can spend on new positions.
	BuyingPower decimal.NullDecimal
	// Raw is the broker's own value this was made from.
	Raw any
}

// Position is an open position.
type Position struct {
	// Broker is the registry name.
	Broker string
	// AccountID is the account holding it.
	AccountID string
	// Symbol is the instrument.
	Symbol string
	// Quantity is signed: negative for a short position.
	Quantity decimal.Decimal
	// AveragePrice is the average open price.
	AveragePrice decimal.Decimal
	// MarketPrice is the latest price, when known.
	MarketPrice decimal.NullDecimal
	// MarketValue is the position's value at MarketPrice, when known.
	MarketValue decimal.NullDecimal
	// UnrealizedPL is the open profit (positive) or loss (negative).
	UnrealizedPL decimal.NullDecimal
	// Raw is the broker's own value this was made from.
	Raw any
}

// Quote is a symbol's latest prices. A side the broker has not reported
// is invalid (Valid false).
type Quote struct {
	// Broker is the registry name.
	Broker string
	// Symbol is the instrument as asked for.
	Symbol string
	// Bid, Ask and Last are exact decimals.
	Bid, Ask, Last decimal.NullDecimal
	// Time is when the broker priced the quote, when it said.
	Time time.Time
	// Raw is the broker's own value this was made from.
	Raw any
}

// PartialError reports the symbols (or accounts) a call could not serve
// while it served others: the brokers' own error, passed through.
type PartialError = rest.PartialError

func valid(d decimal.Decimal) decimal.NullDecimal {
	return decimal.NullDecimal{Decimal: d, Valid: true}
}
