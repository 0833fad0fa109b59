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
type Store interface {
	// Load returns the token stored under key, or ErrNoToken.
	Load(ctx context.Context, key string) (*Token, error)
	// Save stores t under key, replacing what was there.
	Save(ctx context.Context, key string, t *Token) error
	// Delete removes the token under key. Deleting a missing key is not
	// an error.
	Delete(ctx context.Context, key string) error
}

// Locker is implemented by stores that several processes share. A
// TokenSource whose Store is a Locker takes the key's lock around a
// refresh, re-reads the store once it holds the lock, and refreshes only if
// the stored token is still stale, so that processes sharing one rotating
// refresh token never spend it twice.
type Locker interface {
	// Lock blocks until it holds the lock for key or ctx is done. The
	// returned function releases the lock.
	Lock(ctx context.Context, key string) (unlock func(), err error)
}

// ErrStoreCorrupt means a stored token could not be read back: the file is
// torn, not a token, encrypted with another key, or encrypted when no key
// was configured (or the reverse). Stores never overwrite such an entry on
// their own; delete it explicitly to start over.
var ErrStoreCorrupt = errors.New("stored token is corrupt or cannot be decrypted")

// StoreError describes a stored entry that could not be used. It matches
// ErrStoreCorrupt.
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
	msg := "auth: token store: key " + e.Key
	if e.Path != "" {
		msg += " (" + e.Path + ")"
	}
	msg += ": " + e.Reason
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// Is reports whether target is ErrStoreCorrupt.
func (e *StoreError) Is(target error) bool { return target == ErrStoreCorrupt }

// Unwrap returns the underlying error.
func (e *StoreError) Unwrap() error { return e.Err }

// Key returns the store key for user at provider. Both parts are escaped, so
// distinct pairs always give distinct keys.
func Key(provider, user string) string {
	return url.PathEscape(provider) + "/" + url.PathEscape(user)
}

// MemoryStore is a Store in memory, for tests and for programs that log in
// on every start. The zero value is ready to use.
type MemoryStore struct {
	mu sync.RWMutex
	m  map[string]*Token
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

// Delete implements Store.
func (s *MemoryStore) Delete(ctx context.Context, key string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	delete(s.m, key)
	s.mu.Unlock()
	return nil
}
