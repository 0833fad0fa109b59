package spotware_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/spotware"
	"github.com/brokerkit/brokerkit/spotware/openapi"
	"github.com/brokerkit/brokerkit/spotware/spotwaretest"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"
)

func apiError(t *testing.T, err error, code string) *spotware.Error {
	t.Helper()
	var se *spotware.Error
	require.ErrorAs(t, err, &se, "got %v", err)
	require.Equal(t, code, se.Code)
	return se
}

var (
	ptAccountAuth = uint32(openapi.ProtoOAPayloadType_PROTO_OA_ACCOUNT_AUTH_REQ)
	ptProfile     = uint32(openapi.ProtoOAPayloadType_PROTO_OA_GET_CTID_PROFILE_BY_TOKEN_REQ)
)

// TestApplicationAuthCodes: 103 for a second application auth on one
// connection, 102 for a request the server takes as unauthenticated.
func TestApplicationAuthCodes(t *testing.T) {
	e := newEnv(t, nil, nil)
	ctx := t.Context()
	err := e.sess.Do(ctx, &openapi.ProtoOAApplicationAuthReq{ClientId: proto.String(spotwaretest.ClientID),
		ClientSecret: proto.String(spotwaretest.ClientSecret)}, &openapi.ProtoOAApplicationAuthRes{})
	apiError(t, err, "CH_CLIENT_ALREADY_AUTHENTICATED")

	e.srv.FailNext(ptProfile, "CH_CLIENT_NOT_AUTHENTICATED", "Client is not authenticated", 1)
	_, err = e.sess.Profile(ctx)
	se := apiError(t, err, "CH_CLIENT_NOT_AUTHENTICATED")
	require.Equal(t, ptProfile, se.PayloadType)
	require.Contains(t, err.Error(), "PROTO_OA_GET_CTID_PROFILE_BY_TOKEN_REQ")
}

func TestAlreadyLoggedIn(t *testing.T) {
	e := newEnv(t, nil, nil)
	ctx := t.Context()
	require.NoError(t, e.sess.AuthorizeAccount(ctx, spotwaretest.DemoAccount))
	err := e.sess.AuthorizeAccount(ctx, spotwaretest.DemoAccount)
	se := apiError(t, err, "ALREADY_LOGGED_IN")
	require.ErrorIs(t, err, spotware.ErrAlreadyLoggedIn)
	require.Equal(t, spotwaretest.DemoAccount, se.AccountID)
	require.Equal(t, "Trading account is already authorized in this channel", se.Description)
	// The account is still usable.
	_, err = e.sess.Trader(ctx, spotwaretest.DemoAccount)
	require.NoError(t, err)
}

func TestAccountNotAuthorizedAndWrongHost(t *testing.T) {
	e := newEnv(t, nil, oneHost)
	ctx := t.Context()
	_, err := e.sess.Trader(ctx, spotwaretest.DemoAccount)
	apiError(t, err, "ACCOUNT_NOT_AUTHORIZED")
	err = e.sess.AuthorizeAccount(ctx, spotwaretest.LiveAccount)
	apiError(t, err, "CANT_ROUTE_REQUEST")
}

// TestExpiredTokenRefreshesAndRetries: the server's clock passes the
// token's expiry while the client still thinks it valid; the server
// answers 104 "Access token expired", the session refreshes through the
// TokenSource, authorizes the accounts again and the call succeeds.
func TestExpiredTokenRefreshesAndRetries(t *testing.T) {
	for _, code := range []string{"CH_ACCESS_TOKEN_INVALID", "OA_AUTH_TOKEN_EXPIRED"} {
		t.Run(code, func(t *testing.T) {
			clock := spotwaretest.NewTestClock(time.Now())
			e := newEnv(t, []spotwaretest.Option{spotwaretest.WithClock(clock.Now), spotwaretest.WithExpiredTokenCode(code)}, nil)
			ctx := t.Context()
			require.NoError(t, e.sess.AuthorizeAccount(ctx, spotwaretest.DemoAccount))
			old, err := e.tokens.TokenContext(ctx)
			require.NoError(t, err)

			clock.Advance(spotwaretest.AccessLifetime + time.Minute)
			tr, err := e.sess.Trader(ctx, spotwaretest.DemoAccount)
			require.NoError(t, err)
			require.Equal(t, "10000", tr.Balance.String())
			e.events.waitFor(t, spotware.EventTokenRefreshed, 1, time.Second) // the log reads Events on its own goroutine
			require.Equal(t, 1, e.events.count(spotware.EventTokenRefreshed))
			now, err := e.tokens.TokenContext(ctx)
			require.NoError(t, err)
			require.NotEqual(t, old.AccessToken, now.AccessToken)

			// Token-level calls refresh too.
			clock.Advance(spotwaretest.AccessLifetime + time.Minute)
			prof, err := e.sess.Profile(ctx)
			require.NoError(t, err)
			require.Equal(t, spotwaretest.UserID, prof.UserID)
			e.events.waitFor(t, spotware.EventTokenRefreshed, 2, time.Second) // the log reads Events on its own goroutine
			require.Equal(t, 2, e.events.count(spotware.EventTokenRefreshed))
		})
	}
}

// TestTokenErrorReachesCaller: when the server keeps refusing the token
// after the refresh, the caller gets the typed error.
func TestTokenErrorReachesCaller(t *testing.T) {
	e := newEnv(t, nil, nil)
	ctx := t.Context()
	e.srv.FailNext(ptProfile, "CH_ACCESS_TOKEN_INVALID", "Access token expired", 2)
	_, err := e.sess.Profile(ctx)
	se := apiError(t, err, "CH_ACCESS_TOKEN_INVALID")
	require.Equal(t, "Access token expired", se.Description)
	require.ErrorIs(t, err, auth.ErrInvalidToken)
	e.events.waitFor(t, spotware.EventTokenRefreshed, 1, time.Second)
	require.Equal(t, 1, e.events.count(spotware.EventTokenRefreshed), "one refresh, then the error")

	e.srv.FailNext(ptAccountAuth, "OA_AUTH_TOKEN_EXPIRED", "token expired", 2)
	err = e.sess.AuthorizeAccount(ctx, spotwaretest.DemoAccount)
	apiError(t, err, "OA_AUTH_TOKEN_EXPIRED")
	require.ErrorIs(t, err, auth.ErrInvalidToken)
}

// TestRefreshFailureReachesCaller: a dead refresh token surfaces as
// auth.ErrReauthRequired beside the server's error.
func TestRefreshFailureReachesCaller(t *testing.T) {
	e := newEnv(t, nil, nil)
	ctx := t.Context()
	tok, err := e.tokens.TokenContext(ctx)
	require.NoError(t, err)
	require.True(t, e.srv.InvalidateToken(tok.RefreshToken))
	require.True(t, e.srv.InvalidateToken(tok.AccessToken))
	_, err = e.sess.Profile(ctx)
	apiError(t, err, "CH_ACCESS_TOKEN_INVALID")
	require.ErrorIs(t, err, auth.ErrReauthRequired)
	for _, secret := range []string{tok.AccessToken, tok.RefreshToken, spotwaretest.ClientSecret} {
		require.NotContains(t, err.Error(), secret)
	}
}

func TestRateLimitErrors(t *testing.T) {
	e := newEnv(t, []spotwaretest.Option{spotwaretest.WithRateLimits(5, 5, "REQUEST_FREQUENCY_EXCEEDED", 2*time.Second)},
		func(c *spotware.SessionConfig) { c.RequestsPerSecond = -1 })
	ctx := t.Context()
	var limited error
	for range 10 {
		if _, err := e.sess.Profile(ctx); err != nil {
			limited = err
			break
		}
	}
	se := apiError(t, limited, "REQUEST_FREQUENCY_EXCEEDED")
	require.Equal(t, 2*time.Second, se.RetryAfter)
	require.ErrorIs(t, limited, auth.ErrRateLimited)
	require.ErrorIs(t, limited, auth.ErrUnavailable)

	e.srv.RateLimitNext(ptProfile, "BLOCKED_PAYLOAD_TYPE", 3*time.Second, 1)
	time.Sleep(1100 * time.Millisecond)
	_, err := e.sess.Profile(ctx)
	se = apiError(t, err, "BLOCKED_PAYLOAD_TYPE")
	require.Equal(t, 3*time.Second, se.RetryAfter)
	require.ErrorIs(t, err, auth.ErrRateLimited)
}

// TestClientRateLimit: the client throttles to its limit, so a server with
// the same limit never refuses a burst.
func TestClientRateLimit(t *testing.T) {
	e := newEnv(t, []spotwaretest.Option{spotwaretest.WithRateLimits(10, 5, "REQUEST_FREQUENCY_EXCEEDED", time.Second)},
		func(c *spotware.SessionConfig) { c.RequestsPerSecond = 10 })
	ctx := t.Context()
	start := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, 25)
	for range 25 {
		wg.Go(func() {
			_, err := e.sess.Profile(ctx)
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	require.GreaterOrEqual(t, time.Since(start), 2000*time.Millisecond, "25 requests at 10 in any second")
}

func TestMaintenanceErrors(t *testing.T) {
	e := newEnv(t, nil, nil)
	ctx := t.Context()
	until := time.Now().Add(2 * time.Hour).Truncate(time.Second)
	e.srv.MaintenanceNext(ptProfile, until, false, 1)
	_, err := e.sess.Profile(ctx)
	se := apiError(t, err, "SERVER_IS_UNDER_MAINTENANCE")
	require.False(t, se.Common)
	require.True(t, until.Equal(se.MaintenanceEnd), "seconds read as seconds: %s", se.MaintenanceEnd)
	require.ErrorIs(t, err, auth.ErrUnavailable)

	e.srv.MaintenanceNext(ptProfile, until, true, 1)
	_, err = e.sess.Profile(ctx)
	se = apiError(t, err, "SERVER_IS_UNDER_MAINTENANCE")
	require.True(t, se.Common)
	require.True(t, until.Equal(se.MaintenanceEnd), "milliseconds read as milliseconds: %s", se.MaintenanceEnd)
}

// TestSilentServer: a request the server never answers times out; a
// cancelled context ends the wait at once.
func TestSilentServer(t *testing.T) {
	e := newEnv(t, nil, func(c *spotware.SessionConfig) { c.RequestTimeout = 300 * time.Millisecond })
	ctx := t.Context()
	e.srv.SilenceNext(ptProfile, 1)
	start := time.Now()
	_, err := e.sess.Profile(ctx)
	require.ErrorIs(t, err, spotware.ErrTimeout)
	require.ErrorIs(t, err, auth.ErrUnavailable)
	require.Less(t, time.Since(start), 2*time.Second)

	e.srv.SilenceNext(ptProfile, 1)
	cctx, cancel := context.WithCancel(ctx)
	go func() { time.Sleep(50 * time.Millisecond); cancel() }()
	_, err = e.sess.Profile(cctx)
	require.ErrorIs(t, err, context.Canceled)

	// The session is fine afterwards.
	_, err = e.sess.Profile(ctx)
	require.NoError(t, err)
}

// TestUnknownFieldsSurvive: fields the schema lacks do not disturb the
// typed calls and are kept in raw messages.
func TestUnknownFieldsSurvive(t *testing.T) {
	e := newEnv(t, nil, nil)
	e.srv.SetUnknownFields(true)
	ctx := t.Context()
	sub := streaming(t, e)
	flowsAgain(t, sub)
	syms, err := e.sess.Symbols(ctx, spotwaretest.DemoAccount)
	require.NoError(t, err)
	require.Equal(t, int32(5), syms[0].Digits)

	res := &openapi.ProtoOASymbolByIdRes{}
	require.NoError(t, e.sess.Do(ctx, &openapi.ProtoOASymbolByIdReq{CtidTraderAccountId: proto.Int64(spotwaretest.DemoAccount),
		SymbolId: []int64{spotwaretest.EURUSD}}, res))
	require.Len(t, res.GetSymbol(), 1)
	unknown := res.GetSymbol()[0].ProtoReflect().GetUnknown()
	require.NotEmpty(t, unknown)
	again, err := proto.Marshal(res.GetSymbol()[0])
	require.NoError(t, err)
	require.Contains(t, string(again), string(unknown), "re-encoding keeps the unknown fields")
}

func TestUnsupportedMessageIsCommonError(t *testing.T) {
	e := newEnv(t, nil, nil)
	err := e.sess.Do(t.Context(), &openapi.ProtoOARefreshTokenReq{RefreshToken: proto.String("x")}, &openapi.ProtoOARefreshTokenRes{})
	apiError(t, err, "CH_ACCESS_TOKEN_INVALID")
	// A request type the emulator does not serve gets a ProtoErrorRes.
	err = e.sess.Do(t.Context(), &openapi.ProtoOAApplicationAuthRes{}, &openapi.ProtoOAApplicationAuthRes{})
	se := apiError(t, err, "UNSUPPORTED_MESSAGE")
	require.True(t, se.Common)
	require.False(t, errors.Is(err, auth.ErrUnavailable))
}

func TestClose(t *testing.T) {
	e := newEnv(t, nil, nil)
	sub := streaming(t, e)
	require.NoError(t, e.sess.Close())
	for range sub.C() {
	}
	e.events.waitFor(t, spotware.EventClosed, 1, time.Second)
	_, err := e.sess.Profile(t.Context())
	require.ErrorIs(t, err, spotware.ErrClosed)
	require.Eventually(t, func() bool { return e.srv.Connections() == 0 }, time.Second, 10*time.Millisecond)
}

// TestLiveHost: a live host serves live accounts and routes demo ones
// nowhere, as live.ctraderapi.com does (seen by a session that knows only
// that host).
func TestLiveHost(t *testing.T) {
	e := newEnv(t, []spotwaretest.Option{spotwaretest.WithLive()}, oneHost)
	ctx := t.Context()
	require.NoError(t, e.sess.AuthorizeAccount(ctx, spotwaretest.LiveAccount))
	tr, err := e.sess.Trader(ctx, spotwaretest.LiveAccount)
	require.NoError(t, err)
	require.Equal(t, "2500", tr.Balance.String())
	apiError(t, e.sess.AuthorizeAccount(ctx, spotwaretest.DemoAccount), "CANT_ROUTE_REQUEST")
}

// TestErrorClasses: an unknown account or symbol matches ErrNotFound (an
// unknown application does not: that is a client error); a call refused
// before sending matches ErrInvalidInput and sends nothing.
func TestErrorClasses(t *testing.T) {
	e := newEnv(t, nil, nil)
	ctx := t.Context()
	ptTrader := uint32(openapi.ProtoOAPayloadType_PROTO_OA_TRADER_REQ)
	for code, notFound := range map[string]bool{"CH_CTID_TRADER_ACCOUNT_NOT_FOUND": true, "SYMBOL_NOT_FOUND": true,
		"CH_OA_CLIENT_NOT_FOUND": false, "ALREADY_LOGGED_IN": false} {
		e.srv.FailNext(ptTrader, code, "no such thing", 1)
		_, err := e.sess.Trader(ctx, spotwaretest.DemoAccount)
		apiError(t, err, code)
		require.Equal(t, notFound, errors.Is(err, spotware.ErrNotFound), code)
		require.Equal(t, code == "ALREADY_LOGGED_IN", errors.Is(err, spotware.ErrAlreadyLoggedIn), code)
		require.NotErrorIs(t, err, spotware.ErrInvalidInput)
	}
	require.NoError(t, e.sess.AuthorizeAccount(ctx, spotwaretest.DemoAccount))
	ptSubscribe := uint32(openapi.ProtoOAPayloadType_PROTO_OA_SUBSCRIBE_SPOTS_REQ)
	before := e.srv.Received(ptSubscribe)
	_, err := e.sess.StreamQuotes(ctx, spotwaretest.DemoAccount)
	require.ErrorIs(t, err, spotware.ErrInvalidInput)
	require.Equal(t, before, e.srv.Received(ptSubscribe), "nothing sent")
}

// onlyTokens is a TokenSource without ForceRefresh.
type onlyTokens struct{ src auth.TokenSource }

func (o onlyTokens) TokenContext(ctx context.Context) (*auth.Token, error) {
	return o.src.TokenContext(ctx)
}

// TestSourceWithoutForceRefresh: a TokenSource that cannot refresh on
// demand leaves the server's refusal standing, as auth.ErrReauthRequired
// beside the server's *Error, and the call is not retried.
func TestSourceWithoutForceRefresh(t *testing.T) {
	e := newEnv(t, nil, nil)
	ctx := t.Context()
	sess, err := spotware.Dial(ctx, fast(e.srv.SessionConfig(onlyTokens{e.tokens})))
	require.NoError(t, err)
	t.Cleanup(func() { _ = sess.Close() })
	e.srv.FailNext(ptProfile, "CH_ACCESS_TOKEN_INVALID", "Access token expired", 1)
	_, err = sess.Profile(ctx)
	apiError(t, err, "CH_ACCESS_TOKEN_INVALID")
	require.ErrorIs(t, err, auth.ErrReauthRequired)
	_, err = sess.Profile(ctx)
	require.NoError(t, err, "the token was fine; the fault was one answer")
}

// TestConcurrentRefusalsAnnounceOneRefresh: calls refused at once share
// one refresh, and the session announces that new token once, not once
// per caller (under load a second announcement made counts drift).
func TestConcurrentRefusalsAnnounceOneRefresh(t *testing.T) {
	clock := spotwaretest.NewTestClock(time.Now())
	e := newEnv(t, []spotwaretest.Option{spotwaretest.WithClock(clock.Now)}, nil)
	ctx := t.Context()
	require.NoError(t, e.sess.AuthorizeAccount(ctx, spotwaretest.DemoAccount))
	for round := 1; round <= 3; round++ {
		clock.Advance(spotwaretest.AccessLifetime + time.Minute)
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := e.sess.Trader(ctx, spotwaretest.DemoAccount)
				errs <- err
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			require.NoError(t, err)
		}
		e.events.waitFor(t, spotware.EventTokenRefreshed, round, time.Second)
		time.Sleep(50 * time.Millisecond) // a second announcement would arrive by now
		require.Equal(t, round, e.events.count(spotware.EventTokenRefreshed), "round %d", round)
	}
}
