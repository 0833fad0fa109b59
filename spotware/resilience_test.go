package spotware_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/brokerkit/brokerkit/spotware"
	"github.com/brokerkit/brokerkit/spotware/internal/wire"
	"github.com/brokerkit/brokerkit/spotware/openapi"
	"github.com/brokerkit/brokerkit/spotware/spotwaretest"
	"github.com/brokerkit/brokerkit/stream"
	"github.com/stretchr/testify/require"
)

// streamed are the symbols streaming subscribes to.
var streamed = []int64{spotwaretest.EURUSD, spotwaretest.GBPUSD, spotwaretest.USDJPY}

// streaming authorizes the demo account and streams three symbols.
func streaming(t *testing.T, e *env) quoteStream {
	t.Helper()
	ctx := t.Context()
	require.NoError(t, e.sess.AuthorizeAccount(ctx, spotwaretest.DemoAccount))
	sub, err := e.sess.StreamQuotes(ctx, spotwaretest.DemoAccount, streamed...)
	require.NoError(t, err)
	t.Cleanup(func() { _ = sub.Close() })
	require.NotEmpty(t, collect(t, sub, 200*time.Millisecond))
	return sub
}

// flowsAgain reads sub until every symbol has had a few more quotes, and
// fails if that takes longer than a generous deadline (the machine may be
// busy; the emulator ticks every 20 ms).
// ids are the symbols to wait for; none means streamed.
func flowsAgain(t *testing.T, sub quoteStream, ids ...int64) {
	t.Helper()
	if len(ids) == 0 {
		ids = streamed
	}
	got := map[int64]int{}
	done := func() bool {
		for _, id := range ids {
			if got[id] <= 3 {
				return false
			}
		}
		return true
	}
	deadline := time.After(5 * time.Second)
	for !done() {
		select {
		case q, ok := <-sub.C():
			require.True(t, ok, "subscription ended")
			require.True(t, q.HasBid && q.HasAsk)
			require.True(t, q.Bid.IsPositive() && q.Ask.GreaterThan(q.Bid))
			got[q.SymbolID]++
		case <-deadline:
			t.Fatalf("quotes did not resume: %v", got)
		}
	}
}

// TestRefreshWhileStreaming: a refresh rotates both tokens; the server
// closes the account sessions of the old token (token-invalidated event);
// the session authorizes again with the new token and the stream goes on.
// The old refresh token is refused from then on.
func TestRefreshWhileStreaming(t *testing.T) {
	e := newEnv(t, nil, nil)
	ctx := t.Context()
	sub := streaming(t, e)

	before, err := e.tokens.TokenContext(ctx)
	require.NoError(t, err)
	after, err := e.tokens.ForceRefresh(ctx, before)
	require.NoError(t, err)
	require.NotEqual(t, before.AccessToken, after.AccessToken)
	require.NotEqual(t, before.RefreshToken, after.RefreshToken, "the refresh token rotates")
	stored, err := e.store.Load(ctx, e.tokens.Key())
	require.NoError(t, err)
	require.Equal(t, after.RefreshToken, stored.RefreshToken, "the rotated refresh token is saved")

	e.events.waitFor(t, spotware.EventTokenInvalidated, 1, 2*time.Second)
	e.events.waitFor(t, spotware.EventAccountAuthorized, 2, 2*time.Second)
	collect(t, sub, 100*time.Millisecond)
	flowsAgain(t, sub)
	require.Equal(t, 3, e.srv.Subscriptions())

	_, err = e.prov.Refresh(ctx, before)
	require.Error(t, err, "a used refresh token is refused")
	require.ErrorIs(t, err, errReauth)
}

// TestReconnectRestoresSubscriptions: a dropped connection is re-dialled,
// the application and the account authorized again and the spots
// subscribed again, and the caller sees it all as events.
func TestReconnectRestoresSubscriptions(t *testing.T) {
	e := newEnv(t, nil, nil)
	sub := streaming(t, e)

	require.Equal(t, 1, e.srv.DropConnections())
	e.events.waitFor(t, spotware.EventDisconnected, 1, 2*time.Second)
	e.events.waitFor(t, spotware.EventRestored, 1, 3*time.Second)
	flowsAgain(t, sub)
	require.Equal(t, 3, e.srv.Subscriptions())
	require.Equal(t, 1, e.srv.Connections())
	require.GreaterOrEqual(t, e.events.count(spotware.EventReconnecting), 1)
	require.Positive(t, sub.Stats().Reconnects, "the session's reconnect is the stream's")

	// Calls made after the reconnect work on the new connection.
	tr, err := e.sess.Trader(t.Context(), spotwaretest.DemoAccount)
	require.NoError(t, err)
	require.Equal(t, "10000", tr.Balance.String())
}

func TestServerDisconnectEvent(t *testing.T) {
	e := newEnv(t, nil, nil)
	sub := streaming(t, e)
	require.Equal(t, 1, e.srv.DisconnectClients("maintenance window"))
	e.events.waitFor(t, spotware.EventServerDisconnect, 1, 2*time.Second)
	e.events.waitFor(t, spotware.EventRestored, 1, 3*time.Second)
	e.events.mu.Lock()
	var reason string
	for _, ev := range e.events.all {
		if ev.Kind == spotware.EventServerDisconnect {
			reason = ev.Reason
		}
	}
	e.events.mu.Unlock()
	require.Equal(t, "maintenance window", reason)
	flowsAgain(t, sub)
}

func TestAccountDisconnectEvent(t *testing.T) {
	e := newEnv(t, nil, nil)
	sub := streaming(t, e)
	require.Equal(t, 1, e.srv.DisconnectAccount(spotwaretest.DemoAccount))
	e.events.waitFor(t, spotware.EventAccountDisconnected, 1, 2*time.Second)
	e.events.waitFor(t, spotware.EventAccountAuthorized, 2, 2*time.Second)
	collect(t, sub, 50*time.Millisecond)
	flowsAgain(t, sub)
	require.Zero(t, e.events.count(spotware.EventDisconnected), "the connection stays up")
}

func TestTokenInvalidatedEvent(t *testing.T) {
	e := newEnv(t, nil, nil)
	sub := streaming(t, e)
	require.Equal(t, 1, e.srv.InvalidateAccounts("token was revoked", spotwaretest.DemoAccount))
	e.events.waitFor(t, spotware.EventTokenInvalidated, 1, 2*time.Second)
	e.events.waitFor(t, spotware.EventAccountAuthorized, 2, 2*time.Second)
	collect(t, sub, 50*time.Millisecond)
	flowsAgain(t, sub)
}

// TestRevokedTokenClosesAccountSessions: revoking the access token an
// account was authorized with closes its session with a token-invalidated
// event; the session refreshes, authorizes again and the stream goes on.
func TestRevokedTokenClosesAccountSessions(t *testing.T) {
	e := newEnv(t, nil, nil)
	sub := streaming(t, e)
	orders := streamOrders(t, e.sess, acct)
	tok, err := e.tokens.TokenContext(t.Context())
	require.NoError(t, err)
	require.True(t, e.srv.InvalidateToken(tok.AccessToken))
	e.events.waitFor(t, spotware.EventTokenInvalidated, 1, 2*time.Second)
	e.events.waitFor(t, spotware.EventAccountAuthorized, 2, 2*time.Second)
	require.Positive(t, e.events.count(spotware.EventTokenRefreshed))
	collect(t, sub, 50*time.Millisecond)
	flowsAgain(t, sub)
	require.Positive(t, sub.Stats().Reconnects, "the stream subscribed again after the account's session was restored")
	// The order stream goes on with the new token too.
	ex := placeLimit(t, e.sess)
	got := nextExecutions(t, orders, 1, 5*time.Second)
	require.Equal(t, ex.Order.ID, got[0].Order.ID)
	require.NoError(t, orders.Err())
}

// TestWatchdog: a server that stops sending anything (no heartbeats, no
// spots) while the connection stays open is detected and replaced.
func TestWatchdog(t *testing.T) {
	e := newEnv(t, nil, nil)
	sub := streaming(t, e)
	e.srv.Freeze(true)
	e.events.waitFor(t, spotware.EventStalled, 1, 3*time.Second)
	e.srv.Freeze(false)
	e.events.waitFor(t, spotware.EventRestored, 1, 3*time.Second)
	collect(t, sub, 50*time.Millisecond)
	flowsAgain(t, sub)
}

// TestIdleDisconnect: a client that does not send heartbeats often enough
// is dropped by the server; one that does is kept.
func TestIdleDisconnect(t *testing.T) {
	e := newEnv(t, []spotwaretest.Option{spotwaretest.WithIdleTimeout(600 * time.Millisecond)},
		func(c *spotware.SessionConfig) { c.HeartbeatInterval = 100 * time.Millisecond })
	time.Sleep(1500 * time.Millisecond)
	require.Zero(t, e.events.count(spotware.EventDisconnected), "heartbeats keep the connection")

	slow := newEnv(t, []spotwaretest.Option{spotwaretest.WithIdleTimeout(600 * time.Millisecond)},
		func(c *spotware.SessionConfig) { c.HeartbeatInterval = 5 * time.Second })
	slow.events.waitFor(t, spotware.EventDisconnected, 1, 3*time.Second)
	slow.events.waitFor(t, spotware.EventRestored, 1, 3*time.Second)
}

// TestSplitFrames: frames that arrive cut in the middle are reassembled.
func TestSplitFrames(t *testing.T) {
	e := newEnv(t, nil, nil)
	e.srv.SetSplitFrames(true)
	sub := streaming(t, e)
	syms, err := e.sess.Symbols(t.Context(), spotwaretest.DemoAccount)
	require.NoError(t, err)
	require.Len(t, syms, 4)
	flowsAgain(t, sub)
	require.Zero(t, e.events.count(spotware.EventDisconnected))
}

// TestCutFrame: a connection that ends inside a frame is reported and
// replaced.
func TestCutFrame(t *testing.T) {
	e := newEnv(t, nil, nil)
	sub := streaming(t, e)
	e.srv.CutNextFrame()
	e.events.waitFor(t, spotware.EventDisconnected, 1, 2*time.Second)
	e.events.mu.Lock()
	var cause error
	for _, ev := range e.events.all {
		if ev.Kind == spotware.EventDisconnected {
			cause = ev.Err
		}
	}
	e.events.mu.Unlock()
	require.ErrorIs(t, cause, wire.ErrTruncated)
	e.events.waitFor(t, spotware.EventRestored, 1, 3*time.Second)
	flowsAgain(t, sub)
}

// TestFrameSizeCap: an answer larger than MaxFrameSize ends the connection
// with an error instead of an allocation.
func TestFrameSizeCap(t *testing.T) {
	e := newEnv(t, nil, func(c *spotware.SessionConfig) { oneHost(c); c.MaxFrameSize = 64; c.MaxReconnectAttempts = 1 })
	require.NoError(t, e.sess.AuthorizeAccount(t.Context(), spotwaretest.DemoAccount))
	_, err := e.sess.Symbols(t.Context(), spotwaretest.DemoAccount)
	require.Error(t, err)
	e.events.waitFor(t, spotware.EventDisconnected, 1, 2*time.Second)
	e.events.mu.Lock()
	defer e.events.mu.Unlock()
	var cause error
	for _, ev := range e.events.all {
		if ev.Kind == spotware.EventDisconnected {
			cause = ev.Err
			break
		}
	}
	require.ErrorIs(t, cause, wire.ErrFrameTooLarge)
}

// TestSpotWatchdog: quotes that stop while the connection and its
// heartbeats go on are noticed by the stream (Options.Resync), which
// subscribes again and so brings a fresh quote.
func TestSpotWatchdog(t *testing.T) {
	reasons := make(chan error, 16)
	e := newEnv(t, nil, func(c *spotware.SessionConfig) {
		c.Streams.Resync = 300 * time.Millisecond
		c.Streams.OnReconnect = func(err error) {
			select {
			case reasons <- err:
			default:
			}
		}
	})
	sub := streaming(t, e)
	e.srv.PauseSpots(true)
	collect(t, sub, 100*time.Millisecond)
	select {
	case err := <-reasons:
		require.ErrorIs(t, err, stream.ErrResync)
	case <-time.After(3 * time.Second):
		t.Fatal("the quiet stream was not renewed")
	}
	got := collect(t, sub, 500*time.Millisecond)
	require.NotEmpty(t, got, "subscribing again brings the current quotes")
	e.srv.PauseSpots(false)
	flowsAgain(t, sub)
	require.Zero(t, e.events.count(spotware.EventDisconnected))
	require.Positive(t, sub.Stats().Reconnects)
	require.Positive(t, sub.Stats().Heartbeats)
}

// TestConfigsDoNotPrintSecrets: %v, %+v, %#v and %s of the configurations
// leave the client secret out.
func TestConfigsDoNotPrintSecrets(t *testing.T) {
	const secret = "very-secret-value"
	sc := spotware.SessionConfig{ClientID: "id", ClientSecret: secret}
	pc := spotware.Config{ClientID: "id", ClientSecret: secret}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		for _, v := range []any{sc, pc, &sc, &pc} {
			out := fmt.Sprintf(verb, v)
			require.NotContains(t, out, secret, verb)
			require.Contains(t, out, "id", verb)
		}
	}
}

// TestCloseUnsubscribes: closing a quote stream unsubscribes its symbols
// on the server; the same symbols can be streamed again, and not twice at
// once.
func TestCloseUnsubscribes(t *testing.T) {
	e := newEnv(t, nil, nil)
	sub := streaming(t, e)
	require.Equal(t, 3, e.srv.Subscriptions())
	_, err := e.sess.StreamQuotes(t.Context(), spotwaretest.DemoAccount, spotwaretest.EURUSD)
	require.ErrorIs(t, err, spotware.ErrAlreadySubscribed)
	require.NoError(t, sub.Close())
	require.Zero(t, e.srv.Subscriptions())
	again, err := e.sess.StreamQuotes(t.Context(), spotwaretest.DemoAccount, spotwaretest.EURUSD)
	require.NoError(t, err)
	require.NotEmpty(t, collect(t, again, 100*time.Millisecond))
	require.NoError(t, again.Close())
}

// TestSessionDoesNotPrintSecret: no fmt verb prints the client secret of
// a session or of a stream, and printing a running stream does not race
// with its quotes (run with -race).
func TestSessionDoesNotPrintSecret(t *testing.T) {
	e := newEnv(t, nil, nil)
	sub := streaming(t, e)
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%d"} {
		for _, v := range []any{e.sess, sub} {
			require.NotContains(t, fmt.Sprintf(verb, v), spotwaretest.ClientSecret, "%s of %T", verb, v)
		}
	}
	require.Contains(t, e.sess.String(), spotwaretest.ClientID)
}

// TestSubscribeAcrossReconnect: a subscribe left unanswered when the
// connection drops is sent again on the new connection, and opening the
// stream still succeeds.
func TestSubscribeAcrossReconnect(t *testing.T) {
	e := newEnv(t, nil, nil)
	ctx := t.Context()
	require.NoError(t, e.sess.AuthorizeAccount(ctx, spotwaretest.DemoAccount))
	e.srv.SilenceNext(uint32(openapi.ProtoOAPayloadType_PROTO_OA_SUBSCRIBE_SPOTS_REQ), 1)
	go func() {
		time.Sleep(150 * time.Millisecond)
		e.srv.DropConnections()
	}()
	sub, err := e.sess.StreamQuotes(ctx, spotwaretest.DemoAccount, streamed...)
	require.NoError(t, err)
	flowsAgain(t, sub)
	require.Equal(t, 1, e.events.count(spotware.EventRestored))
	require.NoError(t, sub.Close())
}
