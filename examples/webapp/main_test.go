package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"io"
	"maps"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/autoshares"
	"github.com/brokerkit/brokerkit/autoshares/autosharestest"
	"github.com/brokerkit/brokerkit/internal/exampletest"
	"github.com/brokerkit/brokerkit/just2trade/just2tradetest"
	"github.com/brokerkit/brokerkit/providers"
	"github.com/brokerkit/brokerkit/providers/providerstest"
	"github.com/brokerkit/brokerkit/spotware/spotwaretest"
)

// syncBuffer is the app's log output, written from handler goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startApp starts the app against the emulators on a free port.
func startApp(t *testing.T) (*server, *syncBuffer) {
	t.Helper()
	out := &syncBuffer{}
	s, err := start(out, func(k string) string {
		if k == "BROKERKIT_WEBAPP_ADDR" {
			return "127.0.0.1:0"
		}
		return ""
	})
	require.NoError(t, err)
	t.Cleanup(s.Close)
	require.NotNil(t, s.emulators)
	return s, out
}

// visitor is a browser with a cookie jar that does not follow redirects,
// so that each step can be checked.
func visitor(t *testing.T) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	return &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func get(t *testing.T, c *http.Client, u string) (*http.Response, string) {
	t.Helper()
	resp, err := c.Get(u)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, string(b)
}

// loginBrowser is an emulator's browser: it signs in on the consent page
// as the seeded user, approves, and returns the URL the broker redirects
// back to (not yet visited).
type loginBrowser interface {
	Login(ctx context.Context, authURL string) (string, error)
}

// browserFor returns the browser of the app's emulator of broker.
func browserFor(s *server, broker string) loginBrowser {
	em := s.emulators[broker]
	return em.Browser(em.User())
}

// consent plays the user at the broker's consent page.
func consent(t *testing.T, b loginBrowser, authURL string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cb, err := b.Login(ctx, authURL)
	require.NoError(t, err)
	return cb
}

// beginLogin asks the app to log in to broker and returns the broker's
// authorization URL it redirects to.
func beginLogin(t *testing.T, s *server, c *http.Client, broker string) string {
	t.Helper()
	resp, _ := get(t, c, s.URL+"/login/"+broker)
	require.Equal(t, http.StatusFound, resp.StatusCode, broker)
	return resp.Header.Get("Location")
}

// link runs a whole login: the app's login path, the broker's consent,
// the app's callback.
func link(t *testing.T, s *server, c *http.Client, broker string) {
	t.Helper()
	linkWith(t, s, c, broker, browserFor(s, broker))
}

func linkWith(t *testing.T, s *server, c *http.Client, broker string, b loginBrowser) {
	t.Helper()
	authURL := beginLogin(t, s, c, broker)
	cb := consent(t, b, authURL)
	require.True(t, strings.HasPrefix(cb, s.URL+"/callback/"+broker+"?"), "each broker has its own callback: %s", cb)
	resp, body := get(t, c, cb)
	require.Equal(t, http.StatusFound, resp.StatusCode, "%s callback: %s", broker, body)
	assert.Equal(t, "/", resp.Header.Get("Location"))
}

// userOf is the user the visitor's session keys the token store by.
func userOf(t *testing.T, s *server, c *http.Client) string {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, s.URL+"/", nil)
	require.NoError(t, err)
	req.AddCookie(sessionCookie(t, s, c))
	sess, err := s.app.sessions.lookup(req)
	require.NoError(t, err)
	require.NotNil(t, sess)
	return sess.user
}

// csrfToken is the token of the visitor's logout forms, read from the
// dashboard as a browser would.
func csrfToken(t *testing.T, s *server, c *http.Client) string {
	t.Helper()
	_, body := get(t, c, s.URL+"/")
	m := csrfField.FindStringSubmatch(body)
	require.NotNil(t, m, "the logout form carries a token")
	return m[1]
}

func sessionCookie(t *testing.T, s *server, c *http.Client) *http.Cookie {
	t.Helper()
	u, err := url.Parse(s.URL)
	require.NoError(t, err)
	for _, ck := range c.Jar.Cookies(u) {
		if ck.Name == cookieName {
			return ck
		}
	}
	t.Fatal("no session cookie")
	return nil
}

var moverRow = regexp.MustCompile(`<tr class="(profit|loss)"><td>([^<]+)</td><td>([^<]+)</td><td>([^<]+)</td><td class="n">[^<]+</td><td class="n">([^<]+)</td></tr>`)

func TestDashboardAcrossFourBrokers(t *testing.T) {
	s, logs := startApp(t)
	c := visitor(t)

	resp, body := get(t, c, s.URL+"/")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	for _, b := range providers.Names() {
		assert.Contains(t, body, `<a href="/login/`+b+`" id="link-`+b+`">Link your `+b+` account</a>`)
	}
	resp, _ = get(t, c, s.URL+"/login/"+"spotware") // the first login starts the session
	ck := sessionCookie(t, s, c)
	var setCookie *http.Cookie
	for _, sc := range resp.Cookies() {
		if sc.Name == cookieName {
			setCookie = sc
		}
	}
	require.NotNil(t, setCookie)
	assert.True(t, setCookie.HttpOnly, "HttpOnly")
	assert.Equal(t, http.SameSiteLaxMode, setCookie.SameSite)
	assert.False(t, setCookie.Secure, "plain http here")

	for _, b := range providers.Names() {
		link(t, s, c, b)
	}
	assert.NotEqual(t, ck.Value, sessionCookie(t, s, c).Value, "a new session ID once a broker is linked")
	assert.Regexp(t, `^[\w-]{43}\.[\w-]{43}$`, ck.Value, "the cookie holds an ID and its HMAC, nothing else")

	resp, body = get(t, c, s.URL+"/")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	for _, want := range []string{
		// accounts of every broker, with balances
		"11827461", "11827462", "21827463", // TradeStation
		just2tradetest.PrimaryAccount, just2tradetest.SecondAccount,
		strconv.Itoa(autosharestest.TraderAccountID),
		strconv.FormatInt(spotwaretest.DemoAccount, 10),
		"10000.00", // the Spotware demo account's cash
		strconv.FormatInt(spotwaretest.LiveAccount, 10), "2500.00", // and the live one's, not hidden
		"Tom&#39;s margin", // the AutoShares account's name, escaped by html/template
	} {
		assert.Contains(t, body, want)
	}
	// Every broker reports positions now (cTrader's from a reconcile).
	assert.NotContains(t, body, "positions not available")
	// The emulated trader's required agreements were signed after login.
	user := userOf(t, s, c)
	asP, ok := s.app.byName["autoshares"].p.(*autoshares.Provider)
	require.True(t, ok)
	asc := asP.NewClient(s.app.byName["autoshares"].tokens.Source(user))
	pending, err := asc.Agreements.Outstanding(context.Background(), autoshares.Me)
	require.NoError(t, err)
	for _, a := range pending {
		assert.False(t, a.IsRequired(), "required agreement %s still pending", a.Title)
	}
	for _, b := range providers.Names() {
		section := body[strings.Index(body, `<section id="broker-`+b+`">`):]
		section = section[:strings.Index(section, "</section>")]
		assert.Contains(t, section, "Linked", b)
		assert.NotContains(t, section, "Link your", b)
		assert.Regexp(t, `<td class="n">\d+\.\d\d</td>`, section, "%s shows balances", b)
		assert.NotContains(t, section, `class="loss"`, "%s reports no error", b)
	}

	// The movers: the highest profits and losses across all brokers,
	// against every position the brokers report for this user.
	var all []providers.Position
	for _, b := range s.app.brokers {
		v, done, err := b.view(context.Background(), user)
		require.NoError(t, err)
		accts, err := v.Accounts(context.Background())
		require.NoError(t, err)
		for _, a := range accts {
			if ps, err := v.Positions(context.Background(), a.ID); err == nil {
				all = append(all, ps...)
			}
		}
		done()
	}
	var best, worst decimal.Decimal
	var winners, losers int
	brokersWithPL := map[string]bool{}
	for _, p := range all {
		if p.UnrealizedPL.Valid {
			pl := p.UnrealizedPL.Decimal
			best, worst = decimal.Max(best, pl), decimal.Min(worst, pl)
			brokersWithPL[p.Broker] = true
			if pl.IsPositive() {
				winners++
			} else if pl.IsNegative() {
				losers++
			}
		}
	}
	require.True(t, best.IsPositive() && worst.IsNegative(), "the seeded data has winners and losers")
	assert.Len(t, brokersWithPL, 3, "three brokers report positions")

	rows := moverRow.FindAllStringSubmatch(body, -1)
	var profits, losses []decimal.Decimal
	for _, r := range rows {
		pl := decimal.RequireFromString(r[5])
		if r[1] == "profit" {
			profits = append(profits, pl)
		} else {
			losses = append(losses, pl)
		}
	}
	require.Len(t, profits, min(topN, winners), body)
	require.Len(t, losses, min(topN, losers), body)
	assert.True(t, profits[0].Equal(best.Round(2)), "top profit %s, want %s", profits[0], best)
	assert.True(t, losses[0].Equal(worst.Round(2)), "top loss %s, want %s", losses[0], worst)
	for i := 1; i < len(profits); i++ {
		assert.True(t, profits[i].LessThanOrEqual(profits[i-1]) && profits[i].IsPositive())
	}
	for i := 1; i < len(losses); i++ {
		assert.True(t, losses[i].GreaterThanOrEqual(losses[i-1]) && losses[i].IsNegative())
	}

	// No token reaches the page or the log.
	for _, b := range providers.Names() {
		tok, err := s.app.store.Load(context.Background(), auth.Key(b, user))
		require.NoError(t, err, b)
		assert.NotContains(t, body, tok.AccessToken)
		assert.NotContains(t, logs.String(), tok.AccessToken)
	}

	// Logging out of one broker unlinks it and leaves the others.
	resp, _ = post(t, c, s.URL+"/logout/"+"tradestation", url.Values{"csrf": {csrfToken(t, s, c)}}, nil)
	assert.Equal(t, http.StatusSeeOther, resp.StatusCode)
	_, body = get(t, c, s.URL+"/")
	assert.Contains(t, body, `Link your tradestation account`)
	assert.NotContains(t, body, "11827461")
	assert.Contains(t, body, just2tradetest.PrimaryAccount)
}

func TestForgedCookieIsRefused(t *testing.T) {
	s, _ := startApp(t)
	owner := visitor(t)
	link(t, s, owner, "just2trade")
	id, _, _ := strings.Cut(sessionCookie(t, s, owner).Value, ".")
	s.app.sessions.mu.Lock()
	require.NotNil(t, s.app.sessions.byID[id], "the owner's session")
	s.app.sessions.mu.Unlock()

	for name, value := range map[string]string{
		"unsigned":       id,
		"wrong HMAC":     id + ".AAAA",
		"other key HMAC": id + "." + newSessions(make([]byte, 32)).sign(id),
	} {
		t.Run(name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodGet, s.URL+"/", nil)
			require.NoError(t, err)
			req.AddCookie(&http.Cookie{Name: cookieName, Value: value})
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
			assert.NotContains(t, string(body), just2tradetest.PrimaryAccount, "the owner's accounts stay hidden")
			var cleared bool
			for _, ck := range resp.Cookies() {
				cleared = cleared || ck.Name == cookieName && ck.MaxAge < 0
			}
			assert.True(t, cleared, "the bad cookie is deleted")
		})
	}
	// The owner's own cookie still works.
	resp, body := get(t, owner, s.URL+"/")
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, body, just2tradetest.PrimaryAccount)
}

func TestCallbackWithWrongStateIsRefused(t *testing.T) {
	s, _ := startApp(t)
	c := visitor(t)
	authURL := beginLogin(t, s, c, "just2trade")
	cb := consent(t, browserFor(s, "just2trade"), authURL)

	u, err := url.Parse(cb)
	require.NoError(t, err)
	q := u.Query()
	require.NotEmpty(t, q.Get("state"))
	q.Set("state", "forged-"+q.Get("state"))
	u.RawQuery = q.Encode()
	resp, _ := get(t, c, u.String())
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)

	_, body := get(t, c, s.URL+"/")
	assert.Contains(t, body, "Link your just2trade account", "nothing was linked")
	assert.NotContains(t, body, just2tradetest.PrimaryAccount)

	// The forged callback did not spend the flow: the real one completes.
	resp, _ = get(t, c, cb)
	assert.Equal(t, http.StatusFound, resp.StatusCode)
	_, body = get(t, c, s.URL+"/")
	assert.Contains(t, body, just2tradetest.PrimaryAccount)
}

func TestCallbackNeedsTheSessionThatBegan(t *testing.T) {
	s, _ := startApp(t)
	alice, mallory := visitor(t), visitor(t)
	authURL := beginLogin(t, s, alice, "spotware")
	cb := consent(t, browserFor(s, "spotware"), authURL)

	// Another browser (no session, or its own) cannot complete it.
	resp, _ := get(t, mallory, cb)
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
	get(t, mallory, s.URL+"/")
	resp, _ = get(t, mallory, cb)
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)

	// Nor can a callback arrive at another broker's path.
	other := strings.Replace(cb, "/callback/spotware?", "/callback/tradestation?", 1)
	resp, _ = get(t, alice, other)
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)

	resp, _ = get(t, alice, cb)
	assert.Equal(t, http.StatusFound, resp.StatusCode)
	_, body := get(t, alice, s.URL+"/")
	assert.Contains(t, body, strconv.FormatInt(spotwaretest.DemoAccount, 10))
}

func TestCookieIsSecureOverTLS(t *testing.T) {
	ss := newSessions(make([]byte, 32))
	req := httptest.NewRequest(http.MethodGet, "https://app.example.com/", nil)
	req.TLS = &tls.ConnectionState{}
	rec := httptest.NewRecorder()
	_, err := ss.start(rec, req)
	require.NoError(t, err)
	cks := rec.Result().Cookies()
	require.Len(t, cks, 1)
	assert.True(t, cks[0].Secure)
	assert.True(t, cks[0].HttpOnly)
	assert.Equal(t, http.SameSiteLaxMode, cks[0].SameSite)
}

func TestMovers(t *testing.T) {
	pos := func(sym, pl string) providers.Position {
		p := providers.Position{Symbol: sym}
		if pl != "" {
			p.UnrealizedPL = decimal.NewNullDecimal(decimal.RequireFromString(pl))
		}
		return p
	}
	ps := []providers.Position{pos("A", "10"), pos("B", "-5"), pos("C", "250.5"), pos("D", ""),
		pos("E", "0"), pos("F", "-300"), pos("G", "1"), pos("H", "-0.01"), pos("I", "3")}
	profit, loss := movers(ps, 3)
	sym := func(ps []providers.Position) (out []string) {
		for _, p := range ps {
			out = append(out, p.Symbol)
		}
		return out
	}
	assert.Equal(t, []string{"C", "A", "I"}, sym(profit))
	assert.Equal(t, []string{"F", "B", "H"}, sym(loss))
	profit, loss = movers(ps[:1], 3)
	assert.Equal(t, []string{"A"}, sym(profit))
	assert.Empty(t, loss)
}

func TestStartChecksItsConfiguration(t *testing.T) {
	for name, env := range map[string]map[string]string{
		"bad key":        {"BROKERKIT_WEBAPP_KEY": "abc"},
		"half TLS":       {"BROKERKIT_WEBAPP_TLS_CERT": "cert.pem"},
		"not loopback":   {"BROKERKIT_WEBAPP_ADDR": "0.0.0.0:0"},
		"broker missing": {"BROKERKIT_SPOTWARE_CLIENT_ID": "app"},
	} {
		t.Run(name, func(t *testing.T) {
			if env["BROKERKIT_WEBAPP_ADDR"] == "" {
				env["BROKERKIT_WEBAPP_ADDR"] = "127.0.0.1:0"
			}
			_, err := start(io.Discard, func(k string) string { return env[k] })
			assert.Error(t, err)
		})
	}
}

// TestConfiguredBrokers runs the app as with real brokers, every one
// configured from all its BROKERKIT_<BROKER>_* variables, with an emulator
// standing in for each (BASE_URL). Every variable reaches the provider,
// and every request the app makes goes to the host its broker's BASE_URL
// names. (Which host each ENVIRONMENT reaches without BASE_URL is
// providers' TestEnvironmentPicksTheAPIHost, over the same registry
// entries the app uses.)
func TestConfiguredBrokers(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0") // a free port for the registered callbacks
	require.NoError(t, err)
	addr := ln.Addr().String()
	ln.Close()
	env := map[string]string{"BROKERKIT_WEBAPP_ADDR": addr, "BROKERKIT_WEBAPP_KEY": strings.Repeat("5a", 32)}
	ems := map[string]providerstest.Emulator{}
	want := map[string]providers.Config{}
	got := map[string]providers.Config{}
	r := &providers.Registry{}
	for _, name := range providers.Names() {
		em, err := providerstest.Start(name, providerstest.WithRedirectURL("http://127.0.0.1/callback/"+name))
		require.NoError(t, err)
		defer em.Close()
		ems[name] = em
		c := em.Config()
		prefix := "BROKERKIT_" + strings.ToUpper(name) + "_"
		c.RedirectURL = "http://" + addr + "/callback/" + name
		maps.Copy(env, map[string]string{prefix + "CLIENT_ID": c.ClientID, prefix + "CLIENT_SECRET": c.ClientSecret.Reveal(),
			prefix + "REDIRECT_URL": c.RedirectURL, prefix + "BASE_URL": c.BaseURL,
			prefix + "ENVIRONMENT": string(c.Environment), prefix + "SCOPES": strings.Join(c.Scopes, " "),
			prefix + "API_KEY": c.APIKey.Reveal(), prefix + "DOMAIN": "tenant.example.com"})
		vars, err := providers.EnvVars(name)
		require.NoError(t, err)
		c.HTTPClient, c.Now = nil, nil
		if strings.Contains(strings.Join(vars, "\n"), prefix+"DOMAIN ") {
			c.Domain = "tenant.example.com"
		}
		want[name] = c
		// The broker's own entry, its provider built through the emulator
		// so that a cTrader session dials the emulator, not cTrader.
		b, err := providers.Builtin().Lookup(name)
		require.NoError(t, err)
		b.New = func(cfg providers.Config) (auth.Provider, error) { got[name] = cfg; return em.Provider(cfg) }
		require.NoError(t, r.Register(b))
	}
	for k := range env {
		if v := env[k]; v == "" {
			delete(env, k)
		}
	}
	rec := exampletest.RecordHosts(t)

	out := &syncBuffer{}
	s, err := startWith(out, r, func(k string) string { return env[k] })
	require.NoError(t, err)
	defer s.Close()
	assert.Nil(t, s.emulators)
	assert.Contains(t, out.String(), "Brokers: autoshares, just2trade, spotware, tradestation\n")
	assert.Equal(t, want, got, "every variable reaches the provider's configuration")

	// A client of its own (not through the recorder) plays the visitor.
	c := visitor(t)
	c.Transport = &http.Transport{}
	for _, name := range providers.Names() {
		linkWith(t, s, c, name, ems[name].Browser(ems[name].User()))
	}
	_, body := get(t, c, s.URL+"/")
	assert.Contains(t, body, just2tradetest.PrimaryAccount)
	assert.Contains(t, body, strconv.Itoa(autosharestest.TraderAccountID))
	assert.Contains(t, body, "11827461")
	assert.Contains(t, body, strconv.FormatInt(spotwaretest.DemoAccount, 10))
	// A real user signs agreements at the broker: the app lists them.
	assert.Regexp(t, `Before you trade: sign these agreements at AutoShares to unlock quotes and trading: \S`, body)

	allowed := map[string]bool{}
	for _, em := range ems {
		u, err := url.Parse(em.URL())
		require.NoError(t, err)
		allowed[u.Host] = true
		assert.Contains(t, rec.Seen(), u.Host, "no request reached %s", em.Name())
	}
	for _, host := range rec.Seen() {
		assert.True(t, allowed[host], "a request left for %s, no broker's BASE_URL", host)
	}
}

// TestConfiguredBrokersOnly: only the brokers configured are offered.
func TestConfiguredBrokersOnly(t *testing.T) {
	j2t := just2tradetest.NewServer(just2tradetest.WithRedirectURL("http://127.0.0.1/callback/just2trade"))
	defer j2t.Close()
	env := map[string]string{
		"BROKERKIT_JUST2TRADE_CLIENT_ID":     just2tradetest.ClientID,
		"BROKERKIT_JUST2TRADE_CLIENT_SECRET": just2tradetest.ClientSecret,
		"BROKERKIT_JUST2TRADE_REDIRECT_URL":  "http://127.0.0.1/callback/just2trade",
		"BROKERKIT_JUST2TRADE_BASE_URL":      j2t.URL(),
		"BROKERKIT_JUST2TRADE_ENVIRONMENT":   "just2trade",
		"BROKERKIT_WEBAPP_ADDR":              "127.0.0.1:0",
	}
	out := &syncBuffer{}
	s, err := start(out, func(k string) string { return env[k] })
	require.NoError(t, err)
	defer s.Close()
	assert.Contains(t, out.String(), "Brokers: just2trade\n")
	_, body := get(t, visitor(t), s.URL+"/")
	assert.NotContains(t, body, "broker-spotware")
	assert.NotContains(t, body, "broker-tradestation")
	assert.NotContains(t, body, "broker-autoshares")
}

func TestSharedCallbackPathIsRefused(t *testing.T) {
	for k, v := range map[string]string{
		"BROKERKIT_TRADESTATION_CLIENT_ID":    "a",
		"BROKERKIT_TRADESTATION_REDIRECT_URL": "https://app.example.com/callback",
		"BROKERKIT_TRADESTATION_ENVIRONMENT":  "sim",
		"BROKERKIT_SPOTWARE_CLIENT_ID":        "b",
		"BROKERKIT_SPOTWARE_CLIENT_SECRET":    "c",
		"BROKERKIT_SPOTWARE_REDIRECT_URL":     "https://app.example.com/callback",
		"BROKERKIT_SPOTWARE_ENVIRONMENT":      "demo",
		"BROKERKIT_WEBAPP_ADDR":               "127.0.0.1:0",
	} {
		t.Setenv(k, v)
	}
	_, err := start(io.Discard, os.Getenv)
	assert.ErrorContains(t, err, "share the callback path /callback")
}
