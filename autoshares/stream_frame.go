package autoshares

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/brokerkit/brokerkit/internal/redact"
)

// decodeQuoteFrame decodes one frame of the quote socket. The streamer
// sends flat objects of string values, tens of thousands a second on a
// busy watchlist; scanFrame reads those without reflection, and anything
// else (escapes, nested values, numbers, a malformed frame) goes through
// encoding/json, whose result and errors scanFrame's match.
func decodeQuoteFrame(b []byte) (quoteFrame, error) {
	var f quoteFrame
	if scanFrame(b, &f) {
		return f, nil
	}
	f = quoteFrame{}
	if err := json.Unmarshal(b, &f); err != nil {
		return f, fmt.Errorf("frame is not a JSON object: %s", redact.TextN(err.Error(), 80))
	}
	return f, nil
}

// scanFrame fills f from b when b is one JSON object whose members are all
// plain strings (no escapes) or the literals true, false and null, and
// reports whether it did. Keys are matched as encoding/json matches them:
// exactly, else without regard to case; a later member wins.
func scanFrame(b []byte, f *quoteFrame) bool {
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return false
	}
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		return skipSpace(b, i+1) == len(b)
	}
	for {
		key, j, ok := plainString(b, i)
		if !ok {
			return false
		}
		i = skipSpace(b, j)
		if i >= len(b) || b[i] != ':' {
			return false
		}
		i = skipSpace(b, i+1)
		if i >= len(b) {
			return false
		}
		dst := f.field(key)
		switch b[i] {
		case '"':
			v, j, ok := plainString(b, i)
			if !ok {
				return false
			}
			if dst != nil {
				*dst = string(v)
			}
			i = j
		case 't', 'f', 'n':
			lit := literal(b, i)
			if lit == "" || (dst != nil && lit != "null") {
				return false // a boolean in a string field: encoding/json's error
			}
			i += len(lit) // null leaves a string field as it was, as encoding/json does
		default:
			return false
		}
		i = skipSpace(b, i)
		if i >= len(b) {
			return false
		}
		switch b[i] {
		case ',':
			i = skipSpace(b, i+1)
		case '}':
			return skipSpace(b, i+1) == len(b)
		default:
			return false
		}
	}
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// plainString reads the string starting at b[i] (a quote) and returns its
// bytes and the index after it; ok is false for escapes, control
// characters and invalid UTF-8, which encoding/json handles.
func plainString(b []byte, i int) (s []byte, next int, ok bool) {
	if i >= len(b) || b[i] != '"' {
		return nil, 0, false
	}
	for j := i + 1; j < len(b); j++ {
		switch c := b[j]; {
		case c == '"':
			return b[i+1 : j], j + 1, true
		case c == '\\' || c < 0x20 || c >= 0x80:
			return nil, 0, false
		}
	}
	return nil, 0, false
}

// literal returns the JSON literal at b[i], or "" when there is none.
func literal(b []byte, i int) string {
	for _, lit := range [...]string{"true", "false", "null"} {
		if len(b)-i >= len(lit) && string(b[i:i+len(lit)]) == lit {
			if end := i + len(lit); end == len(b) || strings.IndexByte(" \t\r\n,}", b[end]) >= 0 {
				return lit
			}
		}
	}
	return ""
}

// frameFields are quoteFrame's JSON names, for the case-insensitive match.
var frameFields = [...]string{"Cmd", "StatusCode", "Message", "Keys", "EntityType", "Key", "Bid", "BidSize",
	"BidMarket", "BidTime", "Ask", "AskSize", "AskMarket", "AskTime", "Last", "LastMarket", "Price", "Date",
	"Open", "High", "Low", "Close", "PreviousClose", "Volume", "TotalDailyVolume", "Change", "ChangePc",
	"Week52Low", "Week52High", "OpenInterest"}

// field returns the member of f named key, or nil when f has none.
func (f *quoteFrame) field(key []byte) *string {
	if p := f.exactField(string(key)); p != nil {
		return p
	}
	for _, name := range frameFields {
		if len(name) == len(key) && strings.EqualFold(name, string(key)) {
			return f.exactField(name)
		}
	}
	return nil
}

func (f *quoteFrame) exactField(key string) *string {
	switch key {
	case "Cmd":
		return &f.Cmd
	case "StatusCode":
		return &f.StatusCode
	case "Message":
		return &f.Message
	case "Keys":
		return &f.Keys
	case "EntityType":
		return &f.EntityType
	case "Key":
		return &f.Key
	case "Bid":
		return &f.Bid
	case "BidSize":
		return &f.BidSize
	case "BidMarket":
		return &f.BidMarket
	case "BidTime":
		return &f.BidTime
	case "Ask":
		return &f.Ask
	case "AskSize":
		return &f.AskSize
	case "AskMarket":
		return &f.AskMarket
	case "AskTime":
		return &f.AskTime
	case "Last":
		return &f.Last
	case "LastMarket":
		return &f.LastMarket
	case "Price":
		return &f.Price
	case "Date":
		return &f.Date
	case "Open":
		return &f.Open
	case "High":
		return &f.High
	case "Low":
		return &f.Low
	case "Close":
		return &f.Close
	case "PreviousClose":
		return &f.PreviousClose
	case "Volume":
		return &f.Volume
	case "TotalDailyVolume":
		return &f.TotalDailyVolume
	case "Change":
		return &f.Change
	case "ChangePc":
		return &f.ChangePc
	case "Week52Low":
		return &f.Week52Low
	case "Week52High":
		return &f.Week52High
	case "OpenInterest":
		return &f.OpenInterest
	}
	return nil
}
