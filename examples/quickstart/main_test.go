package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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

// TestQuickstartUsesEnvironment checks that a broker whose variables are
// set is logged in to for real (here: a loopback redirect nobody visits, so
// the login gives up when the context ends), not served by its emulator.
func TestQuickstartUsesEnvironment(t *testing.T) {
	env := map[string]string{
		"BROKERKIT_JUST2TRADE_CLIENT_ID":     "id",
		"BROKERKIT_JUST2TRADE_CLIENT_SECRET": "secret",
		"BROKERKIT_JUST2TRADE_ENVIRONMENT":   "just2trade",
		// A redirect on a port nobody listens on: the login must give up
		// when the context ends, proving the real-broker path was taken.
		"BROKERKIT_JUST2TRADE_REDIRECT_URL": "http://127.0.0.1:1/callback",
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_, err := connectJust2Trade(ctx, func(k string) string { return env[k] })
	require.Error(t, err, "with its variables set, quickstart logs in to the real broker, not the emulator")
}
