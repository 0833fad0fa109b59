// Package pgstore keeps brokerkit tokens in PostgreSQL, for back ends that
// run as several instances: a Store is an auth.Store and an auth.Locker
// over a *pgxpool.Pool the application owns.
//
//	pool, err := pgxpool.New(ctx, os.Getenv("DATABASE_URL"))
//	if err != nil {
//		log.Fatal(err)
//	}
//	defer pool.Close()
//	store, err := pgstore.New(ctx, pool, pgstore.Config{
//		Keys: []pgstore.EncryptionKey{{ID: "2026-01", Secret: key}}, // 32 bytes from a key manager
//	})
//	if err != nil {
//		log.Fatal(err)
//	}
//	src, err := auth.NewSource(provider, store, auth.Key("tradestation", userID))
//
// New creates or upgrades the schema (tables brokerkit_tokens and
// brokerkit_schema, sequence brokerkit_token_version) with numbered
// migrations in one transaction under an advisory lock; running it on
// every start is cheap and safe from several instances at once.
//
// Rows. One row per key holds the token sealed with AES-256-GCM under
// Config.Keys[0], the key's ID and a version. The store key and key ID are
// the additional data, so a row copied to another key or relabelled does
// not open. To rotate, put the new key first and keep the old ones: rows
// open under any given key and are rewritten under the newest on their
// next Save. A row under a key ID the Store was not given, or one that
// does not open, gives an *auth.StoreError matching auth.ErrStoreCorrupt
// (and ErrUnknownKey for an unknown ID), and Save never replaces it.
//
// Compare-and-set. Versions come from one sequence and only grow, also
// across a delete. Each Store remembers, per key, the version it last read
// (Load, or Lock, which reads the row) or wrote (Save), or that it saw no
// row (Load, Delete). Save writes only over that version, or only where
// there is no row, and otherwise fails with ErrConflict: a token derived
// from an older row never replaces a newer one, and a refresh finishing
// after a logout does not bring the row back. A Store that has not seen
// the key reads the row first and writes over what it read. An
// auth.TokenSource never meets a conflict in normal use: it saves under
// the lock, after re-reading the row under it. A conflict means the lock
// was bypassed or lost (a store wrapped so that the Locker is hidden, a
// connection cut under a holder); the caller should Load and start again.
//
// Locking. Lock takes a session advisory lock on a hash of the key, on a
// pooled connection kept out of the pool until unlock, and reads the row
// in the same round trip; while it is held, this Store's Load, Save and
// Delete of that key run on that connection. A coordinated refresh thus
// costs three round trips: lock and read, save and notify, unlock. The
// wait is bounded by the context: when it ends, the wait is cancelled on
// the server and the connection closed. A process that dies holding a lock
// loses its session, and the server releases the lock. Each held lock
// keeps one pool connection: size the pool for the concurrent refreshes
// expected, plus the plain loads, and unlock every lock before closing the
// pool (pgxpool's Close waits for the connections out of it).
//
// Notifications. Every Save and Delete notifies the channel
// brokerkit_tokens, in the same statement, with the key and the new
// version. Watch returns a channel of Changes from a connection of its
// own. A channel rather than a callback, because a Manager selects on it
// beside its own shutdown, a slow reader does not run inside the listener,
// and the channel's closing is how a broken connection is told: whoever
// watches then drops what it cached and watches again.
package pgstore
