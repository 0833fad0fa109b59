package spotware_test

import (
	"cmp"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/spotware"
	"github.com/brokerkit/brokerkit/spotware/spotwaretest"
)

// BenchmarkSpotThroughput measures quotes delivered end to end through a
// stream.Stream: the emulator streams three symbols over TLS on loopback
// as fast as it can (up to 200 events per symbol per millisecond) and the
// benchmark reads b.N quotes from the stream, with the default buffer
// (1024) and a large one. events/s is the figure to read; dropped-% is
// the share of quotes the stream dropped (and counted) for this reader.
func BenchmarkSpotThroughput(b *testing.B) {
	for _, buffer := range []int{0, 1 << 16} {
		b.Run(fmt.Sprintf("buffer=%d", cmp.Or(buffer, 1024)), func(b *testing.B) { spotThroughput(b, buffer) })
	}
}

func spotThroughput(b *testing.B, buffer int) {
	srv := spotwaretest.NewServer(spotwaretest.WithSpotPeriod(time.Millisecond, 200))
	defer srv.Close()
	ctx := context.Background()
	p, err := srv.Provider()
	if err != nil {
		b.Fatal(err)
	}
	tok, err := srv.Login(ctx, p)
	if err != nil {
		b.Fatal(err)
	}
	ts, err := auth.NewSource(p, auth.NewMemoryStore(), "bench")
	if err != nil {
		b.Fatal(err)
	}
	if err := ts.SetToken(ctx, tok); err != nil {
		b.Fatal(err)
	}
	cfg := srv.SessionConfig(ts)
	cfg.Streams.Buffer = buffer
	s, err := spotware.Dial(ctx, cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	if err := s.AuthorizeAccount(ctx, spotwaretest.DemoAccount); err != nil {
		b.Fatal(err)
	}
	sub, err := s.StreamQuotes(ctx, spotwaretest.DemoAccount, spotwaretest.EURUSD, spotwaretest.GBPUSD, spotwaretest.XAUUSD)
	if err != nil {
		b.Fatal(err)
	}
	defer sub.Close()
	for range 1000 { // warm up
		<-sub.C()
	}
	before := sub.Stats()
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		if _, ok := <-sub.C(); !ok {
			b.Fatal("stream ended")
		}
	}
	elapsed := time.Since(start)
	after := sub.Stats()
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "events/s")
	b.ReportMetric(100*float64(after.Dropped-before.Dropped)/float64(max(after.Events-before.Events, 1)), "dropped-%")
}

// BenchmarkQuoteReconnect measures how long a quote stream is without
// quotes when the connection is cut: from the cut (the emulator accepts
// again at once) to the first quote the server sent after it. Meanwhile
// the session waits its reconnect backoff (ReconnectMin 100 ms, ±20%) and,
// at the same time, the stream its own (MinBackoff 100 ms, jittered to
// [50, 100] ms): ms/reconnect minus the longer of the two is the work.
func BenchmarkQuoteReconnect(b *testing.B) {
	srv := spotwaretest.NewServer(spotwaretest.WithSpotPeriod(5*time.Millisecond, 1))
	defer srv.Close()
	ctx := context.Background()
	p, err := srv.Provider()
	if err != nil {
		b.Fatal(err)
	}
	tok, err := srv.Login(ctx, p)
	if err != nil {
		b.Fatal(err)
	}
	ts, err := auth.NewSource(p, auth.NewMemoryStore(), "bench")
	if err != nil {
		b.Fatal(err)
	}
	if err := ts.SetToken(ctx, tok); err != nil {
		b.Fatal(err)
	}
	cfg := srv.SessionConfig(ts)
	cfg.ReconnectMin, cfg.ReconnectMax = 100*time.Millisecond, 100*time.Millisecond
	s, err := spotware.Dial(ctx, cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	if err := s.AuthorizeAccount(ctx, spotwaretest.DemoAccount); err != nil {
		b.Fatal(err)
	}
	sub, err := s.StreamQuotes(ctx, spotwaretest.DemoAccount, spotwaretest.EURUSD)
	if err != nil {
		b.Fatal(err)
	}
	defer sub.Close()
	<-sub.C()
	var total time.Duration
	for b.Loop() {
		cut := time.Now()
		srv.DropConnections()
		for {
			q, ok := <-sub.C()
			if !ok {
				b.Fatalf("stream ended: %v", sub.Err())
			}
			if !q.Time.Before(cut.Truncate(time.Millisecond).Add(time.Millisecond)) {
				break // stamped by the server after the cut
			}
		}
		total += time.Since(cut)
	}
	b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "ms/reconnect")
	b.ReportMetric(float64(sub.Stats().Reconnects), "reconnects")
}
