package autoshares

import (
	"bytes"
	"encoding/json"
	"errors"
)

// Page is one page of a list. The API answers either a PagingResult
// ({"Result":[…],"TotalCount":…,"NextPageLink":…}) or, in places the docs
// show, a bare array; Page reads both.
type Page[T any] struct {
	// Items are this page's items.
	Items []T
	// TotalCount is the number of items over all pages (-1 when the answer
	// was a bare array and did not say).
	TotalCount int
	// NextPageLink and PreviousPageLink are the broker's links, empty at
	// either end.
	NextPageLink, PreviousPageLink string
}

// HasNext reports whether the broker says there is a further page.
func (p *Page[T]) HasNext() bool { return p.NextPageLink != "" }

// UnmarshalJSON reads a PagingResult or a bare array.
func (p *Page[T]) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || string(b) == "null" {
		*p = Page[T]{TotalCount: -1}
		return nil
	}
	if b[0] == '[' {
		var items []T
		if err := json.Unmarshal(b, &items); err != nil {
			return err
		}
		*p = Page[T]{Items: items, TotalCount: -1}
		return nil
	}
	if b[0] != '{' {
		return errors.New("autoshares: a page is neither an array nor an object")
	}
	var v struct {
		Result           []T     `json:"Result"`
		TotalCount       *int    `json:"TotalCount"`
		NextPageLink     *string `json:"NextPageLink"`
		PreviousPageLink *string `json:"PreviousPageLink"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*p = Page[T]{Items: v.Result, TotalCount: -1}
	if v.TotalCount != nil {
		p.TotalCount = *v.TotalCount
	}
	if v.NextPageLink != nil {
		p.NextPageLink = *v.NextPageLink
	}
	if v.PreviousPageLink != nil {
		p.PreviousPageLink = *v.PreviousPageLink
	}
	return nil
}

// MarshalJSON writes a PagingResult.
func (p Page[T]) MarshalJSON() ([]byte, error) {
	v := struct {
		Result           []T     `json:"Result"`
		TotalCount       int     `json:"TotalCount"`
		NextPageLink     *string `json:"NextPageLink"`
		PreviousPageLink *string `json:"PreviousPageLink"`
	}{Result: p.Items, TotalCount: p.TotalCount}
	if v.Result == nil {
		v.Result = []T{}
	}
	if p.NextPageLink != "" {
		v.NextPageLink = &p.NextPageLink
	}
	if p.PreviousPageLink != "" {
		v.PreviousPageLink = &p.PreviousPageLink
	}
	return json.Marshal(v)
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
