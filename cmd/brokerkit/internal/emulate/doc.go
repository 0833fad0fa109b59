// Package emulate runs brokerkit's broker emulators (the <broker>test
// packages) as standalone servers, so that apps in any language can log in
// and call a broker API offline: `brokerkit emulate` is its command.
// Start runs them, Server.Brokers describes each one (an Info) and
// Server.Close stops them.
//
// # Addresses
//
// Everything listens on loopback unless Options.Public. From the base
// address (DefaultAddr, 127.0.0.1:9400) the ports are fixed, whichever
// brokers run, so that docs and scripts can name them:
//
//	9400  admin API
//	9401  tradestation   (sign-in server and API)
//	9402  just2trade
//	9403  autoshares
//	9404  spotware       (authorization server; Protobuf API over TLS
//	9405  spotware demo   with a self-signed certificate on 9405 and 9406)
//	9406  spotware live
//
// Another base moves them all; base port 0 gives each a free port.
//
// # Announcement
//
// Each broker is described by an Info: URLs, the seeded application's
// client ID and secret, the seeded users and their passwords (test data of
// a local emulator: printing it is the point). Info.Env gives the
// BROKERKIT_<BROKER>_* lines providers.FromEnv reads. With Options.Dir the
// set is also written to AnnouncementFile there (0600, removed by Close),
// and ReadAnnouncement gives another process each broker's Info (and by
// Info.Config its providers.Config). cTrader's Info also has its Protobuf
// hosts and the self-signed certificate they present (Protobuf.CertPEM),
// which a client trusts for them, and only for them.
//
// # Admin API
//
// One loopback listener (AdminURL) drives every emulator; a broker's calls
// are under /<broker>. Bodies and answers are JSON; an error answers
// {"error": "..."} with a 4xx or 5xx status. Callers must be on loopback
// and must not be web pages (a request with an Origin header is refused).
//
//	GET    /                      every broker's Info
//	GET    /<broker>              the broker's Info
//	POST   /<broker>/clock/advance {"by":"1h"}: move the emulator's clock
//	                              (tokens, codes and sessions expire by it)
//	POST   /<broker>/invalidate   {"user":"trader"}: revoke every token of
//	                              the user; {"token":"..."}: one access or
//	                              refresh token (a refresh token takes its
//	                              access tokens with it)
//	POST   /<broker>/faults       inject a fault into the next requests:
//	                              {"path":"/v3/brokerage/accounts",
//	                               "times":1, "status":503,
//	                               "retry_after":"2s", "body":"...",
//	                               "content_type":"...", "cut":true,
//	                               "delay":"500ms", "malformed":true,
//	                               "invalidate_token":true}
//	                              path "" is every path, a trailing * a
//	                              prefix; times 0 is until DELETE; of cut,
//	                              status and malformed (invalid JSON: the
//	                              body cut in half) the first wins, delay
//	                              comes first; invalidate_token revokes the
//	                              request's bearer token. cTrader's faults
//	                              reach its HTTP side only.
//	GET    /<broker>/faults       {"pending": n}: fault rules with uses left
//	DELETE /<broker>/faults       clear the faults
//	POST   /<broker>/reset        a fresh emulator on the same addresses:
//	                              seeded data, no tokens, no faults, no
//	                              auto-approval, no open or stalled
//	                              streams, the wall clock (cTrader:
//	                              a new certificate, which the Info and
//	                              the announcement file then carry)
//	POST   /<broker>/auto-approve {"user":"trader"}: logins approve at
//	                              once as the user, with no consent page;
//	                              {"user":""} brings the page back
//	POST   /<broker>/quote        {"symbol":"MSFT","last":"412.50"}: move
//	                              a symbol's price (a decimal string, not a
//	                              number; bid and ask one cent either side
//	                              where the broker has them): the broker's
//	                              REST quotes and streams then carry it. An
//	                              unknown symbol or a price that is not
//	                              positive is a 400; cTrader's prices move
//	                              by themselves: 501
//	POST   /<broker>/streams      {"cut":true}: end every open stream, as a
//	                              dropped connection would (clients
//	                              reconnect), answering {"cut": n};
//	                              {"stall":true}: streams stay open and send
//	                              keep-alives but no data, until
//	                              {"stall":false}. cTrader's streams are its
//	                              Protobuf connections
//	GET    /<broker>/streams      {"open": n, "stalled": bool}
//	POST   /<broker>/streams/burst {"symbol":"MSFT","n":1000}: n quote
//	                              changes (1 to 100000) sent back to back to
//	                              the open streams carrying the symbol,
//	                              answering how many {"streams"} got them;
//	                              the emulator's quote stays; cTrader: 501
//
// Durations are Go durations ("90s", "1h") or numbers of seconds.
package emulate
