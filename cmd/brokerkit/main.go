package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/brokerkit/brokerkit/internal/redact"
	"github.com/brokerkit/brokerkit/providers"
)

func main() {
	args := os.Args[1:]
	if len(args) > 0 && args[0] == "emulate" {
		// The emulators handle their own signals (a clean shutdown).
		os.Exit(runEmulate(args[1:], os.Stdout, os.Stderr))
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, args, os.Stdout, os.Stderr, os.Getenv, os.Environ())
	stop()
	os.Exit(code)
}

// command is one brokerkit command.
type command struct {
	name    string // "accounts", "order place"
	args    string // the synopsis after the name
	summary string // one line for the command list
	help    string // the rest of `brokerkit help <name>`
	// flags adds the command's own flags; the common ones (--broker,
	// --json) are added for every command.
	flags func(fs *flag.FlagSet)
	run   func(ctx context.Context, a *app, args []string) int
}

// commands are the user commands, in the order help lists them.
func commands() []*command {
	return []*command{
		loginCommand(), statusCommand(), logoutCommand(),
		accountsCommand(), balancesCommand(), positionsCommand(), quotesCommand(), ordersCommand(),
		orderPlaceCommand(), orderCancelCommand(), streamQuotesCommand(),
		{name: "emulate", args: "[broker…] [flags]", summary: "serve the broker emulators for apps in any language (brokerkit emulate -h)"},
	}
}

// lookupCommand finds the command args start with ("order place" takes
// two words) and returns it with the remaining arguments.
func lookupCommand(args []string) (*command, []string) {
	for _, c := range commands() {
		words := strings.Fields(c.name)
		if len(args) >= len(words) && strings.EqualFold(strings.Join(args[:len(words)], " "), c.name) {
			return c, args[len(words):]
		}
	}
	return nil, args
}

// run is the command line minus the program name; it returns the exit
// code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string, environ []string) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, mainHelp())
		return exitUsage
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		return runHelp(args[1:], stdout, stderr)
	case "emulate":
		return runEmulate(args[1:], stdout, stderr)
	}
	c, rest := lookupCommand(args)
	if c == nil {
		if group := groupHelp(args[0]); group != "" {
			if len(args) > 1 && (args[1] == "-h" || args[1] == "-help" || args[1] == "--help") {
				fmt.Fprint(stdout, group)
				return exitOK
			}
			fmt.Fprintf(stderr, "brokerkit: %s needs a subcommand\n\n%s", args[0], group)
			return exitUsage
		}
		fmt.Fprintf(stderr, "brokerkit: unknown command %q (run brokerkit help)\n", redact.TextN(args[0], 40))
		return exitUsage
	}
	a := &app{stdout: stdout, stderr: stderr, getenv: getenv, environ: environ, reg: providers.Builtin()}
	fs := flag.NewFlagSet("brokerkit "+c.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&a.broker, "broker", "", "work on this broker only (default: every broker with a stored login)")
	fs.BoolVar(&a.json, "json", false, "print one JSON document on stdout instead of a table")
	if c.flags != nil {
		c.flags(fs)
	}
	pos, err := parseInterleaved(fs, rest)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(stdout, commandHelp(c, fs))
		return exitOK
	}
	if err != nil {
		fmt.Fprintf(stderr, "brokerkit %s: %s\nRun: brokerkit help %s\n", c.name, redact.Text(err.Error()), c.name)
		return exitUsage
	}
	return c.run(ctx, a, pos)
}

// parseInterleaved parses flags that may come before, between or after the
// positional arguments ("quotes MSFT --json"), and returns the positional
// ones. After "--" everything is positional.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		// fs.Parse stops at "--" having consumed it, or at the first
		// positional argument.
		if consumed := len(args) - len(rest); consumed > 0 && args[consumed-1] == "--" {
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// runHelp answers `brokerkit help [command]`.
func runHelp(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stdout, mainHelp())
		return exitOK
	}
	if args[0] == "emulate" {
		return runEmulate([]string{"-h"}, stdout, stderr)
	}
	c, rest := lookupCommand(args)
	if group := groupHelp(args[0]); c == nil && len(args) == 1 && group != "" {
		fmt.Fprint(stdout, group)
		return exitOK
	}
	if c == nil || len(rest) > 0 {
		fmt.Fprintf(stderr, "brokerkit help: unknown command %q (run brokerkit help)\n", redact.TextN(strings.Join(args, " "), 60))
		return exitUsage
	}
	fs := flag.NewFlagSet("brokerkit "+c.name, flag.ContinueOnError)
	fs.String("broker", "", "work on this broker only (default: every broker with a stored login)")
	fs.Bool("json", false, "print one JSON document on stdout instead of a table")
	if c.flags != nil {
		c.flags(fs)
	}
	fmt.Fprint(stdout, commandHelp(c, fs))
	return exitOK
}

// groupHelp lists the subcommands of a command group ("order",
// "stream"), or is "" when word is none.
func groupHelp(word string) string {
	var b strings.Builder
	for _, c := range commands() {
		if w, _, ok := strings.Cut(c.name, " "); ok && w == word {
			fmt.Fprintf(&b, "  brokerkit %s %s\n      %s\n", c.name, c.args, c.summary)
		}
	}
	if b.Len() == 0 {
		return ""
	}
	return "usage:\n" + b.String() + "\nRun brokerkit help " + word + " <subcommand> for its flags.\n"
}

// commandHelp is the help of one command, its flags included.
func commandHelp(c *command, fs *flag.FlagSet) string {
	var b strings.Builder
	fmt.Fprintf(&b, "usage: brokerkit %s %s\n\n%s\n", c.name, c.args, strings.TrimSpace(c.help))
	b.WriteString("\nFlags:\n")
	fs.SetOutput(&b)
	fs.PrintDefaults()
	fs.SetOutput(io.Discard)
	b.WriteString(exitCodesHelp)
	return b.String()
}

const exitCodesHelp = `
Exit codes:
  0  ok
  1  failure
  2  usage error (bad arguments, or an order refused before it was sent)
  3  login needed: no stored token, or the broker refused it (run brokerkit login <broker>)
  4  partial result: some symbols or accounts were served, others not
  5  broker unavailable or rate-limited: try again later
With several brokers the code is the first of 2, 3, 5, 1, 4 that applies;
the output still holds what the other brokers answered.
`

// mainHelp is `brokerkit help`.
func mainHelp() string {
	var b strings.Builder
	b.WriteString(`brokerkit logs in to retail brokers and shows accounts, balances, positions,
quotes and orders across them, from a terminal or a script.

usage: brokerkit <command> [arguments] [--broker NAME] [--json]

Commands:
`)
	for _, c := range commands() {
		fmt.Fprintf(&b, "  %-14s %s\n", c.name, c.summary)
	}
	fmt.Fprintf(&b, `
Run brokerkit help <command> (or brokerkit <command> -h) for its flags.

Brokers: %s.
--broker NAME works on one; without it, a command works on every broker
with a stored login.

`, strings.Join(providers.Names(), ", "))
	b.WriteString(configHelp)
	b.WriteString(exitCodesHelp)
	return b.String()
}

// configHelp says where the configuration and the tokens are.
const configHelp = `Configuration: each broker reads BROKERKIT_<BROKER>_* variables, exactly the
lines brokerkit emulate prints, e.g. for TradeStation:
  BROKERKIT_TRADESTATION_CLIENT_ID     the application's API key
  BROKERKIT_TRADESTATION_CLIENT_SECRET its secret
  BROKERKIT_TRADESTATION_REDIRECT_URL  a loopback callback registered with the
                                       broker, e.g. http://localhost:3000/callback
  BROKERKIT_TRADESTATION_ENVIRONMENT   live or sim
  BROKERKIT_TRADESTATION_BASE_URL      one host for every endpoint (an emulator)
(AutoShares also needs _DOMAIN and _API_KEY.) A broker with none of its
variables set uses a running brokerkit emulate, which announces itself in
<config>/brokerkit/emulate.json, and says so on stderr (status in its WHERE
column).

Tokens: encrypted with AES-256-GCM, one file per broker login, in
<config>/brokerkit/tokens/ (mode 0700), where <config> is os.UserConfigDir():
$XDG_CONFIG_HOME or ~/.config on Linux, ~/Library/Application Support on
macOS, %AppData% on Windows. The key is BROKERKIT_TOKEN_KEY (64 hex digits,
e.g. from a key ring: openssl rand -hex 32) when set, else the file
<config>/brokerkit/token.key (mode 0600), created on first use. Tokens of an
emulator are kept apart from the real broker's (the emulator's URL is part
of their key). No command prints a token, a secret, a code or a verifier.
`
