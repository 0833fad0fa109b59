package spotwaretest_test

import (
	"context"
	"fmt"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/spotware"
	"github.com/brokerkit/brokerkit/spotware/spotwaretest"
)

// The package doc's code: the emulator, a login and a Protobuf session on
// its demo host.
func Example() {
	ctx := context.Background()

	srv := spotwaretest.NewServer()
	defer srv.Close()
	p, _ := srv.Provider()
	tok, _ := srv.Login(ctx, p) // consent page played by a Browser
	tokens, _ := auth.NewSource(p, auth.NewMemoryStore(), "user")
	_ = tokens.SetToken(ctx, tok)
	s, _ := spotware.Dial(ctx, srv.SessionConfig(tokens))
	defer s.Close()
	_, err := s.Trader(ctx, spotwaretest.DemoAccount) // the account is not authorized yet
	fmt.Println(err)

	_ = s.AuthorizeAccount(ctx, spotwaretest.DemoAccount)
	tr, err := s.Trader(ctx, spotwaretest.DemoAccount)
	fmt.Println(tr.Balance, err)
	// Output:
	// spotware: PROTO_OA_TRADER_REQ: ACCOUNT_NOT_AUTHORIZED: Trading account is not authorized (account 5001)
	// 10000 <nil>
}
