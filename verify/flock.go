//go:build darwin || dragonfly || freebsd || linux || netbsd || openbsd

package verify

import (
	"os"
	"syscall"
)

// lockFile takes an exclusive flock on the file name (created if needed),
// so that modseal processes sharing a cache take turns; unlock releases it.
func lockFile(name string) (unlock func(), err error) {
	f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o666)
	if err != nil {
		return nil, err
	}
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX)
		if err != syscall.EINTR {
			break
		}
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}
