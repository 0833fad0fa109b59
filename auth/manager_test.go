package auth_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/internal/oauthsim"
)

func TestManagerPerUserClients(t *testing.T) {
	s := newSim(t, nil, rotatingCaps())
	s.apiHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		g, _ := oauthsim.GrantFrom(r.Context())
		_, _ = io.WriteString(w, g.UserID+" "+r.Header.Get("Et-App-Key"))
	})
	store := auth.NewMemoryStore()
	m, err := auth.NewManager(s.p, store,
		auth.WithTransport(auth.Transport{Base: s.srv.Client().Transport, Header: http.Header{"Et-App-Key": {apiKey}}}),
		auth.WithSourceOptions(auth.SourceOptions{Now: s.clock.Now}))
	require.NoError(t, err)
	ctx := context.Background()
	require.NoError(t, m.SetToken(ctx, "alice", s.loginAs("u1")))
	require.NoError(t, m.SetToken(ctx, "bob", s.loginAs("u2")))

	get := func(user string) string {
		resp, err := m.Client(user).Get(s.apiURL())
		require.NoError(t, err)
		defer resp.Body.Close()
		require.NoError(t, auth.CheckResponse(resp))
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	assert.Equal(t, "u1 "+apiKey, get("alice"))
	assert.Equal(t, "u2 "+apiKey, get("bob"))

	// One source and one client per user, however many goroutines ask.
	var wg sync.WaitGroup
	srcs := make([]*auth.Source, 50)
	clients := make([]*http.Client, 50)
	for i := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			srcs[i], clients[i] = m.Source("carol"), m.Client("carol")
		}()
	}
	wg.Wait()
	for i := range 50 {
		assert.Same(t, srcs[0], srcs[i])
		assert.Same(t, clients[0], clients[i])
	}
	assert.NotSame(t, m.Source("alice"), m.Source("bob"))
	assert.Equal(t, auth.Key("sim", "alice"), m.Source("alice").Key())

	// A user who never logged in gets a typed error from the client.
	_, err = m.Client("carol").Get(s.apiURL())
	require.ErrorIs(t, err, auth.ErrReauthRequired)

	// Both users' tokens refresh independently, through one store.
	s.clock.Advance(simAccessTTL)
	assert.Equal(t, "u1 "+apiKey, get("alice"))
	assert.Equal(t, "u2 "+apiKey, get("bob"))
	assert.EqualValues(t, 2, s.tokenCalls.Load())
}

func TestManagerLogout(t *testing.T) {
	s := newSim(t, nil, rotatingCaps())
	store := auth.NewMemoryStore()
	m, err := auth.NewManager(s.p, store, auth.WithTransport(auth.Transport{Base: s.srv.Client().Transport}),
		auth.WithSourceOptions(auth.SourceOptions{Now: s.clock.Now}))
	require.NoError(t, err)
	ctx := context.Background()
	tok := s.login()
	require.NoError(t, m.SetToken(ctx, "alice", tok))
	client := m.Client("alice")

	require.NoError(t, m.Logout(ctx, "alice"))
	_, err = store.Load(ctx, auth.Key("sim", "alice"))
	require.ErrorIs(t, err, auth.ErrNoToken)
	_, err = s.p.Refresh(ctx, tok)
	require.ErrorIs(t, err, auth.ErrReauthRequired, "the refresh token was revoked at the provider")
	_, err = client.Get(s.apiURL())
	require.ErrorIs(t, err, auth.ErrReauthRequired, "a client kept from before the logout stops working")
}

// TestManagerForget: a forgotten user holds no source in memory, keeps the
// stored token, and is served again from the store on the next request.
func TestManagerForget(t *testing.T) {
	s := newSim(t, nil, rotatingCaps())
	store := auth.NewMemoryStore()
	m, err := auth.NewManager(s.p, store, auth.WithTransport(auth.Transport{Base: s.srv.Client().Transport}),
		auth.WithSourceOptions(auth.SourceOptions{Now: s.clock.Now}))
	require.NoError(t, err)
	ctx := context.Background()
	tok := s.login()
	require.NoError(t, m.SetToken(ctx, "alice", tok))
	before := m.Source("alice")

	m.Forget("alice")
	m.Forget("nobody") // no such user: nothing to do
	after := m.Source("alice")
	assert.NotSame(t, before, after, "the source was dropped")
	got, err := after.TokenContext(ctx)
	require.NoError(t, err)
	assert.Equal(t, tok.AccessToken, got.AccessToken, "the stored token is kept")
	assert.Zero(t, s.tokenCalls.Load(), "and served without asking the provider")

	// A closed source also serves from the store.
	before.Close()
	got, err = before.TokenContext(ctx)
	require.NoError(t, err)
	assert.Equal(t, tok.AccessToken, got.AccessToken)
}

func TestNewManagerValidates(t *testing.T) {
	s := newSim(t, nil, rotatingCaps())
	_, err := auth.NewManager(nil, auth.NewMemoryStore())
	assert.Error(t, err)
	_, err = auth.NewManager(s.p, nil)
	assert.Error(t, err)
	_, err = auth.NewManager(s.p, auth.NewMemoryStore(), auth.WithSourceOptions(auth.SourceOptions{Leeway: -1}))
	assert.Error(t, err)
}

func TestManagerAndSourceNeverPrintSecrets(t *testing.T) {
	s := newSim(t, nil, rotatingCaps())
	m, err := auth.NewManager(s.p, auth.NewMemoryStore(), auth.WithTransport(auth.Transport{Header: http.Header{"Et-App-Key": {apiKey}}}),
		auth.WithSourceOptions(auth.SourceOptions{Now: s.clock.Now}))
	require.NoError(t, err)
	tok := s.login()
	require.NoError(t, m.SetToken(context.Background(), "alice", tok))
	src := m.Source("alice")
	src.Invalidate(tok) // the refused token is remembered inside the source
	for _, v := range []any{m, src} {
		for _, format := range []string{"%v", "%+v", "%#v", "%s"} {
			out := fmt.Sprintf(format, v)
			assert.NotContains(t, out, apiKey, format)
			assert.NotContains(t, out, tok.AccessToken, format)
			assert.NotContains(t, out, tok.RefreshToken, format)
		}
	}
	assert.Equal(t, "auth.Source{provider=sim key=sim/alice}", fmt.Sprint(src))
}
