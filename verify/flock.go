//go:build darwin || dragonfly || freebsd || linux || netbsd || openbsd

package verify

import (
	"fmt"
	"os"
	"syscall"
	"time"
)

// lockFile takes an exclusive flock on the file name (created if needed),
// so that modseal processes sharing a cache take turns; unlock releases it.
// It gives up after timeout: a process that keeps the lock that long is
// stuck, and waiting on it would hang the audit.
func lockFile(name string, timeout time.Duration) (unlock func(), err error) {
	// Read-only is enough for flock, and works on a cache shared with
	// other users whose lock file is not writable to this one.
	f, err := os.OpenFile(name, os.O_RDONLY|os.O_CREATE, 0o666)
	if err != nil {
		return nil, err
	}
	deadline := time.Now().Add(timeout)
	for wait := time.Millisecond; ; wait = min(2*wait, 100*time.Millisecond) {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			break
		}
		if err != syscall.EWOULDBLOCK && err != syscall.EINTR {
			f.Close()
			return nil, fmt.Errorf("locking %s: %v", name, err)
		}
		if time.Now().After(deadline) {
			f.Close()
			return nil, fmt.Errorf("locking %s: another process has held it for %v", name, timeout)
		}
		time.Sleep(wait)
	}
	return func() {
		syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}
