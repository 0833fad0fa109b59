package autoshares_test

import (
	"context"
	"strconv"
	"testing"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/auth/authtest"
	"github.com/brokerkit/brokerkit/autoshares/autosharestest"
	"github.com/stretchr/testify/require"
)

func TestConformance(t *testing.T) {
	for _, refresh := range []bool{true, false} {
		t.Run("refresh="+strconv.FormatBool(refresh), func(t *testing.T) {
			srv := autosharestest.NewServer(autosharestest.WithRefresh(refresh))
			defer srv.Close()
			p, err := srv.Provider()
			require.NoError(t, err)
			browser := srv.Browser(autosharestest.User, autosharestest.Password)
			authtest.Run(t, authtest.Config{
				Provider: p,
				Login:    browser.Login,
				Decline:  browser.Declining().Login,
				Use: func(ctx context.Context, tok *auth.Token) error {
					_, err := p.NewClient(staticToken{tok}).Profile.Get(ctx)
					return err
				},
				Secrets: []string{autosharestest.APIKey},
			})
		})
	}
}
