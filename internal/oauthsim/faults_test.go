package oauthsim

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/brokerkit/brokerkit/auth"
)

func TestFaultStatusAndTimes(t *testing.T) {
	v := newEnv(t, nil)
	v.srv.Engine.Faults().Next("/token", Fault{Status: http.StatusServiceUnavailable}, 2)
	st, _, _ := v.post("/token", url.Values{"grant_type": {"client_credentials"}})
	assert.Equal(t, http.StatusServiceUnavailable, st)
	st, _, _ = v.post("/token", url.Values{"grant_type": {"client_credentials"}})
	assert.Equal(t, http.StatusServiceUnavailable, st)
	st, _, _ = v.post("/token", url.Values{"grant_type": {"client_credentials"}})
	assert.Equal(t, http.StatusOK, st, "the fault was for two requests")
	assert.Equal(t, 0, v.srv.Engine.Faults().Pending())
}

func TestFaultRateLimit(t *testing.T) {
	v := newEnv(t, nil)
	p := standard(t, v, func(c *auth.Config) { c.Capabilities.ClientCredentials = true })
	v.srv.Engine.Faults().Next("/token", Fault{Status: http.StatusTooManyRequests, RetryAfter: 1500 * time.Millisecond,
		Body: `{"error":"rate_limited","error_description":"slow down"}`, ContentType: "application/json"}, 1)
	_, err := p.ClientCredentials(context.Background())
	var rl *auth.RateLimitError
	require.True(t, errors.As(err, &rl), "%v", err)
	assert.Equal(t, 2*time.Second, rl.RetryAfter, "Retry-After rounds up to whole seconds")
	_, err = p.ClientCredentials(context.Background())
	assert.NoError(t, err)
}

func TestFaultDelayCutMalformed(t *testing.T) {
	v := newEnv(t, nil)
	f := v.srv.Engine.Faults()
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {"app"}, "client_secret": {testSecret}}

	f.Next("/token", Fault{Delay: 2 * time.Second}, 1)
	hc := v.srv.Client()
	hc.Timeout = 100 * time.Millisecond
	start := time.Now()
	_, err := hc.Get(v.url("/token")) // a GET: the server notices at once when the client leaves
	require.Error(t, err, "the client gives up during the delay")
	assert.Less(t, time.Since(start), 2*time.Second, "the client gave up before the delayed answer")

	f.Next("/token", Fault{Delay: 50 * time.Millisecond}, 1)
	start = time.Now()
	resp, err := v.srv.Client().PostForm(v.url("/token"), form)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.GreaterOrEqual(t, time.Since(start), 50*time.Millisecond)

	f.Next("/token", Fault{Cut: true}, 1)
	_, err = v.srv.Client().PostForm(v.url("/token"), form)
	require.Error(t, err, "the connection was closed without an answer")

	f.Next("/token", Fault{Malformed: true}, 1)
	resp, err = v.srv.Client().PostForm(v.url("/token"), form)
	require.NoError(t, err)
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "application/json; charset=utf-8", resp.Header.Get("Content-Type"))
	assert.NotEmpty(t, b)
	assert.False(t, json.Valid(b), "body %q", b)

	p := standard(t, v, func(c *auth.Config) { c.Capabilities.ClientCredentials = true })
	f.Next("/token", Fault{Malformed: true}, 1)
	_, err = p.ClientCredentials(context.Background())
	assert.ErrorIs(t, err, auth.ErrInvalidResponse)
}

func TestFaultOnAPIRoutes(t *testing.T) {
	v := newEnv(t, nil)
	e := v.srv.Engine
	api := e.Faults().Wrap(e.Protect(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, `{"ok":true}`)
	}), nil))
	srv := httptest.NewServer(api)
	defer srv.Close()
	tok := str(v.tokens(nil), "access_token")
	get := func(path string) int {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := srv.Client().Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	e.Faults().Next("/v3/quotes*", Fault{Status: http.StatusBadGateway}, 0)
	assert.Equal(t, http.StatusBadGateway, get("/v3/quotes/MSFT"))
	assert.Equal(t, http.StatusBadGateway, get("/v3/quotes/AAPL"), "times 0 means until cleared")
	assert.Equal(t, http.StatusOK, get("/v3/accounts"))
	e.Faults().Clear()
	assert.Equal(t, http.StatusOK, get("/v3/quotes/MSFT"))

	e.Faults().Next("/v3/accounts", Fault{InvalidateToken: true}, 1)
	assert.Equal(t, http.StatusUnauthorized, get("/v3/accounts"), "the token was invalidated before the handler")
	assert.Equal(t, http.StatusUnauthorized, get("/v3/accounts"), "and stays invalid")
}

func TestFaultsConcurrent(t *testing.T) {
	v := newEnv(t, nil)
	f := v.srv.Engine.Faults()
	h := f.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	var wg sync.WaitGroup
	counts := make(chan int, 400)
	f.Next("/x", Fault{Status: http.StatusInternalServerError}, 100)
	for range 8 {
		wg.Add(2)
		go func() {
			defer wg.Done()
			for range 50 {
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/x", nil))
				counts <- rec.Code
			}
		}()
		go func() {
			defer wg.Done()
			for range 20 {
				f.Next("/other", Fault{Status: 500}, 1)
				_ = f.Pending()
			}
		}()
	}
	wg.Wait()
	close(counts)
	n500 := 0
	for c := range counts {
		if c == http.StatusInternalServerError {
			n500++
		}
	}
	assert.Equal(t, 100, n500, "exactly the requested number of faults, under concurrency")
}
