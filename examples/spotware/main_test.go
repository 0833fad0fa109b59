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

func TestRunAgainstEmulator(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var out bytes.Buffer
	env := map[string]string{"CTRADER_SECONDS": "1"}
	require.NoError(t, run(ctx, &out, func(k string) string { return env[k] }), out.String())
	s := out.String()
	for _, want := range []string{
		"Using the cTrader emulator",
		"cTrader ID 1001, scope trading, 3 accounts:",
		"5001  demo",
		"6001  live",
		"Account 5001 at Emulated Broker: balance 10000.00 EUR, leverage 1:100",
		"Streaming 3 symbols for 1 s:",
		"Unsubscribed: ",
		" dropped, 0 reconnects.",
	} {
		assert.Contains(t, s, want)
	}
	for _, sym := range []string{"EUR/USD  bid 1.", "GBP/USD  bid 1.", "XAU/USD  bid 23"} {
		assert.GreaterOrEqual(t, strings.Count(s, sym), 3, "quotes of %s", sym)
	}
	assert.NotContains(t, s, "emulator-client-secret")
}

func TestRealModeChecksConfig(t *testing.T) {
	for name, env := range map[string]map[string]string{
		"no secret":   {"CTRADER_CLIENT_ID": "id"},
		"no token":    {"CTRADER_CLIENT_ID": "id", "CTRADER_CLIENT_SECRET": "s"},
		"bad seconds": {"CTRADER_SECONDS": "soon"},
	} {
		t.Run(name, func(t *testing.T) {
			err := run(context.Background(), &bytes.Buffer{}, func(k string) string { return env[k] })
			assert.Error(t, err)
		})
	}
}
