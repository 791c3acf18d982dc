package report

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
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
		dir, file string
		line      int
		uri       string
		region    bool
	}{
		{".", "go.sum", 3, "go.sum", true},
		{".", "go.mod", 0, "go.mod", false},
		{".", "", 0, "go.mod", false},
		{"", "go.sum", 1, "go.sum", true},
		{"services/api", "go.sum", 2, "services/api/go.sum", true},
		{"/abs/checkout", "go.sum", 2, "go.sum", true},
		{"../elsewhere", "go.sum", 2, "go.sum", true},
		{".", "vendor/example.com/a b/x.go", 0, "vendor/example.com/a%20b/x.go", false},
		{".", "c:odd/go.mod", 0, "./c:odd/go.mod", false},
	} {
		f := verify.Finding{Rule: verify.RuleGoSumSyntax, Severity: verify.SeverityError, Message: "m", File: tc.file, Line: tc.line}
		log := sarifLogOf(New("v0", &verify.Report{Dir: tc.dir, Findings: []verify.Finding{f}}))
		loc := log.Runs[0].Results[0].Locations[0].PhysicalLocation
		if loc.ArtifactLocation.URI != tc.uri || loc.ArtifactLocation.URIBaseID != "%SRCROOT%" {
			t.Errorf("dir %q file %q: location %+v, want uri %q", tc.dir, tc.file, loc.ArtifactLocation, tc.uri)
		}
		if (loc.Region != nil) != tc.region || (loc.Region != nil && loc.Region.StartLine != tc.line) {
			t.Errorf("dir %q file %q line %d: region %+v", tc.dir, tc.file, tc.line, loc.Region)
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
