package auth

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"sync"
)

// Store keeps tokens by key between runs of a program. A key names one user
// at one provider; build it with Key. Load of a key that holds nothing
// returns an error matching ErrNoToken.
//
// A TokenSource saves every token it obtains before handing it out, so a
// Store is the one place where a rotated refresh token survives a restart.
// Implementations must be safe for concurrent use.
//
// A Store that more than one TokenSource uses for a key (two processes, or
// one process that dropped and rebuilt a source) must also be a Locker, or
// two refreshes can spend one rotating refresh token twice and a logout can
// be undone by a refresh that was in flight. MemoryStore and FileStore are
// Lockers.
//
// Wrappers: a Store that wraps another one (to count calls, log, cache)
// hides the wrapped store's Locker. Give the wrapper a method
//
//	Unwrap() Store
//
// returning the wrapped store, as errors.Unwrap does for errors, and
// TokenSource and Manager find the Locker behind it. Do that only when the
// wrapper passes keys through unchanged; a wrapper that changes keys, or
// stores elsewhere, must implement Locker itself.
type Store interface {
	// Load returns the token stored under key, or ErrNoToken.
	Load(ctx context.Context, key string) (*Token, error)
	// Save stores t under key, replacing what was there. A TokenSource
	// calls it while holding the key's lock (see Locker); Save itself does
	// not take the lock.
	Save(ctx context.Context, key string, t *Token) error
	// Delete removes the token under key. Deleting a missing key is not
	// an error. In a Store that is a Locker, Delete takes the key's lock
	// itself, so that it waits for a refresh in progress and the refresh
	// cannot save its token back afterwards: once Delete returns, the key
	// holds nothing until the next Save by a login. Never call Delete while
	// holding the key's lock.
	Delete(ctx context.Context, key string) error
}

// Locker is implemented by stores that several token sources share, in one
// process or many. It is the lock that makes a refresh, a login and a
// logout of one key happen one after another:
//
//   - a TokenSource takes the key's lock around a refresh: it re-reads the
//     store once it holds the lock, refreshes only if the stored token is
//     still stale, and saves the new token before it lets go, so that
//     sources sharing one rotating refresh token never spend it twice;
//   - SetToken takes it around the Save of a new login;
//   - Delete takes it itself (see Store.Delete).
//
// The lock is per key and exclusive; it need not be reentrant. A holder
// keeps it for at most the refresh timeout (SourceOptions.RefreshTimeout,
// 30 seconds by default) plus a Save. A lock held by a process that died must be released by the
// implementation (FileStore's flock is released by the kernel; a database
// store would use a session or transaction lock).
type Locker interface {
	// Lock blocks until it holds the lock for key or ctx is done. The
	// returned function releases the lock.
	Lock(ctx context.Context, key string) (unlock func(), err error)
}

// Watcher is implemented by stores that several processes share and that
// report every write and delete of any of them (pgstore.Store does). A
// Manager over such a store follows the feed (Manager.Watch), so that a
// refresh or a logout in one process is seen by the others.
type Watcher interface {
	// Watch delivers the changes made from the moment it returns until
	// ctx ends. The channel is closed when ctx ends or the feed fails; a
	// channel closed while ctx is live means changes may have been missed.
	Watch(ctx context.Context) (<-chan Change, error)
}

// Change is one notification from a Watcher: the token under Key was
// written (a login or a refresh) or deleted (a logout).
type Change struct {
	// Key is the store key.
	Key string
	// Version is the entry's version after a write, or the version
	// deleted. Versions of a key only grow.
	Version int64
	// Deleted is set for a delete.
	Deleted bool
}

// findWatcher returns the Watcher of store or of the first store it wraps
// (see Store), or nil.
func findWatcher(store Store) Watcher {
	for range maxUnwrap {
		if store == nil {
			return nil
		}
		if w, ok := store.(Watcher); ok {
			return w
		}
		u, ok := store.(storeUnwrapper)
		if !ok {
			return nil
		}
		store = u.Unwrap()
	}
	return nil
}

// storeUnwrapper is the convention a wrapping Store follows to name the
// store it wraps.
type storeUnwrapper interface{ Unwrap() Store }

// maxUnwrap bounds the walk down a chain of wrappers, so that a wrapper
// that unwraps to itself cannot loop forever.
const maxUnwrap = 16

// findLocker returns the Locker of store or of the first store it wraps
// (see Store), or nil.
func findLocker(store Store) Locker {
	for range maxUnwrap {
		if store == nil {
			return nil
		}
		if l, ok := store.(Locker); ok {
			return l
		}
		u, ok := store.(storeUnwrapper)
		if !ok {
			return nil
		}
		store = u.Unwrap()
	}
	return nil
}

// ErrStoreCorrupt means a stored token could not be read back: the file is
// torn, not a token, encrypted with another key, or encrypted when no key
// was configured (or the reverse). Stores never overwrite such an entry on
// their own; delete it explicitly to start over.
var ErrStoreCorrupt = errors.New("stored token is corrupt or cannot be decrypted")

// ErrStoreUnsafe means a store refused a location others could tamper
// with: a token directory that users other than its owner can write, or a
// symbolic link or special file where a token or lock file belongs. The
// store does not follow, read, replace or repair it; the error says what to
// fix.
var ErrStoreUnsafe = errors.New("token store location is not safe")

// StoreError describes a stored entry, or a store location, that could not
// be used. It matches ErrStoreUnsafe when Err does, and ErrStoreCorrupt
// otherwise.
type StoreError struct {
	// Key is the store key.
	Key string
	// Path is the file, for stores that keep files.
	Path string
	// Reason says what is wrong, without quoting the content.
	Reason string
	// Err is the underlying error, if any.
	Err error
}

// Error implements the error interface.
func (e *StoreError) Error() string {
	msg := "auth: token store"
	if e.Key != "" {
		msg += ": key " + e.Key
	}
	if e.Path != "" {
		msg += " (" + e.Path + ")"
	}
	msg += ": " + e.Reason
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// Is reports whether target is ErrStoreCorrupt, for an entry that cannot
// be read back (not for an unsafe location, which matches ErrStoreUnsafe
// through Err).
func (e *StoreError) Is(target error) bool {
	return target == ErrStoreCorrupt && !errors.Is(e.Err, ErrStoreUnsafe)
}

// Unwrap returns the underlying error.
func (e *StoreError) Unwrap() error { return e.Err }

// Key returns the store key for user at provider. Both parts are escaped, so
// distinct pairs always give distinct keys.
func Key(provider, user string) string {
	return url.PathEscape(provider) + "/" + url.PathEscape(user)
}

// MemoryStore is a Store in memory, for tests and for programs that log in
// on every start. It is a Locker, so that the sources of one process that
// share it coordinate their refreshes per key (see Locker). The zero value
// is ready to use.
type MemoryStore struct {
	mu    sync.RWMutex
	m     map[string]*Token
	locks keyLocks
}

// NewMemoryStore returns an empty MemoryStore.
func NewMemoryStore() *MemoryStore { return &MemoryStore{} }

// Load implements Store. It returns a copy of the stored token.
func (s *MemoryStore) Load(ctx context.Context, key string) (*Token, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.RLock()
	t, ok := s.m[key]
	s.mu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("auth: key %s: %w", key, ErrNoToken)
	}
	return t.Clone(), nil
}

// Save implements Store. It keeps a copy of t.
func (s *MemoryStore) Save(ctx context.Context, key string, t *Token) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if t == nil {
		return errors.New("auth: memory store: refusing to save a nil token")
	}
	c := t.Clone()
	s.mu.Lock()
	if s.m == nil {
		s.m = map[string]*Token{}
	}
	s.m[key] = c
	s.mu.Unlock()
	return nil
}

// Delete implements Store. It waits for the key's lock (see Store.Delete).
func (s *MemoryStore) Delete(ctx context.Context, key string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	unlock, err := s.locks.Lock(ctx, key)
	if err != nil {
		return err
	}
	defer unlock()
	s.mu.Lock()
	delete(s.m, key)
	s.mu.Unlock()
	return nil
}

// sharingStore is a Store that can hand its own copy of a token to a
// caller that never changes it, and keep a caller's token without copying
// it, so that a Source over it holds each token once.
type sharingStore interface {
	loadShared(ctx context.Context, key string) (*Token, error)
	saveShared(ctx context.Context, key string, t *Token) error
}

// loadShared is Load without the copy: the token is shared with the store
// and must not be changed.
func (s *MemoryStore) loadShared(ctx context.Context, key string) (*Token, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.RLock()
	t, ok := s.m[key]
	s.mu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("auth: key %s: %w", key, ErrNoToken)
	}
	return t, nil
}

// saveShared is Save without the copy: the caller never changes t again.
func (s *MemoryStore) saveShared(ctx context.Context, key string, t *Token) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if t == nil {
		return errors.New("auth: memory store: refusing to save a nil token")
	}
	s.mu.Lock()
	if s.m == nil {
		s.m = map[string]*Token{}
	}
	s.m[key] = t
	s.mu.Unlock()
	return nil
}

// Lock implements Locker, within this process.
func (s *MemoryStore) Lock(ctx context.Context, key string) (func(), error) {
	return s.locks.Lock(ctx, key)
}

// keyLocks is a set of per-key exclusive locks whose wait a context can
// cancel. A key's entry lives only while someone holds or waits for it.
// The zero value is ready to use.
type keyLocks struct {
	mu sync.Mutex
	m  map[string]*keyLock
}

type keyLock struct {
	held chan struct{} // holds one value while the lock is held
	refs int           // holders and waiters
}

// Lock implements Locker.
func (k *keyLocks) Lock(ctx context.Context, key string) (func(), error) {
	k.mu.Lock()
	if k.m == nil {
		k.m = map[string]*keyLock{}
	}
	l := k.m[key]
	if l == nil {
		l = &keyLock{held: make(chan struct{}, 1)}
		k.m[key] = l
	}
	l.refs++
	k.mu.Unlock()
	select {
	case l.held <- struct{}{}:
	case <-ctx.Done():
		k.release(key, l)
		return nil, ctx.Err()
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			<-l.held
			k.release(key, l)
		})
	}, nil
}

func (k *keyLocks) release(key string, l *keyLock) {
	k.mu.Lock()
	l.refs--
	if l.refs == 0 {
		delete(k.m, key)
	}
	k.mu.Unlock()
}
