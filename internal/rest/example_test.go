package rest_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/brokerkit/brokerkit/internal/rest"
	"github.com/shopspring/decimal"
)

// Balance is a broker type, as a broker package would declare it.
type Balance struct {
	AccountID   string
	CashBalance decimal.Decimal
}

// AccountsService is how a broker package hangs its calls on a rest.Client.
type AccountsService struct{ c *rest.Client }

// Balances returns the balances of the given accounts.
func (s *AccountsService) Balances(ctx context.Context, ids ...string) ([]Balance, error) {
	var out struct{ Balances []Balance }
	_, err := s.c.Get(ctx, rest.Pathf("brokerage/accounts/%s/balances", rest.List(ids)), nil, &out)
	return out.Balances, err
}

func Example() {
	// A stand-in for the broker; a real client gets an *http.Client whose
	// transport adds the bearer token (auth.Transport).
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.URL.EscapedPath() == "/v3/brokerage/accounts/11111,22222/balances" {
			fmt.Fprint(w, `{"Balances":[{"AccountID":"11111","CashBalance":"1520.75"},{"AccountID":"22222","CashBalance":"0.10"}]}`)
			return
		}
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprintf(w, `{"Error":"NotFound","Message":"not found %s"}`, r.URL.Path)
	}))
	defer srv.Close()

	c, err := rest.New(srv.URL+"/v3", srv.Client(),
		rest.WithName("tradestation"),
		rest.WithErrorFields(rest.ErrorFields{Code: []string{"Error"}, Message: []string{"Message"}}))
	if err != nil {
		panic(err)
	}
	accounts := &AccountsService{c: c}

	bals, err := accounts.Balances(context.Background(), "11111", "22222")
	fmt.Println(bals[0].CashBalance, bals[1].CashBalance, err)

	_, err = accounts.Balances(context.Background(), "sim9")
	fmt.Println(errors.Is(err, rest.ErrNotFound))
	fmt.Println(err)
	// Output:
	// 1520.75 0.1 <nil>
	// true
	// tradestation: GET /v3/brokerage/accounts/sim9/balances: HTTP 404 Not Found: NotFound: not found /v3/brokerage/accounts/sim9/balances
}
