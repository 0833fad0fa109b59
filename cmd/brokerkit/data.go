package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/brokerkit/brokerkit/internal/redact"
	"github.com/brokerkit/brokerkit/providers"
)

// brokerResult is what one broker answered a data command.
type brokerResult[T any] struct {
	t     *target
	items []T
	err   error
}

// fanOut runs f against the view of every target at once and returns the
// answers in the targets' order.
func fanOut[T any](ctx context.Context, targets []*target, f func(context.Context, providers.View) ([]T, error)) []brokerResult[T] {
	out := make([]brokerResult[T], len(targets))
	var wg sync.WaitGroup
	for i, t := range targets {
		out[i].t = t
		wg.Go(func() {
			v, err := openView(ctx, t)
			if err != nil {
				out[i].err = err
				return
			}
			defer func() { _ = v.Close() }()
			items, err := f(ctx, v)
			out[i].items, out[i].err = items, classified(t.b.Name, err)
		})
	}
	wg.Wait()
	return out
}

// openView opens the target's view.
func openView(ctx context.Context, t *target) (providers.View, error) {
	if t.broken != nil {
		return nil, t.broken
	}
	_, announced := t.p.(*announcedSession)
	if _, ok := t.p.(sessionProvider); ok && t.cfg.BaseURL != "" && !announced {
		// Its session would go to the broker's real hosts, which an
		// emulator's token (or another host's) must never reach.
		if t.announced && t.noSession != nil {
			return nil, fmt.Errorf("%s: %w", t.b.Title, t.noSession)
		}
		return nil, fmt.Errorf("%s's API is a session on the broker's own hosts, which BASE_URL does not move: "+
			"this command reaches it only at the real broker (unset %s%s_BASE_URL)",
			t.b.Title, providers.EnvPrefix, strings.ToUpper(t.b.Name))
	}
	v, err := t.b.View(ctx, t.p, t.tokens.Source(t.user))
	if as, ok := t.p.(*announcedSession); ok && err != nil {
		if why := as.whyFailed(ctx); why != nil {
			return nil, why
		}
	}
	return v, classified(t.b.Name, err)
}

// classified turns an error meaning "log in again" into a *loginNeeded
// naming the broker; others pass.
func classified(broker string, err error) error {
	var ln *loginNeeded
	if err == nil || errors.As(err, &ln) || exitCode(err) != exitLogin {
		return err
	}
	return &loginNeeded{broker: broker, err: err}
}

// finish reports every broker's error on stderr and returns the JSON form
// of them and the run's exit code.
func finish[T any](a *app, results []brokerResult[T]) ([]jsonError, int) {
	errs := []jsonError{}
	var codes []int
	for _, r := range results {
		if r.err == nil {
			continue
		}
		code := a.report(r.t.b.Name, r.err)
		codes = append(codes, code)
		je := jsonError{Broker: r.t.b.Name, Error: a.message(r.t.b.Name, r.err), ExitCode: code}
		var pe *providers.PartialError
		if errors.As(r.err, &pe) {
			je.Failed = pe.Failed
		}
		errs = append(errs, je)
	}
	return errs, worst(codes...)
}

// dataCommand runs a data command: the targets, f over each, then print.
func dataCommand[T any](ctx context.Context, a *app, f func(context.Context, providers.View) ([]T, error),
	jsonKey string, header []string, row func(T) []string) int {
	targets, err := a.targets(ctx)
	if err != nil {
		return a.failJSON(a.broker, jsonKey, []T{}, classified(a.broker, err))
	}
	results := fanOut(ctx, targets, f)
	// An account named on the command line is at one of the brokers: the
	// others' "not here" is no failure, unless none has it.
	absent := 0
	for _, r := range results {
		if errors.Is(r.err, errNoSuchAccount) {
			absent++
		}
	}
	for i := range results {
		if absent < len(results) && errors.Is(results[i].err, errNoSuchAccount) {
			results[i].err = nil
		}
	}
	var all []T
	for _, r := range results {
		all = append(all, r.items...)
	}
	errs, code := finish(a, results)
	if a.json {
		if all == nil {
			all = []T{}
		}
		if err := writeJSON(a.stdout, map[string]any{jsonKey: all, "errors": errs}); err != nil {
			return a.report("", err)
		}
		return code
	}
	tw := newTable(a.stdout, a.secretList(), header...)
	for _, item := range all {
		tw.row(row(item)...)
	}
	if err := tw.flush(); err != nil {
		return a.report("", err)
	}
	return code
}

// failJSON reports err, a failure of the whole command, on stderr and,
// with --json, as the command's document: {"<key>": empty, "errors": [...]}.
func (a *app) failJSON(broker, key string, empty any, err error) int {
	code := a.report(broker, err)
	if a.json {
		_ = writeJSON(a.stdout, map[string]any{key: empty,
			"errors": []jsonError{{Broker: broker, Error: a.message(broker, err), ExitCode: code}}})
	}
	return code
}

// noArgs refuses positional arguments.
func noArgs(a *app, name string, args []string) int {
	if len(args) > 0 {
		return a.report("", usagef("%s takes no arguments (got %q)", name, redact.TextN(strings.Join(args, " "), 60)))
	}
	return -1
}

// accountJSON is an account in JSON output.
type accountJSON struct {
	Broker   string `json:"broker"`
	ID       string `json:"id"`
	Name     string `json:"name,omitempty"`
	Type     string `json:"type,omitempty"`
	Currency string `json:"currency,omitempty"`
	Live     bool   `json:"live"`
}

func accountsCommand() *command {
	c := &command{name: "accounts", args: "[--broker NAME] [--json]", summary: "list trading accounts",
		help: "Lists the trading accounts of every broker with a stored login (or of --broker)."}
	c.run = func(ctx context.Context, a *app, args []string) int {
		if code := noArgs(a, c.name, args); code >= 0 {
			return code
		}
		return dataCommand(ctx, a, func(ctx context.Context, v providers.View) ([]accountJSON, error) {
			list, err := v.Accounts(ctx)
			out := make([]accountJSON, len(list))
			for i, x := range list {
				out[i] = accountJSON{x.Broker, x.ID, x.Name, x.Type, x.Currency, x.Live}
			}
			return out, err
		}, "accounts", []string{"BROKER", "ACCOUNT", "NAME", "TYPE", "CURRENCY", "LIVE"}, func(x accountJSON) []string {
			live := "no"
			if x.Live {
				live = "yes"
			}
			return []string{x.Broker, x.ID, orDash(x.Name), orDash(x.Type), orDash(x.Currency), live}
		})
	}
	return c
}

// accountScoped runs per on the account args name (at most one), or on
// every account of the view when none is named. A view without the named
// account gives nothing (another broker may have it).
func accountScoped[T any](args []string, per func(ctx context.Context, v providers.View, account string) ([]T, error)) func(context.Context, providers.View) ([]T, error) {
	return func(ctx context.Context, v providers.View) ([]T, error) {
		accounts, err := v.Accounts(ctx)
		if err != nil {
			return nil, err
		}
		if len(args) == 1 && !slices.ContainsFunc(accounts, func(x providers.Account) bool { return x.ID == args[0] }) {
			return nil, fmt.Errorf("account %q: %w", redact.TextN(args[0], 40), errNoSuchAccount)
		}
		var out []T
		var errs []error
		for _, acc := range accounts {
			if len(args) == 1 && acc.ID != args[0] {
				continue
			}
			items, err := per(ctx, v, acc.ID)
			out = append(out, items...)
			if err != nil {
				errs = append(errs, fmt.Errorf("account %s: %w", acc.ID, err))
			}
		}
		return out, errors.Join(errs...)
	}
}

// errNoSuchAccount says a broker has no account of the ID the command
// line names.
var errNoSuchAccount = errors.New("no such account at this broker")

// accountArg checks the optional ACCOUNT argument.
func accountArg(a *app, name string, args []string) int {
	if len(args) > 1 {
		return a.report("", usagef("%s takes at most one account (got %d arguments)", name, len(args)))
	}
	return -1
}

// balanceJSON is an account's balance in JSON output.
type balanceJSON struct {
	Broker      string  `json:"broker"`
	Account     string  `json:"account"`
	Currency    string  `json:"currency,omitempty"`
	Cash        string  `json:"cash"`
	Equity      *string `json:"equity"`
	BuyingPower *string `json:"buying_power"`
}

func balancesCommand() *command {
	c := &command{name: "balances", args: "[ACCOUNT] [--broker NAME] [--json]", summary: "show cash, equity and buying power",
		help: "Shows the money figures of ACCOUNT, or of every account. A figure the broker\ndoes not report shows as - (null in JSON)."}
	c.run = func(ctx context.Context, a *app, args []string) int {
		if code := accountArg(a, c.name, args); code >= 0 {
			return code
		}
		return dataCommand(ctx, a, accountScoped(args, func(ctx context.Context, v providers.View, acc string) ([]balanceJSON, error) {
			b, err := v.Balances(ctx, acc)
			if err != nil {
				return nil, err
			}
			return []balanceJSON{{b.Broker, b.AccountID, b.Currency, dec(b.Cash), decPtr(b.Equity), decPtr(b.BuyingPower)}}, nil
		}), "balances", []string{"BROKER", "ACCOUNT", "CURRENCY", "CASH", "EQUITY", "BUYING POWER"}, func(x balanceJSON) []string {
			return []string{x.Broker, x.Account, orDash(x.Currency), x.Cash, strOpt(x.Equity), strOpt(x.BuyingPower)}
		})
	}
	return c
}

func strOpt(s *string) string {
	if s == nil {
		return "-"
	}
	return *s
}

// positionJSON is a position in JSON output.
type positionJSON struct {
	Broker       string  `json:"broker"`
	Account      string  `json:"account"`
	Symbol       string  `json:"symbol"`
	Quantity     string  `json:"quantity"`
	AveragePrice string  `json:"average_price"`
	MarketPrice  *string `json:"market_price"`
	MarketValue  *string `json:"market_value"`
	UnrealizedPL *string `json:"unrealized_pl"`
}

func positionsCommand() *command {
	c := &command{name: "positions", args: "[ACCOUNT] [--broker NAME] [--json]", summary: "list open positions",
		help: "Lists the open positions of ACCOUNT, or of every account. Quantities are\nsigned: negative is short."}
	c.run = func(ctx context.Context, a *app, args []string) int {
		if code := accountArg(a, c.name, args); code >= 0 {
			return code
		}
		return dataCommand(ctx, a, accountScoped(args, func(ctx context.Context, v providers.View, acc string) ([]positionJSON, error) {
			list, err := v.Positions(ctx, acc)
			out := make([]positionJSON, len(list))
			for i, p := range list {
				out[i] = positionJSON{p.Broker, p.AccountID, p.Symbol, dec(p.Quantity), dec(p.AveragePrice),
					decPtr(p.MarketPrice), decPtr(p.MarketValue), decPtr(p.UnrealizedPL)}
			}
			return out, err
		}), "positions", []string{"BROKER", "ACCOUNT", "SYMBOL", "QTY", "AVG PRICE", "PRICE", "VALUE", "UNREALIZED P/L"},
			func(x positionJSON) []string {
				return []string{x.Broker, x.Account, x.Symbol, x.Quantity, x.AveragePrice, strOpt(x.MarketPrice),
					strOpt(x.MarketValue), strOpt(x.UnrealizedPL)}
			})
	}
	return c
}

// quoteJSON is a quote in JSON output.
type quoteJSON struct {
	Broker string     `json:"broker"`
	Symbol string     `json:"symbol"`
	Bid    *string    `json:"bid"`
	Ask    *string    `json:"ask"`
	Last   *string    `json:"last"`
	Time   *time.Time `json:"time,omitempty"`
}

func quoteOut(q providers.Quote) quoteJSON {
	return quoteJSON{q.Broker, q.Symbol, decPtr(q.Bid), decPtr(q.Ask), decPtr(q.Last), timePtr(q.Time)}
}

func quoteRow(x quoteJSON) []string {
	when := "-"
	if x.Time != nil {
		// The time alone for today's quotes, with the date for older ones.
		when = x.Time.Local().Format(time.DateTime)
		if y, m, d := x.Time.Local().Date(); y == time.Now().Year() && m == time.Now().Month() && d == time.Now().Day() {
			when = x.Time.Local().Format(time.TimeOnly)
		}
	}
	return []string{x.Broker, x.Symbol, strOpt(x.Bid), strOpt(x.Ask), strOpt(x.Last), when}
}

var quoteHeader = []string{"BROKER", "SYMBOL", "BID", "ASK", "LAST", "TIME"}

func quotesCommand() *command {
	c := &command{name: "quotes", args: "SYMBOL… [--broker NAME] [--json]", summary: "show the latest prices of symbols",
		help: `Shows the latest bid, ask and last price of each SYMBOL at every broker with a
stored login (or at --broker). A symbol a broker does not know is named on
stderr (and under "errors" in JSON) and the command exits 4 (partial result)
while the other quotes are shown.`}
	c.run = func(ctx context.Context, a *app, args []string) int {
		if len(args) == 0 {
			return a.report("", usagef("quotes needs at least one symbol"))
		}
		return dataCommand(ctx, a, func(ctx context.Context, v providers.View) ([]quoteJSON, error) {
			list, err := v.Quotes(ctx, args...)
			out := make([]quoteJSON, len(list))
			for i, q := range list {
				out[i] = quoteOut(q)
			}
			return out, err
		}, "quotes", quoteHeader, quoteRow)
	}
	return c
}

// orderJSON is an order in JSON output.
type orderJSON struct {
	Broker         string  `json:"broker"`
	Account        string  `json:"account"`
	ID             string  `json:"id"`
	ClientOrderID  string  `json:"client_order_id,omitempty"`
	Symbol         string  `json:"symbol"`
	Side           string  `json:"side"`
	Type           string  `json:"type"`
	TimeInForce    string  `json:"time_in_force,omitempty"`
	Status         string  `json:"status"`
	Quantity       string  `json:"quantity"`
	FilledQuantity string  `json:"filled_quantity"`
	LimitPrice     *string `json:"limit_price"`
	StopPrice      *string `json:"stop_price"`
	FillPrice      *string `json:"fill_price"`
}

func orderOut(o providers.Order) orderJSON {
	return orderJSON{o.Broker, o.AccountID, o.ID, o.ClientOrderID, o.Symbol, string(o.Side), string(o.Type),
		string(o.TimeInForce), string(o.Status), dec(o.Quantity), dec(o.FilledQuantity),
		decNonZero(o.LimitPrice), decNonZero(o.StopPrice), decNonZero(o.FillPrice)}
}

var orderHeader = []string{"BROKER", "ACCOUNT", "ORDER", "SYMBOL", "SIDE", "TYPE", "QTY", "FILLED", "LIMIT", "STOP", "TIF", "STATUS"}

func orderRow(x orderJSON) []string {
	return []string{x.Broker, x.Account, x.ID, x.Symbol, x.Side, x.Type, x.Quantity, x.FilledQuantity,
		strOpt(x.LimitPrice), strOpt(x.StopPrice), orDash(x.TimeInForce), x.Status}
}

func ordersCommand() *command {
	c := &command{name: "orders", args: "[ACCOUNT] [--broker NAME] [--json]", summary: "list open (and the day's) orders",
		help: "Lists the open orders of ACCOUNT, or of every account (and the day's finished\nones where the broker reports them in the same call)."}
	c.run = func(ctx context.Context, a *app, args []string) int {
		if code := accountArg(a, c.name, args); code >= 0 {
			return code
		}
		return dataCommand(ctx, a, accountScoped(args, func(ctx context.Context, v providers.View, acc string) ([]orderJSON, error) {
			list, err := v.ListOrders(ctx, acc)
			out := make([]orderJSON, len(list))
			for i, o := range list {
				out[i] = orderOut(o)
			}
			return out, err
		}), "orders", orderHeader, orderRow)
	}
	return c
}
