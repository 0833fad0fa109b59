package tradestationtest

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/shopspring/decimal"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/internal/oauthsim"
)

// TradeStation's streaming wire facts, as this emulator states them.
//
// API v3 streams are chunked HTTP answers holding JSON objects one after
// another, one a line: the data (quotes, bars, orders, positions),
// heartbeats {"Heartbeat":N,"Timestamp":"..."} every few seconds,
// {"StreamStatus":"EndSnapshot"} once an order or position stream has sent
// its snapshot, {"StreamStatus":"GoAway"} when the server wants the client
// to reconnect, {"Error","Message"} for a stream-level error and
// {"Symbol","Error"} for a symbol it cannot stream. Numbers are JSON
// strings. WebAPI v2's quote streams send v2 quotes (JSON numbers,
// "\/Date(ms)\/" times) and plain-text lines: "END" when the stream ends,
// "ERROR - ..." for an error ("ERROR - RESET": reconnect; "ERROR - FAILED,
// EX_INVALID_SYMBOL" when no symbol can be streamed).
//
// Where the facts are silent the emulator chooses, and says so here: a v3
// quote stream sends each symbol's whole quote first and then only the
// fields that changed (beside Symbol), like v2's "changes" stream; order
// and position streams send whole objects; a closed position is sent as
// {"AccountID","PositionID","Symbol","Deleted":true}; an account the user
// does not hold is an {"AccountID","Error","Message"} frame; v2 streams
// send no heartbeats (none are documented); a stream whose token is
// invalidated ends at the next heartbeat, v3 with an {"Error":"Unauthorized"}
// frame, v2 with END; bar streams send the chart's bars and then the newest bar again
// whenever it changes.
const (
	pathV3StreamQuotes    = "/v3/marketdata/stream/quotes/{symbols}"
	pathV3StreamBars      = "/v3/marketdata/stream/barcharts/{symbol}"
	pathV3StreamOrders    = "/v3/brokerage/stream/accounts/{ids}/orders"
	pathV3StreamPositions = "/v3/brokerage/stream/accounts/{ids}/positions"
	pathV2StreamChanges   = "/v2/stream/quote/changes/{symbols}"
	pathV2StreamSnapshots = "/v2/stream/quote/snapshots/{symbols}"

	v3StreamContentType = "application/vnd.tradestation.streams.v2+json"
	v2StreamContentType = "application/vnd.tradestation.streams+json"

	// defaultHeartbeat is TradeStation's keep-alive period (about 5 s).
	defaultHeartbeat = 5 * time.Second

	frameEndSnapshot = `{"StreamStatus":"EndSnapshot"}`
	frameGoAway      = `{"StreamStatus":"GoAway"}`
	lineEnd          = "END"
	lineReset        = "ERROR - RESET"
	lineNoSymbol     = "ERROR - FAILED, EX_INVALID_SYMBOL"
	v3InvalidSymbol  = "FAILED, INVALID SYMBOL"
	v2InvalidSymbol  = "FAILED, EX_INVALID_SYMBOL"
)

// WithStreamHeartbeat sets how often v3 streams send a heartbeat (5
// seconds, TradeStation's period, by default); tests make it short. A
// heartbeat also rechecks the stream's token.
func WithStreamHeartbeat(every time.Duration) Option {
	return func(o *options) {
		if every > 0 {
			o.heartbeat = every
		}
	}
}

var newline = []byte{'\n'}

// streamHub knows the open streams, to wake them when the market or the
// orders change and to pass them commands.
type streamHub struct {
	mu   sync.Mutex
	subs map[*streamSub]struct{}
}

// streamSub is one open stream's mailbox. Only the stream's own handler
// writes to its connection; others post here.
type streamSub struct {
	wake chan struct{}  // something changed: look again (coalesced)
	ctl  chan streamCtl // GoAway, bursts
}

type streamCtl struct {
	goAway bool
	symbol string // burst: symbol and count
	n      int
}

func (h *streamHub) add() *streamSub {
	sub := &streamSub{wake: make(chan struct{}, 1), ctl: make(chan streamCtl, 16)}
	h.mu.Lock()
	if h.subs == nil {
		h.subs = map[*streamSub]struct{}{}
	}
	h.subs[sub] = struct{}{}
	h.mu.Unlock()
	return sub
}

func (h *streamHub) remove(sub *streamSub) {
	h.mu.Lock()
	delete(h.subs, sub)
	h.mu.Unlock()
}

// notify wakes every stream to look for changes.
func (h *streamHub) notify() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for sub := range h.subs {
		select {
		case sub.wake <- struct{}{}:
		default: // a wake is pending already
		}
	}
}

// post sends c to every stream and reports how many took it.
func (h *streamHub) post(c streamCtl) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for sub := range h.subs {
		select {
		case sub.ctl <- c:
			n++
		default:
		}
	}
	return n
}

// GoAwayStreams asks every open stream's client to reconnect, in each
// API's words: v3 streams send {"StreamStatus":"GoAway"}, v2 streams the
// line "ERROR - RESET"; then they end. It reports how many streams were
// told.
func (s *Server) GoAwayStreams() int { return s.hub.post(streamCtl{goAway: true}) }

// BurstQuotes makes every open quote stream (v3 or v2) that carries symbol
// send n quote changes back to back, as fast as the connection takes them,
// for throughput tests. The frames move Last, Bid and Ask by a cent each;
// the emulator's quote for the symbol is left as it was. It reports how
// many open streams (of any kind) were told; those that do not carry
// symbol send nothing.
func (s *Server) BurstQuotes(symbol string, n int) int {
	if n <= 0 {
		return 0
	}
	return s.hub.post(streamCtl{symbol: strings.ToUpper(symbol), n: n})
}

// notifyWrites wakes the streams after every request that may have changed
// orders or positions (anything but a GET).
func (s *Server) notifyWrites(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r)
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			s.hub.notify()
		}
	})
}

// feed is what one stream kind sends: its opening frames and then, each
// time it is woken, the frames for what changed. Both mark what they
// produce as sent, whether or not it reaches the wire (a stalled stream
// drops it, as TradeStation's hanging streams do). A snapshot that
// reports false ends the stream (nothing to stream).
type feed interface {
	snapshot(emit func([]byte)) bool
	changes(emit func([]byte))
}

// burster is a feed that can send a quote burst.
type burster interface {
	burst(symbol string, n int, emit func([]byte))
}

// streamStyle is what differs between the v3 and v2 streams.
type streamStyle struct {
	v2          bool
	endSnapshot bool
	// valid rechecks the stream's token at each heartbeat.
	valid func() bool
}

// stream serves one stream until the client leaves, the stream is cut
// (Faults().CutStreams), told to go away, or its token stops working.
func (s *Server) stream(w http.ResponseWriter, r *http.Request, f feed, st streamStyle) {
	ctx, done := s.Faults().TrackStream(r.Context())
	defer done()
	sub := s.hub.add()
	defer s.hub.remove(sub)

	rc := http.NewResponseController(w)
	ct := v3StreamContentType
	if st.v2 {
		ct = v2StreamContentType
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)

	var werr error
	write := func(b []byte) {
		if werr == nil {
			// Two writes: b may be shared (the emulator's quote JSON).
			if _, werr = w.Write(b); werr == nil {
				_, werr = w.Write(newline)
			}
		}
	}
	data := func(b []byte) {
		if !s.Faults().StreamsStalled() {
			write(b)
		}
	}
	flush := func() bool {
		if werr == nil {
			werr = rc.Flush()
		}
		return werr == nil
	}

	if !f.snapshot(data) {
		flush()
		return
	}
	if st.endSnapshot {
		data([]byte(frameEndSnapshot))
	}
	if !flush() {
		return
	}
	tick := time.NewTicker(s.o.heartbeat)
	defer tick.Stop()
	beat := 0
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			if !st.valid() {
				if st.v2 {
					write([]byte(lineEnd))
				} else {
					write([]byte(`{"Error":"Unauthorized","Message":"Unauthorized: the access token is no longer valid"}`))
				}
				flush()
				return
			}
			if st.v2 {
				continue
			}
			beat++
			write([]byte(`{"Heartbeat":` + strconv.Itoa(beat) + `,"Timestamp":"` +
				s.now().UTC().Format(time.RFC3339) + `"}`))
		case <-sub.wake:
			f.changes(data)
		case c := <-sub.ctl:
			if c.goAway {
				if st.v2 {
					write([]byte(lineReset))
				} else {
					write([]byte(frameGoAway))
				}
				flush()
				return
			}
			if b, ok := f.(burster); ok {
				b.burst(c.symbol, c.n, data)
			}
		}
		if !flush() {
			return
		}
	}
}

// streamRoutes registers the v3 and v2 streams on mux under prefix (the
// live or SIM host).
func (s *Server) streamRoutes(mux *http.ServeMux, prefix string, env auth.Environment) {
	v3 := func(scope string, h func(http.ResponseWriter, *http.Request, streamStyle)) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			check := []oauthsim.ValidateOption{oauthsim.WithAudience(tradingAudience), oauthsim.WithScopes(scope)}
			if _, err := s.v3.Validate(r, check...); err != nil {
				tokenRefusal(w, err)
				return
			}
			h(w, r, streamStyle{valid: func() bool { _, err := s.v3.Validate(r, check...); return err == nil }})
		}
	}
	mux.HandleFunc("GET "+prefix+pathV3StreamQuotes, v3("MarketData", func(w http.ResponseWriter, r *http.Request, st streamStyle) {
		syms := strings.Split(r.PathValue("symbols"), ",")
		if len(syms) > maxV3Symbols {
			v3Error(w, http.StatusBadRequest, "BadRequest", "at most 100 symbols per stream")
			return
		}
		s.stream(w, r, &quoteFeed{s: s, symbols: syms}, st)
	}))
	mux.HandleFunc("GET "+prefix+pathV3StreamBars, v3("MarketData", func(w http.ResponseWriter, r *http.Request, st streamStyle) {
		f := &barFeed{s: s, r: r}
		if !f.open(w) {
			return
		}
		s.stream(w, r, f, st)
	}))
	accounts := func(kind string) func(http.ResponseWriter, *http.Request, streamStyle) {
		return func(w http.ResponseWriter, r *http.Request, st streamStyle) {
			accts, errs, ok := s.accountsOf(w, env, r.PathValue("ids"))
			if !ok {
				return
			}
			st.endSnapshot = true
			s.stream(w, r, &accountFeed{s: s, env: env, kind: kind, accts: accts, errs: errs, r: r}, st)
		}
	}
	mux.HandleFunc("GET "+prefix+pathV3StreamOrders, v3("ReadAccount", accounts("orders")))
	mux.HandleFunc("GET "+prefix+pathV3StreamPositions, v3("ReadAccount", accounts("positions")))

	v2 := func(changes bool) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if _, ok := s.v2Allowed(w, r, "", false); !ok {
				return
			}
			syms := strings.Split(r.PathValue("symbols"), ",")
			if len(syms) > maxV2Symbols {
				s.v2Error(w, http.StatusBadRequest, "at most 50 symbols per stream")
				return
			}
			st := streamStyle{v2: true, valid: func() bool {
				g, err := s.v2.Validate(r)
				return err == nil && !s.pastItsDate(g)
			}}
			s.stream(w, r, &quoteFeed{s: s, symbols: syms, v2: true, changesOnly: changes}, st)
		}
	}
	mux.HandleFunc("GET "+prefix+pathV2StreamChanges, v2(true))
	mux.HandleFunc("GET "+prefix+pathV2StreamSnapshots, v2(false))
}

// quoteFeed streams quotes: v3 (whole quote, then changed fields), v2
// changes (the same) or v2 snapshots (whole quotes every time).
type quoteFeed struct {
	s           *Server
	symbols     []string
	v2          bool
	changesOnly bool              // v2: changes stream rather than snapshots
	last        map[string][]byte // the whole quote last sent, by upper-case symbol
	known       []string          // the upper-case symbols the emulator has
}

// current is symbol key's whole quote now, in the feed's API.
func (f *quoteFeed) current(key string) ([]byte, bool) {
	if !f.v2 {
		return f.s.quoteJSON(key)
	}
	f.s.trade.mu.Lock()
	in := f.s.instrumentNow(key)
	f.s.trade.mu.Unlock()
	if in == nil {
		return nil, false
	}
	b, err := json.Marshal(v2QuoteOf(in))
	return b, err == nil
}

func (f *quoteFeed) snapshot(emit func([]byte)) bool {
	f.last = map[string][]byte{}
	var bad []string
	for _, sym := range f.symbols {
		key := strings.ToUpper(strings.TrimSpace(sym))
		q, ok := f.current(key)
		if !ok {
			bad = append(bad, sym)
			continue
		}
		if _, dup := f.last[key]; dup {
			continue
		}
		f.last[key] = q
		f.known = append(f.known, key)
	}
	if f.v2 && len(f.known) == 0 {
		emit([]byte(lineNoSymbol))
		return false
	}
	for _, sym := range f.symbols {
		key := strings.ToUpper(strings.TrimSpace(sym))
		if q, ok := f.last[key]; ok && !slices.Contains(bad, sym) {
			emit(q)
		}
	}
	for _, sym := range bad {
		reason := v3InvalidSymbol
		if f.v2 {
			reason = v2InvalidSymbol
		}
		b, _ := json.Marshal(map[string]string{"Symbol": sym, "Error": reason})
		emit(b)
	}
	return true
}

func (f *quoteFeed) changes(emit func([]byte)) {
	for _, key := range f.known {
		cur, ok := f.current(key)
		if !ok || bytes.Equal(cur, f.last[key]) {
			continue
		}
		out := cur
		if !f.v2 || f.changesOnly {
			out = delta(f.last[key], cur)
		}
		f.last[key] = cur
		emit(out)
	}
}

// delta is the members of cur that differ from prev, with Symbol.
func delta(prev, cur []byte) []byte {
	var a, b map[string]any
	if json.Unmarshal(prev, &a) != nil || json.Unmarshal(cur, &b) != nil {
		return cur
	}
	out := map[string]any{"Symbol": b["Symbol"]}
	for k, v := range b {
		if !reflect.DeepEqual(a[k], v) {
			out[k] = v
		}
	}
	d, err := json.Marshal(out)
	if err != nil {
		return cur
	}
	return d
}

// burst sends n changes of symbol's Last, Bid and Ask, one cent apart.
func (f *quoteFeed) burst(symbol string, n int, emit func([]byte)) {
	if !slices.Contains(f.known, symbol) {
		return
	}
	f.s.trade.mu.Lock()
	in := f.s.instrumentNow(symbol)
	f.s.trade.mu.Unlock()
	cents := in.last.Shift(2).IntPart()
	name, _ := json.Marshal(in.symbol)
	buf := make([]byte, 0, 256)
	price := func(b []byte, c int64) []byte {
		if !f.v2 {
			b = append(b, '"')
		}
		b = append(b, decimal.New(c, -2).StringFixed(2)...)
		if !f.v2 {
			b = append(b, '"')
		}
		return b
	}
	for i := range n {
		c := cents + int64(i%100) - 50
		buf = append(buf[:0], `{"Symbol":`...)
		buf = append(buf, name...)
		buf = append(buf, `,"Last":`...)
		buf = price(buf, c)
		buf = append(buf, `,"Bid":`...)
		buf = price(buf, c-1)
		buf = append(buf, `,"Ask":`...)
		buf = price(buf, c+1)
		buf = append(buf, `,"LastSize":`...)
		if f.v2 {
			buf = strconv.AppendInt(buf, 100, 10)
		} else {
			buf = append(buf, `"100"`...)
		}
		buf = append(buf, '}')
		emit(buf)
	}
}

// barFeed streams one symbol's bars: the chart the query asks for, then
// the newest bar whenever it changes.
type barFeed struct {
	s       *Server
	r       *http.Request
	initial []json.RawMessage
	last    []byte
}

// bars runs the bar chart endpoint for r's query, barsback replacing the
// query's when > 0.
func (f *barFeed) bars(barsBack int) (int, []byte, []json.RawMessage) {
	r := f.r
	if barsBack > 0 {
		q := r.URL.Query()
		q.Set("barsback", strconv.Itoa(barsBack))
		q.Del("firstdate")
		r = r.Clone(r.Context())
		r.URL.RawQuery = q.Encode()
	}
	rec := httptest.NewRecorder()
	f.s.v3Bars(rec, r, f.r.PathValue("symbol"))
	var out struct{ Bars []json.RawMessage }
	if rec.Code == http.StatusOK && json.Unmarshal(rec.Body.Bytes(), &out) != nil {
		return http.StatusInternalServerError, nil, nil
	}
	return rec.Code, rec.Body.Bytes(), out.Bars
}

// open checks the query, answering a bad one with the chart endpoint's
// 400 before any streaming.
func (f *barFeed) open(w http.ResponseWriter) bool {
	code, body, bars := f.bars(0)
	if code != http.StatusOK {
		writeRaw(w, code, body)
		return false
	}
	f.initial = bars
	return true
}

func (f *barFeed) snapshot(emit func([]byte)) bool {
	for _, b := range f.initial {
		emit(b)
	}
	if n := len(f.initial); n > 0 {
		f.last = f.initial[n-1]
	}
	return true
}

func (f *barFeed) changes(emit func([]byte)) {
	code, _, bars := f.bars(1)
	if code != http.StatusOK || len(bars) == 0 || bytes.Equal(bars[0], f.last) {
		return
	}
	f.last = bars[0]
	emit(bars[0])
}

// accountFeed streams the orders or the positions of accounts.
type accountFeed struct {
	s     *Server
	env   auth.Environment
	kind  string // "orders" or "positions"
	accts []*account
	errs  []map[string]string
	r     *http.Request
	last  map[string][]byte // by order or position ID
	order []string          // IDs in the order first sent
	// closed are the positions last sent, for the Deleted frames.
	closed map[string]map[string]any
}

// items are the account's orders or positions now, by ID, in order.
func (f *accountFeed) items() (ids []string, frames map[string][]byte, heads map[string]map[string]any) {
	frames, heads = map[string][]byte{}, map[string]map[string]any{}
	add := func(id string, v any, head map[string]any) {
		b, err := json.Marshal(v)
		if err != nil {
			return
		}
		ids = append(ids, id)
		frames[id], heads[id] = b, head
	}
	if f.kind == "orders" {
		f.s.trade.mu.Lock()
		defer f.s.trade.mu.Unlock()
		for _, o := range f.s.trade.orders {
			if o.env != f.env || !slices.ContainsFunc(f.accts, func(a *account) bool { return a.id == o.account }) {
				continue
			}
			add(o.id, f.s.orderJSON(o), nil)
		}
		return ids, frames, heads
	}
	var list []string
	for _, a := range f.accts {
		list = append(list, a.id)
	}
	rec := httptest.NewRecorder()
	f.s.v3Positions(rec, f.env, strings.Join(list, ","), "")
	var out struct{ Positions []map[string]any }
	if json.Unmarshal(rec.Body.Bytes(), &out) != nil {
		return ids, frames, heads
	}
	for _, p := range out.Positions {
		id, _ := p["PositionID"].(string)
		add(id, p, map[string]any{"AccountID": p["AccountID"], "PositionID": id, "Symbol": p["Symbol"],
			"Deleted": true})
	}
	return ids, frames, heads
}

func (f *accountFeed) snapshot(emit func([]byte)) bool {
	ids, frames, heads := f.items()
	f.last, f.order, f.closed = frames, ids, heads
	for _, id := range ids {
		emit(frames[id])
	}
	for _, e := range f.errs {
		b, _ := json.Marshal(e)
		emit(b)
	}
	return true
}

func (f *accountFeed) changes(emit func([]byte)) {
	ids, frames, heads := f.items()
	for _, id := range ids {
		if !bytes.Equal(frames[id], f.last[id]) {
			emit(frames[id])
		}
	}
	for _, id := range f.order {
		if _, still := frames[id]; !still && f.closed[id] != nil {
			b, _ := json.Marshal(f.closed[id])
			emit(b)
		}
	}
	f.last, f.order, f.closed = frames, ids, heads
}
