package just2trade

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/stream"
)

// A feed that accepts the subscription and stays silent (no trade today,
// a broker that sends no acknowledgement) still opens, after readyGrace;
// pongs keep it alive.
func TestSilentFeedOpensAfterTheGracePeriod(t *testing.T) {
	got := make(chan string, 4)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- r.URL.RequestURI()
		ws, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer ws.CloseNow()
		for {
			_, msg, err := ws.Read(r.Context()) // answers pings
			if err != nil {
				return
			}
			got <- string(msg)
		}
	}))
	defer srv.Close()
	c := NewClient(srv.Client(), WithBaseURL(srv.URL+"/api"), WithStreams(stream.Options{Stall: 300 * time.Millisecond}))
	start := time.Now()
	st, err := c.Streams.Trades(context.Background(), "12345678@vision")
	require.NoError(t, err)
	defer st.Close()
	assert.GreaterOrEqual(t, time.Since(start), readyGrace)
	assert.Equal(t, "/api/accounts", <-got, "the feed is under the API base URL, with nothing in the query")
	assert.JSONEq(t, `{"action":"subscribeTrades","account":"12345678@vision"}`, <-got)
	time.Sleep(400 * time.Millisecond)
	assert.Zero(t, st.Stats().Reconnects, "pongs every 100 ms keep a silent feed from stalling")
	assert.Positive(t, st.Stats().Heartbeats)
}

// An upgrade redirected to another origin is refused before anything is
// sent there: the token the client's transport adds stays home.
func TestFeedRedirectToAnotherOriginIsRefused(t *testing.T) {
	var elsewhere atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		elsewhere.Add(1)
	}))
	defer other.Close()
	home := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+r.URL.Path, http.StatusFound)
	}))
	defer home.Close()
	c := NewClient(home.Client(), WithBaseURL(home.URL))
	_, err := c.Streams.Quotes(context.Background(), "AAPL")
	require.ErrorIs(t, err, auth.ErrCrossOriginRedirect)
	_, err = c.Streams.Orders(context.Background(), "12345678@vision")
	require.ErrorIs(t, err, auth.ErrCrossOriginRedirect)
	assert.Zero(t, elsewhere.Load())
}

// A socket that goes dead — no message and no pong — is detected by the
// stall watchdog and redialled.
func TestDeadFeedIsRedialled(t *testing.T) {
	var conns atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conns.Add(1)
		ws, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer ws.CloseNow()
		if _, _, err := ws.Read(r.Context()); err != nil {
			return
		}
		_ = ws.Write(r.Context(), websocket.MessageText, []byte(`{"t":"t","data":[]}`))
		<-r.Context().Done() // no more reads: pings go unanswered
	}))
	defer srv.Close()
	reasons := make(chan error, 4)
	c := NewClient(srv.Client(), WithBaseURL(srv.URL), WithStreams(stream.Options{Stall: 300 * time.Millisecond,
		MinBackoff: 10 * time.Millisecond, OnReconnect: func(r error) { reasons <- r }}))
	st, err := c.Streams.Trades(context.Background(), "12345678@vision")
	require.NoError(t, err)
	defer st.Close()
	select {
	case r := <-reasons:
		assert.ErrorIs(t, r, stream.ErrStalled)
	case <-time.After(5 * time.Second):
		t.Fatal("the dead socket was not noticed")
	}
	require.Eventually(t, func() bool { return conns.Load() >= 2 }, 5*time.Second, 10*time.Millisecond, "redialled")
}
