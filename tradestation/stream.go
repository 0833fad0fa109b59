package tradestation

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/google/go-querystring/query"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/internal/redact"
	"github.com/brokerkit/brokerkit/internal/rest"
	"github.com/brokerkit/brokerkit/stream"
)

// StreamsService opens TradeStation's live streams: quotes, bars, orders
// and positions (API v3), and quotes from WebAPI v2 for a client whose
// provider is a V2 provider. Every stream is a *stream.Stream: events on
// C(), reconnect with backoff and a fresh subscription when the
// connection ends, stalls or hangs, the token refreshed when refused.
type StreamsService service

// QuoteEvent is one quote from Streams.Quotes. TradeStation sends a
// symbol's whole quote and then only the fields that change; each event
// holds the whole quote with the change applied. A symbol TradeStation
// cannot stream arrives as an event with Error set and only Symbol.
type QuoteEvent struct {
	Quote
	// Error is TradeStation's reason for not streaming Symbol ("FAILED,
	// INVALID SYMBOL"), cleaned of control characters.
	Error string `json:"Error,omitempty"`
	// Raw is the frame as TradeStation sent it: for a change, only the
	// changed fields.
	Raw json.RawMessage `json:"-"`
}

// BarEvent is one bar from Streams.Bars: a bar of the chart asked for, or
// the newest bar again as it changes (BarStatus Open until it closes).
type BarEvent struct {
	Bar
	// Raw is the frame as TradeStation sent it.
	Raw json.RawMessage `json:"-"`
}

// OrderEvent is an order from Streams.Orders: each order once when the
// stream opens, then again whenever it changes. An order TradeStation
// re-sends unchanged (it sends every order again on each reconnect) is
// not delivered twice. An account TradeStation cannot stream arrives as an
// event with Error set and only AccountID.
type OrderEvent struct {
	Order
	// Error is TradeStation's reason for not streaming AccountID, cleaned.
	Error string `json:"Error,omitempty"`
	// Raw is the frame as TradeStation sent it.
	Raw json.RawMessage `json:"-"`
}

// PositionEvent is a position from Streams.Positions, delivered like
// OrderEvent: once, then on every change. Deleted marks a position that
// was closed (only AccountID, PositionID and Symbol are set).
type PositionEvent struct {
	Position
	// Deleted reports a closed position.
	Deleted bool `json:"Deleted,omitempty"`
	// Error is TradeStation's reason for not streaming AccountID, cleaned.
	Error string `json:"Error,omitempty"`
	// Raw is the frame as TradeStation sent it.
	Raw json.RawMessage `json:"-"`
}

// WithStreams sets the options of the client's streams. Fields left zero
// take each kind's default (see Streams): quotes and bars drop the oldest
// queued event when the reader falls behind; orders and positions block;
// a stream with no frame for three heartbeat periods (15 s) reconnects,
// and an order or position stream with heartbeats but no event for 5
// minutes reconnects to take a fresh snapshot.
func WithStreams(o stream.Options) Option {
	return func(co *clientOptions) { co.streams = o }
}

// heartbeatPeriod is how often TradeStation sends a heartbeat (about every
// 5 seconds).
const heartbeatPeriod = 5 * time.Second

// streamKind names a kind of stream, for its defaults.
type streamKind int

const (
	kindQuotes streamKind = iota
	kindBars
	kindOrders
	kindPositions
	kindV2Quotes
)

// streamDefaults are each kind's options where the client's are zero.
// Market data may drop what a slow reader cannot take; account data may
// not, and its streams are the ones TradeStation lets hang while
// heartbeats go on, hence Resync. WebAPI v2 documents no heartbeats, so a
// quiet v2 stream is not a stalled one: no stall detection by default.
var streamDefaults = map[streamKind]stream.Options{
	kindQuotes:    {Policy: stream.DropOldest, Stall: 3 * heartbeatPeriod, Resync: -1},
	kindBars:      {Policy: stream.DropOldest, Stall: 3 * heartbeatPeriod, Resync: -1},
	kindOrders:    {Policy: stream.Block, Stall: 3 * heartbeatPeriod, Resync: 5 * time.Minute},
	kindPositions: {Policy: stream.Block, Stall: 3 * heartbeatPeriod, Resync: 5 * time.Minute},
	kindV2Quotes:  {Policy: stream.DropOldest, Stall: -1, Resync: -1},
}

// Content types of TradeStation's streams, sent as Accept.
const (
	v3StreamAccept = "application/vnd.tradestation.streams.v2+json"
	v2StreamAccept = "application/vnd.tradestation.streams+json"
)

// errGoAway is why a connection ends on {"StreamStatus":"GoAway"}: the
// server asks the client to reconnect.
var errGoAway = errors.New("tradestation: stream: the server asked for a reconnect (GoAway)")

// errStreamEnded is why a connection ends when the server closes the
// stream (v2 "END", or the end of the body): the stream reconnects.
var errStreamEnded = errors.New("tradestation: stream: the server ended the stream")

// isV2 reports whether the client streams from WebAPI v2: its provider is
// a V2 provider, or, without a provider, its token is a v2 token.
func (c *Client) isV2(tok *auth.Token) bool {
	if c.api == V2 {
		return true
	}
	return !c.hasProvider && tok != nil && tok.Audience == V2Audience
}

// Quotes streams quotes of up to 100 symbols (v3
// /marketdata/stream/quotes, or v2 /stream/quote/changes, at most 50
// symbols, for a V2 client; v2 quotes are converted to Quote, with
// NetChangePct as a percentage).
func (s *StreamsService) Quotes(ctx context.Context, symbols ...string) (*stream.Stream[QuoteEvent], error) {
	if err := checkSymbols(symbols); err != nil {
		return nil, err
	}
	tok, err := s.c.token(ctx, TradingAudience, V2Audience)
	if err != nil {
		return nil, err
	}
	if s.c.isV2(tok) {
		if len(symbols) > maxV2QuoteSymbols {
			return nil, rest.Invalid(Name, "v2 quote stream: at most %d symbols, not %d", maxV2QuoteSymbols, len(symbols))
		}
		path := rest.Pathf("stream/quote/changes/%s", rest.List(symbols))
		return openStream(ctx, s.c, kindV2Quotes, s.c.v2, v2Only, path, nil, v2Quotes)
	}
	if len(symbols) > maxQuoteSymbols {
		return nil, rest.Invalid(Name, "quote stream: at most %d symbols, not %d", maxQuoteSymbols, len(symbols))
	}
	path := rest.Pathf("marketdata/stream/quotes/%s", rest.List(symbols))
	return openStream(ctx, s.c, kindQuotes, s.c.v3, tradingOnly, path, nil, v3Quotes)
}

// Bars streams one symbol's bars (v3 /marketdata/stream/barcharts): the
// last opts.BarsBack bars, then the newest bar each time it changes. opts
// takes Bars.Get's Interval, Unit, BarsBack and SessionTemplate; a stream
// has no FirstDate or LastDate. opts may be nil.
func (s *StreamsService) Bars(ctx context.Context, symbol string, opts *BarsOptions) (*stream.Stream[BarEvent], error) {
	if err := checkSymbols([]string{symbol}); err != nil {
		return nil, err
	}
	var q BarsOptions
	if opts != nil {
		q = *opts
	}
	if q.FirstDate != "" || q.LastDate != "" {
		return nil, rest.Invalid(Name, "bar stream: FirstDate and LastDate are for Bars.Get; a stream takes BarsBack")
	}
	if err := q.check(); err != nil {
		return nil, err
	}
	if err := s.c.v3Only(ctx, "bar"); err != nil {
		return nil, err
	}
	return openStream(ctx, s.c, kindBars, s.c.v3, tradingOnly, rest.Pathf("marketdata/stream/barcharts/%s", symbol),
		&q, bars)
}

// Orders streams the orders of up to 25 accounts (v3
// /brokerage/stream/accounts/{ids}/orders). TradeStation sends every order
// again on each connection; an order is delivered again only when it
// changed.
func (s *StreamsService) Orders(ctx context.Context, accountIDs ...string) (*stream.Stream[OrderEvent], error) {
	if err := s.accounts(ctx, accountIDs, "order"); err != nil {
		return nil, err
	}
	return openStream(ctx, s.c, kindOrders, s.c.v3, tradingOnly,
		rest.Pathf("brokerage/stream/accounts/%s/orders", rest.List(accountIDs)), nil, orders)
}

// Positions streams the positions of up to 25 accounts (v3
// /brokerage/stream/accounts/{ids}/positions), delivered like Orders.
func (s *StreamsService) Positions(ctx context.Context, accountIDs ...string) (*stream.Stream[PositionEvent], error) {
	if err := s.accounts(ctx, accountIDs, "position"); err != nil {
		return nil, err
	}
	return openStream(ctx, s.c, kindPositions, s.c.v3, tradingOnly,
		rest.Pathf("brokerage/stream/accounts/%s/positions", rest.List(accountIDs)), nil, positions)
}

// accounts checks an account stream's arguments and API.
func (s *StreamsService) accounts(ctx context.Context, ids []string, what string) error {
	if len(ids) == 0 || len(ids) > maxAccountsPerCall {
		return rest.Invalid(Name, "%s stream: give 1 to %d account IDs, not %d", what, maxAccountsPerCall, len(ids))
	}
	if err := checkAccountIDs(ids, what+" stream"); err != nil {
		return err
	}
	return s.c.v3Only(ctx, what)
}

// v3Only refuses a v3-only stream to a v2 client with auth.ErrUnsupported.
func (c *Client) v3Only(ctx context.Context, what string) error {
	tok, err := c.token(ctx, TradingAudience, V2Audience)
	if err != nil {
		return err
	}
	if c.isV2(tok) {
		return fmt.Errorf("tradestation v2: %s streams are an API v3 feature: %w", what, auth.ErrUnsupported)
	}
	return nil
}

// decoders.

// v3Quotes makes a connection's quote decoder: changes are merged per
// connection, and each new connection starts again from whole quotes.
func v3Quotes() frameDecoder[QuoteEvent] { return (&quoteDecoder{}).decode }

// v2Quotes is v3Quotes for WebAPI v2.
func v2Quotes() frameDecoder[QuoteEvent] {
	d := &v2QuoteDecoder{}
	return func(b []byte, ev *QuoteEvent) (frameKind, *control, error) {
		k, reason, err := d.decode(b, ev)
		if k == frameError {
			return k, &control{Error: string(reason)}, err
		}
		return k, nil, err
	}
}

// frameDecoder decodes one frame into ev (for frameData and
// frameItemError), reporting its kind and, for errors, its control
// members.
type frameDecoder[T any] func(b []byte, ev *T) (frameKind, *control, error)

// bars, orders and positions make a connection's decoders.
func bars() frameDecoder[BarEvent]           { return (&barDecoder{}).decode }
func orders() frameDecoder[OrderEvent]       { return (&orderDecoder{}).decode }
func positions() frameDecoder[PositionEvent] { return (&positionDecoder{}).decode }

// sink is what a connection delivers to: a *stream.Conn, or a counter in
// the benchmarks.
type sink[T any] interface {
	Ready()
	Heartbeat()
	Send(ev T) bool
	Update(key string, raw []byte, ev T) bool
}

// openStream opens a stream of kind at path on api, one connection at a
// time, each decoded by a fresh decoder from dec.
func openStream[T any](ctx context.Context, c *Client, kind streamKind, api *rest.Client,
	audiences []string, path string, q any, newDec func() frameDecoder[T]) (*stream.Stream[T], error) {
	o := c.streamOpts.With(streamDefaults[kind])
	v2 := kind == kindV2Quotes
	return stream.Open(ctx, o, func(ctx context.Context, conn *stream.Conn[T]) error {
		resp, err := c.dial(ctx, api, audiences, path, q, v2)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		return serveFrames(ctx, c, api, resp, newFrameReader(resp.Body), newDec(), keyOf[T](kind), conn)
	})
}

// keyOf is the dedup key of an event of kind: the order or position ID.
// Market data has none: every frame is new.
func keyOf[T any](kind streamKind) func(*T) string {
	switch kind {
	case kindOrders:
		return func(ev *T) string { return any(ev).(*OrderEvent).OrderID }
	case kindPositions:
		return func(ev *T) string { return any(ev).(*PositionEvent).PositionID }
	}
	return nil
}

// setRaw stores the frame's bytes in the event (a copy: the frame's buffer
// is reused).
func setRaw[T any](ev *T, b []byte) json.RawMessage {
	raw := json.RawMessage(bytes.Clone(b))
	switch e := any(ev).(type) {
	case *QuoteEvent:
		e.Raw = raw
	case *BarEvent:
		e.Raw = raw
	case *OrderEvent:
		e.Raw = raw
	case *PositionEvent:
		e.Raw = raw
	}
	return raw
}

// dial sends one stream request through the client's authorized HTTP
// client and returns the answer once TradeStation accepted it (2xx); any
// other answer is an *Error classified like the REST calls'.
func (c *Client) dial(ctx context.Context, api *rest.Client, audiences []string, path string, q any, v2 bool) (*http.Response, error) {
	if _, err := c.token(ctx, audiences...); err != nil {
		return nil, err
	}
	target := api.BaseURL() + path
	if q != nil {
		v, err := query.Values(q)
		if err != nil {
			return nil, rest.Invalid(Name, "stream query: %v", err)
		}
		if enc := v.Encode(); enc != "" {
			target += "?" + enc
		}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return nil, fmt.Errorf("tradestation: stream %s: %w", path, redact.URLError(err))
	}
	accept := v3StreamAccept
	if v2 {
		accept = v2StreamAccept
	}
	req.Header.Set("Accept", accept)
	if c.userAgent != "" {
		req.Header.Set("User-Agent", c.userAgent)
	}
	resp, err := c.streamHTTP.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		// An error of the auth transport (a refused refresh) keeps its
		// class; a network failure is retryable.
		err = redact.URLError(err)
		if !errors.Is(err, auth.ErrReauthRequired) && !errors.Is(err, auth.ErrInvalidClient) {
			err = fmt.Errorf("%w: %w", auth.ErrUnavailable, err)
		}
		return nil, fmt.Errorf("tradestation: stream GET %s: %w", req.URL.EscapedPath(), err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		return nil, api.NewError(&rest.Response{Response: resp}, resp.StatusCode, body)
	}
	return resp, nil
}

// serveFrames reads one connection's frames until it ends, delivering
// events to conn, and returns why it ended: the server's error frame, a
// GoAway, the end of the stream, a broken frame or a read failure.
func serveFrames[T any](ctx context.Context, c *Client, api *rest.Client, resp *http.Response, fr *frameReader,
	dec frameDecoder[T], key func(*T) string, conn sink[T]) error {
	path := resp.Request.URL.EscapedPath()
	var ev, zero T // one event value for the connection: delivered by copy
	for {
		b, err := fr.next()
		if err != nil {
			switch {
			case ctx.Err() != nil:
				return ctx.Err()
			case err == io.EOF:
				return errStreamEnded
			case err == errFrameTooLong:
				return fmt.Errorf("tradestation: stream GET %s: %w", path, err)
			}
			return fmt.Errorf("tradestation: stream GET %s: reading: %w: %w", path, auth.ErrUnavailable, redact.URLError(err))
		}
		if isHeartbeat(b) {
			conn.Ready()
			conn.Heartbeat()
			continue
		}
		ev = zero
		kind, ctl, err := dec(b, &ev)
		if err != nil {
			// A frame that does not decode: the connection is not to be
			// trusted; a new one starts from a fresh snapshot.
			return fmt.Errorf("tradestation: stream GET %s: %w", path, &auth.ResponseError{StatusCode: resp.StatusCode,
				Reason: "malformed stream frame", Err: err})
		}
		switch kind {
		case frameKeepAlive:
			conn.Ready()
			conn.Heartbeat()
		case frameGoAway:
			return errGoAway
		case frameEnd:
			return errStreamEnded
		case frameError:
			return c.streamError(api, resp, ctl)
		case frameData, frameItemError:
			conn.Ready()
			raw := setRaw(&ev, b)
			var ok bool
			if key != nil && kind == frameData {
				ok = conn.Update(key(&ev), raw, ev)
			} else {
				ok = conn.Send(ev)
			}
			if !ok {
				return ctx.Err()
			}
		}
	}
}

// v3ErrorStatus maps the Error codes of v3 error frames to the HTTP status
// the REST API answers them with, so that a stream error is classified
// like a REST one: 400, 403 and 404 end the stream; 401 refreshes the
// token and reconnects; 429 waits; others reconnect.
var v3ErrorStatus = map[string]int{"BadRequest": 400, "Unauthorized": 401, "Forbidden": 403, "NotFound": 404,
	"TooManyRequests": 429, "InternalServerError": 500, "NotImplemented": 501, "ServiceUnavailable": 503,
	"GatewayTimeout": 504}

// v2ErrorStatus classifies v2's "ERROR - ..." lines. A symbol that does
// not exist, or is not entitled, will not stream on a retry; everything
// else (RESET, DATAFEED_NOT_CONNECTED, timeouts, a bare FAILED, which
// proved transient) reconnects.
func v2ErrorStatus(reason string) int {
	switch {
	case strings.Contains(reason, "INVALID_SYMBOL"), strings.Contains(reason, "INVALID SYMBOL"):
		return http.StatusBadRequest
	case strings.Contains(reason, "NOT_ENTITLED"), strings.Contains(reason, "NOT ENTITLED"):
		return http.StatusForbidden
	}
	return http.StatusServiceUnavailable
}

// streamError is the error a stream-level error frame ends the connection
// with: an *Error, as if the REST API had answered it, its text cleaned
// like every error's. Codes this SDK does not know reconnect (502).
func (c *Client) streamError(api *rest.Client, resp *http.Response, ctl *control) error {
	var status int
	var body []byte
	if api == c.v2 {
		status = v2ErrorStatus(ctl.Error)
		body, _ = json.Marshal(map[string]string{"Message": ctl.Error})
	} else {
		var ok bool
		if status, ok = v3ErrorStatus[ctl.Error]; !ok {
			status = http.StatusBadGateway
		}
		body, _ = json.Marshal(map[string]string{"Error": ctl.Error, "Message": ctl.Message})
	}
	return api.NewError(&rest.Response{Response: resp}, status, body)
}
