package tradestationtest

import (
	"fmt"
	"net"
	"net/http/httptest"
)

// WithAddr makes the emulator listen on addr (host:port; port 0 picks
// one) instead of a random 127.0.0.1 port: for an emulator run as a
// standalone server at an address other programs know.
func WithAddr(addr string) Option { return func(o *options) { o.addr = addr } }

// listen moves srv onto the WithAddr address, if one was given.
func (o options) listen(srv *httptest.Server) error {
	if o.addr == "" {
		return nil
	}
	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return fmt.Errorf("tradestationtest: listening on %s: %w", o.addr, err)
	}
	_ = srv.Listener.Close()
	srv.Listener = ln
	return nil
}

// InvalidateUser revokes every token (access and refresh, API v3 and
// WebAPI v2) of the user with this login, as a password change or a
// broker-side logout would. An unknown login is ignored.
func (s *Server) InvalidateUser(login string) {
	if login != User {
		return
	}
	s.v3.InvalidateUser(V3UserID)
	s.v2.InvalidateUser(V2UserID)
}
