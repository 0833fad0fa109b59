package tradestation_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/tradestation"
	"github.com/brokerkit/brokerkit/tradestation/tradestationtest"
)

// BenchmarkQuotes compares a 20-symbol quote call through the brokerkit
// client (auth.Transport, TokenSource, audience check, internal/rest) with
// a plain net/http GET carrying a static bearer header and decoding the
// same JSON into the same structs, against the same emulator.
//
//	go test ./tradestation -run '^$' -bench BenchmarkQuotes -benchmem -count 6
func BenchmarkQuotes(b *testing.B) {
	srv := tradestationtest.NewServer(tradestationtest.WithRateLimits(tradestationtest.RateLimits{}))
	defer srv.Close()
	ctx := context.Background()
	p, err := tradestation.New(srv.Config())
	if err != nil {
		b.Fatal(err)
	}
	tok, err := srv.IssueV3()
	if err != nil {
		b.Fatal(err)
	}
	src, err := auth.NewSource(p, auth.NewMemoryStore(), "bench")
	if err != nil {
		b.Fatal(err)
	}
	if err := src.SetToken(ctx, tok); err != nil {
		b.Fatal(err)
	}

	b.Run("brokerkit", func(b *testing.B) {
		c := p.NewClient(src)
		b.ReportAllocs()
		defer reportCPU(b)()
		for b.Loop() {
			q, err := c.Quotes.Get(ctx, twentySymbols...)
			if err != nil || len(q) != 20 {
				b.Fatal(err, len(q))
			}
		}
	})

	b.Run("plain", func(b *testing.B) {
		hc := &http.Client{}
		u := srv.URL() + "/v3/marketdata/quotes/" + strings.Join(twentySymbols, ",")
		b.ReportAllocs()
		defer reportCPU(b)()
		for b.Loop() {
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
			if err != nil {
				b.Fatal(err)
			}
			req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
			resp, err := hc.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			var out struct {
				Quotes []tradestation.Quote        `json:"Quotes"`
				Errors []tradestation.PartialError `json:"Errors"`
			}
			err = json.NewDecoder(resp.Body).Decode(&out)
			_, _ = io.Copy(io.Discard, resp.Body) // keep the connection reusable
			resp.Body.Close()
			if err != nil || resp.StatusCode != 200 || len(out.Quotes) != 20 {
				b.Fatal(err, resp.StatusCode)
			}
		}
	})
}

// reportCPU reports the process's CPU time per operation (client and
// emulator together) as cpu-ns/op: on a shared machine it moves far less
// with other processes' load than wall time does. Call the function it
// returns when the loop is done.
func reportCPU(b *testing.B) func() {
	start := cpuTime()
	return func() {
		if b.N > 0 {
			b.ReportMetric(float64((cpuTime()-start).Nanoseconds())/float64(b.N), "cpu-ns/op")
		}
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
