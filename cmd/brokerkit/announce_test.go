package main

import (
	"bytes"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/brokerkit/brokerkit/internal/emulate"
)

// admin posts body to a running emulate's admin API.
func admin(t *testing.T, url, body string) {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	require.NoError(t, err)
	defer resp.Body.Close()
	var b bytes.Buffer
	_, _ = b.ReadFrom(resp.Body)
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s: %s", url, b.String())
}

// With no BROKERKIT_* variables, the command uses the emulators a running
// `brokerkit emulate` announced, says so, and keeps their tokens under
// their URLs; the admin API invalidating the user's tokens makes the
// command ask for a new login (exit 3). Once the emulator is gone the
// broker is not configured.
func TestAnnouncedEmulator(t *testing.T) {
	h := newHome(t)
	dir := filepath.Join(h.dir, "config", "brokerkit")
	srv, err := emulate.Start(emulate.Options{Brokers: []string{"tradestation", "just2trade"}, Addr: "127.0.0.1:0", Dir: dir})
	require.NoError(t, err)
	defer srv.Close()
	var secrets []string
	for _, b := range srv.Brokers() {
		admin(t, b.AdminURL+"/auto-approve", `{"user":"`+b.Users[0].Login+`"}`)
		secrets = append(secrets, b.ClientSecret)
	}
	ts := srv.Brokers()[0]
	require.Equal(t, "tradestation", ts.Broker)

	r := h.ok("login", "tradestation")
	assert.Contains(t, r.stderr, "using the emulator at "+ts.URL+" (from "+filepath.Join(dir, emulate.AnnouncementFile)+")")
	r = h.ok("status")
	assert.Contains(t, lineOf(r.stdout, "tradestation"), "emulator at "+ts.URL)
	assert.Contains(t, lineOf(r.stdout, "just2trade"), "no")
	assert.Contains(t, lineOf(r.stdout, "spotware"), "not configured")
	var doc struct {
		Accounts []accountJSON `json:"accounts"`
	}
	r = h.ok("accounts", "--json")
	assert.Contains(t, r.stderr, "tradestation: no BROKERKIT_TRADESTATION_* variables set: using the emulator at "+ts.URL)
	decodeJSON(t, r, &doc)
	require.NotEmpty(t, doc.Accounts)
	e := &emu{name: "tradestation", cfg: ts.Config()}
	tok := h.token(e)

	admin(t, ts.AdminURL+"/invalidate", `{"user":"`+ts.Users[0].Login+`"}`)
	r = h.run(nil, "accounts")
	assert.Equal(t, exitLogin, r.code, r.stderr)
	assert.Contains(t, r.stderr, "a new login to tradestation is needed")
	h.ok("login", "tradestation")
	h.ok("accounts")
	h.ok("logout", "tradestation")

	require.NoError(t, srv.Close())
	r = h.run(nil, "login", "tradestation")
	assert.Equal(t, exitFailure, r.code)
	assert.Contains(t, r.stderr, "tradestation is not configured")
	h.assertNoSecrets(append(secrets, tok.AccessToken, tok.RefreshToken)...)
}
