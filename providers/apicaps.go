package providers

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"
)

// APIRow is one broker's line of the API capability table: which calls
// and order kinds its API has through providers. PlaceOrder refuses what
// the row lacks with auth.ErrUnsupported before sending anything, so the
// table is what the code does.
type APIRow struct {
	// Broker is the registry name.
	Broker string
	// Place, Replace and Cancel: orders can be placed, changed and
	// cancelled through the broker's API.
	Place, Replace, Cancel bool
	// OrderTypes and TimeInForce are the kinds PlaceOrder accepts.
	OrderTypes  []OrderType
	TimeInForce []TimeInForce
	// ClientOrderID: a client-chosen order ID makes placing idempotent.
	ClientOrderID bool
	// OrderHistory: ListOrders returns finished orders (filled, cancelled)
	// too, not only the working ones, so it can tell what was traded.
	OrderHistory bool
	// Bars, Positions, Balances and Streaming: historical bars, open
	// positions, account balances and streamed prices or executions.
	Bars, Positions, Balances, Streaming bool
}

// clone is a copy sharing no slice with a.
func (a APIRow) clone() APIRow {
	a.OrderTypes, a.TimeInForce = slices.Clone(a.OrderTypes), slices.Clone(a.TimeInForce)
	return a
}

// WriteAPITable prints r's API capability table as Markdown, one row per
// broker in Names order; the README's "What each broker's API offers"
// table is this output, and a test holds the two together.
func (r *Registry) WriteAPITable(w io.Writer) error {
	yn := func(b bool) string {
		if b {
			return "yes"
		}
		return "no"
	}
	var b strings.Builder
	b.WriteString("| broker | place | replace | cancel | order types | time in force | client order ID | order history | bars | positions | balances | streaming |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, e := range r.brokers {
		a := e.API
		types := make([]string, len(a.OrderTypes))
		for i, t := range a.OrderTypes {
			types[i] = string(t)
		}
		tifs := make([]string, len(a.TimeInForce))
		for i, t := range a.TimeInForce {
			tifs[i] = string(t)
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", cmp.Or(e.Title, e.Name),
			yn(a.Place), yn(a.Replace), yn(a.Cancel), strings.Join(types, ", "), strings.Join(tifs, ", "),
			yn(a.ClientOrderID), yn(a.OrderHistory), yn(a.Bars), yn(a.Positions), yn(a.Balances), yn(a.Streaming))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteAPITable prints the builtin brokers' API capability table.
func WriteAPITable(w io.Writer) error { return Builtin().WriteAPITable(w) }
