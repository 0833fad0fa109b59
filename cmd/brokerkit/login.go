package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/internal/origin"
	"github.com/brokerkit/brokerkit/internal/redact"
	"github.com/brokerkit/brokerkit/providers"
)

func loginCommand() *command {
	var timeout time.Duration
	var sign bool
	c := &command{name: "login", args: "<broker> [--timeout 5m] [--sign-agreements]",
		summary: "log in through the browser and store the token (encrypted)",
		help: `Logs in to the broker through a loopback redirect (RFC 8252): the command
listens on 127.0.0.1 (or localhost) at the host, path and port of the
broker's BROKERKIT_<BROKER>_REDIRECT_URL, prints the address to open on
stderr, and opens the system browser when there is one: $BROWSER when set
(a command; "%s" in it is replaced by the address, else the address is its
last argument; several commands may be separated by ":"), else xdg-open or
open. Without a browser, open the printed address yourself. An emulator
accepts any loopback port, so against one the command listens on a free
port.

The token is stored encrypted (see brokerkit help): later commands use and
refresh it. Where the broker requires something more before every call works
(AutoShares' agreements), the command says so; --sign-agreements signs the
required agreements on your behalf.`,
		flags: func(fs *flag.FlagSet) {
			fs.DurationVar(&timeout, "timeout", 5*time.Minute, "how long to wait for the browser's redirect")
			fs.BoolVar(&sign, "sign-agreements", false, "sign the broker's required agreements on your behalf (AutoShares)")
		},
	}
	c.run = func(ctx context.Context, a *app, args []string) int {
		name, err := oneBroker(a, args)
		if err != nil {
			return a.report("", err)
		}
		return a.report(name, a.login(ctx, name, timeout, sign))
	}
	return c
}

// oneBroker is the broker a login or logout names: the argument or
// --broker.
func oneBroker(a *app, args []string) (string, error) {
	switch {
	case len(args) == 1 && (a.broker == "" || strings.EqualFold(a.broker, args[0])):
		return args[0], nil
	case len(args) == 0 && a.broker != "":
		return a.broker, nil
	default:
		return "", usagef("name one broker (%s)", strings.Join(a.reg.Names(), ", "))
	}
}

func (a *app) login(ctx context.Context, name string, timeout time.Duration, sign bool) error {
	t, err := a.resolve(name)
	if err != nil {
		return err
	}
	a.sayWhere(t)
	opts, err := loopbackFor(t.cfg.RedirectURL, t.emulator)
	if err != nil {
		return fmt.Errorf("%s%s_REDIRECT_URL: %w", providers.EnvPrefix, strings.ToUpper(t.b.Name), err)
	}
	opts.Timeout = timeout
	opts.Output = a.stderr
	opts.Open = func(authURL string) error {
		fmt.Fprintf(a.stderr, "Open this address in your browser to log in to %s:\n\n  %s\n\n", t.b.Title, authURL)
		if how := openBrowser(a.getenv, authURL); how != "" {
			fmt.Fprintf(a.stderr, "(opened with %s; waiting for the broker to redirect back)\n", how)
		} else {
			fmt.Fprintln(a.stderr, "(no browser found; waiting for the broker to redirect back)")
		}
		return nil
	}
	tok, err := auth.LoginLoopback(ctx, t.p, opts)
	if err != nil {
		return err
	}
	a.addSecret(tok.AccessToken, tok.RefreshToken)
	if err := t.tokens.SetToken(ctx, t.user, tok); err != nil {
		return err
	}
	var todo string
	if t.b.Ready != nil {
		todo, err = t.b.Ready(ctx, t.p, t.tokens.Source(t.user), sign)
		if err != nil {
			fmt.Fprintf(a.stderr, "brokerkit: %s: logged in, but checking what the broker still needs failed: %s\n",
				t.b.Name, redact.Text(err.Error(), a.secretList()...))
		}
	}
	if a.json {
		return writeJSON(a.stdout, struct {
			Broker    string      `json:"broker"`
			LoggedIn  bool        `json:"logged_in"`
			Where     string      `json:"where"`
			ExpiresAt *time.Time  `json:"expires_at,omitempty"`
			Todo      string      `json:"todo,omitempty"`
			Store     string      `json:"store"`
			Errors    []jsonError `json:"errors"`
		}{t.b.Name, true, t.where(), timePtr(tok.Expiry), redact.Text(todo), t.store.Path(t.key()), []jsonError{}})
	}
	fmt.Fprintf(a.stdout, "Logged in to %s (%s). Token stored encrypted in %s\n", t.b.Title, t.where(), t.store.Path(t.key()))
	if todo != "" {
		fmt.Fprintf(a.stdout, "%s: %s\n", t.b.Title, redact.Text(todo))
	}
	return nil
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

// loopbackFor turns a registered loopback redirect URL into listener
// options: its host, path and port. An emulator accepts any loopback port
// (RFC 8252), so for one the port is left to the system.
func loopbackFor(redirect string, emulator bool) (auth.LoopbackOptions, error) {
	u, err := url.Parse(redirect)
	if redirect == "" || err != nil || u.Scheme != "http" || !origin.IsLoopback(u.Hostname()) {
		return auth.LoopbackOptions{}, errors.New("a command-line login needs a loopback callback such as http://127.0.0.1/callback")
	}
	opts := auth.LoopbackOptions{Host: u.Hostname(), Path: u.Path}
	if p := u.Port(); p != "" && !emulator {
		n, err := strconv.Atoi(p)
		if err != nil {
			return auth.LoopbackOptions{}, fmt.Errorf("port %q is not a number", p)
		}
		opts.Port = n
	}
	return opts, nil
}

// openBrowser starts a browser on authURL without waiting for it, and says
// how ("" when there is none): $BROWSER (a ":"-separated list of commands,
// "%s" standing for the address, else the address appended), else the
// system's opener. It never fails the login: the address is printed anyway.
func openBrowser(getenv func(string) string, authURL string) string {
	var candidates [][]string
	if env := strings.TrimSpace(getenv("BROWSER")); env != "" {
		for _, c := range strings.Split(env, string(os.PathListSeparator)) {
			words := strings.Fields(c)
			if len(words) == 0 {
				continue
			}
			replaced := false
			for i, w := range words {
				if strings.Contains(w, "%s") {
					words[i] = strings.ReplaceAll(w, "%s", authURL)
					replaced = true
				}
			}
			if !replaced {
				words = append(words, authURL)
			}
			candidates = append(candidates, words)
		}
	} else {
		switch runtime.GOOS {
		case "darwin":
			candidates = [][]string{{"open", authURL}}
		case "windows":
			candidates = [][]string{{"rundll32", "url.dll,FileProtocolHandler", authURL}}
		default:
			candidates = [][]string{{"xdg-open", authURL}}
		}
	}
	for _, words := range candidates {
		path, err := exec.LookPath(words[0])
		if err != nil {
			continue
		}
		cmd := exec.Command(path, words[1:]...)
		// The browser's own output is not ours to show (it may echo
		// the address, or worse).
		cmd.Stdin, cmd.Stdout, cmd.Stderr = nil, nil, nil
		if err := cmd.Start(); err != nil {
			continue
		}
		go func() { _ = cmd.Wait() }() // reap it whenever it exits
		return words[0]
	}
	return ""
}

func statusCommand() *command {
	c := &command{name: "status", args: "[--broker NAME] [--json]",
		summary: "per broker: logged in or not, token expiry, refresh (never a secret)",
		help: `Shows, for every broker (or the one --broker names), whether a login is
stored, when its access token expires ("19m", "29d 23h"), whether it can be
refreshed without a new login, and where it points (the real broker or an
emulator). It reads the token store only; nothing is sent to any broker.
With --broker, it exits 3 when that broker has no stored login.`,
	}
	c.run = func(ctx context.Context, a *app, args []string) int {
		if len(args) > 0 {
			return a.report("", usagef("status takes no arguments (use --broker NAME)"))
		}
		return a.status(ctx)
	}
	return c
}

// statusRow is one broker's line of status.
type statusRow struct {
	Broker           string     `json:"broker"`
	Configured       bool       `json:"configured"`
	Where            string     `json:"where,omitempty"`
	LoggedIn         bool       `json:"logged_in"`
	ExpiresAt        *time.Time `json:"expires_at,omitempty"`
	ExpiresIn        string     `json:"expires_in,omitempty"`
	Expired          bool       `json:"expired"`
	Refresh          bool       `json:"refresh"`
	RefreshExpiresAt *time.Time `json:"refresh_expires_at,omitempty"`
	Store            string     `json:"store,omitempty"`
	Error            string     `json:"error,omitempty"`
}

func (a *app) status(ctx context.Context) int {
	names := a.reg.Names()
	if a.broker != "" {
		b, err := a.reg.Lookup(a.broker)
		if err != nil {
			return a.report("", usagef("%v", err))
		}
		names = []string{b.Name}
	}
	now := time.Now()
	var rows []statusRow
	code := exitOK
	for _, name := range names {
		r := statusRow{Broker: name}
		t, err := a.resolve(name)
		var nc *notConfiguredError
		switch {
		case errors.As(err, &nc):
		case err != nil:
			r.Configured, r.Error = true, redact.Text(err.Error(), a.secretList()...)
			code = worst(code, exitCode(err))
		default:
			r.Configured, r.Where = true, t.where()
			tok, err := a.storedToken(ctx, t)
			switch {
			case err == nil:
				r.LoggedIn, r.Store = true, t.store.Path(t.key())
				r.ExpiresAt, r.RefreshExpiresAt = timePtr(tok.Expiry), timePtr(tok.RefreshExpiry)
				if !tok.Expiry.IsZero() {
					r.Expired = !tok.Expiry.After(now)
					r.ExpiresIn = humanDuration(tok.Expiry.Sub(now))
				}
				r.Refresh = tok.RefreshToken != "" && t.p.Capabilities().Refresh &&
					(tok.RefreshExpiry.IsZero() || tok.RefreshExpiry.After(now))
			case exitCode(err) != exitLogin:
				r.Error = redact.Text(err.Error(), a.secretList()...)
				code = worst(code, exitCode(err))
			}
		}
		if a.broker != "" && !r.LoggedIn && code == exitOK {
			code = exitLogin
		}
		rows = append(rows, r)
	}
	if a.json {
		if err := writeJSON(a.stdout, struct {
			Brokers []statusRow `json:"brokers"`
		}{rows}); err != nil {
			return a.report("", err)
		}
		return code
	}
	tw := newTable(a.stdout, a.secretList(), "BROKER", "LOGIN", "EXPIRES", "REFRESH", "WHERE")
	for _, r := range rows {
		login, expires, refresh := "no", "-", "-"
		switch {
		case !r.Configured:
			login = "not configured"
		case r.Error != "":
			login = "error: " + r.Error
		case r.LoggedIn:
			login, refresh = "yes", "no"
			if r.Refresh {
				refresh = "yes"
			}
			switch {
			case r.ExpiresAt == nil:
				expires = "unknown"
			case r.Expired:
				expires = "expired " + r.ExpiresIn + " ago"
			default:
				expires = "in " + r.ExpiresIn
			}
		}
		tw.row(r.Broker, login, expires, refresh, orDash(r.Where))
	}
	if err := tw.flush(); err != nil {
		return a.report("", err)
	}
	return code
}

func logoutCommand() *command {
	c := &command{name: "logout", args: "<broker>",
		summary: "revoke the token where the broker can, and delete it",
		help: `Revokes the stored token at the broker where the broker offers revocation,
and deletes it from the token store in any case. Logging out of a broker
with no stored login does nothing and succeeds.`,
	}
	c.run = func(ctx context.Context, a *app, args []string) int {
		name, err := oneBroker(a, args)
		if err != nil {
			return a.report("", err)
		}
		return a.report(name, a.logout(ctx, name))
	}
	return c
}

func (a *app) logout(ctx context.Context, name string) error {
	t, err := a.resolve(name)
	if err != nil {
		return err
	}
	a.sayWhere(t)
	_, err = a.storedToken(ctx, t)
	var ln *loginNeeded
	loggedIn := !errors.As(err, &ln)
	// A token the store cannot read is deleted all the same.
	revoke := t.p.Capabilities().Revoke
	if loggedIn {
		if err := t.tokens.Logout(ctx, t.user); err != nil {
			return fmt.Errorf("token deleted, but: %w", err)
		}
	}
	switch {
	case a.json:
		return writeJSON(a.stdout, struct {
			Broker    string      `json:"broker"`
			Where     string      `json:"where"`
			LoggedOut bool        `json:"logged_out"`
			Revoked   bool        `json:"revoked"`
			Errors    []jsonError `json:"errors"`
		}{t.b.Name, t.where(), loggedIn, loggedIn && revoke, []jsonError{}})
	case !loggedIn:
		fmt.Fprintf(a.stdout, "Not logged in to %s (%s).\n", t.b.Title, t.where())
	case revoke:
		fmt.Fprintf(a.stdout, "Logged out of %s (%s): token revoked and deleted.\n", t.b.Title, t.where())
	default:
		fmt.Fprintf(a.stdout, "Logged out of %s (%s): token deleted (%s cannot revoke tokens; it lapses at its expiry).\n",
			t.b.Title, t.where(), t.b.Title)
	}
	return nil
}

// message is err's text for people: cleaned of every secret the run knows
// and of control characters, without the broker's name when the prefix
// already says it.
func (a *app) message(broker string, err error) string {
	msg := redact.Text(err.Error(), a.secretList()...)
	if broker != "" {
		msg = strings.TrimPrefix(msg, broker+": ")
	}
	return msg
}

// report prints err (cleaned of every secret the run knows) with what to
// do about it on stderr, and returns its exit code.
func (a *app) report(broker string, err error) int {
	if err == nil {
		return exitOK
	}
	prefix := "brokerkit: "
	if broker != "" {
		prefix += broker + ": "
	}
	fmt.Fprintf(a.stderr, "%s%s\n", prefix, a.message(broker, err))
	if h := hint(broker, err); h != "" && broker != "" {
		fmt.Fprintf(a.stderr, "  %s\n", h)
	}
	return exitCode(err)
}
