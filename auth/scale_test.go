package auth_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/brokerkit/brokerkit/auth"
)

// scaleUsers is how many users TestManagerScale builds: 20,000 by
// default (a second or two, also under -race), or BROKERKIT_SCALE_USERS.
// BenchmarkManagerMillionUsers builds a million.
func scaleUsers(tb testing.TB) int {
	if v := os.Getenv("BROKERKIT_SCALE_USERS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			tb.Fatalf("BROKERKIT_SCALE_USERS=%q", v)
		}
		return n
	}
	return 20_000
}

// token43 returns a random 43-character token, as a 256-bit token is in
// base64url.
func token43() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// scale is a Manager with n logged-in users and what building it cost.
type scale struct {
	m     *auth.Manager
	users []string
	// heapPerUser is the live heap each user added, token strings
	// excluded (they were made before the first reading).
	heapPerUser float64
	// goroutines is how many goroutines the users added in all.
	goroutines int
}

func heapNow() uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// buildScale logs n users in to one Manager over a MemoryStore, each with
// its own 43-character access and refresh tokens, and asks every user's
// client and token once.
func buildScale(tb testing.TB, n int) *scale {
	tb.Helper()
	ctx := context.Background()
	users := make([]string, n)
	access := make([]string, n)
	refresh := make([]string, n)
	for i := range n {
		users[i] = "user-" + strconv.Itoa(i)
		access[i], refresh[i] = token43(), token43()
	}
	m, err := auth.NewManager(&stubProvider{life: time.Hour}, auth.NewMemoryStore())
	if err != nil {
		tb.Fatal(err)
	}
	expiry := time.Now().Add(time.Hour)
	g0 := runtime.NumGoroutine()
	h0 := heapNow()
	for i, u := range users {
		if err := m.SetToken(ctx, u, &auth.Token{AccessToken: access[i], RefreshToken: refresh[i],
			TokenType: "Bearer", Expiry: expiry}); err != nil {
			tb.Fatal(err)
		}
		if m.Client(u) == nil {
			tb.Fatal("no client")
		}
		if tok, err := m.Source(u).TokenContext(ctx); err != nil || tok.AccessToken != access[i] {
			tb.Fatal("wrong token", err)
		}
	}
	h1 := heapNow()
	g1 := runtime.NumGoroutine()
	runtime.KeepAlive(access)
	runtime.KeepAlive(refresh)
	return &scale{m: m, users: users, heapPerUser: float64(int64(h1)-int64(h0)) / float64(n), goroutines: g1 - g0}
}

// idleActivity measures, while the process idles for d, how many
// goroutines start per second (a time.AfterFunc timer starts one on every
// firing: that is what a per-user timer costs) and how many times per
// second its threads are switched in (Linux; -1 elsewhere), which also
// counts the runtime's own housekeeping.
func idleActivity(d time.Duration) (goroutines, switches float64) {
	runtime.GC()
	time.Sleep(200 * time.Millisecond) // let the collector's helpers finish
	g := []metrics.Sample{{Name: "/sched/goroutines-created:goroutines"}}
	metrics.Read(g)
	g0 := g[0].Value.Uint64()
	c0, ok := contextSwitches()
	time.Sleep(d)
	c1, _ := contextSwitches()
	metrics.Read(g)
	goroutines = float64(g[0].Value.Uint64()-g0) / d.Seconds()
	switches = -1
	if ok {
		switches = float64(max(0, c1-c0-1)) / d.Seconds()
	}
	return goroutines, switches
}

// contextSwitches sums the voluntary and involuntary context switches of
// the process's threads, from /proc.
func contextSwitches() (int64, bool) {
	tasks, err := filepath.Glob("/proc/self/task/*/status")
	if err != nil || len(tasks) == 0 {
		return 0, false
	}
	var n int64
	for _, f := range tasks {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(b), "\n") {
			name, v, ok := strings.Cut(line, ":")
			if ok && strings.HasSuffix(name, "ctxt_switches") {
				c, _ := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
				n += c
			}
		}
	}
	return n, true
}

// TestManagerScale: a Manager's memory per user stays within 512 bytes
// (token strings excluded; the MemoryStore's share included), users add no
// goroutines or timers, and an idle Manager does not wake up.
func TestManagerScale(t *testing.T) {
	_, base := idleActivity(time.Second)
	sc := buildScale(t, scaleUsers(t))
	ctx := context.Background()
	if a := testing.AllocsPerRun(100, func() {
		_ = sc.m.Client(sc.users[7])
		_, _ = sc.m.Source(sc.users[8]).TokenContext(ctx)
	}); a != 0 {
		t.Errorf("m.Client and a cached TokenContext allocate %.1f times", a)
	}
	t.Logf("%d users: %.0f B/user, %d goroutines added", len(sc.users), sc.heapPerUser, sc.goroutines)
	if sc.heapPerUser > 512 {
		t.Errorf("heap per user %.0f B, want at most 512", sc.heapPerUser)
	}
	if sc.goroutines > 0 {
		t.Errorf("%d users added %d goroutines", len(sc.users), sc.goroutines)
	}
	g, sw := idleActivity(time.Second)
	t.Logf("idle: %.1f goroutines started/s; thread switches %.1f/s with the users, %.1f/s before (runtime housekeeping)",
		g, sw, base)
	if g > 1 {
		t.Errorf("idle manager started %.1f goroutines a second, want at most 1", g)
	}
	runtime.KeepAlive(sc.m)
}

// BenchmarkManagerMillionUsers builds a Manager with a million users (or
// BROKERKIT_SCALE_USERS) and reports its heap per user (token strings
// excluded, the MemoryStore's share included), goroutines added, and, a
// minute after the build, the goroutines started per second while
// idle (each firing of a time.AfterFunc timer starts one), then times
// m.Client serially and from all cores over those users. It takes about
// two minutes on two cores.
func BenchmarkManagerMillionUsers(b *testing.B) {
	n := 1_000_000
	if v := os.Getenv("BROKERKIT_SCALE_USERS"); v != "" {
		n = scaleUsers(b)
	}
	t0 := time.Now()
	sc := buildScale(b, n)
	build := time.Since(t0)
	// A per-token timer that rechecks the clock every minute fires a
	// minute after it was set: measure across the minute after the last
	// users were built, so that such timers would be counted.
	time.Sleep(time.Minute - time.Second)
	wake, sw := idleActivity(2 * time.Second)
	b.Logf("%d users built in %v: %.0f B/user (token strings excluded), %d goroutines added; idle: %.1f goroutines started/s, %.1f thread switches/s",
		n, build.Round(time.Millisecond), sc.heapPerUser, sc.goroutines, wake, sw)
	b.Run("client-serial", func(b *testing.B) {
		i := 0
		for b.Loop() {
			if sc.m.Client(sc.users[i]) == nil {
				b.Fatal("no client")
			}
			if i++; i == n {
				i = 0
			}
		}
		b.ReportMetric(sc.heapPerUser, "B/user")
		b.ReportMetric(float64(sc.goroutines)/float64(n), "goroutines/user")
		b.ReportMetric(wake, "idle-goroutines/s")
		b.ReportMetric(build.Seconds(), "build-s")
	})
	b.Run("client-parallel", func(b *testing.B) {
		var next atomic.Int64
		b.RunParallel(func(pb *testing.PB) {
			// Each goroutine walks the users from its own start.
			i := int(next.Add(1) * 7919 % int64(n))
			for pb.Next() {
				if sc.m.Client(sc.users[i]) == nil {
					b.Error("no client")
					return
				}
				if i++; i == n {
					i = 0
				}
			}
		})
	})
	// The same over the first 1,024 users only, which stay in the CPU
	// caches: the lookup's own cost, without the memory latency of a
	// million users.
	hot := sc.users[:min(1024, n)]
	b.Run("client-serial-hot", func(b *testing.B) {
		i := 0
		for b.Loop() {
			if sc.m.Client(hot[i&1023%len(hot)]) == nil {
				b.Fatal("no client")
			}
			i++
		}
	})
	b.Run("client-parallel-hot", func(b *testing.B) {
		var next atomic.Int64
		b.RunParallel(func(pb *testing.PB) {
			// Each goroutine walks the users from its own start.
			i := int(next.Add(1) * 509)
			for pb.Next() {
				if sc.m.Client(hot[i&1023%len(hot)]) == nil {
					b.Error("no client")
					return
				}
				i++
			}
		})
	})
	// A control in the same run: pure arithmetic, serial and parallel.
	// Its parallel/serial ratio is what the machine's free cores allow
	// at the moment (the machine is shared).
	b.Run("control-serial", func(b *testing.B) {
		x := uint64(1)
		for b.Loop() {
			x = spin(x)
		}
		spinSink.Add(x)
	})
	b.Run("control-parallel", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			x := uint64(1)
			for pb.Next() {
				x = spin(x)
			}
			spinSink.Add(x)
		})
	})
	runtime.KeepAlive(sc)
}

var spinSink atomic.Uint64

// spin is about as much arithmetic as a cached m.Client lookup.
func spin(x uint64) uint64 {
	for range 40 {
		x = x*6364136223846793005 + 1442695040888963407
	}
	return x
}
