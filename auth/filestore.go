package auth

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// maxStoredBytes caps what FileStore reads back: a token with all its extra
// fields is a few kilobytes.
const maxStoredBytes = 4 << 20

// encMagic starts every encrypted token file; a plain file is JSON and
// starts with '{'.
var encMagic = []byte("brokerkit-token-aes256gcm-v1\n")

// FileStore is a Store that keeps one file per key in a directory, for CLIs
// and desktop tools. Writes are atomic (temporary file in the same
// directory, fsync, rename, fsync of the directory), so a crash leaves
// either the old or the new token, never a torn one. Files are created with
// mode 0600 in a directory created with mode 0700.
//
// Anyone who can write the directory could plant a file or a symbolic link
// under a token's name, so NewFileStore refuses an existing directory that
// users other than its owner can write (group or world write permission,
// sticky or not) or that belongs to another user; it does not change the
// directory's mode itself. Token and lock files are opened without
// following symbolic links (O_NOFOLLOW on Unix), and only regular files are
// used: a link or a special file where a token belongs is reported (a
// *StoreError matching ErrStoreUnsafe), never read, written through or
// replaced; Delete removes it.
//
// With FileStoreOptions.EncryptionKey the files are sealed with AES-256-GCM, bound to
// their key. A file that cannot be read back gives a *StoreError (matching
// ErrStoreCorrupt) and Save refuses to replace it: Delete it explicitly.
//
// FileStore is a Locker: processes sharing the directory coordinate
// refreshes through a lock file per key (flock on Unix), and Delete takes
// that lock too.
type FileStore struct {
	dir  string
	aead cipher.AEAD
}

// FileStoreOptions tunes NewFileStore. A zero field keeps its default.
type FileStoreOptions struct {
	// EncryptionKey, when not nil, seals every file with AES-256-GCM under
	// it; it must be 32 bytes (from a key ring or a secret manager, never
	// from the same directory). Nil stores plain files.
	EncryptionKey []byte
}

// NewFileStore returns a FileStore keeping its files in dir, which it
// creates (mode 0700) if needed. An existing dir others can write gives an
// error matching ErrStoreUnsafe (see FileStore).
func NewFileStore(dir string, opts ...FileStoreOptions) (*FileStore, error) {
	var key []byte
	for _, opt := range opts {
		if opt.EncryptionKey != nil {
			key = opt.EncryptionKey
		}
	}
	if dir == "" {
		return nil, errors.New("auth: file store: directory is empty")
	}
	s := &FileStore{dir: dir}
	if key != nil {
		if len(key) != 32 {
			return nil, fmt.Errorf("auth: file store: encryption key must be 32 bytes, got %d", len(key))
		}
		block, err := aes.NewCipher(key)
		if err != nil {
			return nil, fmt.Errorf("auth: file store: %v", err)
		}
		s.aead, err = cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("auth: file store: %v", err)
		}
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("auth: file store: %w", err)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("auth: file store: %w", err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("auth: file store: %s is not a directory", dir)
	}
	if why := unsafeDir(fi); why != "" {
		return nil, &StoreError{Path: dir, Reason: why + "; chmod 700 it, or choose a directory of your own",
			Err: ErrStoreUnsafe}
	}
	s.removeStaleTemps()
	return s, nil
}

// Path returns the file that holds key.
func (s *FileStore) Path(key string) string {
	return filepath.Join(s.dir, fileName(key)+".token")
}

func (s *FileStore) lockPath(key string) string {
	return filepath.Join(s.dir, fileName(key)+".lock")
}

// fileName escapes key into a single safe path element: letters, digits,
// '-' and '_' stay, everything else (including '.', '/' and '%') becomes
// %XX, so that distinct keys never share a file and no key climbs out of
// the directory.
func fileName(key string) string {
	if key == "" {
		return "%"
	}
	var b strings.Builder
	for i := 0; i < len(key); i++ {
		c := key[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '-', c == '_':
			b.WriteByte(c)
		default:
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// Load implements Store.
func (s *FileStore) Load(ctx context.Context, key string) (*Token, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	path := s.Path(key)
	data, err := readCapped(key, path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("auth: key %s: %w", key, ErrNoToken)
	}
	var se *StoreError
	if errors.As(err, &se) {
		return nil, err
	}
	if err != nil {
		return nil, fmt.Errorf("auth: file store: reading %s: %w", path, err)
	}
	return s.decode(key, path, data)
}

// readCapped reads the regular file at path, not following a symbolic
// link, and without blocking on a named pipe.
func readCapped(key, path string) ([]byte, error) {
	f, err := openNoFollow(path)
	if err != nil {
		if uerr := notRegular(key, path); uerr != nil {
			return nil, uerr
		}
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, unsafeFile(key, path, fi.Mode())
	}
	data, err := io.ReadAll(io.LimitReader(f, maxStoredBytes+1))
	if err != nil {
		return nil, err
	}
	return data, nil
}

// notRegular returns the error for a path that exists and is not a
// regular file (a symbolic link, a pipe, a directory), or nil.
func notRegular(key, path string) error {
	fi, err := os.Lstat(path)
	if err != nil || fi.Mode().IsRegular() {
		return nil
	}
	return unsafeFile(key, path, fi.Mode())
}

func unsafeFile(key, path string, mode fs.FileMode) error {
	what := "not a regular file"
	switch {
	case mode&fs.ModeSymlink != 0:
		what = "a symbolic link"
	case mode.IsDir():
		what = "a directory"
	case mode&fs.ModeNamedPipe != 0:
		what = "a named pipe"
	}
	return &StoreError{Key: key, Path: path, Err: ErrStoreUnsafe,
		Reason: "is " + what + ", not a token file; not following it (remove it, or Delete the key)"}
}

func (s *FileStore) decode(key, path string, data []byte) (*Token, error) {
	bad := func(reason string, err error) error {
		return &StoreError{Key: key, Path: path, Reason: reason, Err: err}
	}
	switch {
	case len(data) == 0:
		return nil, bad("file is empty", nil)
	case len(data) > maxStoredBytes:
		return nil, bad(fmt.Sprintf("file is larger than %d bytes", maxStoredBytes), nil)
	}
	encrypted := bytes.HasPrefix(data, encMagic)
	switch {
	case encrypted && s.aead == nil:
		return nil, bad("file is encrypted but the store has no encryption key", nil)
	case !encrypted && s.aead != nil:
		return nil, bad("file is not encrypted but the store has an encryption key", nil)
	case encrypted:
		rest := data[len(encMagic):]
		ns := s.aead.NonceSize()
		if len(rest) < ns+s.aead.Overhead() {
			return nil, bad("encrypted file is truncated", nil)
		}
		plain, err := s.aead.Open(nil, rest[:ns], rest[ns:], []byte(key))
		if err != nil {
			return nil, bad("cannot decrypt (wrong key, another key's file, or damaged)", nil)
		}
		data = plain
	}
	var t Token
	if err := json.Unmarshal(data, &t); err != nil {
		// The JSON error may quote content; keep only its kind.
		return nil, bad("file is not a token", errors.New(jsonErrorKind(err)))
	}
	if t.AccessToken == "" && t.RefreshToken == "" {
		return nil, bad("file holds no access or refresh token", nil)
	}
	return &t, nil
}

func jsonErrorKind(err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("JSON syntax error at offset %d", se.Offset)
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Sprintf("JSON field %q has the wrong type", te.Field)
	}
	return "malformed JSON"
}

func (s *FileStore) encode(key string, t *Token) ([]byte, error) {
	data, err := json.Marshal(t)
	if err != nil {
		return nil, fmt.Errorf("auth: file store: encoding token: %w", err)
	}
	if s.aead == nil {
		return data, nil
	}
	out := make([]byte, 0, len(encMagic)+s.aead.NonceSize()+len(data)+s.aead.Overhead())
	out = append(out, encMagic...)
	nonce := make([]byte, s.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("auth: file store: reading random nonce: %w", err)
	}
	out = append(out, nonce...)
	return s.aead.Seal(out, nonce, data, []byte(key)), nil
}

// Save implements Store. It refuses to replace a file it cannot read back
// (a *StoreError), so a wrong encryption key never destroys a token.
func (s *FileStore) Save(ctx context.Context, key string, t *Token) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if t == nil {
		return errors.New("auth: file store: refusing to save a nil token")
	}
	path := s.Path(key)
	if old, err := readCapped(key, path); err == nil {
		if _, derr := s.decode(key, path, old); derr != nil {
			return fmt.Errorf("auth: file store: not replacing an unreadable token file (delete it first): %w", derr)
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("auth: file store: not replacing %s: %w", path, err)
	}
	data, err := s.encode(key, t)
	if err != nil {
		return err
	}
	return writeAtomic(path, data)
}

// writeAtomic replaces path with data so that readers and crashes see the
// old or the new content, never a mix.
func writeAtomic(path string, data []byte) (err error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("auth: file store: %w", err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			_ = os.Remove(tmp)
		}
	}()
	if err = f.Chmod(0o600); err != nil && !errors.Is(err, errors.ErrUnsupported) {
		f.Close()
		return fmt.Errorf("auth: file store: %w", err)
	}
	if _, err = f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("auth: file store: writing %s: %w", tmp, err)
	}
	if err = f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("auth: file store: syncing %s: %w", tmp, err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("auth: file store: %w", err)
	}
	if err = os.Rename(tmp, path); err != nil {
		return fmt.Errorf("auth: file store: %w", err)
	}
	if err = syncDir(dir); err != nil {
		return fmt.Errorf("auth: file store: syncing %s: %w", dir, err)
	}
	return nil
}

// Delete implements Store. It removes the file whatever it holds (a
// symbolic link itself, never its target). It takes the key's lock first
// (see Store.Delete), so it waits for a refresh in progress in any process.
func (s *FileStore) Delete(ctx context.Context, key string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	unlock, err := s.Lock(ctx, key)
	if err != nil {
		return err
	}
	defer unlock()
	if err := os.Remove(s.Path(key)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("auth: file store: %w", err)
	}
	if err := syncDir(s.dir); err != nil {
		return fmt.Errorf("auth: file store: syncing %s: %w", s.dir, err)
	}
	return nil
}

// Lock implements Locker with a lock file per key beside the token file.
// It waits until the lock is free or ctx is done. A symbolic link or a
// special file at the lock file's path is not followed or used: the error
// matches ErrStoreUnsafe.
func (s *FileStore) Lock(ctx context.Context, key string) (func(), error) {
	path := s.lockPath(key)
	unlock, err := lockFile(ctx, path)
	if err != nil {
		if uerr := notRegular(key, path); uerr != nil {
			return nil, uerr
		}
		return nil, fmt.Errorf("auth: file store: locking key %s: %w", key, err)
	}
	var once sync.Once
	return func() { once.Do(unlock) }, nil
}

// lockBackoff waits *wait before the next try at a lock another process
// holds, doubling it up to 20 ms; it returns ctx's error if ctx ends first.
func lockBackoff(ctx context.Context, wait *time.Duration) error {
	t := time.NewTimer(*wait)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
	}
	if *wait < 20*time.Millisecond {
		*wait *= 2
	}
	return nil
}

// staleTempAge is how old a temporary file left by a killed writer must be
// before NewFileStore removes it.
const staleTempAge = 10 * time.Minute

func (s *FileStore) removeStaleTemps() {
	matches, _ := filepath.Glob(filepath.Join(s.dir, ".*.token.tmp*"))
	for _, m := range matches {
		if fi, err := os.Lstat(m); err == nil && time.Since(fi.ModTime()) > staleTempAge {
			_ = os.Remove(m)
		}
	}
}
