package rest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/internal/rest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The error shapes from the facts files, each with the class it must match.
func TestErrorShapes(t *testing.T) {
	for _, tc := range []struct {
		name        string
		status      int
		ctype       string
		body        string
		fields      *rest.ErrorFields
		is          error
		code, msg   string
		requestID   string
		errContains string
	}{
		{name: "tradestation v3 not found", status: 404,
			body: `{"Message":"not found /accounts/sim3113503m/balances","Error":"NotFound"}`,
			is:   rest.ErrNotFound, code: "NotFound", msg: "not found /accounts/sim3113503m/balances",
			errContains: "testbroker: GET /api/v3/shape: HTTP 404 Not Found: NotFound: not found /accounts/sim3113503m/balances"},
		{name: "tradestation v3 bad request", status: 400,
			body: `{"Error":"BadRequest","Message":"Invalid symbol"}`,
			is:   rest.ErrBadRequest, code: "BadRequest", msg: "Invalid symbol"},
		{name: "tradestation v3 unauthorized", status: 401,
			body: `{"Error":"Unauthorized","Message":"Unauthorized"}`,
			is:   auth.ErrInvalidToken, code: "Unauthorized"},
		{name: "tradestation v3 forbidden", status: 403,
			body: `{"Error":"Forbidden","Message":"Insufficient scope"}`,
			is:   rest.ErrForbidden, code: "Forbidden", msg: "Insufficient scope"},
		{name: "tradestation v3 gateway timeout", status: 504,
			body: `{"Error":"GatewayTimeout","Message":"Gateway timed out"}`,
			is:   auth.ErrUnavailable, code: "GatewayTimeout", msg: "Gateway timed out"},
		{name: "tradestation v2 generic", status: 500,
			body: `{"TraceId":"6f1c1d0e-8a4b-4c5e-9b1f-0a2b3c4d5e6f","StatusCode":500,"Message":"An error has occurred."}`,
			is:   auth.ErrUnavailable, msg: "An error has occurred.", requestID: "6f1c1d0e-8a4b-4c5e-9b1f-0a2b3c4d5e6f"},
		{name: "just2trade not found", status: 404,
			body: `{"code":"not_found","message":"Order not found"}`,
			is:   rest.ErrNotFound, code: "not_found", msg: "Order not found"},
		{name: "just2trade validation", status: 400,
			body: `{"code":"validation_error","message":"quantity must be positive"}`,
			is:   rest.ErrBadRequest, code: "validation_error", msg: "quantity must be positive"},
		{name: "just2trade api error", status: 500, body: `{"code":"api_error","message":"oops"}`,
			is: auth.ErrUnavailable, code: "api_error", msg: "oops"},
		{name: "autoshares app key", status: 403,
			body: `{"error":"Application key is not defined or does not exist"}`,
			is:   rest.ErrForbidden, msg: "Application key is not defined or does not exist"},
		{name: "autoshares denied", status: 401,
			body: `{"Message":"Authorization has been denied for this request."}`,
			is:   auth.ErrInvalidToken, msg: "Authorization has been denied for this request."},
		{name: "autoshares wrapped", status: 500,
			body: `{"Model":null,"Errors":["Account is blocked","Try later"],"StatusCode":500,"IsSucceed":false}`,
			is:   auth.ErrUnavailable, msg: "Account is blocked; Try later"},
		{name: "autoshares 500 pair", status: 500,
			body:   `{"message":"An error occurred while processing your request","error":"Unexpected server error"}`,
			fields: &rest.ErrorFields{Message: []string{"message", "error"}},
			is:     auth.ErrUnavailable, msg: "An error occurred while processing your request"},
		{name: "autoshares order check", status: 400,
			body:   `{"IsSuccessful":false,"ErrorDescription":"DayTradingBuyingPowerExceeded","ErrorDescriptionArgs":[]}`,
			fields: &rest.ErrorFields{Code: []string{"ErrorDescription"}, Message: []string{"Message"}},
			is:     rest.ErrBadRequest, code: "DayTradingBuyingPowerExceeded"},
		{name: "default fields read the order check as message", status: 422,
			body: `{"IsSuccessful":false,"ErrorDescription":"DayTradingBuyingPowerExceeded"}`,
			is:   rest.ErrBadRequest, msg: "DayTradingBuyingPowerExceeded"},
		{name: "partial errors array of objects", status: 400,
			body: `{"Errors":[{"AccountID":"1","Error":"Failed","Message":"bad account"},{"Message":"second"}]}`,
			is:   rest.ErrBadRequest, msg: "bad account; second"},
		{name: "nested object", status: 409,
			body: `{"error":{"code":"conflict","message":"order already cancelled"}}`,
			code: "conflict", msg: "order already cancelled"},
		{name: "numeric code", status: 400, body: `{"code":1042,"message":"x"}`,
			is: rest.ErrBadRequest, code: "1042", msg: "x"},
		{name: "html gateway page", status: 502, ctype: "text/html",
			body: `<html><body><h1>502 Bad Gateway</h1></body></html>`, is: auth.ErrUnavailable,
			errContains: "testbroker: GET /api/v3/shape: HTTP 502 Bad Gateway"},
		{name: "plain text", status: 503, ctype: "text/plain; charset=utf-8",
			body: "Service down for maintenance\n", is: auth.ErrUnavailable, msg: "Service down for maintenance"},
		{name: "empty body", status: 410, is: rest.ErrNotFound},
		{name: "request timeout", status: 408, is: auth.ErrUnavailable},
		{name: "unclassified status", status: 409, body: `{"Error":"Conflict"}`, code: "Conflict"},
		{name: "json null fields", status: 400, body: `{"Error":null,"Message":null,"code":"c"}`,
			is: rest.ErrBadRequest, code: "c"},
		{name: "not an object", status: 400, body: `["a"]`, is: rest.ErrBadRequest},
		{name: "broken json", status: 400, body: `{"Error":`, is: rest.ErrBadRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var opts []rest.Option
			if tc.fields != nil {
				opts = append(opts, rest.WithErrorFields(*tc.fields))
			}
			c, mux, sl := setup(t, opts...)
			hits := &counter{}
			mux.HandleFunc("/shape", func(w http.ResponseWriter, r *http.Request) {
				hits.inc()
				ct := tc.ctype
				if ct == "" {
					ct = "application/json"
				}
				w.Header().Set("Content-Type", ct)
				w.WriteHeader(tc.status)
				_, _ = io.WriteString(w, tc.body)
			})
			resp, err := c.Get(context.Background(), "shape", nil, nil)
			require.Error(t, err)
			var e *rest.Error
			require.ErrorAs(t, err, &e)
			assert.Equal(t, tc.status, e.StatusCode)
			assert.Equal(t, http.MethodGet, e.Method)
			assert.Equal(t, basePath+"/shape", e.Path)
			assert.Equal(t, tc.code, e.Code, "code")
			assert.Equal(t, tc.msg, e.Message, "message")
			assert.Equal(t, tc.requestID, e.RequestID, "request ID")
			assert.Equal(t, tc.body, string(e.Body))
			require.NotNil(t, e.Response)
			assert.Same(t, resp.Response, e.Response)
			if tc.is != nil {
				assert.ErrorIs(t, err, tc.is)
			} else {
				assert.Nil(t, e.Err)
			}
			for _, other := range []error{rest.ErrNotFound, rest.ErrForbidden, rest.ErrBadRequest, auth.ErrInvalidToken, auth.ErrUnavailable, auth.ErrRateLimited} {
				if other != tc.is {
					assert.NotErrorIs(t, err, other)
				}
			}
			if tc.errContains != "" {
				assert.Equal(t, tc.errContains, err.Error())
			}
			if errors.Is(err, auth.ErrUnavailable) {
				assert.Equal(t, 3, hits.get(), "a GET is retried on %d", tc.status)
				assert.Len(t, sl.all(), 2)
			} else {
				assert.Equal(t, 1, hits.get())
			}
		})
	}
}

func TestRateLimit429(t *testing.T) {
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	c, mux, _ := setup(t, rest.WithRetry(rest.RetryPolicy{MaxAttempts: 1}))
	rest.SetNow(c, func() time.Time { return now })
	mux.HandleFunc("/quotes/MSFT", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "7")
		w.Header().Set("X-RateLimit-Limit", "500")
		w.Header().Set("X-RateLimit-Remaining", "0")
		w.Header().Set("X-RateLimit-Reset", "42")
		w.Header().Set("X-Request-Id", "rq-429")
		writeJSON(w, 429, `{"Error":"TooManyRequests","Message":"Rate quota exceeded"}`)
	})
	resp, err := c.Get(context.Background(), "quotes/MSFT", nil, nil)
	require.Error(t, err)
	assert.ErrorIs(t, err, auth.ErrRateLimited)
	assert.ErrorIs(t, err, auth.ErrUnavailable)
	assert.NotErrorIs(t, err, rest.ErrForbidden)
	var rl *auth.RateLimitError
	require.ErrorAs(t, err, &rl)
	assert.Equal(t, &auth.RateLimitError{StatusCode: 429, RetryAfter: 7 * time.Second,
		Reset: now.Add(42 * time.Second), Limit: 500, Remaining: 0, Message: "Rate quota exceeded"}, rl)
	var e *rest.Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, "TooManyRequests", e.Code)
	assert.Equal(t, "rq-429", e.RequestID)
	assert.Equal(t, "testbroker: GET /api/v3/quotes/MSFT: HTTP 429 Too Many Requests: TooManyRequests: Rate quota exceeded; retry after 7s (request ID rq-429)", err.Error())
	assert.Equal(t, 0, resp.RateLimit.Remaining)
}

// quotaExceeded recognises TradeStation v2's 403 page.
func quotaExceeded(resp *http.Response, body []byte) bool {
	return resp.StatusCode == http.StatusForbidden && bytes.Contains(body, []byte("Quota Exceeded"))
}

func TestRateLimitCheckRecognisesTradeStationV2Quota(t *testing.T) {
	c, mux, sl := setup(t, rest.WithRateLimitCheck(quotaExceeded))
	hits := &counter{}
	mux.HandleFunc("/data/quote/MSFT", func(w http.ResponseWriter, r *http.Request) {
		if hits.inc() == 1 {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusForbidden)
			_, _ = io.WriteString(w, `<html><body>Quota Exceeded</body></html>`)
			return
		}
		writeJSON(w, 200, `[{"Symbol":"MSFT"}]`)
	})
	mux.HandleFunc("/forbidden", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 403, `{"StatusCode":403,"Message":"Access denied"}`)
	})

	var out []struct{ Symbol string }
	resp, err := c.Get(context.Background(), "data/quote/MSFT", nil, &out)
	require.NoError(t, err)
	assert.Equal(t, 2, resp.Attempts)
	assert.Len(t, sl.all(), 1)
	assert.Equal(t, "MSFT", out[0].Symbol)

	_, err = c.Post(context.Background(), "forbidden", nil, nil)
	assert.ErrorIs(t, err, rest.ErrForbidden, "an ordinary 403 is still forbidden")
	assert.NotErrorIs(t, err, auth.ErrRateLimited)

	// Without the check the quota page is a plain 403.
	c2, mux2, _ := setup(t)
	mux2.HandleFunc("/q", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusForbidden)
		_, _ = io.WriteString(w, `<html><body>Quota Exceeded</body></html>`)
	})
	_, err = c2.Get(context.Background(), "q", nil, nil)
	assert.ErrorIs(t, err, rest.ErrForbidden)
	assert.NotErrorIs(t, err, auth.ErrRateLimited)
}

func TestErrorHook(t *testing.T) {
	c, mux, _ := setup(t, rest.WithErrorHook(func(e *rest.Error) {
		// An exotic shape: the code hides in a header.
		e.Code = e.Response.Header.Get("X-Error-Code")
		if e.Code == "THROTTLED" {
			e.Err = rest.RateLimitErrorFrom(e.Response, "throttled", time.Now())
		}
	}), rest.WithRetry(rest.RetryPolicy{MaxAttempts: 1}))
	mux.HandleFunc("/x", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Error-Code", "THROTTLED")
		w.Header().Set("Retry-After", "3")
		w.WriteHeader(http.StatusConflict)
	})
	_, err := c.Get(context.Background(), "x", nil, nil)
	var rl *auth.RateLimitError
	require.ErrorAs(t, err, &rl)
	assert.Equal(t, 3*time.Second, rl.RetryAfter)
	assert.Equal(t, http.StatusConflict, rl.StatusCode)
	var e *rest.Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, "THROTTLED", e.Code)
}

// bearer adds a token the way auth.Transport does.
type bearer struct {
	token string
	next  http.RoundTripper
}

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.token)
	return b.next.RoundTrip(r)
}

func TestNoSecretInErrors(t *testing.T) {
	const secret = "SECRET-ACCESS-TOKEN-123"
	c, mux, _ := setup(t, rest.WithRetry(rest.RetryPolicy{MaxAttempts: 1}))
	// Rebuild the client on the same server with a bearer transport.
	c, err := rest.New(strings.TrimSuffix(c.BaseURL(), "/"), &http.Client{Transport: bearer{secret, http.DefaultTransport}},
		rest.WithName("testbroker"), rest.WithRetry(rest.RetryPolicy{MaxAttempts: 1}))
	require.NoError(t, err)
	mux.HandleFunc("/secret/{kind}", func(w http.ResponseWriter, r *http.Request) {
		testHeader(t, r, "Authorization", "Bearer "+secret)
		assert.Equal(t, secret, r.URL.Query().Get("api_key"))
		switch r.PathValue("kind") {
		case "error":
			writeJSON(w, 401, `{"Error":"Unauthorized","Message":"Token expired"}`)
		case "ratelimit":
			writeJSON(w, 429, `{"Error":"TooManyRequests"}`)
		case "malformed":
			writeJSON(w, 200, `{"x":`)
		case "big":
			writeJSON(w, 200, `"`+strings.Repeat("x", 2<<20)+`"`)
		}
	})
	q := url.Values{"api_key": {secret}}
	for _, kind := range []string{"error", "ratelimit", "malformed", "big"} {
		_, err := c.Get(context.Background(), "secret/"+kind, q, new(any))
		require.Error(t, err, kind)
		for _, s := range []string{err.Error(), fmt.Sprintf("%v|%+v|%#v|%s|%q", err, err, err, err, err)} {
			assert.NotContains(t, s, secret, kind)
		}
		var e *rest.Error
		if errors.As(err, &e) {
			assert.NotContains(t, e.Path, "api_key")
			assert.NotContains(t, fmt.Sprintf("%#v", e), secret)
		}
	}
}

func TestMessageIsClippedAndControlCharactersFolded(t *testing.T) {
	c, mux, _ := setup(t)
	long := strings.Repeat("é", 3000)
	mux.HandleFunc("/long", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 400, `{"Message":"`+long+`"}`)
	})
	mux.HandleFunc("/forge", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 400, `{"Message":"line1\nINFO forged log line\u001b[31m"}`)
	})
	_, err := c.Get(context.Background(), "long", nil, nil)
	var e *rest.Error
	require.ErrorAs(t, err, &e)
	assert.LessOrEqual(t, len(e.Message), 1024+len("..."))
	assert.True(t, strings.HasSuffix(e.Message, "..."))
	assert.Equal(t, 4096, len(e.Body), "the raw body is kept up to 4 KiB")

	_, err = c.Get(context.Background(), "forge", nil, nil)
	require.ErrorAs(t, err, &e)
	assert.Equal(t, "line1 INFO forged log line [31m", e.Message)
	assert.NotContains(t, err.Error(), "\n")

	// C1 controls (NEL breaks lines in some viewers) and a request-ID
	// header, which may be kilobytes long and hold tabs.
	mux.HandleFunc("/c1", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Request-Id", "rq\t"+strings.Repeat("x", 8000))
		writeJSON(w, 400, `{"Message":"line1\u0085INFO forged\u009b31m"}`)
	})
	_, err = c.Get(context.Background(), "c1", nil, nil)
	require.ErrorAs(t, err, &e)
	assert.Equal(t, "line1 INFO forged 31m", e.Message)
	assert.True(t, strings.HasPrefix(e.RequestID, "rq x"), e.RequestID[:8])
	assert.LessOrEqual(t, len(err.Error()), 2048+len("..."), "the request ID is clipped too")
}

func TestNewErrorForFailureInA2xxBody(t *testing.T) {
	hooked := 0
	c, mux, _ := setup(t, rest.WithErrorHook(func(*rest.Error) { hooked++ }))
	mux.HandleFunc("/orders", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Request-Id", "rq-200")
		writeJSON(w, 200, `{"Model":null,"Errors":["Account is blocked"],"StatusCode":403,"IsSucceed":false}`)
	})
	var raw json.RawMessage
	resp, err := c.Get(context.Background(), "orders", nil, &raw)
	require.NoError(t, err)

	e := c.NewError(resp, http.StatusForbidden, raw)
	assert.ErrorIs(t, e, rest.ErrForbidden)
	assert.Equal(t, "Account is blocked", e.Message)
	assert.Equal(t, "rq-200", e.RequestID)
	assert.Equal(t, 1, hooked)
	assert.Equal(t, "testbroker: GET /api/v3/orders: HTTP 403 Forbidden: Account is blocked (request ID rq-200)", e.Error())

	e = c.NewError(resp, http.StatusTooManyRequests, []byte(`{"Message":"slow down"}`))
	var rl *auth.RateLimitError
	require.ErrorAs(t, e, &rl)
	assert.Equal(t, 429, rl.StatusCode)
	assert.Equal(t, "slow down", rl.Message)

	assert.ErrorIs(t, c.NewError(nil, 500, nil), auth.ErrUnavailable, "no panic without a response")
}
