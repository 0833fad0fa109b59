package rest

import (
	"fmt"
	"net/url"
	"strings"
)

// List is a path value made of several items, such as TradeStation's
// comma-separated symbols or account IDs. Pathf escapes each item and joins
// them with commas, which stay literal.
type List []string

// Pathf formats a request path, escaping every argument as one path
// segment so that a caller-supplied value cannot add segments, a query or a
// fragment: strings, fmt.Stringers and other values are escaped with
// url.PathEscape ("." and ".." become "%2E" and "%2E%2E"); integers are
// formatted as they are; a List is escaped item by item and joined with
// commas.
//
//	rest.Pathf("brokerage/accounts/%s/balances", rest.List(ids))
//	rest.Pathf("marketdata/quotes/%s", rest.List{"MSFT", "BRK.B"})
func Pathf(format string, args ...any) string {
	esc := make([]any, len(args))
	for i, a := range args {
		switch v := a.(type) {
		case string:
			esc[i] = segment(v)
		case List:
			esc[i] = list(v)
		case []string:
			esc[i] = list(v)
		case int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
			esc[i] = v
		case fmt.Stringer:
			esc[i] = segment(v.String())
		default:
			esc[i] = segment(fmt.Sprint(v))
		}
	}
	return fmt.Sprintf(format, esc...)
}

func list(items []string) string {
	parts := make([]string, len(items))
	for i, s := range items {
		parts[i] = segment(s)
	}
	return strings.Join(parts, ",")
}

// segment escapes s as one path segment; dot segments are escaped too,
// since servers and proxies would otherwise resolve them.
func segment(s string) string {
	switch s {
	case ".":
		return "%2E"
	case "..":
		return "%2E%2E"
	}
	return url.PathEscape(s)
}
