package auth

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/brokerkit/brokerkit/internal/redact"
)

// maxResponseBytes caps every token-endpoint body read by this package.
const maxResponseBytes = 1 << 20

// maxLifetime bounds a credible expires_in: ten years.
const maxLifetime = 10 * 365 * 24 * time.Hour

// Fields tells the decoder which JSON names a provider uses for each part of
// a token response and of an error. Each list is tried in order; the first
// name present with a non-null value wins. The zero Fields means DefaultFields().
type Fields struct {
	AccessToken      []string
	TokenType        []string
	RefreshToken     []string
	ExpiresIn        []string
	RefreshExpiresIn []string
	Scope            []string
	Subject          []string
	ErrorCode        []string
	ErrorDescription []string
	ErrorURI         []string
}

// defaultFields knows every spelling the supported brokers document: RFC 6749
// snake_case, cTrader's camelCase, TradeStation v2's token/RefreshToken and
// userid, and the errorCode/description pair delivered with HTTP 200.
var defaultFields = Fields{
	AccessToken:      []string{"access_token", "accessToken", "token"},
	TokenType:        []string{"token_type", "tokenType"},
	RefreshToken:     []string{"refresh_token", "refreshToken", "RefreshToken"},
	ExpiresIn:        []string{"expires_in", "expiresIn"},
	RefreshExpiresIn: []string{"refresh_token_expires_in", "refresh_expires_in", "refreshTokenExpiresIn"},
	Scope:            []string{"scope", "scopes"},
	Subject:          []string{"userid", "userId", "user_id"},
	ErrorCode:        []string{"error", "errorCode", "error_code"},
	ErrorDescription: []string{"error_description", "description", "errorDescription", "message", "Message"},
	ErrorURI:         []string{"error_uri", "errorUri"},
}

// DefaultFields returns a copy of the names the decoder knows by default,
// for a provider to extend: every spelling the supported brokers document
// (RFC 6749 snake_case, cTrader's camelCase, TradeStation v2's
// token/RefreshToken and userid, errorCode/description with HTTP 200).
func DefaultFields() Fields {
	f := defaultFields
	for _, l := range []*[]string{&f.AccessToken, &f.TokenType, &f.RefreshToken, &f.ExpiresIn,
		&f.RefreshExpiresIn, &f.Scope, &f.Subject, &f.ErrorCode, &f.ErrorDescription, &f.ErrorURI} {
		*l = slices.Clone(*l)
	}
	return f
}

func (f *Fields) orDefault() *Fields {
	if f == nil || len(f.AccessToken) == 0 {
		return &defaultFields
	}
	return f
}

// isKnown reports whether f consumes the member name, so that the rest land
// in Extra. A scan of the short lists beats building a set per response.
func (f *Fields) isKnown(name string) bool {
	for _, l := range [...][]string{f.AccessToken, f.TokenType, f.RefreshToken, f.ExpiresIn,
		f.RefreshExpiresIn, f.Scope, f.Subject, f.ErrorCode, f.ErrorDescription, f.ErrorURI} {
		if slices.Contains(l, name) {
			return true
		}
	}
	return false
}

// decodeTokenResponse turns a token-endpoint answer into a Token or a typed
// error. It reads at most maxResponseBytes of body. now is the moment the
// answer arrived, from which expires_in is counted. provider names the
// provider in errors and in the token.
//
// The error shapes it knows: an RFC 6749 error document with any status; an
// errorCode/description pair with HTTP 200; 429 as *RateLimitError; any other
// non-2xx without an error document (HTML, empty) as *HTTPError; a 2xx that is
// not a usable token as *ResponseError.
//
// Server text that reaches an error is cleaned where the error is built: the
// secrets req carried (code, PKCE verifier, refresh or access
// token, client secret, in its query, form or JSON body and Authorization
// header) are removed in every encoding, control characters folded and the
// length capped, in Error() and in the fields alike.
func decodeTokenResponse(provider string, resp *http.Response, now time.Time, fields *Fields, req *http.Request) (*Token, error) {
	f := fields.orDefault()
	if resp == nil || resp.Body == nil {
		return nil, &ResponseError{Provider: provider, Reason: "no response"}
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes+1))
	if err != nil {
		return nil, fmt.Errorf("%s: reading token response: %w: %w", provider, ErrUnavailable, err)
	}
	if len(body) > maxResponseBytes {
		return nil, &ResponseError{Provider: provider, StatusCode: resp.StatusCode,
			Reason: fmt.Sprintf("body larger than %d bytes", maxResponseBytes)}
	}
	return decodeTokenBody(provider, resp.StatusCode, resp.Header, body, now, f, req)
}

func decodeTokenBody(provider string, status int, h http.Header, body []byte, now time.Time, f *Fields, req *http.Request) (*Token, error) {
	// The secrets are read from the request only when an error needs them.
	var sec []string
	read := false
	secrets := func() []string {
		if !read {
			sec, read = requestSecrets(req), true
		}
		return sec
	}
	obj, jsonErr := parseObject(body, h.Get("Content-Type"))
	if obj != nil {
		if oerr := oauthErrorFrom(provider, status, obj, f, secrets); oerr != nil {
			if status == http.StatusTooManyRequests {
				return nil, newRateLimitError(status, h, now, oerr.Description)
			}
			return nil, oerr
		}
	}
	if status == http.StatusTooManyRequests {
		return nil, newRateLimitError(status, h, now, "")
	}
	if status < 200 || status > 299 {
		e := httpErrorFrom(provider, status, h, body, secrets()...)
		if obj != nil {
			msg, _ := str(obj, f.ErrorDescription)
			e.Message = cleanText(msg, secrets()...)
		}
		return nil, e
	}
	if obj == nil {
		reason := "body is not a JSON object"
		if len(bytes.TrimSpace(body)) == 0 {
			reason = "empty body"
		}
		return nil, &ResponseError{Provider: provider, StatusCode: status, Reason: reason, Err: jsonErr}
	}
	return tokenFrom(provider, status, obj, now, f)
}

// parseObject reads body as a JSON object, or as form values when the
// server says it sent a form (some servers answer token requests that way).
func parseObject(body []byte, contentType string) (map[string]json.RawMessage, error) {
	mt, _, _ := mime.ParseMediaType(contentType)
	if mt == "application/x-www-form-urlencoded" || mt == "text/plain" {
		if obj := formObject(body); obj != nil {
			return obj, nil
		}
	}
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return nil, errors.New("not a JSON object")
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(trimmed, &obj); err != nil {
		return nil, err
	}
	return obj, nil
}

// formObject reads a form-encoded body; it returns nil unless every part is
// a well-formed key=value pair, so that plain text is not mistaken for one.
func formObject(body []byte) map[string]json.RawMessage {
	s := strings.TrimSpace(string(body))
	if s == "" || strings.HasPrefix(s, "{") || strings.HasPrefix(s, "<") {
		return nil
	}
	obj := map[string]json.RawMessage{}
	for _, kv := range strings.Split(s, "&") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil
		}
		k, errK := url.QueryUnescape(k)
		v, errV := url.QueryUnescape(v)
		if errK != nil || errV != nil || k == "" {
			return nil
		}
		if _, dup := obj[k]; dup {
			continue // the first value wins, as with url.Values.Get
		}
		raw, _ := json.Marshal(v)
		obj[k] = raw
	}
	return obj
}

// str returns the first named member that is a non-empty JSON string (or a
// number, rendered as text).
func str(obj map[string]json.RawMessage, names []string) (string, bool) {
	for _, n := range names {
		raw, ok := obj[n]
		if !ok || isNull(raw) {
			continue
		}
		var s string
		if json.Unmarshal(raw, &s) == nil {
			if s != "" {
				return s, true
			}
			continue
		}
		var num json.Number
		if json.Unmarshal(raw, &num) == nil {
			return num.String(), true
		}
	}
	return "", false
}

func isNull(raw json.RawMessage) bool { return string(bytes.TrimSpace(raw)) == "null" }

func oauthErrorFrom(provider string, status int, obj map[string]json.RawMessage, f *Fields, secrets func() []string) *OAuthError {
	code, ok := str(obj, f.ErrorCode)
	if !ok {
		return nil
	}
	desc, _ := str(obj, f.ErrorDescription)
	uri, _ := str(obj, f.ErrorURI)
	sec := secrets()
	return &OAuthError{Provider: provider, Endpoint: "token", Code: cleanText(code, sec...),
		Description: cleanText(desc, sec...), URI: cleanText(uri, sec...), StatusCode: status}
}

// httpErrorFrom builds the *HTTPError of an answer without an error
// document. Its Body keeps the answer's first bytes with the secrets
// removed: they are taken out of the whole body before the cut, so no part
// of one can survive at the end.
func httpErrorFrom(provider string, status int, h http.Header, body []byte, secrets ...string) *HTTPError {
	// Room past the kept 512 bytes for any secret that starts within them.
	if len(body) > 512+4096 {
		body = body[:512+4096]
	}
	if len(secrets) > 0 {
		body = []byte(redact.Secrets(string(body), secrets...))
	}
	if len(body) > 512 {
		body = body[:512]
	}
	mt, _, _ := mime.ParseMediaType(h.Get("Content-Type"))
	return &HTTPError{Provider: provider, StatusCode: status, ContentType: mt, Body: append([]byte(nil), body...)}
}

// secretParams are the request parameters whose values are credentials.
var secretParams = [...]string{"code", "code_verifier", "refresh_token", "access_token", "token", "id_token",
	"client_secret", "client_assertion", "assertion", "password", "device_code"}

// requestSecrets lists the credentials req carried, so that an error built
// from the answer can leave them out: the secret parameters of its query and
// of its form or JSON body (re-read through GetBody), and its Authorization
// header whole, without its scheme and, for Basic, decoded. A nil req
// carries none.
func requestSecrets(req *http.Request) []string {
	if req == nil {
		return nil
	}
	var out []string
	fromValues := func(v url.Values) {
		for _, k := range secretParams {
			out = append(out, v[k]...)
		}
	}
	if req.URL != nil {
		fromValues(req.URL.Query())
	}
	if req.GetBody != nil {
		if rc, err := req.GetBody(); err == nil {
			b, _ := io.ReadAll(io.LimitReader(rc, maxResponseBytes))
			rc.Close()
			mt, _, _ := mime.ParseMediaType(req.Header.Get("Content-Type"))
			switch mt {
			case "application/json":
				var obj map[string]any
				if json.Unmarshal(b, &obj) == nil {
					for _, k := range secretParams {
						if s, ok := obj[k].(string); ok {
							out = append(out, s)
						}
					}
				}
			default:
				if v, err := url.ParseQuery(string(b)); err == nil {
					fromValues(v)
				}
			}
		}
	}
	for _, h := range [...]string{"Authorization", "Proxy-Authorization"} {
		out = append(out, redact.Credentials(req.Header.Get(h))...)
	}
	return out
}

// seconds reads a lifetime given as a JSON number or numeric string.
func seconds(obj map[string]json.RawMessage, names []string) (time.Duration, bool, error) {
	for _, n := range names {
		raw, ok := obj[n]
		if !ok || isNull(raw) {
			continue
		}
		var num json.Number
		if err := json.Unmarshal(raw, &num); err != nil {
			var s string
			if json.Unmarshal(raw, &s) != nil {
				return 0, false, fmt.Errorf("%s is neither a number nor a string", n)
			}
			num = json.Number(strings.TrimSpace(s))
		}
		v, err := strconv.ParseFloat(string(num), 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			return 0, false, fmt.Errorf("%s is not numeric", n)
		}
		if v < 0 {
			return 0, false, fmt.Errorf("%s is negative", n)
		}
		if v > maxLifetime.Seconds() {
			return 0, false, fmt.Errorf("%s is implausibly large", n)
		}
		return time.Duration(v) * time.Second, true, nil
	}
	return 0, false, nil
}

func tokenFrom(provider string, status int, obj map[string]json.RawMessage, now time.Time, f *Fields) (*Token, error) {
	bad := func(reason string) error {
		return &ResponseError{Provider: provider, StatusCode: status, Reason: reason}
	}
	at, ok := str(obj, f.AccessToken)
	if !ok {
		return nil, bad("no access token in the response")
	}
	t := &Token{AccessToken: at, Provider: provider}
	t.RefreshToken, _ = str(obj, f.RefreshToken)
	t.Subject, _ = str(obj, f.Subject)
	typ, _ := str(obj, f.TokenType)
	t.TokenType = normalizeType(typ)

	exp, has, err := seconds(obj, f.ExpiresIn)
	if err != nil {
		return nil, bad(err.Error())
	}
	if has && exp > 0 {
		t.Expiry = now.Add(exp)
	}
	rexp, has, err := seconds(obj, f.RefreshExpiresIn)
	if err != nil {
		return nil, bad(err.Error())
	}
	if has && rexp > 0 {
		t.RefreshExpiry = now.Add(rexp)
	}
	t.Scopes = scopesFrom(obj, f.Scope)

	for k, v := range obj {
		if f.isKnown(k) {
			continue
		}
		if t.Extra == nil {
			t.Extra = map[string]json.RawMessage{}
		}
		t.Extra[k] = v
	}
	return t, nil
}

func normalizeType(typ string) string {
	switch strings.ToLower(typ) {
	case "", "bearer", "accesstoken":
		return "Bearer"
	default:
		return typ
	}
}

func scopesFrom(obj map[string]json.RawMessage, names []string) []string {
	for _, n := range names {
		raw, ok := obj[n]
		if !ok || isNull(raw) {
			continue
		}
		var list []string
		if json.Unmarshal(raw, &list) == nil {
			return list
		}
		var s string
		if json.Unmarshal(raw, &s) == nil {
			return strings.Fields(strings.ReplaceAll(s, ",", " "))
		}
	}
	return nil
}
