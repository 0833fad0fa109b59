package pgstore_test

import (
	"context"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/internal/pgtest"
)

// timedTransport records how long each token request takes.
type timedTransport struct {
	last atomic.Int64 // nanoseconds of the latest token request
}

func (tt *timedTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	start := time.Now()
	resp, err := http.DefaultTransport.RoundTrip(r)
	if err == nil && strings.HasSuffix(r.URL.Path, "/token") {
		// Count the body too: the provider reads all of it.
		resp.Body = &timedBody{ReadCloser: resp.Body, start: start, tt: tt}
	}
	return resp, err
}

type timedBody struct {
	io.ReadCloser
	start time.Time
	tt    *timedTransport
}

func (b *timedBody) Close() error {
	b.tt.last.Store(int64(time.Since(b.start)))
	return b.ReadCloser.Close()
}

// refreshRig is one TokenSource over a pgstore.Store whose connections
// count round trips, against the rotating sim.
type refreshRig struct {
	src   *auth.Source
	trips atomic.Int64
	tt    timedTransport
}

func newRefreshRig(t testing.TB) *refreshRig {
	s := newSim(t)
	r := &refreshRig{}
	pool := countingPool(t, pgtest.Start(t), &r.trips)
	store := newStore(t, pool)
	p := newProvider(t, s.endpoint(), &r.tt)
	src, err := auth.NewSource(p, store, auth.Key("sim", "alice"))
	require.NoError(t, err)
	require.NoError(t, src.SetToken(context.Background(), s.login(t)))
	r.src = src
	return r
}

// refresh forces one refresh and returns its round trips, its duration
// and the token request's.
func (r *refreshRig) refresh(t testing.TB) (trips int64, total, token time.Duration) {
	ctx := context.Background()
	tok, err := r.src.TokenContext(ctx)
	require.NoError(t, err)
	before := r.trips.Load()
	start := time.Now()
	nt, err := r.src.ForceRefresh(ctx, tok)
	total = time.Since(start)
	require.NoError(t, err)
	require.NotEqual(t, tok.AccessToken, nt.AccessToken, "a new token")
	return r.trips.Load() - before, total, time.Duration(r.tt.last.Load())
}

// A coordinated refresh — lock, re-read, save, unlock — costs at most
// three round trips to the database.
func TestCoordinatedRefreshRoundTrips(t *testing.T) {
	r := newRefreshRig(t)
	for range 3 { // warm up: connections and prepared statements
		r.refresh(t)
	}
	for i := range 20 {
		trips, _, _ := r.refresh(t)
		assert.LessOrEqual(t, trips, int64(3), "refresh %d", i)
		assert.GreaterOrEqual(t, trips, int64(3), "refresh %d: the counter counts (lock, save, unlock)", i)
	}
}

func percentile(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	return s[min(len(s)-1, int(float64(len(s))*p))]
}

func report(b *testing.B, name string, d []time.Duration) {
	b.ReportMetric(float64(percentile(d, 0.50).Microseconds()), name+"-p50-µs")
	b.ReportMetric(float64(percentile(d, 0.99).Microseconds()), name+"-p99-µs")
}

func BenchmarkLoad(b *testing.B) {
	ctx := context.Background()
	s := newStore(b, newPool(b, pgtest.Start(b)))
	require.NoError(b, s.Save(ctx, "alice", sampleToken()))
	d := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for range b.N {
		start := time.Now()
		if _, err := s.Load(ctx, "alice"); err != nil {
			b.Fatal(err)
		}
		d = append(d, time.Since(start))
	}
	report(b, "load", d)
}

func BenchmarkSave(b *testing.B) {
	ctx := context.Background()
	s := newStore(b, newPool(b, pgtest.Start(b)))
	tok := sampleToken()
	require.NoError(b, s.Save(ctx, "alice", tok))
	d := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for range b.N {
		start := time.Now()
		if err := s.Save(ctx, "alice", tok); err != nil {
			b.Fatal(err)
		}
		d = append(d, time.Since(start))
	}
	report(b, "save", d)
}

// BenchmarkCoordinatedRefresh measures, in the same refreshes, the whole
// forced refresh through a TokenSource over the store and the token
// request inside it; the difference is what the store adds: lock and
// read, save and notify, unlock.
func BenchmarkCoordinatedRefresh(b *testing.B) {
	r := newRefreshRig(b)
	for range 3 {
		r.refresh(b)
	}
	total := make([]time.Duration, 0, b.N)
	token := make([]time.Duration, 0, b.N)
	over := make([]time.Duration, 0, b.N)
	var trips int64
	b.ResetTimer()
	for range b.N {
		n, all, tok := r.refresh(b)
		trips = max(trips, n)
		total = append(total, all)
		token = append(token, tok)
		over = append(over, all-tok)
	}
	report(b, "refresh", total)
	report(b, "token-request", token)
	report(b, "store-overhead", over)
	b.ReportMetric(float64(trips), "max-db-round-trips")
}
