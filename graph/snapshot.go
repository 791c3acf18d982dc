package graph

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"

	"github.com/modseal/modseal/verify"
)

// SnapshotSchema is the schema id of a snapshot (.modseal/graph.json).
const SnapshotSchema = "modseal/graph/v1"

// A Snapshot is the canonical record of a module's (or workspace's) graph:
// what "go mod graph" and "go list -m all" say, the go.sum hashes of the
// build list, and which modules provide packages to the build on which
// platforms. Marshal encodes it byte for byte the same for the same inputs.
//
// Module is the main module's path; for a go.work workspace, the paths of
// the workspace's modules sorted bytewise and joined by ",", so reordering
// the use directives changes nothing. Go and Toolchain are the go and
// toolchain lines of go.mod, or of go.work for a workspace.
type Snapshot struct {
	Schema        string           `json:"schema"`
	Module        string           `json:"module"`
	Go            string           `json:"go"`
	Toolchain     string           `json:"toolchain,omitempty"`
	GraphDigest   string           `json:"graph_digest"`
	ContentDigest string           `json:"content_digest"`
	Modules       []SnapshotModule `json:"modules"`
	Edges         []string         `json:"edges"`

	// src says where the files hold what the snapshot records; only a
	// snapshot computed from files has it (see Drift).
	src *sources
}

// A SnapshotModule is one module of the build list ("go list -m all"),
// main modules included (they have no version and no hashes).
//
// Sum and GoModSum are the h1 hashes go.sum holds for the module's zip and
// go.mod, "" where go.sum has none (commonly the zip hash of a module whose
// packages the build never needs). For a replaced module they are the
// hashes of the replacement, which is what go.sum records and the go command
// checks; a module replaced by a directory has none: nothing hashes it.
//
// Platforms lists the GOOS/GOARCH pairs for which the module provides at
// least one package to the build of the snapshot's patterns, sorted.
type SnapshotModule struct {
	Path      string       `json:"path"`
	Version   string       `json:"version"`
	Sum       string       `json:"sum"`
	GoModSum  string       `json:"gomod_sum"`
	Indirect  bool         `json:"indirect"`
	Replace   *Replacement `json:"replace,omitempty"`
	Platforms []string     `json:"platforms"`
}

// A Replacement is the target of a replace directive: a module path and
// version, or a directory (relative as go.mod spells it) and no version.
type Replacement struct {
	Path    string `json:"path"`
	Version string `json:"version,omitempty"`
}

// main reports whether m is a main module: the only modules without a version.
func (m *SnapshotModule) main() bool { return m.Version == "" }

// SnapshotOptions configure Snapshot.
type SnapshotOptions struct {
	// Patterns are the package patterns of the build. nil means
	// DefaultPatterns for a module, and every workspace module's packages
	// ("./DIR/..." for each use directive) for a workspace, where ./...
	// in the go.work directory matches no module.
	Patterns  []string
	Platforms []string // GOOS/GOARCH pairs; nil means DefaultPlatforms
	Jobs      int      // platforms listed at once; 0 means GOMAXPROCS
	// ReadFile, if set, reads go.work, go.mod, go.sum and go.work.sum (by
	// absolute name) in place of verify.ReadFileLimited: a caller that has
	// read them already passes what it read, so that the snapshot describes
	// the bytes it checked. A missing file is an error that
	// errors.Is(err, fs.ErrNotExist).
	ReadFile func(name string) ([]byte, error)
}

// loc is a line of a file, the file relative to Go.Dir.
type loc struct {
	file string
	line int
}

// sources records where, in the files a snapshot was computed from, each of
// its facts is written, so that drift findings can point at a line.
type sources struct {
	root          string         // go.mod, or go.work for a workspace
	goLine        int            // the go directive's line in root
	toolchainLine int            // the toolchain directive's line in root
	require       map[string]loc // module path -> require line in a main module's go.mod
	sums          map[string]loc // "path version[/go.mod]" -> go.sum line of the recorded hash
}

// Snapshot computes the snapshot of the module or workspace in g.Dir. It
// runs "go list -m -json all", "go mod graph" and, per platform, go/packages
// in its list-only mode, concurrently, and reads go.mod, go.work and the
// go.sum and go.work.sum files. Nothing is built and nothing is written.
func (g *Command) Snapshot(ctx context.Context, opts SnapshotOptions) (*Snapshot, error) {
	patterns, platforms := opts.Patterns, opts.Platforms
	if patterns == nil {
		patterns = DefaultPatterns
	}
	if platforms == nil {
		platforms = DefaultPlatforms
	}
	for _, p := range platforms {
		if err := CheckPlatform(p); err != nil {
			return nil, err
		}
	}
	jobs := opts.Jobs
	if jobs <= 0 {
		jobs = runtime.GOMAXPROCS(0)
	}
	read := opts.ReadFile
	if read == nil {
		read = func(name string) ([]byte, error) { return verify.ReadFileLimited(name, verify.MaxSumFileSize) }
	}
	env, err := g.Env(ctx)
	if err != nil {
		return nil, err
	}
	workspace := env.GOWORK != "" && env.GOWORK != "off"
	if !workspace && (env.GOMOD == "" || env.GOMOD == os.DevNull) {
		return nil, fmt.Errorf("%s is in no Go module (no go.mod here or above); run modseal in a module directory", g.Dir)
	}

	s := &Snapshot{Schema: SnapshotSchema, Modules: []SnapshotModule{}}
	src := &sources{require: make(map[string]loc), sums: make(map[string]loc)}
	s.src = src

	// The root file: go and toolchain lines, and a workspace's modules.
	rootFile := env.GOMOD
	if workspace {
		rootFile = env.GOWORK
	}
	src.root = g.rel(rootFile)
	data, err := read(rootFile)
	if err != nil {
		return nil, err
	}
	if workspace {
		wf, err := modfile.ParseWork(rootFile, data, nil)
		if err != nil {
			return nil, err
		}
		if wf.Go != nil {
			s.Go, src.goLine = wf.Go.Version, lineOf(wf.Go.Syntax)
		}
		if wf.Toolchain != nil {
			s.Toolchain, src.toolchainLine = wf.Toolchain.Name, lineOf(wf.Toolchain.Syntax)
		}
		if opts.Patterns == nil {
			// "./..." in a workspace directory that is no module matches
			// nothing: every workspace module's packages instead.
			patterns = nil
			for _, u := range wf.Use {
				d := u.Path
				if !filepath.IsAbs(d) {
					d = filepath.Join(filepath.Dir(rootFile), d)
				}
				switch r := g.rel(d); {
				case r == ".":
					patterns = append(patterns, "./...")
				case strings.HasPrefix(r, "../"):
					patterns = append(patterns, r+"/...")
				default:
					patterns = append(patterns, "./"+r+"/...")
				}
			}
			slices.Sort(patterns)
			patterns = slices.Compact(patterns)
		}
	}

	var (
		list      []Module
		edges     []string
		providers map[string][]string
		errs      [3]error
		wg        sync.WaitGroup
	)
	wg.Go(func() { list, errs[0] = g.BuildList(ctx) })
	wg.Go(func() { edges, errs[1] = g.Edges(ctx) })
	if len(patterns) > 0 {
		wg.Go(func() { providers, errs[2] = g.platformModules(ctx, patterns, platforms, jobs) })
	}
	wg.Wait()
	if err := errors.Join(errs[:]...); err != nil {
		return nil, err
	}
	s.Edges = edges
	if s.Edges == nil {
		s.Edges = []string{}
	}

	// Main modules: their go.mod files (require lines) and go.sum files.
	var mains []Module
	for _, m := range list {
		if m.Main {
			mains = append(mains, m)
		}
	}
	if len(mains) == 0 {
		return nil, fmt.Errorf("go list -m all in %s listed no main module", g.Dir)
	}
	slices.SortFunc(mains, func(a, b Module) int { return strings.Compare(a.Path, b.Path) })
	var paths, sumFiles []string
	for _, m := range mains {
		paths = append(paths, m.Path)
		gomod := m.GoMod
		if gomod == "" {
			gomod = filepath.Join(m.Dir, "go.mod")
		}
		data, err := read(gomod)
		if err != nil {
			return nil, err
		}
		mf, err := modfile.Parse(gomod, data, nil)
		if err != nil {
			return nil, err
		}
		if !workspace {
			if mf.Go != nil {
				s.Go, src.goLine = mf.Go.Version, lineOf(mf.Go.Syntax)
			}
			if mf.Toolchain != nil {
				s.Toolchain, src.toolchainLine = mf.Toolchain.Name, lineOf(mf.Toolchain.Syntax)
			}
		}
		for _, r := range mf.Require {
			if _, ok := src.require[r.Mod.Path]; !ok {
				src.require[r.Mod.Path] = loc{g.rel(gomod), lineOf(r.Syntax)}
			}
		}
		sumFiles = append(sumFiles, filepath.Join(filepath.Dir(gomod), "go.sum"))
	}
	if workspace {
		sumFiles = append(sumFiles, filepath.Join(filepath.Dir(env.GOWORK), "go.work.sum"))
	}
	s.Module = strings.Join(paths, ",")

	// The hashes: the first h1 line for each module version, in the order
	// of the main modules' go.sum files, then go.work.sum. (Two different
	// hashes for one version are audit's gosum-conflict.)
	hashes := make(map[string]string)
	for _, name := range sumFiles {
		data, err := read(name)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		sf, _ := verify.ParseSum(g.rel(name), data)
		for _, l := range sf.Lines {
			k := l.Path + " " + l.Version
			if _, ok := hashes[k]; ok || !strings.HasPrefix(l.Hash, "h1:") {
				continue
			}
			hashes[k] = l.Hash
			src.sums[k] = loc{sf.Name, l.Line}
		}
	}

	for _, m := range list {
		if m.Error != nil {
			return nil, fmt.Errorf("go list -m all: %s: %v", m.Path, m.Error)
		}
		sm := SnapshotModule{Path: m.Path, Platforms: providers[m.Path]}
		if sm.Platforms == nil {
			sm.Platforms = []string{}
		}
		if !m.Main {
			sm.Version, sm.Indirect = m.Version, m.Indirect
			if r := m.Replace; r != nil {
				sm.Replace = &Replacement{Path: r.Path, Version: r.Version}
			}
			if k := sm.hashKey(false); k != "" {
				sm.Sum, sm.GoModSum = hashes[k], hashes[sm.hashKey(true)]
			}
		}
		s.Modules = append(s.Modules, sm)
	}
	slices.SortFunc(s.Modules, func(a, b SnapshotModule) int { return strings.Compare(a.Path, b.Path) })
	s.GraphDigest = Digest(s.Edges)
	s.ContentDigest = ContentDigest(s.Modules)
	return s, nil
}

// hashKey returns the key of go.sum's zip hash (gomod false) or go.mod hash
// for m: the replacement's for a replaced module, "" for a directory.
func (m *SnapshotModule) hashKey(gomod bool) string {
	p, v := m.Path, m.Version
	if m.Replace != nil {
		p, v = m.Replace.Path, m.Replace.Version
	}
	if v == "" {
		return ""
	}
	if gomod {
		v += "/go.mod"
	}
	return p + " " + v
}

// rel returns name relative to the directory g works in, slash-separated
// (the absolute path if it has no relative form).
func (g *Command) rel(name string) string {
	base, err1 := filepath.Abs(g.Dir)
	target, err2 := filepath.Abs(name)
	if err1 != nil || err2 != nil {
		return filepath.ToSlash(name)
	}
	r, err := filepath.Rel(base, target)
	if err != nil {
		return filepath.ToSlash(target)
	}
	return filepath.ToSlash(r)
}

func lineOf(l *modfile.Line) int {
	if l == nil {
		return 0
	}
	return l.Start.Line
}

// ContentDigest returns "sha256:" and the hex SHA-256 of the lines
// "PATH VERSION H1 GOMODH1\n", sorted bytewise, of every module but the main
// modules; "-" stands for a hash go.sum lacks. A replaced module's line has
// its own path and version and the replacement's hashes.
func ContentDigest(mods []SnapshotModule) string {
	lines := make([]string, 0, len(mods))
	for _, m := range mods {
		if m.main() {
			continue
		}
		lines = append(lines, m.Path+" "+m.Version+" "+orDash(m.Sum)+" "+orDash(m.GoModSum)+"\n")
	}
	slices.Sort(lines)
	h := sha256.New()
	for _, l := range lines {
		io.WriteString(h, l)
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// Marshal encodes s canonically: 2-space indented JSON with a final
// newline, fields in a fixed order, empty lists as [] and no HTML escaping.
// Marshal does not sort; Snapshot and ParseSnapshot return sorted snapshots.
func Marshal(s *Snapshot) []byte {
	c := *s
	if c.Modules == nil {
		c.Modules = []SnapshotModule{}
	}
	if c.Edges == nil {
		c.Edges = []string{}
	}
	for i := range c.Modules {
		if c.Modules[i].Platforms == nil {
			c.Modules = slices.Clone(c.Modules)
			for j := range c.Modules {
				if c.Modules[j].Platforms == nil {
					c.Modules[j].Platforms = []string{}
				}
			}
			break
		}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(&c); err != nil {
		// Only strings, bools and slices of them: encoding cannot fail.
		panic("graph: marshal snapshot: " + err.Error())
	}
	return buf.Bytes()
}

// A SnapshotError is a snapshot file that is not a valid modseal/graph/v1
// snapshot.
type SnapshotError struct {
	Err error
}

func (e *SnapshotError) Error() string { return "invalid snapshot: " + e.Err.Error() }
func (e *SnapshotError) Unwrap() error { return e.Err }

// ParseSnapshot decodes a snapshot strictly: the schema must be
// modseal/graph/v1, every field must be known and present, modules and edges
// sorted and unique, versions canonical, platforms GOOS/GOARCH, and both
// digests must be those of the modules and edges recorded: a hand-edited
// snapshot is an error, not a quiet source of wrong drift.
func ParseSnapshot(data []byte) (*Snapshot, error) {
	// Fields as pointers, to tell a missing field from an empty one.
	var raw struct {
		Schema        *string `json:"schema"`
		Module        *string `json:"module"`
		Go            *string `json:"go"`
		Toolchain     *string `json:"toolchain"`
		GraphDigest   *string `json:"graph_digest"`
		ContentDigest *string `json:"content_digest"`
		Modules       *[]struct {
			Path      *string      `json:"path"`
			Version   *string      `json:"version"`
			Sum       *string      `json:"sum"`
			GoModSum  *string      `json:"gomod_sum"`
			Indirect  *bool        `json:"indirect"`
			Replace   *Replacement `json:"replace"`
			Platforms *[]string    `json:"platforms"`
		} `json:"modules"`
		Edges *[]string `json:"edges"`
	}
	bad := func(format string, args ...any) (*Snapshot, error) {
		return nil, &SnapshotError{fmt.Errorf(format, args...)}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&raw); err != nil {
		return bad("%v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return bad("data after the JSON object")
	}
	if raw.Schema == nil {
		return bad("no schema field (want %q)", SnapshotSchema)
	}
	if *raw.Schema != SnapshotSchema {
		return bad("unknown schema %q: this modseal reads %q", *raw.Schema, SnapshotSchema)
	}
	for name, p := range map[string]*string{"module": raw.Module, "go": raw.Go, "graph_digest": raw.GraphDigest, "content_digest": raw.ContentDigest} {
		if p == nil {
			return bad("no %s field", name)
		}
	}
	if raw.Modules == nil || raw.Edges == nil {
		return bad("no modules or no edges list")
	}
	s := &Snapshot{
		Schema:        *raw.Schema,
		Module:        *raw.Module,
		Go:            *raw.Go,
		GraphDigest:   *raw.GraphDigest,
		ContentDigest: *raw.ContentDigest,
		Modules:       make([]SnapshotModule, 0, len(*raw.Modules)),
		Edges:         *raw.Edges,
	}
	if raw.Toolchain != nil {
		if *raw.Toolchain == "" {
			return bad("empty toolchain (leave the field out)")
		}
		s.Toolchain = *raw.Toolchain
	}
	if s.Module == "" || !isWord(strings.ReplaceAll(s.Module, ",", "")) {
		return bad("module %q: want the main module path(s), comma-separated", s.Module)
	}
	if s.Go != "" && !modfile.GoVersionRE.MatchString(s.Go) {
		return bad("go %q: not a go version", s.Go)
	}
	if !isWord(s.Toolchain) && s.Toolchain != "" {
		return bad("toolchain %q: not a toolchain name", s.Toolchain)
	}
	mains := 0
	for i, rm := range *raw.Modules {
		if rm.Path == nil || rm.Version == nil || rm.Sum == nil || rm.GoModSum == nil || rm.Indirect == nil || rm.Platforms == nil {
			return bad("modules[%d]: want path, version, sum, gomod_sum, indirect and platforms", i)
		}
		m := SnapshotModule{
			Path: *rm.Path, Version: *rm.Version, Sum: *rm.Sum, GoModSum: *rm.GoModSum,
			Indirect: *rm.Indirect, Replace: rm.Replace, Platforms: *rm.Platforms,
		}
		if err := checkSnapshotModule(&m); err != nil {
			return bad("modules[%d]: %v", i, err)
		}
		if i > 0 && s.Modules[i-1].Path >= m.Path {
			return bad("modules[%d]: %s: modules must be sorted by path, each once", i, m.Path)
		}
		if m.main() {
			mains++
		}
		s.Modules = append(s.Modules, m)
	}
	if mains == 0 {
		return bad("no main module in modules")
	}
	for i, e := range s.Edges {
		f := strings.Split(e, " ")
		if len(f) != 2 || !isWord(f[0]) || !isWord(f[1]) {
			return bad("edges[%d]: %q: want \"FROM TO\" as go mod graph prints it", i, e)
		}
		if i > 0 && s.Edges[i-1] >= e {
			return bad("edges[%d]: %q: edges must be sorted, each once", i, e)
		}
	}
	if d := Digest(s.Edges); d != s.GraphDigest {
		return bad("graph_digest %s is not the digest of the edges (%s)", s.GraphDigest, d)
	}
	if d := ContentDigest(s.Modules); d != s.ContentDigest {
		return bad("content_digest %s is not the digest of the modules (%s)", s.ContentDigest, d)
	}
	return s, nil
}

func checkSnapshotModule(m *SnapshotModule) error {
	if !isWord(m.Path) {
		return fmt.Errorf("path %q: not a module path", m.Path)
	}
	if m.Version != "" {
		if err := module.Check(m.Path, m.Version); err != nil {
			return err
		}
	} else if m.Sum != "" || m.GoModSum != "" || m.Replace != nil || m.Indirect {
		return fmt.Errorf("%s: a main module (no version) has no hashes, replacement or indirect mark", m.Path)
	}
	for _, h := range []string{m.Sum, m.GoModSum} {
		if h != "" && (!strings.HasPrefix(h, "h1:") || !isWord(h)) {
			return fmt.Errorf("%s: hash %q: want h1:BASE64", m.Path, h)
		}
	}
	if r := m.Replace; r != nil {
		// A module replacement is path and version, words; a directory
		// replacement is a path as go.mod spells it, which may have spaces
		// (replace x => "./my dir").
		if r.Version != "" && (!isWord(r.Path) || !isWord(r.Version)) || r.Version == "" && !isDirReplacement(r.Path) {
			return fmt.Errorf("%s: replacement %q %q: not a module or directory", m.Path, r.Path, r.Version)
		}
		if r.Version == "" && (m.Sum != "" || m.GoModSum != "") {
			return fmt.Errorf("%s: a module replaced by a directory has no hashes", m.Path)
		}
	}
	for j, p := range m.Platforms {
		if err := CheckPlatform(p); err != nil {
			return fmt.Errorf("%s: %v", m.Path, err)
		}
		if j > 0 && m.Platforms[j-1] >= p {
			return fmt.Errorf("%s: platforms must be sorted, each once", m.Path)
		}
	}
	return nil
}

// isDirReplacement reports whether s is the directory of a replace
// directive, as go.mod spells it: a path that starts like one
// (modfile.IsDirectoryPath: ./, ../, /, a drive letter), printable, spaces
// allowed, and no line break or other control character.
func isDirReplacement(s string) bool {
	if !modfile.IsDirectoryPath(s) {
		return false
	}
	for _, r := range s {
		if r < ' ' || r == 0x7f || r == '\uFFFD' || r >= 0x80 && r <= 0x9f {
			return false
		}
	}
	return true
}

// isWord reports whether s is non-empty printable text without spaces.
func isWord(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r <= ' ' || r == 0x7f || r == '\uFFFD' {
			return false
		}
	}
	return true
}
