package auth_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/brokerkit/brokerkit/auth"
)

// The secrets of the redaction test. Each is distinctive, so finding it in
// any output is proof of a leak.
const (
	rdxAccess   = "rdx-ACCESS-1a2b3c4d"
	rdxRefresh  = "rdx-REFRESH-5e6f7a8b"
	rdxSecret   = "rdx-CLIENTSECRET-9c0d1e"
	rdxVerifier = "rdx-VERIFIER-2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e"
)

// assertNoSecret fails when s contains any of the secrets.
func assertNoSecret(t *testing.T, what, s string, secrets ...string) {
	t.Helper()
	for _, sec := range append([]string{rdxAccess, rdxRefresh, rdxSecret, rdxVerifier}, secrets...) {
		if sec != "" && strings.Contains(s, sec) {
			t.Errorf("%s leaks %q: %s", what, sec, s)
		}
	}
}

// TestErrorsCarryNoSecrets drives every error path of the core with
// secrets in the request and in the answers, and checks no error text
// contains one.
func TestErrorsCarryNoSecrets(t *testing.T) {
	const tokenURL = "https://as.example.com/token"
	m := newWireMock(t)
	newP := func(method string) *auth.Standard {
		return stdProvider(t, auth.Config{
			Name: "rdx", ClientID: "rdx-client", ClientSecret: rdxSecret,
			RedirectURL: "http://127.0.0.1:31022/cb",
			Endpoint: auth.Endpoint{AuthURL: "https://as.example.com/authorize", TokenURL: tokenURL,
				RevokeURL: "https://as.example.com/revoke"},
			AuthStyle: auth.AuthStyleInParams, TokenMethod: method,
			Capabilities: auth.Capabilities{PKCE: true, Refresh: true, ClientCredentials: true},
			HTTPClient:   m.client,
		})
	}
	post, get := newP(http.MethodPost), newP(http.MethodGet)
	tok := &auth.Token{AccessToken: rdxAccess, RefreshToken: rdxRefresh}
	ctx := context.Background()
	echo := rdxAccess + " " + rdxRefresh + " " + rdxSecret + " " + rdxVerifier
	bigEcho := strings.Repeat(echo, auth.MaxResponseBytes/len(echo)+1)

	var errs []error
	collect := func(name string, err error) {
		t.Helper()
		require.Error(t, err, name)
		errs = append(errs, fmt.Errorf("%s: %w", name, err))
	}
	answers := []struct {
		name   string
		status int
		body   string
		hdr    []string
	}{
		{"oauth error echoing tokens", 400, `{"error":"invalid_grant","access_token":"` + rdxAccess + `","refresh_token":"` + rdxRefresh + `"}`, nil},
		{"html 500 echoing the request", 500, "<html>" + echo + "</html>", []string{"Content-Type", "text/html"}},
		{"malformed json", 200, `{"access_token":"` + rdxAccess + `",`, nil},
		{"unquoted token", 200, `{"access_token":` + rdxAccess + `}`, nil},
		{"bad expires_in", 200, `{"access_token":"` + rdxAccess + `","expires_in":"` + rdxRefresh + `"}`, nil},
		{"negative expires_in", 200, `{"access_token":"` + rdxAccess + `","expires_in":-1}`, nil},
		{"missing access token", 200, `{"token_type":"` + rdxAccess + `","refresh_token":"` + rdxRefresh + `"}`, nil},
		{"rate limited echo", 429, echo, []string{"Content-Type", "text/plain", "Retry-After", "3"}},
		{"oversized echo", 200, bigEcho, nil},
		{"json 401 without code", 401, `{"access_token":"` + rdxAccess + `"}`, nil},
	}
	for _, a := range answers {
		for _, p := range []*auth.Standard{post, get} {
			m.answer(p.Capabilities().TokenMethod, tokenURL, a.status, []byte(a.body), a.hdr...)
			_, err := p.Exchange(ctx, rdxAccess, auth.SetParam("code_verifier", rdxVerifier))
			collect("exchange "+a.name, err)
			m.answer(p.Capabilities().TokenMethod, tokenURL, a.status, []byte(a.body), a.hdr...)
			_, err = p.Refresh(ctx, tok)
			collect("refresh "+a.name, err)
			m.answer(p.Capabilities().TokenMethod, tokenURL, a.status, []byte(a.body), a.hdr...)
			_, err = p.ClientCredentials(ctx)
			collect("client credentials "+a.name, err)
		}
		m.answer(http.MethodPost, "https://as.example.com/revoke", max(a.status, 400), []byte(a.body), a.hdr...)
		collect("revoke "+a.name, post.Revoke(ctx, tok))
	}
	m.got = nil

	// Transport failures: the GET URL carries the secret, the code and the
	// verifier.
	m.mt.Reset()
	m.mt.RegisterNoResponder(httpmock.NewErrorResponder(errors.New("connection reset")))
	_, err := get.Exchange(ctx, rdxRefresh, auth.SetParam("code_verifier", rdxVerifier))
	collect("get transport failure", err)
	_, err = post.Refresh(ctx, tok)
	collect("post transport failure", err)
	collect("revoke transport failure", post.Revoke(ctx, tok))

	// A cancelled ctx against a real listener.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }))
	defer srv.Close()
	slow := stdProvider(t, auth.Config{Name: "slow", ClientID: "c", ClientSecret: rdxSecret, AuthStyle: auth.AuthStyleInParams,
		TokenMethod: http.MethodGet, Endpoint: auth.Endpoint{AuthURL: srv.URL + "/a", TokenURL: srv.URL + "/t"}})
	cctx, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	_, err = slow.Exchange(cctx, rdxAccess, auth.SetParam("code_verifier", rdxVerifier))
	cancel()
	collect("deadline", err)

	// Configuration errors with the secret in the config.
	_, err = auth.NewStandard(auth.Config{Name: "cfg", ClientID: "c", ClientSecret: rdxSecret, AuthStyle: auth.AuthStyleInParams,
		Endpoint: auth.Endpoint{AuthURL: "http://as.example.com/a", TokenURL: "https://as.example.com/t"}})
	collect("insecure endpoint", err)
	_, err = auth.NewStandard(auth.Config{Name: "cfg", ClientID: "c", ClientSecret: rdxSecret,
		Endpoint: auth.Endpoint{AuthURL: "https://as.example.com/a", TokenURL: "https://as.example.com/t"}})
	collect("no auth style", err)

	// Flow errors, with the verifier in the flow and secrets in callbacks.
	p := newExchangeRecorder(t, true)
	fl, err := auth.Begin(p)
	require.NoError(t, err)
	flowSecrets := []string{fl.Verifier}
	long := strings.Repeat(rdxAccess, 600)
	for name, q := range map[string]string{
		"state mismatch":   "code=" + rdxAccess + "&state=" + rdxVerifier,
		"access denied":    "error=access_denied&state=" + fl.State,
		"missing code":     "state=" + fl.State + "&x=" + rdxAccess,
		"repeated code":    "code=" + rdxAccess + "&code=" + rdxRefresh + "&state=" + fl.State,
		"overlong code":    "code=" + long + "&state=" + fl.State,
		"unparsable query": "code=" + rdxAccess + "%zz&state=" + fl.State,
	} {
		_, err := fl.CompleteURL(ctx, p, "http://127.0.0.1:31022/cb?"+q)
		collect("flow "+name, err)
	}
	skew := -time.Hour
	exp, err := auth.Begin(p, auth.FlowOptions{Now: func() time.Time { return time.Now().Add(skew) }})
	skew = 0
	require.NoError(t, err)
	flowSecrets = append(flowSecrets, exp.Verifier)
	_, err = exp.CompleteURL(ctx, p, "http://127.0.0.1:31022/cb?code="+rdxAccess+"&state="+exp.State)
	collect("flow expired", err)
	_, err = fl.CompleteURL(ctx, p, "http://127.0.0.1:31022/cb?code=c&state="+fl.State)
	require.NoError(t, err)
	_, err = fl.CompleteURL(ctx, p, "http://127.0.0.1:31022/cb?code="+rdxAccess+"&state="+fl.State)
	collect("flow used", err)
	p.err = fmt.Errorf("exchange failed: %w", auth.ErrUnavailable)
	fl2, err := auth.Begin(p)
	require.NoError(t, err)
	flowSecrets = append(flowSecrets, fl2.Verifier)
	_, err = fl2.CompleteURL(ctx, p, "http://127.0.0.1:31022/cb?code=c&state="+fl2.State)
	collect("flow exchange failure", err)

	require.Greater(t, len(errs), 80)
	for _, err := range errs {
		for _, s := range []string{err.Error(), fmt.Sprintf("%v", err), fmt.Sprintf("%+v", err), fmt.Sprintf("%q", err)} {
			assertNoSecret(t, "error", s, flowSecrets...)
		}
		// The error tree is typed: every path matches a sentinel or a type.
		var oe *auth.OAuthError
		var rl *auth.RateLimitError
		var he *auth.HTTPError
		var re *auth.ResponseError
		typed := errors.As(err, &oe) || errors.As(err, &rl) || errors.As(err, &he) || errors.As(err, &re)
		for _, s := range []error{auth.ErrUnavailable, auth.ErrInsecureEndpoint, auth.ErrStateMismatch, auth.ErrBadCallback,
			auth.ErrMissingCode, auth.ErrFlowExpired, auth.ErrFlowUsed, context.DeadlineExceeded} {
			typed = typed || errors.Is(err, s)
		}
		if !typed && !strings.Contains(err.Error(), "AuthStyle must be set") {
			t.Errorf("untyped error: %v", err)
		}
	}
}

// formatAll renders v every way an app might print or log it. slog's JSON
// handler is used only for a Token or Flow itself: nested in another value
// it is written by encoding/json, which is the storage form and carries the
// secrets by design (see the Token doc).
func formatAll(v any, direct bool) map[string]string {
	out := map[string]string{}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%d", "%T"} {
		out[verb] = fmt.Sprintf(verb, v)
	}
	out["Sprint"] = fmt.Sprint(v)
	out["Sprintln"] = fmt.Sprintln(v)
	for name, h := range map[string]func(*bytes.Buffer) slog.Handler{
		"slog JSON": func(b *bytes.Buffer) slog.Handler { return slog.NewJSONHandler(b, nil) },
		"slog text": func(b *bytes.Buffer) slog.Handler { return slog.NewTextHandler(b, nil) },
	} {
		if name == "slog JSON" && !direct {
			continue
		}
		var b bytes.Buffer
		slog.New(h(&b)).Info("login", "value", v, slog.Any("any", v), slog.Group("g", "nested", v))
		out[name] = b.String()
	}
	return out
}

// TestFormattedValuesCarryNoSecrets prints tokens and flows every way:
// fmt verbs, slog's JSON and text handlers, and inside other values.
func TestFormattedValuesCarryNoSecrets(t *testing.T) {
	tok := &auth.Token{AccessToken: rdxAccess, RefreshToken: rdxRefresh, TokenType: "Bearer", Provider: "rdx",
		Expiry: time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC), Scopes: []string{"Trade"}, Subject: "u1"}
	flow := &auth.Flow{Provider: "rdx", State: "rdx-STATE-0f1e2d3c", Verifier: rdxVerifier,
		URL: "https://as.example.com/authorize?code_challenge=x", Expires: time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)}
	type session struct {
		User  string
		Tok   auth.Token
		TokP  *auth.Token
		Flow  auth.Flow
		FlowP *auth.Flow
	}
	values := map[string]any{
		"*Token":             tok,
		"Token":              *tok,
		"[]*Token":           []*auth.Token{tok, tok},
		"map[string]Token":   map[string]auth.Token{"k": *tok},
		"struct with tokens": session{User: "u", Tok: *tok, TokP: tok, Flow: *flow, FlowP: flow},
		"*struct":            &session{User: "u", Tok: *tok, TokP: tok, Flow: *flow, FlowP: flow},
		"*Flow":              flow,
		"Flow":               *flow,
		"[]Flow":             []auth.Flow{*flow},
	}
	for name, v := range values {
		direct := name == "*Token" || name == "Token" || name == "*Flow" || name == "Flow"
		for how, s := range formatAll(v, direct) {
			assertNoSecret(t, name+" "+how, s, flow.State)
		}
	}
	// The redacted forms still say what is there.
	s := tok.String()
	assert.Contains(t, s, "access=redacted")
	assert.Contains(t, s, "refresh=redacted")
	assert.Contains(t, s, "provider=rdx")
	assert.Contains(t, (&auth.Token{}).String(), "access=none")
	assert.Contains(t, flow.String(), "pkce=true")
	var b bytes.Buffer
	slog.New(slog.NewJSONHandler(&b, nil)).Info("x", "tok", tok, "flow", flow)
	assert.Contains(t, b.String(), `"access":"redacted"`)
	assert.Contains(t, b.String(), `"pkce":true`)
}

// Every type that holds a secret prints its redacted description for any
// verb, quoted for %q like a string.
func TestRedactedFormatVerbs(t *testing.T) {
	p := stdProvider(t, auth.Config{Name: "rdx", ClientID: "rdx-client", ClientSecret: rdxSecret,
		Endpoint:  auth.Endpoint{AuthURL: "https://as.example.com/authorize", TokenURL: "https://as.example.com/token"},
		AuthStyle: auth.AuthStyleInHeader})
	src, err := auth.NewSource(p, auth.NewMemoryStore(), "rdx/u")
	require.NoError(t, err)
	m, err := auth.NewManager(p, auth.NewMemoryStore())
	require.NoError(t, err)
	tok := auth.Token{AccessToken: rdxAccess}
	flow := auth.Flow{Provider: "rdx", State: "s", Verifier: rdxVerifier}
	for _, v := range []any{p, src, m, &auth.Transport{Source: src}, tok, flow} {
		s := fmt.Sprintf("%v", v)
		assert.NotContains(t, s, rdxAccess)
		assert.NotContains(t, s, rdxVerifier)
		assert.Equal(t, s, fmt.Sprintf("%x", v), "every verb prints the description")
		assert.Equal(t, strconv.Quote(s), fmt.Sprintf("%q", v))
		assert.Equal(t, s, fmt.Sprintf("%#v", v), "%#v goes through Format too")
	}
	assert.Contains(t, fmt.Sprint(p), "client_id=rdx-client", "the provider names its client, not its secret")
}
