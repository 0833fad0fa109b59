package rest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/brokerkit/brokerkit/internal/rest"
	"github.com/shopspring/decimal"
)

// benchQuote is a TradeStation-like quote snapshot, decoded the same way by
// both sides of the benchmark.
type benchQuote struct {
	Symbol        string
	Open          decimal.Decimal
	High          decimal.Decimal
	Low           decimal.Decimal
	PreviousClose decimal.Decimal
	Last          decimal.Decimal
	Ask           decimal.Decimal
	AskSize       decimal.Decimal
	Bid           decimal.Decimal
	BidSize       decimal.Decimal
	NetChange     decimal.Decimal
	NetChangePct  decimal.Decimal
	Volume        decimal.Decimal
	TradeTime     time.Time
	MarketFlags   struct{ IsDelayed, IsHalted bool }
}

type benchQuotes struct {
	Quotes []benchQuote
	Errors []struct{ Symbol, Error string }
}

func benchPayload() []byte {
	var qs []string
	for _, s := range []string{"MSFT", "AAPL", "NVDA", "AMZN", "GOOGL", "META", "TSLA", "BRK.B"} {
		qs = append(qs, fmt.Sprintf(`{"Symbol":%q,"Open":"412.50","High":"415.10","Low":"410.02","PreviousClose":"411.87",`+
			`"Last":"414.23","Ask":"414.25","AskSize":"300","Bid":"414.21","BidSize":"200","NetChange":"2.36",`+
			`"NetChangePct":"0.573","Volume":"18233410","TradeTime":"2026-11-20T20:59:59Z",`+
			`"MarketFlags":{"IsDelayed":false,"IsHalted":false}}`, s))
	}
	return []byte(`{"Quotes":[` + strings.Join(qs, ",") + `],"Errors":[]}`)
}

// BenchmarkGetJSON compares a rest.Client GET against the plain net/http
// GET it replaces (static bearer header, json.Decoder on the body), on one
// httptest server in the same run. "paired" alternates the two call by call
// and reports the median time ratio, so that machine noise hits both alike.
func BenchmarkGetJSON(b *testing.B) {
	payload := benchPayload()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer bench-token" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(payload)
	}))
	defer srv.Close()
	hc := srv.Client()
	target := srv.URL + "/v3/marketdata/quotes/MSFT,AAPL,NVDA,AMZN,GOOGL,META,TSLA,BRK.B"

	plain := func(ctx context.Context) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer bench-token")
		resp, err := hc.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("HTTP %d", resp.StatusCode)
		}
		var out benchQuotes
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
			return err
		}
		if len(out.Quotes) != 8 {
			return fmt.Errorf("got %d quotes", len(out.Quotes))
		}
		return nil
	}

	c, err := rest.New(srv.URL+"/v3", hc, rest.WithHeader("Authorization", "Bearer bench-token"))
	if err != nil {
		b.Fatal(err)
	}
	symbols := rest.List{"MSFT", "AAPL", "NVDA", "AMZN", "GOOGL", "META", "TSLA", "BRK.B"}
	viaRest := func(ctx context.Context) error {
		var out benchQuotes
		if _, err := c.Get(ctx, rest.Pathf("marketdata/quotes/%s", symbols), nil, &out); err != nil {
			return err
		}
		if len(out.Quotes) != 8 {
			return fmt.Errorf("got %d quotes", len(out.Quotes))
		}
		return nil
	}

	ctx := context.Background()
	run := func(f func(context.Context) error) func(*testing.B) {
		return func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := f(ctx); err != nil {
					b.Fatal(err)
				}
			}
		}
	}
	b.Run("nethttp", run(plain))
	b.Run("rest", run(viaRest))
	b.Run("paired", func(b *testing.B) {
		// The median of per-pair ratios: a scheduling hiccup on a shared
		// machine spoils one pair, not the figure.
		var ratios []float64
		for i := 0; b.Loop(); i++ {
			// Alternate which goes first, so neither always meets a warm
			// connection or a cold cache.
			t0 := time.Now()
			var err1, err2 error
			if i%2 == 0 {
				err1 = plain(ctx)
			} else {
				err1 = viaRest(ctx)
			}
			t1 := time.Now()
			if i%2 == 0 {
				err2 = viaRest(ctx)
			} else {
				err2 = plain(ctx)
			}
			t2 := time.Now()
			if err1 != nil || err2 != nil {
				b.Fatal(err1, err2)
			}
			dPlain, dRest := t1.Sub(t0), t2.Sub(t1)
			if i%2 == 1 {
				dPlain, dRest = dRest, dPlain
			}
			ratios = append(ratios, float64(dRest)/float64(dPlain))
		}
		slices.Sort(ratios)
		b.ReportMetric(ratios[len(ratios)/2], "rest/nethttp")
	})
}
