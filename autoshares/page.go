package autoshares

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"

	"github.com/brokerkit/brokerkit/internal/rest"
	"github.com/google/go-querystring/query"
)

// Page is one page of a list, the shape every broker shares: Items, Total
// (-1 when the broker does not say), HasNext, Next and All.
type Page[T any] = rest.Page[T]

// wirePage is a list answer: a PagingResult ({"Result":[…],"TotalCount":…,
// "NextPageLink":…}) or, in places the docs show, a bare array.
type wirePage[T any] struct {
	items        []T
	total        int
	nextPageLink string
}

// UnmarshalJSON reads a PagingResult or a bare array.
func (p *wirePage[T]) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	*p = wirePage[T]{total: -1}
	if len(b) == 0 || string(b) == "null" {
		return nil
	}
	if b[0] == '[' {
		return json.Unmarshal(b, &p.items)
	}
	if b[0] != '{' {
		return errors.New("autoshares: a page is neither an array nor an object")
	}
	var v struct {
		Result       []T     `json:"Result"`
		TotalCount   *int    `json:"TotalCount"`
		NextPageLink *string `json:"NextPageLink"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	p.items = v.Result
	if v.TotalCount != nil {
		p.total = *v.TotalCount
	}
	if v.NextPageLink != nil {
		p.nextPageLink = *v.NextPageLink
	}
	return nil
}

// fetchPage gets one page of path with the query q (a url.Values or an
// options struct) and links it to the next one.
func fetchPage[T any](ctx context.Context, c *Client, path string, q any) (*Page[T], error) {
	vals, err := toValues(q)
	if err != nil {
		return nil, err
	}
	var w wirePage[T]
	if err := c.call(ctx, call{method: http.MethodGet, path: path, query: vals}, &w); err != nil {
		return nil, err
	}
	var next func(context.Context) (*Page[T], error)
	if w.nextPageLink != "" && len(w.items) > 0 {
		nq := nextQuery(vals, w.nextPageLink)
		next = func(ctx context.Context) (*Page[T], error) { return fetchPage[T](ctx, c, path, nq) }
	}
	return rest.NewPage(w.items, w.total, next), nil
}

func toValues(q any) (url.Values, error) {
	switch v := q.(type) {
	case nil:
		return url.Values{}, nil
	case url.Values:
		return v, nil
	}
	vals, err := query.Values(q)
	if err != nil {
		return nil, rest.Invalid(Name, "list options: %v", err)
	}
	return vals, nil
}

// nextQuery is the query of the page after the one fetched with q: the
// paging parameters of the broker's NextPageLink when it names them (the
// link's host and path are not followed: the call stays on the client's
// origin), else q's pageNumber plus one (zero-based).
func nextQuery(q url.Values, link string) url.Values {
	nq := url.Values{}
	for k, v := range q {
		nq[k] = append([]string(nil), v...)
	}
	if u, err := url.Parse(link); err == nil {
		lq := u.Query()
		if n := lq.Get("pageNumber"); n != "" {
			if _, err := strconv.Atoi(n); err == nil {
				nq.Set("pageNumber", n)
				if sz := lq.Get("pageSize"); sz != "" {
					nq.Set("pageSize", sz)
				}
				return nq
			}
		}
	}
	n, _ := strconv.Atoi(q.Get("pageNumber"))
	nq.Set("pageNumber", strconv.Itoa(n+1))
	return nq
}

// decodeOneOrMany reads a JSON object or an array of them into list.
func decodeOneOrMany[T any](raw json.RawMessage, list *[]T) error {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	if raw[0] == '[' {
		return json.Unmarshal(raw, list)
	}
	var one T
	if err := json.Unmarshal(raw, &one); err != nil {
		return err
	}
	*list = append(*list, one)
	return nil
}
