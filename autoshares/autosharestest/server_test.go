package autosharestest_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/autoshares"
	"github.com/brokerkit/brokerkit/autoshares/autosharestest"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// raw sends one API request by hand and returns status and body.
func raw(t *testing.T, srv *autosharestest.Server, method, path, token, key, keyHeader, body string) (int, string) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, srv.URL()+path, rd)
	require.NoError(t, err)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if key != "" {
		req.Header.Set(keyHeader, key)
	}
	resp, err := srv.Client().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(b)
}

func login(t *testing.T, srv *autosharestest.Server, who, pw string) *auth.Token {
	t.Helper()
	p, err := srv.Provider()
	require.NoError(t, err)
	tok, err := srv.Browser(who, pw).Token(context.Background(), p)
	require.NoError(t, err)
	return tok
}

// staticToken is a token source that always answers one token.
type staticToken struct{ tok *auth.Token }

func (s staticToken) TokenContext(context.Context) (*auth.Token, error) { return s.tok, nil }

// client is an API client for tok, configured by the server's Config.
func client(t *testing.T, srv *autosharestest.Server, tok *auth.Token, opts ...autoshares.Option) *autoshares.Client {
	t.Helper()
	p, err := srv.Provider()
	require.NoError(t, err)
	return p.NewClient(staticToken{tok}, opts...)
}

func TestDocumentedBodies(t *testing.T) {
	srv := autosharestest.NewServer()
	defer srv.Close()
	tok := login(t, srv, autosharestest.User, autosharestest.Password)
	const h = "Et-App-Key"

	status, body := raw(t, srv, "GET", "/v1.0/users/@me/info", tok.AccessToken, "", h, "")
	assert.Equal(t, 403, status)
	assert.JSONEq(t, `{"error":"Application key is not defined or does not exist"}`, body)
	status, body = raw(t, srv, "GET", "/v1.0/users/@me/info", tok.AccessToken, "wrong", h, "")
	assert.Equal(t, 403, status)
	assert.JSONEq(t, `{"error":"Application key is not defined or does not exist"}`, body)

	status, body = raw(t, srv, "GET", "/v1.0/users/@me/info", "not-a-token", autosharestest.APIKey, h, "")
	assert.Equal(t, 401, status)
	assert.JSONEq(t, `{"Message":"Authorization has been denied for this request."}`, body)

	status, body = raw(t, srv, "GET", "/v1.0/accounts/6304/info", tok.AccessToken, autosharestest.APIKey, h, "")
	assert.Equal(t, 401, status, "a foreign account")
	assert.JSONEq(t, `{"Message":"Authorization has been denied for this request."}`, body)

	status, body = raw(t, srv, "POST", "/v1.0/accounts/7125/orders", tok.AccessToken, autosharestest.APIKey, h, `{}`)
	assert.Equal(t, 500, status, "a user id where the account id belongs")
	assert.JSONEq(t, `{"message":"An error occurred while processing your request","error":"Unexpected server error"}`, body)

	status, body = raw(t, srv, "GET", "/v1.0/streamers", tok.AccessToken, autosharestest.APIKey, h, "")
	assert.Equal(t, 403, status, "quotes are market data")
	var env map[string]any
	require.NoError(t, json.Unmarshal([]byte(body), &env))
	assert.Equal(t, "agreements_pending", env["error"])
	assert.EqualValues(t, 403, env["status"])
	assert.Contains(t, env["error_description"], "Platform Agreement")

	status, body = raw(t, srv, "POST", "/v1.0/users/@me/agreements/101/sign", tok.AccessToken, autosharestest.APIKey, h,
		`{"Version":2,"Accepted":true}`)
	assert.Equal(t, 409, status, "stale version")
	assert.Contains(t, body, `"error":"conflict"`)
	status, _ = raw(t, srv, "POST", "/v1.0/users/@me/agreements/101/sign", tok.AccessToken, autosharestest.APIKey, h,
		`{"Version":3,"Accepted":false}`)
	assert.Equal(t, 422, status)
	status, body = raw(t, srv, "POST", "/v1.0/users/@me/agreements/101/sign", tok.AccessToken, autosharestest.APIKey, h,
		`{"Version":3,"Accepted":true}`)
	assert.Equal(t, 200, status)
	assert.Contains(t, body, `"Status":"Signed"`)
	raw(t, srv, "POST", "/v1.0/users/@me/agreements/102/sign", tok.AccessToken, autosharestest.APIKey, h, `{"Version":2,"Accepted":true}`)

	// Order checks answer 200 with IsSuccessful false.
	status, body = raw(t, srv, "POST", "/v1.0/accounts/6303/orders", tok.AccessToken, autosharestest.APIKey, h,
		`{"Symbol":"AAPL","Type":"Limit","Side":"Buy","Quantity":1}`)
	assert.Equal(t, 200, status)
	assert.Contains(t, body, `"IsSuccessful":false`)
	assert.Contains(t, body, `"ErrorDescription":"QuotePriceIsInvalid"`)

	// Positions: PagingResult, page size at most 99, the documented filter.
	status, body = raw(t, srv, "GET", "/v1.0/accounts/6303/positions?pageNumber=0&pageSize=1&sortField=Symbol&desc=false", tok.AccessToken, autosharestest.APIKey, h, "")
	assert.Equal(t, 200, status)
	var page struct {
		Result       []map[string]any
		TotalCount   int
		NextPageLink *string
	}
	require.NoError(t, json.Unmarshal([]byte(body), &page))
	assert.Equal(t, 2, page.TotalCount)
	require.Len(t, page.Result, 1)
	assert.Equal(t, "AAPL", page.Result[0]["Symbol"])
	require.NotNil(t, page.NextPageLink)
	assert.Contains(t, *page.NextPageLink, "pageNumber=1")
	status, _ = raw(t, srv, "GET", "/v1.0/accounts/6303/positions?pageNumber=0&pageSize=100&sortField=Symbol&desc=false", tok.AccessToken, autosharestest.APIKey, h, "")
	assert.Equal(t, 400, status)
	status, _ = raw(t, srv, "GET", "/v1.0/accounts/6303/positions?pageNumber=0&pageSize=10&sortField=Symbol&desc=false&filter=Quantity%20%3E%201", tok.AccessToken, autosharestest.APIKey, h, "")
	assert.Equal(t, 400, status)
}

func TestBadKeyStatusAndHeader(t *testing.T) {
	srv := autosharestest.NewServer(autosharestest.WithBadKeyStatus(401), autosharestest.WithAPIKeyHeader("X-Secret-Key"),
		autosharestest.WithAPIKey("k2"))
	defer srv.Close()
	tok := login(t, srv, autosharestest.User, autosharestest.Password)
	status, body := raw(t, srv, "GET", "/v1.0/users/@me/info", tok.AccessToken, "k2", "Et-App-Key", "")
	assert.Equal(t, 401, status)
	assert.Contains(t, body, "Application key is not defined")
	status, _ = raw(t, srv, "GET", "/v1.0/users/@me/info", tok.AccessToken, "k2", "X-Secret-Key", "")
	assert.Equal(t, 200, status)

	// The SDK follows with configuration alone.
	c := client(t, srv, tok)
	_, err := c.Profile.Get(context.Background())
	require.NoError(t, err)

	_, err = autosharestest.Start(autosharestest.WithBadKeyStatus(500))
	assert.ErrorContains(t, err, "neither 401 nor 403")
}

func TestMinimalAgreements(t *testing.T) {
	srv := autosharestest.NewServer(autosharestest.WithMinimalAgreements())
	defer srv.Close()
	tok := login(t, srv, autosharestest.User, autosharestest.Password)
	status, body := raw(t, srv, "GET", "/v1.0/users/@me/agreements", tok.AccessToken, autosharestest.APIKey, "Et-App-Key", "")
	assert.Equal(t, 200, status)
	assert.JSONEq(t, `[{"Type":"Platform","CanSkip":false},{"Type":"Quotemedia","CanSkip":false},{"Type":"Platform","CanSkip":true}]`, body)

	c := client(t, srv, tok)
	_, err := c.Agreements.SignAllRequired(context.Background(), autoshares.Me)
	assert.ErrorContains(t, err, "has no id", "the documented list cannot be signed from")
}

// TestGatewayPaths is the partner's case: the gateway's real contract uses
// other paths, and only configuration changes.
func TestGatewayPaths(t *testing.T) {
	srv := autosharestest.NewServer(autosharestest.WithPaths(autosharestest.Paths{
		UserInfo:      "/gapp/api/users/{userId}",
		Agreements:    "/gapp/api/users/{userId}/agreements",
		SignAgreement: "/gapp/api/agreements/{agreementId}/users/{userId}/sign",
		Streamers:     "/gapp/api/marketdata/streamers",
	}))
	defer srv.Close()
	tok := login(t, srv, autosharestest.User, autosharestest.Password)
	c := client(t, srv, tok, autoshares.WithPaths(autoshares.Paths{
		UserInfo:      "/gapp/api/users/{userId}",
		Agreements:    "/gapp/api/users/{userId}/agreements",
		SignAgreement: "/gapp/api/agreements/{agreementId}/users/{userId}/sign",
		Streamers:     "/gapp/api/marketdata/streamers",
	}))
	ctx := context.Background()
	me, err := c.Profile.Get(ctx)
	require.NoError(t, err)
	assert.Equal(t, int64(autosharestest.TraderUserID), me.ID)
	_, err = c.Agreements.SignAllRequired(ctx, autoshares.Me)
	require.NoError(t, err)
	q, err := c.Quotes.Get(ctx, "MSFT")
	require.NoError(t, err)
	assert.Equal(t, "415.2", q[0].Ask.String())

	// The default path is gone.
	status, _ := raw(t, srv, "GET", "/v1.0/users/@me/info", tok.AccessToken, autosharestest.APIKey, "Et-App-Key", "")
	assert.Equal(t, 404, status)
}

func TestFaultsAndRetries(t *testing.T) {
	srv := autosharestest.NewServer()
	defer srv.Close()
	tok := login(t, srv, autosharestest.AdminLogin, autosharestest.AdminPassword)
	c := client(t, srv, tok, autoshares.WithRetry(autoshares.RetryPolicy{MaxAttempts: 3, BaseDelay: 1}))
	ctx := context.Background()

	// A read survives two 503s.
	srv.Faults().Next("/v1.0/users/@me/info", autosharestest.Fault{Status: 503}, 2)
	_, err := c.Profile.Get(ctx)
	require.NoError(t, err)

	// An order is sent once, whatever happens.
	srv.Faults().Next("/v1.0/accounts/6303/orders", autosharestest.Fault{Status: 503}, 1)
	_, err = c.Orders.Place(ctx, 6303, autoshares.OrderRequest{Symbol: "AAPL", Type: autoshares.OrderMarket,
		Side: autoshares.SideBuy, Quantity: decimalOne()})
	require.ErrorIs(t, err, auth.ErrUnavailable)
	page, err := c.Orders.List(ctx, 6303, nil)
	require.NoError(t, err)
	assert.Equal(t, 0, page.Total, "no order was placed behind the failure")
	assert.Zero(t, srv.Faults().Pending())

	// A cut connection and a truncated body.
	srv.Faults().Next("/v1.0/users/@me/accounts", autosharestest.Fault{Malformed: true}, 3)
	_, err = c.Accounts.List(ctx)
	require.Error(t, err)

	// A revoked token.
	srv.InvalidateUser(autosharestest.AdminLogin)
	_, err = c.Profile.Get(ctx)
	assert.ErrorIs(t, err, auth.ErrInvalidToken)
}

func decimalOne() decimal.Decimal { return decimal.NewFromInt(1) }

func TestRateLimitFault(t *testing.T) {
	srv := autosharestest.NewServer()
	defer srv.Close()
	tok := login(t, srv, autosharestest.AdminLogin, autosharestest.AdminPassword)
	c := client(t, srv, tok, autoshares.WithRetry(autoshares.RetryPolicy{MaxAttempts: 2, MaxWait: time.Millisecond}))
	srv.Faults().Next("/v1.0/equities/AAPL", autosharestest.Fault{Status: 429, RetryAfter: 30 * time.Second}, 2)
	_, err := c.Quotes.Get(context.Background(), "AAPL")
	require.ErrorIs(t, err, auth.ErrRateLimited)
	var rl *auth.RateLimitError
	require.ErrorAs(t, err, &rl)
	assert.Equal(t, 30*time.Second, rl.RetryAfter)
	assert.Equal(t, 1, srv.Faults().Pending(), "a wait over the budget is not made")
}

func TestInvalidateToken(t *testing.T) {
	srv := autosharestest.NewServer()
	defer srv.Close()
	tok := login(t, srv, autosharestest.User, autosharestest.Password)
	c := client(t, srv, tok)
	ctx := context.Background()
	_, err := c.Profile.Get(ctx)
	require.NoError(t, err)
	assert.False(t, srv.InvalidateToken("not-a-token"))
	assert.True(t, srv.InvalidateToken(tok.AccessToken))
	_, err = c.Profile.Get(ctx)
	assert.ErrorIs(t, err, auth.ErrInvalidToken)
}
