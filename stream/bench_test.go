package stream_test

import (
	"context"
	"testing"
	"time"

	"github.com/brokerkit/brokerkit/stream"
)

// BenchmarkSend measures what the stream adds to handing an event to a
// reader: batches of events through a bare buffered channel (the
// baseline) and through a Stream's Conn.Send alternate in one loop, and
// the ratio of their per-event times is reported as x-bare.
//
//	go test ./stream -run '^$' -bench Send -count 6
func BenchmarkSend(b *testing.B) {
	for _, p := range []stream.Policy{stream.DropOldest, stream.Block} {
		b.Run(p.String(), func(b *testing.B) {
			const batch = 4096
			bare := make(chan int, 1024)
			feed := make(chan int) // batch sizes to the stream's connection
			sent := make(chan struct{})
			s, err := stream.Open(context.Background(), stream.Options{Policy: p, Stall: -1, Resync: -1},
				func(ctx context.Context, c *stream.Conn[int]) error {
					c.Ready()
					for {
						select {
						case n := <-feed:
							for i := range n {
								c.Send(i)
							}
							sent <- struct{}{}
						case <-ctx.Done():
							return nil
						}
					}
				})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			var tBare, tStream time.Duration
			events := 0
			for b.Loop() {
				start := time.Now()
				go func() {
					for i := range batch {
						bare <- i
					}
				}()
				for range batch {
					<-bare
				}
				mid := time.Now()
				feed <- batch
			read:
				for {
					select {
					case <-s.C():
					case <-sent:
						break read
					}
				}
				for len(s.C()) > 0 { // what is left after the last Send
					<-s.C()
				}
				end := time.Now()
				tBare += mid.Sub(start)
				tStream += end.Sub(mid)
				events += batch
			}
			b.ReportMetric(float64(tStream.Nanoseconds())/float64(events), "ns/event")
			b.ReportMetric(float64(tBare.Nanoseconds())/float64(events), "bare-ns/event")
			b.ReportMetric(float64(tStream)/float64(tBare), "x-bare")
			b.ReportMetric(float64(events)/tStream.Seconds(), "events/s")
		})
	}
}
