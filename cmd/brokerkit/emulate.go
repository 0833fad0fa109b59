package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/brokerkit/brokerkit/cmd/brokerkit/internal/emulate"
	"github.com/brokerkit/brokerkit/providers"
)

// emulateHelp is `brokerkit emulate -h`.
const emulateHelp = `Usage: brokerkit emulate [broker…] [--addr ADDR]… [--json | --env] [--public]

Serves brokerkit's broker emulators (tradestation, just2trade, autoshares,
spotware; all when none is named) on loopback, so that an app in any language
can log in with OAuth (authorization code, PKCE, refresh) and call the
broker's API offline. Runs until Ctrl-C (SIGINT) or SIGTERM, then closes
every server, removes its announcement and exits 0.

Flags:
  --addr HOST:PORT        base address (default 127.0.0.1:9400): the admin API
                          there, the brokers on the ports after it; port 0
                          gives every server a free port
  --addr BROKER=HOST:PORT one broker's address (admin=HOST:PORT: the admin
                          API's); spotware's Protobuf hosts take the two
                          ports after its own
  --json                  print only the JSON lines
  --env                   print only the environment lines
  --public                allow non-loopback addresses for the brokers (they
                          hand out tokens to anyone who asks; the admin API
                          stays on loopback)

Ports from the default base, fixed whichever brokers run:
  9400 admin API     9401 tradestation   9402 just2trade   9403 autoshares
  9404 spotware (OAuth; its Protobuf API over TLS, self-signed, on 9405 demo
  and 9406 live)

Output, per broker, on stdout:
  one JSON line: {"broker", "url", "authorize_url", "token_url",
    "authorize_params", "api_url", "client_id", "client_secret",
    "redirect_url", "environment", "scopes", "users": [{"login",
    "password"}], "admin_url", ...}; spotware's also "protobuf": {"demo",
    "live", "cert_pem"}: its Protobuf hosts and their certificate (PEM, made
    at each start and reset), the one to trust for them
  the BROKERKIT_<BROKER>_* lines that brokerkit and providers.FromEnv read.
These are the emulator's seeded test credentials: printing them is the point;
they open nothing but this local emulator. The same is written to
<config>/brokerkit/emulate.json (mode 0600, removed at exit), where other
brokerkit commands (brokerkit login) find a running emulator.

Redirect URLs: the printed redirect_url (http://127.0.0.1/callback/<broker>)
is registered; being a loopback URL, any port of it is accepted (RFC 8252).

Admin API (loopback only; JSON in and out; errors are {"error": "..."}; a
request carrying an Origin header, i.e. from a web page, is refused), under
admin_url = http://127.0.0.1:9400/<broker>:
  GET    /                      every broker's JSON line, as {"brokers": [...]}
  GET    /<broker>              the broker's JSON line
  POST   /<broker>/clock/advance {"by":"1h"}   move the emulator's clock
                                (token, code and session expiry follow it)
  POST   /<broker>/invalidate   {"user":"trader"}  revoke every token of a user
                                {"token":"..."}    revoke one token
  POST   /<broker>/faults       inject a fault into the next requests:
          {"path":"/v3/brokerage/accounts", "times":1, "status":503,
           "retry_after":"2s", "body":"...", "content_type":"...",
           "cut":true, "delay":"500ms", "malformed":true,
           "invalidate_token":true}
          path "" = every path, a trailing * = a prefix; times 0 = until
          DELETE; cut (close the connection), status, malformed (invalid
          JSON) - the first set wins; delay comes before any of them;
          invalidate_token revokes the request's bearer token.
          spotware's faults reach its HTTP (OAuth) side only.
  GET    /<broker>/faults       {"pending": n}: fault rules with uses left
  DELETE /<broker>/faults       clear the faults
  POST   /<broker>/reset        fresh emulator state on the same addresses:
                                open streams end, no stall (spotware: a new
                                certificate, announced)
  POST   /<broker>/auto-approve {"user":"trader"}  logins approve at once as
                                the user, no consent page ({"user":""}: off)
  POST   /<broker>/quote        {"symbol":"MSFT","last":"412.50"}  move a
                                price (a decimal string; bid and ask follow);
                                REST quotes and streams then carry it.
                                spotware: 501, its prices move by themselves
  POST   /<broker>/streams      {"cut":true}  end every open stream (clients
                                reconnect); answers {"cut": n}
                                {"stall":true|false}  streams stay open but
                                send no data (keep-alives go on) / resume
  GET    /<broker>/streams      {"open": n, "stalled": bool}
  POST   /<broker>/streams/burst {"symbol":"MSFT","n":1000}  n quote changes
                                (1-100000) to the open streams carrying the
                                symbol, back to back; spotware: 501
Durations are "90s", "1h", ... or numbers of seconds.

Example:
  brokerkit emulate tradestation &
  curl -s -X POST http://127.0.0.1:9400/tradestation/auto-approve -d '{"user":"trader"}'

Exit codes: 0 stopped by a signal; 1 a server could not start; 2 usage error.
`

// runEmulate runs `brokerkit emulate [broker…] [flags]` (args are the
// arguments after "emulate") until SIGINT or SIGTERM and returns the exit
// code: 0 after a signal, 1 when a server cannot start, 2 on a usage
// error.
func runEmulate(args []string, stdout, stderr io.Writer) int {
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		<-sigs
		cancel()
		// A second signal while the servers wait for slow requests ends
		// the command at once (the announcement is already gone).
		<-sigs
		fmt.Fprintln(stderr, "brokerkit emulate: stopped before every request finished")
		os.Exit(1)
	}()
	dir := ""
	if d, err := os.UserConfigDir(); err == nil {
		dir = filepath.Join(d, "brokerkit")
	} else {
		fmt.Fprintf(stderr, "brokerkit emulate: no configuration directory (%v): other brokerkit commands will not find this emulator\n", err)
	}
	return emulateUntil(ctx, args, dir, stdout, stderr)
}

// emulateUntil is runEmulate serving until ctx ends, announcing in dir
// ("" for no announcement file).
func emulateUntil(ctx context.Context, args []string, dir string, stdout, stderr io.Writer) int {
	o, mode, code := parseEmulate(args, stdout, stderr)
	if code >= 0 {
		return code
	}
	o.Dir = dir
	srv, err := emulate.Start(o)
	if err != nil {
		fmt.Fprintf(stderr, "brokerkit emulate: %s\n", strings.TrimPrefix(err.Error(), "emulate: "))
		var ue *providers.UnknownBrokerError
		if errors.As(err, &ue) || errors.Is(err, emulate.ErrBadOptions) {
			return 2
		}
		return 1
	}
	for _, b := range srv.Brokers() {
		if mode != "env" {
			line, err := json.Marshal(b)
			if err != nil {
				_ = srv.Close()
				fmt.Fprintf(stderr, "brokerkit emulate: %v\n", err)
				return 1
			}
			fmt.Fprintf(stdout, "%s\n", line)
		}
		if mode != "json" {
			for _, l := range b.Env() {
				fmt.Fprintln(stdout, l)
			}
		}
	}
	var names []string
	for _, b := range srv.Brokers() {
		names = append(names, b.Broker+" "+b.URL)
	}
	where := ""
	if dir != "" {
		where = "; announced in " + filepath.Join(dir, emulate.AnnouncementFile)
	}
	fmt.Fprintf(stderr, "brokerkit emulate: serving %s; admin API %s%s. These are local test credentials. Ctrl-C stops.\n",
		strings.Join(names, ", "), srv.AdminURL(), where)
	<-ctx.Done()
	if err := srv.Close(); err != nil {
		fmt.Fprintf(stderr, "brokerkit emulate: %v\n", err)
		return 1
	}
	fmt.Fprintln(stderr, "brokerkit emulate: stopped")
	return 0
}

// parseEmulate reads the arguments: the options, the output mode ("",
// "json" or "env"), and an exit code to return at once (-1 to go on).
func parseEmulate(args []string, stdout, stderr io.Writer) (emulate.Options, string, int) {
	var o emulate.Options
	var asJSON, asEnv bool
	fs := flag.NewFlagSet("emulate", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.BoolVar(&asJSON, "json", false, "")
	fs.BoolVar(&asEnv, "env", false, "")
	fs.BoolVar(&o.Public, "public", false, "")
	fs.Func("addr", "", func(v string) error {
		name, addr, ok := strings.Cut(v, "=")
		if !ok {
			if o.Addr != "" {
				return errors.New("the base address is given twice")
			}
			o.Addr = v
			return nil
		}
		name = strings.ToLower(strings.TrimSpace(name))
		if o.Addrs == nil {
			o.Addrs = map[string]string{}
		}
		if _, dup := o.Addrs[name]; dup {
			return fmt.Errorf("%s's address is given twice", name)
		}
		o.Addrs[name] = addr
		return nil
	})
	usage := func(err error) (emulate.Options, string, int) {
		fmt.Fprintf(stderr, "brokerkit emulate: %v\nRun 'brokerkit emulate -h' for usage.\n", err)
		return o, "", 2
	}
	// Broker names and flags may come in any order.
	for rest := args; ; {
		if err := fs.Parse(rest); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				fmt.Fprint(stdout, emulateHelp)
				return o, "", 0
			}
			return usage(err)
		}
		if fs.NArg() == 0 {
			break
		}
		if a := fs.Arg(0); a == "help" {
			fmt.Fprint(stdout, emulateHelp)
			return o, "", 0
		}
		o.Brokers = append(o.Brokers, fs.Arg(0))
		rest = fs.Args()[1:]
	}
	if asJSON && asEnv {
		return usage(errors.New("--json and --env exclude each other (give neither for both)"))
	}
	mode := ""
	switch {
	case asJSON:
		mode = "json"
	case asEnv:
		mode = "env"
	}
	return o, mode, -1
}
