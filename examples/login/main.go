// Command login is a command-line login for one broker: it signs the user in
// through a loopback redirect (RFC 8252, auth.LoginLoopback), keeps the token
// in an encrypted file (auth.FileStore with AES-256-GCM) so that later runs
// and other tools can use it, shows what is stored without printing any
// secret, and logs out.
//
//	login  [broker]   sign in and store the token
//	status [broker]   provider, subject, expiry, time left, refresh token
//	logout [broker]   revoke (where the broker can) and delete the token
//
// The broker is one of autoshares, just2trade, spotware, tradestation; by
// default the first one configured in the environment, else tradestation.
// With no command it runs login, then status.
//
// With no BROKERKIT_<BROKER>_* variables set it starts the broker's emulator
// in the process and plays the user with the emulator's browser, so this
// works offline and with no account anywhere:
//
//	go run ./examples/login
//	go run ./examples/login login spotware
//
// Against the emulator the tokens go to a temporary directory that is
// removed at exit (set BROKERKIT_LOGIN_DIR to keep them), so your real
// configuration directory is never touched.
//
// For a real broker, set the variables providers.FromEnv reads, for example:
//
//	BROKERKIT_TRADESTATION_CLIENT_ID     the application's API key
//	BROKERKIT_TRADESTATION_CLIENT_SECRET its secret (empty for a PKCE key)
//	BROKERKIT_TRADESTATION_REDIRECT_URL  a registered loopback callback, e.g.
//	                                     http://localhost:3000 (fixed port) or
//	                                     http://127.0.0.1/callback (any port)
//	BROKERKIT_TRADESTATION_ENVIRONMENT   required: live or sim
//
// (Every broker needs _ENVIRONMENT: Just2Trade just2trade or lime,
// AutoShares and Spotware live or demo. AutoShares also needs _DOMAIN and
// _API_KEY; Just2Trade, AutoShares and Spotware need _CLIENT_SECRET.
// _BASE_URL points the broker at one other host, an emulator say.) The program then
// prints the address to open in a browser and waits for the broker to
// redirect back.
//
// Where the token is kept:
//
//	BROKERKIT_LOGIN_DIR  the directory (default: os.UserConfigDir()/brokerkit,
//	                     e.g. ~/.config/brokerkit); tokens go to its tokens/
//	                     subdirectory, one 0600 file per broker
//	BROKERKIT_LOGIN_KEY  the 32-byte encryption key as 64 hex digits, e.g.
//	                     from your keyring: openssl rand -hex 32
//
// Without BROKERKIT_LOGIN_KEY the key is read from the file store.key in
// that directory, which is created with mode 0600 on first use. That keeps
// the tokens unreadable in a copy of the tokens/ directory (a backup, a sync
// tool) but not from someone who can read your whole configuration
// directory; for that, keep the key in a keyring or secret manager and pass
// it in BROKERKIT_LOGIN_KEY.
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/internal/origin"
	"github.com/brokerkit/brokerkit/providers"
	"github.com/brokerkit/brokerkit/providers/providerstest"
)

// user is the store's user name: a CLI has one user per machine account.
const user = "default"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Stdout, os.Args[1:], os.Getenv); err != nil {
		fmt.Fprintln(os.Stderr, "login:", err)
		os.Exit(1)
	}
}

// run is the program, with its arguments, output and environment passed in
// so that the test can run it.
func run(ctx context.Context, out io.Writer, args []string, getenv func(string) string) error {
	commands, broker, err := parseArgs(args, getenv)
	if err != nil {
		return err
	}
	s, err := open(ctx, out, broker, getenv)
	if err != nil {
		return err
	}
	defer s.close()
	for _, c := range commands {
		var err error
		switch c {
		case "login":
			err = s.login(ctx)
		case "status":
			err = s.status(ctx)
		case "logout":
			err = s.logout(ctx)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// defaultBroker is the broker of a run that names none and has none
// configured.
const defaultBroker = "tradestation"

const usage = "usage: login [login|status|logout] [broker]"

// parseArgs reads "[command] [broker]". Without a command it is login,
// then status; without a broker, the first one configured in the
// environment, else TradeStation.
func parseArgs(args []string, getenv func(string) string) (commands []string, broker string, err error) {
	commands = []string{"login", "status"}
	if len(args) > 0 && slices.Contains([]string{"login", "status", "logout"}, args[0]) {
		commands, args = args[:1], args[1:]
	}
	switch {
	case len(args) > 1:
		return nil, "", errors.New(usage)
	case len(args) == 1:
		broker = strings.ToLower(args[0])
		if !slices.Contains(providers.Names(), broker) {
			return nil, "", fmt.Errorf("unknown broker or command %q (brokers: %s); %s",
				args[0], strings.Join(providers.Names(), ", "), usage)
		}
	default:
		broker = defaultBroker
		for _, name := range providers.Names() {
			if configured(name, getenv) {
				broker = name
				break
			}
		}
	}
	return commands, broker, nil
}

// configured reports whether the user has set up the real broker: its
// client ID is set. providers.FromEnv then names anything else missing.
func configured(broker string, getenv func(string) string) bool {
	return getenv(providers.EnvPrefix+strings.ToUpper(broker)+"_CLIENT_ID") != ""
}

// session is one run against one broker: its provider, how to reach the
// loopback login, and the token store.
type session struct {
	out      io.Writer
	broker   string
	provider auth.Provider
	loopback auth.LoopbackOptions
	store    *auth.FileStore
	tokens   *auth.Manager
	cleanup  []func()
}

func (s *session) close() {
	for _, f := range slices.Backward(s.cleanup) {
		f()
	}
}

// open connects to the real broker when its variables are set, else to its
// emulator, and opens the encrypted token store.
func open(ctx context.Context, out io.Writer, broker string, getenv func(string) string) (s *session, err error) {
	s = &session{out: out, broker: broker}
	defer func() {
		if err != nil {
			s.close()
		}
	}()
	useReal := configured(broker, getenv)
	if useReal {
		err = s.useBroker(broker, getenv)
	} else {
		err = s.useEmulator(ctx, broker)
	}
	if err != nil {
		return s, err
	}

	dir := getenv("BROKERKIT_LOGIN_DIR")
	switch {
	case dir != "":
	case useReal:
		cfg, err := os.UserConfigDir()
		if err != nil {
			return s, fmt.Errorf("no configuration directory (set BROKERKIT_LOGIN_DIR): %w", err)
		}
		dir = filepath.Join(cfg, "brokerkit")
	default:
		// The emulator's tokens are worthless after this run: keep them
		// away from the real configuration directory.
		dir, err = os.MkdirTemp("", "brokerkit-login-")
		if err != nil {
			return s, err
		}
		s.cleanup = append(s.cleanup, func() { os.RemoveAll(dir) })
	}
	key, err := encryptionKey(dir, getenv("BROKERKIT_LOGIN_KEY"))
	if err != nil {
		return s, err
	}
	if s.store, err = auth.NewFileStore(filepath.Join(dir, "tokens"), auth.FileStoreOptions{EncryptionKey: key}); err != nil {
		return s, err
	}
	s.tokens, err = auth.NewManager(s.provider, s.store)
	return s, err
}

// useBroker configures the real broker from BROKERKIT_<BROKER>_* variables
// read through getenv. The user opens the printed address themselves.
func (s *session) useBroker(broker string, getenv func(string) string) error {
	cfg, err := providers.Builtin().FromEnv(broker, getenv)
	if err != nil {
		return err
	}
	if s.provider, err = providers.New(broker, cfg); err != nil {
		return err
	}
	opts, err := loopbackFor(cfg.RedirectURL)
	if err != nil {
		return fmt.Errorf("%s%s_REDIRECT_URL: %w", providers.EnvPrefix, strings.ToUpper(broker), err)
	}
	opts.Output = s.out
	s.loopback = opts
	where := string(cfg.Environment)
	if cfg.BaseURL != "" {
		where += " at " + cfg.BaseURL
	}
	fmt.Fprintf(s.out, "Using %s (%s)\n", broker, where)
	return nil
}

// loopbackFor turns a registered loopback redirect URL into listener
// options: its host, its path and, when it names one, its port (brokers that
// match redirect URIs exactly need it; the others accept any port).
func loopbackFor(redirect string) (auth.LoopbackOptions, error) {
	u, err := url.Parse(redirect)
	if err != nil || u.Scheme != "http" || !origin.IsLoopback(u.Hostname()) {
		return auth.LoopbackOptions{}, errors.New("a command-line login needs a loopback callback such as http://127.0.0.1/callback")
	}
	opts := auth.LoopbackOptions{Host: u.Hostname(), Path: u.Path}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil {
			return auth.LoopbackOptions{}, fmt.Errorf("port %q is not a number", p)
		}
		opts.Port = n
	}
	return opts, nil
}

// useEmulator starts the broker's emulator in this process. Its browser
// plays the user: it fetches the authorization URL, signs in as the seeded
// user, approves, and follows the redirect to our loopback listener.
func (s *session) useEmulator(ctx context.Context, broker string) error {
	em, err := providerstest.Start(broker)
	if err != nil {
		return err
	}
	s.cleanup = append(s.cleanup, em.Close)
	cfg := em.Config()
	if s.provider, err = em.Provider(cfg); err != nil {
		return err
	}
	browser := em.Browser(em.User())
	// Each emulator registers a loopback callback and accepts it on any
	// port, as RFC 8252 asks: listen on its host and path, on a free port.
	u, err := url.Parse(cfg.RedirectURL)
	if err != nil {
		return err
	}
	s.loopback = auth.LoopbackOptions{Host: u.Hostname(), Path: u.Path, Output: s.out,
		Open: func(authURL string) error {
			_, err := browser.LoginAndVisit(ctx, authURL)
			return err
		}}
	fmt.Fprintf(s.out, "Using the %s emulator at %s\n", broker, em.URL())
	return nil
}

// encryptionKey returns the store's key: from hexKey when set, else from
// dir/store.key, which is created (mode 0600) on first use.
func encryptionKey(dir, hexKey string) ([]byte, error) {
	if hexKey != "" {
		key, err := hex.DecodeString(strings.TrimSpace(hexKey))
		if err != nil || len(key) != 32 {
			return nil, errors.New("BROKERKIT_LOGIN_KEY must be 64 hex digits (32 bytes), e.g. from: openssl rand -hex 32")
		}
		return key, nil
	}
	path := filepath.Join(dir, "store.key")
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return createKey(path)
	}
	if err != nil {
		return nil, err
	}
	if fi, err := os.Stat(path); err == nil && runtime.GOOS != "windows" && fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("key file %s may be read by others (mode %v): chmod 600 it", path, fi.Mode().Perm())
	}
	key, err := hex.DecodeString(strings.TrimSpace(string(b)))
	if err != nil || len(key) != 32 {
		return nil, fmt.Errorf("key file %s does not hold 64 hex digits", path)
	}
	return key, nil
}

// createKey writes a new random key to path, unless another process has
// just done so, in which case that key is used.
func createKey(path string) ([]byte, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, err
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return encryptionKey(filepath.Dir(path), "")
	}
	if err != nil {
		return nil, err
	}
	_, err = f.WriteString(hex.EncodeToString(key) + "\n")
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return nil, err
	}
	return key, nil
}

// login signs the user in through the loopback redirect and stores the
// token.
func (s *session) login(ctx context.Context) error {
	tok, err := auth.LoginLoopback(ctx, s.provider, s.loopback)
	if err != nil {
		return err
	}
	if err := s.tokens.SetToken(ctx, user, tok); err != nil {
		return err
	}
	fmt.Fprintf(s.out, "Logged in to %s. Token saved (encrypted) to %s\n", s.broker, s.store.Path(auth.Key(s.broker, user)))
	return nil
}

// status describes the stored token. It prints facts about the token, never
// the token.
func (s *session) status(ctx context.Context) error {
	key := auth.Key(s.broker, user)
	tok, err := s.store.Load(ctx, key)
	if errors.Is(err, auth.ErrNoToken) {
		fmt.Fprintf(s.out, "Not logged in to %s.\n", s.broker)
		return nil
	}
	if err != nil {
		return fmt.Errorf("%w (run logout to delete it)", err)
	}
	now := time.Now()
	caps := s.provider.Capabilities()
	fmt.Fprintf(s.out, "Provider:      %s\n", tok.Provider)
	fmt.Fprintf(s.out, "Subject:       %s\n", subject(tok.Subject))
	if len(tok.Scopes) > 0 {
		fmt.Fprintf(s.out, "Scopes:        %s\n", strings.Join(tok.Scopes, " "))
	}
	switch {
	case tok.Expiry.IsZero():
		fmt.Fprintln(s.out, "Access token:  present, no expiry given")
	case tok.Expiry.After(now):
		fmt.Fprintf(s.out, "Access token:  valid until %s (%s left)\n", tok.Expiry.UTC().Format(time.DateTime+" MST"), tok.Expiry.Sub(now).Round(time.Second))
	default:
		fmt.Fprintf(s.out, "Access token:  expired at %s (%s ago)\n", tok.Expiry.UTC().Format(time.DateTime+" MST"), now.Sub(tok.Expiry).Round(time.Second))
	}
	switch {
	case tok.RefreshToken == "":
		fmt.Fprintln(s.out, "Refresh token: none; log in again when the access token expires")
	case !caps.Refresh:
		fmt.Fprintln(s.out, "Refresh token: present, but this provider is set up without refresh")
	case caps.RefreshRotates:
		fmt.Fprintln(s.out, "Refresh token: present; refreshed automatically, and every refresh replaces it (rotation), the new one saved at once")
	default:
		fmt.Fprintln(s.out, "Refresh token: present; refreshed automatically before expiry")
	}
	if !tok.RefreshExpiry.IsZero() {
		fmt.Fprintf(s.out, "Session ends:  %s\n", tok.RefreshExpiry.UTC().Format(time.DateTime+" MST"))
	}
	fmt.Fprintf(s.out, "Stored in:     %s (AES-256-GCM)\n", s.store.Path(key))
	return nil
}

func subject(v string) string {
	if v == "" {
		return "- (the token response does not name the user)"
	}
	return v
}

// logout revokes the token where the broker can and deletes it.
func (s *session) logout(ctx context.Context) error {
	if _, err := s.store.Load(ctx, auth.Key(s.broker, user)); errors.Is(err, auth.ErrNoToken) {
		fmt.Fprintf(s.out, "Not logged in to %s.\n", s.broker)
		return nil
	}
	if err := s.tokens.Logout(ctx, user); err != nil {
		return fmt.Errorf("token deleted here, but: %w", err)
	}
	if s.provider.Capabilities().Revoke {
		fmt.Fprintf(s.out, "Logged out of %s: token revoked and deleted.\n", s.broker)
	} else {
		fmt.Fprintf(s.out, "Logged out of %s: token deleted (%s cannot revoke tokens; it lapses at its expiry).\n", s.broker, s.broker)
	}
	return nil
}
