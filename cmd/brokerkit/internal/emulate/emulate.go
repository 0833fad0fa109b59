package emulate

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/brokerkit/brokerkit/internal/origin"
	"github.com/brokerkit/brokerkit/providers"
)

// DefaultAddr is the base address: the admin API listens on it and the
// brokers on the ports after it (see the package doc).
const DefaultAddr = "127.0.0.1:9400"

// AdminName is the Options.Addrs key of the admin API's address.
const AdminName = "admin"

// ErrBadOptions is matched by Start's errors about Options themselves (an
// address that is not host:port, a non-loopback one without Public), as
// opposed to a listener that failed.
var ErrBadOptions = errors.New("emulate: bad options")

// Options configures Start.
type Options struct {
	// Brokers are the registry names to emulate (tradestation,
	// just2trade, autoshares, spotware); empty means all four.
	Brokers []string
	// Addr is the base address (host:port): the admin API listens on it,
	// each broker on its fixed port offset from it. Empty means
	// DefaultAddr; port 0 gives every listener a free port.
	Addr string
	// Addrs set single listeners by name (a broker's or AdminName),
	// overriding Addr. cTrader's two Protobuf hosts take the two ports
	// after its own.
	Addrs map[string]string
	// Public allows brokers to listen on non-loopback addresses. They hand
	// out tokens to anyone who asks, so the default refuses. The admin API
	// is loopback only either way: with a non-loopback Addr it listens on
	// 127.0.0.1 at Addr's port.
	Public bool
	// Dir, when set, is where the announcement file (AnnouncementFile) is
	// written, mode 0600, and removed by Close: the brokerkit directory
	// under os.UserConfigDir for the command.
	Dir string
}

// Server is a set of running emulators and their admin API.
type Server struct {
	admin   *http.Server
	adminLn net.Listener
	adminU  string
	order   []*state

	// annMu orders the announcement's writes, so that the last one holds
	// every broker's latest Info, and none follows its removal.
	annMu  sync.Mutex
	dir    string // where the announcement goes; "" when none
	file   string // announcement file; "" when none (yet)
	closed bool

	closeOnce sync.Once
	closeErr  error
}

// state is one broker's emulator, replaced as a whole by a reset.
type state struct {
	b        broker
	redirect string
	addrs    []string // listened on, for a reset

	mu     sync.Mutex
	run    *running     // nil after a failed reset
	offset atomic.Int64 // the emulator clock's lead on the wall clock
	info   Info
}

// now is the emulator's clock: the wall clock moved by the admin API.
func (st *state) now() time.Time { return time.Now().Add(time.Duration(st.offset.Load())) }

// Start starts the emulators and the admin API and, with Options.Dir,
// writes the announcement file. Close stops them all. A bad broker name is
// a *providers.UnknownBrokerError; a non-loopback address without
// Options.Public, or a listener that cannot start, an error naming it.
func Start(o Options) (*Server, error) {
	plan, adminAddr, err := o.plan()
	if err != nil {
		var ue *providers.UnknownBrokerError
		if errors.As(err, &ue) {
			return nil, err
		}
		return nil, fmt.Errorf("%w: %w", ErrBadOptions, err)
	}
	s := &Server{}
	ln, err := net.Listen("tcp", adminAddr)
	if err != nil {
		return nil, fmt.Errorf("emulate: admin API: %w", err)
	}
	s.adminLn, s.adminU = ln, "http://"+ln.Addr().String()
	for _, p := range plan {
		st := &state{b: p.b, redirect: "http://127.0.0.1/callback/" + p.b.name}
		run, err := p.b.start(p.addrs, st.now, st.redirect)
		if err != nil {
			_ = s.shutdown()
			return nil, fmt.Errorf("emulate: %s: %w", p.b.name, err)
		}
		st.run, st.addrs = run, run.addrs
		if st.info, err = describe(p.b, run, s.adminU+"/"+p.b.name); err != nil {
			run.srv.Close()
			_ = s.shutdown()
			return nil, err
		}
		s.order = append(s.order, st)
	}
	s.admin = &http.Server{Handler: s.adminHandler(), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = s.admin.Serve(ln) }()
	s.dir = o.Dir
	if err := s.reannounce(); err != nil {
		_ = s.shutdown()
		return nil, err
	}
	return s, nil
}

// reannounce writes the announcement file, with Options.Dir, unless the
// server is closed.
func (s *Server) reannounce() error {
	s.annMu.Lock()
	defer s.annMu.Unlock()
	if s.dir == "" || s.closed {
		return nil
	}
	file, err := writeAnnouncement(s.dir, s.announcement())
	if err == nil {
		s.file = file
	}
	return err
}

// Brokers returns what the announcement says of each running emulator, in
// port order.
func (s *Server) Brokers() []Info {
	out := make([]Info, len(s.order))
	for i, st := range s.order {
		st.mu.Lock()
		out[i] = st.info.clone()
		st.mu.Unlock()
	}
	return out
}

// AdminURL returns the admin API's base URL; a broker's admin API is
// AdminURL()+"/"+name.
func (s *Server) AdminURL() string { return s.adminU }

// Close stops the admin API and every emulator and removes the
// announcement file. It is safe to call more than once.
func (s *Server) Close() error {
	s.closeOnce.Do(func() { s.closeErr = s.shutdown() })
	return s.closeErr
}

func (s *Server) shutdown() error {
	var errs []error
	// The announcement goes first: a close that waits for a slow request
	// (a delay fault) must not leave other commands pointed at it.
	s.annMu.Lock()
	s.closed = true
	if s.file != "" {
		if err := os.Remove(s.file); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, fmt.Errorf("emulate: removing the announcement: %w", err))
		}
	}
	s.annMu.Unlock()
	if s.admin != nil {
		errs = append(errs, s.admin.Close())
	} else if s.adminLn != nil {
		_ = s.adminLn.Close()
	}
	for _, st := range s.order {
		st.mu.Lock()
		if st.run != nil {
			closeCutting(st.run.srv)
			st.run = nil
		}
		st.mu.Unlock()
	}
	return errors.Join(errs...)
}

// planned is one broker with the addresses it will listen on.
type planned struct {
	b     broker
	addrs []string
}

// plan checks o and works out every listener's address.
func (o Options) plan() ([]planned, string, error) {
	base := o.Addr
	if base == "" {
		base = DefaultAddr
	}
	bhost, bport, err := splitPort(base)
	if err != nil {
		return nil, "", err
	}
	names := o.Brokers
	if len(names) == 0 {
		names = brokerNames()
	}
	for n := range o.Addrs {
		if _, ok := lookup(n); !ok && n != AdminName {
			return nil, "", &providers.UnknownBrokerError{Name: n, Valid: append(brokerNames(), AdminName)}
		}
	}
	at := func(name string, offset int) string {
		if a, ok := o.Addrs[name]; ok {
			return a
		}
		p := bport
		if p != 0 {
			p += offset
		}
		return net.JoinHostPort(bhost, itoa(p))
	}
	var out []planned
	seen := map[string]bool{}
	for _, n := range names {
		name := strings.ToLower(strings.TrimSpace(n))
		b, ok := lookup(name)
		if !ok {
			return nil, "", &providers.UnknownBrokerError{Name: n, Valid: brokerNames()}
		}
		if seen[name] {
			continue
		}
		seen[name] = true
		addr := at(name, b.offset)
		if err := checkHost(name, addr, o.Public); err != nil {
			return nil, "", err
		}
		addrs, err := portAddrs(addr, b.ports)
		if err != nil {
			return nil, "", err
		}
		out = append(out, planned{b: b, addrs: addrs})
	}
	// Port order, whatever order the names came in.
	ordered := make([]planned, 0, len(out))
	for _, b := range brokers {
		for _, p := range out {
			if p.b.name == b.name {
				ordered = append(ordered, p)
			}
		}
	}
	// The admin API stays on loopback: with a public base it takes the
	// base port on 127.0.0.1.
	admin := at(AdminName, 0)
	if _, ok := o.Addrs[AdminName]; !ok && !origin.IsLoopback(bhost) {
		admin = net.JoinHostPort("127.0.0.1", itoa(bport))
	}
	if err := checkHost(AdminName, admin, false); err != nil {
		return nil, "", err
	}
	return ordered, admin, nil
}

// checkHost refuses a non-loopback address unless public.
func checkHost(name, addr string, public bool) error {
	host, _, err := splitPort(addr)
	if err != nil {
		return fmt.Errorf("%s address: %w", name, err)
	}
	if public || origin.IsLoopback(host) {
		return nil
	}
	if name == AdminName {
		return fmt.Errorf("the admin API listens on loopback only, not %q", addr)
	}
	return fmt.Errorf("%s address %q is not loopback: the emulators hand out tokens to anyone who asks; pass --public to allow it", name, addr)
}

// splitPort splits host:port with a numeric port (0 to 65535).
func splitPort(addr string) (string, int, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, fmt.Errorf("address %q: want host:port", addr)
	}
	p, err := strconv.Atoi(port)
	if err != nil || p < 0 || p > 65535 {
		return "", 0, fmt.Errorf("address %q: port is not a number from 0 to 65535", addr)
	}
	return host, p, nil
}

func itoa(i int) string { return strconv.Itoa(i) }
