package main

import (
	"context"
	"errors"
)

// streamQuotesCommand stands in until the stream package lands.
func streamQuotesCommand() *command {
	return &command{name: "stream quotes", args: "SYMBOL…", summary: "stream quotes until Ctrl-C or --for",
		run: func(_ context.Context, a *app, _ []string) int {
			return a.report("", errors.New("streams are not built yet"))
		}}
}
