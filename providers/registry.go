package providers

import (
	"fmt"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/autoshares"
	"github.com/brokerkit/brokerkit/just2trade"
	"github.com/brokerkit/brokerkit/spotware"
	"github.com/brokerkit/brokerkit/tradestation"
)

// The registry names of the supported brokers.
const (
	TradeStation = tradestation.Name
	Just2Trade   = just2trade.Name
	AutoShares   = autoshares.Name
	Spotware     = spotware.Name
)

var names = []string{AutoShares, Just2Trade, Spotware, TradeStation}

// Names returns the registry names of every supported broker, sorted.
func Names() []string { return slices.Clone(names) }

// Config is what an app knows about its registration at a broker. The
// broker packages take richer configurations; this one covers what every
// broker needs, so that an app can switch brokers by name.
type Config struct {
	// ClientID and ClientSecret are the application's credentials. The
	// secret prints and marshals redacted.
	ClientID     string
	ClientSecret auth.Secret
	// RedirectURL is the callback registered with the broker. Give each
	// broker its own callback path (RFC 9700 mix-up defence).
	RedirectURL string
	// Environment picks the broker deployment, and is required: no broker
	// trades live or demo by default (TradeStation live or sim, Just2Trade
	// just2trade or lime, AutoShares and Spotware live or demo).
	Environment auth.Environment
	// Scopes override the broker's default scopes.
	Scopes []string
	// Domain is the AutoShares Auth0 tenant (required for AutoShares).
	Domain string
	// APIKey is the AutoShares API secret key, sent on every API call of a
	// client from the provider's NewClient. It prints and marshals
	// redacted.
	APIKey auth.Secret
	// BaseURL points every host of the broker at one server: an emulator
	// from the broker's test package, say. Empty means the real hosts.
	BaseURL string
	// HTTPClient makes the token requests; nil means a client with a
	// 30-second timeout.
	HTTPClient *http.Client `json:"-"`
	// Now is the clock token expiry is counted from; nil means time.Now.
	Now func() time.Time `json:"-"`
}

// UnknownBrokerError says a registry name is not one of Names.
type UnknownBrokerError struct {
	// Name is the name that was asked for.
	Name string
}

// Error implements the error interface.
func (e *UnknownBrokerError) Error() string {
	return fmt.Sprintf("providers: unknown broker %q (valid: %s)", e.Name, strings.Join(names, ", "))
}

// New returns the auth.Provider of the named broker configured with cfg.
// A misspelt name gives an *UnknownBrokerError listing the valid ones.
func New(name string, cfg Config) (auth.Provider, error) {
	switch strings.ToLower(strings.TrimSpace(name)) {
	case TradeStation:
		c := tradestation.Config{ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret,
			RedirectURL: cfg.RedirectURL, Environment: cfg.Environment, Scopes: cfg.Scopes,
			BaseURL: cfg.BaseURL, HTTPClient: cfg.HTTPClient, Now: cfg.Now}
		return tradestation.New(c)
	case Just2Trade:
		return just2trade.New(just2trade.Config{ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret,
			RedirectURL: cfg.RedirectURL, Environment: cfg.Environment, Scopes: cfg.Scopes,
			BaseURL: cfg.BaseURL, HTTPClient: cfg.HTTPClient, Now: cfg.Now})
	case AutoShares:
		return autoshares.New(autoshares.Config{Domain: cfg.Domain, BaseURL: cfg.BaseURL, ClientID: cfg.ClientID,
			ClientSecret: cfg.ClientSecret, RedirectURL: cfg.RedirectURL, Environment: cfg.Environment,
			Scopes: cfg.Scopes, APIKey: cfg.APIKey,
			RefreshEnabled: slices.Contains(cfg.Scopes, autoshares.ScopeOfflineAccess),
			HTTPClient:     cfg.HTTPClient, Now: cfg.Now})
	case Spotware:
		return spotware.New(spotware.Config{ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret,
			RedirectURL: cfg.RedirectURL, Environment: cfg.Environment, Scopes: cfg.Scopes, BaseURL: cfg.BaseURL,
			HTTPClient: cfg.HTTPClient, Now: cfg.Now})
	}
	return nil, &UnknownBrokerError{Name: name}
}

// EnvPrefix is the start of every environment variable FromEnv reads.
const EnvPrefix = "BROKERKIT_"

// envVar is one environment variable FromEnv reads.
type envVar struct {
	suffix   string
	required bool
	set      func(*Config, string)
	doc      string
}

var commonVars = []envVar{
	{"CLIENT_ID", true, func(c *Config, v string) { c.ClientID = v }, "the application's client ID (API key)"},
	{"CLIENT_SECRET", false, func(c *Config, v string) { c.ClientSecret = auth.Secret(v) }, "the client secret"},
	{"REDIRECT_URL", true, func(c *Config, v string) { c.RedirectURL = v }, "the callback registered with the broker"},
	{"ENVIRONMENT", false, func(c *Config, v string) { c.Environment = auth.Environment(v) }, "the deployment (live, sim, demo, lime)"},
	{"SCOPES", false, func(c *Config, v string) { c.Scopes = strings.Fields(v) }, "space-separated scopes overriding the defaults"},
	{"BASE_URL", false, func(c *Config, v string) { c.BaseURL = v }, "one host for every endpoint (an emulator)"},
}

// brokerVars are the variables only some brokers read, and which of the
// common ones they require.
var brokerVars = map[string][]envVar{
	TradeStation: {
		{"ENVIRONMENT", true, func(c *Config, v string) { c.Environment = auth.Environment(v) }, "the deployment: live or sim"},
	},
	Just2Trade: {
		{"CLIENT_SECRET", true, func(c *Config, v string) { c.ClientSecret = auth.Secret(v) }, "the client secret"},
		{"ENVIRONMENT", true, func(c *Config, v string) { c.Environment = auth.Environment(v) }, "the deployment: just2trade or lime"},
	},
	AutoShares: {
		{"CLIENT_SECRET", true, func(c *Config, v string) { c.ClientSecret = auth.Secret(v) }, "the client secret"},
		{"ENVIRONMENT", true, func(c *Config, v string) { c.Environment = auth.Environment(v) }, "the deployment (live or demo)"},
		{"DOMAIN", true, func(c *Config, v string) { c.Domain = v }, "the Auth0 tenant domain"},
		{"API_KEY", true, func(c *Config, v string) { c.APIKey = auth.Secret(v) }, "the API secret key sent as Et-App-Key"},
	},
	Spotware: {
		{"CLIENT_SECRET", true, func(c *Config, v string) { c.ClientSecret = auth.Secret(v) }, "the client secret"},
		{"ENVIRONMENT", true, func(c *Config, v string) { c.Environment = auth.Environment(v) }, "the deployment: live or demo"},
	},
}

// EnvVars returns the environment variables FromEnv reads for the named
// broker, each with what it holds and whether it is required.
func EnvVars(name string) ([]string, error) {
	vars, err := varsFor(name)
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(vars))
	for _, v := range vars {
		req := "optional"
		if v.required {
			req = "required"
		}
		out = append(out, fmt.Sprintf("%s (%s): %s", envName(name, v.suffix), req, v.doc))
	}
	return out, nil
}

func envName(broker, suffix string) string {
	return EnvPrefix + strings.ToUpper(broker) + "_" + suffix
}

func varsFor(name string) ([]envVar, error) {
	name = strings.ToLower(strings.TrimSpace(name))
	extra, ok := brokerVars[name]
	if !ok {
		return nil, &UnknownBrokerError{Name: name}
	}
	vars := slices.Clone(commonVars)
	for _, e := range extra {
		if i := slices.IndexFunc(vars, func(v envVar) bool { return v.suffix == e.suffix }); i >= 0 {
			vars[i] = e
		} else {
			vars = append(vars, e)
		}
	}
	return vars, nil
}

// MissingEnvError lists the required environment variables that are unset.
type MissingEnvError struct {
	// Broker is the registry name.
	Broker string
	// Missing are the names of the unset variables.
	Missing []string
}

// Error implements the error interface.
func (e *MissingEnvError) Error() string {
	return fmt.Sprintf("providers: %s: missing environment variables: %s", e.Broker, strings.Join(e.Missing, ", "))
}

// FromEnv reads the named broker's Config from environment variables
// BROKERKIT_<BROKER>_<SETTING> (EnvVars lists them). It reports every
// missing required variable at once. It returns a Config rather than a
// Provider so that the caller can also use APIKey and adjust the rest.
func FromEnv(name string) (Config, error) {
	return fromLookup(name, os.LookupEnv)
}

// FromEnvFunc is FromEnv reading variables through getenv (os.Getenv, or a
// map in a test); an empty value counts as unset.
func FromEnvFunc(name string, getenv func(string) string) (Config, error) {
	return fromLookup(name, func(k string) (string, bool) {
		v := getenv(k)
		return v, v != ""
	})
}

// Configured reports whether the named broker's required environment
// variables are all set, so a program can choose between a real broker and
// an emulator.
func Configured(name string) bool {
	_, err := FromEnv(name)
	return err == nil
}

func fromLookup(name string, lookup func(string) (string, bool)) (Config, error) {
	vars, err := varsFor(name)
	if err != nil {
		return Config{}, err
	}
	name = strings.ToLower(strings.TrimSpace(name))
	var cfg Config
	var missing []string
	for _, v := range vars {
		val, ok := lookup(envName(name, v.suffix))
		val = strings.TrimSpace(val)
		if !ok || val == "" {
			if v.required {
				missing = append(missing, envName(name, v.suffix))
			}
			continue
		}
		v.set(&cfg, val)
	}
	if len(missing) > 0 {
		return Config{}, &MissingEnvError{Broker: name, Missing: missing}
	}
	return cfg, nil
}
