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
	"path/filepath"
	"runtime"
	"strings"
	"sync"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/cmd/brokerkit/internal/emulate"
	"github.com/brokerkit/brokerkit/internal/origin"
	"github.com/brokerkit/brokerkit/providers"
)

// Where the command keeps its files, under os.UserConfigDir()/brokerkit.
const (
	tokensDir   = "tokens"    // the encrypted token files, one per broker login (0700)
	keyFile     = "token.key" // the AES-256 key as 64 hex digits (0600), unless keyEnv is set
	keyEnv      = "BROKERKIT_TOKEN_KEY"
	localUser   = "default" // the store's user: a CLI has one user per machine account
	emulatorTag = "emulator"
)

// app is one run of the command: its output, its environment, and what it
// has opened so far.
type app struct {
	stdout, stderr io.Writer
	getenv         func(string) string
	environ        []string
	reg            *providers.Registry

	// Common flags.
	broker string
	json   bool

	dirOnce sync.Once
	dir     string
	dirErr  error

	storeOnce sync.Once
	store     *auth.FileStore
	storeErr  error

	annOnce sync.Once
	ann     map[string]emulate.Info
	annErr  error

	mu      sync.Mutex
	secrets []string // everything that must never be printed
}

// addSecret remembers s so that no output of the run shows it.
func (a *app) addSecret(s ...string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, v := range s {
		if v != "" {
			a.secrets = append(a.secrets, v)
		}
	}
}

func (a *app) secretList() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]string(nil), a.secrets...)
}

// configDir is os.UserConfigDir()/brokerkit. It is created (mode 0700)
// only when something is written there.
func (a *app) configDir() (string, error) {
	a.dirOnce.Do(func() {
		base, err := os.UserConfigDir()
		if err != nil {
			a.dirErr = fmt.Errorf("no configuration directory (set XDG_CONFIG_HOME or HOME): %w", err)
			return
		}
		a.dir = filepath.Join(base, "brokerkit")
	})
	return a.dir, a.dirErr
}

// tokenStore opens the encrypted token store.
func (a *app) tokenStore() (*auth.FileStore, error) {
	a.storeOnce.Do(func() {
		dir, err := a.configDir()
		if err != nil {
			a.storeErr = err
			return
		}
		key, err := encryptionKey(dir, a.getenv(keyEnv))
		if err != nil {
			a.storeErr = err
			return
		}
		a.addSecret(hex.EncodeToString(key))
		a.store, a.storeErr = auth.NewFileStore(filepath.Join(dir, tokensDir), auth.FileStoreOptions{EncryptionKey: key})
	})
	return a.store, a.storeErr
}

// encryptionKey is the token store's key: hexKey when set, else the key
// file in dir, created (0600) on first use.
func encryptionKey(dir, hexKey string) ([]byte, error) {
	if hexKey = strings.TrimSpace(hexKey); hexKey != "" {
		key, err := hex.DecodeString(hexKey)
		if err != nil || len(key) != 32 {
			return nil, fmt.Errorf("%s must be 64 hex digits (32 bytes), e.g. from: openssl rand -hex 32", keyEnv)
		}
		return key, nil
	}
	path := filepath.Join(dir, keyFile)
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
// just done so, whose key is then used.
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
		_ = os.Remove(path)
		return nil, err
	}
	return key, nil
}

// target is one broker as this run reaches it: its configuration, where
// that came from, its provider and its token manager.
type target struct {
	b        providers.Broker
	cfg      providers.Config
	emulator bool   // the configuration names an emulator (announced, or BASE_URL on loopback)
	from     string // "environment" or the announcement file's path
	// announced says the configuration came from a running `brokerkit
	// emulate`, which the command tells (sayWhere) when it uses it.
	announced bool
	// noSession is why an announced broker whose API is a session
	// (cTrader) cannot open one: the announcement has no usable Protobuf
	// hosts and certificate.
	noSession error
	p         auth.Provider
	tokens    *auth.Manager
	user      string // the store's user: localUser, or localUser@emulator URL
	store     *auth.FileStore
	// broken is why the target's stored login cannot be used (the store
	// cannot read it), reported as this broker's failure.
	broken error
}

// key is the target's token key in the store.
func (t *target) key() string { return auth.Key(t.p.Name(), t.user) }

// notConfiguredError says a broker has neither variables nor an emulator.
type notConfiguredError struct{ broker string }

func (e *notConfiguredError) Error() string {
	return fmt.Sprintf("%s is not configured: set the %s%s_* variables (brokerkit help) or run brokerkit emulate",
		e.broker, providers.EnvPrefix, strings.ToUpper(e.broker))
}

// envSet reports whether any BROKERKIT_<BROKER>_* variable is set.
func (a *app) envSet(broker string) bool {
	prefix := providers.EnvPrefix + strings.ToUpper(broker) + "_"
	for _, kv := range a.environ {
		k, v, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, prefix) && strings.TrimSpace(v) != "" {
			return true
		}
	}
	return false
}

// resolve configures broker: from its BROKERKIT_<BROKER>_* variables when
// any is set, else from a running `brokerkit emulate`'s announcement
// (saying so on stderr), else it is not configured.
func (a *app) resolve(name string) (*target, error) {
	b, err := a.reg.Lookup(name)
	if err != nil {
		return nil, usagef("%v", err)
	}
	t := &target{b: b}
	var pb *emulate.Protobuf
	switch {
	case a.envSet(b.Name):
		if t.cfg, err = a.reg.FromEnv(b.Name, a.getenv); err != nil {
			return nil, err
		}
		t.from = "environment"
		t.emulator = t.cfg.BaseURL != "" && loopbackURL(t.cfg.BaseURL)
	default:
		dir, err := a.configDir()
		if err != nil {
			return nil, err
		}
		infos, err := a.announced(dir)
		if err != nil {
			return nil, err
		}
		info, ok := infos[b.Name]
		if !ok {
			return nil, &notConfiguredError{b.Name}
		}
		t.cfg, t.emulator, t.from = info.Config(), true, filepath.Join(dir, emulate.AnnouncementFile)
		t.announced = true
		pb = info.Protobuf
	}
	a.addSecret(string(t.cfg.ClientSecret), string(t.cfg.APIKey))
	if t.p, err = a.reg.New(b.Name, t.cfg); err != nil {
		return nil, err
	}
	if t.announced {
		// cTrader's session goes to the announced hosts, trusting only
		// the announced certificate.
		t.p, t.noSession = withAnnouncedSession(t.p, pb)
	}
	t.user = localUser
	if t.cfg.BaseURL != "" {
		// An emulator's tokens (or another host's) never mix with the
		// real broker's: the host is part of the key.
		t.user = localUser + "@" + strings.TrimRight(t.cfg.BaseURL, "/")
	}
	if t.store, err = a.tokenStore(); err != nil {
		return nil, err
	}
	// A token refreshed during the run is as secret as the stored one.
	learn := auth.SourceOptions{OnChange: func(_, tok *auth.Token) { a.addSecret(tok.AccessToken, tok.RefreshToken) }}
	if t.tokens, err = auth.NewManager(t.p, t.store, auth.WithSourceOptions(learn)); err != nil {
		return nil, err
	}
	return t, nil
}

// sayWhere tells on stderr that the target's configuration comes from a
// running `brokerkit emulate`, when it does.
func (a *app) sayWhere(t *target) {
	if t.announced {
		fmt.Fprintf(a.stderr, "brokerkit: %s: no %s%s_* variables set: using the emulator at %s (from %s)\n",
			t.b.Name, providers.EnvPrefix, strings.ToUpper(t.b.Name), t.cfg.BaseURL, t.from)
	}
}

// announced is what a running `brokerkit emulate` announced in dir (nil
// when none runs), read once per run.
func (a *app) announced(dir string) (map[string]emulate.Info, error) {
	a.annOnce.Do(func() {
		a.ann, a.annErr = emulate.ReadAnnouncement(dir)
		if errors.Is(a.annErr, emulate.ErrNotRunning) {
			a.ann, a.annErr = nil, nil
		}
	})
	return a.ann, a.annErr
}

// where describes the target for people: "the environment" or the
// emulator at its URL.
func (t *target) where() string {
	switch {
	case t.emulator:
		return "emulator at " + t.cfg.BaseURL
	case t.cfg.BaseURL != "":
		return string(t.cfg.Environment) + " at " + t.cfg.BaseURL
	default:
		return string(t.cfg.Environment)
	}
}

// storedToken is the target's stored token; a missing one is a
// *loginNeeded. Its secrets join the run's.
func (a *app) storedToken(ctx context.Context, t *target) (*auth.Token, error) {
	tok, err := t.store.Load(ctx, t.key())
	if errors.Is(err, auth.ErrNoToken) {
		return nil, &loginNeeded{broker: t.b.Name}
	}
	if err != nil {
		return nil, err
	}
	a.addSecret(tok.AccessToken, tok.RefreshToken)
	return tok, nil
}

// targets are the brokers a data command works on: the one named by
// --broker, else every configured broker with a stored login.
func (a *app) targets(ctx context.Context) ([]*target, error) {
	if a.broker != "" {
		t, err := a.resolve(a.broker)
		if err != nil {
			return nil, err
		}
		a.sayWhere(t)
		if _, err := a.storedToken(ctx, t); err != nil {
			return nil, err
		}
		return []*target{t}, nil
	}
	var out []*target
	var configured []string
	for _, name := range a.reg.Names() {
		t, err := a.resolve(name)
		var nc *notConfiguredError
		if errors.As(err, &nc) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		configured = append(configured, name)
		_, err = a.storedToken(ctx, t)
		var ln *loginNeeded
		switch {
		case err == nil:
			out = append(out, t)
		case !errors.As(err, &ln):
			t.broken = err
			out = append(out, t)
		}
	}
	for _, t := range out {
		a.sayWhere(t)
	}
	if len(out) == 0 {
		if len(configured) == 0 {
			return nil, errors.New("no broker is configured: set BROKERKIT_<BROKER>_* variables or run brokerkit emulate, then brokerkit login <broker>")
		}
		return nil, &loginNeeded{msg: fmt.Sprintf("not logged in to any broker (configured: %s): run brokerkit login <broker>",
			strings.Join(configured, ", "))}
	}
	return out, nil
}

// loopbackURL reports whether u is an http URL on a loopback host.
func loopbackURL(u string) bool {
	p, err := url.Parse(u)
	return err == nil && (p.Scheme == "http" || p.Scheme == "https") && origin.IsLoopback(p.Hostname())
}
