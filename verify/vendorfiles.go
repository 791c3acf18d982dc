package verify

// vendor-tampered: the files under vendor/ against those go mod vendor would
// copy from each vendored module's verified zip.

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"
	"golang.org/x/mod/semver"

	"github.com/modseal/modseal/verify/internal/gobuild"
	"github.com/modseal/modseal/verify/internal/modtree"
	"github.com/modseal/modseal/verify/internal/modulestxt"
)

// errNoSum is what the zipFor function of vendorFiles returns (wrapped)
// for a module version that no go.sum line has a zip hash of. No verified
// zip of it can exist, so its vendored files cannot be verified: that is a
// vendor-tampered finding, not a skip. go mod vendor refuses to vendor such
// a module ("missing go.sum entry"), but go build -mod=vendor builds it
// without looking at go.sum.
var errNoSum = errors.New("no go.sum line has its hash")

// A vendorSkip is a vendored module that could not be compared.
type vendorSkip struct {
	Module module.Version
	Reason string
}

// vendorFiles compares the files under dir/vendor with the files go mod
// vendor would copy from each vendored module's zip. zipFor returns the path
// of a module zip whose hash has already been verified against go.sum; if it
// returns an error, the module goes into the skipped list, unless the error
// wraps errNoSum: then the module is a vendor-tampered finding at its
// modules.txt line. Zips are untrusted: modtree checks them with CheckZip
// and streams their files, never extracting them.
//
// For every package vendor/modules.txt lists, the expected files are those
// cmd/go's vendorPkg (src/cmd/go/internal/modcmd/vendor.go) copies into
// vendor/<import path>/:
//
//   - copyDir with matchPotentialSourceFile: the regular files of the package
//     directory, not its subdirectories; no _test.go file; no go.mod or go.sum
//     when the main module's go version is 1.17 or later; a .go file only if
//     imports.ShouldBuild accepts its header with AnyTags (every build tag
//     but "ignore" counts as both true and false, so GOOS/GOARCH constraints
//     and file names do not matter, "//go:build ignore" does), or if reading
//     its imports fails; every other file, whatever its build constraints.
//   - copyMetadata: files whose names start with one of metaPrefixes
//     (AUTHORS, CONTRIBUTORS, COPYLEFT, COPYING, COPYRIGHT, LEGAL, LICENSE,
//     NOTICE, PATENTS) from each parent directory up to the module root,
//     once per directory, in go mod vendor's order.
//   - the //go:embed files of go/build's ImportDir with UseAllFiles (and
//     test embeds too when the main module's go version is before 1.22),
//     resolved as load.ResolveEmbed resolves them; none for a package
//     without Go files, or whose patterns do not resolve (go mod vendor
//     fails then). As in go mod vendor, the embeds of cgo files count only
//     if cgo is enabled in this process's environment (CGO_ENABLED).
//
// The source is the zip of the module version modules.txt lists, or of its
// replacement ("# path version => newpath newversion": zipFor is asked for
// newpath@newversion); a module replaced by a directory ("=> ./dir") is
// compared with that directory on disk (relative to dir), which no go.sum
// hash covers. vendorConsistency must pass for the listed versions and
// replacements to be go.mod's.
//
// The "## go" annotation of a module that is not replaced must be the one go
// mod vendor writes from its zip's go.mod (checkGoAnnotation): it sets the
// language version the vendored files are compiled at.
//
// A file vendor/ has that go mod vendor would not write is "added", one it
// would write that is absent "missing", one with other bytes (or not a
// regular file) "modified". Files of a skipped module are not judged.
// vendor/modules.txt itself is not compared. goVersion is the main
// modules' go version (go.mod's go line, go.work's for a workspace); tool is
// the command that writes the vendor directory. File names in findings are
// slash paths relative to the audited directory (rel joined with
// vendor/...). The error is for an unreadable vendor directory; a missing
// vendor directory counts as empty.
func vendorFiles(dir, rel, goVersion, tool string, modulesTxt []byte, zipFor func(module.Version) (string, error)) ([]Finding, []vendorSkip, error) {
	rel = filepath.ToSlash(rel)
	vl := modulestxt.Parse(modulesTxt)
	c := &vendorCollector{
		dir:       dir,
		txtName:   path.Join(rel, "vendor/modules.txt"),
		vendName:  path.Join(rel, "vendor"),
		goVersion: goVersion,
		toolName:  tool,
		vl:        vl,
		zipFor:    zipFor,
		sources:   make(map[module.Version]*moduleSource),
		want:      make(map[string]*wantFile),
		copied:    make(map[string]bool),
		pkgMod:    make(map[string]module.Version),
	}
	defer c.close()

	// The go command takes a package listed twice from its last listing.
	last := make(map[string]int)
	for i, p := range vl.Pkgs {
		last[p.Path] = i
	}
	for i, p := range vl.Pkgs {
		if last[p.Path] != i || !modulestxt.InModule(p.Path, p.Mod.Path) {
			continue // CheckVendorConsistency reports these lines
		}
		c.pkgMod[p.Path] = p.Mod
		s := c.source(p.Mod)
		if s.skip != "" {
			continue
		}
		if err := c.vendorPkg(s, p); err != nil {
			s.skip = fmt.Sprintf("reading %s: %v", s.desc, err)
			c.skips = append(c.skips, vendorSkip{Module: p.Mod, Reason: s.skip})
		}
	}
	if err := c.compare(); err != nil {
		return nil, nil, err
	}
	Sort(c.findings)
	sort.Slice(c.skips, func(i, j int) bool {
		a, b := c.skips[i].Module, c.skips[j].Module
		if a.Path != b.Path {
			return a.Path < b.Path
		}
		return semver.Compare(a.Version, b.Version) < 0
	})
	return c.findings, c.skips, nil
}

// moduleSource is where a vendored module's files come from.
type moduleSource struct {
	mod    module.Version // as modules.txt lists it
	tree   fs.FS
	desc   string // "example.com/a@v1.0.0", "example.com/a@v1.0.0 (replaced by ./dir)"
	skip   string // why it cannot be compared
	closer io.Closer
}

// wantFile is one file go mod vendor would write.
type wantFile struct {
	src  *moduleSource
	name string // slash path in src.tree
}

type vendorCollector struct {
	dir, txtName, vendName string
	goVersion              string
	toolName               string // go mod vendor, go work vendor
	vl                     *modulestxt.List
	zipFor                 func(module.Version) (string, error)
	sources                map[module.Version]*moduleSource
	want                   map[string]*wantFile      // vendor-relative path → source
	copied                 map[string]bool           // copiedMetadata: modPath + "\x00" + dst
	pkgMod                 map[string]module.Version // package → the module it is vendored from (last listing)
	findings               []Finding
	skips                  []vendorSkip
}

// tool is the command that writes the vendor directory.
func (c *vendorCollector) tool() string { return c.toolName }

func (c *vendorCollector) close() {
	for _, s := range c.sources {
		if s.closer != nil {
			s.closer.Close()
		}
	}
}

// source opens the source of module m once.
func (c *vendorCollector) source(m module.Version) *moduleSource {
	if s := c.sources[m]; s != nil {
		return s
	}
	s := &moduleSource{mod: m}
	c.sources[m] = s
	var repl module.Version
	if meta := c.vl.Meta[m]; meta != nil {
		repl = meta.Replacement
	}
	skip := func(format string, args ...any) *moduleSource {
		s.skip = fmt.Sprintf(format, args...)
		c.skips = append(c.skips, vendorSkip{Module: m, Reason: s.skip})
		return s
	}
	if repl.Path != "" && repl.Version == "" {
		s.desc = fmt.Sprintf("%s (replaced by %s)", modulestxt.Describe(m), repl.Path)
		d := filepath.FromSlash(repl.Path)
		if !filepath.IsAbs(d) {
			d = filepath.Join(c.dir, d)
		}
		if fi, err := os.Stat(d); err != nil || !fi.IsDir() {
			if err == nil {
				err = errors.New("not a directory")
			}
			return skip("replacement directory %s: %v", repl.Path, err)
		}
		s.tree = os.DirFS(d)
		return s
	}
	from := m
	s.desc = modulestxt.Describe(m)
	if repl.Path != "" {
		from = repl
		s.desc = fmt.Sprintf("%s (replaced by %s)", modulestxt.Describe(m), modulestxt.Describe(repl))
	}
	if from.Version == "" {
		return skip("modules.txt gives no version for %s", from.Path)
	}
	if c.zipFor == nil {
		return skip("no verified zip of %s", modulestxt.Describe(from))
	}
	file, err := c.zipFor(from)
	if errors.Is(err, errNoSum) {
		// Not a skip: no verified zip of it can exist.
		s.skip = err.Error()
		line := 0
		if meta := c.vl.Meta[m]; meta != nil {
			line = meta.Line
		}
		fd := NewFinding(RuleVendorTampered, c.txtName, line,
			"%s is vendored, but no go.sum line has the hash of %s: its vendored files cannot be verified (%s refuses a module without one; go build -mod=vendor builds them unchecked): run %s",
			s.desc, modulestxt.Describe(from), c.tool(), c.tool())
		fd.Module, fd.Version = m.Path, m.Version
		c.findings = append(c.findings, fd)
		return s
	}
	if err != nil {
		return skip("no verified zip of %s: %v", modulestxt.Describe(from), err)
	}
	z, err := modtree.OpenZip(file, from)
	if err != nil {
		return skip("%v", zipError(file, err))
	}
	s.tree, s.closer = z, z
	if from == m {
		c.checkGoAnnotation(s)
	}
	return s
}

// vendorPkg adds the files go mod vendor copies for one package.
func (c *vendorCollector) vendorPkg(s *moduleSource, p modulestxt.Pkg) error {
	modPath := p.Mod.Path
	srcDir := "."
	if p.Path != modPath {
		srcDir = p.Path[len(modPath)+1:]
	}
	if fi, err := fs.Stat(s.tree, srcDir); err != nil || !fi.IsDir() {
		fd := NewFinding(RuleVendorTampered, c.txtName, p.Line,
			"package %s is listed under %s, which has no directory %s: %s cannot have written it; run %s",
			p.Path, s.desc, srcDir, c.tool(), c.tool())
		fd.Module, fd.Version = p.Mod.Path, p.Mod.Version
		c.findings = append(c.findings, fd)
		return nil
	}
	// copyDir(dst, src, matchPotentialSourceFile)
	if err := c.copyDir(s, p.Path, srcDir, func(name string) (bool, error) {
		return matchPotentialSourceFile(s.tree, srcDir, name, c.goVersion)
	}); err != nil {
		return err
	}
	// copyMetadata(modPath, pkg, dst, src)
	pkg, dst, src := p.Path, p.Path, srcDir
	for parent := 0; ; parent++ {
		key := modPath + "\x00" + dst
		if c.copied[key] {
			break
		}
		c.copied[key] = true
		if parent > 0 {
			if err := c.copyDir(s, dst, src, func(name string) (bool, error) { return matchMetadata(name), nil }); err != nil {
				return err
			}
		}
		if modPath == pkg {
			break
		}
		pkg, dst, src = path.Dir(pkg), path.Dir(dst), path.Dir(src)
	}
	// Embedded files.
	patterns, err := gobuild.EmbedPatterns(s.tree, srcDir, modulestxt.GoCompare(c.goVersion, "1.22") < 0)
	if err != nil {
		return err
	}
	embeds, err := gobuild.ResolveEmbed(s.tree, srcDir, patterns)
	if err != nil {
		return nil // go mod vendor reports the error and copies no embedded file of the package
	}
	for _, e := range embeds {
		c.want[p.Path+"/"+e] = &wantFile{s, path.Join(srcDir, e)}
	}
	return nil
}

// copyDir records the regular files of src that match, as files of dst.
func (c *vendorCollector) copyDir(s *moduleSource, dst, src string, match func(name string) (bool, error)) error {
	entries, err := fs.ReadDir(s.tree, src)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if !entryMode(e).IsRegular() {
			continue
		}
		ok, err := match(e.Name())
		if err != nil {
			return err
		}
		if ok {
			c.want[dst+"/"+e.Name()] = &wantFile{s, path.Join(src, e.Name())}
		}
	}
	return nil
}

// metaPrefixes is cmd/go's list of metadata file prefixes.
var metaPrefixes = []string{
	"AUTHORS",
	"CONTRIBUTORS",
	"COPYLEFT",
	"COPYING",
	"COPYRIGHT",
	"LEGAL",
	"LICENSE",
	"NOTICE",
	"PATENTS",
}

// matchMetadata is matchMetadata.
func matchMetadata(name string) bool {
	for _, p := range metaPrefixes {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

// matchPotentialSourceFile is matchPotentialSourceFile.
func matchPotentialSourceFile(t fs.FS, dir, name, goVersion string) (bool, error) {
	if strings.HasSuffix(name, "_test.go") {
		return false, nil
	}
	if (name == "go.mod" || name == "go.sum") && modulestxt.GoCompare(goVersion, "1.17") >= 0 {
		return false, nil
	}
	if !strings.HasSuffix(name, ".go") {
		return true, nil
	}
	f, err := t.Open(path.Join(dir, name))
	if err != nil {
		return false, err
	}
	defer f.Close()
	content, nul, err := gobuild.ReadImports(f)
	if err != nil {
		return false, err // an I/O error: the go command stops
	}
	if !nul && !gobuild.ShouldBuildAnyTags(content) {
		return false, nil // tagged "ignore": it can't affect the build
	}
	return true, nil
}

// compare walks dir/vendor and reports what differs from c.want.
func (c *vendorCollector) compare() error {
	have := make(map[string]fs.FileMode)
	vdir := filepath.Join(c.dir, "vendor")
	root, err := os.OpenRoot(vdir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return err
	default:
		defer root.Close()
		err := fs.WalkDir(root.FS(), ".", func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() || p == "modules.txt" {
				return nil
			}
			have[p] = d.Type()
			return nil
		})
		if err != nil {
			return fmt.Errorf("reading %s: %v", vdir, err)
		}
	}

	names := make([]string, 0, len(have)+len(c.want))
	for p := range have {
		names = append(names, p)
	}
	for p := range c.want {
		if _, ok := have[p]; !ok {
			names = append(names, p)
		}
	}
	slices.Sort(names)

	for _, p := range names {
		file := path.Join(c.vendName, p)
		w := c.want[p]
		mode, inVendor := have[p]
		switch {
		case w != nil && w.src.skip != "":
			// The module's source failed while it was being read.
		case w == nil:
			owner, ok := c.owner(p)
			if s := c.sources[owner]; ok && s != nil && s.skip != "" {
				continue // the module version was not compared: not judged
			}
			c.added(file, p, owner, ok)
		case !inVendor:
			sum, err := modtree.SHA256(w.src.tree, w.name)
			if err != nil {
				c.sourceFailed(w.src, err)
				continue
			}
			fd := NewFinding(RuleVendorTampered, file, 0,
				"missing: %s copies %s from %s: run %s", c.tool(), w.name, w.src.desc, c.tool())
			fd.Module, fd.Version, fd.Want = w.src.mod.Path, w.src.mod.Version, sum
			c.findings = append(c.findings, fd)
		default:
			sum, err := modtree.SHA256(w.src.tree, w.name)
			if err != nil {
				c.sourceFailed(w.src, err)
				continue
			}
			if !mode.IsRegular() {
				fd := NewFinding(RuleVendorTampered, file, 0,
					"modified: not a regular file (%s), but %s copies %s from %s there: run %s",
					fileKind(mode), c.tool(), w.name, w.src.desc, c.tool())
				fd.Module, fd.Version, fd.Want, fd.Got = w.src.mod.Path, w.src.mod.Version, sum, fileKind(mode)
				c.findings = append(c.findings, fd)
				continue
			}
			got, err := modtree.SHA256(root.FS(), p)
			if err != nil {
				return fmt.Errorf("reading %s: %v", filepath.Join(vdir, filepath.FromSlash(p)), err)
			}
			if got != sum {
				fd := NewFinding(RuleVendorTampered, file, 0,
					"modified: differs from %s in %s: run %s", w.name, w.src.desc, c.tool())
				fd.Module, fd.Version, fd.Want, fd.Got = w.src.mod.Path, w.src.mod.Version, sum, got
				c.findings = append(c.findings, fd)
			}
		}
	}
	return nil
}

// sourceFailed turns a module whose source could not be read into a skip and
// drops the findings already made about it.
func (c *vendorCollector) sourceFailed(s *moduleSource, err error) {
	if s.skip != "" {
		return
	}
	s.skip = fmt.Sprintf("reading %s: %v", s.desc, err)
	c.skips = append(c.skips, vendorSkip{Module: s.mod, Reason: s.skip})
	kept := c.findings[:0]
	for _, fd := range c.findings {
		if fd.File == c.txtName || fd.Module != s.mod.Path || fd.Version != s.mod.Version {
			kept = append(kept, fd)
		}
	}
	c.findings = kept
}

// added reports a vendored file go mod vendor would not write.
func (c *vendorCollector) added(file, p string, owner module.Version, ok bool) {
	var fd Finding
	switch {
	case !ok:
		fd = NewFinding(RuleVendorTampered, file, 0,
			"added: no module in vendor/modules.txt provides this path: delete it or run %s", c.tool())
	default:
		s := c.sources[owner]
		inMod := "."
		if d := path.Dir(p); d != owner.Path {
			inMod = d[len(owner.Path)+1:]
		}
		name := path.Join(inMod, path.Base(p))
		why := ""
		switch {
		case strings.HasSuffix(p, "_test.go"):
			why = " (_test.go files are never vendored)"
		case s != nil && s.tree != nil:
			if fi, err := fs.Stat(s.tree, name); err != nil || fi.IsDir() {
				why = fmt.Sprintf(" (it has no file %s)", name)
			}
		}
		desc := modulestxt.Describe(owner)
		if s != nil && s.desc != "" {
			desc = s.desc
		}
		fd = NewFinding(RuleVendorTampered, file, 0,
			"added: %s does not copy this file from %s%s: delete it or run %s", c.tool(), desc, why, c.tool())
		fd.Module, fd.Version = owner.Path, owner.Version
	}
	c.findings = append(c.findings, fd)
}

// owner returns the module version the vendor-relative file p belongs to:
// the one its directory is listed under as a package, else the vendored
// module whose path is the longest prefix of p, at the version packages are
// vendored from.
func (c *vendorCollector) owner(p string) (module.Version, bool) {
	best := ""
	d := path.Dir(p)
	if m, ok := c.pkgMod[d]; ok {
		return m, true
	}
	for modPath := range c.vl.Version {
		if modulestxt.InModule(d, modPath) && len(modPath) > len(best) {
			best = modPath
		}
	}
	if best == "" {
		return module.Version{}, false
	}
	return module.Version{Path: best, Version: c.vl.Version[best]}, true
}

// fileKind names the type of a file that is not regular, with an article.
func fileKind(m fs.FileMode) string {
	if name := modtree.ModeName(m); name != "irregular file" {
		return "a " + name
	}
	return "an irregular file"
}

// entryMode is the mode of a directory entry as Lstat gives it (its type
// if Lstat fails).
func entryMode(e fs.DirEntry) fs.FileMode {
	fi, err := e.Info()
	if err != nil {
		return e.Type()
	}
	return fi.Mode()
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
func (c *vendorCollector) checkGoAnnotation(s *moduleSource) {
	m := s.mod
	meta := c.vl.Meta[m]
	if meta == nil {
		return
	}
	want, why := "", "go mod vendor writes no go annotation for a main module before go 1.17"
	if modulestxt.GoCompare(c.goVersion, "1.17") >= 0 {
		why = "its go.mod has no go line"
		if semver.Build(m.Version) != "+incompatible" {
			gv, err := treeGoLine(s.tree)
			if err != nil {
				return // go mod vendor would fail; the files say the rest
			}
			want = gv
		}
		if want != "" {
			why = "its go.mod says go " + want
		}
	}
	if meta.GoVersion == want {
		return
	}
	line, got := meta.GoLine, "go "+meta.GoVersion
	if meta.GoVersion == "" {
		line, got = meta.Line, ""
	}
	fd := NewFinding(RuleVendorTampered, c.txtName, line,
		"%s is marked %q in vendor/modules.txt, but %s: the go command compiles its vendored packages at the annotation's language version; run %s",
		s.desc, "## "+got, why, c.tool())
	if meta.GoVersion == "" {
		fd.Message = fmt.Sprintf("%s has no go annotation in vendor/modules.txt, but %s: the go command compiles its vendored packages at another language version; run %s",
			s.desc, why, c.tool())
	}
	fd.Module, fd.Version, fd.Got = m.Path, m.Version, got
	if want != "" {
		fd.Want = "go " + want
	}
	c.findings = append(c.findings, fd)
}

// treeGoLine returns the go line of the go.mod at the root of t, "" if
// there is no go.mod or it has no go line.
func treeGoLine(t fs.FS) (string, error) {
	f, err := t.Open("go.mod")
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	defer f.Close()
	data, err := readLimited(f, "go.mod", maxGoMod, -1)
	if err != nil {
		return "", err
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
