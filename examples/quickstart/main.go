// Command quickstart shows brokerkit working end to end in one command:
//
//	go run ./examples/quickstart
//
// It starts an in-process emulator of each of the four brokers, logs in to
// each one the way a real app does (auth.Begin, the user's consent, which an
// emulator's browser helper plays here, then Flow.Complete), and prints, per
// broker, the user, the accounts with their balances and three quotes,
// through the one normalized view of package providers. It ends with the
// capability table of all brokers. No broker account, network or flag is
// needed, and it finishes in a few seconds.
//
// To use a real broker instead of its emulator, set its environment
// variables (see providers.EnvVars), for example BROKERKIT_TRADESTATION_CLIENT_ID,
// BROKERKIT_TRADESTATION_ENVIRONMENT=sim and
// BROKERKIT_TRADESTATION_REDIRECT_URL=http://localhost:3000/callback:
// quickstart then prints the broker's login URL and waits for the redirect
// on that loopback address.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/providers"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Stdout, os.Getenv); err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
}

// session is one logged-in broker: its normalized view, what to quote, and
// how to let go of it.
type session struct {
	title   string
	where   string
	token   *auth.Token
	view    providers.View
	symbols []string
	close   func()
}

func run(ctx context.Context, out io.Writer, getenv func(string) string) error {
	return runWith(ctx, out, providers.Builtin(), getenv)
}

// runWith is run over the brokers of r.
func runWith(ctx context.Context, out io.Writer, r *providers.Registry, getenv func(string) string) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()

	fmt.Fprintln(out, "brokerkit quickstart: four brokers, one SDK")
	fmt.Fprintln(out, "Each broker runs as an in-process emulator unless its BROKERKIT_<BROKER>_* variables are set.")
	var failed []string
	names := r.Names()
	for _, name := range names {
		b, err := r.Lookup(name)
		if err != nil {
			return err
		}
		s, err := connect(ctx, out, r, b, getenv)
		if err == nil {
			err = report(ctx, out, s)
			s.close()
		}
		if err != nil {
			fmt.Fprintf(out, "\n== %s\n  error: %v\n", b.Title, err)
			failed = append(failed, err.Error())
		}
	}
	fmt.Fprintln(out, "\nWhat each broker supports (providers.WriteTable):")
	fmt.Fprintln(out)
	var table strings.Builder
	if err := r.WriteTable(&table); err != nil {
		return err
	}
	for _, line := range strings.SplitAfter(table.String(), "\n") {
		if line = strings.TrimRight(line, " \n"); line != "" {
			fmt.Fprintln(out, "  "+line)
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("%d of %d brokers failed: %s", len(failed), len(names), strings.Join(failed, "; "))
	}
	fmt.Fprintln(out, "\nNext: go doc github.com/brokerkit/brokerkit/auth, and the other programs in examples/.")
	return nil
}

// report prints one broker's user, accounts with balances, and quotes.
func report(ctx context.Context, out io.Writer, s *session) error {
	fmt.Fprintf(out, "\n== %s (%s)\n", s.title, s.where)
	prof, err := s.view.Profile(ctx)
	if err != nil {
		return err
	}
	who := "user " + prof.UserID
	if prof.Name != "" {
		who = fmt.Sprintf("%s (user %s)", prof.Name, prof.UserID)
	}
	fmt.Fprintf(out, "  Logged in as %s. %s\n", who, describeToken(s.token))

	accounts, err := s.view.Accounts(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "  Accounts (%d):\n", len(accounts))
	for _, a := range accounts {
		kind := orDash(a.Type)
		if !a.Live && !strings.Contains(strings.ToLower(kind), "demo") {
			kind += " (demo)"
		}
		b, err := s.view.Balances(ctx, a.ID)
		if err != nil {
			// One account the session may not read (a live account on a
			// demo connection, say) does not hide the others.
			fmt.Fprintf(out, "    %-18s %-16s balance unavailable: %v\n", a.ID, kind, err)
			continue
		}
		cur := b.Currency
		if cur == "" {
			cur = a.Currency
		}
		line := fmt.Sprintf("    %-18s %-16s cash %13s %-3s", a.ID, kind, money(b.Cash), cur)
		if b.Equity.Valid {
			line += fmt.Sprintf("   equity %13s", money(b.Equity.Decimal))
		}
		fmt.Fprintln(out, strings.TrimRight(line, " "))
	}

	quotes, err := s.view.Quotes(ctx, s.symbols...)
	var partial *providers.PartialError
	if err != nil && !errors.As(err, &partial) {
		return err
	}
	fmt.Fprintf(out, "  Quotes:\n")
	for _, q := range quotes {
		line := fmt.Sprintf("    %-8s bid %-11s ask %-11s", q.Symbol, price(q.Bid.Decimal), price(q.Ask.Decimal))
		if q.Last.Valid {
			line += " last " + price(q.Last.Decimal)
		}
		fmt.Fprintln(out, strings.TrimRight(line, " "))
	}
	if partial != nil {
		fmt.Fprintf(out, "    (not quoted: %v)\n", partial)
	}
	return nil
}

func describeToken(t *auth.Token) string {
	var parts []string
	if !t.Expiry.IsZero() {
		parts = append(parts, "Token valid for "+human(time.Until(t.Expiry)))
	} else {
		parts = append(parts, "Token without a stated expiry")
	}
	if t.RefreshToken != "" {
		parts = append(parts, "renewed by its refresh token")
	} else {
		parts = append(parts, "no refresh token")
	}
	return strings.Join(parts, ", ") + "."
}

// human shows d in days, hours and minutes, as far as they matter.
func human(d time.Duration) string {
	d = d.Round(time.Minute)
	days, d := d/(24*time.Hour), d%(24*time.Hour)
	hours, mins := d/time.Hour, (d%time.Hour)/time.Minute
	var parts []string
	if days > 0 {
		parts = append(parts, fmt.Sprintf("%d day%s", days, plural(int(days))))
	}
	if hours > 0 {
		parts = append(parts, fmt.Sprintf("%d h", hours))
	}
	if mins > 0 && days == 0 {
		parts = append(parts, fmt.Sprintf("%d min", mins))
	}
	if len(parts) == 0 {
		return "under a minute"
	}
	return strings.Join(parts, " ")
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
