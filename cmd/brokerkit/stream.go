package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/brokerkit/brokerkit/internal/redact"
	"github.com/brokerkit/brokerkit/providers"
	"github.com/brokerkit/brokerkit/stream"
)

func streamQuotesCommand() *command {
	var forDur time.Duration
	c := &command{name: "stream quotes", args: "SYMBOL… [--for 5s] [--broker NAME] [--json]",
		summary: "stream live quotes until Ctrl-C or --for",
		help: `Streams live quotes of each SYMBOL from every broker with a stored login (or
from --broker), one line per quote as it arrives, until Ctrl-C (or SIGTERM)
or until --for has passed. A dropped connection is re-established by the
stream itself; when the reader falls behind, the oldest quotes are dropped
and counted. At the end a summary per broker goes to stderr (quotes,
dropped, reconnects). With --json each quote is one JSON object on its own
line (JSON Lines), decimals as strings. A broker that cannot stream, or
whose stream ends with an error, is reported on stderr and sets the exit
code; the others go on.`,
		flags: func(fs *flag.FlagSet) {
			fs.DurationVar(&forDur, "for", 0, "stop after this long (e.g. 5s); 0 streams until Ctrl-C")
		},
	}
	c.run = func(ctx context.Context, a *app, args []string) int {
		switch {
		case len(args) == 0:
			return a.report("", usagef("stream quotes needs at least one symbol"))
		case forDur < 0:
			return a.report("", usagef("--for must not be negative"))
		}
		if forDur > 0 {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, forDur)
			defer cancel()
		}
		targets, err := a.targets(ctx)
		if err != nil {
			return a.report(a.broker, classified(a.broker, err))
		}
		var streams []brokerStream
		var codes []int
		for _, t := range targets {
			v, err := openView(ctx, t)
			if err == nil {
				var s *stream.Stream[providers.Quote]
				if s, err = v.StreamQuotes(ctx, args...); err == nil {
					streams = append(streams, brokerStream{t.b.Name, s, v})
					continue
				}
				_ = v.Close()
			}
			if ctx.Err() != nil {
				break // Ctrl-C or --for while opening: not the broker's failure
			}
			codes = append(codes, a.report(t.b.Name, classified(t.b.Name, err)))
		}
		codes = append(codes, a.pumpQuotes(streams))
		return worst(codes...)
	}
	return c
}

// brokerStream is one broker's open quote stream and the view it came from.
type brokerStream struct {
	broker string
	s      *stream.Stream[providers.Quote]
	view   providers.View
}

// pumpQuotes prints every stream's quotes as they come until all have
// ended (the run's context ends them: Ctrl-C or --for), closes them and
// their views, prints a summary per broker on stderr, and returns the exit
// code of the streams that ended with an error.
func (a *app) pumpQuotes(streams []brokerStream) int {
	out := &quoteLines{w: a.stdout, json: a.json, secrets: a.secretList()}
	var wg sync.WaitGroup
	errs := make([]error, len(streams))
	for i, bs := range streams {
		wg.Go(func() {
			for q := range bs.s.C() {
				out.print(quoteOut(q))
			}
			errs[i] = bs.s.Err()
		})
	}
	wg.Wait()
	var codes []int
	for i, bs := range streams {
		_ = bs.s.Close()
		_ = bs.view.Close()
		st := bs.s.Stats()
		fmt.Fprintf(a.stderr, "brokerkit: %s: %d quotes, %d dropped, %d reconnects\n", bs.broker, st.Events, st.Dropped, st.Reconnects)
		if errs[i] != nil {
			codes = append(codes, a.report(bs.broker, classified(bs.broker, errs[i])))
		}
	}
	return worst(codes...)
}

// quoteLines writes quotes one line each, as they arrive from several
// streams: fixed-width columns (a table cannot wait for its widest cell) or
// JSON Lines.
type quoteLines struct {
	mu      sync.Mutex
	w       io.Writer
	json    bool
	secrets []string
	header  bool
}

func (l *quoteLines) print(q quoteJSON) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.json {
		b, err := json.Marshal(q)
		if err == nil {
			fmt.Fprintf(l.w, "%s\n", b)
		}
		return
	}
	const format = "%-12s %-10s %12s %12s %12s  %s\n"
	if !l.header {
		fmt.Fprintf(l.w, format, anys(quoteHeader)...)
		l.header = true
	}
	cells := quoteRow(q)
	for i, c := range cells {
		cells[i] = strings.ReplaceAll(redact.TextN(c, 40, l.secrets...), "\t", " ")
	}
	fmt.Fprintf(l.w, format, anys(cells)...)
}

func anys(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}
