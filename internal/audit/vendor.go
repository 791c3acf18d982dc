package audit

import (
	"errors"
	"fmt"
	"go/version"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/mod/module"

	"github.com/modseal/modseal/verify"
)

// checkVendors checks every vendor/ directory the go command can use: a
// workspace's, next to go.work, and each module's (used when the module is
// built on its own). vendor/modules.txt is checked against go.mod, or
// against go.work and every workspace module's go.mod
// (vendor-inconsistent), and every vendored file against the module zip
// whose hash matched go.sum (vendor-tampered). A vendor directory the go
// command would not use (written for the other mode) is listed as skipped.
func checkVendors(dir string, work *workspace, mods []moduleFiles, zips map[module.Version]string) ([]verify.Finding, []Skipped, error) {
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
	check := func(rel string, data []byte, consistency []verify.Finding) error {
		findings = append(findings, consistency...)
		fs, skips, err := verify.CheckVendorFiles(filepath.Join(dir, filepath.FromSlash(rel)), rel, data, zipFor)
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
	unused := func(rel, why string) {
		skipped = append(skipped, Skipped{"vendor", joinRel(rel, "vendor") + ": not checked: the go command does not use it: " + why})
	}

	if work != nil {
		data, err := read(work.rel)
		switch {
		case err != nil:
			return nil, nil, err
		case data == nil:
		case !verify.VendorIsForWorkspace(data):
			// A module's vendor/, if a module lives there: checked below.
			if !slices.ContainsFunc(mods, func(m moduleFiles) bool { return m.rel == work.rel }) {
				unused(work.rel, "its modules.txt was not written by go work vendor (no \"## workspace\" line)")
			}
		case work.wf.Go == nil || version.Compare("go"+work.wf.Go.Version, "go1.14") < 0:
			unused(work.rel, "go.work's go line is missing or before 1.14")
		case work.name != "go.work":
			unused(work.rel, "the workspace file is "+work.name+", and modseal reads the go version of vendored files from go.work")
		default:
			var wms []verify.WorkModule
			for _, m := range mods {
				wms = append(wms, verify.WorkModule{Dir: m.use, File: m.mf})
			}
			if err := check(work.rel, data, verify.CheckWorkVendorConsistency(work.rel, work.wf, wms, data)); err != nil {
				return nil, nil, err
			}
		}
	}
	for _, m := range mods {
		data, err := read(m.rel)
		switch {
		case err != nil:
			return nil, nil, err
		case data == nil:
		case verify.VendorIsForWorkspace(data):
			if work == nil || m.rel != work.rel { // a workspace's vendor/ is checked above
				unused(m.rel, "its modules.txt was written by go work vendor, for a workspace")
			}
		default:
			var consistency []verify.Finding
			if m.mf != nil {
				consistency = verify.CheckVendorConsistency(m.rel, m.mf, data)
			}
			if err := check(m.rel, data, consistency); err != nil {
				return nil, nil, err
			}
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
