package report

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/modseal/modseal/verify"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// checkGolden compares got with testdata/name, or rewrites it with -update.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	file := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(file, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (go test -update rewrites it)\n--- got:\n%s\n--- want:\n%s", name, got, want)
	}
}

// sampleReport has findings of several rules and severities: one without a
// file, one with a file but no line, messages that need escaping in every
// format, and a skipped check.
func sampleReport() *Report {
	res := &verify.Report{
		Dir:    ".",
		Module: "example.com/app",
		Findings: []verify.Finding{
			{
				Rule: verify.RuleInsecureSetting, Severity: verify.SeverityWarning,
				Message: "GOSUMDB=off: go.sum lines are never checked against the checksum database",
			},
			{
				Rule: verify.RuleReplaceLocal, Severity: verify.SeverityWarning,
				Message: "example.com/lib => ../lib: replace with a filesystem path",
				Module:  "example.com/lib", File: "go.mod", Line: 9,
			},
			{
				Rule: verify.RuleRetracted, Severity: verify.SeverityWarning,
				Message: "example.com/old@v1.4.0: retracted by its author: \"100% broken | do not use\"\n<b>see</b> *issue* #12, [link](http://x)",
				Module:  "example.com/old", Version: "v1.4.0", File: "go.mod", Line: 11,
			},
			{
				Rule: verify.RuleHashMismatch, Severity: verify.SeverityError,
				Message: "example.com/lib@v1.2.0: module zip does not match go.sum",
				Module:  "example.com/lib", Version: "v1.2.0", File: "go.sum", Line: 12,
				Want: "h1:wantwantwantwantwantwantwantwantwantwantwan=",
				Got:  "h1:gotgotgotgotgotgotgotgotgotgotgotgotgotgo=",
			},
			{
				Rule: verify.RuleGoSumDuplicate, Severity: verify.SeverityNote,
				Message: "example.com/lib v1.2.0/go.mod: line repeats line 13",
				Module:  "example.com/lib", Version: "v1.2.0", File: "go.sum", Line: 14,
			},
			{
				Rule: verify.RuleVendorTampered, Severity: verify.SeverityError,
				Message: "example.com/lib@v1.2.0: vendor/example.com/lib/lib.go differs from the module zip",
				Module:  "example.com/lib", Version: "v1.2.0", File: "vendor/example.com/lib/lib.go",
			},
		},
		Skipped: []verify.Skipped{
			{Check: "sumdb", Reason: "--offline: go.sum was not compared with the checksum database"},
		},
		Modules:     12,
		Verified:    10,
		GraphDigest: "sha256:0b7f5a1e3c7d9f2a4b6c8d0e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c",
	}
	return New("v0.9.0", res)
}

func emptyReport() *Report {
	return New("v0.9.0", &verify.Report{Dir: ".", Module: "example.com/app", Modules: 3, Verified: 3,
		GraphDigest: "sha256:5f3c0d2b1a09e8f7d6c5b4a39281706f5e4d3c2b1a0f9e8d7c6b5a4938271605"})
}

func renderSARIF(t *testing.T, r *Report) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := (SARIF{}).Write(&buf, r); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func compileSARIFSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	file, err := filepath.Abs(filepath.Join("testdata", "sarif-schema-2.1.0.json"))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	sch, err := c.Compile(file)
	if err != nil {
		t.Fatalf("compiling the SARIF schema: %v", err)
	}
	return sch
}

func validateSARIF(t *testing.T, sch *jsonschema.Schema, data []byte) {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if err := sch.Validate(doc); err != nil {
		t.Errorf("not valid SARIF 2.1.0: %v", err)
	}
}

func TestSARIFGolden(t *testing.T) {
	sch := compileSARIFSchema(t)
	for _, tc := range []struct {
		name string
		r    *Report
	}{
		{"findings.sarif", sampleReport()},
		{"empty.sarif", emptyReport()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := renderSARIF(t, tc.r)
			checkGolden(t, tc.name, got)
			validateSARIF(t, sch, got)
			if again := renderSARIF(t, tc.r); !bytes.Equal(got, again) {
				t.Error("two renderings of one report differ")
			}
			if !bytes.HasSuffix(got, []byte("}\n")) {
				t.Error("no trailing newline")
			}
		})
	}
}

// The schema must reject what code scanning would reject, or the golden
// check above proves nothing.
func TestSARIFSchemaRejects(t *testing.T) {
	sch := compileSARIFSchema(t)
	for _, bad := range []string{
		`{"version": "2.1.0"}`,
		`{"version": "2.0.0", "runs": []}`,
		`{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x"}}, "results": [{"level": "fatal", "message": {"text": "m"}}]}]}`,
		`{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x"}}, "results": [{"message": {"text": "m"}, "locations": [{"physicalLocation": {"region": {"startLine": 0}}}]}]}]}`,
	} {
		doc, err := jsonschema.UnmarshalJSON(strings.NewReader(bad))
		if err != nil {
			t.Fatal(err)
		}
		if sch.Validate(doc) == nil {
			t.Errorf("schema accepts %s", bad)
		}
	}
}

func TestSARIFShape(t *testing.T) {
	var log sarifLog
	if err := json.Unmarshal(renderSARIF(t, sampleReport()), &log); err != nil {
		t.Fatal(err)
	}
	run := log.Runs[0]
	rules := run.Tool.Driver.Rules
	if len(rules) != len(verify.Rules) {
		t.Fatalf("%d rules, want one per rule id (%d)", len(rules), len(verify.Rules))
	}
	names := make(map[string]bool)
	for i, r := range rules {
		if r.ID != verify.Rules[i].ID {
			t.Errorf("rule %d is %s, want %s (verify.Rules order)", i, r.ID, verify.Rules[i].ID)
		}
		if names[r.Name] {
			t.Errorf("rule name %s used twice", r.Name)
		}
		names[r.Name] = true
		if r.FullDescription.Text == "" || r.Help.Text == "" || r.Help.Markdown == "" {
			t.Errorf("rule %s lacks documentation", r.ID)
		}
		if want := sarifLevel(verify.Rules[i].Severity); r.DefaultConfiguration.Level != want {
			t.Errorf("rule %s level %s, want %s", r.ID, r.DefaultConfiguration.Level, want)
		}
	}
	for _, res := range run.Results {
		if res.RuleIndex == nil || rules[*res.RuleIndex].ID != res.RuleID {
			t.Errorf("result %s: ruleIndex does not point at its rule", res.RuleID)
		}
		if len(res.Locations) != 1 {
			t.Errorf("result %s: %d locations, want 1", res.RuleID, len(res.Locations))
		}
	}
	if n := run.Invocations[0].ToolExecutionNotifications; len(n) != 1 || n[0].Properties.Check != "sumdb" {
		t.Errorf("skipped check not reported as a notification: %+v", n)
	}
}

func TestCamelCase(t *testing.T) {
	for id, want := range map[string]string{
		"gosum-unknown-algorithm":  "GosumUnknownAlgorithm",
		"retracted":                "Retracted",
		"drift-build-module-added": "DriftBuildModuleAdded",
	} {
		if got := camelCase(id); got != want {
			t.Errorf("camelCase(%q) = %q, want %q", id, got, want)
		}
	}
}

func fingerprintOf(t *testing.T, fs ...verify.Finding) []string {
	t.Helper()
	log := sarifLogOf(New("v0", &verify.Report{Dir: ".", Findings: fs}))
	var out []string
	for _, r := range log.Runs[0].Results {
		out = append(out, r.PartialFingerprints[fingerprintKey])
	}
	return out
}

func TestSARIFFingerprint(t *testing.T) {
	base := verify.Finding{
		Rule: verify.RuleHashMismatch, Severity: verify.SeverityError,
		Message: "example.com/lib@v1.2.0: module zip does not match go.sum",
		Module:  "example.com/lib", Version: "v1.2.0", File: "go.sum", Line: 12,
		Want: "h1:want=", Got: "h1:got=",
	}
	fp := fingerprintOf(t, base)[0]

	same := base
	same.Line = 40
	same.Message = "reworded message"
	same.Severity = verify.SeverityWarning
	if got := fingerprintOf(t, same)[0]; got != fp {
		t.Errorf("moving the line or rewording the message changed the fingerprint: %s, was %s", got, fp)
	}

	for name, change := range map[string]func(*verify.Finding){
		"rule":    func(f *verify.Finding) { f.Rule = verify.RuleSumDBMismatch },
		"file":    func(f *verify.Finding) { f.File = "go.work.sum" },
		"module":  func(f *verify.Finding) { f.Module = "example.com/other" },
		"version": func(f *verify.Finding) { f.Version = "v1.2.1" },
		"want":    func(f *verify.Finding) { f.Want = "h1:other=" },
		"got":     func(f *verify.Finding) { f.Got = "h1:other=" },
		// Field boundaries count: moving text from one field to the next
		// is a different finding.
		"boundary": func(f *verify.Finding) { f.Module, f.Version = "example.com/libv1", ".2.0" },
	} {
		f := base
		change(&f)
		if got := fingerprintOf(t, f)[0]; got == fp {
			t.Errorf("changing the %s left the fingerprint unchanged", name)
		}
	}

	// Findings alike in every hashed field stay distinct alerts.
	a := verify.Finding{Rule: verify.RuleGoSumSyntax, Severity: verify.SeverityError, File: "go.sum", Line: 3, Message: "bad"}
	b := a
	b.Line = 7
	fps := fingerprintOf(t, a, b)
	if fps[0] == fps[1] || !strings.HasSuffix(fps[0], ":1") || !strings.HasSuffix(fps[1], ":2") {
		t.Errorf("identical findings got fingerprints %q", fps)
	}
}

func TestSARIFLocation(t *testing.T) {
	for _, tc := range []struct {
		dir, repoDir, file string
		line               int
		uri                string
		region             int
	}{
		{".", "", "go.sum", 3, "go.sum", 3},
		// Every result has a region: line 1 of the file when the finding
		// names no line, line 1 of go.mod when it names no file.
		{".", "", "go.mod", 0, "go.mod", 1},
		{".", "", "", 0, "go.mod", 1},
		{"", "", "go.sum", 1, "go.sum", 1},
		{"services/api", "", "go.sum", 2, "services/api/go.sum", 2},
		{"/abs/checkout", "", "go.sum", 2, "go.sum", 2},
		{"../elsewhere", "", "go.sum", 2, "go.sum", 2},
		{".", "", "vendor/example.com/a b/x.go", 0, "vendor/example.com/a%20b/x.go", 1},
		{".", "", "c:odd/go.mod", 0, "./c:odd/go.mod", 1},
		// With the repository root known, paths are relative to it
		// whatever Dir is.
		{".", "svc", "go.sum", 2, "svc/go.sum", 2},
		{"/abs/checkout/svc", "svc", "go.sum", 2, "svc/go.sum", 2},
		{"../svc", "svc", "", 0, "svc/go.mod", 1},
		{"svc", ".", "go.sum", 2, "go.sum", 2},
	} {
		f := verify.Finding{Rule: verify.RuleGoSumSyntax, Severity: verify.SeverityError, Message: "m", File: tc.file, Line: tc.line}
		r := New("v0", &verify.Report{Dir: tc.dir, Findings: []verify.Finding{f}})
		r.RepoDir = tc.repoDir
		log := sarifLogOf(r)
		loc := log.Runs[0].Results[0].Locations[0].PhysicalLocation
		if loc.ArtifactLocation.URI != tc.uri || loc.ArtifactLocation.URIBaseID != "%SRCROOT%" {
			t.Errorf("dir %q file %q: location %+v, want uri %q", tc.dir, tc.file, loc.ArtifactLocation, tc.uri)
		}
		if loc.Region.StartLine != tc.region {
			t.Errorf("dir %q file %q line %d: region %+v, want line %d", tc.dir, tc.file, tc.line, loc.Region, tc.region)
		}
	}
}

func TestNewHandler(t *testing.T) {
	for _, format := range Formats {
		h, err := NewHandler(format, false)
		if err != nil || h == nil {
			t.Errorf("NewHandler(%q) = %v, %v", format, h, err)
		}
	}
	if _, err := NewHandler("xml", false); err == nil {
		t.Error("NewHandler accepts an unknown format")
	}
	h, err := NewHandlerWith("github", Options{SummaryFile: "s", OutputFile: "o", FailOn: 2})
	if err != nil {
		t.Fatal(err)
	}
	if g := h.(*GitHub); g.SummaryFile != "s" || g.OutputFile != "o" || g.FailOn != 2 {
		t.Errorf("NewHandlerWith: options not passed on: %+v", g)
	}
}

// Code scanning ranks alerts by the rules' security-severity and precision
// and links their help: every rule has all three.
func TestSARIFRuleProperties(t *testing.T) {
	log := sarifLogOf(New("v1.4.2", &verify.Report{Dir: "."}))
	precisions := []string{"very-high", "high", "medium", "low"}
	for _, r := range log.Runs[0].Tool.Driver.Rules {
		sev, err := strconv.ParseFloat(r.Properties.SecuritySeverity, 64)
		if err != nil || sev < 0.1 || sev > 10 {
			t.Errorf("rule %s: security-severity %q, want a number from 0.1 to 10", r.ID, r.Properties.SecuritySeverity)
		}
		if !slices.Contains(precisions, r.Properties.Precision) {
			t.Errorf("rule %s: precision %q, want one of %v", r.ID, r.Properties.Precision, precisions)
		}
		if want := "https://github.com/modseal/modseal/blob/v1.4.2/docs/rules.md#" + r.ID; r.HelpURI != want {
			t.Errorf("rule %s: helpUri %q, want %q", r.ID, r.HelpURI, want)
		}
	}
	// Tampering ranks critical.
	for _, id := range []string{verify.RuleHashMismatch, verify.RuleSumDBMismatch, verify.RuleDriftSumChanged} {
		r, _ := verify.LookupRule(id)
		if sev, _ := strconv.ParseFloat(r.SecuritySeverity, 64); sev < 9 {
			t.Errorf("rule %s: security-severity %s, want critical (9 or more)", id, r.SecuritySeverity)
		}
	}
}

func TestSARIFVersions(t *testing.T) {
	for _, tc := range []struct {
		version, semantic, ref string
	}{
		{"v1.4.2", "1.4.2", "v1.4.2"},
		{"v1.5.0-rc.1", "1.5.0-rc.1", "main"},
		{"v0.1.0-dev", "0.1.0-dev", "main"},
		{"v0.0.0-20260101120000-0123456789ab", "0.0.0-20260101120000-0123456789ab", "main"},
		{"v1.4.3-0.20260101120000-0123456789ab+dirty", "1.4.3-0.20260101120000-0123456789ab+dirty", "main"},
		{"v1.4", "", "main"},
		{"(devel)", "", "main"},
		{"", "", "main"},
	} {
		log := sarifLogOf(New(tc.version, &verify.Report{Dir: "."}))
		d := log.Runs[0].Tool.Driver
		if d.SemanticVersion != tc.semantic {
			t.Errorf("version %q: semanticVersion %q, want %q", tc.version, d.SemanticVersion, tc.semantic)
		}
		if want := "https://github.com/modseal/modseal/blob/" + tc.ref + "/docs/rules.md#gomod-syntax"; d.Rules[0].HelpURI != want {
			t.Errorf("version %q: helpUri %q, want %q", tc.version, d.Rules[0].HelpURI, want)
		}
	}
}

func TestSARIFAutomationID(t *testing.T) {
	for _, tc := range []struct {
		command, dir, repoDir, want string
	}{
		{"", ".", "", "modseal/audit/"},
		{"audit", ".", ".", "modseal/audit/"},
		{"audit", ".", "svc", "modseal/audit/svc/"},
		{"audit", "/abs/svc", "svc", "modseal/audit/svc/"},
		{"diff", "services/api", "", "modseal/diff/services/api/"},
		{"audit", "/abs/svc", "", "modseal/audit/"},
	} {
		r := New("v0", &verify.Report{Dir: tc.dir})
		r.Command, r.RepoDir = tc.command, tc.repoDir
		if got := sarifLogOf(r).Runs[0].AutomationDetails.ID; got != tc.want {
			t.Errorf("%s of %q (repository %q): automationDetails.id %q, want %q", tc.command, tc.dir, tc.repoDir, got, tc.want)
		}
	}
}

// A finding that names no module version (a malformed line) is known by the
// text of its line, whitespace aside, not by its line number: lines added
// around it keep its fingerprint, a different line gets another. A line
// past the end of the file (where tidy would add one) is shown on the last.
func TestSARIFFingerprintLineText(t *testing.T) {
	dir := t.TempDir()
	render := func(sum string, fs ...verify.Finding) *sarifLog {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, "go.sum"), []byte(sum), 0o644); err != nil {
			t.Fatal(err)
		}
		return sarifLogOf(New("v0", &verify.Report{Dir: dir, Findings: fs}))
	}
	bad := func(line int) verify.Finding {
		return verify.Finding{Rule: verify.RuleGoSumSyntax, Severity: verify.SeverityError, File: "go.sum", Line: line, Message: "wrong number of fields"}
	}
	fp := func(log *sarifLog) string { return log.Runs[0].Results[0].PartialFingerprints[fingerprintKey] }
	const good = "example.com/a v1.0.0 h1:QUOLiTYaT3sns40kU17eKMQv5jKau946ieUPxIy6Ek8=\n"
	base := fp(render("example.com/x v1.0.0\n"+good, bad(1)))
	if got := fp(render(good+good+"example.com/x   v1.0.0\r\n", bad(3))); got != base {
		t.Errorf("moved and respaced line: fingerprint %s, was %s", got, base)
	}
	if got := fp(render(good+"example.com/y v1.0.0\n", bad(2))); got == base {
		t.Error("a different malformed line has the same fingerprint")
	}
	// Two different malformed lines: two fingerprints, both ordinal 1.
	log := render("example.com/x v1.0.0\nexample.com/y v1.0.0\n", bad(1), bad(2))
	a, b := log.Runs[0].Results[0].PartialFingerprints[fingerprintKey], log.Runs[0].Results[1].PartialFingerprints[fingerprintKey]
	if a == b || !strings.HasSuffix(a, ":1") || !strings.HasSuffix(b, ":1") {
		t.Errorf("two malformed lines: fingerprints %s, %s", a, b)
	}

	missing := verify.Finding{Rule: verify.RuleGoSumMissing, Severity: verify.SeverityError, File: "go.sum", Line: 3,
		Module: "example.com/b", Version: "v1.0.0", Message: "missing go.sum entry"}
	log = render(good+good, missing)
	if got := log.Runs[0].Results[0].Locations[0].PhysicalLocation.Region.StartLine; got != 2 {
		t.Errorf("line past the end: region line %d, want the last line, 2", got)
	}
	// It names its module version: the text of the line it is shown on
	// does not count.
	if fp(log) != fp(render(good+"example.com/z v1.0.0 h1:QUOLiTYaT3sns40kU17eKMQv5jKau946ieUPxIy6Ek8=\n", missing)) {
		t.Error("the neighbouring line changed a gosum-missing fingerprint")
	}
}
