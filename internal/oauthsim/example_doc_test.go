package oauthsim_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"time"

	"github.com/brokerkit/brokerkit/internal/oauthsim"
)

// The package doc's code: a cTrader-shaped authorization server (GET token
// endpoint, camelCase token fields, errors under HTTP 200) mounted beside
// an API route it protects, then one login played through it.
func Example_emulator() {
	ctx := context.Background()
	accountsHandler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		g, _ := oauthsim.GrantFrom(r.Context())
		fmt.Fprintf(w, "accounts of user %s", g.UserID)
	})
	writeBroker401 := func(w http.ResponseWriter, _ *http.Request, err error) {
		http.Error(w, "CH_ACCESS_TOKEN_INVALID", http.StatusUnauthorized)
	}

	clock := oauthsim.NewTestClock(time.Time{})
	eng, err := oauthsim.New(oauthsim.Config{
		Name:    "cTrader",
		Now:     clock.Now,
		Clients: []oauthsim.Client{{ID: "app", Secret: "s3cret", RedirectURIs: []string{"http://127.0.0.1/cb"}}},
		Users:   []oauthsim.User{{ID: "1001", Username: "trader", Password: "pw"}},
		CodeTTL: time.Minute, AccessTTL: 2628000 * time.Second,
		Refresh: oauthsim.RefreshPolicy{Mode: oauthsim.RefreshRotate},
		Wire: oauthsim.Wire{
			AuthorizePath: "/apps/auth", TokenPath: "/apps/token", RevokePath: "-", UserinfoPath: "-",
			TokenMethods: []string{"GET"}, ClientAuth: oauthsim.ClientAuthParams,
			Fields: oauthsim.TokenFields{AccessToken: "accessToken", TokenType: "tokenType",
				RefreshToken: "refreshToken", ExpiresIn: "expiresIn", Scope: "-", TokenTypeValue: "bearer"},
			Errors: oauthsim.Status200Errors("errorCode", "description", nil),
		},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	mux := http.NewServeMux()
	eng.Mount(mux)
	mux.Handle("/accounts", eng.Faults().Wrap(eng.Protect(accountsHandler, writeBroker401)))
	srv := httptest.NewServer(mux)
	defer srv.Close()

	// The user signs in on the consent page; the app trades the code with a GET.
	authURL := srv.URL + "/apps/auth?" + url.Values{"client_id": {"app"}, "redirect_uri": {"http://127.0.0.1/cb"},
		"response_type": {"code"}, "state": {"xyz"}}.Encode()
	callback, err := oauthsim.NewBrowser(srv.Client(), "trader", "pw").Login(ctx, authURL)
	if err != nil {
		fmt.Println(err)
		return
	}
	cb, _ := url.Parse(callback)
	res, err := srv.Client().Get(srv.URL + "/apps/token?" + url.Values{"grant_type": {"authorization_code"},
		"code": {cb.Query().Get("code")}, "redirect_uri": {"http://127.0.0.1/cb"},
		"client_id": {"app"}, "client_secret": {"s3cret"}}.Encode())
	if err != nil {
		fmt.Println(err)
		return
	}
	var tok struct {
		AccessToken string `json:"accessToken"`
		TokenType   string `json:"tokenType"`
		ExpiresIn   int    `json:"expiresIn"`
	}
	_ = json.NewDecoder(res.Body).Decode(&tok)
	res.Body.Close()
	fmt.Println(res.StatusCode, tok.TokenType, tok.ExpiresIn)

	for _, bearer := range []string{"forged", tok.AccessToken} {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/accounts", nil)
		req.Header.Set("Authorization", "Bearer "+bearer)
		res, err := srv.Client().Do(req)
		if err != nil {
			fmt.Println(err)
			return
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		fmt.Println(res.StatusCode, strings.TrimSpace(string(body)))
	}
	// Output:
	// 200 bearer 2628000
	// 401 CH_ACCESS_TOKEN_INVALID
	// 200 accounts of user 1001
}
