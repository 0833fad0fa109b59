package auth_test

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/internal/oauthsim"
)

// loopbackVisit parses an authorization URL as a browser would see it and
// returns the redirect URI and state the provider would send the user
// back with.
func loopbackVisit(t *testing.T, authURL string) (redirect, state string) {
	t.Helper()
	u, err := url.Parse(authURL)
	require.NoError(t, err)
	return u.Query().Get("redirect_uri"), u.Query().Get("state")
}

// lbGet fetches u without following redirects and returns status and body.
func lbGet(t *testing.T, method, u string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, u, nil)
	require.NoError(t, err)
	resp, err := http.DefaultTransport.RoundTrip(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestLoginLoopback(t *testing.T) {
	p := newExchangeRecorder(t, true)
	var redirect string
	tok, err := auth.LoginLoopback(context.Background(), p, auth.LoopbackOptions{Path: "/callback", Timeout: 10 * time.Second,
		Flow: auth.FlowOptions{Scopes: []string{"read"}},
		Open: func(authURL string) error {
			var state string
			redirect, state = loopbackVisit(t, authURL)
			assert.Contains(t, authURL, "code_challenge_method=S256")
			assert.Contains(t, authURL, "scope=read")
			base := strings.TrimSuffix(redirect, "/callback")

			// Stray requests first: none of them ends the login.
			st, _ := lbGet(t, "GET", base+"/favicon.ico")
			assert.Equal(t, http.StatusNotFound, st)
			st, _ = lbGet(t, "POST", redirect+"?code=c&state="+state)
			assert.Equal(t, http.StatusMethodNotAllowed, st)
			st, body := lbGet(t, "GET", redirect+"?code=forged&state=not-the-state")
			assert.Equal(t, http.StatusBadRequest, st)
			assert.NotContains(t, body, "not-the-state")
			st, _ = lbGet(t, "GET", redirect+"?error=access_denied")
			assert.Equal(t, http.StatusBadRequest, st, "an error without this login's state cannot abort it")

			// The real redirect.
			st, body = lbGet(t, "GET", redirect+"?code=c-1&state="+url.QueryEscape(state))
			assert.Equal(t, http.StatusOK, st)
			assert.Contains(t, body, "Login complete")

			// After completion nothing more is processed.
			st, _ = lbGet(t, "GET", redirect+"?code=c-2&state="+url.QueryEscape(state))
			assert.Equal(t, http.StatusGone, st)
			return nil
		}})
	require.NoError(t, err)
	assert.Equal(t, "access-for-c-1", tok.AccessToken)
	require.Equal(t, []string{"c-1"}, p.codes, "exactly one exchange")
	assert.Equal(t, redirect, p.params[0].Get("redirect_uri"))
	assert.NotEmpty(t, p.params[0].Get("code_verifier"))

	u, err := url.Parse(redirect)
	require.NoError(t, err)
	assert.Equal(t, "127.0.0.1", u.Hostname())
	assert.Equal(t, "/callback", u.Path)
	_, err = net.DialTimeout("tcp", u.Host, time.Second)
	assert.Error(t, err, "the listener is shut down")
}

// TestLoginLoopbackFixedPortLocalhost checks a TradeStation-style
// redirect: localhost, a fixed port, no path.
func TestLoginLoopbackFixedPortLocalhost(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := l.Addr().(*net.TCPAddr).Port
	require.NoError(t, l.Close())

	p := newExchangeRecorder(t, false)
	var redirect string
	_, err = auth.LoginLoopback(context.Background(), p, auth.LoopbackOptions{Host: "localhost", Port: port,
		Timeout: 10 * time.Second, // no Path: the redirect ends at the port
		Open: func(authURL string) error {
			var state string
			redirect, state = loopbackVisit(t, authURL)
			st, _ := lbGet(t, "GET", "http://localhost:"+strconv.Itoa(port)+"/other?state="+state)
			assert.Equal(t, http.StatusNotFound, st)
			st, _ = lbGet(t, "GET", "http://localhost:"+strconv.Itoa(port)+"/?code=c&state="+url.QueryEscape(state))
			assert.Equal(t, http.StatusOK, st)
			return nil
		}})
	require.NoError(t, err)
	assert.Equal(t, "http://localhost:"+strconv.Itoa(port), redirect)

	// The port is free again.
	l, err = net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
	require.NoError(t, err)
	require.NoError(t, l.Close())
}

// TestLoginLoopbackPrintsURL checks the default opener: the URL is written
// to the output, where the user (here a goroutine) reads it.
func TestLoginLoopbackPrintsURL(t *testing.T) {
	for _, withFailingOpener := range []bool{false, true} {
		pr, pw := io.Pipe()
		go func() {
			sc := bufio.NewScanner(pr)
			for sc.Scan() {
				line := strings.TrimSpace(sc.Text())
				if strings.HasPrefix(line, "https://") {
					redirect, state := loopbackVisit(t, line)
					_, _ = lbGet(t, "GET", redirect+"?code=printed&state="+url.QueryEscape(state))
				}
			}
		}()
		opts := auth.LoopbackOptions{Output: pw, Timeout: 10 * time.Second}
		if withFailingOpener {
			opts.Open = func(string) error { return errors.New("no display") }
		}
		p := newExchangeRecorder(t, true)
		tok, err := auth.LoginLoopback(context.Background(), p, opts)
		pw.Close()
		require.NoError(t, err)
		assert.Equal(t, "access-for-printed", tok.AccessToken)
	}
}

func TestLoginLoopbackAccessDenied(t *testing.T) {
	p := newExchangeRecorder(t, true)
	_, err := auth.LoginLoopback(context.Background(), p, auth.LoopbackOptions{Timeout: 10 * time.Second,
		Open: func(authURL string) error {
			redirect, state := loopbackVisit(t, authURL)
			st, body := lbGet(t, "GET", redirect+"?error=access_denied&error_description=%3Cb%3Eno%3C%2Fb%3E&state="+url.QueryEscape(state))
			assert.Equal(t, http.StatusForbidden, st)
			assert.NotContains(t, body, "<b>")
			return nil
		}})
	assert.ErrorIs(t, err, auth.ErrAccessDenied)
	assert.Zero(t, p.calls.Load())
}

func TestLoginLoopbackTimeoutAndCancel(t *testing.T) {
	p := newExchangeRecorder(t, true)
	start := time.Now()
	_, err := auth.LoginLoopback(context.Background(), p, auth.LoopbackOptions{Timeout: 150 * time.Millisecond,
		Open: func(string) error { return nil }})
	assert.ErrorIs(t, err, auth.ErrFlowExpired)
	assert.Less(t, time.Since(start), 5*time.Second)

	// A refused redirect is reported with the timeout.
	_, err = auth.LoginLoopback(context.Background(), p, auth.LoopbackOptions{Timeout: 300 * time.Millisecond,
		Open: func(authURL string) error {
			redirect, _ := loopbackVisit(t, authURL)
			lbGet(t, "GET", redirect+"?code=c&state=stale-tab")
			return nil
		}})
	assert.ErrorIs(t, err, auth.ErrFlowExpired)
	assert.ErrorIs(t, err, auth.ErrStateMismatch)

	ctx, cancel := context.WithCancel(context.Background())
	_, err = auth.LoginLoopback(ctx, p, auth.LoopbackOptions{Open: func(string) error { cancel(); return nil }})
	assert.ErrorIs(t, err, context.Canceled)
	assert.NotErrorIs(t, err, auth.ErrFlowExpired)
	assert.Zero(t, p.calls.Load())
}

func TestLoginLoopbackBadOptions(t *testing.T) {
	p := newExchangeRecorder(t, true)
	for name, opt := range map[string]auth.LoopbackOptions{
		"remote host":   {Host: "example.com"},
		"port":          {Port: 70000},
		"negative port": {Port: -1},
		"relative path": {Path: "callback"},
		"timeout":       {Timeout: -time.Second},
	} {
		_, err := auth.LoginLoopback(context.Background(), p, auth.LoopbackOptions{Open: func(string) error {
			t.Errorf("%s: opened a browser", name)
			return nil
		}}, opt)
		assert.Error(t, err, name)
	}

	// A port already taken is an error, not a hang.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	_, err = auth.LoginLoopback(context.Background(), p, auth.LoopbackOptions{Port: l.Addr().(*net.TCPAddr).Port,
		Open: func(string) error { return nil }})
	assert.Error(t, err)
}

// TestLoginLoopbackWithOAuthSim is the end-to-end CLI login: the oauthsim
// authorization server, a user who signs in and approves in the
// (simulated) browser, the loopback listener receiving the redirect on a
// random port, PKCE S256, and the token working afterwards.
func TestLoginLoopbackWithOAuthSim(t *testing.T) {
	as, err := oauthsim.NewServer(oauthsim.Config{
		Name: "Sim",
		// A loopback redirect registered without a port matches any port
		// (RFC 8252 7.3), as brokers with native-app support allow.
		Clients: []oauthsim.Client{{ID: "cli-app", RedirectURIs: []string{"http://127.0.0.1/callback"}}},
		Users:   []oauthsim.User{{ID: "u-7", Username: "trader", Password: "pw"}},
		PKCE:    oauthsim.PKCERequired,
		Refresh: oauthsim.RefreshPolicy{Mode: oauthsim.RefreshRotate},
	})
	require.NoError(t, err)
	defer as.Close()
	p, err := auth.NewStandard(auth.Config{Name: "sim", ClientID: "cli-app", Endpoint: as.Endpoint(),
		AuthStyle:    auth.AuthStylePublic,
		Capabilities: auth.Capabilities{PKCE: true, Refresh: true, RefreshRotates: true}, HTTPClient: as.Client()})
	require.NoError(t, err)

	ctx := context.Background()
	browser := as.Browser("trader", "pw")
	tok, err := auth.LoginLoopback(ctx, p, auth.LoopbackOptions{Path: "/callback", Timeout: 20 * time.Second,
		Open: func(authURL string) error {
			_, err := browser.LoginAndVisit(ctx, authURL)
			return err
		}})
	require.NoError(t, err)
	grant, err := as.Engine.ValidateToken(tok.AccessToken)
	require.NoError(t, err)
	assert.Equal(t, "u-7", grant.Subject)
	nt, err := p.Refresh(ctx, tok)
	require.NoError(t, err)
	assert.NotEqual(t, tok.RefreshToken, nt.RefreshToken)

	// Pressing Deny ends the CLI login with ErrAccessDenied.
	_, err = auth.LoginLoopback(ctx, p, auth.LoopbackOptions{Path: "/callback", Timeout: 20 * time.Second,
		Open: func(authURL string) error {
			_, err := browser.Declining().LoginAndVisit(ctx, authURL)
			assert.Error(t, err, "the browser is shown the 403 page")
			return nil
		}})
	assert.ErrorIs(t, err, auth.ErrAccessDenied)
}

// A zero options value keeps the defaults, and a later value overrides
// only the fields it sets, rather than panicking when the browser cannot
// be opened.
func TestLoginLoopbackZeroOptions(t *testing.T) {
	p := newExchangeRecorder(t, true)
	_, err := auth.LoginLoopback(context.Background(), p, auth.LoopbackOptions{}, auth.LoopbackOptions{Output: io.Discard,
		Timeout: 50 * time.Millisecond,
		Open:    func(string) error { return errors.New("no browser") }}, auth.LoopbackOptions{})
	assert.ErrorIs(t, err, auth.ErrFlowExpired)
}

// TestLoginLoopbackLocalhostAddressHeld: in "localhost" mode the browser
// may go to [::1] as well as 127.0.0.1. When another program holds the
// port on one of them, the login must not go ahead, or that program gets
// the code and the state; it fails before the browser is opened.
func TestLoginLoopbackLocalhostAddressHeld(t *testing.T) {
	// Hold [::1]:P where the machine has IPv6 loopback; otherwise hold
	// 127.0.0.1:P, which exercises the same refusal.
	held := "::1"
	hold, err := net.Listen("tcp", "[::1]:0")
	if err != nil {
		held = "127.0.0.1"
		hold, err = net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
	}
	defer hold.Close()
	port := hold.Addr().(*net.TCPAddr).Port
	// The other address must be free, or the first bind fails anyway.
	if held == "::1" {
		l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
		if err != nil {
			t.Fatalf("127.0.0.1:%d is taken too; cannot set the test up: %v", port, err)
		}
		require.NoError(t, l.Close())
	}

	p := newExchangeRecorder(t, true)
	start := time.Now()
	_, err = auth.LoginLoopback(context.Background(), p, auth.LoopbackOptions{Host: "localhost", Port: port,
		Timeout: 2 * time.Second, Output: io.Discard,
		Open: func(string) error {
			t.Errorf("the browser was sent to a redirect whose [%s]:%d another program holds", held, port)
			return nil
		}})
	require.Error(t, err)
	assert.NotErrorIs(t, err, auth.ErrFlowExpired, "it fails at once instead of waiting")
	assert.ErrorIs(t, err, syscall.EADDRINUSE)
	assert.Less(t, time.Since(start), time.Second)
}

// TestLoginLoopbackHostHeader: a request that reaches the listener under
// another Host than the redirect's (a DNS-rebinding page, a proxy) is
// refused without ending the login.
func TestLoginLoopbackHostHeader(t *testing.T) {
	p := newExchangeRecorder(t, true)
	tok, err := auth.LoginLoopback(context.Background(), p, auth.LoopbackOptions{Timeout: 10 * time.Second,
		Open: func(authURL string) error {
			redirect, state := loopbackVisit(t, authURL)
			u, err := url.Parse(redirect)
			require.NoError(t, err)
			for _, host := range []string{"evil.example:" + u.Port(), "localhost:" + u.Port(), "127.0.0.1", "127.0.0.1:1"} {
				req, err := http.NewRequest(http.MethodGet, redirect+"?code=rebound&state="+url.QueryEscape(state), nil)
				require.NoError(t, err)
				req.Host = host
				resp, err := http.DefaultTransport.RoundTrip(req)
				require.NoError(t, err)
				resp.Body.Close()
				assert.Equal(t, http.StatusBadRequest, resp.StatusCode, host)
			}
			st, _ := lbGet(t, "GET", redirect+"?code=real&state="+url.QueryEscape(state))
			assert.Equal(t, http.StatusOK, st)
			return nil
		}})
	require.NoError(t, err)
	assert.Equal(t, "access-for-real", tok.AccessToken)
	assert.Equal(t, []string{"real"}, p.codes)
}

// TestLoginLoopbackWithoutState: a provider that opted in to stateless
// callbacks can finish a loopback login whose redirect has no state; a
// wrong state is still refused.
func TestLoginLoopbackWithoutState(t *testing.T) {
	p := newExchangeRecorder(t, true)
	p.caps.AllowMissingState = true
	tok, err := auth.LoginLoopback(context.Background(), p, auth.LoopbackOptions{Timeout: 10 * time.Second,
		Open: func(authURL string) error {
			redirect, _ := loopbackVisit(t, authURL)
			st, _ := lbGet(t, "GET", redirect+"?code=c&state=wrong")
			assert.Equal(t, http.StatusBadRequest, st)
			st, _ = lbGet(t, "GET", redirect+"?error=access_denied")
			assert.Equal(t, http.StatusBadRequest, st, "an error without state cannot end the login")
			st, _ = lbGet(t, "GET", redirect+"?code=stateless")
			assert.Equal(t, http.StatusOK, st)
			return nil
		}})
	require.NoError(t, err)
	assert.Equal(t, "access-for-stateless", tok.AccessToken)
}
