package just2trade

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/internal/rest"
)

const api = "https://api.just2trade.com"

func newMockClient(t *testing.T, opts ...Option) (*Client, *httpmock.MockTransport) {
	t.Helper()
	hc, mt := mockClient()
	// No retry waits in tests.
	opts = append([]Option{WithRetry(rest.RetryPolicy{MaxAttempts: 1})}, opts...)
	c := NewClient(hc, opts...)
	require.NoError(t, c.err)
	return c, mt
}

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

// jsonResponder answers with a fixture after running check on the request.
func jsonResponder(t *testing.T, status int, name string, check func(r *http.Request)) httpmock.Responder {
	return func(r *http.Request) (*http.Response, error) {
		if check != nil {
			check(r)
		}
		resp := httpmock.NewStringResponse(status, fixture(t, name))
		resp.Header.Set("Content-Type", "application/json; charset=utf-8")
		return resp, nil
	}
}

func bodyOf(t *testing.T, r *http.Request) any {
	t.Helper()
	assert.Equal(t, "application/json", r.Header.Get("Content-Type"))
	b, err := io.ReadAll(r.Body)
	require.NoError(t, err)
	var v any
	require.NoError(t, json.Unmarshal(b, &v), string(b))
	return v
}

func TestProfileShapes(t *testing.T) {
	for _, name := range []string{"profile_userinfo.json", "profile_userinfo_2017.json", "profile_auth_2017.json"} {
		t.Run(name, func(t *testing.T) {
			c, mt := newMockClient(t)
			mt.RegisterResponder(http.MethodGet, api+"/userinfo", jsonResponder(t, 200, name, func(r *http.Request) {
				assert.Equal(t, "application/json", r.Header.Get("Accept"))
			}))
			p, err := c.Profile.Get(context.Background())
			require.NoError(t, err)
			assert.Equal(t, "8f1e7eba-0000-0000-0000-2b67c9af83a5", p.ID)
			assert.Equal(t, "login", p.Login)
			assert.Equal(t, "login@email.com", p.Email)
			assert.True(t, p.Domestic)
			require.NotEmpty(t, p.Accounts)
			assert.Equal(t, "12345678@vision", p.Accounts[0].AccountNumber)
			assert.Equal(t, "ETNA", p.Accounts[0].TradePlatform)
			require.Len(t, p.Applications, 1)
			assert.Equal(t, ApplicationInProcess, p.Applications[0].Status)
			switch name {
			case "profile_userinfo.json":
				assert.Equal(t, "First", p.FirstName)
				assert.Equal(t, "Individual", p.Accounts[0].AccountName)
				require.Len(t, p.Accounts, 2)
				assert.Equal(t, "11111111@cor", p.Accounts[1].AccountNumber)
			case "profile_userinfo_2017.json":
				assert.Equal(t, "Last", p.LastName)
				assert.Empty(t, p.Accounts[0].AccountName)
			case "profile_auth_2017.json":
				assert.Empty(t, p.FirstName)
				assert.Len(t, p.Accounts, 2)
			}
		})
	}
}

func TestProfileBothApplicationShapesPrefersArray(t *testing.T) {
	var p Profile
	require.NoError(t, json.Unmarshal([]byte(`{"application":{"status":"old"},"applications":[{"status":"new"},{"status":"process","account_number":"1@x"}]}`), &p))
	require.Len(t, p.Applications, 2)
	assert.Equal(t, "new", p.Applications[0].Status)
	assert.Error(t, json.Unmarshal([]byte(`{"accounts":{}}`), &p))
}

func TestBalances(t *testing.T) {
	c, mt := newMockClient(t)
	mt.RegisterResponder(http.MethodGet, api+"/accounts", jsonResponder(t, 200, "balances.json", nil))
	bs, err := c.Accounts.List(context.Background())
	require.NoError(t, err)
	require.Len(t, bs, 2)
	b := bs[0]
	assert.Equal(t, "12345678@vision", b.AccountNumber)
	assert.Equal(t, MarginX2, b.MarginType)
	assert.Equal(t, RestrictionNone, b.Restriction)
	assert.True(t, b.AccountValueTotal.Equal(dec("25017.63")))
	assert.True(t, b.Cash.Equal(dec("12500.10")))
	assert.True(t, b.MarginBuyingPower.Equal(dec("25000.2")))
	assert.True(t, b.CashToWithdraw.Equal(dec("12500.1")))
	// Exact: 0.01 is not 0.01000000000000000020816681711721685.
	assert.Equal(t, "0.01", bs[1].UnsettledCash.String())
	assert.Equal(t, RestrictionRestricted, bs[1].Restriction)
	assert.Equal(t, "Closing transactions only", bs[1].RestrictionReason)
	assert.Equal(t, 3, bs[1].DaytradesCount)
}

func TestPositions(t *testing.T) {
	c, mt := newMockClient(t)
	var gotURL *url.URL
	mt.RegisterRegexpResponder(http.MethodGet, regexpPath(`/accounts/12345678@vision/positions`),
		jsonResponder(t, 200, "positions.json", func(r *http.Request) { gotURL = r.URL }))
	ps, err := c.Accounts.Positions(context.Background(), "12345678@vision", nil)
	require.NoError(t, err)
	require.Len(t, ps, 3)
	assert.Equal(t, "", gotURL.RawQuery)
	assert.Equal(t, "/accounts/12345678@vision/positions", gotURL.EscapedPath(), "@ stays literal")
	assert.Equal(t, "BRK B", ps[1].Symbol)
	assert.True(t, ps[1].AverageOpenPrice.Equal(dec("310.015")))
	assert.Equal(t, SecurityOption, ps[2].SecurityType)
	assert.True(t, ps[2].Quantity.Equal(dec("-1")))

	_, err = c.Accounts.Positions(context.Background(), "12345678@vision",
		&PositionsOptions{Date: time.Date(2018, 11, 5, 23, 0, 0, 0, time.UTC)})
	require.NoError(t, err)
	assert.Equal(t, "date=2018-11-05", gotURL.RawQuery)

	_, err = c.Accounts.Positions(context.Background(), "12345678@vision", &PositionsOptions{Date: time.Now(), Strategy: true})
	assert.ErrorIs(t, err, ErrValidation)
	_, err = c.Accounts.Positions(context.Background(), "", nil)
	assert.Error(t, err)
	assert.Equal(t, 2, mt.GetTotalCallCount())
}

func TestTradesPaging(t *testing.T) {
	c, mt := newMockClient(t)
	var gotURL *url.URL
	mt.RegisterRegexpResponder(http.MethodGet, regexpPath(`/accounts/12345678@vision/trades/2017-10-25`),
		jsonResponder(t, 200, "trades.json", func(r *http.Request) { gotURL = r.URL }))
	page, err := c.Accounts.Trades(context.Background(), "12345678@vision",
		time.Date(2017, 10, 25, 0, 0, 0, 0, time.UTC), &ListOptions{Limit: 2, Skip: 4})
	require.NoError(t, err)
	assert.Equal(t, url.Values{"limit": {"2"}, "skip": {"4"}}, gotURL.Query())
	assert.Equal(t, 7, page.Count)
	require.Len(t, page.Trades, 2)
	tr := page.Trades[0]
	assert.Equal(t, TradeSell, tr.Side)
	assert.True(t, tr.Quantity.Equal(dec("-10")))
	assert.True(t, tr.Amount.Equal(dec("-1561.7")))
	assert.Equal(t, time.Unix(1508944800, 0).UTC(), tr.Timestamp.Time)

	_, err = c.Accounts.Trades(context.Background(), "12345678@vision", time.Time{}, nil)
	assert.ErrorIs(t, err, ErrValidation)
	_, err = c.Accounts.Trades(context.Background(), "12345678@vision", time.Now(), &ListOptions{Limit: -1})
	assert.ErrorIs(t, err, ErrValidation)
}

func TestTransactions(t *testing.T) {
	c, mt := newMockClient(t)
	var gotURL *url.URL
	mt.RegisterRegexpResponder(http.MethodGet, regexpPath(`/accounts/12345678@vision/transactions`),
		jsonResponder(t, 200, "transactions.json", func(r *http.Request) { gotURL = r.URL }))
	page, err := c.Accounts.Transactions(context.Background(), "12345678@vision", &TransactionsOptions{
		Start: time.Date(2018, 9, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2018, 9, 30, 0, 0, 0, 0, time.UTC),
		ListOptions: ListOptions{Limit: 50}})
	require.NoError(t, err)
	assert.Equal(t, url.Values{"start_date": {"2018-09-01"}, "end_date": {"2018-09-30"}, "limit": {"50"}}, gotURL.Query())
	require.Len(t, page.Transactions, 2)
	tx := page.Transactions[0]
	assert.Equal(t, ID("2071843"), tx.ID)
	assert.Equal(t, "SELL-SHORT:EXCH:STD", tx.Type)
	require.NotNil(t, tx.Asset)
	assert.True(t, tx.Asset.Price.Equal(dec("288.51")))
	assert.True(t, tx.Cash.NetAmount.Equal(dec("2884.05")))
	require.Len(t, tx.Fees, 2)
	assert.True(t, tx.Fees[1].Amount.Equal(dec("0.05")))
	assert.Equal(t, ID("2071844"), page.Transactions[1].ID, "numeric IDs are kept as text")
	assert.Nil(t, page.Transactions[1].Asset)

	_, err = c.Accounts.Transactions(context.Background(), "12345678@vision", &TransactionsOptions{
		Start: time.Date(2018, 9, 30, 0, 0, 0, 0, time.UTC), End: time.Date(2018, 9, 1, 0, 0, 0, 0, time.UTC)})
	assert.ErrorIs(t, err, ErrValidation)
}

func TestQuoteSingleUsesGET(t *testing.T) {
	c, mt := newMockClient(t)
	mt.RegisterResponderWithQuery(http.MethodGet, api+"/marketdata/quote", "symbol=AAPL",
		jsonResponder(t, 200, "quote.json", nil))
	qs, err := c.Quotes.Get(context.Background(), "AAPL")
	require.NoError(t, err)
	require.Len(t, qs, 1)
	q := qs[0]
	assert.Equal(t, "AAPL", q.Symbol)
	assert.True(t, q.Ask.Equal(dec("172.15")))
	assert.True(t, q.Bid.Equal(dec("172.1")))
	assert.True(t, q.Volume.Equal(dec("31247680")))
	assert.True(t, q.Week52Low.Equal(dec("104.08")))
	assert.True(t, q.ChangePc.Equal(dec("0.89")))
	assert.Equal(t, int64(1508949000), q.Date.Unix())
	assert.Equal(t, 1, mt.GetTotalCallCount())
}

func TestQuotesManyUsePOST(t *testing.T) {
	c, mt := newMockClient(t)
	mt.RegisterResponder(http.MethodPost, api+"/marketdata/quotes", jsonResponder(t, 200, "quotes.json", func(r *http.Request) {
		assert.Equal(t, []any{"GOOG", "AAPL", "MSFT"}, bodyOf(t, r))
	}))
	qs, err := c.Quotes.Get(context.Background(), "GOOG", "AAPL", "MSFT")
	require.NoError(t, err)
	require.Len(t, qs, 3)
	assert.Equal(t, "MSFT", qs[2].Symbol)
	assert.True(t, qs[0].Last.Equal(dec("972.56")))

	_, err = c.Quotes.Get(context.Background())
	assert.ErrorIs(t, err, ErrValidation)
	_, err = c.Quotes.Get(context.Background(), "AAPL", " ")
	assert.ErrorIs(t, err, ErrValidation)
	assert.Equal(t, 1, mt.GetTotalCallCount())
}

func TestHistoryAndSearch(t *testing.T) {
	c, mt := newMockClient(t)
	from := time.Unix(1508889600, 0)
	to := time.Unix(1508976000, 0)
	mt.RegisterResponderWithQuery(http.MethodGet, api+"/marketdata/history",
		"symbol=AAPL&period=day&from=1508889600&to=1508976000", jsonResponder(t, 200, "history.json", nil))
	bars, err := c.Quotes.History(context.Background(), "AAPL", PeriodDay, from, to)
	require.NoError(t, err)
	require.Len(t, bars, 2)
	assert.Equal(t, PeriodDay, bars[1].Period)
	assert.True(t, bars[1].Close.Equal(dec("173.9")))
	assert.True(t, bars[0].Timestamp.Equal(from))

	_, err = c.Quotes.History(context.Background(), "AAPL", "fortnight", from, to)
	assert.ErrorIs(t, err, ErrValidation)
	_, err = c.Quotes.History(context.Background(), "AAPL", PeriodDay, to, from)
	assert.ErrorIs(t, err, ErrValidation)

	mt.RegisterResponderWithQuery(http.MethodGet, api+"/securities", "query=ba&limit=4",
		jsonResponder(t, 200, "securities.json", nil))
	page, err := c.Quotes.Search(context.Background(), "ba", 4)
	require.NoError(t, err)
	assert.Equal(t, 57, page.Count)
	require.Len(t, page.Securities, 4)
	assert.Equal(t, Security{Symbol: "BA", Description: "Boeing Co"}, page.Securities[0])
}

func sampleOrder() OrderRequest {
	return OrderRequest{AccountNumber: "12345678@vision", Symbol: "AAPL", Quantity: dec("10"),
		Price: dec("172.50"), Type: Limit, Side: Buy, TimeInForce: Day}
}

func TestOrderValidate(t *testing.T) {
	c, mt := newMockClient(t)
	mt.RegisterResponder(http.MethodPost, api+"/orders/validate", jsonResponder(t, 200, "order_validate_ok.json", func(r *http.Request) {
		// Prices are JSON numbers, unset members are left out.
		assert.Equal(t, map[string]any{"account_number": "12345678@vision", "symbol": "AAPL", "quantity": 10.0,
			"price": 172.5, "order_type": "limit", "side": "buy", "time_in_force": "day"}, bodyOf(t, r))
	}))
	require.NoError(t, c.Orders.Validate(context.Background(), sampleOrder()))

	mt.RegisterResponder(http.MethodPost, api+"/orders/validate", jsonResponder(t, 200, "order_validate_invalid.json", nil))
	err := c.Orders.Validate(context.Background(), sampleOrder())
	var ve *ValidationError
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, "Insufficient buying power", ve.Message)
	assert.ErrorIs(t, err, ErrValidation)
	assert.Contains(t, err.Error(), "Insufficient buying power")

	mt.RegisterResponder(http.MethodPost, api+"/orders/validate", httpmock.NewStringResponder(200, `{}`))
	err = c.Orders.Validate(context.Background(), sampleOrder())
	assert.ErrorIs(t, err, auth.ErrInvalidResponse)
}

func TestOrderRequestJSONKeepsExactDecimals(t *testing.T) {
	r := OrderRequest{AccountNumber: "1@x", Symbol: "BRK B", Quantity: dec("0.1"),
		Price: dec("0.30000000000000004"), StopPrice: dec("123456789.123456789"), Type: StopLimit}
	b, err := json.Marshal(r)
	require.NoError(t, err)
	assert.JSONEq(t, `{"account_number":"1@x","symbol":"BRK B","quantity":0.1,"price":0.30000000000000004,
		"stop_price":123456789.123456789,"order_type":"stop_limit"}`, string(b))
	assert.Contains(t, string(b), `"stop_price":123456789.123456789`)
}

func TestOrderLocalChecks(t *testing.T) {
	c, mt := newMockClient(t)
	cases := map[string]func(*OrderRequest){
		"no account":          func(r *OrderRequest) { r.AccountNumber = "" },
		"no symbol":           func(r *OrderRequest) { r.Symbol = " " },
		"zero quantity":       func(r *OrderRequest) { r.Quantity = decimal.Zero },
		"negative quantity":   func(r *OrderRequest) { r.Quantity = dec("-1") },
		"limit without price": func(r *OrderRequest) { r.Price = decimal.Zero },
		"stop without stop":   func(r *OrderRequest) { r.Type = Stop },
		"stop limit no stop":  func(r *OrderRequest) { r.Type = StopLimit },
		"negative stop":       func(r *OrderRequest) { r.StopPrice = dec("-2") },
		"long tag":            func(r *OrderRequest) { r.Tag = "0123456789012345678901234567890123" },
		"long client order":   func(r *OrderRequest) { r.ClientOrderID = "0123456789012345678901234567890123" },
		"client order dash":   func(r *OrderRequest) { r.ClientOrderID = "order-1" },
	}
	for name, mutate := range cases {
		t.Run(name, func(t *testing.T) {
			r := sampleOrder()
			mutate(&r)
			var ve *ValidationError
			require.ErrorAs(t, c.Orders.Validate(context.Background(), r), &ve)
			assert.NotEmpty(t, ve.Field)
			_, err := c.Orders.Place(context.Background(), r)
			assert.ErrorIs(t, err, ErrValidation)
		})
	}
	assert.Zero(t, mt.GetTotalCallCount(), "nothing is sent")

	// The tag limit counts characters, not bytes.
	r := sampleOrder()
	r.Tag = strings.Repeat("é", 32)
	r.ClientOrderID = "Order1"
	require.NoError(t, r.check())
}

func TestOrderPlaceIsNeverRetried(t *testing.T) {
	hc, mt := mockClient()
	// A generous retry budget: placing must still go out once.
	c := NewClient(hc, WithRetry(rest.RetryPolicy{MaxAttempts: 5, BaseDelay: time.Millisecond, MaxDelay: time.Millisecond}))
	mt.RegisterResponder(http.MethodPost, api+"/orders/place", httpmock.NewStringResponder(503, `{"code":"api_error","message":"try later"}`))
	_, err := c.Orders.Place(context.Background(), sampleOrder())
	assert.ErrorIs(t, err, auth.ErrUnavailable)
	var e *Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, CodeAPI, e.Code)
	assert.Equal(t, "try later", e.Message)
	assert.Equal(t, 1, mt.GetTotalCallCount())

	// Reads are retried under the same policy.
	mt.RegisterResponder(http.MethodGet, api+"/accounts", httpmock.NewStringResponder(503, `{"code":"api_error","message":"try later"}`))
	_, err = c.Accounts.List(context.Background())
	assert.ErrorIs(t, err, auth.ErrUnavailable)
	assert.Equal(t, 5, mt.GetCallCountInfo()["GET "+api+"/accounts"])
}

func TestOrderPlaceGetActiveCancel(t *testing.T) {
	c, mt := newMockClient(t)
	mt.RegisterResponder(http.MethodPost, api+"/orders/place", jsonResponder(t, 200, "order_place.json", func(r *http.Request) {
		assert.Equal(t, "12345678@vision", bodyOf(t, r).(map[string]any)["account_number"])
	}))
	id, err := c.Orders.Place(context.Background(), sampleOrder())
	require.NoError(t, err)
	assert.Equal(t, "0000-1a2b3c4d-5e6f", id)

	mt.RegisterResponder(http.MethodGet, api+"/orders/0000-1a2b3c4d-5e6f", jsonResponder(t, 200, "order.json", nil))
	o, err := c.Orders.Get(context.Background(), id)
	require.NoError(t, err)
	assert.Equal(t, id, o.ID())
	assert.Equal(t, StatusFilled, o.Status)
	assert.True(t, o.Status.Final())
	assert.Equal(t, Buy, o.Side)
	assert.Equal(t, Limit, o.Type)
	assert.True(t, o.ExecutedQuantity.Equal(dec("10")))
	assert.True(t, o.Price.Equal(dec("172.5")))

	mt.RegisterRegexpResponder(http.MethodGet, regexpPath(`/accounts/12345678@vision/activeorders`), jsonResponder(t, 200, "active_orders.json", nil))
	active, err := c.Orders.Active(context.Background(), "12345678@vision")
	require.NoError(t, err)
	require.Len(t, active, 2)
	assert.Equal(t, StatusPartiallyFilled, active[0].Status)
	assert.False(t, active[0].Status.Final())
	assert.Equal(t, Stop, active[1].Type)
	assert.True(t, active[1].StopPrice.Equal(dec("300.25")))

	mt.RegisterResponder(http.MethodPost, api+"/orders/0000-aaaa/cancel", jsonResponder(t, 200, "order_cancel.json", func(r *http.Request) {
		assert.Equal(t, map[string]any{"message": "changed my mind"}, bodyOf(t, r))
	}))
	cid, err := c.Orders.Cancel(context.Background(), "0000-aaaa", "changed my mind")
	require.NoError(t, err)
	assert.Equal(t, "cxl-0000-1a2b", cid)

	mt.RegisterResponder(http.MethodPost, api+"/orders/place", httpmock.NewStringResponder(200, `{"success":false,"data":"nope"}`))
	_, err = c.Orders.Place(context.Background(), sampleOrder())
	assert.ErrorContains(t, err, "success false")
}

func TestErrorEnvelope(t *testing.T) {
	cases := []struct {
		name, fixture string
		status        int
		code          string
		is            []error
	}{
		{"not found", "error_not_found.json", 404, CodeNotFound, []error{ErrNotFound}},
		{"not found with 400", "error_not_found.json", 400, CodeNotFound, []error{ErrNotFound, rest.ErrBadRequest}},
		{"validation", "error_validation.json", 400, CodeValidation, []error{ErrValidation, rest.ErrBadRequest}},
		{"api error", "error_api.json", 500, CodeAPI, []error{auth.ErrUnavailable}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, mt := newMockClient(t)
			mt.RegisterResponder(http.MethodGet, api+"/orders/0000-zzzz", jsonResponder(t, tc.status, tc.fixture, nil))
			_, err := c.Orders.Get(context.Background(), "0000-zzzz")
			var e *Error
			require.ErrorAs(t, err, &e)
			assert.Equal(t, tc.status, e.StatusCode)
			assert.Equal(t, tc.code, e.Code)
			assert.NotEmpty(t, e.Message)
			assert.Contains(t, err.Error(), e.Message)
			for _, target := range tc.is {
				assert.ErrorIs(t, err, target)
			}
			assert.NotErrorIs(t, err, auth.ErrInvalidToken)
		})
	}
}

func TestUnauthorizedIsTokenError(t *testing.T) {
	c, mt := newMockClient(t)
	mt.RegisterResponder(http.MethodGet, api+"/accounts", httpmock.NewStringResponder(401, ""))
	_, err := c.Accounts.List(context.Background())
	assert.ErrorIs(t, err, auth.ErrInvalidToken)
	var e *Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, 401, e.StatusCode)
}

func TestClientOptions(t *testing.T) {
	assert.Equal(t, api+"/", NewClient(nil).BaseURL())
	assert.Equal(t, LimeAPIURL+"/", NewClient(nil, WithEnvironment(EnvLime)).BaseURL())
	assert.Equal(t, "http://127.0.0.1:9/x/", NewClient(nil, WithEnvironment(EnvLime), WithBaseURL("http://127.0.0.1:9/x")).BaseURL())

	bad := NewClient(nil, WithBaseURL("http://api.example.com"))
	_, err := bad.Accounts.List(context.Background())
	assert.ErrorIs(t, err, auth.ErrInsecureEndpoint)
	_, err = NewClient(nil, WithEnvironment("paper")).Quotes.Get(context.Background(), "AAPL")
	assert.ErrorContains(t, err, "unknown environment")

	hc, mt := mockClient()
	c := NewClient(hc, WithUserAgent("myapp/1.0"))
	mt.RegisterResponder(http.MethodGet, api+"/accounts", func(r *http.Request) (*http.Response, error) {
		assert.Equal(t, "myapp/1.0", r.Header.Get("User-Agent"))
		return httpmock.NewStringResponse(200, `[]`), nil
	})
	_, err = c.Accounts.List(context.Background())
	require.NoError(t, err)
}

func TestTimestampAndID(t *testing.T) {
	var ts Timestamp
	require.NoError(t, json.Unmarshal([]byte(`"1508949000"`), &ts))
	assert.Equal(t, int64(1508949000), ts.Unix())
	require.NoError(t, json.Unmarshal([]byte(`null`), &ts))
	assert.True(t, ts.IsZero())
	require.NoError(t, json.Unmarshal([]byte(`1508949000.5`), &ts))
	assert.Equal(t, 500*time.Millisecond, time.Duration(ts.Nanosecond()))
	for _, bad := range []string{`"x"`, `-1`, `true`, `1e300`, `"NaN"`, `"Inf"`, `"0x10"`, `""`} {
		assert.Error(t, json.Unmarshal([]byte(bad), &ts), bad)
	}
	b, _ := json.Marshal(Timestamp{time.Unix(42, 0)})
	assert.Equal(t, "42", string(b))

	var id ID
	require.NoError(t, json.Unmarshal([]byte(`12345678901234567890`), &id))
	assert.Equal(t, ID("12345678901234567890"), id, "no float rounding")
	assert.Error(t, json.Unmarshal([]byte(`{}`), &id))
	assert.True(t, errors.Is(&ValidationError{}, ErrValidation))
}

func TestOrderWaitStopsWithContext(t *testing.T) {
	c, mt := newMockClient(t)
	// The context ends after the second answer has arrived: deterministic,
	// however slow the machine.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	polls := 0
	mt.RegisterResponder(http.MethodGet, api+"/orders/0000-aaaa", func(r *http.Request) (*http.Response, error) {
		if polls++; polls == 2 {
			cancel()
		}
		return httpmock.NewStringResponse(200, `{"client_id":"0000-aaaa","order_status":"pending_new"}`), nil
	})
	o, err := c.Orders.Wait(ctx, "0000-aaaa", time.Millisecond)
	assert.ErrorIs(t, err, context.Canceled)
	require.NotNil(t, o)
	assert.Equal(t, StatusPendingNew, o.Status)
	assert.Greater(t, mt.GetTotalCallCount(), 1, "polled more than once")

	mt.RegisterResponder(http.MethodGet, api+"/orders/0000-bbbb", httpmock.NewStringResponder(200,
		`{"client_id":"0000-bbbb","order_status":"pending_new"}`).Then(httpmock.NewStringResponder(200,
		`{"client_id":"0000-bbbb","order_status":"rejected"}`)))
	o, err = c.Orders.Wait(context.Background(), "0000-bbbb", time.Millisecond)
	require.NoError(t, err)
	assert.Equal(t, StatusRejected, o.Status)
}
