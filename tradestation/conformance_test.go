package tradestation_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/auth/authtest"
	"github.com/brokerkit/brokerkit/tradestation"
	"github.com/brokerkit/brokerkit/tradestation/tradestationtest"
)

// TestConformance runs the generic provider suite for every TradeStation
// provider against the emulator.
func TestConformance(t *testing.T) {
	cases := []struct {
		name string
		opts []tradestationtest.Option
		cfg  func(*tradestationtest.Server) tradestation.Config
	}{
		{"v3 client secret", nil, func(s *tradestationtest.Server) tradestation.Config { return s.Config() }},
		{"v3 PKCE", nil, func(s *tradestationtest.Server) tradestation.Config { return s.PKCEConfig(tradestation.V3) }},
		{"v3 rotating refresh", []tradestationtest.Option{tradestationtest.WithRotatingRefresh(0, 0, false)},
			func(s *tradestationtest.Server) tradestation.Config { return s.Config() }},
		{"AOP", nil, func(s *tradestationtest.Server) tradestation.Config { return s.ConfigFor(tradestation.AOP) }},
		{"AOP PKCE", nil, func(s *tradestationtest.Server) tradestation.Config { return s.PKCEConfig(tradestation.AOP) }},
		{"v2", nil, func(s *tradestationtest.Server) tradestation.Config { return s.ConfigFor(tradestation.V2) }},
		{"v2 legacy fields", []tradestationtest.Option{tradestationtest.WithLegacyTokenFields(), tradestationtest.WithAuthCodeParam()},
			func(s *tradestationtest.Server) tradestation.Config { return s.ConfigFor(tradestation.V2) }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := tradestationtest.NewServer(tc.opts...)
			defer srv.Close()
			cfg := tc.cfg(srv)
			p, err := tradestation.New(cfg)
			require.NoError(t, err)
			authtest.Run(t, authtest.Config{
				Provider: p,
				Login:    srv.Browser(tradestationtest.User, tradestationtest.Password).Login,
				Decline:  srv.Browser(tradestationtest.User, tradestationtest.Password).Declining().Login,
				Use:      useToken(srv, cfg.API),
				Secrets:  []string{tradestationtest.V3ClientSecret, tradestationtest.V2ClientSecret},
			})
		})
	}
}

// useToken calls the API the token was minted for.
func useToken(srv *tradestationtest.Server, api tradestation.API) func(context.Context, *auth.Token) error {
	return func(ctx context.Context, tok *auth.Token) error {
		// The client sees the token (its audience, a v2 token's userid)
		// through the transport's source.
		hc := &http.Client{Transport: &auth.Transport{Source: fixedSource{tok}}}
		opts := []tradestation.Option{tradestation.WithBaseURL(srv.URL()),
			tradestation.WithRetry(tradestation.RetryPolicy{MaxAttempts: 1})}
		switch api {
		case tradestation.AOP:
			opts = append(opts, tradestation.WithBaseURL(srv.URL()+"/aop"))
			return tradestation.NewAOPClient(hc, opts...).Do(ctx, http.MethodPost, "v1/applications", map[string]any{}, nil)
		case tradestation.V2:
			_, err := tradestation.NewClient(hc, opts...).V2.Accounts(ctx)
			return err
		}
		_, err := tradestation.NewClient(hc, opts...).Accounts.List(ctx)
		return err
	}
}

// fixedSource serves one token.
type fixedSource struct{ t *auth.Token }

func (s fixedSource) TokenContext(context.Context) (*auth.Token, error) { return s.t, nil }
