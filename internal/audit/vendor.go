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
// module is built on its own). vendor/modules.txt is checked against
// go.mod, or against go.work and every workspace module's go.mod
// (vendor-inconsistent), and every vendored file against the module zip
// whose hash matched go.sum (vendor-tampered). A vendor/ is checked in the
// mode of where it is, whatever its modules.txt says: the "## workspace"
// line only sets the go command's default, and -mod=vendor builds from it
// in either mode. Only a vendor/ at go.work's directory that is also a
// module's goes by its modules.txt: written by go work vendor, it is the
// workspace's; else the module's.
func checkVendors(in vendorInputs) ([]verify.Finding, []Skipped, error) {
	dir, work, mods, zips := in.dir, in.work, in.mods, in.zips
	var findings []verify.Finding
	var skipped []Skipped
	zipFor := func(mv module.Version) (string, error) {
		if z, ok := zips[mv]; ok {
			return z, nil
		}
		return "", fmt.Errorf("its zip was not verified against go.sum (no go.sum hash, or not available)")
	}
	// read returns rel/vendor/modules.txt, nil if there is none.
	read := func(rel string) ([]byte, error) {
		data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(rel), "vendor", "modules.txt"))
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
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
			skipped = append(skipped, Skipped{"vendor", fmt.Sprintf("%d vendored module(s) not compared: %s", len(names), strings.Join(names, "; "))})
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
				skipped = append(skipped, Skipped{"vendor", joinRel(work.rel, "vendor/modules.txt") + " not checked against the workspace: " + strings.Join(broken, ", ") + " does not parse"})
			} else {
				findings = append(findings, verify.CheckWorkVendorConsistency(work.rel, work.wf, wms, data)...)
			}
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
			skipped = append(skipped, Skipped{"vendor", joinRel(m.rel, "vendor") + " not checked: " + joinRel(m.rel, "go.mod") + " does not parse"})
			continue
		}
		findings = append(findings, verify.CheckVendorConsistency(m.rel, m.mf, data)...)
		vdir := filepath.Join(dir, filepath.FromSlash(m.rel))
		if err := files(verify.CheckVendorFiles(vdir, m.rel, data, zipFor)); err != nil {
			return nil, nil, err
		}
	}
	return findings, skipped, nil
}

// hasVendor reports whether any vendor directory of the audit has
// vendor/modules.txt.
func hasVendor(dir string, work *workspace, mods []moduleFiles) bool {
	rels := []string{}
	if work != nil {
		rels = append(rels, work.rel)
	}
	for _, m := range mods {
		rels = append(rels, m.rel)
	}
	for _, rel := range rels {
		if _, err := os.Stat(filepath.Join(dir, filepath.FromSlash(rel), "vendor", "modules.txt")); err == nil {
			return true
		}
	}
	return false
}
