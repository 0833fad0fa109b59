package rest_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/internal/rest"
)

// roundTripFunc answers requests in memory, so fuzzing needs no sockets.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func memClient(status int, ctype string, body []byte) *http.Client {
	return &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		return &http.Response{StatusCode: status, Header: http.Header{"Content-Type": {ctype}},
			Body: io.NopCloser(bytes.NewReader(body)), ContentLength: int64(len(body)), Request: r}, nil
	})}
}

// FuzzErrorBody feeds arbitrary error bodies through the error decoder: it
// must not panic, and what it keeps must stay bounded and printable.
func FuzzErrorBody(f *testing.F) {
	for _, s := range []string{
		`{"Error":"NotFound","Message":"not found /accounts/x/balances"}`,
		`{"TraceId":"t","StatusCode":500,"Message":"m"}`,
		`{"code":"validation_error","message":"bad"}`,
		`{"error":"Application key is not defined or does not exist"}`,
		`{"Model":null,"Errors":["a",{"Message":"b"},3,null,[]],"StatusCode":500,"IsSucceed":false}`,
		`{"IsSuccessful":false,"ErrorDescription":"DayTradingBuyingPowerExceeded"}`,
		`{"error":{"code":1,"message":{"deep":true}}}`,
		`<html><body>Quota Exceeded</body></html>`,
		"plain\x00text\n\x1b[31m",
		`{"Error":"a\nb\u001b","TraceId":"x\r\ny","Message":"m"}`,
		`{"Message":"` + strings.Repeat("\u00e9", 900) + `"}`,
		`{"Error":-1e999}`, `{"Errors":"x"}`, `{`, ``, `null`, `[]`,
	} {
		f.Add(400, "application/json", []byte(s))
		f.Add(500, "text/plain", []byte(s))
	}
	c, err := rest.New("https://api.example.com/v3", nil, rest.WithName("fuzz"))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, status int, ctype string, body []byte) {
		resp := &rest.Response{Response: &http.Response{StatusCode: status,
			Header: http.Header{"Content-Type": {ctype}}, Request: &http.Request{Method: "GET"}}}
		e := c.NewError(resp, status, body)
		if len(e.Message) > 1024+len("...") || len(e.Code) > 1024+len("...") || len(e.Body) > 4096 {
			t.Fatalf("unbounded: message %d bytes, body %d bytes", len(e.Message), len(e.Body))
		}
		for _, s := range []string{e.Code, e.Message, e.RequestID} {
			if strings.ContainsAny(s, "\n\r\x1b") {
				t.Fatalf("control character kept: %q", s)
			}
		}
		if e.Message != "" && !utf8.ValidString(e.Message) && utf8.Valid(body) {
			t.Fatalf("message is not valid UTF-8: %q", e.Message)
		}
		_ = e.Error()
	})
}

// FuzzBodyCap checks the cap on success bodies: a JSON string body is
// decoded when it fits and refused with ErrBodyTooLarge when it does not,
// whatever its length relative to the decoder's buffer.
func FuzzBodyCap(f *testing.F) {
	f.Add(uint16(0), uint16(1))
	f.Add(uint16(62), uint16(64))
	f.Add(uint16(63), uint16(64))
	f.Add(uint16(600), uint16(512))
	f.Add(uint16(5000), uint16(4096))
	f.Fuzz(func(t *testing.T, n, limit uint16) {
		if limit == 0 {
			return
		}
		body := []byte(`"` + strings.Repeat("x", int(n)) + `"`)
		c, err := rest.New("https://api.example.com", memClient(200, "application/json", body),
			rest.WithMaxBodyBytes(int64(limit)))
		if err != nil {
			t.Fatal(err)
		}
		var s string
		_, err = c.Get(context.Background(), "x", nil, &s)
		switch {
		case len(body) <= int(limit):
			if err != nil || len(s) != int(n) {
				t.Fatalf("%d-byte body under a %d cap: %v (decoded %d)", len(body), limit, err, len(s))
			}
		case !errors.Is(err, rest.ErrBodyTooLarge) || !errors.Is(err, auth.ErrInvalidResponse):
			t.Fatalf("%d-byte body over a %d cap: %v", len(body), limit, err)
		}
	})
}

// FuzzParseRateLimit: any header value yields a sane RateLimit.
func FuzzParseRateLimit(f *testing.F) {
	for _, s := range []string{"", "0", "60", "1.5", "1795435200", "1795435200123", "-1", "NaN", "Inf", "1e308", "9223372036854775807", "99999999999", "9999999999.5", "99999999999999"} {
		f.Add(s, s, s)
	}
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, limit, remaining, reset string) {
		h := http.Header{}
		h.Set("X-RateLimit-Limit", limit)
		h.Set("X-RateLimit-Remaining", remaining)
		h.Set("X-RateLimit-Reset", reset)
		rl := rest.ParseRateLimit(h, now)
		if rl.Limit < -1 || rl.Remaining < -1 {
			t.Fatalf("negative figures: %+v", rl)
		}
		if !rl.Reset.IsZero() && (rl.Reset.Before(time.Unix(0, 0)) || rl.Reset.Year() > 5138) {
			t.Fatalf("reset before the epoch: %v", rl.Reset)
		}
	})
}
