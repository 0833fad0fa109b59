package autoshares

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/brokerkit/brokerkit/internal/rest"

	"github.com/shopspring/decimal"
)

// Quote is a quote of one security as the quote streamer sends it. The
// streamer writes every value as a string ("Ask":"76"); they are decoded
// exactly, an empty value as zero. Times are the streamer's
// "01/02/2006 15:04:05", read as UTC (the broker states no zone); its
// "01/01/1970 00:00:00" means never and is the zero time.
//
// Error is set, and the prices are zero, when the broker refused the
// symbol (unknown to the securities lookup, or refused by the streamer),
// or when a frame could not be read; the stream goes on with the other
// symbols.
type Quote struct {
	// Symbol is the ticker the caller asked for.
	Symbol string `json:"Symbol"`
	// SecurityID is the broker's security id (the streamer's Key).
	SecurityID       int64           `json:"SecurityId"`
	Bid              decimal.Decimal `json:"Bid"`
	BidSize          decimal.Decimal `json:"BidSize"`
	BidMarket        string          `json:"BidMarket,omitempty"`
	Ask              decimal.Decimal `json:"Ask"`
	AskSize          decimal.Decimal `json:"AskSize"`
	AskMarket        string          `json:"AskMarket,omitempty"`
	Last             decimal.Decimal `json:"Last"`
	LastMarket       string          `json:"LastMarket,omitempty"`
	Price            decimal.Decimal `json:"Price"`
	Open             decimal.Decimal `json:"Open"`
	High             decimal.Decimal `json:"High"`
	Low              decimal.Decimal `json:"Low"`
	Close            decimal.Decimal `json:"Close"`
	PreviousClose    decimal.Decimal `json:"PreviousClose"`
	Volume           decimal.Decimal `json:"Volume"`
	TotalDailyVolume decimal.Decimal `json:"TotalDailyVolume"`
	Change           decimal.Decimal `json:"Change"`
	ChangePc         decimal.Decimal `json:"ChangePc"`
	Week52Low        decimal.Decimal `json:"Week52Low"`
	Week52High       decimal.Decimal `json:"Week52High"`
	OpenInterest     decimal.Decimal `json:"OpenInterest"`
	// Time is the quote's Date; BidTime and AskTime date its two sides.
	Time    time.Time `json:"Time"`
	BidTime time.Time `json:"BidTime"`
	AskTime time.Time `json:"AskTime"`
	// Error is the broker's refusal of this symbol, cleaned of control
	// characters and secrets; empty for a quote.
	Error string `json:"Error,omitempty"`
	// Raw is the quote frame as the streamer sent it (none on a refusal).
	Raw json.RawMessage `json:"-"`
}

// Security is a tradable instrument as the lookup endpoint describes it.
// ID is the broker's internal security id that streams and price alerts
// are keyed by.
type Security struct {
	ID           int64  `json:"Id"`
	Symbol       string `json:"Symbol"`
	Name         string `json:"Name,omitempty"`
	Description  string `json:"Description,omitempty"`
	Exchange     string `json:"Exchange,omitempty"`
	Currency     string `json:"Currency,omitempty"`
	SecurityType string `json:"SecurityType,omitempty"`
}

// QuotesService reads quotes and resolves symbols to security ids.
type QuotesService service

// maxSymbols bounds one quote request or stream: the broker warns that its
// streamer slows down past 100 quotes.
const maxSymbols = 100

// snapshotWait bounds how long Get waits for the quotes, when the
// caller's context sets no earlier deadline.
const snapshotWait = 10 * time.Second

func checkSymbol(s string) error {
	if strings.TrimSpace(s) == "" {
		return rest.Invalid(Name, "empty symbol")
	}
	if len(s) > 64 || strings.ContainsAny(s, ",;/?#") {
		return rest.Invalid(Name, "symbol %q is not valid", s)
	}
	return nil
}

// checkSymbols validates the symbols of one request or stream.
func checkSymbols(symbols []string) error {
	if len(symbols) == 0 {
		return rest.Invalid(Name, "quotes: no symbols")
	}
	if len(symbols) > maxSymbols {
		return rest.Invalid(Name, "quotes: %d symbols, at most %d per call", len(symbols), maxSymbols)
	}
	for _, sym := range symbols {
		if err := checkSymbol(sym); err != nil {
			return err
		}
	}
	return nil
}

// Get returns the current quote of each symbol, in the order asked. The
// broker has no REST quote call: Get opens a quote stream (Streams.Quotes),
// waits for the first quote of every symbol, and closes it. Symbols the
// broker does not know or quote (within 10 seconds, or the context's
// deadline if earlier) are named in a *PartialError returned beside the
// quotes that arrived.
func (s *QuotesService) Get(ctx context.Context, symbols ...string) ([]Quote, error) {
	if err := s.c.check(ctx); err != nil {
		return nil, err
	}
	if err := checkSymbols(symbols); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, snapshotWait)
	defer cancel()
	sub, st, err := s.c.openQuotes(ctx, symbols)
	if err != nil {
		return nil, err
	}
	defer st.Close()

	byID := make(map[int64]Quote, len(sub.keys))
	failed := map[string]string{}
	for sym, reason := range sub.unknown {
		failed[sym] = reason
	}
	for len(byID) < len(sub.keys) {
		var q Quote
		var ok bool
		select {
		case q, ok = <-st.C():
		case <-ctx.Done():
		}
		if !ok {
			break
		}
		if _, seen := byID[q.SecurityID]; seen || q.SecurityID == 0 {
			continue
		}
		byID[q.SecurityID] = q
	}
	if len(byID) == 0 && len(failed) == 0 {
		// Nothing arrived: a stream that died says why.
		_ = st.Close()
		if err := st.Err(); err != nil {
			return nil, err
		}
	}
	out := make([]Quote, 0, len(symbols))
	for _, sym := range sub.symbols {
		id, resolved := sub.ids[sym]
		if !resolved {
			continue
		}
		q, ok := byID[id]
		switch {
		case !ok:
			failed[sym] = "no quote from the streamer in time"
		case q.Error != "":
			failed[sym] = q.Error
		default:
			q.Symbol = sym
			out = append(out, q)
		}
	}
	return out, rest.NewPartialError(Name, failed)
}

// LookupSecurity resolves a ticker symbol to the broker's security.
func (s *QuotesService) LookupSecurity(ctx context.Context, symbol string) (*Security, error) {
	if err := checkSymbol(symbol); err != nil {
		return nil, err
	}
	p, err := s.c.path(s.c.paths.Security, "", map[string]string{"symbol": symbol})
	if err != nil {
		return nil, err
	}
	var out Security
	if err := s.c.call(ctx, call{method: http.MethodGet, path: p}, &out); err != nil {
		return nil, err
	}
	if out.ID == 0 {
		return nil, s.c.invalid("security "+symbol, errors.New("no Id in the answer"))
	}
	return &out, nil
}

// quoteFrame is one frame of the quote socket: a quote (EntityType
// "Quote", every value a string) or the streamer's answer to a command
// (Cmd, StatusCode, and Keys or Message).
type quoteFrame struct {
	Cmd        string `json:"Cmd"`
	StatusCode string `json:"StatusCode"`
	Message    string `json:"Message"`
	Keys       string `json:"Keys"`

	EntityType       string `json:"EntityType"`
	Key              string `json:"Key"`
	Bid              string `json:"Bid"`
	BidSize          string `json:"BidSize"`
	BidMarket        string `json:"BidMarket"`
	BidTime          string `json:"BidTime"`
	Ask              string `json:"Ask"`
	AskSize          string `json:"AskSize"`
	AskMarket        string `json:"AskMarket"`
	AskTime          string `json:"AskTime"`
	Last             string `json:"Last"`
	LastMarket       string `json:"LastMarket"`
	Price            string `json:"Price"`
	Date             string `json:"Date"`
	Open             string `json:"Open"`
	High             string `json:"High"`
	Low              string `json:"Low"`
	Close            string `json:"Close"`
	PreviousClose    string `json:"PreviousClose"`
	Volume           string `json:"Volume"`
	TotalDailyVolume string `json:"TotalDailyVolume"`
	Change           string `json:"Change"`
	ChangePc         string `json:"ChangePc"`
	Week52Low        string `json:"Week52Low"`
	Week52High       string `json:"Week52High"`
	OpenInterest     string `json:"OpenInterest"`
}

// streamTimeLayout is the streamer's date format.
const streamTimeLayout = "01/02/2006 15:04:05"

// quote turns a quote frame into a Quote; an error names the first field
// that is not what the streamer promises.
func (f *quoteFrame) quote(raw []byte) (Quote, error) {
	q := Quote{BidMarket: f.BidMarket, AskMarket: f.AskMarket, LastMarket: f.LastMarket, Raw: raw}
	id, err := strconv.ParseInt(strings.TrimSpace(f.Key), 10, 64)
	if err != nil || id <= 0 {
		return q, fmt.Errorf("key %.40q is not a security id", f.Key)
	}
	q.SecurityID = id
	for _, d := range [...]struct {
		name string
		in   string
		out  *decimal.Decimal
	}{
		{"Bid", f.Bid, &q.Bid}, {"BidSize", f.BidSize, &q.BidSize}, {"Ask", f.Ask, &q.Ask},
		{"AskSize", f.AskSize, &q.AskSize}, {"Last", f.Last, &q.Last}, {"Price", f.Price, &q.Price},
		{"Open", f.Open, &q.Open}, {"High", f.High, &q.High}, {"Low", f.Low, &q.Low},
		{"Close", f.Close, &q.Close}, {"PreviousClose", f.PreviousClose, &q.PreviousClose},
		{"Volume", f.Volume, &q.Volume}, {"TotalDailyVolume", f.TotalDailyVolume, &q.TotalDailyVolume},
		{"Change", f.Change, &q.Change}, {"ChangePc", f.ChangePc, &q.ChangePc},
		{"Week52Low", f.Week52Low, &q.Week52Low}, {"Week52High", f.Week52High, &q.Week52High},
		{"OpenInterest", f.OpenInterest, &q.OpenInterest},
	} {
		if d.in == "" || d.in == "0" {
			continue // zero, without the allocation: the streamer sends many
		}
		v, err := decimal.NewFromString(d.in)
		if err != nil {
			return q, fmt.Errorf("%s %.40q is not a number", d.name, d.in)
		}
		*d.out = v
	}
	for _, t := range [...]struct {
		name string
		in   string
		out  *time.Time
	}{{"Date", f.Date, &q.Time}, {"BidTime", f.BidTime, &q.BidTime}, {"AskTime", f.AskTime, &q.AskTime}} {
		v, err := streamTime(t.in)
		if err != nil {
			return q, fmt.Errorf("%s %.40q is not a date", t.name, t.in)
		}
		*t.out = v
	}
	return q, nil
}

// streamTime reads the streamer's date format; empty and the 1970 epoch
// are "never".
func streamTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(streamTimeLayout, s)
	if err != nil || t.Unix() == 0 {
		return time.Time{}, err
	}
	return t, nil
}
