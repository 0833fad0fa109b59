package autoshares_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/autoshares"
	"github.com/brokerkit/brokerkit/autoshares/autosharestest"
	"github.com/brokerkit/brokerkit/stream"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// trader logs the seeded trader in with a refreshing token source, signs
// the required agreements (quotes wait for them) and returns the client
// and the source.
func trader(t *testing.T, srv *autosharestest.Server, opts ...autoshares.Option) (*autoshares.Client, *auth.Source) {
	t.Helper()
	ctx := context.Background()
	p := newProvider(t, srv)
	tok, err := srv.Browser(autosharestest.User, autosharestest.Password).Token(ctx, p)
	require.NoError(t, err)
	require.NotEmpty(t, tok.RefreshToken)
	src, err := auth.NewSource(p, auth.NewMemoryStore(), auth.Key(p.Name(), autosharestest.User))
	require.NoError(t, err)
	require.NoError(t, src.SetToken(ctx, tok))
	c := p.NewClient(src, opts...)
	_, err = c.Agreements.SignAllRequired(ctx, autoshares.Me)
	require.NoError(t, err)
	return c, src
}

// next returns the stream's next event, failing the test after d.
func next(t *testing.T, st *stream.Stream[autoshares.Quote], d time.Duration) autoshares.Quote {
	t.Helper()
	select {
	case q, ok := <-st.C():
		require.True(t, ok, "stream ended: %v", st.Err())
		return q
	case <-time.After(d):
		t.Fatalf("no event within %s (stats %+v)", d, st.Stats())
	}
	return autoshares.Quote{}
}

// until reads events until one satisfies ok, failing the test after d;
// it returns the events read, the matching one last.
func until(t *testing.T, st *stream.Stream[autoshares.Quote], d time.Duration, ok func(autoshares.Quote) bool) []autoshares.Quote {
	t.Helper()
	deadline := time.After(d)
	var seen []autoshares.Quote
	for {
		select {
		case q, open := <-st.C():
			require.True(t, open, "stream ended: %v", st.Err())
			seen = append(seen, q)
			if ok(q) {
				return seen
			}
		case <-deadline:
			t.Fatalf("no matching event within %s; saw %d (stats %+v)", d, len(seen), st.Stats())
		}
	}
}

// reasons records OnReconnect's reasons.
type reasons struct {
	mu   sync.Mutex
	list []error
}

func (r *reasons) add(err error) { r.mu.Lock(); r.list = append(r.list, err); r.mu.Unlock() }

func (r *reasons) all() []error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]error(nil), r.list...)
}

func lastEquals(bid string) func(autoshares.Quote) bool {
	return func(q autoshares.Quote) bool { return q.Symbol == "AAPL" && q.Bid.String() == bid }
}

// TestStreamQuotes: the snapshot of every symbol, then each change the
// broker pushes, decoded exactly from the streamer's strings.
func TestStreamQuotes(t *testing.T) {
	srv := autosharestest.NewServer()
	defer srv.Close()
	c, _ := trader(t, srv)
	st, err := c.Streams.Quotes(context.Background(), "AAPL", "MSFT")
	require.NoError(t, err)
	defer st.Close()

	got := map[string]autoshares.Quote{}
	for len(got) < 2 {
		q := next(t, st, 5*time.Second)
		require.Empty(t, q.Error)
		got[q.Symbol] = q
	}
	assert.Equal(t, "196.28", got["AAPL"].Bid.String())
	assert.Equal(t, "196.31", got["AAPL"].Ask.String())
	assert.Equal(t, int64(4), got["AAPL"].SecurityID)
	assert.Equal(t, "415.2", got["MSFT"].Ask.String())
	assert.Contains(t, string(got["AAPL"].Raw), `"Ask":"196.31"`, "the streamer writes strings")

	// A price no float64 holds arrives exactly.
	srv.SetQuote("AAPL", dec("196.123456789012345678"), dec("196.2"), dec("196.15"))
	q := next(t, st, 5*time.Second)
	assert.Equal(t, "AAPL", q.Symbol)
	assert.Equal(t, "196.123456789012345678", q.Bid.String())
	assert.Equal(t, "196.15", q.Last.String())
	assert.False(t, q.Time.IsZero())

	stats := st.Stats()
	assert.Equal(t, uint64(3), stats.Events)
	assert.Zero(t, stats.Reconnects)
	require.NoError(t, st.Close())
	_, open := <-st.C()
	assert.False(t, open)
	assert.NoError(t, st.Err())
}

// TestStreamQuotesNoCredentialsToStreamer: the streamer is another origin;
// the emulator refuses (400) an upgrade that carries the bearer token or
// the API key, so a stream that opens proves neither was sent.
func TestStreamQuotesNoCredentialsToStreamer(t *testing.T) {
	srv := autosharestest.NewServer()
	defer srv.Close()
	c, _ := trader(t, srv)
	st, err := c.Streams.Quotes(context.Background(), "AAPL")
	require.NoError(t, err, "the socket was dialed with API credentials")
	defer st.Close()
	q := next(t, st, 5*time.Second)
	assert.Equal(t, "AAPL", q.Symbol)
}

// TestStreamQuotesCutReconnects: a dropped socket is redialed and
// resubscribed; the snapshot the streamer re-sends is not delivered twice.
func TestStreamQuotesCutReconnects(t *testing.T) {
	srv := autosharestest.NewServer()
	defer srv.Close()
	var why reasons
	c, _ := trader(t, srv, autoshares.WithStreams(stream.Options{MinBackoff: 10 * time.Millisecond, OnReconnect: why.add}))
	st, err := c.Streams.Quotes(context.Background(), "AAPL")
	require.NoError(t, err)
	defer st.Close()
	next(t, st, 5*time.Second)

	require.Equal(t, 1, srv.Faults().CutStreams())
	require.Eventually(t, func() bool { return srv.Faults().OpenStreams() == 1 && st.Stats().Duplicates == 1 },
		5*time.Second, 5*time.Millisecond, "resubscribed and the unchanged snapshot dropped")
	srv.SetQuote("AAPL", dec("190.01"), dec("190.05"), dec("190.03"))
	q := next(t, st, 5*time.Second)
	assert.Equal(t, "190.01", q.Bid.String(), "the next event is the change, not the repeated snapshot")

	stats := st.Stats()
	assert.Equal(t, uint64(1), stats.Reconnects)
	assert.Equal(t, uint64(2), stats.Events)
	require.Len(t, why.all(), 1)
	assert.Contains(t, why.all()[0].Error(), "quote streamer")
}

// TestStreamQuotesStallResyncs: the streamer goes on answering pings but
// sends no quotes; with Resync set the stream notices, reconnects, and
// takes the quote it missed from the new snapshot: none lost, none twice.
func TestStreamQuotesStallResyncs(t *testing.T) {
	srv := autosharestest.NewServer()
	defer srv.Close()
	var why reasons
	c, _ := trader(t, srv, autoshares.WithStreams(stream.Options{MinBackoff: 10 * time.Millisecond,
		Stall: 600 * time.Millisecond, Resync: 300 * time.Millisecond, OnReconnect: why.add}))
	st, err := c.Streams.Quotes(context.Background(), "AAPL")
	require.NoError(t, err)
	defer st.Close()
	next(t, st, 5*time.Second)

	srv.Faults().StallStreams(true)
	srv.SetQuote("AAPL", dec("191.01"), dec("191.05"), dec("191.03")) // held back by the stall
	require.Eventually(t, func() bool {
		for _, r := range why.all() {
			if errors.Is(r, stream.ErrResync) {
				return true
			}
		}
		return false
	}, 5*time.Second, 10*time.Millisecond, "the stall was noticed")
	time.Sleep(time.Second) // stalled for longer than Stall
	for _, r := range why.all() {
		assert.ErrorIs(t, r, stream.ErrResync, "pongs went on: a stall, not a dead socket")
	}
	select {
	case q := <-st.C():
		t.Fatalf("an event during the stall: %+v", q)
	default:
	}
	srv.Faults().StallStreams(false)
	seen := until(t, st, 5*time.Second, lastEquals("191.01"))
	assert.Len(t, seen, 1, "the missed quote, once, and nothing else")
}

// TestStreamQuotesPongsAreHeartbeats: a quiet socket that answers pings is
// alive; Stall does not cut it.
func TestStreamQuotesPongsAreHeartbeats(t *testing.T) {
	srv := autosharestest.NewServer()
	defer srv.Close()
	c, _ := trader(t, srv, autoshares.WithStreams(stream.Options{Stall: 150 * time.Millisecond}))
	st, err := c.Streams.Quotes(context.Background(), "AAPL")
	require.NoError(t, err)
	defer st.Close()
	next(t, st, 5*time.Second)
	time.Sleep(time.Second) // no quotes for over six stall periods
	stats := st.Stats()
	assert.Zero(t, stats.Reconnects, "a quiet, live socket was cut")
	assert.GreaterOrEqual(t, stats.Heartbeats, uint64(5))
}

// TestStreamQuotesSessionRecovered: the streamer ends the session (the
// emulator's frame {"Cmd":"Session","StatusCode":"Error",…}); the stream
// recovers one with PUT /v1.0/streamers/session/recover and resubscribes.
// Where recover fails it starts afresh with GET /v1.0/streamers.
func TestStreamQuotesSessionRecovered(t *testing.T) {
	srv := autosharestest.NewServer()
	defer srv.Close()
	var why reasons
	c, _ := trader(t, srv, autoshares.WithStreams(stream.Options{MinBackoff: 10 * time.Millisecond, OnReconnect: why.add}))
	st, err := c.Streams.Quotes(context.Background(), "AAPL")
	require.NoError(t, err)
	defer st.Close()
	next(t, st, 5*time.Second)

	for i, bid := range []string{"192.01", "192.02"} {
		if i == 1 {
			// The tenant has no recover: a fresh session from the streamers.
			srv.Faults().Next("/v1.0/streamers/session/recover", autosharestest.Fault{Status: 404}, 1)
		}
		require.Equal(t, 1, srv.ExpireStreamerSessions())
		require.Eventually(t, func() bool { return len(why.all()) == i+1 }, 5*time.Second, 5*time.Millisecond)
		assert.Contains(t, why.all()[i].Error(), "ended the session")
		require.Eventually(t, func() bool { return srv.Faults().OpenStreams() == 1 }, 5*time.Second, 5*time.Millisecond)
		time.Sleep(50 * time.Millisecond)
		srv.SetQuote("AAPL", dec(bid), dec("192.50"), dec("192.25"))
		until(t, st, 5*time.Second, lastEquals(bid))
	}
	assert.Zero(t, srv.Faults().Pending(), "the failing recover was called")
}

// TestStreamQuotesRefusedTokenRefreshes: the access token is withdrawn
// (and the streamer session with it); recovering the session meets a 401,
// the token is refreshed, and the stream goes on.
func TestStreamQuotesRefusedTokenRefreshes(t *testing.T) {
	srv := autosharestest.NewServer()
	defer srv.Close()
	c, src := trader(t, srv, autoshares.WithStreams(stream.Options{MinBackoff: 10 * time.Millisecond}))
	ctx := context.Background()
	st, err := c.Streams.Quotes(ctx, "AAPL")
	require.NoError(t, err)
	defer st.Close()
	next(t, st, 5*time.Second)

	old, err := src.TokenContext(ctx)
	require.NoError(t, err)
	require.True(t, srv.InvalidateToken(old.AccessToken))
	require.Eventually(t, func() bool { return st.Stats().Reconnects >= 1 && srv.Faults().OpenStreams() == 1 },
		5*time.Second, 5*time.Millisecond)
	time.Sleep(50 * time.Millisecond)
	srv.SetQuote("AAPL", dec("193.01"), dec("193.05"), dec("193.03"))
	until(t, st, 5*time.Second, lastEquals("193.01"))
	now, err := src.TokenContext(ctx)
	require.NoError(t, err)
	assert.NotEqual(t, old.AccessToken, now.AccessToken, "the token was refreshed")
}

// TestStreamQuotesRefusedRefreshEnds: the user's whole login is withdrawn;
// the refresh is refused and the stream ends with auth.ErrReauthRequired.
func TestStreamQuotesRefusedRefreshEnds(t *testing.T) {
	srv := autosharestest.NewServer()
	defer srv.Close()
	c, _ := trader(t, srv, autoshares.WithStreams(stream.Options{MinBackoff: 10 * time.Millisecond}))
	st, err := c.Streams.Quotes(context.Background(), "AAPL")
	require.NoError(t, err)
	defer st.Close()
	next(t, st, 5*time.Second)

	srv.InvalidateUser(autosharestest.User)
	deadline := time.After(10 * time.Second)
	for open := true; open; {
		select {
		case _, open = <-st.C():
		case <-deadline:
			t.Fatal("the stream did not end")
		}
	}
	require.ErrorIs(t, st.Err(), auth.ErrReauthRequired)
	assert.NotContains(t, st.Err().Error(), "Bearer")
}

// TestStreamQuotesUnknownSymbol: a symbol the broker does not know is one
// event with Error set, not a dead stream; a stream of unknown symbols
// only is refused at once.
func TestStreamQuotesUnknownSymbol(t *testing.T) {
	srv := autosharestest.NewServer()
	defer srv.Close()
	c, _ := trader(t, srv)
	ctx := context.Background()
	st, err := c.Streams.Quotes(ctx, "NOPE", "AAPL")
	require.NoError(t, err)
	defer st.Close()
	got := map[string]autoshares.Quote{}
	for len(got) < 2 {
		q := next(t, st, 5*time.Second)
		got[q.Symbol] = q
	}
	assert.Contains(t, got["NOPE"].Error, "no security NOPE")
	assert.Empty(t, got["AAPL"].Error)

	_, err = c.Streams.Quotes(ctx, "NOPE")
	assert.ErrorIs(t, err, autoshares.ErrNotFound)
}

// TestQuotesGetIsAStreamSnapshot: Quotes.Get takes the first quote of each
// symbol from the stream; an unknown symbol is a *PartialError item.
func TestQuotesGetIsAStreamSnapshot(t *testing.T) {
	srv := autosharestest.NewServer()
	defer srv.Close()
	c, _ := trader(t, srv)
	ctx := context.Background()
	srv.SetQuote("MSFT", dec("415.123456789012345678"), dec("415.2"), dec("415.15"))
	q, err := c.Quotes.Get(ctx, "MSFT", "NOPE", "AAPL")
	var pe *autoshares.PartialError
	require.ErrorAs(t, err, &pe)
	assert.Contains(t, pe.Failed, "NOPE")
	require.Len(t, q, 2)
	assert.Equal(t, "MSFT", q[0].Symbol, "the order asked")
	assert.Equal(t, "415.123456789012345678", q[0].Bid.String())
	assert.Equal(t, "AAPL", q[1].Symbol)
	assert.Eventually(t, func() bool { return srv.Faults().OpenStreams() == 0 }, 5*time.Second, 5*time.Millisecond,
		"the stream was closed")
}

// TestStreamQuotesAgreementsPending: quotes are market data; until the
// required agreements are signed the stream is refused at once.
func TestStreamQuotesAgreementsPending(t *testing.T) {
	srv := autosharestest.NewServer()
	defer srv.Close()
	p := newProvider(t, srv)
	c := session(t, srv, p, autosharestest.User, autosharestest.Password)
	_, err := c.Streams.Quotes(context.Background(), "AAPL")
	assert.ErrorIs(t, err, autoshares.ErrAgreementsPending)
}

// TestStreamQuotesDropOldest: a reader that falls behind loses the oldest
// quotes, and the loss is counted.
func TestStreamQuotesDropOldest(t *testing.T) {
	srv := autosharestest.NewServer()
	defer srv.Close()
	c, _ := trader(t, srv, autoshares.WithStreams(stream.Options{Buffer: 8}))
	st, err := c.Streams.Quotes(context.Background(), "AAPL")
	require.NoError(t, err)
	defer st.Close()
	require.Equal(t, 1, srv.BurstQuotes("AAPL", 500))
	// Events counts what was put on C, the dropped included: the snapshot
	// and the 500.
	require.Eventually(t, func() bool { return st.Stats().Events == 501 }, 10*time.Second, 5*time.Millisecond)
	s := st.Stats()
	assert.Equal(t, uint64(501-8), s.Dropped, "all but a buffer's worth dropped, and counted")
	var last autoshares.Quote
	for len(st.C()) > 0 {
		last = <-st.C()
	}
	assert.True(t, strings.HasSuffix(last.Volume.String(), "500"), "the newest quote is kept: %s", last.Volume)
}

// TestStreamQuotesOddFrames plays a streamer by hand: a refused key is an
// event with Error (no Raw: an answer may echo the session), a quote with
// a value that is not a number is an event with Error, a frame of another
// entity is skipped, and a frame that is not JSON ends the connection,
// which is made again and resubscribed. The upgrade carries no
// credentials.
func TestStreamQuotesOddFrames(t *testing.T) {
	var dials atomic.Int32
	streamer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "" || r.Header.Get("Et-App-Key") != "" {
			http.Error(w, "credentials sent to the streamer", http.StatusBadRequest)
			return
		}
		ws, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer ws.CloseNow()
		ctx := r.Context()
		for range 2 { // the two subscriptions
			if _, b, err := ws.Read(ctx); err != nil || !strings.Contains(string(b), `"SessionId":"sess-4417"`) {
				return
			}
		}
		frames := []string{
			`{"Cmd":"Subscribe.txt","StatusCode":"Ok","Keys":"4"}`,
			`{"Cmd":"Subscribe.txt","StatusCode":"Error","Keys":"5","Message":"not entitled\u0007 sess-4417"}`,
			`{"EntityType":"Trade","Key":"4","Price":"1"}`,
			`{"EntityType":"Quote","Key":"4","Ask":"abc"}`,
			`{"EntityType":"Quote","Key":"4","Ask":"7.25","Bid":"7.2"}`,
		}
		if dials.Add(1) == 1 {
			frames = append(frames, `not json`)
		}
		for _, f := range frames {
			if ws.Write(ctx, websocket.MessageText, []byte(f)) != nil {
				return
			}
		}
		_, _, _ = ws.Read(ctx) // until the client goes
	}))
	defer streamer.Close()
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/v1.0/equities/AAPL":
			_, _ = io.WriteString(w, `{"Id":4,"Symbol":"AAPL"}`)
		case "/v1.0/equities/MSFT":
			_, _ = io.WriteString(w, `{"Id":5,"Symbol":"MSFT"}`)
		case "/v1.0/streamers":
			_, _ = io.WriteString(w, `{"QuoteAddresses":[{"Url":"ws`+strings.TrimPrefix(streamer.URL, "http")+`","Type":"Realtime","SessionId":"sess-4417"}]}`)
		default:
			http.NotFound(w, r)
		}
	}))
	defer api.Close()

	var why reasons
	hc := auth.NewClient(staticToken{&auth.Token{AccessToken: "tok-123", TokenType: "Bearer"}})
	c := autoshares.NewClient(hc, autoshares.WithBaseURL(api.URL), autoshares.WithAPIKey("key-123"),
		autoshares.WithStreams(stream.Options{MinBackoff: time.Millisecond, OnReconnect: why.add}))
	st, err := c.Streams.Quotes(context.Background(), "AAPL", "MSFT")
	require.NoError(t, err)
	defer st.Close()

	refused := next(t, st, 5*time.Second)
	assert.Equal(t, "MSFT", refused.Symbol)
	assert.Equal(t, int64(5), refused.SecurityID)
	assert.Equal(t, "refused by the streamer: not entitled  [redacted]", refused.Error)
	assert.Nil(t, refused.Raw)
	bad := next(t, st, 5*time.Second)
	assert.Equal(t, "AAPL", bad.Symbol)
	assert.Equal(t, `bad quote: Ask "abc" is not a number`, bad.Error)
	good := next(t, st, 5*time.Second)
	assert.Equal(t, "7.25", good.Ask.String())
	assert.Empty(t, good.Error)

	// The second connection sends the same frames: nothing repeats.
	require.Eventually(t, func() bool { return dials.Load() == 2 && st.Stats().Duplicates == 3 },
		5*time.Second, 5*time.Millisecond)
	require.Len(t, why.all(), 1)
	assert.Contains(t, why.all()[0].Error(), "frame is not a JSON object")
	select {
	case q := <-st.C():
		t.Fatalf("a repeated event: %+v", q)
	default:
	}
}

// TestStreamQuotesInsecureStreamer: a streamer address the broker hands
// out must be wss, or ws on a loopback address; anything else is refused
// before it is dialed, and the stream does not open.
func TestStreamQuotesInsecureStreamer(t *testing.T) {
	for _, u := range []string{"ws://quotes.example.com:9995", "http://127.0.0.1:9995", "wss://"} {
		api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			switch r.URL.Path {
			case "/v1.0/equities/AAPL":
				_, _ = io.WriteString(w, `{"Id":4,"Symbol":"AAPL"}`)
			case "/v1.0/streamers":
				_, _ = io.WriteString(w, `{"QuoteAddresses":[{"Url":"`+u+`","SessionId":"sess-4417"}]}`)
			}
		}))
		hc := auth.NewClient(staticToken{&auth.Token{AccessToken: "tok-123", TokenType: "Bearer"}})
		c := autoshares.NewClient(hc, autoshares.WithBaseURL(api.URL), autoshares.WithAPIKey("key-123"))
		_, err := c.Streams.Quotes(context.Background(), "AAPL")
		require.Error(t, err, u)
		assert.NotContains(t, err.Error(), "sess-4417")
		if strings.HasPrefix(u, "ws://") {
			assert.ErrorIs(t, err, auth.ErrInsecureEndpoint)
		}
		api.Close()
	}
}
