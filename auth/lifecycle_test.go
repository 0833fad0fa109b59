package auth_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/internal/oauthsim"
)

// metricsStore is how user code typically wraps a Store: it counts calls
// and passes everything on. It names the store it wraps with Unwrap, so that
// a TokenSource can still find the wrapped store's Locker.
type metricsStore struct {
	auth.Store
	loads, saves, deletes atomic.Int64
}

func (m *metricsStore) Load(ctx context.Context, key string) (*auth.Token, error) {
	m.loads.Add(1)
	return m.Store.Load(ctx, key)
}

func (m *metricsStore) Save(ctx context.Context, key string, t *auth.Token) error {
	m.saves.Add(1)
	return m.Store.Save(ctx, key, t)
}

func (m *metricsStore) Delete(ctx context.Context, key string) error {
	m.deletes.Add(1)
	return m.Store.Delete(ctx, key)
}

func (m *metricsStore) Unwrap() auth.Store { return m.Store }

// plainStore hides every method but Store's: a user store with no Locker
// and no Unwrap.
type plainStore struct{ auth.Store }

type namedStore struct {
	name string
	new  func(t *testing.T) auth.Store
}

func fileStoreIn(t *testing.T, dir string) *auth.FileStore {
	t.Helper()
	fs, err := auth.NewFileStore(dir)
	require.NoError(t, err)
	return fs
}

var lifecycleStores = []namedStore{
	{"memory", func(*testing.T) auth.Store { return auth.NewMemoryStore() }},
	{"file", func(t *testing.T) auth.Store { return fileStoreIn(t, t.TempDir()) }},
}

const lifecycleRounds = 100

// startStaleRefresh makes src's token stale, holds the token endpoint and
// starts a refresh; it returns once the token request has reached the
// server, with the function that lets the server answer and a channel that
// receives the refresh's result.
func (s *sim) startStaleRefresh(src *auth.Source) (release func(), done <-chan error) {
	s.t.Helper()
	s.clock.Advance(simAccessTTL)
	release = s.holdTokens()
	before := s.tokenCalls.Load()
	ch := make(chan error, 1)
	go func() {
		_, err := src.TokenContext(context.Background())
		ch <- err
	}()
	require.Eventually(s.t, func() bool { return s.tokenCalls.Load() > before }, 5*time.Second, time.Millisecond)
	return release, ch
}

// releaseSoon lets the held token endpoint answer a little later, from
// another goroutine, so that the caller can block on something that waits
// for the refresh.
func releaseSoon(release func()) {
	go func() {
		time.Sleep(3 * time.Millisecond)
		release()
	}()
}

// noRevocation turns the server's revocation endpoint off.
func noRevocation(c *oauthsim.Config) { c.Wire.RevokePath = "-" }

// TestLogoutDuringRefreshLeavesNoToken: a logout (or a Store.Delete) while
// a refresh is waiting for a slow token endpoint leaves the store empty, and
// the refresh does not put its token back when it finishes. The provider
// cannot revoke, so only the store stands between a logout and a token that
// keeps working.
func TestLogoutDuringRefreshLeavesNoToken(t *testing.T) {
	stores := append(lifecycleStores, namedStore{"plain", func(*testing.T) auth.Store {
		return plainStore{auth.NewMemoryStore()}
	}})
	for _, st := range stores {
		t.Run(st.name+"/Logout", func(t *testing.T) {
			s := newSim(t, noRevocation, rotatingCaps())
			store := st.new(t)
			m, err := auth.NewManager(s.p, store, auth.WithTransport(auth.Transport{Base: s.srv.Client().Transport}),
				auth.WithSourceOptions(auth.SourceOptions{Now: s.clock.Now}))
			require.NoError(t, err)
			ctx := context.Background()
			key := auth.Key("sim", "alice")
			resurrected, served := 0, 0
			for range lifecycleRounds {
				require.NoError(t, m.SetToken(ctx, "alice", s.login()))
				src := m.Source("alice")
				release, done := s.startStaleRefresh(src)
				releaseSoon(release)
				require.NoError(t, m.Logout(ctx, "alice"))
				<-done
				if _, lerr := store.Load(ctx, key); lerr == nil {
					resurrected++
				}
				// The source a kept client holds stays logged out.
				if _, err := src.TokenContext(ctx); !errors.Is(err, auth.ErrReauthRequired) {
					served++
				}
				if _, lerr := store.Load(ctx, key); lerr == nil {
					resurrected++
				}
			}
			assert.Zero(t, resurrected, "tokens found in the store after Logout returned")
			assert.Zero(t, served, "tokens served by a logged-out source")
		})
	}
	// With revocation, Logout revokes the token the refresh in flight
	// obtained (the newest), so that no copy of it works at the server.
	t.Run("memory/Logout-revoking", func(t *testing.T) {
		s := newSim(t, nil, rotatingCaps())
		store := auth.NewMemoryStore()
		m, err := auth.NewManager(s.p, store, auth.WithTransport(auth.Transport{Base: s.srv.Client().Transport}),
			auth.WithSourceOptions(auth.SourceOptions{Now: s.clock.Now}))
		require.NoError(t, err)
		require.True(t, s.p.Capabilities().Revoke)
		ctx := context.Background()
		var saved atomic.Pointer[auth.Token]
		for range lifecycleRounds {
			src, err := auth.NewSource(s.p, store, auth.Key("sim", "alice"),
				auth.SourceOptions{Now: s.clock.Now},
				auth.SourceOptions{OnChange: func(_, nt *auth.Token) { saved.Store(nt) }})
			require.NoError(t, err)
			require.NoError(t, src.SetToken(ctx, s.login()))
			release, done := s.startStaleRefresh(src)
			releaseSoon(release)
			require.NoError(t, m.Logout(ctx, "alice"))
			require.NoError(t, <-done, "this source knows nothing of the logout")
			_, err = store.Load(ctx, auth.Key("sim", "alice"))
			require.ErrorIs(t, err, auth.ErrNoToken)
			newest := saved.Load()
			_, err = s.p.Refresh(ctx, newest)
			require.ErrorIs(t, err, auth.ErrReauthRequired, "the newest refresh token was revoked")
		}
	})
	for _, st := range lifecycleStores {
		t.Run(st.name+"/Delete", func(t *testing.T) {
			s := newSim(t, noRevocation, rotatingCaps())
			store := st.new(t)
			ctx := context.Background()
			key := auth.Key("sim", "alice")
			resurrected := 0
			for range lifecycleRounds {
				src, _ := s.source(store)
				release, done := s.startStaleRefresh(src)
				releaseSoon(release)
				require.NoError(t, store.Delete(ctx, key))
				<-done
				if _, err := store.Load(ctx, key); err == nil {
					resurrected++
				}
			}
			assert.Zero(t, resurrected, "tokens found in the store after Delete returned")
		})
	}
}

// TestForgetDuringRefreshSpendsRefreshTokenOnce: Forget while a refresh is
// in flight, then a request that builds a new source for the same user.
// The server rotates refresh tokens and refuses (and punishes) reuse, so a
// second refresh with the same refresh token shows up as invalid_grant.
func TestForgetDuringRefreshSpendsRefreshTokenOnce(t *testing.T) {
	stores := append(lifecycleStores,
		namedStore{"wrapped-file", func(t *testing.T) auth.Store {
			return &metricsStore{Store: fileStoreIn(t, t.TempDir())}
		}},
		namedStore{"plain", func(*testing.T) auth.Store { return plainStore{auth.NewMemoryStore()} }},
	)
	for _, st := range stores {
		t.Run(st.name, func(t *testing.T) {
			s := newSim(t, nil, rotatingCaps())
			m, err := auth.NewManager(s.p, st.new(t), auth.WithTransport(auth.Transport{Base: s.srv.Client().Transport}),
				auth.WithSourceOptions(auth.SourceOptions{Now: s.clock.Now}))
			require.NoError(t, err)
			ctx := context.Background()
			for range lifecycleRounds {
				require.NoError(t, m.SetToken(ctx, "alice", s.login()))
				release, done := s.startStaleRefresh(m.Source("alice"))
				m.Forget("alice")
				second := make(chan error, 1)
				go func() {
					_, err := m.Source("alice").TokenContext(ctx)
					second <- err
				}()
				releaseSoon(release)
				require.NoError(t, <-done)
				require.NoError(t, <-second)
			}
			assert.Zero(t, s.invalidGrants.Load(), "a rotated refresh token was spent twice")
		})
	}
}

// TestWrappedStoreKeepsCrossProcessLock: two sources, as two processes
// would have, each over its own FileStore on one directory, each wrapped in
// user code that counts calls. The wrapper is not itself a Locker; the
// sources find the FileStore's lock through Unwrap.
func TestWrappedStoreKeepsCrossProcessLock(t *testing.T) {
	s := newSim(t, nil, rotatingCaps())
	dir := t.TempDir()
	a := &metricsStore{Store: fileStoreIn(t, dir)}
	b := &metricsStore{Store: fileStoreIn(t, dir)}
	srcA, _ := s.source(a)
	srcB, err := auth.NewSource(s.p, b, auth.Key("sim", "alice"), auth.SourceOptions{Now: s.clock.Now})
	require.NoError(t, err)
	ctx := context.Background()
	for range 20 {
		release, doneA := s.startStaleRefresh(srcA)
		doneB := make(chan error, 1)
		go func() {
			_, err := srcB.TokenContext(ctx)
			doneB <- err
		}()
		releaseSoon(release)
		require.NoError(t, <-doneA)
		require.NoError(t, <-doneB)
	}
	assert.Zero(t, s.invalidGrants.Load(), "a rotated refresh token was spent twice")
	assert.NotZero(t, a.saves.Load()+b.saves.Load(), "the wrappers saw the traffic")
}

// shortTTL is a token lifetime shorter than the default leeway.
const shortTTL = 3 * time.Second

// shortSource is sim.source with a login whose expiry matches the server's
// short lifetime.
func (s *sim) shortSource(store auth.Store) *auth.Source {
	s.t.Helper()
	src, err := auth.NewSource(s.p, store, auth.Key("sim", "alice"), auth.SourceOptions{Now: s.clock.Now})
	require.NoError(s.t, err)
	tok := s.login()
	tok.Expiry = s.clock.Now().Add(s.cfg.AccessTTL)
	require.NoError(s.t, src.SetToken(context.Background(), tok))
	return src
}

// TestShortLivedStoredTokenIsNotRefreshedAgain: with tokens that live less
// than the leeway, five sources over one FileStore share one refresh: a
// token read back from the store is judged by the same rule (refresh at
// half its life) as the token a source has just obtained.
func TestShortLivedStoredTokenIsNotRefreshedAgain(t *testing.T) {
	s := newSim(t, func(c *oauthsim.Config) { c.AccessTTL = shortTTL }, rotatingCaps())
	dir := t.TempDir()
	ctx := context.Background()
	first := s.shortSource(fileStoreIn(t, dir))
	srcs := []*auth.Source{first}
	for range 4 {
		src, err := auth.NewSource(s.p, fileStoreIn(t, dir), auth.Key("sim", "alice"),
			auth.SourceOptions{Now: s.clock.Now})
		require.NoError(t, err)
		srcs = append(srcs, src)
	}
	for _, src := range srcs {
		_, err := src.TokenContext(ctx)
		require.NoError(t, err)
	}
	assert.Zero(t, s.tokenCalls.Load(), "a stored token at the start of its life is fresh")

	// Past half its life: stale for everyone, and one refresh serves all.
	s.clock.Advance(shortTTL/2 + 100*time.Millisecond)
	for _, src := range srcs {
		_, err := src.TokenContext(ctx) // still valid: refreshed ahead
		require.NoError(t, err)
	}
	for _, src := range srcs {
		src.Settle()
	}
	var got []string
	for _, src := range srcs {
		tok, err := src.TokenContext(ctx)
		require.NoError(t, err)
		got = append(got, tok.AccessToken)
	}
	assert.EqualValues(t, 1, s.tokenCalls.Load(), "one refresh for five sources")
	for _, a := range got {
		assert.Equal(t, got[0], a)
	}
}

// TestShortLivedRecoveredTokenIsNotRefreshedAgain: a refreshed token whose
// Save failed is saved on the next call and served, not refreshed again.
func TestShortLivedRecoveredTokenIsNotRefreshedAgain(t *testing.T) {
	s := newSim(t, func(c *oauthsim.Config) { c.AccessTTL = shortTTL }, rotatingCaps())
	store := &countingStore{Store: auth.NewMemoryStore()}
	src := s.shortSource(store)
	s.clock.Advance(shortTTL/2 + 100*time.Millisecond)
	store.failNext.Store(1)
	// The token is still valid: the refresh runs ahead, its Save fails.
	_, err := src.TokenContext(context.Background())
	require.NoError(t, err)
	src.Settle()
	// The old token has expired now (the recovered one is not due yet):
	// the caller waits, and gets the recovered token.
	s.clock.Advance(shortTTL/2 - 100*time.Millisecond)
	got, err := src.TokenContext(context.Background())
	require.NoError(t, err)
	assert.EqualValues(t, 1, s.tokenCalls.Load(), "the recovered token is fresh")
	stored, err := store.Load(context.Background(), auth.Key("sim", "alice"))
	require.NoError(t, err)
	assert.Equal(t, got.RefreshToken, stored.RefreshToken)
	assert.Zero(t, s.invalidGrants.Load())
}
