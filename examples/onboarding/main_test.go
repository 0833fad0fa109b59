package main

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRunAgainstEmulator(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var out bytes.Buffer
	err := run(ctx, &out, func(string) string { return "" })
	require.NoError(t, err, out.String())
	got := out.String()
	for _, want := range []string{
		"created user nina (id 7126)",
		"bound account 6304 to nina with Full access",
		"logged in as Nina Newcomer <nina@example.com>, token auth.Token{provider=autoshares type=Bearer access=redacted",
		"outstanding agreement: Platform Agreement (required true)",
		"outstanding agreement: Margin Agreement (required false)",
		"signed Platform Agreement",
		"signed Market Data Agreement",
		"account 6304 (Cash, Full): cash 100000.00",
		"position MSFT: 20 @ 380.50",
		"quote AAPL: bid 196.28 ask 196.31 last 196.29",
		"preview: cost 196.31",
		"order 80328: PendingNew, then Filled at 196.31",
		"price alert 501: New when Last >= 198.25",
		"price alert 501: Completed",
	} {
		assert.Contains(t, got, want)
	}
	assert.NotContains(t, got, "autoshares-demo-api-key")
	assert.NotContains(t, got, "autoshares-demo-secret")
}

func TestTenantModeNeedsCredentials(t *testing.T) {
	env := map[string]string{"AUTOSHARES_DOMAIN": "tenant.example.com", "AUTOSHARES_CLIENT_ID": "id"}
	err := run(context.Background(), &bytes.Buffer{}, func(k string) string { return env[k] })
	require.ErrorContains(t, err, "AUTOSHARES_CLIENT_SECRET is not set")

	env["AUTOSHARES_CLIENT_SECRET"] = "s"
	env["AUTOSHARES_API_KEY"] = "k"
	err = run(context.Background(), &bytes.Buffer{}, func(k string) string { return env[k] })
	require.ErrorContains(t, err, "AUTOSHARES_ENVIRONMENT is not set", "no environment is chosen by default")
	env["AUTOSHARES_ENVIRONMENT"] = "paper"
	err = run(context.Background(), &bytes.Buffer{}, func(k string) string { return env[k] })
	require.ErrorContains(t, err, `Config.Environment "paper" is not one of "live", "demo"`)
	env["AUTOSHARES_ENVIRONMENT"] = "demo"
	env["AUTOSHARES_API_URL"] = "http://api.example.com"
	err = run(context.Background(), &bytes.Buffer{}, func(k string) string { return env[k] })
	require.ErrorContains(t, err, "https")
	env["AUTOSHARES_API_URL"] = ""
	env["AUTOSHARES_REDIRECT_PORT"] = "x"
	err = run(context.Background(), &bytes.Buffer{}, func(k string) string { return env[k] })
	require.ErrorContains(t, err, "not a port")
}
