package just2trade

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

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
