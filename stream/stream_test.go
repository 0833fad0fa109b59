package stream_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/internal/rest"
	"github.com/brokerkit/brokerkit/stream"
)

// fast keeps reconnects quick in tests.
var fast = stream.Options{MinBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond}

func collect[T any](t *testing.T, s *stream.Stream[T], n int) []T {
	t.Helper()
	var out []T
	timeout := time.After(5 * time.Second)
	for len(out) < n {
		select {
		case v, ok := <-s.C():
			if !ok {
				t.Fatalf("stream ended after %d of %d events: %v", len(out), n, s.Err())
			}
			out = append(out, v)
		case <-timeout:
			t.Fatalf("only %d of %d events in 5s", len(out), n)
		}
	}
	return out
}

func drain[T any](t *testing.T, s *stream.Stream[T]) []T {
	t.Helper()
	var out []T
	timeout := time.After(5 * time.Second)
	for {
		select {
		case v, ok := <-s.C():
			if !ok {
				return out
			}
			out = append(out, v)
		case <-timeout:
			t.Fatal("stream did not end in 5s")
		}
	}
}

func TestOpenReturnsFirstConnectionError(t *testing.T) {
	boom := errors.New("wrong path")
	var calls atomic.Int32
	s, err := stream.Open(context.Background(), fast, func(ctx context.Context, c *stream.Conn[int]) error {
		calls.Add(1)
		return boom
	})
	require.ErrorIs(t, err, boom)
	assert.Nil(t, s)
	assert.EqualValues(t, 1, calls.Load(), "the first connection is not retried")

	_, err = stream.Open(context.Background(), fast, func(ctx context.Context, c *stream.Conn[int]) error { return nil })
	require.Error(t, err, "a first connection that ends before Ready is an error")
}

func TestOpenHonoursContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := stream.Open(ctx, fast, func(ctx context.Context, c *stream.Conn[int]) error {
		<-ctx.Done()
		return errors.New("dial aborted")
	})
	require.ErrorIs(t, err, context.Canceled)
}

// TestReconnectResubscribes: every connection runs connect again (dial and
// subscribe), events continue, and Reconnects and OnReconnect say so.
func TestReconnectResubscribes(t *testing.T) {
	var conns atomic.Int32
	var reasons []error
	var mu sync.Mutex
	o := fast
	o.OnReconnect = func(err error) { mu.Lock(); reasons = append(reasons, err); mu.Unlock() }
	s, err := stream.Open(context.Background(), o, func(ctx context.Context, c *stream.Conn[int]) error {
		n := int(conns.Add(1))
		c.Ready()
		c.Send(n)
		if n < 3 {
			return fmt.Errorf("connection %d cut", n)
		}
		<-ctx.Done()
		return ctx.Err()
	})
	require.NoError(t, err)
	assert.Equal(t, []int{1, 2, 3}, collect(t, s, 3))
	require.NoError(t, s.Close())
	assert.NoError(t, s.Err())
	assert.EqualValues(t, 2, s.Stats().Reconnects)
	mu.Lock()
	defer mu.Unlock()
	require.Len(t, reasons, 2)
	assert.EqualError(t, reasons[0], "connection 1 cut")
}

func TestTerminalErrorsEndTheStream(t *testing.T) {
	for _, terminal := range []error{
		auth.ErrReauthRequired, auth.ErrUnsupported, auth.ErrInvalidClient, auth.ErrInsufficientScope,
		rest.ErrInvalidInput, rest.ErrForbidden, rest.ErrNotFound, rest.ErrBadRequest,
		stream.Permanent(errors.New("every symbol invalid")),
	} {
		t.Run(terminal.Error(), func(t *testing.T) {
			var conns atomic.Int32
			s, err := stream.Open(context.Background(), fast, func(ctx context.Context, c *stream.Conn[int]) error {
				if conns.Add(1) == 1 {
					c.Ready()
					return errors.New("cut")
				}
				return fmt.Errorf("second connection: %w", terminal)
			})
			require.NoError(t, err)
			drain(t, s)
			require.ErrorIs(t, s.Err(), terminal)
			assert.EqualValues(t, 2, conns.Load())
		})
	}
}

// TestRefusedTokenThriceNeedsLogin: a refused token is retried (the
// transport refreshes), but three refusals in a row mean a new login.
func TestRefusedTokenThriceNeedsLogin(t *testing.T) {
	var conns atomic.Int32
	s, err := stream.Open(context.Background(), fast, func(ctx context.Context, c *stream.Conn[int]) error {
		if conns.Add(1) == 1 {
			c.Ready()
		}
		return fmt.Errorf("upgrade refused: %w", auth.ErrInvalidToken)
	})
	require.NoError(t, err)
	drain(t, s)
	require.ErrorIs(t, s.Err(), auth.ErrReauthRequired)
	require.ErrorIs(t, s.Err(), auth.ErrInvalidToken)
	assert.EqualValues(t, 3, conns.Load())
}

func TestMaxRetries(t *testing.T) {
	o := fast
	o.MaxRetries = 2
	var conns atomic.Int32
	s, err := stream.Open(context.Background(), o, func(ctx context.Context, c *stream.Conn[int]) error {
		if conns.Add(1) == 1 {
			c.Ready()
		}
		return errors.New("server down")
	})
	require.NoError(t, err)
	drain(t, s)
	require.EqualError(t, s.Err(), "server down")
	assert.EqualValues(t, 3, conns.Load(), "the first connection and two retries")
}

func TestContextEndsStreamWithoutError(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	s, err := stream.Open(ctx, fast, func(ctx context.Context, c *stream.Conn[int]) error {
		c.Ready()
		<-ctx.Done()
		return errors.New("read aborted")
	})
	require.NoError(t, err)
	cancel()
	drain(t, s)
	assert.NoError(t, s.Err())
}

// TestDropOldestKeepsNewest: a reader that does not keep up loses the
// oldest events, never the newest, and every loss is counted.
func TestDropOldestKeepsNewest(t *testing.T) {
	o := fast
	o.Buffer, o.Policy = 4, stream.DropOldest
	sent := make(chan struct{})
	s, err := stream.Open(context.Background(), o, func(ctx context.Context, c *stream.Conn[int]) error {
		c.Ready()
		for i := 1; i <= 100; i++ {
			c.Send(i)
		}
		close(sent)
		<-ctx.Done()
		return nil
	})
	require.NoError(t, err)
	<-sent
	assert.Equal(t, []int{97, 98, 99, 100}, collect(t, s, 4))
	st := s.Stats()
	assert.EqualValues(t, 100, st.Events)
	assert.EqualValues(t, 96, st.Dropped)
	require.NoError(t, s.Close())
}

// TestBlockLosesNothing: under Block a slow reader slows the stream down
// and sees every event, and the wait on the reader is not a stall.
func TestBlockLosesNothing(t *testing.T) {
	o := fast
	o.Buffer, o.Policy, o.Stall = 2, stream.Block, 30*time.Millisecond
	var conns atomic.Int32
	s, err := stream.Open(context.Background(), o, func(ctx context.Context, c *stream.Conn[int]) error {
		conns.Add(1)
		c.Ready()
		for i := 1; i <= 20; i++ {
			if !c.Send(i) {
				return nil
			}
		}
		<-ctx.Done()
		return nil
	})
	require.NoError(t, err)
	time.Sleep(100 * time.Millisecond) // the reader is away for longer than Stall
	var got []int
	for range 20 {
		got = append(got, collect(t, s, 1)...)
	}
	for i := range got {
		require.Equal(t, i+1, got[i])
	}
	assert.Zero(t, s.Stats().Dropped)
	assert.EqualValues(t, 1, conns.Load(), "waiting on the reader was taken for a stall")
	require.NoError(t, s.Close())
}

// TestStallReconnects: a connection that goes silent (no event, no
// heartbeat) is given up and made again.
func TestStallReconnects(t *testing.T) {
	o := fast
	o.Stall = 40 * time.Millisecond
	reasons := make(chan error, 10)
	o.OnReconnect = func(err error) { reasons <- err }
	var conns atomic.Int32
	s, err := stream.Open(context.Background(), o, func(ctx context.Context, c *stream.Conn[int]) error {
		n := int(conns.Add(1))
		c.Ready()
		c.Send(n)
		<-ctx.Done() // silent until the watchdog gives up
		return ctx.Err()
	})
	require.NoError(t, err)
	assert.Equal(t, []int{1, 2}, collect(t, s, 2))
	require.ErrorIs(t, <-reasons, stream.ErrStalled)
	require.NoError(t, s.Close())
}

// TestHeartbeatsKeepAStreamAliveButResyncAQuietOne: heartbeats satisfy
// Stall; a stream with only heartbeats for Resync is made again.
func TestHeartbeatsKeepAStreamAliveButResyncAQuietOne(t *testing.T) {
	o := fast
	o.Stall, o.Resync = 30*time.Millisecond, 150*time.Millisecond
	reasons := make(chan error, 10)
	o.OnReconnect = func(err error) { reasons <- err }
	var conns atomic.Int32
	s, err := stream.Open(context.Background(), o, func(ctx context.Context, c *stream.Conn[int]) error {
		conns.Add(1)
		c.Ready()
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-tick.C:
				c.Heartbeat()
			}
		}
	})
	require.NoError(t, err)
	start := time.Now()
	select {
	case r := <-reasons:
		require.ErrorIs(t, r, stream.ErrResync)
		assert.GreaterOrEqual(t, time.Since(start), 100*time.Millisecond, "heartbeats were taken for a stall")
	case <-time.After(5 * time.Second):
		t.Fatal("no resync")
	}
	assert.Positive(t, s.Stats().Heartbeats)
	require.NoError(t, s.Close())
}

// TestUpdateDeliversEachChangeOnce: a broker that re-sends its order
// snapshot on each connection yields each order state once, and a change
// made while the connection was down is delivered.
func TestUpdateDeliversEachChangeOnce(t *testing.T) {
	type order struct{ ID, Status string }
	snapshots := [][]order{
		{{"1", "Open"}, {"2", "Open"}},
		{{"1", "Open"}, {"2", "Filled"}, {"3", "Open"}}, // 2 filled and 3 placed while cut
		{{"1", "Open"}, {"2", "Filled"}, {"3", "Open"}},
	}
	var conns atomic.Int32
	o := fast
	o.Policy = stream.Block
	s, err := stream.Open(context.Background(), o, func(ctx context.Context, c *stream.Conn[order]) error {
		n := int(conns.Add(1))
		c.Ready()
		if n > len(snapshots) {
			<-ctx.Done()
			return nil
		}
		for _, ord := range snapshots[n-1] {
			c.Update(ord.ID, []byte(ord.ID+":"+ord.Status), ord)
		}
		return errors.New("cut")
	})
	require.NoError(t, err)
	got := collect(t, s, 4)
	assert.Equal(t, []order{{"1", "Open"}, {"2", "Open"}, {"2", "Filled"}, {"3", "Open"}}, got)
	require.Eventually(t, func() bool { return conns.Load() > 3 }, 5*time.Second, time.Millisecond)
	select {
	case extra := <-s.C():
		t.Fatalf("duplicate event %v", extra)
	default:
	}
	assert.EqualValues(t, 4, s.Stats().Duplicates)
	require.NoError(t, s.Close())
}

func TestMap(t *testing.T) {
	src, err := stream.Open(context.Background(), fast, func(ctx context.Context, c *stream.Conn[int]) error {
		c.Ready()
		for i := 1; i <= 6; i++ {
			c.Send(i)
		}
		return stream.Permanent(errors.New("done"))
	})
	require.NoError(t, err)
	even := stream.Map(src, func(i int) (string, bool) { return fmt.Sprint(i * 10), i%2 == 0 })
	assert.Equal(t, []string{"20", "40", "60"}, drain(t, even))
	require.EqualError(t, even.Err(), "done")
	assert.EqualValues(t, 3, even.Stats().Events)

	// Closing the mapped stream closes its source.
	var closed atomic.Bool
	src, err = stream.Open(context.Background(), fast, func(ctx context.Context, c *stream.Conn[int]) error {
		c.Ready()
		<-ctx.Done()
		closed.Store(true)
		return nil
	})
	require.NoError(t, err)
	m := stream.Map(src, func(i int) (int, bool) { return i, true })
	require.NoError(t, m.Close())
	drain(t, src)
	assert.True(t, closed.Load())
	assert.NoError(t, m.Err())
}

func TestRateLimitWaitsRetryAfter(t *testing.T) {
	var conns atomic.Int32
	var second atomic.Int64
	start := time.Now()
	s, err := stream.Open(context.Background(), fast, func(ctx context.Context, c *stream.Conn[int]) error {
		switch conns.Add(1) {
		case 1:
			c.Ready()
			return &auth.RateLimitError{StatusCode: 429, RetryAfter: 120 * time.Millisecond}
		case 2:
			second.Store(int64(time.Since(start)))
			c.Ready()
		}
		<-ctx.Done()
		return nil
	})
	require.NoError(t, err)
	require.Eventually(t, func() bool { return conns.Load() >= 2 }, 5*time.Second, time.Millisecond)
	assert.GreaterOrEqual(t, time.Duration(second.Load()), 120*time.Millisecond)
	require.NoError(t, s.Close())
}

func TestOptionsWith(t *testing.T) {
	d := stream.Options{Buffer: 8, Policy: stream.Block, Stall: time.Second, Resync: time.Minute}
	got := stream.Options{Buffer: 2, Stall: -1}.With(d)
	assert.Equal(t, 2, got.Buffer)
	assert.Equal(t, stream.Block, got.Policy)
	assert.Equal(t, time.Duration(-1), got.Stall)
	assert.Equal(t, time.Minute, got.Resync)
	assert.Equal(t, "Block", stream.Block.String())
}

// TestStatsNeverLagTheReader: an event a reader holds is already counted,
// so a program (or a test) comparing what it read with Stats sees no gap.
// Each event is sent to a reader already waiting for it, the moment a
// late count would show.
func TestStatsNeverLagTheReader(t *testing.T) {
	for _, p := range []stream.Policy{stream.Block, stream.DropOldest} {
		o := fast
		o.Policy = p
		ack := make(chan struct{})
		s, err := stream.Open(context.Background(), o, func(ctx context.Context, c *stream.Conn[int]) error {
			c.Ready()
			for i := 1; i <= 3000; i++ {
				c.Send(i)
				select {
				case <-ack:
				case <-ctx.Done():
					return nil
				}
			}
			<-ctx.Done()
			return nil
		})
		require.NoError(t, err)
		for i := 1; i <= 3000; i++ {
			<-s.C()
			if st := s.Stats(); st.Events < uint64(i) {
				t.Fatalf("%s: read %d events, Stats says %d", p, i, st.Events)
			}
			ack <- struct{}{}
		}
		require.NoError(t, s.Close())
	}
}
