package autosharestest_test

import (
	"context"
	"io"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/autoshares/autosharestest"
)

// TestProviderVerifiesIDToken: the SDK's AutoShares provider verifies
// the emulator's ID token and reads the user's registration details.
func TestProviderVerifiesIDToken(t *testing.T) {
	s := autosharestest.NewServer()
	t.Cleanup(s.Close)
	p, err := s.Provider()
	require.NoError(t, err)
	tok, err := s.Login(context.Background(), p)
	require.NoError(t, err)
	require.NotEmpty(t, tok.Subject)
	require.NotNil(t, tok.IDClaims)
	assert.Equal(t, tok.Subject, tok.IDClaims.Subject)
	assert.NotEmpty(t, tok.IDClaims.Email, "email is a default scope")
	assert.NotEmpty(t, tok.IDClaims.Name, "profile is a default scope")
}

// TestSignupForm: enableRegistration=true&page=signup opens a registration
// form; the user it creates is logged in at once (the ID token names
// them) and can log in again with the same credentials.
func TestSignupForm(t *testing.T) {
	s := autosharestest.NewServer()
	t.Cleanup(s.Close)
	ctx := context.Background()
	p, err := s.Provider()
	require.NoError(t, err)
	signup := auth.FlowOptions{AuthParams: []auth.AuthCodeOption{
		auth.SetParam("enableRegistration", "true"), auth.SetParam("page", "signup")}}

	f, err := auth.Begin(p, signup)
	require.NoError(t, err)
	resp, err := s.Client().Get(f.URL)
	require.NoError(t, err)
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Contains(t, string(page), `id="oauthsim-signup"`, "a registration form, not the login form")
	assert.NotContains(t, string(page), `id="oauthsim-consent"`)

	b := s.Browser("new.trader@example.com", "new-trader-pass")
	cb, err := b.Signup(ctx, f.URL, "New Trader")
	require.NoError(t, err)
	tok, err := f.CompleteURL(ctx, p, cb)
	require.NoError(t, err)
	require.NotNil(t, tok.IDClaims)
	assert.Equal(t, "new.trader@example.com", tok.IDClaims.Email)
	assert.Equal(t, "New Trader", tok.IDClaims.Name)
	assert.False(t, tok.IDClaims.EmailVerified)

	// The API knows the new user.
	c := p.NewClient(staticSource{tok})
	prof, err := c.Profile.Get(ctx)
	require.NoError(t, err)
	assert.Equal(t, "new.trader@example.com", prof.Email)

	// The new user logs in like any other; signing up twice is refused.
	again, err := b.Token(ctx, p)
	require.NoError(t, err)
	assert.Equal(t, tok.Subject, again.Subject)
	f, err = auth.Begin(p, signup)
	require.NoError(t, err)
	_, err = b.Signup(ctx, f.URL, "New Trader")
	require.ErrorContains(t, err, "exists")
}

// staticSource hands out one token.
type staticSource struct{ t *auth.Token }

func (s staticSource) TokenContext(context.Context) (*auth.Token, error) { return s.t, nil }
