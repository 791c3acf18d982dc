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

// checkVendors checks the vendor/ directory of every module that has one:
// vendor/modules.txt against go.mod (vendor-inconsistent), and every
// vendored file against the module zip whose hash matched go.sum
// (vendor-tampered).
func checkVendors(dir string, mods []moduleFiles, zips map[module.Version]string) ([]verify.Finding, []Skipped, error) {
	var findings []verify.Finding
	var skipped []Skipped
	for _, m := range mods {
		moddir := filepath.Join(dir, filepath.FromSlash(m.rel))
		data, err := os.ReadFile(filepath.Join(moddir, "vendor", "modules.txt"))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, nil, err
		}
		if m.mf != nil {
			findings = append(findings, verify.CheckVendorConsistency(m.rel, m.mf, data)...)
		}
		zipFor := func(mv module.Version) (string, error) {
			if z, ok := zips[mv]; ok {
				return z, nil
			}
			return "", fmt.Errorf("its zip was not verified against go.sum (no go.sum hash, or not available)")
		}
		fs, skips, err := verify.CheckVendorFiles(moddir, m.rel, data, zipFor)
		if err != nil {
			return nil, nil, err
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
	}
	return findings, skipped, nil
}

// hasVendor reports whether any module of the audit has vendor/modules.txt.
func hasVendor(dir string, mods []moduleFiles) bool {
	for _, m := range mods {
		if _, err := os.Stat(filepath.Join(dir, filepath.FromSlash(m.rel), "vendor", "modules.txt")); err == nil {
			return true
		}
	}
	return false
}
