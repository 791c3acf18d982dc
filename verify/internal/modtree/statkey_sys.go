//go:build linux || darwin

package modtree

import (
	"crypto/sha256"
	"fmt"
	"hash"
	"io/fs"
	"syscall"
)

// metaOf returns what a StatKey records of fi, an lstat or fstat result.
func metaOf(fi fs.FileInfo) (meta, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return meta{}, false
	}
	m := metaOfStat(st)
	m.mode = fi.Mode()
	return m, true
}

// metaOfStat is metaOf for a raw stat; its mode is that of a regular
// file (the only kind readRegular reads), as os.Lstat reports it.
func metaOfStat(st *syscall.Stat_t) meta {
	mode := fs.FileMode(st.Mode & 0o777)
	if st.Mode&syscall.S_ISGID != 0 {
		mode |= fs.ModeSetgid
	}
	if st.Mode&syscall.S_ISUID != 0 {
		mode |= fs.ModeSetuid
	}
	if st.Mode&syscall.S_ISVTX != 0 {
		mode |= fs.ModeSticky
	}
	mtime, ctime := mtimeCtime(st)
	return meta{mode: mode, size: st.Size, mtime: mtime, ctime: ctime, ino: uint64(st.Ino), dev: uint64(st.Dev)}
}

// readRegular returns the SHA-256 of the regular file name and what its
// StatKey records of it, taken before it is read. It opens the file
// without following a link and without blocking (a FIFO swapped in since
// the directory was listed never blocks), refuses anything but a regular
// file, and reads with plain system calls: no runtime poller, which
// costs several system calls per file, for files read once to the end.
// A write during the read moves the file's change time away from the one
// recorded (or, within the clock's tick, leaves the key too fresh to
// remember), so the key never matches the file again.
func readRegular(name string) (sum [sha256.Size]byte, m meta, keyed bool, err error) {
	var fd int
	for {
		fd, err = syscall.Open(name, syscall.O_RDONLY|syscall.O_CLOEXEC|syscall.O_NONBLOCK|syscall.O_NOFOLLOW, 0)
		if err != syscall.EINTR {
			break
		}
	}
	if err != nil {
		return sum, m, false, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	defer syscall.Close(fd)
	var st syscall.Stat_t
	if err := syscall.Fstat(fd, &st); err != nil {
		return sum, m, false, &fs.PathError{Op: "fstat", Path: name, Err: err}
	}
	if st.Mode&syscall.S_IFMT != syscall.S_IFREG {
		return sum, m, false, fmt.Errorf("%s: not a regular file", name)
	}
	h := sha256.New()
	if err := readFD(fd, name, h); err != nil {
		return sum, m, false, err
	}
	h.Sum(sum[:0])
	return sum, metaOfStat(&st), true, nil
}

// readFD writes what fd holds to h.
func readFD(fd int, name string, h hash.Hash) error {
	buf := bufPool.Get().(*[]byte)
	defer bufPool.Put(buf)
	for {
		n, err := syscall.Read(fd, *buf)
		switch {
		case err == syscall.EINTR || err == syscall.EAGAIN:
			continue
		case err != nil:
			return &fs.PathError{Op: "read", Path: name, Err: err}
		case n == 0:
			return nil
		}
		h.Write((*buf)[:n])
	}
}
