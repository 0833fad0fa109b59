package spotware_test

import (
	"testing"
	"time"

	"github.com/brokerkit/brokerkit/spotware"
	"github.com/brokerkit/brokerkit/spotware/openapi"
	"github.com/brokerkit/brokerkit/spotware/spotwaretest"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"
)

const (
	ptAppAuth    = uint32(2100)
	ptSubscribe  = uint32(2127)
	ptAccountReq = uint32(2102)
)

// TestRoutesAccountsToTheirHost: one session serves the live and the demo
// accounts of a token. The live host is dialled on first use, each account
// goes to the host its IsLive names, and no call meets CANT_ROUTE_REQUEST.
func TestRoutesAccountsToTheirHost(t *testing.T) {
	e := newEnv(t, nil, nil)
	ctx := t.Context()
	s, srv := e.sess, e.srv

	// Demo only so far: the live host is not contacted.
	require.NoError(t, s.AuthorizeAccount(ctx, spotwaretest.DemoAccount))
	require.Zero(t, srv.ReceivedOn(srv.LiveAddr, ptAppAuth), "live host dialled before it was needed")

	// The live account is authorized before the session listed the
	// accounts: it finds the host itself.
	require.NoError(t, s.AuthorizeAccount(ctx, spotwaretest.LiveAccount))
	require.Equal(t, 1, srv.ReceivedOn(srv.LiveAddr, ptAppAuth), "the application is authorized on the live host too")
	require.Equal(t, 1, srv.ReceivedOn(srv.DemoAddr, ptAppAuth))

	list, err := s.Accounts(ctx)
	require.NoError(t, err)
	want := map[int64]string{spotwaretest.DemoAccount: "10000", spotwaretest.DemoAccountPrecise: "100.53099944",
		spotwaretest.LiveAccount: "2500"}
	require.Len(t, list.Accounts, len(want))
	for _, a := range list.Accounts {
		if a.ID == spotwaretest.DemoAccountPrecise {
			require.NoError(t, s.AuthorizeAccount(ctx, a.ID))
		}
		tr, err := s.Trader(ctx, a.ID)
		require.NoError(t, err, "account %d (live %v)", a.ID, a.IsLive)
		require.Equal(t, want[a.ID], tr.Balance.String(), "account %d", a.ID)
	}
	require.Equal(t, 1, srv.ReceivedOn(srv.LiveAddr, ptAccountReq))
	require.Equal(t, 2, srv.ReceivedOn(srv.DemoAddr, ptAccountReq))

	demoSub, err := s.StreamQuotes(ctx, spotwaretest.DemoAccount, spotwaretest.EURUSD)
	require.NoError(t, err)
	defer demoSub.Close()
	liveSub, err := s.StreamQuotes(ctx, spotwaretest.LiveAccount, spotwaretest.EURUSD, spotwaretest.XAUUSD)
	require.NoError(t, err)
	defer liveSub.Close()
	checkQuotes(t, collect(t, demoSub, 300*time.Millisecond), spotwaretest.DemoAccount)
	checkQuotes(t, collect(t, liveSub, 300*time.Millisecond), spotwaretest.LiveAccount)
	require.Equal(t, 1, srv.ReceivedOn(srv.LiveAddr, ptSubscribe))
	require.Equal(t, 1, srv.ReceivedOn(srv.DemoAddr, ptSubscribe))

	// Cut the live connection: only that host reconnects, authorizes the
	// application and the live account again and subscribes again; the
	// demo connection is left alone.
	require.Equal(t, 1, srv.DropConnectionsTo(srv.LiveAddr))
	e.events.waitFor(t, spotware.EventRestored, 1, 5*time.Second)
	flowsAgain(t, liveSub, spotwaretest.EURUSD, spotwaretest.XAUUSD)
	require.Equal(t, 2, srv.ReceivedOn(srv.LiveAddr, ptAppAuth))
	require.Equal(t, 2, srv.ReceivedOn(srv.LiveAddr, ptAccountReq))
	require.Equal(t, 2, srv.ReceivedOn(srv.LiveAddr, ptSubscribe))
	require.Equal(t, 1, srv.ReceivedOn(srv.DemoAddr, ptAppAuth), "the demo host was not touched")
	require.Equal(t, 2, srv.ReceivedOn(srv.DemoAddr, ptAccountReq))
	require.Equal(t, 1, srv.ReceivedOn(srv.DemoAddr, ptSubscribe))
	for _, ev := range e.events.snapshot() {
		switch ev.Kind {
		case spotware.EventDisconnected, spotware.EventReconnecting, spotware.EventRestored:
			require.Equal(t, srv.LiveAddr, ev.Host, "%v", ev)
		}
	}
	require.NotEmpty(t, collect(t, demoSub, 200*time.Millisecond), "demo quotes go on")
	tr, err := s.Trader(ctx, spotwaretest.LiveAccount)
	require.NoError(t, err)
	require.Equal(t, "2500", tr.Balance.String())
}

// TestOneHostConfig: with both addresses the same, the session is one
// host, as before; the server's routing error reaches the caller.
func TestOneHostConfig(t *testing.T) {
	e := newEnv(t, nil, oneHost)
	ctx := t.Context()
	require.NoError(t, e.sess.AuthorizeAccount(ctx, spotwaretest.DemoAccount))
	apiError(t, e.sess.AuthorizeAccount(ctx, spotwaretest.LiveAccount), "CANT_ROUTE_REQUEST")
	require.Zero(t, e.srv.ReceivedOn(e.srv.LiveAddr, ptAppAuth))
}

// oneHost makes a session know only its first host, as before it routed.
func oneHost(c *spotware.SessionConfig) { c.LiveAddr, c.DemoAddr = c.Addr, c.Addr }

func (l *eventLog) snapshot() []spotware.Event {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]spotware.Event(nil), l.all...)
}

// TestVersionThroughDo: ProtoOAVersionReq, which no wrapper covers, is
// answered with a version through Session.Do.
func TestVersionThroughDo(t *testing.T) {
	e := newEnv(t, nil, nil)
	var res openapi.ProtoOAVersionRes
	require.NoError(t, e.sess.Do(t.Context(), &openapi.ProtoOAVersionReq{}, &res))
	require.Equal(t, spotwaretest.Version, res.GetVersion())
}

// TestDoRoutesByAccount: a request naming a live account goes to the live
// host through Do as well.
func TestDoRoutesByAccount(t *testing.T) {
	e := newEnv(t, nil, nil)
	ctx := t.Context()
	require.NoError(t, e.sess.AuthorizeAccount(ctx, spotwaretest.LiveAccount))
	var res openapi.ProtoOATraderRes
	require.NoError(t, e.sess.Do(ctx, &openapi.ProtoOATraderReq{CtidTraderAccountId: proto.Int64(spotwaretest.LiveAccount)}, &res))
	require.Equal(t, int64(250_000), res.GetTrader().GetBalance())
}
