package auth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
)

// Manager hands out one TokenSource and one *http.Client per user of one
// provider, all sharing a Store: the shape a back end serving many users
// needs. Sources are created on first use and kept, so that every request
// of a user shares one cache and one single-flight refresh. It is safe for
// concurrent use.
type Manager struct {
	p     Provider
	store Store
	o     managerOptions

	mu    sync.Mutex
	users map[string]*managed
}

type managed struct {
	src    *TokenSource
	client *http.Client
}

// ManagerOption configures NewManager.
type ManagerOption func(*managerOptions)

type managerOptions struct {
	src       []SourceOption
	base      http.RoundTripper
	header    http.Header
	refreshOn func(*http.Response) bool
}

// WithSourceOptions applies opts to every TokenSource the manager creates.
func WithSourceOptions(opts ...SourceOption) ManagerOption {
	return func(o *managerOptions) { o.src = append(o.src, opts...) }
}

// WithBaseTransport sends the clients' requests through rt instead of
// http.DefaultTransport.
func WithBaseTransport(rt http.RoundTripper) ManagerOption {
	return func(o *managerOptions) { o.base = rt }
}

// WithStaticHeader adds a header the provider wants on every API call (an
// application key, say). Its value is treated as a secret.
func WithStaticHeader(name, value string) ManagerOption {
	return func(o *managerOptions) {
		if o.header == nil {
			o.header = http.Header{}
		}
		o.header.Add(name, value)
	}
}

// WithRefreshOn sets the rule that tells a 401 worth a refresh (see
// Transport.RefreshOn).
func WithRefreshOn(fn func(*http.Response) bool) ManagerOption {
	return func(o *managerOptions) { o.refreshOn = fn }
}

// NewManager returns a Manager for provider p keeping tokens in store.
func NewManager(p Provider, store Store, opts ...ManagerOption) (*Manager, error) {
	if p == nil {
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
	if _, err := NewTokenSource(p, store, "probe", o.src...); err != nil {
		return nil, err
	}
	return &Manager{p: p, store: store, o: o, users: map[string]*managed{}}, nil
}

// Provider returns the manager's provider.
func (m *Manager) Provider() Provider { return m.p }

func (m *Manager) get(user string) *managed {
	m.mu.Lock()
	defer m.mu.Unlock()
	if u, ok := m.users[user]; ok {
		return u
	}
	// The options were checked by NewManager and the key is never empty,
	// so this cannot fail.
	src, _ := NewTokenSource(m.p, m.store, Key(m.p.Name(), user), m.o.src...)
	t := &Transport{Source: src, Base: m.o.base, Header: m.o.header, RefreshOn: m.o.refreshOn}
	u := &managed{src: src, client: &http.Client{Transport: t}}
	m.users[user] = u
	return u
}

// TokenSource returns user's token source, the same one on every call.
func (m *Manager) TokenSource(user string) *TokenSource { return m.get(user).src }

// Client returns an *http.Client that authorizes every request as user,
// the same one on every call. A user with no stored token gets errors
// matching ErrReauthRequired from its requests.
func (m *Manager) Client(user string) *http.Client { return m.get(user).client }

// SetToken stores t as user's token, typically just after a login
// (Flow.Complete), and serves it from now on.
func (m *Manager) SetToken(ctx context.Context, user string, t *Token) error {
	return m.get(user).src.SetToken(ctx, t)
}

// Logout revokes user's token at the provider when it can revoke, deletes
// it from the Store and forgets the user's source. The token is deleted
// even when revocation fails; the revocation error is returned.
func (m *Manager) Logout(ctx context.Context, user string) error {
	key := Key(m.p.Name(), user)
	var revokeErr error
	if r, ok := m.p.(Revoker); ok && m.p.Capabilities().Revoke {
		if t, err := m.store.Load(ctx, key); err == nil {
			if err := r.Revoke(ctx, t); err != nil {
				revokeErr = fmt.Errorf("auth: %s: revoking: %w", key, err)
			}
		}
	}
	m.mu.Lock()
	u := m.users[user]
	delete(m.users, user)
	m.mu.Unlock()
	if u != nil {
		u.src.Invalidate(nil)
	}
	if err := m.store.Delete(ctx, key); err != nil {
		return errors.Join(revokeErr, err)
	}
	return revokeErr
}

// Forget drops user's token source and client from memory, keeping the
// stored token: the next TokenSource or Client call for user loads it
// again. Call it when a user's session ends, so that a server with many
// occasional users does not keep them all in memory.
func (m *Manager) Forget(user string) {
	m.mu.Lock()
	u := m.users[user]
	delete(m.users, user)
	m.mu.Unlock()
	if u != nil {
		u.src.Close()
	}
}

// String describes the manager by provider, never its headers or tokens.
func (m *Manager) String() string {
	m.mu.Lock()
	n := len(m.users)
	m.mu.Unlock()
	return fmt.Sprintf("auth.Manager{provider=%s users=%d}", m.p.Name(), n)
}

// GoString is String.
func (m *Manager) GoString() string { return m.String() }

// Format makes every fmt verb print String, so a static header's value
// never reaches a log line.
func (m *Manager) Format(f fmt.State, verb rune) { formatRedacted(f, verb, m.String()) }
