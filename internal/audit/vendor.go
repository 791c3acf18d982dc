package audit

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"

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
	dir, work, mods := in.dir, in.work, in.mods
	var findings []verify.Finding
	var skipped []verify.Skipped
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
	check := func(rel string, data []byte, mod *verify.MainModule, work *workspace) error {
		v := verify.Vendor{
			Dir:        filepath.Join(dir, filepath.FromSlash(rel)),
			Rel:        rel,
			ModulesTxt: data,
			Module:     mod,
			Zips:       in.zips,
			Sums:       in.sums,
		}
		if work != nil {
			v.Work = work.wf
			for _, m := range mods {
				v.WorkModules = append(v.WorkModules, verify.MainModule{Dir: m.use, File: m.mf})
			}
		}
		if work != nil || in.work == nil {
			// A module's vendor/ in a workspace is used with GOWORK=off:
			// in.selected, the workspace's build list, is not its.
			v.Selected = in.selected
		}
		fs, skips, err := verify.CheckVendor(v)
		findings = append(findings, fs...)
		skipped = append(skipped, skips...)
		return err
	}
	moduleAt := func(rel string) *verify.MainModule {
		for _, m := range mods {
			if m.rel == rel {
				return &verify.MainModule{Dir: ".", File: m.mf}
			}
		}
		return nil
	}

	if work != nil {
		data, err := read(work.rel)
		if err != nil {
			return nil, nil, err
		}
		if data != nil {
			if err := check(work.rel, data, moduleAt(work.rel), work); err != nil {
				return nil, nil, err
			}
		}
	}
	for _, m := range mods {
		if work != nil && m.rel == work.rel {
			continue // go.work's directory: above
		}
		data, err := read(m.rel)
		if err != nil {
			return nil, nil, err
		}
		if data == nil {
			continue
		}
		if err := check(m.rel, data, &verify.MainModule{Dir: ".", File: m.mf}, nil); err != nil {
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
