// Package just2tradetest is an in-process emulator of Just2Trade (and, with
// WithLime, Lime Trading) for tests and demos: the authorization server and
// the REST API on one 127.0.0.1 server, in the style of net/http/httptest.
//
// It is seeded with one user (User, Password) holding two ETNA accounts
// (PrimaryAccount, SecondAccount) with positions, quotes, history, trades
// and transactions. Authorization codes live five minutes; tokens live 24
// hours and slide on every API call (or, with WithLime, expire at 3:00 AM
// US Eastern); both bearer-header spellings the documentation shows,
// Authorization and Authentication, are accepted; placed orders are
// accepted at once and then filled or rejected asynchronously after
// WithOrderDelay on the emulator's clock. Faults injects 5xx, 429, cut or
// truncated answers and invalidated tokens.
//
//	clock := just2tradetest.NewTestClock(time.Now())
//	srv := just2tradetest.NewServer(just2tradetest.WithClock(clock.Now))
//	defer srv.Close()
//	p, _ := srv.Provider()
//	tok, _ := srv.Login(ctx, p) // Begin, consent page, Complete
//	src, _ := auth.NewSource(p, auth.NewMemoryStore(), "user-1", auth.SourceOptions{Now: clock.Now})
//	_ = src.SetToken(ctx, tok)
//	clock.Advance(25 * time.Hour) // idle: the token lapses
//	_, err := p.NewClient(src).Quotes.Get(ctx, "AAPL")
//	fmt.Println(errors.Is(err, auth.ErrReauthRequired)) // the user logs in again
//
// Not reproduced: the WebSocket streams for accounts and market data;
// PKCE and scopes (the broker documents neither, and the emulator ignores
// them); the account-application flow's real review steps; history and
// quotes beyond the seeded data; real order routing (an order fills or is
// rejected by the emulator's own rules after WithOrderDelay).
package just2tradetest
