package resttest

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// recorder is a testing.TB that records failures instead of failing, so
// that the assertions themselves can be shown to fail.
type recorder struct {
	testing.TB
	failed bool
}

func (r *recorder) Errorf(string, ...any) { r.failed = true }
func (r *recorder) FailNow()              { r.failed = true }
func (r *recorder) Helper()               {}

func TestHarnessAssertsWhatWasSent(t *testing.T) {
	hc, mt := Setup(t)
	var seen *http.Request
	mt.RegisterResponder("POST", "https://api.example.com/v1/orders", func(r *http.Request) (*http.Response, error) {
		seen = r
		Method(t, r, "POST")
		Query(t, r, url.Values{"dry": {"1"}})
		Header(t, r, "X-Key", "k")
		Body(t, r, `{"qty":"1.5","side":"buy"}`)
		return JSON(201, `{"id":"7"}`, "X-Request-Id", "r1"), nil
	})
	req, err := http.NewRequestWithContext(context.Background(), "POST", "https://api.example.com/v1/orders?dry=1",
		strings.NewReader(`{"side":"buy","qty":"1.5"}`))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Key", "k")
	resp, err := hc.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	assert.Equal(t, 201, resp.StatusCode)
	assert.Equal(t, "r1", resp.Header.Get("X-Request-Id"))
	require.NotNil(t, seen)

	// Each assertion fails on a mismatch.
	for name, check := range map[string]func(tb testing.TB){
		"method": func(tb testing.TB) { Method(tb, seen, "GET") },
		"query":  func(tb testing.TB) { Query(tb, seen, url.Values{"dry": {"2"}}) },
		"header": func(tb testing.TB) { Header(tb, seen, "X-Key", "other") },
	} {
		rec := &recorder{TB: t}
		check(rec)
		assert.True(t, rec.failed, name)
	}
	rec := &recorder{TB: t}
	bad, _ := http.NewRequest("POST", "https://x/", strings.NewReader(`{"a":1}`))
	Body(rec, bad, `{"a":2}`)
	assert.True(t, rec.failed, "body")

	// An unregistered route never reaches a network.
	_, err = hc.Get("https://api.example.com/elsewhere")
	assert.Error(t, err)
}
