package just2trade_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/brokerkit/brokerkit/just2trade/just2tradetest"
)

// TestE2EProfileOnEitherPath: the SDK reads the profile from an emulator
// serving only /userinfo, only the first weeks' /auth, or both.
func TestE2EProfileOnEitherPath(t *testing.T) {
	for _, tc := range []struct {
		name      string
		opts      []just2tradetest.Option
		firstName string
	}{
		{"both", nil, "Tess"},
		{"only /userinfo", []just2tradetest.Option{just2tradetest.WithProfilePath("/userinfo")}, "Tess"},
		{"only /auth", []just2tradetest.Option{just2tradetest.WithProfilePath("/auth")}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := loginAt(t, time.Now(), tc.opts...)
			ctx := context.Background()
			for range 2 {
				prof, err := s.c.Profile.Get(ctx)
				require.NoError(t, err)
				assert.NotEmpty(t, prof.ID)
				assert.NotEmpty(t, prof.Accounts)
				require.Len(t, prof.Applications, 1)
				assert.Equal(t, tc.firstName, prof.FirstName, "/auth carries no names")
			}
		})
	}
}
