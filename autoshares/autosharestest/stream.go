package autosharestest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"time"

	"github.com/coder/websocket"
	"github.com/shopspring/decimal"

	"github.com/brokerkit/brokerkit/internal/oauthsim"
)

// The quote streamer's wire facts (ETNA streaming docs; the session-expiry
// frame is the emulator's own, the broker documents none).
const (
	cmdSubscribe   = "Subscribe.txt"
	cmdUnsubscribe = "Unsubscribe.txt"
	// cmdSession names the frame that tells a socket its session ended.
	cmdSession = "Session"
	// statusOK and statusError are the StatusCode values of the
	// streamer's answers ("Ok" and "Error" as CreateSession.txt answers).
	statusOK    = "Ok"
	statusError = "Error"
	// sessionExpired is the Message of the frame sent when a subscription
	// names a session that is unknown, recovered away from or expired, or
	// when the session of an open socket ends. The socket is then closed
	// (without a close handshake, which would wait on the client).
	sessionExpired = "Session is expired or does not exist"
	// streamDateLayout is the streamer's date format, written in UTC.
	streamDateLayout = "01/02/2006 15:04:05"
	// sessionQuote and sessionData are recover's sessionType values.
	sessionData  = "0"
	sessionQuote = "1"
)

// streamSession is a streamer session: issued by GET /v1.0/streamers or
// PUT /v1.0/streamers/session/recover, bound to the user and the access
// token that asked for it, ended by the token's or user's invalidation or
// by ExpireStreamerSessions.
type streamSession struct {
	id      string
	userID  int64
	token   string
	expired bool
}

// quoteSocket is one open quote WebSocket. Server.mu guards its fields but
// conn.
type quoteSocket struct {
	conn    *websocket.Conn
	session *streamSession
	keys    map[int64]bool // subscribed security ids
	outbox  [][]byte       // answers to commands, sent before quotes
	dirty   []int64        // securities whose quote is to be sent, in order
	bursts  []burst
	ended   bool // the session ended: send the notice and close
	refused bool // a subscription named a bad session: close after the answer
	wake    chan struct{}
}

// burst is a BurstQuotes request: n quote frames of one security.
type burst struct {
	id int64
	n  int
}

// poke wakes the socket's writer; s.mu is held.
func (q *quoteSocket) poke() {
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// markDirty queues security id's quote for sending; s.mu is held.
func (q *quoteSocket) markDirty(id int64) {
	for _, d := range q.dirty {
		if d == id {
			return
		}
	}
	q.dirty = append(q.dirty, id)
	q.poke()
}

// startStreamer listens for the quote streamer on a port of its own, on
// the API's loopback address (else 127.0.0.1): another origin than the
// API, as the broker's streamer hosts are, so that credentials meant for
// the API cannot reach it by accident.
func (s *Server) startStreamer(api net.Addr) error {
	host := "127.0.0.1"
	if a, ok := api.(*net.TCPAddr); ok && a.IP.IsLoopback() {
		host = a.IP.String()
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		return err
	}
	s.sessions = map[string]*streamSession{}
	s.sockets = map[*quoteSocket]struct{}{}
	s.streamSrv = &httptest.Server{Listener: ln, Config: &http.Server{
		Handler: http.HandlerFunc(s.serveQuoteSocket), ReadHeaderTimeout: 10 * time.Second}}
	s.streamSrv.Start()
	s.streamURL = "ws" + strings.TrimPrefix(s.streamSrv.URL, "http")
	return nil
}

// closeStreamer ends every socket, waits for their handlers and stops the
// listener.
func (s *Server) closeStreamer() {
	s.mu.Lock()
	for q := range s.sockets {
		q.conn.CloseNow()
	}
	s.mu.Unlock()
	s.socketsWG.Wait()
	s.streamSrv.Close()
}

// newSession issues a streamer session for the caller; s.mu is held.
func (s *Server) newSession(r *http.Request, c caller) *streamSession {
	var b [16]byte
	_, _ = rand.Read(b[:])
	h := hex.EncodeToString(b[:])
	id := h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
	tok, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	ss := &streamSession{id: id, userID: c.u.id, token: tok}
	s.sessions[id] = ss
	return ss
}

// streamers answers GET /v1.0/streamers with a fresh quote session.
// Quotes are market data: the required agreements must be signed first.
func (s *Server) streamers(w http.ResponseWriter, r *http.Request, c caller) {
	if !agreementsSigned(w, c.u) {
		return
	}
	ss := s.newSession(r, c)
	oauthsim.WriteJSON(w, http.StatusOK, map[string]any{
		"QuoteAddresses": []map[string]string{{"Url": s.streamURL, "Type": "Realtime", "SessionId": ss.id}},
		// The emulator serves no trade-data streamer.
		"DataAddresses": []map[string]string{},
	})
}

// recoverSession answers PUT /v1.0/streamers/session/recover?sessionType=
// with a new session id.
func (s *Server) recoverSession(w http.ResponseWriter, r *http.Request, c caller) {
	if !agreementsSigned(w, c.u) {
		return
	}
	switch r.URL.Query().Get("sessionType") {
	case sessionQuote, sessionData:
	default:
		fail(w, http.StatusBadRequest, "invalid_request", "sessionType must be 0 (data) or 1 (quote)")
		return
	}
	ss := s.newSession(r, c)
	oauthsim.WriteJSON(w, http.StatusOK, map[string]string{"Id": ss.id})
}

// expireSessions ends the sessions match selects and tells their open
// sockets; s.mu is held.
func (s *Server) expireSessions(match func(*streamSession) bool) int {
	n := 0
	for id, ss := range s.sessions {
		if match(ss) {
			ss.expired = true
			delete(s.sessions, id)
			n++
		}
	}
	for q := range s.sockets {
		if q.session != nil && q.session.expired && !q.ended {
			q.ended = true
			q.poke()
		}
	}
	return n
}

// ExpireStreamerSessions ends every streamer session, as the broker does
// when a session times out: open sockets get the frame
// {"Cmd":"Session","StatusCode":"Error","Message":"Session is expired or
// does not exist"} and are closed, and subscriptions naming
// the session get the same answer with "Cmd":"Subscribe.txt". A client
// recovers with PUT /v1.0/streamers/session/recover. It reports how many
// sessions there were.
func (s *Server) ExpireStreamerSessions() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.expireSessions(func(*streamSession) bool { return true })
}

// BurstQuotes sends n changes of symbol's quote to every socket subscribed to
// it, as fast as the sockets take them (each frame a new Volume, so none
// repeats another): the load of a busy market, for benchmarks. It
// reports how many sockets it queued the burst on.
func (s *Server) BurstQuotes(symbol string, n int) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	q := s.st.quotes[symbol]
	if q == nil || n <= 0 {
		return 0
	}
	count := 0
	for sock := range s.sockets {
		if sock.keys[q.securityID] {
			sock.bursts = append(sock.bursts, burst{q.securityID, n})
			sock.poke()
			count++
		}
	}
	return count
}

// quoteChanged queues symbol's quote on the sockets subscribed to it;
// s.mu is held.
func (s *Server) quoteChanged(q *quote) {
	for sock := range s.sockets {
		if sock.keys[q.securityID] {
			sock.markDirty(q.securityID)
		}
	}
}

// streamCommand is a command a client sends on the quote socket.
type streamCommand struct {
	Cmd            string
	SessionID      string `json:"SessionId"`
	Keys           string
	EntityType     string
	HTTPClientType string `json:"HttpClientType"`
}

// streamAnswer is the streamer's answer to a command.
type streamAnswer struct {
	Cmd        string
	StatusCode string
	Keys       string `json:",omitempty"`
	Message    string `json:",omitempty"`
}

func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}

// serveQuoteSocket serves the quote streamer. The socket itself carries no
// credentials: the session id in each subscription authenticates it. An
// upgrade request that carries the API's bearer token or API key is
// refused (400): those belong to the API's origin, and a client that sends
// them to the streamer host leaks them.
func (s *Server) serveQuoteSocket(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != "" || r.Header.Get(s.opts.apiKeyHeader) != "" {
		fail(w, http.StatusBadRequest, "invalid_request", "the streamer takes no API credentials; the session id authenticates")
		return
	}
	conn, err := websocket.Accept(w, r, nil)
	if err != nil {
		return // Accept has answered
	}
	sock := &quoteSocket{conn: conn, keys: map[int64]bool{}, wake: make(chan struct{}, 1)}
	s.mu.Lock()
	s.sockets[sock] = struct{}{}
	s.socketsWG.Add(1)
	s.mu.Unlock()
	ctx, done := s.eng.Faults().TrackStream(context.Background())
	defer func() {
		done()
		conn.CloseNow()
		s.mu.Lock()
		delete(s.sockets, sock)
		s.mu.Unlock()
		s.socketsWG.Done()
	}()
	go func() {
		// Reading answers the client's pings, stalled or not.
		defer done()
		for {
			_, b, err := conn.Read(ctx)
			if err != nil {
				return
			}
			s.command(sock, b)
		}
	}()
	s.writeQuotes(ctx, sock)
}

// command runs one client command on sock.
func (s *Server) command(sock *quoteSocket, b []byte) {
	var cmd streamCommand
	answer := func(a streamAnswer) { sock.outbox = append(sock.outbox, mustJSON(a)); sock.poke() }
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := json.Unmarshal(b, &cmd); err != nil {
		answer(streamAnswer{Cmd: "", StatusCode: statusError, Message: "command is not JSON"})
		return
	}
	if cmd.Cmd != cmdSubscribe && cmd.Cmd != cmdUnsubscribe {
		answer(streamAnswer{Cmd: cmd.Cmd, StatusCode: statusError, Message: "unknown command"})
		return
	}
	ss := s.sessions[cmd.SessionID]
	if ss == nil || ss.expired || (sock.session != nil && sock.session != ss) {
		answer(streamAnswer{Cmd: cmd.Cmd, StatusCode: statusError, Message: sessionExpired})
		sock.refused = true
		return
	}
	if cmd.EntityType != "Quote" || cmd.HTTPClientType != "WebSocket" {
		answer(streamAnswer{Cmd: cmd.Cmd, StatusCode: statusError, Keys: cmd.Keys,
			Message: "EntityType must be Quote and HttpClientType WebSocket"})
		return
	}
	sock.session = ss
	// The docs separate keys with ";"; "," is accepted as well.
	for _, k := range strings.FieldsFunc(cmd.Keys, func(r rune) bool { return r == ';' || r == ',' }) {
		k = strings.TrimSpace(k)
		id, err := strconv.ParseInt(k, 10, 64)
		if err != nil || s.st.security(id) == nil {
			answer(streamAnswer{Cmd: cmd.Cmd, StatusCode: statusError, Keys: k, Message: "Unknown security"})
			continue
		}
		answer(streamAnswer{Cmd: cmd.Cmd, StatusCode: statusOK, Keys: k})
		if cmd.Cmd == cmdSubscribe {
			sock.keys[id] = true
			sock.markDirty(id) // the current quote follows the answer
		} else {
			delete(sock.keys, id)
		}
	}
}

// security finds a quote by security id.
func (st *state) security(id int64) *quote {
	for _, q := range st.quotes {
		if q.securityID == id {
			return q
		}
	}
	return nil
}

// writeQuotes is sock's writer: answers, then the quotes that changed,
// then bursts, until the socket or its session ends.
func (s *Server) writeQuotes(ctx context.Context, sock *quoteSocket) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-sock.wake:
		}
		s.mu.Lock()
		answers := sock.outbox
		sock.outbox = nil
		var out [][]byte
		for _, id := range sock.dirty {
			if q := s.st.security(id); q != nil && sock.keys[id] {
				out = append(out, quoteFrame(q, q.volume))
			}
		}
		sock.dirty = sock.dirty[:0]
		bursts := sock.bursts
		sock.bursts = nil
		var templates []*frameTemplate
		for _, b := range bursts {
			if q := s.st.security(b.id); q != nil {
				templates = append(templates, newFrameTemplate(q))
			}
		}
		ended, refused := sock.ended, sock.refused
		s.mu.Unlock()

		// Answers to commands go out even when stalled; quotes do not, and
		// what a stall held back is dropped, as the shared stream faults
		// say: a new connection's snapshot brings it back.
		for _, b := range answers {
			if sock.conn.Write(ctx, websocket.MessageText, b) != nil {
				return
			}
		}
		if !s.eng.Faults().StreamsStalled() {
			for _, b := range out {
				if sock.conn.Write(ctx, websocket.MessageText, b) != nil {
					return
				}
			}
			for i, t := range templates {
				if !t.write(ctx, sock.conn, bursts[i].n) {
					return
				}
			}
		}
		if refused && !ended {
			return // the deferred CloseNow drops the socket
		}
		if ended {
			notice := mustJSON(streamAnswer{Cmd: cmdSession, StatusCode: statusError, Message: sessionExpired})
			_ = sock.conn.Write(ctx, websocket.MessageText, notice)
			return
		}
	}
}

// wireQuote is a quote as the streamer writes it: every value a string.
type wireQuote struct {
	EntityType       string
	Key              string
	Ask              string
	AskSize          string
	AskMarket        string
	AskTime          string
	Bid              string
	BidSize          string
	BidMarket        string
	BidTime          string
	Last             string
	LastMarket       string
	Price            string
	Date             string
	Open             string
	High             string
	Low              string
	Close            string
	PreviousClose    string
	Volume           string
	TotalDailyVolume string
	Change           string
	ChangePc         string
	Week52Low        string
	Week52High       string
	OpenInterest     string
}

func streamDate(t time.Time) string {
	if t.IsZero() {
		return "01/01/1970 00:00:00" // the streamer's "never"
	}
	return t.UTC().Format(streamDateLayout)
}

// wire renders q with the given volume.
func (q *quote) wire(volume string) wireQuote {
	ref := q.prevClose()
	return wireQuote{EntityType: "Quote", Key: strconv.FormatInt(q.securityID, 10),
		Ask: q.ask.String(), AskSize: q.askSize.String(), AskTime: streamDate(q.at),
		Bid: q.bid.String(), BidSize: q.bidSize.String(), BidTime: streamDate(q.at),
		Last: q.last.String(), Price: q.last.String(), Date: streamDate(q.at),
		Open: ref.String(), High: decimal.Max(q.last, ref).String(), Low: decimal.Min(q.last, ref).String(),
		Close: q.last.String(), PreviousClose: q.close.String(),
		Volume: volume, TotalDailyVolume: volume,
		Change: q.change.String(), ChangePc: changePc(q).String(),
		Week52Low: "0", Week52High: "0", OpenInterest: "0"}
}

func quoteFrame(q *quote, volume decimal.Decimal) []byte { return mustJSON(q.wire(volume.String())) }

// frameTemplate writes many frames of one quote fast: the frame's bytes
// around its Volume value are encoded once.
type frameTemplate struct {
	head, mid, tail []byte
	base            int64
}

// volumeMark stands in for Volume while the template is encoded.
const volumeMark = "\x00volume\x00"

func newFrameTemplate(q *quote) *frameTemplate {
	b := mustJSON(q.wire(volumeMark))
	mark := []byte(`"\u0000volume\u0000"`)
	parts := splitAll(b, mark)
	t := &frameTemplate{base: q.volume.IntPart()}
	if len(parts) != 3 {
		// Cannot happen with the struct above; send plain frames then.
		t.head = b
		return t
	}
	t.head, t.mid, t.tail = parts[0], parts[1], parts[2]
	return t
}

func splitAll(b, sep []byte) [][]byte {
	var out [][]byte
	for {
		i := bytes.Index(b, sep)
		if i < 0 {
			return append(out, b)
		}
		out = append(out, b[:i])
		b = b[i+len(sep):]
	}
}

func (t *frameTemplate) write(ctx context.Context, conn *websocket.Conn, n int) bool {
	buf := make([]byte, 0, len(t.head)+len(t.mid)+len(t.tail)+48)
	for i := 1; i <= n; i++ {
		buf = buf[:0]
		if t.mid == nil {
			buf = append(buf, t.head...)
		} else {
			v := t.base + int64(i)
			buf = append(buf, t.head...)
			buf = strconv.AppendQuote(buf, strconv.FormatInt(v, 10))
			buf = append(buf, t.mid...)
			buf = strconv.AppendQuote(buf, strconv.FormatInt(v, 10))
			buf = append(buf, t.tail...)
		}
		if conn.Write(ctx, websocket.MessageText, buf) != nil {
			return false
		}
	}
	return true
}
