package contract_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/internal/oauthsim"
	"github.com/brokerkit/brokerkit/internal/rest"
	"github.com/brokerkit/brokerkit/just2trade"
	"github.com/brokerkit/brokerkit/just2trade/just2tradetest"
	"github.com/brokerkit/brokerkit/stream"
)

// The Just2Trade package and its emulator, name by name and signature by
// signature (contract §1, §2).
var (
	_ string                                                                                                           = just2trade.Name
	_ func() []string                                                                                                  = just2trade.DefaultScopes
	_ func(just2trade.Config) (*just2trade.Provider, error)                                                            = just2trade.New
	_ auth.Provider                                                                                                    = (*just2trade.Provider)(nil)
	_ *auth.Standard                                                                                                   = just2trade.Provider{}.Standard
	_ func(*just2trade.Provider) auth.Environment                                                                      = (*just2trade.Provider).Environment
	_ func(*just2trade.Provider, auth.TokenSource, ...just2trade.Option) *just2trade.Client                            = (*just2trade.Provider).NewClient
	_ func(*http.Client, ...just2trade.Option) *just2trade.Client                                                      = just2trade.NewClient
	_ func(*just2trade.Provider) just2trade.Option                                                                     = just2trade.WithProvider
	_ func(string) just2trade.Option                                                                                   = just2trade.WithBaseURL
	_ func(just2trade.RetryPolicy) just2trade.Option                                                                   = just2trade.WithRetry
	_ func(string) just2trade.Option                                                                                   = just2trade.WithUserAgent
	_ func(http.RoundTripper) just2trade.Option                                                                        = just2trade.WithBaseTransport
	_ rest.RetryPolicy                                                                                                 = just2trade.RetryPolicy{}
	_ func(context.Context) (*just2trade.Profile, error)                                                               = (*just2trade.ProfileService)(nil).Get
	_ func(context.Context) ([]just2trade.Account, error)                                                              = (*just2trade.AccountsService)(nil).List
	_ func(context.Context, ...string) ([]just2trade.Balance, error)                                                   = (*just2trade.AccountsService)(nil).Balances
	_ func(context.Context, string, *just2trade.PositionsOptions) ([]just2trade.Position, error)                       = (*just2trade.PositionsService)(nil).List
	_ func(context.Context, ...string) ([]just2trade.Quote, error)                                                     = (*just2trade.QuotesService)(nil).Get
	_ func(context.Context, just2trade.OrderRequest) (string, error)                                                   = (*just2trade.OrdersService)(nil).Place
	_ func(context.Context, string) (*just2trade.Order, error)                                                         = (*just2trade.OrdersService)(nil).Get
	_ func(context.Context, string, string) (string, error)                                                            = (*just2trade.OrdersService)(nil).Cancel
	_ func(context.Context, string, time.Time, *just2trade.ListOptions) (*just2trade.Page[just2trade.Trade], error)    = (*just2trade.AccountsService)(nil).Trades
	_ func(context.Context, string, *just2trade.TransactionsOptions) (*just2trade.Page[just2trade.Transaction], error) = (*just2trade.AccountsService)(nil).Transactions
	_ func(context.Context, string, int) (*just2trade.Page[just2trade.Security], error)                                = (*just2trade.QuotesService)(nil).Search
	_ *rest.Page[just2trade.Trade]                                                                                     = (*just2trade.Page[just2trade.Trade])(nil)
	_ *rest.Error                                                                                                      = (*just2trade.Error)(nil)
	_ *rest.PartialError                                                                                               = (*just2trade.PartialError)(nil)
	_ time.Time                                                                                                        = just2trade.Time{}.Time
	_ func(*just2tradetest.Server) string                                                                              = (*just2tradetest.Server).URL
	_ func(...just2tradetest.Option) *just2tradetest.Server                                                            = just2tradetest.NewServer
	_ func(*just2tradetest.Server)                                                                                     = (*just2tradetest.Server).Close
	_ func(*just2tradetest.Server) *http.Client                                                                        = (*just2tradetest.Server).Client
	_ func(*just2tradetest.Server) just2trade.Config                                                                   = (*just2tradetest.Server).Config
	_ func(*just2tradetest.Server) (*just2trade.Provider, error)                                                       = (*just2tradetest.Server).Provider
	_ func(*just2tradetest.Server, context.Context, auth.Provider, ...auth.FlowOption) (*auth.Token, error)            = (*just2tradetest.Server).Login
	_ func(*just2tradetest.Server, context.Context, string) (string, error)                                            = (*just2tradetest.Server).Consent
	_ func(*just2tradetest.Server, string, string) *just2tradetest.Browser                                             = (*just2tradetest.Server).Browser
	_ *oauthsim.Browser                                                                                                = (*just2tradetest.Browser)(nil)
	_ func(*just2tradetest.Server) *just2tradetest.Faults                                                              = (*just2tradetest.Server).Faults
	_ *oauthsim.Faults                                                                                                 = (*just2tradetest.Faults)(nil)
	_ func(*just2tradetest.Server, string) bool                                                                        = (*just2tradetest.Server).InvalidateToken
	_ func(*just2tradetest.Server, string)                                                                             = (*just2tradetest.Server).SetAutoApprove
	_ func(func() time.Time) just2tradetest.Option                                                                     = just2tradetest.WithClock
	_ func(time.Time) *just2tradetest.TestClock                                                                        = just2tradetest.NewTestClock
	_ *oauthsim.TestClock                                                                                              = (*just2tradetest.TestClock)(nil)
	_ string                                                                                                           = just2tradetest.User
	_ string                                                                                                           = just2tradetest.Password
)

// The class sentinels are the shared ones, not copies.
func TestJust2TradeSentinels(t *testing.T) {
	assert.Same(t, rest.ErrNotFound, just2trade.ErrNotFound)
	assert.Same(t, rest.ErrForbidden, just2trade.ErrForbidden)
	assert.Same(t, rest.ErrBadRequest, just2trade.ErrBadRequest)
	assert.Same(t, rest.ErrInvalidInput, just2trade.ErrInvalidInput)
	assert.True(t, errors.Is(&just2trade.ValidationError{Message: "x"}, just2trade.ErrBadRequest),
		"a broker-refused order is ErrBadRequest-class")
}

// The environment is stated once and required (contract §3); a client
// has no implicit host.
func TestJust2TradeEnvironmentAndHost(t *testing.T) {
	for _, opts := range [][]just2tradetest.Option{nil, {just2tradetest.WithLime()}} {
		srv := just2tradetest.NewServer(opts...)
		cfg := srv.Config()
		assert.NotEmpty(t, cfg.Environment, "the emulator's config sets the environment")
		assert.Equal(t, srv.URL(), cfg.BaseURL)
		p, err := srv.Provider()
		require.NoError(t, err)
		assert.Equal(t, cfg.Environment, p.Environment())
		tok, err := srv.Login(context.Background(), p)
		require.NoError(t, err)
		src, err := auth.NewSource(p, auth.NewMemoryStore(), auth.Key(p.Name(), "u"))
		require.NoError(t, err)
		require.NoError(t, src.SetToken(context.Background(), tok))
		_, err = p.NewClient(src).Profile.Get(context.Background())
		require.NoError(t, err, "p.NewClient reaches the emulator with hosts from p")
		srv.Close()
	}

	srv := just2tradetest.NewServer()
	defer srv.Close()
	cfg := srv.Config()
	cfg.Environment = ""
	_, err := just2trade.New(cfg)
	assert.ErrorIs(t, err, just2trade.ErrInvalidInput)
	assert.ErrorContains(t, err, string(just2trade.EnvJust2Trade))
	assert.ErrorContains(t, err, string(just2trade.EnvLime))
	cfg.Environment = "paper"
	_, err = just2trade.New(cfg)
	assert.ErrorIs(t, err, just2trade.ErrInvalidInput)

	_, err = just2trade.NewClient(http.DefaultClient).Accounts.List(context.Background())
	assert.ErrorIs(t, err, just2trade.ErrInvalidInput)
}

// Just2Trade's streams: one service, one option, every stream a
// *stream.Stream.
var (
	_ func(stream.Options) just2trade.Option                                           = just2trade.WithStreams
	_ func(*just2trade.Client) *just2trade.StreamsService                              = func(c *just2trade.Client) *just2trade.StreamsService { return c.Streams }
	_ func(context.Context, ...string) (*stream.Stream[just2trade.QuoteEvent], error)  = (*just2trade.StreamsService)(nil).Quotes
	_ func(context.Context, string) (*stream.Stream[just2trade.OrderEvent], error)     = (*just2trade.StreamsService)(nil).Orders
	_ func(context.Context, string) (*stream.Stream[just2trade.PositionsEvent], error) = (*just2trade.StreamsService)(nil).Positions
	_ func(context.Context, string) (*stream.Stream[just2trade.BalanceEvent], error)   = (*just2trade.StreamsService)(nil).Balances
	_ func(context.Context, string) (*stream.Stream[just2trade.TradeEvent], error)     = (*just2trade.StreamsService)(nil).Trades
	_ func(*just2tradetest.Server, string, int) int                                    = (*just2tradetest.Server).BurstQuotes
)
