package pgstore_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/internal/pgtest"
)

// childEnv marks a re-executed test binary and says what it is to do.
const childEnv = "BROKERKIT_PGSTORE_TEST_CHILD"

const (
	processes = 4
	rounds    = 100
)

// runChild re-executes this test binary for one test in a helper role.
func runChild(t *testing.T, test, role string, env ...string) (*exec.Cmd, *bytes.Buffer) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^"+test+"$", "-test.count=1", "-test.v=false")
	cmd.Env = append(append(os.Environ(), childEnv+"="+role), env...)
	out := &bytes.Buffer{}
	cmd.Stdout, cmd.Stderr = out, out
	require.NoError(t, cmd.Start())
	return cmd, out
}

// childSource is what each child process builds: its own pool, its own
// Store and its own TokenSource for alice.
func childSource(t *testing.T, tokenURL string) *auth.Source {
	pool := newPool(t, os.Getenv("PG_DSN"))
	store := newStore(t, pool)
	p := newProvider(t, auth.Endpoint{AuthURL: os.Getenv("AUTH_URL"), TokenURL: tokenURL}, nil)
	src, err := auth.NewSource(p, store, auth.Key("sim", "alice"))
	require.NoError(t, err)
	return src
}

// TestProcessesShareRotatingToken runs four OS processes, each with its
// own TokenSource over its own pgstore.Store on one database, that force
// 100 refreshes each (100 rounds of "take the token, refuse it") of one
// rotating refresh token. The server revokes
// the whole token family when a rotated refresh token comes back, so one
// refresh that was not coordinated would fail every later one. Midway, a
// fifth process takes the lock for a refresh (its token request hangs at
// the server and never spends the refresh token) while the four wait for
// it halfway, and is killed with SIGKILL while it holds the lock: the
// server must release the lock, and the four go on, losing nothing.
func TestProcessesShareRotatingToken(t *testing.T) {
	switch os.Getenv(childEnv) {
	case "rotator":
		src := childSource(t, os.Getenv("TOKEN_URL"))
		for i := range rounds {
			if i == rounds/2 {
				// Halfway, wait until the holder holds the lock, so that the
				// second half runs into it.
				waitForFile(t, os.Getenv("HELD_FILE"))
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			tok, err := src.TokenContext(ctx)
			if err == nil {
				_, err = src.ForceRefresh(ctx, tok)
			}
			cancel()
			require.NoError(t, err, "round %d", i)
		}
		return
	case "holder":
		// Its token requests hang at the server: it holds the lock until
		// it is killed.
		// (It retries while the others keep refreshing first.)
		src := childSource(t, os.Getenv("HOLD_URL"))
		deadline := time.Now().Add(time.Minute)
		for time.Now().Before(deadline) {
			if tok, err := src.TokenContext(context.Background()); err == nil {
				_, _ = src.ForceRefresh(context.Background(), tok)
			}
		}
		t.Fatal("the holder was not killed")
		return
	}

	s := newSim(t)
	dsn := pgtest.Start(t)
	ctx := context.Background()
	parentStore := newStore(t, newPool(t, dsn))
	require.NoError(t, parentStore.Save(ctx, auth.Key("sim", "alice"), s.login(t)))

	ep := s.endpoint()
	heldFile := filepath.Join(t.TempDir(), "held")
	env := []string{"HELD_FILE=" + heldFile, "PG_DSN=" + dsn, "AUTH_URL=" + ep.AuthURL, "TOKEN_URL=" + ep.TokenURL, "HOLD_URL=" + s.srv.URL + holdPath}
	start := time.Now()
	type child struct {
		cmd *exec.Cmd
		out *bytes.Buffer
	}
	var children []child
	for range processes {
		cmd, out := runChild(t, "TestProcessesShareRotatingToken", "rotator", env...)
		children = append(children, child{cmd, out})
	}
	var wg sync.WaitGroup
	errs := make([]error, processes)
	for i, c := range children {
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = c.cmd.Wait() }()
	}

	// Once the rotators are under way, the holder takes the lock.
	for s.tokenCalls.Load() < rounds/4 && time.Since(start) < time.Minute {
		time.Sleep(5 * time.Millisecond)
	}
	holder, holderOut := runChild(t, "TestProcessesShareRotatingToken", "holder", env...)
	select {
	case <-s.held:
	case <-time.After(time.Minute):
		_ = holder.Process.Kill()
		t.Fatalf("the holder never reached the token endpoint:\n%s", holderOut)
	}
	// It holds the lock now: the others, let go on, get no token while
	// it lives.
	before := s.tokenCalls.Load()
	require.NoError(t, os.WriteFile(heldFile, nil, 0o600))
	time.Sleep(300 * time.Millisecond)
	assert.Equal(t, before, s.tokenCalls.Load(), "another process refreshed while the lock was held")
	killed := time.Now()
	require.NoError(t, holder.Process.Signal(syscall.SIGKILL))
	_ = holder.Wait()

	wg.Wait()
	took := time.Since(start)
	for i, c := range children {
		require.NoError(t, errs[i], "process %d failed:\n%s", i, c.out)
	}
	after := s.tokenCalls.Load() - before
	refreshes := s.tokenCalls.Load()
	t.Logf("%d processes x %d forced refreshes: %d token requests, %d after the kill, in %s (lock holder killed at %s)",
		processes, rounds, refreshes, after, took.Round(time.Millisecond), killed.Sub(start).Round(time.Millisecond))
	assert.Zero(t, s.invalidGrants.Load(), "no refresh token was ever spent twice")
	assert.GreaterOrEqual(t, refreshes, int64(rounds), "the processes really refreshed")
	assert.Positive(t, after, "the others went on after the holder died")

	// The stored token is the newest: its refresh token is the live one
	// (the server refuses every older one, and would revoke the family).
	stored, err := parentStore.Load(ctx, auth.Key("sim", "alice"))
	require.NoError(t, err)
	_, err = newProvider(t, ep, nil).Refresh(ctx, stored)
	require.NoError(t, err, "the stored refresh token is the current one")
	assert.Zero(t, s.invalidGrants.Load())
}

func waitForFile(t *testing.T, path string) {
	deadline := time.Now().Add(time.Minute)
	for {
		if _, err := os.Stat(path); err == nil {
			return
		}
		require.True(t, time.Now().Before(deadline), "%s never appeared", path)
		time.Sleep(2 * time.Millisecond)
	}
}
