package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/just2trade/just2tradetest"
)

// startAppEnv starts the app against the emulators with extra settings.
func startAppEnv(t *testing.T, env map[string]string) (*server, *syncBuffer) {
	t.Helper()
	out := &syncBuffer{}
	s, err := start(out, func(k string) string {
		if k == "BROKERKIT_WEBAPP_ADDR" {
			return "127.0.0.1:0"
		}
		return env[k]
	})
	require.NoError(t, err)
	t.Cleanup(s.Close)
	return s, out
}

func post(t *testing.T, c *http.Client, u string, form url.Values, header http.Header) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := c.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, string(b)
}

var csrfField = regexp.MustCompile(`<input type="hidden" name="csrf" value="([^"]+)">`)

// plant puts the cookies of one visitor into another's jar, as an attacker
// who can set cookies for the app's host (a sibling subdomain, a plain-HTTP
// response on the path) does.
func plant(t *testing.T, s *server, from, to *http.Client) {
	t.Helper()
	u, err := url.Parse(s.URL)
	require.NoError(t, err)
	to.Jar.SetCookies(u, from.Jar.Cookies(u))
}

// A session cookie planted in the victim's browser must not give its
// planter the broker the victim links: the app moves the victim to a new
// session ID when a broker is linked.
func TestLinkRotatesTheSession(t *testing.T) {
	s, _ := startApp(t)
	attacker, victim := visitor(t), visitor(t)
	beginLogin(t, s, attacker, "just2trade") // any page that hands out a signed cookie
	planted := sessionCookie(t, s, attacker).Value
	plant(t, s, attacker, victim)

	link(t, s, victim, "just2trade")
	assert.NotEqual(t, planted, sessionCookie(t, s, victim).Value, "a new session ID after the link")
	_, body := get(t, victim, s.URL+"/")
	assert.Contains(t, body, just2tradetest.PrimaryAccount, "the victim sees the linked broker")

	_, body = get(t, attacker, s.URL+"/")
	assert.NotContains(t, body, just2tradetest.PrimaryAccount, "the planted session shows nothing of the victim's")
	assert.Contains(t, body, "Link your just2trade account")

	// Linking a second broker keeps the first.
	link(t, s, victim, "tradestation")
	_, body = get(t, victim, s.URL+"/")
	assert.Contains(t, body, just2tradetest.PrimaryAccount)
	assert.Contains(t, body, "11827461")
}

// Logout is a POST that needs the session's CSRF token and refuses
// cross-origin requests; SameSite alone does not protect it (another port
// of the same host is the same site).
func TestLogoutNeedsItsCSRFToken(t *testing.T) {
	s, _ := startApp(t)
	c := visitor(t)
	link(t, s, c, "just2trade")
	logout := s.URL + "/logout/" + "just2trade"
	stillLinked := func(why string) {
		t.Helper()
		_, body := get(t, c, s.URL+"/")
		assert.Contains(t, body, just2tradetest.PrimaryAccount, why)
	}

	resp, _ := post(t, c, logout, nil, nil)
	assert.Equal(t, http.StatusForbidden, resp.StatusCode, "no token")
	stillLinked("no token")
	resp, _ = post(t, c, logout, url.Values{"csrf": {"AAAA"}}, nil)
	assert.Equal(t, http.StatusForbidden, resp.StatusCode, "wrong token")
	stillLinked("wrong token")

	_, body := get(t, c, s.URL+"/")
	m := csrfField.FindStringSubmatch(body)
	require.NotNil(t, m, "the logout form carries a token")
	token := m[1]

	// Another visitor's token does not work in this session.
	other := visitor(t)
	link(t, s, other, "tradestation")
	_, otherBody := get(t, other, s.URL+"/")
	om := csrfField.FindStringSubmatch(otherBody)
	require.NotNil(t, om)
	assert.NotEqual(t, token, om[1])
	resp, _ = post(t, c, logout, url.Values{"csrf": {om[1]}}, nil)
	assert.Equal(t, http.StatusForbidden, resp.StatusCode, "another session's token")
	stillLinked("another session's token")

	// The right token from another origin is refused too.
	for name, h := range map[string]http.Header{
		"Origin":         {"Origin": {"http://127.0.0.1:1"}},
		"Sec-Fetch-Site": {"Sec-Fetch-Site": {"same-site"}},
	} {
		resp, _ = post(t, c, logout, url.Values{"csrf": {token}}, h)
		assert.Equal(t, http.StatusForbidden, resp.StatusCode, name)
		stillLinked(name)
	}

	resp, _ = post(t, c, logout, url.Values{"csrf": {token}}, http.Header{"Origin": {s.URL}})
	assert.Equal(t, http.StatusSeeOther, resp.StatusCode)
	_, body = get(t, c, s.URL+"/")
	assert.NotContains(t, body, just2tradetest.PrimaryAccount)
	assert.Contains(t, body, "Link your just2trade account")
}

// Behind a proxy that terminates TLS the app sees plain HTTP; the switch
// makes its cookies Secure all the same.
func TestSecureCookieSwitch(t *testing.T) {
	s, _ := startAppEnv(t, map[string]string{"BROKERKIT_WEBAPP_SECURE_COOKIES": "true"})
	resp, _ := get(t, visitor(t), s.URL+"/login/"+"just2trade")
	require.Equal(t, http.StatusFound, resp.StatusCode)
	cks := resp.Cookies()
	require.Len(t, cks, 1)
	assert.True(t, cks[0].Secure, "Secure")
	assert.True(t, cks[0].HttpOnly)
	assert.Equal(t, "__Host-"+cookieName, cks[0].Name, "a __Host- cookie cannot be set by a sibling subdomain")
	assert.Equal(t, "/", cks[0].Path)
	assert.Empty(t, cks[0].Domain)
	assert.Contains(t, resp.Header.Get("Strict-Transport-Security"), "max-age=")

	_, err := start(io.Discard, func(k string) string {
		return map[string]string{"BROKERKIT_WEBAPP_ADDR": "127.0.0.1:0", "BROKERKIT_WEBAPP_SECURE_COOKIES": "maybe"}[k]
	})
	assert.ErrorContains(t, err, "BROKERKIT_WEBAPP_SECURE_COOKIES")

	// Without the switch, plain HTTP keeps plain cookies.
	s2, _ := startApp(t)
	resp, _ = get(t, visitor(t), s2.URL+"/login/"+"just2trade")
	require.Len(t, resp.Cookies(), 1)
	assert.False(t, resp.Cookies()[0].Secure)
	assert.Equal(t, cookieName, resp.Cookies()[0].Name)
}

// A flood of cookieless requests costs each new session O(1), and the
// number of sessions kept is capped. Before, each new session scanned all
// the others: the 40,000th cost milliseconds.
func TestSessionCreationIsConstantTimeAndCapped(t *testing.T) {
	ss := newSessions(make([]byte, 32))
	const n = 55_000 // more than the cap on sessions without a linked broker (50,000)
	req := httptest.NewRequest(http.MethodGet, "/login/x", nil)
	batch := func() time.Duration {
		t0 := time.Now()
		for range 1000 {
			_, err := ss.start(httptest.NewRecorder(), req)
			require.NoError(t, err)
		}
		return time.Since(t0)
	}
	// The fastest of a few batches, at the start and at the end, so that
	// a busy machine does not decide the outcome.
	first := min(batch(), batch(), batch())
	deadline := time.Now().Add(60 * time.Second)
	for i := 3000; i < n-3000; i += 1000 {
		batch()
		require.True(t, time.Now().Before(deadline), "creating %d sessions took over a minute", i)
	}
	last := min(batch(), batch(), batch())
	t.Logf("1000 sessions: %v at the start, %v at the end", first, last)
	assert.Less(t, last, 20*first+200*time.Millisecond, "creating a session does not grow with the number of sessions")
	ss.mu.Lock()
	kept := len(ss.byID)
	ss.mu.Unlock()
	assert.LessOrEqual(t, kept, 50_000, "sessions are capped")
	assert.Greater(t, kept, 1000)
}

// A visitor without a cookie reading the dashboard gets no session: only
// a login needs one.
func TestDashboardStartsNoSession(t *testing.T) {
	s, _ := startApp(t)
	resp, body := get(t, visitor(t), s.URL+"/")
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, body, "Link your just2trade account")
	assert.Empty(t, resp.Cookies())
}

// A forged callback (any error= or a wrong state) and a second login must
// leave the pending login of the real user alone.
func TestForgedCallbackAndSecondLoginKeepThePendingLogin(t *testing.T) {
	s, _ := startApp(t)
	c := visitor(t)
	authURL := beginLogin(t, s, c, "just2trade")
	cb := consent(t, browserFor(s, "just2trade"), authURL)
	state := mustQuery(t, cb).Get("state")
	require.NotEmpty(t, state)

	base := s.URL + "/callback/" + "just2trade"
	for _, forged := range []string{
		"?error=access_denied",
		"?error=server_error&error_description=pwned",
		"?error=access_denied&state=forged",
		"?code=attacker-code&state=forged",
		"?state=" + url.QueryEscape(state[:len(state)-2]),
		"",
	} {
		resp, body := get(t, c, base+forged)
		assert.Equal(t, http.StatusBadRequest, resp.StatusCode, forged)
		assert.NotContains(t, body, "pwned")
	}
	// A second login (a link on another site can start one) begins its
	// own flow beside the first.
	second := beginLogin(t, s, c, "just2trade")
	assert.NotEqual(t, mustQuery(t, authURL).Get("state"), mustQuery(t, second).Get("state"))

	resp, body := get(t, c, cb)
	require.Equal(t, http.StatusFound, resp.StatusCode, "the real callback still completes: %s", body)
	_, body = get(t, c, s.URL+"/")
	assert.Contains(t, body, just2tradetest.PrimaryAccount)

	// Replaying it is refused.
	resp, _ = get(t, c, cb)
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
}

func mustQuery(t *testing.T, raw string) url.Values {
	t.Helper()
	u, err := url.Parse(raw)
	require.NoError(t, err)
	return u.Query()
}

// Every page carries a CSP that forbids framing, a Referrer-Policy and
// nosniff.
func TestSecurityHeaders(t *testing.T) {
	s, _ := startApp(t)
	c := visitor(t)
	link(t, s, c, "just2trade")
	pages := map[string]*http.Response{}
	pages["dashboard"], _ = get(t, c, s.URL+"/")
	pages["login"], _ = get(t, c, s.URL+"/login/"+"tradestation")
	pages["callback"], _ = get(t, c, s.URL+"/callback/"+"tradestation"+"?error=access_denied")
	pages["logout"], _ = post(t, c, s.URL+"/logout/"+"just2trade", nil, nil)
	pages["not found"], _ = get(t, c, s.URL+"/nope")
	for name, resp := range pages {
		csp := resp.Header.Get("Content-Security-Policy")
		assert.Contains(t, csp, "default-src 'none'", name)
		assert.Contains(t, csp, "frame-ancestors 'none'", name)
		assert.Contains(t, csp, "form-action 'self'", name)
		assert.NotContains(t, csp, "unsafe-inline'", name)
		assert.Equal(t, "DENY", resp.Header.Get("X-Frame-Options"), name)
		// same-origin keeps the app's URLs from other sites and lets the
		// browser send Origin on the app's own forms; the callback, whose
		// URL holds the code, sends none at all.
		assert.Contains(t, []string{"same-origin", "no-referrer"}, resp.Header.Get("Referrer-Policy"), name)
		assert.Equal(t, "nosniff", resp.Header.Get("X-Content-Type-Options"), name)
	}
}

// A broker that fails is logged on the server; the user reads a clear
// message, not the error's text, and is not told to log in again when the
// login is fine.
func TestBrokerFailureIsLoggedAndExplained(t *testing.T) {
	s, logs := startApp(t)
	c := visitor(t)
	link(t, s, c, "just2trade")
	s.emulators["just2trade"].Faults().Next("*", just2tradetest.Fault{Status: http.StatusInternalServerError,
		Body: `{"error":"db node 10.1.2.3 down"}`, ContentType: "application/json"}, 0)
	defer s.emulators["just2trade"].Faults().Clear()

	_, body := get(t, c, s.URL+"/")
	section := brokerSection(t, body, "just2trade")
	assert.Contains(t, section, "just2trade is not answering as expected right now. Try again in a few minutes.")
	assert.NotContains(t, section, "Log in again")
	assert.NotContains(t, section, "10.1.2.3")
	assert.NotContains(t, section, "500")
	assert.NotContains(t, section, "127.0.0.1")
	assert.Regexp(t, `level=WARN msg="read broker" broker=just2trade .*err=`, logs.String())

	// A login the broker no longer accepts does ask for a new one.
	s.emulators["just2trade"].Faults().Clear()
	s.emulators["just2trade"].Faults().Next("*", just2tradetest.Fault{InvalidateToken: true}, 0)
	_, body = get(t, c, s.URL+"/")
	section = brokerSection(t, body, "just2trade")
	assert.Contains(t, section, `<a href="/login/just2trade">Log in again</a>`)
}

func brokerSection(t *testing.T, body, broker string) string {
	t.Helper()
	i := strings.Index(body, `<section id="broker-`+broker+`">`)
	require.GreaterOrEqual(t, i, 0, body)
	section := body[i:]
	return section[:strings.Index(section, "</section>")]
}

// A declined consent says so and links back to the dashboard.
func TestDeclinedConsentLinksBack(t *testing.T) {
	s, logs := startApp(t)
	c := visitor(t)
	authURL := beginLogin(t, s, c, "just2trade")
	em := s.emulators["just2trade"]
	b := em.Browser(em.User()).Declining()
	cb := consent(t, b, authURL)
	require.Contains(t, cb, "error=access_denied")
	resp, body := get(t, c, cb)
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)
	assert.Contains(t, body, "You declined")
	assert.Contains(t, body, `<a href="/" id="back">Back to your brokers</a>`)
	assert.Contains(t, logs.String(), "callback refused")

	// The declined flow is spent.
	resp, _ = get(t, c, cb)
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
}

// A linked session that ends (idle too long, or pushed out by the cap)
// lets go of its user's tokens; the pending logins survive a rotation.
func TestEndedSessionDropsItsTokens(t *testing.T) {
	ss := newSessions(make([]byte, 32))
	now := time.Now()
	ss.now = func() time.Time { return now }
	var ended []string
	ss.ended = func(user string) { ended = append(ended, user) }
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	withCookie := func(rec *httptest.ResponseRecorder) *http.Request {
		r := req.Clone(req.Context())
		for _, c := range rec.Result().Cookies() {
			r.AddCookie(c)
		}
		return r
	}

	rec := httptest.NewRecorder()
	s, err := ss.start(rec, req)
	require.NoError(t, err)
	s.putFlow("b", &auth.Flow{State: "st", Expires: now.Add(time.Minute)}, now)
	rec2 := httptest.NewRecorder()
	s2, err := ss.rotate(rec2, req, s)
	require.NoError(t, err)
	assert.Equal(t, s.user, s2.user)
	assert.NotEqual(t, s.id, s2.id)
	assert.NotEqual(t, s.csrf, s2.csrf)
	old, err := ss.lookup(withCookie(rec))
	require.NoError(t, err)
	assert.Nil(t, old, "the old ID has ended")
	assert.NotNil(t, s2.takeFlow("b", "st"), "pending logins move along")

	// Two callbacks that finish together rotate the same session twice:
	// the user then has two sessions, and keeps the tokens until both end.
	rec3 := httptest.NewRecorder()
	s3, err := ss.rotate(rec3, req, s)
	require.NoError(t, err)
	assert.Equal(t, s.user, s3.user)

	now = now.Add(pendingTTL + time.Minute) // a linked session outlives a pending one
	got, err := ss.lookup(withCookie(rec2))
	require.NoError(t, err)
	require.NotNil(t, got)
	assert.Empty(t, ended)
	now = now.Add(sessionTTL - time.Hour)
	got, err = ss.lookup(withCookie(rec3))
	require.NoError(t, err)
	require.NotNil(t, got)
	now = now.Add(2 * time.Hour)
	got, err = ss.lookup(withCookie(rec2))
	require.NoError(t, err)
	assert.Nil(t, got, "s2 idled out")
	assert.Empty(t, ended, "s3 still holds the user")
	now = now.Add(sessionTTL + time.Minute)
	got, err = ss.lookup(withCookie(rec3))
	require.NoError(t, err)
	assert.Nil(t, got)
	assert.Equal(t, []string{s.user}, ended)
	assert.Empty(t, ss.users)
}
