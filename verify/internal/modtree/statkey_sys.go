//go:build linux || darwin

package modtree

import (
	"io/fs"
	"syscall"
	"time"
)

// fileStat is what a StatKey needs beyond fs.FileInfo.
type fileStat struct {
	ctime    time.Time
	ino, dev uint64
}

func statOf(fi fs.FileInfo) (fileStat, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return fileStat{}, false
	}
	return fileStat{ctime: ctimeOf(st), ino: uint64(st.Ino), dev: uint64(st.Dev)}, true
}
