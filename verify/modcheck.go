package verify

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"golang.org/x/mod/module"
	"golang.org/x/mod/semver"
)

// maxGoMod is the largest go.mod the go command reads from a module
// (cmd/go/internal/modfetch/codehost.MaxGoMod).
const maxGoMod = 16 << 20

// A SumRef is the go.sum line that holds a hash.
type SumRef struct {
	File string // the go.sum file, relative to the audited directory
	Line int
	Hash string
}

// A ModuleCheck is one module version whose files are compared with go.sum.
type ModuleCheck struct {
	Module module.Version
	Zip    *SumRef // go.sum's line for the zip hash; nil if go.sum has none
	GoMod  *SumRef // go.sum's line for the go.mod hash; nil if go.sum has none

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

// A Hasher compares module files with go.sum: the zip and the .mod file
// (hash-mismatch), and the extracted directory (cache-tampered).
type Hasher struct {
	Cache *ZipCache // nil: inflate and hash every zip
}

// Check runs one ModuleCheck. buf is a read buffer (NewReadBuffer) the caller
// reuses across calls. An error means a file could not be read at all; a zip
// that is not a valid module zip is a hash-mismatch finding.
func (h *Hasher) Check(c ModuleCheck, buf []byte) (CheckResult, error) {
	var res CheckResult
	m := c.Module
	compared, mismatched := 0, 0
	add := func(rule string, ref *SumRef, format string, args ...any) {
		fd := NewFinding(rule, ref.File, ref.Line, format, args...)
		fd.Module, fd.Version = m.Path, m.Version
		res.Findings = append(res.Findings, fd)
	}

	if c.GoMod != nil && c.ModFile != "" {
		data, err := ReadFileLimited(c.ModFile, maxGoMod)
		var tl *FileTooLargeError
		if errors.As(err, &tl) {
			// Hashed as what it is: not the go.mod go.sum names.
			data, err = []byte("larger than the go command's limit"), nil
		}
		if err != nil {
			return res, err
		}
		got, _ := GoModSum(data).H1()
		compared++
		if got != c.GoMod.Hash {
			mismatched++
			add(RuleHashMismatch, c.GoMod, "%s: go.mod in the module cache (%s) does not match go.sum", m, c.ModFile)
			res.Findings[len(res.Findings)-1].Want, res.Findings[len(res.Findings)-1].Got = c.GoMod.Hash, got
		}
	}

	var zipSums FileSums // nil when the zip's hash came from the cache or failed
	zipOK := false
	if c.Zip != nil && c.ZipFile != "" {
		fi, err := os.Stat(c.ZipFile)
		if err != nil {
			return res, err
		}
		res.Bytes = fi.Size()
		// The raw bytes' hash is only the verification cache's key.
		var raw [32]byte
		if h.Cache != nil {
			if raw, err = RawSum(c.ZipFile, buf); err != nil {
				return res, err
			}
		}
		got, cached := h.Cache.Get(raw)
		var zipErr error
		if !cached {
			zipSums, zipErr = ZipSums(c.ZipFile, m, buf)
			if zipErr == nil {
				got, zipErr = zipSums.H1()
			}
			if zipErr == nil {
				if err := h.Cache.Put(raw, got); err != nil {
					return res, fmt.Errorf("verification cache: %v", err)
				}
			}
		}
		compared++
		switch {
		case zipErr != nil:
			mismatched++
			add(RuleHashMismatch, c.Zip, "%s: module zip %s: %v", m, c.ZipFile, zipErr)
		case got != c.Zip.Hash:
			mismatched++
			add(RuleHashMismatch, c.Zip, "%s: module zip %s does not match go.sum", m, c.ZipFile)
			res.Findings[len(res.Findings)-1].Want, res.Findings[len(res.Findings)-1].Got = c.Zip.Hash, got
		default:
			zipOK = true
			res.ZipVerified = c.ZipFile
		}
		if zipErr == nil && semver.Build(m.Version) == "+incompatible" {
			if has, err := ZipHasGoMod(c.ZipFile, m); err == nil && has {
				add(RuleIncompatibleWithGoMod, c.Zip,
					"%s: a +incompatible version, but the module has a go.mod at this version: the go command requires the /%s path suffix", m, semver.Major(m.Version))
			}
		}
	}

	if c.Zip != nil && c.Dir != "" {
		dirSums, err := DirSums(c.Dir, m.String(), buf)
		var nr *NotRegularError
		if errors.As(err, &nr) {
			add(RuleCacheTampered, c.Zip, "%s: the extracted module directory %s was altered: it holds what no module zip can: %s", m, c.Dir, strings.Join(nr.Names, ", "))
			res.Findings[len(res.Findings)-1].Want = c.Zip.Hash
			res.Verified = false
			return res, nil
		}
		if err != nil {
			return res, err
		}
		got, err := dirSums.H1()
		if err != nil {
			return res, err
		}
		compared++
		if got != c.Zip.Hash {
			mismatched++
			what := ""
			if zipOK {
				// The zip matches go.sum, so its files say which extracted
				// files were changed. Only now is it worth inflating a zip
				// whose hash came from the cache.
				if zipSums == nil {
					zipSums, _ = ZipSums(c.ZipFile, m, buf)
				}
				if zipSums != nil {
					what = ": " + Diff(zipSums, dirSums, m.String()+"/").String()
				}
			}
			add(RuleCacheTampered, c.Zip, "%s: the extracted module directory %s does not match go.sum%s", m, c.Dir, what)
			res.Findings[len(res.Findings)-1].Want, res.Findings[len(res.Findings)-1].Got = c.Zip.Hash, got
		}
	}
	res.Verified = compared > 0 && mismatched == 0
	return res, nil
}
