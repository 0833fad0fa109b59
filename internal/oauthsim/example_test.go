package oauthsim_test

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/internal/oauthsim"
)

// A whole login against the engine: the SDK's Flow, a Browser playing the
// user, and the resource-server check an emulator's API handler makes.
func Example() {
	clock := oauthsim.NewTestClock(time.Time{})
	srv, err := oauthsim.NewServer(oauthsim.Config{
		Now:     clock.Now,
		Clients: []oauthsim.Client{{ID: "app", Secret: "s3cret", RedirectURIs: []string{"http://127.0.0.1/cb"}}},
		Users:   []oauthsim.User{{ID: "1001", Username: "alice", Password: "pw"}},
		Refresh: oauthsim.RefreshPolicy{Mode: oauthsim.RefreshRotate},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close()

	p, _ := auth.NewStandard(auth.Config{Name: "sim", ClientID: "app", ClientSecret: "s3cret",
		RedirectURL: "http://127.0.0.1/cb", Endpoint: srv.Endpoint(), AuthStyle: auth.AuthStyleInParams,
		HTTPClient: srv.Client(), Now: clock.Now,
		Capabilities: auth.Capabilities{PKCE: true, Refresh: true, RefreshRotates: true}})

	ctx := context.Background()
	flow, _ := auth.Begin(p, auth.FlowOptions{Scopes: []string{"read"}, Now: clock.Now})
	callback, _ := srv.Browser("alice", "pw").Login(ctx, flow.URL)
	tok, err := flow.CompleteURL(ctx, p, callback)
	if err != nil {
		fmt.Println(err)
		return
	}

	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/accounts", nil)
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	grant, err := srv.Engine.Validate(req)
	fmt.Println(grant.UserID, grant.Scopes, err)

	_, err = p.Refresh(ctx, tok)
	fmt.Println("refresh:", err)
	_, err = p.Refresh(ctx, tok) // the old refresh token rotated out
	fmt.Println("replay refused:", err != nil)
	// Output:
	// 1001 [read] <nil>
	// refresh: <nil>
	// replay refused: true
}
