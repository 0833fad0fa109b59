package pgstore

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/brokerkit/brokerkit/auth"
)

// ErrConflict means a Save lost a compare-and-set: the row changed since
// this Store last read or wrote it, so the token being saved may be older
// than the stored one. Load the key again and decide from what it holds.
var ErrConflict = errors.New("pgstore: the stored token changed since it was read")

// ErrUnknownKey means a row is sealed under a key ID the Store was not
// given. It comes wrapped in an *auth.StoreError, so it also matches
// auth.ErrStoreCorrupt. Save never replaces such a row: add the key, or
// Delete the row to start over.
var ErrUnknownKey = errors.New("pgstore: row is sealed under an unknown key ID")

// EncryptionKey is one AES-256 key and the ID stored beside every row it
// seals.
type EncryptionKey struct {
	// ID names the key in the rows (1 to 64 printable ASCII characters);
	// never reuse an ID for another secret.
	ID string
	// Secret is the 32-byte AES-256 key, from a key manager; never keep it
	// in the same database.
	Secret []byte
}

// Config configures New.
type Config struct {
	// Keys seal and open the rows. Keys[0] seals every write; every key
	// opens rows sealed under its ID, so that a rotation adds the new key
	// in front and drops the old one once its rows have been rewritten.
	// At least one key is required: a shared database never holds tokens
	// in the clear.
	Keys []EncryptionKey
}

// maxKeyLen bounds a store key: it travels in notifications, whose payload
// PostgreSQL caps at 8000 bytes.
const maxKeyLen = 1024

// maxTokenBytes caps a token's JSON, as FileStore does.
const maxTokenBytes = 4 << 20

// Store is an auth.Store and auth.Locker on PostgreSQL: one row per key in
// the table brokerkit_tokens, sealed with AES-256-GCM and versioned for
// compare-and-set. See the package documentation for the rules. It is safe
// for concurrent use.
type Store struct {
	pool  *pgxpool.Pool
	seal  cipher.AEAD
	sealK string
	open  map[string]cipher.AEAD

	mu sync.Mutex
	// seen is the version of each key's row as this Store last read or
	// wrote it; absent (0) when it saw no row. Keys it never saw have no
	// entry.
	seen  map[string]int64
	locks map[string]*held
}

// absent is the version recorded for a key whose row was not there.
const absent int64 = 0

// New returns a Store keeping its rows in the database of pool, after
// bringing the schema up to date (see the package documentation). The
// pool stays the caller's: close it after the last use of the Store.
func New(ctx context.Context, pool *pgxpool.Pool, cfg Config) (*Store, error) {
	if pool == nil {
		return nil, errors.New("pgstore: New needs a pool")
	}
	if len(cfg.Keys) == 0 {
		return nil, errors.New("pgstore: New needs at least one encryption key")
	}
	s := &Store{pool: pool, open: map[string]cipher.AEAD{}, seen: map[string]int64{}, locks: map[string]*held{}}
	for i, k := range cfg.Keys {
		if err := validKeyID(k.ID); err != nil {
			return nil, fmt.Errorf("pgstore: key %d: %w", i, err)
		}
		if _, dup := s.open[k.ID]; dup {
			return nil, fmt.Errorf("pgstore: key ID %q is given twice", k.ID)
		}
		if len(k.Secret) != 32 {
			return nil, fmt.Errorf("pgstore: key %q must be 32 bytes, got %d", k.ID, len(k.Secret))
		}
		block, err := aes.NewCipher(k.Secret)
		if err != nil {
			return nil, fmt.Errorf("pgstore: key %q: %v", k.ID, err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("pgstore: key %q: %v", k.ID, err)
		}
		s.open[k.ID] = aead
		if i == 0 {
			s.seal, s.sealK = aead, k.ID
		}
	}
	if err := migrate(ctx, pool); err != nil {
		return nil, err
	}
	return s, nil
}

func validKeyID(id string) error {
	if id == "" || len(id) > 64 {
		return errors.New("ID must be 1 to 64 characters")
	}
	for i := 0; i < len(id); i++ {
		if id[i] <= ' ' || id[i] > '~' {
			return errors.New("ID must be printable ASCII without spaces")
		}
	}
	return nil
}

func validKey(key string) error {
	switch {
	case key == "":
		return errors.New("pgstore: key is empty")
	case len(key) > maxKeyLen:
		return fmt.Errorf("pgstore: key is longer than %d bytes", maxKeyLen)
	case strings.IndexByte(key, 0) >= 0:
		return errors.New("pgstore: key contains a NUL byte")
	}
	return nil
}

// additionalData binds a sealed row to its store key and key ID, so that
// a row copied to another key, or relabelled with another key ID, does not
// open.
func additionalData(keyID, key string) []byte {
	return []byte("brokerkit/pgstore/v1\x00" + keyID + "\x00" + key)
}

func (s *Store) sealToken(key string, t *auth.Token) ([]byte, error) {
	plain, err := json.Marshal(t)
	if err != nil {
		return nil, fmt.Errorf("pgstore: encoding token: %w", err)
	}
	if len(plain) > maxTokenBytes {
		return nil, fmt.Errorf("pgstore: token is larger than %d bytes", maxTokenBytes)
	}
	nonce := make([]byte, s.seal.NonceSize(), s.seal.NonceSize()+len(plain)+s.seal.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("pgstore: reading random nonce: %w", err)
	}
	return s.seal.Seal(nonce, nonce, plain, additionalData(s.sealK, key)), nil
}

// row is one key's row as read from the table; nil means no row.
type row struct {
	version int64
	keyID   string
	sealed  []byte
}

// openRow decrypts and decodes r. Its errors are *auth.StoreError and
// never quote the row.
func (s *Store) openRow(key string, r *row) (*auth.Token, error) {
	bad := func(reason string, err error) error {
		return &auth.StoreError{Key: key, Reason: reason, Err: err}
	}
	aead, ok := s.open[r.keyID]
	if !ok {
		return nil, bad(fmt.Sprintf("row version %d is sealed under key ID %q, which this store was not given", r.version, r.keyID), ErrUnknownKey)
	}
	ns := aead.NonceSize()
	if len(r.sealed) < ns+aead.Overhead() {
		return nil, bad("sealed token is truncated", nil)
	}
	plain, err := aead.Open(nil, r.sealed[:ns], r.sealed[ns:], additionalData(r.keyID, key))
	if err != nil {
		return nil, bad(fmt.Sprintf("cannot open the row under key ID %q (another key's row, or damaged)", r.keyID), nil)
	}
	var t auth.Token
	if err := json.Unmarshal(plain, &t); err != nil {
		return nil, bad("row is not a token", errors.New("malformed JSON"))
	}
	if t.AccessToken == "" && t.RefreshToken == "" {
		return nil, bad("row holds no access or refresh token", nil)
	}
	return &t, nil
}

// querier is what Load, Save and Delete run on: the pool, or the
// connection that holds the key's lock.
type querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

const selectRow = `SELECT version, key_id, sealed FROM brokerkit_tokens WHERE key = $1`

func readRow(ctx context.Context, q querier, key string) (*row, error) {
	var r row
	err := q.QueryRow(ctx, selectRow, key).Scan(&r.version, &r.keyID, &r.sealed)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &r, nil
}

// note records what this Store saw of key: a row's version, or absent.
// A present row never moves the record back to an older version.
func (s *Store) note(key string, r *row, readable bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case r == nil:
		s.seen[key] = absent
	case !readable:
		delete(s.seen, key)
	default:
		if old, ok := s.seen[key]; !ok || old < r.version {
			s.seen[key] = r.version
		}
	}
}

// result turns a read into Load's answer and records it.
func (s *Store) result(key string, r *row) (*auth.Token, error) {
	if r == nil {
		s.note(key, nil, false)
		return nil, fmt.Errorf("pgstore: key %s: %w", key, auth.ErrNoToken)
	}
	t, err := s.openRow(key, r)
	s.note(key, r, err == nil)
	return t, err
}

// Load implements auth.Store.
func (s *Store) Load(ctx context.Context, key string) (*auth.Token, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := validKey(key); err != nil {
		return nil, err
	}
	if h := s.heldFor(key); h != nil {
		h.mu.Lock()
		if h.pre != nil {
			// The row as read when the lock was taken; nobody who takes
			// the lock can have changed it since.
			pre := h.pre
			h.pre = nil
			h.mu.Unlock()
			return s.result(key, pre.r)
		}
		r, err := readRow(ctx, h.conn, key)
		h.mu.Unlock()
		if err != nil {
			return nil, wrapDB(ctx, "loading key "+key, err)
		}
		return s.result(key, r)
	}
	r, err := readRow(ctx, s.pool, key)
	if err != nil {
		return nil, wrapDB(ctx, "loading key "+key, err)
	}
	return s.result(key, r)
}

// Save implements auth.Store with compare-and-set: it writes only over the
// row version this Store last read or wrote for key (see the package
// documentation), and fails with ErrConflict when the row has changed
// since. It never replaces a row it cannot open (an *auth.StoreError).
// The row is sealed under the newest key, whatever key sealed it before.
func (s *Store) Save(ctx context.Context, key string, t *auth.Token) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := validKey(key); err != nil {
		return err
	}
	if t == nil {
		return errors.New("pgstore: refusing to save a nil token")
	}
	if t.AccessToken == "" && t.RefreshToken == "" {
		return errors.New("pgstore: refusing to save a token with neither an access nor a refresh token")
	}
	sealed, err := s.sealToken(key, t)
	if err != nil {
		return err
	}
	q, done := s.querierFor(key)
	defer done()

	s.mu.Lock()
	expect, known := s.seen[key]
	s.mu.Unlock()
	if known {
		return s.write(ctx, q, key, expect, sealed)
	}
	// This Store has not seen the row: read it (refusing to replace one it
	// cannot open) and write over what it read. Someone else writing in
	// between is no conflict for a caller that expected nothing: try again.
	for attempt := 0; ; attempt++ {
		r, err := readRow(ctx, q, key)
		if err != nil {
			return wrapDB(ctx, "saving key "+key, err)
		}
		expect = absent
		if r != nil {
			if _, err := s.openRow(key, r); err != nil {
				return fmt.Errorf("pgstore: not replacing a row that cannot be read (delete it first): %w", err)
			}
			expect = r.version
		}
		err = s.write(ctx, q, key, expect, sealed)
		if !errors.Is(err, ErrConflict) || attempt == 2 {
			return err
		}
	}
}

// Statements that write and notify in one round trip.
const (
	insertRow = `WITH w AS (
	INSERT INTO brokerkit_tokens (key, version, key_id, sealed)
	VALUES ($1, nextval('brokerkit_token_version'), $2, $3)
	ON CONFLICT (key) DO NOTHING
	RETURNING version)
SELECT w.version FROM w, LATERAL pg_notify('` + channel + `', 's ' || w.version || ' ' || $1::text) n`
	updateRow = `WITH w AS (
	UPDATE brokerkit_tokens SET version = nextval('brokerkit_token_version'), key_id = $2, sealed = $3, updated_at = now()
	WHERE key = $1 AND version = $4
	RETURNING version)
SELECT w.version FROM w, LATERAL pg_notify('` + channel + `', 's ' || w.version || ' ' || $1::text) n`
	deleteRow = `WITH w AS (
	DELETE FROM brokerkit_tokens WHERE key = $1 RETURNING version)
SELECT w.version FROM w, LATERAL pg_notify('` + channel + `', 'd ' || w.version || ' ' || $1::text) n`
)

// write stores sealed under key if the row is still at version expect
// (absent: no row).
func (s *Store) write(ctx context.Context, q querier, key string, expect int64, sealed []byte) error {
	var v int64
	var err error
	if expect == absent {
		err = q.QueryRow(ctx, insertRow, key, s.sealK, sealed).Scan(&v)
	} else {
		err = q.QueryRow(ctx, updateRow, key, s.sealK, sealed, expect).Scan(&v)
	}
	if errors.Is(err, pgx.ErrNoRows) {
		if expect == absent {
			return fmt.Errorf("pgstore: key %s: a row appeared since this store saw none: %w", key, ErrConflict)
		}
		return fmt.Errorf("pgstore: key %s: the row is no longer at version %d: %w", key, expect, ErrConflict)
	}
	if err != nil {
		return wrapDB(ctx, "saving key "+key, err)
	}
	s.note(key, &row{version: v}, true)
	return nil
}

// Delete implements auth.Store. It removes the row whatever it holds.
func (s *Store) Delete(ctx context.Context, key string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := validKey(key); err != nil {
		return err
	}
	q, done := s.querierFor(key)
	defer done()
	if _, err := q.Exec(ctx, deleteRow, key); err != nil {
		return wrapDB(ctx, "deleting key "+key, err)
	}
	s.note(key, nil, false)
	return nil
}

// wrapDB describes a database error; when ctx ended, the error matches
// ctx's error too.
func wrapDB(ctx context.Context, what string, err error) error {
	if cerr := ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
		return fmt.Errorf("pgstore: %s: %w: %w", what, cerr, err)
	}
	return fmt.Errorf("pgstore: %s: %w", what, err)
}
