package auth_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/brokerkit/brokerkit/auth"
)

// TestSourceCrossProcessRotation runs two copies of the test binary that
// share one FileStore and one rotating refresh token, and force refreshes
// concurrently. The server revokes the whole token family on any reuse of
// a rotated refresh token, so a single uncoordinated refresh would fail
// every later one.
func TestSourceCrossProcessRotation(t *testing.T) {
	const perWorker, workers = 15, 2
	if os.Getenv(childEnv) == "rotator" {
		p, err := auth.NewStandard(auth.Config{
			Name: "sim", ClientID: "app", ClientSecret: "app-secret",
			Endpoint:     auth.Endpoint{AuthURL: os.Getenv("AUTH_URL"), TokenURL: os.Getenv("TOKEN_URL")},
			AuthStyle:    auth.AuthStyleInHeader,
			Capabilities: auth.Capabilities{Refresh: true, RefreshRotates: true},
		})
		require.NoError(t, err)
		store, err := auth.NewFileStore(os.Getenv("STORE_DIR"))
		require.NoError(t, err)
		src, err := auth.NewSource(p, store, auth.Key("sim", "alice"))
		require.NoError(t, err)
		var wg sync.WaitGroup
		for range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range perWorker {
					ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
					tok, err := src.TokenContext(ctx)
					if assert.NoError(t, err) {
						_, err = src.ForceRefresh(ctx, tok)
						assert.NoError(t, err)
					}
					cancel()
				}
			}()
		}
		wg.Wait()
		return
	}

	s := newSim(t, nil, rotatingCaps())
	dir := t.TempDir()
	store, err := auth.NewFileStore(dir)
	require.NoError(t, err)
	_, _ = s.source(store)

	ep := s.p.Config().Endpoint
	var cmds []childProc
	for i := range 2 {
		cmd := runChild(t, "TestSourceCrossProcessRotation", "rotator",
			"STORE_DIR="+dir, "AUTH_URL="+ep.AuthURL, "TOKEN_URL="+ep.TokenURL)
		out := &bytes.Buffer{}
		cmd.Stdout, cmd.Stderr = out, out
		require.NoError(t, cmd.Start(), "child %d", i)
		cmds = append(cmds, childProc{cmd: cmd, out: out})
	}
	for i, c := range cmds {
		err := c.cmd.Wait()
		require.NoError(t, err, "child %d failed:\n%s", i, c.out.String())
	}

	refreshes := s.tokenCalls.Load()
	t.Logf("%d refreshes by 2 processes x %d goroutines", refreshes, workers)
	assert.Zero(t, s.invalidGrants.Load(), "no refresh token was ever spent twice")
	assert.GreaterOrEqual(t, refreshes, int64(perWorker), "the processes really refreshed")

	// The store holds the newest token: its refresh token is the live one
	// (the server refuses every older one and would have revoked the family).
	stored, err := store.Load(context.Background(), auth.Key("sim", "alice"))
	require.NoError(t, err)
	_, err = s.p.Refresh(context.Background(), stored)
	require.NoError(t, err, "the stored refresh token is the current one")
	assert.EqualValues(t, refreshes+1, s.tokenCalls.Load())
	assert.Zero(t, s.invalidGrants.Load())
}

type childProc struct {
	cmd *exec.Cmd
	out *bytes.Buffer
}
