package tradestation_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/tradestation"
	"github.com/brokerkit/brokerkit/tradestation/tradestationtest"
)

var twentySymbols = []string{"MSFT", "AAPL", "GOOG", "AMZN", "META", "NVDA", "TSLA", "SPY", "QQQ", "IWM",
	"DIA", "NFLX", "AMD", "INTC", "ORCL", "IBM", "CSCO", "JPM", "BAC", "WFC"}

// login runs a whole browser login against the emulator and returns the
// token.
func login(t *testing.T, srv *tradestationtest.Server, p *tradestation.Provider, opts ...auth.FlowOption) (*auth.Token, *auth.Flow) {
	t.Helper()
	flow, err := auth.Begin(p, opts...)
	require.NoError(t, err)
	cb, err := srv.Consent(context.Background(), flow.URL)
	require.NoError(t, err)
	tok, err := flow.CompleteURL(context.Background(), p, cb)
	require.NoError(t, err)
	return tok, flow
}

// session wraps tok in a TokenSource on a memory store and returns a
// client using it.
func session(t *testing.T, srv *tradestationtest.Server, p *tradestation.Provider, tok *auth.Token,
	srcOpts []auth.SourceOption, opts ...tradestation.Option) (*tradestation.Client, *auth.Source, *auth.MemoryStore) {
	t.Helper()
	store := auth.NewMemoryStore()
	src, err := auth.NewSource(p, store, auth.Key(tradestation.Name, "trader"), srcOpts...)
	require.NoError(t, err)
	require.NoError(t, src.SetToken(context.Background(), tok))
	return p.NewClient(src, opts...), src, store
}

func TestE2EV3LoginAndCalls(t *testing.T) {
	srv := tradestationtest.NewServer()
	defer srv.Close()
	for _, tc := range []struct {
		name string
		cfg  tradestation.Config
	}{
		{"client secret", srv.Config()},
		{"PKCE", srv.PKCEConfig(tradestation.V3)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			p, err := tradestation.New(tc.cfg)
			require.NoError(t, err)
			tok, flow := login(t, srv, p)
			assert.Equal(t, tc.cfg.PKCE, flow.Verifier != "")
			u, _ := url.Parse(flow.URL)
			assert.Equal(t, tc.cfg.PKCE, u.Query().Get("code_challenge_method") == "S256")
			assert.Equal(t, tradestation.TradingAudience, tok.Audience)
			assert.NotEmpty(t, tok.RefreshToken, "offline_access gives a refresh token")
			assert.Greater(t, len(tok.Extra["id_token"]), len(`""`), "an id_token string")
			assert.WithinDuration(t, time.Now().Add(20*time.Minute), tok.Expiry, 5*time.Second)

			c, _, _ := session(t, srv, p, tok, nil)
			prof, err := c.Profile.Get(ctx)
			require.NoError(t, err)
			assert.Equal(t, tradestationtest.V3UserID, prof.Subject)
			assert.Equal(t, "Terry Trader", prof.Name)

			accts, err := c.Accounts.List(ctx)
			require.NoError(t, err)
			require.Len(t, accts, 3)
			var ids []string
			types := map[string]bool{}
			for _, a := range accts {
				ids = append(ids, a.AccountID)
				types[a.AccountType] = true
			}
			assert.Equal(t, map[string]bool{"Cash": true, "Margin": true, "Futures": true}, types)

			bals, err := c.Accounts.Balances(ctx, append(ids, "99999999")...)
			var pe *tradestation.PartialError
			require.ErrorAs(t, err, &pe, "an unknown account is a partial error, beside the others")
			assert.Len(t, bals, 3)
			require.Len(t, pe.Failed, 1)
			assert.Contains(t, pe.Failed, "99999999")
			for _, b := range bals {
				assert.True(t, b.Equity.Equal(b.CashBalance.Add(b.MarketValue)), "equity = cash + market value for %s", b.AccountID)
			}

			var pos []tradestation.Position
			for _, id := range ids {
				p, err := c.Positions.List(ctx, id, nil)
				require.NoError(t, err)
				pos = append(pos, p...)
			}
			assert.Len(t, pos, 5)
			var msft []tradestation.Position
			for _, id := range ids {
				p, err := c.Positions.List(ctx, id, &tradestation.PositionsOptions{Symbol: "MSFT"})
				require.NoError(t, err)
				msft = append(msft, p...)
			}
			require.Len(t, msft, 1)
			assert.Equal(t, "10", msft[0].Quantity.String())

			quotes, err := c.Quotes.Get(ctx, append(twentySymbols, "NOPE")...)
			require.ErrorAs(t, err, &pe)
			assert.Len(t, quotes, 20)
			assert.Equal(t, map[string]string{"NOPE": "FAILED, INVALID SYMBOL"}, pe.Failed)
			assert.Equal(t, "412.37", quotes[0].Last.String())
			assert.True(t, quotes[0].Ask.GreaterThan(quotes[0].Bid))

			sug, err := c.V2.Suggest(ctx, "AA", nil)
			require.NoError(t, err, "v3 tokens may use the v2 symbol lookups")
			assert.Equal(t, "AAPL", sug[0].Name)
			_, err = c.V2.Accounts(ctx)
			assert.ErrorIs(t, err, tradestation.ErrWrongAudience, "but not other v2 calls")
		})
	}
}

func TestE2EPKCERequiredRefusesPlainLogin(t *testing.T) {
	srv := tradestationtest.NewServer(tradestationtest.WithPKCERequired())
	defer srv.Close()
	p, err := tradestation.New(srv.Config())
	require.NoError(t, err)
	flow, err := auth.Begin(p)
	require.NoError(t, err)
	cb, err := srv.Consent(context.Background(), flow.URL)
	require.NoError(t, err)
	_, err = flow.CompleteURL(context.Background(), p, cb)
	var oe *auth.OAuthError
	require.ErrorAs(t, err, &oe, "a key that needs PKCE refuses a login without it")

	pk, err := tradestation.New(srv.PKCEConfig(tradestation.V3))
	require.NoError(t, err)
	login(t, srv, pk)
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

func TestE2EStaysLoggedInForThreeHours(t *testing.T) {
	clock := tradestationtest.NewTestClock(time.Now())
	srv := tradestationtest.NewServer(tradestationtest.WithClock(clock.Now))
	defer srv.Close()
	cfg := srv.Config()
	p, err := tradestation.New(cfg)
	require.NoError(t, err)
	tok, _ := login(t, srv, p)
	var refreshes atomic.Int64
	c, _, store := session(t, srv, p, tok, []auth.SourceOption{auth.SourceOptions{Now: clock.Now,
		OnChange: func(old, nt *auth.Token) {
			if old != nil {
				refreshes.Add(1)
			}
		}}})
	ctx := context.Background()
	start := clock.Now()
	for clock.Now().Sub(start) < 3*time.Hour {
		_, err := c.Quotes.Get(ctx, "MSFT")
		require.NoError(t, err, "at +%s", clock.Now().Sub(start))
		clock.Advance(time.Minute)
	}
	assert.GreaterOrEqual(t, refreshes.Load(), int64(9), "20-minute tokens over 3 hours")
	saved, err := store.Load(ctx, auth.Key(tradestation.Name, "trader"))
	require.NoError(t, err)
	assert.Equal(t, tok.RefreshToken, saved.RefreshToken, "non-expiring refresh token is kept")
	assert.True(t, saved.Expiry.After(clock.Now()))
}

func TestE2ERotatingRefreshUntilAbsoluteLimit(t *testing.T) {
	clock := tradestationtest.NewTestClock(time.Now())
	srv := tradestationtest.NewServer(tradestationtest.WithClock(clock.Now),
		tradestationtest.WithRotatingRefresh(30*time.Minute, 24*time.Hour, true))
	defer srv.Close()
	p, err := tradestation.New(srv.Config())
	require.NoError(t, err)
	assert.True(t, p.Capabilities().RefreshRotates)
	tok, _ := login(t, srv, p)
	assert.Equal(t, clock.Now().Add(24*time.Hour), tok.RefreshExpiry)
	seen := map[string]bool{tok.RefreshToken: true}
	c, _, store := session(t, srv, p, tok, []auth.SourceOption{auth.SourceOptions{Now: clock.Now,
		OnChange: func(old, nt *auth.Token) {
			if old == nil {
				return // SetToken
			}
			assert.False(t, seen[nt.RefreshToken], "every refresh rotates the refresh token")
			seen[nt.RefreshToken] = true
		}}})
	ctx := context.Background()
	start := clock.Now()
	var lastErr error
	for clock.Now().Sub(start) < 25*time.Hour {
		if _, lastErr = c.Accounts.List(ctx); lastErr != nil {
			break
		}
		// An app active at least every 30 minutes keeps its rotating
		// refresh token alive.
		clock.Advance(10 * time.Minute)
	}
	require.Error(t, lastErr)
	assert.ErrorIs(t, lastErr, auth.ErrReauthRequired)
	elapsed := clock.Now().Sub(start)
	assert.GreaterOrEqual(t, elapsed, 23*time.Hour, "the session lasted until the absolute limit")
	assert.LessOrEqual(t, elapsed, 24*time.Hour+30*time.Minute)
	assert.Greater(t, len(seen), 60)
	saved, err := store.Load(ctx, auth.Key(tradestation.Name, "trader"))
	require.NoError(t, err)
	assert.True(t, seen[saved.RefreshToken], "the latest rotated token was persisted")
}

func TestE2EAOPLoginAndAudienceSeparation(t *testing.T) {
	srv := tradestationtest.NewServer()
	defer srv.Close()
	ctx := context.Background()
	p, err := tradestation.New(srv.ConfigFor(tradestation.AOP))
	require.NoError(t, err)
	aopTok, flow := login(t, srv, p, auth.FlowOptions{AuthParams: []auth.AuthCodeOption{tradestation.EnableRegistration(), tradestation.WithPage(tradestation.PageSignup)}})
	u, _ := url.Parse(flow.URL)
	assert.Equal(t, tradestation.AOPAudience, u.Query().Get("audience"))
	assert.Equal(t, "true", u.Query().Get("enableRegistration"))
	assert.Equal(t, "signup", u.Query().Get("page"))
	assert.Equal(t, "openid offline_access profile email access:aop", u.Query().Get("scope"))
	assert.Equal(t, tradestation.AOPAudience, aopTok.Audience)

	tp, err := tradestation.New(srv.Config())
	require.NoError(t, err)
	tradeTok, _ := login(t, srv, tp)

	// The SDK refuses before sending anything.
	for _, tc := range []struct {
		name string
		tok  *auth.Token
		call func(hc *http.Client) error
	}{
		{"AOP token on the trading API", aopTok, func(hc *http.Client) error {
			_, err := tradestation.NewClient(hc, tradestation.WithProvider(p)).Accounts.List(ctx)
			return err
		}},
		{"trading token on the AOP API", tradeTok, func(hc *http.Client) error {
			return tradestation.NewAOPClient(hc, tradestation.WithProvider(p)).Do(ctx, http.MethodPost, "v1/applications", map[string]any{}, nil)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ct := &countingTransport{base: http.DefaultTransport}
			store := auth.NewMemoryStore()
			src, err := auth.NewSource(p, store, "k")
			require.NoError(t, err)
			require.NoError(t, src.SetToken(ctx, tc.tok))
			hc := &http.Client{Transport: &auth.Transport{Source: src, Base: ct, RefreshOn: p.TokenRefused}}
			err = tc.call(hc)
			require.ErrorIs(t, err, tradestation.ErrWrongAudience)
			assert.Contains(t, err.Error(), "audience")
			assert.Zero(t, ct.n.Load(), "no request was sent")
		})
	}

	// The emulator refuses too, for clients that cannot see the token.
	bare := func(tok *auth.Token) *http.Client {
		return &http.Client{Transport: bearer(tok.AccessToken)}
	}
	_, err = tradestation.NewClient(bare(aopTok), tradestation.WithProvider(p)).Accounts.List(ctx)
	require.ErrorIs(t, err, auth.ErrInvalidToken)
	err = tradestation.NewAOPClient(bare(tradeTok), tradestation.WithProvider(p)).Do(ctx, http.MethodPost, "v1/applications", map[string]any{}, nil)
	require.ErrorIs(t, err, auth.ErrInvalidToken)

	// And each token works where it belongs.
	var app struct{ ApplicationId string }
	aopSrc, err := auth.NewSource(p, auth.NewMemoryStore(), "aop")
	require.NoError(t, err)
	require.NoError(t, aopSrc.SetToken(ctx, aopTok))
	require.NoError(t, tradestation.NewAOPClient(auth.NewClient(aopSrc), tradestation.WithProvider(p)).
		Do(ctx, http.MethodPost, "v1/applications", map[string]any{"Contacts": []any{}}, &app))
	assert.NotEmpty(t, app.ApplicationId)
	prof, err := p.NewClient(aopSrc).Profile.Get(ctx)
	require.NoError(t, err, "userinfo takes any sign-in token")
	assert.Equal(t, "trader@example.com", prof.Email)
}

type bearer string

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+string(b))
	return http.DefaultTransport.RoundTrip(r)
}

func TestE2EV2LoginAccountsQuotes(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts []tradestationtest.Option
	}{
		{"current fields", nil},
		{"legacy fields and auth_code", []tradestationtest.Option{tradestationtest.WithLegacyTokenFields(), tradestationtest.WithAuthCodeParam()}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := tradestationtest.NewServer(tc.opts...)
			defer srv.Close()
			ctx := context.Background()
			p, err := tradestation.New(srv.ConfigFor(tradestation.V2))
			require.NoError(t, err)
			tok, _ := login(t, srv, p)
			assert.Equal(t, tradestationtest.V2UserID, tok.Subject)
			assert.NotEmpty(t, tok.RefreshToken)
			assert.Equal(t, tradestation.V2Audience, tok.Audience)

			c, src, _ := session(t, srv, p, tok, nil)
			accts, err := c.V2.Accounts(ctx)
			require.NoError(t, err)
			require.Len(t, accts, 3)
			assert.Equal(t, "11827462", accts[1].Key.String())
			assert.Equal(t, "Margin", accts[1].TypeDescription)

			quotes, err := c.V2.Quotes(ctx, "msft", "GOOG", "NOPE")
			var pe *tradestation.PartialError
			require.ErrorAs(t, err, &pe)
			require.Len(t, quotes, 2)
			assert.Equal(t, "412.37", quotes[0].Last.String())
			assert.Contains(t, pe.Failed, "NOPE")

			nt, err := src.ForceRefresh(ctx, tok)
			require.NoError(t, err)
			assert.NotEqual(t, tok.AccessToken, nt.AccessToken)
			assert.Equal(t, tok.RefreshToken, nt.RefreshToken, "v2 refresh keeps the refresh token")
			assert.Equal(t, tradestationtest.V2UserID, nt.Subject)
			_, err = c.V2.Accounts(ctx)
			require.NoError(t, err)
		})
	}
}

func TestE2EV2CodeLivesThirtySeconds(t *testing.T) {
	clock := tradestationtest.NewTestClock(time.Now())
	srv := tradestationtest.NewServer(tradestationtest.WithClock(clock.Now))
	defer srv.Close()
	p, err := tradestation.New(srv.ConfigFor(tradestation.V2))
	require.NoError(t, err)
	flow, err := auth.Begin(p)
	require.NoError(t, err)
	cb, err := srv.Consent(context.Background(), flow.URL)
	require.NoError(t, err)
	clock.Advance(31 * time.Second)
	_, err = flow.CompleteURL(context.Background(), p, cb)
	var oe *auth.OAuthError
	require.ErrorAs(t, err, &oe)
	assert.Equal(t, "Authorization code expired", oe.Description)
	assert.Equal(t, 401, oe.StatusCode)
}

func TestE2EV2ClientCredentials(t *testing.T) {
	srv := tradestationtest.NewServer()
	defer srv.Close()
	ctx := context.Background()
	p, err := tradestation.New(srv.ConfigFor(tradestation.V2))
	require.NoError(t, err)
	tok, err := p.ClientCredentials(ctx)
	require.NoError(t, err)
	assert.Equal(t, tradestation.ClientOnlyUser, tok.Subject)
	assert.Empty(t, tok.RefreshToken)

	c, _, _ := session(t, srv, p, tok, nil)
	sug, err := c.V2.Suggest(ctx, "MS", &tradestation.SuggestOptions{Top: 5})
	require.NoError(t, err)
	require.NotEmpty(t, sug)
	assert.Equal(t, "MSFT", sug[0].Name)
	found, err := c.V2.Search(ctx, tradestation.SearchCriteria{Name: "MSFT", Category: "Stock", Country: "US"})
	require.NoError(t, err)
	require.Len(t, found, 1)
	assert.Equal(t, "Microsoft Corp", found[0].Description)

	_, err = c.V2.Accounts(ctx)
	assert.ErrorIs(t, err, tradestation.ErrClientOnlyToken, "the SDK refuses first")
	_, err = c.V2.Quotes(ctx, "MSFT")
	require.ErrorIs(t, err, tradestation.ErrForbidden, "quotes are not symbol lookup")

	req, err := http.NewRequestWithContext(ctx, http.MethodGet,
		srv.URL()+"/v2/users/"+tradestationtest.V2UserID+"/accounts", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	resp, err := srv.Client().Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusForbidden, resp.StatusCode, "and the server refuses too")
}

func TestE2ERateLimits(t *testing.T) {
	clock := tradestationtest.NewTestClock(time.Now())
	srv := tradestationtest.NewServer(tradestationtest.WithClock(clock.Now),
		tradestationtest.WithRateLimits(tradestationtest.RateLimits{Quotes: 2, V2: 1, Window: 5 * time.Minute}))
	defer srv.Close()
	ctx := context.Background()
	p, err := tradestation.New(srv.Config())
	require.NoError(t, err)
	tok, _ := login(t, srv, p)
	c, _, _ := session(t, srv, p, tok, []auth.SourceOption{auth.SourceOptions{Now: clock.Now}}, tradestation.WithRetry(tradestation.RetryPolicy{MaxAttempts: 1}))
	for range 2 {
		_, err := c.Quotes.Get(ctx, "MSFT")
		require.NoError(t, err)
	}
	_, err = c.Quotes.Get(ctx, "MSFT")
	var rl *auth.RateLimitError
	require.ErrorAs(t, err, &rl)
	assert.Equal(t, 429, rl.StatusCode)
	assert.Equal(t, 2, rl.Limit)
	assert.Equal(t, 0, rl.Remaining)
	assert.False(t, rl.Reset.IsZero())
	var apiErr *tradestation.Error
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, "TooManyRequests", apiErr.Code)
	assert.Equal(t, "Quotes", apiErr.Response.Header.Get("X-RateLimit-Resource"))
	clock.Advance(5 * time.Minute)
	_, err = c.Quotes.Get(ctx, "MSFT")
	require.NoError(t, err, "a new window")

	p2, err := tradestation.New(srv.ConfigFor(tradestation.V2))
	require.NoError(t, err)
	tok2, _ := login(t, srv, p2)
	c2, _, _ := session(t, srv, p2, tok2, []auth.SourceOption{auth.SourceOptions{Now: clock.Now}}, tradestation.WithRetry(tradestation.RetryPolicy{MaxAttempts: 1}))
	_, err = c2.V2.Accounts(ctx)
	require.NoError(t, err)
	_, err = c2.V2.Accounts(ctx)
	require.ErrorAs(t, err, &rl, "v2's 403 Quota Exceeded page")
	assert.Equal(t, 403, rl.StatusCode)
}

func TestE2EFaultsAndRetries(t *testing.T) {
	srv := tradestationtest.NewServer()
	defer srv.Close()
	ctx := context.Background()
	p, err := tradestation.New(srv.Config())
	require.NoError(t, err)
	tok, _ := login(t, srv, p)
	c, _, _ := session(t, srv, p, tok, nil, tradestation.WithRetry(tradestation.RetryPolicy{MaxAttempts: 3, MaxWait: 5 * time.Second}))
	srv.Faults().Next("/v3/brokerage/accounts", tradestationtest.Fault{Status: 503}, 2)
	_, err = c.Accounts.List(ctx)
	require.NoError(t, err, "two 503s fit a budget of three attempts")

	srv.Faults().Next("/v3/brokerage/accounts", tradestationtest.Fault{Status: 503}, 3)
	_, err = c.Accounts.List(ctx)
	require.ErrorIs(t, err, auth.ErrUnavailable)

	// A token invalidated at the broker is refreshed once and the call
	// succeeds.
	srv.Faults().Next("/v3/marketdata/quotes/*", tradestationtest.Fault{InvalidateToken: true}, 1)
	_, err = c.Quotes.Get(ctx, "MSFT")
	require.NoError(t, err)

	// After revocation the user must log in again.
	require.NoError(t, p.Revoke(ctx, tok))
	_, err = p.Refresh(ctx, tok)
	require.ErrorIs(t, err, auth.ErrReauthRequired)
}

func TestE2ESimAndCaseInsensitiveV2(t *testing.T) {
	srv := tradestationtest.NewServer()
	defer srv.Close()
	ctx := context.Background()
	simCfg := srv.Config()
	simCfg.Environment = auth.Sim
	p, err := tradestation.New(simCfg)
	require.NoError(t, err)
	tok, _ := login(t, srv, p)
	c, _, _ := session(t, srv, p, tok, nil)
	accts, err := c.Accounts.List(ctx)
	require.NoError(t, err)
	require.NotEmpty(t, accts)
	assert.Equal(t, "SIM1182747M", accts[1].AccountID)

	cfg := srv.ConfigFor(tradestation.V2)
	cfg.Environment = auth.Sim
	p2, err := tradestation.New(cfg)
	require.NoError(t, err)
	tok2, _ := login(t, srv, p2)
	for _, path := range []string{"/v2/data/quote/MSFT", "/V2/Data/Quote/MSFT", "/sim/v2/DATA/quote/msft"} {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL()+path, nil)
		req.Header.Set("Authorization", "Bearer "+tok2.AccessToken)
		resp, err := srv.Client().Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, 200, resp.StatusCode, path)
	}
	c2, _, _ := session(t, srv, p2, tok2, nil)
	v2accts, err := c2.V2.Accounts(ctx)
	require.NoError(t, err)
	assert.Equal(t, "1182746", v2accts[0].Key.String())
}

func TestE2EDeclinedConsent(t *testing.T) {
	srv := tradestationtest.NewServer()
	defer srv.Close()
	p, err := tradestation.New(srv.Config())
	require.NoError(t, err)
	flow, err := auth.Begin(p)
	require.NoError(t, err)
	cb, err := srv.Browser(tradestationtest.User, tradestationtest.Password).Declining().Login(context.Background(), flow.URL)
	require.NoError(t, err)
	_, err = flow.CompleteURL(context.Background(), p, cb)
	assert.True(t, errors.Is(err, auth.ErrAccessDenied))
}

func TestE2EV2ImplicitLegacy(t *testing.T) {
	srv := tradestationtest.NewServer()
	defer srv.Close()
	ctx := context.Background()
	cfg := srv.ConfigFor(tradestation.V2)
	cfg.LegacyImplicit = true
	p, err := tradestation.New(cfg)
	require.NoError(t, err)
	authURL, err := p.ImplicitURL("st-implicit")
	require.NoError(t, err)
	cb, err := srv.Consent(context.Background(), authURL)
	require.NoError(t, err)
	u, _ := url.Parse(cb)
	assert.Empty(t, u.RawQuery, "the token travels in the fragment")
	tok, err := p.ParseImplicitFragment(cb, "st-implicit")
	require.NoError(t, err)
	assert.Equal(t, tradestationtest.V2UserID, tok.Subject)
	assert.Empty(t, tok.RefreshToken, "implicit tokens cannot be refreshed")
	assert.WithinDuration(t, time.Now().Add(24*time.Hour), tok.Expiry, 5*time.Second)

	c, _, _ := session(t, srv, p, tok, nil)
	quotes, err := c.V2.Quotes(ctx, "MSFT")
	require.NoError(t, err)
	assert.Len(t, quotes, 1)

	_, err = p.ParseImplicitFragment(cb, "another-state")
	assert.ErrorIs(t, err, auth.ErrStateMismatch)
}
