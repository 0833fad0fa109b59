package spotware

import (
	"context"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/brokerkit/brokerkit/spotware/openapi"
	"github.com/shopspring/decimal"
	"google.golang.org/protobuf/proto"
)

// Profile is the cTrader ID behind a token. Spotware returns only the user
// id ("empty due to GDPR").
type Profile struct {
	UserID int64
}

// Profile returns the cTrader ID of the session's token.
func (s *Session) Profile(ctx context.Context) (*Profile, error) {
	res := &openapi.ProtoOAGetCtidProfileByTokenRes{}
	err := s.call(ctx, 0, true, func(access string) proto.Message {
		return &openapi.ProtoOAGetCtidProfileByTokenReq{AccessToken: proto.String(access)}
	}, res)
	if err != nil {
		return nil, err
	}
	return &Profile{UserID: res.GetProfile().GetUserId()}, nil
}

// Account is a trading account the token gives access to.
type Account struct {
	// ID is the ctidTraderAccountId every account-scoped call takes.
	ID int64
	// IsLive says which host serves the account: live (true) or demo.
	IsLive bool
	// TraderLogin is the number the trader sees in cTrader.
	TraderLogin int64
	// BrokerName is the broker's short title.
	BrokerName string
	// LastClosingDeal and LastBalanceUpdate are zero when unknown.
	LastClosingDeal, LastBalanceUpdate time.Time
}

// AccountList is the answer to Accounts.
type AccountList struct {
	// Scope is what the token may do with the accounts: ScopeTrading or
	// ScopeAccounts.
	Scope    string
	Accounts []Account
}

// Accounts lists the live and demo accounts of the session's token. The
// session remembers each account's IsLive to send its calls to its host.
func (s *Session) Accounts(ctx context.Context) (*AccountList, error) {
	res := &openapi.ProtoOAGetAccountListByAccessTokenRes{}
	err := s.call(ctx, 0, true, func(access string) proto.Message {
		return &openapi.ProtoOAGetAccountListByAccessTokenReq{AccessToken: proto.String(access)}
	}, res)
	if err != nil {
		return nil, err
	}
	l := &AccountList{Scope: ScopeAccounts}
	if res.GetPermissionScope() == openapi.ProtoOAClientPermissionScope_SCOPE_TRADE {
		l.Scope = ScopeTrading
	}
	for _, a := range res.GetCtidTraderAccount() {
		id := a.GetCtidTraderAccountId()
		if id > math.MaxInt64 {
			return nil, fmt.Errorf("%w: account id %d out of range", ErrUnexpectedResponse, id)
		}
		l.Accounts = append(l.Accounts, Account{ID: int64(id), IsLive: a.GetIsLive(), TraderLogin: a.GetTraderLogin(),
			BrokerName: a.GetBrokerTitleShort(), LastClosingDeal: msTime(a.GetLastClosingDealTimestamp()),
			LastBalanceUpdate: msTime(a.GetLastBalanceUpdateTimestamp())})
	}
	s.mu.Lock()
	for _, a := range l.Accounts {
		s.isLive[a.ID] = a.IsLive
	}
	s.mu.Unlock()
	return l, nil
}

func msTime(ms int64) time.Time {
	if ms <= 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms)
}

// AuthorizeAccount authorizes account on the session with the session's
// token, on the host its IsLive names (connecting to that host on first
// use). From then on the session keeps it authorized: after a reconnect,
// a token refresh, a token-invalidated or an account-disconnect event. The
// server answers a second authorization on one connection with
// ALREADY_LOGGED_IN, returned as an *Error.
func (s *Session) AuthorizeAccount(ctx context.Context, account int64) error {
	res := &openapi.ProtoOAAccountAuthRes{}
	var sent string
	err := s.call(ctx, account, true, func(access string) proto.Message {
		sent = access
		return &openapi.ProtoOAAccountAuthReq{CtidTraderAccountId: proto.Int64(account), AccessToken: proto.String(access)}
	}, res)
	if err == nil {
		s.setAuthorizedWith(account, sent)
	}
	if err == nil || errorCode(err) == codeAlreadyLoggedIn {
		s.mu.Lock()
		s.accounts[account] = struct{}{}
		s.mu.Unlock()
	}
	if err == nil {
		s.emit(Event{Kind: EventAccountAuthorized, AccountID: account})
	}
	return err
}

// LogoutAccount ends account's session; the session stops keeping it
// authorized and ends its streams with ErrNotSubscribed.
func (s *Session) LogoutAccount(ctx context.Context, account int64) error {
	s.mu.Lock()
	delete(s.accounts, account)
	s.mu.Unlock()
	s.endStreams(account, fmt.Errorf("%w: account %d was logged out", ErrNotSubscribed, account))
	return s.call(ctx, account, false, func(string) proto.Message {
		return &openapi.ProtoOAAccountLogoutReq{CtidTraderAccountId: proto.Int64(account)}
	}, &openapi.ProtoOAAccountLogoutRes{})
}

// DefaultMoneyDigits is assumed when a trader message carries no
// moneyDigits: money in cents.
const DefaultMoneyDigits = 2

// Trader is an account's state, money as exact decimals.
type Trader struct {
	AccountID int64
	// Balance is the balance in the deposit currency.
	Balance decimal.Decimal
	// MoneyDigits is the scale money fields were sent in.
	MoneyDigits int32
	// DepositAssetID names the deposit currency; resolve it with Assets.
	DepositAssetID int64
	// Leverage is the account's leverage (50 for 1:50).
	Leverage decimal.Decimal
	// BrokerName is the broker's name.
	BrokerName string
	// TraderLogin is the number the trader sees in cTrader.
	TraderLogin int64
	// AccountType is HEDGED, NETTED or SPREAD_BETTING.
	AccountType string
	// AccessRights is FULL_ACCESS, CLOSE_ONLY, NO_TRADING or NO_LOGIN.
	AccessRights string
	// Registered is when the account was opened; zero when unknown.
	Registered time.Time
}

// Trader returns account's state. Balance is scaled by the account's
// moneyDigits (not a fixed 100).
func (s *Session) Trader(ctx context.Context, account int64) (*Trader, error) {
	res := &openapi.ProtoOATraderRes{}
	err := s.call(ctx, account, false, func(string) proto.Message {
		return &openapi.ProtoOATraderReq{CtidTraderAccountId: proto.Int64(account)}
	}, res)
	if err != nil {
		return nil, err
	}
	return traderFrom(res.GetTrader())
}

// traderFrom converts the wire trader, refusing a moneyDigits no int64
// amount can have (checked before the uint32 is narrowed, so that a huge
// value cannot turn negative and scale money up).
func traderFrom(t *openapi.ProtoOATrader) (*Trader, error) {
	raw := uint32(DefaultMoneyDigits)
	if t.MoneyDigits != nil {
		raw = t.GetMoneyDigits()
	}
	if raw > 18 {
		return nil, fmt.Errorf("%w: moneyDigits %d", ErrUnexpectedResponse, raw)
	}
	digits := int32(raw)
	return &Trader{
		AccountID:      t.GetCtidTraderAccountId(),
		Balance:        Money(t.GetBalance(), digits),
		MoneyDigits:    digits,
		DepositAssetID: t.GetDepositAssetId(),
		Leverage:       decimal.New(int64(t.GetLeverageInCents()), -2),
		BrokerName:     t.GetBrokerName(),
		TraderLogin:    t.GetTraderLogin(),
		AccountType:    t.GetAccountType().String(),
		AccessRights:   t.GetAccessRights().String(),
		Registered:     msTime(t.GetRegistrationTimestamp()),
	}, nil
}

// Money converts a wire amount (an integer scaled by 10^moneyDigits) to an
// exact decimal.
func Money(v int64, moneyDigits int32) decimal.Decimal { return decimal.New(v, -moneyDigits) }

// Asset is a currency or other asset of the broker.
type Asset struct {
	ID          int64
	Name        string
	DisplayName string
	Digits      int32
}

// Assets lists the broker's assets for account.
func (s *Session) Assets(ctx context.Context, account int64) ([]Asset, error) {
	res := &openapi.ProtoOAAssetListRes{}
	err := s.call(ctx, account, false, func(string) proto.Message {
		return &openapi.ProtoOAAssetListReq{CtidTraderAccountId: proto.Int64(account)}
	}, res)
	if err != nil {
		return nil, err
	}
	out := make([]Asset, 0, len(res.GetAsset()))
	for _, a := range res.GetAsset() {
		out = append(out, Asset{ID: a.GetAssetId(), Name: a.GetName(), DisplayName: a.GetDisplayName(), Digits: a.GetDigits()})
	}
	return out, nil
}

// Symbol is a tradable symbol of the broker. Symbol ids are per broker.
type Symbol struct {
	ID           int64
	Name         string
	Description  string
	Enabled      bool
	BaseAssetID  int64
	QuoteAssetID int64
	CategoryID   int64
	// Digits is how many decimals prices are quoted with; PipPosition
	// where the pip is. Both come from the full symbol definition.
	Digits, PipPosition int32
	// LotSize, MinVolume, StepVolume and MaxVolume are in units of the
	// base asset (the wire's cents ÷ 100); zero when the server did not
	// say. An order's Volume is lots × LotSize.
	LotSize, MinVolume, StepVolume, MaxVolume decimal.Decimal
}

// symbolBatch bounds the ids asked for in one ProtoOASymbolByIdReq.
const symbolBatch = 500

// Symbols lists account's symbols with their digits: the light list, then
// the full definitions in batches for digits and pip position.
func (s *Session) Symbols(ctx context.Context, account int64) ([]Symbol, error) {
	res := &openapi.ProtoOASymbolsListRes{}
	err := s.call(ctx, account, false, func(string) proto.Message {
		return &openapi.ProtoOASymbolsListReq{CtidTraderAccountId: proto.Int64(account)}
	}, res)
	if err != nil {
		return nil, err
	}
	out := make([]Symbol, 0, len(res.GetSymbol()))
	index := make(map[int64]int, len(res.GetSymbol()))
	ids := make([]int64, 0, len(res.GetSymbol()))
	for _, ls := range res.GetSymbol() {
		index[ls.GetSymbolId()] = len(out)
		ids = append(ids, ls.GetSymbolId())
		out = append(out, Symbol{ID: ls.GetSymbolId(), Name: ls.GetSymbolName(), Description: ls.GetDescription(),
			Enabled: ls.GetEnabled(), BaseAssetID: ls.GetBaseAssetId(), QuoteAssetID: ls.GetQuoteAssetId(),
			CategoryID: ls.GetSymbolCategoryId()})
	}
	for batch := range slices.Chunk(ids, symbolBatch) {
		full := &openapi.ProtoOASymbolByIdRes{}
		err := s.call(ctx, account, false, func(string) proto.Message {
			return &openapi.ProtoOASymbolByIdReq{CtidTraderAccountId: proto.Int64(account), SymbolId: batch}
		}, full)
		if err != nil {
			return nil, err
		}
		for _, fs := range full.GetSymbol() {
			if i, ok := index[fs.GetSymbolId()]; ok {
				out[i].Digits, out[i].PipPosition = fs.GetDigits(), fs.GetPipPosition()
				out[i].LotSize, out[i].MinVolume = units(fs.GetLotSize()), units(fs.GetMinVolume())
				out[i].StepVolume, out[i].MaxVolume = units(fs.GetStepVolume()), units(fs.GetMaxVolume())
			}
		}
	}
	return out, nil
}
