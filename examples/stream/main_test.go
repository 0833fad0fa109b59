package main

import (
	"bytes"
	"context"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/brokerkit/brokerkit/providers"
)

// TestStream runs the program as `go run ./examples/stream` does: every
// broker's quotes reach the one feed, each stream ends cleanly with its
// counters, and the order placed while the order stream runs is seen
// through to its fill.
func TestStream(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), &out, 2*time.Second), out.String())
	got := out.String()
	t.Log("\n" + got)
	for _, name := range providers.Names() {
		assert.Regexp(t, `(?m)^  `+name+` +\S+ +bid \S+ +ask \S+ +last (\d|-)`, got, "no quote from %s", name)
		m := regexp.MustCompile(`(?m)^  ` + name + `: (\d+) quotes, (\d+) dropped, 0 reconnects$`).FindStringSubmatch(got)
		if assert.NotNil(t, m, "no summary for %s", name) {
			assert.NotEqual(t, "0", m[1], "%s streamed no quote", name)
		}
	}
	m := regexp.MustCompile(`(?m)^  placed (\S+) buy `).FindStringSubmatch(got)
	require.NotNil(t, m, "no order placed")
	assert.Regexp(t, `(?m)^  event  `+regexp.QuoteMeta(m[1])+` filled filled [1-9]\S* @ [1-9]`, got)
}
