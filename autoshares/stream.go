package autoshares

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/coder/websocket"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/internal/origin"
	"github.com/brokerkit/brokerkit/internal/redact"
	"github.com/brokerkit/brokerkit/stream"
)

// StreamsService opens the broker's streams. AutoShares streams quotes
// over its quote streamer, a WebSocket on another host than the API:
//
//	GET /v1.0/streamers                  → the streamer's URL and a session id
//	{"Cmd":"Subscribe.txt","SessionId":…,"Keys":"<security id>","EntityType":"Quote","HttpClientType":"WebSocket"}
//	PUT /v1.0/streamers/session/recover  → a new session id, when the streamer says the old one ended
//
// The socket carries no credentials: the bearer token and the API key
// belong to the API's origin and are never sent to the streamer host; the
// session id, which the API hands out to the logged-in user, authenticates
// the subscriptions. The broker documents no order stream here.
type StreamsService service

// quoteStreamDefaults are the quote stream's defaults. The client pings
// the streamer (a third of Stall apart) and counts each pong as a
// heartbeat, so Stall notices a dead connection. Resync is off: a quiet
// symbol sends nothing for minutes outside busy hours, which is not a
// fault; set Options.Resync to reconnect a socket that answers pings but
// sends no quotes.
var quoteStreamDefaults = stream.Options{Policy: stream.DropOldest, Stall: 30 * time.Second, Resync: -1}

// The quote socket's wire facts.
const (
	cmdSubscribe = "Subscribe.txt"
	// statusOK is the StatusCode of an accepted command; any other is a
	// refusal.
	statusOK = "Ok"
	// quoteSessionType is recover's sessionType for the quote streamer
	// (0 is the data streamer).
	quoteSessionType = "1"
	// maxQuoteFrame bounds one frame read from the streamer.
	maxQuoteFrame = 1 << 16
	// defaultPing is the ping interval when stall detection is off.
	defaultPing = 15 * time.Second
	// answerWait bounds the wait for the streamer's first answer to the
	// subscriptions: pongs alone would keep a socket that never answers
	// open for ever, and Open waiting with it.
	answerWait = 10 * time.Second
)

// Quotes streams quotes of the symbols. Each symbol is resolved once to
// the broker's security id (Quotes.LookupSecurity) before the stream
// opens; a symbol the broker does not know becomes one Quote with Error
// set, and if it knows none the error is returned (matching ErrNotFound).
// Then a socket is dialed to the streamer GET /v1.0/streamers names, and
// one Subscribe.txt sent per security id; the streamer's current quote of
// each follows. On a dropped socket the stream redials and resubscribes
// with the same session; when the streamer says the session ended, it
// recovers one (PUT /v1.0/streamers/session/recover, else a new GET
// /v1.0/streamers) first. A quote repeated unchanged after a reconnect is
// not delivered twice.
//
// The stream's options are the client's (WithStreams) over the quote
// defaults: DropOldest (a reader that falls behind loses the oldest
// quotes, counted in Stats.Dropped), Stall 30 s, Resync off.
func (s *StreamsService) Quotes(ctx context.Context, symbols ...string) (*stream.Stream[Quote], error) {
	if err := s.c.check(ctx); err != nil {
		return nil, err
	}
	if err := checkSymbols(symbols); err != nil {
		return nil, err
	}
	_, st, err := s.c.openQuotes(ctx, symbols)
	return st, err
}

// quoteSub is one quote stream's subscription: its symbols, resolved once,
// and the streamer session, which only the connect goroutine touches.
type quoteSub struct {
	c        *Client
	symbols  []string          // distinct, in the caller's order
	ids      map[string]int64  // symbol → security id, for the known ones
	keys     []int64           // distinct security ids, in order
	symbolOf map[int64]string  // security id → the first symbol naming it
	unknown  map[string]string // symbol → why the broker does not know it
	ping     time.Duration

	url     string // the streamer's URL; empty until the first connection
	session string // the session id: a credential, never in an error
	stale   bool   // the streamer said the session ended
}

// openQuotes resolves the symbols and opens the stream.
func (c *Client) openQuotes(ctx context.Context, symbols []string) (*quoteSub, *stream.Stream[Quote], error) {
	sub := &quoteSub{c: c, ids: map[string]int64{}, symbolOf: map[int64]string{}, unknown: map[string]string{}}
	var notFound error
	for _, sym := range symbols {
		if _, seen := sub.ids[sym]; seen {
			continue
		}
		if _, seen := sub.unknown[sym]; seen {
			continue
		}
		sub.symbols = append(sub.symbols, sym)
		sec, err := c.Quotes.LookupSecurity(ctx, sym)
		if errors.Is(err, ErrNotFound) {
			notFound = err
			sub.unknown[sym] = redact.Text(err.Error())
			continue
		}
		if err != nil {
			return nil, nil, err
		}
		sub.ids[sym] = sec.ID
		if _, seen := sub.symbolOf[sec.ID]; !seen {
			sub.symbolOf[sec.ID] = sym
			sub.keys = append(sub.keys, sec.ID)
		}
	}
	if len(sub.keys) == 0 {
		return nil, nil, fmt.Errorf("autoshares: quotes: the broker knows none of the symbols: %w", notFound)
	}
	o := c.streamOpts.With(quoteStreamDefaults)
	sub.ping = defaultPing
	if o.Stall > 0 {
		sub.ping = max(o.Stall/3, time.Millisecond)
	}
	st, err := stream.Open(ctx, o, sub.connect)
	if err != nil {
		return nil, nil, err
	}
	return sub, st, nil
}

// errSessionEnded is why a stream reconnects after the streamer said its
// session ended.
var errSessionEnded = errors.New("the quote streamer ended the session")

// subscribeCommand is a command sent on the quote socket.
type subscribeCommand struct {
	Cmd            string `json:"Cmd"`
	SessionID      string `json:"SessionId"`
	Keys           string `json:"Keys"`
	EntityType     string `json:"EntityType"`
	HTTPClientType string `json:"HttpClientType"`
}

// connect runs one connection of a quote stream: session, dial,
// subscribe, read.
func (s *quoteSub) connect(ctx context.Context, sc *stream.Conn[Quote]) error {
	if err := s.ensureSession(ctx); err != nil {
		return err
	}
	ws, _, err := websocket.Dial(ctx, s.url, &websocket.DialOptions{
		HTTPClient: s.c.streamHTTP,
		// Pongs come back inside Read, on this goroutine.
		OnPongReceived: func(context.Context, []byte) { sc.Heartbeat() },
	})
	if err != nil {
		return fmt.Errorf("autoshares: quote streamer %s: %s", s.host(), redact.Text(redact.URLError(err).Error(), s.session))
	}
	defer ws.CloseNow()
	ws.SetReadLimit(maxQuoteFrame)
	// One key per command: the docs separate several keys with ";" and
	// the API guide with ","; one each is unambiguous.
	for _, id := range s.keys {
		b, _ := json.Marshal(subscribeCommand{Cmd: cmdSubscribe, SessionID: s.session,
			Keys: strconv.FormatInt(id, 10), EntityType: "Quote", HTTPClientType: "WebSocket"})
		if err := ws.Write(ctx, websocket.MessageText, b); err != nil {
			return s.readErr(ctx, err)
		}
	}
	pctx, stop := context.WithCancel(ctx)
	defer stop()
	go pingLoop(pctx, ws, s.ping)

	// The socket is closed when ctx ends or no answer comes in time, once
	// per connection: a cancellable context on every Read would cost a
	// timer registration per frame.
	stopClose := context.AfterFunc(ctx, func() { ws.CloseNow() })
	defer stopClose()
	unanswered := time.AfterFunc(answerWait, func() { ws.CloseNow() })
	defer unanswered.Stop()
	ready := false
	var buf bytes.Buffer // reused across frames; each event keeps its own copy
	for {
		b, err := readFrame(ws, &buf)
		if err != nil {
			if !ready && ctx.Err() == nil && !unanswered.Stop() {
				return fmt.Errorf("autoshares: quote streamer %s answered no subscription within %s", s.host(), answerWait)
			}
			return s.readErr(ctx, err)
		}
		f, err := decodeQuoteFrame(b)
		if err != nil {
			return fmt.Errorf("autoshares: quote streamer: %w", err)
		}
		if f.Cmd != "" || f.StatusCode != "" {
			// An answer to a command, or the session's end.
			if f.StatusCode != statusOK && f.Keys == "" {
				s.stale = true
				return fmt.Errorf("autoshares: %w: %s", errSessionEnded, redact.Text(f.Message, s.session))
			}
			if !ready {
				ready = true
				unanswered.Stop()
				if !s.ready(sc) {
					return nil
				}
			}
			if f.StatusCode != statusOK {
				id, _ := strconv.ParseInt(f.Keys, 10, 64)
				// No Raw: an answer may echo the session id.
				ev := Quote{Symbol: s.symbolOf[id], SecurityID: id,
					Error: "refused by the streamer: " + redact.Text(f.Message, s.session)}
				if !sc.Update("refused:"+f.Keys, b, ev) {
					return nil
				}
			}
			continue
		}
		if f.EntityType != "" && f.EntityType != "Quote" {
			continue // another kind the socket may carry
		}
		q, err := f.quote(b)
		if q.SecurityID == 0 {
			return fmt.Errorf("autoshares: quote streamer: %w", err)
		}
		q.Symbol = s.symbolOf[q.SecurityID]
		key := f.Key
		if err != nil {
			q = Quote{Symbol: q.Symbol, SecurityID: q.SecurityID, Raw: b, Error: "bad quote: " + redact.Text(err.Error(), s.session)}
			key = "bad:" + f.Key
		}
		if !ready {
			ready = true
			unanswered.Stop()
			if !s.ready(sc) {
				return nil
			}
		}
		if !sc.Update(key, b, q) {
			return nil
		}
	}
}

// readFrame reads the next message through buf and returns a copy of it
// sized to fit: a frame becomes an event's Raw, so it cannot be reused,
// but reading into a grown buffer saves io.ReadAll's doublings.
func readFrame(ws *websocket.Conn, buf *bytes.Buffer) ([]byte, error) {
	_, r, err := ws.Reader(context.Background())
	if err != nil {
		return nil, err
	}
	buf.Reset()
	if _, err := buf.ReadFrom(r); err != nil {
		return nil, err
	}
	return bytes.Clone(buf.Bytes()), nil
}

// ready reports the subscription accepted and delivers the symbols the
// broker does not know (once per stream: Update drops the repeats).
func (s *quoteSub) ready(sc *stream.Conn[Quote]) bool {
	sc.Ready()
	for _, sym := range s.symbols {
		if reason, ok := s.unknown[sym]; ok {
			if !sc.Update("unknown:"+sym, []byte(reason), Quote{Symbol: sym, Error: reason}) {
				return false
			}
		}
	}
	return true
}

// readErr turns a socket error into the connection's end: nil when the
// stream is closing, else an error to reconnect on.
func (s *quoteSub) readErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return fmt.Errorf("autoshares: quote streamer %s: %s", s.host(), redact.Text(err.Error(), s.session))
}

// host names the streamer in errors.
func (s *quoteSub) host() string {
	if u, err := url.Parse(s.url); err == nil {
		return u.Host
	}
	return "(bad URL)"
}

// pingLoop pings the streamer every d until ctx ends; each pong is a
// heartbeat of the stream.
func pingLoop(ctx context.Context, ws *websocket.Conn, d time.Duration) {
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		pctx, cancel := context.WithTimeout(ctx, d)
		_ = ws.Ping(pctx) // a missing pong is the stall watchdog's business
		cancel()
	}
}

// streamerAddress is one entry of GET /v1.0/streamers.
type streamerAddress struct {
	URL       string `json:"Url"`
	Type      string `json:"Type"`
	SessionID string `json:"SessionId"`
}

// ensureSession gets the streamer's URL and a session on the first
// connection, and a new session after the streamer ended the old one.
func (s *quoteSub) ensureSession(ctx context.Context) error {
	if s.url != "" && !s.stale {
		return nil
	}
	if s.url != "" {
		var out struct {
			ID string `json:"Id"`
		}
		err := s.c.call(ctx, call{method: http.MethodPut, path: s.c.paths.RecoverSession,
			query: url.Values{"sessionType": {quoteSessionType}}, idempotent: true}, &out)
		if err == nil && out.ID != "" {
			s.session, s.stale = out.ID, false
			return nil
		}
		// A tenant without recover, or a refusal: start afresh below.
	}
	var out struct {
		QuoteAddresses []streamerAddress `json:"QuoteAddresses"`
	}
	if err := s.c.call(ctx, call{method: http.MethodGet, path: s.c.paths.Streamers}, &out); err != nil {
		return err
	}
	for _, a := range out.QuoteAddresses {
		if a.URL == "" || a.SessionID == "" {
			continue
		}
		if err := checkStreamerURL(a.URL); err != nil {
			return stream.Permanent(s.c.invalid("quote streamer address", err))
		}
		s.url, s.session, s.stale = a.URL, a.SessionID, false
		return nil
	}
	return stream.Permanent(s.c.invalid("GET "+s.c.paths.Streamers, errors.New("no quote streamer address with a session id")))
}

// checkStreamerURL accepts wss, or ws to a loopback host.
func checkStreamerURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return fmt.Errorf("streamer URL %q is not an absolute URL", origin.ForError(raw))
	}
	if u.Scheme == "wss" || (u.Scheme == "ws" && origin.IsLoopback(u.Hostname())) {
		return nil
	}
	return fmt.Errorf("%w: streamer %s://%s", auth.ErrInsecureEndpoint, u.Scheme, u.Host)
}

// streamHTTPClient is the client the quote socket is dialed with: the
// transport under the authorizing one, so that neither the bearer token
// nor the API key reaches the streamer host, and no Timeout, which would
// cut the socket (stall detection replaces it).
func streamHTTPClient(hc *http.Client, base http.RoundTripper) *http.Client {
	if base == nil && hc != nil {
		base = plainTransport(hc.Transport)
	}
	return &http.Client{Transport: base}
}

// plainTransport is the credential-free transport under rt: the base of an
// auth.Transport, a bare *http.Transport, or nil (the default transport)
// for anything else, which might add credentials of its own.
func plainTransport(rt http.RoundTripper) http.RoundTripper {
	switch t := rt.(type) {
	case *auth.Transport:
		return plainTransport(t.Base)
	case *http.Transport:
		return t
	}
	return nil
}
