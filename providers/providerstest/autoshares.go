package providerstest

import (
	"slices"

	"github.com/brokerkit/brokerkit/autoshares"
	"github.com/brokerkit/brokerkit/autoshares/autosharestest"
	"github.com/brokerkit/brokerkit/providers"
)

func startAutoShares(o options) *emulator {
	var opts []autosharestest.Option
	if o.redirectURL != "" {
		opts = append(opts, autosharestest.WithRedirectURL(o.redirectURL))
	}
	srv := autosharestest.NewServer(opts...)
	c := srv.Config()
	if o.redirectURL != "" {
		c.RedirectURL = o.redirectURL
	}
	scopes := c.Scopes
	if c.RefreshEnabled { // providers turns refresh on by the scope
		scopes = append(autoshares.DefaultScopes(), autoshares.ScopeOfflineAccess)
		scopes = slices.Compact(scopes)
	}
	return &emulator{name: "autoshares", url: srv.URL(), login: srv.Login, setQuote: spread(srv.SetQuote), close: srv.Close,
		user: autosharestest.User, password: autosharestest.Password, browser: srv.Browser, faults: srv.Faults,
		cfg: providers.Config{ClientID: c.ClientID, ClientSecret: c.ClientSecret, RedirectURL: c.RedirectURL,
			Environment: c.Environment, Scopes: scopes, BaseURL: c.BaseURL, APIKey: c.APIKey,
			HTTPClient: c.HTTPClient, Now: c.Now}}
}
