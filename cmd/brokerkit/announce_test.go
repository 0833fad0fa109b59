package main

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/brokerkit/brokerkit/cmd/brokerkit/internal/emulate"
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

// spotwareCommands runs, against a logged-in cTrader emulator, the data
// commands the other brokers run: accounts --json, balances, positions,
// orders, quotes EURUSD, and a limit order placed far from the market and
// cancelled.
func spotwareCommands(t *testing.T, h *home) {
	t.Helper()
	var accts struct {
		Accounts []accountJSON `json:"accounts"`
		Errors   []jsonError   `json:"errors"`
	}
	decodeJSON(t, h.ok("accounts", "--broker", "spotware", "--json"), &accts)
	assert.Empty(t, accts.Errors)
	require.NotEmpty(t, accts.Accounts)
	account := ""
	for _, a := range accts.Accounts {
		assert.Equal(t, "spotware", a.Broker)
		if !a.Live && account == "" {
			account = a.ID
		}
	}
	require.NotEmpty(t, account, "a demo account: %+v", accts.Accounts)
	h.ok("balances", account, "--broker", "spotware")
	h.ok("positions", account, "--broker", "spotware")

	var quotes struct {
		Quotes []quoteJSON `json:"quotes"`
		Errors []jsonError `json:"errors"`
	}
	decodeJSON(t, h.ok("quotes", "EURUSD", "--broker", "spotware", "--json"), &quotes)
	require.Len(t, quotes.Quotes, 1)
	assert.Equal(t, "EURUSD", quotes.Quotes[0].Symbol)
	require.NotNil(t, quotes.Quotes[0].Bid)
	require.NotNil(t, quotes.Quotes[0].Ask)
	assert.Regexp(t, `(?m)^spotware\s+EURUSD\s+\d`, h.ok("quotes", "EURUSD", "--broker", "spotware").stdout)
	r := h.ok("stream", "quotes", "EURUSD", "--broker", "spotware", "--for", "2s", "--json")
	assert.Contains(t, r.stdout, `"broker":"spotware","symbol":"EURUSD"`)

	var placed struct {
		Order orderJSON `json:"order"`
	}
	decodeJSON(t, h.ok("order", "place", "--account", account, "--symbol", "EURUSD", "--side", "buy", "--qty", "10000",
		"--type", "limit", "--limit", "0.5", "--json"), &placed)
	require.NotEmpty(t, placed.Order.ID)
	assert.Equal(t, "spotware", placed.Order.Broker)
	assert.Equal(t, "open", placed.Order.Status)
	assert.Contains(t, h.ok("orders", account, "--broker", "spotware").stdout, placed.Order.ID)
	var canceled struct {
		Order orderJSON `json:"order"`
	}
	decodeJSON(t, h.ok("order", "cancel", "--account", account, placed.Order.ID, "--json"), &canceled)
	assert.Equal(t, placed.Order.ID, canceled.Order.ID)
	assert.Equal(t, "canceled", canceled.Order.Status)
	assert.NotContains(t, h.ok("orders", account, "--broker", "spotware").stdout, placed.Order.ID)
}

// cTrader's API is a Protobuf session on hosts of its own: from a running
// `brokerkit emulate`'s announcement the command dials the announced hosts,
// trusting the announced certificate, and every data command works as for
// the other brokers; after a reset (a new certificate) too.
func TestAnnouncedSpotwareEmulator(t *testing.T) {
	h := newHome(t)
	dir := filepath.Join(h.dir, "config", "brokerkit")
	srv, err := emulate.Start(emulate.Options{Brokers: []string{"spotware"}, Addr: "127.0.0.1:0", Dir: dir})
	require.NoError(t, err)
	defer srv.Close()
	sw := srv.Brokers()[0]
	require.Equal(t, "spotware", sw.Broker)
	admin(t, sw.AdminURL+"/auto-approve", `{"user":"`+sw.Users[0].Login+`"}`)

	r := h.ok("login", "spotware")
	assert.Contains(t, r.stderr, "using the emulator at "+sw.URL)
	spotwareCommands(t, h)
	tok := h.token(&emu{name: "spotware", cfg: sw.Config()})

	// A reset makes a new certificate, which the announcement carries.
	admin(t, sw.AdminURL+"/reset", "")
	admin(t, sw.AdminURL+"/auto-approve", `{"user":"`+sw.Users[0].Login+`"}`)
	h.ok("login", "spotware")
	h.ok("accounts", "--broker", "spotware")

	// The admin API withdraws the user's tokens: a new login is needed.
	tok2 := h.token(&emu{name: "spotware", cfg: sw.Config()})
	admin(t, sw.AdminURL+"/invalidate", `{"user":"`+sw.Users[0].Login+`"}`)
	r = h.run(nil, "accounts", "--broker", "spotware")
	assert.Equal(t, exitLogin, r.code, r.stderr)
	assert.Contains(t, r.stderr, "a new login to spotware is needed")
	h.assertNoSecrets(sw.ClientSecret, tok.AccessToken, tok.RefreshToken, tok2.AccessToken, tok2.RefreshToken)
}

// rewriteAnnouncement changes the spotware entry of the announcement file
// in dir.
func rewriteAnnouncement(t *testing.T, dir string, change func(sw map[string]any)) {
	t.Helper()
	path := filepath.Join(dir, emulate.AnnouncementFile)
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	var doc map[string]any
	require.NoError(t, json.Unmarshal(b, &doc))
	for _, x := range doc["brokers"].([]any) {
		if m := x.(map[string]any); m["broker"] == "spotware" {
			change(m)
		}
	}
	b, err = json.Marshal(doc)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, b, 0o600))
}

// otherCertPEM is a self-signed certificate for 127.0.0.1 that is not the
// emulator's.
func otherCertPEM(t *testing.T) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "spotwaretest"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true, IsCA: true, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

// The session trusts the announced certificate and nothing else: with
// another certificate in the announcement (same subject, same hosts) the
// handshake fails with a TLS error, reported as such (exit 1, not "try
// again later"), and no command falls back to another trust; an
// announcement without a usable certificate or without the
// Protobuf hosts is refused before anything is dialled.
func TestAnnouncedSpotwareCertificateIsPinned(t *testing.T) {
	h := newHome(t)
	dir := filepath.Join(h.dir, "config", "brokerkit")
	srv, err := emulate.Start(emulate.Options{Brokers: []string{"spotware"}, Addr: "127.0.0.1:0", Dir: dir})
	require.NoError(t, err)
	defer srv.Close()
	sw := srv.Brokers()[0]
	admin(t, sw.AdminURL+"/auto-approve", `{"user":"`+sw.Users[0].Login+`"}`)
	h.ok("login", "spotware")
	h.ok("accounts", "--broker", "spotware")

	rewriteAnnouncement(t, dir, func(m map[string]any) { m["protobuf"].(map[string]any)["cert_pem"] = otherCertPEM(t) })
	for _, args := range [][]string{{"accounts", "--broker", "spotware", "--json"}, {"quotes", "EURUSD"}} {
		r := h.run(nil, args...)
		assert.Equal(t, exitFailure, r.code, "%v: not \"unavailable, try later\": %s", args, r.stdout)
		assert.Contains(t, r.stderr, "presents a certificate other than the announced one", "%v", args)
		assert.Contains(t, r.stderr, "x509: ", "%v", args)
		assert.NotRegexp(t, `"id": *"\d`, r.stdout, "%v: an account came through another certificate", args)
	}

	for _, bad := range []string{"", "not a certificate", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"} {
		rewriteAnnouncement(t, dir, func(m map[string]any) { m["protobuf"].(map[string]any)["cert_pem"] = bad })
		r := h.run(nil, "accounts", "--broker", "spotware")
		assert.Equal(t, exitFailure, r.code, "%q: %s", bad, r.stdout)
		assert.Contains(t, r.stderr, "restart brokerkit emulate", "%q", bad)
	}
	rewriteAnnouncement(t, dir, func(m map[string]any) { delete(m, "protobuf") })
	r := h.run(nil, "accounts", "--broker", "spotware")
	assert.Equal(t, exitFailure, r.code)
	assert.Contains(t, r.stderr, "announced no Protobuf hosts")
	h.assertNoSecrets(sw.ClientSecret)
}
