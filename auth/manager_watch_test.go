package auth_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/brokerkit/brokerkit/auth"
)

// feedStore is a MemoryStore with a change feed the test writes to and
// closes by hand.
type feedStore struct {
	*auth.MemoryStore
	mu     sync.Mutex
	feeds  []chan auth.Change
	opened atomic.Int64
}

func (f *feedStore) Watch(ctx context.Context) (<-chan auth.Change, error) {
	ch := make(chan auth.Change, 8)
	f.mu.Lock()
	f.feeds = append(f.feeds, ch)
	f.mu.Unlock()
	f.opened.Add(1)
	return ch, nil
}

func (f *feedStore) feed() chan auth.Change {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.feeds[len(f.feeds)-1]
}

// TestManagerWatchDropsChangedAndResyncs: a change on the feed drops that
// user's cached token; a feed that closes drops every cached token (the
// changes it may have missed) and is opened again.
func TestManagerWatchDropsChangedAndResyncs(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s := newSim(t, nil, rotatingCaps())
	store := &feedStore{MemoryStore: auth.NewMemoryStore()}
	m, err := auth.NewManager(s.p, store, auth.WithSourceOptions(auth.SourceOptions{Now: s.clock.Now}))
	require.NoError(t, err)
	require.NoError(t, m.Watch(ctx))
	for _, u := range []string{"alice", "bob"} {
		require.NoError(t, m.SetToken(ctx, u, s.login()))
	}
	gone := func(user string) func() bool {
		return func() bool {
			_, err := m.Source(user).TokenContext(ctx)
			return err != nil
		}
	}

	// Another process deletes bob and says so.
	require.NoError(t, store.MemoryStore.Delete(ctx, auth.Key("sim", "bob")))
	_, err = m.Source("bob").TokenContext(ctx)
	require.NoError(t, err, "cached until the feed says otherwise")
	store.feed() <- auth.Change{Key: auth.Key("sim", "bob"), Version: 2, Deleted: true}
	require.Eventually(t, gone("bob"), 5*time.Second, time.Millisecond)
	_, err = m.Source("bob").TokenContext(ctx)
	require.ErrorIs(t, err, auth.ErrReauthRequired)

	// alice is deleted while the feed is down: nothing announces it.
	require.NoError(t, store.MemoryStore.Delete(ctx, auth.Key("sim", "alice")))
	_, err = m.Source("alice").TokenContext(ctx)
	require.NoError(t, err)
	close(store.feed())
	require.Eventually(t, gone("alice"), 5*time.Second, time.Millisecond)
	require.Eventually(t, func() bool { return store.opened.Load() == 2 }, 5*time.Second, time.Millisecond,
		"the feed is opened again")
	assert.Zero(t, s.tokenCalls.Load())
}

func TestManagerWatchNeedsWatcher(t *testing.T) {
	s := newSim(t, nil, rotatingCaps())
	m, err := auth.NewManager(s.p, auth.NewMemoryStore())
	require.NoError(t, err)
	require.Error(t, m.Watch(context.Background()))
}
