package spotware

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/brokerkit/brokerkit/spotware/internal/wire"
	"github.com/brokerkit/brokerkit/spotware/openapi"
	"google.golang.org/protobuf/proto"
)

// streamConn is a net.Conn whose inbound side is a fixed byte stream and
// whose outbound side swallows everything.
type streamConn struct {
	net.Conn // nil: calling anything not defined below panics
	r        io.Reader
}

func (c *streamConn) Read(p []byte) (int, error)       { return c.r.Read(p) }
func (c *streamConn) Write(p []byte) (int, error)      { return len(p), nil }
func (c *streamConn) Close() error                     { return nil }
func (c *streamConn) SetWriteDeadline(time.Time) error { return nil }
func (c *streamConn) SetReadDeadline(time.Time) error  { return nil }
func (c *streamConn) SetDeadline(t time.Time) error    { return nil }
func (c *streamConn) RemoteAddr() net.Addr             { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)} }
func (c *streamConn) LocalAddr() net.Addr              { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)} }
func (c *streamConn) readFrom(b []byte) *streamConn    { c.r = bytes.NewReader(b); return c }

// fuzzAnswers are the answers a pending request may wait for.
var fuzzAnswers = []func() proto.Message{
	func() proto.Message { return &openapi.ProtoOAApplicationAuthRes{} },
	func() proto.Message { return &openapi.ProtoOAAccountAuthRes{} },
	func() proto.Message { return &openapi.ProtoOASubscribeSpotsRes{} },
	func() proto.Message { return &openapi.ProtoOASymbolsListRes{} },
	func() proto.Message { return &openapi.ProtoOATraderRes{} },
	func() proto.Message { return &openapi.ProtoOAGetAccountListByAccessTokenRes{} },
}

// fuzzPendingID is the clientMsgId of the one request waiting for an
// answer in FuzzInbound.
const fuzzPendingID = "bk1"

func fuzzFrame(pt uint32, m proto.Message, id string) []byte {
	var payload []byte
	if m != nil {
		payload, _ = proto.Marshal(m)
	}
	return wire.AppendFrame(nil, pt, payload, id)
}

// FuzzInbound feeds an arbitrary byte stream to a connection's reader, the
// path every server frame takes: frame, ProtoMessage envelope, answer to a
// pending request or event (spot quotes, token invalidation, disconnects,
// server errors), typed payload. Whatever the stream, nothing panics; the
// reader ends with a typed error; the pending request's answer decodes into
// its message or into a typed error; quotes carry non-negative prices of
// the subscribed symbol; and no error or event text holds a control
// character.
func FuzzInbound(f *testing.F) {
	spot := &openapi.ProtoOASpotEvent{CtidTraderAccountId: proto.Int64(1), SymbolId: proto.Int64(1),
		Bid: proto.Uint64(110_523), Ask: proto.Uint64(110_530), Timestamp: proto.Int64(1795435200000)}
	oaErr := &openapi.ProtoOAErrorRes{ErrorCode: proto.String("REQUEST_FREQUENCY_EXCEEDED"),
		Description: proto.String("too many requests"), RetryAfter: proto.Uint64(2),
		CtidTraderAccountId: proto.Int64(1), MaintenanceEndTimestamp: proto.Int64(1795435200000)}
	common := &openapi.ProtoErrorRes{ErrorCode: proto.String("SERVER_IS_UNDER_MAINTENANCE"),
		Description: proto.String("back soon"), MaintenanceEndTimestamp: proto.Uint64(1795435200)}
	for i, stream := range [][]byte{
		fuzzFrame(ptSpot, spot, ""),
		append(fuzzFrame(ptHeartbeat, nil, ""), fuzzFrame(ptSpot, &openapi.ProtoOASpotEvent{
			CtidTraderAccountId: proto.Int64(1), SymbolId: proto.Int64(1), Bid: proto.Uint64(1 << 63)}, "")...),
		fuzzFrame(ptOAError, oaErr, fuzzPendingID),
		fuzzFrame(ptOAError, oaErr, ""),
		fuzzFrame(ptCommonError, common, fuzzPendingID),
		fuzzFrame(uint32(openapi.ProtoOAPayloadType_PROTO_OA_ACCOUNT_AUTH_RES),
			&openapi.ProtoOAAccountAuthRes{CtidTraderAccountId: proto.Int64(1)}, fuzzPendingID),
		fuzzFrame(ptTokenInvalidated, &openapi.ProtoOAAccountsTokenInvalidatedEvent{
			CtidTraderAccountIds: []int64{1, 2}, Reason: proto.String("token refreshed")}, ""),
		fuzzFrame(ptAccountDisconnect, &openapi.ProtoOAAccountDisconnectEvent{CtidTraderAccountId: proto.Int64(1)}, ""),
		fuzzFrame(ptClientDisconnect, &openapi.ProtoOAClientDisconnectEvent{Reason: proto.String("bye")}, ""),
		fuzzFrame(ptExecution, &openapi.ProtoOAExecutionEvent{CtidTraderAccountId: proto.Int64(1),
			ExecutionType: openapi.ProtoOAExecutionType_ORDER_ACCEPTED.Enum()}, ""),
		fuzzFrame(ptOrderError, &openapi.ProtoOAOrderErrorEvent{CtidTraderAccountId: proto.Int64(1),
			ErrorCode: proto.String("NOT_ENOUGH_MONEY"), Description: proto.String("no\x00money")}, ""),
		wire.AppendFrame(nil, ptSpot, []byte{0x08}, ""),
		{0, 0, 0, 3, 0x08, 0x96, 0x01},
		{0, 0, 0, 2, 0x10, 0x01},
		{0xff, 0xff, 0xff, 0xff},
		{0, 0, 0, 9, 0x08},
		{0, 0},
	} {
		f.Add(stream, uint8(i))
	}
	// An answer of the awaited type whose payload does not decode.
	f.Add(wire.AppendFrame(nil, uint32(openapi.ProtoOAPayloadType_PROTO_OA_ACCOUNT_AUTH_RES), []byte{0x0a, 0x05}, fuzzPendingID), uint8(1))
	f.Fuzz(func(t *testing.T, stream []byte, answer uint8) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		s := &Session{cfg: &SessionConfig{MaxFrameSize: 1 << 16, RequestTimeout: time.Second},
			ctx: ctx, cancel: cancel, accounts: map[int64]struct{}{}, isLive: map[int64]bool{},
			subs: map[subKey]*quoteSink{}, orderSinks: map[int64][]*orderSink{}, events: make(chan Event, 64)}
		sub := &quoteSink{account: 1, symbols: []int64{1}, state: map[int64]*quoteState{1: {}}}
		sub.box.init()
		orders := &orderSink{account: 1}
		orders.box.init()
		pending := make(chan reply, 1)
		l := newLink("fuzz:5035")
		s.home, s.demo, s.live = l, l, l
		c := &conn{s: s, l: l, nc: new(streamConn).readFrom(stream), pending: map[string]chan reply{fuzzPendingID: pending},
			done: make(chan struct{})}
		l.conn = c
		sub.c, orders.c = c, c
		s.subs[subKey{1, 1}] = sub
		s.orderSinks[1] = []*orderSink{orders}

		s.wg.Add(1)
		c.readLoop() // returns at the end of the stream or at the first bad frame
		s.wg.Wait()  // re-authorizations the events started
		if !c.isDone() {
			t.Fatal("reader returned with the connection open")
		}
		switch {
		case errors.Is(c.err, io.EOF), errors.Is(c.err, wire.ErrTruncated), errors.Is(c.err, wire.ErrFrameTooLarge),
			errors.Is(c.err, wire.ErrMalformed), errors.Is(c.err, ErrConnectionLost):
		default:
			t.Fatalf("reader ended with an untyped %T: %v", c.err, c.err)
		}
		printableText(t, "connection error", c.err.Error())

		select {
		case r := <-pending:
			res := fuzzAnswers[int(answer)%len(fuzzAnswers)]()
			want, _ := wire.PayloadType(res)
			err := decodeReply(r, uint32(openapi.ProtoOAPayloadType_PROTO_OA_ACCOUNT_AUTH_REQ), res, s.secrets)
			var se *Error
			switch {
			case err == nil:
				if r.pt != want {
					t.Fatalf("payload type %d accepted as %d", r.pt, want)
				}
			case errors.As(err, &se):
				if r.pt != ptOAError && r.pt != ptCommonError {
					t.Fatalf("payload type %d read as a server error: %v", r.pt, err)
				}
				if se.RetryAfter < 0 || se.RetryAfter > 7*24*time.Hour {
					t.Fatalf("server error asks to wait %v", se.RetryAfter)
				}
				printableText(t, "server error", err.Error())
			case errors.Is(err, ErrUnexpectedResponse):
				printableText(t, "decoding error", err.Error())
			default:
				t.Fatalf("answer of type %d gave an untyped %T: %v", r.pt, err, err)
			}
		default:
		}

		for len(s.events) > 0 {
			e := <-s.events
			if e.Kind < EventConnected || e.Kind > EventClosed {
				t.Fatalf("event of unknown kind %d", e.Kind)
			}
			printableText(t, "event", e.String())
		}
		quotes, _, _, _ := sub.box.take()
		for _, q := range quotes {
			if q.AccountID != 1 || q.SymbolID != 1 || q.Bid.IsNegative() || q.Ask.IsNegative() ||
				!q.HasBid && !q.Bid.IsZero() || !q.HasAsk && !q.Ask.IsZero() || q.Time.IsZero() {
				t.Fatalf("quote %+v", q)
			}
		}
		execs, _, _, _ := orders.box.take()
		for _, ex := range execs {
			if ex.AccountID != 1 {
				t.Fatalf("an event of account %d reached account 1's order stream", ex.AccountID)
			}
			if ex.Err != nil {
				printableText(t, "order error", ex.Err.Error())
			}
		}
	})
}

// printableText fails t when s holds a control character or invalid UTF-8.
func printableText(t *testing.T, what, s string) {
	t.Helper()
	if strings.IndexFunc(s, unicode.IsControl) >= 0 || !utf8.ValidString(s) {
		t.Fatalf("%s text carries control characters or invalid UTF-8: %q", what, s)
	}
}
