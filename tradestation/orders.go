package tradestation

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/brokerkit/brokerkit/internal/rest"
)

// OrdersService places, previews, replaces and cancels orders and reads
// them back (API v3: order execution needs scope Trade, reading orders
// ReadAccount). Placing is never retried: a POST whose answer is lost
// must not place a second order.
type OrdersService service

// Limits of the v3 order calls.
const (
	maxOrderIDsPerCall = 50
	maxOrdersPageSize  = 600
)

// TimeInForce is an order's duration (DAY, DYP, GTC, GCP, GTD, GDP, OPG,
// CLO, IOC, FOK, 1, 3, 5) and, for GTD, its expiration.
type TimeInForce struct {
	Duration   string `json:"Duration"`
	Expiration string `json:"Expiration,omitempty"`
}

// TrailingStop is a trailing offset: an amount or a percentage, never
// both.
type TrailingStop struct {
	Amount  decimal.Decimal `json:"Amount,omitzero"`
	Percent decimal.Decimal `json:"Percent,omitzero"`
}

// MarketActivationRule places an order once a symbol's price crosses
// Price (Predicate Lt, Lte, Gt, Gte) as counted by TriggerKey (see
// OrdersService.ActivationTriggers).
type MarketActivationRule struct {
	RuleType      string          `json:"RuleType"` // Price
	Symbol        string          `json:"Symbol"`
	Predicate     string          `json:"Predicate"`
	TriggerKey    string          `json:"TriggerKey"`
	Price         decimal.Decimal `json:"Price"`
	LogicOperator string          `json:"LogicOperator,omitempty"` // And, Or
}

// TimeActivationRule places an order at a time of day (the date part is
// ignored).
type TimeActivationRule struct {
	TimeUtc Time `json:"TimeUtc"`
}

// AdvancedOptions are an order's optional instructions.
type AdvancedOptions struct {
	AddLiquidity          bool                   `json:"AddLiquidity,omitempty"`
	AllOrNone             bool                   `json:"AllOrNone,omitempty"`
	BookOnly              bool                   `json:"BookOnly,omitempty"`
	DiscretionaryPrice    decimal.Decimal        `json:"DiscretionaryPrice,omitzero"`
	MarketActivationRules []MarketActivationRule `json:"MarketActivationRules,omitempty"`
	NonDisplay            bool                   `json:"NonDisplay,omitempty"`
	PegValue              string                 `json:"PegValue,omitempty"` // BEST, MID
	ShowOnlyQuantity      decimal.Decimal        `json:"ShowOnlyQuantity,omitzero"`
	TimeActivationRules   []TimeActivationRule   `json:"TimeActivationRules,omitempty"`
	TrailingStop          *TrailingStop          `json:"TrailingStop,omitempty"`
}

// OrderLegRequest is one leg of a multi-leg (option spread) order.
type OrderLegRequest struct {
	Symbol      string          `json:"Symbol"`
	Quantity    decimal.Decimal `json:"Quantity"`
	TradeAction string          `json:"TradeAction"`
}

// OrderRequest is an order to place or confirm. AccountID, Symbol,
// Quantity, OrderType (Market, Limit, StopMarket, StopLimit), TradeAction
// (BUY, SELL, BUYTOCOVER, SELLSHORT, BUYTOOPEN, ...) and
// TimeInForce.Duration are required; LimitPrice for Limit and StopLimit,
// StopPrice for StopMarket and StopLimit. Prices and quantities are exact
// and sent as the strings TradeStation expects.
type OrderRequest struct {
	AccountID          string            `json:"AccountID"`
	Symbol             string            `json:"Symbol"`
	Quantity           decimal.Decimal   `json:"Quantity"`
	OrderType          string            `json:"OrderType"`
	TradeAction        string            `json:"TradeAction"`
	TimeInForce        TimeInForce       `json:"TimeInForce"`
	LimitPrice         decimal.Decimal   `json:"LimitPrice,omitzero"`
	StopPrice          decimal.Decimal   `json:"StopPrice,omitzero"`
	Route              string            `json:"Route,omitempty"`
	OrderConfirmID     string            `json:"OrderConfirmID,omitempty"`
	BuyingPowerWarning string            `json:"BuyingPowerWarning,omitempty"`
	AdvancedOptions    *AdvancedOptions  `json:"AdvancedOptions,omitempty"`
	Legs               []OrderLegRequest `json:"Legs,omitempty"`
	OSOs               []OrderGroup      `json:"OSOs,omitempty"`
}

// OrderGroup is a group of orders placed together: Type OCO (one
// cancels the others when it fills), BRK (a bracket of exits) or NORMAL.
// As an OrderRequest's OSOs, the group is sent once its parent fills.
type OrderGroup struct {
	Type   string         `json:"Type"`
	Orders []OrderRequest `json:"Orders"`
}

// OrderReplace holds the fields of an open order to change; at least one
// is required. OrderType can only become "Market".
type OrderReplace struct {
	Quantity        decimal.Decimal  `json:"Quantity,omitzero"`
	LimitPrice      decimal.Decimal  `json:"LimitPrice,omitzero"`
	StopPrice       decimal.Decimal  `json:"StopPrice,omitzero"`
	OrderType       string           `json:"OrderType,omitempty"`
	AdvancedOptions *AdvancedOptions `json:"AdvancedOptions,omitempty"`
}

// OrderResult is TradeStation's answer for one order sent, replaced or
// cancelled: its ID and a message ("Sent order: Buy 10 MSFT @ Market").
type OrderResult struct {
	OrderID string `json:"OrderID"`
	Message string `json:"Message"`
}

// OrderConfirmation is the preview of an order: estimated price, cost and
// commission, and a summary, without placing it.
type OrderConfirmation struct {
	AccountID                string            `json:"AccountID"`
	AccountCurrency          string            `json:"AccountCurrency,omitempty"`
	BaseCurrency             string            `json:"BaseCurrency,omitempty"`
	CounterCurrency          string            `json:"CounterCurrency,omitempty"`
	Currency                 string            `json:"Currency"`
	DisplayName              string            `json:"DisplayName,omitempty"`
	OrderAssetCategory       string            `json:"OrderAssetCategory"`
	OrderConfirmID           string            `json:"OrderConfirmID"`
	Route                    string            `json:"Route"`
	TimeInForce              TimeInForce       `json:"TimeInForce"`
	EstimatedPrice           decimal.Decimal   `json:"EstimatedPrice"`
	EstimatedCost            decimal.Decimal   `json:"EstimatedCost"`
	DebitCreditEstimatedCost decimal.Decimal   `json:"DebitCreditEstimatedCost"`
	EstimatedCommission      decimal.Decimal   `json:"EstimatedCommission"`
	InitialMarginDisplay     string            `json:"InitialMarginDisplay,omitempty"`
	LimitPrice               decimal.Decimal   `json:"LimitPrice,omitzero"`
	StopPrice                decimal.Decimal   `json:"StopPrice,omitzero"`
	SummaryMessage           string            `json:"SummaryMessage"`
	Legs                     []OrderLegRequest `json:"Legs,omitempty"`
}

// Order is an order as TradeStation reports it (GET .../orders,
// .../historicalorders). Status is the three-letter code (OPN, ACK, FLL,
// CAN, REJ, ...); Open, Filled, Canceled and Rejected classify it.
type Order struct {
	AccountID               string                 `json:"AccountID"`
	OrderID                 string                 `json:"OrderID"`
	OrderType               string                 `json:"OrderType"`
	Status                  string                 `json:"Status"`
	StatusDescription       string                 `json:"StatusDescription"`
	Duration                string                 `json:"Duration"`
	GoodTillDate            Time                   `json:"GoodTillDate,omitzero"`
	OpenedDateTime          Time                   `json:"OpenedDateTime,omitzero"`
	ClosedDateTime          Time                   `json:"ClosedDateTime,omitzero"`
	Currency                string                 `json:"Currency"`
	CommissionFee           decimal.Decimal        `json:"CommissionFee"`
	ConversionRate          decimal.Decimal        `json:"ConversionRate,omitzero"`
	FilledPrice             decimal.Decimal        `json:"FilledPrice,omitzero"`
	LimitPrice              decimal.Decimal        `json:"LimitPrice,omitzero"`
	StopPrice               decimal.Decimal        `json:"StopPrice,omitzero"`
	PriceUsedForBuyingPower decimal.Decimal        `json:"PriceUsedForBuyingPower,omitzero"`
	UnbundledRouteFee       decimal.Decimal        `json:"UnbundledRouteFee,omitzero"`
	Routing                 string                 `json:"Routing"`
	RejectReason            string                 `json:"RejectReason,omitempty"`
	GroupName               string                 `json:"GroupName,omitempty"`
	AdvancedOptions         string                 `json:"AdvancedOptions,omitempty"`
	ConditionalOrders       []OrderRelationship    `json:"ConditionalOrders,omitempty"`
	Legs                    []OrderLeg             `json:"Legs"`
	MarketActivationRules   []MarketActivationRule `json:"MarketActivationRules,omitempty"`
	TimeActivationRules     []TimeActivationRule   `json:"TimeActivationRules,omitempty"`
	TrailingStop            *TrailingStop          `json:"TrailingStop,omitempty"`
}

// Order status classes (TradeStation's own grouping of the codes).
var (
	orderCanceled = []string{"CAN", "EXP", "OUT", "RJR", "SCN", "TSC", "UCH"}
	orderFilled   = []string{"FLL", "FLP"}
)

// Filled reports whether the order is filled (FLL, FLP).
func (o Order) Filled() bool { return slices.Contains(orderFilled, o.Status) }

// Canceled reports whether the order was cancelled, expired or replaced.
func (o Order) Canceled() bool { return slices.Contains(orderCanceled, o.Status) }

// Rejected reports whether the order was rejected (REJ).
func (o Order) Rejected() bool { return o.Status == "REJ" }

// Open reports whether the order is still working: neither filled,
// cancelled nor rejected.
func (o Order) Open() bool { return !o.Filled() && !o.Canceled() && !o.Rejected() }

// OrderRelationship links an order to another of its group (BRK, OSP
// parent, OSO child, OCO).
type OrderRelationship struct {
	OrderID      string `json:"OrderID"`
	Relationship string `json:"Relationship"`
}

// OrderLeg is one leg of a reported order.
type OrderLeg struct {
	AssetType         string          `json:"AssetType"`
	BuyOrSell         string          `json:"BuyOrSell"` // Buy, Sell, SellShort, BuyToCover
	OpenOrClose       string          `json:"OpenOrClose"`
	Symbol            string          `json:"Symbol"`
	Underlying        string          `json:"Underlying,omitempty"`
	QuantityOrdered   decimal.Decimal `json:"QuantityOrdered"`
	ExecQuantity      decimal.Decimal `json:"ExecQuantity"`
	QuantityRemaining decimal.Decimal `json:"QuantityRemaining"`
	ExecutionPrice    decimal.Decimal `json:"ExecutionPrice,omitzero"`
	ExpirationDate    Time            `json:"ExpirationDate,omitzero"`
	OptionType        string          `json:"OptionType,omitempty"` // CALL, PUT
	StrikePrice       decimal.Decimal `json:"StrikePrice,omitzero"`
}

// Route is an order route (Id goes into OrderRequest.Route).
type Route struct {
	ID         string   `json:"Id"`
	Name       string   `json:"Name"`
	AssetTypes []string `json:"AssetTypes"`
}

// ActivationTrigger is a tick pattern a MarketActivationRule can use.
type ActivationTrigger struct {
	Key         string `json:"Key"`
	Name        string `json:"Name"`
	Description string `json:"Description"`
}

// Page is one page of a paged list (Orders.List, Orders.History); Next
// follows TradeStation's nextToken, All walks every page.
type Page[T any] = rest.Page[T]

// orderResponses is the answer to placing orders: Orders sent, Errors
// for those refused.
type orderResponses struct {
	Orders []OrderResult `json:"Orders"`
	Errors []struct {
		OrderID string `json:"OrderID"`
		Error   string `json:"Error"`
		Message string `json:"Message"`
	} `json:"Errors"`
}

// results returns the orders sent and a *PartialError naming each refused
// order (by its ID, or its position when it has none) with TradeStation's
// reason.
func (r *orderResponses) results() ([]OrderResult, error) {
	failed := map[string]string{}
	for i, e := range r.Errors {
		id := e.OrderID
		if id == "" {
			id = "order " + strconv.Itoa(i+1)
		}
		reason := e.Error
		if e.Message != "" {
			reason += ": " + e.Message
		}
		failed[id] = reason
	}
	return r.Orders, rest.NewPartialError(Name, failed)
}

// send is the request path of every order-execution call: check, the
// token's audience, then one attempt (POST is never retried; a PUT or
// DELETE is not marked idempotent either, since a replayed replace or
// cancel can act on a newer state).
func (c *Client) send(ctx context.Context, method, path string, body, out any) error {
	if _, err := c.token(ctx, tradingOnly...); err != nil {
		return err
	}
	_, err := c.v3.Do(ctx, rest.Request{Method: method, Path: path, Body: body}, out)
	return err
}

// Place sends an order (with its OSOs, if any). It returns the orders
// TradeStation accepted; those it refused (insufficient buying power, a
// price out of bounds) are named in a *PartialError returned beside them.
// An order refused as a whole is an *Error matching ErrBadRequest.
func (s *OrdersService) Place(ctx context.Context, o *OrderRequest) ([]OrderResult, error) {
	if err := checkOrder(o, "place"); err != nil {
		return nil, err
	}
	var out orderResponses
	if err := s.c.send(ctx, http.MethodPost, "orderexecution/orders", o, &out); err != nil {
		return nil, err
	}
	return out.results()
}

// Confirm previews an order without placing it: estimated price, cost and
// commission.
func (s *OrdersService) Confirm(ctx context.Context, o *OrderRequest) ([]OrderConfirmation, error) {
	if err := checkOrder(o, "confirm"); err != nil {
		return nil, err
	}
	var out struct {
		Confirmations []OrderConfirmation `json:"Confirmations"`
	}
	if err := s.c.send(ctx, http.MethodPost, "orderexecution/orderconfirm", o, &out); err != nil {
		return nil, err
	}
	return out.Confirmations, nil
}

// PlaceGroup sends a group of orders: OCO (when one fills the others are
// cancelled), BRK (a bracket) or NORMAL. Refused members are named in a
// *PartialError beside the accepted ones.
func (s *OrdersService) PlaceGroup(ctx context.Context, g *OrderGroup) ([]OrderResult, error) {
	if err := checkGroup(g, "place group"); err != nil {
		return nil, err
	}
	var out orderResponses
	if err := s.c.send(ctx, http.MethodPost, "orderexecution/ordergroups", g, &out); err != nil {
		return nil, err
	}
	return out.results()
}

// ConfirmGroup previews a group of orders without placing them.
func (s *OrdersService) ConfirmGroup(ctx context.Context, g *OrderGroup) ([]OrderConfirmation, error) {
	if err := checkGroup(g, "confirm group"); err != nil {
		return nil, err
	}
	var out struct {
		Confirmations []OrderConfirmation `json:"Confirmations"`
	}
	if err := s.c.send(ctx, http.MethodPost, "orderexecution/ordergroupconfirm", g, &out); err != nil {
		return nil, err
	}
	return out.Confirmations, nil
}

// Replace changes an open order (cancel/replace; the order keeps its ID).
func (s *OrdersService) Replace(ctx context.Context, orderID string, r *OrderReplace) (*OrderResult, error) {
	if err := checkOrderID(orderID, "replace"); err != nil {
		return nil, err
	}
	if r == nil || (r.Quantity.IsZero() && r.LimitPrice.IsZero() && r.StopPrice.IsZero() && r.OrderType == "" &&
		r.AdvancedOptions == nil) {
		return nil, rest.Invalid(Name, "replace: nothing to change")
	}
	if r.OrderType != "" && r.OrderType != "Market" {
		return nil, rest.Invalid(Name, "replace: an order type can only become Market, not %.20q", r.OrderType)
	}
	if r.Quantity.IsNegative() || r.LimitPrice.IsNegative() || r.StopPrice.IsNegative() {
		return nil, rest.Invalid(Name, "replace: quantity and prices must not be negative")
	}
	var out OrderResult
	if err := s.c.send(ctx, http.MethodPut, rest.Pathf("orderexecution/orders/%s", orderID), r, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Cancel asks TradeStation to cancel an open order.
func (s *OrdersService) Cancel(ctx context.Context, orderID string) (*OrderResult, error) {
	if err := checkOrderID(orderID, "cancel"); err != nil {
		return nil, err
	}
	var out OrderResult
	if err := s.c.send(ctx, http.MethodDelete, rest.Pathf("orderexecution/orders/%s", orderID), nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// OrdersOptions page Orders.List and Orders.History.
type OrdersOptions struct {
	// PageSize is the number of orders per page (1 to 600); zero asks for
	// one unpaged answer of at most 600 orders.
	PageSize int
}

// HistoryOptions select Orders.History.
type HistoryOptions struct {
	// Since is the first day of the history (TradeStation accepts at most
	// 90 days back); required.
	Since string
	// PageSize is the number of orders per page (1 to 600); zero asks for
	// one unpaged answer of at most 600 orders.
	PageSize int
}

// ordersQuery is the wire query of the order lists.
type ordersQuery struct {
	Since     string `url:"since,omitempty"`
	PageSize  int    `url:"pageSize,omitempty"`
	NextToken string `url:"nextToken,omitempty"`
}

// ordersAnswer is the answer of the order lists.
type ordersAnswer struct {
	Orders    []Order      `json:"Orders"`
	Errors    []orderError `json:"Errors"`
	NextToken string       `json:"NextToken"`
}

// orderError is one failed item of an order read: an order ID (by-ID
// reads) or account IDs.
type orderError struct {
	AccountID string `json:"AccountID"`
	OrderID   string `json:"OrderID"`
	Error     string `json:"Error"`
	Message   string `json:"Message"`
}

// addTo records e in failed under its order ID, or its account IDs.
func (e orderError) addTo(failed map[string]string) {
	itemError{Symbol: e.OrderID, AccountID: e.AccountID, Error: e.Error, Message: e.Message}.addTo(failed)
}

// List returns today's orders and the open ones of an account, one page
// at a time: the returned page's Next follows TradeStation's nextToken.
// opts may be nil. When TradeStation cannot report on the account, the
// error is a *PartialError naming it, returned beside the page.
func (s *OrdersService) List(ctx context.Context, accountID string, opts *OrdersOptions) (*Page[Order], error) {
	q := ordersQuery{}
	if opts != nil {
		q.PageSize = opts.PageSize
	}
	return s.list(ctx, accountID, "orders", q)
}

// History returns the account's orders since opts.Since (a date as
// 2006-01-02), one page at a time, following nextToken like List.
func (s *OrdersService) History(ctx context.Context, accountID string, opts *HistoryOptions) (*Page[Order], error) {
	if opts == nil || opts.Since == "" {
		return nil, rest.Invalid(Name, "historicalorders: Since is required")
	}
	if strings.ContainsAny(opts.Since, "?#&") || len(opts.Since) > 32 {
		return nil, rest.Invalid(Name, "historicalorders: Since %.32q is not a date", opts.Since)
	}
	return s.list(ctx, accountID, "historicalorders", ordersQuery{Since: opts.Since, PageSize: opts.PageSize})
}

func (s *OrdersService) list(ctx context.Context, accountID, what string, q ordersQuery) (*Page[Order], error) {
	if q.PageSize < 0 || q.PageSize > maxOrdersPageSize {
		return nil, rest.Invalid(Name, "%s: page size %d is not within 1 to %d", what, q.PageSize, maxOrdersPageSize)
	}
	if err := checkAccountIDs([]string{accountID}, what); err != nil {
		return nil, err
	}
	path := rest.Pathf("brokerage/accounts/%s/", accountID) + what
	var fetch func(ctx context.Context, token string) (*Page[Order], error)
	fetch = func(ctx context.Context, token string) (*Page[Order], error) {
		qq := q
		qq.NextToken = token
		var out ordersAnswer
		if err := s.c.get(ctx, s.c.v3, tradingOnly, path, qq, &out); err != nil {
			return nil, err
		}
		failed := map[string]string{}
		for _, e := range out.Errors {
			e.addTo(failed)
		}
		var next func(context.Context) (*Page[Order], error)
		if out.NextToken != "" && out.NextToken != token {
			tok := out.NextToken
			next = func(ctx context.Context) (*Page[Order], error) { return fetch(ctx, tok) }
		}
		return rest.NewPage(out.Orders, -1, next), rest.NewPartialError(Name, failed)
	}
	return fetch(ctx, "")
}

// Get returns orders of an account by ID (at most 50). IDs TradeStation
// does not know for the account are named in a *PartialError returned
// beside the others.
func (s *OrdersService) Get(ctx context.Context, accountID string, orderIDs ...string) ([]Order, error) {
	if err := checkAccountIDs([]string{accountID}, "orders"); err != nil {
		return nil, err
	}
	if len(orderIDs) == 0 || len(orderIDs) > maxOrderIDsPerCall {
		return nil, rest.Invalid(Name, "orders: give 1 to %d order IDs, not %d", maxOrderIDsPerCall, len(orderIDs))
	}
	for _, id := range orderIDs {
		if err := checkOrderID(id, "orders"); err != nil {
			return nil, err
		}
	}
	var out ordersAnswer
	path := rest.Pathf("brokerage/accounts/%s/orders/%s", accountID, rest.List(orderIDs))
	if err := s.c.get(ctx, s.c.v3, tradingOnly, path, nil, &out); err != nil {
		return nil, err
	}
	failed := map[string]string{}
	for _, e := range out.Errors {
		e.addTo(failed)
	}
	return out.Orders, rest.NewPartialError(Name, failed)
}

// Routes lists the routes an order may name.
func (s *OrdersService) Routes(ctx context.Context) ([]Route, error) {
	var out struct {
		Routes []Route `json:"Routes"`
	}
	if err := s.c.get(ctx, s.c.v3, tradingOnly, "orderexecution/routes", nil, &out); err != nil {
		return nil, err
	}
	return out.Routes, nil
}

// ActivationTriggers lists the trigger keys a MarketActivationRule may
// use.
func (s *OrdersService) ActivationTriggers(ctx context.Context) ([]ActivationTrigger, error) {
	var out struct {
		ActivationTriggers []ActivationTrigger `json:"ActivationTriggers"`
	}
	if err := s.c.get(ctx, s.c.v3, tradingOnly, "orderexecution/activationtriggers", nil, &out); err != nil {
		return nil, err
	}
	return out.ActivationTriggers, nil
}

// checkOrderID refuses an order ID that is not TradeStation's form: digits
// only (no dashes).
func checkOrderID(id, what string) error {
	if id == "" || len(id) > 32 || strings.ContainsFunc(id, func(r rune) bool { return r < '0' || r > '9' }) {
		return rest.Invalid(Name, "%s: order ID %.32q is not valid (digits only)", what, id)
	}
	return nil
}

// checkAccountIDs is eachBatch's validation without the batching.
func checkAccountIDs(ids []string, what string) error {
	return eachBatch(ids, what, func(string) error { return nil })
}

// orderTypes are the v3 order types.
var orderTypes = []string{"Market", "Limit", "StopMarket", "StopLimit"}

// checkOrder refuses an order missing what TradeStation requires, before
// anything is sent.
func checkOrder(o *OrderRequest, what string) error {
	if o == nil {
		return rest.Invalid(Name, "%s: no order given", what)
	}
	fail := func(format string, args ...any) error {
		return rest.Invalid(Name, "%s: %s", what, fmt.Sprintf(format, args...))
	}
	if err := checkAccountIDs([]string{o.AccountID}, what); err != nil {
		return err
	}
	if len(o.Legs) == 0 {
		if err := checkSymbols([]string{o.Symbol}); err != nil {
			return err
		}
		if !o.Quantity.IsPositive() {
			return fail("quantity must be positive")
		}
		if o.TradeAction == "" {
			return fail("TradeAction is required")
		}
	}
	for _, l := range o.Legs {
		if err := checkSymbols([]string{l.Symbol}); err != nil {
			return err
		}
		if !l.Quantity.IsPositive() || l.TradeAction == "" {
			return fail("every leg needs a positive quantity and a TradeAction")
		}
	}
	if !slices.Contains(orderTypes, o.OrderType) {
		return fail("OrderType %.20q is not one of %s", o.OrderType, strings.Join(orderTypes, ", "))
	}
	if o.TimeInForce.Duration == "" {
		return fail("TimeInForce.Duration is required")
	}
	needLimit := o.OrderType == "Limit" || o.OrderType == "StopLimit"
	needStop := o.OrderType == "StopMarket" || o.OrderType == "StopLimit"
	trailing := o.AdvancedOptions != nil && o.AdvancedOptions.TrailingStop != nil
	switch {
	case needLimit && !o.LimitPrice.IsPositive():
		return fail("a %s order needs a positive LimitPrice", o.OrderType)
	case needStop && !trailing && !o.StopPrice.IsPositive():
		return fail("a %s order needs a positive StopPrice", o.OrderType)
	case !needLimit && !o.LimitPrice.IsZero():
		return fail("a %s order takes no LimitPrice", o.OrderType)
	case !needStop && !o.StopPrice.IsZero():
		return fail("a %s order takes no StopPrice", o.OrderType)
	}
	if len(o.OrderConfirmID) > 22 {
		return fail("OrderConfirmID is longer than 22 characters")
	}
	for i := range o.OSOs {
		if err := checkGroup(&o.OSOs[i], what+" OSO"); err != nil {
			return err
		}
	}
	return nil
}

// groupTypes are the order-group types.
var groupTypes = []string{"OCO", "BRK", "NORMAL"}

func checkGroup(g *OrderGroup, what string) error {
	if g == nil || len(g.Orders) == 0 {
		return rest.Invalid(Name, "%s: no orders given", what)
	}
	if !slices.Contains(groupTypes, g.Type) {
		return rest.Invalid(Name, "%s: group type %.20q is not one of %s", what, g.Type, strings.Join(groupTypes, ", "))
	}
	for i := range g.Orders {
		if err := checkOrder(&g.Orders[i], what); err != nil {
			return err
		}
	}
	return nil
}
