package auth_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/internal/oauthsim"
)

var _ oauth2.TokenSource = (*auth.Source)(nil)

func TestSourceServesCachedTokenWithoutRequests(t *testing.T) {
	s := newSim(t, nil, rotatingCaps())
	src, tok := s.source(auth.NewMemoryStore())
	for range 5 {
		got, err := src.TokenContext(context.Background())
		require.NoError(t, err)
		assert.Equal(t, tok.AccessToken, got.AccessToken)
		o, err := src.Token()
		require.NoError(t, err)
		assert.Equal(t, tok.AccessToken, o.AccessToken)
		assert.Equal(t, "Bearer", o.TokenType)
	}
	assert.Zero(t, s.tokenCalls.Load())
}

func TestSourceRefreshRotatesAndPersists(t *testing.T) {
	s := newSim(t, nil, rotatingCaps())
	store := auth.NewMemoryStore()
	var changes []string
	src, first := s.source(store, auth.SourceOptions{OnChange: func(old, nt *auth.Token) {
		// The store must already hold the new token when the hook runs.
		stored, err := store.Load(context.Background(), auth.Key("sim", "alice"))
		require.NoError(t, err)
		assert.Equal(t, nt.AccessToken, stored.AccessToken)
		if old != nil {
			changes = append(changes, old.AccessToken+"->"+nt.AccessToken)
		}
	}})
	ctx := context.Background()

	// 30 s before expiry: inside the one-minute leeway, so it refreshes
	// in the background while the still-valid token is served.
	s.clock.Advance(simAccessTTL - 30*time.Second)
	old, err := src.TokenContext(ctx)
	require.NoError(t, err)
	assert.Equal(t, first.AccessToken, old.AccessToken, "refresh ahead serves the valid token")
	src.Settle()
	second, err := src.TokenContext(ctx)
	require.NoError(t, err)
	assert.EqualValues(t, 1, s.tokenCalls.Load(), "exactly one token request")
	assert.NotEqual(t, first.AccessToken, second.AccessToken)
	assert.NotEqual(t, first.RefreshToken, second.RefreshToken, "the server rotates refresh tokens")
	assert.Equal(t, []string{first.AccessToken + "->" + second.AccessToken}, changes)

	stored, err := store.Load(ctx, auth.Key("sim", "alice"))
	require.NoError(t, err)
	assert.Equal(t, second.RefreshToken, stored.RefreshToken, "the rotated refresh token is saved")
	assert.Equal(t, s.clock.Now().Add(simAccessTTL), stored.Expiry)

	again, err := src.TokenContext(ctx)
	require.NoError(t, err)
	assert.Same(t, second, again, "cached")
	assert.EqualValues(t, 1, s.tokenCalls.Load())

	// The next refresh uses the rotated refresh token.
	s.clock.Advance(simAccessTTL)
	third, err := src.TokenContext(ctx)
	require.NoError(t, err)
	assert.EqualValues(t, 2, s.tokenCalls.Load())
	assert.NotEqual(t, second.AccessToken, third.AccessToken)
	assert.Zero(t, s.invalidGrants.Load())

	// A fresh source over the same store picks up the newest token.
	src2, err := auth.NewSource(s.p, store, auth.Key("sim", "alice"), auth.SourceOptions{Now: s.clock.Now})
	require.NoError(t, err)
	got, err := src2.TokenContext(ctx)
	require.NoError(t, err)
	assert.Equal(t, third.AccessToken, got.AccessToken)
	assert.EqualValues(t, 2, s.tokenCalls.Load())
}

func TestSourceOldRefreshTokenRefused(t *testing.T) {
	s := newSim(t, func(c *oauthsim.Config) { c.Refresh.ReuseRevokesFamily = false }, rotatingCaps())
	src, first := s.source(auth.NewMemoryStore())
	s.clock.Advance(simAccessTTL)
	_, err := src.TokenContext(context.Background())
	require.NoError(t, err)

	_, err = s.p.Refresh(context.Background(), first)
	require.Error(t, err)
	assert.ErrorIs(t, err, auth.ErrReauthRequired)
	assert.EqualValues(t, 1, s.invalidGrants.Load())
}

func TestSourceRevokedRefreshTokenNeedsReauthOnce(t *testing.T) {
	s := newSim(t, nil, rotatingCaps())
	store := auth.NewMemoryStore()
	src, first := s.source(store)
	require.True(t, s.eng.Invalidate(first.RefreshToken))
	s.clock.Advance(simAccessTTL)

	_, err := src.TokenContext(context.Background())
	require.ErrorIs(t, err, auth.ErrReauthRequired)
	var oe *auth.OAuthError
	require.ErrorAs(t, err, &oe)
	assert.Equal(t, "invalid_grant", oe.Code)
	assert.EqualValues(t, 1, s.tokenCalls.Load())

	// Remembered: no second request with the same dead token.
	for range 3 {
		_, err = src.TokenContext(context.Background())
		require.ErrorIs(t, err, auth.ErrReauthRequired)
		_, err = src.Token()
		require.ErrorIs(t, err, auth.ErrReauthRequired)
	}
	assert.EqualValues(t, 1, s.tokenCalls.Load())

	// A new login written to the store (by another process, say) clears it.
	fresh := s.login()
	require.NoError(t, store.Save(context.Background(), auth.Key("sim", "alice"), fresh))
	got, err := src.TokenContext(context.Background())
	require.NoError(t, err)
	assert.Equal(t, fresh.AccessToken, got.AccessToken)
	assert.EqualValues(t, 1, s.tokenCalls.Load())
}

func TestSourceForceRefreshRetriesRememberedFailure(t *testing.T) {
	s := newSim(t, nil, rotatingCaps())
	src, first := s.source(auth.NewMemoryStore())
	require.True(t, s.eng.Invalidate(first.RefreshToken))
	s.clock.Advance(simAccessTTL)
	_, err := src.TokenContext(context.Background())
	require.ErrorIs(t, err, auth.ErrReauthRequired)
	_, err = src.ForceRefresh(context.Background(), nil)
	require.ErrorIs(t, err, auth.ErrReauthRequired)
	assert.EqualValues(t, 2, s.tokenCalls.Load(), "ForceRefresh asks once more")
}

func TestSourceNoRefreshGrant(t *testing.T) {
	s := newSim(t, func(c *oauthsim.Config) { c.Refresh.Mode = oauthsim.RefreshNone }, auth.Capabilities{})
	src, tok := s.source(auth.NewMemoryStore())
	require.Empty(t, tok.RefreshToken)

	// Inside the leeway but not expired: nothing can renew it, so it is
	// served until it lapses.
	s.clock.Advance(simAccessTTL - 10*time.Second)
	got, err := src.TokenContext(context.Background())
	require.NoError(t, err)
	assert.Equal(t, tok.AccessToken, got.AccessToken)

	s.clock.Advance(10 * time.Second)
	_, err = src.TokenContext(context.Background())
	require.ErrorIs(t, err, auth.ErrReauthRequired)
	assert.Zero(t, s.tokenCalls.Load())
}

func TestSourceNotLoggedIn(t *testing.T) {
	s := newSim(t, nil, rotatingCaps())
	src, err := auth.NewSource(s.p, auth.NewMemoryStore(), auth.Key("sim", "bob"))
	require.NoError(t, err)
	_, err = src.TokenContext(context.Background())
	require.ErrorIs(t, err, auth.ErrReauthRequired)
	require.ErrorIs(t, err, auth.ErrNoToken)
}

func TestSourceRefreshTokenExpiryKnownLocally(t *testing.T) {
	s := newSim(t, nil, rotatingCaps())
	src, err := auth.NewSource(s.p, auth.NewMemoryStore(), auth.Key("sim", "alice"), auth.SourceOptions{Now: s.clock.Now})
	require.NoError(t, err)
	tok := s.login()
	tok.RefreshExpiry = s.clock.Now().Add(time.Hour)
	require.NoError(t, src.SetToken(context.Background(), tok))
	s.clock.Advance(2 * time.Hour)
	_, err = src.TokenContext(context.Background())
	require.ErrorIs(t, err, auth.ErrReauthRequired)
	assert.Zero(t, s.tokenCalls.Load(), "no request with a refresh token known to be expired")
}

func TestSourceRefreshStorm(t *testing.T) {
	s := newSim(t, nil, rotatingCaps())
	src, first := s.source(auth.NewMemoryStore())
	s.clock.Advance(simAccessTTL + time.Minute)

	const n = 1000
	release := s.holdTokens()
	defer release()
	var start, done sync.WaitGroup
	start.Add(1)
	got := make([]string, n)
	errs := make([]error, n)
	for i := range n {
		done.Add(1)
		go func() {
			defer done.Done()
			start.Wait()
			var tok *auth.Token
			if i%2 == 0 {
				tok, errs[i] = src.TokenContext(context.Background())
			} else {
				var o *oauth2.Token
				o, errs[i] = src.Token()
				if o != nil {
					tok = &auth.Token{AccessToken: o.AccessToken}
				}
			}
			if tok != nil {
				got[i] = tok.AccessToken
			}
		}()
	}
	start.Done()
	// Let the goroutines pile up on the held request, then let it go.
	require.Eventually(t, func() bool { return s.tokenCalls.Load() == 1 }, 5*time.Second, time.Millisecond)
	time.Sleep(20 * time.Millisecond)
	release()
	done.Wait()

	assert.EqualValues(t, 1, s.tokenCalls.Load(), "one token request for the whole storm")
	for i := range n {
		require.NoError(t, errs[i])
		require.Equal(t, got[0], got[i])
	}
	assert.NotEqual(t, first.AccessToken, got[0])
}

func TestSourceCancelledCallerDoesNotPoisonOthers(t *testing.T) {
	s := newSim(t, nil, rotatingCaps())
	store := auth.NewMemoryStore()
	src, first := s.source(store)
	s.clock.Advance(simAccessTTL)

	release := s.holdTokens()
	defer release()
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		_, err := src.TokenContext(ctx)
		errc <- err
	}()
	require.Eventually(t, func() bool { return s.tokenCalls.Load() == 1 }, 5*time.Second, time.Millisecond)
	cancel()
	select {
	case err := <-errc:
		require.ErrorIs(t, err, context.Canceled, "the cancelled caller returns at once")
	case <-time.After(5 * time.Second):
		t.Fatal("cancelled caller still waiting")
	}

	// A caller with an already-dead context gets its own error.
	dead, cancelDead := context.WithCancel(context.Background())
	cancelDead()
	_, err := src.TokenContext(dead)
	require.ErrorIs(t, err, context.Canceled)

	// A later caller shares the refresh the cancelled one started.
	resc := make(chan *auth.Token, 1)
	go func() {
		tok, err := src.TokenContext(context.Background())
		assert.NoError(t, err)
		resc <- tok
	}()
	release()
	tok := <-resc
	require.NotNil(t, tok)
	assert.NotEqual(t, first.AccessToken, tok.AccessToken)
	assert.EqualValues(t, 1, s.tokenCalls.Load(), "the refresh ran once and was not abandoned")
	stored, err := store.Load(context.Background(), auth.Key("sim", "alice"))
	require.NoError(t, err)
	assert.Equal(t, tok.RefreshToken, stored.RefreshToken)
	assert.Zero(t, s.invalidGrants.Load())
}

func TestSourceTransientFailureKeepsServingValidToken(t *testing.T) {
	s := newSim(t, nil, rotatingCaps())
	src, first := s.source(auth.NewMemoryStore())
	tokenPath := s.eng.Endpoint("").TokenURL
	s.eng.Faults().Next(tokenPath, oauthsim.Fault{Status: http.StatusServiceUnavailable}, 100)

	// Inside the leeway: the early refresh fails, the valid token is served.
	s.clock.Advance(simAccessTTL - 50*time.Second)
	got, err := src.TokenContext(context.Background())
	require.NoError(t, err)
	assert.Equal(t, first.AccessToken, got.AccessToken)
	src.Settle()
	assert.EqualValues(t, 1, s.tokenCalls.Load())
	// No new attempt until the retry delay has passed.
	for range 10 {
		_, err = src.TokenContext(context.Background())
		require.NoError(t, err)
	}
	assert.EqualValues(t, 1, s.tokenCalls.Load())
	s.clock.Advance(6 * time.Second)
	_, err = src.TokenContext(context.Background())
	require.NoError(t, err)
	src.Settle()
	assert.EqualValues(t, 2, s.tokenCalls.Load())

	// Once expired, the failure reaches the caller as retryable.
	s.clock.Advance(time.Minute)
	_, err = src.TokenContext(context.Background())
	require.ErrorIs(t, err, auth.ErrUnavailable)
	assert.NotErrorIs(t, err, auth.ErrReauthRequired)

	// And the server coming back is enough.
	s.eng.Faults().Clear()
	got, err = src.TokenContext(context.Background())
	require.NoError(t, err)
	assert.NotEqual(t, first.AccessToken, got.AccessToken)
}

func TestSourceSaveFailureKeepsRotatedToken(t *testing.T) {
	s := newSim(t, nil, rotatingCaps())
	store := &countingStore{Store: auth.NewMemoryStore()}
	src, _ := s.source(store)
	s.clock.Advance(simAccessTTL)
	store.failNext.Store(1)
	_, err := src.TokenContext(context.Background())
	require.ErrorIs(t, err, errDiskFull)
	assert.EqualValues(t, 1, s.tokenCalls.Load())

	// The refresh token was spent: the next call saves the new token it
	// kept instead of refreshing with the dead one.
	got, err := src.TokenContext(context.Background())
	require.NoError(t, err)
	assert.EqualValues(t, 1, s.tokenCalls.Load())
	stored, err := store.Load(context.Background(), auth.Key("sim", "alice"))
	require.NoError(t, err)
	assert.Equal(t, got.RefreshToken, stored.RefreshToken)
	assert.Zero(t, s.invalidGrants.Load())
}

func TestSourceCorruptStoreIsReportedNotOverwritten(t *testing.T) {
	s := newSim(t, nil, rotatingCaps())
	dir := t.TempDir()
	fs, err := auth.NewFileStore(dir)
	require.NoError(t, err)
	key := auth.Key("sim", "alice")
	require.NoError(t, os.WriteFile(fs.Path(key), []byte("{not json"), 0o600))
	src, err := auth.NewSource(s.p, fs, key, auth.SourceOptions{Now: s.clock.Now})
	require.NoError(t, err)
	_, err = src.TokenContext(context.Background())
	require.ErrorIs(t, err, auth.ErrStoreCorrupt)
	b, err := os.ReadFile(filepath.Clean(fs.Path(key)))
	require.NoError(t, err)
	assert.Equal(t, "{not json", string(b))
}

func TestSourceForceRefreshOnlyOncePerStaleToken(t *testing.T) {
	s := newSim(t, nil, rotatingCaps())
	src, first := s.source(auth.NewMemoryStore())
	ctx := context.Background()
	var wg sync.WaitGroup
	var calls atomic.Int64
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tok, err := src.ForceRefresh(ctx, first)
			assert.NoError(t, err)
			if tok != nil && tok.AccessToken != first.AccessToken {
				calls.Add(1)
			}
		}()
	}
	wg.Wait()
	assert.EqualValues(t, 20, calls.Load())
	assert.EqualValues(t, 1, s.tokenCalls.Load(), "callers refused the same token share one refresh")
}

func TestSourceSlidingExpiry(t *testing.T) {
	s := newSim(t, func(c *oauthsim.Config) {
		c.Refresh.Mode = oauthsim.RefreshNone
		c.Sliding = true
	}, auth.Capabilities{SlidingExpiry: true})
	store := &countingStore{Store: auth.NewMemoryStore()}
	src, tok := s.source(store)
	hc := &http.Client{Transport: &auth.Transport{Source: src, Base: s.srv.Client().Transport}}
	saves := store.saves.Load()

	get := func() int {
		resp, err := hc.Get(s.apiURL())
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	// Use the token every 15 minutes for two hours: far beyond its
	// 20-minute lifetime, yet it never lapses, locally or at the server.
	for range 8 {
		s.clock.Advance(15 * time.Minute)
		require.Equal(t, http.StatusOK, get())
		cur, err := src.TokenContext(context.Background())
		require.NoError(t, err)
		assert.Equal(t, tok.AccessToken, cur.AccessToken)
		assert.Equal(t, s.clock.Now().Add(simAccessTTL), cur.Expiry, "expiry moved forward on use")
	}
	assert.Zero(t, s.tokenCalls.Load())
	assert.EqualValues(t, saves+8, store.saves.Load(), "each slide 15 minutes apart is saved")
	stored, err := store.Load(context.Background(), auth.Key("sim", "alice"))
	require.NoError(t, err)
	assert.Equal(t, s.clock.Now().Add(simAccessTTL), stored.Expiry)

	// Many uses within the save interval: one save, although the expiry
	// moves each time.
	saves = store.saves.Load()
	for range 10 {
		s.clock.Advance(2 * time.Second)
		require.Equal(t, http.StatusOK, get())
	}
	cur, err := src.TokenContext(context.Background())
	require.NoError(t, err)
	assert.Equal(t, s.clock.Now().Add(simAccessTTL), cur.Expiry)
	assert.LessOrEqual(t, store.saves.Load()-saves, int64(1), "saves are throttled")

	// Unused for longer than its life, it lapses.
	s.clock.Advance(simAccessTTL + time.Second)
	_, err = src.TokenContext(context.Background())
	require.ErrorIs(t, err, auth.ErrReauthRequired)

	// A restarted program reads the lifetime back from the store.
	src2, err := auth.NewSource(s.p, store, auth.Key("sim", "alice"), auth.SourceOptions{Now: s.clock.Now})
	require.NoError(t, err)
	fresh := s.login()
	require.NoError(t, src2.SetToken(context.Background(), fresh))
	src3, err := auth.NewSource(s.p, store, auth.Key("sim", "alice"), auth.SourceOptions{Now: s.clock.Now})
	require.NoError(t, err)
	t3, err := src3.TokenContext(context.Background())
	require.NoError(t, err)
	s.clock.Advance(10 * time.Minute)
	require.NoError(t, src3.Touch(context.Background(), t3))
	t3b, err := src3.TokenContext(context.Background())
	require.NoError(t, err)
	assert.Equal(t, s.clock.Now().Add(simAccessTTL), t3b.Expiry)
}

func TestNewTokenSourceValidates(t *testing.T) {
	s := newSim(t, nil, rotatingCaps())
	_, err := auth.NewSource(nil, auth.NewMemoryStore(), "k")
	assert.Error(t, err)
	_, err = auth.NewSource(s.p, nil, "k")
	assert.Error(t, err)
	_, err = auth.NewSource(s.p, auth.NewMemoryStore(), "")
	assert.Error(t, err)
	_, err = auth.NewSource(s.p, auth.NewMemoryStore(), "k", auth.SourceOptions{Leeway: -time.Second})
	assert.Error(t, err)
	_, err = auth.NewSource(s.p, auth.NewMemoryStore(), "k", auth.SourceOptions{RefreshTimeout: -time.Second})
	assert.Error(t, err)
	for _, o := range []auth.SourceOptions{{SlidingLifetime: -time.Second}, {SlideSaveInterval: -time.Second}} {
		_, err = auth.NewSource(s.p, auth.NewMemoryStore(), "k", o)
		assert.Error(t, err, "%+v: a negative duration is refused, not read as a default", o)
	}
	src, err := auth.NewSource(s.p, auth.NewMemoryStore(), "k")
	require.NoError(t, err)
	assert.Error(t, src.SetToken(context.Background(), nil))
	assert.Error(t, src.SetToken(context.Background(), &auth.Token{}))
	assert.False(t, errors.Is(src.SetToken(context.Background(), &auth.Token{AccessToken: "a"}), auth.ErrNoToken))
}

// stubProvider issues tokens that live for life, on the real clock.
type stubProvider struct {
	life      time.Duration
	refreshes atomic.Int64
}

func (p *stubProvider) Name() string { return "stub" }
func (p *stubProvider) Capabilities() auth.Capabilities {
	return auth.Capabilities{Refresh: true}
}
func (p *stubProvider) AuthCodeURL(string, ...auth.AuthCodeOption) string { return "" }
func (p *stubProvider) Exchange(context.Context, string, ...auth.AuthCodeOption) (*auth.Token, error) {
	return nil, auth.ErrUnsupported
}
func (p *stubProvider) ClientCredentials(context.Context, ...string) (*auth.Token, error) {
	return nil, auth.ErrUnsupported
}
func (p *stubProvider) Refresh(_ context.Context, t *auth.Token) (*auth.Token, error) {
	n := p.refreshes.Add(1)
	return &auth.Token{AccessToken: fmt.Sprintf("at-%d", n), RefreshToken: t.RefreshToken,
		Expiry: time.Now().Add(p.life)}, nil
}

func TestSourceRealClockMarksTokenStale(t *testing.T) {
	p := &stubProvider{life: 400 * time.Millisecond}
	src, err := auth.NewSource(p, auth.NewMemoryStore(), "k", auth.SourceOptions{Leeway: 100 * time.Millisecond})
	require.NoError(t, err)
	require.NoError(t, src.SetToken(context.Background(), &auth.Token{AccessToken: "at-0", RefreshToken: "rt",
		Expiry: time.Now().Add(300 * time.Millisecond)}))
	got, err := src.TokenContext(context.Background())
	require.NoError(t, err)
	assert.Equal(t, "at-0", got.AccessToken)
	assert.Zero(t, p.refreshes.Load())

	// Past the refresh time (expiry - leeway) the still-valid token is
	// served once more while the refresh runs in the background; then
	// the new one.
	time.Sleep(250 * time.Millisecond)
	got, err = src.TokenContext(context.Background())
	require.NoError(t, err)
	assert.Equal(t, "at-0", got.AccessToken)
	src.Settle()
	got, err = src.TokenContext(context.Background())
	require.NoError(t, err)
	assert.Equal(t, "at-1", got.AccessToken)
	o, err := src.Token()
	require.NoError(t, err)
	assert.Equal(t, "at-1", o.AccessToken)
	assert.EqualValues(t, 1, p.refreshes.Load())

	// A token without expiry is never refreshed.
	require.NoError(t, src.SetToken(context.Background(), &auth.Token{AccessToken: "forever", RefreshToken: "rt"}))
	time.Sleep(50 * time.Millisecond)
	got, err = src.TokenContext(context.Background())
	require.NoError(t, err)
	assert.Equal(t, "forever", got.AccessToken)
	assert.EqualValues(t, 1, p.refreshes.Load())
}

func TestSourceRefreshTokenOnlySeed(t *testing.T) {
	s := newSim(t, nil, rotatingCaps())
	src, err := auth.NewSource(s.p, auth.NewMemoryStore(), auth.Key("sim", "alice"), auth.SourceOptions{Now: s.clock.Now})
	require.NoError(t, err)
	login := s.login()
	require.NoError(t, src.SetToken(context.Background(), &auth.Token{RefreshToken: login.RefreshToken}))
	got, err := src.TokenContext(context.Background())
	require.NoError(t, err)
	assert.NotEmpty(t, got.AccessToken)
	assert.NotEqual(t, login.AccessToken, got.AccessToken)
	assert.EqualValues(t, 1, s.tokenCalls.Load())
}

// TestSourceSlidesOnUpgrade: a WebSocket upgrade the server accepts (101
// Switching Protocols) uses the token as a 2xx answer does, so a sliding
// expiry moves forward for a stream too.
func TestSourceSlidesOnUpgrade(t *testing.T) {
	s := newSim(t, func(c *oauthsim.Config) {
		c.Refresh.Mode = oauthsim.RefreshNone
		c.Sliding = true
	}, auth.Capabilities{SlidingExpiry: true})
	s.apiHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, rw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return
		}
		defer conn.Close()
		_, _ = rw.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")
		_ = rw.Flush()
	})
	src, tok := s.source(auth.NewMemoryStore())
	hc := &http.Client{Transport: &auth.Transport{Source: src, Base: s.srv.Client().Transport}}
	s.clock.Advance(15 * time.Minute)
	req, err := http.NewRequest(http.MethodGet, s.apiURL(), nil)
	require.NoError(t, err)
	req.Header.Set("Connection", "Upgrade")
	req.Header.Set("Upgrade", "websocket")
	resp, err := hc.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusSwitchingProtocols, resp.StatusCode)
	cur, err := src.TokenContext(context.Background())
	require.NoError(t, err)
	assert.Equal(t, tok.AccessToken, cur.AccessToken)
	assert.Equal(t, s.clock.Now().Add(simAccessTTL), cur.Expiry, "the upgrade did not slide the expiry")
}
