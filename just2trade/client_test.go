package just2trade

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/internal/rest"
	"github.com/brokerkit/brokerkit/internal/resttest"
)

const api = "https://api.just2trade.com"

// testClient returns a client whose requests go to a resttest mock at
// api, with no retry waits.
func testClient(t *testing.T, opts ...Option) (*Client, *httpmock.MockTransport) {
	t.Helper()
	hc, mt := resttest.Setup(t)
	opts = append([]Option{WithBaseURL(api), WithRetry(rest.RetryPolicy{MaxAttempts: 1})}, opts...)
	c := NewClient(hc, opts...)
	require.NoError(t, c.err)
	return c, mt
}

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

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
			c, mt := testClient(t)
			mt.RegisterResponder(http.MethodGet, api+"/userinfo", func(r *http.Request) (*http.Response, error) {
				assert.Equal(t, "application/json", r.Header.Get("Accept"))
				return resttest.JSON(200, resttest.Fixture(t, name)), nil
			})
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
	c, mt := testClient(t)
	mt.RegisterResponder(http.MethodGet, api+"/accounts", httpmock.ResponderFromResponse(resttest.JSON(200, resttest.Fixture(t, "balances.json"))))
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
	c, mt := testClient(t)
	var gotURL *url.URL
	mt.RegisterRegexpResponder(http.MethodGet, regexpPath(`/accounts/12345678@vision/positions`),
		func(r *http.Request) (*http.Response, error) {
			gotURL = r.URL
			return resttest.JSON(200, resttest.Fixture(t, "positions.json")), nil
		})
	ps, err := c.Positions.List(context.Background(), "12345678@vision", nil)
	require.NoError(t, err)
	require.Len(t, ps, 3)
	assert.Equal(t, "", gotURL.RawQuery)
	assert.Equal(t, "/accounts/12345678@vision/positions", gotURL.EscapedPath(), "@ stays literal")
	assert.Equal(t, "BRK B", ps[1].Symbol)
	assert.True(t, ps[1].AverageOpenPrice.Equal(dec("310.015")))
	assert.Equal(t, SecurityOption, ps[2].SecurityType)
	assert.True(t, ps[2].Quantity.Equal(dec("-1")))

	_, err = c.Positions.List(context.Background(), "12345678@vision",
		&PositionsOptions{Date: time.Date(2018, 11, 5, 23, 0, 0, 0, time.UTC)})
	require.NoError(t, err)
	assert.Equal(t, "date=2018-11-05", gotURL.RawQuery)

	_, err = c.Positions.List(context.Background(), "12345678@vision", &PositionsOptions{Date: time.Now(), Strategy: true})
	assert.ErrorIs(t, err, ErrInvalidInput)
	_, err = c.Positions.List(context.Background(), "", nil)
	assert.ErrorIs(t, err, ErrInvalidInput)
	assert.Equal(t, 2, mt.GetTotalCallCount())
}

func TestTradesPaging(t *testing.T) {
	c, mt := testClient(t)
	var gotURL *url.URL
	mt.RegisterRegexpResponder(http.MethodGet, regexpPath(`/accounts/12345678@vision/trades/2017-10-25`),
		func(r *http.Request) (*http.Response, error) {
			gotURL = r.URL
			return resttest.JSON(200, resttest.Fixture(t, "trades.json")), nil
		})
	page, err := c.Accounts.Trades(context.Background(), "12345678@vision",
		time.Date(2017, 10, 25, 0, 0, 0, 0, time.UTC), &ListOptions{Limit: 2, Skip: 4})
	require.NoError(t, err)
	assert.Equal(t, url.Values{"limit": {"2"}, "skip": {"4"}}, gotURL.Query())
	assert.Equal(t, 7, page.Total)
	require.Len(t, page.Items, 2)
	require.True(t, page.HasNext(), "6 of 7 seen")
	tr := page.Items[0]
	assert.Equal(t, TradeSell, tr.Side)
	assert.True(t, tr.Quantity.Equal(dec("-10")))
	assert.True(t, tr.Amount.Equal(dec("-1561.7")))
	assert.Equal(t, time.Unix(1508944800, 0).UTC(), tr.Timestamp.Time)

	_, err = c.Accounts.Trades(context.Background(), "12345678@vision", time.Time{}, nil)
	assert.ErrorIs(t, err, ErrInvalidInput)
	_, err = c.Accounts.Trades(context.Background(), "12345678@vision", time.Now(), &ListOptions{Limit: -1})
	assert.ErrorIs(t, err, ErrInvalidInput)
}

func TestTransactions(t *testing.T) {
	c, mt := testClient(t)
	var gotURL *url.URL
	mt.RegisterRegexpResponder(http.MethodGet, regexpPath(`/accounts/12345678@vision/transactions`),
		func(r *http.Request) (*http.Response, error) {
			gotURL = r.URL
			return resttest.JSON(200, resttest.Fixture(t, "transactions.json")), nil
		})
	page, err := c.Accounts.Transactions(context.Background(), "12345678@vision", &TransactionsOptions{
		Start: time.Date(2018, 9, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2018, 9, 30, 0, 0, 0, 0, time.UTC),
		ListOptions: ListOptions{Limit: 50}})
	require.NoError(t, err)
	assert.Equal(t, url.Values{"start_date": {"2018-09-01"}, "end_date": {"2018-09-30"}, "limit": {"50"}}, gotURL.Query())
	require.Len(t, page.Items, 2)
	tx := page.Items[0]
	assert.Equal(t, ID("2071843"), tx.ID)
	assert.Equal(t, "SELL-SHORT:EXCH:STD", tx.Type)
	require.NotNil(t, tx.Asset)
	assert.True(t, tx.Asset.Price.Equal(dec("288.51")))
	assert.True(t, tx.Cash.NetAmount.Equal(dec("2884.05")))
	require.Len(t, tx.Fees, 2)
	assert.True(t, tx.Fees[1].Amount.Equal(dec("0.05")))
	assert.Equal(t, ID("2071844"), page.Items[1].ID, "numeric IDs are kept as text")
	assert.Nil(t, page.Items[1].Asset)

	_, err = c.Accounts.Transactions(context.Background(), "12345678@vision", &TransactionsOptions{
		Start: time.Date(2018, 9, 30, 0, 0, 0, 0, time.UTC), End: time.Date(2018, 9, 1, 0, 0, 0, 0, time.UTC)})
	assert.ErrorIs(t, err, ErrInvalidInput)
}

func TestQuoteSingleUsesGET(t *testing.T) {
	c, mt := testClient(t)
	mt.RegisterResponderWithQuery(http.MethodGet, api+"/marketdata/quote", "symbol=AAPL",
		httpmock.ResponderFromResponse(resttest.JSON(200, resttest.Fixture(t, "quote.json"))))
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
	c, mt := testClient(t)
	mt.RegisterResponder(http.MethodPost, api+"/marketdata/quotes", func(r *http.Request) (*http.Response, error) {
		assert.Equal(t, []any{"GOOG", "AAPL", "MSFT"}, bodyOf(t, r))
		return resttest.JSON(200, resttest.Fixture(t, "quotes.json")), nil
	})
	qs, err := c.Quotes.Get(context.Background(), "GOOG", "AAPL", "MSFT")
	require.NoError(t, err)
	require.Len(t, qs, 3)
	assert.Equal(t, "MSFT", qs[2].Symbol)
	assert.True(t, qs[0].Last.Equal(dec("972.56")))

	_, err = c.Quotes.Get(context.Background())
	assert.ErrorIs(t, err, ErrInvalidInput)
	_, err = c.Quotes.Get(context.Background(), "AAPL", " ")
	assert.ErrorIs(t, err, ErrInvalidInput)
	assert.Equal(t, 1, mt.GetTotalCallCount())
}

func TestHistoryAndSearch(t *testing.T) {
	c, mt := testClient(t)
	from := time.Unix(1508889600, 0)
	to := time.Unix(1508976000, 0)
	mt.RegisterResponderWithQuery(http.MethodGet, api+"/marketdata/history",
		"symbol=AAPL&period=day&from=1508889600&to=1508976000", httpmock.ResponderFromResponse(resttest.JSON(200, resttest.Fixture(t, "history.json"))))
	bars, err := c.Quotes.History(context.Background(), "AAPL", PeriodDay, from, to)
	require.NoError(t, err)
	require.Len(t, bars, 2)
	assert.Equal(t, PeriodDay, bars[1].Period)
	assert.True(t, bars[1].Close.Equal(dec("173.9")))
	assert.True(t, bars[0].Timestamp.Equal(from))

	_, err = c.Quotes.History(context.Background(), "AAPL", "fortnight", from, to)
	assert.ErrorIs(t, err, ErrInvalidInput)
	_, err = c.Quotes.History(context.Background(), "AAPL", PeriodDay, to, from)
	assert.ErrorIs(t, err, ErrInvalidInput)

	mt.RegisterResponderWithQuery(http.MethodGet, api+"/securities", "query=ba&limit=4",
		httpmock.ResponderFromResponse(resttest.JSON(200, resttest.Fixture(t, "securities.json"))))
	page, err := c.Quotes.Search(context.Background(), "ba", 4)
	require.NoError(t, err)
	assert.Equal(t, 57, page.Total)
	require.Len(t, page.Items, 4)
	assert.Equal(t, Security{Symbol: "BA", Description: "Boeing Co"}, page.Items[0])
	assert.False(t, page.HasNext(), "the endpoint takes no offset")
}

func sampleOrder() OrderRequest {
	return OrderRequest{AccountNumber: "12345678@vision", Symbol: "AAPL", Quantity: dec("10"),
		Price: dec("172.50"), Type: Limit, Side: Buy, TimeInForce: Day}
}

func TestOrderValidate(t *testing.T) {
	c, mt := testClient(t)
	mt.RegisterResponder(http.MethodPost, api+"/orders/validate", func(r *http.Request) (*http.Response, error) {
		// Prices are JSON numbers, unset members are left out.
		assert.Equal(t, map[string]any{"account_number": "12345678@vision", "symbol": "AAPL", "quantity": 10.0,
			"price": 172.5, "order_type": "limit", "side": "buy", "time_in_force": "day"}, bodyOf(t, r))
		return resttest.JSON(200, resttest.Fixture(t, "order_validate_ok.json")), nil
	})
	require.NoError(t, c.Orders.Validate(context.Background(), sampleOrder()))

	mt.RegisterResponder(http.MethodPost, api+"/orders/validate", httpmock.ResponderFromResponse(resttest.JSON(200, resttest.Fixture(t, "order_validate_invalid.json"))))
	err := c.Orders.Validate(context.Background(), sampleOrder())
	var ve *ValidationError
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, "Insufficient buying power", ve.Message)
	assert.ErrorIs(t, err, ErrBadRequest)
	assert.NotErrorIs(t, err, ErrInvalidInput)
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
	c, mt := testClient(t)
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
			err := c.Orders.Validate(context.Background(), r)
			assert.ErrorIs(t, err, ErrInvalidInput)
			assert.ErrorContains(t, err, "order: ")
			_, err = c.Orders.Place(context.Background(), r)
			assert.ErrorIs(t, err, ErrInvalidInput)
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
	hc, mt := resttest.Setup(t)
	// A generous retry budget: placing must still go out once.
	c := NewClient(hc, WithBaseURL(api), WithRetry(rest.RetryPolicy{MaxAttempts: 5, BaseDelay: time.Millisecond, MaxDelay: time.Millisecond}))
	mt.RegisterResponder(http.MethodPost, api+"/orders/place", httpmock.NewStringResponder(503, `{"code":"api_error","message":"try later"}`))
	_, err := c.Orders.Place(context.Background(), sampleOrder())
	assert.ErrorIs(t, err, auth.ErrUnavailable)
	var e *Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, "api_error", e.Code)
	assert.Equal(t, "try later", e.Message)
	assert.Equal(t, 1, mt.GetTotalCallCount())

	// Reads are retried under the same policy.
	mt.RegisterResponder(http.MethodGet, api+"/accounts", httpmock.NewStringResponder(503, `{"code":"api_error","message":"try later"}`))
	_, err = c.Accounts.List(context.Background())
	assert.ErrorIs(t, err, auth.ErrUnavailable)
	assert.Equal(t, 5, mt.GetCallCountInfo()["GET "+api+"/accounts"])
}

func TestOrderPlaceGetActiveCancel(t *testing.T) {
	c, mt := testClient(t)
	mt.RegisterResponder(http.MethodPost, api+"/orders/place", func(r *http.Request) (*http.Response, error) {
		assert.Equal(t, "12345678@vision", bodyOf(t, r).(map[string]any)["account_number"])
		return resttest.JSON(200, resttest.Fixture(t, "order_place.json")), nil
	})
	id, err := c.Orders.Place(context.Background(), sampleOrder())
	require.NoError(t, err)
	assert.Equal(t, "0000-1a2b3c4d-5e6f", id)

	mt.RegisterResponder(http.MethodGet, api+"/orders/0000-1a2b3c4d-5e6f", httpmock.ResponderFromResponse(resttest.JSON(200, resttest.Fixture(t, "order.json"))))
	o, err := c.Orders.Get(context.Background(), id)
	require.NoError(t, err)
	assert.Equal(t, id, o.ID())
	assert.Equal(t, StatusFilled, o.Status)
	assert.True(t, o.Status.Final())
	assert.Equal(t, Buy, o.Side)
	assert.Equal(t, Limit, o.Type)
	assert.True(t, o.ExecutedQuantity.Equal(dec("10")))
	assert.True(t, o.Price.Equal(dec("172.5")))

	mt.RegisterRegexpResponder(http.MethodGet, regexpPath(`/accounts/12345678@vision/activeorders`), httpmock.ResponderFromResponse(resttest.JSON(200, resttest.Fixture(t, "active_orders.json"))))
	active, err := c.Orders.Active(context.Background(), "12345678@vision")
	require.NoError(t, err)
	require.Len(t, active, 2)
	assert.Equal(t, StatusPartiallyFilled, active[0].Status)
	assert.False(t, active[0].Status.Final())
	assert.Equal(t, Stop, active[1].Type)
	assert.True(t, active[1].StopPrice.Equal(dec("300.25")))

	mt.RegisterResponder(http.MethodPost, api+"/orders/0000-aaaa/cancel", func(r *http.Request) (*http.Response, error) {
		assert.Equal(t, map[string]any{"message": "changed my mind"}, bodyOf(t, r))
		return resttest.JSON(200, resttest.Fixture(t, "order_cancel.json")), nil
	})
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
		{"not found", "error_not_found.json", 404, "not_found", []error{ErrNotFound}},
		{"not found with 400", "error_not_found.json", 400, "not_found", []error{ErrNotFound, ErrBadRequest}},
		{"validation", "error_validation.json", 400, "validation_error", []error{ErrBadRequest}},
		{"validation with 422", "error_validation.json", 422, "validation_error", []error{ErrBadRequest}},
		{"validation with 409", "error_validation.json", 409, "validation_error", []error{ErrBadRequest}},
		{"api error", "error_api.json", 500, "api_error", []error{auth.ErrUnavailable}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, mt := testClient(t)
			mt.RegisterResponder(http.MethodGet, api+"/orders/0000-zzzz", httpmock.ResponderFromResponse(resttest.JSON(tc.status, resttest.Fixture(t, tc.fixture))))
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
	c, mt := testClient(t)
	mt.RegisterResponder(http.MethodGet, api+"/accounts", httpmock.NewStringResponder(401, ""))
	_, err := c.Accounts.List(context.Background())
	assert.ErrorIs(t, err, auth.ErrInvalidToken)
	var e *Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, 401, e.StatusCode)
}

func TestClientOptions(t *testing.T) {
	// No provider and no base URL: no implicit host, nothing is sent.
	hc, mt := resttest.Setup(t)
	_, err := NewClient(hc).Accounts.List(context.Background())
	assert.ErrorIs(t, err, ErrInvalidInput)
	assert.ErrorContains(t, err, "no provider or base URL")
	assert.Zero(t, mt.GetTotalCallCount())

	bad := NewClient(nil, WithBaseURL("http://api.example.com"))
	_, err = bad.Accounts.List(context.Background())
	assert.ErrorIs(t, err, auth.ErrInsecureEndpoint)
	assert.ErrorIs(t, err, ErrInvalidInput)
	//lint:ignore SA1012 the nil context is what is tested
	_, err = NewClient(hc, WithBaseURL(api)).Accounts.List(nil)
	assert.ErrorIs(t, err, ErrInvalidInput)

	// The provider's environment picks the host; WithBaseURL overrides it.
	for env, host := range map[auth.Environment]string{EnvJust2Trade: api, EnvLime: "https://api.lime.co"} {
		cfg := testConfig(nil)
		cfg.Environment = env
		p, err := New(cfg)
		require.NoError(t, err)
		mt.RegisterResponder(http.MethodGet, host+"/accounts", httpmock.ResponderFromResponse(resttest.JSON(200, `[]`)))
		_, err = NewClient(hc, WithProvider(p)).Accounts.List(context.Background())
		require.NoError(t, err, env)
		assert.Equal(t, 1, mt.GetCallCountInfo()["GET "+host+"/accounts"], env)
	}
	mt.RegisterResponder(http.MethodGet, "http://127.0.0.1:9/x/accounts", httpmock.ResponderFromResponse(resttest.JSON(200, `[]`)))
	p, err := New(testConfig(nil))
	require.NoError(t, err)
	_, err = NewClient(hc, WithProvider(p), WithBaseURL("http://127.0.0.1:9/x")).Accounts.List(context.Background())
	require.NoError(t, err)

	c := NewClient(hc, WithBaseURL(api), WithUserAgent("myapp/1.0"))
	mt.RegisterResponder(http.MethodGet, api+"/accounts", func(r *http.Request) (*http.Response, error) {
		assert.Equal(t, "myapp/1.0", r.Header.Get("User-Agent"))
		return resttest.JSON(200, `[]`), nil
	})
	_, err = c.Accounts.List(context.Background())
	require.NoError(t, err)
}

// countingTransport counts the requests it passes to next.
type countingTransport struct {
	n    int
	next http.RoundTripper
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n++
	return c.next.RoundTrip(r)
}

func TestWithBaseTransportSitsUnderTheAuthTransport(t *testing.T) {
	_, mt := resttest.Setup(t)
	mt.RegisterResponder(http.MethodGet, api+"/accounts", func(r *http.Request) (*http.Response, error) {
		assert.Equal(t, "Bearer tok-1", r.Header.Get("Authorization"))
		return resttest.JSON(200, `[]`), nil
	})
	p, err := New(testConfig(nil))
	require.NoError(t, err)
	src, err := auth.NewSource(p, auth.NewMemoryStore(), auth.Key(Name, "u1"))
	require.NoError(t, err)
	require.NoError(t, src.SetToken(context.Background(), &auth.Token{AccessToken: "tok-1", TokenType: "Bearer",
		Expiry: time.Now().Add(time.Hour)}))
	count := &countingTransport{next: mt}
	_, err = p.NewClient(src, WithBaseTransport(count)).Accounts.List(context.Background())
	require.NoError(t, err)
	assert.Equal(t, 1, count.n)

	// NewClient over auth.NewClient(src): the base goes under its auth
	// transport, which still adds the token.
	_, err = NewClient(auth.NewClient(src), WithProvider(p), WithBaseTransport(count)).Accounts.List(context.Background())
	require.NoError(t, err)
	assert.Equal(t, 2, count.n)
}

func TestBalancesPartial(t *testing.T) {
	c, mt := testClient(t)
	mt.RegisterResponder(http.MethodGet, api+"/accounts", httpmock.ResponderFromResponse(resttest.JSON(200, resttest.Fixture(t, "balances.json"))))
	all, err := c.Accounts.Balances(context.Background())
	require.NoError(t, err)
	assert.Len(t, all, 2)
	bs, err := c.Accounts.Balances(context.Background(), "11111111@cor", "12345678@vision", "00000000@nope")
	var pe *PartialError
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, []string{"00000000@nope"}, slices.Collect(maps.Keys(pe.Failed)))
	require.Len(t, bs, 2)
	assert.Equal(t, "11111111@cor", bs[0].AccountNumber, "in the order asked")
	_, err = c.Accounts.Balances(context.Background(), "")
	assert.ErrorIs(t, err, ErrInvalidInput)
}

func TestTradesPagesWalkWithAll(t *testing.T) {
	c, mt := testClient(t)
	var skips []string
	mt.RegisterRegexpResponder(http.MethodGet, regexpPath(`/accounts/1@x/trades/2017-10-25`), func(r *http.Request) (*http.Response, error) {
		skip := r.URL.Query().Get("skip")
		skips = append(skips, skip)
		assert.Equal(t, "2", r.URL.Query().Get("limit"))
		items := map[string]string{"": `[{"symbol":"A"},{"symbol":"B"}]`, "2": `[{"symbol":"C"},{"symbol":"D"}]`, "4": `[{"symbol":"E"}]`}[skip]
		return resttest.JSON(200, `{"trades":`+items+`,"count":5}`), nil
	})
	page, err := c.Accounts.Trades(context.Background(), "1@x", time.Date(2017, 10, 25, 0, 0, 0, 0, time.UTC), &ListOptions{Limit: 2})
	require.NoError(t, err)
	var got []string
	for tr, err := range page.All(context.Background()) {
		require.NoError(t, err)
		got = append(got, tr.Symbol)
	}
	assert.Equal(t, []string{"A", "B", "C", "D", "E"}, got)
	assert.Equal(t, []string{"", "2", "4"}, skips)
}

func TestQuotesPartial(t *testing.T) {
	c, mt := testClient(t)
	mt.RegisterResponder(http.MethodPost, api+"/marketdata/quotes", httpmock.ResponderFromResponse(resttest.JSON(200, resttest.Fixture(t, "quotes.json"))))
	qs, err := c.Quotes.Get(context.Background(), "GOOG", "AAPL", "MSFT", "NOPE")
	var pe *PartialError
	require.ErrorAs(t, err, &pe)
	assert.Contains(t, pe.Failed, "NOPE")
	assert.Len(t, pe.Failed, 1)
	assert.Len(t, qs, 3)
}

func TestTimeAndID(t *testing.T) {
	var ts Time
	require.NoError(t, json.Unmarshal([]byte(`"1508949000"`), &ts))
	assert.Equal(t, int64(1508949000), ts.Unix())
	require.NoError(t, json.Unmarshal([]byte(`null`), &ts))
	assert.True(t, ts.IsZero())
	require.NoError(t, json.Unmarshal([]byte(`1508949000.5`), &ts))
	assert.Equal(t, 500*time.Millisecond, time.Duration(ts.Nanosecond()))
	for _, bad := range []string{`"x"`, `-1`, `true`, `1e300`, `"NaN"`, `"Inf"`, `"0x10"`, `""`} {
		assert.Error(t, json.Unmarshal([]byte(bad), &ts), bad)
	}
	b, _ := json.Marshal(Time{time.Unix(42, 0)})
	assert.Equal(t, "42", string(b))

	var id ID
	require.NoError(t, json.Unmarshal([]byte(`12345678901234567890`), &id))
	assert.Equal(t, ID("12345678901234567890"), id, "no float rounding")
	assert.Error(t, json.Unmarshal([]byte(`{}`), &id))
	assert.True(t, errors.Is(&ValidationError{}, ErrBadRequest))
	assert.False(t, errors.Is(&ValidationError{}, ErrInvalidInput))
}

func TestOrderWaitStopsWithContext(t *testing.T) {
	c, mt := testClient(t)
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
