package main

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/modseal/modseal/verify"
)

// The rule catalogue is verify.Rules. The manual (doc.go) and the README
// describe it in tables of their own words; these tests keep the ids and
// severities of those tables equal to the catalogue's, so a rule added,
// removed or re-ranked in verify shows up here until the documentation says
// the same. (action.yml names no rule: TestActionMetadata.)

// TestRulesManual checks the rule table of doc.go's "# Rules" section.
func TestRulesManual(t *testing.T) {
	data, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(data)
	start := strings.Index(doc, "\n# Rules\n")
	if start < 0 {
		t.Fatal(`doc.go has no "# Rules" section`)
	}
	section := doc[start+len("\n# Rules\n"):]
	if end := strings.Index(section, "\n# "); end >= 0 {
		section = section[:end]
	}
	row := regexp.MustCompile(`(?m)^\t([a-z][a-z0-9-]*) +(error|warning|note) +\S`)
	got := map[string]string{}
	for _, m := range row.FindAllStringSubmatch(section, -1) {
		if _, dup := got[m[1]]; dup {
			t.Errorf("doc.go lists %s twice", m[1])
		}
		got[m[1]] = m[2]
	}
	checkRuleTable(t, "doc.go's # Rules", got)
}

// TestRulesREADME checks the README's rule tables: rows whose severity
// column holds severities, a cell such as "`a` / `b`" with "warning / note"
// describing two rules.
func TestRulesREADME(t *testing.T) {
	data, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	sev := regexp.MustCompile(`^(error|warning|note)$`)
	id := regexp.MustCompile("`([^`]+)`")
	got := map[string]string{}
	for _, line := range strings.Split(string(data), "\n") {
		cells := strings.Split(line, "|")
		if len(cells) < 4 || !strings.HasPrefix(line, "| `") {
			continue
		}
		severities := strings.Split(strings.TrimSpace(cells[2]), " / ")
		ok := true
		for _, s := range severities {
			ok = ok && sev.MatchString(s)
		}
		if !ok {
			continue // another table (the action's inputs)
		}
		ids := id.FindAllStringSubmatch(cells[1], -1)
		if len(severities) != 1 && len(severities) != len(ids) {
			t.Errorf("README row %q: %d rules, %d severities", line, len(ids), len(severities))
			continue
		}
		for i, m := range ids {
			s := severities[0]
			if len(severities) > 1 {
				s = severities[i]
			}
			if _, dup := got[m[1]]; dup {
				t.Errorf("README lists %s twice", m[1])
			}
			got[m[1]] = s
		}
	}
	checkRuleTable(t, "the README's rule tables", got)
}

// checkRuleTable compares a documented table (rule id to severity) with
// verify.Rules.
func checkRuleTable(t *testing.T, where string, got map[string]string) {
	t.Helper()
	for _, r := range verify.Rules {
		s, ok := got[r.ID]
		switch {
		case !ok:
			t.Errorf("%s lacks the rule %s (%s): document it", where, r.ID, r.Severity)
		case s != string(r.Severity):
			t.Errorf("%s gives %s the severity %s; verify.Rules says %s", where, r.ID, s, r.Severity)
		}
	}
	for id := range got {
		if _, ok := verify.LookupRule(id); !ok {
			t.Errorf("%s lists %s, which verify.Rules does not know", where, id)
		}
	}
}
