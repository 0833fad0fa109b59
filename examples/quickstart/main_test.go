package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/internal/exampletest"
	"github.com/brokerkit/brokerkit/providers"
	"github.com/brokerkit/brokerkit/providers/providerstest"
)

func noEnv(string) string { return "" }

// TestQuickstart runs the program as `go run ./examples/quickstart` does,
// against the four emulators, and checks what a newcomer reads.
func TestQuickstart(t *testing.T) {
	var out bytes.Buffer
	start := time.Now()
	require.NoError(t, run(context.Background(), &out, noEnv), out.String())
	assert.Less(t, time.Since(start), 20*time.Second, "quickstart must finish in a few seconds")
	got := out.String()
	t.Log("\n" + got)

	for _, section := range []string{"== TradeStation", "== Just2Trade", "== AutoShares", "== Spotware cTrader"} {
		assert.Contains(t, got, section)
	}
	assert.Equal(t, 4, strings.Count(got, "  Quotes:\n"))
	assert.Equal(t, 4, strings.Count(got, "Logged in as "))
	assert.NotContains(t, got, "error:")
	// Every account shows its balance: live and demo cTrader accounts
	// alike, each read on its own host.
	assert.NotContains(t, got, "unavailable")
	assert.Regexp(t, `(?m)^    6001 +live +cash +2,500\.00 USD$`, got)
	for _, sym := range []string{"MSFT", "AAPL", "SPY", "TSLA", "EURUSD", "GBPUSD", "XAUUSD"} {
		assert.Regexp(t, `(?m)^    `+sym+` +bid \d`, got, sym)
	}
	// Seeded figures, printed exactly.
	assert.Contains(t, got, "103,527.18")
	assert.Contains(t, got, "12345678@vision")
	assert.Contains(t, got, "bid 1.08457")
	assert.Contains(t, got, "signed 2 pending agreements")
	// The capability table closes the output.
	assert.Regexp(t, `(?m)^  BROKER +PKCE +REFRESH +ROTATION`, got)
	assert.Regexp(t, `(?m)^  spotware +no +yes +yes`, got)
}

func TestQuickstartCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var out bytes.Buffer
	err := run(ctx, &out, noEnv)
	require.Error(t, err, "a cancelled run must not report success")
}

func TestMoney(t *testing.T) {
	for in, want := range map[string]string{"0": "0.00", "1234.5": "1,234.50", "-1234567.891": "-1,234,567.89",
		"999": "999.00", "100000": "100,000.00"} {
		assert.Equal(t, want, money(mustDecimal(t, in)), in)
	}
	assert.Equal(t, "1.08457", price(mustDecimal(t, "1.08457")))
	assert.Equal(t, "172.10", price(mustDecimal(t, "172.1")))
}

func TestHuman(t *testing.T) {
	assert.Equal(t, "20 min", human(20*time.Minute))
	assert.Equal(t, "1 day", human(24*time.Hour+10*time.Second))
	assert.Equal(t, "30 days 10 h", human(2628000*time.Second))
	assert.Equal(t, "under a minute", human(10*time.Second))
}

// TestQuickstartUsesEnvironment: for every broker, with its BROKERKIT_*
// variables set, quickstart takes the real-broker path: it reads every
// variable into the provider's configuration, prints the login address
// (which the "user" opens), and every HTTP request it makes after the
// login goes to the host BASE_URL names, an emulator standing in for the
// broker. (Which host each ENVIRONMENT reaches without BASE_URL is
// providers' TestEnvironmentPicksTheAPIHost, over the same registry
// entries.)
func TestQuickstartUsesEnvironment(t *testing.T) {
	for _, name := range providers.Names() {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			em, err := providerstest.Start(name)
			require.NoError(t, err)
			defer em.Close()
			c := em.Config()
			prefix := "BROKERKIT_" + strings.ToUpper(name) + "_"
			env := map[string]string{prefix + "CLIENT_ID": c.ClientID, prefix + "CLIENT_SECRET": c.ClientSecret.Reveal(),
				prefix + "REDIRECT_URL": c.RedirectURL, prefix + "ENVIRONMENT": string(c.Environment),
				prefix + "BASE_URL": c.BaseURL, prefix + "SCOPES": strings.Join(c.Scopes, " "),
				prefix + "API_KEY": c.APIKey.Reveal(), prefix + "DOMAIN": "tenant.example.com"}
			vars, err := providers.EnvVars(name)
			require.NoError(t, err)
			want := c
			want.HTTPClient, want.Now = nil, nil
			if strings.Contains(strings.Join(vars, "\n"), prefix+"DOMAIN ") {
				want.Domain = "tenant.example.com"
			}

			// The broker's own entry, its provider built through the
			// emulator so that a cTrader session dials the emulator's
			// Protobuf hosts, not cTrader's.
			b, err := providers.Builtin().Lookup(name)
			require.NoError(t, err)
			var got providers.Config
			b.New = func(cfg providers.Config) (auth.Provider, error) { got = cfg; return em.Provider(cfg) }
			r := &providers.Registry{}
			require.NoError(t, r.Register(b))

			rec := exampletest.RecordHosts(t)

			out := exampletest.NewTerminal()
			done := make(chan error, 1)
			go func() { done <- runWith(ctx, out, r, func(k string) string { return env[k] }) }()
			select {
			case u := <-out.URL():
				assert.True(t, strings.HasPrefix(u, em.URL()+"/"), "the login goes to BASE_URL: %s", u)
				_, err := em.Browser(em.User()).LoginAndVisit(ctx, u)
				require.NoError(t, err)
			case err := <-done:
				t.Fatalf("run ended before printing the address: %v\n%s", err, out)
			}
			require.NoError(t, <-done, out.String())
			s := out.String()
			assert.Contains(t, s, fmt.Sprintf("(real broker, %s environment at %s", c.Environment, c.BaseURL))
			assert.Contains(t, s, "Logged in as ")
			assert.NotContains(t, s, "error")
			assert.Equal(t, want, got, "every variable reaches the provider's configuration")
			emu, err := url.Parse(em.URL())
			require.NoError(t, err)
			for _, host := range rec.Seen() {
				// AutoShares' quote streamer, which its API names, is
				// another port of the emulator's host.
				h, _, _ := net.SplitHostPort(host)
				assert.Equal(t, emu.Hostname(), h, "a request left for another host than BASE_URL's")
			}
			assert.Contains(t, rec.Seen(), emu.Host)
			require.NotEmpty(t, rec.Seen())
		})
	}
}

// TestQuickstartNamesMissingEnvironment: a broker whose client ID is set
// but whose environment is not is an error naming the variable, not a
// silent fall-back to the emulator, nor a guess at live or demo.
func TestQuickstartNamesMissingEnvironment(t *testing.T) {
	for _, name := range providers.Names() {
		prefix := "BROKERKIT_" + strings.ToUpper(name) + "_"
		env := map[string]string{prefix + "CLIENT_ID": "id", prefix + "CLIENT_SECRET": "s",
			prefix + "REDIRECT_URL": "http://127.0.0.1/callback", prefix + "DOMAIN": "d.example.com", prefix + "API_KEY": "k"}
		var out bytes.Buffer
		err := run(context.Background(), &out, func(k string) string { return env[k] })
		require.Error(t, err, name)
		assert.ErrorContains(t, err, prefix+"ENVIRONMENT")
		assert.Contains(t, out.String(), "error: providers: "+name+": missing environment variables: "+prefix+"ENVIRONMENT")
	}
}
