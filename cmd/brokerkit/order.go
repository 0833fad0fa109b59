package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"slices"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/brokerkit/brokerkit/internal/redact"
	"github.com/brokerkit/brokerkit/providers"
)

// orderFlags are order place's flags.
type orderFlags struct {
	account, symbol, side, qty, typ, limit, stop, tif, clientID string
}

func orderPlaceCommand() *command {
	var f orderFlags
	c := &command{name: "order place",
		args:    "--account A --symbol S --side buy|sell --qty N [--type market|limit|stop|stop-limit] [--limit P] [--stop P] [--tif day|gtc|ioc|fok]",
		summary: "place an order",
		help: `Places one order and prints it as the broker accepted it. The broker is
--broker, else the one (among those with a stored login) that has the
account. Quantities and prices are exact decimals ("0.5", "123.45"). An
order the broker cannot express (a type or time in force it lacks) is
refused before anything is sent, with exit code 2. An order is never sent
twice: a failure after sending is reported, not retried.`,
		flags: func(fs *flag.FlagSet) {
			fs.StringVar(&f.account, "account", "", "the account ID (required; brokerkit accounts lists them)")
			fs.StringVar(&f.symbol, "symbol", "", "the instrument (required)")
			fs.StringVar(&f.side, "side", "", "buy or sell (required)")
			fs.StringVar(&f.qty, "qty", "", "the quantity, a positive decimal (required)")
			fs.StringVar(&f.typ, "type", "market", "market, limit, stop or stop-limit")
			fs.StringVar(&f.limit, "limit", "", "the limit price (limit and stop-limit orders)")
			fs.StringVar(&f.stop, "stop", "", "the stop price (stop and stop-limit orders)")
			fs.StringVar(&f.tif, "tif", "", "time in force: day, gtc, ioc or fok (default: the broker's)")
			fs.StringVar(&f.clientID, "client-order-id", "", "your ID for the order, where the broker takes one (makes placing idempotent)")
		},
	}
	c.run = func(ctx context.Context, a *app, args []string) int {
		if len(args) > 0 {
			return a.report("", usagef("order place takes flags only (got %q)", redact.TextN(strings.Join(args, " "), 60)))
		}
		req, err := f.request()
		if err != nil {
			return a.report("", err)
		}
		t, v, err := a.accountView(ctx, req.Account)
		if err != nil {
			return a.failJSON(a.broker, "order", nil, classified(a.broker, err))
		}
		defer func() { _ = v.Close() }()
		o, err := v.PlaceOrder(ctx, req)
		if err != nil {
			return a.failJSON(t.b.Name, "order", nil, classified(t.b.Name, err))
		}
		return a.printOrders([]orderJSON{orderOut(*o)}, "order")
	}
	return c
}

// request checks the flags and builds the order.
func (f *orderFlags) request() (providers.OrderRequest, error) {
	var missing []string
	for _, m := range []struct{ name, v string }{{"--account", f.account}, {"--symbol", f.symbol}, {"--side", f.side}, {"--qty", f.qty}} {
		if strings.TrimSpace(m.v) == "" {
			missing = append(missing, m.name)
		}
	}
	if len(missing) > 0 {
		return providers.OrderRequest{}, usagef("order place needs %s", strings.Join(missing, ", "))
	}
	side := providers.Side(strings.ToLower(f.side))
	if side != providers.Buy && side != providers.Sell {
		return providers.OrderRequest{}, usagef("--side must be buy or sell, not %q", redact.TextN(f.side, 20))
	}
	typ := providers.OrderType(strings.ToLower(f.typ))
	if !slices.Contains([]providers.OrderType{providers.Market, providers.Limit, providers.Stop, providers.StopLimit}, typ) {
		return providers.OrderRequest{}, usagef("--type must be market, limit, stop or stop-limit, not %q", redact.TextN(f.typ, 20))
	}
	tif := providers.TimeInForce(strings.ToLower(f.tif))
	if tif != "" && !slices.Contains([]providers.TimeInForce{providers.Day, providers.GTC, providers.IOC, providers.FOK}, tif) {
		return providers.OrderRequest{}, usagef("--tif must be day, gtc, ioc or fok, not %q", redact.TextN(f.tif, 20))
	}
	req := providers.OrderRequest{Account: f.account, Symbol: f.symbol, Side: side, Type: typ, TimeInForce: tif,
		ClientOrderID: f.clientID}
	for _, d := range []struct {
		name, v string
		to      *decimal.Decimal
	}{{"--qty", f.qty, &req.Quantity}, {"--limit", f.limit, &req.LimitPrice}, {"--stop", f.stop, &req.StopPrice}} {
		if d.v == "" {
			continue
		}
		n, err := decimal.NewFromString(d.v)
		if err != nil {
			return providers.OrderRequest{}, usagef("%s %q is not a decimal number", d.name, redact.TextN(d.v, 30))
		}
		*d.to = n
	}
	return req, nil
}

// accountView opens the view of the broker that has account: --broker,
// else the one broker with a stored login whose accounts include it.
func (a *app) accountView(ctx context.Context, account string) (*target, providers.View, error) {
	targets, err := a.targets(ctx)
	if err != nil {
		return nil, nil, err
	}
	open := func(t *target) (providers.View, error) { return openView(ctx, t) }
	if a.broker != "" {
		v, err := open(targets[0])
		return targets[0], v, err
	}
	var found []*target
	var views []providers.View
	var errs []error
	for _, t := range targets {
		v, err := open(t)
		if err == nil {
			var list []providers.Account
			if list, err = v.Accounts(ctx); err == nil &&
				slices.ContainsFunc(list, func(x providers.Account) bool { return x.ID == account }) {
				found, views = append(found, t), append(views, v)
				continue
			}
			_ = v.Close()
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", t.b.Name, classified(t.b.Name, err)))
		}
	}
	switch len(found) {
	case 1:
		return found[0], views[0], nil
	case 0:
		return nil, nil, errors.Join(append([]error{fmt.Errorf("no broker with a stored login has account %q (name one with --broker)",
			redact.TextN(account, 40))}, errs...)...)
	default:
		names := make([]string, len(found))
		for i, t := range found {
			names[i] = t.b.Name
			_ = views[i].Close()
		}
		return nil, nil, usagef("account %q is at %s: name one with --broker", redact.TextN(account, 40), strings.Join(names, " and "))
	}
}

// printOrders prints orders as a table or as {"<key>": ...} JSON (one
// object for "order", a list otherwise).
func (a *app) printOrders(list []orderJSON, key string) int {
	if a.json {
		var v any = list
		if key == "order" && len(list) == 1 {
			v = list[0]
		}
		if err := writeJSON(a.stdout, map[string]any{key: v, "errors": []jsonError{}}); err != nil {
			return a.report("", err)
		}
		return exitOK
	}
	tw := newTable(a.stdout, a.secretList(), orderHeader...)
	for _, o := range list {
		tw.row(orderRow(o)...)
	}
	if err := tw.flush(); err != nil {
		return a.report("", err)
	}
	return exitOK
}

func orderCancelCommand() *command {
	var account string
	c := &command{name: "order cancel", args: "--account A ORDERID", summary: "cancel an open order",
		help: `Cancels the open order ORDERID of account A, at --broker or at the broker that
has the account, then prints the order as the broker reports it.`,
		flags: func(fs *flag.FlagSet) {
			fs.StringVar(&account, "account", "", "the account ID (required)")
		},
	}
	c.run = func(ctx context.Context, a *app, args []string) int {
		switch {
		case account == "":
			return a.report("", usagef("order cancel needs --account"))
		case len(args) != 1:
			return a.report("", usagef("order cancel takes one order ID (got %d arguments)", len(args)))
		}
		t, v, err := a.accountView(ctx, account)
		if err != nil {
			return a.failJSON(a.broker, "order", nil, classified(a.broker, err))
		}
		defer func() { _ = v.Close() }()
		if err := v.CancelOrder(ctx, account, args[0]); err != nil {
			return a.failJSON(t.b.Name, "order", nil, classified(t.b.Name, err))
		}
		o, err := v.GetOrder(ctx, account, args[0])
		if err != nil {
			// Canceled all the same; the broker just cannot show it.
			o = &providers.Order{Broker: t.b.Name, AccountID: account, ID: args[0], Status: providers.StatusCanceled}
		}
		return a.printOrders([]orderJSON{orderOut(*o)}, "order")
	}
	return c
}
