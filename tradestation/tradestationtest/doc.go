// Package tradestationtest is an in-process TradeStation for tests, in the
// style of net/http/httptest: NewServer starts, on 127.0.0.1, the Auth0
// sign-in server (authorize with a consent page, token, revoke, userinfo),
// API v3, WebAPI v2 with its own login, the SIM host and a stand-in for the
// account-opening API, seeded with one user who has a cash, a margin and a
// futures account, positions, and quotes for some thirty symbols.
//
// It behaves as TradeStation documents: 20-minute access tokens, 30-second
// v2 codes, non-expiring or rotating refresh tokens (24-hour absolute
// limit), revocation of all of a key's refresh tokens, audiences kept
// apart, numbers as JSON strings in v3 and as JSON numbers in v2, partial
// Errors[], rate limits with X-RateLimit-* headers (429 in v3, 403 "Quota
// Exceeded" in v2), case-insensitive v2 paths. WithClock shares a test
// clock with the SDK; Faults injects 5xx, 429, delays, cut connections and
// invalidated tokens.
//
// It also trades: orders fill against its quotes, limit and stop orders
// rest until SetQuote moves the price through them, an OCO or bracket
// member's fill cancels its siblings, OSO children wait for their parent,
// orders beyond buying power come back rejected in Errors[], order lists
// page with expiring nextTokens; bar charts and symbol details are served
// from the seeded symbols.
//
//	srv := tradestationtest.NewServer()
//	defer srv.Close()
//	p, _ := srv.Provider()      // v3; srv.ConfigFor(tradestation.V2) for the others
//	tok, _ := srv.Login(ctx, p) // signs in and approves as the seeded User
//	src, _ := auth.NewSource(p, auth.NewMemoryStore(), "trader")
//	_ = src.SetToken(ctx, tok)
//	c := p.NewClient(src)
//	quotes, err := c.Quotes.Get(ctx, "MSFT")
//	fmt.Println(quotes[0].Symbol, quotes[0].Last, err) // MSFT 412.37 <nil>
//
// The v3 sign-in server is an OpenID provider: its discovery document and
// JWKS are at /.well-known/openid-configuration and /.well-known/jwks.json,
// ID tokens are RS256 JWTs with iss (URL()+"/"), aud, sub, iat, exp and
// the request's nonce, and they and /userinfo release name only with the
// profile scope and email only with email.
//
// Not reproduced: signing-key rotation (one key serves every emulator of
// the process); the v3 HTTP streams (quotes, bars, orders,
// positions) and their heartbeats are absent; Auth0's real sign-in pages,
// multi-factor steps and consent screens are one plain form; the AOP
// account-opening paths are a stand-in (TradeStation does not publish
// them); v2 implicit-grant tokens are not cut at the UTC date; there are
// no market hours, so quotes are served at any time; orders accept
// activation rules, trailing stops, GTD expiry and multi-leg requests but
// work them as plain orders, and never fill partially.
package tradestationtest
