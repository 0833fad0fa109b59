package spotwaretest_test

import (
	"encoding/binary"
	"encoding/hex"
	"io"
	"testing"
	"time"

	"github.com/brokerkit/brokerkit/spotware/internal/wire"
	"github.com/brokerkit/brokerkit/spotware/openapi"
	"github.com/brokerkit/brokerkit/spotware/spotwaretest"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"
)

// rawFrame reads one whole frame, length prefix included, straight from
// the TLS stream.
func (r *raw) rawFrame() []byte {
	r.t.Helper()
	require.NoError(r.t, r.c.SetReadDeadline(time.Now().Add(5*time.Second)))
	hdr := make([]byte, 4)
	_, err := io.ReadFull(r.c, hdr)
	require.NoError(r.t, err)
	body := make([]byte, binary.BigEndian.Uint32(hdr))
	_, err = io.ReadFull(r.c, body)
	require.NoError(r.t, err)
	return append(hdr, body...)
}

// TestAnswersCarryEmptyPayload: the emulator sends the payload field even
// when the inner message is empty, as Spotware's servers and SDKs do
// (field 2, length 0: "12 00"). A client that reads payload unconditionally
// must not meet a frame without it.
func TestAnswersCarryEmptyPayload(t *testing.T) {
	srv := spotwaretest.NewServer(spotwaretest.WithHeartbeat(30 * time.Millisecond))
	t.Cleanup(srv.Close)
	r := dialRaw(t, srv)
	id := r.send(appAuth(spotwaretest.ClientSecret))
	require.Equal(t, "m1", id)
	const (
		appAuthRes = "00000009" + "08b510" + "1200" + "1a026d31" // 2101, empty payload, clientMsgId "m1"
		heartbeat  = "00000004" + "0833" + "1200"                // 51, empty payload
	)
	seen := map[string]bool{}
	for len(seen) < 2 {
		got := hex.EncodeToString(r.rawFrame())
		require.Contains(t, []string{appAuthRes, heartbeat}, got, "a frame without the payload field")
		seen[got] = true
	}
}

// spotEvents subscribes DemoAccount (authorized on r) to symbol, with or
// without spot timestamps, returning the first spot events that follow.
func spotEvents(t *testing.T, r *raw, symbol int64, timestamps *bool, n int) []*openapi.ProtoOASpotEvent {
	t.Helper()
	id := r.send(&openapi.ProtoOASubscribeSpotsReq{CtidTraderAccountId: proto.Int64(spotwaretest.DemoAccount),
		SymbolId: []int64{symbol}, SubscribeToSpotTimestamp: timestamps})
	env := r.next()
	require.Equal(t, id, env.ClientMsgID)
	require.Equal(t, uint32(2128), env.PayloadType)
	var out []*openapi.ProtoOASpotEvent
	for len(out) < n {
		require.NoError(t, r.c.SetReadDeadline(time.Now().Add(5*time.Second)))
		body, err := r.r.Next()
		require.NoError(t, err)
		e := parse(t, body)
		if e.PayloadType != 2131 {
			continue
		}
		var ev openapi.ProtoOASpotEvent
		require.NoError(t, proto.Unmarshal(e.Payload, &ev))
		if ev.GetSymbolId() == symbol {
			out = append(out, &ev)
		}
	}
	return out
}

// TestSpotTimestampOnlyOnRequest: ProtoOASpotEvent.timestamp is sent only
// for subscriptions made with subscribeToSpotTimestamp=true.
func TestSpotTimestampOnlyOnRequest(t *testing.T) {
	srv := spotwaretest.NewServer(spotwaretest.WithSpotPeriod(10*time.Millisecond, 1))
	t.Cleanup(srv.Close)
	tok := login(t, srv)
	r := dialRaw(t, srv)
	r.send(appAuth(spotwaretest.ClientSecret))
	require.Equal(t, uint32(2101), r.next().PayloadType)
	r.send(&openapi.ProtoOAAccountAuthReq{CtidTraderAccountId: proto.Int64(spotwaretest.DemoAccount), AccessToken: proto.String(tok)})
	require.Equal(t, uint32(2103), r.next().PayloadType)

	for _, ev := range spotEvents(t, r, spotwaretest.EURUSD, nil, 3) {
		require.Nil(t, ev.Timestamp, "timestamp sent though not asked for")
	}
	for _, ev := range spotEvents(t, r, spotwaretest.GBPUSD, proto.Bool(false), 3) {
		require.Nil(t, ev.Timestamp, "timestamp sent though refused")
	}
	for _, ev := range spotEvents(t, r, spotwaretest.XAUUSD, proto.Bool(true), 3) {
		require.NotNil(t, ev.Timestamp, "timestamp asked for")
		require.InDelta(t, time.Now().UnixMilli(), ev.GetTimestamp(), float64(time.Minute.Milliseconds()))
	}
}

// TestVersion: ProtoOAVersionReq is answered with ProtoOAVersionRes.
func TestVersion(t *testing.T) {
	srv := spotwaretest.NewServer()
	t.Cleanup(srv.Close)
	r := dialRaw(t, srv)
	r.send(appAuth(spotwaretest.ClientSecret))
	require.Equal(t, uint32(2101), r.next().PayloadType)
	id := r.send(&openapi.ProtoOAVersionReq{})
	env := r.next()
	require.Equal(t, id, env.ClientMsgID)
	require.Equal(t, uint32(2105), env.PayloadType, "answered with payload type %d", env.PayloadType)
	var res openapi.ProtoOAVersionRes
	require.NoError(t, proto.Unmarshal(env.Payload, &res))
	require.NotEmpty(t, res.GetVersion())
}

func login(t *testing.T, srv *spotwaretest.Server) string {
	t.Helper()
	p, err := srv.Provider()
	require.NoError(t, err)
	tok, err := srv.Login(t.Context(), p)
	require.NoError(t, err)
	return tok.AccessToken
}

func parse(t *testing.T, body []byte) wire.Envelope {
	t.Helper()
	env, err := wire.ParseEnvelope(body)
	require.NoError(t, err)
	return env
}
