package tradestation

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/internal/rest"
)

// recorder is a sink that keeps what a connection delivers.
type recorder[T any] struct {
	events     []T
	keys       []string
	ready      int
	heartbeats int
}

func (r *recorder[T]) Ready()         { r.ready++ }
func (r *recorder[T]) Heartbeat()     { r.heartbeats++ }
func (r *recorder[T]) Send(ev T) bool { r.events = append(r.events, ev); return true }
func (r *recorder[T]) Update(k string, _ []byte, ev T) bool {
	r.keys = append(r.keys, k)
	return r.Send(ev)
}

// replay runs serveFrames over body as if a server had sent it.
func replay[T any](t testing.TB, body string, v2 bool, newDec func() frameDecoder[T], key func(*T) string) (*recorder[T], error) {
	t.Helper()
	c := NewClient(nil, WithBaseURL("http://127.0.0.1:1"))
	api := c.v3
	if v2 {
		api = c.v2
	}
	resp := &http.Response{StatusCode: 200, Header: http.Header{},
		Request: httptest.NewRequest(http.MethodGet, "http://127.0.0.1:1/v3/marketdata/stream/quotes/X", nil)}
	rec := &recorder[T]{}
	err := serveFrames(context.Background(), c, api, resp, newFrameReader(strings.NewReader(body)), newDec(), key, rec)
	return rec, err
}

func TestFrameReader(t *testing.T) {
	long := `{"Symbol":"` + strings.Repeat("A", 100<<10) + `"}`
	fr := newFrameReader(strings.NewReader("\r\n  {\"a\":1}\r\n\n" + long + "\nEND"))
	for _, want := range []string{`{"a":1}`, long, "END"} {
		b, err := fr.next()
		require.NoError(t, err)
		assert.Equal(t, want, string(b))
	}
	_, err := fr.next()
	assert.Equal(t, io.EOF, err)

	fr = newFrameReader(strings.NewReader(strings.Repeat("x", maxFrame+10)))
	_, err = fr.next()
	assert.ErrorIs(t, err, errFrameTooLong)
}

func TestSymbolOf(t *testing.T) {
	for in, want := range map[string]string{
		`{"Symbol":"MSFT","Last":"1"}`:   "MSFT",
		`{"Last":"1", "Symbol" : "@ES"}`: "@ES",
		`{"Symbol":"A\u0026B"}`:          "",
		`{"Symbol":7}`:                   "",
		`{"Last":"1"}`:                   "",
		`{"Symbol":"unterminated`:        "",
		`{"Symbol"`:                      "",
	} {
		assert.Equal(t, want, string(symbolOf([]byte(in))), in)
	}
}

func TestNetDate(t *testing.T) {
	assert.Equal(t, time.UnixMilli(1482849060000).UTC(), netDate("/Date(1482849060000)/"))
	assert.Equal(t, time.UnixMilli(1482849060000).UTC(), netDate("/Date(1482849060000-0500)/"))
	assert.Equal(t, time.UnixMilli(-1000).UTC(), netDate("/Date(-1000)/"))
	for _, bad := range []string{"", "2020-01-01T00:00:00Z", "/Date()/", "/Date(x)/", "/Date(1"} {
		assert.True(t, netDate(bad).IsZero(), bad)
	}
}

func TestQuoteFramesV3(t *testing.T) {
	body := `{"Heartbeat":1,"Timestamp":"2026-01-02T15:04:05Z"}
{"Symbol":"MSFT","Last":"412.37","Bid":"412.36","Volume":"100","Restrictions":["A"]}
{"Symbol":"NOPE","Error":"FAILED, INVALID SYMBOL"}
{"Last":"413","Symbol":"MSFT","Restrictions":["B"]}
{"StreamStatus":"EndSnapshot"}
{"Timestamp":"2026-01-02T15:04:05Z","Heartbeat":2}
{"StreamStatus":"GoAway"}
`
	rec, err := replay(t, body, false, v3Quotes, nil)
	assert.Equal(t, errGoAway, err)
	require.Len(t, rec.events, 3)
	assert.Equal(t, 3, rec.heartbeats, "two heartbeats (one with its members in another order) and EndSnapshot")
	q := rec.events[2]
	assert.Equal(t, "413", q.Last.String())
	assert.Equal(t, "412.36", q.Bid.String(), "merged")
	assert.Equal(t, "100", q.Volume.String(), "merged")
	assert.Equal(t, []string{"A"}, rec.events[0].Restrictions, "the first event is not changed by the second")
	assert.Equal(t, "FAILED, INVALID SYMBOL", rec.events[1].Error)
	assert.Equal(t, `{"Symbol":"NOPE","Error":"FAILED, INVALID SYMBOL"}`, string(rec.events[1].Raw))
}

func TestErrorFramesAreClassifiedLikeREST(t *testing.T) {
	for _, tc := range []struct {
		frame string
		class error
		code  int
	}{
		{`{"Error":"Unauthorized","Message":"token expired"}`, auth.ErrInvalidToken, 401},
		{`{"Error":"Forbidden","Message":"no"}`, rest.ErrForbidden, 403},
		{`{"Error":"BadRequest","Message":"bad"}`, rest.ErrBadRequest, 400},
		{`{"Error":"ServiceUnavailable"}`, auth.ErrUnavailable, 503},
		{`{"Error":"Something\u0007New","Message":"x"}`, auth.ErrUnavailable, 502},
	} {
		_, err := replay(t, tc.frame+"\n", false, v3Quotes, nil)
		var e *Error
		require.ErrorAs(t, err, &e, tc.frame)
		assert.Equal(t, tc.code, e.StatusCode)
		assert.ErrorIs(t, err, tc.class)
		assert.NotContains(t, err.Error(), "\a", "server text is cleaned")
	}
	_, err := replay(t, `{"Symbol":"A","Last":"1"}{"Symbol":"A","Last":"2"}`+"\n", false, v3Quotes, nil)
	assert.ErrorIs(t, err, auth.ErrInvalidResponse, "two values on one line")
	_, err = replay(t, `{"Symbol":"A","Last":"1"`+"\n", false, v3Quotes, nil)
	assert.ErrorIs(t, err, auth.ErrInvalidResponse, "half a value")
	rl, err := replay(t, `{"Error":"TooManyRequests","Message":"Rate quota exceeded"}`+"\n", false, v3Quotes, nil)
	var rle *auth.RateLimitError
	assert.ErrorAs(t, err, &rle)
	assert.Empty(t, rl.events)
}

func TestV2Lines(t *testing.T) {
	body := `{"Symbol":"MSFT","Last":412.37,"Bid":412.36,"NetChangePct":0.0136,"TradeTime":"\/Date(1767366245000)\/","Error":null}
{"Symbol":"NOPE","Error":"FAILED, EX_INVALID_SYMBOL"}
{"Symbol":"MSFT","Last":413}
END
`
	rec, err := replay(t, body, true, v2Quotes, nil)
	assert.Equal(t, errStreamEnded, err)
	require.Len(t, rec.events, 3)
	assert.Equal(t, "1.36", rec.events[0].NetChangePct.String(), "a percentage, as in v3")
	assert.Equal(t, time.UnixMilli(1767366245000).UTC(), rec.events[0].TradeTime.Time)
	assert.Equal(t, "FAILED, EX_INVALID_SYMBOL", rec.events[1].Error)
	assert.Equal(t, "413", rec.events[2].Last.String())
	assert.Equal(t, "412.36", rec.events[2].Bid.String(), "merged")

	for line, class := range map[string]error{
		"ERROR - RESET":                           auth.ErrUnavailable,
		"ERROR - DATAFEED_NOT_CONNECTED":          auth.ErrUnavailable,
		"ERROR - FAILED":                          auth.ErrUnavailable,
		"ERROR - FAILED, EX_INVALID_SYMBOL":       rest.ErrBadRequest,
		"ERROR - FAILED, NOT ENTITLED":            rest.ErrForbidden,
		"ERROR - The operation has timed out.":    auth.ErrUnavailable,
		"garbage":                                 auth.ErrInvalidResponse,
		`{"Symbol":"X","Last":"not a number"}`:    auth.ErrInvalidResponse,
		`{"Symbol":"X","Last":1}` + "\n" + `{"x"`: auth.ErrInvalidResponse,
	} {
		_, err := replay(t, line+"\n", true, v2Quotes, nil)
		assert.ErrorIs(t, err, class, line)
	}
}

func TestAccountFrames(t *testing.T) {
	body := `{"AccountID":"1","OrderID":"9","Status":"ACK","Legs":[]}
{"AccountID":"NOPE","Error":"Forbidden","Message":"Not authorized for this account."}
{"StreamStatus":"EndSnapshot"}
`
	rec, err := replay(t, body, false, orders, keyOf[OrderEvent](kindOrders))
	assert.Equal(t, errStreamEnded, err)
	require.Len(t, rec.events, 2)
	assert.Equal(t, []string{"9"}, rec.keys, "orders go through Update; account errors through Send")
	assert.Equal(t, "Forbidden: Not authorized for this account.", rec.events[1].Error)

	pos, err := replay(t, `{"AccountID":"1","PositionID":"5","Symbol":"X","Deleted":true}`+"\n", false,
		positions, keyOf[PositionEvent](kindPositions))
	assert.Equal(t, errStreamEnded, err)
	require.Len(t, pos.events, 1)
	assert.True(t, pos.events[0].Deleted)
	assert.Equal(t, []string{"5"}, pos.keys)
}

// FuzzStreamFrames feeds any bytes to every decoder: errors, never panics.
func FuzzStreamFrames(f *testing.F) {
	for _, s := range []string{`{"Heartbeat":1}`, `{"Symbol":"A","Last":"1"}` + "\n" + `{"Symbol":"A","Bid":"2"}`,
		`{"Error":"X"}`, "END", "ERROR - RESET", `{"AccountID":"1","OrderID":"2"}`, `{"Symbol":"A","Last":1.5e3}`,
		`{"StreamStatus":"GoAway"}`, "\x00\xff{"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		_, _ = replay(t, body, false, v3Quotes, nil)
		_, _ = replay(t, body, true, v2Quotes, nil)
		_, _ = replay(t, body, false, bars, nil)
		_, _ = replay(t, body, false, orders, keyOf[OrderEvent](kindOrders))
		_, _ = replay(t, body, false, positions, keyOf[PositionEvent](kindPositions))
	})
}

// quoteCorpus is a quote stream as TradeStation sends it: each symbol's
// whole quote, then n changes (Last, Bid, Ask, LastSize), a heartbeat
// every 500 frames.
func quoteCorpus(n int) []byte {
	syms := []string{"MSFT", "AAPL", "GOOG", "AMZN", "META", "NVDA", "TSLA", "SPY", "QQQ", "IWM"}
	var b bytes.Buffer
	for _, s := range syms {
		fmt.Fprintf(&b, `{"Symbol":%q,"Open":"213.65","High":"215.77","Low":"205.48","PreviousClose":"214.46",`+
			`"Last":"212.85","Ask":"212.87","AskSize":"300","Bid":"212.85","BidSize":"200","NetChange":"-1.61",`+
			`"NetChangePct":"3.5","High52Week":"232.86","High52WeekTimestamp":"2020-09-02T00:00:00Z",`+
			`"Low52Week":"132.52","Low52WeekTimestamp":"2020-03-23T00:00:00Z","Volume":"5852511",`+
			`"PreviousVolume":"24154112","Close":"212.85","DailyOpenInterest":"0","TradeTime":"2020-11-18T15:19:14Z",`+
			`"TickSizeTier":"0","MarketFlags":{"IsDelayed":false,"IsHardToBorrow":false,"IsBats":false,"IsHalted":false},`+
			`"LastSize":"954","LastVenue":"ARCX","VWAP":"136.340542862433"}`+"\n", s)
	}
	for i := range n {
		if i%500 == 0 {
			b.WriteString(`{"Heartbeat":1,"Timestamp":"2026-01-02T15:04:05Z"}` + "\n")
		}
		c := 21285 + i%100
		fmt.Fprintf(&b, `{"Symbol":%q,"Last":"%d.%02d","Bid":"%d.%02d","Ask":"%d.%02d","LastSize":"100"}`+"\n",
			syms[i%len(syms)], c/100, c%100, (c-1)/100, (c-1)%100, (c+1)/100, (c+1)%100)
	}
	return b.Bytes()
}

// BenchmarkStreamDecode decodes the same quote stream bytes with the
// stream decoder (frames, sniffing, merging, Raw, delivery to a sink) and
// with a bare json.Decoder into the same Quote struct, alternating every
// 2000 frames (and which goes first) so that both see the same machine
// load and caches; x-bare is the ratio
// of their summed times.
//
//	go test ./tradestation -run '^$' -bench BenchmarkStreamDecode -benchmem -count 6
func BenchmarkStreamDecode(b *testing.B) {
	data := quoteCorpus(10000)
	var chunks [][]byte
	for len(data) > 0 {
		end := 0
		for range 2000 {
			i := bytes.IndexByte(data[end:], '\n')
			if i < 0 {
				end = len(data)
				break
			}
			end += i + 1
		}
		chunks = append(chunks, data[:end])
		data = data[end:]
	}
	c := NewClient(nil, WithBaseURL("http://127.0.0.1:1"))
	resp := &http.Response{StatusCode: 200, Header: http.Header{},
		Request: httptest.NewRequest(http.MethodGet, "http://127.0.0.1:1/v3/marketdata/stream/quotes/X", nil)}
	var sdk, bare time.Duration
	frames := 0
	fr := newFrameReader(nil) // a connection's reader, its buffer reused
	for b.Loop() {
		dec := v3Quotes() // one connection's decoder for the whole stream
		sink := &countSink[QuoteEvent]{}
		before := frames
		for i, chunk := range chunks {
			runBare := func() {
				t0 := time.Now()
				jd := json.NewDecoder(bytes.NewReader(chunk))
				for {
					var q Quote
					if err := jd.Decode(&q); err != nil {
						if err != io.EOF {
							b.Fatal(err)
						}
						break
					}
					frames++
				}
				bare += time.Since(t0)
			}
			runSDK := func() {
				t0 := time.Now()
				fr.r.Reset(bytes.NewReader(chunk))
				err := serveFrames(context.Background(), c, c.v3, resp, fr, dec, nil, sink)
				if !errors.Is(err, errStreamEnded) {
					b.Fatal(err)
				}
				sdk += time.Since(t0)
			}
			// Each goes first on every other chunk: neither gets the
			// other's warm cache for free.
			if i%2 == 0 {
				runBare()
				runSDK()
			} else {
				runSDK()
				runBare()
			}
		}
		if got := sink.n + sink.hb; got != frames-before {
			b.Fatalf("delivered %d of %d frames", got, frames-before)
		}
	}
	b.ReportMetric(float64(sdk)/float64(bare), "x-bare")
	b.ReportMetric(float64(frames)/sdk.Seconds(), "frames/s")
}

// countSink counts what a connection delivers.
type countSink[T any] struct{ n, hb int }

func (s *countSink[T]) Ready()                              {}
func (s *countSink[T]) Heartbeat()                          { s.hb++ }
func (s *countSink[T]) Send(T) bool                         { s.n++; return true }
func (s *countSink[T]) Update(_ string, _ []byte, _ T) bool { s.n++; return true }
