//go:build !linux && !darwin

package modtree

import (
	"io/fs"
	"time"
)

type fileStat struct {
	ctime    time.Time
	ino, dev uint64
}

// statOf has no change time to give here: no StatKey.
func statOf(fs.FileInfo) (fileStat, bool) { return fileStat{}, false }
