package verify

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"strings"

	"golang.org/x/mod/module"
	"golang.org/x/mod/sumdb/dirhash"
	modzip "golang.org/x/mod/zip"
)

// HashZip returns the module version a module zip holds and its h1 hash, as
// go.sum records it. The zip is untrusted: golang.org/x/mod/zip's CheckZip
// (path traversal, duplicate and case-colliding names, size limits) runs
// first, and files are hashed by streaming, never extracted.
func HashZip(file string) (module.Version, string, error) {
	m, err := zipModule(file)
	if err != nil {
		return module.Version{}, "", err
	}
	if _, err := modzip.CheckZip(m, file); err != nil {
		return m, "", fmt.Errorf("%s: not a valid module zip for %s: %v", file, m, err)
	}
	h, err := dirhash.HashZip(file, dirhash.Hash1)
	if err != nil {
		return m, "", fmt.Errorf("%s: %v", file, err)
	}
	return m, h, nil
}

// zipModule reads the module path and version from the "path@version/"
// prefix of the first file in a module zip.
func zipModule(file string) (module.Version, error) {
	z, err := zip.OpenReader(file)
	if err != nil {
		return module.Version{}, fmt.Errorf("%s: %v", file, err)
	}
	defer z.Close()
	if len(z.File) == 0 {
		return module.Version{}, fmt.Errorf("%s: empty zip: a module zip holds at least one file", file)
	}
	name := z.File[0].Name
	at := strings.Index(name, "@")
	if at <= 0 {
		return module.Version{}, fmt.Errorf("%s: %q does not start with path@version/: not a module zip", file, name)
	}
	slash := strings.Index(name[at:], "/")
	if slash < 0 {
		return module.Version{}, fmt.Errorf("%s: %q does not start with path@version/: not a module zip", file, name)
	}
	m := module.Version{Path: name[:at], Version: name[at+1 : at+slash]}
	if err := module.Check(m.Path, m.Version); err != nil {
		return m, fmt.Errorf("%s: %v", file, err)
	}
	return m, nil
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

// HashGoModFile is HashGoMod of a file's content.
func HashGoModFile(file string) (string, error) {
	data, err := ReadFileLimited(file, maxGoMod)
	if err != nil {
		return "", err
	}
	return HashGoMod(data)
}
