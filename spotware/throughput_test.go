package spotware_test

import (
	"context"
	"testing"
	"time"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/spotware"
	"github.com/brokerkit/brokerkit/spotware/spotwaretest"
)

// BenchmarkSpotThroughput measures quotes delivered end to end: the
// emulator streams three symbols over TLS on loopback as fast as it can
// (up to 200 events per symbol per millisecond) and the benchmark reads b.N
// quotes from the subscription. events/s is the figure to read.
func BenchmarkSpotThroughput(b *testing.B) {
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
	cfg.Streams.Buffer = 1 << 16
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
	for range 1000 { // warm up
		<-sub.C()
	}
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		if _, ok := <-sub.C(); !ok {
			b.Fatal("subscription ended")
		}
	}
	elapsed := time.Since(start)
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "events/s")
	b.ReportMetric(float64(sub.Stats().Dropped), "dropped")
}
