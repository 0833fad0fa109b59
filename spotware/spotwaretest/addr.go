package spotwaretest

import "strconv"

// WithAddrs makes the emulator listen on these addresses (host:port; port
// 0 picks one) instead of random 127.0.0.1 ports: httpAddr for the
// authorization server, demoAddr and liveAddr for the two Protobuf hosts.
// An empty one keeps its random port. For an emulator run as a standalone
// server at addresses other programs know.
func WithAddrs(httpAddr, demoAddr, liveAddr string) Option {
	return func(o *options) { o.addrs = [3]string{httpAddr, demoAddr, liveAddr} }
}

func (o options) httpAddr() string { return orLoopback(o.addrs[0]) }

func (o options) protoAddr(live bool) string {
	if live {
		return orLoopback(o.addrs[2])
	}
	return orLoopback(o.addrs[1])
}

func orLoopback(addr string) string {
	if addr == "" {
		return "127.0.0.1:0"
	}
	return addr
}

// InvalidateUser revokes every token of the user with this login, as a
// password change or a broker-side logout would; Protobuf sessions
// authorized with those tokens are told so. An unknown login is ignored.
func (s *Server) InvalidateUser(login string) {
	if login != User {
		return
	}
	s.eng.InvalidateUser(strconv.FormatInt(UserID, 10))
}
