package tradestation

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/brokerkit/brokerkit/internal/resttest"
)

// assertEveryField holds a decoded value to the fixture it came from:
// every field of the fixture must come back, re-encoded, with the same
// value (numbers in strings compared as exact decimals, timestamps as
// instants). A field the SDK does not decode fails, so the spec's own
// examples are covered whole. Fields the SDK leaves out when zero match a
// zero fixture value.
func assertEveryField(t *testing.T, fixture string, path []string, decoded any) {
	t.Helper()
	var want any
	require.NoError(t, json.Unmarshal([]byte(fixture), &want))
	for _, k := range path {
		want = want.(map[string]any)[k]
	}
	b, err := json.Marshal(decoded)
	require.NoError(t, err)
	var got any
	require.NoError(t, json.Unmarshal(b, &got))
	compareJSON(t, "$", want, got)
}

func isZeroJSON(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case bool:
		return !x
	case float64:
		return x == 0
	case string:
		if x == "" {
			return true
		}
		d, err := decimal.NewFromString(x)
		return err == nil && d.IsZero()
	case []any:
		return len(x) == 0
	}
	return false
}

func compareJSON(t *testing.T, at string, want, got any) {
	t.Helper()
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !assert.Truef(t, ok, "%s: want an object, got %v", at, got) {
			return
		}
		for k, wv := range w {
			gv, present := g[k]
			if !present {
				assert.Truef(t, isZeroJSON(wv), "%s.%s: not decoded (fixture has %v)", at, k, wv)
				continue
			}
			compareJSON(t, at+"."+k, wv, gv)
		}
	case []any:
		g, ok := got.([]any)
		if !assert.Truef(t, ok && len(g) == len(w), "%s: want %d items, got %v", at, len(w), got) {
			return
		}
		for i := range w {
			compareJSON(t, fmt.Sprintf("%s[%d]", at, i), w[i], g[i])
		}
	case string:
		gs, _ := got.(string)
		if wd, err := decimal.NewFromString(w); err == nil {
			gd, err := decimal.NewFromString(gs)
			assert.Truef(t, err == nil && wd.Equal(gd), "%s: want %s, got %v", at, w, got)
			return
		}
		if wt, err := time.Parse(time.RFC3339, w); err == nil {
			gt, err := time.Parse(time.RFC3339Nano, gs)
			assert.Truef(t, err == nil && wt.Equal(gt), "%s: want %s, got %v", at, w, got)
			return
		}
		assert.Equalf(t, w, got, "%s", at)
	default:
		assert.Equalf(t, want, got, "%s", at)
	}
}

func respond(t *testing.T, mt *httpmock.MockTransport, method, u, fixture string, check func(r *http.Request)) {
	t.Helper()
	mt.RegisterResponder(method, u, func(r *http.Request) (*http.Response, error) {
		resttest.Method(t, r, method)
		if check != nil {
			check(r)
		}
		return resttest.JSON(200, resttest.Fixture(t, fixture)), nil
	})
}

func TestOrdersListFixtureAndNextToken(t *testing.T) {
	c, mt := mockClient(t)
	fx := resttest.Fixture(t, "v3_orders.json")
	var calls int
	mt.RegisterResponder(http.MethodGet, liveHost+"/v3/brokerage/accounts/123456782/orders",
		func(r *http.Request) (*http.Response, error) {
			calls++
			if calls == 1 {
				resttest.Query(t, r, url.Values{"pageSize": {"5"}})
				return resttest.JSON(200, fx), nil
			}
			resttest.Query(t, r, url.Values{"pageSize": {"5"}, "nextToken": {"eyJ0aW1lc3RhbXAiOjE2NTY1NjI2MDQwMDEs>LTM3QzAtNEIxOS04OTU4LUExQ0YwQjYwRDM3NSIsImV4cGlyYXRpb25UaW1lc3RhbXAiOjE2NTY2OTM3NTMwMDB9"}})
			return resttest.JSON(200, `{"Orders":[],"Errors":[]}`), nil
		})
	page, err := c.Orders.List(context.Background(), "123456782", &OrdersOptions{PageSize: 5})
	require.NoError(t, err)
	require.Len(t, page.Items, 5)
	assertEveryField(t, fx, []string{"Orders"}, page.Items)

	o := page.Items[0]
	assert.Equal(t, "286234131", o.OrderID)
	assert.Equal(t, "OPN", o.Status)
	assert.True(t, o.Open())
	assert.Equal(t, "CND=EDZ22>10000.01(STTN);TIM=23:59:59;", o.AdvancedOptions)
	require.Len(t, o.MarketActivationRules, 1)
	assertDec(t, "10000.01", o.MarketActivationRules[0].Price, "rule price")
	assert.Equal(t, 23, o.TimeActivationRules[0].TimeUtc.Hour())
	assertDec(t, "112.28", o.Legs[0].ExecutionPrice, "ExecutionPrice")
	assertDec(t, "350", o.Legs[0].StrikePrice, "StrikePrice")
	assert.True(t, page.Items[1].Filled())
	assertDec(t, "216.68", page.Items[1].FilledPrice, "FilledPrice")
	assert.Equal(t, []OrderRelationship{{OrderID: "286179864", Relationship: "OCO"}}, page.Items[2].ConditionalOrders)
	assertDec(t, "5.0", page.Items[4].TrailingStop.Percent, "trailing percent")

	require.True(t, page.HasNext())
	next, err := page.Next(context.Background())
	require.NoError(t, err)
	assert.Empty(t, next.Items)
	assert.False(t, next.HasNext())
	assert.Equal(t, 2, calls)
}

func TestOrdersHistoryFixture(t *testing.T) {
	c, mt := mockClient(t)
	fx := resttest.Fixture(t, "v3_historicalorders.json")
	respond(t, mt, http.MethodGet, liveHost+"/v3/brokerage/accounts/123456782/historicalorders", "v3_historicalorders.json",
		func(r *http.Request) { resttest.Query(t, r, url.Values{"since": {"2020-11-01"}}) })
	page, err := c.Orders.History(context.Background(), "123456782", &HistoryOptions{Since: "2020-11-01"})
	require.NoError(t, err)
	require.Len(t, page.Items, 4)
	assertEveryField(t, fx, []string{"Orders"}, page.Items)
	assert.True(t, page.HasNext(), "the example carries a NextToken")
}

func TestOrdersGetByIDFixture(t *testing.T) {
	c, mt := mockClient(t)
	fx := resttest.Fixture(t, "v3_orders_by_id.json")
	respond(t, mt, http.MethodGet, liveHost+"/v3/brokerage/accounts/123456782/orders/286234131,123456789", "v3_orders_by_id.json", nil)
	orders, err := c.Orders.Get(context.Background(), "123456782", "286234131", "123456789")
	require.NoError(t, err)
	assertEveryField(t, fx, []string{"Orders"}, orders)
}

func TestOrdersGetPartialErrors(t *testing.T) {
	c, mt := mockClient(t)
	mt.RegisterResponder(http.MethodGet, liveHost+"/v3/brokerage/accounts/1/orders/7,8",
		httpmock.ResponderFromResponse(resttest.JSON(200, `{"Orders":[],"Errors":[{"AccountID":"1","OrderID":"8","Error":"NotFound","Message":"no such order"}]}`)))
	_, err := c.Orders.Get(context.Background(), "1", "7", "8")
	var pe *PartialError
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, map[string]string{"8": "NotFound: no such order"}, pe.Failed)
}

func TestOrdersPlaceFixtureAndBody(t *testing.T) {
	c, mt := mockClient(t)
	fx := resttest.Fixture(t, "v3_placeorder.json")
	respond(t, mt, http.MethodPost, liveHost+"/v3/orderexecution/orders", "v3_placeorder.json", func(r *http.Request) {
		resttest.Body(t, r, `{"AccountID":"123456782","Symbol":"MSFT","Quantity":"10","OrderType":"StopLimit",
			"TradeAction":"BUY","TimeInForce":{"Duration":"DAY"},"LimitPrice":"216.52","StopPrice":"216.5","Route":"Intelligent",
			"AdvancedOptions":{"TrailingStop":{"Amount":"0.25"}},
			"OSOs":[{"Type":"BRK","Orders":[{"AccountID":"123456782","Symbol":"MSFT","Quantity":"10","OrderType":"Limit",
			"TradeAction":"SELL","TimeInForce":{"Duration":"GTC"},"LimitPrice":"230"}]}]}`)
	})
	res, err := c.Orders.Place(context.Background(), &OrderRequest{AccountID: "123456782", Symbol: "MSFT",
		Quantity: dec("10"), OrderType: "StopLimit", TradeAction: "BUY", TimeInForce: TimeInForce{Duration: "DAY"},
		LimitPrice: dec("216.52"), StopPrice: dec("216.50"), Route: "Intelligent",
		AdvancedOptions: &AdvancedOptions{TrailingStop: &TrailingStop{Amount: dec("0.25")}},
		OSOs: []OrderGroup{{Type: "BRK", Orders: []OrderRequest{{AccountID: "123456782", Symbol: "MSFT",
			Quantity: dec("10"), OrderType: "Limit", TradeAction: "SELL", TimeInForce: TimeInForce{Duration: "GTC"},
			LimitPrice: dec("230.00")}}}}})
	var pe *PartialError
	require.ErrorAs(t, err, &pe, "the example's Errors[] is a partial failure")
	assert.Equal(t, map[string]string{"1234567": "FAILED: Order failed. Reason: Type = LMT has invalid Price greater than absolute maximum"}, pe.Failed)
	assertEveryField(t, fx, []string{"Orders"}, res)
	assert.Equal(t, "286179829", res[0].OrderID)
	assert.Equal(t, "Sent order: Sell 1 MSFT @ 232.86 Stop Market", res[1].Message)
}

func TestOrdersPlaceGroupFixture(t *testing.T) {
	c, mt := mockClient(t)
	fx := resttest.Fixture(t, "v3_ordergroups.json")
	respond(t, mt, http.MethodPost, liveHost+"/v3/orderexecution/ordergroups", "v3_ordergroups.json", func(r *http.Request) {
		resttest.Body(t, r, `{"Type":"OCO","Orders":[
			{"AccountID":"123456782","Symbol":"MSFT","Quantity":"10","OrderType":"Limit","TradeAction":"SELL","TimeInForce":{"Duration":"GTC"},"LimitPrice":"230"},
			{"AccountID":"123456782","Symbol":"MSFT","Quantity":"10","OrderType":"StopMarket","TradeAction":"SELL","TimeInForce":{"Duration":"GTC"},"StopPrice":"130"}]}`)
	})
	res, err := c.Orders.PlaceGroup(context.Background(), &OrderGroup{Type: "OCO", Orders: []OrderRequest{
		{AccountID: "123456782", Symbol: "MSFT", Quantity: dec("10"), OrderType: "Limit", TradeAction: "SELL",
			TimeInForce: TimeInForce{Duration: "GTC"}, LimitPrice: dec("230")},
		{AccountID: "123456782", Symbol: "MSFT", Quantity: dec("10"), OrderType: "StopMarket", TradeAction: "SELL",
			TimeInForce: TimeInForce{Duration: "GTC"}, StopPrice: dec("130")},
	}})
	var pe *PartialError
	require.ErrorAs(t, err, &pe)
	assertEveryField(t, fx, []string{"Orders"}, res)
}

func TestOrdersConfirmFixture(t *testing.T) {
	c, mt := mockClient(t)
	fx := resttest.Fixture(t, "v3_orderconfirm.json")
	respond(t, mt, http.MethodPost, liveHost+"/v3/orderexecution/orderconfirm", "v3_orderconfirm.json", func(r *http.Request) {
		resttest.Body(t, r, `{"AccountID":"123456782","Symbol":"MSFT","Quantity":"10","OrderType":"Market","TradeAction":"BUY","TimeInForce":{"Duration":"GTC"}}`)
	})
	conf, err := c.Orders.Confirm(context.Background(), &OrderRequest{AccountID: "123456782", Symbol: "MSFT",
		Quantity: dec("10"), OrderType: "Market", TradeAction: "BUY", TimeInForce: TimeInForce{Duration: "GTC"}})
	require.NoError(t, err)
	assertEveryField(t, fx, []string{"Confirmations"}, conf)
	assertDec(t, "2163.2", conf[0].EstimatedCost, "EstimatedCost")
	assert.Equal(t, "7CMygnFJXk+ihrJJfOPmVQ", conf[0].OrderConfirmID)
}

func TestOrdersConfirmGroupSendsGroup(t *testing.T) {
	c, mt := mockClient(t)
	respond(t, mt, http.MethodPost, liveHost+"/v3/orderexecution/ordergroupconfirm", "v3_orderconfirm.json", func(r *http.Request) {
		resttest.Body(t, r, `{"Type":"NORMAL","Orders":[{"AccountID":"1","Symbol":"MSFT","Quantity":"1","OrderType":"Market","TradeAction":"BUY","TimeInForce":{"Duration":"DAY"}}]}`)
	})
	conf, err := c.Orders.ConfirmGroup(context.Background(), &OrderGroup{Type: "NORMAL", Orders: []OrderRequest{
		{AccountID: "1", Symbol: "MSFT", Quantity: dec("1"), OrderType: "Market", TradeAction: "BUY", TimeInForce: TimeInForce{Duration: "DAY"}}}})
	require.NoError(t, err)
	require.Len(t, conf, 1)
}

func TestOrdersReplaceAndCancelFixtures(t *testing.T) {
	c, mt := mockClient(t)
	respond(t, mt, http.MethodPut, liveHost+"/v3/orderexecution/orders/123456789", "v3_replaceorder.json", func(r *http.Request) {
		resttest.Body(t, r, `{"Quantity":"10","LimitPrice":"132.52"}`)
	})
	respond(t, mt, http.MethodDelete, liveHost+"/v3/orderexecution/orders/123456789", "v3_cancelorder.json", nil)
	rr, err := c.Orders.Replace(context.Background(), "123456789", &OrderReplace{Quantity: dec("10"), LimitPrice: dec("132.52")})
	require.NoError(t, err)
	assertEveryField(t, resttest.Fixture(t, "v3_replaceorder.json"), nil, rr)
	cr, err := c.Orders.Cancel(context.Background(), "123456789")
	require.NoError(t, err)
	assertEveryField(t, resttest.Fixture(t, "v3_cancelorder.json"), nil, cr)
	assert.Equal(t, "Cancel request sent", cr.Message)
}

func TestOrdersPlaceNeverRetried(t *testing.T) {
	c, mt := mockClient(t)
	var n int
	mt.RegisterResponder(http.MethodPost, liveHost+"/v3/orderexecution/orders", func(*http.Request) (*http.Response, error) {
		n++
		return resttest.JSON(503, `{"Error":"ServiceUnavailable","Message":"try later"}`), nil
	})
	_, err := c.Orders.Place(context.Background(), &OrderRequest{AccountID: "1", Symbol: "MSFT", Quantity: dec("1"),
		OrderType: "Market", TradeAction: "BUY", TimeInForce: TimeInForce{Duration: "DAY"}})
	require.Error(t, err)
	assert.Equal(t, 1, n)
}

func TestRoutesAndTriggersFixtures(t *testing.T) {
	c, mt := mockClient(t)
	respond(t, mt, http.MethodGet, liveHost+"/v3/orderexecution/routes", "v3_routes.json", nil)
	respond(t, mt, http.MethodGet, liveHost+"/v3/orderexecution/activationtriggers", "v3_activationtriggers.json", nil)
	routes, err := c.Orders.Routes(context.Background())
	require.NoError(t, err)
	assertEveryField(t, resttest.Fixture(t, "v3_routes.json"), []string{"Routes"}, routes)
	assert.Equal(t, Route{ID: "AMEX", Name: "AMEX", AssetTypes: []string{"STOCK"}}, routes[0])
	trig, err := c.Orders.ActivationTriggers(context.Background())
	require.NoError(t, err)
	assertEveryField(t, resttest.Fixture(t, "v3_activationtriggers.json"), []string{"ActivationTriggers"}, trig)
	assert.Equal(t, "STTN", trig[1].Key)
}

func TestBarsFixture(t *testing.T) {
	c, mt := mockClient(t)
	respond(t, mt, http.MethodGet, liveHost+"/v3/marketdata/barcharts/MSFT", "v3_barcharts.json", func(r *http.Request) {
		resttest.Query(t, r, url.Values{"unit": {"Daily"}, "barsback": {"7"}, "lastdate": {"2020-11-12T21:00:00Z"}})
	})
	bars, err := c.Bars.Get(context.Background(), "MSFT", &BarsOptions{Unit: "Daily", BarsBack: 7, LastDate: "2020-11-12T21:00:00Z"})
	require.NoError(t, err)
	require.Len(t, bars, 7)
	assertEveryField(t, resttest.Fixture(t, "v3_barcharts.json"), []string{"Bars"}, bars)
	b := bars[0]
	assertDec(t, "216.39", b.Close, "Close")
	assertDec(t, "42311777", b.TotalVolume, "TotalVolume")
	assert.Equal(t, uint64(231021), b.DownTicks)
	assert.Equal(t, int64(1604523600000), b.Epoch)
	assert.True(t, bars[6].IsEndOfHistory)
}

func TestSymbolsFixture(t *testing.T) {
	c, mt := mockClient(t)
	respond(t, mt, http.MethodGet, liveHost+"/v3/marketdata/symbols/MSFT,@C,@FV", "v3_symbols.json", nil)
	syms, err := c.Symbols.Get(context.Background(), "MSFT", "@C", "@FV")
	require.NoError(t, err)
	assertEveryField(t, resttest.Fixture(t, "v3_symbols.json"), []string{"Symbols"}, syms)
	assertDec(t, "0.0078125", syms[2].PriceFormat.Increment, "FV increment")
	assert.Equal(t, "SubFraction", syms[2].PriceFormat.Format)
}

func TestSymbolsPartialErrors(t *testing.T) {
	c, mt := mockClient(t)
	mt.RegisterResponder(http.MethodGet, liveHost+"/v3/marketdata/symbols/MSFT,BAD",
		httpmock.ResponderFromResponse(resttest.JSON(200, `{"Symbols":[],"Errors":[{"Symbol":"BAD","Error":"FAILED","Message":"INVALID SYMBOL"}]}`)))
	_, err := c.Symbols.Get(context.Background(), "MSFT", "BAD")
	var pe *PartialError
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, map[string]string{"BAD": "FAILED: INVALID SYMBOL"}, pe.Failed)
}
