package main

import (
	"bufio"
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/brokerkit/brokerkit/internal/oauthsim"
	"github.com/brokerkit/brokerkit/internal/redact"
	"github.com/brokerkit/brokerkit/providers"
)

// Every command answers -h and help on stdout with exit 0; a bad command
// line is a usage error (2) on stderr.
func TestHelpAndUsageErrors(t *testing.T) {
	h := newHome(t)
	for _, args := range [][]string{{"-h"}, {"--help"}, {"help"}} {
		r := h.ok(args...)
		assert.Contains(t, r.stdout, "usage: brokerkit <command>")
		assert.Contains(t, r.stdout, "Exit codes:")
		assert.Contains(t, r.stdout, "BROKERKIT_TOKEN_KEY")
		assert.Empty(t, r.stderr)
	}
	for _, c := range commands() {
		if c.name == "emulate" {
			continue
		}
		words := strings.Fields(c.name)
		for _, args := range [][]string{append([]string{"help"}, words...), append(slices.Clone(words), "-h")} {
			r := h.ok(args...)
			assert.Contains(t, r.stdout, "usage: brokerkit "+c.name, "%v", args)
			assert.Contains(t, r.stdout, "-json", "%v", args)
			assert.Contains(t, r.stdout, "3  login needed", "%v", args)
			assert.Empty(t, r.stderr, "%v", args)
		}
	}
	r := h.ok("help", "login")
	assert.Contains(t, r.stdout, "$BROWSER")
	for _, args := range [][]string{{"help", "order"}, {"order", "-h"}} {
		r := h.ok(args...)
		assert.Contains(t, r.stdout, "brokerkit order place")
		assert.Contains(t, r.stdout, "brokerkit order cancel")
	}

	for _, args := range [][]string{
		{}, {"frobnicate"}, {"order"}, {"help", "frobnicate"}, {"accounts", "--nope"}, {"accounts", "extra"},
		{"quotes"}, {"login"}, {"login", "nosuchbroker"}, {"status", "--broker", "nosuchbroker"},
		{"order", "place", "--account", "A"}, {"order", "place", "--account", "A", "--symbol", "S", "--side", "up", "--qty", "1"},
		{"order", "place", "--account", "A", "--symbol", "S", "--side", "buy", "--qty", "one"},
		{"order", "cancel", "X"},
	} {
		r := h.run(nil, args...)
		assert.Equal(t, exitUsage, r.code, "%v: %s", args, r.stderr)
		assert.Empty(t, r.stdout, "%v", args)
		assert.NotEmpty(t, r.stderr, "%v", args)
	}
}

// A login against each emulator through $BROWSER (auto-approved), status
// with a human expiry, the data commands, and logout; no output holds a
// secret.
func TestLoginStatusLogoutEachEmulator(t *testing.T) {
	for _, name := range providers.Names() {
		t.Run(name, func(t *testing.T) {
			e := startEmu(t, name)
			h := newHome(t, e)

			r := h.run(nil, "status", "--broker", name)
			assert.Equal(t, exitLogin, r.code, r.stderr)

			r = h.ok("login", name, "--sign-agreements")
			assert.Contains(t, r.stderr, "Open this address in your browser")
			assert.Contains(t, r.stderr, e.cfg.BaseURL, "the authorization address is printed")
			assert.Contains(t, r.stdout, "Logged in to ")
			tok := h.token(e)

			r = h.ok("status")
			line := lineOf(r.stdout, name)
			assert.Regexp(t, `\byes\s+in (\d+d \d+h|\d+d|\d+h \d+m|\d+h|\d+m \d+s|\d+m|\d+s)\s+(yes|no)\s+emulator at http://127\.0\.0\.1:`, line)
			assert.NotRegexp(t, `\d+h\d+m\d+s`, r.stdout)
			for _, other := range providers.Names() {
				if other != name {
					assert.Contains(t, lineOf(r.stdout, other), "not configured")
				}
			}
			var st struct {
				Brokers []statusRow `json:"brokers"`
			}
			decodeJSON(t, h.ok("status", "--json", "--broker", name), &st)
			require.Len(t, st.Brokers, 1)
			assert.True(t, st.Brokers[0].LoggedIn)
			assert.False(t, st.Brokers[0].Expired)
			assert.Equal(t, tok.RefreshToken != "", st.Brokers[0].Refresh)

			if name != "spotware" { // its API is a Protobuf session the BROKERKIT_* lines cannot point at
				var doc struct {
					Accounts []accountJSON `json:"accounts"`
					Errors   []jsonError   `json:"errors"`
				}
				decodeJSON(t, h.ok("accounts", "--json"), &doc)
				require.NotEmpty(t, doc.Accounts)
				assert.Equal(t, name, doc.Accounts[0].Broker)
				assert.Empty(t, doc.Errors)
				assert.Contains(t, h.ok("accounts").stdout, doc.Accounts[0].ID)
				h.ok("balances")
				h.ok("positions", doc.Accounts[0].ID)
				h.ok("orders")
			} else {
				r = h.run(nil, "accounts")
				assert.Equal(t, exitFailure, r.code)
				assert.Contains(t, r.stderr, "BASE_URL does not move", "never the real cTrader hosts")
			}

			r = h.ok("logout", name)
			assert.Contains(t, r.stdout, "Logged out of ")
			assert.Equal(t, exitLogin, h.run(nil, "status", "--broker", name).code)
			assert.Contains(t, h.ok("logout", name).stdout, "Not logged in")
			r = h.run(nil, "accounts")
			assert.Equal(t, exitLogin, r.code)
			assert.Contains(t, r.stderr, "brokerkit login")

			h.assertNoSecrets(append(e.secrets(), tok.AccessToken, tok.RefreshToken)...)
		})
	}
}

// lineOf is the line of out that starts with prefix.
func lineOf(out, prefix string) string {
	for l := range strings.Lines(out) {
		if strings.HasPrefix(l, prefix) {
			return l
		}
	}
	return ""
}

// Quotes, an order placed, listed and cancelled, and each exit code a
// script relies on, against the TradeStation and Just2Trade emulators at
// once.
func TestQuotesOrdersAndExitCodes(t *testing.T) {
	ts, j2t := startEmu(t, "tradestation"), startEmu(t, "just2trade")
	h := newHome(t, ts, j2t)
	h.ok("login", "tradestation")
	h.ok("login", "just2trade")
	var toks []string
	for _, e := range []*emu{ts, j2t} {
		tok := h.token(e)
		toks = append(toks, tok.AccessToken, tok.RefreshToken)
	}

	// Both brokers at once, one JSON document.
	var accts struct {
		Accounts []accountJSON `json:"accounts"`
	}
	decodeJSON(t, h.ok("accounts", "--json"), &accts)
	brokers := map[string]bool{}
	for _, a := range accts.Accounts {
		brokers[a.Broker] = true
	}
	assert.Equal(t, map[string]bool{"tradestation": true, "just2trade": true}, brokers)

	tsb, err := providers.Builtin().Lookup("tradestation")
	require.NoError(t, err)
	sym := tsb.Symbols[0]
	var quotes struct {
		Quotes []quoteJSON `json:"quotes"`
		Errors []jsonError `json:"errors"`
	}
	decodeJSON(t, h.ok("quotes", sym, "--broker", "tradestation", "--json"), &quotes)
	require.Len(t, quotes.Quotes, 1)
	q := quotes.Quotes[0]
	assert.Equal(t, sym, q.Symbol)
	require.True(t, q.Bid != nil || q.Last != nil, "a price")
	r := h.ok("quotes", sym, "--broker", "tradestation")
	assert.Regexp(t, `(?m)^tradestation\s+`+sym+`\s+\d`, r.stdout)

	// 4: a partial result.
	r = h.run(nil, "quotes", sym, "NOSUCHSYMBOLX", "--broker", "tradestation")
	assert.Equal(t, exitPartial, r.code, r.stderr)
	assert.Contains(t, r.stdout, sym)
	assert.Contains(t, r.stderr, "NOSUCHSYMBOLX")
	decodeJSON(t, h.run(nil, "quotes", sym, "NOSUCHSYMBOLX", "--broker", "tradestation", "--json"), &quotes)
	require.Len(t, quotes.Errors, 1)
	assert.Equal(t, exitPartial, quotes.Errors[0].ExitCode)
	assert.Contains(t, quotes.Errors[0].Failed, "NOSUCHSYMBOLX")

	// An order placed, seen, and cancelled.
	var account string
	for _, a := range accts.Accounts {
		if a.Broker == "tradestation" && account == "" {
			account = a.ID
		}
	}
	limit := "1.23"
	var placed struct {
		Order  orderJSON   `json:"order"`
		Errors []jsonError `json:"errors"`
	}
	decodeJSON(t, h.ok("order", "place", "--account", account, "--symbol", sym, "--side", "buy", "--qty", "1",
		"--type", "limit", "--limit", limit, "--tif", "day", "--json"), &placed)
	o := placed.Order
	require.NotEmpty(t, o.ID)
	assert.Equal(t, "tradestation", o.Broker, "the broker is found by the account")
	assert.Equal(t, "open", o.Status)
	require.NotNil(t, o.LimitPrice)
	assert.True(t, decimal.RequireFromString(limit).Equal(decimal.RequireFromString(*o.LimitPrice)))
	r = h.ok("orders", account)
	assert.Contains(t, r.stdout, o.ID, "the other broker, without the account, is no failure")
	assert.Empty(t, r.stderr)
	r = h.run(nil, "positions", "NOSUCHACCOUNT")
	assert.Equal(t, exitFailure, r.code)
	assert.Contains(t, r.stderr, "no such account")
	r = h.ok("order", "cancel", "--account", account, o.ID)
	assert.Contains(t, lineOf(r.stdout, "tradestation"), "canceled")

	// 2: refused before sending (a limit order without a price).
	r = h.run(nil, "order", "place", "--account", account, "--symbol", sym, "--side", "buy", "--qty", "1", "--type", "limit")
	assert.Equal(t, exitUsage, r.code, r.stderr)
	// 1: a failure (no such order).
	r = h.run(nil, "order", "cancel", "--account", account, "999999999", "--broker", "tradestation")
	assert.Equal(t, exitFailure, r.code, r.stderr)
	// 1: an account no broker has.
	r = h.run(nil, "order", "cancel", "--account", "NOSUCHACCOUNT", "X")
	assert.Equal(t, exitFailure, r.code, r.stderr)
	// 5: the broker unavailable.
	ts.faults.Next(ts.apiPrefix, oauthsim.Fault{Status: http.StatusServiceUnavailable}, 0)
	r = h.run(nil, "accounts", "--broker", "tradestation")
	assert.Equal(t, exitUnavailable, r.code, r.stderr)
	assert.Contains(t, r.stderr, "try again later")
	// Across both brokers: Just2Trade's accounts are shown, and the code
	// is TradeStation's.
	r = h.run(nil, "accounts")
	assert.Equal(t, exitUnavailable, r.code, r.stderr)
	assert.Contains(t, r.stdout, "just2trade")
	ts.faults.Clear()
	h.ok("accounts")
	// 5: rate-limited, with the wait the broker asks for.
	ts.faults.Next(ts.apiPrefix, oauthsim.Fault{Status: http.StatusTooManyRequests, RetryAfter: 90 * time.Second}, 0)
	r = h.run(nil, "accounts", "--broker", "tradestation", "--json")
	assert.Equal(t, exitUnavailable, r.code, r.stderr)
	assert.Contains(t, r.stderr, "the broker asks to wait 1m 30s before trying again")
	ts.faults.Clear()

	// A broker answering with the user's own secrets in its error text:
	// neither the token nor the client secret reaches the output.
	tok := h.token(ts)
	ts.faults.Next(ts.apiPrefix, oauthsim.Fault{Status: http.StatusBadRequest, ContentType: "application/json",
		Body: `{"Error":"BadRequest","Message":"token ` + tok.AccessToken + ` of client ` + string(ts.cfg.ClientSecret) + ` refused"}`}, 0)
	for _, json := range []string{"--json", "--json=false"} {
		r = h.run(nil, "accounts", "--broker", "tradestation", json)
		assert.Equal(t, exitFailure, r.code, r.stderr)
		assert.Contains(t, r.stderr+r.stdout, redact.Mark, "the secrets were there, and were removed")
	}
	ts.faults.Clear()
	toks = append(toks, tok.AccessToken, tok.RefreshToken)

	h.assertNoSecrets(append(append(ts.secrets(), j2t.secrets()...), toks...)...)
}

// A token invalidated at the broker (the user's whole session, refresh
// token included): the command says a new login is needed, exit 3, and a
// new login mends it.
func TestInvalidatedTokenNeedsLogin(t *testing.T) {
	for _, name := range []string{"tradestation", "just2trade", "autoshares"} {
		t.Run(name, func(t *testing.T) {
			e := startEmu(t, name)
			h := newHome(t, e)
			h.ok("login", name)
			h.ok("accounts")
			tok := h.token(e)
			secret := tok.RefreshToken
			if secret == "" {
				secret = tok.AccessToken
			}
			require.True(t, e.invalidate(secret))

			r := h.run(nil, "accounts", "--json")
			assert.Equal(t, exitLogin, r.code, r.stderr)
			assert.Contains(t, r.stderr, "a new login to "+name+" is needed")
			assert.Contains(t, r.stderr, "run: brokerkit login "+name)
			var doc struct {
				Errors []jsonError `json:"errors"`
			}
			decodeJSON(t, r, &doc)
			require.Len(t, doc.Errors, 1)
			assert.Equal(t, exitLogin, doc.Errors[0].ExitCode)

			var login struct {
				Broker   string      `json:"broker"`
				LoggedIn bool        `json:"logged_in"`
				Errors   []jsonError `json:"errors"`
			}
			decodeJSON(t, h.ok("login", name, "--json"), &login)
			assert.Equal(t, name, login.Broker)
			assert.True(t, login.LoggedIn)
			h.ok("accounts")
			h.assertNoSecrets(append(e.secrets(), tok.AccessToken, tok.RefreshToken)...)
		})
	}
}

// With no browser at all the login does not fail: it prints the address,
// which the user (here the test) opens.
func TestLoginWithoutBrowserPrintsTheAddress(t *testing.T) {
	e := startEmu(t, "just2trade")
	h := newHome(t, e)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "login", "just2trade")
	cmd.Env = append(slices.Clone(h.env), "BROWSER=", "PATH="+t.TempDir())
	stderr, err := cmd.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	sc := bufio.NewScanner(stderr)
	var authURL string
	var lines []string
	for sc.Scan() {
		lines = append(lines, sc.Text())
		if l := strings.TrimSpace(sc.Text()); strings.HasPrefix(l, e.cfg.BaseURL) {
			authURL = l
			break
		}
	}
	require.NotEmpty(t, authURL, "stderr: %s", strings.Join(lines, "\n"))
	require.Equal(t, 0, playBrowser([]string{authURL}))
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	require.NoError(t, cmd.Wait())
	assert.Contains(t, strings.Join(lines, "\n"), "no browser found")
	h.ok("accounts")
}

// The token store: a 0700 directory, a 0600 key file created on first use
// when BROKERKIT_TOKEN_KEY is unset, encrypted token files; an emulator's
// tokens are kept under its URL, apart from another host's.
func TestTokenStoreIsEncryptedAndKeyedByHost(t *testing.T) {
	e := startEmu(t, "tradestation")
	h := newHome(t, e)
	noKey := []string{keyEnv + "="}
	r := h.run(noKey, "login", "tradestation")
	require.Equal(t, 0, r.code, r.stderr)
	dir := filepath.Join(h.dir, "config", "brokerkit")
	for path, mode := range map[string]os.FileMode{dir: 0o700, filepath.Join(dir, tokensDir): 0o700, filepath.Join(dir, keyFile): 0o600} {
		fi, err := os.Stat(path)
		require.NoError(t, err)
		assert.Equal(t, mode, fi.Mode().Perm(), path)
	}
	key, err := os.ReadFile(filepath.Join(dir, keyFile))
	require.NoError(t, err)
	h.key = strings.TrimSpace(string(key))
	tok := h.token(e)
	files, err := filepath.Glob(filepath.Join(dir, tokensDir, "*.token"))
	require.NoError(t, err)
	require.Len(t, files, 1)
	assert.Contains(t, filepath.Base(files[0]), "127", "the emulator's address is part of the key")
	raw, err := os.ReadFile(files[0])
	require.NoError(t, err)
	assert.NotContains(t, string(raw), tok.AccessToken)
	assert.NotContains(t, string(raw), tok.RefreshToken)

	r = h.run(noKey, "status", "--broker", "tradestation")
	assert.Equal(t, 0, r.code, r.stderr)
	// The same broker at another host has no login.
	r = h.run(append(noKey, "BROKERKIT_TRADESTATION_BASE_URL=http://127.0.0.1:1"), "status", "--broker", "tradestation")
	assert.Equal(t, exitLogin, r.code, r.stdout)
	// A key other than the one the tokens were sealed with cannot read them.
	r = h.run(nil, "accounts")
	assert.Equal(t, exitFailure, r.code)
	assert.Contains(t, r.stderr, "decrypt")
	h.assertNoSecrets(append(e.secrets(), tok.AccessToken, tok.RefreshToken)...)
}

// humanDuration never prints Go's "730h0m0s".
func TestHumanDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0: "0s", 45 * time.Second: "45s", 19*time.Minute + 59*time.Second: "19m", 3*time.Hour + 5*time.Minute: "3h 5m",
		2 * time.Hour: "2h", 730 * time.Hour: "30d 10h", 30*24*time.Hour - time.Minute: "29d 23h", 48 * time.Hour: "2d",
		-90 * time.Second: "1m 30s", 10*time.Minute + 5*time.Second: "10m", 5 * time.Minute: "5m",
	} {
		assert.Equal(t, want, humanDuration(d), "%v", d)
	}
	assert.NotRegexp(t, regexp.MustCompile(`\dh\dm`), humanDuration(730*time.Hour))
}
