//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package auth_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/brokerkit/brokerkit/auth"
)

// requireUnsafe checks that err is the typed error for a store location
// that others could tamper with.
func requireUnsafe(t *testing.T, err error) {
	t.Helper()
	require.Error(t, err)
	require.ErrorIs(t, err, auth.ErrStoreUnsafe)
	assert.NotErrorIs(t, err, auth.ErrStoreCorrupt)
	var se *auth.StoreError
	require.ErrorAs(t, err, &se)
}

// TestFileStoreRefusesDirectoryOthersCanWrite: anyone who can write the
// directory can plant a link or a file of their own under a token's name,
// so such a directory is refused, and left as it is.
func TestFileStoreRefusesDirectoryOthersCanWrite(t *testing.T) {
	for _, mode := range []os.FileMode{0o777, 0o770, 0o722, 0o777 | os.ModeSticky} {
		dir := filepath.Join(t.TempDir(), "tokens")
		require.NoError(t, os.Mkdir(dir, 0o700))
		require.NoError(t, os.Chmod(dir, mode))
		_, err := auth.NewFileStore(dir)
		requireUnsafe(t, err)
		assert.Contains(t, err.Error(), "chmod 700", "the error says how to fix it")
		fi, err := os.Stat(dir)
		require.NoError(t, err)
		assert.Equal(t, mode.Perm(), fi.Mode().Perm(), "the directory's mode is not changed behind the user's back")
	}
	// A directory only its owner can write is fine, readable or not.
	for _, mode := range []os.FileMode{0o700, 0o755, 0o750} {
		dir := filepath.Join(t.TempDir(), "tokens")
		require.NoError(t, os.Mkdir(dir, mode))
		require.NoError(t, os.Chmod(dir, mode))
		_, err := auth.NewFileStore(dir)
		require.NoError(t, err, "mode %o", mode)
	}
	// A path that is a file, not a directory.
	file := filepath.Join(t.TempDir(), "f")
	require.NoError(t, os.WriteFile(file, nil, 0o600))
	_, err := auth.NewFileStore(file)
	require.Error(t, err)
}

// TestFileStoreDoesNotFollowPlantedLinks: a symbolic link at a token's
// path (pointing at a token file of someone else's choosing, or at a file
// that does not exist yet) is never followed: Load does not read through
// it, Save does not write through it, and both say why.
func TestFileStoreDoesNotFollowPlantedLinks(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := fileStoreIn(t, dir)
	key := auth.Key("sim", "alice")

	// The planted target holds a token of the attacker's.
	elsewhere := t.TempDir()
	planted := filepath.Join(elsewhere, "attacker.token")
	theirs, err := json.Marshal(&auth.Token{AccessToken: "attacker-at", RefreshToken: "attacker-rt"})
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(planted, theirs, 0o644))
	require.NoError(t, os.Symlink(planted, s.Path(key)))

	tok, err := s.Load(ctx, key)
	assert.Nil(t, tok, "a token read through a planted link")
	requireUnsafe(t, err)

	err = s.Save(ctx, key, sampleToken())
	requireUnsafe(t, err)
	b, err := os.ReadFile(planted)
	require.NoError(t, err)
	assert.Equal(t, string(theirs), string(b), "nothing written through the link")

	// A dangling link: Save does not create its target.
	require.NoError(t, os.Remove(s.Path(key)))
	target := filepath.Join(elsewhere, "created-by-save")
	require.NoError(t, os.Symlink(target, s.Path(key)))
	requireUnsafe(t, s.Save(ctx, key, sampleToken()))
	_, err = os.Lstat(target)
	assert.ErrorIs(t, err, os.ErrNotExist, "Save created the link's target")

	// Delete removes the link itself, never its target; then the key
	// works again.
	require.NoError(t, os.Remove(s.Path(key)))
	require.NoError(t, os.Symlink(planted, s.Path(key)))
	require.NoError(t, s.Delete(ctx, key))
	_, err = os.Stat(planted)
	require.NoError(t, err, "Delete removed the link's target")
	require.NoError(t, s.Save(ctx, key, sampleToken()))
	got, err := s.Load(ctx, key)
	require.NoError(t, err)
	assert.Equal(t, sampleToken().AccessToken, got.AccessToken)
}

// TestFileStoreLockDoesNotFollowPlantedLink: the lock file beside a token
// is opened without following a link either, so a planted link cannot make
// the store create or lock a file elsewhere.
func TestFileStoreLockDoesNotFollowPlantedLink(t *testing.T) {
	dir := t.TempDir()
	s := fileStoreIn(t, dir)
	key := auth.Key("sim", "alice")
	lockPath := strings.TrimSuffix(s.Path(key), ".token") + ".lock"
	target := filepath.Join(t.TempDir(), "created-by-lock")
	require.NoError(t, os.Symlink(target, lockPath))

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	unlock, err := s.Lock(ctx, key)
	if err == nil {
		unlock()
	}
	requireUnsafe(t, err)
	_, err = os.Lstat(target)
	assert.ErrorIs(t, err, os.ErrNotExist, "the lock created the link's target")
}

// TestFileStoreLoadDoesNotHangOnFIFO: a named pipe planted at a token's
// path would block a plain open forever.
func TestFileStoreLoadDoesNotHangOnFIFO(t *testing.T) {
	dir := t.TempDir()
	s := fileStoreIn(t, dir)
	key := auth.Key("sim", "alice")
	require.NoError(t, syscall.Mkfifo(s.Path(key), 0o600))
	done := make(chan error, 1)
	go func() {
		_, err := s.Load(context.Background(), key)
		done <- err
	}()
	select {
	case err := <-done:
		requireUnsafe(t, err)
	case <-time.After(3 * time.Second):
		// Unblock the stuck open so that the test binary can end.
		if f, err := os.OpenFile(s.Path(key), os.O_WRONLY, 0); err == nil {
			f.Close()
		}
		t.Fatal("Load blocked on a named pipe")
	}
}
