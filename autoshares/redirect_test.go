package autoshares_test

import (
	"context"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/autoshares"
	"github.com/brokerkit/brokerkit/internal/origin/origintest"
)

const (
	redirectToken = "as-redirect-ACCESS-9d8e7f"
	redirectKey   = "as-redirect-APPKEY-3c4d5e"
)

func redirectSetup(t *testing.T, pair *origintest.Pair) (*autoshares.Provider, *auth.Source, *auth.Token) {
	t.Helper()
	p, err := autoshares.New(autoshares.Config{BaseURL: pair.Origin.URL, ClientID: "app", ClientSecret: "app-secret",
		RedirectURL: "http://127.0.0.1/cb", Environment: auth.Demo, APIKey: redirectKey})
	require.NoError(t, err)
	src, err := auth.NewSource(p, auth.NewMemoryStore(), auth.Key(autoshares.Name, "alice"))
	require.NoError(t, err)
	tok := &auth.Token{AccessToken: redirectToken, TokenType: "Bearer", Expiry: time.Now().Add(time.Hour)}
	require.NoError(t, src.SetToken(context.Background(), tok))
	return p, src, tok
}

// TestAPIKeyStaysHome: beyond the redirect rule every broker meets
// (internal/contract TestClientRedirects), the Et-App-Key API key — which
// the client adds, not the auth transport — never reaches another origin
// either, also through an HTTP client that re-sends its own Authorization
// on every hop (as an oauth2 client does); the redirect is refused with an
// error matching auth.ErrCrossOriginRedirect. A redirect within the origin
// is still followed with the token.
func TestAPIKeyStaysHome(t *testing.T) {
	pair := origintest.New(t)
	_, src, _ := redirectSetup(t, pair)
	ctx := context.Background()
	hc := auth.NewClient(src)

	resp, err := hc.Get(pair.Origin.URL + "/v1.0/users/@me/info")
	if resp != nil {
		resp.Body.Close()
	}
	require.ErrorIs(t, err, auth.ErrCrossOriginRedirect)

	// Any transport that authorizes every hop on its own: only the client's
	// redirect rule stands between the key and the other origin.
	everyHop := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		r = r.Clone(r.Context())
		r.Header.Set("Authorization", "Bearer "+redirectToken)
		return http.DefaultTransport.RoundTrip(r)
	})
	for name, hc := range map[string]*http.Client{
		"auth.NewClient":           hc,
		"authorizes every hop":     {Transport: everyHop},
		"permissive CheckRedirect": {Transport: everyHop, CheckRedirect: func(*http.Request, []*http.Request) error { return nil }},
	} {
		c := autoshares.NewClient(hc, autoshares.WithBaseURL(pair.Origin.URL), autoshares.WithAPIKey(redirectKey))
		_, err = c.Users.Get(ctx, autoshares.Me)
		require.ErrorIs(t, err, auth.ErrCrossOriginRedirect, name)
		assert.NotContains(t, err.Error(), redirectToken, name)
		assert.NotContains(t, err.Error(), redirectKey, name)
	}
	assert.Empty(t, pair.Leaks(redirectToken, redirectKey))
	assert.Empty(t, pair.ForeignHeaders(), "nothing reaches the other origin")

	resp, err = hc.Get(pair.Origin.URL + "/same/v1.0/users/@me/info")
	require.NoError(t, err)
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	last := pair.OriginHeaders()[len(pair.OriginHeaders())-1]
	assert.Equal(t, "Bearer "+redirectToken, last.Get("Authorization"), "the same-origin hop carries the token")
}

// TestUserInfoRedirect: the userinfo request, which the provider makes
// with its own HTTP client, does not follow a redirect to another origin
// either.
func TestUserInfoRedirect(t *testing.T) {
	pair := origintest.New(t)
	p, _, tok := redirectSetup(t, pair)
	_, err := p.UserInfo(context.Background(), tok)
	require.ErrorIs(t, err, auth.ErrCrossOriginRedirect)
	assert.NotContains(t, err.Error(), redirectToken)
	assert.Empty(t, pair.Leaks(redirectToken))
	assert.Empty(t, pair.ForeignHeaders())
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
