package pgstore_test

import (
	"context"
	"log"
	"os"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/auth/pgstore"
)

// The store behind every instance of a back end: one pool, one Store, and
// a TokenSource per user; the Store's lock coordinates their refreshes.
func ExampleNew() {
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, os.Getenv("DATABASE_URL"))
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()
	key := []byte(os.Getenv("TOKEN_KEY")) // 32 bytes from a key manager
	store, err := pgstore.New(ctx, pool, pgstore.Config{
		Keys: []pgstore.EncryptionKey{{ID: "2026-01", Secret: key}},
	})
	if err != nil {
		log.Fatal(err)
	}
	var provider auth.Provider // tradestation.New(...), for example
	src, err := auth.NewSource(provider, store, auth.Key("tradestation", "alice"))
	if err != nil {
		log.Fatal(err)
	}
	_ = src

	// Elsewhere: learn about other instances' refreshes and logouts.
	changes, err := store.Watch(ctx)
	if err != nil {
		log.Fatal(err)
	}
	for c := range changes {
		log.Printf("key %s changed (version %d, deleted %t)", c.Key, c.Version, c.Deleted)
	}
}
