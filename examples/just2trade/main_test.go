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
	require.NoError(t, run(ctx, &out, func(string) string { return "" }), out.String())
	s := out.String()
	for _, want := range []string{
		"Using the Just2Trade emulator",
		"Logged in",
		"User trader (Tess Trader), 2 accounts",
		"12345678@vision",
		"Positions of 12345678@vision:",
		"AAPL",
		"Quote MSFT",
		"Order validated",
		"is filled: 1 at 172.15",
	} {
		assert.Contains(t, s, want)
	}
}

func TestRealModeNeedsLoopbackRedirect(t *testing.T) {
	env := map[string]string{"J2T_CLIENT_ID": "id", "J2T_CLIENT_SECRET": "s", "J2T_REDIRECT_URL": "https://app.example.com/cb"}
	err := run(context.Background(), &bytes.Buffer{}, func(k string) string { return env[k] })
	assert.ErrorContains(t, err, "J2T_REDIRECT_URL")
}
