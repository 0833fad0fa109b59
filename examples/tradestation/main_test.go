package main

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRunAgainstEmulator runs the program as `go run` does with no
// environment: against the emulator.
func TestRunAgainstEmulator(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out bytes.Buffer
	env := map[string]string{"TS_SYMBOLS": "MSFT, AAPL,NOPE"}
	require.NoError(t, run(ctx, &out, func(k string) string { return env[k] }))
	s := out.String()
	assert.Contains(t, s, "Logged in as Terry Trader")
	assert.Contains(t, s, "SIM1182747M") // the SIM margin account
	assert.Contains(t, s, "MSFT   last     412.37")
	assert.Contains(t, s, "NOPE (FAILED, INVALID SYMBOL)")
	assert.Contains(t, s, "Positions:")
}

func TestRunRejectsBadEnvironment(t *testing.T) {
	err := run(context.Background(), &bytes.Buffer{}, func(k string) string {
		return map[string]string{"TS_ENV": "paper"}[k]
	})
	assert.ErrorContains(t, err, "TS_ENV")
	err = run(context.Background(), &bytes.Buffer{}, func(k string) string {
		return map[string]string{"TS_CLIENT_ID": "x", "TS_CALLBACK_PORT": "99999"}[k]
	})
	assert.ErrorContains(t, err, "TS_CALLBACK_PORT")
}
