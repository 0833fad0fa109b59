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

// TestSourceRefreshAheadNoCallerWaits: a token past its refresh time but
// still valid is served to every caller while exactly one background
// refresh runs against a token endpoint that does not answer; once the
// refresh is saved, callers get the new token.
func TestSourceRefreshAheadNoCallerWaits(t *testing.T) {
	s := newSim(t, nil, rotatingCaps())
	store := auth.NewMemoryStore()
	src, first := s.source(store)
	s.clock.Advance(simAccessTTL - 30*time.Second) // stale, still valid

	release := s.holdTokens()
	defer release()
	const n = 200
	var wg sync.WaitGroup
	var waited, served atomic.Int64
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			tok, err := src.TokenContext(ctx)
			if err != nil {
				waited.Add(1)
				return
			}
			if tok.AccessToken == first.AccessToken {
				served.Add(1)
			}
		}()
	}
	wg.Wait()
	assert.Zero(t, waited.Load(), "callers blocked on the held token request")
	assert.EqualValues(t, n, served.Load(), "every caller got the still-valid token")
	require.Eventually(t, func() bool { return s.tokenCalls.Load() == 1 }, 5*time.Second, time.Millisecond)

	release()
	var second *auth.Token
	require.Eventually(t, func() bool {
		tok, err := src.TokenContext(context.Background())
		require.NoError(t, err)
		second = tok
		return tok.AccessToken != first.AccessToken
	}, 5*time.Second, time.Millisecond)
	assert.EqualValues(t, 1, s.tokenCalls.Load(), "exactly one background refresh")
	stored, err := store.Load(context.Background(), auth.Key("sim", "alice"))
	require.NoError(t, err)
	assert.Equal(t, second.AccessToken, stored.AccessToken, "saved before it was handed out")
}
