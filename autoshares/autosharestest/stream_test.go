package autosharestest_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/brokerkit/brokerkit/autoshares/autosharestest"
)

// streamerFor signs the trader's agreements and returns the quote
// streamer's URL and a session id, as GET /v1.0/streamers hands them out.
func streamerFor(t *testing.T, srv *autosharestest.Server) (url, session, token string) {
	t.Helper()
	tok := login(t, srv, autosharestest.User, autosharestest.Password)
	for _, id := range []string{"101", "102"} {
		status, body := raw(t, srv, "POST", "/v1.0/users/@me/agreements/"+id+"/sign", tok.AccessToken,
			autosharestest.APIKey, "Et-App-Key", map[string]string{"101": `{"Version":3,"Accepted":true}`,
				"102": `{"Version":2,"Accepted":true}`}[id])
		require.Equal(t, 200, status, body)
	}
	status, body := raw(t, srv, "GET", "/v1.0/streamers", tok.AccessToken, autosharestest.APIKey, "Et-App-Key", "")
	require.Equal(t, 200, status, body)
	var out struct {
		QuoteAddresses []struct{ Url, Type, SessionId string }
		DataAddresses  []json.RawMessage
	}
	require.NoError(t, json.Unmarshal([]byte(body), &out))
	require.Len(t, out.QuoteAddresses, 1)
	a := out.QuoteAddresses[0]
	require.NotEmpty(t, a.SessionId)
	assert.NotEqual(t, srv.URL(), "http"+a.Url[2:], "the streamer is another origin than the API")
	return a.Url, a.SessionId, tok.AccessToken
}

func dialStreamer(t *testing.T, ctx context.Context, url string) *websocket.Conn {
	t.Helper()
	ws, _, err := websocket.Dial(ctx, url, nil)
	require.NoError(t, err)
	t.Cleanup(func() { ws.CloseNow() })
	return ws
}

func send(t *testing.T, ctx context.Context, ws *websocket.Conn, cmd, session, keys string) {
	t.Helper()
	b, _ := json.Marshal(map[string]string{"Cmd": cmd, "SessionId": session, "Keys": keys,
		"EntityType": "Quote", "HttpClientType": "WebSocket"})
	require.NoError(t, ws.Write(ctx, websocket.MessageText, b))
}

func read(t *testing.T, ctx context.Context, ws *websocket.Conn) map[string]any {
	t.Helper()
	_, b, err := ws.Read(ctx)
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(b, &m), string(b))
	return m
}

// TestStreamerWire: subscribe by security id, an answer, then the quote
// with every value a string; SetQuote pushes the change; after
// Unsubscribe.txt nothing more comes.
func TestStreamerWire(t *testing.T) {
	srv := autosharestest.NewServer()
	defer srv.Close()
	url, session, _ := streamerFor(t, srv)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ws := dialStreamer(t, ctx, url)

	send(t, ctx, ws, "Subscribe.txt", session, "4;999")
	// The answers come first, one per key, then the quotes.
	assert.Equal(t, map[string]any{"Cmd": "Subscribe.txt", "StatusCode": "Ok", "Keys": "4"}, read(t, ctx, ws))
	assert.Equal(t, map[string]any{"Cmd": "Subscribe.txt", "StatusCode": "Error", "Keys": "999", "Message": "Unknown security"},
		read(t, ctx, ws))
	q := read(t, ctx, ws)
	assert.Equal(t, "Quote", q["EntityType"])
	assert.Equal(t, "4", q["Key"])
	assert.Equal(t, "196.31", q["Ask"])
	assert.Equal(t, "196.28", q["Bid"])
	for k, v := range q {
		assert.IsType(t, "", v, "field %s is a string", k)
	}

	srv.SetQuote("AAPL", dec("1.000000000000000001"), dec("2"), dec("1.5"))
	q = read(t, ctx, ws)
	assert.Equal(t, "1.000000000000000001", q["Bid"])

	send(t, ctx, ws, "Unsubscribe.txt", session, "4")
	assert.Equal(t, "Ok", read(t, ctx, ws)["StatusCode"])
	srv.SetQuote("AAPL", dec("3"), dec("4"), dec("3.5"))
	short, cancelShort := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancelShort()
	_, b, err := ws.Read(short)
	assert.Error(t, err, "a quote after Unsubscribe.txt: %s", b)
}

// TestStreamerSessionExpired: a subscription naming an unknown or expired
// session, and an open socket whose session ends, get the emulator's
// frame and the socket is closed; PUT …/session/recover issues a new session.
func TestStreamerSessionExpired(t *testing.T) {
	srv := autosharestest.NewServer()
	defer srv.Close()
	url, session, token := streamerFor(t, srv)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()

	ws := dialStreamer(t, ctx, url)
	send(t, ctx, ws, "Subscribe.txt", "not-a-session", "4")
	assert.Equal(t, map[string]any{"Cmd": "Subscribe.txt", "StatusCode": "Error",
		"Message": "Session is expired or does not exist"}, read(t, ctx, ws))
	_, _, err := ws.Read(ctx)
	assert.Error(t, err, "the socket is closed")

	ws = dialStreamer(t, ctx, url)
	send(t, ctx, ws, "Subscribe.txt", session, "4")
	read(t, ctx, ws) // the answer
	read(t, ctx, ws) // the quote
	assert.Equal(t, 1, srv.ExpireStreamerSessions())
	assert.Equal(t, map[string]any{"Cmd": "Session", "StatusCode": "Error",
		"Message": "Session is expired or does not exist"}, read(t, ctx, ws))
	_, _, err = ws.Read(ctx)
	assert.Error(t, err, "the socket is closed")

	status, body := raw(t, srv, "PUT", "/v1.0/streamers/session/recover?sessionType=1", token, autosharestest.APIKey, "Et-App-Key", "")
	require.Equal(t, 200, status, body)
	var rec struct{ Id string }
	require.NoError(t, json.Unmarshal([]byte(body), &rec))
	require.NotEmpty(t, rec.Id)
	ws = dialStreamer(t, ctx, url)
	send(t, ctx, ws, "Subscribe.txt", rec.Id, "4")
	assert.Equal(t, "Ok", read(t, ctx, ws)["StatusCode"])
	assert.Equal(t, "Quote", read(t, ctx, ws)["EntityType"])

	status, _ = raw(t, srv, "PUT", "/v1.0/streamers/session/recover?sessionType=7", token, autosharestest.APIKey, "Et-App-Key", "")
	assert.Equal(t, 400, status)

	// The token's withdrawal ends its sessions.
	assert.True(t, srv.InvalidateToken(token))
	assert.Equal(t, "Session", read(t, ctx, ws)["Cmd"])
}

// TestStreamerRefusesAPICredentials: the bearer token and the API key
// belong to the API's origin; an upgrade that carries either is refused.
func TestStreamerRefusesAPICredentials(t *testing.T) {
	srv := autosharestest.NewServer()
	defer srv.Close()
	url, _, token := streamerFor(t, srv)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, h := range []http.Header{{"Authorization": {"Bearer " + token}}, {"Et-App-Key": {autosharestest.APIKey}}} {
		_, resp, err := websocket.Dial(ctx, url, &websocket.DialOptions{HTTPHeader: h})
		require.Error(t, err)
		require.NotNil(t, resp)
		assert.Equal(t, 400, resp.StatusCode)
	}
}

// TestStreamerStallAndCut: a stalled socket sends nothing but answers
// pings; a cut one is closed.
func TestStreamerStallAndCut(t *testing.T) {
	srv := autosharestest.NewServer()
	defer srv.Close()
	url, session, _ := streamerFor(t, srv)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ws := dialStreamer(t, ctx, url)
	send(t, ctx, ws, "Subscribe.txt", session, "4")
	read(t, ctx, ws)
	read(t, ctx, ws)

	srv.Faults().StallStreams(true)
	srv.SetQuote("AAPL", dec("5"), dec("6"), dec("5.5"))
	reading := ws.CloseRead(ctx) // reads (and so pongs) in the background
	pctx, cancelPing := context.WithTimeout(ctx, time.Second)
	defer cancelPing()
	require.NoError(t, ws.Ping(pctx), "a stalled socket answers pings")
	assert.Equal(t, 1, srv.Faults().CutStreams())
	select {
	case <-reading.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("the cut socket stayed open")
	}
}

// TestNoRESTQuotePath: the broker has no GET /v1.0/quotes; neither has the
// emulator.
func TestNoRESTQuotePath(t *testing.T) {
	srv := autosharestest.NewServer()
	defer srv.Close()
	tok := login(t, srv, autosharestest.AdminLogin, autosharestest.AdminPassword)
	status, _ := raw(t, srv, "GET", "/v1.0/quotes?symbols=AAPL", tok.AccessToken, autosharestest.APIKey, "Et-App-Key", "")
	assert.Equal(t, 404, status)
}

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }
