package auth_test

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
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/brokerkit/brokerkit/auth"
)

// The secrets a hostile or careless token endpoint echoes back. Each holds
// characters that change under URL and JSON encoding, so that every
// encoding of it is exercised.
const (
	echoSecret   = "echo-CLIENT/secret+9f=8e"
	echoCode     = "echo-CODE/4d+3c=2b<1a>"
	echoVerifier = "echo-VERIFIER-0123456789abcdef0123456789abcdef0123/+="
	echoRefresh  = "echo-REFRESH/7a+6b=5c&4d"
	echoAccess   = "echo-ACCESS/1f+2e=3d"
)

var echoSecrets = []string{echoSecret, echoCode, echoVerifier, echoRefresh, echoAccess}

// echoServer is a token endpoint that refuses every request, quoting back
// everything it received: the raw and decoded query, the raw and decoded
// body, the Authorization header raw and Basic-decoded, with CR and LF in
// between, in the answer shape chosen by shape.
type echoServer struct {
	*httptest.Server
	mu    sync.Mutex
	shape string
}

func newEchoServer(t *testing.T) *echoServer {
	es := &echoServer{}
	es.Server = httptest.NewServer(http.HandlerFunc(es.serve))
	t.Cleanup(es.Close)
	return es
}

func (es *echoServer) setShape(s string) {
	es.mu.Lock()
	es.shape = s
	es.mu.Unlock()
}

func (es *echoServer) serve(w http.ResponseWriter, r *http.Request) {
	es.mu.Lock()
	shape := es.shape
	es.mu.Unlock()
	raw, _ := io.ReadAll(r.Body)
	var parts []string
	add := func(s string) { parts = append(parts, s) }
	add("query " + r.URL.RawQuery)
	for k, vs := range r.URL.Query() {
		add(k + "=" + strings.Join(vs, ","))
	}
	add("body " + string(raw))
	if form, err := url.ParseQuery(string(raw)); err == nil {
		for k, vs := range form {
			add(k + "=" + strings.Join(vs, ","))
		}
	}
	var obj map[string]string
	if json.Unmarshal(raw, &obj) == nil {
		for k, v := range obj {
			add(k + "=" + v)
		}
	}
	if h := r.Header.Get("Authorization"); h != "" {
		add("authorization " + h)
		if u, p, ok := r.BasicAuth(); ok {
			add("basic " + u + ":" + p)
			uu, _ := url.QueryUnescape(u)
			pp, _ := url.QueryUnescape(p)
			add("basic decoded " + uu + ":" + pp)
		}
	}
	echo := strings.Join(parts, "\r\n") + "\r\nX-Injected: yes\n"
	writeJSON := func(status int, v any) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(v)
	}
	switch shape {
	case "oauth400":
		writeJSON(400, map[string]string{"error": "invalid_grant", "error_description": echo,
			"error_uri": "https://as.example/err?" + echo})
	case "code-echo":
		// The echo in the error code itself.
		writeJSON(400, map[string]string{"error": echo})
	case "http200":
		writeJSON(200, map[string]string{"errorCode": "ACCESS_DENIED", "description": echo})
	case "ratelimit":
		w.Header().Set("Retry-After", "3")
		writeJSON(429, map[string]string{"error": "slow_down", "error_description": echo})
	case "ratelimit-text":
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(429)
		_, _ = io.WriteString(w, echo)
	case "message500":
		writeJSON(500, map[string]string{"message": echo})
	case "html502":
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(502)
		_, _ = io.WriteString(w, "<html><body>"+echo+"</body></html>")
	case "form400":
		w.Header().Set("Content-Type", "application/x-www-form-urlencoded")
		w.WriteHeader(400)
		_, _ = io.WriteString(w, url.Values{"error": {"invalid_request"}, "error_description": {echo}}.Encode())
	default:
		panic("unknown shape " + shape)
	}
}

var echoShapes = []string{"oauth400", "code-echo", "http200", "ratelimit", "ratelimit-text", "message500", "html502", "form400"}

// renderings returns every way an application might print or log err, and
// the server-supplied fields of the typed errors read directly.
func renderings(err error) map[string]string {
	out := map[string]string{
		"Error()": err.Error(),
		"%v":      fmt.Sprintf("%v", err),
		"%+v":     fmt.Sprintf("%+v", err),
		"%#v":     fmt.Sprintf("%#v", err),
		"%s":      fmt.Sprintf("%s", err),
		"%q":      fmt.Sprintf("%q", err),
	}
	var jb, tb bytes.Buffer
	slog.New(slog.NewJSONHandler(&jb, nil)).Error("token request failed", "err", err)
	slog.New(slog.NewTextHandler(&tb, nil)).Error("token request failed", "err", err)
	out["slog JSON"], out["slog text"] = jb.String(), tb.String()
	if b, jerr := json.Marshal(err); jerr == nil {
		out["json.Marshal"] = string(b)
	}
	var oe *auth.OAuthError
	if errors.As(err, &oe) {
		out["OAuthError fields"] = oe.Code + "|" + oe.Description + "|" + oe.URI
		b, _ := json.Marshal(oe)
		out["json.Marshal OAuthError"] = string(b)
		out["%+v OAuthError"] = fmt.Sprintf("%+v", *oe)
	}
	var he *auth.HTTPError
	if errors.As(err, &he) {
		out["HTTPError fields"] = he.Message + "|" + string(he.Body)
		b, _ := json.Marshal(he)
		out["json.Marshal HTTPError"] = string(b)
		out["%+v HTTPError"] = fmt.Sprintf("%+v", *he)
	}
	var re *auth.RateLimitError
	if errors.As(err, &re) {
		out["RateLimitError fields"] = re.Message
		b, _ := json.Marshal(re)
		out["json.Marshal RateLimitError"] = string(b)
	}
	return out
}

// leakForms are the encodings of a secret that would give it away.
func leakForms(sec string) []string {
	j, _ := json.Marshal(sec)
	forms := []string{sec, url.QueryEscape(sec), url.PathEscape(sec), strings.Trim(string(j), `"`),
		base64.StdEncoding.EncodeToString([]byte(sec))}
	// A fragment long enough to identify the secret.
	if len(sec) > 16 {
		forms = append(forms, sec[:16])
	}
	return forms
}

// TestServerTextEchoLeaksNoSecret: a token endpoint that quotes back
// everything it was sent, for every grant, every request style and every
// answer shape, and every way of rendering the error: no secret survives,
// no CR or LF reaches the error text, and the text is bounded.
func TestServerTextEchoLeaksNoSecret(t *testing.T) {
	es := newEchoServer(t)
	ctx := t.Context()
	type style struct {
		name   string
		method string
		as     auth.AuthStyle
		revoke auth.RevokeStyle
	}
	styles := []style{
		{"post-params", http.MethodPost, auth.AuthStyleInParams, auth.RevokeForm},
		{"post-header", http.MethodPost, auth.AuthStyleInHeader, auth.RevokeForm},
		{"get-params", http.MethodGet, auth.AuthStyleInParams, auth.RevokeJSON},
		{"get-header", http.MethodGet, auth.AuthStyleInHeader, auth.RevokeJSON},
		{"post-public", http.MethodPost, auth.AuthStylePublic, auth.RevokeJSON},
	}
	grants := map[string]func(p *auth.Standard) error{
		"authorization_code": func(p *auth.Standard) error {
			_, err := p.Exchange(ctx, echoCode, auth.SetParam("code_verifier", echoVerifier))
			return err
		},
		"refresh_token": func(p *auth.Standard) error {
			_, err := p.Refresh(ctx, &auth.Token{AccessToken: echoAccess, RefreshToken: echoRefresh})
			return err
		},
		"client_credentials": func(p *auth.Standard) error {
			_, err := p.ClientCredentials(ctx, "read")
			return err
		},
		"revoke refresh": func(p *auth.Standard) error {
			return p.Revoke(ctx, &auth.Token{AccessToken: echoAccess, RefreshToken: echoRefresh})
		},
		"revoke access": func(p *auth.Standard) error {
			return p.Revoke(ctx, &auth.Token{AccessToken: echoAccess})
		},
	}
	checked := 0
	for _, st := range styles {
		cfg := auth.Config{
			Name: "echo", ClientID: "echo-client", RedirectURL: "http://127.0.0.1:31022/cb",
			Endpoint: auth.Endpoint{AuthURL: es.URL + "/authorize", TokenURL: es.URL + "/token",
				RevokeURL: es.URL + "/revoke"},
			AuthStyle: st.as, TokenMethod: st.method, RevokeStyle: st.revoke,
			Capabilities: auth.Capabilities{PKCE: true, Refresh: true, ClientCredentials: true},
		}
		if st.as != auth.AuthStylePublic {
			cfg.ClientSecret = echoSecret
		}
		p := stdProvider(t, cfg)
		for gname, grant := range grants {
			for _, shape := range echoShapes {
				es.setShape(shape)
				err := grant(p)
				if shape == "http200" && strings.HasPrefix(gname, "revoke") {
					require.NoError(t, err, "a revocation answered 2xx succeeded")
					continue
				}
				require.Error(t, err, "%s %s %s", st.name, gname, shape)
				for how, s := range renderings(err) {
					checked++
					where := st.name + " " + gname + " " + shape + " " + how
					for _, sec := range echoSecrets {
						for _, form := range leakForms(sec) {
							if strings.Contains(s, form) {
								t.Errorf("%s leaks %q: %s", where, form, s)
							}
						}
					}
					if how == "Error()" {
						assert.NotContains(t, s, "\n", where)
						assert.NotContains(t, s, "\r", where)
						assert.LessOrEqual(t, len(s), 3*1024, where)
					}
				}
			}
		}
	}
	t.Logf("%d renderings checked", checked)
}

// TestServerTextCleanedInFields: the text fields of the typed errors are
// cleaned where the error is built, so an application printing
// e.Description itself is safe too.
func TestServerTextCleanedInFields(t *testing.T) {
	es := newEchoServer(t)
	p := stdProvider(t, auth.Config{
		Name: "echo", ClientID: "echo-client", ClientSecret: echoSecret,
		Endpoint:  auth.Endpoint{AuthURL: es.URL + "/authorize", TokenURL: es.URL + "/token"},
		AuthStyle: auth.AuthStyleInParams, TokenMethod: http.MethodGet,
		Capabilities: auth.Capabilities{Refresh: true},
	})
	es.setShape("oauth400")
	_, err := p.Refresh(t.Context(), &auth.Token{RefreshToken: echoRefresh})
	var oe *auth.OAuthError
	require.ErrorAs(t, err, &oe)
	require.ErrorIs(t, err, auth.ErrReauthRequired)
	assert.Contains(t, oe.Description, "[redacted]")
	assert.NotContains(t, oe.Description, echoRefresh)
	assert.NotContains(t, oe.Description, echoSecret)
	assert.NotContains(t, oe.Description, "\n")
	assert.Contains(t, oe.Description, "grant_type=refresh_token", "the rest of the text is kept")

	es.setShape("ratelimit")
	_, err = p.Refresh(t.Context(), &auth.Token{RefreshToken: echoRefresh})
	var rl *auth.RateLimitError
	require.ErrorAs(t, err, &rl)
	assert.Equal(t, 3*time.Second, rl.RetryAfter)
	assert.NotContains(t, rl.Message, echoRefresh)
	assert.NotContains(t, rl.Message, url.QueryEscape(echoSecret))

	es.setShape("html502")
	_, err = p.Refresh(t.Context(), &auth.Token{RefreshToken: echoRefresh})
	var he *auth.HTTPError
	require.ErrorAs(t, err, &he)
	assert.NotContains(t, string(he.Body), url.QueryEscape(echoRefresh))
	assert.NotContains(t, string(he.Body), echoRefresh)
	assert.LessOrEqual(t, len(he.Body), 512)
}

// TestDecodeTokenResponseUsesTheRequest: a caller that decodes a token
// answer itself gets the secrets its request carried removed too, read
// from resp.Request.
func TestDecodeTokenResponseUsesTheRequest(t *testing.T) {
	es := newEchoServer(t)
	es.setShape("oauth400")
	form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {echoRefresh}, "client_secret": {echoSecret}}
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, es.URL+"/token", strings.NewReader(form.Encode()))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := es.Client().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	_, err = auth.DecodeTokenResponse("echo", resp, time.Now(), nil)
	require.Error(t, err)
	for how, s := range renderings(err) {
		for _, sec := range []string{echoRefresh, echoSecret} {
			for _, f := range leakForms(sec) {
				assert.NotContains(t, s, f, how)
			}
		}
	}
}

// TestCheckResponseLeavesOutTheBearerToken: a resource server whose
// challenge and body quote the Authorization header it received.
func TestCheckResponseLeavesOutTheBearerToken(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got := r.Header.Get("Authorization")
		status := http.StatusUnauthorized
		if r.URL.Path == "/scope" {
			status = http.StatusForbidden
			w.Header().Set("WWW-Authenticate", `Bearer error="insufficient_scope", scope="trade `+echoAccess+`", error_description="you sent `+got+`"`)
		} else if r.URL.Path == "/challenge" {
			w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token", error_description="bad token `+got+`", error_uri="https://x/?t=`+url.QueryEscape(echoAccess)+`"`)
		}
		w.WriteHeader(status)
		_, _ = io.WriteString(w, "you sent "+got+" "+url.QueryEscape(echoAccess))
	}))
	defer srv.Close()
	for _, path := range []string{"/challenge", "/scope", "/plain"} {
		req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL+path, nil)
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+echoAccess)
		resp, err := srv.Client().Do(req)
		require.NoError(t, err)
		err = auth.CheckResponse(resp)
		resp.Body.Close()
		require.Error(t, err)
		r := renderings(err)
		var se *auth.OAuthError
		if errors.As(err, &se) {
			r["insufficient scope fields"] = se.Description + strings.Join(se.Scope, " ")
		}
		for how, s := range r {
			for _, f := range leakForms(echoAccess) {
				assert.NotContains(t, s, f, path+" "+how)
			}
		}
	}
}
