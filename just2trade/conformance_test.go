package just2trade_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/auth/authtest"
	"github.com/brokerkit/brokerkit/just2trade"
	"github.com/brokerkit/brokerkit/just2trade/just2tradetest"
)

// bearer sends one fixed token, for calls outside a TokenSource.
type bearer struct {
	tok  string
	base http.RoundTripper
}

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.tok)
	return b.base.RoundTrip(r)
}

func TestConformance(t *testing.T) {
	cases := map[string]struct {
		opts []just2tradetest.Option
		pkce bool
	}{
		"just2trade":      {},
		"just2trade pkce": {pkce: true},
		"lime":            {opts: []just2tradetest.Option{just2tradetest.WithLime()}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			srv := just2tradetest.NewServer(tc.opts...)
			defer srv.Close()
			cfg := srv.Config()
			cfg.PKCE = tc.pkce
			p, err := just2trade.New(cfg)
			require.NoError(t, err)
			authtest.Run(t, authtest.Config{
				Provider: p,
				Login:    srv.Browser(just2tradetest.User, just2tradetest.Password).Login,
				Decline:  srv.Browser(just2tradetest.User, just2tradetest.Password).Declining().Login,
				Use: func(ctx context.Context, tok *auth.Token) error {
					hc := &http.Client{Transport: bearer{tok: tok.AccessToken, base: srv.Client().Transport}}
					_, err := just2trade.NewClient(hc, just2trade.WithProvider(p)).Profile.Get(ctx)
					return err
				},
				RevokeEndsAccess: true,
				Secrets:          []string{just2tradetest.ClientSecret},
			})
		})
	}
}
