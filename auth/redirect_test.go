package auth_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/internal/origin/origintest"
)

const (
	redirectToken = "redirect-ACCESS-7f3e9a"
	redirectKey   = "redirect-APPKEY-41c2d8"
)

// staticSource is a TokenSource holding one valid token; its provider is
// never called.
func staticSource(t *testing.T) (auth.Provider, *auth.Source) {
	t.Helper()
	p, err := auth.NewStandard(auth.Config{Name: "redir", ClientID: "app",
		Endpoint:  auth.Endpoint{AuthURL: "http://127.0.0.1:1/authorize", TokenURL: "http://127.0.0.1:1/token"},
		AuthStyle: auth.AuthStylePublic})
	require.NoError(t, err)
	src, err := auth.NewSource(p, auth.NewMemoryStore(), auth.Key("redir", "alice"))
	require.NoError(t, err)
	require.NoError(t, src.SetToken(context.Background(), redirectTok()))
	return p, src
}

func redirectTok() *auth.Token {
	return &auth.Token{AccessToken: redirectToken, TokenType: "Bearer", Expiry: time.Now().Add(time.Hour)}
}

// TestTransportCrossOriginRedirect: a redirect to another origin (here
// another port) is refused with an error matching ErrCrossOriginRedirect
// before anything is sent there, whatever the client's redirect policy
// and whatever the redirect status; the Manager's clients follow the same
// rule.
func TestTransportCrossOriginRedirect(t *testing.T) {
	for _, status := range []int{http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther,
		http.StatusTemporaryRedirect, http.StatusPermanentRedirect} {
		pair := origintest.New(t)
		pair.SetStatus(status)
		p, src := staticSource(t)
		m, err := auth.NewManager(p, auth.NewMemoryStore(), auth.WithTransport(auth.Transport{Header: http.Header{"Et-App-Key": {redirectKey}}}))
		require.NoError(t, err)
		require.NoError(t, m.SetToken(context.Background(), "alice", redirectTok()))
		clients := map[string]*http.Client{
			"Manager.Client": m.Client("alice"),
			"permissive CheckRedirect": {
				Transport:     &auth.Transport{Source: src, Header: http.Header{"Et-App-Key": {redirectKey}}},
				CheckRedirect: func(*http.Request, []*http.Request) error { return nil },
			},
		}
		for name, hc := range clients {
			resp, err := hc.Post(pair.Origin.URL+"/api/orders", "application/json", strings.NewReader(`{"order":1}`))
			if resp != nil {
				resp.Body.Close()
			}
			require.Error(t, err, "%s, %d", name, status)
			assert.ErrorIs(t, err, auth.ErrCrossOriginRedirect, "%s, %d", name, status)
			assert.NotContains(t, err.Error(), redirectToken)
		}
		assert.Empty(t, pair.Leaks(redirectToken, redirectKey), "status %d", status)
		assert.Empty(t, pair.ForeignHeaders(), "nothing reaches the other origin (status %d)", status)
		// The first hop did carry the credentials: the refusal is the
		// redirect's, not a missing token.
		require.NotEmpty(t, pair.OriginHeaders())
		assert.Equal(t, "Bearer "+redirectToken, pair.OriginHeaders()[0].Get("Authorization"))
	}
}

// TestTransportSameOriginRedirect: a redirect within the origin is
// followed, and the next hop carries the token and static headers again.
func TestTransportSameOriginRedirect(t *testing.T) {
	pair := origintest.New(t)
	p, src := staticSource(t)
	m, err := auth.NewManager(p, auth.NewMemoryStore(), auth.WithTransport(auth.Transport{Header: http.Header{"Et-App-Key": {redirectKey}}}))
	require.NoError(t, err)
	require.NoError(t, m.SetToken(context.Background(), "alice", redirectTok()))
	// A base transport that does not record the request on its response
	// (as some mocks do) must not break same-origin redirects.
	forgetful := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		resp, err := http.DefaultTransport.RoundTrip(r)
		if resp != nil {
			resp.Request = nil
		}
		return resp, err
	})
	hdr := http.Header{"Et-App-Key": {redirectKey}}
	for name, hc := range map[string]*http.Client{
		"Manager.Client":       m.Client("alice"),
		"forgetful base":       {Transport: &auth.Transport{Source: src, Base: forgetful, Header: hdr}},
		"plain auth.Transport": {Transport: &auth.Transport{Source: src, Header: hdr}},
	} {
		before := len(pair.OriginHeaders())
		resp, err := hc.Get(pair.Origin.URL + "/same/x")
		require.NoError(t, err, name)
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		assert.Equal(t, "{}", string(b), name)
		seen := pair.OriginHeaders()[before:]
		require.Len(t, seen, 2, name)
		for _, h := range seen {
			assert.Equal(t, "Bearer "+redirectToken, h.Get("Authorization"), name)
			assert.Equal(t, redirectKey, h.Get("Et-App-Key"), name)
		}
	}
	assert.Empty(t, pair.ForeignHeaders())
}

// TestTransportRedirectOrigins: scheme, host and port each make an
// origin: a downgrade to http on the same host and port, another port,
// another name for the same machine and a foreign host are all refused,
// judged before anything is sent; only the same origin is followed.
func TestTransportRedirectOrigins(t *testing.T) {
	_, src := staticSource(t)
	for target, follow := range map[string]bool{
		"http://127.0.0.1:8443/next":   false,
		"https://127.0.0.1:9443/next":  false,
		"https://localhost:8443/next":  false,
		"http://broker.example/next":   false,
		"https://broker.example/next":  false,
		"https://127.0.0.1:8443/next":  true,
		"HTTPS://127.0.0.1:8443/next2": true,
	} {
		var sent []string
		base := roundTripFunc(func(r *http.Request) (*http.Response, error) {
			sent = append(sent, r.URL.String())
			if r.URL.Path == "/start" {
				return &http.Response{StatusCode: http.StatusFound, Request: r, Body: http.NoBody,
					Header: http.Header{"Location": {target}}}, nil
			}
			return &http.Response{StatusCode: http.StatusOK, Request: r, Body: http.NoBody, Header: http.Header{}}, nil
		})
		hc := &http.Client{Transport: &auth.Transport{Source: src, Base: base}}
		resp, err := hc.Get("https://127.0.0.1:8443/start")
		if resp != nil {
			resp.Body.Close()
		}
		if follow {
			require.NoError(t, err, target)
			assert.Len(t, sent, 2, target)
			continue
		}
		require.ErrorIs(t, err, auth.ErrCrossOriginRedirect, target)
		assert.Equal(t, []string{"https://127.0.0.1:8443/start"}, sent, target)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
