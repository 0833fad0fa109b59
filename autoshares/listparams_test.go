package autoshares_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/brokerkit/brokerkit/autoshares"
)

// TestListCallsSendRequiredParameters: the broker's spec marks paging
// (and, for positions and price alerts, sorting) parameters of its list
// calls as required, so every list call sends them, defaults included.
// Orders: pageNumber and pageSize required, sortField and desc optional.
// Price alerts: pageNumber, pageSize, sortBy and isDesc required.
// Positions: pageNumber, pageSize (at most 99), sortField and desc required.
func TestListCallsSendRequiredParameters(t *testing.T) {
	ctx := context.Background()
	c, mt := newTestClient(t)
	yes := true

	mt.RegisterResponderWithQuery("GET", fixtureBase+"/v1.0/accounts/6303/orders", "pageNumber=0&pageSize=99",
		answer(t, 200, "", ""))
	_, err := c.Orders.List(ctx, 6303, nil)
	require.NoError(t, err, "no options: the first page, at the default size")
	_, err = c.Orders.List(ctx, 6303, &autoshares.OrderListOptions{})
	require.NoError(t, err, "zero options: the same")
	mt.RegisterResponderWithQuery("GET", fixtureBase+"/v1.0/accounts/6303/orders",
		"pageNumber=2&pageSize=10&sortField=Id&desc=true&filter=Status+%3D+%27New%27", answer(t, 200, "", ""))
	_, err = c.Orders.List(ctx, 6303, &autoshares.OrderListOptions{PageNumber: 2, PageSize: 10, SortField: "Id",
		Desc: &yes, Filter: "Status = 'New'"})
	require.NoError(t, err)

	mt.RegisterResponderWithQuery("GET", fixtureBase+"/v1.0/users/@me/pricealerts",
		"pageNumber=0&pageSize=99&sortBy=Id&isDesc=false", answer(t, 200, "price_alerts_page.json", ""))
	_, err = c.PriceAlerts.List(ctx, autoshares.Me, nil)
	require.NoError(t, err, "no options: the first page, sorted by Id")
	mt.RegisterResponderWithQuery("GET", fixtureBase+"/v1.0/users/@me/pricealerts",
		"pageNumber=0&pageSize=1&sortBy=Id&isDesc=false", answer(t, 200, "price_alerts_page.json", ""))
	mt.RegisterResponderWithQuery("GET", fixtureBase+"/v1.0/users/@me/pricealerts",
		"pageNumber=1&pageSize=1&sortBy=Id&isDesc=false", answer(t, 200, "price_alerts_page.json", ""))
	page, err := c.PriceAlerts.List(ctx, autoshares.Me, &autoshares.ListOptions{PageSize: 1})
	require.NoError(t, err)
	require.True(t, page.HasNext())
	_, err = page.Next(ctx)
	require.NoError(t, err, "the next page keeps the sort")
	mt.RegisterResponderWithQuery("GET", fixtureBase+"/v1.0/users/@me/pricealerts",
		"pageNumber=3&pageSize=5&sortBy=CreatedDate&isDesc=true", answer(t, 200, "price_alerts_page.json", ""))
	_, err = c.PriceAlerts.List(ctx, autoshares.Me, &autoshares.ListOptions{PageNumber: 3, PageSize: 5,
		SortBy: "CreatedDate", Desc: true})
	require.NoError(t, err)

	mt.RegisterResponderWithQuery("GET", fixtureBase+"/v1.0/accounts/6303/positions",
		"pageNumber=0&pageSize=99&sortField=Symbol&desc=false", answer(t, 200, "positions_page.json", ""))
	_, err = c.Positions.List(ctx, "6303", nil)
	require.NoError(t, err)

	// Out-of-bounds paging is refused before anything is sent.
	n := mt.GetTotalCallCount()
	for name, call := range map[string]func() error{
		"orders: negative page": func() error {
			_, err := c.Orders.List(ctx, 6303, &autoshares.OrderListOptions{PageNumber: -1})
			return err
		},
		"orders: negative size": func() error {
			_, err := c.Orders.List(ctx, 6303, &autoshares.OrderListOptions{PageSize: -1})
			return err
		},
		"alerts: negative page": func() error {
			_, err := c.PriceAlerts.List(ctx, autoshares.Me, &autoshares.ListOptions{PageNumber: -1})
			return err
		},
		"alerts: negative size": func() error {
			_, err := c.PriceAlerts.List(ctx, autoshares.Me, &autoshares.ListOptions{PageSize: -1})
			return err
		},
		"positions: size 100": func() error {
			_, err := c.Positions.List(ctx, "6303", &autoshares.PositionsOptions{PageSize: 100})
			return err
		},
	} {
		assert.ErrorIs(t, call(), autoshares.ErrInvalidInput, name)
	}
	assert.Equal(t, n, mt.GetTotalCallCount(), "nothing was sent")
}
