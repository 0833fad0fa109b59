package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/providers"
	"github.com/brokerkit/brokerkit/stream"
)

// nopView is the view a test stream came from.
type nopView struct{ providers.View }

func (nopView) Close() error { return nil }

// quoteStream opens a real stream that delivers n quotes of broker, then
// either waits for its end (end nil) or ends with end.
func quoteStream(t *testing.T, ctx context.Context, broker string, n int, end error) brokerStream {
	t.Helper()
	s, err := stream.Open(ctx, stream.Options{MaxRetries: 1}, func(ctx context.Context, c *stream.Conn[providers.Quote]) error {
		c.Ready()
		for i := range n {
			q := providers.Quote{Broker: broker, Symbol: fmt.Sprintf("SYM%d", i),
				Bid: decimal.NewNullDecimal(decimal.RequireFromString("1.10")), Ask: decimal.NewNullDecimal(decimal.RequireFromString("1.20"))}
			if !c.Send(q) {
				return nil
			}
		}
		if end != nil {
			return stream.Permanent(end)
		}
		<-ctx.Done()
		return ctx.Err()
	})
	require.NoError(t, err)
	return brokerStream{broker: broker, s: s, view: nopView{}}
}

// The stream's quotes from several brokers are printed as they come (JSON
// Lines with --json, decimals as strings) until the run's context ends the
// streams: exit 0 and a summary per broker on stderr. A stream that ends
// with an error is reported with its exit code (3 for a refused login)
// while the others go on.
func TestPumpQuotes(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	var stdout, stderr bytes.Buffer
	a := &app{stdout: &stdout, stderr: &stderr, json: true}
	code := a.pumpQuotes([]brokerStream{quoteStream(t, ctx, "one", 3, nil), quoteStream(t, ctx, "two", 2, nil)})
	assert.Equal(t, exitOK, code, stderr.String())
	var got []quoteJSON
	sc := bufio.NewScanner(&stdout)
	for sc.Scan() {
		var q quoteJSON
		require.NoError(t, json.Unmarshal(sc.Bytes(), &q), sc.Text())
		got = append(got, q)
	}
	require.Len(t, got, 5)
	assert.Equal(t, "1.1", *got[0].Bid)
	assert.Contains(t, stderr.String(), "one: 3 quotes, 0 dropped")
	assert.Contains(t, stderr.String(), "two: 2 quotes, 0 dropped")

	ctx2, cancel2 := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel2()
	stdout.Reset()
	stderr.Reset()
	a = &app{stdout: &stdout, stderr: &stderr}
	code = a.pumpQuotes([]brokerStream{quoteStream(t, ctx2, "one", 1, nil),
		quoteStream(t, ctx2, "two", 1, fmt.Errorf("refresh refused: %w", auth.ErrReauthRequired))})
	assert.Equal(t, exitLogin, code)
	assert.Contains(t, stderr.String(), "a new login to two is needed")
	assert.Contains(t, stdout.String(), "BROKER")
	assert.Equal(t, 3, strings.Count(stdout.String(), "\n"), "a header and two quotes:\n%s", stdout.String())
}

// The command as a user runs it against the TradeStation emulator: quotes
// as JSON Lines until --for ends the stream (exit 0, a summary on stderr);
// while the broker's adapter cannot stream yet (auth.ErrUnsupported), it
// says so and exits 1 with nothing on stdout.
func TestStreamQuotesCommand(t *testing.T) {
	e := startEmu(t, "tradestation")
	h := newHome(t, e)
	h.ok("login", "tradestation")
	r := h.run(nil, "stream", "quotes", "MSFT", "--broker", "tradestation", "--for", "2s", "--json")
	if strings.Contains(r.stderr, auth.ErrUnsupported.Error()) {
		assert.Equal(t, exitFailure, r.code, r.stderr)
		assert.Empty(t, r.stdout)
	} else {
		require.Equal(t, exitOK, r.code, r.stderr)
		lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
		require.NotEmpty(t, lines)
		var q quoteJSON
		require.NoError(t, json.Unmarshal([]byte(lines[0]), &q), lines[0])
		assert.Equal(t, "MSFT", q.Symbol)
		assert.Regexp(t, `tradestation: \d+ quotes, \d+ dropped, \d+ reconnects`, r.stderr)
	}
	for _, args := range [][]string{{"stream", "quotes"}, {"stream", "quotes", "MSFT", "--for", "-1s"}, {"stream"}} {
		assert.Equal(t, exitUsage, h.run(nil, args...).code, "%v", args)
	}
	tok := h.token(e)
	h.assertNoSecrets(append(e.secrets(), tok.AccessToken, tok.RefreshToken)...)
}
