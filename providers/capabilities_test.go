package providers

import (
	"bytes"
	"fmt"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/autoshares"
	"github.com/brokerkit/brokerkit/just2trade"
	"github.com/brokerkit/brokerkit/spotware"
	"github.com/brokerkit/brokerkit/tradestation"
)

// The builtin names, as the tests spell them.
const (
	TradeStation = tradestation.Name
	Just2Trade   = just2trade.Name
	AutoShares   = autoshares.Name
	Spotware     = spotware.Name
)

// fromLookup is the builtin registry's FromEnv over a lookup function.
func fromLookup(name string, lookup func(string) (string, bool)) (Config, error) {
	return Builtin().FromEnv(name, func(k string) string { v, _ := lookup(k); return v })
}

func baseConfig(name string) Config {
	// Every broker needs its environment named (one policy for all).
	envs := map[string]auth.Environment{TradeStation: auth.Sim, Just2Trade: just2trade.EnvJust2Trade,
		AutoShares: auth.Demo, Spotware: auth.Demo}
	return Config{ClientID: "client-id", ClientSecret: "client-secret", Environment: envs[name],
		RedirectURL: "https://app.example.com/callback/" + name, Domain: "tenant.example.com"}
}

// optIn builds, for each feature the table calls opt-in, the provider with
// that feature switched on.
var optIn = map[string]map[string]func(t *testing.T) auth.Provider{
	AutoShares: {
		"Refresh": func(t *testing.T) auth.Provider {
			cfg := baseConfig(AutoShares)
			cfg.Scopes = []string{"openid", "profile", "email", "offline_access"}
			p, err := New(AutoShares, cfg)
			require.NoError(t, err)
			return p
		},
	},
	Just2Trade: {
		"PKCE": func(t *testing.T) auth.Provider {
			p, err := just2trade.New(just2trade.Config{ClientID: "id", ClientSecret: "s",
				RedirectURL: "https://app.example.com/cb", Environment: just2trade.EnvJust2Trade, PKCE: true})
			require.NoError(t, err)
			return p
		},
	},
	TradeStation: {
		"PKCE": func(t *testing.T) auth.Provider {
			cfg := baseConfig(TradeStation)
			cfg.ClientSecret = ""
			p, err := New(TradeStation, cfg)
			require.NoError(t, err)
			return p
		},
		"Rotation": func(t *testing.T) auth.Provider {
			p, err := tradestation.New(tradestation.Config{ClientID: "id", ClientSecret: "s", Environment: auth.Live,
				RedirectURL: "https://app.example.com/cb", Refresh: tradestation.RefreshRotating})
			require.NoError(t, err)
			return p
		},
	},
}

func features(c auth.Capabilities) map[string]bool {
	return map[string]bool{"PKCE": c.PKCE, "Refresh": c.Refresh, "Rotation": c.RefreshRotates,
		"ClientCredentials": c.ClientCredentials, "Revoke": c.Revoke, "SlidingExpiry": c.SlidingExpiry}
}

func (r Row) features() map[string]Support {
	return map[string]Support{"PKCE": r.PKCE, "Refresh": r.Refresh, "Rotation": r.Rotation,
		"ClientCredentials": r.ClientCredentials, "Revoke": r.Revoke, "SlidingExpiry": r.SlidingExpiry}
}

// TestCapabilityTable holds the documented table to every provider's own
// Capabilities(): the defaults, and each opt-in switched on.
func TestCapabilityTable(t *testing.T) {
	require.Len(t, Table(), len(Names()))
	for i, row := range Table() {
		t.Run(row.Broker, func(t *testing.T) {
			assert.Equal(t, Names()[i], row.Broker, "table rows follow Names order")
			p, err := New(row.Broker, baseConfig(row.Broker))
			require.NoError(t, err)
			caps := p.Capabilities()
			got := features(caps)
			for feature, want := range row.features() {
				assert.Equal(t, want == Yes, got[feature], "%s by default", feature)
				if want == OptIn {
					build, ok := optIn[row.Broker][feature]
					require.True(t, ok, "no opt-in check for %s", feature)
					assert.True(t, features(build(t).Capabilities())[feature], "%s when opted in", feature)
				}
			}
			assert.Equal(t, row.Environments, caps.Environments)
		})
	}
}

func TestWriteTable(t *testing.T) {
	var b bytes.Buffer
	require.NoError(t, WriteTable(&b))
	out := b.String()
	for _, r := range Table() {
		assert.Contains(t, out, r.Broker)
	}
	assert.Contains(t, out, "opt-in")
	assert.Equal(t, len(Names())+1, bytes.Count(b.Bytes(), []byte("\n")), out)
}

func ExampleWriteTable() {
	_ = WriteTable(os.Stdout)
	// Output:
	// BROKER        PKCE    REFRESH  ROTATION  CLIENT CREDS  REVOKE  SLIDING  ENVIRONMENTS
	// autoshares    yes     opt-in   no        no            no      no       live, demo
	// just2trade    opt-in  no       no        no            no      yes      just2trade, lime
	// spotware      no      yes      yes       no            no      no       live, demo
	// tradestation  opt-in  yes      opt-in    no            yes     no       live, sim
}

func ExampleTable() {
	for _, r := range Table() {
		fmt.Printf("%s: refresh %s, rotation %s\n", r.Broker, r.Refresh, r.Rotation)
	}
	// Output:
	// autoshares: refresh opt-in, rotation no
	// just2trade: refresh no, rotation no
	// spotware: refresh yes, rotation yes
	// tradestation: refresh yes, rotation opt-in
}
