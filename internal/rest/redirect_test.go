package rest_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/internal/origin/origintest"
	"github.com/brokerkit/brokerkit/internal/rest"
)

const (
	rdrToken = "rest-redirect-ACCESS-2e3f4a"
	rdrKey   = "rest-redirect-APPKEY-6b7c8d"
)

type rtFunc func(*http.Request) (*http.Response, error)

func (f rtFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestClientRefusesCrossOriginRedirect: whatever HTTP client a Client is
// given, even one whose transport authorizes every hop and whose
// CheckRedirect allows anything, neither its static headers (an API key)
// nor the transport's token reach another origin: the redirect is refused
// with an error matching auth.ErrCrossOriginRedirect. Redirects within the
// origin are followed with the headers, and the caller's client is not
// changed.
func TestClientRefusesCrossOriginRedirect(t *testing.T) {
	pair := origintest.New(t)
	everyHop := rtFunc(func(r *http.Request) (*http.Response, error) {
		r = r.Clone(r.Context())
		r.Header.Set("Authorization", "Bearer "+rdrToken)
		return http.DefaultTransport.RoundTrip(r)
	})
	var allowed int
	hc := &http.Client{Transport: everyHop, CheckRedirect: func(*http.Request, []*http.Request) error {
		allowed++
		return nil
	}}
	c, err := rest.New(pair.Origin.URL, hc, rest.WithHeader("Et-App-Key", rdrKey))
	require.NoError(t, err)
	ctx := context.Background()

	for _, status := range []int{http.StatusFound, http.StatusTemporaryRedirect, http.StatusPermanentRedirect} {
		pair.SetStatus(status)
		_, err = c.Get(ctx, "v1/accounts", nil, nil)
		require.ErrorIs(t, err, auth.ErrCrossOriginRedirect, "status %d", status)
		assert.NotErrorIs(t, err, auth.ErrUnavailable, "not worth a retry")
		assert.NotContains(t, err.Error(), "leak=1", "the error names origins, not the redirect's query")
		_, err = c.Post(ctx, "v1/orders", map[string]int{"qty": 1}, nil)
		require.ErrorIs(t, err, auth.ErrCrossOriginRedirect, "status %d", status)
	}
	assert.Empty(t, pair.Leaks(rdrToken, rdrKey))
	assert.Empty(t, pair.ForeignHeaders(), "nothing reaches the other origin")
	assert.Zero(t, allowed, "the caller's CheckRedirect is not asked about a refused hop")

	before := len(pair.OriginHeaders())
	_, err = c.Get(ctx, "same/v1/accounts", nil, nil)
	require.NoError(t, err)
	seen := pair.OriginHeaders()[before:]
	require.Len(t, seen, 2)
	assert.Equal(t, rdrKey, seen[1].Get("Et-App-Key"), "a same-origin hop keeps the static headers")
	assert.Equal(t, 1, allowed, "the caller's CheckRedirect still rules same-origin hops")

	// The caller's client is untouched: rest works on its own copy.
	_, same := hc.Transport.(rtFunc)
	assert.True(t, same)
	require.NotNil(t, hc.CheckRedirect)
	assert.NoError(t, hc.CheckRedirect(nil, nil))
	assert.Equal(t, 2, allowed)
}

// TestClientKeepsCallersRedirectRefusal: a client whose CheckRedirect
// returns http.ErrUseLastResponse still gets the redirect answer itself.
func TestClientKeepsCallersRedirectRefusal(t *testing.T) {
	pair := origintest.New(t)
	hc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	c, err := rest.New(pair.Origin.URL, hc)
	require.NoError(t, err)
	resp, err := c.Get(context.Background(), "same/x", nil, nil)
	require.Error(t, err)
	require.NotNil(t, resp)
	assert.Equal(t, http.StatusFound, resp.StatusCode)
	assert.Len(t, pair.OriginHeaders(), 1)
}

// TestStreamClientKeepsOriginDropsTimeout: a stream's client is the
// client's own without the Timeout that would cut a long answer, and it
// still refuses a redirect to another origin.
func TestStreamClientKeepsOriginDropsTimeout(t *testing.T) {
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer other.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+"/elsewhere", http.StatusFound)
	}))
	defer srv.Close()
	c, err := rest.New(srv.URL, &http.Client{Timeout: time.Second})
	require.NoError(t, err)
	hc := c.StreamClient()
	assert.Zero(t, hc.Timeout)
	resp, err := hc.Get(srv.URL + "/stream")
	if resp != nil {
		resp.Body.Close()
	}
	require.ErrorIs(t, err, auth.ErrCrossOriginRedirect)
}
