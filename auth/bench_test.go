package auth_test

import (
	"context"
	"sync"
	"sync/atomic"
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
// token expired at the same moment take until every one holds the new
// token, against an ideal single flight in the same run: the same 1,000
// goroutines released at once, one of them sending one bare token request
// and the others waiting for it. storm/ideal near 1 means the source adds
// little to the one request the storm costs. The source runs on the real
// clock, as in production; each round installs an expired token.
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
	ctx := context.Background()
	var storm, ideal, floor time.Duration
	for b.Loop() {
		floor += stormFloor(n)

		var once sync.Once
		done := make(chan struct{})
		ideal += stormOf(n, func() {
			once.Do(func() {
				if _, err := s.p.Refresh(ctx, tok); err != nil {
					b.Error(err)
				}
				close(done)
			})
			<-done
		})

		expired := tok.Clone()
		expired.Expiry = time.Now().Add(-time.Second)
		if err := src.SetToken(ctx, expired); err != nil {
			b.Fatal(err)
		}
		before := s.tokenCalls.Load()
		storm += stormOf(n, func() {
			if got, err := src.TokenContext(ctx); err != nil || got.AccessToken == tok.AccessToken {
				b.Error("no new token", err)
			}
		})
		if got := s.tokenCalls.Load() - before; got != 1 {
			b.Fatalf("storm sent %d token requests", got)
		}
	}
	b.ReportMetric(float64(storm.Nanoseconds())/float64(b.N), "storm-ns")
	b.ReportMetric(float64(ideal.Nanoseconds())/float64(b.N), "ideal-ns")
	b.ReportMetric(float64(floor.Nanoseconds())/float64(b.N), "floor-ns")
	b.ReportMetric(float64(storm)/float64(ideal), "storm/ideal")
}

// BenchmarkRefreshAheadStorm measures 1,000 goroutines asking at once for
// a token past its refresh time but still valid, while the token endpoint
// does not answer: none may wait (a caller that did would time out and
// fail the run), and the storm's time is compared with the same storm on a
// fresh token in the same run (ahead/fresh).
func BenchmarkRefreshAheadStorm(b *testing.B) {
	const n = 1000
	s := newSim(b, func(c *oauthsim.Config) {
		c.Refresh = oauthsim.RefreshPolicy{Mode: oauthsim.RefreshStatic, ReturnOnRefresh: true}
	}, auth.Capabilities{Refresh: true})
	src, err := auth.NewSource(s.p, auth.NewMemoryStore(), "bench")
	if err != nil {
		b.Fatal(err)
	}
	tok := s.login()
	ctx := context.Background()
	var ahead, fresh time.Duration
	var waited atomic.Int64
	run := func(expiry time.Duration) time.Duration {
		t := tok.Clone()
		t.Expiry = time.Now().Add(expiry)
		if err := src.SetToken(ctx, t); err != nil {
			b.Fatal(err)
		}
		return stormOf(n, func() {
			ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			defer cancel()
			if got, err := src.TokenContext(ctx); err != nil || got.AccessToken != tok.AccessToken {
				waited.Add(1)
			}
		})
	}
	for b.Loop() {
		fresh += run(time.Hour)
		release := s.holdTokens()
		ahead += run(30 * time.Second) // inside the one-minute leeway
		release()
		src.Settle()
	}
	if w := waited.Load(); w != 0 {
		b.Fatalf("%d callers waited for the refresh ahead", w)
	}
	b.ReportMetric(float64(ahead.Nanoseconds())/float64(b.N), "ahead-ns")
	b.ReportMetric(float64(fresh.Nanoseconds())/float64(b.N), "fresh-ns")
	b.ReportMetric(float64(ahead)/float64(fresh), "ahead/fresh")
	b.ReportMetric(0, "waited")
}

// stormOf starts n goroutines, releases them at once to call fn, and
// returns how long they took until the last one was done.
func stormOf(n int, fn func()) time.Duration {
	start := make(chan struct{})
	var ready, done sync.WaitGroup
	ready.Add(n)
	done.Add(n)
	for range n {
		go func() {
			defer done.Done()
			ready.Done()
			<-start
			fn()
		}()
	}
	ready.Wait()
	t := time.Now()
	close(start)
	done.Wait()
	return time.Since(t)
}

// stormFloor times n goroutines released at once that then wait for one
// of them to start a goroutine that signals completion.
func stormFloor(n int) time.Duration {
	var once sync.Once
	finished := make(chan struct{})
	return stormOf(n, func() {
		once.Do(func() { go close(finished) })
		<-finished
	})
}
