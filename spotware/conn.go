package spotware

import (
	"bufio"
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/brokerkit/brokerkit/spotware/internal/wire"
	"github.com/brokerkit/brokerkit/spotware/openapi"
	"google.golang.org/protobuf/proto"
)

// Payload types the reader handles itself.
const (
	ptHeartbeat         = uint32(openapi.ProtoPayloadType_HEARTBEAT_EVENT)
	ptCommonError       = uint32(openapi.ProtoPayloadType_ERROR_RES)
	ptOAError           = uint32(openapi.ProtoOAPayloadType_PROTO_OA_ERROR_RES)
	ptSpot              = uint32(openapi.ProtoOAPayloadType_PROTO_OA_SPOT_EVENT)
	ptTokenInvalidated  = uint32(openapi.ProtoOAPayloadType_PROTO_OA_ACCOUNTS_TOKEN_INVALIDATED_EVENT)
	ptClientDisconnect  = uint32(openapi.ProtoOAPayloadType_PROTO_OA_CLIENT_DISCONNECT_EVENT)
	ptAccountDisconnect = uint32(openapi.ProtoOAPayloadType_PROTO_OA_ACCOUNT_DISCONNECT_EVENT)
	maxKeptWriteBuffer  = 64 << 10
	readBufferSize      = 32 << 10
)

var (
	lenient       = proto.UnmarshalOptions{AllowPartial: true}
	heartbeatWire = wire.AppendFrame(nil, ptHeartbeat, nil, "")
)

// reply is an answer matched to a request by clientMsgId.
type reply struct {
	pt      uint32
	payload []byte
}

// conn is one TLS connection: a reader goroutine that matches answers to
// requests and hands events to the session, and a keepalive goroutine that
// sends heartbeats and watches for silence.
type conn struct {
	s  *Session
	l  *link // the host's link
	nc net.Conn

	wmu  sync.Mutex
	wbuf []byte

	pmu     sync.Mutex
	pending map[string]chan reply

	done      chan struct{}
	closeOnce sync.Once
	err       error // why the connection ended; set before done is closed

	lastRecv atomic.Int64 // unix nanoseconds

	normal, historical *limiter

	spot openapi.ProtoOASpotEvent // owned by the reader goroutine
}

func (s *Session) dialConn(ctx context.Context, l *link) (*conn, error) {
	tc := s.cfg.TLSConfig
	if tc == nil {
		tc = &tls.Config{}
	}
	tc = tc.Clone()
	if tc.ServerName == "" {
		host, _, err := net.SplitHostPort(l.addr)
		if err != nil {
			return nil, fmt.Errorf("spotware: address %q: %v", l.addr, err)
		}
		tc.ServerName = host
	}
	if tc.MinVersion == 0 {
		tc.MinVersion = tls.VersionTLS12
	}
	d := tls.Dialer{NetDialer: &net.Dialer{Timeout: s.cfg.RequestTimeout}, Config: tc}
	nc, err := d.DialContext(ctx, "tcp", l.addr)
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("spotware: connecting to %s: %w", l.addr, ctx.Err())
		}
		return nil, retryable(ErrConnectionLost, "connecting to %s: %v", l.addr, err)
	}
	c := &conn{s: s, l: l, nc: nc, pending: map[string]chan reply{}, done: make(chan struct{}),
		normal: newLimiter(s.cfg.RequestsPerSecond), historical: newLimiter(s.cfg.HistoricalPerSecond)}
	c.lastRecv.Store(time.Now().UnixNano())
	// Close waits for both: nothing of the connection runs after it.
	s.wg.Add(2)
	go c.readLoop()
	go c.keepalive()
	return c, nil
}

// close ends the connection once, failing every pending request.
func (c *conn) close(err error) {
	c.closeOnce.Do(func() {
		c.err = err
		_ = c.nc.Close()
		c.pmu.Lock()
		c.pending = nil
		c.pmu.Unlock()
		close(c.done)
		c.s.connDone(c)
	})
}

func (c *conn) isDone() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

func (c *conn) readLoop() {
	defer c.s.wg.Done()
	r := wire.NewReader(bufio.NewReaderSize(c.nc, readBufferSize), c.s.cfg.MaxFrameSize)
	for {
		body, err := r.Next()
		if err != nil {
			c.close(fmt.Errorf("reading: %w", err))
			return
		}
		c.lastRecv.Store(time.Now().UnixNano())
		env, err := wire.ParseEnvelope(body)
		if err != nil {
			c.close(fmt.Errorf("reading: %w", err))
			return
		}
		if env.ClientMsgID != "" {
			c.pmu.Lock()
			ch, ok := c.pending[env.ClientMsgID]
			delete(c.pending, env.ClientMsgID)
			c.pmu.Unlock()
			if ok {
				if env.PayloadType == ptExecution {
					c.s.onExecution(c, env) // an answer is an account change too, reported in order
				}
				ch <- reply{pt: env.PayloadType, payload: append([]byte(nil), env.Payload...)}
				continue
			}
		}
		c.s.push(c, env)
	}
}

func (c *conn) keepalive() {
	defer c.s.wg.Done()
	hb := time.NewTicker(c.s.cfg.HeartbeatInterval)
	defer hb.Stop()
	check := c.s.cfg.StallTimeout / 4
	wd := time.NewTicker(max(check, time.Millisecond))
	defer wd.Stop()
	for {
		select {
		case <-c.done:
			return
		case <-hb.C:
			_ = c.write(heartbeatWire)
		case <-wd.C:
			silent := time.Since(time.Unix(0, c.lastRecv.Load()))
			if silent > c.s.cfg.StallTimeout {
				c.s.emit(Event{Kind: EventStalled, Host: c.l.addr, Err: fmt.Errorf("%w: nothing received for %s", ErrStalled, silent.Round(time.Millisecond))})
				c.close(retryable(ErrStalled, "nothing received for %s", silent.Round(time.Millisecond)))
				return
			}
		}
	}
}

// write sends one whole frame.
func (c *conn) write(frame []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	return c.writeLocked(frame)
}

func (c *conn) writeLocked(frame []byte) error {
	if c.isDone() {
		return c.lostErr()
	}
	_ = c.nc.SetWriteDeadline(time.Now().Add(c.s.cfg.RequestTimeout))
	if _, err := c.nc.Write(frame); err != nil {
		c.close(fmt.Errorf("writing: %w", err))
		return c.lostErr()
	}
	return nil
}

func (c *conn) send(m proto.Message, id string) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	buf, err := wire.AppendMessage(c.wbuf[:0], m, id, proto.MarshalOptions{})
	if err != nil {
		return fmt.Errorf("spotware: encoding %s: %w", m.ProtoReflect().Descriptor().Name(), err)
	}
	if cap(buf) <= maxKeptWriteBuffer {
		c.wbuf = buf
	}
	return c.writeLocked(buf)
}

func (c *conn) lostErr() error {
	<-c.done
	return retryable(ErrConnectionLost, "%v", c.err)
}

// roundTrip sends req and waits for the answer with its clientMsgId,
// decoding it into res or into an *Error.
func (c *conn) roundTrip(ctx context.Context, req, res proto.Message) error {
	pt, ok := wire.PayloadType(req)
	if !ok {
		return fmt.Errorf("spotware: %s is not a request message", req.ProtoReflect().Descriptor().FullName())
	}
	lim := c.normal
	if c.s.historical[pt] {
		lim = c.historical
	}
	if err := lim.wait(ctx); err != nil {
		return fmt.Errorf("spotware: %s: waiting for the rate limit: %w", payloadName(pt), err)
	}
	if sec := requestSecrets(req); sec != nil {
		c.s.remember(sec...)
	}
	id := c.s.nextMsgID()
	ch := make(chan reply, 1)
	c.pmu.Lock()
	if c.pending == nil {
		c.pmu.Unlock()
		return c.lostErr()
	}
	c.pending[id] = ch
	c.pmu.Unlock()
	defer func() {
		c.pmu.Lock()
		delete(c.pending, id)
		c.pmu.Unlock()
	}()
	if err := c.send(req, id); err != nil {
		return err
	}
	timer := time.NewTimer(c.s.cfg.RequestTimeout)
	defer timer.Stop()
	select {
	case r := <-ch:
		return decodeReply(r, pt, res, c.s.secrets)
	case <-ctx.Done():
		return fmt.Errorf("spotware: %s: %w", payloadName(pt), ctx.Err())
	case <-timer.C:
		return retryable(ErrTimeout, "%s: no answer in %s", payloadName(pt), c.s.cfg.RequestTimeout)
	case <-c.done:
		select {
		case r := <-ch:
			return decodeReply(r, pt, res, c.s.secrets)
		default:
		}
		return fmt.Errorf("spotware: %s: %w", payloadName(pt), c.lostErr())
	}
}

// decodeReply decodes r into res, or into an *Error cleaned of secrets()
// (called only for an error answer).
func decodeReply(r reply, reqType uint32, res proto.Message, secrets func() []string) error {
	switch r.pt {
	case ptOAError:
		var m openapi.ProtoOAErrorRes
		if err := lenient.Unmarshal(r.payload, &m); err != nil {
			return fmt.Errorf("%w: %s: error answer does not decode: %v", ErrUnexpectedResponse, payloadName(reqType), err)
		}
		return errorFromOA(&m, reqType, secrets()...)
	case ptCommonError:
		var m openapi.ProtoErrorRes
		if err := lenient.Unmarshal(r.payload, &m); err != nil {
			return fmt.Errorf("%w: %s: error answer does not decode: %v", ErrUnexpectedResponse, payloadName(reqType), err)
		}
		return errorFromCommon(&m, reqType, secrets()...)
	case ptOrderError:
		var m openapi.ProtoOAOrderErrorEvent
		if err := lenient.Unmarshal(r.payload, &m); err != nil {
			return fmt.Errorf("%w: %s: order error does not decode: %v", ErrUnexpectedResponse, payloadName(reqType), err)
		}
		return orderError(&m, reqType, secrets()...)
	}
	want, _ := wire.PayloadType(res)
	if r.pt != want {
		return fmt.Errorf("%w: %s answered with %s, want %s", ErrUnexpectedResponse, payloadName(reqType), payloadName(r.pt), payloadName(want))
	}
	if err := lenient.Unmarshal(r.payload, res); err != nil {
		return fmt.Errorf("%w: %s does not decode: %v", ErrUnexpectedResponse, payloadName(r.pt), err)
	}
	return nil
}
