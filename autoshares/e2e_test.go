package autoshares_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/autoshares"
	"github.com/brokerkit/brokerkit/autoshares/autosharestest"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

// session logs login in and returns a client whose transport is a real
// auth.Transport over a TokenSource, as an application would build it.
func session(t *testing.T, srv *autosharestest.Server, p *autoshares.Provider, login, password string, opts ...autoshares.Option) *autoshares.Client {
	t.Helper()
	ctx := context.Background()
	tok, err := srv.Browser(login, password).Token(ctx, p)
	require.NoError(t, err)
	src, err := auth.NewSource(p, auth.NewMemoryStore(), auth.Key(p.Name(), login))
	require.NoError(t, err)
	require.NoError(t, src.SetToken(ctx, tok))
	return p.NewClient(src, opts...)
}

func newProvider(t *testing.T, srv *autosharestest.Server) *autoshares.Provider {
	t.Helper()
	p, err := srv.Provider()
	require.NoError(t, err)
	return p
}

// staticToken is a token source that always answers one token (no
// refresh), for tests that need an authorized client in one line.
type staticToken struct{ tok *auth.Token }

func (s staticToken) TokenContext(context.Context) (*auth.Token, error) { return s.tok, nil }

func TestOnboardingEndToEnd(t *testing.T) {
	ctx := context.Background()
	srv := autosharestest.NewServer()
	defer srv.Close()
	p := newProvider(t, srv)
	admin := session(t, srv, p, autosharestest.AdminLogin, autosharestest.AdminPassword)

	// Onboarding: the administrator creates the user account.
	created, err := admin.Users.Create(ctx, autoshares.NewUser{FirstName: "Nina", LastName: "New",
		EmailAddress: "nina@example.com", Login: "nina"}, &autoshares.CreateUserOptions{SendInvitationEmail: true})
	require.NoError(t, err)
	require.NotZero(t, created.ID)
	assert.Equal(t, "nina", created.Login)

	_, err = admin.Users.Create(ctx, autoshares.NewUser{FirstName: "Nina", LastName: "Again",
		EmailAddress: "nina@example.com", Login: "nina2"}, nil)
	assert.ErrorIs(t, err, autoshares.ErrConflict)

	// The new user logs in.
	user := session(t, srv, p, "nina", autosharestest.NewUserPassword)
	me, err := user.Profile.Get(ctx)
	require.NoError(t, err)
	assert.Equal(t, created.ID, me.ID)
	assert.Equal(t, "nina@example.com", me.Email)

	// Outstanding agreements: two required, one that may be skipped.
	out, err := user.Agreements.Outstanding(ctx, autoshares.Me)
	require.NoError(t, err)
	require.Len(t, out, 3)
	required := 0
	for _, a := range out {
		assert.True(t, a.HasID, "agreement %s has an id", a.Title)
		if a.IsRequired() {
			required++
		}
	}
	assert.Equal(t, 2, required)

	// Quotes are blocked until then, with the agreements named.
	_, err = user.Quotes.Get(ctx, "AAPL")
	var pe *autoshares.AgreementsPendingError
	require.ErrorAs(t, err, &pe)
	assert.Len(t, pe.Agreements, 2)
	assert.Contains(t, err.Error(), "Platform Agreement")

	// Sign.
	signed, err := user.Agreements.SignAllRequired(ctx, autoshares.Me)
	require.NoError(t, err)
	require.Len(t, signed, 2)
	for _, a := range signed {
		assert.Equal(t, autoshares.AgreementSigned, a.Status)
	}
	out, err = user.Agreements.Outstanding(ctx, autoshares.Me)
	require.NoError(t, err)
	require.Len(t, out, 1)
	assert.False(t, out[0].IsRequired())

	// Bind the spare account to the new user.
	binding, err := admin.Accounts.Bind(ctx, autosharestest.SpareAccountID, autoshares.UserID(created.ID), autoshares.AccessFull)
	require.NoError(t, err)
	assert.Equal(t, autoshares.AccessFull, binding.AccessType)
	assert.Equal(t, created.ID, binding.User.ID)
	accounts, err := user.Accounts.List(ctx)
	require.NoError(t, err)
	require.Len(t, accounts, 1)
	acc := accounts[0].ID
	accID := strconv.FormatInt(acc, 10)
	assert.Equal(t, int64(autosharestest.SpareAccountID), acc)
	bals, err := user.Accounts.Balances(ctx, accID)
	require.NoError(t, err)
	require.Len(t, bals, 1)
	assert.Equal(t, acc, bals[0].AccountID)
	assert.True(t, bals[0].Cash.Equal(dec("100000")), "cash %s", bals[0].Cash)

	// Positions.
	pos, err := user.Positions.List(ctx, accID, &autoshares.PositionsOptions{PageSize: 50, Filter: "Symbol = 'MSFT'"})
	require.NoError(t, err)
	require.Len(t, pos, 1)
	assert.Equal(t, "MSFT", pos[0].Symbol)
	assert.True(t, pos[0].Quantity.Equal(dec("20")))
	assert.True(t, pos[0].AverageOpenPrice.Equal(dec("380.50")))

	// Quotes and security lookup.
	quotes, err := user.Quotes.Get(ctx, "AAPL", "MSFT")
	require.NoError(t, err)
	require.Len(t, quotes, 2)
	assert.Equal(t, "196.31", quotes[0].Ask.String())
	sec, err := user.Quotes.LookupSecurity(ctx, "AAPL")
	require.NoError(t, err)
	assert.Equal(t, quotes[0].SecurityID, sec.ID)

	// Preview and place an order.
	order := autoshares.OrderRequest{Symbol: "AAPL", Type: autoshares.OrderMarket, Side: autoshares.SideBuy,
		Quantity: dec("10"), ClientID: "onboarding-1"}
	preview, err := user.Orders.Preview(ctx, acc, order)
	require.NoError(t, err)
	assert.True(t, preview.IsSuccessful)
	assert.Equal(t, "1963.1", preview.Cost.String())
	placed, err := user.Orders.Place(ctx, acc, order)
	require.NoError(t, err)
	assert.Equal(t, "PendingNew", placed.Status)
	got, err := user.Orders.Get(ctx, acc, placed.ID)
	require.NoError(t, err)
	assert.Equal(t, "Filled", got.Status)
	assert.True(t, got.AveragePrice.Equal(dec("196.31")))
	pos, err = user.Positions.List(ctx, accID, nil)
	require.NoError(t, err)
	assert.Len(t, pos, 2)
	// One position per page: List walks the pages itself.
	pos, err = user.Positions.List(ctx, accID, &autoshares.PositionsOptions{PageSize: 1})
	require.NoError(t, err)
	require.Len(t, pos, 2)
	assert.Equal(t, "AAPL", pos[0].Symbol)
	assert.Equal(t, "MSFT", pos[1].Symbol)
	bals, err = user.Accounts.Balances(ctx, accID)
	require.NoError(t, err)
	assert.Equal(t, "98036.9", bals[0].Cash.String())

	// A price alert that completes when the quote crosses it.
	alert, err := user.PriceAlerts.Create(ctx, autoshares.Me, autoshares.NewPriceAlert{SecurityID: sec.ID,
		Operator: autoshares.AlertGreaterOrEqual, Field: autoshares.AlertFieldLast, Argument: dec("200.5")})
	require.NoError(t, err)
	assert.Equal(t, autoshares.AlertNew, alert.State)
	srv.SetQuote("AAPL", dec("200.40"), dec("200.60"), dec("200.50"))
	alert, err = user.PriceAlerts.Get(ctx, autoshares.Me, alert.ID)
	require.NoError(t, err)
	assert.Equal(t, autoshares.AlertCompleted, alert.State)
	alerts, err := user.PriceAlerts.List(ctx, autoshares.Me, &autoshares.ListOptions{PageSize: 10})
	require.NoError(t, err)
	assert.Equal(t, 1, alerts.Total)
}

func TestOrderBeforeSigningFails(t *testing.T) {
	ctx := context.Background()
	srv := autosharestest.NewServer()
	defer srv.Close()
	trader := session(t, srv, newProvider(t, srv), autosharestest.User, autosharestest.Password)
	_, err := trader.Orders.Place(ctx, autosharestest.TraderAccountID, autoshares.OrderRequest{Symbol: "AAPL",
		Type: autoshares.OrderMarket, Side: autoshares.SideBuy, Quantity: dec("1")})
	require.ErrorIs(t, err, autoshares.ErrAgreementsPending)
	var pe *autoshares.AgreementsPendingError
	require.ErrorAs(t, err, &pe)
	titles := []string{}
	for _, a := range pe.Agreements {
		titles = append(titles, a.Title)
	}
	assert.ElementsMatch(t, []string{"Platform Agreement", "Market Data Agreement"}, titles)
	var ae *autoshares.Error
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, http.StatusForbidden, ae.StatusCode)

	// Positions are readable meanwhile; signing unblocks trading.
	_, err = trader.Positions.List(ctx, strconv.Itoa(autosharestest.TraderAccountID), nil)
	require.NoError(t, err)
	_, err = trader.Agreements.SignAllRequired(ctx, autoshares.Me)
	require.NoError(t, err)
	_, err = trader.Orders.Place(ctx, autosharestest.TraderAccountID, autoshares.OrderRequest{Symbol: "AAPL",
		Type: autoshares.OrderMarket, Side: autoshares.SideBuy, Quantity: dec("1")})
	require.NoError(t, err)
}

// countingTransport counts the requests that reach the network.
type countingTransport struct {
	n    atomic.Int64
	base http.RoundTripper
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return c.base.RoundTrip(r)
}

func TestAPIKeyMissingOrWrong(t *testing.T) {
	ctx := context.Background()
	srv := autosharestest.NewServer()
	defer srv.Close()
	p := newProvider(t, srv)
	tok, err := srv.Login(ctx, p)
	require.NoError(t, err)

	// Missing: refused before any request.
	ct := &countingTransport{base: &auth.Transport{Source: staticToken{tok}}}
	c := autoshares.NewClient(&http.Client{Transport: ct}, autoshares.WithBaseURL(srv.URL()))
	_, err = c.Profile.Get(ctx)
	require.ErrorIs(t, err, autoshares.ErrInvalidInput)
	assert.ErrorContains(t, err, "API secret key")
	assert.Zero(t, ct.n.Load(), "no request may leave without the key")

	// Wrong: the broker's 403, typed, and the key is not in the error.
	const wrong = "not-the-key-0123456789"
	cfg := srv.Config()
	cfg.APIKey = wrong
	pw, err := autoshares.New(cfg)
	require.NoError(t, err)
	c = pw.NewClient(staticToken{tok})
	_, err = c.Profile.Get(ctx)
	require.ErrorIs(t, err, autoshares.ErrAPIKeyRejected)
	assert.NotErrorIs(t, err, auth.ErrInvalidToken)
	var ae *autoshares.Error
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, http.StatusForbidden, ae.StatusCode)
	assert.Contains(t, err.Error(), "Application key is not defined or does not exist")
	assert.NotContains(t, err.Error(), wrong)
	assert.NotContains(t, c.String(), wrong)

	// Wrong header name: same refusal.
	cfg = srv.Config()
	cfg.APIKeyHeader = "X-Api-Key"
	ph, err := autoshares.New(cfg)
	require.NoError(t, err)
	_, err = ph.NewClient(staticToken{tok}).Profile.Get(ctx)
	require.ErrorIs(t, err, autoshares.ErrAPIKeyRejected)
}

func TestOrderChecksAndValidation(t *testing.T) {
	ctx := context.Background()
	srv := autosharestest.NewServer()
	defer srv.Close()
	trader := session(t, srv, newProvider(t, srv), autosharestest.User, autosharestest.Password)
	_, err := trader.Agreements.SignAllRequired(ctx, autoshares.Me)
	require.NoError(t, err)

	_, err = trader.Orders.Place(ctx, autosharestest.TraderAccountID, autoshares.OrderRequest{Symbol: "MSFT",
		Type: autoshares.OrderMarket, Side: autoshares.SideBuy, Quantity: dec("1000")})
	require.ErrorIs(t, err, autoshares.ErrOrderRejected)
	var oe *autoshares.OrderRejectedError
	require.ErrorAs(t, err, &oe)
	assert.Equal(t, "DayTradingBuyingPowerExceeded", oe.Reason)
	assert.Equal(t, http.StatusOK, oe.StatusCode)

	_, err = trader.Orders.Preview(ctx, autosharestest.TraderAccountID, autoshares.OrderRequest{Symbol: "AAPL",
		Type: autoshares.OrderMarket, Side: autoshares.SideSell, Quantity: dec("1000")})
	require.ErrorAs(t, err, &oe)
	assert.Equal(t, "NotEnoughSharesToSell", oe.Reason)

	// Rejected locally, before the broker could accept and drop it later.
	_, err = trader.Orders.Place(ctx, autosharestest.TraderAccountID, autoshares.OrderRequest{Symbol: "AAPL",
		Type: autoshares.OrderLimit, Side: autoshares.SideBuy, Quantity: dec("1")})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "needs Price")

	// A resting limit order, listed and cancelled.
	o, err := trader.Orders.Place(ctx, autosharestest.TraderAccountID, autoshares.OrderRequest{Symbol: "AAPL",
		Type: autoshares.OrderLimit, Side: autoshares.SideBuy, Quantity: dec("1"), Price: dec("150")})
	require.NoError(t, err)
	got, err := trader.Orders.Get(ctx, autosharestest.TraderAccountID, o.ID)
	require.NoError(t, err)
	assert.Equal(t, "New", got.Status)
	list, err := trader.Orders.List(ctx, autosharestest.TraderAccountID, nil)
	require.NoError(t, err)
	assert.Equal(t, 1, list.Total)
	require.NoError(t, trader.Orders.Cancel(ctx, autosharestest.TraderAccountID, o.ID))
	got, err = trader.Orders.Get(ctx, autosharestest.TraderAccountID, o.ID)
	require.NoError(t, err)
	assert.Equal(t, "Canceled", got.Status)
	_, err = trader.Orders.Get(ctx, autosharestest.TraderAccountID, 999999)
	assert.ErrorIs(t, err, autoshares.ErrNotFound)
}

func TestForeignAccountAndAdminOnly(t *testing.T) {
	ctx := context.Background()
	srv := autosharestest.NewServer()
	defer srv.Close()
	trader := session(t, srv, newProvider(t, srv), autosharestest.User, autosharestest.Password)
	_, err := trader.Accounts.Balances(ctx, strconv.Itoa(autosharestest.SpareAccountID))
	assert.ErrorIs(t, err, auth.ErrInvalidToken, "a foreign account is the documented 401")
	assert.Contains(t, err.Error(), "Authorization has been denied")
	_, err = trader.Users.Create(ctx, autoshares.NewUser{FirstName: "A", LastName: "B", EmailAddress: "a@b.c", Login: "ab"}, nil)
	assert.ErrorIs(t, err, autoshares.ErrForbidden)
	_, err = trader.Accounts.Bind(ctx, autosharestest.SpareAccountID, autoshares.Me, autoshares.AccessFull)
	assert.ErrorIs(t, err, autoshares.ErrForbidden)
}

func TestPriceAlertLifecycle(t *testing.T) {
	ctx := context.Background()
	clock := autosharestest.NewTestClock(time.Time{})
	srv := autosharestest.NewServer(autosharestest.WithClock(clock.Now))
	defer srv.Close()
	p := newProvider(t, srv)
	tok, err := srv.Browser(autosharestest.AdminLogin, autosharestest.AdminPassword).Token(ctx, p)
	require.NoError(t, err)
	c := p.NewClient(staticToken{tok})

	exp := autoshares.Time{Time: clock.Now().Add(time.Hour)}
	a, err := c.PriceAlerts.Create(ctx, autoshares.Me, autoshares.NewPriceAlert{SecurityID: 5,
		Operator: autoshares.AlertLessOrEqual, Field: autoshares.AlertFieldBid, Argument: dec("400"), ExpirationDate: &exp})
	require.NoError(t, err)
	assert.Equal(t, exp.Unix(), a.ExpirationDate.Unix())
	assert.Equal(t, "MSFT", a.Symbol)

	a, err = c.PriceAlerts.Update(ctx, autoshares.Me, a.ID, autoshares.NewPriceAlert{SecurityID: 5,
		Operator: autoshares.AlertLessOrEqual, Field: autoshares.AlertFieldBid, Argument: dec("399.99"),
		ExpirationDate: &exp, State: autoshares.AlertNew})
	require.NoError(t, err)
	assert.Equal(t, "399.99", a.Argument.String())

	clock.Advance(2 * time.Hour)
	a, err = c.PriceAlerts.Get(ctx, autoshares.Me, a.ID)
	require.NoError(t, err)
	assert.Equal(t, autoshares.AlertExpired, a.State)

	require.NoError(t, c.PriceAlerts.Delete(ctx, autoshares.Me, a.ID))
	_, err = c.PriceAlerts.Get(ctx, autoshares.Me, a.ID)
	assert.ErrorIs(t, err, autoshares.ErrNotFound)

	_, err = c.PriceAlerts.Create(ctx, autoshares.Me, autoshares.NewPriceAlert{SecurityID: 5, Operator: "GT",
		Field: autoshares.AlertFieldBid, Argument: dec("1")})
	assert.ErrorContains(t, err, "GTEQ or LTEQ")
}

func TestRefreshOnAndOff(t *testing.T) {
	ctx := context.Background()
	for _, on := range []bool{true, false} {
		t.Run(strconv.FormatBool(on), func(t *testing.T) {
			clock := autosharestest.NewTestClock(time.Time{})
			srv := autosharestest.NewServer(autosharestest.WithRefresh(on), autosharestest.WithClock(clock.Now))
			defer srv.Close()
			p := newProvider(t, srv)
			assert.Equal(t, on, p.Capabilities().Refresh)
			assert.Equal(t, on, containsScope(p.Scopes(), "offline_access"))
			tok, err := srv.Login(ctx, p)
			require.NoError(t, err)
			assert.Equal(t, clock.Now().Add(24*time.Hour), tok.Expiry)
			assert.Equal(t, on, tok.RefreshToken != "")
			if !on {
				_, err = p.Refresh(ctx, tok)
				assert.ErrorIs(t, err, auth.ErrUnsupported)
				return
			}
			clock.Advance(30 * 24 * time.Hour) // refresh tokens do not expire
			nt, err := p.Refresh(ctx, tok)
			require.NoError(t, err)
			assert.NotEqual(t, tok.AccessToken, nt.AccessToken)
			assert.Equal(t, tok.RefreshToken, nt.RefreshToken)
		})
	}
}

func containsScope(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestExpiredTokenIsInvalidToken(t *testing.T) {
	ctx := context.Background()
	clock := autosharestest.NewTestClock(time.Time{})
	srv := autosharestest.NewServer(autosharestest.WithClock(clock.Now), autosharestest.WithRefresh(false))
	defer srv.Close()
	p := newProvider(t, srv)
	tok, err := srv.Login(ctx, p)
	require.NoError(t, err)
	c := p.NewClient(staticToken{tok})
	_, err = c.Profile.Get(ctx)
	require.NoError(t, err)
	clock.Advance(24*time.Hour + time.Second)
	_, err = c.Profile.Get(ctx)
	require.ErrorIs(t, err, auth.ErrInvalidToken)
	assert.False(t, errors.Is(err, autoshares.ErrAPIKeyRejected))
}

func TestRefusedTokenIsRefreshedOnce(t *testing.T) {
	ctx := context.Background()
	srv := autosharestest.NewServer()
	defer srv.Close()
	trader := session(t, srv, newProvider(t, srv), autosharestest.User, autosharestest.Password)
	// The broker drops the access token: the 401 is answered by one
	// refresh and the call goes through.
	srv.Faults().Next("/v1.0/users/@me/info", autosharestest.Fault{InvalidateToken: true}, 1)
	me, err := trader.Profile.Get(ctx)
	require.NoError(t, err)
	assert.Equal(t, int64(autosharestest.TraderUserID), me.ID)

	// Without refresh tokens the user must log in again.
	srv2 := autosharestest.NewServer(autosharestest.WithRefresh(false))
	defer srv2.Close()
	trader = session(t, srv2, newProvider(t, srv2), autosharestest.User, autosharestest.Password)
	srv2.Faults().Next("/v1.0/users/@me/info", autosharestest.Fault{InvalidateToken: true}, 1)
	_, err = trader.Profile.Get(ctx)
	require.ErrorIs(t, err, auth.ErrReauthRequired)
}

func TestUserinfoAndLogout(t *testing.T) {
	ctx := context.Background()
	srv := autosharestest.NewServer()
	defer srv.Close()
	p := newProvider(t, srv)
	tok, err := srv.Login(ctx, p)
	require.NoError(t, err)
	ui, err := p.UserInfo(ctx, tok)
	require.NoError(t, err)
	assert.Equal(t, strconv.Itoa(autosharestest.TraderUserID), ui.Subject)
	assert.Equal(t, "trader@autoshares.example", ui.Email)

	hc := srv.Client()
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := hc.Get(p.LogoutURL("http://127.0.0.1:9/bye"))
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusFound, resp.StatusCode)
	assert.Equal(t, "http://127.0.0.1:9/bye", resp.Header.Get("Location"))
}

func TestCodeLifetime(t *testing.T) {
	ctx := context.Background()
	clock := autosharestest.NewTestClock(time.Time{})
	srv := autosharestest.NewServer(autosharestest.WithClock(clock.Now))
	defer srv.Close()
	p := newProvider(t, srv)
	assert.Equal(t, 10*time.Minute, p.Lifetimes().Code)
	code := func() (string, string) {
		flow, err := auth.Begin(p)
		require.NoError(t, err)
		cb, err := srv.Browser(autosharestest.User, autosharestest.Password).Login(ctx, flow.URL)
		require.NoError(t, err)
		u, err := url.Parse(cb)
		require.NoError(t, err)
		return u.Query().Get("code"), flow.Verifier
	}
	c, v := code()
	clock.Advance(9 * time.Minute)
	_, err := p.Exchange(ctx, c, auth.SetParam("code_verifier", v))
	require.NoError(t, err, "a 9-minute-old code is still good")

	c, v = code()
	clock.Advance(10*time.Minute + time.Second)
	_, err = p.Exchange(ctx, c, auth.SetParam("code_verifier", v))
	var oe *auth.OAuthError
	require.ErrorAs(t, err, &oe)
	assert.Equal(t, "invalid_grant", oe.Code)
}

func TestNewAccountBindAndUnbind(t *testing.T) {
	ctx := context.Background()
	srv := autosharestest.NewServer()
	defer srv.Close()
	p := newProvider(t, srv)
	admin := session(t, srv, p, autosharestest.AdminLogin, autosharestest.AdminPassword)
	trader := session(t, srv, p, autosharestest.User, autosharestest.Password)

	acc, err := admin.Accounts.Create(ctx, autoshares.NewAccount{MarginType: autoshares.MarginCash, Alias: "second"})
	require.NoError(t, err)
	require.NotZero(t, acc.ID)
	_, err = admin.Accounts.Create(ctx, autoshares.NewAccount{MarginType: "Crypto"})
	assert.ErrorContains(t, err, "MarginType")

	_, err = admin.Accounts.Bind(ctx, acc.ID, autoshares.UserID(autosharestest.TraderUserID), autoshares.AccessReadOnly)
	require.NoError(t, err)
	_, err = admin.Accounts.BindByUsername(ctx, acc.ID, autosharestest.User, autoshares.AccessReadOnly)
	require.NoError(t, err, "binding is idempotent")
	list, err := trader.Accounts.List(ctx)
	require.NoError(t, err)
	require.Len(t, list, 2)
	assert.Equal(t, autoshares.AccessReadOnly, list[1].AccessType)
	assert.Equal(t, "second", list[1].Alias)

	_, err = admin.Accounts.Bind(ctx, 999999, autoshares.Me, autoshares.AccessFull)
	assert.ErrorIs(t, err, autoshares.ErrNotFound)

	require.NoError(t, admin.Accounts.Unbind(ctx, acc.ID, autoshares.UserID(autosharestest.TraderUserID)))
	list, err = trader.Accounts.List(ctx)
	require.NoError(t, err)
	assert.Len(t, list, 1)

	upd := "Thomas"
	u, err := trader.Users.Update(ctx, autoshares.Me, autoshares.UserUpdate{FirstName: &upd})
	require.NoError(t, err)
	assert.Equal(t, "Thomas", u.FirstName)
	assert.Equal(t, "Trader", u.LastName)
}

// TestWithBaseTransport: the base transport sits under the authorizing
// one, so it sees every request with its credentials already added.
func TestWithBaseTransport(t *testing.T) {
	ctx := context.Background()
	srv := autosharestest.NewServer()
	defer srv.Close()
	p := newProvider(t, srv)
	tok, err := srv.Login(ctx, p)
	require.NoError(t, err)
	var sawToken atomic.Bool
	ct := &countingTransport{base: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		sawToken.Store(r.Header.Get("Authorization") == "Bearer "+tok.AccessToken)
		return http.DefaultTransport.RoundTrip(r)
	})}
	c := p.NewClient(staticToken{tok}, autoshares.WithBaseTransport(ct))
	_, err = c.Profile.Get(ctx)
	require.NoError(t, err)
	assert.Equal(t, int64(1), ct.n.Load())
	assert.True(t, sawToken.Load(), "the base transport sees the authorized request")

	// A client that is not an authorizing one cannot take a base transport.
	_, err = autoshares.NewClient(&http.Client{Transport: ct}, autoshares.WithProvider(p),
		autoshares.WithBaseTransport(ct)).Profile.Get(ctx)
	assert.ErrorIs(t, err, autoshares.ErrInvalidInput)
}
