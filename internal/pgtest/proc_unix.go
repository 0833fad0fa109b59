//go:build unix && !linux

package pgtest

import "syscall"

// procAttr runs a server process as as, when set.
func procAttr(as *runAs) *syscall.SysProcAttr {
	if as == nil {
		return nil
	}
	return &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: as.uid, Gid: as.gid}}
}
