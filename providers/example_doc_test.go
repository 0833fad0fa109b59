package providers_test

import (
	"context"
	"fmt"
	"log"
	"os"

	"github.com/shopspring/decimal"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/providers"
	"github.com/brokerkit/brokerkit/tradestation/tradestationtest"
)

// The package doc's use, run against the TradeStation emulator: the
// environment variables name the emulator, as they would name the broker.
func Example() {
	ctx := context.Background()
	srv := tradestationtest.NewServer()
	defer srv.Close()
	for k, v := range map[string]string{
		"BROKERKIT_TRADESTATION_CLIENT_ID":     tradestationtest.V3ClientID,
		"BROKERKIT_TRADESTATION_CLIENT_SECRET": tradestationtest.V3ClientSecret,
		"BROKERKIT_TRADESTATION_REDIRECT_URL":  tradestationtest.RedirectURL,
		"BROKERKIT_TRADESTATION_ENVIRONMENT":   "sim",
		"BROKERKIT_TRADESTATION_BASE_URL":      srv.URL(), // leave unset for the real TradeStation
		"BROKERKIT_TRADESTATION_SCOPES":        "openid offline_access profile MarketData ReadAccount Trade",
	} {
		os.Setenv(k, v)
		defer os.Unsetenv(k)
	}

	cfg, err := providers.FromEnv("tradestation") // BROKERKIT_TRADESTATION_CLIENT_ID, ...
	if err != nil {
		log.Fatal(err) // names every missing variable, ENVIRONMENT included
	}
	p, err := providers.New("tradestation", cfg)
	if err != nil {
		log.Fatal(err)
	}
	flow, err := auth.Begin(p) // redirect the user to flow.URL
	if err != nil {
		log.Fatal(err)
	}
	callback, _ := srv.Consent(ctx, flow.URL) // the emulator plays the user
	tok, err := flow.CompleteURL(ctx, p, callback)
	if err != nil {
		log.Fatal(err)
	}
	src, _ := auth.NewSource(p, auth.NewMemoryStore(), auth.Key(p.Name(), "me"))
	_ = src.SetToken(ctx, tok)

	b, _ := providers.Builtin().Lookup("tradestation")
	v, err := b.View(ctx, p, src)
	if err != nil {
		log.Fatal(err)
	}
	defer v.Close()
	accounts, err := v.Accounts(ctx)
	fmt.Println(len(accounts), err)

	o, err := v.PlaceOrder(ctx, providers.OrderRequest{Account: accounts[0].ID, Symbol: "MSFT",
		Side: providers.Buy, Type: providers.Limit, TimeInForce: providers.GTC,
		Quantity: decimal.NewFromInt(1), LimitPrice: decimal.RequireFromString("300.00")})
	if err != nil {
		log.Fatal(err)
	}
	err = v.CancelOrder(ctx, o.AccountID, o.ID)
	fmt.Println(o.Status, err)
	// Output:
	// 3 <nil>
	// open <nil>
}
