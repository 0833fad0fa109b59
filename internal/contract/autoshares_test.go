package contract_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/autoshares"
	"github.com/brokerkit/brokerkit/autoshares/autosharestest"
	"github.com/brokerkit/brokerkit/internal/oauthsim"
	"github.com/brokerkit/brokerkit/internal/rest"
	"github.com/brokerkit/brokerkit/stream"
)

// The AutoShares package and its emulator, name by name and signature by
// signature (contract.md §1, §2).
var (
	_ string = autoshares.Name

	// Config: the common fields, with their types.
	_ = autoshares.Config{
		ClientID:     "",
		ClientSecret: auth.Secret(""),
		RedirectURL:  "",
		Environment:  auth.Environment(""),
		Scopes:       []string(nil),
		BaseURL:      "",
		HTTPClient:   (*http.Client)(nil),
		Now:          (func() time.Time)(nil),
		// The broker's extras.
		Domain: "",
		APIKey: auth.Secret(""),
	}
	_ func() []string = autoshares.DefaultScopes

	// Provider: auth.Standard embedded, plus data.
	_ *auth.Standard                                                                        = autoshares.Provider{}.Standard
	_ auth.Provider                                                                         = (*autoshares.Provider)(nil)
	_ func(autoshares.Config) (*autoshares.Provider, error)                                 = autoshares.New
	_ func(*autoshares.Provider) auth.Environment                                           = (*autoshares.Provider).Environment
	_ func(*autoshares.Provider, auth.TokenSource, ...autoshares.Option) *autoshares.Client = (*autoshares.Provider).NewClient

	// Client and its options.
	_ func(*http.Client, ...autoshares.Option) *autoshares.Client = autoshares.NewClient
	_ func(*autoshares.Provider) autoshares.Option                = autoshares.WithProvider
	_ func(string) autoshares.Option                              = autoshares.WithBaseURL
	_ func(autoshares.RetryPolicy) autoshares.Option              = autoshares.WithRetry
	_ func(string) autoshares.Option                              = autoshares.WithUserAgent
	_ func(http.RoundTripper) autoshares.Option                   = autoshares.WithBaseTransport
	_ rest.RetryPolicy                                            = autoshares.RetryPolicy{}

	// Services as fields, and the common verbs.
	_ *autoshares.ProfileService   = autoshares.Client{}.Profile
	_ *autoshares.AccountsService  = autoshares.Client{}.Accounts
	_ *autoshares.PositionsService = autoshares.Client{}.Positions
	_ *autoshares.QuotesService    = autoshares.Client{}.Quotes
	_ *autoshares.OrdersService    = autoshares.Client{}.Orders

	_ func(context.Context) (*autoshares.Profile, error)                                         = (*autoshares.ProfileService)(nil).Get
	_ func(context.Context) ([]autoshares.Account, error)                                        = (*autoshares.AccountsService)(nil).List
	_ func(context.Context, ...string) ([]autoshares.Balance, error)                             = (*autoshares.AccountsService)(nil).Balances
	_ func(context.Context, string, *autoshares.PositionsOptions) ([]autoshares.Position, error) = (*autoshares.PositionsService)(nil).List
	_ func(context.Context, ...string) ([]autoshares.Quote, error)                               = (*autoshares.QuotesService)(nil).Get

	// One page shape, one error vocabulary, one wire time name.
	_ *rest.Page[autoshares.Order]                                               = (*autoshares.Page[autoshares.Order])(nil)
	_ func(stream.Options) autoshares.Option                                     = autoshares.WithStreams
	_ func(*autoshares.Client) *autoshares.StreamsService                        = func(c *autoshares.Client) *autoshares.StreamsService { return c.Streams }
	_ func(context.Context, ...string) (*stream.Stream[autoshares.Quote], error) = (*autoshares.StreamsService)(nil).Quotes
	_ func() *rest.Error                                                         = func() *autoshares.Error { return nil }
	_ func() *rest.PartialError                                                  = func() *autoshares.PartialError { return nil }
	_ autoshares.Time                                                            = autoshares.Time{Time: time.Time{}}
	_ [4]error                                                                   = [4]error{autoshares.ErrNotFound, autoshares.ErrForbidden, autoshares.ErrBadRequest, autoshares.ErrInvalidInput}
	_ *autoshares.AgreementsPendingError                                         = (*autoshares.AgreementsPendingError)(nil)

	// The emulator.
	_ func(...autosharestest.Option) *autosharestest.Server                                                 = autosharestest.NewServer
	_ func(*autosharestest.Server) string                                                                   = (*autosharestest.Server).URL
	_ func(*autosharestest.Server)                                                                          = (*autosharestest.Server).Close
	_ func(*autosharestest.Server) *http.Client                                                             = (*autosharestest.Server).Client
	_ func(*autosharestest.Server) autoshares.Config                                                        = (*autosharestest.Server).Config
	_ func(*autosharestest.Server) (*autoshares.Provider, error)                                            = (*autosharestest.Server).Provider
	_ func(*autosharestest.Server, context.Context, auth.Provider, ...auth.FlowOption) (*auth.Token, error) = (*autosharestest.Server).Login
	_ func(*autosharestest.Server, context.Context, string) (string, error)                                 = (*autosharestest.Server).Consent
	_ func(*autosharestest.Server, string, string) *autosharestest.Browser                                  = (*autosharestest.Server).Browser
	_ func(*autosharestest.Server) *autosharestest.Faults                                                   = (*autosharestest.Server).Faults
	_ func(*autosharestest.Server, string) bool                                                             = (*autosharestest.Server).InvalidateToken
	_ func(*autosharestest.Server, string)                                                                  = (*autosharestest.Server).SetAutoApprove
	_ func(func() time.Time) autosharestest.Option                                                          = autosharestest.WithClock
	_ func(time.Time) *autosharestest.TestClock                                                             = autosharestest.NewTestClock
	_ *oauthsim.Browser                                                                                     = (*autosharestest.Browser)(nil)
	_ *oauthsim.Faults                                                                                      = (*autosharestest.Faults)(nil)
	_ *oauthsim.TestClock                                                                                   = (*autosharestest.TestClock)(nil)
	_ [2]string                                                                                             = [2]string{autosharestest.User, autosharestest.Password}
)

// TestAutoSharesEnvironmentRequired: the emulator's Config names its
// environment, New refuses an empty or foreign one with ErrInvalidInput
// listing AutoShares' environments, and a client with neither a provider
// nor a base URL fails every call with ErrInvalidInput.
func TestAutoSharesEnvironmentRequired(t *testing.T) {
	srv := autosharestest.NewServer()
	defer srv.Close()
	cfg := srv.Config()
	if cfg.Environment == "" {
		t.Fatal("the emulator's Config has no Environment")
	}
	if cfg.BaseURL != srv.URL() {
		t.Fatalf("Config().BaseURL = %q, want the server's URL %q", cfg.BaseURL, srv.URL())
	}
	p, err := srv.Provider()
	if err != nil {
		t.Fatal(err)
	}
	if p.Environment() != cfg.Environment {
		t.Fatalf("Provider().Environment() = %q, want %q", p.Environment(), cfg.Environment)
	}

	for _, env := range []auth.Environment{"", auth.Sim, "paper"} {
		cfg.Environment = env
		_, err := autoshares.New(cfg)
		if !errors.Is(err, autoshares.ErrInvalidInput) {
			t.Fatalf("New with Environment %q: %v, want an error matching ErrInvalidInput", env, err)
		}
		for _, name := range []string{"live", "demo"} {
			if !strings.Contains(err.Error(), name) {
				t.Errorf("New with Environment %q: %q does not list %q", env, err, name)
			}
		}
	}

	c := autoshares.NewClient(srv.Client(), autoshares.WithAPIKey(autosharestest.APIKey))
	if _, err := c.Profile.Get(context.Background()); !errors.Is(err, autoshares.ErrInvalidInput) {
		t.Fatalf("a client without provider or base URL: %v, want ErrInvalidInput", err)
	}
}
