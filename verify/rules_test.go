package verify

import (
	"go/ast"
	"go/parser"
	"go/token"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestRuleCatalogue checks that every rule carries what the manual and the
// SARIF rules are made of, and that every Rule* constant is catalogued.
func TestRuleCatalogue(t *testing.T) {
	kebab := regexp.MustCompile(`^[a-z][a-z0-9]*(-[a-z0-9]+)*$`)
	for _, r := range Rules {
		if !kebab.MatchString(r.ID) {
			t.Errorf("rule %q: not a kebab-case id", r.ID)
		}
		if r.Description == "" || r.Help == "" {
			t.Errorf("rule %s: description %q, help %q: both are the SARIF rule's text", r.ID, r.Description, r.Help)
		}
		if strings.Count(r.Description+r.Help, "`")%2 != 0 {
			t.Errorf("rule %s: an unclosed code span", r.ID)
		}
		// GitHub reads security-severity as a number in (0, 10].
		if v, err := strconv.ParseFloat(r.SecuritySeverity, 64); err != nil || v <= 0 || v > 10 {
			t.Errorf("rule %s: security-severity %q, want a number in (0, 10]", r.ID, r.SecuritySeverity)
		}
		switch r.Precision {
		case "very-high", "high", "medium", "low":
		default:
			t.Errorf("rule %s: precision %q, want very-high, high, medium or low", r.ID, r.Precision)
		}
	}
	// The tampering rules rank highest: code scanning sorts by this.
	for _, id := range []string{RuleHashMismatch, RuleSumDBMismatch, RuleDriftSumChanged} {
		r, _ := LookupRule(id)
		if v, _ := strconv.ParseFloat(r.SecuritySeverity, 64); v < 9 {
			t.Errorf("rule %s: security-severity %s, want 9 or more (critical: the content is not what was recorded)", id, r.SecuritySeverity)
		}
	}

	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "rules.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, s := range g.Specs {
			vs := s.(*ast.ValueSpec)
			for i, name := range vs.Names {
				if !strings.HasPrefix(name.Name, "Rule") || i >= len(vs.Values) {
					continue
				}
				lit, ok := vs.Values[i].(*ast.BasicLit)
				if !ok {
					continue
				}
				id, _ := strconv.Unquote(lit.Value)
				n++
				if _, ok := LookupRule(id); !ok {
					t.Errorf("%s = %q is not in Rules: add it to the catalogue", name.Name, id)
				}
			}
		}
	}
	if n != len(Rules) {
		t.Errorf("%d Rule* constants, %d rules", n, len(Rules))
	}
}
