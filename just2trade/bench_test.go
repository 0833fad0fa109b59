package just2trade

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/brokerkit/brokerkit/internal/resttest"
)

// floatQuote is the baseline: the same members as float64, the way a
// careless client would decode them.
type floatQuote struct {
	Symbol       string  `json:"symbol"`
	Ask          float64 `json:"ask"`
	AskSize      float64 `json:"ask_size"`
	Bid          float64 `json:"bid"`
	BidSize      float64 `json:"bid_size"`
	Last         float64 `json:"last"`
	LastSize     float64 `json:"last_size"`
	Volume       float64 `json:"volume"`
	Date         int64   `json:"date"`
	High         float64 `json:"high"`
	Low          float64 `json:"low"`
	Open         float64 `json:"open"`
	Close        float64 `json:"close"`
	Week52High   float64 `json:"week52_high"`
	Week52Low    float64 `json:"week52_low"`
	Change       float64 `json:"change"`
	ChangePc     float64 `json:"change_pc"`
	OpenInterest float64 `json:"open_interest"`
}

// BenchmarkDecodeQuotes measures exact-decimal decoding of a three-quote
// answer against float64 decoding of the same bytes.
func BenchmarkDecodeQuotes(b *testing.B) {
	body := []byte(resttest.Fixture(b, "quotes.json"))
	b.Run("decimal", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			var qs []Quote
			if err := json.Unmarshal(body, &qs); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("float64-baseline", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			var qs []floatQuote
			if err := json.Unmarshal(body, &qs); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkQuoteGet measures one Quotes.Get over loopback HTTP against a
// bare http.Get and json decode of the same answer.
func BenchmarkQuoteGet(b *testing.B) {
	body := []byte(resttest.Fixture(b, "quote.json"))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	}))
	defer srv.Close()
	ctx := context.Background()
	b.Run("client", func(b *testing.B) {
		c := NewClient(srv.Client(), WithBaseURL(srv.URL))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := c.Quotes.Get(ctx, "AAPL"); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("raw-baseline", func(b *testing.B) {
		hc := srv.Client()
		b.ReportAllocs()
		for b.Loop() {
			resp, err := hc.Get(srv.URL + "/marketdata/quote?symbol=AAPL")
			if err != nil {
				b.Fatal(err)
			}
			var q Quote
			err = json.NewDecoder(resp.Body).Decode(&q)
			resp.Body.Close()
			if err != nil {
				b.Fatal(err)
			}
		}
	})
}
