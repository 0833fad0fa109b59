package autoshares

import (
	"context"

	"encoding/json"
	"github.com/brokerkit/brokerkit/internal/rest"
	"maps"
	"net/http"
	"net/url"
	"strconv"

	"github.com/shopspring/decimal"
)

// AccessType is a user's access to a trading account.
type AccessType string

// The access types a binding can grant.
const (
	AccessFull               AccessType = "Full"
	AccessReadOnly           AccessType = "ReadOnly"
	AccessClosePositionsOnly AccessType = "ClosePositionsOnly"
	AccessOwner              AccessType = "Owner"
)

func (a AccessType) check() error {
	switch a {
	case AccessFull, AccessReadOnly, AccessClosePositionsOnly, AccessOwner:
		return nil
	}
	return rest.Invalid(Name, "access type %q is not Full, ReadOnly, ClosePositionsOnly or Owner", a)
}

// Account is one of a user's trading accounts (UserAccountModel).
type Account struct {
	ID               int64             `json:"Id"`
	ClearingAccount  string            `json:"ClearingAccount,omitempty"`
	AccessType       AccessType        `json:"AccessType,omitempty"`
	MarginType       string            `json:"MarginType,omitempty"`
	OwnerType        string            `json:"OwnerType,omitempty"`
	Enabled          bool              `json:"Enabled"`
	Alias            string            `json:"Alias,omitempty"`
	ClearingFirm     string            `json:"ClearingFirm,omitempty"`
	IsAverageAccount bool              `json:"IsAverageAccount"`
	Owners           []json.RawMessage `json:"Owners,omitempty"`
	Currency         string            `json:"Currency,omitempty"`
}

// Margin types of a trading account.
const (
	MarginCash      = "Cash"
	MarginMargin    = "Margin"
	MarginDayTrader = "DayTrader"
	MarginIRA       = "MarginIra"
)

// NewAccount is a trading account to create (AccountModel). MarginType is
// required. Creating accounts needs an administrator's token.
type NewAccount struct {
	ClearingAccount string `json:"ClearingAccount,omitempty"`
	MarginType      string `json:"MarginType"`
	OwnerType       string `json:"OwnerType,omitempty"`
	Alias           string `json:"Alias,omitempty"`
	ClearingFirm    string `json:"ClearingFirm,omitempty"`
	Currency        string `json:"Currency,omitempty"`
	Enabled         *bool  `json:"Enabled,omitempty"`
}

// AccountBinding is a user's access to an account
// (UserToAccountRelationModel).
type AccountBinding struct {
	User       User       `json:"UserModel"`
	AccessType AccessType `json:"AccountAccessType"`
}

// Balance is a trading account's balance information. The API spells
// these in camelCase; every amount is exact.
type Balance struct {
	// AccountID is the account the balance is of (set by the client; the
	// API's answer does not carry it).
	AccountID               int64           `json:"-"`
	Cash                    decimal.Decimal `json:"cash"`
	NetCash                 decimal.Decimal `json:"netCash"`
	Excess                  decimal.Decimal `json:"excess"`
	ChangeAbsolute          decimal.Decimal `json:"changeAbsolute"`
	ChangePercent           decimal.Decimal `json:"changePercent"`
	EquityTotal             decimal.Decimal `json:"equityTotal"`
	PendingOrdersCount      int             `json:"pendingOrdersCount"`
	NetLiquidity            decimal.Decimal `json:"netLiquidity"`
	StockLongMarketValue    decimal.Decimal `json:"stockLongMarketValue"`
	StockShortMarketValue   decimal.Decimal `json:"stockShortMarketValue"`
	OptionLongMarketValue   decimal.Decimal `json:"optionLongMarketValue"`
	OptionShortMarketValue  decimal.Decimal `json:"optionShortMarketValue"`
	ForexLongMarketValue    decimal.Decimal `json:"forexLongMarketValue"`
	ForexShortMarketValue   decimal.Decimal `json:"forexShortMarketValue"`
	DayTrades               int             `json:"dayTrades"`
	StockBuyingPower        decimal.Decimal `json:"stockBuyingPower"`
	OptionBuyingPower       decimal.Decimal `json:"optionBuyingPower"`
	ForexBuyingPower        decimal.Decimal `json:"forexBuyingPower"`
	DayTradingBuyingPower   decimal.Decimal `json:"dayTradingBuyingPower"`
	PendingCash             decimal.Decimal `json:"pendingCash"`
	MaintenanceMargin       decimal.Decimal `json:"maintenanceMargin"`
	OptionMaintenanceMargin decimal.Decimal `json:"optionMaintenanceMargin"`
	OpenPL                  decimal.Decimal `json:"openPL"`
	OpenPLDay               decimal.Decimal `json:"openPLDay"`
	OpenPLPercent           decimal.Decimal `json:"openPLPercent"`
	ClosePL                 decimal.Decimal `json:"closePL"`
	MarketValue             decimal.Decimal `json:"marketValue"`
	TotalPL                 decimal.Decimal `json:"totalPL"`
}

// AccountsService lists, creates and binds trading accounts.
type AccountsService service

// accountPath expands tmpl for accountID (which must be positive), user
// ("" when tmpl has no {userId}) and the other placeholders in extra.
func (c *Client) accountPath(tmpl string, accountID int64, user UserRef, extra map[string]string) (string, error) {
	if accountID <= 0 {
		return "", rest.Invalid(Name, "account id %d is not positive", accountID)
	}
	vars := map[string]string{"accountId": strconv.FormatInt(accountID, 10)}
	maps.Copy(vars, extra)
	return c.path(tmpl, user, vars)
}

// List returns the logged-in user's trading accounts.
func (s *AccountsService) List(ctx context.Context) ([]Account, error) {
	p, err := s.c.path(s.c.paths.UserAccounts, Me, nil)
	if err != nil {
		return nil, err
	}
	var out []Account
	if err := s.c.call(ctx, call{method: http.MethodGet, path: p}, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// Create creates a trading account (administrator token).
func (s *AccountsService) Create(ctx context.Context, a NewAccount) (*Account, error) {
	switch a.MarginType {
	case MarginCash, MarginMargin, MarginDayTrader, MarginIRA:
	default:
		return nil, rest.Invalid(Name, "new account: MarginType %q is not Cash, Margin, DayTrader or MarginIra", a.MarginType)
	}
	var out Account
	if err := s.c.call(ctx, call{method: http.MethodPost, path: s.c.paths.CreateAccount, body: a}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Bind gives user access to an existing trading account. AutoShares
// requires an administrator's (or the owner's) token. Binding is
// idempotent, so it is retried like a GET.
func (s *AccountsService) Bind(ctx context.Context, accountID int64, user UserRef, access AccessType) (*AccountBinding, error) {
	if err := access.check(); err != nil {
		return nil, err
	}
	p, err := s.c.accountPath(s.c.paths.BindAccount, accountID, user, nil)
	if err != nil {
		return nil, err
	}
	return s.bind(ctx, p, access)
}

// BindByUsername is Bind for a user named by login.
func (s *AccountsService) BindByUsername(ctx context.Context, accountID int64, username string, access AccessType) (*AccountBinding, error) {
	if err := access.check(); err != nil {
		return nil, err
	}
	if username == "" {
		return nil, rest.Invalid(Name, "bind account: empty username")
	}
	p, err := s.c.accountPath(s.c.paths.BindAccountByUsername, accountID, "", map[string]string{"username": username})
	if err != nil {
		return nil, err
	}
	return s.bind(ctx, p, access)
}

func (s *AccountsService) bind(ctx context.Context, p string, access AccessType) (*AccountBinding, error) {
	var raw json.RawMessage
	q := url.Values{"accessType": {string(access)}}
	if err := s.c.call(ctx, call{method: http.MethodPut, path: p, query: q, idempotent: true}, &raw); err != nil {
		return nil, err
	}
	// The docs show one relation; the private-API page an array of them.
	var list []AccountBinding
	if err := decodeOneOrMany(raw, &list); err != nil {
		return nil, s.c.invalid("account binding", err)
	}
	if len(list) == 0 {
		return &AccountBinding{AccessType: access}, nil
	}
	return &list[len(list)-1], nil
}

// Unbind removes user's access to the account.
func (s *AccountsService) Unbind(ctx context.Context, accountID int64, user UserRef) error {
	p, err := s.c.accountPath(s.c.paths.UnbindAccount, accountID, user, nil)
	if err != nil {
		return err
	}
	return s.c.call(ctx, call{method: http.MethodDelete, path: p, idempotent: true}, nil)
}

// Balances returns the balance information of each account, in the
// order asked. Accounts that fail while others succeed are named in a
// *PartialError returned beside the ones that succeeded; when every one
// fails, the first failure is returned.
func (s *AccountsService) Balances(ctx context.Context, accountIDs ...string) ([]Balance, error) {
	if len(accountIDs) == 0 {
		return nil, rest.Invalid(Name, "balances: no account ids")
	}
	ids := make([]int64, len(accountIDs))
	for i, a := range accountIDs {
		id, err := parseAccountID(a)
		if err != nil {
			return nil, err
		}
		ids[i] = id
	}
	var (
		out      []Balance
		failed   map[string]string
		firstErr error
	)
	for i, id := range ids {
		p, err := s.c.accountPath(s.c.paths.AccountBalances, id, "", nil)
		if err != nil {
			return nil, err
		}
		var b Balance
		if err := s.c.call(ctx, call{method: http.MethodGet, path: p}, &b); err != nil {
			if ctx.Err() != nil || len(ids) == 1 {
				return nil, err
			}
			if firstErr == nil {
				firstErr = err
				failed = map[string]string{}
			}
			failed[accountIDs[i]] = err.Error()
			continue
		}
		b.AccountID = id
		out = append(out, b)
	}
	if len(out) == 0 {
		return nil, firstErr
	}
	return out, rest.NewPartialError(Name, failed)
}

// parseAccountID reads a trading account id: a positive integer.
func parseAccountID(s string) (int64, error) {
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return 0, rest.Invalid(Name, "account id %q is not a positive integer", s)
	}
	return id, nil
}
