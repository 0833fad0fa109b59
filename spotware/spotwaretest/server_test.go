package spotwaretest_test

import (
	"bytes"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/spotware/internal/wire"
	"github.com/brokerkit/brokerkit/spotware/openapi"
	"github.com/brokerkit/brokerkit/spotware/spotwaretest"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"
)

// raw is a bare protocol connection to the emulator.
type raw struct {
	t  *testing.T
	c  *tls.Conn
	r  *wire.Reader
	id int
}

func dialRaw(t *testing.T, srv *spotwaretest.Server) *raw {
	t.Helper()
	c, err := tls.Dial("tcp", srv.Addr, srv.TLSConfig())
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	return &raw{t: t, c: c, r: wire.NewReader(c, 0)}
}

func (r *raw) send(m proto.Message) string {
	r.t.Helper()
	r.id++
	id := "m" + string(rune('0'+r.id))
	b, err := wire.AppendMessage(nil, m, id, proto.MarshalOptions{})
	require.NoError(r.t, err)
	_, err = r.c.Write(b)
	require.NoError(r.t, err)
	return id
}

// next reads frames until one that is not a heartbeat or a spot event.
func (r *raw) next() wire.Envelope {
	r.t.Helper()
	require.NoError(r.t, r.c.SetReadDeadline(time.Now().Add(5*time.Second)))
	for {
		body, err := r.r.Next()
		require.NoError(r.t, err)
		env, err := wire.ParseEnvelope(body)
		require.NoError(r.t, err)
		if env.PayloadType == 51 || env.PayloadType == 2131 {
			continue
		}
		env.Payload = bytes.Clone(env.Payload)
		return env
	}
}

func (r *raw) oaError(id string) *openapi.ProtoOAErrorRes {
	r.t.Helper()
	env := r.next()
	require.Equal(r.t, id, env.ClientMsgID)
	require.Equal(r.t, uint32(2142), env.PayloadType)
	var m openapi.ProtoOAErrorRes
	require.NoError(r.t, proto.Unmarshal(env.Payload, &m))
	return &m
}

func appAuth(secret string) *openapi.ProtoOAApplicationAuthReq {
	return &openapi.ProtoOAApplicationAuthReq{ClientId: proto.String(spotwaretest.ClientID), ClientSecret: proto.String(secret)}
}

func TestProtocolOrderAndCodes(t *testing.T) {
	srv := spotwaretest.NewServer()
	t.Cleanup(srv.Close)
	r := dialRaw(t, srv)

	id := r.send(&openapi.ProtoOATraderReq{CtidTraderAccountId: proto.Int64(spotwaretest.DemoAccount)})
	require.Equal(t, "CH_CLIENT_NOT_AUTHENTICATED", r.oaError(id).GetErrorCode())

	// Heartbeats with and without an empty payload field are accepted.
	for _, h := range []string{"000000020833", "0000000408331200"} {
		b, _ := hex.DecodeString(h)
		_, err := r.c.Write(b)
		require.NoError(t, err)
	}
	id = r.send(appAuth(spotwaretest.ClientSecret))
	env := r.next()
	require.Equal(t, id, env.ClientMsgID)
	require.Equal(t, uint32(2101), env.PayloadType)
	require.Eventually(t, func() bool { return srv.Received(51) == 2 }, time.Second, 5*time.Millisecond)

	id = r.send(appAuth(spotwaretest.ClientSecret))
	require.Equal(t, "CH_CLIENT_ALREADY_AUTHENTICATED", r.oaError(id).GetErrorCode())

	// A required field missing: INVALID_REQUEST as a ProtoErrorRes.
	b, err := wire.AppendMessage(nil, &openapi.ProtoOATraderReq{}, "bad", proto.MarshalOptions{AllowPartial: true})
	require.NoError(t, err)
	_, err = r.c.Write(b)
	require.NoError(t, err)
	env = r.next()
	require.Equal(t, uint32(50), env.PayloadType)
	require.Equal(t, "bad", env.ClientMsgID)
}

func TestWrongSecretClosesConnection(t *testing.T) {
	srv := spotwaretest.NewServer()
	t.Cleanup(srv.Close)
	r := dialRaw(t, srv)
	id := r.send(appAuth("nope"))
	m := r.oaError(id)
	require.Equal(t, "CH_CLIENT_AUTH_FAILURE", m.GetErrorCode())
	require.Equal(t, "clientId or clientSecret is incorrect", m.GetDescription())
	_, err := r.r.Next()
	require.Error(t, err, "the server closes the connection after 101")
}

func TestFrameTooLong(t *testing.T) {
	srv := spotwaretest.NewServer()
	t.Cleanup(srv.Close)
	r := dialRaw(t, srv)
	_, err := r.c.Write([]byte{0x7f, 0xff, 0xff, 0xff, 0x08})
	require.NoError(t, err)
	env := r.next()
	require.Equal(t, uint32(50), env.PayloadType)
	var m openapi.ProtoErrorRes
	require.NoError(t, proto.Unmarshal(env.Payload, &m))
	require.Equal(t, "FRAME_TOO_LONG", m.GetErrorCode())
}

func TestPriceAt(t *testing.T) {
	for _, sym := range []int64{spotwaretest.EURUSD, spotwaretest.GBPUSD, spotwaretest.USDJPY, spotwaretest.XAUUSD} {
		var bid, ask uint64
		for n := range uint64(1000) {
			tk, ok := spotwaretest.PriceAt(sym, n)
			require.True(t, ok)
			again, _ := spotwaretest.PriceAt(sym, n)
			require.Equal(t, tk, again, "deterministic")
			require.Equal(t, n%3 == 0, tk.HasBid && tk.HasAsk)
			require.True(t, tk.HasBid || tk.HasAsk)
			if tk.HasBid {
				bid = tk.Bid
			}
			if tk.HasAsk {
				ask = tk.Ask
			}
			require.Less(t, bid, ask, "symbol %d tick %d: the last known quote is never crossed", sym, n)
		}
	}
	_, ok := spotwaretest.PriceAt(999, 0)
	require.False(t, ok)
}

// TestCodeLivesOneMinute: a code exchanged after 60 seconds is refused
// with an errorCode in an HTTP 200 body.
func TestCodeLivesOneMinute(t *testing.T) {
	clock := spotwaretest.NewTestClock(time.Now())
	srv := spotwaretest.NewServer(spotwaretest.WithClock(clock.Now))
	t.Cleanup(srv.Close)
	p, err := srv.Provider()
	require.NoError(t, err)
	flow, err := auth.Begin(p)
	require.NoError(t, err)
	cb, err := srv.Browser(spotwaretest.User, spotwaretest.Password).Login(t.Context(), flow.URL)
	require.NoError(t, err)
	u, err := url.Parse(cb)
	require.NoError(t, err)
	require.Empty(t, u.Query().Get("response_type"))
	clock.Advance(61 * time.Second)
	_, err = p.Exchange(t.Context(), u.Query().Get("code"))
	var oe *auth.OAuthError
	require.ErrorAs(t, err, &oe)
	require.Equal(t, 200, oe.StatusCode)
	require.Equal(t, "invalid_grant", oe.Code)
}

// TestProtobufRefreshSharesRotation: ProtoOARefreshTokenReq rotates the
// same refresh token the HTTP endpoint does.
func TestProtobufRefreshSharesRotation(t *testing.T) {
	srv := spotwaretest.NewServer(spotwaretest.WithSnakeCaseDuplicates())
	t.Cleanup(srv.Close)
	p, err := srv.Provider()
	require.NoError(t, err)
	tok, err := srv.Login(t.Context(), p)
	require.NoError(t, err)
	r := dialRaw(t, srv)
	r.send(appAuth(spotwaretest.ClientSecret))
	r.next()
	id := r.send(&openapi.ProtoOARefreshTokenReq{RefreshToken: proto.String(tok.RefreshToken)})
	env := r.next()
	require.Equal(t, id, env.ClientMsgID)
	var res openapi.ProtoOARefreshTokenRes
	require.NoError(t, proto.Unmarshal(env.Payload, &res))
	require.Equal(t, "bearer", res.GetTokenType())
	require.Equal(t, int64(2628000), res.GetExpiresIn())
	require.NotEqual(t, tok.RefreshToken, res.GetRefreshToken())

	_, err = p.Refresh(t.Context(), tok)
	require.ErrorIs(t, err, auth.ErrReauthRequired, "the HTTP side refuses the token the Protobuf side rotated")
	nt, err := p.Refresh(t.Context(), &auth.Token{AccessToken: res.GetAccessToken(), RefreshToken: res.GetRefreshToken()})
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(nt.Provider, "spotware"))

	q := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {nt.RefreshToken},
		"client_id": {spotwaretest.ClientID}, "client_secret": {spotwaretest.ClientSecret}}
	resp, err := srv.Client().Get(srv.URL() + spotwaretest.TokenPath + "?" + q.Encode())
	require.NoError(t, err)
	defer resp.Body.Close()
	var body map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&body))
	for _, k := range []string{"accessToken", "access_token", "refreshToken", "refresh_token", "expiresIn", "expires_in", "tokenType"} {
		require.Contains(t, body, k)
	}
	require.Equal(t, body["accessToken"], body["access_token"])
	require.Contains(t, body, "errorCode")
	require.Nil(t, body["errorCode"])
}

// TestProtobufRefreshSurvivesHTTPFaults: a fault injected on the token
// path reaches the Protobuf refresh as an error answer, not a crash.
func TestProtobufRefreshSurvivesHTTPFaults(t *testing.T) {
	srv := spotwaretest.NewServer()
	t.Cleanup(srv.Close)
	r := dialRaw(t, srv)
	r.send(appAuth(spotwaretest.ClientSecret))
	r.next()
	srv.Faults().Next(spotwaretest.TokenPath, spotwaretest.Fault{Cut: true}, 1)
	id := r.send(&openapi.ProtoOARefreshTokenReq{RefreshToken: proto.String("whatever")})
	require.Equal(t, "CH_ACCESS_TOKEN_INVALID", r.oaError(id).GetErrorCode())
}

func TestWithoutStateEcho(t *testing.T) {
	srv := spotwaretest.NewServer(spotwaretest.WithoutStateEcho())
	t.Cleanup(srv.Close)
	p, err := srv.Provider()
	require.NoError(t, err)
	_, err = srv.Login(t.Context(), p)
	require.ErrorIs(t, err, auth.ErrStateMismatch)
}

// TestSetAutoApprove: with a user set, the consent page is skipped and the
// authorize request redirects straight to the callback with a code that
// exchanges; with "" the sign-in page is back.
func TestSetAutoApprove(t *testing.T) {
	srv := spotwaretest.NewServer()
	t.Cleanup(srv.Close)
	p, err := srv.Provider()
	require.NoError(t, err)
	hc := srv.Client()
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

	srv.SetAutoApprove(spotwaretest.User)
	flow, err := auth.Begin(p)
	require.NoError(t, err)
	resp, err := hc.Get(flow.URL)
	require.NoError(t, err)
	_ = resp.Body.Close()
	require.Equal(t, http.StatusFound, resp.StatusCode)
	cb := resp.Header.Get("Location")
	require.True(t, strings.HasPrefix(cb, spotwaretest.RedirectURL+"?"), cb)
	tok, err := flow.CompleteURL(t.Context(), p, cb)
	require.NoError(t, err)
	require.NotEmpty(t, tok.AccessToken)

	srv.SetAutoApprove("")
	flow, err = auth.Begin(p)
	require.NoError(t, err)
	resp, err = hc.Get(flow.URL)
	require.NoError(t, err)
	_ = resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode, "the sign-in page again")
}
