package just2trade

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/shopspring/decimal"

	"github.com/brokerkit/brokerkit/internal/redact"
)

// QuoteKind says which market-data message a QuoteEvent comes from.
type QuoteKind string

// The market-data messages.
const (
	// QuoteAggregate is an aggregate: the symbol's full quote at first,
	// then only the fields that changed (merged into Quote).
	QuoteAggregate QuoteKind = "a"
	// QuoteTrade is a trade: last price, size, venue and time.
	QuoteTrade QuoteKind = "t"
	// QuoteError is the broker's refusal of one symbol (Err says why);
	// the other symbols stream on.
	QuoteError QuoteKind = "e"
)

// QuoteEvent is one market-data message. Quote is the symbol's quote
// after it: the first aggregate with every later change applied, so a
// change that carries only the bid still comes with the last ask.
type QuoteEvent struct {
	Kind QuoteKind
	// Quote holds the merged quote; Quote.Symbol is the broker's symbol.
	Quote Quote
	// LastMarket is the venue of the last trade (lm).
	LastMarket string
	// Err is set on a QuoteError event.
	Err *StreamError
	// Raw is the message as received.
	Raw json.RawMessage
}

// OrderEvent is an order's state from the account feed: the day's orders
// when the feed (re)connects, then each change. An order re-sent
// unchanged after a reconnect is not delivered again.
type OrderEvent struct {
	Order
	// Raw is the order object as received.
	Raw json.RawMessage
}

// BalanceEvent is one account's balances from the account feed.
type BalanceEvent struct {
	Balance
	// Raw is the balance object as received.
	Raw json.RawMessage
}

// PositionsEvent is an account's positions from the account feed: every
// holding, not only the one that changed.
type PositionsEvent struct {
	Account   string
	Positions []Position
	// Raw is the {account, positions} object as received.
	Raw json.RawMessage
}

// TradeEvent is one execution from the account feed.
type TradeEvent struct {
	// Account is the account the stream follows.
	Account string
	Trade
	// Raw is the trade object as received.
	Raw json.RawMessage
}

// StreamError is an error message ({"t":"e"}) a feed sent: the broker's
// code and description, cleaned of control characters and capped. A
// refused subscription ends the stream with it; one in mid-stream makes
// the stream reconnect.
type StreamError struct {
	Code        string
	Description string
}

// Error says which code and description the broker sent.
func (e *StreamError) Error() string {
	switch {
	case e.Code == "" && e.Description == "":
		return "just2trade: stream error (the broker gave no reason)"
	case e.Code == "":
		return "just2trade: stream error: " + e.Description
	}
	return fmt.Sprintf("just2trade: stream error %s: %s", e.Code, e.Description)
}

// Is matches ErrNotFound for the broker's not_found code and
// ErrBadRequest for validation_error, as the REST errors do.
func (e *StreamError) Is(target error) bool {
	return target == ErrNotFound && e.Code == codeNotFound ||
		target == ErrBadRequest && e.Code == codeValidation
}

// streamError reads an e message's data, {code, description} or a list of
// them (the first counts).
func streamError(data json.RawMessage) *StreamError {
	var w struct {
		Code        ID     `json:"code"`
		Description string `json:"description"`
		Message     string `json:"message"`
	}
	d := bytes.TrimSpace(data)
	if len(d) > 0 && d[0] == '[' {
		var list []json.RawMessage
		if json.Unmarshal(d, &list) == nil && len(list) > 0 {
			d = list[0]
		}
	}
	_ = json.Unmarshal(d, &w) // a malformed body still is an error message
	if w.Description == "" {
		w.Description = w.Message
	}
	return &StreamError{Code: redact.TextN(string(w.Code), 64), Description: redact.Text(w.Description)}
}

// errMalformed reports a message that is not the broker's JSON.
var errMalformed = errors.New("malformed stream message")

// quoteWire is a market-data message. [C] The documentation's field table
// names open, high, close, change and change percent o, h, c, ch and chpc;
// its examples send open, high, low, close, change and change_pc: both are
// read. Numbers stay text until they become decimals.
type quoteWire struct {
	T        string          `json:"t"`
	S        string          `json:"s"`
	Ask      json.Number     `json:"a"`
	AskSize  json.Number     `json:"as"`
	Bid      json.Number     `json:"b"`
	BidSize  json.Number     `json:"bs"`
	Last     json.Number     `json:"l"`
	LastSize json.Number     `json:"ls"`
	LastMkt  ID              `json:"lm"`
	Volume   json.Number     `json:"v"`
	Date     json.Number     `json:"d"`
	O        json.Number     `json:"o"`
	Open     json.Number     `json:"open"`
	H        json.Number     `json:"h"`
	High     json.Number     `json:"high"`
	Low      json.Number     `json:"low"`
	C        json.Number     `json:"c"`
	Close    json.Number     `json:"close"`
	Ch       json.Number     `json:"ch"`
	Change   json.Number     `json:"change"`
	Chpc     json.Number     `json:"chpc"`
	ChangePc json.Number     `json:"change_pc"`
	Data     json.RawMessage `json:"data"`
}

// quoteDecoder turns market-data messages into QuoteEvents, keeping each
// symbol's last known quote to merge changes into.
type quoteDecoder struct {
	last map[string]*quoteState
}

type quoteState struct {
	q  Quote
	lm string
}

func newQuoteDecoder() *quoteDecoder { return &quoteDecoder{last: map[string]*quoteState{}} }

// decode reads one message. ok is false for a message that is no event
// (an unknown type); err is a *StreamError for an error message without a
// symbol, errMalformed-wrapped for a message that does not parse.
func (d *quoteDecoder) decode(msg []byte) (ev QuoteEvent, ok bool, err error) {
	var w quoteWire
	if !walkQuote(msg, &w) {
		w = quoteWire{}
		if err := json.Unmarshal(msg, &w); err != nil {
			return ev, false, fmt.Errorf("%w: %w", errMalformed, err)
		}
	}
	switch w.T {
	case "a", "t":
	case "e":
		se := streamError(w.Data)
		if w.S == "" {
			return ev, false, se
		}
		return QuoteEvent{Kind: QuoteError, Quote: Quote{Symbol: w.S}, Err: se, Raw: msg}, true, nil
	default:
		return ev, false, nil
	}
	if w.S == "" {
		return ev, false, fmt.Errorf("%w: a %q message without a symbol", errMalformed, w.T)
	}
	st := d.last[w.S]
	if st == nil {
		st = &quoteState{q: Quote{Symbol: w.S}}
		d.last[w.S] = st
	}
	// Apply to a copy: a message that fails half-way changes nothing.
	q, lm := st.q, st.lm
	if err := w.apply(&q); err != nil {
		return ev, false, fmt.Errorf("%w: %s %s: %w", errMalformed, w.T, w.S, err)
	}
	if w.LastMkt != "" {
		lm = string(w.LastMkt)
	}
	st.q, st.lm = q, lm
	return QuoteEvent{Kind: QuoteKind(w.T), Quote: q, LastMarket: lm, Raw: msg}, true, nil
}

// apply sets the fields w carries.
func (w *quoteWire) apply(q *Quote) error {
	for _, f := range [...]struct {
		dst *decimal.Decimal
		n   json.Number
	}{
		{&q.Ask, w.Ask}, {&q.AskSize, w.AskSize}, {&q.Bid, w.Bid}, {&q.BidSize, w.BidSize},
		{&q.Last, w.Last}, {&q.LastSize, w.LastSize}, {&q.Volume, w.Volume},
		{&q.Open, w.O}, {&q.Open, w.Open}, {&q.High, w.H}, {&q.High, w.High}, {&q.Low, w.Low},
		{&q.Close, w.C}, {&q.Close, w.Close}, {&q.Change, w.Ch}, {&q.Change, w.Change},
		{&q.ChangePc, w.Chpc}, {&q.ChangePc, w.ChangePc},
	} {
		if f.n == "" {
			continue
		}
		v, err := decimal.NewFromString(string(f.n))
		if err != nil {
			return err
		}
		*f.dst = v
	}
	if w.Date != "" {
		t, err := unixTime(w.Date)
		if err != nil {
			return err
		}
		q.Date = t
	}
	return nil
}

// unixTime reads Unix seconds from a number the decoder has checked, as
// Time.UnmarshalJSON does, without a second JSON decode.
func unixTime(n json.Number) (Time, error) {
	sec, err := strconv.ParseFloat(string(n), 64)
	if err != nil || !(sec >= 0 && sec <= 1e11) {
		return Time{}, fmt.Errorf("just2trade: timestamp %q is not Unix seconds", string(n))
	}
	if sec == 0 {
		return Time{}, nil
	}
	whole := int64(sec)
	return Time{time.Unix(whole, int64((sec-float64(whole))*1e9)).UTC()}, nil
}

// accountWire is an account-feed message: {"t":"b|p|o|t|e","data":...}.
type accountWire struct {
	T    string          `json:"t"`
	Data json.RawMessage `json:"data"`
}

// items splits data into its objects: an array's elements, or data itself
// when it is one object. Each keeps its bytes as received.
func items(data json.RawMessage) ([]json.RawMessage, error) {
	d := bytes.TrimSpace(data)
	switch {
	case len(d) == 0 || string(d) == "null":
		return nil, nil
	case d[0] == '{':
		return []json.RawMessage{d}, nil
	}
	var list []json.RawMessage
	if err := json.Unmarshal(d, &list); err != nil {
		return nil, fmt.Errorf("%w: %w", errMalformed, err)
	}
	return list, nil
}

// accountKind is how one account-feed stream subscribes and decodes: the
// action's suffix, the message type it receives, and how an item becomes
// its event and the key Update deduplicates it under.
type accountKind[T any] struct {
	action string
	t      string
	decode func(account string, raw json.RawMessage) (key string, ev T, err error)
}

var (
	ordersKind = accountKind[OrderEvent]{action: "Orders", t: "o",
		decode: func(_ string, raw json.RawMessage) (string, OrderEvent, error) {
			var ev OrderEvent
			if err := decodeOrder(raw, &ev.Order); err != nil {
				return "", ev, err
			}
			ev.Raw = raw
			return orKey(ev.ID(), raw), ev, nil
		}}
	balancesKind = accountKind[BalanceEvent]{action: "Balance", t: "b",
		decode: func(_ string, raw json.RawMessage) (string, BalanceEvent, error) {
			var ev BalanceEvent
			if err := json.Unmarshal(raw, &ev.Balance); err != nil {
				return "", ev, err
			}
			ev.Raw = raw
			return orKey(ev.AccountNumber, raw), ev, nil
		}}
	positionsKind = accountKind[PositionsEvent]{action: "Positions", t: "p",
		decode: func(account string, raw json.RawMessage) (string, PositionsEvent, error) {
			var w struct {
				Account   string     `json:"account"`
				Positions []Position `json:"positions"`
			}
			if err := json.Unmarshal(raw, &w); err != nil {
				return "", PositionsEvent{}, err
			}
			if w.Account == "" {
				w.Account = account
			}
			return w.Account, PositionsEvent{Account: w.Account, Positions: w.Positions, Raw: raw}, nil
		}}
	tradesKind = accountKind[TradeEvent]{action: "Trades", t: "t",
		decode: func(account string, raw json.RawMessage) (string, TradeEvent, error) {
			ev := TradeEvent{Account: account, Raw: raw}
			if err := json.Unmarshal(raw, &ev.Trade); err != nil {
				return "", ev, err
			}
			return orKey(string(ev.TradeID), raw), ev, nil
		}}
)

// orKey is id, or, for an item without one, its bytes: an identical
// re-sent item is then still recognised.
func orKey(id string, raw json.RawMessage) string {
	if id != "" {
		return id
	}
	return string(raw)
}

// orderIn is an order object as the feed sends it, with numbers as text:
// decoding it and then the decimals is much cheaper than Order's own
// per-field decoders, and the account feed carries every order change.
type orderIn struct {
	AccountNumber     string          `json:"account_number"`
	ClientID          json.RawMessage `json:"client_id"`
	Exchange          string          `json:"exchange"`
	Quantity          json.Number     `json:"quantity"`
	ExecutedQuantity  json.Number     `json:"executed_quantity"`
	Status            OrderStatus     `json:"order_status"`
	Price             json.Number     `json:"price"`
	StopPrice         json.Number     `json:"stop_price"`
	TimeInForce       TimeInForce     `json:"time_in_force"`
	Type              OrderType       `json:"order_type"`
	Side              Side            `json:"order_side"`
	Symbol            string          `json:"symbol"`
	ExecutedPrice     json.Number     `json:"executed_price"`
	ExecutedTimestamp json.Number     `json:"executed_timestamp"`
	Comment           string          `json:"comment"`
}

// decodeOrder reads one order object of the feed.
func decodeOrder(raw []byte, o *Order) error {
	var w orderIn
	if err := json.Unmarshal(raw, &w); err != nil {
		return err
	}
	*o = Order{AccountNumber: w.AccountNumber, Exchange: w.Exchange, Status: w.Status, TimeInForce: w.TimeInForce,
		Type: w.Type, Side: w.Side, Symbol: w.Symbol, Comment: w.Comment}
	if len(w.ClientID) > 0 {
		if err := o.ClientID.UnmarshalJSON(w.ClientID); err != nil {
			return err
		}
	}
	for _, f := range [...]struct {
		dst *decimal.Decimal
		n   json.Number
	}{
		{&o.Quantity, w.Quantity}, {&o.ExecutedQuantity, w.ExecutedQuantity}, {&o.Price, w.Price},
		{&o.StopPrice, w.StopPrice}, {&o.ExecutedPrice, w.ExecutedPrice},
	} {
		if f.n == "" {
			continue
		}
		v, err := decimal.NewFromString(string(f.n))
		if err != nil {
			return err
		}
		*f.dst = v
	}
	if w.ExecutedTimestamp != "" {
		t, err := unixTime(w.ExecutedTimestamp)
		if err != nil {
			return err
		}
		o.ExecutedTimestamp = t
	}
	return nil
}

// splitAccount reads an account-feed message's type and the objects of its
// data (an array's elements, or data itself when it is one object), each
// keeping its bytes as received. A byte walk finds them, instead of
// encoding/json scanning the message twice more; each object is then
// decoded, and so checked, by its kind. A message the walk does not take
// is left to encoding/json, whose error then says what is wrong.
func splitAccount(msg []byte) (t string, data []json.RawMessage, err error) {
	if t, data, ok := walkAccount(msg); ok {
		return t, data, nil
	}
	var w accountWire
	if err := json.Unmarshal(msg, &w); err != nil {
		return "", nil, fmt.Errorf("%w: %w", errMalformed, err)
	}
	data, err = items(w.Data)
	return w.T, data, err
}

// walkAccount is splitAccount's fast path; ok is false for anything but
// a well-formed top-level object whose "t" is a plain string.
func walkAccount(msg []byte) (t string, data []json.RawMessage, ok bool) {
	i := skipSpace(msg, 0)
	if i >= len(msg) || msg[i] != '{' {
		return "", nil, false
	}
	i = skipSpace(msg, i+1)
	if i < len(msg) && msg[i] == '}' {
		return "", nil, skipSpace(msg, i+1) == len(msg)
	}
	for {
		kEnd := skipString(msg, i)
		if kEnd < 0 {
			return "", nil, false
		}
		key := msg[i+1 : kEnd-1]
		i = skipSpace(msg, kEnd)
		if i >= len(msg) || msg[i] != ':' {
			return "", nil, false
		}
		i = skipSpace(msg, i+1)
		vEnd := skipValue(msg, i)
		if vEnd < 0 {
			return "", nil, false
		}
		v := msg[i:vEnd]
		switch string(key) {
		case "t":
			if v[0] != '"' || bytes.ContainsFunc(v, func(r rune) bool { return r < ' ' || r > '~' || r == '\\' }) {
				return "", nil, false // escapes, controls and non-ASCII: encoding/json's rules
			}
			t = string(v[1 : len(v)-1])
		case "data":
			if data, ok = walkItems(v); !ok {
				return "", nil, false
			}
		default:
			if bytes.EqualFold(key, []byte("t")) || bytes.EqualFold(key, []byte("data")) || bytes.IndexByte(key, '\\') >= 0 {
				return "", nil, false // encoding/json's case folding and escapes decide
			}
		}
		i = skipSpace(msg, vEnd)
		if i >= len(msg) {
			return "", nil, false
		}
		switch msg[i] {
		case ',':
			i = skipSpace(msg, i+1)
		case '}':
			return t, data, skipSpace(msg, i+1) == len(msg)
		default:
			return "", nil, false
		}
	}
}

// walkItems splits an array of values, or takes one object as is.
func walkItems(v []byte) ([]json.RawMessage, bool) {
	switch v[0] {
	case '{':
		return []json.RawMessage{v}, true
	case 'n':
		return nil, string(v) == "null"
	case '[':
	default:
		return nil, false
	}
	var out []json.RawMessage
	i := skipSpace(v, 1)
	if i < len(v) && v[i] == ']' {
		return out, i == len(v)-1
	}
	for {
		end := skipValue(v, i)
		if end < 0 {
			return nil, false
		}
		out = append(out, v[i:end:end])
		i = skipSpace(v, end)
		if i >= len(v) {
			return nil, false
		}
		switch v[i] {
		case ',':
			i = skipSpace(v, i+1)
		case ']':
			return out, i == len(v)-1
		default:
			return nil, false
		}
	}
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// skipString returns the index after the string starting at b[i], or -1.
func skipString(b []byte, i int) int {
	if i >= len(b) || b[i] != '"' {
		return -1
	}
	for i++; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return -1
}

// skipValue returns the index after the value starting at b[i], or -1:
// strings and nesting are followed; scalars run to the next delimiter
// (their exact form is checked by the decoder of the object holding them).
func skipValue(b []byte, i int) int {
	if i >= len(b) {
		return -1
	}
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for ; i < len(b); i++ {
			switch b[i] {
			case '"':
				end := skipString(b, i)
				if end < 0 {
					return -1
				}
				i = end - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
		}
		return -1
	case ',', '}', ']', ':':
		return -1
	}
	start := i
	for i < len(b) {
		switch b[i] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
			return i
		case '"', '{', '[', ':':
			return -1
		}
		i++
	}
	if i == start {
		return -1
	}
	return i
}

// walkQuote fills w from a flat market-data message (members that are
// strings or numbers) exactly as encoding/json would, several times
// faster; ok is false for anything else (null, nesting, escapes,
// non-ASCII text, a member name encoding/json would match by case
// folding, a malformed number), which encoding/json then decodes, or
// refuses with its error. A fuzz target holds the two to each other.
func walkQuote(msg []byte, w *quoteWire) bool {
	i := skipSpace(msg, 0)
	if i >= len(msg) || msg[i] != '{' {
		return false
	}
	i = skipSpace(msg, i+1)
	if i < len(msg) && msg[i] == '}' {
		return skipSpace(msg, i+1) == len(msg)
	}
	for {
		kEnd := skipString(msg, i)
		if kEnd < 0 {
			return false
		}
		key := msg[i+1 : kEnd-1]
		i = skipSpace(msg, kEnd)
		if i >= len(msg) || msg[i] != ':' {
			return false
		}
		i = skipSpace(msg, i+1)
		if i >= len(msg) {
			return false
		}
		var val []byte
		str := msg[i] == '"'
		if str {
			end := skipString(msg, i)
			if end < 0 {
				return false
			}
			val, i = msg[i+1:end-1], end
		} else {
			end := numberEnd(msg, i)
			if end < 0 {
				return false
			}
			val, i = msg[i:end], end
		}
		if !plainText(key) || !plainText(val) || !w.set(key, val, str) {
			return false
		}
		i = skipSpace(msg, i)
		if i >= len(msg) {
			return false
		}
		switch msg[i] {
		case ',':
			i = skipSpace(msg, i+1)
		case '}':
			return skipSpace(msg, i+1) == len(msg)
		default:
			return false
		}
	}
}

// quoteMembers are quoteWire's member names, for walkQuote's case-folding
// check.
var quoteMembers = []string{"t", "s", "a", "as", "b", "bs", "l", "ls", "lm", "v", "d", "o", "open", "h", "high",
	"low", "c", "close", "ch", "change", "chpc", "change_pc", "data"}

// set stores one member; false where encoding/json would do something
// else than store the text (an error, a case-folded match, raw data).
func (w *quoteWire) set(key, val []byte, str bool) bool {
	var dst *json.Number
	switch string(key) {
	case "t", "s":
		if !str {
			return false
		}
		if key[0] == 't' {
			w.T = string(val)
		} else {
			w.S = string(val)
		}
		return true
	case "lm":
		w.LastMkt = ID(val)
		return true
	case "a":
		dst = &w.Ask
	case "as":
		dst = &w.AskSize
	case "b":
		dst = &w.Bid
	case "bs":
		dst = &w.BidSize
	case "l":
		dst = &w.Last
	case "ls":
		dst = &w.LastSize
	case "v":
		dst = &w.Volume
	case "d":
		dst = &w.Date
	case "o":
		dst = &w.O
	case "open":
		dst = &w.Open
	case "h":
		dst = &w.H
	case "high":
		dst = &w.High
	case "low":
		dst = &w.Low
	case "c":
		dst = &w.C
	case "close":
		dst = &w.Close
	case "ch":
		dst = &w.Ch
	case "change":
		dst = &w.Change
	case "chpc":
		dst = &w.Chpc
	case "change_pc":
		dst = &w.ChangePc
	default:
		for _, m := range quoteMembers {
			if bytes.EqualFold(key, []byte(m)) {
				return false
			}
		}
		return true // another member: ignored, as encoding/json does
	}
	if str && numberEnd(val, 0) != len(val) {
		return false // a string that is no number: encoding/json's error
	}
	*dst = json.Number(val)
	return true
}

// plainText reports whether b has only printable ASCII and no backslash:
// text encoding/json would take as is.
func plainText(b []byte) bool {
	for _, c := range b {
		if c < ' ' || c > '~' || c == '\\' {
			return false
		}
	}
	return true
}

// numberEnd returns the index after the JSON number starting at b[i]
// (-?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?), or -1.
func numberEnd(b []byte, i int) int {
	digits := func(i int) int {
		j := i
		for j < len(b) && b[j] >= '0' && b[j] <= '9' {
			j++
		}
		return j
	}
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i >= len(b):
		return -1
	case b[i] == '0':
		i++
	case b[i] >= '1' && b[i] <= '9':
		i = digits(i)
	default:
		return -1
	}
	if i < len(b) && b[i] == '.' {
		j := digits(i + 1)
		if j == i+1 {
			return -1
		}
		i = j
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		j := digits(i)
		if j == i {
			return -1
		}
		i = j
	}
	return i
}
