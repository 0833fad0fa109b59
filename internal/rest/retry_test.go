package rest_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/internal/rest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// failThen answers the first n requests with status (and Retry-After when
// retryAfter is set), then 200 {"ok":true}.
func failThen(hits *counter, n, status int, retryAfter string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if hits.inc() <= n {
			if retryAfter != "" {
				w.Header().Set("Retry-After", retryAfter)
			}
			writeJSON(w, status, `{"Error":"`+http.StatusText(status)+`"}`)
			return
		}
		writeJSON(w, 200, `{"ok":true}`)
	}
}

func TestRetryOn429HonoursRetryAfter(t *testing.T) {
	c, mux, sl := setup(t)
	hits := &counter{}
	mux.HandleFunc("/q", failThen(hits, 1, 429, "2"))
	var out struct{ OK bool }
	resp, err := c.Get(context.Background(), "q", nil, &out)
	require.NoError(t, err)
	assert.True(t, out.OK)
	assert.Equal(t, 2, hits.get())
	assert.Equal(t, 2, resp.Attempts)
	assert.Equal(t, []time.Duration{2 * time.Second}, sl.all())
}

func TestRetryOn429UsesResetWhenNoRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	c, mux, sl := setup(t)
	rest.SetNow(c, func() time.Time { return now })
	hits := &counter{}
	mux.HandleFunc("/q", func(w http.ResponseWriter, r *http.Request) {
		if hits.inc() == 1 {
			w.Header().Set("X-RateLimit-Reset", strconv.FormatInt(now.Add(4*time.Second).Unix(), 10))
			writeJSON(w, 429, `{}`)
			return
		}
		writeJSON(w, 200, `{}`)
	})
	_, err := c.Get(context.Background(), "q", nil, nil)
	require.NoError(t, err)
	assert.Equal(t, []time.Duration{4 * time.Second}, sl.all())
}

func TestRetryOn503WithJitteredBackoff(t *testing.T) {
	p := rest.RetryPolicy{MaxAttempts: 4, BaseDelay: 100 * time.Millisecond, MaxDelay: 250 * time.Millisecond}
	c, mux, sl := setup(t, rest.WithRetry(p))
	hits := &counter{}
	mux.HandleFunc("/q", failThen(hits, 3, 503, ""))
	resp, err := c.Get(context.Background(), "q", nil, nil)
	require.NoError(t, err)
	assert.Equal(t, 4, resp.Attempts)
	waits := sl.all()
	require.Len(t, waits, 3)
	for i, ceil := range []time.Duration{100 * time.Millisecond, 200 * time.Millisecond, 250 * time.Millisecond} {
		assert.GreaterOrEqual(t, waits[i], time.Duration(0))
		assert.LessOrEqual(t, waits[i], ceil, "wait %d", i)
	}
}

func TestRetryHonoursRetryAfterOn503(t *testing.T) {
	c, mux, sl := setup(t)
	hits := &counter{}
	mux.HandleFunc("/q", failThen(hits, 1, 503, "5"))
	_, err := c.Get(context.Background(), "q", nil, nil)
	require.NoError(t, err)
	assert.Equal(t, []time.Duration{5 * time.Second}, sl.all())
}

func TestJitterVaries(t *testing.T) {
	p := rest.RetryPolicy{MaxAttempts: 2, BaseDelay: time.Second, MaxDelay: time.Second}
	c, mux, sl := setup(t, rest.WithRetry(p))
	mux.HandleFunc("/q", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 500, `{}`) })
	for range 20 {
		_, err := c.Get(context.Background(), "q", nil, nil)
		require.Error(t, err)
	}
	seen := map[time.Duration]bool{}
	for _, d := range sl.all() {
		seen[d] = true
	}
	assert.Greater(t, len(seen), 10, "full jitter draws different waits")
}

func TestNoRetryOnPost(t *testing.T) {
	for _, status := range []int{429, 500, 503} {
		c, mux, sl := setup(t)
		hits := &counter{}
		mux.HandleFunc("/orders", failThen(hits, 1, status, "1"))
		resp, err := c.Post(context.Background(), "orders", map[string]string{"Symbol": "MSFT"}, nil)
		require.Error(t, err)
		assert.ErrorIs(t, err, auth.ErrUnavailable)
		assert.Equal(t, 1, hits.get(), "an order must never be sent twice (HTTP %d)", status)
		assert.Equal(t, 1, resp.Attempts)
		assert.Empty(t, sl.all())

		// Even a POST that claims to be idempotent.
		hits2 := &counter{}
		mux.HandleFunc("/orders2", failThen(hits2, 100, status, "1"))
		_, err = c.Do(context.Background(), rest.Request{Method: http.MethodPost, Path: "orders2", Idempotent: true}, nil)
		require.Error(t, err)
		assert.Equal(t, 1, hits2.get())
		assert.Empty(t, sl.all())

		// However it is spelt.
		hits3 := &counter{}
		mux.HandleFunc("/orders3", failThen(hits3, 100, status, "1"))
		_, err = c.Do(context.Background(), rest.Request{Method: "post", Path: "orders3", Idempotent: true}, nil)
		require.Error(t, err)
		assert.Equal(t, 1, hits3.get(), "a lower-case post is a POST")
		assert.Empty(t, sl.all())
	}
}

func TestPostNotRetriedOnConnectionError(t *testing.T) {
	c, mux, sl := setup(t)
	hits := &counter{}
	mux.HandleFunc("/orders", func(w http.ResponseWriter, r *http.Request) {
		hits.inc()
		conn, _, _ := w.(http.Hijacker).Hijack()
		conn.Close()
	})
	_, err := c.Post(context.Background(), "orders", map[string]int{"Qty": 1}, nil)
	require.Error(t, err)
	assert.ErrorIs(t, err, auth.ErrUnavailable)
	assert.Equal(t, 1, hits.get())
	assert.Empty(t, sl.all())
}

func TestDeleteRetriedOnlyWhenMarkedIdempotent(t *testing.T) {
	c, mux, _ := setup(t)
	hits := &counter{}
	mux.HandleFunc("/orders/1", failThen(hits, 1, 503, ""))
	_, err := c.Do(context.Background(), rest.Request{Method: http.MethodDelete, Path: "orders/1"}, nil)
	require.Error(t, err)
	assert.Equal(t, 1, hits.get())

	hits2 := &counter{}
	mux.HandleFunc("/orders/2", failThen(hits2, 1, 503, ""))
	resp, err := c.Do(context.Background(), rest.Request{Method: http.MethodDelete, Path: "orders/2", Idempotent: true}, nil)
	require.NoError(t, err)
	assert.Equal(t, 2, resp.Attempts)
}

func TestPutBodyIsResentOnRetry(t *testing.T) {
	c, mux, _ := setup(t)
	hits := &counter{}
	mux.HandleFunc("/watchlist", func(w http.ResponseWriter, r *http.Request) {
		testJSONBody(t, r, `{"Symbols":["MSFT"]}`)
		failThen(hits, 1, 502, "")(w, r)
	})
	resp, err := c.Do(context.Background(), rest.Request{Method: http.MethodPut, Path: "watchlist",
		Body: map[string][]string{"Symbols": {"MSFT"}}, Idempotent: true}, nil)
	require.NoError(t, err)
	assert.Equal(t, 2, resp.Attempts)
}

func TestRetryOnConnectionError(t *testing.T) {
	c, mux, sl := setup(t)
	hits := &counter{}
	mux.HandleFunc("/q", func(w http.ResponseWriter, r *http.Request) {
		if hits.inc() == 1 {
			conn, _, _ := w.(http.Hijacker).Hijack()
			conn.Close()
			return
		}
		writeJSON(w, 200, `{}`)
	})
	resp, err := c.Get(context.Background(), "q", nil, nil)
	require.NoError(t, err)
	assert.Equal(t, 2, resp.Attempts)
	assert.Len(t, sl.all(), 1)
}

func TestRetryBudgetAttempts(t *testing.T) {
	c, mux, sl := setup(t) // default: 3 attempts
	hits := &counter{}
	mux.HandleFunc("/q", failThen(hits, 100, 503, ""))
	resp, err := c.Get(context.Background(), "q", nil, nil)
	require.Error(t, err)
	var e *rest.Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, 503, e.StatusCode)
	assert.Equal(t, 3, hits.get())
	assert.Equal(t, 3, resp.Attempts)
	assert.Len(t, sl.all(), 2)
}

func TestRetryDisabled(t *testing.T) {
	c, mux, _ := setup(t, rest.WithRetry(rest.RetryPolicy{MaxAttempts: 1}))
	hits := &counter{}
	mux.HandleFunc("/q", failThen(hits, 100, 503, ""))
	_, err := c.Get(context.Background(), "q", nil, nil)
	require.Error(t, err)
	assert.Equal(t, 1, hits.get())
}

func TestRetryBudgetMaxWait(t *testing.T) {
	c, mux, sl := setup(t, rest.WithRetry(rest.RetryPolicy{MaxAttempts: 10, MaxWait: 5 * time.Second}))
	hits := &counter{}
	mux.HandleFunc("/long", failThen(hits, 100, 429, "60"))
	_, err := c.Get(context.Background(), "long", nil, nil)
	var rl *auth.RateLimitError
	require.ErrorAs(t, err, &rl)
	assert.Equal(t, 60*time.Second, rl.RetryAfter, "the caller learns how long to wait")
	assert.Equal(t, 1, hits.get(), "a Retry-After beyond the budget is not waited for")
	assert.Empty(t, sl.all())

	hits2 := &counter{}
	mux.HandleFunc("/sum", failThen(hits2, 100, 429, "2"))
	_, err = c.Get(context.Background(), "sum", nil, nil)
	require.Error(t, err)
	assert.Equal(t, []time.Duration{2 * time.Second, 2 * time.Second}, sl.all(), "2s + 2s fit in 5s, a third 2s does not")
	assert.Equal(t, 3, hits2.get())
}

func TestRetryStopsBeforeContextDeadline(t *testing.T) {
	c, mux, sl := setup(t)
	hits := &counter{}
	mux.HandleFunc("/q", failThen(hits, 100, 503, "10"))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_, err := c.Get(ctx, "q", nil, nil)
	assert.ErrorIs(t, err, auth.ErrUnavailable)
	assert.Equal(t, 1, hits.get())
	assert.Empty(t, sl.all())
}

func TestContextCancelledDuringBackoff(t *testing.T) {
	c, mux, _ := setup(t)
	rest.SetSleep(c, func(ctx context.Context, d time.Duration) error {
		// The real sleep would wait 30s; cancel shortly after it starts.
		return rest.SleepCtx(ctx, d)
	})
	hits := &counter{}
	mux.HandleFunc("/q", failThen(hits, 100, 429, "30"))
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	start := time.Now()
	_, err := c.Get(ctx, "q", nil, nil)
	assert.Less(t, time.Since(start), 5*time.Second)
	assert.ErrorIs(t, err, context.Canceled)
	var rl *auth.RateLimitError
	assert.ErrorAs(t, err, &rl, "the last answer stays reachable")
	assert.Equal(t, 1, hits.get())
}

func TestNoRetryOnceContextDone(t *testing.T) {
	c, mux, sl := setup(t)
	ctx, cancel := context.WithCancel(context.Background())
	hits := &counter{}
	mux.HandleFunc("/q", func(w http.ResponseWriter, r *http.Request) {
		hits.inc()
		cancel()
		writeJSON(w, 503, `{}`)
	})
	_, err := c.Get(ctx, "q", nil, nil)
	require.Error(t, err)
	assert.Equal(t, 1, hits.get())
	assert.Empty(t, sl.all())

	_, err = c.Get(ctx, "q", nil, nil)
	assert.ErrorIs(t, err, context.Canceled)
	assert.NotErrorIs(t, err, auth.ErrUnavailable, "a cancelled call is not an outage")
	assert.Equal(t, 1, hits.get(), "a done context sends nothing")
}

func TestNoRetryOn4xx(t *testing.T) {
	for _, status := range []int{400, 401, 403, 404, 409, 422} {
		c, mux, sl := setup(t)
		hits := &counter{}
		mux.HandleFunc("/q", failThen(hits, 1, status, "1"))
		_, err := c.Get(context.Background(), "q", nil, nil)
		require.Error(t, err)
		assert.Equal(t, 1, hits.get(), "HTTP %d", status)
		assert.Empty(t, sl.all())
	}
}

func TestDefaultSleepIsContextAware(t *testing.T) {
	// The default sleep of a fresh client: a 30s Retry-After, cancelled.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := &http.Server{Handler: failThen(&counter{}, 100, 429, "30"), ReadHeaderTimeout: time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	c, err := rest.New("http://"+ln.Addr().String(), nil)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	start := time.Now()
	_, err = c.Get(ctx, "q", nil, nil)
	assert.True(t, errors.Is(err, context.Canceled), err)
	assert.Less(t, time.Since(start), 5*time.Second)
}

// TestServerWaitsAreCapped: with a retry budget larger than any sane wait,
// a server asking for the year 9999, for more seconds than a Duration
// holds, for a reset centuries away, or a hook reporting an absurd hint,
// gets a wait of at most a week, the one cap on server waits; a negative
// Retry-After is no wait at all.
func TestServerWaitsAreCapped(t *testing.T) {
	const week = 7 * 24 * time.Hour
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	for name, tc := range map[string]struct {
		status int
		header map[string]string
		hook   func(*rest.Error)
		want   time.Duration
	}{
		"Retry-After year 9999": {status: 429,
			header: map[string]string{"Retry-After": "Fri, 31 Dec 9999 23:59:59 GMT"}, want: week},
		"Retry-After year 9999 on 503": {status: 503,
			header: map[string]string{"Retry-After": "Fri, 31 Dec 9999 23:59:59 GMT"}, want: week},
		"Retry-After huge seconds": {status: 503,
			header: map[string]string{"Retry-After": "99999999999999999999"}, want: week},
		"Retry-After negative": {status: 429,
			header: map[string]string{"Retry-After": "-30"}, want: -1},
		"reset in 2286": {status: 429,
			header: map[string]string{"X-RateLimit-Reset": "9999999999"}, want: week},
		"reset in 9999 ms": {status: 429,
			header: map[string]string{"X-RateLimit-Reset": "253402300799000"}, want: week},
		"hook hint": {status: 409, hook: func(e *rest.Error) {
			e.Err = &auth.RateLimitError{StatusCode: 409, RetryAfter: 200 * 365 * 24 * time.Hour}
		}, want: week},
	} {
		t.Run(name, func(t *testing.T) {
			opts := []rest.Option{rest.WithRetry(rest.RetryPolicy{MaxAttempts: 2, BaseDelay: time.Millisecond, MaxDelay: time.Millisecond, MaxWait: 10 * 365 * 24 * time.Hour})}
			if tc.hook != nil {
				opts = append(opts, rest.WithErrorHook(tc.hook))
			}
			c, mux, sl := setup(t, opts...)
			rest.SetNow(c, func() time.Time { return now })
			hits := &counter{}
			mux.HandleFunc("/q", func(w http.ResponseWriter, r *http.Request) {
				if hits.inc() == 1 {
					for k, v := range tc.header {
						w.Header().Set(k, v)
					}
					writeJSON(w, tc.status, `{}`)
					return
				}
				writeJSON(w, 200, `{}`)
			})
			_, err := c.Get(context.Background(), "q", nil, nil)
			require.NoError(t, err, "the capped wait fits the budget, so the call is retried")
			waits := sl.all()
			require.Len(t, waits, 1)
			if tc.want < 0 {
				assert.LessOrEqual(t, waits[0], time.Millisecond, "no server wait: the backoff")
				return
			}
			assert.Equal(t, tc.want, waits[0])
		})
	}
}
