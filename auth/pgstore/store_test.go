package pgstore_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/auth/pgstore"
	"github.com/brokerkit/brokerkit/internal/pgtest"
)

// TestMain starts one throwaway server for the package and gives the
// examples, which have no testing.TB, a database through DATABASE_URL.
func TestMain(m *testing.M) {
	os.Exit(pgtest.MainWithDatabase(m, func(dsn string) { os.Setenv("DATABASE_URL", dsn) }))
}

func newPool(t testing.TB, dsn string) *pgxpool.Pool {
	t.Helper()
	pool, err := pgxpool.New(context.Background(), dsn)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	return pool
}

func keyA() pgstore.EncryptionKey {
	return pgstore.EncryptionKey{ID: "a", Secret: bytes.Repeat([]byte{1}, 32)}
}

func keyB() pgstore.EncryptionKey {
	return pgstore.EncryptionKey{ID: "b", Secret: bytes.Repeat([]byte{2}, 32)}
}

func newStore(t testing.TB, pool *pgxpool.Pool, keys ...pgstore.EncryptionKey) *pgstore.Store {
	t.Helper()
	if len(keys) == 0 {
		keys = []pgstore.EncryptionKey{keyA()}
	}
	s, err := pgstore.New(context.Background(), pool, pgstore.Config{Keys: keys})
	require.NoError(t, err)
	return s
}

func sampleToken() *auth.Token {
	return &auth.Token{
		AccessToken:   "at-secret-value",
		TokenType:     "Bearer",
		RefreshToken:  "rt-secret-value",
		Expiry:        time.Date(2026, 3, 4, 5, 6, 7, 891, time.UTC),
		RefreshExpiry: time.Date(2026, 4, 4, 5, 6, 7, 0, time.FixedZone("X", 3600)),
		Scopes:        []string{"openid", "offline_access"},
		Subject:       "u1",
		Audience:      "https://api.example.com",
		Provider:      "sim",
		Extra:         map[string]json.RawMessage{"id_token": json.RawMessage(`"x.y.z"`), "n": json.RawMessage(`42`), "o": json.RawMessage(`{"a":[1,2]}`)},
	}
}

// storeConformance is what every auth.Store must do, whatever keeps the
// tokens: MemoryStore, FileStore and pgstore.Store all run it.
func storeConformance(t *testing.T, open func(t *testing.T) auth.Store) {
	ctx := context.Background()
	key := auth.Key("sim", "alice")

	t.Run("missing key is ErrNoToken", func(t *testing.T) {
		s := open(t)
		_, err := s.Load(ctx, key)
		require.ErrorIs(t, err, auth.ErrNoToken)
	})

	t.Run("round trip keeps every field", func(t *testing.T) {
		s := open(t)
		tok := sampleToken()
		require.NoError(t, s.Save(ctx, key, tok))
		got, err := s.Load(ctx, key)
		require.NoError(t, err)
		assert.Equal(t, tok.AccessToken, got.AccessToken)
		assert.Equal(t, tok.TokenType, got.TokenType)
		assert.Equal(t, tok.RefreshToken, got.RefreshToken)
		assert.True(t, tok.Expiry.Equal(got.Expiry), "expiry %s != %s", got.Expiry, tok.Expiry)
		assert.True(t, tok.RefreshExpiry.Equal(got.RefreshExpiry))
		assert.Equal(t, tok.Scopes, got.Scopes)
		assert.Equal(t, tok.Subject, got.Subject)
		assert.Equal(t, tok.Audience, got.Audience)
		assert.Equal(t, tok.Provider, got.Provider)
		require.Len(t, got.Extra, len(tok.Extra))
		for k, v := range tok.Extra {
			assert.JSONEq(t, string(v), string(got.Extra[k]), "extra %s", k)
		}

		// The store keeps its own copy, and hands out copies.
		tok.Scopes[0] = "changed"
		got.Extra["n"] = json.RawMessage(`0`)
		again, err := s.Load(ctx, key)
		require.NoError(t, err)
		assert.Equal(t, "openid", again.Scopes[0])
		assert.JSONEq(t, `42`, string(again.Extra["n"]))
	})

	t.Run("save replaces", func(t *testing.T) {
		s := open(t)
		require.NoError(t, s.Save(ctx, key, &auth.Token{AccessToken: "one"}))
		require.NoError(t, s.Save(ctx, key, &auth.Token{AccessToken: "two", RefreshToken: "r2"}))
		got, err := s.Load(ctx, key)
		require.NoError(t, err)
		assert.Equal(t, "two", got.AccessToken)
		assert.Equal(t, "r2", got.RefreshToken)
	})

	t.Run("keys are separate", func(t *testing.T) {
		s := open(t)
		require.NoError(t, s.Save(ctx, auth.Key("sim", "alice"), &auth.Token{AccessToken: "alice"}))
		require.NoError(t, s.Save(ctx, auth.Key("sim", "bob"), &auth.Token{AccessToken: "bob"}))
		got, err := s.Load(ctx, auth.Key("sim", "alice"))
		require.NoError(t, err)
		assert.Equal(t, "alice", got.AccessToken)
		require.NoError(t, s.Delete(ctx, auth.Key("sim", "bob")))
		_, err = s.Load(ctx, auth.Key("sim", "alice"))
		require.NoError(t, err, "deleting one key leaves the other")
	})

	t.Run("delete is idempotent", func(t *testing.T) {
		s := open(t)
		require.NoError(t, s.Save(ctx, key, sampleToken()))
		require.NoError(t, s.Delete(ctx, key))
		require.NoError(t, s.Delete(ctx, key))
		_, err := s.Load(ctx, key)
		require.ErrorIs(t, err, auth.ErrNoToken)
		require.NoError(t, s.Save(ctx, key, sampleToken()), "a key can be written again after a delete")
	})

	t.Run("nil token is refused", func(t *testing.T) {
		s := open(t)
		require.Error(t, s.Save(ctx, key, nil))
		_, err := s.Load(ctx, key)
		require.ErrorIs(t, err, auth.ErrNoToken)
	})

	t.Run("a done context is honoured", func(t *testing.T) {
		s := open(t)
		require.NoError(t, s.Save(ctx, key, sampleToken()))
		done, cancel := context.WithCancel(ctx)
		cancel()
		_, err := s.Load(done, key)
		require.ErrorIs(t, err, context.Canceled)
		require.ErrorIs(t, s.Save(done, key, &auth.Token{AccessToken: "x"}), context.Canceled)
		require.ErrorIs(t, s.Delete(done, key), context.Canceled)
		got, err := s.Load(ctx, key)
		require.NoError(t, err)
		assert.Equal(t, "at-secret-value", got.AccessToken, "nothing changed under a done context")
		// FileStore takes a free lock even under a done context: only
		// pgstore is held to this here.
		if l, ok := s.(*pgstore.Store); ok {
			_, err := l.Lock(done, key)
			require.ErrorIs(t, err, context.Canceled)
		}
	})

	t.Run("concurrent use", func(t *testing.T) {
		s := open(t)
		const workers, rounds = 8, 20
		var wg sync.WaitGroup
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				k := auth.Key("sim", fmt.Sprintf("user%d", w))
				for i := range rounds {
					want := fmt.Sprintf("at-%d-%d", w, i)
					if !assert.NoError(t, s.Save(ctx, k, &auth.Token{AccessToken: want, RefreshToken: "rt"})) {
						return
					}
					got, err := s.Load(ctx, k)
					if !assert.NoError(t, err) || !assert.Equal(t, want, got.AccessToken) {
						return
					}
					// Everyone also reads one shared key, written once.
					if _, err := s.Load(ctx, key); err != nil {
						assert.ErrorIs(t, err, auth.ErrNoToken)
					}
				}
				assert.NoError(t, s.Delete(ctx, k))
			}()
		}
		require.NoError(t, s.Save(ctx, key, sampleToken()))
		wg.Wait()
		got, err := s.Load(ctx, key)
		require.NoError(t, err)
		assert.Equal(t, "rt-secret-value", got.RefreshToken)
	})

	t.Run("lock excludes", func(t *testing.T) {
		s := open(t)
		l, ok := s.(auth.Locker)
		if !ok {
			return // MemoryStore is not shared between processes
		}
		require.NoError(t, s.Save(ctx, key, &auth.Token{AccessToken: "0", RefreshToken: "r"}))
		var inside atomic.Int32
		var wg sync.WaitGroup
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range 5 {
					unlock, err := l.Lock(ctx, key)
					if !assert.NoError(t, err) {
						return
					}
					assert.EqualValues(t, 1, inside.Add(1), "two holders at once")
					// Read-modify-write under the lock never loses an update.
					cur, err := s.Load(ctx, key)
					if assert.NoError(t, err) {
						var n int
						fmt.Sscan(cur.AccessToken, &n)
						assert.NoError(t, s.Save(ctx, key, &auth.Token{AccessToken: fmt.Sprint(n + 1), RefreshToken: "r"}))
					}
					inside.Add(-1)
					unlock()
				}
			}()
		}
		wg.Wait()
		got, err := s.Load(ctx, key)
		require.NoError(t, err)
		assert.Equal(t, "20", got.AccessToken)

		unlock, err := l.Lock(ctx, key)
		require.NoError(t, err)
		short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
		defer cancel()
		_, err = l.Lock(short, key)
		require.ErrorIs(t, err, context.DeadlineExceeded)
		other, err := l.Lock(ctx, key+"-other")
		require.NoError(t, err, "locks are per key")
		other()
		unlock()
		unlock() // a second call is harmless
		again, err := l.Lock(ctx, key)
		require.NoError(t, err)
		again()
	})
}

func TestStoreConformance(t *testing.T) {
	t.Run("MemoryStore", func(t *testing.T) {
		storeConformance(t, func(*testing.T) auth.Store { return auth.NewMemoryStore() })
	})
	t.Run("FileStore", func(t *testing.T) {
		storeConformance(t, func(t *testing.T) auth.Store {
			s, err := auth.NewFileStore(t.TempDir(), auth.FileStoreOptions{EncryptionKey: bytes.Repeat([]byte{3}, 32)})
			require.NoError(t, err)
			return s
		})
	})
	t.Run("pgstore", func(t *testing.T) {
		storeConformance(t, func(t *testing.T) auth.Store {
			return newStore(t, newPool(t, pgtest.Start(t)))
		})
	})
}

// rawRow reads a row as stored.
func rawRow(t *testing.T, pool *pgxpool.Pool, key string) (version int64, keyID string, sealed []byte) {
	t.Helper()
	require.NoError(t, pool.QueryRow(context.Background(),
		"SELECT version, key_id, sealed FROM brokerkit_tokens WHERE key = $1", key).Scan(&version, &keyID, &sealed))
	return
}

func TestRowsAreSealed(t *testing.T) {
	ctx := context.Background()
	pool := newPool(t, pgtest.Start(t))
	s := newStore(t, pool)
	tok := sampleToken()
	require.NoError(t, s.Save(ctx, "alice", tok))
	_, id, sealed := rawRow(t, pool, "alice")
	assert.Equal(t, "a", id)
	for _, secret := range []string{tok.AccessToken, tok.RefreshToken, "x.y.z", "openid"} {
		assert.NotContains(t, string(sealed), secret)
	}

	// A row copied to another key does not open there, nor a row whose
	// key ID was relabelled, nor a damaged one.
	_, err := pool.Exec(ctx, "INSERT INTO brokerkit_tokens (key, version, key_id, sealed) SELECT 'bob', nextval('brokerkit_token_version'), key_id, sealed FROM brokerkit_tokens WHERE key = 'alice'")
	require.NoError(t, err)
	_, err = s.Load(ctx, "bob")
	require.ErrorIs(t, err, auth.ErrStoreCorrupt)
	assert.NotContains(t, err.Error(), "secret-value")
	var se *auth.StoreError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, "bob", se.Key)

	both := newStore(t, pool, keyA(), keyB())
	_, err = pool.Exec(ctx, "UPDATE brokerkit_tokens SET key_id = 'b' WHERE key = 'alice'")
	require.NoError(t, err)
	_, err = both.Load(ctx, "alice")
	require.ErrorIs(t, err, auth.ErrStoreCorrupt, "the key ID is bound to the row")
	_, err = pool.Exec(ctx, "UPDATE brokerkit_tokens SET key_id = 'a', sealed = overlay(sealed placing '\\x00'::bytea from 20 for 1) WHERE key = 'alice'")
	require.NoError(t, err)
	_, err = both.Load(ctx, "alice")
	require.ErrorIs(t, err, auth.ErrStoreCorrupt, "tampering is detected")

	// Saving over an unreadable row is refused; an explicit Delete clears it.
	fresh := newStore(t, pool)
	_, _, before := rawRow(t, pool, "alice")
	require.ErrorIs(t, fresh.Save(ctx, "alice", sampleToken()), auth.ErrStoreCorrupt)
	_, _, after := rawRow(t, pool, "alice")
	assert.Equal(t, before, after)
	require.NoError(t, fresh.Delete(ctx, "alice"))
	require.NoError(t, fresh.Save(ctx, "alice", sampleToken()))
}

func TestKeyRotation(t *testing.T) {
	ctx := context.Background()
	pool := newPool(t, pgtest.Start(t))
	old := newStore(t, pool, keyA())
	tok := sampleToken()
	require.NoError(t, old.Save(ctx, "alice", tok))
	_, id, _ := rawRow(t, pool, "alice")
	require.Equal(t, "a", id)

	rotating := newStore(t, pool, keyB(), keyA())
	got, err := rotating.Load(ctx, "alice")
	require.NoError(t, err, "rows under the older key still open")
	assert.Equal(t, tok.RefreshToken, got.RefreshToken)
	_, id, _ = rawRow(t, pool, "alice")
	assert.Equal(t, "a", id, "reading does not rewrite")

	got.AccessToken = "at-2"
	require.NoError(t, rotating.Save(ctx, "alice", got))
	_, id, _ = rawRow(t, pool, "alice")
	assert.Equal(t, "b", id, "a write reseals under the newest key")

	onlyB := newStore(t, pool, keyB())
	got, err = onlyB.Load(ctx, "alice")
	require.NoError(t, err, "once rewritten, the old key can go")
	assert.Equal(t, "at-2", got.AccessToken)

	onlyA := newStore(t, pool, keyA())
	_, err = onlyA.Load(ctx, "alice")
	require.ErrorIs(t, err, auth.ErrStoreCorrupt)
	require.ErrorIs(t, err, pgstore.ErrUnknownKey)
	assert.Contains(t, err.Error(), `"b"`, "the error names the missing key ID")
}

func TestUnknownKeyIDIsNeverOverwritten(t *testing.T) {
	ctx := context.Background()
	pool := newPool(t, pgtest.Start(t))
	require.NoError(t, newStore(t, pool, keyB()).Save(ctx, "alice", sampleToken()))
	v0, _, sealed0 := rawRow(t, pool, "alice")

	s := newStore(t, pool, keyA())
	_, err := s.Load(ctx, "alice")
	require.ErrorIs(t, err, pgstore.ErrUnknownKey)
	require.ErrorIs(t, err, auth.ErrStoreCorrupt)

	// Neither a Store that read the row, nor a fresh one, nor one under
	// the lock replaces it.
	for name, st := range map[string]*pgstore.Store{"after load": s, "fresh": newStore(t, pool, keyA())} {
		err := st.Save(ctx, "alice", &auth.Token{AccessToken: "other"})
		require.ErrorIs(t, err, pgstore.ErrUnknownKey, name)
		require.ErrorIs(t, err, auth.ErrStoreCorrupt, name)
	}
	unlock, err := s.Lock(ctx, "alice")
	require.NoError(t, err)
	require.ErrorIs(t, s.Save(ctx, "alice", &auth.Token{AccessToken: "other"}), pgstore.ErrUnknownKey)
	unlock()

	v1, _, sealed1 := rawRow(t, pool, "alice")
	assert.Equal(t, v0, v1)
	assert.Equal(t, sealed0, sealed1)
}

func TestCompareAndSet(t *testing.T) {
	ctx := context.Background()
	pool := newPool(t, pgtest.Start(t))
	a, b := newStore(t, pool), newStore(t, pool)
	key := auth.Key("sim", "alice")
	require.NoError(t, a.Save(ctx, key, &auth.Token{AccessToken: "v1", RefreshToken: "r1"}))

	// b reads v1; a writes v2; b's token derived from v1 must not win.
	old, err := b.Load(ctx, key)
	require.NoError(t, err)
	require.NoError(t, a.Save(ctx, key, &auth.Token{AccessToken: "v2", RefreshToken: "r2"}))
	old.AccessToken = "from-v1"
	err = b.Save(ctx, key, old)
	require.ErrorIs(t, err, pgstore.ErrConflict)
	got, err := a.Load(ctx, key)
	require.NoError(t, err)
	assert.Equal(t, "v2", got.AccessToken)

	// It keeps failing until b reads again.
	require.ErrorIs(t, b.Save(ctx, key, old), pgstore.ErrConflict)
	cur, err := b.Load(ctx, key)
	require.NoError(t, err)
	cur.AccessToken = "v3"
	require.NoError(t, b.Save(ctx, key, cur))

	// A refresh finishing after a logout does not bring the row back.
	_, err = a.Load(ctx, key)
	require.NoError(t, err)
	require.NoError(t, b.Delete(ctx, key))
	require.ErrorIs(t, a.Save(ctx, key, &auth.Token{AccessToken: "late"}), pgstore.ErrConflict)
	_, err = b.Load(ctx, key)
	require.ErrorIs(t, err, auth.ErrNoToken)

	// Nor does a writer that saw no row replace one written since.
	_, err = a.Load(ctx, key)
	require.ErrorIs(t, err, auth.ErrNoToken)
	require.NoError(t, a.Save(ctx, key, &auth.Token{AccessToken: "login"}))
	require.ErrorIs(t, b.Save(ctx, key, &auth.Token{AccessToken: "stale"}), pgstore.ErrConflict)

	// Under the lock the row is read afresh, so the holder's save works.
	unlock, err := b.Lock(ctx, key)
	require.NoError(t, err)
	require.NoError(t, b.Save(ctx, key, &auth.Token{AccessToken: "relogin"}))
	unlock()
	got, err = a.Load(ctx, key)
	require.NoError(t, err)
	assert.Equal(t, "relogin", got.AccessToken)
}

// A lock wait ended by the context leaves no lock behind: the next Lock,
// from another Store, gets it at once.
func TestLockCancelLeavesNothing(t *testing.T) {
	ctx := context.Background()
	pool := newPool(t, pgtest.Start(t))
	a, b := newStore(t, pool), newStore(t, pool)
	unlock, err := a.Lock(ctx, "k")
	require.NoError(t, err)

	waitCtx, cancel := context.WithCancel(ctx)
	errc := make(chan error, 1)
	go func() {
		_, err := b.Lock(waitCtx, "k")
		errc <- err
	}()
	time.Sleep(100 * time.Millisecond)
	cancel()
	select {
	case err := <-errc:
		require.ErrorIs(t, err, context.Canceled)
	case <-time.After(5 * time.Second):
		t.Fatal("cancelling the context did not end the lock wait")
	}
	unlock()

	// No waiter is left on the server that would take the lock later.
	var waiting int
	require.NoError(t, pool.QueryRow(ctx, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted").Scan(&waiting))
	assert.Zero(t, waiting)
	short, cancel2 := context.WithTimeout(ctx, 2*time.Second)
	defer cancel2()
	again, err := b.Lock(short, "k")
	require.NoError(t, err)
	again()
}

// A holder whose session dies releases the lock.
func TestLockReleasedWhenSessionDies(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.Start(t)
	victimPool := newPool(t, dsn)
	pool := newPool(t, dsn)
	victim, other := newStore(t, victimPool), newStore(t, pool)
	victimUnlock, err := victim.Lock(ctx, "k")
	require.NoError(t, err)

	got := make(chan error, 1)
	go func() {
		unlock, err := other.Lock(ctx, "k")
		if err == nil {
			unlock()
		}
		got <- err
	}()
	select {
	case <-got:
		t.Fatal("the lock was granted while held")
	case <-time.After(200 * time.Millisecond):
	}
	_, err = pool.Exec(ctx, `SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND granted AND pid <> pg_backend_pid()`)
	require.NoError(t, err)
	select {
	case err := <-got:
		require.NoError(t, err)
	case <-time.After(5 * time.Second):
		t.Fatal("the lock of a dead session was not released")
	}
	victimUnlock() // gives the dead connection back, so that the pool can close
}

// A second Store instance hears about a Save and a Delete made by the
// first, with the key and the new version.
func TestWatchSeesOtherInstance(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	dsn := pgtest.Start(t)
	writer := newStore(t, newPool(t, dsn))
	watcher := newStore(t, newPool(t, dsn))
	changes, err := watcher.Watch(ctx)
	require.NoError(t, err)

	key := auth.Key("sim", "alice")
	require.NoError(t, writer.Save(ctx, key, sampleToken()))
	saved := next(t, changes)
	assert.Equal(t, key, saved.Key)
	assert.False(t, saved.Deleted)
	assert.Positive(t, saved.Version)

	tok, err := writer.Load(ctx, key)
	require.NoError(t, err)
	tok.AccessToken = "at-2"
	require.NoError(t, writer.Save(ctx, key, tok))
	refreshed := next(t, changes)
	assert.Equal(t, key, refreshed.Key)
	assert.Greater(t, refreshed.Version, saved.Version)

	require.NoError(t, writer.Delete(ctx, key))
	deleted := next(t, changes)
	assert.Equal(t, pgstore.Change{Key: key, Version: refreshed.Version, Deleted: true}, deleted)

	require.NoError(t, writer.Delete(ctx, key))
	require.NoError(t, writer.Save(ctx, key, &auth.Token{AccessToken: "x"}))
	again := next(t, changes)
	assert.False(t, again.Deleted, "deleting a missing key announces nothing")

	// Ending the context closes the channel.
	cancel()
	for range changes {
	}
}

func next(t *testing.T, ch <-chan pgstore.Change) pgstore.Change {
	t.Helper()
	select {
	case c, ok := <-ch:
		require.True(t, ok, "watch channel closed")
		return c
	case <-time.After(10 * time.Second):
		t.Fatal("no notification within 10s")
		return pgstore.Change{}
	}
}

// Killing the watcher's session closes the channel, which tells the
// reader to resynchronise.
func TestWatchClosesOnBrokenConnection(t *testing.T) {
	ctx := context.Background()
	pool := newPool(t, pgtest.Start(t))
	s := newStore(t, pool)
	changes, err := s.Watch(ctx)
	require.NoError(t, err)
	_, err = pool.Exec(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE 'LISTEN%' AND pid <> pg_backend_pid()`)
	require.NoError(t, err)
	select {
	case _, ok := <-changes:
		assert.False(t, ok)
	case <-time.After(10 * time.Second):
		t.Fatal("the channel stayed open after its connection died")
	}
}

func TestMigrations(t *testing.T) {
	ctx := context.Background()
	pool := newPool(t, pgtest.Start(t))
	// Several instances starting at once.
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := pgstore.New(ctx, pool, pgstore.Config{Keys: []pgstore.EncryptionKey{keyA()}})
			assert.NoError(t, err)
		}()
	}
	wg.Wait()
	s := newStore(t, pool)
	require.NoError(t, s.Save(ctx, "k", sampleToken()))
	newStore(t, pool) // again: the data stays
	_, err := s.Load(ctx, "k")
	require.NoError(t, err)

	var v int
	require.NoError(t, pool.QueryRow(ctx, "SELECT version FROM brokerkit_schema WHERE component = 'pgstore'").Scan(&v))
	assert.Equal(t, 1, v)
	_, err = pool.Exec(ctx, "UPDATE brokerkit_schema SET version = 99 WHERE component = 'pgstore'")
	require.NoError(t, err)
	_, err = pgstore.New(ctx, pool, pgstore.Config{Keys: []pgstore.EncryptionKey{keyA()}})
	require.ErrorContains(t, err, "newer than this code")
}

func TestNewRejectsBadConfig(t *testing.T) {
	ctx := context.Background()
	pool := newPool(t, pgtest.Start(t))
	for name, keys := range map[string][]pgstore.EncryptionKey{
		"no key":    nil,
		"short":     {{ID: "a", Secret: []byte("short")}},
		"no ID":     {{Secret: bytes.Repeat([]byte{1}, 32)}},
		"space":     {{ID: "a b", Secret: bytes.Repeat([]byte{1}, 32)}},
		"duplicate": {keyA(), {ID: "a", Secret: bytes.Repeat([]byte{9}, 32)}},
	} {
		_, err := pgstore.New(ctx, pool, pgstore.Config{Keys: keys})
		assert.Error(t, err, name)
	}
	_, err := pgstore.New(ctx, nil, pgstore.Config{Keys: []pgstore.EncryptionKey{keyA()}})
	assert.Error(t, err)

	s := newStore(t, pool)
	for _, k := range []string{"", strings.Repeat("k", 1025), "a\x00b"} {
		assert.Error(t, s.Save(ctx, k, sampleToken()))
		_, err := s.Load(ctx, k)
		assert.Error(t, err)
	}
	assert.Error(t, s.Save(ctx, "k", &auth.Token{TokenType: "Bearer"}), "a token with no credential")
}

// A Store that waited for the lock reads the row as the previous holder
// left it, not as it was when the wait began.
func TestLockReadsWhatThePreviousHolderSaved(t *testing.T) {
	ctx := context.Background()
	pool := newPool(t, pgtest.Start(t))
	a, b := newStore(t, pool), newStore(t, pool)
	require.NoError(t, a.Save(ctx, "k", &auth.Token{AccessToken: "old", RefreshToken: "r1"}))
	unlock, err := a.Lock(ctx, "k")
	require.NoError(t, err)

	got := make(chan *auth.Token, 1)
	go func() {
		unlockB, err := b.Lock(ctx, "k")
		if !assert.NoError(t, err) {
			got <- nil
			return
		}
		defer unlockB()
		tok, err := b.Load(ctx, "k")
		assert.NoError(t, err)
		got <- tok
	}()
	// Wait until b is queued on the server.
	require.Eventually(t, func() bool {
		var n int
		_ = pool.QueryRow(ctx, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted").Scan(&n)
		return n == 1
	}, 5*time.Second, 5*time.Millisecond)

	cur, err := a.Load(ctx, "k")
	require.NoError(t, err)
	cur.AccessToken, cur.RefreshToken = "new", "r2"
	require.NoError(t, a.Save(ctx, "k", cur))
	unlock()
	tok := <-got
	require.NotNil(t, tok)
	assert.Equal(t, "new", tok.AccessToken)
	assert.Equal(t, "r2", tok.RefreshToken)
}
