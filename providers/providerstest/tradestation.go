package providerstest

import (
	"github.com/brokerkit/brokerkit/providers"
	"github.com/brokerkit/brokerkit/tradestation"
	"github.com/brokerkit/brokerkit/tradestation/tradestationtest"
)

func startTradeStation(o options) *emulator {
	var opts []tradestationtest.Option
	if o.redirectURL != "" {
		opts = append(opts, tradestationtest.WithRedirectURL(o.redirectURL))
	}
	srv := tradestationtest.NewServer(opts...)
	c := srv.Config()
	if o.redirectURL != "" {
		c.RedirectURL = o.redirectURL
	}
	if len(c.Scopes) == 0 {
		// The seeded application may trade: TradeStation's order calls
		// need the Trade scope, which the package's defaults leave out.
		c.Scopes = append(tradestation.DefaultScopes(), "Trade")
	}
	return &emulator{name: "tradestation", url: srv.URL(), login: srv.Login, close: srv.Close, setQuote: srv.SetQuote,
		user: tradestationtest.User, password: tradestationtest.Password, browser: srv.Browser, faults: srv.Faults,
		cfg: providers.Config{ClientID: c.ClientID, ClientSecret: c.ClientSecret, RedirectURL: c.RedirectURL,
			Environment: c.Environment, Scopes: c.Scopes, BaseURL: c.BaseURL, HTTPClient: c.HTTPClient, Now: c.Now}}
}
