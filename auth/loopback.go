package auth

import (
	"context"
	"errors"
	"fmt"
	"github.com/brokerkit/brokerkit/internal/origin"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// defaultLoopbackTimeout is how long LoginLoopback waits for the browser
// when not told otherwise.
const defaultLoopbackTimeout = 5 * time.Minute

// LoopbackOptions tunes LoginLoopback. A zero field keeps its default
// (Path excepted: see there).
type LoopbackOptions struct {
	// Host is the host name in the redirect URI: "127.0.0.1" (the default,
	// as RFC 8252 recommends) or "localhost", for brokers whose registered
	// callbacks name localhost (TradeStation's defaults do). The listener is
	// always on the loopback interface. A browser may send "localhost" to
	// 127.0.0.1 or to [::1], so in that mode the login listens on both and
	// does not start unless it holds the port on each one the machine has:
	// on a random port it moves to another port, on a fixed port it fails
	// with the bind error (syscall.EADDRINUSE where the system says so),
	// because another program listening there would get the code.
	Host string
	// Port is the port to listen on; 0 (the default) picks a free one.
	// Brokers that match the redirect port exactly need a fixed one
	// (TradeStation allows 80, 3000, 3001, 8080 and 31022 by default).
	Port int
	// Path is the path of the redirect URI, as registered with the broker
	// ("/callback", say). Empty means none: the redirect URI ends at the
	// port ("http://localhost:3000"), served at "/". It has no other
	// default because the empty path is itself a common registration.
	Path string
	// Timeout is how long to wait for the browser's redirect (five minutes
	// when zero); it is also the flow's lifetime.
	Timeout time.Duration
	// Open hands the authorization URL to the user, typically by starting
	// their browser. When it fails, the URL is printed to Output instead
	// and the login goes on. Nil only prints. Open should return once it
	// has handed the URL on (start the browser, do not wait for it to
	// exit): LoginLoopback watches ctx only after Open returns.
	Open func(authURL string) error
	// Output is where instructions are printed (nil: os.Stderr; io.Discard
	// prints nothing).
	Output io.Writer
	// Flow is passed to Begin (scopes, extra authorization parameters, an
	// issuer, a clock). Its RedirectURL and TTL are set by the login from
	// the fields above.
	Flow FlowOptions

	// listenHosts and listen replace the addresses and the bind of the
	// listener in tests; nil means the host's own addresses and net.Listen.
	listenHosts []string
	listen      func(network, address string) (net.Listener, error)
}

// loopbackOptions is the options of one login, merged.
type loopbackOptions struct {
	LoopbackOptions
	flows []FlowOption
}

// merge sets the non-zero fields of n on o.
func (o *loopbackOptions) merge(n LoopbackOptions) {
	if n.Host != "" {
		o.Host = n.Host
	}
	if n.Port != 0 {
		o.Port = n.Port
	}
	if n.Path != "" {
		o.Path = n.Path
	}
	if n.Timeout != 0 {
		o.Timeout = n.Timeout
	}
	if n.Open != nil {
		o.Open = n.Open
	}
	if n.Output != nil {
		o.Output = n.Output
	}
	o.flows = append(o.flows, n.Flow)
	if n.listenHosts != nil {
		o.listenHosts = n.listenHosts
	}
	if n.listen != nil {
		o.listen = n.listen
	}
}

// loopbackBindTries is how often a login on a random port looks for a port
// that is free on every address of its host.
const loopbackBindTries = 8

// LoginLoopback logs a user in from a command-line or desktop program
// (RFC 8252): it listens on the loopback interface, begins a flow whose
// redirect URI points there, hands the authorization URL to the user,
// waits for the browser's one redirect, answers it with a short page,
// completes the flow and shuts the listener down.
//
//	tok, err := auth.LoginLoopback(ctx, p, auth.LoopbackOptions{Host: "localhost", Port: 3000})
//
// Only the redirect path is served (other paths get 404), and only to
// requests whose Host is the redirect's host and port (a page that rebinds
// its own name to 127.0.0.1 gets 400). A redirect whose state is not this
// login's is refused without ending the wait, so another page cannot cut
// the login short; once a redirect with the right state has been
// processed, later requests are answered 410 and not processed. (With
// Capabilities.AllowMissingState a redirect without state is processed
// too, so any page can end the login, though not with its own code.)
// Waiting ends with ctx, or after the timeout with an error matching
// ErrFlowExpired.
func LoginLoopback(ctx context.Context, p Provider, opts ...LoopbackOptions) (*Token, error) {
	if nilProvider(p) {
		return nil, errors.New("auth: loopback login needs a Provider")
	}
	o := loopbackOptions{LoopbackOptions: LoopbackOptions{Host: "127.0.0.1", Output: os.Stderr, Timeout: defaultLoopbackTimeout}}
	for _, opt := range opts {
		o.merge(opt)
	}
	if !origin.IsLoopback(o.Host) {
		return nil, fmt.Errorf("auth: loopback login: host %q is not a loopback name", o.Host)
	}
	if o.Port < 0 || o.Port > 65535 {
		return nil, fmt.Errorf("auth: loopback login: port %d out of range", o.Port)
	}
	if o.Path != "" && o.Path[0] != '/' {
		return nil, fmt.Errorf("auth: loopback login: path %q must start with /", o.Path)
	}
	if o.Timeout < 0 {
		return nil, errors.New("auth: loopback login: timeout must not be negative")
	}

	listeners, port, err := o.bind()
	if err != nil {
		return nil, err
	}
	redirectHost := net.JoinHostPort(o.Host, strconv.Itoa(port))
	redirect := "http://" + redirectHost + o.Path
	servePath := o.Path
	if servePath == "" {
		servePath = "/"
	}

	flow, err := Begin(p, append(o.flows, FlowOptions{RedirectURL: redirect, TTL: o.Timeout})...)
	if err != nil {
		for _, l := range listeners {
			_ = l.Close()
		}
		return nil, err
	}

	timedOut := fmt.Errorf("auth: loopback login: no redirect within %s: %w", o.Timeout, ErrFlowExpired)
	ctx, cancel := context.WithTimeoutCause(ctx, o.Timeout, timedOut)
	defer cancel()
	lb := &loopback{p: p, flow: flow, path: servePath, host: redirectHost, ctx: ctx, result: make(chan loopbackResult, 1)}
	srv := &http.Server{Handler: lb, ReadHeaderTimeout: 10 * time.Second}
	var wg sync.WaitGroup
	for _, l := range listeners {
		wg.Go(func() { _ = srv.Serve(l) })
	}
	defer func() {
		sctx, scancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer scancel()
		_ = srv.Shutdown(sctx)
		wg.Wait()
	}()

	if o.Open == nil {
		fmt.Fprintf(o.Output, "Open this address in your browser to log in to %s:\n\n  %s\n\n", p.Name(), flow.URL)
	} else if err := o.Open(flow.URL); err != nil {
		fmt.Fprintf(o.Output, "Could not open a browser (%v). Open this address to log in to %s:\n\n  %s\n\n",
			err, p.Name(), flow.URL)
	}

	select {
	case res := <-lb.result:
		return res.tok, res.err
	case <-ctx.Done():
		err := timedOut
		if context.Cause(ctx) != timedOut {
			err = fmt.Errorf("auth: loopback login: %w", ctx.Err())
		}
		if refused := lb.refused.Load(); refused != nil {
			err = fmt.Errorf("%w (a redirect was refused: %w)", err, *refused)
		}
		return nil, err
	}
}

// bind listens on every address of o.Host at one port: o.Port, or when
// that is 0 a port the first address picks, tried again on another port
// when a later address has it taken.
func (o *loopbackOptions) bind() ([]net.Listener, int, error) {
	hosts := o.listenHosts
	if hosts == nil {
		switch o.Host {
		case "localhost":
			// Browsers resolve localhost to either address, some to
			// ::1 first.
			hosts = []string{"127.0.0.1", "::1"}
		default:
			hosts = []string{o.Host}
		}
	}
	listen := o.listen
	if listen == nil {
		listen = net.Listen
	}
	tries := 1
	if o.Port == 0 {
		tries = loopbackBindTries
	}
	var err error
	for range tries {
		var lns []net.Listener
		if lns, err = bindAll(listen, hosts, o.Port); err == nil {
			return lns, lns[0].Addr().(*net.TCPAddr).Port, nil
		}
	}
	return nil, 0, fmt.Errorf("auth: loopback login: %w", err)
}

// bindAll listens on hosts[0] at port (0: any) and on the other hosts at
// the port that gave. An address the machine does not have at all (no
// IPv6 loopback) is skipped: nobody can listen there either. Any other
// failure closes what was bound and is returned.
func bindAll(listen func(string, string) (net.Listener, error), hosts []string, port int) ([]net.Listener, error) {
	var lns []net.Listener
	fail := func(err error) ([]net.Listener, error) {
		for _, l := range lns {
			_ = l.Close()
		}
		return nil, err
	}
	for i, h := range hosts {
		l, err := listen("tcp", net.JoinHostPort(h, strconv.Itoa(port)))
		if err != nil {
			if i == 0 {
				return fail(err)
			}
			// Tell "taken" from "no such address": if the address
			// takes some other port, this one is held by someone.
			probe, perr := listen("tcp", net.JoinHostPort(h, "0"))
			if perr != nil {
				continue
			}
			_ = probe.Close()
			return fail(fmt.Errorf("port %d is not free on %s, where a browser may send the redirect: %w", port, h, err))
		}
		if i == 0 {
			port = l.Addr().(*net.TCPAddr).Port
		}
		lns = append(lns, l)
	}
	return lns, nil
}

type loopbackResult struct {
	tok *Token
	err error
}

// loopback serves the redirect of one login.
type loopback struct {
	p    Provider
	flow *Flow
	path string
	// host is the redirect's host:port, the one Host a request may have.
	host string
	// ctx is the login's context, which LoginLoopback cancels on return.
	// The exchange runs under it rather than the request's, so a browser
	// that drops the connection does not cut a one-time code's exchange
	// short.
	ctx     context.Context
	done    atomic.Bool
	refused atomic.Pointer[error]
	result  chan loopbackResult
}

func (l *loopback) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != l.path {
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodGet {
		writeOnlyGet(w)
		return
	}
	if !sameHost(r.Host, l.host) {
		l.refuse(w, fmt.Errorf("auth: %s callback: %w: request for another host than the redirect's", l.flow.Provider, ErrBadCallback))
		return
	}
	if l.done.Load() {
		writeFinished(w)
		return
	}
	q, err := callbackQuery(r.URL.RawQuery)
	if err != nil {
		l.refuse(w, err)
		return
	}
	if err := l.flow.checkState(l.p.Capabilities(), q); err != nil {
		l.refuse(w, err)
		return
	}
	if !l.done.CompareAndSwap(false, true) {
		writeFinished(w)
		return
	}
	tok, err := l.flow.Complete(l.ctx, l.p, q)
	if err != nil {
		writeCallbackError(w, err)
	} else {
		writePage(w, http.StatusOK, "Login complete", "You are logged in to "+l.p.Name()+". You can close this window.")
	}
	select {
	case l.result <- loopbackResult{tok, err}:
	default: // unreachable: only the one CompareAndSwap winner gets here
	}
}

// sameHost reports whether a request's Host names want (host:port),
// ignoring case, and allowing the port to be left out when it is 80.
func sameHost(got, want string) bool {
	if origin.EqualHost(got, want) {
		return true
	}
	host, port, err := net.SplitHostPort(want)
	return err == nil && port == "80" && origin.EqualHost(got, hostForURL(host))
}

// hostForURL brackets an IPv6 address as a URL's host does.
func hostForURL(h string) string {
	if strings.Contains(h, ":") {
		return "[" + h + "]"
	}
	return h
}

// writeFinished answers a request that arrives after the login's redirect.
func writeFinished(w http.ResponseWriter) {
	writePage(w, http.StatusGone, "Login finished", "This login has already finished. You can close this window.")
}

// refuse answers a redirect that is not this login's without ending it.
func (l *loopback) refuse(w http.ResponseWriter, err error) {
	l.refused.Store(&err)
	writeCallbackError(w, err)
}
