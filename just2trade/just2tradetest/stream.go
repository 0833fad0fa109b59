package just2tradetest

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"
	"github.com/shopspring/decimal"

	"github.com/brokerkit/brokerkit/internal/oauthsim"
)

// The broker's two WebSockets (facts §8): the account feed and the market
// data feed, both on the API host, authorised by the Bearer token of the
// upgrade request.
const (
	pathAccountsSocket = "/accounts"
	pathMarketSocket   = "/marketdata"
)

// streamTick is how often a socket looks for changes nobody announced:
// orders that became due on the clock, an expired token.
const streamTick = 50 * time.Millisecond

// lastMarket is the venue the emulator reports for every trade.
const lastMarket = "NASDAQ"

// The stream error codes the emulator sends in {"t":"e"} messages. The
// broker documents the shape {code, description}, not the codes; these
// reuse its REST codes.
const (
	streamNotFound   = codeNotFound
	streamValidation = codeValidation
)

// hub knows every open socket: to wake them when the state changed, to
// close those whose token was invalidated, to end them all on Close.
type hub struct {
	ctx    context.Context
	cancel context.CancelFunc

	mu      sync.Mutex
	changed chan struct{}
	socks   map[*socket]struct{}
}

func newHub() *hub {
	ctx, cancel := context.WithCancel(context.Background())
	return &hub{ctx: ctx, cancel: cancel, changed: make(chan struct{}), socks: map[*socket]struct{}{}}
}

// changes returns a channel closed at the next bump.
func (h *hub) changes() <-chan struct{} {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.changed
}

// bump tells every socket that the state may have changed.
func (h *hub) bump() {
	h.mu.Lock()
	close(h.changed)
	h.changed = make(chan struct{})
	h.mu.Unlock()
}

func (h *hub) add(s *socket) {
	h.mu.Lock()
	h.socks[s] = struct{}{}
	h.mu.Unlock()
}

func (h *hub) remove(s *socket) {
	h.mu.Lock()
	delete(h.socks, s)
	h.mu.Unlock()
}

// refuse closes, at once, the sockets opened with any of tokens: the
// engine calls it when tokens are invalidated.
func (h *hub) refuse(tokens []string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for s := range h.socks {
		if slices.Contains(tokens, s.token) {
			s.refuseOnce.Do(func() { close(s.refused) })
		}
	}
}

// market returns the market-data sockets subscribed to symbol.
func (h *hub) market(symbol string) []*socket {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []*socket
	for s := range h.socks {
		if s.market && s.subscribed(symbol) {
			out = append(out, s)
		}
	}
	return out
}

// socket is one open WebSocket and what it is subscribed to.
type socket struct {
	token      string
	market     bool
	conn       *websocket.Conn
	refused    chan struct{}
	refuseOnce sync.Once
	wake       chan struct{}
	burst      chan [][]byte

	mu      sync.Mutex
	subs    []*accountSub                // account feed, in subscription order
	symbols map[string]map[string]string // market data: symbol → fields last sent (nil: snapshot due)
	order   []string                     // symbols in subscription order
}

// accountSub is one account-feed subscription: a kind (b, p, o, t) of
// one account, and what was last sent of each of its items.
type accountSub struct {
	kind    byte
	account string
	sent    map[string]string
	started bool // the snapshot went out
}

func (s *socket) subscribed(symbol string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.symbols[symbol]
	return ok
}

func (s *socket) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// accountActions maps the account feed's actions to the message kind they
// subscribe to.
var accountActions = map[string]byte{
	"Balance": 'b', "Positions": 'p', "Orders": 'o', "Trades": 't',
}

// isUpgrade reports whether r asks for a WebSocket.
func isUpgrade(r *http.Request) bool {
	return strings.EqualFold(r.Header.Get("Upgrade"), "websocket")
}

// upgradeOr serves WebSocket upgrades of a path with socket and every
// other request with plain: GET /accounts is both the balances call and
// the account feed.
func upgradeOr(socket, plain http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if isUpgrade(r) {
			socket.ServeHTTP(w, r)
			return
		}
		plain.ServeHTTP(w, r)
	})
}

// socketHandler serves one kind of socket, behind the fault injector.
func (s *Server) socketHandler(market bool) http.Handler {
	return s.eng.Faults().Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if market && s.opts.lime {
			// Lime removed the market-data WebSocket (SDK v0.3.4).
			apiError(w, http.StatusNotFound, codeNotFound, "No such endpoint")
			return
		}
		s.serveSocket(w, r, market)
	}))
}

// serveSocket authorises the upgrade (a refused token is a bare 401: the
// socket is never opened), then runs the socket: a reader for the client's
// actions (which also answers pings, during a stall too) and a writer for
// snapshots and changes.
func (s *Server) serveSocket(w http.ResponseWriter, r *http.Request, market bool) {
	tok := s.eng.BearerToken(r)
	// The upgrade is a call: it prolongs a sliding token.
	g, err := s.eng.ValidateToken(tok)
	if err != nil || g.UserID != UserID {
		unauthorized(w, r, err)
		return
	}
	conn, err := websocket.Accept(w, r, nil)
	if err != nil {
		return // Accept answered the bad handshake
	}
	sock := &socket{token: tok, market: market, conn: conn, refused: make(chan struct{}),
		wake: make(chan struct{}, 1), burst: make(chan [][]byte, 8), symbols: map[string]map[string]string{}}
	s.hub.add(sock)
	defer s.hub.remove(sock)

	ctx, done := s.eng.Faults().TrackStream(s.hub.ctx)
	defer done()
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	// The reader has its own context: a refusal closes the socket with a
	// close handshake, which needs the reader running.
	rctx, rstop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		defer stop()
		for {
			_, msg, err := conn.Read(rctx)
			if err != nil {
				return
			}
			s.action(rctx, sock, msg)
		}
	})
	defer func() {
		rstop()
		wg.Wait()
	}()

	tick := time.NewTicker(streamTick)
	defer tick.Stop()
	for {
		changed := s.hub.changes()
		var frames [][]byte
		if market {
			frames = s.marketFrames(sock)
		} else {
			frames = s.accountFrames(sock)
		}
		for _, f := range frames {
			if conn.Write(ctx, websocket.MessageText, f) != nil {
				return
			}
		}
		if _, err := s.eng.ValidateToken(tok, oauthsim.WithoutTouch()); err != nil {
			sock.refuseOnce.Do(func() { close(sock.refused) })
		}
		select {
		case <-ctx.Done():
			_ = conn.CloseNow() // a cut: no close handshake
			return
		case <-sock.refused:
			// Denied auth closes the socket at once.
			_ = conn.Close(websocket.StatusPolicyViolation, "unauthorized")
			return
		case b := <-sock.burst:
			for _, f := range b {
				if s.eng.Faults().StreamsStalled() {
					break
				}
				if conn.Write(ctx, websocket.MessageText, f) != nil {
					return
				}
			}
		case <-sock.wake:
		case <-changed:
		case <-tick.C:
		}
	}
}

// action handles one message from the client: a subscription change, or
// an {"t":"e"} answer when it is not one.
func (s *Server) action(ctx context.Context, sock *socket, msg []byte) {
	var a struct {
		Action  string   `json:"action"`
		Account string   `json:"account"`
		Symbols []string `json:"symbols"`
	}
	if err := json.Unmarshal(msg, &a); err != nil {
		s.sendError(ctx, sock, "", streamValidation, "Malformed message")
		return
	}
	if sock.market {
		s.marketAction(ctx, sock, a.Action, a.Symbols)
	} else {
		s.accountAction(ctx, sock, a.Action, a.Account)
	}
	sock.poke()
}

func (s *Server) sendError(ctx context.Context, sock *socket, symbol, code, description string) {
	e := map[string]any{"t": "e", "data": map[string]string{"code": code, "description": description}}
	if symbol != "" {
		e["s"] = symbol
	}
	b, _ := json.Marshal(e)
	_ = sock.conn.Write(ctx, websocket.MessageText, b)
}

func (s *Server) accountAction(ctx context.Context, sock *socket, action, account string) {
	verb, what := "subscribe", strings.TrimPrefix(action, "subscribe")
	if what == action {
		verb, what = "unsubscribe", strings.TrimPrefix(action, "unsubscribe")
	}
	kind, ok := accountActions[what]
	if !ok || what == action {
		s.sendError(ctx, sock, "", streamValidation, "Unknown action "+action)
		return
	}
	s.mu.Lock()
	_, known := s.st.accounts[account]
	s.mu.Unlock()
	if !known {
		s.sendError(ctx, sock, "", streamNotFound, "Account "+account+" not found")
		return
	}
	sock.mu.Lock()
	defer sock.mu.Unlock()
	i := slices.IndexFunc(sock.subs, func(sub *accountSub) bool { return sub.kind == kind && sub.account == account })
	switch {
	case verb == "subscribe" && i < 0:
		sock.subs = append(sock.subs, &accountSub{kind: kind, account: account, sent: map[string]string{}})
	case verb == "unsubscribe" && i >= 0:
		sock.subs = slices.Delete(sock.subs, i, i+1)
	}
}

func (s *Server) marketAction(ctx context.Context, sock *socket, action string, symbols []string) {
	if action != "subscribe" && action != "unsubscribe" {
		s.sendError(ctx, sock, "", streamValidation, "Unknown action "+action)
		return
	}
	if len(symbols) == 0 {
		s.sendError(ctx, sock, "", streamValidation, "symbols is required")
		return
	}
	s.mu.Lock()
	var unknown []string
	for _, sym := range symbols {
		if _, ok := s.st.quotes[sym]; !ok {
			unknown = append(unknown, sym)
		}
	}
	s.mu.Unlock()
	sock.mu.Lock()
	for _, sym := range symbols {
		if slices.Contains(unknown, sym) {
			continue
		}
		_, have := sock.symbols[sym]
		switch {
		case action == "subscribe" && !have:
			sock.symbols[sym] = nil
			sock.order = append(sock.order, sym)
		case action == "unsubscribe" && have:
			delete(sock.symbols, sym)
			sock.order = slices.DeleteFunc(sock.order, func(x string) bool { return x == sym })
		}
	}
	sock.mu.Unlock()
	for _, sym := range unknown {
		s.sendError(ctx, sock, sym, streamNotFound, "Symbol "+sym+" not found")
	}
}

// accountFrames runs due order processing and returns the account feed's
// messages: for each new subscription its snapshot (balances, positions,
// the day's orders and trades), then only what changed. During a stall
// changes are dropped, as a hanging broker drops them: a client recovers
// them from a new socket's snapshot.
func (s *Server) accountFrames(sock *socket) [][]byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.eng.Now()
	s.process(now)
	stalled := s.eng.Faults().StreamsStalled()
	sock.mu.Lock()
	defer sock.mu.Unlock()
	var out [][]byte
	for _, sub := range sock.subs {
		if stalled && !sub.started {
			continue // the snapshot waits for the stall to end
		}
		a := s.st.accounts[sub.account]
		var keys []string
		items := map[string]json.RawMessage{}
		put := func(key string, v any) {
			b, _ := json.Marshal(v)
			keys = append(keys, key)
			items[key] = b
		}
		switch sub.kind {
		case 'b':
			list := make([]map[string]any, 0, len(s.st.order))
			for _, n := range s.st.order {
				list = append(list, s.balanceJSON(s.st.accounts[n]))
			}
			put("b", list)
		case 'p':
			put("p", map[string]any{"account": a.number, "positions": s.positionsJSON(a)})
		case 'o':
			day := now.UTC().Truncate(24 * time.Hour)
			for _, id := range a.orderIDs {
				if o := s.st.orders[id]; !o.placedAt.UTC().Truncate(24 * time.Hour).Before(day) {
					put(id, orderJSON(o))
				}
			}
		case 't':
			day := now.UTC().Truncate(24 * time.Hour)
			for _, t := range a.trades {
				if t.at.UTC().Truncate(24 * time.Hour).Equal(day) {
					put(t.id, tradeJSON(t))
				}
			}
		}
		var changed []json.RawMessage
		for _, k := range keys {
			if sub.sent[k] != string(items[k]) {
				sub.sent[k] = string(items[k])
				changed = append(changed, items[k])
			}
		}
		if (len(changed) == 0 && sub.started) || (stalled && sub.started) {
			continue
		}
		sub.started = true
		if sub.kind == 'b' || sub.kind == 'p' {
			// One whole item: the balance list, the position list.
			out = append(out, frame(sub.kind, changed[0]))
			continue
		}
		list, _ := json.Marshal(append([]json.RawMessage{}, changed...))
		if changed == nil {
			list = []byte("[]")
		}
		out = append(out, frame(sub.kind, list))
	}
	return out
}

// frame wraps data in the account feed's {"t":kind,"data":...}.
func frame(kind byte, data []byte) []byte {
	b := make([]byte, 0, len(data)+20)
	b = append(b, `{"t":"`...)
	b = append(b, kind)
	b = append(b, `","data":`...)
	b = append(b, data...)
	return append(b, '}')
}

func tradeJSON(t trade) map[string]any {
	return map[string]any{"symbol": t.symbol, "timestamp": t.at.Unix(), "quantity": num(t.quantity),
		"price": num(t.price), "amount": num(t.quantity.Mul(t.price)), "side": t.side, "trade_id": t.id}
}

// quoteField is one member of an aggregate message.
type quoteField struct{ name, value string }

// aggregate renders q as the aggregate message's members, in the field
// names of the documentation's examples (open, high, low, close, change,
// change_pc beside a, as, b, bs, l, ls, lm, v); the date d is added by the
// caller.
func aggregate(q *quote) []quoteField {
	change := q.last.Sub(q.prevClose)
	pc := decimal.Zero
	if !q.prevClose.IsZero() {
		pc = change.Div(q.prevClose).Mul(decimal.NewFromInt(100)).Round(2)
	}
	i := func(n int64) string { return strconv.FormatInt(n, 10) }
	return []quoteField{
		{"a", q.ask.String()}, {"as", i(q.askSize)}, {"b", q.bid.String()}, {"bs", i(q.bidSize)},
		{"l", q.last.String()}, {"ls", i(q.lastSize)}, {"lm", strconv.Quote(lastMarket)}, {"v", i(q.volume)},
		{"open", q.open.String()}, {"high", q.high.String()}, {"low", q.low.String()},
		{"close", q.prevClose.String()}, {"change", change.String()}, {"change_pc", pc.String()},
	}
}

// marketFrames returns the market-data feed's messages: a full aggregate
// for each newly subscribed symbol, then, when a quote changed, a trade
// message (when the last price or size moved) and an aggregate of only the
// changed fields.
func (s *Server) marketFrames(sock *socket) [][]byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	// 15 minutes delayed, like the REST quotes.
	d := strconv.FormatInt(s.eng.Now().Add(-15*time.Minute).Unix(), 10)
	stalled := s.eng.Faults().StreamsStalled()
	sock.mu.Lock()
	defer sock.mu.Unlock()
	var out [][]byte
	for _, sym := range sock.order {
		q, ok := s.st.quotes[sym]
		last := sock.symbols[sym]
		if !ok || (stalled && last == nil) {
			continue
		}
		fields := aggregate(q)
		var changed []quoteField
		now := make(map[string]string, len(fields))
		for _, f := range fields {
			now[f.name] = f.value
			if last == nil || last[f.name] != f.value {
				changed = append(changed, f)
			}
		}
		sock.symbols[sym] = now
		if len(changed) == 0 || stalled {
			continue
		}
		if last != nil && (last["l"] != now["l"] || last["ls"] != now["ls"]) {
			out = append(out, symbolFrame('t', sym, []quoteField{{"ls", now["ls"]}, {"lm", now["lm"]},
				{"l", now["l"]}, {"d", d}}))
		}
		out = append(out, symbolFrame('a', sym, append(changed, quoteField{"d", d})))
	}
	return out
}

// symbolFrame renders {"t":kind,"s":symbol,...fields}.
func symbolFrame(kind byte, symbol string, fields []quoteField) []byte {
	var b bytes.Buffer
	b.WriteString(`{"t":"`)
	b.WriteByte(kind)
	b.WriteString(`","s":`)
	sym, _ := json.Marshal(symbol)
	b.Write(sym)
	for _, f := range fields {
		b.WriteString(`,"`)
		b.WriteString(f.name)
		b.WriteString(`":`)
		b.WriteString(f.value)
	}
	b.WriteByte('}')
	return b.Bytes()
}

// BurstQuotes pushes n aggregate changes of symbol (bid and ask moving by
// a cent each time) to every market-data socket subscribed to it, as fast
// as each socket takes them, for throughput measurements. The changes are
// not kept in the emulator's quotes. It returns how many sockets got the
// burst; a socket with a burst still queued may miss one.
func (s *Server) BurstQuotes(symbol string, n int) int {
	s.mu.Lock()
	q, ok := s.st.quotes[symbol]
	var bid, ask decimal.Decimal
	if ok {
		bid, ask = q.bid, q.ask
	}
	d := strconv.FormatInt(s.eng.Now().Add(-15*time.Minute).Unix(), 10)
	s.mu.Unlock()
	if !ok || n <= 0 {
		return 0
	}
	cent := decimal.New(1, -2)
	frames := make([][]byte, n)
	for i := range frames {
		step := cent.Mul(decimal.NewFromInt(int64(i % 100)))
		frames[i] = symbolFrame('a', symbol, []quoteField{{"b", bid.Add(step).String()}, {"bs", "200"},
			{"a", ask.Add(step).String()}, {"as", "300"}, {"d", d}})
	}
	sent := 0
	for _, sock := range s.hub.market(symbol) {
		select {
		case sock.burst <- frames:
			sent++
		default:
		}
	}
	return sent
}
