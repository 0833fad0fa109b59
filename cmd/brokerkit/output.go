package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/shopspring/decimal"

	"github.com/brokerkit/brokerkit/internal/redact"
)

// humanDuration writes d the way people say it: "45s", "1m 30s", "19m",
// "3h 5m", "29d 23h": its two largest units, truncated, seconds only under
// ten minutes (never "730h0m0s").
func humanDuration(d time.Duration) string {
	if d < 0 {
		d = -d
	}
	days := d / (24 * time.Hour)
	d -= days * 24 * time.Hour
	h := d / time.Hour
	d -= h * time.Hour
	m := d / time.Minute
	d -= m * time.Minute
	s := d / time.Second
	two := func(a int64, ua string, b int64, ub string) string {
		if b == 0 {
			return fmt.Sprintf("%d%s", a, ua)
		}
		return fmt.Sprintf("%d%s %d%s", a, ua, b, ub)
	}
	switch {
	case days > 0:
		return two(int64(days), "d", int64(h), "h")
	case h > 0:
		return two(int64(h), "h", int64(m), "m")
	case m >= 10:
		return fmt.Sprintf("%dm", m)
	case m > 0:
		return two(int64(m), "m", int64(s), "s")
	default:
		return fmt.Sprintf("%ds", s)
	}
}

// table writes rows of cells aligned in columns. Every cell is cleaned of
// control characters (a broker's account name cannot move the cursor) and
// of the run's secrets.
type table struct {
	tw      *tabwriter.Writer
	secrets []string
}

func newTable(w io.Writer, secrets []string, header ...string) *table {
	t := &table{tw: tabwriter.NewWriter(w, 0, 0, 2, ' ', 0), secrets: secrets}
	fmt.Fprintln(t.tw, strings.Join(header, "\t"))
	return t
}

func (t *table) row(cells ...string) {
	for i, c := range cells {
		c = redact.TextN(c, 200, t.secrets...)
		cells[i] = strings.ReplaceAll(c, "\t", " ")
	}
	fmt.Fprintln(t.tw, strings.Join(cells, "\t"))
}

func (t *table) flush() error { return t.tw.Flush() }

// dec is an exact decimal as text, "" for the zero value where zero means
// "none" (a market order's limit price, say).
func dec(d decimal.Decimal) string { return d.String() }

// decPtr is d for JSON: a string, or null when unreported.
func decPtr(d decimal.NullDecimal) *string {
	if !d.Valid {
		return nil
	}
	s := d.Decimal.String()
	return &s
}

// decNonZero is d for JSON, null when zero (a price the order type has none of).
func decNonZero(d decimal.Decimal) *string {
	if d.IsZero() {
		return nil
	}
	s := d.String()
	return &s
}

// orDash is s, or "-" when empty.
func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// writeJSON writes v as one indented JSON document.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// jsonError is a broker's failure in a JSON document.
type jsonError struct {
	Broker string `json:"broker,omitempty"`
	// Error is the cleaned message.
	Error string `json:"error"`
	// ExitCode classifies it (3 login needed, 4 partial, 5 unavailable, ...).
	ExitCode int `json:"exit_code"`
	// Failed are the symbols or accounts that failed, with the reasons, for
	// a partial result.
	Failed map[string]string `json:"failed,omitempty"`
}
