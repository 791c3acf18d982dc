package report

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/modseal/modseal/verify"
)

// docs/rules.md is what RulesMarkdown renders from verify.Rules: SARIF's
// helpUri links point into it, one section per rule.
func TestRulesDoc(t *testing.T) {
	file := filepath.Join("..", "..", "docs", "rules.md")
	got := RulesMarkdown()
	if *update {
		if err := os.WriteFile(file, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (go test ./internal/report -run TestRulesDoc -update writes it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s is not what verify.Rules renders: go test ./internal/report -run TestRulesDoc -update rewrites it", file)
	}
	// GitHub's anchor of a heading "## gosum-missing" is #gosum-missing:
	// every helpUri's fragment has its heading.
	for _, r := range verify.Rules {
		if !strings.Contains(string(got), "\n## "+r.ID+"\n") {
			t.Errorf("no section for rule %s", r.ID)
		}
	}
}

func TestSecurityLevel(t *testing.T) {
	for s, want := range map[string]string{"9.0": "critical", "10": "critical", "8.8": "high", "7.0": "high", "6.5": "medium", "4.0": "medium", "3.9": "low", "0.1": "low", "x": "unknown"} {
		if got := securityLevel(s); got != want {
			t.Errorf("securityLevel(%q) = %q, want %q", s, got, want)
		}
	}
}
