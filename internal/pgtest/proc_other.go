//go:build !unix

package pgtest

import "syscall"

// procAttr has nothing to set here: a root check never applies.
func procAttr(*runAs) *syscall.SysProcAttr { return nil }

// pidAlive cannot tell here, so a directory is never swept.
func pidAlive(string) bool { return true }
