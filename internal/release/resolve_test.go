package release

import (
	"io/fs"
	"strings"
	"testing"
)

// files is a commit's tree for Resolve: name -> content.
type files map[string]string

func (f files) read(name string) ([]byte, error) {
	if data, ok := f[name]; ok {
		return []byte(data), nil
	}
	return nil, &fs.PathError{Op: "read", Path: name, Err: fs.ErrNotExist}
}

func TestNewLayout(t *testing.T) {
	for _, tt := range []struct {
		path, dir              string
		codeDir, major, prefix string
	}{
		{"example.com/m", "", "", "", ""},
		{"example.com/m", ".", "", "", ""},
		{"example.com/m/sub/dir", "sub/dir", "sub/dir", "", "sub/dir/"},
		// A /vN module at the root: tags vN.x.y at the root.
		{"example.com/m/v2", "", "", "/v2", ""},
		// In its major-version subdirectory: still tagged at the root
		// (cmd/go looks in codeDir and codeDir/v2).
		{"example.com/m/v2", "v2", "", "/v2", ""},
		{"example.com/m/sub/v3", "sub/v3", "sub", "/v3", "sub/"},
		// A nested module whose path has the suffix, in its own directory.
		{"example.com/m/sub/v2", "sub", "sub", "/v2", "sub/"},
		// The directory is the path's last element, not a major subdirectory.
		{"example.com/m/v2/v2", "v2", "v2", "/v2", "v2/"},
		{"gopkg.in/yaml.v3", "", "", ".v3", ""},
	} {
		l, err := NewLayout(tt.path, tt.dir)
		if err != nil {
			t.Errorf("NewLayout(%q, %q): %v", tt.path, tt.dir, err)
			continue
		}
		if l.CodeDir != tt.codeDir || l.PathMajor != tt.major || l.TagPrefix() != tt.prefix {
			t.Errorf("NewLayout(%q, %q) = codeDir %q, pathMajor %q, prefix %q; want %q, %q, %q",
				tt.path, tt.dir, l.CodeDir, l.PathMajor, l.TagPrefix(), tt.codeDir, tt.major, tt.prefix)
		}
	}
	if _, err := NewLayout("not a path", ""); err == nil {
		t.Error("NewLayout accepted an invalid module path")
	}
}

func TestTagVersion(t *testing.T) {
	root, _ := NewLayout("example.com/m", "")
	sub, _ := NewLayout("example.com/m/sub", "sub")
	unstable, _ := NewLayout("gopkg.in/macaroon-bakery.v2-unstable", "")
	for _, tt := range []struct {
		l    Layout
		tag  string
		want string // "" for not a release tag
	}{
		{root, "v1.0.0", "v1.0.0"},
		{root, "v1.0.0-rc.1", "v1.0.0-rc.1"},
		{root, "v2.3.4", "v2.3.4"}, // Resolve decides whether it is the module's
		{root, "latest", ""},
		{root, "v1.2", ""},  // incomplete
		{root, "v1", ""},    // incomplete
		{root, "1.2.3", ""}, // no v
		{root, "v01.2.3", ""},
		{root, "v1.2.3+meta", ""},                        // build metadata: not canonical
		{root, "v2.0.0+incompatible", ""},                // build metadata too: ignored (a limitation)
		{root, "v0.0.0-20240101000000-abcdefabcdef", ""}, // pseudo-version
		{root, "v1.2.4-0.20240101000000-abcdefabcdef", ""},
		{root, "sub/v1.0.0", ""},
		{sub, "sub/v1.0.0", "v1.0.0"},
		{sub, "v1.0.0", ""},
		{sub, "subway/v1.0.0", ""},
		{sub, "sub/", ""},
		{unstable, "v2.0.0", ""},
	} {
		got, ok := tt.l.TagVersion(tt.tag)
		if got != tt.want || ok != (tt.want != "") {
			t.Errorf("%s: TagVersion(%q) = %q, %v; want %q", tt.l.Path, tt.tag, got, ok, tt.want)
		}
	}
}

func TestResolve(t *testing.T) {
	const (
		modRoot   = "module example.com/m\n"
		modRootV2 = "module example.com/m/v2\n"
	)
	for _, tt := range []struct {
		name      string
		path, dir string
		tag       string
		tree      files
		kind      Kind
		version   string // Release, Invalid
		modDir    string // Release
		gomod     string // Release: what the go command serves
		reason    string // Invalid, OtherModule: a substring
	}{
		{name: "v1 at root", path: "example.com/m", tag: "v1.2.3",
			tree: files{"go.mod": modRoot}, kind: Release, version: "v1.2.3", gomod: modRoot},
		{name: "v0 before go.mod: synthesised", path: "example.com/m", tag: "v0.1.0",
			tree: files{"a.go": "package m"}, kind: Release, version: "v0.1.0", gomod: "module example.com/m\n"},
		{name: "+incompatible without go.mod", path: "example.com/m", tag: "v3.1.0",
			tree: files{"a.go": "package m"}, kind: Release, version: "v3.1.0+incompatible", gomod: "module example.com/m\n"},
		{name: "v2 with a go.mod without /v2: invalid", path: "example.com/m", tag: "v2.0.0",
			tree: files{"go.mod": modRoot}, kind: Invalid, version: "v2.0.0", reason: "so its major version must be v0 or v1"},
		{name: "v2 of the /v2 module at root: another module", path: "example.com/m", tag: "v2.0.0",
			tree: files{"go.mod": modRootV2}, kind: OtherModule, reason: "example.com/m/v2"},
		{name: "v2 in a major subdirectory: another module", path: "example.com/m", tag: "v2.0.0",
			tree: files{"go.mod": modRoot, "v2/go.mod": modRootV2}, kind: OtherModule, reason: "example.com/m/v2"},
		{name: "/v2 at root", path: "example.com/m/v2", tag: "v2.0.0",
			tree: files{"go.mod": modRootV2}, kind: Release, version: "v2.0.0", gomod: modRootV2},
		{name: "/v2 whose go.mod says no /v2: invalid", path: "example.com/m/v2", tag: "v2.0.0",
			tree: files{"go.mod": modRoot}, kind: Invalid, version: "v2.0.0", reason: `go.mod has non-.../v2 module path "example.com/m" (and v2/go.mod does not exist)`},
		{name: "/v2 without any go.mod: invalid", path: "example.com/m/v2", tag: "v2.0.0",
			tree: files{"a.go": "package m"}, kind: Invalid, version: "v2.0.0", reason: "missing go.mod and v2/go.mod"},
		{name: "/v2 in its subdirectory", path: "example.com/m/v2", dir: "v2", tag: "v2.1.0",
			tree: files{"go.mod": modRoot, "v2/go.mod": modRootV2}, kind: Release, version: "v2.1.0", modDir: "v2", gomod: modRootV2},
		{name: "/v2 both at root and in v2/: invalid", path: "example.com/m/v2", tag: "v2.1.0",
			tree: files{"go.mod": modRootV2, "v2/go.mod": modRootV2}, kind: Invalid, version: "v2.1.0", reason: "both have .../v2 module paths"},
		{name: "v1 tag of a /v2 module: the v1 module's", path: "example.com/m/v2", tag: "v1.5.0",
			tree: files{"go.mod": modRoot}, kind: OtherModule, reason: "example.com/m"},
		{name: "v1 tag before go.mod, /v2 module: the v1 module's", path: "example.com/m/v2", tag: "v1.0.0",
			tree: files{"a.go": "package m"}, kind: OtherModule, reason: "example.com/m"},
		{name: "v3 tag while go.mod says /v2: invalid", path: "example.com/m/v2", tag: "v3.0.0",
			tree: files{"go.mod": modRootV2}, kind: Invalid, version: "v3.0.0", reason: "cannot have v3 versions"},
		{name: "nested", path: "example.com/m/sub/dir", dir: "sub/dir", tag: "sub/dir/v1.0.0",
			tree: files{"sub/dir/go.mod": "module example.com/m/sub/dir\n"}, kind: Release, version: "v1.0.0", modDir: "sub/dir", gomod: "module example.com/m/sub/dir\n"},
		{name: "nested without go.mod: invalid", path: "example.com/m/sub/dir", dir: "sub/dir", tag: "sub/dir/v1.0.0",
			tree: files{"sub/dir/a.go": "package dir"}, kind: Invalid, version: "v1.0.0", reason: "missing sub/dir/go.mod"},
		{name: "nested v2 without /v2: invalid, never +incompatible", path: "example.com/m/sub/dir", dir: "sub/dir", tag: "sub/dir/v2.0.0",
			tree: files{"sub/dir/go.mod": "module example.com/m/sub/dir\n"}, kind: Invalid, version: "v2.0.0", reason: "cannot have v2 versions"},
		{name: "nested v2 without any go.mod: no +incompatible below the root", path: "example.com/m/sub/dir", dir: "sub/dir", tag: "sub/dir/v2.0.0",
			tree: files{"sub/dir/a.go": "package dir"}, kind: OtherModule},
		{name: "nested /v2 in its subdirectory", path: "example.com/m/sub/v2", dir: "sub/v2", tag: "sub/v2.0.1",
			tree: files{"sub/go.mod": "module example.com/m/sub\n", "sub/v2/go.mod": "module example.com/m/sub/v2\n"}, kind: Release, version: "v2.0.1", modDir: "sub/v2", gomod: "module example.com/m/sub/v2\n"},
		{name: "gopkg.in", path: "gopkg.in/yaml.v3", tag: "v3.0.1",
			tree: files{"a.go": "package yaml"}, kind: Release, version: "v3.0.1", gomod: "module gopkg.in/yaml.v3\n"},
		{name: "gopkg.in with go.mod", path: "gopkg.in/yaml.v3", tag: "v3.0.1",
			tree: files{"go.mod": "module gopkg.in/yaml.v3\n"}, kind: Release, version: "v3.0.1", gomod: "module gopkg.in/yaml.v3\n"},
		{name: "gopkg.in, another major", path: "gopkg.in/yaml.v3", tag: "v2.4.0",
			tree: files{"go.mod": "module gopkg.in/yaml.v2\n"}, kind: OtherModule},
		{name: "unversioned path accepts a gopkg.in go.mod (golang.org/issue/34254)", path: "example.com/yaml", tag: "v1.0.0",
			tree: files{"go.mod": "module gopkg.in/yaml.v2\n"}, kind: Release, version: "v1.0.0", gomod: "module gopkg.in/yaml.v2\n"},
		{name: "go.mod claims a later major", path: "example.com/m", tag: "v1.0.0",
			tree: files{"go.mod": modRootV2}, kind: Invalid, version: "v1.0.0", reason: `go.mod has post-v1 module path "example.com/m/v2"`},
		{name: "not a release tag", path: "example.com/m", tag: "latest",
			tree: files{"go.mod": modRoot}, kind: NotRelease},
	} {
		t.Run(tt.name, func(t *testing.T) {
			l, err := NewLayout(tt.path, tt.dir)
			if err != nil {
				t.Fatal(err)
			}
			r, err := l.Resolve(tt.tag, tt.tree.read)
			if err != nil {
				t.Fatal(err)
			}
			if r.Kind != tt.kind {
				t.Fatalf("Resolve(%q) kind = %v (%s), want %v", tt.tag, r.Kind, r.Reason, tt.kind)
			}
			if !strings.Contains(r.Reason, tt.reason) {
				t.Errorf("reason %q does not contain %q", r.Reason, tt.reason)
			}
			switch tt.kind {
			case Release:
				if r.Version != tt.version || r.Dir != tt.modDir || string(r.GoMod) != tt.gomod {
					t.Errorf("Resolve(%q) = %s in %q with go.mod %q; want %s in %q with %q", tt.tag, r.Version, r.Dir, r.GoMod, tt.version, tt.modDir, tt.gomod)
				}
				if r.Synthesised != (tt.tree[pathJoin(tt.modDir, "go.mod")] == "") {
					t.Errorf("Synthesised = %v", r.Synthesised)
				}
			case Invalid:
				if r.Version != tt.version {
					t.Errorf("version %s, want %s", r.Version, tt.version)
				}
			}
		})
	}
}

func pathJoin(dir, name string) string {
	if dir == "" {
		return name
	}
	return dir + "/" + name
}

func TestResolveReadError(t *testing.T) {
	l, _ := NewLayout("example.com/m", "")
	_, err := l.Resolve("v1.0.0", func(string) ([]byte, error) { return nil, fs.ErrPermission })
	if err == nil {
		t.Fatal("a read error was taken for a missing file")
	}
}

func TestLegacyGoModQuoted(t *testing.T) {
	// cmd/go's legacyGoMod quotes a path that needs it (modfile.AutoQuote).
	l := Layout{Path: "example.com/m", CodeDir: ""}
	got, synth := goModOrLegacy(l, nil)
	if string(got) != "module example.com/m\n" || !synth {
		t.Errorf("goModOrLegacy = %q, %v", got, synth)
	}
}
