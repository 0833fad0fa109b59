package contract_test

import (
	"context"
	"net/http"
	"reflect"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/autoshares"
	"github.com/brokerkit/brokerkit/autoshares/autosharestest"
	"github.com/brokerkit/brokerkit/internal/oauthsim"
	"github.com/brokerkit/brokerkit/just2trade"
	"github.com/brokerkit/brokerkit/just2trade/just2tradetest"
	"github.com/brokerkit/brokerkit/spotware"
	"github.com/brokerkit/brokerkit/spotware/spotwaretest"
	"github.com/brokerkit/brokerkit/tradestation"
	"github.com/brokerkit/brokerkit/tradestation/tradestationtest"
)

// emulator is the surface every <broker>test.Server has, in the manner of
// httptest.Server; the broker files check the broker-typed rest (Config,
// Provider, NewServer, options).
type emulator interface {
	URL() string
	Close()
	Client() *http.Client
	Login(ctx context.Context, p auth.Provider, opts ...auth.FlowOption) (*auth.Token, error)
	Consent(ctx context.Context, authURL string) (string, error)
	Browser(username, password string) *oauthsim.Browser
	Faults() *oauthsim.Faults
	InvalidateToken(accessToken string) bool
	InvalidateUser(login string)
	SetAutoApprove(username string)
}

var (
	_ emulator = (*tradestationtest.Server)(nil)
	_ emulator = (*just2tradetest.Server)(nil)
	_ emulator = (*autosharestest.Server)(nil)
	_ emulator = (*spotwaretest.Server)(nil)
)

// quoteStreamer is what every REST broker's emulator adds for its quote
// streams: a burst of changes as fast as the sockets take them (stream
// faults are the shared Faults' CutStreams and StallStreams).
type quoteStreamer interface {
	BurstQuotes(symbol string, n int) int
}

var (
	_ quoteStreamer = (*tradestationtest.Server)(nil)
	_ quoteStreamer = (*just2tradetest.Server)(nil)
	_ quoteStreamer = (*autosharestest.Server)(nil)
)

// provider is what every broker's *Provider is: an auth.Provider (from
// the embedded auth.Standard) that says its environment.
type provider interface {
	auth.Provider
	Environment() auth.Environment
}

var (
	_ provider = (*tradestation.Provider)(nil)
	_ provider = (*just2trade.Provider)(nil)
	_ provider = (*autoshares.Provider)(nil)
	_ provider = (*spotware.Provider)(nil)
)

// TestConfigsShareTheCommonFields holds every broker's Config to the same
// common fields with the same types, so that a user who configured one
// broker knows how to configure the others.
func TestConfigsShareTheCommonFields(t *testing.T) {
	common := map[string]reflect.Type{
		"ClientID":     reflect.TypeFor[string](),
		"ClientSecret": reflect.TypeFor[auth.Secret](),
		"RedirectURL":  reflect.TypeFor[string](),
		"Environment":  reflect.TypeFor[auth.Environment](),
		"Scopes":       reflect.TypeFor[[]string](),
		"BaseURL":      reflect.TypeFor[string](),
		"HTTPClient":   reflect.TypeFor[*http.Client](),
		"Now":          reflect.TypeFor[func() time.Time](),
	}
	for _, cfg := range []reflect.Type{
		reflect.TypeFor[tradestation.Config](),
		reflect.TypeFor[just2trade.Config](),
		reflect.TypeFor[autoshares.Config](),
		reflect.TypeFor[spotware.Config](),
	} {
		for name, want := range common {
			f, ok := cfg.FieldByName(name)
			if assert.True(t, ok, "%s has no field %s", cfg, name) {
				assert.Equal(t, want, f.Type, "%s.%s", cfg, name)
			}
		}
	}
}

// TestEveryProviderEmbedsStandard: a broker's quirks are data given to
// auth.Standard, not methods written again per broker.
func TestEveryProviderEmbedsStandard(t *testing.T) {
	for _, p := range []reflect.Type{
		reflect.TypeFor[tradestation.Provider](),
		reflect.TypeFor[just2trade.Provider](),
		reflect.TypeFor[autoshares.Provider](),
		reflect.TypeFor[spotware.Provider](),
	} {
		f, ok := p.FieldByName("Standard")
		if assert.True(t, ok, "%s does not embed *auth.Standard", p) {
			assert.True(t, f.Anonymous, "%s.Standard is not embedded", p)
			assert.Equal(t, reflect.TypeFor[*auth.Standard](), f.Type)
		}
	}
}

// TestEveryBrokerSharesTheErrorClasses: the same sentinel values under the
// same names, so errors.Is works across brokers.
func TestEveryBrokerSharesTheErrorClasses(t *testing.T) {
	assert.Same(t, tradestation.ErrInvalidInput, just2trade.ErrInvalidInput)
	assert.Same(t, just2trade.ErrInvalidInput, autoshares.ErrInvalidInput)
	assert.Same(t, autoshares.ErrInvalidInput, spotware.ErrInvalidInput)
	assert.Same(t, tradestation.ErrNotFound, just2trade.ErrNotFound)
	assert.Same(t, just2trade.ErrNotFound, autoshares.ErrNotFound)
	assert.Same(t, autoshares.ErrNotFound, spotware.ErrNotFound)
	assert.Equal(t, reflect.TypeFor[tradestation.Error](), reflect.TypeFor[just2trade.Error]())
	assert.Equal(t, reflect.TypeFor[just2trade.Error](), reflect.TypeFor[autoshares.Error]())
	assert.Equal(t, reflect.TypeFor[tradestation.PartialError](), reflect.TypeFor[autoshares.PartialError]())
	assert.Equal(t, reflect.TypeFor[just2trade.PartialError](), reflect.TypeFor[autoshares.PartialError]())
}
