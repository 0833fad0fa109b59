package pgstore

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// held is a key's lock while this Store holds it: the pooled connection
// whose session owns the advisory lock, and the row as read right after
// the lock was granted.
type held struct {
	mu   sync.Mutex // serializes use of conn
	conn *pgxpool.Conn
	id   int64
	pre  *prefetched // consumed by the first Load under the lock
}

type prefetched struct{ r *row }

// lockID maps a key to the 64-bit advisory lock key. A collision only
// makes two keys share a lock.
func lockID(key string) int64 {
	sum := sha256.Sum256([]byte("brokerkit/pgstore/lock\x00" + key))
	return int64(binary.BigEndian.Uint64(sum[:8]))
}

// cancelGrace is how long a cancelled lock wait may take to end after the
// cancel request before its connection is cut.
const cancelGrace = 5 * time.Second

// unlockTimeout bounds the statement that releases a lock.
const unlockTimeout = 5 * time.Second

// Lock implements auth.Locker with a session advisory lock on a hash of
// key, held by a pooled connection that Lock takes out of the pool until
// unlock. In the same round trip it reads the key's row, so that the Load
// a TokenSource does next costs nothing.
//
// The wait is bounded by ctx: when ctx ends, Lock asks the server to
// cancel the wait and closes that connection, so no lock can be left
// behind, and returns ctx's error. A process that dies holding a lock
// loses its session, and the server releases the lock.
func (s *Store) Lock(ctx context.Context, key string) (func(), error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := validKey(key); err != nil {
		return nil, err
	}
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return nil, wrapDB(ctx, "locking key "+key, err)
	}
	id := lockID(key)
	r, err := lockAndRead(ctx, conn, id, key)
	if err != nil {
		return nil, wrapDB(ctx, "locking key "+key, err)
	}
	if r == nil {
		s.note(key, nil, false)
	} else {
		_, oerr := s.openRow(key, r)
		s.note(key, r, oerr == nil)
	}
	h := &held{conn: conn, id: id, pre: &prefetched{r: r}}
	s.mu.Lock()
	s.locks[key] = h
	s.mu.Unlock()
	var once sync.Once
	return func() { once.Do(func() { s.unlock(key, h) }) }, nil
}

// lockAndRead takes the advisory lock on conn and reads key's row, in one
// round trip. The read runs in its own READ COMMITTED statement after the
// lock is granted, so it sees every write committed before the previous
// holder let go (a single statement would see the database as it was when
// it began waiting). On failure conn has been released or destroyed.
func lockAndRead(ctx context.Context, conn *pgxpool.Conn, id int64, key string) (*row, error) {
	for {
		r, retry, err := lockOnce(ctx, conn, id, key)
		if !retry {
			return r, err
		}
	}
}

func lockOnce(ctx context.Context, conn *pgxpool.Conn, id int64, key string) (r *row, retry bool, err error) {
	stop, watcherDone := make(chan struct{}), make(chan struct{})
	var cancelled bool
	go func() {
		defer close(watcherDone)
		select {
		case <-stop:
			return
		case <-ctx.Done():
		}
		cancelled = true
		cctx, cancel := context.WithTimeout(context.Background(), cancelGrace)
		_ = conn.Conn().PgConn().CancelRequest(cctx)
		cancel()
		select {
		case <-stop:
		case <-time.After(cancelGrace):
			// The server did not answer the cancel: cut the session.
			_ = conn.Conn().PgConn().Conn().Close()
		}
	}()

	b := &pgx.Batch{}
	b.Queue("BEGIN ISOLATION LEVEL READ COMMITTED")
	b.Queue("SELECT pg_advisory_lock($1)", id)
	b.Queue(selectRow, key)
	b.Queue("COMMIT")
	// Not ctx: its end is handled above, by a cancel request, so that the
	// connection is not cut mid-message.
	br := conn.SendBatch(context.WithoutCancel(ctx), b)
	var got row
	_, err = br.Exec()
	if err == nil {
		_, err = br.Exec()
	}
	if err == nil {
		err = br.QueryRow().Scan(&got.version, &got.keyID, &got.sealed)
		if errors.Is(err, pgx.ErrNoRows) {
			err = nil
		} else if err == nil {
			r = &got
		}
	}
	if err == nil {
		_, err = br.Exec()
	}
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	close(stop)
	<-watcherDone

	if cancelled {
		// The session may hold the lock, or carry a cancel request that
		// would hit a later statement: never give it back to the pool.
		destroy(conn)
		if err == nil {
			err = ctx.Err()
		}
		return nil, false, err
	}
	if err != nil {
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && (pgErr.Code == "55P03" || pgErr.Code == "57014") && ctx.Err() == nil {
			// lock_timeout or statement_timeout of the database cut the
			// wait short; ctx still allows waiting.
			if conn.Conn().PgConn().TxStatus() != 'I' {
				_, _ = conn.Exec(context.WithoutCancel(ctx), "ROLLBACK")
			}
			return nil, true, nil
		}
		destroy(conn)
		return nil, false, err
	}
	return r, false, nil
}

// destroy closes conn's session, which ends every lock it holds, and
// gives the dead connection back to the pool to discard.
func destroy(conn *pgxpool.Conn) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	_ = conn.Conn().Close(ctx)
	cancel()
	conn.Release()
}

func (s *Store) heldFor(key string) *held {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.locks[key]
}

// querierFor returns the connection holding key's lock, when this Store
// holds it (so that a holder never needs a second connection from a pool
// that its locks may have drained), or else the pool.
func (s *Store) querierFor(key string) (querier, func()) {
	if h := s.heldFor(key); h != nil {
		h.mu.Lock()
		return h.conn, h.mu.Unlock
	}
	return s.pool, func() {}
}

func (s *Store) unlock(key string, h *held) {
	s.mu.Lock()
	if s.locks[key] == h {
		delete(s.locks, key)
	}
	s.mu.Unlock()
	h.mu.Lock()
	defer h.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), unlockTimeout)
	defer cancel()
	var ok bool
	if err := h.conn.QueryRow(ctx, "SELECT pg_advisory_unlock($1)", h.id).Scan(&ok); err != nil || !ok {
		// Ending the session is the other way to release the lock.
		destroy(h.conn)
		return
	}
	h.conn.Release()
}
