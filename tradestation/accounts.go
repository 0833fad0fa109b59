package tradestation

import (
	"context"
	"strings"

	"github.com/brokerkit/brokerkit/internal/rest"
)

// maxAccountsPerCall is the most account IDs one v3 balances or positions
// call takes.
const maxAccountsPerCall = 25

// AccountsService reads accounts and balances (API v3, scope ReadAccount).
type AccountsService service

// PositionsService reads open positions (API v3, scope ReadAccount).
type PositionsService service

// List returns the user's brokerage accounts.
func (s *AccountsService) List(ctx context.Context) ([]Account, error) {
	var out struct {
		Accounts []Account `json:"Accounts"`
	}
	if err := s.c.get(ctx, s.c.v3, tradingOnly, "brokerage/accounts", nil, &out); err != nil {
		return nil, err
	}
	return out.Accounts, nil
}

// Balances returns the real-time balances of the given accounts. Accounts
// TradeStation cannot report on (a type the call does not support, say)
// are named in a *PartialError returned beside the balances of the others.
// More than 25 accounts are split into several calls.
func (s *AccountsService) Balances(ctx context.Context, accountIDs ...string) ([]Balance, error) {
	var out struct {
		Balances []Balance   `json:"Balances"`
		Errors   []itemError `json:"Errors"`
	}
	var all []Balance
	failed := map[string]string{}
	err := eachBatch(accountIDs, "balances", func(path string) error {
		out.Balances, out.Errors = nil, nil
		if err := s.c.get(ctx, s.c.v3, tradingOnly, path, nil, &out); err != nil {
			return err
		}
		all = append(all, out.Balances...)
		for _, e := range out.Errors {
			e.addTo(failed)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return all, rest.NewPartialError(Name, failed)
}

// PositionsOptions filter Positions.List.
type PositionsOptions struct {
	// Symbol limits the positions to these symbols (comma-separated; '*'
	// is a wildcard, "MSFT *" is every MSFT option).
	Symbol string `url:"symbol,omitempty"`
}

// List returns the open positions of an account. opts may be nil. When
// TradeStation cannot report on the account, the error is a *PartialError
// naming it.
func (s *PositionsService) List(ctx context.Context, accountID string, opts *PositionsOptions) ([]Position, error) {
	var out struct {
		Positions []Position  `json:"Positions"`
		Errors    []itemError `json:"Errors"`
	}
	failed := map[string]string{}
	err := eachBatch([]string{accountID}, "positions", func(path string) error {
		if err := s.c.get(ctx, s.c.v3, tradingOnly, path, opts, &out); err != nil {
			return err
		}
		for _, e := range out.Errors {
			e.addTo(failed)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out.Positions, rest.NewPartialError(Name, failed)
}

// eachBatch validates accountIDs and calls fn with the path of each batch.
func eachBatch(accountIDs []string, what string, fn func(path string) error) error {
	if len(accountIDs) == 0 {
		return rest.Invalid(Name, "%s: no account IDs given", what)
	}
	for _, id := range accountIDs {
		if id == "" || len(id) > 64 || strings.ContainsFunc(id, func(r rune) bool {
			return !(r >= '0' && r <= '9' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r == '-' || r == '_')
		}) {
			return rest.Invalid(Name, "%s: account ID %.64q is not valid", what, id)
		}
	}
	for _, batch := range chunks(accountIDs, maxAccountsPerCall) {
		if err := fn(rest.Pathf("brokerage/accounts/%s/", rest.List(batch)) + what); err != nil {
			return err
		}
	}
	return nil
}
