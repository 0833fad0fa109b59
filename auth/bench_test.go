package auth_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/internal/oauthsim"
)

// BenchmarkTokenSourceCached measures the hot path: a valid cached token
// asked for from every core at once. x-oauth2 is golang.org/x/oauth2's
// ReuseTokenSource, the baseline, in the same run.
func BenchmarkTokenSourceCached(b *testing.B) {
	s := newSim(b, nil, rotatingCaps())
	tok := s.login()
	tok.Expiry = time.Now().Add(24 * time.Hour)

	b.Run("brokerkit", func(b *testing.B) {
		src, err := auth.NewSource(s.p, auth.NewMemoryStore(), "bench")
		if err != nil {
			b.Fatal(err)
		}
		if err := src.SetToken(context.Background(), tok); err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if t, err := src.Token(); err != nil || t == nil {
					b.Error("no token", err)
					return
				}
			}
		})
	})
	b.Run("brokerkit-ctx", func(b *testing.B) {
		src, err := auth.NewSource(s.p, auth.NewMemoryStore(), "bench")
		if err != nil {
			b.Fatal(err)
		}
		if err := src.SetToken(context.Background(), tok); err != nil {
			b.Fatal(err)
		}
		ctx := context.Background()
		b.ReportAllocs()
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if t, err := src.TokenContext(ctx); err != nil || t == nil {
					b.Error("no token", err)
					return
				}
			}
		})
	})
	b.Run("x-oauth2", func(b *testing.B) {
		o := tok.OAuth2()
		src := oauth2.ReuseTokenSource(o, oauth2.StaticTokenSource(o))
		b.ReportAllocs()
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if t, err := src.Token(); err != nil || t == nil {
					b.Error("no token", err)
					return
				}
			}
		})
	})
}

// BenchmarkRefreshStorm measures how long 1,000 goroutines that find the
// token stale at the same moment take until every one holds the new token,
// against one bare token request in the same run. The storm costs one
// token request, so storm/bare near 1 means the waiting adds little. The
// source runs on the real clock, as in production; the cached token is
// made stale with Invalidate, which takes the same path as expiry.
//
// floor-ns is the scheduling cost alone: the same 1,000 goroutines woken,
// then woken again by one goroutine that does no work.
func BenchmarkRefreshStorm(b *testing.B) {
	const n = 1000
	s := newSim(b, func(c *oauthsim.Config) {
		c.Refresh = oauthsim.RefreshPolicy{Mode: oauthsim.RefreshStatic, ReturnOnRefresh: true}
	}, auth.Capabilities{Refresh: true})
	src, err := auth.NewSource(s.p, auth.NewMemoryStore(), "bench")
	if err != nil {
		b.Fatal(err)
	}
	tok := s.login()
	tok.Expiry = time.Now().Add(time.Hour)
	ctx := context.Background()
	if err := src.SetToken(ctx, tok); err != nil {
		b.Fatal(err)
	}
	var storm, bare, floor time.Duration
	for b.Loop() {
		floor += stormFloor(n)

		t0 := time.Now()
		if _, err := s.p.Refresh(ctx, tok); err != nil {
			b.Fatal(err)
		}
		bare += time.Since(t0)

		src.Invalidate(nil)
		before := s.tokenCalls.Load()
		start := make(chan struct{})
		var ready, done sync.WaitGroup
		ready.Add(n)
		done.Add(n)
		for range n {
			go func() {
				defer done.Done()
				ready.Done()
				<-start
				if _, err := src.TokenContext(ctx); err != nil {
					b.Error(err)
				}
			}()
		}
		ready.Wait()
		t1 := time.Now()
		close(start)
		done.Wait()
		storm += time.Since(t1)
		if got := s.tokenCalls.Load() - before; got != 1 {
			b.Fatalf("storm sent %d token requests", got)
		}
	}
	b.ReportMetric(float64(storm.Nanoseconds())/float64(b.N), "storm-ns")
	b.ReportMetric(float64(bare.Nanoseconds())/float64(b.N), "bare-ns")
	b.ReportMetric(float64(floor.Nanoseconds())/float64(b.N), "floor-ns")
	b.ReportMetric(float64(storm)/float64(bare), "storm/bare")
}

// stormFloor times n goroutines released at once that then wait for one
// of them to start a goroutine that signals completion.
func stormFloor(n int) time.Duration {
	start, finished := make(chan struct{}), make(chan struct{})
	var once sync.Once
	var ready, done sync.WaitGroup
	ready.Add(n)
	done.Add(n)
	for range n {
		go func() {
			defer done.Done()
			ready.Done()
			<-start
			once.Do(func() { go close(finished) })
			<-finished
		}()
	}
	ready.Wait()
	t := time.Now()
	close(start)
	done.Wait()
	return time.Since(t)
}
