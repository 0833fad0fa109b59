package pgtest

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFindBinaries(t *testing.T) {
	t.Setenv("PATH", "")
	root := t.TempDir()
	_, err := findBinariesIn(filepath.Join(root, "*", "bin"), nil)
	require.ErrorIs(t, err, errNoBinaries)

	for _, v := range []string{"9", "15", "16"} {
		dir := filepath.Join(root, v, "bin")
		require.NoError(t, os.MkdirAll(dir, 0o755))
		for _, name := range []string{"initdb", "postgres"} {
			require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte("#!/bin/sh\n"), 0o755))
		}
	}
	require.NoError(t, os.Remove(filepath.Join(root, "16", "bin", "initdb")))
	got, err := findBinariesIn(filepath.Join(root, "*", "bin"), nil)
	require.NoError(t, err)
	assert.Equal(t, filepath.Join(root, "15", "bin"), got, "the newest complete version, numerically")
}

// fakeTB records how unavailable ended a test.
type fakeTB struct {
	testing.TB
	skipped, failed bool
}

func (f *fakeTB) Helper() {}
func (f *fakeTB) Skipf(string, ...any) {
	f.skipped = true
	runtime.Goexit()
}
func (f *fakeTB) Fatalf(string, ...any) {
	f.failed = true
	runtime.Goexit()
}

func runUnavailable(err error) *fakeTB {
	f := &fakeTB{}
	done := make(chan struct{})
	go func() { defer close(done); unavailable(f, err) }()
	<-done
	return f
}

// Without a server the tests skip, except under CI, where a skip would
// hide them; a server that would not start always fails.
func TestUnavailable(t *testing.T) {
	t.Setenv("CI", "")
	f := runUnavailable(errNoBinaries)
	assert.True(t, f.skipped)
	assert.False(t, f.failed)

	t.Setenv("CI", "true")
	f = runUnavailable(errNoBinaries)
	assert.True(t, f.failed)

	t.Setenv("CI", "")
	f = runUnavailable(os.ErrPermission)
	assert.True(t, f.failed)
}
