package providerstest

import (
	"github.com/brokerkit/brokerkit/just2trade/just2tradetest"
	"github.com/brokerkit/brokerkit/providers"
)

func startJust2Trade(o options) *emulator {
	var opts []just2tradetest.Option
	if o.redirectURL != "" {
		opts = append(opts, just2tradetest.WithRedirectURL(o.redirectURL))
	}
	srv := just2tradetest.NewServer(opts...)
	c := srv.Config()
	if o.redirectURL != "" {
		c.RedirectURL = o.redirectURL
	}
	return &emulator{name: "just2trade", url: srv.URL(), login: srv.Login, setQuote: spread(srv.SetQuote), close: srv.Close,
		user: just2tradetest.User, password: just2tradetest.Password, browser: srv.Browser, faults: srv.Faults,
		cfg: providers.Config{ClientID: c.ClientID, ClientSecret: c.ClientSecret, RedirectURL: c.RedirectURL,
			Environment: c.Environment, Scopes: c.Scopes, BaseURL: c.BaseURL, HTTPClient: c.HTTPClient, Now: c.Now}}
}
