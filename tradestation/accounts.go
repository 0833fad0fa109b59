package tradestation

import (
	"context"
	"fmt"
	"strings"

	"github.com/brokerkit/brokerkit/internal/rest"
)

// maxAccountsPerCall is the most account IDs one v3 balances or positions
// call takes.
const maxAccountsPerCall = 25

// AccountsService reads accounts, balances and positions (API v3, scope
// ReadAccount).
type AccountsService struct{ c *Client }

// List returns the user's brokerage accounts.
func (s *AccountsService) List(ctx context.Context) ([]Account, error) {
	if _, err := s.c.check(ctx, TradingAudience); err != nil {
		return nil, err
	}
	var out struct {
		Accounts []Account `json:"Accounts"`
	}
	if _, err := s.c.v3.Get(ctx, "brokerage/accounts", nil, &out); err != nil {
		return nil, err
	}
	return out.Accounts, nil
}

// Balances returns the real-time balances of the given accounts. Accounts
// TradeStation cannot report on (a type the call does not support, say) come
// back in the second result, beside the balances of the others; only a
// failure of the whole call is an error. More than 25 accounts are split
// into several calls.
func (s *AccountsService) Balances(ctx context.Context, accountIDs ...string) ([]Balance, []PartialError, error) {
	var out struct {
		Balances []Balance      `json:"Balances"`
		Errors   []PartialError `json:"Errors"`
	}
	var all []Balance
	var errs []PartialError
	err := s.each(ctx, accountIDs, "balances", func(path string) error {
		out.Balances, out.Errors = nil, nil
		if _, err := s.c.v3.Get(ctx, path, nil, &out); err != nil {
			return err
		}
		all, errs = append(all, out.Balances...), append(errs, out.Errors...)
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	return all, errs, nil
}

// PositionsOptions filter Positions.
type PositionsOptions struct {
	// Symbol limits the positions to these symbols (comma-separated; '*'
	// is a wildcard, "MSFT *" is every MSFT option).
	Symbol string `url:"symbol,omitempty"`
}

// Positions returns the open positions of the given accounts, with
// per-account failures beside them as in Balances. opts may be nil.
func (s *AccountsService) Positions(ctx context.Context, opts *PositionsOptions, accountIDs ...string) ([]Position, []PartialError, error) {
	var out struct {
		Positions []Position     `json:"Positions"`
		Errors    []PartialError `json:"Errors"`
	}
	var all []Position
	var errs []PartialError
	err := s.each(ctx, accountIDs, "positions", func(path string) error {
		out.Positions, out.Errors = nil, nil
		if _, err := s.c.v3.Get(ctx, path, opts, &out); err != nil {
			return err
		}
		all, errs = append(all, out.Positions...), append(errs, out.Errors...)
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	return all, errs, nil
}

// each validates accountIDs and calls fn with the path of each batch.
func (s *AccountsService) each(ctx context.Context, accountIDs []string, what string, fn func(path string) error) error {
	if _, err := s.c.check(ctx, TradingAudience); err != nil {
		return err
	}
	if len(accountIDs) == 0 {
		return fmt.Errorf("tradestation: %w: %s: no account IDs given", ErrInvalidInput, what)
	}
	for _, id := range accountIDs {
		if id == "" || len(id) > 64 || strings.ContainsFunc(id, func(r rune) bool {
			return !(r >= '0' && r <= '9' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r == '-' || r == '_')
		}) {
			return fmt.Errorf("tradestation: %w: %s: account ID %.64q is not valid", ErrInvalidInput, what, id)
		}
	}
	for _, batch := range chunks(accountIDs, maxAccountsPerCall) {
		if err := fn(rest.Pathf("brokerage/accounts/%s/", rest.List(batch)) + what); err != nil {
			return err
		}
	}
	return nil
}
