package modulestxt

import (
	"strings"
	"testing"
)

func TestIsForWorkspace(t *testing.T) {
	for txt, want := range map[string]bool{
		"## workspace\n# a.com/a v1.0.0\n": true,
		"## workspace":                     true,
		"## explicit; workspace\n":         true,
		"##workspace\n":                    false,
		"# a.com/a v1.0.0\n## workspace\n": false,
		"":                                 false,
		"\n## workspace\n":                 false,
		"## workspaces\n":                  false,
		strings.Repeat("x", 600) + "\n## workspace": false,
	} {
		if got := IsForWorkspace([]byte(txt)); got != want {
			t.Errorf("IsForWorkspace(%.40q) = %v, want %v", txt, got, want)
		}
	}
}

// FuzzParse: modules.txt is untrusted. Parse must not panic or modify its
// input, every fact must carry a line of the input, and the selected
// versions must be those of the modules packages are listed under.
//
//	go test ./verify/internal/modulestxt -run '^$' -fuzz FuzzParse -fuzztime 20s
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"",
		"## workspace\n# a.com/a v1.0.0\n## explicit; go 1.21\na.com/a\na.com/a/sub\n",
		"# a.com/a v1.0.0 => ./local\n## explicit\na.com/a\n# a.com/a => ./local\n",
		"# a.com/a v1.0.0 => b.com/b v1.2.0\na.com/a\n# a.com/a v1.1.0\na.com/a/x\n",
		"# go v1.21\n# bad\nx\n# a.com/a notaversion\na.com/a\n\r\n## go 1.x\n",
		"a.com/a\n# a.com/a v1.0.0 extra\nb.com/b\na.com/a\na.com/a\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		orig := string(data)
		lines := strings.Count(orig, "\n") + 1
		l := Parse(data)
		IsForWorkspace(data)
		if string(data) != orig {
			t.Fatal("Parse modified its input")
		}
		inRange := func(what string, n int) {
			if n < 1 || n > lines {
				t.Errorf("%s at line %d of %d", what, n, lines)
			}
		}
		for _, p := range l.Problems {
			inRange("problem "+p.Msg, p.Line)
			if p.Msg == "" {
				t.Errorf("problem without a message at line %d", p.Line)
			}
		}
		for _, p := range l.Pkgs {
			inRange("package "+p.Path, p.Line)
			if p.Mod.Path == "" {
				t.Errorf("package %s at line %d is under no module", p.Path, p.Line)
			}
		}
		for m, meta := range l.Meta {
			inRange("module "+Describe(m), meta.Line)
		}
		for _, r := range l.Replaced {
			inRange("replacement "+Describe(r.Mod), r.Line)
		}
		for _, m := range l.Modules {
			if _, ok := l.Version[m.Path]; !ok {
				t.Errorf("module %s lists packages but has no version", Describe(m))
			}
		}
		for p, v := range l.Version {
			if l.OtherVersion(p) != v {
				t.Errorf("OtherVersion(%s) = %q, want %q", p, l.OtherVersion(p), v)
			}
		}
	})
}
