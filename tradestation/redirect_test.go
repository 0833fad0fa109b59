package tradestation_test

import (
	"context"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/internal/origin/origintest"
	"github.com/brokerkit/brokerkit/tradestation"
)

const redirectToken = "ts-redirect-ACCESS-0b8c1d"

// TestHTTPClientRedirects: Provider.NewClient's client never sends
// the token to another origin (the redirect is refused with an error
// matching auth.ErrCrossOriginRedirect), and still follow a redirect
// within the origin with the token.
func TestClientRedirects(t *testing.T) {
	pair := origintest.New(t)
	p, err := tradestation.New(tradestation.Config{Environment: auth.Live, ClientID: "key", RedirectURL: "http://localhost:3000/cb",
		BaseURL: pair.Origin.URL})
	require.NoError(t, err)
	src, err := auth.NewSource(p, auth.NewMemoryStore(), auth.Key(tradestation.Name, "alice"))
	require.NoError(t, err)
	ctx := context.Background()
	require.NoError(t, src.SetToken(ctx, &auth.Token{AccessToken: redirectToken, TokenType: "Bearer",
		Expiry: time.Now().Add(time.Hour), Audience: tradestation.TradingAudience}))
	hc := auth.NewClient(src)

	resp, err := hc.Get(pair.Origin.URL + "/v3/brokerage/accounts")
	if resp != nil {
		resp.Body.Close()
	}
	require.ErrorIs(t, err, auth.ErrCrossOriginRedirect)

	c := p.NewClient(src)
	_, err = c.Accounts.List(ctx)
	require.ErrorIs(t, err, auth.ErrCrossOriginRedirect)
	assert.NotContains(t, err.Error(), redirectToken)

	assert.Empty(t, pair.Leaks(redirectToken))
	assert.Empty(t, pair.ForeignHeaders(), "nothing reaches the other origin")

	resp, err = hc.Get(pair.Origin.URL + "/same/v3/brokerage/accounts")
	require.NoError(t, err)
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	last := pair.OriginHeaders()[len(pair.OriginHeaders())-1]
	assert.Equal(t, "Bearer "+redirectToken, last.Get("Authorization"), "the same-origin hop carries the token")
}
