package authtest_test

import (
	"testing"

	"github.com/brokerkit/brokerkit/auth/authtest"
	"github.com/brokerkit/brokerkit/tradestation/tradestationtest"
)

// TestConformance is the package doc's use, run as it stands: the
// TradeStation provider against its emulator.
func TestConformance(t *testing.T) {
	srv := tradestationtest.NewServer() // an emulator on 127.0.0.1
	defer srv.Close()
	p, _ := srv.Provider()
	authtest.Run(t, authtest.Config{
		Provider: p,
		Login:    srv.Browser(tradestationtest.User, tradestationtest.Password).Login, // returns the callback URL
	})
}
