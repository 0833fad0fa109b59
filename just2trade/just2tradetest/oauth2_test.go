package just2tradetest_test

import (
	"context"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/brokerkit/brokerkit/just2trade/just2tradetest"
)

// TestStrictOAuth2Client logs in with plain golang.org/x/oauth2 (no
// brokerkit code): code + PKCE S256 with the secret in the form. Just2Trade
// issues no refresh tokens, so there is no refresh to run; the server
// says so with unsupported_grant_type.
func TestStrictOAuth2Client(t *testing.T) {
	s := just2tradetest.NewServer()
	t.Cleanup(s.Close)
	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, s.Client())
	conf := oauth2.Config{ClientID: just2tradetest.ClientID, ClientSecret: just2tradetest.ClientSecret,
		RedirectURL: just2tradetest.RedirectURL, Endpoint: oauth2.Endpoint{AuthURL: s.URL() + "/connect/authorize",
			TokenURL: s.URL() + "/connect/token", AuthStyle: oauth2.AuthStyleInParams}}
	verifier := oauth2.GenerateVerifier()
	cb, err := s.Browser(just2tradetest.User, just2tradetest.Password).Login(ctx,
		conf.AuthCodeURL("state-1", oauth2.S256ChallengeOption(verifier)))
	require.NoError(t, err)
	u, err := url.Parse(cb)
	require.NoError(t, err)
	require.Equal(t, "state-1", u.Query().Get("state"))
	tok, err := conf.Exchange(ctx, u.Query().Get("code"), oauth2.VerifierOption(verifier))
	require.NoError(t, err)
	assert.NotEmpty(t, tok.AccessToken)
	assert.Empty(t, tok.RefreshToken)

	// A wrong verifier is refused: PKCE binds the code.
	cb, err = s.Browser(just2tradetest.User, just2tradetest.Password).Login(ctx,
		conf.AuthCodeURL("state-2", oauth2.S256ChallengeOption(verifier)))
	require.NoError(t, err)
	u, _ = url.Parse(cb)
	_, err = conf.Exchange(ctx, u.Query().Get("code"), oauth2.VerifierOption(oauth2.GenerateVerifier()))
	var re *oauth2.RetrieveError
	require.ErrorAs(t, err, &re)
	assert.Equal(t, "invalid_grant", re.ErrorCode)
}
