package main

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/brokerkit/brokerkit/providers"
)

// TestTrade runs the program as `go run ./examples/trade` does and checks
// each broker's round: a resting limit order placed, listed and
// cancelled, then a market order filled into a position.
func TestTrade(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), &out), out.String())
	got := out.String()
	t.Log("\n" + got)
	sections := strings.Split(got, "== ")[1:]
	require.Len(t, sections, len(providers.Names()))
	for _, sec := range sections {
		title, body, _ := strings.Cut(sec, "\n")
		t.Run(title, func(t *testing.T) {
			m := regexp.MustCompile(`(?m)^  placed   buy (\S+) (\S+) limit @ (\S+): open$`).FindStringSubmatch(body)
			require.NotNil(t, m, body)
			qty, sym, px := regexp.QuoteMeta(m[1]), regexp.QuoteMeta(m[2]), regexp.QuoteMeta(m[3])
			assert.Regexp(t, `(?m)^  listed   buy `+qty+` `+sym+` limit @ `+px+`: open$`, body)
			assert.Regexp(t, `(?m)^  canceled buy `+qty+` `+sym+` limit @ `+px+`: canceled$`, body)
			assert.Regexp(t, `(?m)^  filled   buy `+qty+` `+sym+` market: filled `+qty+` @ \d+(\.\d+)?$`, body)
			assert.Regexp(t, `(?m)^  position `+sym+` \d+ @ \d+(\.\d+)?$`, body)
		})
	}
	for _, title := range []string{"AutoShares", "Just2Trade", "Spotware cTrader", "TradeStation"} {
		assert.Contains(t, got, "== "+title+"\n")
	}
}
