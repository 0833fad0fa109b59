package main

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/brokerkit/brokerkit/autoshares/autosharestest"
	"github.com/brokerkit/brokerkit/just2trade/just2tradetest"
	"github.com/brokerkit/brokerkit/providers"
	"github.com/brokerkit/brokerkit/spotware/spotwaretest"
)

// chromiumPath finds a Chromium (or Chrome) on PATH.
func chromiumPath() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// headless starts a headless Chromium with a fresh profile that talks to
// nothing but the test's servers, and returns a context whose actions
// must all finish within timeout. Without a browser the test is skipped,
// except in CI (CI set), where that is a failure.
func headless(t *testing.T, timeout time.Duration) context.Context {
	t.Helper()
	path := chromiumPath()
	if path == "" {
		if ci := os.Getenv("CI"); ci != "" && ci != "false" && ci != "0" {
			t.Fatal("no Chromium on PATH (chromium, chromium-browser or google-chrome) and CI is set: install the chromium package")
		}
		t.Skip("no Chromium on PATH (chromium, chromium-browser or google-chrome); set CI to make this a failure")
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(path),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("no-proxy-server", true),
	)
	browser, cancelBrowser := chromedp.NewContext(alloc)
	t.Cleanup(func() {
		cancelBrowser()
		cancelAlloc()
	})
	// The first Run starts the browser, which lives as long as the context
	// of that call: give it no deadline, and bound the actions after it.
	started := make(chan error, 1)
	go func() { started <- chromedp.Do(browser) }()
	select {
	case err := <-started:
		require.NoError(t, err, "start %s", path)
	case <-time.After(30 * time.Second):
		t.Fatalf("%s did not start within 30s", path)
	}
	ctx, cancel := context.WithTimeout(browser, timeout)
	t.Cleanup(cancel)
	return ctx
}

// consentUser is the seeded user of the app's emulator of broker.
func consentUser(s *server, broker string) (username, password string) {
	return s.emulators[broker].User()
}

// TestBrowserLinksEveryBrokerAndRefusesForgedLogout drives the example as
// its users meet it, in a real headless Chromium: from the dashboard
// through each broker's consent page back to the dashboard, a logout, and
// a logout forged by a page of another origin (another port of the same
// host: the same site, so SameSite=Lax lets the cookie go along), after
// which the user must still be logged in.
func TestBrowserLinksEveryBrokerAndRefusesForgedLogout(t *testing.T) {
	ctx := headless(t, 90*time.Second)
	s, _ := startApp(t)
	do := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		step, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		require.NoError(t, chromedp.Do(step, steps...), what)
	}
	text := func(sel string) string {
		t.Helper()
		step, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		txt, err := chromedp.Run(step, chromedp.Text(chromedp.CSS(sel)))
		require.NoError(t, err, "text of %s", sel)
		return txt
	}

	for _, b := range providers.Names() {
		user, pass := consentUser(s, b)
		do("link "+b,
			chromedp.Navigate(s.URL+"/"),
			chromedp.Click(chromedp.ID("link-"+b)),
			chromedp.WaitVisible(chromedp.CSS(`#oauthsim-consent input[name="username"]`)),
			chromedp.SendKeys(chromedp.CSS(`#oauthsim-consent input[name="username"]`), user),
			chromedp.SendKeys(chromedp.CSS(`#oauthsim-consent input[name="password"]`), pass),
			chromedp.Click(chromedp.CSS(`#oauthsim-consent button[value="approve"]`)),
			chromedp.WaitVisible(chromedp.ID("logout-"+b)),
		)
		loc, err := chromedp.Run(ctx, chromedp.Location())
		require.NoError(t, err)
		assert.Equal(t, s.URL+"/", loc, "%s: back on the dashboard", b)
	}

	body := text("body")
	for _, want := range []string{
		"11827461", just2tradetest.PrimaryAccount, strconv.Itoa(autosharestest.TraderAccountID),
		strconv.FormatInt(spotwaretest.DemoAccount, 10), "Tom's margin",
	} {
		assert.Contains(t, body, want)
	}
	assert.NotContains(t, body, "Link your")
	// The most-traded widget names the brokers without order history.
	assert.Contains(t, text("#no-history"), "No order history from: just2trade (open orders only), spotware (open orders only).")
	// The style sheet loads under the content security policy.
	display, err := chromedp.Run(ctx, chromedp.Evaluate[string](`getComputedStyle(document.querySelector("#logout-just2trade").form).display`))
	require.NoError(t, err)
	assert.Equal(t, "inline", display, "the style sheet applies")

	// A page on another origin (another port of 127.0.0.1: the same site,
	// so SameSite=Lax lets the cookie go along) posts a logout form to the
	// app as soon as it loads.
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><html><body onload="document.forms[0].submit()">
<form method="post" action="%s/logout/%s"><input type="hidden" name="csrf" value="guess"></form>
</body></html>`, html.EscapeString(s.URL), "just2trade")
	}))
	defer evil.Close()
	require.NotEqual(t, s.URL, evil.URL)
	do("forged logout",
		chromedp.Navigate(evil.URL+"/"),
		// The app's answer: a refusal, or (were the forgery to work) the
		// dashboard it redirects to.
		chromedp.WaitVisible(chromedp.CSS("#message, #broker-just2trade")),
	)
	loc, err := chromedp.Run(ctx, chromedp.Location())
	require.NoError(t, err)
	require.Equal(t, s.URL+"/logout/"+"just2trade", loc, "the forged logout is answered with a refusal, not the dashboard")
	assert.Contains(t, text("#message"), "nothing was changed")
	do("dashboard after the forged logout",
		chromedp.Navigate(s.URL+"/"),
		chromedp.WaitVisible(chromedp.ID("broker-just2trade")),
	)
	section := text("#broker-just2trade")
	assert.Contains(t, section, "Linked", "still logged in to just2trade after the forged logout")
	assert.Contains(t, section, just2tradetest.PrimaryAccount)

	// The user's own logout works.
	do("logout",
		chromedp.Click(chromedp.ID("logout-tradestation")),
		chromedp.WaitVisible(chromedp.ID("link-tradestation")),
	)
	body = text("body")
	assert.NotContains(t, body, "11827461")
	assert.Contains(t, body, "Link your tradestation account")
	assert.Contains(t, body, just2tradetest.PrimaryAccount, "the other brokers stay linked")

	// Declining at the broker says so and leads back to the dashboard.
	do("decline tradestation",
		chromedp.Click(chromedp.ID("link-tradestation")),
		chromedp.WaitVisible(chromedp.CSS(`#oauthsim-consent button[value="deny"]`)),
		chromedp.Click(chromedp.CSS(`#oauthsim-consent button[value="deny"]`)),
		chromedp.WaitVisible(chromedp.ID("message")),
	)
	assert.Contains(t, text("#message"), "You declined the request at tradestation")
	do("back to the dashboard",
		chromedp.Click(chromedp.ID("back")),
		chromedp.WaitVisible(chromedp.ID("link-tradestation")),
	)
	loc, err = chromedp.Run(ctx, chromedp.Location())
	require.NoError(t, err)
	assert.Equal(t, s.URL+"/", loc)
}
