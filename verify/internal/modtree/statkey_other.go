//go:build !linux && !darwin

package modtree

import (
	"crypto/sha256"
	"io/fs"
)

// metaOf has no change time or inode to give here: no StatKey.
func metaOf(fs.FileInfo) (meta, bool) { return meta{}, false }

// readRegular returns the SHA-256 of the file name, without a key.
func readRegular(name string) (sum [sha256.Size]byte, m meta, keyed bool, err error) {
	sum, err = FileSum(name)
	return sum, m, false, err
}
