package just2trade_test

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
	"github.com/brokerkit/brokerkit/just2trade"
)

const redirectToken = "j2t-redirect-ACCESS-5a6b7c"

// TestAuthClientRedirects: auth.NewClient and a Client built on it never
// send the token to another origin (the redirect is refused with an error
// matching auth.ErrCrossOriginRedirect), and still follow a redirect
// within the origin with the token.
func TestClientRedirects(t *testing.T) {
	pair := origintest.New(t)
	p, err := just2trade.New(just2trade.Config{ClientID: "app", ClientSecret: "app-secret",
		RedirectURL: "http://127.0.0.1/cb", Environment: just2trade.EnvJust2Trade, BaseURL: pair.Origin.URL})
	require.NoError(t, err)
	src, err := auth.NewSource(p, auth.NewMemoryStore(), auth.Key(just2trade.Name, "alice"))
	require.NoError(t, err)
	ctx := context.Background()
	require.NoError(t, src.SetToken(ctx, &auth.Token{AccessToken: redirectToken, TokenType: "Bearer",
		Expiry: time.Now().Add(time.Hour)}))
	hc := auth.NewClient(src)

	resp, err := hc.Get(pair.Origin.URL + "/accounts")
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

	resp, err = hc.Get(pair.Origin.URL + "/same/accounts")
	require.NoError(t, err)
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	last := pair.OriginHeaders()[len(pair.OriginHeaders())-1]
	assert.Equal(t, "Bearer "+redirectToken, last.Get("Authorization"), "the same-origin hop carries the token")
}
