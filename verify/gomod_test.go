package verify

import (
	"fmt"
	"strings"
	"testing"
)

// ruleLines renders findings as "rule@line" in order, for compact assertions.
func ruleLines(fs []Finding) string {
	var b []string
	for _, f := range fs {
		b = append(b, fmt.Sprintf("%s@%d", f.Rule, f.Line))
	}
	return strings.Join(b, " ")
}

func TestCheckModFile(t *testing.T) {
	tests := []struct {
		name, gomod, want string
	}{
		{"ok", "module example.com/m\n\ngo 1.22\n\nrequire example.com/a v1.0.0\n", ""},
		{"crlf", "module example.com/m\r\n\r\ngo 1.22\r\n\r\nrequire example.com/a v1.0.0\r\n", ""},
		{"no final newline", "module example.com/m\ngo 1.22", ""},
		{"syntax", "module example.com/m\nrequire (\n\texample.com/a v1.0.0\n", "gomod-syntax@4"},
		{"unknown directive", "module example.com/m\nfrobnicate x\n", "gomod-syntax@2"},
		{"no module", "go 1.22\n", "gomod-syntax@0"},
		{"noncanonical short", "module example.com/m\nrequire example.com/a v1.2\n", "noncanonical-version@2"},
		{"noncanonical meta", "module example.com/m\nrequire example.com/a v1.2.3+meta\n", "noncanonical-version@2"},
		{"noncanonical no v", "module example.com/m\nrequire example.com/a 1.2.3\n", "noncanonical-version@2"},
		{"noncanonical branch", "module example.com/m\nrequire example.com/a master\n", "noncanonical-version@2"},
		{"major v2 no suffix", "module example.com/m\nrequire example.com/a v2.0.0\n", "major-version-suffix@2"},
		{"major suffix v1", "module example.com/m\nrequire example.com/a/v2 v1.0.0\n", "major-version-suffix@2"},
		{"gopkg.in mismatch", "module example.com/m\nrequire gopkg.in/yaml.v2 v3.0.1\n", "major-version-suffix@2"},
		{"gopkg.in ok", "module example.com/m\nrequire gopkg.in/yaml.v2 v2.4.0\n", ""},
		{"gopkg.in no suffix", "module example.com/m\nrequire gopkg.in/yaml v2.4.0\n", "module-path@2"},
		{"incompatible ok", "module example.com/m\nrequire example.com/a v2.0.0+incompatible\n", ""},
		{"incompatible v1", "module example.com/m\nrequire example.com/a v1.0.0+incompatible\n", "major-version-suffix@2"},
		{"incompatible with suffix", "module example.com/m\nrequire example.com/a/v2 v2.0.0+incompatible\n", "major-version-suffix@2"},
		{"bad path", "module example.com/m\nrequire example.com/a/../b v1.0.0\n", "module-path@2"},
		{"no dot", "module example.com/m\nrequire mylib v1.0.0\n", "module-path@2"},
		{"no dot replaced locally", "module example.com/m\nrequire mylib v1.0.0\nreplace mylib => ./mylib\n", "replace-local@3"},
		{"pseudo ok", "module example.com/m\nrequire example.com/a v0.0.0-20200101000000-abcdef123456\n", ""},
		{"pseudo bad time", "module example.com/m\nrequire example.com/a v0.0.0-20201301000000-abcdef123456\n", "pseudo-version@2"},
		{"pseudo short rev", "module example.com/m\nrequire example.com/a v0.0.0-20200101000000-abcdef1\n", "pseudo-version@2"},
		{"pseudo upper rev", "module example.com/m\nrequire example.com/a v0.0.0-20200101000000-ABCDEF123456\n", "pseudo-version@2"},
		{"pseudo base", "module example.com/m\nrequire example.com/a v1.2.3-20200101000000-abcdef123456\n", "pseudo-version@2"},
		{"pseudo incompatible no base", "module example.com/m\nrequire example.com/a v2.0.0-20200101000000-abcdef123456+incompatible\n", "pseudo-version@2"},
		{"several", "module example.com/m\nrequire (\n\texample.com/a v1.2\n\texample.com/b v2.0.0\n\texample.com/c v1.0.0\n)\nreplace example.com/c => ../c\n",
			"noncanonical-version@3 major-version-suffix@4 replace-local@7"},
		{"replace bad version", "module example.com/m\nreplace example.com/a => example.com/b v1.0\n", "noncanonical-version@2"},
		{"exclude", "module example.com/m\nexclude example.com/a v2.0.0\n", "major-version-suffix@2"},
		{"retract noncanonical", "module example.com/m\nretract v1.0\n", "noncanonical-version@2"},
		{"merge conflict", "module example.com/m\n<<<<<<< HEAD\nrequire example.com/a v1.0.0\n=======\nrequire example.com/a v1.1.0\n>>>>>>> branch\n",
			"gosum-merge-conflict@2 gosum-merge-conflict@4 gosum-merge-conflict@6"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, fs := CheckModFile("go.mod", []byte(tt.gomod))
			if got := ruleLines(fs); got != tt.want {
				t.Errorf("CheckModFile:\n got %s\nwant %s", got, tt.want)
				for _, f := range fs {
					t.Logf("  %s", f)
				}
			}
		})
	}
}
