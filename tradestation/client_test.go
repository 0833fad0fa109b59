package tradestation

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/internal/resttest"
)

type staticSource struct{ t *auth.Token }

func (s staticSource) TokenContext(context.Context) (*auth.Token, error) { return s.t, nil }

// liveHost is the real live API host the unit tests hold the client to.
const liveHost = "https://api.tradestation.com"

func mockClient(t *testing.T, opts ...Option) (*Client, *httpmock.MockTransport) {
	t.Helper()
	hc, mt := resttest.Setup(t)
	return NewClient(hc, append([]Option{WithBaseURL(liveHost)}, opts...)...), mt
}

// mockClientWith is mockClient whose requests carry src's token, so that
// the client checks its audience and reads its subject.
func mockClientWith(t *testing.T, src auth.TokenSource, opts ...Option) (*Client, *httpmock.MockTransport) {
	t.Helper()
	_, mt := resttest.Setup(t)
	hc := &http.Client{Transport: &auth.Transport{Source: src, Base: mt}}
	return NewClient(hc, append([]Option{WithBaseURL(liveHost)}, opts...)...), mt
}

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func assertDec(t *testing.T, want string, got decimal.Decimal, field string) {
	t.Helper()
	assert.Truef(t, dec(want).Equal(got), "%s: want %s, got %s", field, want, got)
}

func TestQuotesFixtureStringNumbersAndPartialErrors(t *testing.T) {
	c, mt := mockClient(t)
	mt.RegisterResponder(http.MethodGet, "https://api.tradestation.com/v3/marketdata/quotes/MSFT,INVALID",
		httpmock.ResponderFromResponse(resttest.JSON(200, resttest.Fixture(t, "v3_quotes.json"))))
	quotes, err := c.Quotes.Get(context.Background(), "MSFT", "INVALID")
	var pe *PartialError
	require.ErrorAs(t, err, &pe)
	require.Len(t, quotes, 1)
	q := quotes[0]
	assert.Equal(t, "MSFT", q.Symbol)
	assertDec(t, "212.85", q.Last, "Last")
	assertDec(t, "212.87", q.Ask, "Ask")
	assertDec(t, "-1.61", q.NetChange, "NetChange")
	assertDec(t, "136.340542862433", q.VWAP, "VWAP")
	assert.Equal(t, "136.340542862433", q.VWAP.String(), "no precision lost")
	assertDec(t, "5852511", q.Volume, "Volume")
	assert.Equal(t, "ARCX", q.LastVenue)
	assert.Equal(t, time.Date(2020, 11, 18, 15, 19, 14, 0, time.UTC), q.TradeTime.Time)
	assert.False(t, q.MarketFlags.IsHalted)
	assert.Equal(t, map[string]string{"INVALID": "FAILED, INVALID SYMBOL"}, pe.Failed)
	assert.Equal(t, Name, pe.Broker)

	mt.RegisterResponder(http.MethodGet, "https://api.tradestation.com/v3/marketdata/quotes/INVALID",
		httpmock.ResponderFromResponse(resttest.JSON(200, resttest.Fixture(t, "v3_quotes_errors_only.json"))))
	quotes, err = c.Quotes.Get(context.Background(), "INVALID")
	require.ErrorAs(t, err, &pe, "only invalid symbols is a partial error, no other failure")
	assert.Empty(t, quotes)
	assert.Len(t, pe.Failed, 1)
}

func TestQuotesSplitsLongLists(t *testing.T) {
	c, mt := mockClient(t)
	var calls []int
	mt.RegisterResponder(http.MethodGet, `=~^https://api\.tradestation\.com/v3/marketdata/quotes/`,
		func(r *http.Request) (*http.Response, error) {
			syms := strings.Split(strings.TrimPrefix(r.URL.Path, "/v3/marketdata/quotes/"), ",")
			calls = append(calls, len(syms))
			var b strings.Builder
			b.WriteString(`{"Quotes":[`)
			for i, s := range syms {
				if i > 0 {
					b.WriteByte(',')
				}
				fmt.Fprintf(&b, `{"Symbol":%q,"Last":"1.5"}`, s)
			}
			b.WriteString(`]}`)
			return resttest.JSON(200, b.String()), nil
		})
	syms := make([]string, 230)
	for i := range syms {
		syms[i] = fmt.Sprintf("S%03d", i)
	}
	quotes, err := c.Quotes.Get(context.Background(), syms...)
	require.NoError(t, err, "no failed symbol, no partial error")
	assert.Equal(t, []int{100, 100, 30}, calls)
	require.Len(t, quotes, 230)
	assert.Equal(t, "S229", quotes[229].Symbol)
}

func TestV2QuotesSplitsAtFifty(t *testing.T) {
	c, mt := mockClient(t)
	var calls []int
	mt.RegisterResponder(http.MethodGet, `=~^https://api\.tradestation\.com/v2/data/quote/`,
		func(r *http.Request) (*http.Response, error) {
			syms := strings.Split(strings.TrimPrefix(r.URL.Path, "/v2/data/quote/"), ",")
			calls = append(calls, len(syms))
			items := make([]string, len(syms))
			for i, s := range syms {
				items[i] = fmt.Sprintf(`{"Symbol":%q,"Last":1.25,"Error":null}`, s)
			}
			return resttest.JSON(200, "["+strings.Join(items, ",")+"]"), nil
		})
	syms := make([]string, 120)
	for i := range syms {
		syms[i] = fmt.Sprintf("S%03d", i)
	}
	quotes, err := c.V2.Quotes(context.Background(), syms...)
	require.NoError(t, err)
	assert.Equal(t, []int{50, 50, 20}, calls)
	require.Len(t, quotes, 120)
	assertDec(t, "1.25", quotes[119].Last, "Last")
}

func TestQuotesEscapesAndRejectsSymbols(t *testing.T) {
	c, mt := mockClient(t)
	mt.RegisterResponder(http.MethodGet, "https://api.tradestation.com/v3/marketdata/quotes/MSFT%20201218C200,@ES",
		httpmock.ResponderFromResponse(resttest.JSON(200, `{"Quotes":[]}`)))
	_, err := c.Quotes.Get(context.Background(), "MSFT 201218C200", "@ES")
	require.NoError(t, err)
	for _, bad := range [][]string{nil, {""}, {"A,B"}, {"../x"}, {" MSFT"}} {
		_, err := c.Quotes.Get(context.Background(), bad...)
		assert.ErrorIs(t, err, ErrInvalidInput, "%q", bad)
	}
	assert.Equal(t, 1, mt.GetTotalCallCount())
}

func TestAccountsFixtures(t *testing.T) {
	c, mt := mockClient(t)
	mt.RegisterResponder(http.MethodGet, "https://api.tradestation.com/v3/brokerage/accounts",
		httpmock.ResponderFromResponse(resttest.JSON(200, resttest.Fixture(t, "v3_accounts.json"))))
	mt.RegisterResponder(http.MethodGet, "https://api.tradestation.com/v3/brokerage/accounts/123456782,123456789C/balances",
		httpmock.ResponderFromResponse(resttest.JSON(200, resttest.Fixture(t, "v3_balances.json"))))
	mt.RegisterResponder(http.MethodGet, "https://api.tradestation.com/v3/brokerage/accounts/123456782/positions",
		func(r *http.Request) (*http.Response, error) {
			assert.Equal(t, "MSFT *", r.URL.Query().Get("symbol"))
			return resttest.JSON(200, resttest.Fixture(t, "v3_positions.json")), nil
		})
	ctx := context.Background()
	accts, err := c.Accounts.List(ctx)
	require.NoError(t, err)
	require.Len(t, accts, 1)
	assert.Equal(t, "123456782", accts[0].AccountID)
	assert.Equal(t, "Margin", accts[0].AccountType)
	require.NotNil(t, accts[0].AccountDetail)
	assert.Equal(t, 1, accts[0].AccountDetail.OptionApprovalLevel)

	bals, err := c.Accounts.Balances(ctx, "123456782", "123456789C")
	var pe *PartialError
	require.ErrorAs(t, err, &pe)
	require.Len(t, bals, 1)
	assertDec(t, "39735538.661", bals[0].CashBalance, "CashBalance")
	assertDec(t, "39735498.661", bals[0].BuyingPower, "BuyingPower")
	assert.Equal(t, map[string]string{"123456789C": "Forbidden: Request not supported for account type."}, pe.Failed)

	pos, err := c.Positions.List(ctx, "123456782", &PositionsOptions{Symbol: "MSFT *"})
	require.NoError(t, err)
	require.Len(t, pos, 1)
	assertDec(t, "10", pos[0].Quantity, "Quantity")
	assertDec(t, "-1.768", pos[0].UnrealizedProfitLossPercent, "UnrealizedProfitLossPercent")
	assert.Equal(t, time.Date(2020, 11, 16, 16, 53, 37, 0, time.UTC), pos[0].Timestamp.Time)

	_, err = c.Accounts.Balances(ctx)
	assert.ErrorIs(t, err, ErrInvalidInput)
	_, err = c.Accounts.Balances(ctx, "12/../x")
	assert.ErrorIs(t, err, ErrInvalidInput)
	_, err = c.Positions.List(ctx, "", nil)
	assert.ErrorIs(t, err, ErrInvalidInput)
	assert.Equal(t, 3, mt.GetTotalCallCount())
}

func TestSimEnvironmentUsesSimHost(t *testing.T) {
	p, err := New(Config{ClientID: "id", ClientSecret: "s", Environment: auth.Sim})
	require.NoError(t, err)
	hc, mt := resttest.Setup(t)
	c := NewClient(hc, WithProvider(p))
	mt.RegisterResponder(http.MethodGet, "https://sim-api.tradestation.com/v3/brokerage/accounts",
		httpmock.ResponderFromResponse(resttest.JSON(200, `{"Accounts":[{"AccountID":"SIM3113503M"}]}`)))
	accts, err := c.Accounts.List(context.Background())
	require.NoError(t, err)
	assert.Equal(t, "SIM3113503M", accts[0].AccountID)

	bare := NewClient(hc)
	_, err = bare.Accounts.List(context.Background())
	assert.ErrorIs(t, err, ErrInvalidInput)
	assert.ErrorContains(t, err, "no provider or base URL")
	assert.Equal(t, 1, mt.GetTotalCallCount(), "a client without hosts sends nothing")
}

func TestRateLimit429IsTypedWithResetTime(t *testing.T) {
	c, mt := mockClient(t, WithRetry(RetryPolicy{MaxAttempts: 1}))
	reset := time.Now().Add(90 * time.Second).Unix()
	mt.RegisterResponder(http.MethodGet, "https://api.tradestation.com/v3/brokerage/accounts",
		httpmock.ResponderFromResponse(resttest.JSON(429, resttest.Fixture(t, "v3_429.json"), "X-RateLimit-Limit", "320", "X-RateLimit-Remaining", "0",
			"X-RateLimit-Reset", fmt.Sprint(reset), "X-RateLimit-Period", "300", "X-RateLimit-Resource", "Accounts")))
	_, err := c.Accounts.List(context.Background())
	require.Error(t, err)
	var rl *auth.RateLimitError
	require.ErrorAs(t, err, &rl)
	assert.Equal(t, 429, rl.StatusCode)
	assert.Equal(t, 320, rl.Limit)
	assert.Equal(t, 0, rl.Remaining)
	assert.Equal(t, reset, rl.Reset.Unix())
	assert.Equal(t, "Rate quota exceeded", rl.Message)
	assert.ErrorIs(t, err, auth.ErrRateLimited)
	var apiErr *Error
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, "TooManyRequests", apiErr.Code)
	assert.Equal(t, 1, mt.GetTotalCallCount(), "a budget of one attempt does not retry")
}

func TestGETRetriedOn429And5xx(t *testing.T) {
	c, mt := mockClient(t, WithRetry(RetryPolicy{MaxAttempts: 4, MaxWait: 5 * time.Second}))
	mt.RegisterResponder(http.MethodGet, "https://api.tradestation.com/v3/brokerage/accounts",
		httpmock.ResponderFromResponse(resttest.JSON(200, resttest.Fixture(t, "v3_accounts.json"))))
	mt.RegisterResponderWithQuery(http.MethodGet, "https://api.tradestation.com/v3/brokerage/accounts", nil,
		httpmock.ResponderFromMultipleResponses([]*http.Response{
			resttest.JSON(429, resttest.Fixture(t, "v3_429.json"), "Retry-After", "0"),
			resttest.JSON(503, `{"Error":"ServiceUnavailable","Message":"try later"}`),
			resttest.JSON(200, resttest.Fixture(t, "v3_accounts.json")),
		}))
	accts, err := c.Accounts.List(context.Background())
	require.NoError(t, err)
	assert.Len(t, accts, 1)
	assert.Equal(t, 3, mt.GetTotalCallCount())

	c2, mt2 := mockClient(t, WithRetry(RetryPolicy{MaxAttempts: 2, MaxWait: 5 * time.Second}))
	mt2.RegisterResponder(http.MethodGet, "https://api.tradestation.com/v3/brokerage/accounts",
		httpmock.ResponderFromResponse(resttest.JSON(503, `{"Error":"ServiceUnavailable","Message":"try later"}`)))
	_, err = c2.Accounts.List(context.Background())
	require.ErrorIs(t, err, auth.ErrUnavailable)
	assert.Equal(t, 2, mt2.GetTotalCallCount(), "the caller's budget bounds the attempts")
}

func TestV3ErrorBodiesAreTyped(t *testing.T) {
	c, mt := mockClient(t, WithRetry(RetryPolicy{MaxAttempts: 1}))
	mt.RegisterResponder(http.MethodGet, "https://api.tradestation.com/v3/brokerage/accounts/SIM3113503M/balances",
		httpmock.ResponderFromResponse(resttest.JSON(404, resttest.Fixture(t, "v3_404.json"))))
	mt.RegisterResponder(http.MethodGet, "https://api.tradestation.com/v3/brokerage/accounts",
		httpmock.ResponderFromResponse(resttest.JSON(401, resttest.Fixture(t, "v3_401.json"))))
	_, err := c.Accounts.Balances(context.Background(), "SIM3113503M")
	require.ErrorIs(t, err, ErrNotFound)
	var apiErr *Error
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, "NotFound", apiErr.Code)
	assert.Equal(t, "not found /accounts/sim3113503m/balances", apiErr.Message)
	assert.Equal(t, 404, apiErr.StatusCode)

	_, err = c.Accounts.List(context.Background())
	require.ErrorIs(t, err, auth.ErrInvalidToken)
}

func TestV2QuotaExceededIsRateLimit(t *testing.T) {
	c, mt := mockClientWith(t, staticSource{&auth.Token{AccessToken: "x", Subject: "testUser", Audience: V2Audience}},
		WithRetry(RetryPolicy{MaxAttempts: 1}))
	mt.RegisterResponder(http.MethodGet, "https://api.tradestation.com/v2/users/testUser/accounts",
		func(*http.Request) (*http.Response, error) {
			r := httpmock.NewStringResponse(403, resttest.Fixture(t, "v2_quota.html"))
			r.Header.Set("Content-Type", "text/html")
			return r, nil
		})
	_, err := c.V2.Accounts(context.Background())
	var rl *auth.RateLimitError
	require.ErrorAs(t, err, &rl)
	assert.Equal(t, 403, rl.StatusCode)
	assert.ErrorIs(t, err, auth.ErrRateLimited)
}

func TestV2Fixtures(t *testing.T) {
	c, mt := mockClientWith(t, staticSource{&auth.Token{AccessToken: "x", Subject: "testUser", Audience: V2Audience}})
	mt.RegisterResponder(http.MethodGet, "https://api.tradestation.com/v2/users/testUser/accounts",
		httpmock.ResponderFromResponse(resttest.JSON(200, resttest.Fixture(t, "v2_accounts.json"))))
	mt.RegisterResponder(http.MethodGet, "https://api.tradestation.com/v2/data/quote/GOOG,BAD",
		httpmock.ResponderFromResponse(resttest.JSON(200, strings.Replace(resttest.Fixture(t, "v2_quotes.json"), "}]", `},{"Symbol":"BAD","Error":"FAILED, INVALID SYMBOL"}]`, 1))))
	mt.RegisterResponder(http.MethodGet, "https://api.tradestation.com/v2/data/symbols/suggest/MSF",
		func(r *http.Request) (*http.Response, error) {
			assert.Equal(t, "5", r.URL.Query().Get("$top"))
			assert.Equal(t, "Category eq 'Stock'", r.URL.Query().Get("$filter"))
			return resttest.JSON(200, resttest.Fixture(t, "v2_suggest.json")), nil
		})
	mt.RegisterResponder(http.MethodGet, "https://api.tradestation.com/v2/data/symbols/search/C=Stock&Cnt=US&N=MSFT",
		httpmock.ResponderFromResponse(resttest.JSON(200, resttest.Fixture(t, "v2_suggest.json"))))
	ctx := context.Background()

	accts, err := c.V2.Accounts(ctx)
	require.NoError(t, err)
	require.Len(t, accts, 1)
	assert.Equal(t, "987654", accts[0].Key.String())
	assert.Equal(t, "M", accts[0].Type)
	assert.Equal(t, "Margin", accts[0].TypeDescription)

	quotes, err := c.V2.Quotes(ctx, "GOOG", "BAD")
	var pe *PartialError
	require.ErrorAs(t, err, &pe)
	require.Len(t, quotes, 1)
	assertDec(t, "617.41", quotes[0].Ask, "Ask")
	assert.Equal(t, "0.0136116283290512", quotes[0].NetChangePct.String(), "JSON numbers decoded from text, exactly")
	assertDec(t, "1246820", quotes[0].Volume, "Volume")
	assert.Equal(t, map[string]string{"BAD": "FAILED, INVALID SYMBOL"}, pe.Failed)

	sug, err := c.V2.Suggest(ctx, "MSF", &SuggestOptions{Top: 5, Filter: "Category eq 'Stock'"})
	require.NoError(t, err)
	require.Len(t, sug, 1)
	assert.Equal(t, "MSFT", sug[0].Name)
	assertDec(t, "0.01", sug[0].MinMove, "MinMove")

	found, err := c.V2.Search(ctx, SearchCriteria{Name: "MSFT", Category: "Stock", Country: "US"})
	require.NoError(t, err)
	assert.Len(t, found, 1)
	_, err = c.V2.Search(ctx, SearchCriteria{})
	assert.ErrorIs(t, err, ErrInvalidInput)
	_, err = c.V2.Search(ctx, SearchCriteria{Name: "A&C=B"})
	assert.ErrorIs(t, err, ErrInvalidInput)
	// An Extra key is written into the path unescaped: only letters and
	// digits pass.
	for _, key := range []string{"a%zz", "a%2Fb", "a b", "Ex\u00e9"} {
		_, err = c.V2.Search(ctx, SearchCriteria{Extra: map[string]string{key: "1"}})
		assert.ErrorIs(t, err, ErrInvalidInput, key)
	}
	_, err = c.V2.Suggest(ctx, "a/b", nil)
	assert.ErrorIs(t, err, ErrInvalidInput)
	assert.Equal(t, 4, mt.GetTotalCallCount())
}

func TestAudienceAndClientOnlyRefusedBeforeRequest(t *testing.T) {
	ctx := context.Background()
	aop := staticSource{&auth.Token{AccessToken: "x", Audience: AOPAudience}}
	c, mt := mockClientWith(t, aop)
	_, err := c.Accounts.List(ctx)
	var ae *AudienceError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, AOPAudience, ae.Got)
	assert.Equal(t, TradingAudience, ae.Want)
	assert.ErrorIs(t, err, auth.ErrInvalidToken)
	_, err = c.Quotes.Get(ctx, "MSFT")
	assert.ErrorIs(t, err, ErrWrongAudience)
	_, err = c.V2.Accounts(ctx)
	assert.ErrorIs(t, err, ErrWrongAudience)

	trading := staticSource{&auth.Token{AccessToken: "x", Audience: TradingAudience}}
	aopClient := NewAOPClient(&http.Client{Transport: &auth.Transport{Source: trading, Base: mt}}, WithBaseURL(liveHost))
	err = aopClient.Do(ctx, http.MethodGet, "applications", nil, nil)
	assert.ErrorIs(t, err, ErrWrongAudience)

	clientOnly := staticSource{&auth.Token{AccessToken: "x", Subject: ClientOnlyUser, Audience: V2Audience}}
	c2 := NewClient(&http.Client{Transport: &auth.Transport{Source: clientOnly, Base: mt}}, WithBaseURL(liveHost))
	_, err = c2.V2.Accounts(ctx)
	assert.ErrorIs(t, err, ErrClientOnlyToken)
	assert.Zero(t, mt.GetTotalCallCount())

	noUser := NewClient(&http.Client{Transport: mt}, WithBaseURL(liveHost))
	_, err = noUser.V2.Accounts(ctx)
	assert.ErrorContains(t, err, "user ID unknown")
	assert.False(t, errors.Is(err, ErrClientOnlyToken))
}

// TestProviderNewClient: Provider.NewClient takes the environment's host
// from the provider, authorizes with the source's token through
// WithBaseTransport's transport, and checks the token's audience.
func TestProviderNewClient(t *testing.T) {
	p, err := New(Config{ClientID: "id", ClientSecret: "s", Environment: auth.Sim})
	require.NoError(t, err)
	_, mt := resttest.Setup(t)
	mt.RegisterResponder(http.MethodGet, "https://sim-api.tradestation.com/v3/brokerage/accounts",
		func(r *http.Request) (*http.Response, error) {
			resttest.Header(t, r, "Authorization", "Bearer tok-1")
			resttest.Header(t, r, "User-Agent", "app/1")
			return resttest.JSON(200, `{"Accounts":[{"AccountID":"SIM1"}]}`), nil
		})
	src := staticSource{&auth.Token{AccessToken: "tok-1", TokenType: "Bearer", Audience: TradingAudience,
		Expiry: time.Now().Add(time.Hour)}}
	c := p.NewClient(src, WithBaseTransport(mt), WithUserAgent("app/1"))
	accts, err := c.Accounts.List(context.Background())
	require.NoError(t, err)
	assert.Equal(t, "SIM1", accts[0].AccountID)

	aop := p.NewClient(staticSource{&auth.Token{AccessToken: "tok-2", Audience: AOPAudience}}, WithBaseTransport(mt))
	_, err = aop.Accounts.List(context.Background())
	assert.ErrorIs(t, err, ErrWrongAudience)
	assert.Equal(t, 1, mt.GetTotalCallCount(), "the wrong audience is refused before sending")
}
