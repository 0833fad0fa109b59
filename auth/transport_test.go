package auth_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/internal/oauthsim"
)

const apiKey = "app-key-do-not-print"

func simClient(s *sim, src *auth.Source, opts ...func(*auth.Transport)) *http.Client {
	tr := &auth.Transport{Source: src, Base: s.srv.Client().Transport,
		Header: http.Header{"Et-App-Key": {apiKey}}}
	for _, o := range opts {
		o(tr)
	}
	return &http.Client{Transport: tr}
}

func TestTransportSetsHeaders(t *testing.T) {
	s := newSim(t, nil, rotatingCaps())
	src, tok := s.source(auth.NewMemoryStore())
	var got http.Header
	s.apiHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got = r.Header.Clone() })
	req, err := http.NewRequest(http.MethodGet, s.apiURL(), nil)
	require.NoError(t, err)
	req.Header.Set("Et-App-Key", "caller-value")
	resp, err := simClient(s, src).Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, "Bearer "+tok.AccessToken, got.Get("Authorization"))
	assert.Equal(t, []string{apiKey}, got.Values("Et-App-Key"))
	assert.Empty(t, req.Header.Get("Authorization"), "the caller's request is not modified")
	assert.Equal(t, "caller-value", req.Header.Get("Et-App-Key"))
}

func TestTransportRefreshesOnceOnInvalidToken(t *testing.T) {
	s := newSim(t, nil, rotatingCaps())
	src, first := s.source(auth.NewMemoryStore())
	var bodies []string
	s.apiHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		bodies = append(bodies, string(b))
		_, _ = w.Write([]byte(`{"ok":true}`))
	})
	// The broker drops the session; locally the token still looks valid.
	require.True(t, s.eng.Invalidate(first.AccessToken))

	resp, err := simClient(s, src).Post(s.apiURL(), "application/json", strings.NewReader(`{"order":1}`))
	require.NoError(t, err)
	defer resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.EqualValues(t, 1, s.tokenCalls.Load(), "one refresh")
	assert.EqualValues(t, 2, s.apiCalls.Load(), "one retry")
	assert.Equal(t, []string{`{"order":1}`}, bodies, "the retry carried the whole body")
	now, err := src.TokenContext(context.Background())
	require.NoError(t, err)
	assert.NotEqual(t, first.AccessToken, now.AccessToken)
}

func TestTransportRetriesOnlyOnce(t *testing.T) {
	s := newSim(t, nil, rotatingCaps())
	src, _ := s.source(auth.NewMemoryStore())
	s.apiHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		w.WriteHeader(http.StatusUnauthorized)
	})
	resp, err := simClient(s, src).Get(s.apiURL())
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	assert.EqualValues(t, 2, s.apiCalls.Load())
	assert.EqualValues(t, 1, s.tokenCalls.Load())
	err = auth.CheckResponse(resp)
	require.ErrorIs(t, err, auth.ErrInvalidToken)
}

func TestTransportDoesNotReplayUnreplayableBody(t *testing.T) {
	s := newSim(t, nil, rotatingCaps())
	src, first := s.source(auth.NewMemoryStore())
	require.True(t, s.eng.Invalidate(first.AccessToken))

	req, err := http.NewRequest(http.MethodPost, s.apiURL(), io.NopCloser(strings.NewReader(`{"order":1}`)))
	require.NoError(t, err)
	require.Nil(t, req.GetBody)
	hc := simClient(s, src)
	resp, err := hc.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	assert.EqualValues(t, 1, s.apiCalls.Load(), "not sent twice")
	assert.Zero(t, s.tokenCalls.Load(), "no refresh inside this request")
	require.ErrorIs(t, auth.CheckResponse(resp), auth.ErrInvalidToken)

	// The refused token was dropped: the next request refreshes first.
	resp, err = hc.Get(s.apiURL())
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.EqualValues(t, 1, s.tokenCalls.Load())
	assert.EqualValues(t, 2, s.apiCalls.Load())
}

func TestTransportIgnores401WithoutInvalidToken(t *testing.T) {
	s := newSim(t, nil, rotatingCaps())
	src, _ := s.source(auth.NewMemoryStore())
	s.apiHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusUnauthorized) // bare 401, as TradeStation v2 sends
	})
	resp, err := simClient(s, src).Get(s.apiURL())
	require.NoError(t, err)
	resp.Body.Close()
	assert.EqualValues(t, 1, s.apiCalls.Load())
	assert.Zero(t, s.tokenCalls.Load())

	// With the broker's rule as data, a bare 401 refreshes.
	resp, err = simClient(s, src, func(tr *auth.Transport) { tr.RefreshOn = any401 }).Get(s.apiURL())
	require.NoError(t, err)
	resp.Body.Close()
	assert.EqualValues(t, 3, s.apiCalls.Load())
	assert.EqualValues(t, 1, s.tokenCalls.Load())
}

// bare401Provider is a broker whose API refuses tokens with bare 401s and
// says so as data (a TokenRefused method).
type bare401Provider struct{ *auth.Standard }

func (bare401Provider) TokenRefused(resp *http.Response) bool { return any401(resp) }

func any401(resp *http.Response) bool { return resp.StatusCode == http.StatusUnauthorized }

func TestTransportUsesProviderRefusalRule(t *testing.T) {
	s := newSim(t, nil, rotatingCaps())
	src, err := auth.NewSource(bare401Provider{s.p}, auth.NewMemoryStore(), auth.Key("sim", "bob"),
		auth.SourceOptions{Now: s.clock.Now})
	require.NoError(t, err)
	require.NoError(t, src.SetToken(context.Background(), s.login()))
	s.apiHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.apiCalls.Load() == 1 {
			w.WriteHeader(http.StatusUnauthorized) // bare 401
		}
	})
	resp, err := simClient(s, src).Get(s.apiURL())
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode, "no RefreshOn given: the provider's rule applies")
	assert.EqualValues(t, 1, s.tokenCalls.Load())
	assert.EqualValues(t, 2, s.apiCalls.Load())
}

func TestTransportRefreshFailureIsTyped(t *testing.T) {
	s := newSim(t, nil, rotatingCaps())
	src, first := s.source(auth.NewMemoryStore())
	require.True(t, s.eng.Invalidate(first.RefreshToken)) // takes the access token with it
	_, err := simClient(s, src).Get(s.apiURL())
	require.ErrorIs(t, err, auth.ErrReauthRequired)
	assert.NotContains(t, err.Error(), first.AccessToken)
	assert.NotContains(t, err.Error(), first.RefreshToken)
	assert.NotContains(t, err.Error(), apiKey)
}

func TestTransportSurfacesRateLimitAndOutage(t *testing.T) {
	s := newSim(t, nil, rotatingCaps())
	src, _ := s.source(auth.NewMemoryStore())
	hc := simClient(s, src)

	s.eng.Faults().Next("/api", oauthsim.Fault{Status: http.StatusTooManyRequests, RetryAfter: 7 * time.Second}, 1)
	resp, err := hc.Get(s.apiURL())
	require.NoError(t, err, "a RoundTripper returns 429 as a response")
	resp.Body.Close()
	err = auth.CheckResponse(resp)
	require.ErrorIs(t, err, auth.ErrRateLimited)
	require.ErrorIs(t, err, auth.ErrUnavailable)
	var rl *auth.RateLimitError
	require.ErrorAs(t, err, &rl)
	assert.Equal(t, 7*time.Second, rl.RetryAfter)

	for _, status := range []int{500, 502, 503, 504} {
		s.eng.Faults().Next("/api", oauthsim.Fault{Status: status, Body: "upstream down"}, 1)
		resp, err := hc.Get(s.apiURL())
		require.NoError(t, err)
		err = auth.CheckResponse(resp)
		require.ErrorIs(t, err, auth.ErrUnavailable, "HTTP %d", status)
		assert.NotErrorIs(t, err, auth.ErrRateLimited)
		var he *auth.HTTPError
		require.ErrorAs(t, err, &he)
		assert.Equal(t, status, he.StatusCode)
		assert.Equal(t, "upstream down", string(he.Body))
		body, _ := io.ReadAll(resp.Body)
		assert.Equal(t, "upstream down", string(body), "CheckResponse leaves the body readable")
		resp.Body.Close()
	}
	assert.Zero(t, s.tokenCalls.Load(), "neither 429 nor 5xx refreshes the token")

	resp, err = hc.Get(s.apiURL())
	require.NoError(t, err)
	resp.Body.Close()
	assert.NoError(t, auth.CheckResponse(resp))
}

func TestCheckResponseScopeAndToken(t *testing.T) {
	mk := func(status int, challenge string) *http.Response {
		h := http.Header{}
		if challenge != "" {
			h.Set("WWW-Authenticate", challenge)
		}
		return &http.Response{StatusCode: status, Header: h, Body: io.NopCloser(strings.NewReader(""))}
	}
	err := auth.CheckResponse(mk(403, `Bearer realm="api", error="insufficient_scope", scope="trade read", error_description="needs trading"`))
	require.ErrorIs(t, err, auth.ErrInsufficientScope)
	var se *auth.OAuthError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, []string{"trade", "read"}, se.Scope)
	assert.Equal(t, 403, se.StatusCode)
	assert.Contains(t, err.Error(), "trade read")

	err = auth.CheckResponse(mk(401, `Bearer realm="api", error="invalid_token", error_description="expired"`))
	require.ErrorIs(t, err, auth.ErrInvalidToken)
	var oe *auth.OAuthError
	require.ErrorAs(t, err, &oe)
	assert.Equal(t, "resource", oe.Endpoint)
	assert.Equal(t, "expired", oe.Description)

	require.ErrorIs(t, auth.CheckResponse(mk(401, "")), auth.ErrInvalidToken)
	err = auth.CheckResponse(mk(404, ""))
	var he *auth.HTTPError
	require.ErrorAs(t, err, &he)
	assert.NotErrorIs(t, err, auth.ErrUnavailable)
	assert.NoError(t, auth.CheckResponse(mk(204, "")))
	assert.NoError(t, auth.CheckResponse(mk(302, "")))
}

// A resource server's challenge text reaches error strings and log lines:
// it is cleaned of control characters and cut, as the token endpoint's is.
func TestCheckResponseCleansChallengeText(t *testing.T) {
	long := strings.Repeat("x", 5000)
	mk := func(status int, challenge string) *http.Response {
		return &http.Response{StatusCode: status, Header: http.Header{"Www-Authenticate": {challenge}},
			Body: http.NoBody}
	}
	err := auth.CheckResponse(mk(401, "Bearer error=\"invalid_token\", error_description=\"line1\x1b[2Jline2 "+long+"\""))
	require.ErrorIs(t, err, auth.ErrInvalidToken)
	var oe *auth.OAuthError
	require.ErrorAs(t, err, &oe)
	assert.NotContains(t, oe.Description, "\x1b")
	assert.Less(t, len(err.Error()), 1024, "a 5000-byte description is cut")

	err = auth.CheckResponse(mk(403, "Bearer error=\"insufficient_scope\", scope=\"trade\x07 read\", error_description=\""+long+"\""))
	var se *auth.OAuthError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, []string{"trade", "read"}, se.Scope)
	assert.Less(t, len(err.Error()), 1024)
}

func TestTransportNeverPrintsSecrets(t *testing.T) {
	s := newSim(t, nil, rotatingCaps())
	src, tok := s.source(auth.NewMemoryStore())
	tr := &auth.Transport{Source: src, Header: http.Header{"Et-App-Key": {apiKey}}}
	for _, out := range []string{fmt.Sprint(tr), fmt.Sprintf("%+v", tr), fmt.Sprintf("%#v", tr), fmt.Sprintf("%s", tr)} {
		assert.NotContains(t, out, apiKey)
		assert.NotContains(t, out, tok.AccessToken)
		assert.Contains(t, out, "Et-App-Key")
	}
	var buf bytes.Buffer
	slog.New(slog.NewTextHandler(&buf, nil)).Info("transport", "t", tr)
	assert.NotContains(t, buf.String(), apiKey)

	// A cut connection's error names neither the key nor the token.
	s.eng.Faults().Next("/api", oauthsim.Fault{Cut: true}, 1)
	_, err := simClient(s, src).Get(s.apiURL())
	require.Error(t, err)
	assert.NotContains(t, err.Error(), apiKey)
	assert.NotContains(t, err.Error(), tok.AccessToken)
}

func TestTransportClosesBodyOnTokenError(t *testing.T) {
	src, err := auth.NewSource(newSim(t, nil, rotatingCaps()).p, auth.NewMemoryStore(), "nobody")
	require.NoError(t, err)
	body := &closeRecorder{Reader: strings.NewReader("x")}
	req := httptest.NewRequest(http.MethodPost, "http://127.0.0.1:1/api", body)
	_, err = (&auth.Transport{Source: src}).RoundTrip(req)
	require.ErrorIs(t, err, auth.ErrReauthRequired)
	assert.True(t, body.closed, "RoundTrip closes the body even on error")
	_, err = (&auth.Transport{}).RoundTrip(httptest.NewRequest(http.MethodGet, "http://127.0.0.1:1/", nil))
	require.Error(t, err)
}

type closeRecorder struct {
	io.Reader
	closed bool
}

func (c *closeRecorder) Close() error { c.closed = true; return nil }

func TestTransportRefusesPlainHTTP(t *testing.T) {
	s := newSim(t, nil, rotatingCaps())
	src, _ := s.source(auth.NewMemoryStore())
	for _, u := range []string{"http://api.example.com/accounts", "http://10.0.0.1/x", "ftp://api.example.com/"} {
		req := httptest.NewRequest(http.MethodGet, u, nil)
		_, err := (&auth.Transport{Source: src, Base: failingTransport{t}}).RoundTrip(req)
		require.ErrorIs(t, err, auth.ErrInsecureEndpoint, u)
	}
}

type failingTransport struct{ t *testing.T }

func (f failingTransport) RoundTrip(*http.Request) (*http.Response, error) {
	f.t.Error("request sent")
	return nil, io.ErrUnexpectedEOF
}
