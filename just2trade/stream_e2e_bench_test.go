package just2trade_test

import (
	"context"
	"testing"
	"time"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/just2trade"
	"github.com/brokerkit/brokerkit/just2trade/just2tradetest"
	"github.com/brokerkit/brokerkit/stream"
)

// benchClient logs the seeded user in to a fresh emulator and returns it
// with a client streaming with o.
func benchClient(b *testing.B, o stream.Options) (*just2tradetest.Server, *just2trade.Client) {
	b.Helper()
	srv := just2tradetest.NewServer()
	b.Cleanup(srv.Close)
	p, err := srv.Provider()
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	tok, err := srv.Login(ctx, p)
	if err != nil {
		b.Fatal(err)
	}
	src, err := auth.NewSource(p, auth.NewMemoryStore(), auth.Key(p.Name(), "bench"))
	if err != nil {
		b.Fatal(err)
	}
	if err := src.SetToken(ctx, tok); err != nil {
		b.Fatal(err)
	}
	return srv, p.NewClient(src, just2trade.WithBaseTransport(srv.Client().Transport), just2trade.WithStreams(o))
}

// BenchmarkStreamQuotesLoopback: quotes pushed by the emulator as fast as
// the socket takes them, through the WebSocket, the decoder and
// stream.Stream to the reader, over 127.0.0.1. Reported: events/s reaching
// the reader, and the drops (the reader keeps up, so there should be
// none).
func BenchmarkStreamQuotesLoopback(b *testing.B) {
	srv, c := benchClient(b, stream.Options{Buffer: 4096})
	st, err := c.Streams.Quotes(context.Background(), "AAPL")
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	<-st.C() // the snapshot
	const burst = 10000
	b.ResetTimer()
	cpu0 := cpuTime()
	start := time.Now()
	var got uint64
	for b.Loop() {
		base := st.Stats()
		if srv.BurstQuotes("AAPL", burst) != 1 {
			b.Fatal("the burst reached no socket")
		}
		stuck := time.NewTimer(10 * time.Second)
		for n := 0; n < burst; {
			if st.Stats().Dropped-base.Dropped+uint64(n) >= burst {
				break
			}
			select {
			case <-st.C():
				n++
				got++
			case <-stuck.C:
				b.Fatalf("burst stuck after %d events", n)
			}
		}
		stuck.Stop()
	}
	el := time.Since(start)
	cpu := cpuTime() - cpu0
	b.ReportMetric(float64(got)/el.Seconds(), "events/s")
	// Per second of this process's CPU (emulator and client both): the
	// figure a busy machine does not skew.
	b.ReportMetric(float64(got)/cpu.Seconds(), "events/cpu-s")
	b.ReportMetric(float64(st.Stats().Dropped), "dropped")
}

// BenchmarkStreamReconnect: the time from the emulator taking connections
// again after an outage (sockets cut, upgrades refused with 503) to the
// first event of the new socket. The stream's backoff is 50 ms, jittered
// to 25–50 ms; the figure includes whatever part of it was still to run.
func BenchmarkStreamReconnect(b *testing.B) {
	srv, c := benchClient(b, stream.Options{MinBackoff: 50 * time.Millisecond, MaxBackoff: 50 * time.Millisecond})
	st, err := c.Streams.Quotes(context.Background(), "MSFT")
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	<-st.C()
	var total time.Duration
	b.ResetTimer()
	for b.Loop() {
		srv.Faults().Next("/marketdata", just2tradetest.Fault{Status: 503}, 0)
		srv.Faults().CutStreams()
		time.Sleep(120 * time.Millisecond) // down: a few refused redials
		srv.Faults().Clear()
		back := time.Now()
		select {
		case <-st.C():
		case <-time.After(5 * time.Second):
			b.Fatal("no event after the outage")
		}
		total += time.Since(back)
	}
	b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "ms/first-event")
}
