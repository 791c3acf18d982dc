package verify

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"path/filepath"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"
	"golang.org/x/mod/semver"
)

// ErrNoSum is what a zipFor function given to CheckVendorFiles returns
// (wrapped) for a module version that no go.sum line has a zip hash of. No
// verified zip of it can exist, so its vendored files cannot be verified:
// that is a vendor-tampered finding, not a skip. go mod vendor refuses to
// vendor such a module ("missing go.sum entry"), but go build -mod=vendor
// builds it without looking at go.sum.
var ErrNoSum = errors.New("no go.sum line has its hash")

// CheckVendorSelected compares the versions vendor/modules.txt vendors
// packages from with the build list the go command computes from go.mod
// (selected: module path → selected version, as `go list -m all` lists it,
// the Version field, not a replacement's; main modules may be left out). rel
// is the directory of the vendor directory relative to the audited
// directory; workspace says it is a workspace's (go work vendor writes it).
//
// Each module line of modules.txt that packages are listed under must name
// the selected version of its module: go mod vendor writes no other, but the
// go command's consistency check compares only go.mod's own requirements, so
// the version of a module go.mod does not list (an implicit dependency of a
// go.mod before 1.17, or an untidy one) may be edited unnoticed, and the
// vendored files made to match a version that never existed. Such a line is
// vendor-inconsistent, at its line. Call it only with the build list of the
// mode the vendor directory is used in: a workspace's for the workspace's
// vendor directory, the module's own for a module's.
func CheckVendorSelected(rel string, modulesTxt []byte, selected map[string]string, workspace bool) []Finding {
	if selected == nil {
		return nil
	}
	vl := parseVendList(modulesTxt)
	txtName := path.Join(filepath.ToSlash(rel), "vendor/modules.txt")
	remedy, list := "run go mod vendor", "the build list of go.mod"
	if workspace {
		remedy, list = "run go work vendor", "the workspace's build list"
	}
	var findings []Finding
	seen := make(map[module.Version]bool)
	for _, p := range vl.pkgs {
		m := p.mod
		if seen[m] || !vendInModule(p.path, m.Path) {
			continue // parseVendList's problems cover a package outside its module
		}
		seen[m] = true
		line := p.line
		if meta := vl.meta[m]; meta != nil {
			line = meta.line
		}
		want, ok := selected[m.Path]
		var fd Finding
		switch {
		case !ok:
			fd = NewFinding(RuleVendorInconsistent, txtName, line,
				"vendor/modules.txt vendors packages from %s (%s, line %d), but %s (go list -m all) has no module %s: %s",
				vendDescribe(m), p.path, p.line, list, m.Path, remedy)
			fd.Got = m.Version
		case want != m.Version:
			fd = NewFinding(RuleVendorInconsistent, txtName, line,
				"vendor/modules.txt vendors packages from %s (%s, line %d), but %s (go list -m all) selects %s: have %s, want %s; %s",
				vendDescribe(m), p.path, p.line, list, vendDescribe(module.Version{Path: m.Path, Version: want}), m.Version, want, remedy)
			fd.Want, fd.Got = want, m.Version
		default:
			continue
		}
		fd.Module, fd.Version = m.Path, m.Version
		findings = append(findings, fd)
	}
	vendSortFindings(findings)
	return findings
}

// checkGoAnnotation compares the "## go" annotation of a vendored module
// with what go mod vendor writes for it: nothing when the main module's go
// version is before 1.17, else the go line of the module's go.mod (none
// without one, or for a +incompatible version, whose go.mod the go command
// synthesizes). In vendor mode the go command compiles the module's
// packages at the annotation's language version (loop variables, and every
// other change a go line gates), so an edited annotation changes what the
// vendored files mean without changing a byte of them. Only a module that
// is not replaced is checked: the go.mod of a replacement is read from the
// zip of the replacement, which is not the one the go command reads the
// version from in every case.
func (c *vendCollector) checkGoAnnotation(s *vendSource) {
	m := s.mod
	meta := c.vl.meta[m]
	if meta == nil {
		return
	}
	want, why := "", "go mod vendor writes no go annotation for a main module before go 1.17"
	if vendGoCompare(c.goVersion, "1.17") >= 0 {
		why = "its go.mod has no go line"
		if semver.Build(m.Version) != "+incompatible" {
			gv, err := vendTreeGoLine(s.tree)
			if err != nil {
				return // go mod vendor would fail; the files say the rest
			}
			want = gv
		}
		if want != "" {
			why = "its go.mod says go " + want
		}
	}
	if meta.goVersion == want {
		return
	}
	line, got := meta.goLine, "go "+meta.goVersion
	if meta.goVersion == "" {
		line, got = meta.line, ""
	}
	fd := NewFinding(RuleVendorTampered, c.txtName, line,
		"%s is marked %q in vendor/modules.txt, but %s: the go command compiles its vendored packages at the annotation's language version; run %s",
		s.desc, "## "+got, why, c.tool())
	if meta.goVersion == "" {
		fd.Message = fmt.Sprintf("%s has no go annotation in vendor/modules.txt, but %s: the go command compiles its vendored packages at another language version; run %s",
			s.desc, why, c.tool())
	}
	fd.Module, fd.Version, fd.Got = m.Path, m.Version, got
	if want != "" {
		fd.Want = "go " + want
	}
	c.findings = append(c.findings, fd)
}

// vendTreeGoLine returns the go line of the go.mod at the root of t, "" if
// there is no go.mod or it has no go line.
func vendTreeGoLine(t vendTree) (string, error) {
	f, err := t.open("go.mod")
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	defer f.Close()
	const limit = 16 << 20
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return "", err
	}
	if len(data) > limit {
		return "", &FileTooLargeError{"go.mod", limit}
	}
	mf, err := modfile.ParseLax("go.mod", data, nil)
	if err != nil {
		return "", err
	}
	if mf.Go == nil {
		return "", nil
	}
	return mf.Go.Version, nil
}
