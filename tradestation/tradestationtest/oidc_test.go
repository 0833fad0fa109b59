package tradestationtest_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/brokerkit/brokerkit/tradestation/tradestationtest"
)

// TestProviderVerifiesIDToken: the SDK's TradeStation provider verifies
// the emulator's ID token and reads the user from it.
func TestProviderVerifiesIDToken(t *testing.T) {
	s := tradestationtest.NewServer()
	t.Cleanup(s.Close)
	p, err := s.Provider()
	require.NoError(t, err)
	tok, err := s.Login(context.Background(), p)
	require.NoError(t, err)
	assert.Equal(t, tradestationtest.V3UserID, tok.Subject)
	require.NotNil(t, tok.IDClaims)
	assert.Equal(t, tradestationtest.V3UserID, tok.IDClaims.Subject)
	assert.Equal(t, s.URL()+"/", tok.IDClaims.Issuer)
	assert.NotEmpty(t, tok.IDClaims.Name, "profile is a default scope")
	ui, err := p.UserInfo(context.Background(), tok)
	require.NoError(t, err)
	assert.Equal(t, tok.Subject, ui.Subject)
}
