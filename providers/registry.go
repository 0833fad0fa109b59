package providers

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/brokerkit/brokerkit/auth"
)

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

// Broker is one entry of a Registry: a broker's name, the environment
// variables FromEnv reads for it, how to build its provider and its View,
// and its line of the capability table. The builtin brokers are entries
// like any other; Register adds an app's own.
type Broker struct {
	// Name is the registry name, lower case (BROKERKIT_<NAME>_* in the
	// environment).
	Name string
	// Title is the name shown to people ("Spotware cTrader").
	Title string
	// Env are the variables the broker reads beyond the common ones
	// (CLIENT_ID, CLIENT_SECRET, REDIRECT_URL, ENVIRONMENT, SCOPES,
	// BASE_URL); an entry with a common suffix replaces the common one
	// (to make CLIENT_SECRET required, say).
	Env []EnvVar
	// New builds the broker's provider.
	New func(Config) (auth.Provider, error)
	// View opens a normalized view of the user whose tokens src holds, on
	// a provider New built. The caller closes it.
	View func(ctx context.Context, p auth.Provider, src auth.TokenSource) (View, error)
	// Ready, when set, tells what the user must still do at the broker
	// before every View call works, as a sentence ("" when nothing). With
	// sign true it does it on the user's behalf where the broker lets an
	// app do so, and tells what it did.
	Ready func(ctx context.Context, p auth.Provider, src auth.TokenSource, sign bool) (string, error)
	// Row is the broker's line of the capability table (Row.Broker is
	// filled in from Name).
	Row Row
	// API is the broker's line of the API capability table (API.Broker
	// is filled in from Name); its View's PlaceOrder refuses what it
	// lacks.
	API APIRow
	// Symbols are instruments the broker quotes, for examples and demos.
	Symbols []string
	// Lot is a small order quantity of Symbols (a share, a thousand units
	// of a currency), for examples and demos.
	Lot decimal.Decimal
}

// EnvVar is one environment variable FromEnv reads:
// BROKERKIT_<BROKER>_<Suffix>.
type EnvVar struct {
	// Suffix is the part after BROKERKIT_<BROKER>_, such as "DOMAIN".
	Suffix string
	// Required makes FromEnv fail when the variable is unset or empty.
	Required bool
	// Doc says what the variable holds.
	Doc string
	// Set stores the value in the Config.
	Set func(cfg *Config, value string) `json:"-"`
}

// Registry is a set of brokers by name. The zero value is empty and ready
// to use; Builtin returns one holding the brokers brokerkit ships.
type Registry struct {
	brokers []Broker // sorted by name
}

// Builtin returns a new Registry of the four brokers brokerkit supports.
// Each call returns a fresh Registry, so registering an app's own broker
// changes no one else's.
func Builtin() *Registry {
	r := &Registry{}
	for _, b := range []Broker{autoShares(), just2Trade(), spotwareBroker(), tradeStation()} {
		if err := r.Register(b); err != nil {
			panic(err) // the builtin entries are valid; a test holds them to it
		}
	}
	return r
}

// Register adds b. The name must be new, lower case, and b must have New
// and View.
func (r *Registry) Register(b Broker) error {
	switch {
	case b.Name == "" || b.Name != strings.ToLower(strings.TrimSpace(b.Name)):
		return fmt.Errorf("providers: broker name %q must be non-empty lower case", b.Name)
	case b.New == nil || b.View == nil:
		return fmt.Errorf("providers: broker %q needs New and View", b.Name)
	}
	i, found := slices.BinarySearchFunc(r.brokers, b.Name, func(e Broker, n string) int { return cmp.Compare(e.Name, n) })
	if found {
		return fmt.Errorf("providers: broker %q is already registered", b.Name)
	}
	b.Env = slices.Clone(b.Env)
	b.Row.Broker = b.Name
	b.API = b.API.clone()
	b.API.Broker = b.Name
	r.brokers = slices.Insert(r.brokers, i, b)
	return nil
}

// Lookup returns the named broker (any case, spaces trimmed). A misspelt
// name gives an *UnknownBrokerError listing the registered ones.
func (r *Registry) Lookup(name string) (Broker, error) {
	n := strings.ToLower(strings.TrimSpace(name))
	for _, b := range r.brokers {
		if b.Name == n {
			b.Env = slices.Clone(b.Env)
			b.API = b.API.clone()
			return b, nil
		}
	}
	return Broker{}, &UnknownBrokerError{Name: name, Valid: r.Names()}
}

// Names returns the registered names, sorted.
func (r *Registry) Names() []string {
	out := make([]string, len(r.brokers))
	for i, b := range r.brokers {
		out[i] = b.Name
	}
	return out
}

// New returns the named broker's provider configured with cfg.
func (r *Registry) New(name string, cfg Config) (auth.Provider, error) {
	b, err := r.Lookup(name)
	if err != nil {
		return nil, err
	}
	return b.New(cfg)
}

// FromEnv reads the named broker's Config from BROKERKIT_<BROKER>_<SETTING>
// variables through getenv (os.Getenv when nil; an empty value counts as
// unset). It reports every missing required variable at once in a
// *MissingEnvError.
func (r *Registry) FromEnv(name string, getenv func(string) string) (Config, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	b, err := r.Lookup(name)
	if err != nil {
		return Config{}, err
	}
	var cfg Config
	var missing []string
	for _, v := range b.vars() {
		val := strings.TrimSpace(getenv(envName(b.Name, v.Suffix)))
		if val == "" {
			if v.Required {
				missing = append(missing, envName(b.Name, v.Suffix))
			}
			continue
		}
		v.Set(&cfg, val)
	}
	if len(missing) > 0 {
		return Config{}, &MissingEnvError{Broker: b.Name, Missing: missing}
	}
	return cfg, nil
}

// Names returns the registry names of the builtin brokers, sorted.
func Names() []string { return Builtin().Names() }

// New returns the auth.Provider of the named builtin broker configured
// with cfg. A misspelt name gives an *UnknownBrokerError listing the valid
// ones.
func New(name string, cfg Config) (auth.Provider, error) { return Builtin().New(name, cfg) }

// FromEnv reads the named builtin broker's Config from the process
// environment (EnvVars lists the variables). It returns a Config rather
// than a Provider so that the caller can adjust it. To read another
// environment (a map in a test), use Builtin().FromEnv(name, getenv).
func FromEnv(name string) (Config, error) { return Builtin().FromEnv(name, os.Getenv) }

// Configured reports whether the named builtin broker's required
// environment variables are all set, so a program can choose between a
// real broker and an emulator.
func Configured(name string) bool {
	_, err := FromEnv(name)
	return err == nil
}

// EnvPrefix is the start of every environment variable FromEnv reads.
const EnvPrefix = "BROKERKIT_"

// EnvVars returns the environment variables FromEnv reads for the named
// builtin broker, each with what it holds and whether it is required.
func EnvVars(name string) ([]string, error) {
	b, err := Builtin().Lookup(name)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, v := range b.vars() {
		req := "optional"
		if v.Required {
			req = "required"
		}
		out = append(out, fmt.Sprintf("%s (%s): %s", envName(b.Name, v.Suffix), req, v.Doc))
	}
	return out, nil
}

func envName(broker, suffix string) string {
	return EnvPrefix + strings.ToUpper(broker) + "_" + suffix
}

// vars are the common variables with b's own merged in.
func (b Broker) vars() []EnvVar {
	envs := make([]string, len(b.Row.Environments))
	for i, e := range b.Row.Environments {
		envs[i] = string(e)
	}
	vars := []EnvVar{
		{"CLIENT_ID", true, "the application's client ID (API key)", func(c *Config, v string) { c.ClientID = v }},
		{"CLIENT_SECRET", false, "the client secret", func(c *Config, v string) { c.ClientSecret = auth.Secret(v) }},
		{"REDIRECT_URL", true, "the callback registered with the broker", func(c *Config, v string) { c.RedirectURL = v }},
		{"ENVIRONMENT", true, "the deployment: " + strings.Join(envs, " or "),
			func(c *Config, v string) { c.Environment = auth.Environment(v) }},
		{"SCOPES", false, "space-separated scopes overriding the defaults", func(c *Config, v string) { c.Scopes = strings.Fields(v) }},
		{"BASE_URL", false, "one host for every endpoint (an emulator)", func(c *Config, v string) { c.BaseURL = v }},
	}
	for _, e := range b.Env {
		if i := slices.IndexFunc(vars, func(v EnvVar) bool { return v.Suffix == e.Suffix }); i >= 0 {
			vars[i] = e
		} else {
			vars = append(vars, e)
		}
	}
	return vars
}

// secretRequired is the CLIENT_SECRET variable of a broker that needs it.
var secretRequired = EnvVar{"CLIENT_SECRET", true, "the client secret",
	func(c *Config, v string) { c.ClientSecret = auth.Secret(v) }}

// UnknownBrokerError says a name is not registered.
type UnknownBrokerError struct {
	// Name is the name that was asked for.
	Name string
	// Valid are the registered names.
	Valid []string
}

// Error implements the error interface.
func (e *UnknownBrokerError) Error() string {
	return fmt.Sprintf("providers: unknown broker %q (valid: %s)", e.Name, strings.Join(e.Valid, ", "))
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

// providerAs is p as the broker's own provider type, or an error naming
// what it is instead.
func providerAs[P any](broker string, p auth.Provider) (P, error) {
	tp, ok := p.(P)
	if !ok {
		return tp, fmt.Errorf("providers: %s: provider is a %T, not one New built", broker, p)
	}
	return tp, nil
}
