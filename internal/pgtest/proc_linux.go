package pgtest

import "syscall"

// procAttr runs a server process as as (when set) and makes the postmaster
// shut down at once (SIGQUIT) if the test binary dies without stopping it.
func procAttr(as *runAs) *syscall.SysProcAttr {
	a := &syscall.SysProcAttr{Pdeathsig: syscall.SIGQUIT}
	if as != nil {
		a.Credential = &syscall.Credential{Uid: as.uid, Gid: as.gid}
	}
	return a
}
