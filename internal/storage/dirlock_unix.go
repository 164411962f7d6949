//go:build unix

package storage

import (
	"os"
	"syscall"
)

// lockDir locks dir (flock on the directory itself: no file to leave behind)
// and reports whether this process is its only user. It takes the lock
// exclusively when it can, and then holds it shared from share() on, so a
// process that starts later sees this one as a user for as long as f is
// open. f is nil where the lock cannot be taken.
func lockDir(dir string) (f *os.File, alone bool, share func()) {
	f, err := os.Open(dir)
	if err != nil {
		return nil, false, func() {}
	}
	fd := int(f.Fd())
	if syscall.Flock(fd, syscall.LOCK_EX|syscall.LOCK_NB) == nil {
		return f, true, func() { _ = syscall.Flock(fd, syscall.LOCK_SH) }
	}
	_ = syscall.Flock(fd, syscall.LOCK_SH)
	return f, false, func() {}
}
