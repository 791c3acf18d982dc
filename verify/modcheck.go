package verify

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"golang.org/x/mod/module"
	"golang.org/x/mod/semver"

	"github.com/modseal/modseal/verify/internal/modtree"
)

// maxGoMod is the largest go.mod the go command reads from a module
// (cmd/go/internal/modfetch/codehost.MaxGoMod).
const maxGoMod = 16 << 20

// A ModuleCheck is one module version whose files are compared with go.sum.
type ModuleCheck struct {
	Module module.Version
	// Zip and GoMod are go.sum's h1 lines for the zip and the go.mod (nil
	// if go.sum has none); ZipSum and GoModSum are the go.sum files they
	// are in, as findings name them.
	Zip, GoMod       *SumLine
	ZipSum, GoModSum string

	ZipFile string // the module zip; "" if not at hand
	ModFile string // the .mod file; "" if not at hand
	Dir     string // the extracted directory in the module cache; "" if none
}

// A CheckResult is the outcome of one ModuleCheck.
type CheckResult struct {
	Findings    []Finding
	Verified    bool   // every hash compared matched, and at least one was compared
	ZipVerified string // the zip file, if its hash matched go.sum
	Bytes       int64  // bytes of zip read
}

// A Cache remembers h1 hashes already computed, under two kinds of key: the
// SHA-256 of a module zip's raw bytes (far cheaper than inflating every
// file, and exactly as strong: any change to the zip changes the key), and,
// on Linux and macOS, the SHA-256 of a zip's or an extracted directory's
// metadata (every file's path, size, modification and change times, inode
// and device), so that a re-run reads no bytes of what did not change. The
// change time of a file is set by every write and cannot be set back
// without privileges, so a file changed since has another key; a key is
// only remembered when it was the same before and after the bytes were
// hashed, and when nothing in it changed in the last few seconds (the racy
// case git's index knows). A Get that fails for any reason is a miss.
type Cache interface {
	Get(key [sha256.Size]byte) (h1 string, ok bool)
	Put(key [sha256.Size]byte, h1 string) error
}

// CheckModule compares one module version's files with go.sum: the zip and
// the .mod file (hash-mismatch), and the extracted directory
// (cache-tampered). cache may be nil. An error means a file could not be
// read at all; a zip that is not a valid module zip is a hash-mismatch
// finding.
func CheckModule(c ModuleCheck, cache Cache) (CheckResult, error) {
	var res CheckResult
	m := c.Module
	compared, mismatched := 0, 0
	add := func(rule, file string, l *SumLine, want, got, format string, args ...any) {
		fd := NewFinding(rule, file, l.Line, format, args...)
		fd.Module, fd.Version, fd.Want, fd.Got = m.Path, m.Version, want, got
		res.Findings = append(res.Findings, fd)
	}

	if c.GoMod != nil && c.ModFile != "" {
		data, err := ReadFileLimited(c.ModFile, maxGoMod)
		if _, ok := errors.AsType[*FileTooLargeError](err); ok {
			// Hashed as what it is: not the go.mod go.sum names.
			data, err = []byte("larger than the go command's limit"), nil
		}
		if err != nil {
			return res, err
		}
		got, _ := modtree.GoModSums(data).H1()
		compared++
		if got != c.GoMod.Hash {
			mismatched++
			add(RuleHashMismatch, c.GoModSum, c.GoMod, c.GoMod.Hash, got, "%s: go.mod in the module cache (%s) does not match go.sum", m, c.ModFile)
		}
	}

	var zipSums modtree.Sums // nil when the zip's hash came from the cache or failed
	// zipKnown: the zip's metadata key was in the cache. When it was not
	// (a first run, or a restored module cache), the extracted directory's
	// is not looked up either: that would be a walk of the tree for
	// nothing before reading it.
	zipKnown := c.ZipFile == ""
	zipOK := false
	if c.Zip != nil && c.ZipFile != "" {
		fi, err := os.Stat(c.ZipFile)
		if err != nil {
			return res, err
		}
		res.Bytes = fi.Size()
		// The metadata's, then the raw bytes' hash are only the
		// verification cache's keys.
		var key [sha256.Size]byte
		var statKey modtree.StatKey
		got, cached, statOK := "", false, false
		if cache != nil {
			if statKey, statOK, err = modtree.FileStatKey(c.ZipFile); err != nil {
				return res, err
			}
			if statOK {
				got, cached = cache.Get(statKey.Sum)
				zipKnown = cached
			}
			if !cached {
				if key, err = modtree.FileSum(c.ZipFile); err != nil {
					return res, err
				}
				got, cached = cache.Get(key)
				if cached {
					if err := rememberStat(cache, statKey, statOK, c.ZipFile, got); err != nil {
						return res, err
					}
				}
			}
		}
		var zipErr error
		if !cached {
			zipSums, zipErr = zipFileSums(c.ZipFile, m)
			if zipErr == nil {
				got, zipErr = zipSums.H1()
			}
			if zipErr == nil && cache != nil {
				if err := cache.Put(key, got); err != nil {
					return res, fmt.Errorf("verification cache: %v", err)
				}
				if err := rememberStat(cache, statKey, statOK, c.ZipFile, got); err != nil {
					return res, err
				}
			}
		}
		compared++
		switch {
		case zipErr != nil:
			mismatched++
			add(RuleHashMismatch, c.ZipSum, c.Zip, "", "", "%s: module zip %s: %v", m, c.ZipFile, zipErr)
		case got != c.Zip.Hash:
			mismatched++
			add(RuleHashMismatch, c.ZipSum, c.Zip, c.Zip.Hash, got, "%s: module zip %s does not match go.sum", m, c.ZipFile)
		default:
			zipOK = true
			res.ZipVerified = c.ZipFile
		}
		if zipErr == nil && semver.Build(m.Version) == "+incompatible" && zipHasGoMod(c.ZipFile, m) {
			add(RuleIncompatibleWithGoMod, c.ZipSum, c.Zip, "", "",
				"%s: a +incompatible version, but the module has a go.mod at this version: the go command requires the /%s path suffix", m, semver.Major(m.Version))
		}
	}

	if c.Zip != nil && c.Dir != "" {
		got, cached := "", false
		if cache != nil && zipKnown {
			statKey, ok, err := modtree.DirStatKey(c.Dir)
			if err != nil {
				return res, err
			}
			if ok {
				got, cached = cache.Get(statKey.Sum)
			}
		}
		var dirSums modtree.Sums // nil when the hash came from the cache
		if !cached {
			var err error
			var readKey modtree.StatKey
			var readOK bool // the files were the same when opened and when read
			dirSums, readKey, readOK, err = modtree.DirSumsKey(c.Dir, m.String())
			if nr, ok := errors.AsType[*modtree.NotRegularError](err); ok {
				add(RuleCacheTampered, c.ZipSum, c.Zip, c.Zip.Hash, "", "%s: the extracted module directory %s was altered: it holds what no module zip can: %s", m, c.Dir, strings.Join(nr.Names, ", "))
				res.Verified = false
				return res, nil
			}
			if err != nil {
				return res, err
			}
			if got, err = dirSums.H1(); err != nil {
				return res, err
			}
			// The key the tree had as it was read (every file the same
			// when opened and when read): remembered unless too fresh.
			if cache != nil && readOK && !readKey.Fresh(now()) {
				if err := cache.Put(readKey.Sum, got); err != nil {
					return res, fmt.Errorf("verification cache: %v", err)
				}
			}
		}
		compared++
		if got != c.Zip.Hash && dirSums == nil {
			// Only now is it worth reading the files: to say which.
			if ds, err := modtree.DirSums(c.Dir, m.String()); err == nil {
				dirSums = ds
			}
		}
		if got != c.Zip.Hash {
			mismatched++
			what := ""
			if zipOK {
				// The zip matches go.sum, so its files say which extracted
				// files were changed. Only now is it worth inflating a zip
				// whose hash came from the cache.
				if zipSums == nil {
					zipSums, _ = zipFileSums(c.ZipFile, m)
				}
				if zipSums != nil && dirSums != nil {
					what = ": " + modtree.Diff(zipSums, dirSums, m.String()+"/").String()
				}
			}
			add(RuleCacheTampered, c.ZipSum, c.Zip, c.Zip.Hash, got, "%s: the extracted module directory %s does not match go.sum%s", m, c.Dir, what)
		}
	}
	res.Verified = compared > 0 && mismatched == 0
	return res, nil
}

// now is the clock rememberStat reads (tests move it on).
var now = time.Now

// rememberStat records h1 under the metadata key before (the key taken
// before the bytes were hashed) if the file name still has that key, and
// nothing in it changed too recently to trust (modtree.StatKey).
func rememberStat(cache Cache, before modtree.StatKey, ok bool, name, h1 string) error {
	if !ok || before.Fresh(now()) {
		return nil
	}
	after, ok, err := modtree.FileStatKey(name)
	if err != nil || !ok || after.Sum != before.Sum {
		return nil // changed meanwhile: not remembered
	}
	if err := cache.Put(before.Sum, h1); err != nil {
		return fmt.Errorf("verification cache: %v", err)
	}
	return nil
}

// zipFileSums returns the per-file sums of the module zip file holding m.
func zipFileSums(file string, m module.Version) (modtree.Sums, error) {
	z, err := modtree.OpenZip(file, m)
	if ie, ok := errors.AsType[*modtree.InvalidZipError](err); ok {
		return nil, fmt.Errorf("not a valid module zip: %v", ie.Err)
	}
	if err != nil {
		return nil, err
	}
	defer z.Close()
	return z.Sums()
}

// zipHasGoMod reports whether the module zip of m has a go.mod at its root.
func zipHasGoMod(file string, m module.Version) bool {
	z, err := modtree.OpenZip(file, m)
	if err != nil {
		return false
	}
	defer z.Close()
	_, err = z.Stat("go.mod")
	return err == nil
}
