package rest_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/internal/rest"
)

// Account is a broker type, as a broker package would declare it.
type Account struct{ AccountID string }

// The package doc's code: a client with the broker's error fields, and a
// call whose error is matched against the auth error tree.
func Example_errors() {
	// A stand-in for the broker that refuses the token.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprint(w, `{"Error":"Unauthorized","Message":"token expired"}`)
	}))
	defer srv.Close()
	ctx := context.Background()
	baseURL, httpClient := srv.URL+"/v3/", srv.Client() // a real client: auth.Transport adds the token

	c, err := rest.New(baseURL, httpClient,
		rest.WithName("tradestation"),
		rest.WithErrorFields(rest.ErrorFields{Code: []string{"Error"}, Message: []string{"Message"}}))
	if err != nil {
		panic(err)
	}

	var out struct{ Accounts []Account }
	_, err = c.Get(ctx, "brokerage/accounts", nil, &out)
	switch {
	case errors.Is(err, auth.ErrInvalidToken):
		fmt.Println("log in again:", err)
	case errors.Is(err, rest.ErrNotFound):
		fmt.Println("no such account")
	case errors.Is(err, auth.ErrRateLimited): // *auth.RateLimitError via errors.As
		fmt.Println("wait and retry")
	}
	// Output:
	// log in again: tradestation: GET /v3/brokerage/accounts: HTTP 401 Unauthorized: Unauthorized: token expired
}
