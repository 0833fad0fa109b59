package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/autoshares/autosharestest"
	"github.com/brokerkit/brokerkit/internal/exampletest"
	"github.com/brokerkit/brokerkit/just2trade/just2tradetest"
	"github.com/brokerkit/brokerkit/providers"
	"github.com/brokerkit/brokerkit/providers/providerstest"
	"github.com/brokerkit/brokerkit/spotware/spotwaretest"
	"github.com/brokerkit/brokerkit/tradestation/tradestationtest"
)

// env returns a getenv over m.
func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

// storedToken reads what a run left in dir, with the key from dir/store.key.
func storedToken(t *testing.T, dir, broker string) *auth.Token {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "store.key"))
	require.NoError(t, err)
	key, err := hex.DecodeString(strings.TrimSpace(string(b)))
	require.NoError(t, err)
	fs, err := auth.NewFileStore(filepath.Join(dir, "tokens"), auth.FileStoreOptions{EncryptionKey: key})
	require.NoError(t, err)
	tok, err := fs.Load(context.Background(), auth.Key(broker, user))
	require.NoError(t, err)
	return tok
}

// assertNoSecrets checks that out holds none of the token's secrets, the
// client secret, nor the store's key.
func assertNoSecrets(t *testing.T, out string, tok *auth.Token, dir string, secrets ...string) {
	t.Helper()
	require.NotEmpty(t, tok.AccessToken)
	assert.NotContains(t, out, tok.AccessToken)
	if tok.RefreshToken != "" {
		assert.NotContains(t, out, tok.RefreshToken)
	}
	key, err := os.ReadFile(filepath.Join(dir, "store.key"))
	require.NoError(t, err)
	assert.NotContains(t, out, strings.TrimSpace(string(key)))
	for _, s := range secrets {
		assert.NotContains(t, out, s)
	}
}

func TestDefaultRunLogsInAndShowsStatus(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	dir := t.TempDir()
	var out bytes.Buffer
	require.NoError(t, run(ctx, &out, nil, env(map[string]string{"BROKERKIT_LOGIN_DIR": dir})), out.String())
	s := out.String()
	for _, want := range []string{
		"Using the tradestation emulator at http://127.0.0.1:",
		"Logged in to tradestation.",
		"Provider:      tradestation",
		"Access token:  valid until ",
		"(20m0s left)",
		"Refresh token: present; refreshed automatically before expiry",
		"(AES-256-GCM)",
	} {
		assert.Contains(t, s, want)
	}
	tok := storedToken(t, dir, "tradestation")
	assertNoSecrets(t, s, tok, dir, tradestationtest.V3ClientSecret)

	// The key file is private and the token file is sealed.
	fi, err := os.Stat(filepath.Join(dir, "store.key"))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	files, err := filepath.Glob(filepath.Join(dir, "tokens", "*.token"))
	require.NoError(t, err)
	require.Len(t, files, 1)
	raw, err := os.ReadFile(files[0])
	require.NoError(t, err)
	assert.NotContains(t, string(raw), tok.AccessToken)
	assert.NotContains(t, string(raw), tok.RefreshToken)
}

func TestDefaultRunUsesTempDir(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var out bytes.Buffer
	require.NoError(t, run(ctx, &out, []string{"login", "just2trade"}, env(nil)), out.String())
	m := regexp.MustCompile(`saved \(encrypted\) to (\S+)`).FindStringSubmatch(out.String())
	require.Len(t, m, 2, out.String())
	assert.True(t, strings.HasPrefix(m[1], os.TempDir()), "emulator tokens stay out of the config dir: %s", m[1])
	_, err := os.Stat(m[1])
	assert.ErrorIs(t, err, os.ErrNotExist, "the temporary store is removed at exit")
}

// TestSpotwareRotatingLifecycle logs in, shows the status and logs out in
// three runs sharing one store, as a user would.
func TestSpotwareRotatingLifecycle(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	dir := t.TempDir()
	e := env(map[string]string{"BROKERKIT_LOGIN_DIR": dir})

	var login, status, logout, after bytes.Buffer
	require.NoError(t, run(ctx, &login, []string{"login", "spotware"}, e), login.String())
	assert.Contains(t, login.String(), "Logged in to spotware.")
	tok := storedToken(t, dir, "spotware")

	require.NoError(t, run(ctx, &status, []string{"status", "spotware"}, e), status.String())
	s := status.String()
	for _, want := range []string{
		"Provider:      spotware",
		"left)",
		"every refresh replaces it (rotation)",
	} {
		assert.Contains(t, s, want)
	}
	assertNoSecrets(t, login.String()+s, tok, dir, spotwaretest.ClientSecret)

	require.NoError(t, run(ctx, &logout, []string{"logout", "spotware"}, e), logout.String())
	assert.Contains(t, logout.String(), "Logged out of spotware")
	require.NoError(t, run(ctx, &after, []string{"status", "spotware"}, e))
	assert.Contains(t, after.String(), "Not logged in to spotware.")
}

func TestAutoSharesLoginAndLogout(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	dir := t.TempDir()
	e := env(map[string]string{"BROKERKIT_LOGIN_DIR": dir})
	var out bytes.Buffer
	require.NoError(t, run(ctx, &out, []string{"login", "autoshares"}, e), out.String())
	tok := storedToken(t, dir, "autoshares")
	out.Reset()
	require.NoError(t, run(ctx, &out, []string{"status", "autoshares"}, e), out.String())
	assert.Contains(t, out.String(), "Provider:      autoshares")
	assertNoSecrets(t, out.String(), tok, dir, autosharestest.ClientSecret, autosharestest.APIKey)
}

func TestWrongKeyIsReported(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	dir := t.TempDir()
	key := strings.Repeat("ab", 32)
	require.NoError(t, run(ctx, &bytes.Buffer{}, []string{"login", "just2trade"},
		env(map[string]string{"BROKERKIT_LOGIN_DIR": dir, "BROKERKIT_LOGIN_KEY": key})))
	_, err := os.Stat(filepath.Join(dir, "store.key"))
	assert.ErrorIs(t, err, os.ErrNotExist, "a key from the environment is not written to disk")

	other := strings.Repeat("cd", 32)
	err = run(ctx, &bytes.Buffer{}, []string{"status", "just2trade"},
		env(map[string]string{"BROKERKIT_LOGIN_DIR": dir, "BROKERKIT_LOGIN_KEY": other}))
	assert.ErrorIs(t, err, auth.ErrStoreCorrupt)

	var out bytes.Buffer
	require.NoError(t, run(ctx, &out, []string{"status", "just2trade"},
		env(map[string]string{"BROKERKIT_LOGIN_DIR": dir, "BROKERKIT_LOGIN_KEY": key})))
	assert.Contains(t, out.String(), "Provider:      just2trade")
	assert.NotContains(t, out.String(), just2tradetest.ClientSecret)
	assert.NotContains(t, out.String(), key)
}

func TestKeyFileChecks(t *testing.T) {
	dir := t.TempDir()
	k1, err := encryptionKey(dir, "")
	require.NoError(t, err)
	k2, err := encryptionKey(dir, "")
	require.NoError(t, err)
	assert.Equal(t, k1, k2, "the key is created once and then read")

	require.NoError(t, os.Chmod(filepath.Join(dir, "store.key"), 0o644))
	_, err = encryptionKey(dir, "")
	assert.ErrorContains(t, err, "chmod 600")

	for _, bad := range []string{"xyz", strings.Repeat("ab", 16)} {
		_, err := encryptionKey(dir, bad)
		assert.ErrorContains(t, err, "64 hex digits")
	}
}

func TestArguments(t *testing.T) {
	for _, args := range [][]string{{"logn"}, {"login", "robinhood"}, {"login", "spotware", "extra"}, {"spotware", "login"}} {
		err := run(context.Background(), &bytes.Buffer{}, args, env(nil))
		assert.Error(t, err, "%q", args)
	}
	err := run(context.Background(), &bytes.Buffer{}, []string{"login", "robinhood"}, env(nil))
	assert.ErrorContains(t, err, "brokers: autoshares, just2trade, spotware, tradestation")
}

func TestRealBrokerNeedsItsVariables(t *testing.T) {
	t.Setenv("BROKERKIT_AUTOSHARES_CLIENT_ID", "app")
	err := run(context.Background(), &bytes.Buffer{}, []string{"status", "autoshares"}, os.Getenv)
	require.Error(t, err)
	for _, v := range []string{"BROKERKIT_AUTOSHARES_REDIRECT_URL", "BROKERKIT_AUTOSHARES_DOMAIN", "BROKERKIT_AUTOSHARES_API_KEY"} {
		assert.ErrorContains(t, err, v)
	}
}

func TestRealBrokerNeedsLoopbackRedirect(t *testing.T) {
	t.Setenv("BROKERKIT_JUST2TRADE_CLIENT_ID", "app")
	t.Setenv("BROKERKIT_JUST2TRADE_CLIENT_SECRET", "s")
	t.Setenv("BROKERKIT_JUST2TRADE_ENVIRONMENT", "just2trade")
	t.Setenv("BROKERKIT_JUST2TRADE_REDIRECT_URL", "https://app.example.com/callback")
	err := run(context.Background(), &bytes.Buffer{}, []string{"login", "just2trade"}, os.Getenv)
	assert.ErrorContains(t, err, "BROKERKIT_JUST2TRADE_REDIRECT_URL")
}

// TestRealModePrintsTheURL runs the real-broker path of every broker,
// configured from the environment, against an emulator standing in for the
// broker: the program prints the address, the "user" opens it, and every
// request of the login, the status and the logout goes to the host
// BROKERKIT_<BROKER>_BASE_URL names. Every BROKERKIT_<BROKER>_* variable
// is set, and the program reports the environment it read.
func TestRealModePrintsTheURL(t *testing.T) {
	for _, name := range providers.Names() {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			em, err := providerstest.Start(name)
			require.NoError(t, err)
			defer em.Close()
			c := em.Config()
			dir := t.TempDir()
			prefix := "BROKERKIT_" + strings.ToUpper(name) + "_"
			e := env(map[string]string{prefix + "CLIENT_ID": c.ClientID, prefix + "CLIENT_SECRET": c.ClientSecret.Reveal(),
				prefix + "REDIRECT_URL": c.RedirectURL, prefix + "BASE_URL": c.BaseURL,
				prefix + "ENVIRONMENT": string(c.Environment), prefix + "SCOPES": strings.Join(c.Scopes, " "),
				prefix + "DOMAIN": "tenant.example.com", prefix + "API_KEY": c.APIKey.Reveal(),
				"BROKERKIT_LOGIN_DIR": dir})

			rec := exampletest.RecordHosts(t)

			out := exampletest.NewTerminal()
			done := make(chan error, 1)
			go func() { done <- run(ctx, out, nil, e) }()
			select {
			case u := <-out.URL():
				assert.True(t, strings.HasPrefix(u, em.URL()+"/"), u)
				_, err := em.Browser(em.User()).LoginAndVisit(ctx, u)
				require.NoError(t, err)
			case err := <-done:
				t.Fatalf("run ended before printing the address: %v\n%s", err, out)
			}
			require.NoError(t, <-done, out.String())
			s := out.String()
			assert.Contains(t, s, fmt.Sprintf("Using %s (%s at %s)", name, c.Environment, c.BaseURL))
			assert.Contains(t, s, "Open this address in your browser to log in to "+name)
			assert.Contains(t, s, "Logged in to "+name+".")
			assert.Contains(t, s, filepath.Join(dir, "tokens"))
			assertNoSecrets(t, s, storedToken(t, dir, name), dir, c.ClientSecret.Reveal())

			var logout bytes.Buffer
			require.NoError(t, run(ctx, &logout, []string{"logout", name}, e), logout.String())
			assert.Contains(t, logout.String(), "Logged out of "+name)

			emu, err := url.Parse(em.URL())
			require.NoError(t, err)
			require.NotEmpty(t, rec.Seen())
			for _, host := range rec.Seen() {
				assert.Equal(t, emu.Host, host, "a request left for another host than BASE_URL's")
			}
		})
	}
}

// TestRealBrokerNeedsEnvironment: a broker whose client ID is set but not
// its environment is refused, naming the variable.
func TestRealBrokerNeedsEnvironment(t *testing.T) {
	for _, name := range providers.Names() {
		prefix := "BROKERKIT_" + strings.ToUpper(name) + "_"
		e := env(map[string]string{prefix + "CLIENT_ID": "id", prefix + "CLIENT_SECRET": "s",
			prefix + "REDIRECT_URL": "http://127.0.0.1/callback", prefix + "DOMAIN": "d.example.com", prefix + "API_KEY": "k"})
		err := run(context.Background(), &bytes.Buffer{}, []string{"status", name}, e)
		assert.ErrorContains(t, err, prefix+"ENVIRONMENT", name)
	}
}
