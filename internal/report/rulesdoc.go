package report

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"

	"github.com/modseal/modseal/verify"
)

// RulesMarkdown renders docs/rules.md, the rules page SARIF's helpUri links
// to (one section per rule, its anchor the rule id), from verify.Rules. A
// test keeps the committed page equal to it.
func RulesMarkdown() []byte {
	var b bytes.Buffer
	b.WriteString(`# modseal rules

<!-- Generated from verify.Rules (verify/rules.go): edit there, then run
     go test ./internal/report -run TestRulesDoc -update -->

Every finding modseal reports names one of these rules. Each rule has a
default **severity** (error, warning or note: what ` + "`--fail-on`" + ` compares;
` + "`modseal audit`" + ` reports any drift from a committed snapshot as an error), and
two properties GitHub code scanning reads from the SARIF log:

- **security-severity**, from 0.1 to 10, which code scanning shows as
  critical (9 and over), high (7 to 8.9), medium (4 to 6.9) or low (below
  4). About 9 where a finding is direct evidence that the code built is not
  the code recorded (hash-mismatch, sumdb-mismatch, drift-sum-changed;
  cache-tampered and vendor-tampered a little lower, as the copy is local
  and the fix is to discard it); 7 to 8 where nobody can vouch for the
  content any more (gosum-conflict, sumdb-missing, snapshot-signature);
  medium for what weakens the next verification or changes what is built
  (insecure-setting, gosum-missing, unknown hash algorithms, vendor drift,
  retracted versions, new build modules); low for hygiene (syntax, version
  spelling, duplicates, unused lines, removed modules, graph edges).
- **precision**: very-high when the finding is computed (a recomputed hash,
  a parse, a signature, a diff of two graphs), high where it rests on the go
  command's or the checksum database's answer as modseal reads it, medium
  where it rests on unauthenticated metadata or a pattern (origin-mismatch,
  insecure-setting).

The tag-* rules are ` + "`modseal release check`" + `'s: they are about the module's own
release tags, not its dependencies.

| rule | severity | security-severity | precision | meaning |
|---|---|---:|---|---|
`)
	for _, r := range verify.Rules {
		fmt.Fprintf(&b, "| [%s](#%s) | %s | %s | %s | %s |\n", r.ID, r.ID, r.Severity, r.SecuritySeverity, r.Precision, strings.ReplaceAll(r.Summary, "|", `\|`))
	}
	for _, r := range verify.Rules {
		fmt.Fprintf(&b, "\n## %s\n\n", r.ID)
		fmt.Fprintf(&b, "Severity %s · security-severity %s (%s) · precision %s\n\n", r.Severity, r.SecuritySeverity, securityLevel(r.SecuritySeverity), r.Precision)
		fmt.Fprintf(&b, "%s\n\n**What to do.** %s\n", r.Description, r.Help)
	}
	return b.Bytes()
}

// securityLevel is the level GitHub code scanning shows for a
// security-severity.
func securityLevel(s string) string {
	v, err := strconv.ParseFloat(s, 64)
	switch {
	case err != nil:
		return "unknown"
	case v >= 9:
		return "critical"
	case v >= 7:
		return "high"
	case v >= 4:
		return "medium"
	}
	return "low"
}
