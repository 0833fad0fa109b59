// Package providers is the front door to every broker brokerkit supports:
// a registry that builds a broker's auth.Provider by name, the capability
// table of all brokers, and a normalized read-only view (profile, accounts,
// balances, positions, quotes) over the brokers' own typed clients.
//
// The shortest use, with credentials from the environment:
//
//	cfg, err := providers.FromEnv("tradestation") // BROKERKIT_TRADESTATION_CLIENT_ID, ...
//	if err != nil {
//		log.Fatal(err) // names every missing variable
//	}
//	p, err := providers.New("tradestation", cfg)
//	flow, err := auth.Begin(p)
//
// Names lists the brokers, Table and WriteTable describe what each one
// supports (PKCE, refresh, rotation, client credentials, revocation,
// sliding expiry, environments).
package providers
