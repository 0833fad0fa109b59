package main

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/brokerkit/brokerkit/cmd/brokerkit/internal/emulate"
)

// The end-to-end test, as a user runs it: `brokerkit emulate` in
// the background; then login (the emulator auto-approving the seeded
// user), accounts --json, quotes, an order placed and cancelled, logout,
// at TradeStation, Just2Trade and cTrader (whose Protobuf session goes to
// the announced hosts, trusting the announced certificate);
// the admin API invalidating the user's tokens and the command then saying
// a new login is needed. The environment lines emulate prints configure
// the command exactly as its announcement does.
func TestEmulateEndToEnd(t *testing.T) {
	h := newHome(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	em := exec.CommandContext(ctx, bin, "emulate", "tradestation", "just2trade", "spotware", "--addr", "127.0.0.1:0")
	em.Env = slices.Clone(h.env)
	stdout, err := em.StdoutPipe()
	require.NoError(t, err)
	em.Stderr = os.Stderr
	require.NoError(t, em.Start())
	defer func() { _ = em.Process.Kill() }()

	// Three JSON lines, each followed by its environment lines.
	var infos []emulate.Info
	var envLines []string
	sc := bufio.NewScanner(stdout)
	sc.Buffer(nil, 1<<20)
	wantEnv := func() int {
		n := 0
		for _, i := range infos {
			n += len(i.Env())
		}
		return n
	}
	for len(infos) < 3 || len(envLines) < wantEnv() {
		require.True(t, sc.Scan(), "emulate's output ended: %v", sc.Err())
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "{"):
			var i emulate.Info
			require.NoError(t, json.Unmarshal([]byte(line), &i), line)
			infos = append(infos, i)
		case strings.HasPrefix(line, "BROKERKIT_"):
			envLines = append(envLines, shellUnquote(line))
		}
	}
	go func() { _, _ = bufio.NewReader(stdout).WriteTo(discardWriter{}) }()
	ts := infos[0]
	require.Equal(t, "tradestation", ts.Broker)
	var secrets []string
	for _, i := range infos {
		admin(t, i.AdminURL+"/auto-approve", `{"user":"`+i.Users[0].Login+`"}`)
		secrets = append(secrets, i.ClientSecret)
	}

	r := h.ok("login", "tradestation")
	assert.Contains(t, r.stderr, "using the emulator at "+ts.URL)
	assert.Contains(t, r.stderr, emulate.AnnouncementFile)
	h.ok("login", "just2trade")
	sw := infos[2]
	require.Equal(t, "spotware", sw.Broker)
	h.ok("login", "spotware")

	var accts struct {
		Accounts []accountJSON `json:"accounts"`
		Errors   []jsonError   `json:"errors"`
	}
	decodeJSON(t, h.ok("accounts", "--json"), &accts)
	assert.Empty(t, accts.Errors)
	var account string
	brokers := map[string]bool{}
	for _, a := range accts.Accounts {
		brokers[a.Broker] = true
		if a.Broker == "tradestation" && account == "" {
			account = a.ID
		}
	}
	assert.Equal(t, map[string]bool{"tradestation": true, "just2trade": true, "spotware": true}, brokers)

	r = h.ok("quotes", "MSFT", "--broker", "tradestation")
	assert.Regexp(t, `(?m)^tradestation\s+MSFT\s+\d`, r.stdout)

	var placed struct {
		Order orderJSON `json:"order"`
	}
	decodeJSON(t, h.ok("order", "place", "--account", account, "--symbol", "MSFT", "--side", "buy", "--qty", "1",
		"--type", "limit", "--limit", "10.5", "--json"), &placed)
	require.NotEmpty(t, placed.Order.ID)
	assert.Equal(t, "open", placed.Order.Status)
	var canceled struct {
		Order orderJSON `json:"order"`
	}
	decodeJSON(t, h.ok("order", "cancel", "--account", account, placed.Order.ID, "--json"), &canceled)
	assert.Equal(t, placed.Order.ID, canceled.Order.ID)
	assert.Equal(t, "canceled", canceled.Order.Status)

	spotwareCommands(t, h)
	swTok := h.token(&emu{name: "spotware", cfg: sw.Config()})

	// The printed environment lines reach the same emulator, under the
	// same token key: the login made through the announcement shows.
	r = h.run(envLines, "status", "--broker", "tradestation", "--json")
	require.Equal(t, 0, r.code, r.stderr)
	var st struct {
		Brokers []statusRow `json:"brokers"`
	}
	decodeJSON(t, r, &st)
	assert.True(t, st.Brokers[0].LoggedIn)
	assert.Equal(t, "emulator at "+ts.URL, st.Brokers[0].Where)
	tok := h.token(&emu{name: "tradestation", cfg: ts.Config()})

	// The admin API withdraws the user's tokens: a new login is needed.
	admin(t, ts.AdminURL+"/invalidate", `{"user":"`+ts.Users[0].Login+`"}`)
	r = h.run(nil, "accounts", "--broker", "tradestation")
	assert.Equal(t, exitLogin, r.code, r.stderr)
	assert.Contains(t, r.stderr, "a new login to tradestation is needed")
	assert.Contains(t, r.stderr, "run: brokerkit login tradestation")

	r = h.ok("logout", "tradestation")
	assert.Contains(t, r.stdout, "Logged out of TradeStation")
	h.ok("logout", "just2trade")
	h.ok("logout", "spotware")
	assert.Equal(t, exitLogin, h.run(nil, "accounts").code)

	// A clean stop: exit 0, the announcement gone, the brokers unconfigured.
	require.NoError(t, em.Process.Signal(syscall.SIGINT))
	require.NoError(t, em.Wait())
	_, err = os.Stat(filepath.Join(h.dir, "config", "brokerkit", emulate.AnnouncementFile))
	assert.True(t, os.IsNotExist(err), "announcement removed: %v", err)
	r = h.run(nil, "login", "tradestation")
	assert.Equal(t, exitFailure, r.code)
	assert.Contains(t, r.stderr, "not configured")

	h.assertNoSecrets(append(secrets, tok.AccessToken, tok.RefreshToken, swTok.AccessToken, swTok.RefreshToken)...)
}

// shellUnquote undoes the single quotes emulate puts around a value a
// POSIX shell would split: NAME='a b' is NAME=a b.
func shellUnquote(line string) string {
	name, v, _ := strings.Cut(line, "=")
	if len(v) >= 2 && v[0] == '\'' && v[len(v)-1] == '\'' {
		v = strings.ReplaceAll(v[1:len(v)-1], `'\''`, "'")
	}
	return name + "=" + v
}

type discardWriter struct{}

func (discardWriter) Write(p []byte) (int, error) { return len(p), nil }
