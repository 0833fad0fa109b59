package tradestation_test

import (
	"context"
	"testing"
	"time"

	"github.com/brokerkit/brokerkit/stream"
	"github.com/brokerkit/brokerkit/tradestation"
	"github.com/brokerkit/brokerkit/tradestation/tradestationtest"
)

// benchClient starts an emulator and returns a client with stream options
// o on a fixed v3 token.
func benchClient(b *testing.B, o stream.Options) (*tradestationtest.Server, *tradestation.Client) {
	b.Helper()
	srv := tradestationtest.NewServer(tradestationtest.WithRateLimits(tradestationtest.RateLimits{}))
	b.Cleanup(srv.Close)
	tok, err := srv.IssueV3()
	if err != nil {
		b.Fatal(err)
	}
	p, err := srv.Provider()
	if err != nil {
		b.Fatal(err)
	}
	return srv, p.NewClient(fixedToken{tok}, tradestation.WithStreams(o))
}

// BenchmarkStreamQuotesE2E pushes quote changes from the emulator over
// loopback HTTP (BurstQuotes) through the SDK's quote stream to a reader:
// events/s is what arrives through stream.Stream, whole quotes merged. The
// stream blocks rather than drops here, so that every change is counted.
//
//	go test ./tradestation -run '^$' -bench BenchmarkStreamQuotesE2E -count 6
func BenchmarkStreamQuotesE2E(b *testing.B) {
	srv, c := benchClient(b, stream.Options{Policy: stream.Block, Buffer: 4096})
	s, err := c.Streams.Quotes(context.Background(), "MSFT")
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	<-s.C() // the whole quote
	const burst = 50000
	var n int
	start := time.Now()
	for b.Loop() {
		if srv.BurstQuotes("MSFT", burst) != 1 {
			b.Fatal("the stream is not open")
		}
		for range burst {
			ev, ok := <-s.C()
			if !ok {
				b.Fatal(s.Err())
			}
			if ev.Last.IsZero() || ev.Volume.IsZero() {
				b.Fatalf("not a whole quote: %+v", ev.Quote)
			}
			n++
		}
	}
	b.ReportMetric(float64(n)/time.Since(start).Seconds(), "events/s")
	b.ReportMetric(0, "ns/op")
}

// BenchmarkStreamReconnect measures the time from a cut (the emulator ends
// the stream and takes new ones at once) to the first event of the new
// connection, with MinBackoff 20 ms (a jittered wait of 10-20 ms).
//
//	go test ./tradestation -run '^$' -bench BenchmarkStreamReconnect -count 6
func BenchmarkStreamReconnect(b *testing.B) {
	const backoff = 20 * time.Millisecond
	srv, c := benchClient(b, stream.Options{MinBackoff: backoff, MaxBackoff: backoff})
	s, err := c.Streams.Quotes(context.Background(), "MSFT")
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	<-s.C()
	var total time.Duration
	for b.Loop() {
		t0 := time.Now()
		if srv.Faults().CutStreams() != 1 {
			b.Fatal("no stream to cut")
		}
		if _, ok := <-s.C(); !ok {
			b.Fatal(s.Err())
		}
		total += time.Since(t0)
	}
	b.ReportMetric(float64(total)/float64(time.Millisecond)/float64(b.N), "ms/reconnect")
	b.ReportMetric(float64(backoff.Milliseconds()), "ms-backoff-max")
}
