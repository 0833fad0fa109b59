package autoshares_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/brokerkit/brokerkit/autoshares"
	"github.com/brokerkit/brokerkit/autoshares/autosharestest"
)

// TestE2EListCallsPageAndSort: against an emulator that refuses a list
// request without its required parameters, every list call works with its
// defaults, walks its pages and sorts as asked.
func TestE2EListCallsPageAndSort(t *testing.T) {
	ctx := context.Background()
	srv := autosharestest.NewServer()
	defer srv.Close()
	p := newProvider(t, srv)
	tok, err := srv.Browser(autosharestest.AdminLogin, autosharestest.AdminPassword).Token(ctx, p)
	require.NoError(t, err)
	admin := p.NewClient(staticToken{tok})
	// Alerts on MSFT (security 5) and AAPL (4), in this order.
	for _, sec := range []int64{5, 4, 5} {
		_, err := admin.PriceAlerts.Create(ctx, autoshares.Me, autoshares.NewPriceAlert{SecurityID: sec,
			Operator: autoshares.AlertLessOrEqual, Field: autoshares.AlertFieldBid, Argument: dec("1")})
		require.NoError(t, err)
	}
	symbols := func(opts *autoshares.ListOptions) []string {
		t.Helper()
		page, err := admin.PriceAlerts.List(ctx, autoshares.Me, opts)
		require.NoError(t, err)
		var out []string
		for a, err := range page.All(ctx) {
			require.NoError(t, err)
			out = append(out, a.Symbol)
		}
		return out
	}
	assert.Equal(t, []string{"MSFT", "AAPL", "MSFT"}, symbols(nil), "by Id")
	assert.Equal(t, []string{"MSFT", "AAPL", "MSFT"}, symbols(&autoshares.ListOptions{PageSize: 1}), "one per page")
	assert.Equal(t, []string{"MSFT", "MSFT", "AAPL"}, symbols(&autoshares.ListOptions{Desc: true, SortBy: "Symbol"}))
	assert.Equal(t, []string{"AAPL", "MSFT", "MSFT"}, symbols(&autoshares.ListOptions{SortBy: "Symbol", PageSize: 2}))

	trader := session(t, srv, p, autosharestest.User, autosharestest.Password)
	_, err = trader.Agreements.SignAllRequired(ctx, autoshares.Me)
	require.NoError(t, err)
	var placed []int64
	for _, price := range []string{"150", "151"} {
		o, err := trader.Orders.Place(ctx, autosharestest.TraderAccountID, autoshares.OrderRequest{Symbol: "AAPL",
			Type: autoshares.OrderLimit, Side: autoshares.SideBuy, Quantity: dec("1"), Price: dec(price)})
		require.NoError(t, err)
		placed = append(placed, o.ID)
	}
	ids := func(opts *autoshares.OrderListOptions) []int64 {
		t.Helper()
		page, err := trader.Orders.List(ctx, autosharestest.TraderAccountID, opts)
		require.NoError(t, err)
		var out []int64
		for o, err := range page.All(ctx) {
			require.NoError(t, err)
			out = append(out, o.ID)
		}
		return out
	}
	yes := true
	assert.Equal(t, placed, ids(nil), "ascending by default, as the spec says")
	assert.Equal(t, placed, ids(&autoshares.OrderListOptions{PageSize: 1}))
	assert.Equal(t, []int64{placed[1], placed[0]}, ids(&autoshares.OrderListOptions{Desc: &yes}))

	pos, err := trader.Positions.List(ctx, "6303", &autoshares.PositionsOptions{PageSize: 1})
	require.NoError(t, err)
	assert.Len(t, pos, 2, "both pages")
}
