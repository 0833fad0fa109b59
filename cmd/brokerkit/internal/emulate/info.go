package emulate

import (
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/providers"
)

// Info is what the announcement says of one running emulator: where it
// is, the seeded application's credentials and the seeded users. It is a
// local emulator's test data: printing it, secrets and passwords
// included, is its purpose.
type Info struct {
	// Broker is the registry name.
	Broker string `json:"broker"`
	// URL is the emulator's base URL (BROKERKIT_<BROKER>_BASE_URL).
	URL string `json:"url"`
	// AuthorizeURL and TokenURL are the OAuth endpoints.
	AuthorizeURL string `json:"authorize_url"`
	TokenURL     string `json:"token_url"`
	// AuthorizeParams are the extra parameters the broker requires on
	// the authorization request (TradeStation's audience).
	AuthorizeParams map[string]string `json:"authorize_params,omitempty"`
	// APIURL is the base URL of the broker's API paths; for cTrader the
	// Protobuf host (tls://host:port, a self-signed certificate).
	APIURL string `json:"api_url"`
	// ClientID and ClientSecret are the seeded application's.
	ClientID     string `json:"client_id"`
	ClientSecret string `json:"client_secret"`
	// RedirectURL is registered for the application; being a loopback
	// URL, any port of it is accepted (RFC 8252).
	RedirectURL string `json:"redirect_url"`
	// Environment and Scopes are what the application asks for.
	Environment string   `json:"environment"`
	Scopes      []string `json:"scopes"`
	// APIKey is the application's API key, sent on every API call
	// (AutoShares' Et-App-Key).
	APIKey string `json:"api_key,omitempty"`
	// Domain is BROKERKIT_<BROKER>_DOMAIN where the broker needs one.
	Domain string `json:"domain,omitempty"`
	// Protobuf are cTrader's two Protobuf hosts.
	Protobuf *Protobuf `json:"protobuf,omitempty"`
	// Users are the seeded users.
	Users []User `json:"users"`
	// AdminURL is this emulator's admin API.
	AdminURL string `json:"admin_url"`
}

// User is a seeded user's sign-in.
type User struct {
	Login    string `json:"login"`
	Password string `json:"password"`
}

// Protobuf are the host:port addresses of cTrader's Protobuf hosts and
// the certificate both present.
type Protobuf struct {
	Demo string `json:"demo"`
	Live string `json:"live"`
	// CertPEM is the hosts' self-signed certificate, PEM-encoded (public:
	// no key). It is made at each start and each reset, which rewrites
	// the announcement; a client trusts it, and only it, for these hosts.
	CertPEM string `json:"cert_pem"`
}

// describe builds a running emulator's Info, reading the endpoints from
// the provider the registry builds for it, so the announcement shows what
// brokerkit's own clients will use.
func describe(b broker, run *running, adminURL string) (Info, error) {
	cfg := run.cfg
	p, err := providers.New(b.name, cfg)
	if err != nil {
		return Info{}, fmt.Errorf("emulate: %s: %w", b.name, err)
	}
	std, ok := p.(interface{ Config() auth.Config })
	if !ok {
		return Info{}, fmt.Errorf("emulate: %s: the provider does not state its endpoints", b.name)
	}
	ac := std.Config()
	info := Info{Broker: b.name, URL: cfg.BaseURL, AuthorizeURL: ac.Endpoint.AuthURL, TokenURL: ac.Endpoint.TokenURL,
		APIURL: run.api, ClientID: cfg.ClientID, ClientSecret: string(cfg.ClientSecret), RedirectURL: cfg.RedirectURL,
		Environment: string(cfg.Environment), Scopes: slices.Clone(ac.Scopes), APIKey: string(cfg.APIKey),
		Domain: cfg.Domain, Users: slices.Clone(b.users), AdminURL: adminURL}
	if run.proto != nil {
		pb := *run.proto
		info.Protobuf = &pb
	}
	if len(cfg.Scopes) > 0 {
		info.Scopes = slices.Clone(cfg.Scopes)
	}
	if info.Scopes == nil {
		info.Scopes = []string{} // the broker's defaults: none
	}
	// The extra authorization parameters are those of the provider's
	// authorization URL beyond the standard ones.
	u, err := url.Parse(p.AuthCodeURL("state"))
	if err != nil {
		return Info{}, fmt.Errorf("emulate: %s: authorization URL: %w", b.name, err)
	}
	for k, v := range u.Query() {
		switch k {
		case "response_type", "client_id", "redirect_uri", "scope", "state", "code_challenge", "code_challenge_method",
			"nonce":
			continue
		}
		if info.AuthorizeParams == nil {
			info.AuthorizeParams = map[string]string{}
		}
		info.AuthorizeParams[k] = strings.Join(v, " ")
	}
	return info, nil
}

func (i Info) clone() Info {
	i.Scopes = slices.Clone(i.Scopes)
	i.Users = slices.Clone(i.Users)
	if i.AuthorizeParams != nil {
		m := make(map[string]string, len(i.AuthorizeParams))
		for k, v := range i.AuthorizeParams {
			m[k] = v
		}
		i.AuthorizeParams = m
	}
	if i.Protobuf != nil {
		pb := *i.Protobuf
		i.Protobuf = &pb
	}
	return i
}

// Config returns the providers.Config of the seeded application at this
// emulator, as providers.FromEnv reads it from Env's lines.
func (i Info) Config() providers.Config {
	c := providers.Config{ClientID: i.ClientID, ClientSecret: auth.Secret(i.ClientSecret), RedirectURL: i.RedirectURL,
		Environment: auth.Environment(i.Environment), Domain: i.Domain, APIKey: auth.Secret(i.APIKey), BaseURL: i.URL}
	if len(i.Scopes) > 0 {
		c.Scopes = slices.Clone(i.Scopes)
	}
	return c
}

// Env returns the BROKERKIT_<BROKER>_* lines (NAME=value, the value
// single-quoted for a POSIX shell where it needs it) that providers.FromEnv
// reads as Config.
func (i Info) Env() []string {
	prefix := providers.EnvPrefix + strings.ToUpper(i.Broker) + "_"
	var out []string
	add := func(suffix, v string) {
		if v != "" {
			out = append(out, prefix+suffix+"="+shellQuote(v))
		}
	}
	add("CLIENT_ID", i.ClientID)
	add("CLIENT_SECRET", i.ClientSecret)
	add("REDIRECT_URL", i.RedirectURL)
	add("ENVIRONMENT", i.Environment)
	add("SCOPES", strings.Join(i.Scopes, " "))
	add("BASE_URL", i.URL)
	add("DOMAIN", i.Domain)
	add("API_KEY", i.APIKey)
	return out
}

// shellQuote returns v as is when a shell reads it as one word, else in
// single quotes.
func shellQuote(v string) string {
	safe := func(r rune) bool {
		return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_.:/@%+,=", r)
	}
	if strings.IndexFunc(v, func(r rune) bool { return !safe(r) }) < 0 {
		return v
	}
	return "'" + strings.ReplaceAll(v, "'", `'\''`) + "'"
}
