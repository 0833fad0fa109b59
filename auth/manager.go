package auth

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"net/http"
	"net/url"
	"sync"
	"time"
)

// Manager hands out one TokenSource and one *http.Client per user of one
// provider, all sharing a Store: the shape a back end serving many users
// needs. Sources are created on first use and kept, so that every request
// of a user shares one cache and one single-flight refresh. It is safe for
// concurrent use.
//
// The manager's sources take the Store's Locker around every refresh (found
// through Unwrap, see Store). For a Store that is no Locker it locks per
// key itself, which coordinates this process only: several processes need
// a Store that is a Locker.
type Manager struct {
	p     Provider
	store Store
	o     managerOptions
	// core is what every user's Source shares; its locker is the
	// store's lock, or own when the store has none.
	core *sourceCore
	own  *keyLocks
	// prefix is the start of every key: the escaped provider name and
	// a slash.
	prefix string
	seed   maphash.Seed
	shards [managerShards]userShard
}

// managerShards is how many independently locked maps hold the users, so
// that lookups on many cores do not queue on one lock.
const managerShards = 256

// userShard is one part of the user map, padded to a cache line of its
// own.
type userShard struct {
	mu sync.RWMutex
	m  map[string]*managed // by store key
	_  [64 - 32]byte
}

// managed is everything the manager keeps for one user, in one
// allocation: the source (holding the only copy of the token besides a
// Store that shares it), and the client built on it.
type managed struct {
	src    Source
	tr     Transport
	client http.Client
}

// ManagerOption configures NewManager.
type ManagerOption func(*managerOptions)

type managerOptions struct {
	src []SourceOption
	tr  Transport // template of every user's transport; Source unset
}

// WithSourceOptions applies opts to every TokenSource the manager creates.
func WithSourceOptions(opts ...SourceOption) ManagerOption {
	return func(o *managerOptions) { o.src = append(o.src, opts...) }
}

// WithTransport builds every user's client from t: its Base (nil:
// http.DefaultTransport), its Header (sent on every API call, an
// application key say; the values are treated as secrets) and its
// RefreshOn rule. t.Source is ignored: each user gets its own Source.
func WithTransport(t Transport) ManagerOption {
	return func(o *managerOptions) {
		o.tr = Transport{Base: t.Base, Header: t.Header.Clone(), RefreshOn: t.RefreshOn}
	}
}

// NewManager returns a Manager for provider p keeping tokens in store.
func NewManager(p Provider, store Store, opts ...ManagerOption) (*Manager, error) {
	if nilProvider(p) {
		return nil, errors.New("auth: manager needs a Provider")
	}
	if store == nil {
		return nil, errors.New("auth: manager needs a Store")
	}
	var o managerOptions
	for _, opt := range opts {
		if opt != nil {
			opt(&o)
		}
	}
	// Fail now, not on the first user, if the source options are bad.
	so, err := sourceConfig(o.src)
	if err != nil {
		return nil, err
	}
	m := &Manager{p: p, store: store, o: o, core: newCore(p, store, so),
		prefix: Key(p.Name(), ""), seed: maphash.MakeSeed()}
	if m.core.locker == nil {
		m.own = &keyLocks{}
		m.core.locker = m.own
	}
	for i := range m.shards {
		m.shards[i].m = map[string]*managed{}
	}
	return m, nil
}

// Provider returns the manager's provider.
func (m *Manager) Provider() Provider { return m.p }

// keyBuf is the room on the stack for a key being looked up.
const keyBuf = 128

// shard returns the shard that holds key.
func (m *Manager) shard(key []byte) *userShard {
	return &m.shards[maphash.Bytes(m.seed, key)%managerShards]
}

// appendKey appends user's store key to b.
func (m *Manager) appendKey(b []byte, user string) []byte {
	return append(append(b, m.prefix...), url.PathEscape(user)...)
}

// lookup returns the entry under key, or nil, and the key's shard.
func (m *Manager) lookup(key []byte) (*managed, *userShard) {
	sh := m.shard(key)
	sh.mu.RLock()
	u := sh.m[string(key)]
	sh.mu.RUnlock()
	return u, sh
}

func (m *Manager) get(user string) *managed {
	var buf [keyBuf]byte // the key stays on the stack unless it is new
	k := m.appendKey(buf[:0], user)
	u, sh := m.lookup(k)
	if u != nil {
		return u
	}
	key := string(k)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if u := sh.m[key]; u != nil {
		return u
	}
	u = &managed{}
	u.src.sourceCore, u.src.key = m.core, key
	u.tr = Transport{Source: &u.src, Base: m.o.tr.Base, Header: m.o.tr.Header, RefreshOn: m.o.tr.RefreshOn}
	u.client.Transport = &u.tr
	sh.m[key] = u
	return u
}

// remove takes user out of the map and returns what it held, or nil.
func (m *Manager) remove(user string) *managed {
	var buf [keyBuf]byte
	k := m.appendKey(buf[:0], user)
	sh := m.shard(k)
	sh.mu.Lock()
	u := sh.m[string(k)]
	delete(sh.m, string(k))
	sh.mu.Unlock()
	return u
}

// Source returns user's token source, the same one on every call.
func (m *Manager) Source(user string) *Source { return &m.get(user).src }

// Client returns an *http.Client that authorizes every request as user,
// the same one on every call. A user with no stored token gets errors
// matching ErrReauthRequired from its requests.
func (m *Manager) Client(user string) *http.Client { return &m.get(user).client }

// SetToken stores t as user's token, typically just after a login
// (Flow.Complete), and serves it from now on.
func (m *Manager) SetToken(ctx context.Context, user string, t *Token) error {
	return m.get(user).src.SetToken(ctx, t)
}

// Logout revokes user's token at the provider when it can revoke, deletes
// it from the Store and forgets the user's source. The token is deleted
// even when revocation fails; the revocation error is returned.
//
// A refresh in flight for user cannot undo the logout: Logout waits for it
// (through the key's lock), revokes the token it saved, and deletes it; the
// refresh's callers get an error matching ErrReauthRequired, and so does a
// client kept from before the logout, until the user logs in again. When
// Logout returns, the Store holds no token for user.
func (m *Manager) Logout(ctx context.Context, user string) error {
	key := Key(m.p.Name(), user)
	if u := m.remove(user); u != nil {
		u.src.endSession()
	}
	var revokeErr error
	if r, ok := m.p.(Revoker); ok && m.p.Capabilities().Revoke {
		// Read under the lock, so that a refresh in flight has saved
		// its token: that newest token is the one to revoke.
		t, err := m.loadLocked(ctx, key)
		if err == nil {
			if err := r.Revoke(ctx, t); err != nil {
				revokeErr = fmt.Errorf("auth: %s: revoking: %w", key, err)
			}
		}
	}
	if err := m.delete(ctx, key); err != nil {
		return errors.Join(revokeErr, err)
	}
	return revokeErr
}

func (m *Manager) loadLocked(ctx context.Context, key string) (*Token, error) {
	unlock, err := m.core.locker.Lock(ctx, key)
	if err != nil {
		return nil, err
	}
	defer unlock()
	return m.store.Load(ctx, key)
}

// delete removes key from the store under the key's lock: a Locker store
// takes it in Delete (see Store.Delete), for any other the manager does.
func (m *Manager) delete(ctx context.Context, key string) error {
	if m.own == nil {
		return m.store.Delete(ctx, key)
	}
	unlock, err := m.own.Lock(ctx, key)
	if err != nil {
		return err
	}
	defer unlock()
	return m.store.Delete(ctx, key)
}

// Forget drops user's token source and client from memory, keeping the
// stored token: the next TokenSource or Client call for user loads it
// again. Call it when a user's session ends, so that a server with many
// occasional users does not keep them all in memory.
//
// Forget does not wait for a refresh in flight. That refresh finishes,
// saves its token and answers its callers; a new source for user waits for
// the key's lock, then reads that token rather than refresh again, so a
// rotating refresh token is spent once.
func (m *Manager) Forget(user string) {
	if u := m.remove(user); u != nil {
		u.src.Close()
	}
}

// String describes the manager by provider, never its headers or tokens.
func (m *Manager) String() string {
	n := 0
	for i := range m.shards {
		sh := &m.shards[i]
		sh.mu.RLock()
		n += len(sh.m)
		sh.mu.RUnlock()
	}
	return fmt.Sprintf("auth.Manager{provider=%s users=%d}", m.p.Name(), n)
}

// Format makes every fmt verb print String, so a static header's value
// never reaches a log line.
func (m *Manager) Format(f fmt.State, verb rune) { formatRedacted(f, verb, m.String()) }

// Watch makes the manager follow the Store's change feed (see Watcher;
// found through Unwrap like the Locker) until ctx ends, so that a refresh,
// a login or a logout made by another process over the same store reaches
// this one: the changed user's cached token is dropped, and the next call
// reads the Store again (a logged-out user then gets ErrReauthRequired).
// When the feed fails, every cached token is dropped and the feed is
// opened again, retrying with a growing delay until ctx ends.
//
// Watch returns once the feed is open: changes made after that are seen.
// It returns an error when the Store offers no feed or the first attempt
// to open it fails.
func (m *Manager) Watch(ctx context.Context) error {
	w := findWatcher(m.store)
	if w == nil {
		return errors.New("auth: manager: the store reports no changes (it is no Watcher)")
	}
	ch, err := w.Watch(ctx)
	if err != nil {
		return fmt.Errorf("auth: manager: watching the store: %w", err)
	}
	go m.follow(ctx, w, ch)
	return nil
}

// Bounds of the delay between attempts to reopen a failed change feed.
const (
	watchRetryMin = 100 * time.Millisecond
	watchRetryMax = 30 * time.Second
)

func (m *Manager) follow(ctx context.Context, w Watcher, ch <-chan Change) {
	delay := watchRetryMin
	for {
		for c := range ch {
			m.drop(c.Key)
		}
		if ctx.Err() != nil {
			return
		}
		// Changes may have been missed: trust no cached token.
		m.dropAll()
		for {
			t := time.NewTimer(delay)
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
			var err error
			if ch, err = w.Watch(ctx); err == nil {
				break
			}
			delay = min(2*delay, watchRetryMax)
		}
		delay = watchRetryMin
		// What changed between the failure and the new feed is unknown.
		m.dropAll()
	}
}

// drop forgets the cached token under key, keeping the user's source and
// client: the next call reads the Store. A refresh in flight still answers
// its callers but does not cache its token.
func (m *Manager) drop(key string) {
	sh := m.shard([]byte(key))
	sh.mu.RLock()
	u := sh.m[key]
	sh.mu.RUnlock()
	if u != nil {
		u.src.Close()
	}
}

// dropAll is drop for every user.
func (m *Manager) dropAll() {
	for i := range m.shards {
		sh := &m.shards[i]
		sh.mu.RLock()
		us := make([]*managed, 0, len(sh.m))
		for _, u := range sh.m {
			us = append(us, u)
		}
		sh.mu.RUnlock()
		for _, u := range us {
			u.src.Close()
		}
	}
}
