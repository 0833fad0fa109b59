package emulate

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/providers"
)

// start runs the emulators on free loopback ports, announcing in a
// temporary directory.
func start(t *testing.T, o Options) *Server {
	t.Helper()
	if o.Addr == "" {
		o.Addr = "127.0.0.1:0"
	}
	if o.Dir == "" {
		o.Dir = t.TempDir()
	}
	s, err := Start(o)
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func info(t *testing.T, s *Server, broker string) Info {
	t.Helper()
	for _, b := range s.Brokers() {
		if b.Broker == broker {
			return b
		}
	}
	t.Fatalf("%s is not running", broker)
	return Info{}
}

func TestStartAnnouncesEveryBroker(t *testing.T) {
	dir := t.TempDir()
	s := start(t, Options{Dir: dir})
	got := s.Brokers()
	require.Len(t, got, 4)
	for i, name := range []string{"tradestation", "just2trade", "autoshares", "spotware"} {
		b := got[i]
		assert.Equal(t, name, b.Broker)
		u, err := url.Parse(b.URL)
		require.NoError(t, err)
		assert.Equal(t, "127.0.0.1", u.Hostname(), name)
		assert.True(t, strings.HasPrefix(b.AuthorizeURL, b.URL+"/"), name)
		assert.True(t, strings.HasPrefix(b.TokenURL, b.URL+"/"), name)
		assert.NotEmpty(t, b.ClientID, name)
		assert.NotEmpty(t, b.ClientSecret, name)
		assert.Equal(t, "http://127.0.0.1/callback/"+name, b.RedirectURL)
		require.NotEmpty(t, b.Users, name)
		assert.NotEmpty(t, b.Users[0].Password, name)
		assert.Equal(t, s.AdminURL()+"/"+name, b.AdminURL)

		// The environment lines are exactly what providers.FromEnv reads.
		env := map[string]string{}
		for _, line := range b.Env() {
			k, v, ok := strings.Cut(line, "=")
			require.True(t, ok, line)
			env[k] = strings.Trim(v, "'")
		}
		cfg, err := providers.Builtin().FromEnv(name, func(k string) string { return env[k] })
		require.NoError(t, err, name)
		assert.Equal(t, b.Config(), cfg, name)
		_, err = providers.New(name, cfg)
		require.NoError(t, err, name)
	}
	assert.Equal(t, map[string]string{"audience": "https://api.tradestation.com"}, got[0].AuthorizeParams)
	assert.True(t, strings.HasPrefix(got[3].APIURL, "tls://127.0.0.1:"), got[3].APIURL)
	require.NotNil(t, got[3].Protobuf)

	// The announcement file: 0600, and read back as each broker's Info.
	path := filepath.Join(dir, AnnouncementFile)
	st, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), st.Mode().Perm())
	infos, err := ReadAnnouncement(dir)
	require.NoError(t, err)
	require.Len(t, infos, 4)
	for _, b := range got {
		assert.Equal(t, b, infos[b.Broker], b.Broker)
	}

	require.NoError(t, s.Close())
	_, err = os.Stat(path)
	assert.True(t, errors.Is(err, os.ErrNotExist), "the announcement outlived Close: %v", err)
	_, err = ReadAnnouncement(dir)
	assert.ErrorIs(t, err, ErrNotRunning)
	require.NoError(t, s.Close(), "a second Close")
}

func TestReadAnnouncementOfAGoneEmulatorIsNotRunning(t *testing.T) {
	dir := t.TempDir()
	s := start(t, Options{Dir: dir, Brokers: []string{"just2trade"}})
	b, err := os.ReadFile(filepath.Join(dir, AnnouncementFile))
	require.NoError(t, err)
	require.NoError(t, s.Close())
	// A killed emulator leaves its file behind.
	require.NoError(t, os.WriteFile(filepath.Join(dir, AnnouncementFile), b, 0o600))
	_, err = ReadAnnouncement(dir)
	assert.ErrorIs(t, err, ErrNotRunning)

	require.NoError(t, os.WriteFile(filepath.Join(dir, AnnouncementFile), []byte("{not json"), 0o600))
	_, err = ReadAnnouncement(dir)
	require.Error(t, err)
	assert.NotErrorIs(t, err, ErrNotRunning)
}

// freeBase finds a base port with the seven ports after it free, so the
// fixed layout can be checked without colliding with another program.
func TestFixedPortsFromTheBase(t *testing.T) {
	var s *Server
	var base int
	for try := 0; try < 20 && s == nil; try++ {
		base = 20000 + rand.IntN(40000)
		srv, err := Start(Options{Addr: "127.0.0.1:" + strconv.Itoa(base), Dir: t.TempDir()})
		if err == nil {
			s = srv
		}
	}
	require.NotNil(t, s, "no free run of ports found")
	t.Cleanup(func() { _ = s.Close() })
	port := func(u string) int {
		p, err := url.Parse(u)
		require.NoError(t, err)
		n, _ := strconv.Atoi(p.Port())
		return n
	}
	assert.Equal(t, "http://127.0.0.1:"+strconv.Itoa(base), s.AdminURL())
	for i, b := range s.Brokers() {
		assert.Equal(t, base+1+i, port(b.URL), b.Broker)
	}
	sw := info(t, s, "spotware")
	assert.Equal(t, "127.0.0.1:"+strconv.Itoa(base+5), sw.Protobuf.Demo)
	assert.Equal(t, "127.0.0.1:"+strconv.Itoa(base+6), sw.Protobuf.Live)
}

func TestPlan(t *testing.T) {
	p, admin, err := Options{Brokers: []string{"spotware", "TradeStation"}}.plan()
	require.NoError(t, err)
	assert.Equal(t, DefaultAddr, admin)
	require.Len(t, p, 2)
	// Port order, and each broker keeps its port whichever others run.
	assert.Equal(t, "tradestation", p[0].b.name)
	assert.Equal(t, []string{"127.0.0.1:9401"}, p[0].addrs)
	assert.Equal(t, []string{"127.0.0.1:9404", "127.0.0.1:9405", "127.0.0.1:9406"}, p[1].addrs)

	p, admin, err = Options{Addr: "[::1]:7000", Addrs: map[string]string{"spotware": "localhost:8000",
		"admin": "127.0.0.1:0"}}.plan()
	require.NoError(t, err)
	assert.Equal(t, "127.0.0.1:0", admin)
	assert.Equal(t, []string{"[::1]:7001"}, p[0].addrs)
	assert.Equal(t, []string{"localhost:8000", "localhost:8001", "localhost:8002"}, p[3].addrs)

	p, _, err = Options{Addr: "127.0.0.1:0"}.plan()
	require.NoError(t, err)
	assert.Equal(t, []string{"127.0.0.1:0", "127.0.0.1:0", "127.0.0.1:0"}, p[3].addrs)
}

func TestStartRefusesBadOptions(t *testing.T) {
	var ue *providers.UnknownBrokerError
	_, err := Start(Options{Addr: "127.0.0.1:0", Brokers: []string{"robinhood"}})
	require.ErrorAs(t, err, &ue)
	assert.Equal(t, "robinhood", ue.Name)
	_, err = Start(Options{Addr: "127.0.0.1:0", Addrs: map[string]string{"robinhood": "127.0.0.1:0"}})
	require.ErrorAs(t, err, &ue)

	for _, o := range []Options{
		{Addr: "0.0.0.0:0"},   // every interface: not without Public
		{Addr: ":0"},          // the same
		{Addr: "192.0.2.1:0"}, // a LAN address
		{Addr: "127.0.0.1:0", Addrs: map[string]string{"tradestation": "0.0.0.0:0"}},
		{Addr: "127.0.0.1:0", Public: true, Addrs: map[string]string{"admin": "0.0.0.0:0"}}, // never public
		{Addr: "127.0.0.1"},       // no port
		{Addr: "127.0.0.1:http"},  // not a number
		{Addr: "127.0.0.1:70000"}, // out of range
	} {
		_, err := Start(o)
		assert.ErrorIs(t, err, ErrBadOptions, "%+v", o)
	}
	// Public lets a broker listen beyond loopback; the admin API stays.
	_, _, err = Options{Addr: "127.0.0.1:0", Public: true, Addrs: map[string]string{"just2trade": "0.0.0.0:0"}}.plan()
	require.NoError(t, err)
	p, admin, err := Options{Addr: "0.0.0.0:9400", Public: true}.plan()
	require.NoError(t, err)
	assert.Equal(t, "127.0.0.1:9400", admin)
	assert.Equal(t, []string{"0.0.0.0:9401"}, p[0].addrs)
}

func TestStartFailsWhenAPortIsTaken(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	dir := t.TempDir()
	_, err = Start(Options{Addr: "127.0.0.1:0", Dir: dir, Addrs: map[string]string{"just2trade": ln.Addr().String()}})
	require.Error(t, err)
	assert.NotErrorIs(t, err, ErrBadOptions)
	assert.Contains(t, err.Error(), "just2trade")
	_, err = os.Stat(filepath.Join(dir, AnnouncementFile))
	assert.True(t, errors.Is(err, os.ErrNotExist), "a failed start announced itself")
}

// admin calls the admin API and decodes its JSON answer.
func admin(t *testing.T, method, u, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, u, strings.NewReader(body))
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	assert.Equal(t, "application/json; charset=utf-8", resp.Header.Get("Content-Type"))
	var out map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
	return resp.StatusCode, out
}

func TestAdminAnswersErrorsAsJSON(t *testing.T) {
	s := start(t, Options{Brokers: []string{"tradestation"}})
	a := s.AdminURL()
	for _, c := range []struct {
		method, path, body string
		status             int
		says               string
	}{
		{"GET", "/nowhere", "", 404, "no emulator"},
		{"GET", "/tradestation/nope", "", 404, "no admin call"},
		{"GET", "/tradestation/reset", "", 405, "use POST"},
		{"PUT", "/tradestation/faults", "", 405, "use POST"},
		{"POST", "/", "", 405, "use GET"},
		{"POST", "/tradestation/clock/advance", `{"by":"soon"}`, 400, "not a duration"},
		{"POST", "/tradestation/clock/advance", `{}`, 400, "how far"},
		{"POST", "/tradestation/clock/advance", `{"by":"1h","extra":1}`, 400, "unknown member"},
		{"POST", "/tradestation/clock/advance", `{"by":`, 400, "not JSON"},
		{"POST", "/tradestation/clock/advance", `{"by":true}`, 400, "duration"},
		{"POST", "/tradestation/invalidate", `{}`, 400, "one of"},
		{"POST", "/tradestation/invalidate", `{"user":"a","token":"b"}`, 400, "one of"},
		{"POST", "/tradestation/invalidate", `{"user":"nobody"}`, 404, "no user"},
		{"POST", "/tradestation/invalidate", `{"token":"not-a-token-1234567890"}`, 404, "did not issue"},
		{"POST", "/tradestation/faults", `{}`, 400, "say what the fault does"},
		{"POST", "/tradestation/faults", `{"status":99}`, 400, "not a final HTTP status"},
		{"POST", "/tradestation/faults", `{"delay":"1h"}`, 400, "delay"},
		{"POST", "/tradestation/faults", `{"cut":true,"times":-1}`, 400, "times"},
		{"POST", "/tradestation/faults", `{"cut":true,"retry_after":"1s"}`, 400, "retry_after"},
		{"POST", "/tradestation/faults", `{"cut":true,"path":"v3"}`, 400, "URL path"},
		{"POST", "/tradestation/auto-approve", `{}`, 400, "give the user"},
		{"POST", "/tradestation/auto-approve", `{"user":"nobody"}`, 404, "no user"},
	} {
		status, out := admin(t, c.method, a+c.path, c.body)
		assert.Equal(t, c.status, status, "%s %s %s", c.method, c.path, c.body)
		assert.Contains(t, out["error"], c.says, "%s %s %s", c.method, c.path, c.body)
	}
	// The token is never echoed.
	_, out := admin(t, "POST", a+"/tradestation/invalidate", `{"token":"not-a-token-1234567890"}`)
	assert.NotContains(t, out["error"], "not-a-token-1234567890")

	status, out := admin(t, "GET", a+"/", "")
	assert.Equal(t, 200, status)
	assert.Len(t, out["brokers"], 1)
	status, out = admin(t, "GET", a+"/tradestation", "")
	assert.Equal(t, 200, status)
	assert.Equal(t, "tradestation", out["broker"])
}

func TestAdminRefusesWebPagesAndOtherHosts(t *testing.T) {
	s := start(t, Options{Brokers: []string{"just2trade"}})
	for _, h := range []map[string]string{{"Origin": "http://evil.example"}, {"Host": "evil.example"}} {
		req, err := http.NewRequest("POST", s.AdminURL()+"/just2trade/reset", nil)
		require.NoError(t, err)
		for k, v := range h {
			req.Header.Set(k, v)
		}
		if v, ok := h["Host"]; ok {
			req.Host = v
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		assert.Equal(t, http.StatusForbidden, resp.StatusCode, "%v: %s", h, b)
	}
}

// sdkLogin logs the seeded user in through brokerkit's own flow, the
// emulator auto-approving, and returns the provider and a token source.
func sdkLogin(t *testing.T, s *Server, broker string) (auth.Provider, *auth.Source) {
	t.Helper()
	b := info(t, s, broker)
	status, _ := admin(t, "POST", b.AdminURL+"/auto-approve", `{"user":"`+b.Users[0].Login+`"}`)
	require.Equal(t, 200, status)
	p, err := providers.New(broker, b.Config())
	require.NoError(t, err)
	ctx := context.Background()
	flow, err := auth.Begin(p, auth.FlowOptions{RedirectURL: "http://127.0.0.1:5555/callback/" + broker})
	require.NoError(t, err)
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noFollow.Get(flow.URL)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusFound, resp.StatusCode)
	tok, err := flow.CompleteURL(ctx, p, resp.Header.Get("Location"))
	require.NoError(t, err)
	src, err := auth.NewSource(p, auth.NewMemoryStore(), "u")
	require.NoError(t, err)
	require.NoError(t, src.SetToken(ctx, tok))
	return p, src
}

func view(t *testing.T, p auth.Provider, src auth.TokenSource) providers.View {
	t.Helper()
	b, err := providers.Builtin().Lookup(p.Name())
	require.NoError(t, err)
	v, err := b.View(context.Background(), p, src)
	require.NoError(t, err)
	t.Cleanup(func() { _ = v.Close() })
	return v
}

func TestAdminInvalidateUserEndsEveryLogin(t *testing.T) {
	s := start(t, Options{Brokers: []string{"tradestation", "just2trade", "autoshares"}})
	ctx := context.Background()
	for _, b := range s.Brokers() {
		p, src := sdkLogin(t, s, b.Broker)
		v := view(t, p, src)
		_, err := v.Accounts(ctx)
		require.NoError(t, err, b.Broker)

		status, out := admin(t, "POST", b.AdminURL+"/invalidate", `{"user":"`+b.Users[0].Login+`"}`)
		require.Equal(t, 200, status, "%v", out)
		_, err = v.Accounts(ctx)
		assert.ErrorIs(t, err, auth.ErrReauthRequired, b.Broker)
	}
}

func TestAdminInvalidateOneToken(t *testing.T) {
	s := start(t, Options{Brokers: []string{"tradestation"}})
	b := info(t, s, "tradestation")
	tok := rawLogin(t, b)
	require.Equal(t, 200, apiStatus(t, b, tok.Access))
	status, out := admin(t, "POST", b.AdminURL+"/invalidate", `{"token":"`+tok.Access+`"}`)
	require.Equal(t, 200, status, "%v", out)
	assert.Equal(t, 401, apiStatus(t, b, tok.Access))
}

func TestAdminClockAdvanceExpiresTokens(t *testing.T) {
	s := start(t, Options{Brokers: []string{"tradestation"}})
	b := info(t, s, "tradestation")
	tok := rawLogin(t, b)
	require.Equal(t, 200, apiStatus(t, b, tok.Access))
	status, out := admin(t, "POST", b.AdminURL+"/clock/advance", `{"by":"10m"}`)
	require.Equal(t, 200, status, "%v", out)
	assert.Equal(t, "10m0s", out["offset"])
	assert.Equal(t, 200, apiStatus(t, b, tok.Access), "a 20-minute token died after 10 minutes")
	status, out = admin(t, "POST", b.AdminURL+"/clock/advance", `{"by":660}`) // seconds
	require.Equal(t, 200, status, "%v", out)
	assert.Equal(t, "21m0s", out["offset"])
	now, err := time.Parse(time.RFC3339Nano, out["now"].(string))
	require.NoError(t, err)
	assert.WithinDuration(t, time.Now().Add(21*time.Minute), now, time.Minute)
	assert.Equal(t, 401, apiStatus(t, b, tok.Access))
}

func TestAdminFaultsReachClients(t *testing.T) {
	s := start(t, Options{Brokers: []string{"tradestation"}})
	b := info(t, s, "tradestation")
	p, src := sdkLogin(t, s, "tradestation")
	v := view(t, p, src)
	ctx := context.Background()

	status, out := admin(t, "POST", b.AdminURL+"/faults",
		`{"path":"/v3/brokerage/accounts","status":503,"retry_after":"1s","body":"{\"Message\":\"down\"}","content_type":"application/json"}`)
	require.Equal(t, 200, status, "%v", out)
	assert.EqualValues(t, 1, out["pending"])
	status, out = admin(t, "GET", b.AdminURL+"/faults", "")
	require.Equal(t, 200, status)
	assert.EqualValues(t, 1, out["pending"], "the fault is until DELETE")
	_, err := v.Accounts(ctx)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "503")

	// A raw client sees the fault as injected.
	tok, err := src.TokenContext(ctx)
	require.NoError(t, err)
	req, _ := http.NewRequest("GET", b.APIURL+"/v3/brokerage/accounts", nil)
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, 503, resp.StatusCode)
	assert.Equal(t, "1", resp.Header.Get("Retry-After"))
	assert.Equal(t, `{"Message":"down"}`, string(body))

	status, out = admin(t, "DELETE", b.AdminURL+"/faults", "")
	require.Equal(t, 200, status, "%v", out)
	_, out = admin(t, "GET", b.AdminURL+"/faults", "")
	assert.EqualValues(t, 0, out["pending"])
	_, err = v.Accounts(ctx)
	require.NoError(t, err)

	// Invalid JSON, once.
	status, _ = admin(t, "POST", b.AdminURL+"/faults", `{"path":"/v3/brokerage/*","malformed":true,"times":1}`)
	require.Equal(t, 200, status)
	assert.Equal(t, 200, apiStatus(t, b, tok.AccessToken), "a malformed answer keeps its status")
	_, err = v.Accounts(ctx)
	require.NoError(t, err, "the fault was for one request")

	// A cut connection.
	status, _ = admin(t, "POST", b.AdminURL+"/faults", `{"cut":true,"times":1}`)
	require.Equal(t, 200, status)
	req, _ = http.NewRequest("GET", b.APIURL+"/v3/brokerage/accounts", nil)
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	// A new connection each time: net/http retries a GET once when a
	// kept-alive connection closes.
	fresh := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	_, err = fresh.Do(req)
	assert.Error(t, err, "the connection was not cut")
	assert.Equal(t, 200, apiStatus(t, b, tok.AccessToken), "the cut was for one request")
}

func TestAdminResetBringsFreshState(t *testing.T) {
	s := start(t, Options{Brokers: []string{"tradestation"}})
	b := info(t, s, "tradestation")
	tok := rawLogin(t, b)
	status, _ := admin(t, "POST", b.AdminURL+"/faults", `{"path":"/v3/brokerage/accounts","status":500}`)
	require.Equal(t, 200, status)
	status, _ = admin(t, "POST", b.AdminURL+"/clock/advance", `{"by":"5m"}`)
	require.Equal(t, 200, status)
	require.Equal(t, 500, apiStatus(t, b, tok.Access))

	status, out := admin(t, "POST", b.AdminURL+"/reset", "")
	require.Equal(t, 200, status, "%v", out)
	assert.Equal(t, b.URL, out["url"], "a reset moved the emulator")
	// Tokens of the old state are unknown, the fault is gone, consent is
	// no longer automatic, and the clock is the wall clock again.
	assert.Equal(t, 401, apiStatus(t, b, tok.Access))
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	_, challenge := pkce(t)
	resp, err := noFollow.Get(authorizeURL(b, "s", challenge))
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode, "the consent page, not an automatic redirect to %s",
		resp.Header.Get("Location"))
	_, out = admin(t, "POST", b.AdminURL+"/clock/advance", `{"by":"1s"}`)
	assert.Equal(t, "1s", out["offset"])
	tok = rawLogin(t, b)
	assert.Equal(t, 200, apiStatus(t, b, tok.Access))
	assert.Equal(t, b, info(t, s, "tradestation"), "a reset changed the announcement")
}

func TestAdminAutoApproveOff(t *testing.T) {
	s := start(t, Options{Brokers: []string{"autoshares"}})
	b := info(t, s, "autoshares")
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func() int {
		u := b.AuthorizeURL + "?" + url.Values{"response_type": {"code"}, "client_id": {b.ClientID},
			"redirect_uri": {b.RedirectURL}, "scope": {strings.Join(b.Scopes, " ")}, "state": {"s"}}.Encode()
		resp, err := noFollow.Get(u)
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	require.Equal(t, http.StatusOK, get())
	status, _ := admin(t, "POST", b.AdminURL+"/auto-approve", `{"user":"admin"}`)
	require.Equal(t, 200, status)
	assert.Equal(t, http.StatusFound, get())
	status, _ = admin(t, "POST", b.AdminURL+"/auto-approve", `{"user":""}`)
	require.Equal(t, 200, status)
	assert.Equal(t, http.StatusOK, get())
}

func TestSpotwareAdmin(t *testing.T) {
	s := start(t, Options{Brokers: []string{"spotware"}})
	b := info(t, s, "spotware")
	p, src := sdkLogin(t, s, "spotware")
	ctx := context.Background()
	tok, err := src.TokenContext(ctx)
	require.NoError(t, err)
	// The refresh grant works (the refresh token rotates) until the user
	// is invalidated.
	tok, err = p.Refresh(ctx, tok)
	require.NoError(t, err)
	status, _ := admin(t, "POST", b.AdminURL+"/invalidate", `{"user":"trader"}`)
	require.Equal(t, 200, status)
	_, err = p.Refresh(ctx, tok)
	assert.ErrorIs(t, err, auth.ErrReauthRequired)
	// The Protobuf hosts answer TLS on the announced addresses.
	for _, a := range []string{b.Protobuf.Demo, b.Protobuf.Live} {
		c, err := net.DialTimeout("tcp", a, time.Second)
		require.NoError(t, err, a)
		c.Close()
	}
	// Reset keeps the Protobuf addresses.
	status, _ = admin(t, "POST", b.AdminURL+"/reset", "")
	require.Equal(t, 200, status)
	for _, a := range []string{b.Protobuf.Demo, b.Protobuf.Live} {
		c, err := net.DialTimeout("tcp", a, time.Second)
		require.NoError(t, err, a)
		c.Close()
	}
}

// tlsWith makes a TLS handshake with addr trusting only certPEM, and
// returns its error.
func tlsWith(t *testing.T, addr, certPEM string) error {
	t.Helper()
	pool := x509.NewCertPool()
	require.True(t, pool.AppendCertsFromPEM([]byte(certPEM)), "not a PEM certificate: %q", certPEM)
	d := tls.Dialer{NetDialer: &net.Dialer{Timeout: 5 * time.Second},
		Config: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}
	c, err := d.DialContext(context.Background(), "tcp", addr)
	if err == nil {
		_ = c.Close()
	}
	return err
}

// cTrader's Protobuf hosts have a self-signed certificate made at each
// start: the announcement, the admin API and the announcement file carry
// it, a reset (which makes a new one) rewrites all three, and a client
// that trusts only the announced certificate completes its handshake with
// both hosts, before and after the reset.
func TestSpotwareAnnouncesItsCertificate(t *testing.T) {
	dir := t.TempDir()
	s := start(t, Options{Brokers: []string{"spotware"}, Dir: dir})
	b := info(t, s, "spotware")
	require.NotNil(t, b.Protobuf)
	block, rest := pem.Decode([]byte(b.Protobuf.CertPEM))
	require.NotNil(t, block, "no PEM in %q", b.Protobuf.CertPEM)
	assert.Equal(t, "CERTIFICATE", block.Type, "public: a certificate, never a key")
	assert.Empty(t, strings.TrimSpace(string(rest)))
	_, err := x509.ParseCertificate(block.Bytes)
	require.NoError(t, err)
	for _, a := range []string{b.Protobuf.Demo, b.Protobuf.Live} {
		require.NoError(t, tlsWith(t, a, b.Protobuf.CertPEM), a)
	}
	announced := func() Info {
		infos, err := ReadAnnouncement(dir)
		require.NoError(t, err)
		return infos["spotware"]
	}
	assert.Equal(t, b, announced())
	status, got := admin(t, "GET", b.AdminURL, "")
	require.Equal(t, 200, status)
	assert.Equal(t, b.Protobuf.CertPEM, got["protobuf"].(map[string]any)["cert_pem"])

	status, out := admin(t, "POST", b.AdminURL+"/reset", "")
	require.Equal(t, 200, status, "%v", out)
	a := info(t, s, "spotware")
	assert.NotEqual(t, b.Protobuf.CertPEM, a.Protobuf.CertPEM, "a reset makes a new certificate")
	assert.Equal(t, b.Protobuf.Demo, a.Protobuf.Demo)
	assert.Equal(t, b.Protobuf.Live, a.Protobuf.Live)
	for _, addr := range []string{a.Protobuf.Demo, a.Protobuf.Live} {
		require.NoError(t, tlsWith(t, addr, a.Protobuf.CertPEM), addr)
		assert.Error(t, tlsWith(t, addr, b.Protobuf.CertPEM), "the old certificate still opens %s", addr)
	}
	assert.Equal(t, a, announced(), "the announcement file after the reset")
	_, got = admin(t, "GET", b.AdminURL, "")
	assert.Equal(t, a.Protobuf.CertPEM, got["protobuf"].(map[string]any)["cert_pem"])
}
