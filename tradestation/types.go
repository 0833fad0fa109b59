package tradestation

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	"github.com/shopspring/decimal"
)

// Time is a TradeStation timestamp (RFC 3339). Blank values, which the API
// sends as "" or null or omits, decode to the zero Time.
type Time struct{ time.Time }

// UnmarshalJSON reads an RFC 3339 string, "" or null.
func (t *Time) UnmarshalJSON(b []byte) error {
	if bytes.Equal(b, []byte("null")) || bytes.Equal(b, []byte(`""`)) {
		t.Time = time.Time{}
		return nil
	}
	if len(b) < 2 || b[0] != '"' || b[len(b)-1] != '"' {
		return fmt.Errorf("tradestation: timestamp %.40s is not a JSON string", b)
	}
	v, err := time.Parse(time.RFC3339Nano, string(b[1:len(b)-1]))
	if err != nil {
		return fmt.Errorf("tradestation: timestamp %.40q is not RFC 3339", b[1:len(b)-1])
	}
	t.Time = v
	return nil
}

// MarshalJSON writes RFC 3339, or "" for the zero Time.
func (t Time) MarshalJSON() ([]byte, error) {
	if t.IsZero() {
		return []byte(`""`), nil
	}
	return json.Marshal(t.Time.Format(time.RFC3339Nano))
}

// Profile is the OpenID Connect profile of the logged-in user (scopes
// openid, profile, email).
type Profile struct {
	Subject       string `json:"sub"`
	Name          string `json:"name,omitempty"`
	Nickname      string `json:"nickname,omitempty"`
	GivenName     string `json:"given_name,omitempty"`
	FamilyName    string `json:"family_name,omitempty"`
	MiddleName    string `json:"middle_name,omitempty"`
	Picture       string `json:"picture,omitempty"`
	UpdatedAt     string `json:"updated_at,omitempty"`
	Email         string `json:"email,omitempty"`
	EmailVerified bool   `json:"email_verified,omitempty"`
}

// Account is a brokerage account (v3 GET /brokerage/accounts).
type Account struct {
	AccountID     string         `json:"AccountID"`
	Currency      string         `json:"Currency"`
	Status        string         `json:"Status"`
	AccountType   string         `json:"AccountType"` // Cash, Margin, Futures, DVP
	Alias         string         `json:"Alias,omitempty"`
	AltID         string         `json:"AltID,omitempty"`
	AccountDetail *AccountDetail `json:"AccountDetail,omitempty"`
}

// AccountDetail holds an account's trading permissions.
type AccountDetail struct {
	IsStockLocateEligible      bool `json:"IsStockLocateEligible"`
	EnrolledInRegTProgram      bool `json:"EnrolledInRegTProgram"`
	RequiresBuyingPowerWarning bool `json:"RequiresBuyingPowerWarning"`
	DayTradingQualified        bool `json:"DayTradingQualified"`
	OptionApprovalLevel        int  `json:"OptionApprovalLevel"`
	PatternDayTrader           bool `json:"PatternDayTrader"`
}

// Balance is an account's real-time balance (v3). Every amount is exact.
type Balance struct {
	AccountID        string           `json:"AccountID"`
	AccountType      string           `json:"AccountType"`
	CashBalance      decimal.Decimal  `json:"CashBalance"`
	BuyingPower      decimal.Decimal  `json:"BuyingPower"`
	Equity           decimal.Decimal  `json:"Equity"`
	MarketValue      decimal.Decimal  `json:"MarketValue"`
	TodaysProfitLoss decimal.Decimal  `json:"TodaysProfitLoss"`
	UnclearedDeposit decimal.Decimal  `json:"UnclearedDeposit"`
	Commission       decimal.Decimal  `json:"Commission"`
	BalanceDetail    *BalanceDetail   `json:"BalanceDetail,omitempty"`
	CurrencyDetails  []CurrencyDetail `json:"CurrencyDetails,omitempty"`
}

// BalanceDetail breaks a balance down.
type BalanceDetail struct {
	CostOfPositions          decimal.Decimal `json:"CostOfPositions"`
	DayTradeExcess           decimal.Decimal `json:"DayTradeExcess"`
	DayTradeMargin           decimal.Decimal `json:"DayTradeMargin"`
	DayTradeOpenOrderMargin  decimal.Decimal `json:"DayTradeOpenOrderMargin"`
	DayTrades                decimal.Decimal `json:"DayTrades"`
	InitialMargin            decimal.Decimal `json:"InitialMargin"`
	MaintenanceMargin        decimal.Decimal `json:"MaintenanceMargin"`
	MaintenanceRate          decimal.Decimal `json:"MaintenanceRate"`
	MarginRequirement        decimal.Decimal `json:"MarginRequirement"`
	OpenOrderMargin          decimal.Decimal `json:"OpenOrderMargin"`
	OptionBuyingPower        decimal.Decimal `json:"OptionBuyingPower"`
	OptionsMarketValue       decimal.Decimal `json:"OptionsMarketValue"`
	OvernightBuyingPower     decimal.Decimal `json:"OvernightBuyingPower"`
	RealizedProfitLoss       decimal.Decimal `json:"RealizedProfitLoss"`
	RequiredMargin           decimal.Decimal `json:"RequiredMargin"`
	SecurityOnDeposit        decimal.Decimal `json:"SecurityOnDeposit"`
	TodayRealTimeTradeEquity decimal.Decimal `json:"TodayRealTimeTradeEquity"`
	TradeEquity              decimal.Decimal `json:"TradeEquity"`
	UnrealizedProfitLoss     decimal.Decimal `json:"UnrealizedProfitLoss"`
	UnsettledFunds           decimal.Decimal `json:"UnsettledFunds"`
}

// CurrencyDetail is a futures account's balance in one currency.
type CurrencyDetail struct {
	Currency                 string          `json:"Currency"`
	Commission               decimal.Decimal `json:"Commission"`
	CashBalance              decimal.Decimal `json:"CashBalance"`
	RealizedProfitLoss       decimal.Decimal `json:"RealizedProfitLoss"`
	UnrealizedProfitLoss     decimal.Decimal `json:"UnrealizedProfitLoss"`
	InitialMargin            decimal.Decimal `json:"InitialMargin"`
	MaintenanceMargin        decimal.Decimal `json:"MaintenanceMargin"`
	AccountConversionRate    decimal.Decimal `json:"AccountConversionRate"`
	AccountMarginRequirement decimal.Decimal `json:"AccountMarginRequirement"`
}

// Position is an open position (v3). Quantities and amounts are exact.
type Position struct {
	AccountID                   string          `json:"AccountID"`
	AssetType                   string          `json:"AssetType"` // STOCK, STOCKOPTION, FUTURE, INDEXOPTION
	AveragePrice                decimal.Decimal `json:"AveragePrice"`
	Bid                         decimal.Decimal `json:"Bid"`
	Ask                         decimal.Decimal `json:"Ask"`
	Last                        decimal.Decimal `json:"Last"`
	ConversionRate              decimal.Decimal `json:"ConversionRate"`
	DayTradeRequirement         decimal.Decimal `json:"DayTradeRequirement"`
	ExpirationDate              Time            `json:"ExpirationDate,omitzero"`
	InitialRequirement          decimal.Decimal `json:"InitialRequirement"`
	MaintenanceMargin           decimal.Decimal `json:"MaintenanceMargin"`
	LongShort                   string          `json:"LongShort"` // Long, Short
	MarkToMarketPrice           decimal.Decimal `json:"MarkToMarketPrice"`
	MarketValue                 decimal.Decimal `json:"MarketValue"`
	PositionID                  string          `json:"PositionID"`
	Quantity                    decimal.Decimal `json:"Quantity"`
	Symbol                      string          `json:"Symbol"`
	Timestamp                   Time            `json:"Timestamp"`
	TodaysProfitLoss            decimal.Decimal `json:"TodaysProfitLoss"`
	TotalCost                   decimal.Decimal `json:"TotalCost"`
	UnrealizedProfitLoss        decimal.Decimal `json:"UnrealizedProfitLoss"`
	UnrealizedProfitLossPercent decimal.Decimal `json:"UnrealizedProfitLossPercent"`
	UnrealizedProfitLossQty     decimal.Decimal `json:"UnrealizedProfitLossQty"`
}

// Quote is a v3 quote snapshot. TradeStation sends every number as a JSON
// string; here they are exact decimals.
type Quote struct {
	Symbol              string          `json:"Symbol"`
	Open                decimal.Decimal `json:"Open"`
	High                decimal.Decimal `json:"High"`
	Low                 decimal.Decimal `json:"Low"`
	PreviousClose       decimal.Decimal `json:"PreviousClose"`
	Last                decimal.Decimal `json:"Last"`
	Ask                 decimal.Decimal `json:"Ask"`
	AskSize             decimal.Decimal `json:"AskSize"`
	Bid                 decimal.Decimal `json:"Bid"`
	BidSize             decimal.Decimal `json:"BidSize"`
	NetChange           decimal.Decimal `json:"NetChange"`
	NetChangePct        decimal.Decimal `json:"NetChangePct"`
	High52Week          decimal.Decimal `json:"High52Week"`
	High52WeekTimestamp Time            `json:"High52WeekTimestamp"`
	Low52Week           decimal.Decimal `json:"Low52Week"`
	Low52WeekTimestamp  Time            `json:"Low52WeekTimestamp"`
	Volume              decimal.Decimal `json:"Volume"`
	PreviousVolume      decimal.Decimal `json:"PreviousVolume"`
	Close               decimal.Decimal `json:"Close"`
	DailyOpenInterest   decimal.Decimal `json:"DailyOpenInterest"`
	TradeTime           Time            `json:"TradeTime"`
	TickSizeTier        decimal.Decimal `json:"TickSizeTier"`
	MarketFlags         MarketFlags     `json:"MarketFlags"`
	LastSize            decimal.Decimal `json:"LastSize"`
	LastVenue           string          `json:"LastVenue"`
	VWAP                decimal.Decimal `json:"VWAP"`
	MinPrice            decimal.Decimal `json:"MinPrice,omitzero"`
	MaxPrice            decimal.Decimal `json:"MaxPrice,omitzero"`
	FirstNoticeDate     Time            `json:"FirstNoticeDate,omitzero"`
	LastTradingDate     Time            `json:"LastTradingDate,omitzero"`
	Restrictions        []string        `json:"Restrictions,omitempty"`
}

// MarketFlags are a quote's booleans.
type MarketFlags struct {
	IsDelayed      bool `json:"IsDelayed"`
	IsHardToBorrow bool `json:"IsHardToBorrow"`
	IsBats         bool `json:"IsBats"`
	IsHalted       bool `json:"IsHalted"`
}

// itemError is one failed item of a multi-symbol or multi-account v3 call
// that otherwise succeeded (Errors[]). Symbol or AccountID names the item.
type itemError struct {
	Symbol    string `json:"Symbol,omitempty"`
	AccountID string `json:"AccountID,omitempty"`
	Error     string `json:"Error"`
	Message   string `json:"Message,omitempty"`
}

// addTo records e in failed under its item, with the reason TradeStation
// gave.
func (e itemError) addTo(failed map[string]string) {
	id := e.Symbol
	if id == "" {
		id = e.AccountID
	}
	reason := e.Error
	if e.Message != "" {
		reason += ": " + e.Message
	}
	failed[id] = reason
}

// V2Account is an account listed by WebAPI v2 GET /users/{userid}/accounts.
type V2Account struct {
	Key                   json.Number `json:"Key"`
	Name                  string      `json:"Name"`
	Type                  string      `json:"Type"` // C, M, F, D
	TypeDescription       string      `json:"TypeDescription"`
	Alias                 string      `json:"Alias,omitempty"`
	AltID                 string      `json:"AltId,omitempty"`
	DisplayName           string      `json:"DisplayName"`
	Status                string      `json:"Status"`
	StatusDescription     string      `json:"StatusDescription"`
	IsStockLocateEligible bool        `json:"IsStockLocateEligible"`
}

// V2Quote is a WebAPI v2 quote. v2 sends JSON numbers; they are decoded
// from their text into exact decimals, never through float64.
type V2Quote struct {
	Symbol            string          `json:"Symbol"`
	SymbolRoot        string          `json:"SymbolRoot"`
	Description       string          `json:"Description"`
	AssetType         string          `json:"AssetType"`
	Exchange          string          `json:"Exchange"`
	CountryCode       string          `json:"CountryCode"`
	Currency          string          `json:"Currency"`
	DisplayType       int             `json:"DisplayType"`
	Error             *string         `json:"Error"`
	Ask               decimal.Decimal `json:"Ask"`
	AskPriceDisplay   string          `json:"AskPriceDisplay"`
	AskSize           decimal.Decimal `json:"AskSize"`
	Bid               decimal.Decimal `json:"Bid"`
	BidPriceDisplay   string          `json:"BidPriceDisplay"`
	BidSize           decimal.Decimal `json:"BidSize"`
	Last              decimal.Decimal `json:"Last"`
	LastPriceDisplay  string          `json:"LastPriceDisplay"`
	LastSize          decimal.Decimal `json:"LastSize"`
	LastVenue         string          `json:"LastVenue"`
	Open              decimal.Decimal `json:"Open"`
	High              decimal.Decimal `json:"High"`
	Low               decimal.Decimal `json:"Low"`
	Close             decimal.Decimal `json:"Close"`
	PreviousClose     decimal.Decimal `json:"PreviousClose"`
	High52Week        decimal.Decimal `json:"High52Week"`
	Low52Week         decimal.Decimal `json:"Low52Week"`
	NetChange         decimal.Decimal `json:"NetChange"`
	NetChangePct      decimal.Decimal `json:"NetChangePct"`
	Volume            decimal.Decimal `json:"Volume"`
	PreviousVolume    decimal.Decimal `json:"PreviousVolume"`
	DailyOpenInterest decimal.Decimal `json:"DailyOpenInterest"`
	VWAP              decimal.Decimal `json:"VWAP"`
	MinMove           decimal.Decimal `json:"MinMove"`
	PointValue        decimal.Decimal `json:"PointValue"`
	StrikePrice       decimal.Decimal `json:"StrikePrice"`
	FractionalDisplay bool            `json:"FractionalDisplay"`
	Halted            bool            `json:"Halted"`
	IsDelayed         bool            `json:"IsDelayed"`
	NameExt           string          `json:"NameExt"`
	TradeTime         string          `json:"TradeTime"`
	Underlying        string          `json:"Underlying"`
	Restrictions      []string        `json:"Restrictions"`
}

// V2Symbol is a WebAPI v2 symbol suggestion or search result.
type V2Symbol struct {
	Name           string          `json:"Name"`
	Description    string          `json:"Description"`
	Category       string          `json:"Category"`
	Country        string          `json:"Country"`
	Currency       string          `json:"Currency"`
	Exchange       string          `json:"Exchange"`
	ExchangeID     int             `json:"ExchangeID"`
	DisplayType    int             `json:"DisplayType"`
	Error          *string         `json:"Error"`
	ExpirationDate string          `json:"ExpirationDate"`
	ExpirationType string          `json:"ExpirationType"`
	FutureType     string          `json:"FutureType"`
	OptionType     string          `json:"OptionType"`
	MinMove        decimal.Decimal `json:"MinMove"`
	PointValue     decimal.Decimal `json:"PointValue"`
	StrikePrice    decimal.Decimal `json:"StrikePrice"`
	Root           string          `json:"Root"`
	Underlying     string          `json:"Underlying,omitempty"`
}
