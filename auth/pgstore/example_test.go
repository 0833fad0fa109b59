package pgstore_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/auth/pgstore"
)

// The store behind every instance of a back end: one pool, one Store, and
// a Source per user; the Store's lock coordinates their refreshes, and
// Watch tells each instance what the others did. (The tests point
// DATABASE_URL at a throwaway server.)
func ExampleNew() {
	ctx := context.Background()
	key := []byte("0123456789abcdef0123456789abcdef")
	provider, err := auth.NewStandard(auth.Config{Name: "tradestation", ClientID: "app", AuthStyle: auth.AuthStylePublic,
		Endpoint: auth.Endpoint{AuthURL: "https://signin.example.com/authorize", TokenURL: "https://signin.example.com/token"}})
	if err != nil {
		log.Fatal(err)
	}
	userID := "alice"

	pool, err := pgxpool.New(ctx, os.Getenv("DATABASE_URL"))
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()
	store, err := pgstore.New(ctx, pool, pgstore.Config{
		Keys: []pgstore.EncryptionKey{{ID: "2026-01", Secret: key}}, // 32 bytes from a key manager
	})
	if err != nil {
		log.Fatal(err)
	}
	src, err := auth.NewSource(provider, store, auth.Key("tradestation", userID))
	if err != nil {
		log.Fatal(err)
	}

	changes, err := store.Watch(ctx) // other instances' logins, refreshes and logouts
	if err != nil {
		log.Fatal(err)
	}
	_ = src.SetToken(ctx, &auth.Token{AccessToken: "at", Expiry: time.Now().Add(time.Hour)})
	c := <-changes
	fmt.Println(c.Key, c.Deleted)
	// Output: tradestation/alice false
}
