package openapi_test

import (
	"context"
	"fmt"

	"google.golang.org/protobuf/proto"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/spotware"
	"github.com/brokerkit/brokerkit/spotware/openapi"
	"github.com/brokerkit/brokerkit/spotware/spotwaretest"
)

// The package doc's code: a message spotware does not wrap, sent with
// Session.Do on a session with the emulator.
func Example() {
	ctx := context.Background()
	srv := spotwaretest.NewServer()
	defer srv.Close()
	p, _ := srv.Provider()
	tok, _ := srv.Login(ctx, p)
	tokens, _ := auth.NewSource(p, auth.NewMemoryStore(), "user")
	_ = tokens.SetToken(ctx, tok)
	session, _ := spotware.Dial(ctx, srv.SessionConfig(tokens))
	defer session.Close()
	acct := spotwaretest.DemoAccountPrecise
	_ = session.AuthorizeAccount(ctx, acct)

	req := &openapi.ProtoOATraderReq{CtidTraderAccountId: proto.Int64(acct)}
	res := &openapi.ProtoOATraderRes{}
	err := session.Do(ctx, req, res)
	fmt.Println(res.GetTrader().GetBalance(), res.GetTrader().GetMoneyDigits(), err)
	// Output:
	// 10053099944 8 <nil>
}
