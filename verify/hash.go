package verify

import (
	"bytes"
	"fmt"
	"io"

	"golang.org/x/mod/module"
	"golang.org/x/mod/sumdb/dirhash"

	"github.com/modseal/modseal/verify/internal/modtree"
)

// HashZip returns the module version a module zip holds and its h1 hash, as
// go.sum records it. The zip is untrusted: golang.org/x/mod/zip's CheckZip
// (path traversal, duplicate and case-colliding names, size limits) runs
// first, and files are hashed by streaming, never extracted.
func HashZip(file string) (module.Version, string, error) {
	m, err := modtree.ZipModule(file)
	if err != nil {
		return module.Version{}, "", err
	}
	z, err := modtree.OpenZip(file, m)
	if err != nil {
		return m, "", zipError(file, err)
	}
	defer z.Close()
	sums, err := z.Sums()
	if err == nil {
		var h string
		if h, err = sums.H1(); err == nil {
			return m, h, nil
		}
	}
	return m, "", fmt.Errorf("%s: %v", file, err)
}

// zipError is the error of modtree.OpenZip, naming the file.
func zipError(file string, err error) error {
	if _, ok := err.(*modtree.InvalidZipError); ok {
		return err // names the file
	}
	return fmt.Errorf("%s: %v", file, err)
}

// HashDir returns the h1 hash of the extracted module directory dir holding
// module m, as go.sum records it for the module zip.
func HashDir(dir string, m module.Version) (string, error) {
	return dirhash.HashDir(dir, m.String(), dirhash.Hash1)
}

// HashGoMod returns the h1 hash of a go.mod file's content, as go.sum records
// it in a "path version/go.mod" line.
func HashGoMod(data []byte) (string, error) {
	return dirhash.Hash1([]string{"go.mod"}, func(string) (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(data)), nil
	})
}
