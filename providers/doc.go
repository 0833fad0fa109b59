// Package providers is the front door to every broker brokerkit supports:
// a Registry of Broker entries, each stating as data the broker's name, the
// environment variables it reads, how to build its auth.Provider and its
// normalized View (profile, accounts, balances, positions, quotes, and
// orders through Trader), its line of the OAuth capability table and its
// line of the API capability table (APIRow).
//
// The shortest use, with credentials from the environment:
//
//	cfg, err := providers.FromEnv("tradestation") // BROKERKIT_TRADESTATION_CLIENT_ID, ...
//	if err != nil {
//		log.Fatal(err) // names every missing variable, ENVIRONMENT included
//	}
//	p, err := providers.New("tradestation", cfg)
//	if err != nil {
//		log.Fatal(err)
//	}
//	flow, err := auth.Begin(p) // redirect the user to flow.URL
//
// and once the user has consented and src (an auth.Source) holds the token:
//
//	b, _ := providers.Builtin().Lookup("tradestation")
//	v, err := b.View(ctx, p, src)
//	if err != nil {
//		log.Fatal(err)
//	}
//	defer v.Close()
//	accounts, err := v.Accounts(ctx)
//
// Orders go through the same View, in one shape for every broker:
//
//	o, err := v.PlaceOrder(ctx, providers.OrderRequest{Account: accounts[0].ID, Symbol: "MSFT",
//		Side: providers.Buy, Type: providers.Limit, TimeInForce: providers.GTC,
//		Quantity: decimal.NewFromInt(1), LimitPrice: decimal.RequireFromString("300.00")})
//	if err != nil {
//		log.Fatal(err)
//	}
//	err = v.CancelOrder(ctx, o.AccountID, o.ID)
//
// An order the broker cannot express (a type, time in force or client
// order ID missing from its APIRow) fails with auth.ErrUnsupported before
// anything is sent.
//
// Builtin returns a new Registry of the four brokers; Register adds an
// app's own. The package-level New, FromEnv, EnvVars, Names, Table,
// WriteTable and WriteAPITable work over Builtin. Package providerstest starts any builtin
// broker's emulator by name.
package providers
