package tradestation

import (
	"context"
	"fmt"
	"net/url"
	"sort"
	"strings"

	"github.com/google/go-querystring/query"

	"github.com/brokerkit/brokerkit/internal/rest"
)

// maxV2QuoteSymbols is the most symbols one WebAPI v2 quote call takes;
// V2Service.Quotes splits longer lists.
const maxV2QuoteSymbols = 50

var errNoSymbols = rest.Invalid(Name, "no symbols given")

// V2Service calls the legacy WebAPI v2 with a token from a V2 Provider.
// Symbol lookups also work with a client-credentials token.
type V2Service service

// userID returns the v2 user the calls act for: the token's subject. A
// client-credentials token has none.
func (s *V2Service) userID(ctx context.Context) (string, error) {
	t, err := s.c.token(ctx, V2Audience)
	if err != nil {
		return "", err
	}
	id := ""
	if t != nil {
		id = t.Subject
	}
	switch {
	case strings.EqualFold(id, ClientOnlyUser):
		return "", fmt.Errorf("tradestation v2: %w", ErrClientOnlyToken)
	case id == "":
		return "", rest.Invalid(Name, "v2: user ID unknown: build the client with Provider.NewClient from a v2 login's token")
	}
	return id, nil
}

// Accounts returns the user's accounts (GET /v2/users/{userid}/accounts).
// A client-credentials token is refused with ErrClientOnlyToken before any
// request.
func (s *V2Service) Accounts(ctx context.Context) ([]V2Account, error) {
	id, err := s.userID(ctx)
	if err != nil {
		return nil, err
	}
	var out []V2Account
	if _, err := s.c.v2.Get(ctx, rest.Pathf("users/%s/accounts", id), nil, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// Quotes returns v2 quotes. Items TradeStation answers with an Error
// ("FAILED, INVALID SYMBOL") are named in a *PartialError returned beside
// the others. Lists longer than 50 symbols are fetched in several
// calls.
func (s *V2Service) Quotes(ctx context.Context, symbols ...string) ([]V2Quote, error) {
	if err := checkSymbols(symbols); err != nil {
		return nil, err
	}
	var all []V2Quote
	failed := map[string]string{}
	for _, batch := range chunks(symbols, maxV2QuoteSymbols) {
		var out []V2Quote
		if err := s.c.get(ctx, s.c.v2, v2Only, rest.Pathf("data/quote/%s", rest.List(batch)), nil, &out); err != nil {
			return nil, err
		}
		for _, q := range out {
			if q.Error != nil && *q.Error != "" {
				failed[q.Symbol] = *q.Error
				continue
			}
			all = append(all, q)
		}
	}
	return all, rest.NewPartialError(Name, failed)
}

// SuggestOptions narrow Suggest.
type SuggestOptions struct {
	// Top is the most suggestions returned; zero means the server default.
	Top int `url:"$top,omitempty"`
	// Filter is an OData filter on Category, Country, Currency or Exchange,
	// e.g. "Category eq 'Stock'".
	Filter string `url:"$filter,omitempty"`
}

// Suggest returns symbols matching text as typed so far
// (GET /v2/data/symbols/suggest/{text}). opts may be nil. API v3 still
// offers this endpoint, so v3 trading tokens work too.
func (s *V2Service) Suggest(ctx context.Context, text string, opts *SuggestOptions) ([]V2Symbol, error) {
	if text == "" || len(text) > 64 || strings.ContainsAny(text, "/?#") {
		return nil, rest.Invalid(Name, "v2: suggest text %.64q is empty or not valid", text)
	}
	var out []V2Symbol
	if err := s.c.get(ctx, s.c.v2, symbolLookups, rest.Pathf("data/symbols/suggest/%s", text), opts, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// SearchCriteria is a v2 symbol search. Empty fields are left out; at
// least one must be set.
type SearchCriteria struct {
	// Name is the symbol name (N).
	Name string `url:"N,omitempty"`
	// Category is Stock|S, StockOption|SO, Future|FU, FutureOption|FO,
	// Index|IDX, Forex|FX, ... (C).
	Category string `url:"C,omitempty"`
	// Country is ALL (default), US, DE or CA (Cnt).
	Country string `url:"Cnt,omitempty"`
	// Description searches the description (Desc).
	Description string `url:"Desc,omitempty"`
	// Root is an option or future root (R).
	Root string `url:"R,omitempty"`
	// Currency is a currency code (Cur).
	Currency string `url:"Cur,omitempty"`
	// Extra holds any other documented key (Stk, Exd, OT, FT, ...).
	Extra map[string]string `url:"-"`
}

// encode writes the criteria as TradeStation wants them in the path:
// key=value pairs joined with '&', keys sorted.
func (sc SearchCriteria) encode() (string, error) {
	v, err := query.Values(sc)
	if err != nil {
		return "", err
	}
	for k, val := range sc.Extra {
		// The documented keys are short words (Stk, Exd, OT); a key is
		// written into the path as it is, so nothing else may pass.
		if k == "" || len(k) > 16 || strings.ContainsFunc(k, func(r rune) bool {
			return !(r >= '0' && r <= '9' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z')
		}) {
			return "", rest.Invalid(Name, "v2: search key %.32q is not valid", k)
		}
		v.Set(k, val)
	}
	keys := make([]string, 0, len(v))
	for k := range v {
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		return "", rest.Invalid(Name, "v2: search criteria are empty")
	}
	sort.Strings(keys)
	var b strings.Builder
	for i, k := range keys {
		val := v.Get(k)
		if val == "" || strings.ContainsAny(val, "&=/?#") || len(val) > 64 {
			return "", rest.Invalid(Name, "v2: search value for %s is empty or not valid", k)
		}
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(k + "=" + url.PathEscape(val))
	}
	return b.String(), nil
}

// Search finds symbols by criteria (GET /v2/data/symbols/search/{criteria},
// at most 500 results). v3 trading tokens work too.
func (s *V2Service) Search(ctx context.Context, criteria SearchCriteria) ([]V2Symbol, error) {
	path, err := criteria.encode()
	if err != nil {
		return nil, err
	}
	var out []V2Symbol
	if err := s.c.get(ctx, s.c.v2, symbolLookups, "data/symbols/search/"+path, nil, &out); err != nil {
		return nil, err
	}
	return out, nil
}
