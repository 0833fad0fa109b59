package rest

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"sort"
	"strings"

	"github.com/brokerkit/brokerkit/internal/redact"
)

// ErrInvalidInput matches a call refused before anything was sent: an
// argument is missing, malformed or out of the broker's documented range,
// or the client is not configured for the call. Every broker package
// exports it under the same name.
var ErrInvalidInput = errors.New("invalid input")

// Invalid returns an error matching ErrInvalidInput that says what is wrong
// with which input: Invalid("tradestation", "quotes: no symbols given").
func Invalid(broker, format string, args ...any) error {
	return fmt.Errorf("%s: %w: %s", broker, ErrInvalidInput, fmt.Sprintf(format, args...))
}

// PartialError reports the items of a multi-item call (symbols, accounts)
// that failed while the others succeeded; the call returns the items it
// got beside it. Every broker returns partial results this way, as an
// error, so that a caller who checks err does not miss them.
type PartialError struct {
	// Broker is the broker's registry name.
	Broker string
	// Failed maps each failed item to the broker's reason, cleaned of
	// control characters and bounded in length.
	Failed map[string]string
}

// NewPartialError returns nil when failed is empty, else a *PartialError
// whose reasons are cleaned of server text hazards.
func NewPartialError(broker string, failed map[string]string) error {
	if len(failed) == 0 {
		return nil
	}
	clean := make(map[string]string, len(failed))
	for k, v := range failed {
		clean[redact.TextN(k, 64)] = redact.Text(v)
	}
	return &PartialError{Broker: broker, Failed: clean}
}

// Error lists the failed items in a stable order.
func (e *PartialError) Error() string {
	keys := make([]string, 0, len(e.Failed))
	for k := range e.Failed {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d item(s) failed:", e.Broker, len(keys))
	for i, k := range keys {
		if i == 8 {
			fmt.Fprintf(&b, " and %d more", len(keys)-i)
			break
		}
		fmt.Fprintf(&b, " %s (%s)", k, e.Failed[k])
		if i < len(keys)-1 && i < 7 {
			b.WriteByte(';')
		}
	}
	return b.String()
}

// Page is one page of a list call, the same shape for every broker: its
// items, the total when the broker says it, and the way to the next page.
// Ranging over All walks every item of this page and the following ones.
type Page[T any] struct {
	// Items are this page's items.
	Items []T
	// Total is the number of items over all pages, or -1 when the broker
	// does not say.
	Total int
	next  func(ctx context.Context) (*Page[T], error)
}

// NewPage returns a page of items. next fetches the following page; nil
// means this is the last one.
func NewPage[T any](items []T, total int, next func(ctx context.Context) (*Page[T], error)) *Page[T] {
	return &Page[T]{Items: items, Total: total, next: next}
}

// HasNext reports whether another page follows.
func (p *Page[T]) HasNext() bool { return p != nil && p.next != nil }

// Next fetches the following page. After the last page it returns nil and
// no error.
func (p *Page[T]) Next(ctx context.Context) (*Page[T], error) {
	if !p.HasNext() {
		return nil, nil
	}
	return p.next(ctx)
}

// All yields every item of this page and of the pages after it, fetching
// each page when the previous one is used up. A failed fetch is yielded
// once, with the zero item, and ends the walk.
func (p *Page[T]) All(ctx context.Context) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		for page := p; page != nil; {
			for _, it := range page.Items {
				if !yield(it, nil) {
					return
				}
			}
			next, err := page.Next(ctx)
			if err != nil {
				var zero T
				yield(zero, err)
				return
			}
			page = next
		}
	}
}

// CheckCall is the one pre-call check of every broker client: a client
// whose configuration failed (configErr) and a nil context are refused
// before anything is sent.
func CheckCall(ctx context.Context, broker string, configErr error) error {
	if configErr != nil {
		return configErr
	}
	if ctx == nil {
		return Invalid(broker, "nil context")
	}
	return nil
}
