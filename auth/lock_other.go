//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package auth

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"strconv"
	"time"
)

// staleLockAge is how old a lock file must be before it is taken to belong
// to a crashed process. A refresh takes well under a minute.
const staleLockAge = 2 * time.Minute

// lockFile is the portable fallback: the lock is the existence of path,
// created with O_EXCL. A lock file older than staleLockAge is removed.
func lockFile(ctx context.Context, path string) (func(), error) {
	wait := time.Millisecond
	for {
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
		if err == nil {
			_, _ = f.WriteString(strconv.Itoa(os.Getpid()))
			_ = f.Close()
			return func() { _ = os.Remove(path) }, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return nil, err
		}
		if fi, serr := os.Lstat(path); serr == nil && time.Since(fi.ModTime()) > staleLockAge {
			_ = os.Remove(path)
			continue
		}
		if err := lockBackoff(ctx, &wait); err != nil {
			return nil, err
		}
	}
}

// openNoFollow opens path for reading unless it is a symbolic link. Without
// O_NOFOLLOW the check and the open are two steps; the caller checks the
// opened file is a regular one.
func openNoFollow(path string) (*os.File, error) {
	fi, err := os.Lstat(path)
	if err != nil {
		return nil, err
	}
	if fi.Mode()&fs.ModeSymlink != 0 {
		return nil, errors.New("symbolic link")
	}
	return os.Open(path)
}

// unsafeDir has no portable owner or permission bits to check here.
func unsafeDir(fs.FileInfo) string { return "" }

// syncDir is a no-op where directories cannot be opened for syncing.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return nil
	}
	_ = d.Sync()
	_ = d.Close()
	return nil
}
