package rest_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/internal/rest"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type barsOptions struct {
	Interval  int       `url:"interval"`
	Unit      string    `url:"unit,omitempty"`
	Symbols   []string  `url:"symbols,comma,omitempty"`
	Sessions  string    `url:"sessiontemplate,omitempty"`
	FirstDate time.Time `url:"firstdate,omitempty"`
}

func TestGetEncodesQueryStructAndKeepsBasePath(t *testing.T) {
	c, mux, _ := setup(t, rest.WithUserAgent("brokerkit-test/1"), rest.WithHeader("Et-App-Key", "app-key"))
	mux.HandleFunc("/marketdata/barcharts/MSFT", func(w http.ResponseWriter, r *http.Request) {
		testMethod(t, r, http.MethodGet)
		testQuery(t, r, "firstdate=2026-01-02T00%3A00%3A00Z&interval=5&symbols=A%2CB&unit=Minute")
		testHeader(t, r, "Accept", "application/json")
		testHeader(t, r, "User-Agent", "brokerkit-test/1")
		testHeader(t, r, "Et-App-Key", "app-key")
		testHeader(t, r, "Content-Type", "")
		writeJSON(w, 200, `{"Bars":[{"Close":"412.5"}]}`)
	})
	var out struct {
		Bars []struct{ Close decimal.Decimal }
	}
	resp, err := c.Get(context.Background(), rest.Pathf("marketdata/barcharts/%s", "MSFT"),
		&barsOptions{Interval: 5, Unit: "Minute", Symbols: []string{"A", "B"},
			FirstDate: time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)}, &out)
	require.NoError(t, err)
	assert.Equal(t, 200, resp.StatusCode)
	assert.Equal(t, 1, resp.Attempts)
	require.Len(t, out.Bars, 1)
	assert.Equal(t, "412.5", out.Bars[0].Close.String())
}

func TestGetAcceptsURLValuesAndPathQuery(t *testing.T) {
	c, mux, _ := setup(t)
	mux.HandleFunc("/quotes", func(w http.ResponseWriter, r *http.Request) {
		testQuery(t, r, "fixed=1&symbol=BRK.B")
		writeJSON(w, 200, `{}`)
	})
	_, err := c.Get(context.Background(), "/quotes?fixed=1", url.Values{"symbol": {"BRK.B"}}, nil)
	require.NoError(t, err)
}

func TestGetNilAndEmptyQuery(t *testing.T) {
	c, mux, _ := setup(t)
	mux.HandleFunc("/accounts", func(w http.ResponseWriter, r *http.Request) {
		testQuery(t, r, "")
		writeJSON(w, 200, `[]`)
	})
	mux.HandleFunc("/bars", func(w http.ResponseWriter, r *http.Request) {
		testQuery(t, r, "interval=0") // the only field without omitempty
		writeJSON(w, 200, `[]`)
	})
	_, err := c.Get(context.Background(), "accounts", nil, nil)
	require.NoError(t, err)
	_, err = c.Get(context.Background(), "accounts", url.Values{}, nil)
	require.NoError(t, err)
	_, err = c.Get(context.Background(), "accounts", (*barsOptions)(nil), nil)
	require.NoError(t, err)
	_, err = c.Get(context.Background(), "bars", &barsOptions{}, nil)
	require.NoError(t, err)
}

func TestBadQueryIsAnError(t *testing.T) {
	c, _, _ := setup(t)
	_, err := c.Get(context.Background(), "accounts", 42, nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "encoding query")
}

type orderRequest struct {
	AccountID  string          `json:"AccountID"`
	Symbol     string          `json:"Symbol"`
	Quantity   decimal.Decimal `json:"Quantity"`
	LimitPrice decimal.Decimal `json:"LimitPrice"`
}

func TestPostSendsJSONBody(t *testing.T) {
	c, mux, _ := setup(t)
	mux.HandleFunc("/orderexecution/orders", func(w http.ResponseWriter, r *http.Request) {
		testMethod(t, r, http.MethodPost)
		testHeader(t, r, "Content-Type", "application/json")
		testJSONBody(t, r, `{"AccountID":"11111","Symbol":"MSFT","Quantity":"10","LimitPrice":"412.55"}`)
		writeJSON(w, 200, `{"Orders":[{"OrderID":"286234131"}]}`)
	})
	var out struct{ Orders []struct{ OrderID string } }
	_, err := c.Post(context.Background(), "orderexecution/orders", orderRequest{
		AccountID: "11111", Symbol: "MSFT", Quantity: decimal.NewFromInt(10),
		LimitPrice: decimal.RequireFromString("412.55")}, &out)
	require.NoError(t, err)
	assert.Equal(t, "286234131", out.Orders[0].OrderID)
}

func TestBodyThatCannotBeEncoded(t *testing.T) {
	c, _, _ := setup(t)
	_, err := c.Post(context.Background(), "orders", map[string]any{"bad": func() {}}, nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "encoding request body")
}

func TestDoPerRequestHeaderReplacesStatic(t *testing.T) {
	c, mux, _ := setup(t, rest.WithHeader("X-Api-Version", "1"))
	mux.HandleFunc("/orders/1", func(w http.ResponseWriter, r *http.Request) {
		testMethod(t, r, http.MethodPut)
		assert.Equal(t, []string{"2"}, r.Header.Values("X-Api-Version"))
		testJSONBody(t, r, `{"Quantity":"5"}`)
		w.WriteHeader(http.StatusNoContent)
	})
	out := struct{ Kept string }{"untouched"}
	resp, err := c.Do(context.Background(), rest.Request{Method: http.MethodPut, Path: "orders/1",
		Body: json.RawMessage(`{"Quantity":"5"}`), Header: http.Header{"x-api-version": {"2"}}}, &out)
	require.NoError(t, err)
	assert.Equal(t, http.StatusNoContent, resp.StatusCode)
	assert.Equal(t, "untouched", out.Kept, "an empty body leaves out as it was")
}

func TestHeadSkipsBody(t *testing.T) {
	c, mux, _ := setup(t)
	mux.HandleFunc("/ping", func(w http.ResponseWriter, r *http.Request) {
		testMethod(t, r, http.MethodHead)
		w.Header().Set("X-Request-Id", "head-1")
	})
	var out map[string]any
	resp, err := c.Do(context.Background(), rest.Request{Method: http.MethodHead, Path: "ping"}, &out)
	require.NoError(t, err)
	assert.Equal(t, "head-1", resp.RequestID)
	assert.Nil(t, out)
}

func TestNewValidatesBaseURL(t *testing.T) {
	for _, tc := range []struct {
		base string
		is   error
	}{
		{"http://api.example.com/v3", auth.ErrInsecureEndpoint},
		{"https://api.example.com/v3?access_token=SECRET", nil},
		{"https://user:SECRET@api.example.com/", nil},
		{"api.example.com/v3", nil},
		{"ftp://api.example.com/", nil},
		{"://SECRET", nil},
	} {
		t.Run(tc.base, func(t *testing.T) {
			_, err := rest.New(tc.base, nil)
			require.Error(t, err)
			assert.NotContains(t, err.Error(), "SECRET")
			if tc.is != nil {
				assert.ErrorIs(t, err, tc.is)
			}
		})
	}
	for _, ok := range []string{"https://api.tradestation.com/v3", "https://api.tradestation.com/v3/", "http://127.0.0.1:8080", "http://localhost/x/"} {
		c, err := rest.New(ok, nil)
		require.NoError(t, err, ok)
		assert.True(t, strings.HasSuffix(c.BaseURL(), "/"), ok)
	}
}

func TestPathJoiningWithAndWithoutSlashes(t *testing.T) {
	c, mux, _ := setup(t)
	mux.HandleFunc("/brokerage/accounts", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, `{}`) })
	for _, p := range []string{"brokerage/accounts", "/brokerage/accounts", "//brokerage/accounts"} {
		_, err := c.Get(context.Background(), p, nil, nil)
		require.NoError(t, err, p)
	}
	mux.HandleFunc("/quotes/{sym}", func(w http.ResponseWriter, r *http.Request) {
		assert.Equal(t, "ESZ26:CME", r.PathValue("sym"))
		testQuery(t, r, "next=https://x")
		writeJSON(w, 200, `{}`)
	})
	_, err := c.Get(context.Background(), rest.Pathf("quotes/%s", "ESZ26:CME")+"?next=https://x", nil, nil)
	require.NoError(t, err, "a colon in a segment or a URL in the query is fine")
	_, err = c.Get(context.Background(), "https://evil.example.com/steal", nil, nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "relative")
}

func TestPathfEscapesSegmentsOnTheWire(t *testing.T) {
	c, mux, _ := setup(t)
	mux.HandleFunc("/accounts/{id}/balances", func(w http.ResponseWriter, r *http.Request) {
		assert.Equal(t, "/accounts/a%2Fb%3Fc/balances", r.URL.EscapedPath())
		assert.Equal(t, "a/b?c", r.PathValue("id"))
		testQuery(t, r, "")
		writeJSON(w, 200, `{}`)
	})
	_, err := c.Get(context.Background(), rest.Pathf("accounts/%s/balances", "a/b?c"), nil, nil)
	require.NoError(t, err)
}

func TestBodyCap(t *testing.T) {
	const limit = 64
	c, mux, _ := setup(t, rest.WithMaxBodyBytes(limit))
	exact := `{"s":"` + strings.Repeat("x", limit-8) + `"}`
	require.Len(t, exact, limit)
	mux.HandleFunc("/exact", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, exact) })
	mux.HandleFunc("/over", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, exact+" ") })
	mux.HandleFunc("/huge", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, `{"s":"`+strings.Repeat("x", 10*limit)+`"}`)
	})
	mux.HandleFunc("/chunked", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, exact)
		w.(http.Flusher).Flush()
		_, _ = io.WriteString(w, "\n\n")
	})

	var out struct{ S string }
	_, err := c.Get(context.Background(), "exact", nil, &out)
	require.NoError(t, err, "a body exactly at the cap fits")
	assert.Len(t, out.S, limit-8)

	for _, p := range []string{"over", "huge", "chunked"} {
		_, err = c.Get(context.Background(), p, nil, &out)
		require.Error(t, err, p)
		assert.ErrorIs(t, err, rest.ErrBodyTooLarge, p)
		assert.ErrorIs(t, err, auth.ErrInvalidResponse, p)
		assert.NotErrorIs(t, err, auth.ErrUnavailable, p)
		var re *auth.ResponseError
		require.ErrorAs(t, err, &re)
		assert.Equal(t, 200, re.StatusCode)

		// Discarded, the body does not matter: the call succeeded.
		_, err = c.Post(context.Background(), p, nil, nil)
		require.NoError(t, err, p)
	}
}

func TestDefaultBodyCapIsOneMiB(t *testing.T) {
	c, mux, _ := setup(t)
	big := `"` + strings.Repeat("x", rest.DefaultMaxBodyBytes) + `"`
	mux.HandleFunc("/big", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, big) })
	var s string
	_, err := c.Get(context.Background(), "big", nil, &s)
	assert.ErrorIs(t, err, rest.ErrBodyTooLarge)
}

func TestMalformedJSON(t *testing.T) {
	c, mux, _ := setup(t)
	bodies := map[string]string{
		"/truncated": `{"Accounts":[`,
		"/html":      `<html><body>Hello</body></html>`,
		"/trailing":  `{"a":1} garbage`,
		"/twice":     `{"a":1}{"a":2}`,
		"/type":      `{"a":"not a number"}`,
	}
	for p, b := range bodies {
		mux.HandleFunc(p, func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, b) })
	}
	for p := range bodies {
		var out struct{ A int }
		resp, err := c.Get(context.Background(), p, nil, &out)
		require.Error(t, err, p)
		assert.ErrorIs(t, err, auth.ErrInvalidResponse, p)
		assert.NotErrorIs(t, err, auth.ErrUnavailable, p)
		var re *auth.ResponseError
		require.ErrorAs(t, err, &re, p)
		assert.Equal(t, "malformed JSON", re.Reason, p)
		assert.Contains(t, err.Error(), "testbroker: GET "+basePath+p, p)
		assert.Equal(t, 1, resp.Attempts, "malformed JSON is not retried")
	}
}

func TestTrailingWhitespaceIsFine(t *testing.T) {
	c, mux, _ := setup(t)
	mux.HandleFunc("/ok", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, "\n {\"a\":1} \r\n\t") })
	var out struct{ A int }
	_, err := c.Get(context.Background(), "ok", nil, &out)
	require.NoError(t, err)
	assert.Equal(t, 1, out.A)
}

func TestRequestIDAndRateLimitOnSuccess(t *testing.T) {
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	c, mux, _ := setup(t)
	rest.SetNow(c, func() time.Time { return now })
	mux.HandleFunc("/delta", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Correlation-Id", "corr-7")
		w.Header().Set("X-RateLimit-Limit", "320")
		w.Header().Set("X-RateLimit-Remaining", "319")
		w.Header().Set("X-RateLimit-Reset", "299")
		writeJSON(w, 200, `{}`)
	})
	mux.HandleFunc("/epoch", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-RateLimit-Reset", fmt.Sprint(now.Add(90*time.Second).Unix()))
		writeJSON(w, 200, `{}`)
	})
	resp, err := c.Get(context.Background(), "delta", nil, nil)
	require.NoError(t, err)
	assert.Equal(t, "corr-7", resp.RequestID)
	assert.Equal(t, rest.RateLimit{Limit: 320, Remaining: 319, Reset: now.Add(299 * time.Second)}, resp.RateLimit)

	resp, err = c.Get(context.Background(), "epoch", nil, nil)
	require.NoError(t, err)
	assert.Equal(t, "", resp.RequestID)
	assert.Equal(t, -1, resp.RateLimit.Limit)
	assert.Equal(t, -1, resp.RateLimit.Remaining)
	assert.True(t, now.Add(90*time.Second).Equal(resp.RateLimit.Reset), resp.RateLimit.Reset)
}

func TestRequestIDHeadersAreConfigurable(t *testing.T) {
	c, mux, _ := setup(t, rest.WithRequestIDHeaders("x-amzn-requestid"))
	mux.HandleFunc("/x", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Request-Id", "ignored")
		w.Header().Set("X-Amzn-RequestId", "amzn-1")
		writeJSON(w, 404, `{}`)
	})
	resp, err := c.Get(context.Background(), "x", nil, nil)
	var e *rest.Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, "amzn-1", e.RequestID)
	assert.Equal(t, "amzn-1", resp.RequestID)
	assert.Contains(t, err.Error(), "(request ID amzn-1)")
}

func TestParseRateLimit(t *testing.T) {
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		reset string
		want  time.Time
	}{
		{"", time.Time{}},
		{"0", now},
		{"60", now.Add(time.Minute)},
		{"1.5", now.Add(1500 * time.Millisecond)},
		{"1795435200", time.Unix(1795435200, 0)},
		{"1795435200123", time.UnixMilli(1795435200123)},
		{"-5", time.Time{}},
		{"soon", time.Time{}},
		{"NaN", time.Time{}},
		{"Inf", time.Time{}},
		// Further off than the cap on server waits (a week): capped.
		{"99999999", now.Add(7 * 24 * time.Hour)},
		{"9999999999.5", now.Add(7 * 24 * time.Hour)},
		{"200000000000", now.Add(7 * 24 * time.Hour)},
		{"1e300", now.Add(7 * 24 * time.Hour)},
	} {
		h := http.Header{}
		if tc.reset != "" {
			h.Set("X-RateLimit-Reset", tc.reset)
		}
		h.Set("X-RateLimit-Limit", "x")
		got := rest.ParseRateLimit(h, now)
		assert.True(t, tc.want.Equal(got.Reset), "%q: got %v want %v", tc.reset, got.Reset, tc.want)
		assert.Equal(t, -1, got.Limit)
	}
}

func TestTransportErrorIsUnavailableAndRedacted(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	base := srv.URL
	srv.Close() // nothing listens there any more
	c, err := rest.New(base+"/v3", nil, rest.WithRetry(rest.RetryPolicy{MaxAttempts: 1}))
	require.NoError(t, err)
	_, err = c.Get(context.Background(), "accounts", url.Values{"access_token": {"SECRET-TOKEN"}}, nil)
	require.Error(t, err)
	assert.ErrorIs(t, err, auth.ErrUnavailable)
	assert.NotContains(t, err.Error(), "SECRET-TOKEN")
	assert.NotContains(t, fmt.Sprintf("%+v %#v", err, err), "SECRET-TOKEN")
	assert.Contains(t, err.Error(), "GET /v3/accounts")
}

// refusingTransport stands in for auth.Transport failing to refresh.
type refusingTransport struct{}

func (refusingTransport) RoundTrip(*http.Request) (*http.Response, error) {
	return nil, fmt.Errorf("refresh: %w", auth.ErrReauthRequired)
}

func TestAuthTransportErrorKeepsItsClassAndIsNotRetried(t *testing.T) {
	c, err := rest.New("https://api.example.com/v3", &http.Client{Transport: refusingTransport{}})
	require.NoError(t, err)
	s := &sleeps{}
	rest.SetSleep(c, s.sleep)
	_, err = c.Get(context.Background(), "accounts", nil, nil)
	assert.ErrorIs(t, err, auth.ErrReauthRequired)
	assert.NotErrorIs(t, err, auth.ErrUnavailable)
	assert.Empty(t, s.all())
}

func TestNilContext(t *testing.T) {
	c, _, _ := setup(t)
	//lint:ignore SA1012 checking the guard against a nil context
	_, err := c.Get(nil, "x", nil, nil) //nolint:staticcheck
	require.Error(t, err)
}

func TestCutConnectionIsUnavailable(t *testing.T) {
	c, mux, _ := setup(t, rest.WithRetry(rest.RetryPolicy{MaxAttempts: 1}))
	mux.HandleFunc("/cut", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "1000")
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"Accounts":[{"AccountID":"1"`)
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.Close()
		}
	})
	var out map[string]any
	_, err := c.Get(context.Background(), "cut", nil, &out)
	require.Error(t, err)
	assert.ErrorIs(t, err, auth.ErrUnavailable, "a cut body is a transport failure, not malformed JSON")
	assert.NotErrorIs(t, err, auth.ErrInvalidResponse)
	assert.True(t, errors.Is(err, io.ErrUnexpectedEOF), err)
}

func TestOutMustBeAPointerAndNothingIsSent(t *testing.T) {
	c, mux, _ := setup(t)
	hits := &counter{}
	mux.HandleFunc("/orders", func(w http.ResponseWriter, r *http.Request) { hits.inc(); writeJSON(w, 200, `{}`) })
	var m map[string]any
	for _, out := range []any{m, struct{}{}, (*struct{})(nil)} {
		_, err := c.Post(context.Background(), "orders", map[string]string{"Symbol": "MSFT"}, out)
		require.Error(t, err)
		assert.Contains(t, err.Error(), "non-nil pointer")
	}
	assert.Equal(t, 0, hits.get())
}

func TestCutAnswerToPostIsNotRetryable(t *testing.T) {
	c, mux, sl := setup(t)
	hits := &counter{}
	mux.HandleFunc("/orders", func(w http.ResponseWriter, r *http.Request) {
		hits.inc()
		w.Header().Set("Content-Length", "1000")
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"Orders":[{"OrderID":"2862`)
		if conn, _, err := w.(http.Hijacker).Hijack(); err == nil {
			conn.Close()
		}
	})
	var out map[string]any
	_, err := c.Post(context.Background(), "orders", map[string]string{"Symbol": "MSFT"}, &out)
	require.Error(t, err)
	assert.ErrorIs(t, err, auth.ErrInvalidResponse)
	assert.NotErrorIs(t, err, auth.ErrUnavailable, "the order was accepted: a retry would place it twice")
	assert.Contains(t, err.Error(), "the request was carried out")
	assert.Equal(t, 1, hits.get())
	assert.Empty(t, sl.all())
}

func TestUserAgentAndAccept(t *testing.T) {
	for _, tc := range []struct {
		opts       []rest.Option
		ua, accept string
		uaSent     bool
	}{
		{nil, rest.DefaultUserAgent, "application/json", true},
		{[]rest.Option{rest.WithUserAgent("app/2")}, "app/2", "application/json", true},
		{[]rest.Option{rest.WithHeader("User-Agent", "hdr/1"), rest.WithHeader("Accept", "application/vnd.x+json")}, "hdr/1", "application/vnd.x+json", true},
		{[]rest.Option{rest.WithUserAgent("")}, "", "application/json", false},
	} {
		c, mux, _ := setup(t, tc.opts...)
		mux.HandleFunc("/h", func(w http.ResponseWriter, r *http.Request) {
			_, sent := r.Header["User-Agent"]
			assert.Equal(t, tc.uaSent, sent)
			testHeader(t, r, "User-Agent", tc.ua)
			testHeader(t, r, "Accept", tc.accept)
			writeJSON(w, 200, `{}`)
		})
		_, err := c.Get(context.Background(), "h", nil, nil)
		require.NoError(t, err)
	}
}
