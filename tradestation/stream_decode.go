package tradestation

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/brokerkit/brokerkit/internal/redact"
)

// The stream decoders read TradeStation's chunked streams one frame (one
// line) at a time and decode each frame once, straight into the event
// type. Heartbeats are recognised by their first bytes without decoding;
// every other control member (StreamStatus, a stream-level Error) is
// decoded in the same pass as the data, as fields beside it.

// maxFrame caps one frame (line) of a stream: far above any real quote,
// bar, order or position, and a bound on what a broken server can make
// the client hold.
const maxFrame = 1 << 20

// errFrameTooLong ends a connection whose frame exceeds maxFrame.
var errFrameTooLong = fmt.Errorf("tradestation: stream frame longer than %d bytes", maxFrame)

// frameReader splits a stream into frames: lines, trimmed, empty ones
// skipped. A frame is valid until the next call.
type frameReader struct {
	r    *bufio.Reader
	long []byte // a frame longer than the reader's buffer, assembled here
}

func newFrameReader(r io.Reader) *frameReader {
	return &frameReader{r: bufio.NewReaderSize(r, 64<<10)}
}

// next returns the next non-empty frame. At the end of the stream it
// returns io.EOF; a last frame without its newline is returned first.
func (f *frameReader) next() ([]byte, error) {
	for {
		line, err := f.r.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			f.long = append(f.long[:0], line...)
			for err == bufio.ErrBufferFull {
				if len(f.long) > maxFrame {
					return nil, errFrameTooLong
				}
				line, err = f.r.ReadSlice('\n')
				f.long = append(f.long, line...)
			}
			line = f.long
		}
		if len(line) > maxFrame {
			return nil, errFrameTooLong
		}
		if t := bytes.TrimSpace(line); len(t) > 0 {
			return t, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// heartbeatPrefix starts every heartbeat TradeStation sends.
var heartbeatPrefix = []byte(`{"Heartbeat"`)

// isHeartbeat sniffs a heartbeat frame without decoding it.
func isHeartbeat(b []byte) bool { return bytes.HasPrefix(b, heartbeatPrefix) }

// control holds the members of a v3 frame that are not data: decoded
// beside the data in the same pass.
type control struct {
	Heartbeat    *json.RawMessage `json:"Heartbeat"`
	StreamStatus string           `json:"StreamStatus"`
	Error        string           `json:"Error"`
	Message      string           `json:"Message"`
}

// reason is the frame's error text for an event: Error, and Message when
// there is one, cleaned.
func (c *control) reason() string {
	s := c.Error
	if c.Message != "" {
		s += ": " + c.Message
	}
	return redact.Text(s)
}

// Frame kinds the decoders tell the connection loop about.
type frameKind int

const (
	frameData      frameKind = iota // an event
	frameItemError                  // an event naming a symbol or account TradeStation cannot serve
	frameKeepAlive                  // a heartbeat, EndSnapshot or another status
	frameGoAway                     // the server asks for a reconnect
	frameError                      // a stream-level error: the connection ends
	frameEnd                        // v2 END: the server ended the stream
)

// classify tells what a decoded v3 frame is; item says whether it named
// a symbol or an account.
func (c *control) classify(item bool) frameKind {
	switch {
	case c.Heartbeat != nil:
		return frameKeepAlive
	case c.StreamStatus == "GoAway":
		return frameGoAway
	case c.StreamStatus != "":
		return frameKeepAlive // EndSnapshot, or a status this SDK does not know
	case c.Error != "" && item:
		return frameItemError
	case c.Error != "":
		return frameError
	}
	return frameData
}

// symbolOf finds the "Symbol" member of a frame without decoding it, so
// that a quote change can be decoded onto the symbol's last quote. It
// returns nil when it cannot tell (the frame is then decoded alone).
func symbolOf(b []byte) []byte {
	i := bytes.Index(b, symbolKey)
	if i < 0 {
		return nil
	}
	rest := skipBlanks(b[i+len(symbolKey):])
	if len(rest) == 0 || rest[0] != ':' {
		return nil
	}
	rest = skipBlanks(rest[1:])
	if len(rest) == 0 || rest[0] != '"' {
		return nil
	}
	end := bytes.IndexByte(rest[1:], '"')
	if end < 0 {
		return nil
	}
	v := rest[1 : 1+end]
	if bytes.IndexByte(v, '\\') >= 0 {
		return nil // escaped: leave it to the decoder
	}
	return v
}

var symbolKey = []byte(`"Symbol"`)

// skipBlanks drops leading JSON whitespace.
func skipBlanks(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t' || b[0] == '\r' || b[0] == '\n') {
		b = b[1:]
	}
	return b
}

// frameFeed decodes a connection's frames with one json.Decoder, fed one
// frame at a time: the decoder's state and buffers are reused, where
// json.Unmarshal would set them up for every frame. A frame holding more
// than one value, or not a whole one, is an error.
type frameFeed struct {
	b    []byte
	dec  *json.Decoder
	base int64 // the decoder's InputOffset before the frame
}

// Read gives the decoder the rest of the current frame; past its end the
// frame is incomplete.
func (f *frameFeed) Read(p []byte) (int, error) {
	if len(f.b) == 0 {
		return 0, io.ErrUnexpectedEOF
	}
	n := copy(p, f.b)
	f.b = f.b[n:]
	return n, nil
}

func (f *frameFeed) decode(b []byte, v any) error {
	if f.dec == nil {
		f.dec, f.base = json.NewDecoder(f), 0
	}
	f.b = b
	err := f.dec.Decode(v)
	if err == nil {
		off := f.dec.InputOffset()
		if off-f.base != int64(len(b)) {
			err = errors.New("tradestation: stream frame holds more than one JSON value")
		}
		f.base = off
	}
	if err != nil {
		f.dec = nil // it keeps its error, or holds the rest of the frame
	}
	return err
}

// quoteFrame is a v3 quote frame: the quote and the control members.
type quoteFrame struct {
	Quote
	control
}

// quoteDecoder decodes v3 quote frames. TradeStation sends a symbol's
// whole quote first and then only what changed: each change is decoded
// straight onto the symbol's last quote (one decode, no copy), so every
// event holds the whole quote.
type quoteDecoder struct {
	last    map[string]*quoteFrame // by symbol
	scratch quoteFrame             // frames of no known symbol
	feed    frameFeed
}

func (d *quoteDecoder) decode(b []byte, ev *QuoteEvent) (frameKind, *control, error) {
	sym := symbolOf(b)
	f, known := d.last[string(sym)]
	if known {
		f.control = control{}
		// The last event holds this slice: never decode into it.
		f.Restrictions = slices.Clone(f.Restrictions)
	} else {
		f = &d.scratch
		*f = quoteFrame{}
	}
	if err := d.feed.decode(b, f); err != nil {
		return 0, nil, err
	}
	k := f.classify(f.Symbol != "")
	switch k {
	case frameItemError:
		*ev = QuoteEvent{Quote: Quote{Symbol: f.Symbol}, Error: f.reason()}
	case frameData:
		if !known && f.Symbol != "" {
			if d.last == nil {
				d.last = map[string]*quoteFrame{}
			}
			st := *f
			d.last[f.Symbol] = &st
		}
		*ev = QuoteEvent{Quote: f.Quote}
	}
	return k, &f.control, nil
}

// barFrame is a v3 bar frame.
type barFrame struct {
	Bar
	control
}

// barDecoder decodes v3 bar frames.
type barDecoder struct {
	f    barFrame
	feed frameFeed
}

func (d *barDecoder) decode(b []byte, ev *BarEvent) (frameKind, *control, error) {
	f := &d.f
	*f = barFrame{}
	if err := d.feed.decode(b, f); err != nil {
		return 0, nil, err
	}
	k := f.classify(false)
	if k == frameData {
		*ev = BarEvent{Bar: f.Bar}
	}
	return k, &f.control, nil
}

// orderFrame is a v3 order frame.
type orderFrame struct {
	Order
	control
}

// orderDecoder decodes v3 order frames.
type orderDecoder struct {
	f    orderFrame
	feed frameFeed
}

func (d *orderDecoder) decode(b []byte, ev *OrderEvent) (frameKind, *control, error) {
	f := &d.f
	*f = orderFrame{}
	if err := d.feed.decode(b, f); err != nil {
		return 0, nil, err
	}
	k := f.classify(f.AccountID != "" || f.OrderID != "")
	switch k {
	case frameItemError:
		*ev = OrderEvent{Order: Order{AccountID: f.AccountID, OrderID: f.OrderID}, Error: f.reason()}
	case frameData:
		*ev = OrderEvent{Order: f.Order}
	}
	return k, &f.control, nil
}

// positionFrame is a v3 position frame.
type positionFrame struct {
	Position
	control
	Deleted bool `json:"Deleted"`
}

// positionDecoder decodes v3 position frames.
type positionDecoder struct {
	f    positionFrame
	feed frameFeed
}

func (d *positionDecoder) decode(b []byte, ev *PositionEvent) (frameKind, *control, error) {
	f := &d.f
	*f = positionFrame{}
	if err := d.feed.decode(b, f); err != nil {
		return 0, nil, err
	}
	k := f.classify(f.AccountID != "" || f.PositionID != "")
	switch k {
	case frameItemError:
		*ev = PositionEvent{Position: Position{AccountID: f.AccountID}, Error: f.reason()}
	case frameData:
		*ev = PositionEvent{Position: f.Position, Deleted: f.Deleted}
	}
	return k, &f.control, nil
}

// v2 streams.

// v2Line is a plain-text line of a v2 stream: END, or ERROR - reason.
var (
	v2End       = []byte("END")
	v2ErrPrefix = []byte("ERROR - ")
)

// v2QuoteDecoder decodes WebAPI v2 quote-change frames onto each symbol's
// last quote, like quoteDecoder, and converts them to the v3 Quote shape.
type v2QuoteDecoder struct {
	last    map[string]*V2Quote
	scratch V2Quote
	feed    frameFeed
}

// v2Error is the reason of an "ERROR - ..." line, as sent.
type v2Error string

func (d *v2QuoteDecoder) decode(b []byte, ev *QuoteEvent) (frameKind, v2Error, error) {
	if b[0] != '{' {
		switch {
		case bytes.Equal(b, v2End):
			return frameEnd, "", nil
		case bytes.HasPrefix(b, v2ErrPrefix):
			return frameError, v2Error(b[len(v2ErrPrefix):]), nil
		}
		return 0, "", errors.New("tradestation: v2 stream line is neither JSON, END nor ERROR")
	}
	sym := symbolOf(b)
	q, known := d.last[string(sym)]
	if known {
		q.Error = nil
		q.Restrictions = slices.Clone(q.Restrictions)
	} else {
		q = &d.scratch
		*q = V2Quote{}
	}
	if err := d.feed.decode(b, q); err != nil {
		return 0, "", err
	}
	if q.Error != nil && *q.Error != "" {
		*ev = QuoteEvent{Quote: Quote{Symbol: q.Symbol}, Error: redact.Text(*q.Error)}
		return frameItemError, "", nil
	}
	if !known && q.Symbol != "" {
		if d.last == nil {
			d.last = map[string]*V2Quote{}
		}
		st := *q
		d.last[q.Symbol] = &st
	}
	*ev = QuoteEvent{Quote: q.v3()}
	return frameData, "", nil
}

// hundred turns v2's NetChangePct, a fraction (0.0136 for 1.36 %), into
// v3's percentage.
var hundred = decimal.NewFromInt(100)

// v3 converts a v2 quote to the v3 Quote shape. v2's TradeTime, a .NET
// "/Date(ms)/" value, becomes a time; NetChangePct becomes a percentage
// as in v3.
func (q *V2Quote) v3() Quote {
	return Quote{Symbol: q.Symbol, Open: q.Open, High: q.High, Low: q.Low, PreviousClose: q.PreviousClose,
		Last: q.Last, Ask: q.Ask, AskSize: q.AskSize, Bid: q.Bid, BidSize: q.BidSize, NetChange: q.NetChange,
		NetChangePct: q.NetChangePct.Mul(hundred), High52Week: q.High52Week, Low52Week: q.Low52Week,
		Volume: q.Volume, PreviousVolume: q.PreviousVolume, Close: q.Close, DailyOpenInterest: q.DailyOpenInterest,
		TradeTime: Time{netDate(q.TradeTime)}, MarketFlags: MarketFlags{IsDelayed: q.IsDelayed, IsHalted: q.Halted},
		LastSize: q.LastSize, LastVenue: q.LastVenue, VWAP: q.VWAP, Restrictions: q.Restrictions}
}

// netDate reads a .NET JSON date, "/Date(1482849060000)/" (milliseconds
// since the epoch, optionally followed by a +hhmm or -hhmm offset, which
// does not change the instant). Anything else is the zero time.
func netDate(s string) time.Time {
	inner, ok := strings.CutPrefix(s, "/Date(")
	if !ok {
		return time.Time{}
	}
	inner, ok = strings.CutSuffix(inner, ")/")
	if !ok {
		return time.Time{}
	}
	if i := strings.IndexAny(inner[min(1, len(inner)):], "+-"); i >= 0 {
		inner = inner[:i+1]
	}
	ms, err := strconv.ParseInt(inner, 10, 64)
	if err != nil {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}
