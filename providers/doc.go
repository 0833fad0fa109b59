// Package providers is the front door to every broker brokerkit supports:
// a Registry of Broker entries, each stating as data the broker's name, the
// environment variables it reads, how to build its auth.Provider and its
// normalized read-only View (profile, accounts, balances, positions,
// quotes), and its line of the capability table.
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
// Builtin returns a new Registry of the four brokers; Register adds an
// app's own. The package-level New, FromEnv, EnvVars, Names, Table and
// WriteTable work over Builtin. Package providerstest starts any builtin
// broker's emulator by name.
package providers
