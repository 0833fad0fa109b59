package pgtest_test

import (
	"context"
	"os"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/brokerkit/brokerkit/internal/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// Each Start gives its own empty database on a server that answers only
// on the loopback address.
func TestStartGivesSeparateDatabases(t *testing.T) {
	ctx := context.Background()
	a, b := pgtest.Start(t), pgtest.Start(t)
	require.NotEqual(t, a, b)

	ca, err := pgx.Connect(ctx, a)
	require.NoError(t, err)
	defer ca.Close(ctx)
	cb, err := pgx.Connect(ctx, b)
	require.NoError(t, err)
	defer cb.Close(ctx)

	_, err = ca.Exec(ctx, "CREATE TABLE t (v int)")
	require.NoError(t, err)
	_, err = cb.Exec(ctx, "CREATE TABLE t (v int)")
	require.NoError(t, err, "the second database does not see the first one's table")

	var user, listen string
	require.NoError(t, ca.QueryRow(ctx, "SELECT current_user, current_setting('listen_addresses')").Scan(&user, &listen))
	if os.Getenv(pgtest.EnvURL) == "" {
		assert.Equal(t, "127.0.0.1", listen)
		assert.Equal(t, "postgres", user)
		var fsync string
		require.NoError(t, ca.QueryRow(ctx, "SHOW fsync").Scan(&fsync))
		assert.Equal(t, "off", fsync)
	}
}

// A database is dropped when its test ends.
func TestStartDropsDatabase(t *testing.T) {
	ctx := context.Background()
	var dsn string
	t.Run("inner", func(t *testing.T) { dsn = pgtest.Start(t) })
	cfg, err := pgx.ParseConfig(dsn)
	require.NoError(t, err)
	name := cfg.Database
	cfg.Database = "postgres"
	if ext := os.Getenv(pgtest.EnvURL); ext != "" {
		cfg, err = pgx.ParseConfig(ext)
		require.NoError(t, err)
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	require.NoError(t, err)
	defer conn.Close(ctx)
	var n int
	require.NoError(t, conn.QueryRow(ctx, "SELECT count(*) FROM pg_database WHERE datname = $1", name).Scan(&n))
	assert.Zero(t, n)
}
