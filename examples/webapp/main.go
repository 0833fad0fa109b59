// Command webapp is a small multi-broker web back end built on net/http
// alone. A visitor links accounts at several brokers and sees them on one
// dashboard: every account with its balances, the positions with the
// highest profit and the highest loss across all of them, and the symbols
// with the most filled orders across all brokers (naming the brokers whose
// order list gives no history).
//
// It shows how a web app should hold OAuth logins:
//
//   - /login/{broker} begins an auth.Flow (state, PKCE) and keeps it on the
//     server, in the visitor's session; the browser only ever sees the
//     authorization URL.
//   - Each broker has its own callback path, /callback/{broker}, as RFC 9700
//     asks of clients that talk to several authorization servers: the
//     redirect URL registered at each broker differs by path, so a code
//     from one broker is never taken for another's (mix-up defence).
//     auth.CallbackHandler checks state (constant time), iss, the deadline
//     and single use before it exchanges the code.
//   - The callback takes from the session only the pending login whose
//     state it carries, so a forged callback (error= or a wrong state)
//     cannot spend the real one, and a second login does not replace the
//     first.
//   - The session cookie holds a random ID and its HMAC-SHA256 under a
//     server key, nothing else; it is HttpOnly, SameSite=Lax, and Secure
//     when served over TLS (or when told it is behind a TLS proxy). A
//     cookie the server did not sign is refused. Linking a broker moves
//     the browser to a new session ID, so a cookie planted before the
//     login never reaches the linked broker. Only a login starts a
//     session; sessions are capped in number and cost O(1) to start.
//   - Logout is a POST with a per-session CSRF token, and requests that
//     change something are refused from other origins
//     (http.CrossOriginProtection). Every page carries a content security
//     policy (no framing, no inline code), Referrer-Policy and nosniff.
//   - A broker that fails is logged on the server; the dashboard says in
//     words what to do and offers a new login only when it would help.
//   - Tokens live in one auth.Store shared by one auth.Manager per broker,
//     which refreshes them (and saves rotated refresh tokens) on its own.
//   - The dashboard reads every broker through the normalized
//     providers.View. Brokers that cannot list positions (they answer
//     auth.ErrUnsupported) are left out of the movers widget, and said so.
//
// With no broker configured it starts the four brokers' emulators in the
// process and points the app at them, so it runs offline:
//
//	go run ./examples/webapp
//	go run ./examples/webapp -addr 127.0.0.1:9000
//
// then open the printed address and link the brokers; each emulator's
// consent page takes its seeded user, shown beside the link.
//
// For real brokers, set for each broker the variables providers.FromEnv
// reads (only the configured brokers are then offered), for example:
//
//	BROKERKIT_TRADESTATION_CLIENT_ID      the application's API key
//	BROKERKIT_TRADESTATION_CLIENT_SECRET  its secret
//	BROKERKIT_TRADESTATION_REDIRECT_URL   https://app.example.com/callback/tradestation
//	BROKERKIT_TRADESTATION_ENVIRONMENT    required: live or sim
//	BROKERKIT_JUST2TRADE_...              CLIENT_ID, CLIENT_SECRET, REDIRECT_URL, ENVIRONMENT (just2trade or lime)
//	BROKERKIT_AUTOSHARES_...              CLIENT_ID, CLIENT_SECRET, REDIRECT_URL, ENVIRONMENT (live or demo), DOMAIN, API_KEY
//	BROKERKIT_SPOTWARE_...                CLIENT_ID, CLIENT_SECRET, REDIRECT_URL, ENVIRONMENT (demo or live)
//
// Each REDIRECT_URL must have a path of its own; the app serves each
// broker's callback at that path. And for the app itself:
//
//	BROKERKIT_WEBAPP_ADDR      where to listen (default 127.0.0.1:8080; -addr overrides)
//	BROKERKIT_WEBAPP_KEY       the cookie-signing key, 64 hex digits (openssl rand -hex 32);
//	                           without it a random key is made at start, so sessions
//	                           end when the process does
//	BROKERKIT_WEBAPP_TLS_CERT  with BROKERKIT_WEBAPP_TLS_KEY: serve HTTPS with this
//	BROKERKIT_WEBAPP_TLS_KEY   certificate and key (cookies then get Secure)
//	BROKERKIT_WEBAPP_SECURE_COOKIES  true behind a proxy that terminates TLS:
//	                           cookies get Secure (and the __Host- prefix) and
//	                           pages HSTS although the app itself sees plain
//	                           HTTP. The proxy must pass the Host header on, so
//	                           that the cross-origin check can compare it
//	                           with Origin.
//
// Sessions and tokens are kept in memory here. A real deployment keeps
// tokens in a database-backed auth.Store (encrypted), keys them by its own
// user IDs, and keeps sessions in its session store.
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"time"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/providers"
)

func main() {
	addr := flag.String("addr", "", "address to listen on (default $BROKERKIT_WEBAPP_ADDR, else 127.0.0.1:8080)")
	flag.Parse()
	getenv := os.Getenv
	if *addr != "" {
		getenv = func(k string) string {
			if k == "BROKERKIT_WEBAPP_ADDR" {
				return *addr
			}
			return os.Getenv(k)
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Stdout, getenv); err != nil {
		fmt.Fprintln(os.Stderr, "webapp:", err)
		os.Exit(1)
	}
}

// run serves the app until ctx ends.
func run(ctx context.Context, out io.Writer, getenv func(string) string) error {
	s, err := start(out, getenv)
	if err != nil {
		return err
	}
	defer s.Close()
	select {
	case <-ctx.Done():
		return nil
	case err := <-s.done:
		return err
	}
}

// server is the running app.
type server struct {
	// URL is the app's address, with no trailing slash.
	URL       string
	app       *app
	emulators emulators // nil with real brokers
	http      *http.Server
	done      chan error
}

// start listens, builds the brokers (real ones from the environment, else
// the emulators) and serves in the background.
func start(out io.Writer, getenv func(string) string) (*server, error) {
	return startWith(out, providers.Builtin(), getenv)
}

// startWith is start over the brokers of r.
func startWith(out io.Writer, r *providers.Registry, getenv func(string) string) (_ *server, err error) {
	addr := getenv("BROKERKIT_WEBAPP_ADDR")
	if addr == "" {
		addr = "127.0.0.1:8080"
	}
	key, err := cookieKey(getenv("BROKERKIT_WEBAPP_KEY"))
	if err != nil {
		return nil, err
	}
	certFile, keyFile := getenv("BROKERKIT_WEBAPP_TLS_CERT"), getenv("BROKERKIT_WEBAPP_TLS_KEY")
	if (certFile == "") != (keyFile == "") {
		return nil, errors.New("set both BROKERKIT_WEBAPP_TLS_CERT and BROKERKIT_WEBAPP_TLS_KEY, or neither")
	}
	secure := certFile != ""
	if v := getenv("BROKERKIT_WEBAPP_SECURE_COOKIES"); v != "" {
		on, err := strconv.ParseBool(v)
		if err != nil {
			return nil, errors.New("BROKERKIT_WEBAPP_SECURE_COOKIES must be true or false")
		}
		secure = secure || on
	}

	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	s := &server{done: make(chan error, 1)}
	defer func() {
		if err != nil {
			ln.Close()
			s.Close()
		}
	}()
	scheme := "http"
	if certFile != "" {
		scheme = "https"
	}
	s.URL = scheme + "://" + ln.Addr().String()

	store := auth.NewMemoryStore()
	var brokers []*broker
	if anyConfigured(r, getenv) {
		if brokers, err = configuredBrokers(r, store, getenv); err != nil {
			return nil, err
		}
	} else {
		host, _, _ := net.SplitHostPort(ln.Addr().String())
		if host != "127.0.0.1" || scheme != "http" {
			return nil, fmt.Errorf("the emulators redirect to http://127.0.0.1 only: listen there, not on %s", s.URL)
		}
		if brokers, s.emulators, err = emulatedBrokers(r, s.URL, store); err != nil {
			return nil, err
		}
	}

	log := slog.New(slog.NewTextHandler(out, nil))
	s.app = newApp(key, store, brokers, log, s.emulators != nil, secure)
	handler, err := s.app.routes()
	if err != nil {
		return nil, err
	}
	s.http = &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	go func() {
		var err error
		if certFile != "" {
			err = s.http.ServeTLS(ln, certFile, keyFile)
		} else {
			err = s.http.Serve(ln)
		}
		if !errors.Is(err, http.ErrServerClosed) {
			s.done <- err
		}
	}()

	names := make([]string, len(brokers))
	for i, b := range brokers {
		names[i] = b.name
	}
	if s.emulators != nil {
		fmt.Fprintf(out, "Brokers (in-process emulators): %s\n", strings.Join(names, ", "))
	} else {
		fmt.Fprintf(out, "Brokers: %s\n", strings.Join(names, ", "))
	}
	fmt.Fprintf(out, "Dashboard: %s/\n", s.URL)
	return s, nil
}

// Close stops the server and the emulators.
func (s *server) Close() {
	if s.http != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		s.http.Shutdown(ctx)
	}
	if s.emulators != nil {
		s.emulators.Close()
	}
}

// configured reports whether the user has set up the real broker: its
// client ID is set. providers.FromEnv then names anything else missing.
func configured(broker string, getenv func(string) string) bool {
	return getenv(providers.EnvPrefix+strings.ToUpper(broker)+"_CLIENT_ID") != ""
}

// anyConfigured reports whether any broker is set up in the environment.
func anyConfigured(r *providers.Registry, getenv func(string) string) bool {
	for _, name := range r.Names() {
		if configured(name, getenv) {
			return true
		}
	}
	return false
}

// cookieKey decodes the signing key, or makes a random one.
func cookieKey(hexKey string) ([]byte, error) {
	if hexKey == "" {
		key := make([]byte, 32)
		_, err := rand.Read(key)
		return key, err
	}
	key, err := hex.DecodeString(strings.TrimSpace(hexKey))
	if err != nil || len(key) < 32 {
		return nil, errors.New("BROKERKIT_WEBAPP_KEY must be at least 64 hex digits (32 bytes), e.g. from: openssl rand -hex 32")
	}
	return key, nil
}
