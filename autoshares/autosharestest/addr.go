package autosharestest

// WithAddr makes the emulator listen on addr (host:port; port 0 picks
// one) instead of a random 127.0.0.1 port: for an emulator run as a
// standalone server at an address other programs know.
func WithAddr(addr string) Option { return func(o *options) { o.addr = addr } }

func (o options) listenAddr() string {
	if o.addr == "" {
		return "127.0.0.1:0"
	}
	return o.addr
}
