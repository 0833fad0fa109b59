package auth

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultLoopbackTimeout is how long LoginLoopback waits for the browser
// when not told otherwise.
const DefaultLoopbackTimeout = 5 * time.Minute

// LoopbackOption configures LoginLoopback.
type LoopbackOption func(*loopbackOptions)

type loopbackOptions struct {
	host     string
	port     int
	path     string
	open     func(string) error
	out      io.Writer
	timeout  time.Duration
	flowOpts []FlowOption
}

// LoopbackHost sets the host name in the redirect URI: "127.0.0.1" (the
// default, as RFC 8252 recommends) or "localhost", for brokers whose
// registered callbacks name localhost (TradeStation's defaults do). The
// listener is always on the loopback interface.
func LoopbackHost(host string) LoopbackOption {
	return func(o *loopbackOptions) { o.host = host }
}

// LoopbackPort sets the port to listen on; 0 (the default) picks a free
// one. Brokers that match the redirect port exactly need a fixed one
// (TradeStation allows 80, 3000, 3001, 8080 and 31022 by default).
func LoopbackPort(port int) LoopbackOption {
	return func(o *loopbackOptions) { o.port = port }
}

// LoopbackPath sets the path of the redirect URI (default "/callback").
// The empty path makes the redirect URI end at the port
// ("http://localhost:3000"), served at "/".
func LoopbackPath(path string) LoopbackOption {
	return func(o *loopbackOptions) { o.path = path }
}

// LoopbackOpen sets how the authorization URL reaches the user, typically
// by starting their browser. When it fails, the URL is printed to the
// output instead and the login goes on. The default only prints. open
// should return once it has handed the URL on (start the browser, do not
// wait for it to exit): LoginLoopback watches ctx only after open returns.
func LoopbackOpen(open func(authURL string) error) LoopbackOption {
	return func(o *loopbackOptions) { o.open = open }
}

// LoopbackOutput sets where instructions are printed (default os.Stderr);
// nil prints nothing.
func LoopbackOutput(w io.Writer) LoopbackOption {
	return func(o *loopbackOptions) {
		o.out = w
		if w == nil {
			o.out = io.Discard
		}
	}
}

// LoopbackTimeout sets how long to wait for the browser's redirect
// (default DefaultLoopbackTimeout); it is also the flow's lifetime.
func LoopbackTimeout(d time.Duration) LoopbackOption {
	return func(o *loopbackOptions) { o.timeout = d }
}

// LoopbackFlowOptions passes options to Begin (scopes, extra authorization
// parameters, an issuer).
func LoopbackFlowOptions(opts ...FlowOption) LoopbackOption {
	return func(o *loopbackOptions) { o.flowOpts = append(o.flowOpts, opts...) }
}

// LoginLoopback logs a user in from a command-line or desktop program
// (RFC 8252): it listens on the loopback interface, begins a flow whose
// redirect URI points there, hands the authorization URL to the user,
// waits for the browser's one redirect, answers it with a short page,
// completes the flow and shuts the listener down.
//
//	tok, err := auth.LoginLoopback(ctx, p,
//		auth.LoopbackHost("localhost"), auth.LoopbackPort(3000), auth.LoopbackPath(""))
//
// Only the redirect path is served (other paths get 404). A redirect
// whose state is not this login's is refused without ending the wait, so
// another page cannot cut the login short; once a redirect with the right
// state has been processed, later requests are answered 410 and not
// processed. Waiting ends with ctx, or after the timeout with an error
// matching ErrFlowExpired.
func LoginLoopback(ctx context.Context, p Provider, opts ...LoopbackOption) (*Token, error) {
	o := loopbackOptions{host: "127.0.0.1", path: "/callback", out: os.Stderr, timeout: DefaultLoopbackTimeout}
	for _, opt := range opts {
		if opt != nil {
			opt(&o)
		}
	}
	if !IsLoopback(o.host) {
		return nil, fmt.Errorf("auth: loopback login: host %q is not a loopback name", o.host)
	}
	if o.port < 0 || o.port > 65535 {
		return nil, fmt.Errorf("auth: loopback login: port %d out of range", o.port)
	}
	if o.path != "" && o.path[0] != '/' {
		return nil, fmt.Errorf("auth: loopback login: path %q must start with /", o.path)
	}
	if o.timeout <= 0 {
		return nil, errors.New("auth: loopback login: timeout must be positive")
	}

	listenHost := o.host
	if listenHost == "localhost" {
		listenHost = "127.0.0.1"
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(listenHost, strconv.Itoa(o.port)))
	if err != nil {
		return nil, fmt.Errorf("auth: loopback login: %w", err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	listeners := []net.Listener{ln}
	if o.host == "localhost" {
		// Browsers may resolve localhost to ::1 first; serve it too when
		// the same port is free there.
		if ln6, err := net.Listen("tcp", net.JoinHostPort("::1", strconv.Itoa(port))); err == nil {
			listeners = append(listeners, ln6)
		}
	}
	redirect := "http://" + net.JoinHostPort(o.host, strconv.Itoa(port)) + o.path
	servePath := o.path
	if servePath == "" {
		servePath = "/"
	}

	flow, err := Begin(p, append(o.flowOpts, WithRedirectURL(redirect), WithTTL(o.timeout))...)
	if err != nil {
		for _, l := range listeners {
			_ = l.Close()
		}
		return nil, err
	}

	timedOut := fmt.Errorf("auth: loopback login: no redirect within %s: %w", o.timeout, ErrFlowExpired)
	ctx, cancel := context.WithTimeoutCause(ctx, o.timeout, timedOut)
	defer cancel()
	lb := &loopback{p: p, flow: flow, path: servePath, ctx: ctx, result: make(chan loopbackResult, 1)}
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

	if o.open == nil {
		fmt.Fprintf(o.out, "Open this address in your browser to log in to %s:\n\n  %s\n\n", p.Name(), flow.URL)
	} else if err := o.open(flow.URL); err != nil {
		fmt.Fprintf(o.out, "Could not open a browser (%v). Open this address to log in to %s:\n\n  %s\n\n",
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

type loopbackResult struct {
	tok *Token
	err error
}

// loopback serves the redirect of one login.
type loopback struct {
	p    Provider
	flow *Flow
	path string
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
	if l.done.Load() {
		writeFinished(w)
		return
	}
	q, err := callbackQuery(r.URL.RawQuery)
	if err != nil {
		l.refuse(w, err)
		return
	}
	state, err := single(q, "state")
	if err != nil {
		l.refuse(w, err)
		return
	}
	if subtle.ConstantTimeCompare([]byte(state), []byte(l.flow.State)) != 1 {
		l.refuse(w, fmt.Errorf("auth: %s callback: %w", l.flow.Provider, ErrStateMismatch))
		return
	}
	if !l.done.CompareAndSwap(false, true) {
		writeFinished(w)
		return
	}
	tok, err := l.flow.Complete(l.ctx, l.p, q)
	if err != nil {
		WriteCallbackError(w, err)
	} else {
		writePage(w, http.StatusOK, "Login complete", "You are logged in to "+l.p.Name()+". You can close this window.")
	}
	select {
	case l.result <- loopbackResult{tok, err}:
	default: // unreachable: only the one CompareAndSwap winner gets here
	}
}

// writeFinished answers a request that arrives after the login's redirect.
func writeFinished(w http.ResponseWriter) {
	writePage(w, http.StatusGone, "Login finished", "This login has already finished. You can close this window.")
}

// refuse answers a redirect that is not this login's without ending it.
func (l *loopback) refuse(w http.ResponseWriter, err error) {
	l.refused.Store(&err)
	WriteCallbackError(w, err)
}
