package tradestation_test

import (
	"context"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/tradestation"
	"github.com/brokerkit/brokerkit/tradestation/tradestationtest"
)

// refusalCounter counts the API's 401 answers.
type refusalCounter struct{ n atomic.Int64 }

func (c *refusalCounter) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(r)
	if err == nil && resp.StatusCode == http.StatusUnauthorized {
		c.n.Add(1)
	}
	return resp, err
}

// TestE2EV2TokenLastsUntilUTCMidnight: a v2 token issued at 23:50 UTC
// with expires_in 1200 expires at midnight, not at 00:10; the token source
// refreshes it before midnight and again after, so that no call is ever
// refused; the emulator refuses the old token after midnight.
func TestE2EV2TokenLastsUntilUTCMidnight(t *testing.T) {
	midnight := time.Date(2026, 3, 11, 0, 0, 0, 0, time.UTC)
	clock := tradestationtest.NewTestClock(midnight.Add(-10 * time.Minute))
	srv := tradestationtest.NewServer(tradestationtest.WithClock(clock.Now))
	defer srv.Close()
	ctx := context.Background()
	p, err := tradestation.New(srv.ConfigFor(tradestation.V2))
	require.NoError(t, err)
	tok, _ := login(t, srv, p)
	assert.True(t, midnight.Equal(tok.Expiry), "expires at midnight, not %s", tok.Expiry)

	var refreshes atomic.Int64
	var refused refusalCounter
	c, src, _ := session(t, srv, p, tok, []auth.SourceOption{auth.SourceOptions{Now: clock.Now,
		OnChange: func(old, _ *auth.Token) {
			if old != nil {
				refreshes.Add(1)
			}
		}}}, tradestation.WithBaseTransport(&refused))

	clock.Advance(8 * time.Minute) // 23:58
	_, err = c.V2.Accounts(ctx)
	require.NoError(t, err)
	assert.Zero(t, refreshes.Load(), "two minutes left: no refresh yet")

	clock.Advance(90 * time.Second) // 23:59:30, within the leeway of midnight
	_, err = c.V2.Accounts(ctx)
	require.NoError(t, err)
	// Still valid: the refresh runs ahead, in the background.
	require.Eventually(t, func() bool { return refreshes.Load() == 1 }, 5*time.Second, time.Millisecond,
		"refreshed ahead of midnight")
	cur, err := src.TokenContext(ctx)
	require.NoError(t, err)
	assert.True(t, midnight.Equal(cur.Expiry), "the refreshed token ends with its date too: %s", cur.Expiry)

	clock.Set(midnight.Add(time.Second))
	_, err = c.V2.Accounts(ctx)
	require.NoError(t, err)
	assert.Equal(t, int64(2), refreshes.Load(), "refreshed after midnight")
	cur, err = src.TokenContext(ctx)
	require.NoError(t, err)
	assert.True(t, midnight.Add(20*time.Minute+time.Second).Equal(cur.Expiry), "a new day's token: %s", cur.Expiry)
	assert.Zero(t, refused.n.Load(), "the source never sent a token past its date")

	// The emulator refuses the 23:50 token, whose expires_in has not
	// run out.
	_, err = tradestation.NewClient(&http.Client{Transport: bearer(tok.AccessToken)},
		tradestation.WithProvider(p)).V2.Quotes(ctx, "MSFT")
	assert.ErrorIs(t, err, auth.ErrInvalidToken)
}

// TestE2EV2ClientCredentialsTokenEndsWithItsDate: a client-credentials
// token (no refresh token) is served until midnight UTC, then the source
// asks for a new one (auth.ErrReauthRequired) rather than send a token the
// API would refuse.
func TestE2EV2ClientCredentialsTokenEndsWithItsDate(t *testing.T) {
	midnight := time.Date(2026, 3, 11, 0, 0, 0, 0, time.UTC)
	clock := tradestationtest.NewTestClock(midnight.Add(-10 * time.Minute))
	srv := tradestationtest.NewServer(tradestationtest.WithClock(clock.Now))
	defer srv.Close()
	ctx := context.Background()
	p, err := tradestation.New(srv.ConfigFor(tradestation.V2))
	require.NoError(t, err)
	tok, err := p.ClientCredentials(ctx)
	require.NoError(t, err)
	assert.True(t, midnight.Equal(tok.Expiry), "expires at midnight, not %s", tok.Expiry)

	var refused refusalCounter
	c, _, _ := session(t, srv, p, tok, []auth.SourceOption{auth.SourceOptions{Now: clock.Now}},
		tradestation.WithBaseTransport(&refused))
	clock.Set(midnight.Add(-time.Second))
	_, err = c.V2.Suggest(ctx, "MS", nil)
	require.NoError(t, err)
	clock.Set(midnight.Add(time.Second))
	_, err = c.V2.Suggest(ctx, "MS", nil)
	assert.ErrorIs(t, err, auth.ErrReauthRequired)
	assert.Zero(t, refused.n.Load(), "the lapsed token was not sent")

	fresh, err := p.ClientCredentials(ctx)
	require.NoError(t, err)
	assert.True(t, midnight.Add(time.Second+21943*time.Second).Equal(fresh.Expiry),
		"a new day's token keeps its expires_in (21943 s): %s", fresh.Expiry)
}
