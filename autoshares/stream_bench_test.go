package autoshares_test

import (
	"context"
	"syscall"
	"testing"
	"time"

	"github.com/brokerkit/brokerkit/autoshares"
	"github.com/brokerkit/brokerkit/autoshares/autosharestest"
	"github.com/brokerkit/brokerkit/stream"
	"github.com/shopspring/decimal"
)

// benchStream starts an emulator, logs the trader in, signs the
// agreements and opens a quote stream of AAPL with o, its snapshot read.
func benchStream(b *testing.B, o stream.Options) (*autosharestest.Server, *stream.Stream[autoshares.Quote]) {
	b.Helper()
	ctx := context.Background()
	srv := autosharestest.NewServer()
	b.Cleanup(srv.Close)
	p, err := srv.Provider()
	if err != nil {
		b.Fatal(err)
	}
	tok, err := srv.Login(ctx, p)
	if err != nil {
		b.Fatal(err)
	}
	c := p.NewClient(staticToken{tok}, autoshares.WithStreams(o))
	if _, err := c.Agreements.SignAllRequired(ctx, autoshares.Me); err != nil {
		b.Fatal(err)
	}
	st, err := c.Streams.Quotes(ctx, "AAPL")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	<-st.C()
	return srv, st
}

// BenchmarkQuoteStreamLoopback pushes quotes from the emulator over a
// real WebSocket on 127.0.0.1 through the whole client (decode, dedup,
// stream) to the reader: events/s end to end. Block keeps every event, so
// the figure is delivered quotes, not dropped ones.
func BenchmarkQuoteStreamLoopback(b *testing.B) {
	srv, st := benchStream(b, stream.Options{Policy: stream.Block, Buffer: 4096})
	b.ResetTimer()
	start, cpu0 := time.Now(), cpuTime()
	if srv.BurstQuotes("AAPL", b.N) != 1 {
		b.Fatal("no socket to burst on")
	}
	for range b.N {
		if _, ok := <-st.C(); !ok {
			b.Fatalf("stream ended: %v", st.Err())
		}
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "events/s")
	// The process's CPU time per event, emulator and client together: the
	// cost, which a loaded machine's wall clock hides.
	b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/float64(b.N), "cpu-ns/event")
	if s := st.Stats(); s.Dropped != 0 || s.Duplicates != 0 {
		b.Fatalf("stats %+v", s)
	}
}

// BenchmarkQuoteReconnect times, per operation, a cut of the socket to the
// first quote after it: the stream's backoff (MinBackoff 1 ms, jittered to
// 0.5–1 ms), the redial, the resubscription and the snapshot, which
// carries a change made while the stream was stalled.
func BenchmarkQuoteReconnect(b *testing.B) {
	srv, st := benchStream(b, stream.Options{MinBackoff: time.Millisecond, MaxBackoff: time.Millisecond})
	var total time.Duration
	for i := range b.N {
		b.StopTimer()
		bid := dec("100").Add(decimal.NewFromInt(int64(i + 1)).Mul(dec("0.01")))
		srv.Faults().StallStreams(true)
		srv.SetQuote("AAPL", bid, bid.Add(dec("0.05")), bid)
		time.Sleep(20 * time.Millisecond) // the stalled socket drops it
		srv.Faults().StallStreams(false)
		b.StartTimer()
		start := time.Now()
		srv.Faults().CutStreams()
		for {
			q, ok := <-st.C()
			if !ok {
				b.Fatalf("stream ended: %v", st.Err())
			}
			if q.Bid.Equal(bid) {
				break
			}
		}
		total += time.Since(start)
	}
	b.ReportMetric(float64(total.Microseconds())/float64(b.N)/1000, "ms/reconnect")
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
