package contract_test

import (
	"context"
	"crypto/tls"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/internal/rest"
	"github.com/brokerkit/brokerkit/spotware"
	"github.com/brokerkit/brokerkit/spotware/spotwaretest"
	"github.com/brokerkit/brokerkit/stream"
)

// The Spotware broker package: the contract's Config, provider, error and
// environment names (it has a session, not a REST client, so the client
// names do not apply).
var (
	_ string = spotware.Name

	// Config has every common field with its contract type.
	_ = spotware.Config{
		ClientID:     "",
		ClientSecret: auth.Secret(""),
		RedirectURL:  "",
		Environment:  auth.Environment(""),
		Scopes:       []string(nil),
		BaseURL:      "",
		HTTPClient:   (*http.Client)(nil),
		Now:          (func() time.Time)(nil),
	}
	_ func() []string = spotware.DefaultScopes

	_ func(spotware.Config) (*spotware.Provider, error) = spotware.New
	_ auth.Provider                                     = (*spotware.Provider)(nil)
	_ func(*spotware.Provider) auth.Environment         = (*spotware.Provider).Environment
	// The provider embeds *auth.Standard: no forwarding methods.
	_ *auth.Standard = spotware.Provider{}.Standard

	// The session: hosts from the provider's environment, stated once.
	_ func(*spotware.Provider, auth.TokenSource) spotware.SessionConfig        = (*spotware.Provider).SessionConfig
	_ func(context.Context, spotware.SessionConfig) (*spotware.Session, error) = spotware.Dial
	_ auth.TokenSource                                                         = spotware.SessionConfig{}.Tokens
	// Streams: the session's, in the one shape (a session has no services).
	_ stream.Options                                                                 = spotware.SessionConfig{}.Streams
	_ func(context.Context, int64, ...int64) (*stream.Stream[spotware.Quote], error) = (*spotware.Session)(nil).StreamQuotes
	_ func(context.Context, int64) (*stream.Stream[spotware.Execution], error)       = (*spotware.Session)(nil).StreamOrders

	// Errors: the server's error type and the shared class sentinels.
	_ error = (*spotware.Error)(nil)
	_ error = spotware.ErrInvalidInput
	_ error = spotware.ErrNotFound
)

// The Spotware emulator: the §2 surface, plus SessionConfig as its extra.
var (
	_ func(...spotwaretest.Option) *spotwaretest.Server                                                   = spotwaretest.NewServer
	_ func(*spotwaretest.Server) string                                                                   = (*spotwaretest.Server).URL
	_ func(*spotwaretest.Server)                                                                          = (*spotwaretest.Server).Close
	_ func(*spotwaretest.Server) *http.Client                                                             = (*spotwaretest.Server).Client
	_ func(*spotwaretest.Server) spotware.Config                                                          = (*spotwaretest.Server).Config
	_ func(*spotwaretest.Server) (*spotware.Provider, error)                                              = (*spotwaretest.Server).Provider
	_ func(*spotwaretest.Server, auth.TokenSource) spotware.SessionConfig                                 = (*spotwaretest.Server).SessionConfig
	_ func(*spotwaretest.Server) *tls.Config                                                              = (*spotwaretest.Server).TLSConfig
	_ func(*spotwaretest.Server, context.Context, string) (string, error)                                 = (*spotwaretest.Server).Consent
	_ func(*spotwaretest.Server, string, string) *spotwaretest.Browser                                    = (*spotwaretest.Server).Browser
	_ func(*spotwaretest.Server) *spotwaretest.Faults                                                     = (*spotwaretest.Server).Faults
	_ func(*spotwaretest.Server, string) bool                                                             = (*spotwaretest.Server).InvalidateToken
	_ func(*spotwaretest.Server, string)                                                                  = (*spotwaretest.Server).SetAutoApprove
	_ func(func() time.Time) spotwaretest.Option                                                          = spotwaretest.WithClock
	_ func(time.Time) *spotwaretest.TestClock                                                             = spotwaretest.NewTestClock
	_ func(*spotwaretest.Server, context.Context, auth.Provider, ...auth.FlowOption) (*auth.Token, error) = (*spotwaretest.Server).Login

	_ string = spotwaretest.User
	_ string = spotwaretest.Password
)

// TestSpotwareContract: the shared sentinels are the shared values; the
// emulator's Config names an environment and its Provider has it; New
// refuses a missing or unknown environment, and a session with no host,
// with ErrInvalidInput.
func TestSpotwareContract(t *testing.T) {
	if spotware.ErrInvalidInput != rest.ErrInvalidInput || spotware.ErrNotFound != rest.ErrNotFound {
		t.Fatal("spotware's ErrInvalidInput and ErrNotFound must be internal/rest's")
	}
	if got := spotware.DefaultScopes(); len(got) != 1 || got[0] != spotware.ScopeTrading {
		t.Fatalf("DefaultScopes() = %q", got)
	}
	spotware.DefaultScopes()[0] = "changed"
	if spotware.DefaultScopes()[0] != spotware.ScopeTrading {
		t.Fatal("DefaultScopes returns a shared slice")
	}

	srv := spotwaretest.NewServer()
	defer srv.Close()
	cfg := srv.Config()
	if cfg.Environment == "" || cfg.BaseURL != srv.URL() {
		t.Fatalf("emulator Config: Environment %q, BaseURL %q (URL %q)", cfg.Environment, cfg.BaseURL, srv.URL())
	}
	p, err := srv.Provider()
	if err != nil {
		t.Fatal(err)
	}
	if p.Environment() != cfg.Environment || p.Name() != spotware.Name {
		t.Fatalf("provider: environment %q, name %q", p.Environment(), p.Name())
	}
	live := spotwaretest.NewServer(spotwaretest.WithLive())
	defer live.Close()
	if live.Config().Environment != auth.Live {
		t.Fatalf("WithLive emulator: Environment %q", live.Config().Environment)
	}

	for _, env := range []auth.Environment{"", "sim", "production"} {
		cfg.Environment = env
		_, err = spotware.New(cfg)
		if !errors.Is(err, spotware.ErrInvalidInput) {
			t.Errorf("New with Environment %q: %v, want ErrInvalidInput", env, err)
		}
	}

	// The session's equivalent of a client without provider or base URL:
	// no host is ever picked for the caller.
	sc := srv.SessionConfig(nil)
	sc.Addr, sc.LiveAddr, sc.DemoAddr = "", "", ""
	if _, err := spotware.Dial(t.Context(), sc); !errors.Is(err, spotware.ErrInvalidInput) {
		t.Fatalf("Dial without a host: %v, want ErrInvalidInput", err)
	}
}
