package main

import (
	"context"
	"errors"

	"github.com/brokerkit/brokerkit/providers"
)

// announcementFile is the file a running `brokerkit emulate` announces
// itself in, in the configuration directory.
const announcementFile = "emulate.json"

// readAnnouncement stands in for internal/emulate.ReadAnnouncement until
// that lands: it finds no running emulator.
func readAnnouncement(dir string) (map[string]providers.Config, error) {
	_ = dir
	return nil, nil
}

// streamQuotesCommand stands in for stream.go until the stream package
// lands on main.
func streamQuotesCommand() *command {
	return &command{name: "stream quotes", args: "SYMBOL…", summary: "stream quotes until Ctrl-C or --for",
		run: func(_ context.Context, a *app, _ []string) int {
			return a.report("", errors.New("streams are not built yet"))
		}}
}
