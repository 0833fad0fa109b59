// Package autosharestest is an in-process AutoShares emulator for tests,
// in the style of net/http/httptest: an Auth0-shaped authorization server
// (/authorize, /oauth/token, /userinfo, /v2/logout, the OpenID discovery
// document and JWKS under /.well-known/) and the API on one 127.0.0.1
// server. ID tokens are RS256 JWTs with iss (the server's URL plus "/"),
// aud, sub, iat, exp and the request's nonce; they and userinfo release
// name only with the profile scope and email only with email. An
// authorization request with enableRegistration=true&page=signup opens a
// registration form (Browser.Signup fills it in) whose user is logged in at
// once and can log in again later.
//
// The API follows the public ETNA-layer contract AutoShares documents
// (PascalCase fields, the Et-App-Key header, the documented error bodies)
// and, where AutoShares documents nothing, the project's proposal
// (agreements with ids, one error envelope
// {"error","error_description","status"}). Quotes are served as the broker
// serves them: GET /v1.0/streamers names a quote streamer on its own
// 127.0.0.1 port (another origin than the API) and a session id; PUT
// /v1.0/streamers/session/recover issues a new one. On the streamer's
// WebSocket, {"Cmd":"Subscribe.txt","SessionId":…,"Keys":"4",
// "EntityType":"Quote","HttpClientType":"WebSocket"} is answered with
// {"Cmd":"Subscribe.txt","StatusCode":"Ok","Keys":"4"} (or "Error" and a
// Message for an unknown key), then the quote, every value a string;
// SetQuote pushes changes, Unsubscribe.txt stops them. A session that is
// unknown or ended (ExpireStreamerSessions, or the withdrawal of the token
// or user that opened it) gets {"Cmd":…,"StatusCode":"Error","Message":
// "Session is expired or does not exist"} ("Cmd":"Session" on an open
// socket) and the socket is closed. The streamer refuses
// (400) an upgrade that carries the API's bearer token or API key. Its
// sockets follow Faults' stream faults (CutStreams; StallStreams: no
// quotes, pings and command answers go on), and Burst pushes many quotes
// fast for benchmarks. It is seeded with an
// administrator, a trader whose required agreements are pending, two
// accounts with positions and three quotes. It enforces the API key (403
// {"error":"Application key is not defined or does not exist"}), blocks
// trading and quotes until the required agreements are signed (403
// {"error":"agreements_pending"}), fills marketable orders at once, fires
// price alerts against its quotes (SetQuote), and has a test clock and
// fault injection.
//
//	srv := autosharestest.NewServer()
//	defer srv.Close()
//	p, _ := srv.Provider()
//	tok, _ := srv.Login(ctx, p) // the seeded default user, User
//	src, _ := auth.NewSource(p, auth.NewMemoryStore(), "trader")
//	_ = src.SetToken(ctx, tok)
//	c := p.NewClient(src)
//	list, _ := c.Agreements.Outstanding(ctx, autoshares.Me)
//	for _, a := range list {
//		fmt.Println(a.ID, a.Title, a.IsRequired()) // 101 Platform Agreement true, …
//	}
//
// Order-check codes the documentation does not list (SecurityNotFound,
// NotEnoughSharesToSell, ShortSellingNotAllowed) are the emulator's own.
//
// Not reproduced: Auth0's email verification of new sign-ups; key
// rotation (one signing key serves every emulator of the process);
// the trade-data streamer (orders, positions) and CreateSession.txt logins
// on the streamer; the ETNA session-token login with credentials in
// headers; real order
// routing (marketable orders fill at once against the seeded quotes).
package autosharestest
