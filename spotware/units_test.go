package spotware

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/spotware/openapi"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"
)

func TestPriceAndMoney(t *testing.T) {
	require.Equal(t, "1.23", Price(123000).String())
	require.Equal(t, "534.23782", Price(53423782).String())
	require.Equal(t, "0", Price(0).String())
	require.Equal(t, "184467440737095.51615", Price(math.MaxUint64).String(), "no overflow above MaxInt64")
	require.Equal(t, "100.53099944", Money(10053099944, 8).String())
	require.Equal(t, "-12.5", Money(-1250, 2).String())
}

func TestEpochUnits(t *testing.T) {
	sec := time.Date(2026, 11, 28, 6, 0, 0, 0, time.UTC)
	require.True(t, sec.Equal(epoch(sec.Unix())))
	require.True(t, sec.Equal(epoch(sec.UnixMilli())))
	require.True(t, epoch(0).IsZero())
	require.True(t, epoch(-5).IsZero())
}

func TestErrorText(t *testing.T) {
	m := &openapi.ProtoOAErrorRes{ErrorCode: proto.String("REQUEST_FREQUENCY_EXCEEDED"), Description: proto.String("slow down"),
		CtidTraderAccountId: proto.Int64(5001), RetryAfter: proto.Uint64(3)}
	e := errorFromOA(m, 2121)
	require.Equal(t, "spotware: PROTO_OA_TRADER_REQ: REQUEST_FREQUENCY_EXCEEDED: slow down (account 5001); retry after 3s", e.Error())
	require.ErrorIs(t, e, auth.ErrRateLimited)
	require.Equal(t, openapi.ProtoOAErrorCode_REQUEST_FREQUENCY_EXCEEDED, e.OACode())

	huge := errorFromOA(&openapi.ProtoOAErrorRes{ErrorCode: proto.String("BLOCKED_PAYLOAD_TYPE"), RetryAfter: proto.Uint64(math.MaxUint64)}, 0)
	require.Equal(t, 7*24*time.Hour, huge.RetryAfter, "an absurd retryAfter is capped, not overflowed")

	c := errorFromCommon(&openapi.ProtoErrorRes{ErrorCode: proto.String("FRAME_TOO_LONG")}, 51)
	require.True(t, c.Common)
	require.Zero(t, c.OACode())
	require.Equal(t, "spotware: HEARTBEAT_EVENT: FRAME_TOO_LONG", c.Error())
	require.Contains(t, payloadName(9999), "9999")
}

// TestLimiter: n sends in any window, the next one waits for the window.
func TestLimiter(t *testing.T) {
	l := newLimiter(5)
	ctx := context.Background()
	start := time.Now()
	for range 5 {
		require.NoError(t, l.wait(ctx))
	}
	require.Less(t, time.Since(start), limitWindow/2, "the first requests of a window do not wait")
	require.NoError(t, l.wait(ctx))
	require.GreaterOrEqual(t, time.Since(start), limitWindow)

	cctx, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	for range 4 {
		require.NoError(t, l.wait(ctx))
	}
	require.ErrorIs(t, l.wait(cctx), context.DeadlineExceeded)
	require.NoError(t, (*limiter)(nil).wait(ctx), "a nil limiter never waits")
	require.Nil(t, newLimiter(-1))
}

func TestSessionConfigDefaults(t *testing.T) {
	_, err := SessionConfig{}.withDefaults()
	require.Error(t, err)
	_, err = SessionConfig{ClientID: "a", ClientSecret: "b", Addr: "no-port"}.withDefaults()
	require.Error(t, err)
	// No host is picked for the caller: live or demo comes from the
	// provider's Environment (Provider.SessionConfig).
	_, err = SessionConfig{ClientID: "a", ClientSecret: "b"}.withDefaults()
	require.ErrorIs(t, err, ErrInvalidInput)
	c, err := SessionConfig{ClientID: "a", ClientSecret: "b", Addr: "demo.ctraderapi.com:5035",
		ReconnectMin: time.Minute, ReconnectMax: time.Second}.withDefaults()
	require.NoError(t, err)
	require.Equal(t, "demo.ctraderapi.com:5035", c.Addr)
	require.Equal(t, DefaultHeartbeatInterval, c.HeartbeatInterval)
	require.Equal(t, DefaultRequestsPerSecond, c.RequestsPerSecond)
	require.Equal(t, DefaultHistoricalPerSecond, c.HistoricalPerSecond)
	require.Equal(t, time.Minute, c.ReconnectMax)

	s := &Session{cfg: &SessionConfig{ReconnectMin: 100 * time.Millisecond, ReconnectMax: time.Second}}
	for n := 1; n < 10; n++ {
		d := s.backoff(n)
		want := min(100*time.Millisecond<<(n-1), time.Second)
		require.InDelta(t, float64(want), float64(d), float64(want)*0.2+1, "attempt %d", n)
	}
}

// TestTraderMoneyDigitsOutOfRange: a moneyDigits that does not fit int32
// is refused, not narrowed to a negative scale that multiplies the
// balance.
func TestTraderMoneyDigitsOutOfRange(t *testing.T) {
	tr, err := traderFrom(&openapi.ProtoOATrader{CtidTraderAccountId: proto.Int64(1), Balance: proto.Int64(12345),
		MoneyDigits: proto.Uint32(2)})
	require.NoError(t, err)
	require.Equal(t, "123.45", tr.Balance.String())
	for _, d := range []uint32{19, math.MaxUint32, 1 << 31} {
		_, err := traderFrom(&openapi.ProtoOATrader{CtidTraderAccountId: proto.Int64(1), Balance: proto.Int64(12345),
			MoneyDigits: proto.Uint32(d)})
		require.ErrorIs(t, err, ErrUnexpectedResponse, "moneyDigits %d", d)
	}
}

// TestSessionConfigHosts: the live and demo hosts are derived from a
// Spotware Addr, regional proxies alike; any other Addr is one host.
func TestSessionConfigHosts(t *testing.T) {
	base := SessionConfig{ClientID: "a", ClientSecret: "b"}
	for _, tc := range []struct{ addr, live, demo, wantAddr, wantLive, wantDemo string }{
		{"live.ctraderapi.com:5035", "", "", "live.ctraderapi.com:5035", "live.ctraderapi.com:5035", "demo.ctraderapi.com:5035"},
		{"demo-eu.ctraderapi.com:5035", "", "", "demo-eu.ctraderapi.com:5035", "live-eu.ctraderapi.com:5035", "demo-eu.ctraderapi.com:5035"},
		{"127.0.0.1:1", "", "", "127.0.0.1:1", "127.0.0.1:1", "127.0.0.1:1"},
		{"", "127.0.0.1:2", "127.0.0.1:1", "127.0.0.1:1", "127.0.0.1:2", "127.0.0.1:1"},
		{"127.0.0.1:2", "127.0.0.1:2", "127.0.0.1:1", "127.0.0.1:2", "127.0.0.1:2", "127.0.0.1:1"},
	} {
		c := base
		c.Addr, c.LiveAddr, c.DemoAddr = tc.addr, tc.live, tc.demo
		got, err := c.withDefaults()
		require.NoError(t, err, tc.addr)
		require.Equal(t, [3]string{tc.wantAddr, tc.wantLive, tc.wantDemo}, [3]string{got.Addr, got.LiveAddr, got.DemoAddr}, tc.addr)
	}
	c := base
	c.Addr, c.LiveAddr, c.DemoAddr = "127.0.0.1:3", "127.0.0.1:2", "127.0.0.1:1"
	_, err := c.withDefaults()
	require.Error(t, err, "Addr must be one of the two hosts")
	c.Addr, c.LiveAddr = "", "no-port"
	_, err = c.withDefaults()
	require.Error(t, err)
}

// TestProviderSessionConfig: the provider's Environment picks the host a
// session dials first, its credentials authorize the application, and the
// other host is still known for routing.
func TestProviderSessionConfig(t *testing.T) {
	for env, want := range map[auth.Environment][3]string{
		auth.Live: {"live.ctraderapi.com:5035", "live.ctraderapi.com:5035", "demo.ctraderapi.com:5035"},
		auth.Demo: {"demo.ctraderapi.com:5035", "live.ctraderapi.com:5035", "demo.ctraderapi.com:5035"},
	} {
		p, err := New(Config{ClientID: "app", ClientSecret: "shh", Environment: env})
		require.NoError(t, err)
		require.Equal(t, env, p.Environment())
		var src auth.TokenSource = staticSource{}
		sc := p.SessionConfig(src)
		require.Equal(t, "app", sc.ClientID)
		require.Equal(t, auth.Secret("shh"), sc.ClientSecret)
		require.Equal(t, src, sc.Tokens)
		got, err := sc.withDefaults()
		require.NoError(t, err)
		require.Equal(t, want, [3]string{got.Addr, got.LiveAddr, got.DemoAddr}, env)
	}
	for _, env := range []auth.Environment{"", "sim", "LIVE"} {
		_, err := New(Config{ClientID: "app", ClientSecret: "shh", Environment: env})
		require.ErrorIs(t, err, ErrInvalidInput, "environment %q", env)
		require.ErrorContains(t, err, "live")
	}
}

type staticSource struct{}

func (staticSource) TokenContext(context.Context) (*auth.Token, error) { return &auth.Token{}, nil }

// TestOrderStateKey: the bytes an order stream compares states by are the
// same for one state whatever message carried it (an execution event's
// order with its client order id and label, a snapshot's without), and
// differ when the order changed.
func TestOrderStateKey(t *testing.T) {
	base := &openapi.ProtoOAOrder{OrderId: proto.Int64(7), OrderType: openapi.ProtoOAOrderType_LIMIT.Enum(),
		OrderStatus: openapi.ProtoOAOrderStatus_ORDER_STATUS_ACCEPTED.Enum(), LimitPrice: proto.Float64(1.07457),
		UtcLastUpdateTimestamp: proto.Int64(1_796_000_000_000),
		TradeData: &openapi.ProtoOATradeData{SymbolId: proto.Int64(1), Volume: proto.Int64(1_000_000),
			TradeSide: openapi.ProtoOATradeSide_BUY.Enum(), Label: proto.String("dip")}}
	withMore := proto.Clone(base).(*openapi.ProtoOAOrder)
	withMore.ClientOrderId = proto.String("bk-1")
	withMore.TimeInForce = openapi.ProtoOATimeInForce_GOOD_TILL_CANCEL.Enum()
	require.Equal(t, orderState(orderFrom(base)), orderState(orderFrom(withMore)))
	require.Equal(t, "ORDER_ACCEPTED", statusType(orderFrom(base)))

	for name, change := range map[string]func(o *openapi.ProtoOAOrder){
		"filled": func(o *openapi.ProtoOAOrder) {
			o.OrderStatus = openapi.ProtoOAOrderStatus_ORDER_STATUS_FILLED.Enum()
			o.ExecutedVolume = proto.Int64(1_000_000)
		},
		"amended":        func(o *openapi.ProtoOAOrder) { o.LimitPrice = proto.Float64(1.07357) },
		"partly filled":  func(o *openapi.ProtoOAOrder) { o.ExecutedVolume = proto.Int64(500_000) },
		"stop loss set":  func(o *openapi.ProtoOAOrder) { o.StopLoss = proto.Float64(1.06) },
		"volume changed": func(o *openapi.ProtoOAOrder) { o.TradeData.Volume = proto.Int64(2_000_000) },
	} {
		changed := proto.Clone(base).(*openapi.ProtoOAOrder)
		change(changed)
		require.NotEqual(t, orderState(orderFrom(base)), orderState(orderFrom(changed)), name)
	}
	partly := proto.Clone(base).(*openapi.ProtoOAOrder)
	partly.ExecutedVolume = proto.Int64(500_000)
	require.Equal(t, "ORDER_PARTIAL_FILL", statusType(orderFrom(partly)))
	for status, typ := range map[openapi.ProtoOAOrderStatus]string{
		openapi.ProtoOAOrderStatus_ORDER_STATUS_FILLED: "ORDER_FILLED", openapi.ProtoOAOrderStatus_ORDER_STATUS_CANCELLED: "ORDER_CANCELLED",
		openapi.ProtoOAOrderStatus_ORDER_STATUS_EXPIRED: "ORDER_EXPIRED", openapi.ProtoOAOrderStatus_ORDER_STATUS_REJECTED: "ORDER_REJECTED",
	} {
		o := proto.Clone(base).(*openapi.ProtoOAOrder)
		o.OrderStatus = status.Enum()
		require.Equal(t, typ, statusType(orderFrom(o)))
	}
}
