package rest_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/internal/rest"
)

// The bearer token the authentication transport adds and the API key the
// client sends in a header of its own; both change under URL encoding.
const (
	echoBearer = "echo-BEARER/a1+b2=c3"
	echoAPIKey = "echo-APIKEY/d4+e5=f6"
)

// echoAPI answers every call with an error quoting the credentials it
// received, in its body and in its response headers, in the shape named by
// the last path segment.
func echoAPI(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got := "auth " + r.Header.Get("Authorization") + "\r\nkey " + r.Header.Get("Et-App-Key") +
			"\r\nescaped " + url.QueryEscape(r.Header.Get("Et-App-Key")) + "\n"
		w.Header().Set("X-Request-Id", "req "+got)
		w.Header().Set("X-Echo", got)
		js := func(status int, v any) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			_ = json.NewEncoder(w).Encode(v)
		}
		switch r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:] {
		case "json400":
			js(400, map[string]string{"code": "bad_" + echoBearer, "message": got})
		case "json401":
			js(401, map[string]string{"Error": "Unauthorized", "Message": "token " + got})
		case "nested503":
			js(503, map[string]any{"error": map[string]string{"code": "down", "message": got}})
		case "list404":
			js(404, map[string]any{"Errors": []any{got, map[string]string{"Message": got}}})
		case "rate429":
			w.Header().Set("Retry-After", "1")
			js(429, map[string]string{"message": got})
		case "trace500":
			js(500, map[string]string{"TraceId": got, "Message": "oops"})
		case "text403":
			w.Header().Set("Content-Type", "text/plain")
			w.WriteHeader(403)
			_, _ = io.WriteString(w, got)
		default:
			w.WriteHeader(500)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func restLeakForms(sec string) []string {
	j, _ := json.Marshal(sec)
	return []string{sec, url.QueryEscape(sec), url.PathEscape(sec), strings.Trim(string(j), `"`),
		base64.StdEncoding.EncodeToString([]byte(sec)), sec[:12]}
}

// TestErrorLeaksNoCredential: an API that quotes the bearer token and the
// API key back in its error bodies and headers. No rendering of the error,
// none of its text fields, its Body, its Response's headers nor its
// Response.Request carry either; Authorization and the API-key header are
// gone from the kept request.
func TestErrorLeaksNoCredential(t *testing.T) {
	srv := echoAPI(t)
	hc := &http.Client{Transport: bearer{echoBearer, srv.Client().Transport}}
	c, err := rest.New(srv.URL+"/api", hc, rest.WithName("echo"), rest.WithHeader("Et-App-Key", echoAPIKey),
		rest.WithRetry(rest.RetryPolicy{MaxAttempts: 1}))
	require.NoError(t, err)
	for _, shape := range []string{"json400", "json401", "nested503", "list404", "rate429", "trace500", "text403"} {
		for _, method := range []string{http.MethodGet, http.MethodPost} {
			var body any
			if method == http.MethodPost {
				body = map[string]int{"qty": 1}
			}
			resp, err := c.Do(t.Context(), rest.Request{Method: method, Path: "calls/" + shape, Body: body}, nil)
			require.Error(t, err, shape)
			var e *rest.Error
			require.ErrorAs(t, err, &e, shape)
			require.NotNil(t, resp)
			out := map[string]string{
				"Error()": err.Error(), "%v": fmt.Sprintf("%v", err), "%+v": fmt.Sprintf("%+v", err),
				"%#v": fmt.Sprintf("%#v", err), "%s": fmt.Sprintf("%s", err),
				"fields":           e.Code + "|" + e.Message + "|" + e.RequestID + "|" + string(e.Body),
				"Response.Header":  fmt.Sprint(e.Response.Header),
				"Request.Header":   fmt.Sprint(e.Response.Request.Header),
				"returned Request": fmt.Sprint(resp.Request.Header),
				"returned Header":  fmt.Sprint(resp.Header),
				"resp.RequestID":   resp.RequestID,
			}
			var rl *auth.RateLimitError
			if errors.As(err, &rl) {
				out["RateLimitError"] = rl.Message
			}
			var jb, tb bytes.Buffer
			slog.New(slog.NewJSONHandler(&jb, nil)).Error("call failed", "err", err)
			slog.New(slog.NewTextHandler(&tb, nil)).Error("call failed", "err", err)
			out["slog JSON"], out["slog text"] = jb.String(), tb.String()
			b, jerr := json.Marshal(e)
			require.NoError(t, jerr)
			out["json.Marshal"] = string(b)
			assert.Contains(t, out["json.Marshal"], `"status":`)
			for how, s := range out {
				for _, sec := range []string{echoBearer, echoAPIKey} {
					for _, f := range restLeakForms(sec) {
						if strings.Contains(s, f) {
							t.Errorf("%s %s %s leaks %q: %s", method, shape, how, f, s)
						}
					}
				}
			}
			assert.NotContains(t, err.Error(), "\n", shape)
			assert.NotContains(t, e.RequestID, "\r", shape)
			for _, h := range []string{"Authorization", "Et-App-Key"} {
				assert.Empty(t, e.Response.Request.Header.Values(h), "%s %s: %s kept", method, shape, h)
				assert.Empty(t, resp.Request.Header.Values(h), "%s %s: %s kept in the returned Response", method, shape, h)
			}
			assert.Equal(t, "application/json", e.Response.Request.Header.Get("Accept"), "other headers stay")
			assert.Equal(t, method, e.Response.Request.Method)
		}
	}
}

// TestSuccessfulAnswerEchoLeaksNoSecret: a 200 answer whose items echo
// the request's bearer token or API key (in any spelling) reaches neither
// the decoded values nor a PartialError built from them.
func TestSuccessfulAnswerEchoLeaksNoSecret(t *testing.T) {
	jsonQuoted := func(s string) string { b, _ := json.Marshal(s); return string(b[1 : len(b)-1]) }
	spellings := []string{echoBearer, url.QueryEscape(echoBearer), strings.ReplaceAll(jsonQuoted(echoBearer), "/", `\/`),
		echoAPIKey, url.PathEscape(echoAPIKey)}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Written by hand: each spelling stands in the JSON text as it is.
		items := make([]string, 0, len(spellings))
		for i, s := range spellings {
			items = append(items, fmt.Sprintf(`{"symbol":"S%d","error":"token %s not entitled"}`, i, s))
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"items":[`+strings.Join(items, ",")+`]}`)
	}))
	t.Cleanup(srv.Close)
	hc := &http.Client{Transport: bearer{echoBearer, srv.Client().Transport}}
	c, err := rest.New(srv.URL, hc, rest.WithName("echo"), rest.WithHeader("Et-App-Key", echoAPIKey))
	require.NoError(t, err)
	var out struct {
		Items []struct{ Symbol, Error string }
	}
	_, err = c.Get(t.Context(), "quotes", nil, &out)
	require.NoError(t, err)
	require.Len(t, out.Items, len(spellings))
	failed := map[string]string{}
	for _, it := range out.Items {
		failed[it.Symbol] = it.Error
		assert.Contains(t, it.Error, "[redacted]")
	}
	perr := rest.NewPartialError("echo", failed)
	text := fmt.Sprintf("%v %+v %#v", out, perr, perr)
	for _, sec := range []string{echoBearer, echoAPIKey, url.QueryEscape(echoBearer), "a1+b2=c3", "d4+e5=f6"} {
		assert.NotContains(t, text, sec)
	}
}
