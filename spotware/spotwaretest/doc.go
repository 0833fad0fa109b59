// Package spotwaretest is an in-process emulator of the cTrader Open API,
// in the style of net/http/httptest: the authorization server
// (/apps/auth, GET /apps/token with camelCase answers, errors with HTTP
// 200, single-use codes living 60 seconds, refresh tokens that rotate and
// refuse reuse) on internal/oauthsim over HTTP (URL, Client), and the Protobuf API over TLS on
// 127.0.0.1 with a generated self-signed certificate that TLSConfig
// trusts, on a demo host (DemoAddr) and a live host (LiveAddr) that each
// refuse the other's accounts with CANT_ROUTE_REQUEST.
//
//	srv := spotwaretest.NewServer()
//	defer srv.Close()
//	p, _ := srv.Provider()
//	tok, _ := srv.Login(ctx, p) // consent page played by a Browser
//	tokens, _ := auth.NewSource(p, auth.NewMemoryStore(), "user")
//	_ = tokens.SetToken(ctx, tok)
//	s, _ := spotware.Dial(ctx, srv.SessionConfig(tokens))
//	defer s.Close()
//
// The Protobuf side enforces the documented order and codes (application
// auth first, else CH_CLIENT_NOT_AUTHENTICATED; wrong credentials
// CH_CLIENT_AUTH_FAILURE and the connection closed; a second application
// auth CH_CLIENT_ALREADY_AUTHENTICATED; a second account auth
// ALREADY_LOGGED_IN; an expired token CH_ACCESS_TOKEN_INVALID "Access token
// expired" or OA_AUTH_TOKEN_EXPIRED), serves accounts, profile, trader,
// assets, symbols and spot streams from a deterministic price generator
// (PriceAt), trades (orders fill at PriceAt's tick 0, margin is checked
// against the balance with NOT_ENOUGH_MONEY, other refusals carry the
// protocol's trading codes, and execution events reach every connection of
// the account), serves deals, orders, trendbars (Bar) and tick data
// (TickAt), sends heartbeats, drops idle clients and applies rate limits
// with retryAfter. A refresh (which revokes its login's older access
// tokens) or a revocation closes the account sessions authorized with the
// dead tokens with ProtoOAAccountsTokenInvalidatedEvent. Faults are
// injected with FailNext, RateLimitNext, MaintenanceNext, SilenceNext, WithholdNext,
// DisconnectAccount, InvalidateAccounts, DisconnectClients,
// DropConnections, PauseSpots, SetUnknownFields, SetSplitFrames, CutNextFrame and
// Freeze; and with the stream faults every emulator shares: each Protobuf
// connection is a stream, which Faults().CutStreams drops, and while
// Faults().StallStreams is on, heartbeats go on but spot events and the
// execution events pushed to other connections than the asking one are
// held back (not sent later: a client recovers them from its snapshot).
//
// Not reproduced: real market prices (PriceAt is a deterministic
// generator, and prices do not move for trading, so a pending order fills
// only when placed marketable); stop loss, take profit, expiry, trailing
// and guaranteed stops are stored but never trigger; margin and profit
// convert to the deposit currency at a rate of 1; the OAuth server's web
// pages beyond one consent form.
package spotwaretest
