package pgstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/auth/pgstore"
	"github.com/brokerkit/brokerkit/internal/pgtest"
)

var _ auth.Watcher = (*pgstore.Store)(nil)

// twoManagers returns two Managers, as two instances of a service would
// run them: one database, each with its own pool and Store; b follows the
// change feed.
func twoManagers(t *testing.T) (s *sim, a, b *auth.Manager) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	dsn := pgtest.Start(t)
	s = newSim(t)
	p := newProvider(t, s.endpoint(), nil)
	var err error
	a, err = auth.NewManager(p, newStore(t, newPool(t, dsn)))
	require.NoError(t, err)
	b, err = auth.NewManager(p, newStore(t, newPool(t, dsn)))
	require.NoError(t, err)
	require.NoError(t, b.Watch(ctx))
	return s, a, b
}

// TestManagerWatchLogoutOnOtherInstance: after a logout on one instance,
// the other, which had the user's token cached, no longer serves it.
func TestManagerWatchLogoutOnOtherInstance(t *testing.T) {
	ctx := context.Background()
	s, a, b := twoManagers(t)
	tok := s.login(t)
	require.NoError(t, a.SetToken(ctx, "alice", tok))
	got, err := b.Source("alice").TokenContext(ctx)
	require.NoError(t, err)
	require.Equal(t, tok.AccessToken, got.AccessToken, "b has the token cached")

	require.NoError(t, a.Logout(ctx, "alice"))
	require.Eventually(t, func() bool {
		_, err := b.Source("alice").TokenContext(ctx)
		return err != nil
	}, 10*time.Second, 5*time.Millisecond, "b still serves a logged-out user's token")
	_, err = b.Source("alice").TokenContext(ctx)
	require.ErrorIs(t, err, auth.ErrReauthRequired)
}

// TestManagerWatchRefreshOnOtherInstance: a refresh on one instance
// reaches the other, which serves the new token without a token request
// of its own.
func TestManagerWatchRefreshOnOtherInstance(t *testing.T) {
	ctx := context.Background()
	s, a, b := twoManagers(t)
	tok := s.login(t)
	require.NoError(t, a.SetToken(ctx, "alice", tok))
	_, err := b.Source("alice").TokenContext(ctx)
	require.NoError(t, err)

	fresh, err := a.Source("alice").ForceRefresh(ctx, tok)
	require.NoError(t, err)
	require.NotEqual(t, tok.AccessToken, fresh.AccessToken)
	require.Eventually(t, func() bool {
		got, err := b.Source("alice").TokenContext(ctx)
		return err == nil && got.AccessToken == fresh.AccessToken
	}, 10*time.Second, 5*time.Millisecond, "b still serves the replaced token")
	assert.EqualValues(t, 1, s.tokenCalls.Load(), "b read the store, it did not refresh")
	assert.Zero(t, s.invalidGrants.Load())
}
