package main

import (
	"fmt"
	"io"
)

// runEmulate runs `brokerkit emulate [broker…] [flags]`: it starts the
// builtin broker emulators as standalone servers on loopback addresses,
// announces them (JSON line, BROKERKIT_<BROKER>_* lines, and the
// announcement file read by internal/emulate.ReadAnnouncement) and serves
// until SIGINT/SIGTERM. args are the arguments after "emulate". It returns
// the process exit code (0 ok, 1 failure, 2 usage error).
//
// The body is being written on this branch; the signature is final so the
// command's main.go can dispatch to it.
func runEmulate(args []string, stdout, stderr io.Writer) int {
	_ = args
	_ = stdout
	fmt.Fprintln(stderr, "brokerkit emulate: not built yet")
	return 1
}
