package auth

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
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

// managerShards is how many independently locked tables hold the users,
// so that adding users on many cores does not queue on one lock.
const managerShards = 256

// userShard is one part of the user map, padded to a cache line of its
// own. A lookup takes no lock and writes nothing: it loads tab and probes
// it with atomic loads, so that cores looking up the same few users share
// the shard's cache line instead of passing it between them (as a read
// lock's reader count would). Adding and removing users takes mu.
type userShard struct {
	mu  sync.Mutex
	tab atomic.Pointer[userTable]
	// live counts the users in tab, used the slots that are not nil
	// (users and tombstones); both are written under mu only.
	live, used int
	_          [64 - 32]byte
}

// userTable is an open-addressing hash table of users by store key,
// probed linearly from the key's hash. A slot only ever changes from nil
// to a user, and from a user to tombstone, so a reader that probes it
// without the lock sees either the table before a change or after it.
// Growing (or sweeping out tombstones) builds a new table under the lock
// and publishes it; readers still on the old one see the users as they
// were when they started.
type userTable struct {
	slots []atomic.Pointer[managed] // len is a power of two
}

// tombstone marks the slot of a removed user: probing goes past it.
var tombstone = new(managed)

// minTableSlots is the size of a shard's first table.
const minTableSlots = 8

// newUserTable returns an empty table with room for n users at a load
// of at most a third, so that half as many users again can be added before
// it grows (at half full).
func newUserTable(n int) *userTable {
	size := minTableSlots
	for size < 3*n {
		size *= 2
	}
	return &userTable{slots: make([]atomic.Pointer[managed], size)}
}

// find returns the user under key in t, or nil. h is the key's hash.
func (t *userTable) find(key []byte, h uint64) *managed {
	mask := uint64(len(t.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		u := t.slots[i].Load()
		if u == nil {
			return nil
		}
		if u != tombstone && u.src.key == string(key) {
			return u
		}
	}
}

// find returns the user under key, or nil, without locking.
func (sh *userShard) find(key []byte, h uint64) *managed {
	return sh.tab.Load().find(key, h)
}

// add puts u (not in the shard yet) under its key, whose hash is h. The
// caller holds mu.
func (sh *userShard) add(u *managed, h uint64, seed maphash.Seed) {
	t := sh.tab.Load()
	if 2*(sh.used+1) > len(t.slots) {
		t = sh.rebuild(sh.live+1, seed)
	}
	mask := uint64(len(t.slots) - 1)
	i := h & mask
	for t.slots[i].Load() != nil {
		i = (i + 1) & mask
	}
	t.slots[i].Store(u)
	sh.live++
	sh.used++
}

// remove takes the user under key out of the shard and returns it, or
// nil. The caller holds mu.
func (sh *userShard) remove(key []byte, h uint64, seed maphash.Seed) *managed {
	t := sh.tab.Load()
	mask := uint64(len(t.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		u := t.slots[i].Load()
		if u == nil {
			return nil
		}
		if u != tombstone && u.src.key == string(key) {
			t.slots[i].Store(tombstone)
			sh.live--
			// Give the memory of many forgotten users back.
			if len(t.slots) > minTableSlots && 16*sh.live < len(t.slots) {
				sh.rebuild(sh.live, seed)
			}
			return u
		}
	}
}

// rebuild publishes a new table holding the shard's users, without
// tombstones, with room for n users, and returns it. The caller holds mu.
// It hashes the keys again (with seed, as Manager.shard does) rather than
// keep every user's hash: rebuilding is rare, memory per user is not.
func (sh *userShard) rebuild(n int, seed maphash.Seed) *userTable {
	old := sh.tab.Load()
	t := newUserTable(n)
	mask := uint64(len(t.slots) - 1)
	live := 0
	for j := range old.slots {
		u := old.slots[j].Load()
		if u == nil || u == tombstone {
			continue
		}
		i := (maphash.String(seed, u.src.key) / managerShards) & mask
		for t.slots[i].Load() != nil {
			i = (i + 1) & mask
		}
		t.slots[i].Store(u)
		live++
	}
	sh.live, sh.used = live, live
	sh.tab.Store(t)
	return t
}

// each calls fn for every user in the shard, without locking.
func (sh *userShard) each(fn func(*managed)) {
	t := sh.tab.Load()
	for j := range t.slots {
		if u := t.slots[j].Load(); u != nil && u != tombstone {
			fn(u)
		}
	}
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
		m.shards[i].tab.Store(newUserTable(0))
	}
	return m, nil
}

// Provider returns the manager's provider.
func (m *Manager) Provider() Provider { return m.p }

// keyBuf is the room on the stack for a key being looked up.
const keyBuf = 128

// shard returns the shard that holds key and the hash that places key in
// the shard's table (the bits above those that chose the shard).
func (m *Manager) shard(key []byte) (*userShard, uint64) {
	h := maphash.Bytes(m.seed, key)
	return &m.shards[h%managerShards], h / managerShards
}

// appendKey appends user's store key to b.
func (m *Manager) appendKey(b []byte, user string) []byte {
	return append(append(b, m.prefix...), url.PathEscape(user)...)
}

func (m *Manager) get(user string) *managed {
	var buf [keyBuf]byte // the key stays on the stack unless it is new
	k := m.appendKey(buf[:0], user)
	sh, h := m.shard(k)
	if u := sh.find(k, h); u != nil {
		return u
	}
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if u := sh.find(k, h); u != nil {
		return u
	}
	u := &managed{}
	u.src.sourceCore, u.src.key = m.core, string(k)
	u.tr = Transport{Source: &u.src, Base: m.o.tr.Base, Header: m.o.tr.Header, RefreshOn: m.o.tr.RefreshOn}
	u.client.Transport = &u.tr
	sh.add(u, h, m.seed)
	return u
}

// remove takes user out of the map and returns what it held, or nil.
func (m *Manager) remove(user string) *managed {
	var buf [keyBuf]byte
	k := m.appendKey(buf[:0], user)
	sh, h := m.shard(k)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	return sh.remove(k, h, m.seed)
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
		sh.mu.Lock()
		n += sh.live
		sh.mu.Unlock()
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
	sh, h := m.shard([]byte(key))
	if u := sh.find([]byte(key), h); u != nil {
		u.src.Close()
	}
}

// dropAll is drop for every user.
func (m *Manager) dropAll() {
	for i := range m.shards {
		m.shards[i].each(func(u *managed) { u.src.Close() })
	}
}
