// Package testproxy builds a module proxy for tests from txtar fixtures, so
// no test needs the internet. It is test-only.
//
// A fixture is a txtar archive whose comment names the module and records
// its expected hashes, as go.sum would hold them:
//
//	module example.com/a v1.0.0
//	time 2023-01-02T03:04:05Z          (optional; the .info Time)
//	origin 0123abcd...                  (optional; the .info Origin.Hash, VCS git)
//	hash h1:...                         (optional; checked against the zip)
//	gomodhash h1:...                    (optional; checked against .mod)
//	-- .mod --                          (optional; default: the zip's go.mod,
//	module example.com/a                 or "module PATH" if it has none)
//	-- go.mod --
//	module example.com/a
//	-- a.go --
//	package a
//
// Build writes the GOPROXY protocol layout (path/@v/list, V.info, V.mod,
// V.zip, with paths and versions case-escaped) and fails if a recorded hash
// disagrees with what it built, so the expected answer lives in the fixture.
package testproxy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/rogpeppe/go-internal/txtar"
	"golang.org/x/mod/module"
	"golang.org/x/mod/semver"
	"golang.org/x/mod/sumdb/dirhash"
	modzip "golang.org/x/mod/zip"
)

// A Module is one module version the proxy serves.
type Module struct {
	Path, Version string
	Time          time.Time
	Origin        string // commit hash for the .info Origin; "" for none
	Sum           string // h1 of the zip
	GoModSum      string // h1 of the .mod file
	Mod           []byte // the .mod file
	Files         []txtar.File
	Source        string // the fixture file
	ZipFile       string // the built zip, after Build
	GoModFile     string // the built .mod, after Build
}

// Load reads every *.txt fixture in dir.
func Load(dir string) ([]*Module, error) {
	names, err := filepath.Glob(filepath.Join(dir, "*.txt"))
	if err != nil {
		return nil, err
	}
	var mods []*Module
	for _, name := range names {
		m, err := LoadFile(name)
		if err != nil {
			return nil, err
		}
		mods = append(mods, m)
	}
	return mods, nil
}

// LoadFile reads one fixture.
func LoadFile(name string) (*Module, error) {
	a, err := txtar.ParseFile(name)
	if err != nil {
		return nil, err
	}
	return parse(name, a)
}

func parse(name string, a *txtar.Archive) (*Module, error) {
	m := &Module{Source: name, Time: time.Date(2023, 1, 2, 3, 4, 5, 0, time.UTC)}
	var wantSum, wantGoModSum string
	for _, line := range strings.Split(string(a.Comment), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 || strings.HasPrefix(f[0], "#") {
			continue
		}
		switch {
		case f[0] == "module" && len(f) == 3:
			m.Path, m.Version = f[1], f[2]
		case f[0] == "time" && len(f) == 2:
			t, err := time.Parse(time.RFC3339, f[1])
			if err != nil {
				return nil, fmt.Errorf("%s: %v", name, err)
			}
			m.Time = t
		case f[0] == "origin" && len(f) == 2:
			m.Origin = f[1]
		case f[0] == "hash" && len(f) == 2:
			wantSum = f[1]
		case f[0] == "gomodhash" && len(f) == 2:
			wantGoModSum = f[1]
		default:
			return nil, fmt.Errorf("%s: unknown header line %q", name, line)
		}
	}
	if err := module.Check(m.Path, m.Version); err != nil {
		return nil, fmt.Errorf("%s: header must say \"module PATH VERSION\": %v", name, err)
	}
	for _, f := range a.Files {
		switch f.Name {
		case ".mod":
			m.Mod = f.Data
		case ".info":
			return nil, fmt.Errorf("%s: .info is generated; set the time header instead", name)
		default:
			m.Files = append(m.Files, f)
			if f.Name == "go.mod" && m.Mod == nil {
				m.Mod = f.Data
			}
		}
	}
	if m.Mod == nil {
		m.Mod = []byte("module " + m.Path + "\n")
	}
	var err error
	if m.GoModSum, err = dirhash.Hash1([]string{"go.mod"}, func(string) (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(m.Mod)), nil
	}); err != nil {
		return nil, err
	}
	if m.Sum, err = dirhash.Hash1(m.fileNames(), m.open); err != nil {
		return nil, err
	}
	if wantSum != "" && wantSum != m.Sum {
		return nil, fmt.Errorf("%s: hash header says %s, the files hash to %s", name, wantSum, m.Sum)
	}
	if wantGoModSum != "" && wantGoModSum != m.GoModSum {
		return nil, fmt.Errorf("%s: gomodhash header says %s, the .mod hashes to %s", name, wantGoModSum, m.GoModSum)
	}
	return m, nil
}

// fileNames returns the zip's file names, "path@version/name", sorted.
func (m *Module) fileNames() []string {
	var names []string
	for _, f := range m.Files {
		names = append(names, m.ID()+"/"+f.Name)
	}
	slices.Sort(names)
	return names
}

func (m *Module) open(name string) (io.ReadCloser, error) {
	rel := strings.TrimPrefix(name, m.ID()+"/")
	for _, f := range m.Files {
		if f.Name == rel {
			return io.NopCloser(bytes.NewReader(f.Data)), nil
		}
	}
	return nil, os.ErrNotExist
}

// ID returns "path@version".
func (m *Module) ID() string { return m.Path + "@" + m.Version }

// SumLines returns the module's two go.sum lines.
func (m *Module) SumLines() string {
	return fmt.Sprintf("%s %s %s\n%s %s/go.mod %s\n", m.Path, m.Version, m.Sum, m.Path, m.Version, m.GoModSum)
}

// Build writes the proxy layout for mods under dst.
func Build(dst string, mods []*Module) error {
	versions := make(map[string][]string)
	for _, m := range mods {
		escPath, err := module.EscapePath(m.Path)
		if err != nil {
			return err
		}
		escVer, err := module.EscapeVersion(m.Version)
		if err != nil {
			return err
		}
		dir := filepath.Join(dst, filepath.FromSlash(escPath), "@v")
		if err := os.MkdirAll(dir, 0o777); err != nil {
			return err
		}
		type origin struct{ VCS, Hash string }
		var o *origin
		if m.Origin != "" {
			o = &origin{VCS: "git", Hash: m.Origin}
		}
		info, _ := json.Marshal(struct {
			Version string
			Time    time.Time
			Origin  *origin `json:",omitempty"`
		}{m.Version, m.Time, o})
		m.GoModFile = filepath.Join(dir, escVer+".mod")
		m.ZipFile = filepath.Join(dir, escVer+".zip")
		if err := os.WriteFile(filepath.Join(dir, escVer+".info"), info, 0o666); err != nil {
			return err
		}
		if err := os.WriteFile(m.GoModFile, m.Mod, 0o666); err != nil {
			return err
		}
		if err := m.writeZip(m.ZipFile); err != nil {
			return fmt.Errorf("%s: %v", m.Source, err)
		}
		versions[dir] = append(versions[dir], m.Version)
	}
	for dir, vs := range versions {
		semver.Sort(vs)
		var list []string
		for _, v := range vs {
			if !module.IsPseudoVersion(v) {
				list = append(list, v)
			}
		}
		data := strings.Join(list, "\n")
		if data != "" {
			data += "\n"
		}
		if err := os.WriteFile(filepath.Join(dir, "list"), []byte(data), 0o666); err != nil {
			return err
		}
	}
	return nil
}

// writeZip creates the module zip with golang.org/x/mod/zip, which enforces
// the same rules as the go command.
func (m *Module) writeZip(file string) error {
	var files []modzip.File
	for _, f := range m.Files {
		files = append(files, zipFile{f})
	}
	var buf bytes.Buffer
	if err := modzip.Create(&buf, module.Version{Path: m.Path, Version: m.Version}, files); err != nil {
		return err
	}
	return os.WriteFile(file, buf.Bytes(), 0o666)
}

type zipFile struct{ f txtar.File }

func (z zipFile) Path() string                { return z.f.Name }
func (z zipFile) Lstat() (os.FileInfo, error) { return zipInfo(z), nil }
func (z zipFile) Open() (io.ReadCloser, error) {
	return io.NopCloser(bytes.NewReader(z.f.Data)), nil
}

type zipInfo zipFile

func (i zipInfo) Name() string       { return filepath.Base(i.f.Name) }
func (i zipInfo) Size() int64        { return int64(len(i.f.Data)) }
func (i zipInfo) Mode() os.FileMode  { return 0o444 }
func (i zipInfo) ModTime() time.Time { return time.Time{} }
func (i zipInfo) IsDir() bool        { return false }
func (i zipInfo) Sys() any           { return nil }

// URL returns the file:// GOPROXY value for a proxy built in dir.
func URL(dir string) string {
	return "file://" + filepath.ToSlash(dir)
}
