package audit

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/mod/module"

	"github.com/modseal/modseal/verify"
)

// vendorInputs is what the vendor check needs from the rest of the audit.
// It runs offline and without the module graph: only selected depends on
// the go command.
type vendorInputs struct {
	dir  string
	work *workspace
	mods []moduleFiles
	// zips are the module zips whose hash matched go.sum (possibly none:
	// offline, or not in any cache).
	zips map[module.Version]string
	// sums are the go.sum and go.work.sum files of the audit.
	sums []*verify.SumFile
	// selected maps each module path of the build list to its selected
	// version (after the go command applied replacements, the module's
	// own path as key); nil when the go command could not give it.
	selected map[string]string
}

// checkVendors checks every vendor/ directory the go command can build
// from: a workspace's, next to go.work, and each module's (used when the
// module is built on its own), with or without vendor/modules.txt (the go
// command builds from a vendor/ without one too). vendor/modules.txt is
// checked against go.mod, or against go.work and every workspace module's
// go.mod, and, when the go command gave the build list, against the
// selected versions (vendor-inconsistent); every vendored file against the
// module zip whose hash matched go.sum (vendor-tampered). A vendored module
// version no go.sum line has a hash of is vendor-tampered (no zip of it can
// be verified); one whose hash is in go.sum but whose zip was not verified
// (offline, in no cache) is skipped, with the reason. A vendor/ is checked in the
// mode of where it is, whatever its modules.txt says: the "## workspace"
// line only sets the go command's default, and -mod=vendor builds from it
// in either mode. Only a vendor/ at go.work's directory that is also a
// module's goes by its modules.txt: written by go work vendor, it is the
// workspace's; else the module's.
func checkVendors(in vendorInputs) ([]verify.Finding, []verify.Skipped, error) {
	dir, work, mods, zips := in.dir, in.work, in.mods, in.zips
	var findings []verify.Finding
	var skipped []verify.Skipped
	hasSum := make(map[module.Version]bool)
	for _, sf := range in.sums {
		for _, l := range sf.Lines {
			if strings.HasPrefix(l.Hash, "h1:") && !l.GoMod() {
				hasSum[l.Module()] = true
			}
		}
	}
	zipFor := func(mv module.Version) (string, error) {
		if z, ok := zips[mv]; ok {
			return z, nil
		}
		if !hasSum[mv] {
			return "", verify.ErrNoSum
		}
		return "", errors.New("go.sum has its hash, but no zip of it was verified against that hash")
	}
	// read returns rel/vendor/modules.txt, nil if there is no vendor
	// directory; empty if there is one without modules.txt, which the go
	// command uses all the same (every package directory under vendor/ is
	// importable with -mod=vendor, the default from go 1.14 on).
	read := func(rel string) ([]byte, error) {
		vdir := filepath.Join(dir, filepath.FromSlash(rel), "vendor")
		data, err := verify.ReadFileLimited(filepath.Join(vdir, "modules.txt"), verify.MaxSumFileSize)
		if errors.Is(err, fs.ErrNotExist) {
			if fi, err := os.Stat(vdir); err != nil || !fi.IsDir() {
				return nil, nil
			}
			return []byte{}, nil
		}
		return data, err
	}
	files := func(fs []verify.Finding, skips []verify.VendorSkip, err error) error {
		if err != nil {
			return err
		}
		findings = append(findings, fs...)
		var names []string
		for _, s := range skips {
			names = append(names, s.Module.String()+" ("+s.Reason+")")
		}
		if len(names) > 0 {
			slices.Sort(names)
			skipped = append(skipped, verify.Skipped{Check: "vendor", Reason: fmt.Sprintf("%d vendored module(s) not compared: %s", len(names), strings.Join(names, "; "))})
		}
		return nil
	}
	moduleAt := func(rel string) bool {
		return slices.ContainsFunc(mods, func(m moduleFiles) bool { return m.rel == rel })
	}

	if work != nil {
		data, err := read(work.rel)
		if err != nil {
			return nil, nil, err
		}
		if data != nil && (verify.VendorIsForWorkspace(data) || !moduleAt(work.rel)) {
			var wms []verify.WorkModule
			var broken []string
			for _, m := range mods {
				wms = append(wms, verify.WorkModule{Dir: m.use, File: m.mf})
				if m.mf == nil || m.mf.Module == nil {
					broken = append(broken, joinRel(m.rel, "go.mod"))
				}
			}
			if len(broken) > 0 {
				skipped = append(skipped, verify.Skipped{Check: "vendor", Reason: joinRel(work.rel, "vendor/modules.txt") + " not checked against the workspace: " + strings.Join(broken, ", ") + " does not parse"})
			} else {
				findings = append(findings, verify.CheckWorkVendorConsistency(work.rel, work.wf, wms, data)...)
			}
			findings = append(findings, verify.CheckVendorSelected(work.rel, data, in.selected, true)...)
			vdir := filepath.Join(dir, filepath.FromSlash(work.rel))
			if err := files(verify.CheckWorkVendorFiles(vdir, work.rel, work.wf, data, zipFor)); err != nil {
				return nil, nil, err
			}
		}
	}
	for _, m := range mods {
		data, err := read(m.rel)
		if err != nil {
			return nil, nil, err
		}
		if data == nil || work != nil && m.rel == work.rel && verify.VendorIsForWorkspace(data) {
			continue // none, or the workspace's (above)
		}
		if m.mf == nil {
			skipped = append(skipped, verify.Skipped{Check: "vendor", Reason: joinRel(m.rel, "vendor") + " not checked: " + joinRel(m.rel, "go.mod") + " does not parse"})
			continue
		}
		findings = append(findings, verify.CheckVendorConsistency(m.rel, m.mf, data)...)
		if work == nil {
			// selected is the workspace's build list in workspace mode, not
			// the one the module's vendor/ is used with (GOWORK=off).
			findings = append(findings, verify.CheckVendorSelected(m.rel, data, in.selected, false)...)
		}
		vdir := filepath.Join(dir, filepath.FromSlash(m.rel))
		if err := files(verify.CheckVendorFiles(vdir, m.rel, data, zipFor)); err != nil {
			return nil, nil, err
		}
	}
	return findings, skipped, nil
}

// hasVendor reports whether the audit has any vendor directory (with or
// without vendor/modules.txt).
func hasVendor(dir string, work *workspace, mods []moduleFiles) bool {
	rels := []string{}
	if work != nil {
		rels = append(rels, work.rel)
	}
	for _, m := range mods {
		rels = append(rels, m.rel)
	}
	for _, rel := range rels {
		if fi, err := os.Stat(filepath.Join(dir, filepath.FromSlash(rel), "vendor")); err == nil && fi.IsDir() {
			return true
		}
	}
	return false
}
