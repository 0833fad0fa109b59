package pgstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// migrations bring the schema from version i to i+1. Append only: a
// released step is never edited.
var migrations = []string{
	// 1: one row per key, sealed; versions from one sequence, so that a
	// key deleted and written again never repeats a version.
	`CREATE SEQUENCE brokerkit_token_version;
CREATE TABLE brokerkit_tokens (
	key        text PRIMARY KEY CHECK (octet_length(key) BETWEEN 1 AND 1024),
	version    bigint NOT NULL,
	key_id     text NOT NULL,
	sealed     bytea NOT NULL,
	updated_at timestamptz NOT NULL DEFAULT now()
)`,
}

// migrationLock is the advisory lock that serializes migrations, so that
// instances starting together do not race.
const migrationLock int64 = 0x62726b6b6d696772 // "brkkmigr"

// component names this package's schema in brokerkit_schema.
const component = "pgstore"

// migrate brings the schema up to the newest version, in one transaction.
// Running it again is a no-op; a database migrated by newer code is
// refused rather than written with an older layout.
func migrate(ctx context.Context, pool *pgxpool.Pool) error {
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", migrationLock); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS brokerkit_schema (
	component  text PRIMARY KEY,
	version    integer NOT NULL,
	updated_at timestamptz NOT NULL DEFAULT now()
)`); err != nil {
			return err
		}
		var have int
		err := tx.QueryRow(ctx, "SELECT version FROM brokerkit_schema WHERE component = $1", component).Scan(&have)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		if have > len(migrations) {
			return fmt.Errorf("the database schema is at version %d, newer than this code knows (%d)", have, len(migrations))
		}
		if have == len(migrations) {
			return nil
		}
		for i := have; i < len(migrations); i++ {
			if _, err := tx.Exec(ctx, migrations[i]); err != nil {
				return fmt.Errorf("step %d: %w", i+1, err)
			}
		}
		_, err = tx.Exec(ctx, `INSERT INTO brokerkit_schema (component, version) VALUES ($1, $2)
ON CONFLICT (component) DO UPDATE SET version = excluded.version, updated_at = now()`, component, len(migrations))
		return err
	})
	if err != nil {
		return wrapDB(ctx, "migrating the schema", err)
	}
	return nil
}
