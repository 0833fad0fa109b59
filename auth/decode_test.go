package auth_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/brokerkit/brokerkit/auth"
)

// decodeNow is the fixed arrival time every decoder test counts from.
var decodeNow = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)

// wireResponse builds the *http.Response a token endpoint would send.
func wireResponse(status int, contentType string, body []byte, hdr ...string) *http.Response {
	h := http.Header{}
	if contentType != "" {
		h.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		h.Set(hdr[i], hdr[i+1])
	}
	return &http.Response{StatusCode: status, Header: h, Body: io.NopCloser(bytes.NewReader(body))}
}

func tokenFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "tokens", name))
	require.NoError(t, err)
	return b
}

// TestDecodeTokenResponseShapes decodes every documented token-response
// shape and checks each field of the result.
func TestDecodeTokenResponseShapes(t *testing.T) {
	tests := []struct {
		name    string
		file    string
		ctype   string
		want    auth.Token
		extra   []string // keys expected in Extra
		noExtra bool
	}{
		{
			name: "RFC 6749 section 5.1 example", file: "rfc6749.json",
			want: auth.Token{AccessToken: "2YotnFZFEjr1zCsicMWpAA", TokenType: "example", RefreshToken: "tGzv3JOkF0XG5Qx2TlKWIA",
				Expiry: decodeNow.Add(time.Hour)},
			extra: []string{"example_parameter"},
		},
		{
			name: "RFC 6750 bearer with scope, pretty-printed", file: "rfc6749_bearer_scope.json",
			want: auth.Token{AccessToken: "mF_9.B5f-4.1JqM", TokenType: "Bearer", RefreshToken: "tGzv3JOkF0XG5Qx2TlKWIA",
				Expiry: decodeNow.Add(time.Hour), Scopes: []string{"read", "write"}},
			noExtra: true,
		},
		{
			name: "TradeStation v2 2013-2018 docs (token, RefreshToken, AccessToken type)", file: "tradestation_v2_legacy.json",
			want: auth.Token{AccessToken: "ts2-legacy-access", TokenType: "Bearer", RefreshToken: "ts2-legacy-refresh",
				Expiry: decodeNow.Add(29367 * time.Second), Subject: "testUser"},
			noExtra: true,
		},
		{
			name: "TradeStation v2 2011 example (token_type null, no refresh)", file: "tradestation_v2_2011.json",
			want: auth.Token{AccessToken: "ts2-2011-access", TokenType: "Bearer",
				Expiry: decodeNow.Add(21943 * time.Second), Subject: "testuser"},
			noExtra: true,
		},
		{
			name: "TradeStation v2 since 2019", file: "tradestation_v2.json",
			want: auth.Token{AccessToken: "ts2-access", TokenType: "Bearer", RefreshToken: "ts2-refresh",
				Expiry: decodeNow.Add(20 * time.Minute), Subject: "testUser"},
			noExtra: true,
		},
		{
			name: "TradeStation v2 refresh (no new refresh token)", file: "tradestation_v2_refresh.json",
			want: auth.Token{AccessToken: "ts2-access-2", TokenType: "Bearer",
				Expiry: decodeNow.Add(20 * time.Minute), Subject: "testUser"},
			noExtra: true,
		},
		{
			name: "TradeStation v2 client credentials", file: "tradestation_v2_client_credentials.json",
			want: auth.Token{AccessToken: "ts2-cc-access", TokenType: "Bearer",
				Expiry: decodeNow.Add(21943 * time.Second), Subject: "CLIENTONLYLOGIN"},
			noExtra: true,
		},
		{
			name: "TradeStation v3 code exchange with id_token and scope", file: "tradestation_v3.json",
			want: auth.Token{AccessToken: "ts3-access", TokenType: "Bearer", RefreshToken: "ts3-refresh",
				Expiry: decodeNow.Add(20 * time.Minute),
				Scopes: []string{"openid", "profile", "MarketData", "ReadAccount", "Trade", "offline_access"}},
			extra: []string{"id_token"},
		},
		{
			name: "TradeStation v3 refresh without rotation", file: "tradestation_v3_refresh.json",
			want: auth.Token{AccessToken: "ts3-access-2", TokenType: "Bearer",
				Expiry: decodeNow.Add(20 * time.Minute), Scopes: []string{"openid", "offline_access"}},
			extra: []string{"id_token"},
		},
		{
			name: "cTrader camelCase with null error fields", file: "ctrader.json",
			want: auth.Token{AccessToken: "ct-access", TokenType: "Bearer", RefreshToken: "ct-refresh",
				Expiry: decodeNow.Add(2628000 * time.Second)},
			noExtra: true,
		},
		{
			name: "cTrader camelCase with snake_case duplicates", file: "ctrader_snake_duplicates.json",
			want: auth.Token{AccessToken: "ct-access", TokenType: "Bearer", RefreshToken: "ct-refresh",
				Expiry: decodeNow.Add(2628000 * time.Second)},
			noExtra: true,
		},
		{
			name: "Just2Trade", file: "just2trade.json",
			want: auth.Token{AccessToken: "j2t-access", TokenType: "Bearer",
				Expiry: decodeNow.Add(24 * time.Hour), Scopes: []string{"email", "profile"}},
			noExtra: true,
		},
		{
			name: "Lime (Just2Trade successor)", file: "lime.json",
			want: auth.Token{AccessToken: "lime-access", TokenType: "Bearer",
				Expiry: decodeNow.Add(8 * time.Hour), Scopes: []string{"email", "profile"}},
			noExtra: true,
		},
		{
			name: "expires_in as a numeric string", file: "expires_in_string.json",
			want:    auth.Token{AccessToken: "str-access", TokenType: "Bearer", Expiry: decodeNow.Add(time.Hour)},
			noExtra: true,
		},
		{
			name: "form-encoded body", file: "form_encoded.txt", ctype: "application/x-www-form-urlencoded",
			want: auth.Token{AccessToken: "form+access", TokenType: "Bearer", Expiry: decodeNow.Add(2 * time.Hour),
				Scopes: []string{"user:email", "repo"}},
			noExtra: true,
		},
		{
			name: "form-encoded body with escaped names", file: "form_encoded_escaped_keys.txt", ctype: "text/plain; charset=utf-8",
			want:    auth.Token{AccessToken: "esc", TokenType: "Bearer", RefreshToken: "r/1"},
			noExtra: true,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctype := tc.ctype
			if ctype == "" {
				ctype = "application/json; charset=utf-8"
			}
			tok, err := auth.DecodeTokenResponse("broker", wireResponse(200, ctype, tokenFixture(t, tc.file)), decodeNow, nil)
			require.NoError(t, err)
			assert.Equal(t, tc.want.AccessToken, tok.AccessToken)
			assert.Equal(t, tc.want.TokenType, tok.TokenType)
			assert.Equal(t, tc.want.RefreshToken, tok.RefreshToken)
			assert.True(t, tc.want.Expiry.Equal(tok.Expiry), "expiry %v, want %v", tok.Expiry, tc.want.Expiry)
			assert.Equal(t, tc.want.Scopes, tok.Scopes)
			assert.Equal(t, tc.want.Subject, tok.Subject)
			assert.Equal(t, "broker", tok.Provider)
			if tc.noExtra {
				assert.Empty(t, tok.Extra)
			}
			for _, k := range tc.extra {
				assert.Contains(t, tok.Extra, k)
			}
		})
	}
}

// TestDecodeExtraVerbatim checks that unknown members are kept byte for
// byte, so a token stored and reloaded has lost nothing.
func TestDecodeExtraVerbatim(t *testing.T) {
	tok, err := auth.DecodeTokenResponse("ts", wireResponse(200, "application/json", tokenFixture(t, "tradestation_v3.json")), decodeNow, nil)
	require.NoError(t, err)
	assert.Equal(t, `"eyJhbGciOiJSUzI1NiJ9.e30.c2ln"`, string(tok.Extra["id_token"]))
	assert.Equal(t, "eyJhbGciOiJSUzI1NiJ9.e30.c2ln", tok.ExtraString("id_token"))
	assert.Equal(t, "", tok.ExtraString("absent"))
}

// TestDecodeCustomFields checks that a provider can replace the alias
// table, and that the zero Fields means the defaults.
func TestDecodeCustomFields(t *testing.T) {
	body := []byte(`{"data_token":"custom-access","ttl":60,"who":"u1","token":"ignored"}`)
	f := &auth.Fields{AccessToken: []string{"data_token"}, ExpiresIn: []string{"ttl"}, Subject: []string{"who"}}
	tok, err := auth.DecodeTokenResponse("x", wireResponse(200, "application/json", body), decodeNow, f)
	require.NoError(t, err)
	assert.Equal(t, "custom-access", tok.AccessToken)
	assert.Equal(t, "u1", tok.Subject)
	assert.True(t, tok.Expiry.Equal(decodeNow.Add(time.Minute)))
	assert.Contains(t, tok.Extra, "token", "a name outside the custom table is extra")

	tok, err = auth.DecodeTokenResponse("x", wireResponse(200, "application/json", tokenFixture(t, "ctrader.json")), decodeNow, &auth.Fields{})
	require.NoError(t, err)
	assert.Equal(t, "ct-access", tok.AccessToken)
}

// TestDecodeRefreshExpiry checks the refresh-token lifetime aliases.
func TestDecodeRefreshExpiry(t *testing.T) {
	body := []byte(`{"access_token":"a","expires_in":1800,"refresh_token":"r","refresh_token_expires_in":604800}`)
	tok, err := auth.DecodeTokenResponse("x", wireResponse(200, "application/json", body), decodeNow, nil)
	require.NoError(t, err)
	assert.True(t, tok.RefreshExpiry.Equal(decodeNow.Add(7*24*time.Hour)))
	assert.True(t, tok.Expiry.Equal(decodeNow.Add(30*time.Minute)))
}

// TestDecodeErrors covers every error shape: RFC 6749 documents with 400
// and 401, errors delivered with HTTP 200, 429 with Retry-After, HTML and
// empty bodies with 4xx/5xx, and 2xx bodies that are not usable tokens.
func TestDecodeErrors(t *testing.T) {
	type check func(t *testing.T, err error)
	isOAuth := func(code, desc string, status int, is ...error) check {
		return func(t *testing.T, err error) {
			var oe *auth.OAuthError
			require.ErrorAs(t, err, &oe)
			assert.Equal(t, code, oe.Code)
			assert.Equal(t, desc, oe.Description)
			assert.Equal(t, status, oe.StatusCode)
			assert.Equal(t, "token", oe.Endpoint)
			assert.Equal(t, "broker", oe.Provider)
			for _, target := range is {
				assert.ErrorIs(t, err, target)
			}
			assert.NotErrorIs(t, err, auth.ErrInvalidResponse)
		}
	}
	isHTTP := func(status int, ctype string, unavailable bool) check {
		return func(t *testing.T, err error) {
			var he *auth.HTTPError
			require.ErrorAs(t, err, &he)
			assert.Equal(t, status, he.StatusCode)
			assert.Equal(t, ctype, he.ContentType)
			assert.LessOrEqual(t, len(he.Body), 512)
			assert.Equal(t, unavailable, errors.Is(err, auth.ErrUnavailable))
			assert.NotErrorIs(t, err, auth.ErrRateLimited)
		}
	}
	isInvalid := func(reason string) check {
		return func(t *testing.T, err error) {
			var re *auth.ResponseError
			require.ErrorAs(t, err, &re)
			assert.ErrorIs(t, err, auth.ErrInvalidResponse)
			assert.Contains(t, re.Reason, reason)
			assert.NotErrorIs(t, err, auth.ErrUnavailable)
		}
	}
	big := append([]byte(`{"access_token":"a","pad":"`), bytes.Repeat([]byte("x"), auth.MaxResponseBytes)...)
	big = append(big, []byte(`"}`)...)

	tests := []struct {
		name   string
		status int
		ctype  string
		body   []byte
		hdr    []string
		check  check
	}{
		{"invalid_grant 400", 400, "application/json", tokenFixture(t, "error_invalid_grant.json"), nil,
			isOAuth("invalid_grant", "Unknown or invalid refresh token.", 400)},
		{"invalid_client 401", 401, "application/json", tokenFixture(t, "error_invalid_client.json"), nil,
			isOAuth("invalid_client", "Client authentication failed", 401, auth.ErrInvalidClient)},
		{"server_error 500 document", 500, "application/json", []byte(`{"error":"server_error"}`), nil,
			isOAuth("server_error", "", 500, auth.ErrUnavailable)},
		{"temporarily_unavailable 503", 503, "application/json", []byte(`{"error":"temporarily_unavailable"}`), nil,
			isOAuth("temporarily_unavailable", "", 503, auth.ErrUnavailable)},
		{"cTrader error with HTTP 200", 200, "application/json", tokenFixture(t, "ctrader_error_200.json"), nil,
			isOAuth("ACCESS_DENIED", "Access denied for this application", 200, auth.ErrAccessDenied)},
		{"cTrader error with null token fields", 200, "application/json", tokenFixture(t, "ctrader_error_200_with_nulls.json"), nil,
			isOAuth("INVALID_REQUEST", "Authorization code is expired", 200)},
		{"RFC 6749 error with HTTP 200", 200, "application/json", []byte(`{"error":"invalid_grant"}`), nil,
			isOAuth("invalid_grant", "", 200)},
		{"description with line breaks", 400, "application/json", []byte(`{"error":"invalid_grant","error_description":"a\nb\r\u0000c"}`), nil,
			isOAuth("invalid_grant", "a b  c", 400)},
		{"form-encoded error", 400, "text/plain", []byte("error=invalid_grant&error_description=code+expired"), nil,
			isOAuth("invalid_grant", "code expired", 400)},
		{"429 with Retry-After seconds", 429, "text/plain", []byte("Too Many Requests"),
			[]string{"Retry-After", "30", "X-RateLimit-Limit", "120", "X-RateLimit-Remaining", "0"},
			func(t *testing.T, err error) {
				var rl *auth.RateLimitError
				require.ErrorAs(t, err, &rl)
				assert.Equal(t, 30*time.Second, rl.RetryAfter)
				assert.Equal(t, 120, rl.Limit)
				assert.Equal(t, 0, rl.Remaining)
				assert.ErrorIs(t, err, auth.ErrRateLimited)
				assert.ErrorIs(t, err, auth.ErrUnavailable)
			}},
		{"429 with Retry-After date and an error document", 429, "application/json", tokenFixture(t, "error_slow_down_429.json"),
			[]string{"Retry-After", decodeNow.Add(2 * time.Minute).Format(http.TimeFormat)},
			func(t *testing.T, err error) {
				var rl *auth.RateLimitError
				require.ErrorAs(t, err, &rl)
				assert.Equal(t, 2*time.Minute, rl.RetryAfter)
				assert.Equal(t, -1, rl.Limit)
				assert.Equal(t, "Too many token requests", rl.Message)
				assert.ErrorIs(t, err, auth.ErrRateLimited)
			}},
		{"HTML 502", 502, "text/html; charset=utf-8", tokenFixture(t, "gateway_502.html"), nil, isHTTP(502, "text/html", true)},
		{"HTML 403", 403, "text/html", []byte("<html><body>Forbidden</body></html>"), nil, isHTTP(403, "text/html", false)},
		{"empty 500", 500, "", nil, nil, isHTTP(500, "", true)},
		{"empty 401", 401, "", []byte("  \n"), nil, isHTTP(401, "", false)},
		{"408 is retryable", 408, "", nil, nil, isHTTP(408, "", true)},
		{"JSON 400 without error code", 400, "application/json", []byte(`{"Error":"BadRequest","Message":"bad key"}`), nil,
			func(t *testing.T, err error) {
				isHTTP(400, "application/json", false)(t, err)
				var he *auth.HTTPError
				require.ErrorAs(t, err, &he)
				assert.Equal(t, "bad key", he.Message)
			}},
		{"token JSON with 4xx status is not a token", 401, "application/json", tokenFixture(t, "tradestation_v3.json"), nil,
			isHTTP(401, "application/json", false)},
		{"malformed JSON", 200, "application/json", []byte(`{"access_token":"a",`), nil, isInvalid("not a JSON object")},
		{"JSON array", 200, "application/json", []byte(`[{"access_token":"a"}]`), nil, isInvalid("not a JSON object")},
		{"empty 200", 200, "application/json", nil, nil, isInvalid("empty body")},
		{"HTML 200", 200, "text/html", []byte("<html><body>Sign in</body></html>"), nil, isInvalid("not a JSON object")},
		{"body over 1 MiB", 200, "application/json", big, nil, isInvalid("larger than")},
		{"missing access token", 200, "application/json", []byte(`{"token_type":"bearer","expires_in":3600}`), nil,
			isInvalid("no access token")},
		{"access token null", 200, "application/json", []byte(`{"access_token":null,"token":""}`), nil,
			isInvalid("no access token")},
		{"expires_in negative", 200, "application/json", []byte(`{"access_token":"a","expires_in":-5}`), nil,
			isInvalid("negative")},
		{"expires_in absurd", 200, "application/json", []byte(`{"access_token":"a","expires_in":1e12}`), nil,
			isInvalid("implausibly large")},
		{"expires_in overflowing", 200, "application/json", []byte(`{"access_token":"a","expires_in":1e999}`), nil,
			isInvalid("not numeric")},
		{"expires_in NaN string", 200, "application/json", []byte(`{"access_token":"a","expires_in":"NaN"}`), nil,
			isInvalid("not numeric")},
		{"expires_in words", 200, "application/json", []byte(`{"access_token":"a","expiresIn":"soon"}`), nil,
			isInvalid("not numeric")},
		{"expires_in object", 200, "application/json", []byte(`{"access_token":"a","expires_in":{"s":1}}`), nil,
			isInvalid("neither a number nor a string")},
		{"refresh lifetime negative", 200, "application/json", []byte(`{"access_token":"a","refresh_expires_in":"-1"}`), nil,
			isInvalid("negative")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tok, err := auth.DecodeTokenResponse("broker", wireResponse(tc.status, tc.ctype, tc.body, tc.hdr...), decodeNow, nil)
			require.Error(t, err)
			assert.Nil(t, tok)
			tc.check(t, err)
			assert.NotEmpty(t, err.Error())
		})
	}
}

// TestDecodeReadFailure checks that a cut connection is a retryable error.
func TestDecodeReadFailure(t *testing.T) {
	resp := &http.Response{StatusCode: 200, Header: http.Header{},
		Body: io.NopCloser(io.MultiReader(strings.NewReader(`{"access_token":`), errReader{}))}
	_, err := auth.DecodeTokenResponse("broker", resp, decodeNow, nil)
	require.Error(t, err)
	assert.ErrorIs(t, err, auth.ErrUnavailable)

	_, err = auth.DecodeTokenResponse("broker", &http.Response{StatusCode: 200}, decodeNow, nil)
	assert.ErrorIs(t, err, auth.ErrInvalidResponse, "a response without a body is an error, not a panic")
	_, err = auth.DecodeTokenResponse("broker", nil, decodeNow, nil)
	assert.ErrorIs(t, err, auth.ErrInvalidResponse)
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("connection reset by peer") }

// TestDecodeExactlyMaxBytes checks the cap is inclusive: a body of exactly
// MaxResponseBytes is read.
func TestDecodeExactlyMaxBytes(t *testing.T) {
	head := []byte(`{"access_token":"a","pad":"`)
	tail := []byte(`"}`)
	body := append(append(append([]byte(nil), head...), bytes.Repeat([]byte("x"), auth.MaxResponseBytes-len(head)-len(tail))...), tail...)
	require.Len(t, body, auth.MaxResponseBytes)
	tok, err := auth.DecodeTokenResponse("broker", wireResponse(200, "application/json", body), decodeNow, nil)
	require.NoError(t, err)
	assert.Equal(t, "a", tok.AccessToken)
}

// FuzzDecodeTokenResponse feeds arbitrary bodies, statuses and content
// types to the decoder: it must never panic, must return exactly one of a
// token or an error, and every error must be one of the typed kinds.
func FuzzDecodeTokenResponse(f *testing.F) {
	seeds := []string{
		`{"access_token":"a","token_type":"bearer","expires_in":3600}`,
		`{"RefreshToken":"r","expires_in":29367,"token":"t","token_type":"AccessToken","userid":"u"}`,
		`{"expires_in":21943,"token":"t","token_type":null,"userid":"u"}`,
		`{"accessToken":"a","tokenType":"bearer","expiresIn":2628000,"refreshToken":"r","errorCode":null,"description":null}`,
		`{"errorCode":"ACCESS_DENIED","description":"no"}`,
		`{"scope":"email profile","token_type":"Bearer","access_token":"a","expires_in":86400}`,
		`{"access_token":"a","expires_in":"3600"}`,
		`{"access_token":"a","expires_in":"NaN"}`,
		`{"access_token":"a","expires_in":-1}`,
		`{"access_token":"a","expires_in":1e308}`,
		`{"access_token":"a","scope":["x","y"],"extra":{"n":[1,2]}}`,
		`{"error":"invalid_grant","error_description":"d","error_uri":"u"}`,
		`access_token=a&expires_in=60`,
		`error=invalid_request`,
		`<html>oops</html>`,
		``,
		`{`,
		`null`,
	}
	for _, s := range seeds {
		for _, st := range []int{200, 400, 429, 503} {
			f.Add(st, "application/json", []byte(s))
		}
	}
	f.Add(200, "application/x-www-form-urlencoded", []byte("access_token=%zz"))
	f.Add(200, "text/plain", []byte("access_token=a&access_token=b"))
	f.Fuzz(func(t *testing.T, status int, ctype string, body []byte) {
		if status < 100 || status > 999 {
			status = 200
		}
		resp := wireResponse(status, ctype, body, "Retry-After", "5")
		tok, err := auth.DecodeTokenResponse("fuzz", resp, decodeNow, nil)
		if (tok == nil) == (err == nil) {
			t.Fatalf("want exactly one of token and error, got %v and %v", tok, err)
		}
		if err != nil {
			var oe *auth.OAuthError
			var rl *auth.RateLimitError
			var he *auth.HTTPError
			var re *auth.ResponseError
			if !errors.As(err, &oe) && !errors.As(err, &rl) && !errors.As(err, &he) && !errors.As(err, &re) {
				t.Fatalf("untyped error %T: %v", err, err)
			}
			return
		}
		if tok.AccessToken == "" {
			t.Fatal("token without an access token")
		}
		if status < 200 || status > 299 {
			t.Fatalf("token decoded from HTTP %d", status)
		}
		if !tok.Expiry.IsZero() && (tok.Expiry.Before(decodeNow) || tok.Expiry.After(decodeNow.Add(11*365*24*time.Hour))) {
			t.Fatalf("implausible expiry %v", tok.Expiry)
		}
		// A decoded token survives a JSON round trip.
		b, err := json.Marshal(tok)
		if err != nil {
			t.Fatalf("marshal: %v", err)
		}
		var back auth.Token
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatalf("unmarshal: %v", err)
		}
		if back.AccessToken != tok.AccessToken || back.RefreshToken != tok.RefreshToken || !back.Expiry.Equal(tok.Expiry) {
			t.Fatal("round trip lost data")
		}
	})
}

// BenchmarkDecodeTokenResponse measures the decoder on three wire shapes
// against a baseline measured in the same run: encoding/json into a fixed
// RFC 6749 struct, which knows one spelling and keeps no extras.
func BenchmarkDecodeTokenResponse(b *testing.B) {
	for _, file := range []string{"rfc6749_bearer_scope.json", "tradestation_v3.json", "ctrader.json"} {
		body := tokenFixture(b, file)
		b.Run(strings.TrimSuffix(file, ".json")+"/auth", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				resp := &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/json"}},
					Body: io.NopCloser(bytes.NewReader(body))}
				if _, err := auth.DecodeTokenResponse("bench", resp, decodeNow, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(strings.TrimSuffix(file, ".json")+"/baseline-json", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				resp := &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/json"}},
					Body: io.NopCloser(bytes.NewReader(body))}
				raw, err := io.ReadAll(io.LimitReader(resp.Body, auth.MaxResponseBytes+1))
				if err != nil {
					b.Fatal(err)
				}
				var v struct {
					AccessToken  string `json:"access_token"`
					TokenType    string `json:"token_type"`
					RefreshToken string `json:"refresh_token"`
					ExpiresIn    int64  `json:"expires_in"`
					Scope        string `json:"scope"`
				}
				if err := json.Unmarshal(raw, &v); err != nil {
					b.Fatal(err)
				}
				_ = decodeNow.Add(time.Duration(v.ExpiresIn) * time.Second)
				_ = strings.Fields(v.Scope)
			}
		})
	}
}

// TestDefaultFieldsIsACopy: a provider extending the defaults cannot change
// what every other provider decodes.
func TestDefaultFieldsIsACopy(t *testing.T) {
	f := auth.DefaultFields()
	f.AccessToken[0] = "changed"
	f.ErrorCode = append(f.ErrorCode, "code")
	g := auth.DefaultFields()
	assert.Equal(t, "access_token", g.AccessToken[0])
	assert.NotContains(t, g.ErrorCode, "code")
	resp := &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/json"}},
		Body: io.NopCloser(strings.NewReader(`{"access_token":"a"}`))}
	tok, err := auth.DecodeTokenResponse("p", resp, time.Now(), nil)
	require.NoError(t, err)
	assert.Equal(t, "a", tok.AccessToken)
}
