package providers

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNewEveryBroker(t *testing.T) {
	for _, n := range Names() {
		p, err := New(n, baseConfig(n))
		require.NoError(t, err, n)
		assert.Equal(t, n, p.Name())
		assert.Contains(t, p.AuthCodeURL("st"), "client_id=client-id")
	}
}

func TestNewUnknownBroker(t *testing.T) {
	_, err := New("tradestaton", baseConfig("x"))
	var ue *UnknownBrokerError
	require.True(t, errors.As(err, &ue))
	for _, n := range Names() {
		assert.Contains(t, err.Error(), n, "the error lists the valid names")
	}
}

func TestNewBaseURLPointsEveryHost(t *testing.T) {
	for _, n := range Names() {
		cfg := baseConfig(n)
		cfg.BaseURL = "http://127.0.0.1:9999"
		p, err := New(n, cfg)
		require.NoError(t, err, n)
		assert.Contains(t, p.AuthCodeURL("st"), "http://127.0.0.1:9999/", n)
	}
}

func TestNewRefusesInsecureEndpoint(t *testing.T) {
	for _, n := range Names() {
		cfg := baseConfig(n)
		cfg.BaseURL = "http://broker.example.com"
		_, err := New(n, cfg)
		assert.Error(t, err, n)
	}
}

func TestFromEnv(t *testing.T) {
	env := map[string]string{
		"BROKERKIT_AUTOSHARES_CLIENT_ID":    "id",
		"BROKERKIT_AUTOSHARES_REDIRECT_URL": "https://app.example.com/callback/autoshares",
		"BROKERKIT_AUTOSHARES_SCOPES":       "openid offline_access",
	}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	_, err := fromLookup("autoshares", lookup)
	var me *MissingEnvError
	require.True(t, errors.As(err, &me))
	assert.Equal(t, []string{"BROKERKIT_AUTOSHARES_CLIENT_SECRET", "BROKERKIT_AUTOSHARES_ENVIRONMENT",
		"BROKERKIT_AUTOSHARES_DOMAIN", "BROKERKIT_AUTOSHARES_API_KEY"}, me.Missing)
	assert.ErrorContains(t, err, "BROKERKIT_AUTOSHARES_ENVIRONMENT")

	env["BROKERKIT_AUTOSHARES_CLIENT_SECRET"] = "the-secret"
	env["BROKERKIT_AUTOSHARES_DOMAIN"] = "tenant.example.com"
	env["BROKERKIT_AUTOSHARES_API_KEY"] = "the-key"
	env["BROKERKIT_AUTOSHARES_ENVIRONMENT"] = "demo"
	cfg, err := fromLookup("AutoShares", lookup)
	require.NoError(t, err)
	assert.Equal(t, "the-key", cfg.APIKey.Reveal())
	assert.Equal(t, "the-secret", cfg.ClientSecret.Reveal())
	assert.Equal(t, []string{"openid", "offline_access"}, cfg.Scopes)
	p, err := New("autoshares", cfg)
	require.NoError(t, err)
	assert.True(t, p.Capabilities().Refresh, "offline_access in the scopes enables refresh")

	_, err = fromLookup("nope", lookup)
	var ue *UnknownBrokerError
	assert.True(t, errors.As(err, &ue))
}

// TestFromEnvJust2TradeNeedsEnvironment: credentials without
// BROKERKIT_JUST2TRADE_ENVIRONMENT are refused, naming the variable, so
// that no app reaches Just2Trade or Lime by default.
func TestFromEnvJust2TradeNeedsEnvironment(t *testing.T) {
	env := map[string]string{
		"BROKERKIT_JUST2TRADE_CLIENT_ID":     "id",
		"BROKERKIT_JUST2TRADE_CLIENT_SECRET": "secret",
		"BROKERKIT_JUST2TRADE_REDIRECT_URL":  "https://app.example.com/callback/just2trade",
	}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	_, err := fromLookup(Just2Trade, lookup)
	var me *MissingEnvError
	require.True(t, errors.As(err, &me), "%v", err)
	assert.Equal(t, []string{"BROKERKIT_JUST2TRADE_ENVIRONMENT"}, me.Missing)
	assert.ErrorContains(t, err, "BROKERKIT_JUST2TRADE_ENVIRONMENT")

	env["BROKERKIT_JUST2TRADE_ENVIRONMENT"] = "lime"
	cfg, err := fromLookup(Just2Trade, lookup)
	require.NoError(t, err)
	p, err := New(Just2Trade, cfg)
	require.NoError(t, err)
	assert.Contains(t, p.AuthCodeURL("st"), "https://auth.lime.co/", "the environment is passed through")

	cfg.Environment = ""
	_, err = New(Just2Trade, cfg)
	assert.Error(t, err, "New refuses an empty environment")
}

func TestFromEnvReal(t *testing.T) {
	t.Setenv("BROKERKIT_TRADESTATION_CLIENT_ID", "id")
	t.Setenv("BROKERKIT_TRADESTATION_REDIRECT_URL", "http://localhost:3000/callback")
	t.Setenv("BROKERKIT_TRADESTATION_ENVIRONMENT", "sim")
	cfg, err := FromEnv("tradestation")
	require.NoError(t, err)
	assert.Equal(t, "sim", string(cfg.Environment))
	assert.True(t, Configured("tradestation"))
	assert.False(t, Configured("spotware"))
}

// TestFromEnvTradeStationNeedsEnvironment: credentials without
// BROKERKIT_TRADESTATION_ENVIRONMENT are refused by name, so that no app
// reaches the live broker by default.
func TestFromEnvTradeStationNeedsEnvironment(t *testing.T) {
	env := map[string]string{
		"BROKERKIT_TRADESTATION_CLIENT_ID":    "id",
		"BROKERKIT_TRADESTATION_REDIRECT_URL": "http://localhost:3000/callback",
	}
	_, err := fromLookup(TradeStation, func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	var me *MissingEnvError
	require.ErrorAs(t, err, &me)
	assert.Equal(t, []string{"BROKERKIT_TRADESTATION_ENVIRONMENT"}, me.Missing)
	assert.ErrorContains(t, err, "BROKERKIT_TRADESTATION_ENVIRONMENT")
}

func TestEnvVars(t *testing.T) {
	vars, err := EnvVars("spotware")
	require.NoError(t, err)
	assert.Contains(t, vars[1], "BROKERKIT_SPOTWARE_CLIENT_SECRET (required)")
}

// cTrader grants one scope per login; a second one must not be dropped
// silently, which would request the default (and broadest) scope instead.
func TestNewSpotwareScopes(t *testing.T) {
	cfg := baseConfig(Spotware)
	cfg.Scopes = []string{"accounts"}
	p, err := New(Spotware, cfg)
	require.NoError(t, err)
	assert.Contains(t, p.AuthCodeURL("st"), "scope=accounts")
	cfg.Scopes = []string{"accounts", "trading"}
	_, err = New(Spotware, cfg)
	assert.ErrorContains(t, err, "one scope")
}

// TestFromEnvSpotwareNeedsEnvironment: with credentials set but no
// environment, FromEnv names the variable to set instead of picking live
// or demo; with it, the provider has that environment.
func TestFromEnvSpotwareNeedsEnvironment(t *testing.T) {
	env := map[string]string{
		"BROKERKIT_SPOTWARE_CLIENT_ID":     "id",
		"BROKERKIT_SPOTWARE_CLIENT_SECRET": "the-secret",
		"BROKERKIT_SPOTWARE_REDIRECT_URL":  "https://app.example.com/callback/spotware",
	}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	_, err := fromLookup(Spotware, lookup)
	var me *MissingEnvError
	require.ErrorAs(t, err, &me)
	assert.Equal(t, []string{"BROKERKIT_SPOTWARE_ENVIRONMENT"}, me.Missing)
	assert.ErrorContains(t, err, "BROKERKIT_SPOTWARE_ENVIRONMENT")

	env["BROKERKIT_SPOTWARE_ENVIRONMENT"] = "live"
	cfg, err := fromLookup(Spotware, lookup)
	require.NoError(t, err)
	p, err := New(Spotware, cfg)
	require.NoError(t, err)
	assert.Equal(t, auth.Live, p.(interface{ Environment() auth.Environment }).Environment())
}

// TestRegistry: an app registers its own broker beside the builtin ones;
// names are unique, and a misspelt one is an *UnknownBrokerError listing
// the registered names.
func TestRegistry(t *testing.T) {
	r := Builtin()
	assert.Equal(t, []string{"autoshares", "just2trade", "spotware", "tradestation"}, r.Names())
	own := Broker{Name: "mybroker", Title: "My Broker",
		Env: []EnvVar{{Suffix: "REGION", Required: true, Doc: "the region", Set: func(c *Config, v string) { c.Domain = v }}},
		New: func(cfg Config) (auth.Provider, error) {
			return auth.NewStandard(auth.Config{Name: "mybroker", ClientID: cfg.ClientID, RedirectURL: cfg.RedirectURL,
				AuthStyle: auth.AuthStylePublic,
				Endpoint: auth.Endpoint{AuthURL: "https://mybroker.example.com/authorize",
					TokenURL: "https://mybroker.example.com/token"}})
		},
		View: func(context.Context, auth.Provider, auth.TokenSource) (View, error) {
			return nil, auth.ErrUnsupported
		},
		Row: Row{Environments: []auth.Environment{auth.Live}}}
	require.NoError(t, r.Register(own))
	assert.Error(t, r.Register(own), "a name is registered once")
	assert.ErrorContains(t, r.Register(Broker{Name: "tradestation", New: own.New, View: own.View}), "already registered")
	assert.Error(t, r.Register(Broker{Name: "My Broker", New: own.New, View: own.View}), "names are lower case")
	assert.Error(t, r.Register(Broker{Name: "nonew", View: own.View}), "New is required")
	assert.Equal(t, []string{"autoshares", "just2trade", "mybroker", "spotware", "tradestation"}, r.Names())
	assert.Len(t, Builtin().Names(), 4, "registering changes only that registry")

	b, err := r.Lookup(" MyBroker ")
	require.NoError(t, err)
	assert.Equal(t, "My Broker", b.Title)
	assert.Equal(t, "mybroker", b.Row.Broker)

	env := map[string]string{"BROKERKIT_MYBROKER_CLIENT_ID": "id", "BROKERKIT_MYBROKER_REDIRECT_URL": "https://app.example.com/cb"}
	_, err = r.FromEnv("mybroker", func(k string) string { return env[k] })
	var me *MissingEnvError
	require.ErrorAs(t, err, &me)
	assert.Equal(t, []string{"BROKERKIT_MYBROKER_ENVIRONMENT", "BROKERKIT_MYBROKER_REGION"}, me.Missing)
	env["BROKERKIT_MYBROKER_ENVIRONMENT"], env["BROKERKIT_MYBROKER_REGION"] = "live", "eu"
	cfg, err := r.FromEnv("mybroker", func(k string) string { return env[k] })
	require.NoError(t, err)
	assert.Equal(t, "eu", cfg.Domain)
	p, err := r.New("mybroker", cfg)
	require.NoError(t, err)
	assert.Equal(t, "mybroker", p.Name())

	var buf bytes.Buffer
	require.NoError(t, r.WriteTable(&buf))
	assert.Contains(t, buf.String(), "mybroker")

	_, err = r.Lookup("robinhood")
	var ue *UnknownBrokerError
	require.ErrorAs(t, err, &ue)
	assert.ErrorContains(t, err, "mybroker")
}

// TestFromEnvEveryBrokerNeedsEnvironment: with every other required
// variable set, each builtin broker's FromEnv names its ENVIRONMENT
// variable, and no broker picks live or demo by itself.
func TestFromEnvEveryBrokerNeedsEnvironment(t *testing.T) {
	r := Builtin()
	for _, name := range r.Names() {
		b, err := r.Lookup(name)
		require.NoError(t, err)
		env := map[string]string{}
		for _, v := range b.vars() {
			if v.Required && v.Suffix != "ENVIRONMENT" {
				env[envName(name, v.Suffix)] = "x"
			}
		}
		_, err = r.FromEnv(name, func(k string) string { return env[k] })
		var me *MissingEnvError
		require.ErrorAs(t, err, &me, name)
		assert.Equal(t, []string{"BROKERKIT_" + strings.ToUpper(name) + "_ENVIRONMENT"}, me.Missing)
		vars, err := EnvVars(name)
		require.NoError(t, err)
		assert.Contains(t, strings.Join(vars, "\n"), "BROKERKIT_"+strings.ToUpper(name)+"_ENVIRONMENT (required)")
	}
}

// TestBuiltinEntriesAreComplete: every builtin entry has what the examples
// rely on, and its Row lists the environments its provider accepts.
func TestBuiltinEntriesAreComplete(t *testing.T) {
	r := Builtin()
	for _, name := range r.Names() {
		b, err := r.Lookup(name)
		require.NoError(t, err)
		assert.NotEmpty(t, b.Title, name)
		assert.NotEmpty(t, b.Symbols, name)
		assert.NotEmpty(t, b.Row.Environments, name)
		cfg := baseConfig(name)
		cfg.Environment = "nowhere"
		_, err = b.New(cfg)
		assert.Error(t, err, "%s refuses an unknown environment", name)
	}
}
