// Package authtest is a conformance suite for auth.Provider
// implementations: any provider, run against its broker's emulator (or any
// authorization server), must pass it. It checks what the auth package
// promises on top of the wire: login with state and PKCE, refusal of
// foreign callbacks before any exchange, single-use codes, refresh that
// keeps or rotates the refresh token as Capabilities says, auth.ErrUnsupported
// for grants a provider lacks, revocation, client credentials, and that no
// error text reveals a token, code, verifier or client secret.
//
// It imports nothing but auth and testify, so each broker's tests use it
// with their own emulator:
//
//	func TestConformance(t *testing.T) {
//		srv := tradestationtest.NewServer() // an emulator on 127.0.0.1
//		defer srv.Close()
//		p, _ := srv.Provider()
//		authtest.Run(t, authtest.Config{
//			Provider: p,
//			Login:    srv.Browser(tradestationtest.User, tradestationtest.Password).Login, // returns the callback URL
//		})
//	}
package authtest
