package just2trade

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/internal/redact"
	"github.com/brokerkit/brokerkit/internal/rest"
	"github.com/brokerkit/brokerkit/stream"
)

// The broker's WebSockets, on the API host (facts §8).
const (
	accountsFeed   = "accounts"
	marketDataFeed = "marketdata"
)

// Per-kind stream defaults: the broker's data, stated once. Stall: no
// frame at all (a message, or the pong of the keep-alive ping sent every
// third of it) for this long means a dead connection. Resync: pongs but no
// message for this long means a feed that hangs; reconnecting takes a
// fresh snapshot. An active symbol updates many times a minute in market
// hours; orders may rest for hours, and a resync of the account feed only
// costs a snapshot that Update deduplicates.
var (
	quoteDefaults   = stream.Options{Policy: stream.DropOldest, Stall: 30 * time.Second, Resync: 2 * time.Minute}
	accountDefaults = stream.Options{Policy: stream.Block, Stall: 30 * time.Second, Resync: 5 * time.Minute}
)

// idlePing is the keep-alive interval when stall detection is off: the
// broker drops idle sockets.
const idlePing = 10 * time.Second

// readyGrace is how long a new subscription may go without a message
// before the stream counts it accepted: the broker sends no
// acknowledgement, and a feed with nothing to report (no trade today) may
// stay silent. A refusal arriving later still ends the stream at the next
// connection.
const readyGrace = 2 * time.Second

// maxFeedMessage caps one message (the day's orders in one snapshot).
const maxFeedMessage = 8 << 20

// WithStreams sets the client's stream options (buffer, backpressure
// policy, backoff, retries, stall and resync times, OnReconnect). Fields
// left zero take each kind's defaults: quotes drop the oldest event when
// the reader falls behind, account feeds block.
func WithStreams(o stream.Options) Option { return func(co *clientOptions) { co.streams = o } }

// StreamsService opens the broker's WebSocket feeds: market data and the
// account feed (balances, positions, orders, trades). Each stream has its
// own socket, authorised by the client's token on the upgrade request (a
// refused token is refreshed or re-read from the store like on every
// call), pinged to keep it alive, and redialled and resubscribed after a
// cut, a stall or a hang.
type StreamsService service

// Quotes streams market data of symbols: for each, its full quote first,
// then every trade and every change merged into the last known quote.
// When the reader falls behind, the oldest quotes are dropped and counted
// (Stats.Dropped) unless WithStreams says otherwise. A symbol the broker
// refuses comes as a QuoteError event while the others stream on; when it
// refuses them all, Quotes fails with a *StreamError. Lime has no
// market-data feed: there Quotes fails with ErrNotFound.
func (s *StreamsService) Quotes(ctx context.Context, symbols ...string) (*stream.Stream[QuoteEvent], error) {
	if len(symbols) == 0 {
		return nil, rest.Invalid(Name, "quotes stream: no symbol given")
	}
	var syms []string
	for i, sym := range symbols {
		if strings.TrimSpace(sym) == "" {
			return nil, rest.Invalid(Name, "quotes stream: symbol %d is empty", i+1)
		}
		if !slices.Contains(syms, sym) {
			syms = append(syms, sym)
		}
	}
	if err := s.c.check(ctx); err != nil {
		return nil, err
	}
	sub, err := json.Marshal(struct {
		Action  string   `json:"action"`
		Symbols []string `json:"symbols"`
	}{"subscribe", syms})
	if err != nil {
		return nil, err
	}
	o := s.c.streams.With(quoteDefaults)
	dec := newQuoteDecoder() // read by the stream's goroutine only
	return stream.Open(ctx, o, func(ctx context.Context, c *stream.Conn[QuoteEvent]) error {
		ready := false
		var held []QuoteEvent // refusals before the subscription took
		refused := map[string]bool{}
		accept := func() bool {
			if ready {
				return true
			}
			ready = true
			c.Ready()
			for _, ev := range held {
				if !c.Send(ev) {
					return false
				}
			}
			held = nil
			return true
		}
		return s.c.runFeed(ctx, marketDataFeed, sub, keepAlive(o), c.Heartbeat, func() { accept() },
			func(msg []byte) error {
				ev, ok, err := dec.decode(msg)
				switch {
				case err != nil:
					var se *StreamError
					if errors.As(err, &se) && !ready {
						return stream.Permanent(se)
					}
					return fmt.Errorf("just2trade: market data: %w", err)
				case !ok:
					c.Heartbeat() // a message, if not an event
					return nil
				case ev.Kind == QuoteError && !ready:
					refused[ev.Quote.Symbol] = true
					if len(refused) == len(syms) {
						return stream.Permanent(fmt.Errorf("just2trade: quotes stream: every symbol refused: %w", ev.Err))
					}
					held = append(held, ev)
					return nil
				}
				if !accept() || !c.Send(ev) {
					return errEnding
				}
				return nil
			})
	})
}

// Orders streams an account's orders: the day's orders first (again after
// every reconnect, but an order re-sent unchanged is not delivered twice),
// then each change. Nothing is dropped: the stream reads the socket at
// the reader's pace.
func (s *StreamsService) Orders(ctx context.Context, account string) (*stream.Stream[OrderEvent], error) {
	return openAccountFeed(ctx, s.c, account, ordersKind)
}

// Positions streams an account's positions, the whole list each time one
// changes.
func (s *StreamsService) Positions(ctx context.Context, account string) (*stream.Stream[PositionsEvent], error) {
	return openAccountFeed(ctx, s.c, account, positionsKind)
}

// Balances streams balances. The broker sends the full balance list, so
// events come for every account of the user, not only account (whose
// subscription starts the feed).
func (s *StreamsService) Balances(ctx context.Context, account string) (*stream.Stream[BalanceEvent], error) {
	return openAccountFeed(ctx, s.c, account, balancesKind)
}

// Trades streams an account's executions: the day's first, then each new
// one.
func (s *StreamsService) Trades(ctx context.Context, account string) (*stream.Stream[TradeEvent], error) {
	return openAccountFeed(ctx, s.c, account, tradesKind)
}

// openAccountFeed opens one stream of the account feed on its own socket.
// One socket per stream, rather than one shared by all, keeps every
// stream's reconnects, stalls and backpressure its own: a blocked orders
// reader does not hold up balances, and the stream mechanism runs one
// connection per stream. The broker allows several sockets per token.
func openAccountFeed[T any](ctx context.Context, cl *Client, account string, k accountKind[T]) (*stream.Stream[T], error) {
	if err := checkAccount(account); err != nil {
		return nil, err
	}
	if err := cl.check(ctx); err != nil {
		return nil, err
	}
	sub, err := json.Marshal(struct {
		Action  string `json:"action"`
		Account string `json:"account"`
	}{"subscribe" + k.action, account})
	if err != nil {
		return nil, err
	}
	o := cl.streams.With(accountDefaults)
	return stream.Open(ctx, o, func(ctx context.Context, c *stream.Conn[T]) error {
		ready := false
		accept := func() {
			if !ready {
				ready = true
				c.Ready()
			}
		}
		return cl.runFeed(ctx, accountsFeed, sub, keepAlive(o), c.Heartbeat, accept, func(msg []byte) error {
			t, list, err := splitAccount(msg)
			if err != nil {
				return fmt.Errorf("just2trade: account feed: %w", err)
			}
			switch t {
			case "e":
				var first json.RawMessage
				if len(list) > 0 {
					first = list[0]
				}
				se := streamError(first)
				if !ready {
					return stream.Permanent(fmt.Errorf("just2trade: subscribe%s %s: %w", k.action, account, se))
				}
				return se
			case k.t:
			default:
				c.Heartbeat() // a message of another subscription
				return nil
			}
			accept()
			for _, raw := range list {
				key, ev, err := k.decode(account, raw)
				if err != nil {
					return fmt.Errorf("just2trade: account feed: %w: %q message: %w", errMalformed, t, err)
				}
				if !c.Update(key, raw, ev) {
					return errEnding
				}
			}
			return nil
		})
	})
}

// errEnding ends a connection whose stream is closing.
var errEnding = errors.New("just2trade: stream ending")

// keepAlive is the ping interval: a third of the stall time, so that two
// pongs may go missing before the stream counts the socket dead.
func keepAlive(o stream.Options) time.Duration {
	if o.Stall <= 0 {
		return idlePing
	}
	return max(o.Stall/3, time.Millisecond)
}

// feedURL is the WebSocket URL of a feed on the API host: wss for https
// (ws for a loopback http emulator), the base URL's path kept.
func (c *Client) feedURL(feed string) (string, error) {
	u, err := url.Parse(c.rest.BaseURL())
	if err != nil {
		return "", fmt.Errorf("%s: %w: API base URL: %w", Name, ErrInvalidInput, err)
	}
	switch u.Scheme {
	case "https":
		u.Scheme = "wss"
	case "http":
		u.Scheme = "ws"
	}
	u.Path += feed
	return u.String(), nil
}

// runFeed runs one connection of a feed: it dials, sends sub, pings every
// keepAlive, and reads. Everything happens in the calling goroutine (the
// stream's), as stream.Conn requires, and with no hand-over per message:
// handle gets each message, beat each pong (the socket reports pongs from
// inside Read), idle the first pong once readyGrace has passed since the
// subscription (a ping is sent then, besides every keepAlive). It returns when the socket ends,
// handle fails or ctx ends.
func (c *Client) runFeed(ctx context.Context, feed string, sub []byte, every time.Duration,
	beat, idle func(), handle func(msg []byte) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	u, err := c.feedURL(feed)
	if err != nil {
		return stream.Permanent(err)
	}
	var subscribed time.Time
	graced := false
	ws, resp, err := websocket.Dial(ctx, u, &websocket.DialOptions{
		HTTPClient: c.rest.StreamClient(), // the auth transport puts the token on the upgrade
		OnPongReceived: func(context.Context, []byte) {
			beat()
			if !graced && !subscribed.IsZero() && time.Since(subscribed) >= readyGrace {
				graced = true
				idle()
			}
		},
	})
	if err != nil {
		return c.dialError(ctx, feed, resp, err)
	}
	ws.SetReadLimit(maxFeedMessage)
	var wg sync.WaitGroup
	defer func() {
		cancel()
		_ = ws.CloseNow()
		wg.Wait()
	}()
	if err := ws.Write(ctx, websocket.MessageText, sub); err != nil {
		return c.socketError(ctx, feed, err)
	}
	subscribed = time.Now()
	wg.Go(func() {
		// A ping every keepAlive, and one when the grace period ends.
		tick := time.NewTicker(every)
		defer tick.Stop()
		grace := time.NewTimer(readyGrace)
		defer grace.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			case <-grace.C:
			}
			// Ping waits for its pong, which Read receives.
			if ws.Ping(ctx) != nil {
				return
			}
		}
	})
	var buf bytes.Buffer
	for {
		msg, err := readMessage(ctx, ws, &buf)
		if err != nil {
			return c.socketError(ctx, feed, err)
		}
		if err := handle(msg); err != nil {
			if errors.Is(err, errEnding) {
				return nil
			}
			return err
		}
	}
}

// readMessage reads the next message through buf, which is reused, into
// a slice of its own: the message becomes events' Raw, and a slice of
// exactly its size costs less than Read's fresh 512-byte buffer.
func readMessage(ctx context.Context, ws *websocket.Conn, buf *bytes.Buffer) ([]byte, error) {
	_, r, err := ws.Reader(ctx)
	if err != nil {
		return nil, err
	}
	buf.Reset()
	if _, err := buf.ReadFrom(r); err != nil {
		return nil, err
	}
	return bytes.Clone(buf.Bytes()), nil
}

// dialError classifies a failed upgrade: an HTTP answer other than 101 is
// an *Error like any call's (401 a refused token the auth transport could
// not replace, 404 no such feed — Lime has no market-data feed); anything
// else keeps its class (auth.ErrReauthRequired from the transport, a
// network error).
func (c *Client) dialError(ctx context.Context, feed string, resp *http.Response, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if resp != nil && resp.StatusCode != http.StatusSwitchingProtocols {
		var body []byte
		if resp.Body != nil {
			body, _ = io.ReadAll(io.LimitReader(resp.Body, 4<<10))
			_ = resp.Body.Close()
		}
		return c.rest.NewError(&rest.Response{Response: resp}, resp.StatusCode, body)
	}
	return fmt.Errorf("just2trade: %s feed: %w", feed, redact.URLError(err))
}

// socketError classifies the end of an open socket. The broker closes a
// socket whose token it no longer accepts with policy violation (1008):
// that matches auth.ErrInvalidToken, so the stream redials and the
// upgrade's 401 gets the token replaced.
func (c *Client) socketError(ctx context.Context, feed string, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	var ce websocket.CloseError
	if errors.As(err, &ce) {
		msg := fmt.Sprintf("just2trade: the broker closed the %s feed (%d %s)", feed, int(ce.Code), redact.Text(ce.Reason))
		if ce.Code == websocket.StatusPolicyViolation {
			return fmt.Errorf("%s: %w", msg, auth.ErrInvalidToken)
		}
		return errors.New(msg)
	}
	return fmt.Errorf("just2trade: %s feed: %w", feed, err)
}
