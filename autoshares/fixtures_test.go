package autoshares_test

import (
	"context"
	"encoding/json"

	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/autoshares"
	"github.com/brokerkit/brokerkit/internal/resttest"
	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	fixtureBase = "https://api.autoshares.dev"
	fixtureKey  = "fixture-app-key-42"
)

// newTestClient returns a client on the resttest harness, pointed at
// fixtureBase with the fixture API key and no retries.
func newTestClient(t *testing.T, opts ...autoshares.Option) (*autoshares.Client, *httpmock.MockTransport) {
	t.Helper()
	hc, mt := resttest.Setup(t)
	base := []autoshares.Option{autoshares.WithBaseURL(fixtureBase), autoshares.WithAPIKey(fixtureKey),
		autoshares.WithRetry(autoshares.RetryPolicy{MaxAttempts: 1})}
	return autoshares.NewClient(hc, append(base, opts...)...), mt
}

// answer checks that the request carries the API key in Et-App-Key and,
// when wantBody is set, has exactly that JSON body; then it answers with
// the fixture file (none when empty) and a request ID.
func answer(t *testing.T, status int, file, wantBody string) httpmock.Responder {
	return func(r *http.Request) (*http.Response, error) {
		resttest.Header(t, r, "Et-App-Key", fixtureKey)
		if wantBody != "" {
			resttest.Body(t, r, wantBody)
		}
		body := ""
		if file != "" {
			body = resttest.Fixture(t, file)
		}
		return resttest.JSON(status, body, "X-Request-Id", "req-1"), nil
	}
}

func TestFixtureErrorShapes(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name    string
		status  int
		file    string
		is      []error
		isNot   []error
		message string
	}{
		{"app key 403", 403, "error_app_key.json", []error{autoshares.ErrAPIKeyRejected}, []error{auth.ErrInvalidToken, autoshares.ErrForbidden}, "Application key is not defined or does not exist"},
		{"app key 401", 401, "error_app_key.json", []error{autoshares.ErrAPIKeyRejected}, []error{auth.ErrInvalidToken}, "Application key is not defined"},
		{"denied", 401, "error_denied.json", []error{auth.ErrInvalidToken}, []error{autoshares.ErrAPIKeyRejected}, "Authorization has been denied for this request."},
		{"wrapped", 500, "error_wrapped.json", []error{auth.ErrUnavailable}, nil, "Account 6303 is disabled; Try again later"},
		{"server", 500, "error_server.json", []error{auth.ErrUnavailable}, nil, "An error occurred while processing your request"},
		{"contract conflict", 409, "error_conflict.json", []error{autoshares.ErrConflict}, nil, "agreement 101 is at version 3"},
		{"not found", 404, "", []error{autoshares.ErrNotFound}, nil, "404"},
		{"rate limited", 429, "", []error{auth.ErrRateLimited}, nil, "429"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, mt := newTestClient(t)
			mt.RegisterResponder("GET", fixtureBase+"/v1.0/users/@me/info", answer(t, tc.status, tc.file, ""))
			_, err := c.Profile.Get(ctx)
			require.Error(t, err)
			for _, target := range tc.is {
				assert.ErrorIs(t, err, target)
			}
			for _, target := range tc.isNot {
				assert.NotErrorIs(t, err, target)
			}
			var ae *autoshares.Error
			require.ErrorAs(t, err, &ae)
			assert.Equal(t, tc.status, ae.StatusCode)
			assert.Equal(t, "req-1", ae.RequestID)
			assert.Contains(t, err.Error(), tc.message)
			assert.NotContains(t, err.Error(), fixtureKey)
		})
	}
}

func TestFixtureWrappedFailureWith200(t *testing.T) {
	c, mt := newTestClient(t)
	mt.RegisterResponder("GET", fixtureBase+"/v1.0/users/@me/info", answer(t, 200, "error_wrapped.json", ""))
	_, err := c.Profile.Get(context.Background())
	var ae *autoshares.Error
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, 500, ae.StatusCode, "the envelope's StatusCode wins over HTTP 200")
	assert.ErrorIs(t, err, auth.ErrUnavailable)
	assert.Contains(t, err.Error(), "Account 6303 is disabled")
}

func TestFixtureOrderChecks(t *testing.T) {
	ctx := context.Background()
	order := autoshares.OrderRequest{Symbol: "AAPL", Type: autoshares.OrderMarket, Side: autoshares.SideBuy, Quantity: dec("9000")}
	for _, tc := range []struct {
		file, reason string
		status       int
	}{
		{"error_order_check.json", "DayTradingBuyingPowerExceeded", 200},
		{"error_quote_price.json", "QuotePriceIsInvalid", 200},
		{"error_order_check.json", "DayTradingBuyingPowerExceeded", 400},
	} {
		c, mt := newTestClient(t)
		mt.RegisterResponder("POST", fixtureBase+"/v1.0/accounts/6303/orders", answer(t, tc.status, tc.file, ""))
		_, err := c.Orders.Place(ctx, 6303, order)
		require.ErrorIs(t, err, autoshares.ErrOrderRejected, tc.file)
		var oe *autoshares.OrderRejectedError
		require.ErrorAs(t, err, &oe)
		assert.Equal(t, tc.reason, oe.Reason)
		assert.Equal(t, tc.status, oe.StatusCode)
		assert.Contains(t, err.Error(), tc.reason)
		if tc.file == "error_order_check.json" {
			assert.Equal(t, "3.75", oe.Check.Commission.String())
			assert.Equal(t, "1766786.25", oe.Check.NetCost.String())
			require.Len(t, oe.Check.Quotes, 1)
			assert.Equal(t, "196.31", oe.Check.Quotes[0].Ask.String())
		}
		if tc.status == 400 {
			assert.ErrorIs(t, err, autoshares.ErrBadRequest)
		}
		// Placement is never retried, even on answers that would be.
		assert.Equal(t, 1, mt.GetTotalCallCount())
	}
}

func TestFixturePlaceNeverRetried(t *testing.T) {
	c, mt := newTestClient(t, autoshares.WithRetry(autoshares.RetryPolicy{MaxAttempts: 5, BaseDelay: time.Millisecond}))
	mt.RegisterResponder("POST", fixtureBase+"/v1.0/accounts/6303/orders", answer(t, 503, "error_server.json", ""))
	mt.RegisterResponder("GET", fixtureBase+"/v1.0/accounts/6303/orders/1", answer(t, 503, "error_server.json", ""))
	_, err := c.Orders.Place(context.Background(), 6303, autoshares.OrderRequest{Symbol: "AAPL",
		Type: autoshares.OrderMarket, Side: autoshares.SideBuy, Quantity: dec("1")})
	require.ErrorIs(t, err, auth.ErrUnavailable)
	assert.Equal(t, 1, mt.GetCallCountInfo()["POST "+fixtureBase+"/v1.0/accounts/6303/orders"])
	_, err = c.Orders.Get(context.Background(), 6303, 1)
	require.Error(t, err)
	assert.Equal(t, 5, mt.GetCallCountInfo()["GET "+fixtureBase+"/v1.0/accounts/6303/orders/1"], "reads are retried")
}

func TestFixtureOrderPlaced(t *testing.T) {
	c, mt := newTestClient(t)
	want := `{"Symbol":"AAPL","ClientId":"c-1","Type":"Limit","Side":"Buy","Quantity":100,"Price":190.05,
		"TimeInForce":"GoodTillCancel","ExecInst":"AllOrNone","Exchange":"XNAS","ExtendedHours":"REGPOST",
		"Comment":"Expecting a remarkable Q4 report","ExecutionInstructions":{"PerTradeCommission":"1"}}`
	mt.RegisterResponder("POST", fixtureBase+"/v1.0/accounts/6303/orders", answer(t, 200, "order_placed.json", want))
	o, err := c.Orders.Place(context.Background(), 6303, autoshares.OrderRequest{Symbol: "AAPL", ClientID: "c-1",
		Type: autoshares.OrderLimit, Side: autoshares.SideBuy, Quantity: dec("100"), Price: dec("190.05"),
		TimeInForce: autoshares.TimeInForceGoodTillCancel, ExecInst: "AllOrNone", Exchange: "XNAS",
		ExtendedHours: "REGPOST", Comment: "Expecting a remarkable Q4 report",
		ExecutionInstructions: map[string]string{"PerTradeCommission": "1"}})
	require.NoError(t, err)
	assert.Equal(t, int64(80328), o.ID)
	assert.Equal(t, "PendingNew", o.Status)
	assert.Equal(t, int64(6303), o.AccountID)
	assert.Equal(t, int64(7125), o.UserID)
	assert.Equal(t, int64(-1), o.ParentID)
	assert.Equal(t, "100", o.Quantity.String())
	assert.Equal(t, time.Date(2019, 2, 25, 13, 33, 40, 902285600, time.UTC), o.CreateDate.UTC())
	assert.JSONEq(t, `"ade9537995f84dcc840eabc724107487"`, string(o.ExecutionInstructions["CorrelationId"]))
}

func TestFixtureUsers(t *testing.T) {
	ctx := context.Background()
	c, mt := newTestClient(t)
	mt.RegisterResponder("GET", fixtureBase+"/v1.0/users/7125/info", answer(t, 200, "user_info.json", ""))
	u, err := c.Users.Get(ctx, autoshares.UserID(7125))
	require.NoError(t, err)
	assert.Equal(t, int64(7125), u.ID)
	assert.Equal(t, "trader@example.com", u.Email)
	assert.Equal(t, time.Date(2019, 2, 19, 14, 53, 28, 123000000, time.UTC), u.AddedDate.Time)
	assert.Nil(t, u.DateOfBirth)

	mt.RegisterResponderWithQuery("POST", fixtureBase+"/v1.0/users", "sendInvitationEmail=true",
		answer(t, 200, "user_created.json", `{"FirstName":"Nina","LastName":"New","EmailAddress":"nina@example.com","Login":"nina","TimeZoneInfoId":"Eastern Standard Time"}`))
	created, err := c.Users.Create(ctx, autoshares.NewUser{FirstName: "Nina", LastName: "New", EmailAddress: "nina@example.com",
		Login: "nina", TimeZoneInfoID: "Eastern Standard Time"}, &autoshares.CreateUserOptions{SendInvitationEmail: true})
	require.NoError(t, err)
	assert.Equal(t, int64(7126), created.ID, "Id is read when UserId is absent")
	assert.Equal(t, "nina@example.com", created.Email, "EmailAddress is read when Email is absent")

	_, err = c.Users.Create(ctx, autoshares.NewUser{FirstName: "Nina"}, nil)
	assert.ErrorContains(t, err, "LastName, EmailAddress, Login required")

	first := "Tomas"
	mt.RegisterResponder("PATCH", fixtureBase+"/v1.0/users/@me", answer(t, 200, "user_info.json", `{"FirstName":"Tomas"}`))
	_, err = c.Users.Update(ctx, autoshares.Me, autoshares.UserUpdate{FirstName: &first})
	require.NoError(t, err)
}

func TestFixtureAccounts(t *testing.T) {
	ctx := context.Background()
	c, mt := newTestClient(t)
	mt.RegisterResponder("GET", fixtureBase+"/v1.0/users/@me/accounts", answer(t, 200, "user_accounts.json", ""))
	list, err := c.Accounts.List(ctx)
	require.NoError(t, err)
	require.Len(t, list, 1)
	assert.Equal(t, autoshares.AccessOwner, list[0].AccessType)
	assert.Equal(t, "PaperTrading", list[0].ClearingFirm)
	assert.Len(t, list[0].Owners, 1)

	for file, access := range map[string]autoshares.AccessType{"binding_one.json": "Full", "binding_array.json": "ReadOnly"} {
		mt.RegisterResponderWithQuery("PUT", fixtureBase+"/v1.0/accounts/6304/users/7126", "accessType="+string(access),
			answer(t, 200, file, ""))
		b, err := c.Accounts.Bind(ctx, 6304, autoshares.UserID(7126), access)
		require.NoError(t, err, file)
		assert.Equal(t, access, b.AccessType)
		assert.Equal(t, int64(7126), b.User.ID)
	}
	mt.RegisterResponderWithQuery("PUT", fixtureBase+"/v1.0/accounts/6304/username/nina", "accessType=Owner", answer(t, 200, "binding_one.json", ""))
	_, err = c.Accounts.BindByUsername(ctx, 6304, "nina", autoshares.AccessOwner)
	require.NoError(t, err)
	_, err = c.Accounts.Bind(ctx, 6304, autoshares.Me, "Admin")
	assert.ErrorContains(t, err, "Full, ReadOnly, ClosePositionsOnly or Owner")

	mt.RegisterResponder("DELETE", fixtureBase+"/v1.0/accounts/6304/users/7126", httpmock.NewStringResponder(204, ""))
	require.NoError(t, c.Accounts.Unbind(ctx, 6304, autoshares.UserID(7126)))

	mt.RegisterResponder("GET", fixtureBase+"/v1.0/accounts/6303/info", answer(t, 200, "balances.json", ""))
	bals, err := c.Accounts.Balances(ctx, "6303")
	require.NoError(t, err)
	require.Len(t, bals, 1)
	bal := bals[0]
	assert.Equal(t, "976510.75", bal.Cash.String())
	assert.Equal(t, "-0.05700775140829844330933239", bal.ChangePercent.String(), "no float rounding")
	assert.Equal(t, "3978617.8", bal.DayTradingBuyingPower.String())
	assert.Equal(t, "7692.3", bal.MaintenanceMargin.String())
	_, err = c.Accounts.Balances(ctx, "0")
	assert.ErrorContains(t, err, "not a positive integer")
}

func TestFixtureAgreements(t *testing.T) {
	ctx := context.Background()
	c, mt := newTestClient(t)

	mt.RegisterResponder("GET", fixtureBase+"/v1.0/users/@me/agreements", answer(t, 200, "agreements_minimal.json", ""))
	list, err := c.Agreements.Outstanding(ctx, autoshares.Me)
	require.NoError(t, err)
	require.Len(t, list, 1)
	assert.Equal(t, "Platform", list[0].Type)
	assert.False(t, list[0].HasID)
	assert.False(t, list[0].IsRequired(), "CanSkip true")
	_, err = c.Agreements.Sign(ctx, autoshares.Me, list[0])
	assert.ErrorContains(t, err, "has no id")

	mt.RegisterResponder("GET", fixtureBase+"/v1.0/users/@me/agreements", answer(t, 200, "agreements_rich.json", ""))
	list, err = c.Agreements.Outstanding(ctx, autoshares.Me)
	require.NoError(t, err)
	require.Len(t, list, 2)
	assert.Equal(t, int64(101), list[0].ID)
	assert.Equal(t, "3", list[0].Version.String())
	assert.Equal(t, "2", list[1].Version.String())

	// The version is echoed exactly as received: a string stays a string.
	mt.RegisterResponder("POST", fixtureBase+"/v1.0/users/@me/agreements/101/sign",
		answer(t, 200, "agreement_signed.json", `{"Version":"3","Accepted":true}`))
	signed, err := c.Agreements.Sign(ctx, autoshares.Me, list[0])
	require.NoError(t, err)
	assert.Equal(t, autoshares.AgreementSigned, signed.Status)
	assert.Equal(t, time.Date(2026, 1, 2, 15, 4, 5, 0, time.UTC), signed.SignedAt.Time)

	// Documented: 200 with no body.
	mt.RegisterResponder("POST", fixtureBase+"/v1.0/users/@me/agreements/102/sign", answer(t, 200, "", `{"Version":2,"Accepted":true}`))
	signed, err = c.Agreements.Sign(ctx, autoshares.Me, list[1])
	require.NoError(t, err)
	assert.Equal(t, autoshares.AgreementSigned, signed.Status)

	mt.RegisterResponder("GET", fixtureBase+"/v1.0/users/@me/agreements", answer(t, 200, "agreements_contract.json", ""))
	mt.RegisterResponder("POST", fixtureBase+"/v1.0/users/@me/agreements/101/sign", answer(t, 409, "error_conflict.json", ""))
	_, err = c.Agreements.SignAllRequired(ctx, autoshares.Me)
	require.ErrorIs(t, err, autoshares.ErrConflict)
	assert.Contains(t, err.Error(), "Platform Agreement (id 101)")
}

// TestFixtureAgreementStringID: an id sent as a string in the default Id
// field is read like one in a configured field.
func TestFixtureAgreementStringID(t *testing.T) {
	c, mt := newTestClient(t)
	mt.RegisterResponder("GET", fixtureBase+"/v1.0/users/@me/agreements",
		httpmock.NewStringResponder(200, `[{"Id":"77","Type":"Platform","CanSkip":false}]`))
	list, err := c.Agreements.Outstanding(context.Background(), autoshares.Me)
	require.NoError(t, err)
	require.Len(t, list, 1)
	assert.True(t, list[0].HasID)
	assert.Equal(t, int64(77), list[0].ID)
}

func TestFixtureAgreementIDField(t *testing.T) {
	c, mt := newTestClient(t, autoshares.WithAgreementIDField("AgreementId"),
		autoshares.WithPaths(autoshares.Paths{SignAgreement: "/gapp/agreements/{agreementId}/accept"}))
	mt.RegisterResponder("GET", fixtureBase+"/v1.0/users/@me/agreements",
		httpmock.NewStringResponder(200, `[{"AgreementId":"77","Type":"Platform","CanSkip":false}]`))
	mt.RegisterResponder("POST", fixtureBase+"/gapp/agreements/77/accept", answer(t, 200, "", `{"Accepted":true}`))
	signed, err := c.Agreements.SignAllRequired(context.Background(), autoshares.Me)
	require.NoError(t, err)
	require.Len(t, signed, 1)
	assert.Equal(t, int64(77), signed[0].ID)
}

func TestFixtureAgreementsPending(t *testing.T) {
	c, mt := newTestClient(t)
	mt.RegisterResponder("GET", fixtureBase+"/v1.0/equities/AAPL", answer(t, 403, "error_agreements_pending.json", ""))
	mt.RegisterResponder("GET", fixtureBase+"/v1.0/users/@me/agreements", answer(t, 200, "agreements_contract.json", ""))
	_, err := c.Quotes.Get(context.Background(), "AAPL")
	require.ErrorIs(t, err, autoshares.ErrAgreementsPending)
	assert.ErrorIs(t, err, autoshares.ErrForbidden)
	var pe *autoshares.AgreementsPendingError
	require.ErrorAs(t, err, &pe)
	require.Len(t, pe.Agreements, 1)
	assert.Equal(t, "Platform Agreement", pe.Agreements[0].Title)
	assert.Contains(t, err.Error(), "GET /v1.0/equities/AAPL: agreements must be signed first: Platform Agreement (id 101)")
}

// TestFixtureSecurity: symbols resolve to security ids with the
// securities lookup; bad symbols are refused before anything is sent.
func TestFixtureSecurity(t *testing.T) {
	ctx := context.Background()
	c, mt := newTestClient(t)
	_, err := c.Quotes.Get(ctx, "AAPL,MSFT")
	assert.ErrorContains(t, err, "not valid")
	_, err = c.Quotes.Get(ctx, "AAPL;MSFT")
	assert.ErrorContains(t, err, "not valid")
	_, err = c.Quotes.Get(ctx)
	assert.ErrorContains(t, err, "no symbols")
	_, err = c.Streams.Quotes(ctx)
	assert.ErrorIs(t, err, autoshares.ErrInvalidInput)
	assert.Zero(t, mt.GetTotalCallCount())

	mt.RegisterResponder("GET", fixtureBase+"/v1.0/equities/BRK.B", answer(t, 200, "security.json", ""))
	sec, err := c.Quotes.LookupSecurity(ctx, "BRK.B")
	require.NoError(t, err)
	assert.Equal(t, int64(4), sec.ID)
}

func TestFixturePriceAlerts(t *testing.T) {
	ctx := context.Background()
	c, mt := newTestClient(t)
	exp := autoshares.Time{Time: time.Unix(1550674408, 0)}
	mt.RegisterResponder("POST", fixtureBase+"/v1.0/users/@me/pricealerts", answer(t, 200, "price_alert.json",
		`{"State":"New","Operator":"GTEQ","SecurityId":4,"Field":"Last","Argument":200.5,"ExpirationDate":1550674408}`))
	a, err := c.PriceAlerts.Create(ctx, autoshares.Me, autoshares.NewPriceAlert{SecurityID: 4, Operator: "GTEQ",
		Field: "Last", Argument: dec("200.50"), ExpirationDate: &exp})
	require.NoError(t, err)
	assert.Equal(t, int64(501), a.ID)
	assert.Equal(t, time.Unix(1550588008, 0).UTC(), a.CreatedDate.Time)
	assert.Equal(t, "200.5", a.Argument.String())

	mt.RegisterResponderWithQuery("GET", fixtureBase+"/v1.0/users/@me/pricealerts", "pageNumber=0&pageSize=1&sortBy=Id&isDesc=false",
		answer(t, 200, "price_alerts_page.json", ""))
	page, err := c.PriceAlerts.List(ctx, autoshares.Me, &autoshares.ListOptions{PageSize: 1})
	require.NoError(t, err)
	assert.Equal(t, 2, page.Total)
	assert.True(t, page.HasNext())
	require.Len(t, page.Items, 1)
	assert.Nil(t, page.Items[0].ExpirationDate)

	mt.RegisterResponder("GET", fixtureBase+"/v1.0/users/@me/pricealerts/501", answer(t, 200, "price_alert.json", ""))
	_, err = c.PriceAlerts.Get(ctx, autoshares.Me, 501)
	require.NoError(t, err)
	mt.RegisterResponder("PUT", fixtureBase+"/v1.0/users/@me/pricealerts/501", answer(t, 200, "price_alert.json",
		`{"State":"Stopped","Operator":"LTEQ","SecurityId":4,"Field":"Bid","Argument":1}`))
	_, err = c.PriceAlerts.Update(ctx, autoshares.Me, 501, autoshares.NewPriceAlert{SecurityID: 4, Operator: "LTEQ",
		Field: "Bid", Argument: dec("1"), State: autoshares.AlertStopped})
	require.NoError(t, err)
	mt.RegisterResponder("DELETE", fixtureBase+"/v1.0/users/@me/pricealerts/501", httpmock.NewStringResponder(200, ""))
	require.NoError(t, c.PriceAlerts.Delete(ctx, autoshares.Me, 501))
}

func TestFixturePositions(t *testing.T) {
	ctx := context.Background()
	c, mt := newTestClient(t)
	mt.RegisterResponderWithQuery("GET", fixtureBase+"/v1.0/accounts/6303/positions",
		"pageNumber=0&pageSize=99&sortField=Quantity&desc=true&filter=Symbol+%3D+%27AAPL%27", answer(t, 200, "positions_array.json", ""))
	p, err := c.Positions.List(ctx, "6303", &autoshares.PositionsOptions{SortField: "Quantity", Desc: true, Filter: "Symbol = 'AAPL'"})
	require.NoError(t, err)
	require.Len(t, p, 1, "a bare array is one page")
	assert.Equal(t, "150.25", p[0].AverageOpenPrice.String())
	assert.Equal(t, "19510", p[0].MarketValueEOD.String())

	// Without options the spec's parameters are still sent.
	mt.RegisterResponderWithQuery("GET", fixtureBase+"/v1.0/accounts/6303/positions",
		"pageNumber=0&pageSize=99&sortField=Symbol&desc=false", answer(t, 200, "positions_page.json", ""))
	p, err = c.Positions.List(ctx, "6303", nil)
	require.NoError(t, err)
	require.Len(t, p, 1)
	assert.Equal(t, "15025", p[0].CostBasis.String())

	_, err = c.Positions.List(ctx, "6303", &autoshares.PositionsOptions{PageSize: 100})
	assert.ErrorIs(t, err, autoshares.ErrInvalidInput)
	assert.ErrorContains(t, err, "outside 1..99")
	_, err = c.Positions.List(ctx, "abc", nil)
	assert.ErrorIs(t, err, autoshares.ErrInvalidInput)
}

// TestPositionsWalkPages: List follows the broker's NextPageLink (its
// paging parameters, on the client's own origin) until the last page.
func TestPositionsWalkPages(t *testing.T) {
	ctx := context.Background()
	c, mt := newTestClient(t)
	mt.RegisterResponderWithQuery("GET", fixtureBase+"/v1.0/accounts/6303/positions",
		"pageNumber=0&pageSize=1&sortField=Symbol&desc=false", httpmock.ResponderFromResponse(resttest.JSON(200,
			`{"Result":[{"Id":1,"Symbol":"AAPL"}],"TotalCount":2,"NextPageLink":"https://elsewhere.example/v1.0/accounts/6303/positions?pageNumber=1&pageSize=1"}`)))
	mt.RegisterResponderWithQuery("GET", fixtureBase+"/v1.0/accounts/6303/positions",
		"pageNumber=1&pageSize=1&sortField=Symbol&desc=false", httpmock.ResponderFromResponse(resttest.JSON(200,
			`{"Result":[{"Id":2,"Symbol":"MSFT"}],"TotalCount":2,"NextPageLink":null}`)))
	p, err := c.Positions.List(ctx, "6303", &autoshares.PositionsOptions{PageSize: 1})
	require.NoError(t, err)
	require.Len(t, p, 2)
	assert.Equal(t, "AAPL", p[0].Symbol)
	assert.Equal(t, "MSFT", p[1].Symbol)
}

// TestBalancesPartial: one account's failure does not hide the others'
// balances; it is named in a *PartialError beside them.
func TestBalancesPartial(t *testing.T) {
	ctx := context.Background()
	c, mt := newTestClient(t)
	mt.RegisterResponder("GET", fixtureBase+"/v1.0/accounts/6303/info", httpmock.ResponderFromResponse(resttest.JSON(200, `{"cash":100.5}`)))
	mt.RegisterResponder("GET", fixtureBase+"/v1.0/accounts/6304/info", answer(t, 401, "error_denied.json", ""))
	b, err := c.Accounts.Balances(ctx, "6303", "6304")
	require.Len(t, b, 1)
	assert.Equal(t, int64(6303), b[0].AccountID)
	assert.Equal(t, "100.5", b[0].Cash.String())
	var pe *autoshares.PartialError
	require.ErrorAs(t, err, &pe)
	assert.Contains(t, pe.Failed["6304"], "Authorization has been denied")

	_, err = c.Accounts.Balances(ctx)
	assert.ErrorIs(t, err, autoshares.ErrInvalidInput)
	_, err = c.Accounts.Balances(ctx, "6303", "-1")
	assert.ErrorIs(t, err, autoshares.ErrInvalidInput)
}

func TestFixtureMalformedAndOversized(t *testing.T) {
	ctx := context.Background()
	c, mt := newTestClient(t)
	mt.RegisterResponder("GET", fixtureBase+"/v1.0/users/@me/info", httpmock.NewStringResponder(200, `{"UserId":`))
	_, err := c.Profile.Get(ctx)
	assert.ErrorIs(t, err, auth.ErrInvalidResponse)

	big := make([]byte, (1<<20)+10)
	for i := range big {
		big[i] = ' '
	}
	big[0] = '['
	big[len(big)-1] = ']'
	mt.RegisterResponder("GET", fixtureBase+"/v1.0/users/@me/accounts", httpmock.NewBytesResponder(200, big))
	_, err = c.Accounts.List(ctx)
	assert.ErrorIs(t, err, auth.ErrInvalidResponse)

	mt.RegisterResponder("GET", fixtureBase+"/v1.0/users/@me/agreements", httpmock.NewStringResponder(200, `{"Type":"x"}`))
	_, err = c.Agreements.Outstanding(ctx, autoshares.Me)
	assert.ErrorIs(t, err, auth.ErrInvalidResponse)
}

func TestClientConfigurationErrors(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		opts []autoshares.Option
		want string
	}{
		{"no host", []autoshares.Option{autoshares.WithAPIKey("k")}, "no provider or base URL"},
		{"insecure base", []autoshares.Option{autoshares.WithAPIKey("k"), autoshares.WithBaseURL("http://api.example.com")}, "https"},
		{"bad header", []autoshares.Option{autoshares.WithAPIKey("k"), autoshares.WithBaseURL(fixtureBase),
			autoshares.WithAPIKeyHeader("Et App Key")}, "not a valid header name"},
		{"no API key", []autoshares.Option{autoshares.WithBaseURL(fixtureBase)}, "no API secret key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := autoshares.NewClient(http.DefaultClient, tc.opts...)
			_, err := c.Profile.Get(ctx)
			require.ErrorIs(t, err, autoshares.ErrInvalidInput)
			require.ErrorContains(t, err, tc.want)
		})
	}
	// The environment picks the API host, stated once in the Config.
	for env, want := range map[auth.Environment]string{auth.Live: autoshares.LiveBaseURL, auth.Demo: autoshares.DemoBaseURL} {
		p, err := autoshares.New(autoshares.Config{Environment: env, Domain: "tenant.example", APIKey: "k",
			ClientID: "c", ClientSecret: "s"})
		require.NoError(t, err)
		assert.Equal(t, env, p.Environment())
		assert.Equal(t, want, p.NewClient(nil).BaseURL())
	}
	c, _ := newTestClient(t)
	_, err := c.Users.Get(ctx, "../admin")
	assert.ErrorContains(t, err, "path delimiter")
	_, err = c.Users.Get(ctx, "")
	assert.ErrorContains(t, err, "empty user reference")
	assert.ErrorIs(t, err, autoshares.ErrInvalidInput)
	//lint:ignore SA1012 a nil context is the input under test
	_, err = c.Profile.Get(nil) //nolint:staticcheck
	assert.ErrorIs(t, err, autoshares.ErrInvalidInput)
}

func TestAPIKeyNeverPrinted(t *testing.T) {
	c, _ := newTestClient(t)
	for _, s := range []string{c.String(), fmtAll(c), fmtAll(*c)} {
		assert.NotContains(t, s, fixtureKey)
		assert.Contains(t, s, "redacted")
	}
	// The services reach the client through a pointer, which fmt expands
	// under a verb it does not fit (%s, %d).
	for _, svc := range []any{c.Profile, c.Users, c.Accounts, c.Agreements, c.Quotes, c.PriceAlerts, c.Orders, c.Positions} {
		assert.NotContains(t, fmtAll(svc), fixtureKey)
	}
}

func fmtAll(v any) string {
	b, _ := json.Marshal(struct{ A, B, C, D, E string }{fmtS("%v", v), fmtS("%+v", v), fmtS("%#v", v), fmtS("%s", v), fmtS("%d", v)})
	return string(b)
}

func fmtS(format string, v any) string { return fmt.Sprintf(format, v) }
