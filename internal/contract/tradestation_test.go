package contract_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/internal/rest"
	"github.com/brokerkit/brokerkit/stream"
	"github.com/brokerkit/brokerkit/tradestation"
	"github.com/brokerkit/brokerkit/tradestation/tradestationtest"
)

// The TradeStation package and its emulator, name by name and signature by
// signature (contract §1 and §2).
var (
	_ string = tradestation.Name
	_        = tradestation.Config{
		ClientID: "", ClientSecret: auth.Secret(""), RedirectURL: "", Environment: auth.Live,
		Scopes: []string{}, BaseURL: "", HTTPClient: (*http.Client)(nil), Now: time.Now,
	}
	_ func() []string = tradestation.DefaultScopes

	_ func(tradestation.Config) (*tradestation.Provider, error)                                   = tradestation.New
	_ auth.Provider                                                                               = (*tradestation.Provider)(nil)
	_ auth.Revoker                                                                                = (*tradestation.Provider)(nil)
	_ func(*tradestation.Provider, *http.Response) bool                                           = (*tradestation.Provider).TokenRefused
	_ auth.CodeParamser                                                                           = (*tradestation.Provider)(nil)
	_ func(*tradestation.Provider) auth.Environment                                               = (*tradestation.Provider).Environment
	_ func(*tradestation.Provider, auth.TokenSource, ...tradestation.Option) *tradestation.Client = (*tradestation.Provider).NewClient

	_ func(*http.Client, ...tradestation.Option) *tradestation.Client = tradestation.NewClient
	_ func(*tradestation.Provider) tradestation.Option                = tradestation.WithProvider
	_ func(string) tradestation.Option                                = tradestation.WithBaseURL
	_ func(tradestation.RetryPolicy) tradestation.Option              = tradestation.WithRetry
	_ func(string) tradestation.Option                                = tradestation.WithUserAgent
	_ func(http.RoundTripper) tradestation.Option                     = tradestation.WithBaseTransport
	_ rest.RetryPolicy                                                = tradestation.RetryPolicy{}

	// Services are fields; the Provider embeds *auth.Standard.
	_ = func(c *tradestation.Client, p *tradestation.Provider) (*tradestation.ProfileService, *tradestation.AccountsService,
		*tradestation.PositionsService, *tradestation.QuotesService, *tradestation.V2Service, *auth.Standard) {
		return c.Profile, c.Accounts, c.Positions, c.Quotes, c.V2, p.Standard
	}

	_ func(context.Context) (*tradestation.Profile, error)                                           = (*tradestation.ProfileService)(nil).Get
	_ func(context.Context) ([]tradestation.Account, error)                                          = (*tradestation.AccountsService)(nil).List
	_ func(context.Context, ...string) ([]tradestation.Balance, error)                               = (*tradestation.AccountsService)(nil).Balances
	_ func(context.Context, string, *tradestation.PositionsOptions) ([]tradestation.Position, error) = (*tradestation.PositionsService)(nil).List
	_ func(context.Context, ...string) ([]tradestation.Quote, error)                                 = (*tradestation.QuotesService)(nil).Get

	// Streams: one service, one option, every stream a *stream.Stream.
	_ func(stream.Options) tradestation.Option                                             = tradestation.WithStreams
	_ func(*tradestation.Client) *tradestation.StreamsService                              = func(c *tradestation.Client) *tradestation.StreamsService { return c.Streams }
	_ func(context.Context, ...string) (*stream.Stream[tradestation.QuoteEvent], error)    = (*tradestation.StreamsService)(nil).Quotes
	_ func(context.Context, ...string) (*stream.Stream[tradestation.OrderEvent], error)    = (*tradestation.StreamsService)(nil).Orders
	_ func(context.Context, ...string) (*stream.Stream[tradestation.PositionEvent], error) = (*tradestation.StreamsService)(nil).Positions
	_ *rest.Error                                                                          = (*tradestation.Error)(nil)
	_ *rest.PartialError                                                                   = (*tradestation.PartialError)(nil)
	_ tradestation.Time                                                                    = tradestation.Time{Time: time.Time{}}
)

// The error sentinels are the shared ones, not look-alikes.
var tsSentinels = map[string][2]error{
	"ErrNotFound":     {tradestation.ErrNotFound, rest.ErrNotFound},
	"ErrForbidden":    {tradestation.ErrForbidden, rest.ErrForbidden},
	"ErrBadRequest":   {tradestation.ErrBadRequest, rest.ErrBadRequest},
	"ErrInvalidInput": {tradestation.ErrInvalidInput, rest.ErrInvalidInput},
}

var (
	_ func(...tradestationtest.Option) *tradestationtest.Server                                               = tradestationtest.NewServer
	_ func(*tradestationtest.Server) string                                                                   = (*tradestationtest.Server).URL
	_ func(*tradestationtest.Server)                                                                          = (*tradestationtest.Server).Close
	_ func(*tradestationtest.Server) *http.Client                                                             = (*tradestationtest.Server).Client
	_ func(*tradestationtest.Server) tradestation.Config                                                      = (*tradestationtest.Server).Config
	_ func(*tradestationtest.Server) (*tradestation.Provider, error)                                          = (*tradestationtest.Server).Provider
	_ func(*tradestationtest.Server, context.Context, auth.Provider, ...auth.FlowOption) (*auth.Token, error) = (*tradestationtest.Server).Login
	_ func(*tradestationtest.Server, context.Context, string) (string, error)                                 = (*tradestationtest.Server).Consent
	_ func(*tradestationtest.Server, string, string) *tradestationtest.Browser                                = (*tradestationtest.Server).Browser
	_ func(*tradestationtest.Server) *tradestationtest.Faults                                                 = (*tradestationtest.Server).Faults
	_ func(*tradestationtest.Server, string) bool                                                             = (*tradestationtest.Server).InvalidateToken
	_ func(*tradestationtest.Server, string)                                                                  = (*tradestationtest.Server).SetAutoApprove
	_ func(func() time.Time) tradestationtest.Option                                                          = tradestationtest.WithClock
	_ func(time.Time) *tradestationtest.TestClock                                                             = tradestationtest.NewTestClock
	_ string                                                                                                  = tradestationtest.User
	_ string                                                                                                  = tradestationtest.Password

	// The broker's extra: the emulator serves three API families.
	_ func(*tradestationtest.Server, tradestation.API) tradestation.Config = (*tradestationtest.Server).ConfigFor
)

func TestTradeStationContract(t *testing.T) {
	for name, pair := range tsSentinels {
		if pair[0] != pair[1] {
			t.Errorf("tradestation.%s is not the shared sentinel", name)
		}
	}

	srv := tradestationtest.NewServer()
	defer srv.Close()
	cfg := srv.Config()
	if cfg.Environment == "" {
		t.Fatal("the emulator's Config() leaves Environment empty")
	}
	if cfg.BaseURL != srv.URL() {
		t.Errorf("Config().BaseURL = %q, want the emulator's URL %q", cfg.BaseURL, srv.URL())
	}
	p, err := srv.Provider()
	if err != nil {
		t.Fatal(err)
	}
	if p.Environment() != cfg.Environment {
		t.Errorf("Provider().Environment() = %q, want %q", p.Environment(), cfg.Environment)
	}

	for _, env := range []auth.Environment{"", "paper"} {
		bad := cfg
		bad.Environment = env
		_, err := tradestation.New(bad)
		if !errors.Is(err, tradestation.ErrInvalidInput) {
			t.Errorf("New with Environment %q: err = %v, want ErrInvalidInput", env, err)
		}
	}

	// A client with neither provider nor base URL calls nothing.
	sent := false
	hc := &http.Client{Transport: tsRoundTrip(func(*http.Request) (*http.Response, error) {
		sent = true
		return nil, errors.New("no request may be sent")
	})}
	_, err = tradestation.NewClient(hc).Accounts.List(context.Background())
	if !errors.Is(err, tradestation.ErrInvalidInput) {
		t.Errorf("client without provider or base URL: err = %v, want ErrInvalidInput", err)
	}
	if sent {
		t.Error("a client without provider or base URL sent a request")
	}
}

type tsRoundTrip func(*http.Request) (*http.Response, error)

func (f tsRoundTrip) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
