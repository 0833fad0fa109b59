package providerstest

import (
	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/providers"
	"github.com/brokerkit/brokerkit/spotware"
	"github.com/brokerkit/brokerkit/spotware/spotwaretest"
)

func startSpotware(o options) *emulator {
	var opts []spotwaretest.Option
	if o.redirectURL != "" {
		opts = append(opts, spotwaretest.WithRedirectURL(o.redirectURL))
	}
	srv := spotwaretest.NewServer(opts...)
	c := srv.Config()
	if o.redirectURL != "" {
		c.RedirectURL = o.redirectURL
	}
	return &emulator{name: "spotware", url: srv.URL(), login: srv.Login, close: srv.Close,
		user: spotwaretest.User, password: spotwaretest.Password, browser: srv.Browser, faults: srv.Faults,
		wrap: func(p auth.Provider) auth.Provider {
			if sp, ok := p.(*spotware.Provider); ok {
				return &emulatedSpotware{Provider: sp, srv: srv}
			}
			return p
		},
		cfg: providers.Config{ClientID: c.ClientID, ClientSecret: c.ClientSecret, RedirectURL: c.RedirectURL,
			Environment: c.Environment, Scopes: c.Scopes, BaseURL: c.BaseURL, HTTPClient: c.HTTPClient, Now: c.Now}}
}

// emulatedSpotware is the provider with its cTrader session pointed at the
// emulator's Protobuf hosts (the provider's own names cTrader's).
type emulatedSpotware struct {
	*spotware.Provider
	srv *spotwaretest.Server
}

// SessionConfig is the emulator's session configuration for src.
func (p *emulatedSpotware) SessionConfig(src auth.TokenSource) spotware.SessionConfig {
	return p.srv.SessionConfig(src)
}
