package just2tradetest_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/just2trade/just2tradetest"
)

// The package doc's code: a token that lapses after a day without calls,
// on a test clock shared by the emulator and the SDK.
func Example() {
	ctx := context.Background()

	clock := just2tradetest.NewTestClock(time.Now())
	srv := just2tradetest.NewServer(just2tradetest.WithClock(clock.Now))
	defer srv.Close()
	p, _ := srv.Provider()
	tok, _ := srv.Login(ctx, p) // Begin, consent page, Complete
	src, _ := auth.NewSource(p, auth.NewMemoryStore(), "user-1", auth.SourceOptions{Now: clock.Now})
	_ = src.SetToken(ctx, tok)
	clock.Advance(25 * time.Hour) // idle: the token lapses
	_, err := p.NewClient(src).Quotes.Get(ctx, "AAPL")
	fmt.Println(errors.Is(err, auth.ErrReauthRequired)) // the user logs in again
	// Output:
	// true
}
