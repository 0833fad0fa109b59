package main

import (
	"cmp"
	"context"
	"errors"
	"html/template"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/shopspring/decimal"

	"github.com/brokerkit/brokerkit/auth"
	"github.com/brokerkit/brokerkit/autoshares"
	"github.com/brokerkit/brokerkit/internal/redact"
	"github.com/brokerkit/brokerkit/providers"
)

// topN is how many winners and losers the movers widget shows.
const topN = 3

// topTraded is how many symbols the most-traded widget shows.
const topTraded = 5

// page is what the dashboard template shows.
type page struct {
	Emulated  bool
	CSRF      string // the session's token, for the logout forms
	Brokers   []panel
	TopProfit []providers.Position
	TopLoss   []providers.Position
	// NoPositions names the linked brokers whose positions cannot be read
	// (auth.ErrUnsupported); the movers widget leaves them out.
	NoPositions []string
	// Traded are the symbols with the most filled orders across brokers.
	Traded []traded
	// NoHistory names the linked brokers that give no order history, and
	// why; OrdersFailed those whose orders could not be read just now.
	// The most-traded widget shows both lines.
	NoHistory    []noHistory
	OrdersFailed []string
}

// traded is one row of the most-traded widget.
type traded struct {
	Symbol  string
	Orders  int      // filled orders across brokers and accounts
	Brokers []string // where it was traded, sorted
}

// noHistory is a broker the most-traded widget cannot count.
type noHistory struct{ Name, Why string }

// panel is one broker on the dashboard.
type panel struct {
	Name, Hint string
	Linked     bool
	UserID     string
	Accounts   []accountRow
	Err        string // why the broker's data could not be read, in words
	Reauth     bool   // Err asks for a new login
	Notice     string // what the user must do at the broker

	positions   []providers.Position
	noPositions bool // the broker answered ErrUnsupported for positions

	orders       []providers.Order
	noHistory    string // why the broker gives no order history ("" if it does)
	ordersFailed bool   // the broker's orders could not be read
}

type accountRow struct {
	providers.Account
	Balance *providers.Balance
	Err     string
}

// dashboard shows every linked account across brokers, with balances, and
// the positions with the highest profit and the highest loss among them.
func (a *app) dashboard(w http.ResponseWriter, r *http.Request) {
	s, ok := a.session(w, r, false) // a visitor who has not logged in needs no session
	if !ok {
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 20*time.Second)
	defer cancel()

	p := page{Emulated: a.emulated, Brokers: make([]panel, len(a.brokers))}
	var wg sync.WaitGroup
	for i, b := range a.brokers {
		p.Brokers[i] = panel{Name: b.name, Hint: b.hint}
		if s == nil {
			continue
		}
		if _, err := a.store.Load(ctx, auth.Key(b.name, s.user)); err != nil {
			continue // not linked (or the stored token is unusable: log in again)
		}
		wg.Go(func() { p.Brokers[i] = a.read(ctx, b, s.user) })
	}
	if s != nil {
		p.CSRF = s.csrf
	}
	wg.Wait()

	var all []providers.Position
	var orders []providers.Order
	for _, bp := range p.Brokers {
		all = append(all, bp.positions...)
		if bp.noPositions {
			p.NoPositions = append(p.NoPositions, bp.Name)
		}
		orders = append(orders, bp.orders...)
		switch {
		case bp.noHistory != "":
			p.NoHistory = append(p.NoHistory, noHistory{bp.Name, bp.noHistory})
		case bp.ordersFailed:
			p.OrdersFailed = append(p.OrdersFailed, bp.Name)
		}
	}
	p.TopProfit, p.TopLoss = movers(all, topN)
	p.Traded = mostTraded(orders, topTraded)

	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if err := dashboardPage.Execute(w, p); err != nil {
		a.log.Error("render dashboard", "err", err)
	}
}

// read fetches one broker's accounts, balances, positions and orders for
// user.
func (a *app) read(ctx context.Context, b *broker, user string) panel {
	bp := panel{Name: b.name, Hint: b.hint, Linked: true}
	if !b.entry.API.OrderHistory { // its order list holds working orders only
		bp.noHistory = "open orders only"
	}
	v, done, err := b.view(ctx, user)
	if err != nil {
		bp.Err, bp.Reauth = a.explain(b.name, "connect", err)
		bp.ordersFailed = true
		return bp
	}
	defer done()
	if prof, err := v.Profile(ctx); err == nil {
		bp.UserID = prof.UserID
	}
	if bp.Notice, err = b.notice(ctx, user); err != nil {
		bp.Notice = ""
		a.explain(b.name, "notice", err)
	}
	accts, err := v.Accounts(ctx)
	if err != nil {
		bp.Err, bp.Reauth = a.explain(b.name, "accounts", err)
		bp.ordersFailed = true
		return bp
	}
	for _, acct := range accts {
		row := accountRow{Account: acct}
		if bal, err := v.Balances(ctx, acct.ID); err != nil {
			row.Err, _ = a.explain(b.name, "balances", err)
		} else {
			row.Balance = bal
		}
		switch ps, err := v.Positions(ctx, acct.ID); {
		case errors.Is(err, auth.ErrUnsupported):
			bp.noPositions = true
		case err != nil:
			if msg, _ := a.explain(b.name, "positions", err); row.Err == "" {
				row.Err = msg
			}
		default:
			bp.positions = append(bp.positions, ps...)
		}
		if bp.noHistory == "" {
			switch list, err := v.ListOrders(ctx, acct.ID); {
			case errors.Is(err, auth.ErrUnsupported):
				bp.noHistory = "no order API"
			case err != nil:
				bp.ordersFailed = true
				if msg, _ := a.explain(b.name, "orders", err); row.Err == "" {
					row.Err = msg
				}
			default:
				bp.orders = append(bp.orders, list...)
			}
		}
		bp.Accounts = append(bp.Accounts, row)
	}
	return bp
}

// explain logs a failed read of broker (what says which) and returns
// what to tell the user: a fixed sentence for the kind of failure, never
// the error's text, and whether a new login would help.
func (a *app) explain(broker, what string, err error) (msg string, reauth bool) {
	a.log.Warn("read broker", "broker", broker, "what", what, "err", redact.Text(err.Error()))
	var pending *autoshares.AgreementsPendingError
	switch {
	case errors.Is(err, auth.ErrReauthRequired):
		return "Your " + broker + " login has expired or was withdrawn.", true
	case errors.As(err, &pending):
		return "Agreements to sign at AutoShares first: " + autoshares.AgreementTitles(pending.Agreements) + ".", false
	case errors.Is(err, context.DeadlineExceeded):
		return broker + " did not answer in time. Try again in a few minutes.", false
	}
	return broker + " is not answering as expected right now. Try again in a few minutes.", false
}

// movers returns up to n positions with the highest profit and up to n
// with the highest loss, by unrealized P/L. Positions whose P/L the broker
// did not report are left out.
func movers(ps []providers.Position, n int) (profit, loss []providers.Position) {
	ps = slices.DeleteFunc(slices.Clone(ps), func(p providers.Position) bool { return !p.UnrealizedPL.Valid })
	slices.SortStableFunc(ps, func(a, b providers.Position) int {
		return b.UnrealizedPL.Decimal.Cmp(a.UnrealizedPL.Decimal)
	})
	for _, p := range ps {
		if len(profit) < n && p.UnrealizedPL.Decimal.IsPositive() {
			profit = append(profit, p)
		}
	}
	for _, p := range slices.Backward(ps) {
		if len(loss) < n && p.UnrealizedPL.Decimal.IsNegative() {
			loss = append(loss, p)
		}
	}
	return profit, loss
}

// mostTraded counts the filled (also partly filled) orders per symbol
// and returns the n symbols with the most, ties by symbol, each with the
// brokers it was traded at.
func mostTraded(os []providers.Order, n int) []traded {
	by := map[string]*traded{}
	for _, o := range os {
		if o.Symbol == "" || (o.Status != providers.StatusFilled && !o.FilledQuantity.IsPositive()) {
			continue
		}
		t := by[o.Symbol]
		if t == nil {
			t = &traded{Symbol: o.Symbol}
			by[o.Symbol] = t
		}
		t.Orders++
		if !slices.Contains(t.Brokers, o.Broker) {
			t.Brokers = append(t.Brokers, o.Broker)
		}
	}
	out := make([]traded, 0, len(by))
	for _, t := range by {
		slices.Sort(t.Brokers)
		out = append(out, *t)
	}
	slices.SortFunc(out, func(a, b traded) int {
		return cmp.Or(cmp.Compare(b.Orders, a.Orders), cmp.Compare(a.Symbol, b.Symbol))
	})
	return out[:min(n, len(out))]
}

func money(d decimal.Decimal) string { return d.StringFixed(2) }

func nullMoney(d decimal.NullDecimal) string {
	if !d.Valid {
		return "–"
	}
	return d.Decimal.StringFixed(2)
}

var dashboardPage = template.Must(template.New("dashboard").Funcs(template.FuncMap{
	"money": money, "nullMoney": nullMoney,
}).Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>brokerkit dashboard</title>
<link rel="stylesheet" href="/style.css">
</head>
<body>
<h1>Your brokers</h1>
{{if .Emulated}}<p class="note">Running against in-process emulators: no real account is involved.</p>{{end}}

<h2>Biggest movers</h2>
<table id="movers">
<tr><th>Top profit</th><th>Broker</th><th>Account</th><th>Qty</th><th>P/L</th></tr>
{{range .TopProfit}}<tr class="profit"><td>{{.Symbol}}</td><td>{{.Broker}}</td><td>{{.AccountID}}</td><td class="n">{{.Quantity}}</td><td class="n">{{nullMoney .UnrealizedPL}}</td></tr>
{{else}}<tr><td colspan="5" class="note">no position in profit</td></tr>
{{end}}
<tr><th>Top loss</th><th></th><th></th><th></th><th></th></tr>
{{range .TopLoss}}<tr class="loss"><td>{{.Symbol}}</td><td>{{.Broker}}</td><td>{{.AccountID}}</td><td class="n">{{.Quantity}}</td><td class="n">{{nullMoney .UnrealizedPL}}</td></tr>
{{else}}<tr><td colspan="5" class="note">no position at a loss</td></tr>
{{end}}
</table>
{{with .NoPositions}}<p class="note">Not included, positions not available: {{range $i, $b := .}}{{if $i}}, {{end}}{{$b}}{{end}}.</p>{{end}}

<h2>Most traded</h2>
<p class="note">Filled orders (partly filled ones too) per symbol, across all linked brokers and accounts, from each broker's order list.</p>
<table id="traded">
<tr><th>Symbol</th><th>Filled orders</th><th>Traded at</th></tr>
{{range .Traded}}<tr class="traded"><td>{{.Symbol}}</td><td class="n">{{.Orders}}</td><td>{{range $i, $b := .Brokers}}{{if $i}}, {{end}}{{$b}}{{end}}</td></tr>
{{else}}<tr><td colspan="3" class="note">no filled order</td></tr>
{{end}}
</table>
{{with .NoHistory}}<p class="note" id="no-history">No order history from: {{range $i, $b := .}}{{if $i}}, {{end}}{{$b.Name}} ({{$b.Why}}){{end}}.</p>{{end}}
{{with .OrdersFailed}}<p class="note" id="orders-failed">Not included, orders could not be read just now: {{range $i, $b := .}}{{if $i}}, {{end}}{{$b}}{{end}}.</p>{{end}}

{{range $b := .Brokers}}
<section id="broker-{{.Name}}">
<h2>{{.Name}}</h2>
{{if .Linked}}
<p>Linked{{with .UserID}} as {{.}}{{end}}.
<form method="post" action="/logout/{{.Name}}" class="inline"><input type="hidden" name="csrf" value="{{$.CSRF}}"><button id="logout-{{.Name}}">Log out</button></form></p>
{{with .Notice}}<p class="notice">Before you trade: {{.}}.</p>{{end}}
{{with .Err}}<p class="loss">{{.}}{{if $b.Reauth}} <a href="/login/{{$b.Name}}">Log in again</a>{{end}}</p>{{end}}
{{if .Accounts}}
<table>
<tr><th>Account</th><th>Type</th><th>Currency</th><th>Cash</th><th>Equity</th><th>Buying power</th><th></th></tr>
{{range .Accounts}}<tr><td>{{.ID}}{{with .Name}} ({{.}}){{end}}</td><td>{{.Type}}{{if not .Live}} (demo){{end}}</td>
{{with .Balance}}<td>{{.Currency}}</td><td class="n">{{money .Cash}}</td><td class="n">{{nullMoney .Equity}}</td><td class="n">{{nullMoney .BuyingPower}}</td>{{else}}<td></td><td></td><td></td><td></td>{{end}}
<td class="note">{{.Err}}</td></tr>
{{end}}
</table>
{{end}}
{{else}}
<p><a href="/login/{{.Name}}" id="link-{{.Name}}">Link your {{.Name}} account</a>{{with .Hint}} <span class="note">({{.}})</span>{{end}}</p>
{{end}}
</section>
{{end}}
</body>
</html>
`))

// style is the pages' style sheet, served from the app so that the
// content security policy needs no 'unsafe-inline'.
const style = `body { font-family: system-ui, sans-serif; margin: 2rem; }
table { border-collapse: collapse; margin-bottom: 1rem; }
td, th { padding: .2rem .8rem; text-align: left; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
.profit { color: #080; } .loss { color: #b00; } .note { color: #666; }
form.inline { display: inline; }
`

func serveStyle(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Header().Set("Cache-Control", "max-age=3600")
	_, _ = w.Write([]byte(style))
}
