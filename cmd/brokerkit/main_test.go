package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/autoshares"
	"github.com/brokerkit/brokerkit/autoshares/autosharestest"
	"github.com/brokerkit/brokerkit/internal/oauthsim"
	"github.com/brokerkit/brokerkit/just2trade/just2tradetest"
	"github.com/brokerkit/brokerkit/providers"
	"github.com/brokerkit/brokerkit/spotware/spotwaretest"
	"github.com/brokerkit/brokerkit/tradestation"
	"github.com/brokerkit/brokerkit/tradestation/tradestationtest"
)

// bin is the brokerkit binary TestMain builds.
var bin string

// browserEnv makes the test binary play a browser: $BROWSER is the test
// binary itself, which with this variable set fetches the address it is
// given (following the emulator's auto-approved redirect to the login's
// loopback listener) and exits.
const browserEnv = "BROKERKIT_TEST_PLAY_BROWSER"

func TestMain(m *testing.M) {
	if os.Getenv(browserEnv) == "1" {
		os.Exit(playBrowser(os.Args[1:]))
	}
	dir, err := os.MkdirTemp("", "brokerkit-cli-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	bin = filepath.Join(dir, "brokerkit")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building brokerkit: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// playBrowser fetches args[0] the way a browser does and reports whether
// the page it ended on answered 200.
func playBrowser(args []string) int {
	if len(args) != 1 {
		return 2
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, args[0], nil)
	if err != nil {
		return 1
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 1
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 1
	}
	return 0
}

// emu is one broker emulator running in the test process, with what the
// tests need of it beyond its configuration.
type emu struct {
	name       string
	cfg        providers.Config
	user       string
	faults     *oauthsim.Faults
	invalidate func(token string) bool
	apiPrefix  string // a path prefix of the broker's API, for faults
}

// startEmu starts the named broker's emulator with the seeded user
// auto-approved, as `brokerkit emulate` will serve it.
func startEmu(t *testing.T, name string) *emu {
	t.Helper()
	var e *emu
	switch name {
	case "tradestation":
		srv := tradestationtest.NewServer()
		t.Cleanup(srv.Close)
		srv.SetAutoApprove(tradestationtest.User)
		c := srv.Config()
		e = &emu{cfg: providers.Config{ClientID: c.ClientID, ClientSecret: c.ClientSecret, RedirectURL: c.RedirectURL,
			Environment: c.Environment, Scopes: append(tradestation.DefaultScopes(), "Trade"), BaseURL: c.BaseURL},
			user: tradestationtest.User, faults: srv.Faults(), invalidate: srv.InvalidateToken, apiPrefix: "/v3/*"}
	case "just2trade":
		srv := just2tradetest.NewServer()
		t.Cleanup(srv.Close)
		srv.SetAutoApprove(just2tradetest.User)
		c := srv.Config()
		e = &emu{cfg: providers.Config{ClientID: c.ClientID, ClientSecret: c.ClientSecret, RedirectURL: c.RedirectURL,
			Environment: c.Environment, Scopes: c.Scopes, BaseURL: c.BaseURL},
			user: just2tradetest.User, faults: srv.Faults(), invalidate: srv.InvalidateToken}
	case "autoshares":
		srv := autosharestest.NewServer()
		t.Cleanup(srv.Close)
		srv.SetAutoApprove(autosharestest.User)
		c := srv.Config()
		scopes := c.Scopes
		if c.RefreshEnabled {
			scopes = append(autoshares.DefaultScopes(), autoshares.ScopeOfflineAccess)
		}
		e = &emu{cfg: providers.Config{ClientID: c.ClientID, ClientSecret: c.ClientSecret, RedirectURL: c.RedirectURL,
			Environment: c.Environment, Scopes: scopes, BaseURL: c.BaseURL, APIKey: c.APIKey, Domain: "emulator.invalid"},
			user: autosharestest.User, faults: srv.Faults(), invalidate: srv.InvalidateToken}
	case "spotware":
		srv := spotwaretest.NewServer()
		t.Cleanup(srv.Close)
		srv.SetAutoApprove(spotwaretest.User)
		c := srv.Config()
		e = &emu{cfg: providers.Config{ClientID: c.ClientID, ClientSecret: c.ClientSecret, RedirectURL: c.RedirectURL,
			Environment: c.Environment, Scopes: c.Scopes, BaseURL: c.BaseURL},
			user: spotwaretest.User, faults: srv.Faults(), invalidate: srv.InvalidateToken}
	default:
		t.Fatalf("no emulator %q", name)
	}
	e.name = name
	return e
}

// env is the emulator's configuration as the BROKERKIT_<BROKER>_* lines a
// user sets.
func (e *emu) env() []string {
	p := providers.EnvPrefix + strings.ToUpper(e.name) + "_"
	out := []string{p + "CLIENT_ID=" + e.cfg.ClientID, p + "CLIENT_SECRET=" + string(e.cfg.ClientSecret),
		p + "REDIRECT_URL=" + e.cfg.RedirectURL, p + "ENVIRONMENT=" + string(e.cfg.Environment), p + "BASE_URL=" + e.cfg.BaseURL}
	if len(e.cfg.Scopes) > 0 {
		out = append(out, p+"SCOPES="+strings.Join(e.cfg.Scopes, " "))
	}
	if e.cfg.APIKey != "" {
		out = append(out, p+"API_KEY="+string(e.cfg.APIKey))
	}
	if e.cfg.Domain != "" {
		out = append(out, p+"DOMAIN="+e.cfg.Domain)
	}
	return out
}

// secrets are the emulator's credentials that no output may show.
func (e *emu) secrets() []string {
	return slices.DeleteFunc([]string{string(e.cfg.ClientSecret), string(e.cfg.APIKey)}, func(s string) bool { return s == "" })
}

// home is one user's machine: a home and configuration directory, a token
// key, the environment every run gets, and a log of every output for the
// secret checks.
type home struct {
	t   *testing.T
	dir string
	key string
	env []string

	mu  sync.Mutex
	out strings.Builder
}

func newHome(t *testing.T, emus ...*emu) *home {
	t.Helper()
	dir := t.TempDir()
	k := make([]byte, 32)
	_, _ = rand.Read(k)
	h := &home{t: t, dir: dir, key: hex.EncodeToString(k)}
	h.env = []string{"HOME=" + dir, "XDG_CONFIG_HOME=" + filepath.Join(dir, "config"), "PATH=" + os.Getenv("PATH"),
		keyEnv + "=" + h.key, "BROWSER=" + os.Args[0], browserEnv + "=1"}
	for _, e := range emus {
		h.env = append(h.env, e.env()...)
	}
	return h
}

// result is one run of the binary.
type result struct {
	stdout, stderr string
	code           int
}

// run runs brokerkit with args as the user would, extra adding to (or
// overriding) the environment.
func (h *home) run(extra []string, args ...string) result {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(slices.Clone(h.env), extra...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		require.True(h.t, ok, "running brokerkit %v: %v", args, err)
		code = ee.ExitCode()
	}
	h.mu.Lock()
	fmt.Fprintf(&h.out, "$ brokerkit %s\n%s%s", strings.Join(args, " "), stdout.String(), stderr.String())
	h.mu.Unlock()
	return result{stdout.String(), stderr.String(), code}
}

// ok runs brokerkit and requires exit 0.
func (h *home) ok(args ...string) result {
	h.t.Helper()
	r := h.run(nil, args...)
	require.Equal(h.t, 0, r.code, "brokerkit %v\nstdout:\n%s\nstderr:\n%s", args, r.stdout, r.stderr)
	return r
}

// token reads what a login stored for the emulator's broker.
func (h *home) token(e *emu) *auth.Token {
	h.t.Helper()
	k, err := hex.DecodeString(h.key)
	require.NoError(h.t, err)
	fs, err := auth.NewFileStore(filepath.Join(h.dir, "config", "brokerkit", tokensDir), auth.FileStoreOptions{EncryptionKey: k})
	require.NoError(h.t, err)
	p, err := providers.New(e.name, e.cfg)
	require.NoError(h.t, err)
	tok, err := fs.Load(context.Background(), auth.Key(p.Name(), localUser+"@"+e.cfg.BaseURL))
	require.NoError(h.t, err)
	return tok
}

// codeParam finds an authorization code (or the verifier) in output.
var codeParam = regexp.MustCompile(`(?i)[?&#](code|code_verifier)=`)

// assertNoSecrets checks that nothing the runs printed holds a secret:
// tokens, client secrets, API keys, the token key, codes or verifiers.
func (h *home) assertNoSecrets(secrets ...string) {
	h.t.Helper()
	h.mu.Lock()
	out := h.out.String()
	h.mu.Unlock()
	require.NotEmpty(h.t, out)
	for _, s := range append(secrets, h.key) {
		if s == "" {
			continue // a token without a refresh token, say
		}
		assert.NotContains(h.t, out, s)
	}
	assert.False(h.t, codeParam.MatchString(out), "an authorization code or verifier was printed:\n%s", out)
}

// decodeJSON parses a run's stdout as one JSON document.
func decodeJSON(t *testing.T, r result, v any) {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(r.stdout))
	require.NoError(t, dec.Decode(v), "stdout:\n%s\nstderr:\n%s", r.stdout, r.stderr)
	require.False(t, dec.More(), "more than one JSON document:\n%s", r.stdout)
}
