package report

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/modseal/modseal/verify"
)

// runGitHub renders r with the github handler into fresh step summary and
// output files, returning stdout and the two files' contents.
func runGitHub(t *testing.T, g *GitHub, r *Report) (stdout, summary, outputs []byte) {
	t.Helper()
	dir := t.TempDir()
	if g.SummaryFile == "" {
		g.SummaryFile = filepath.Join(dir, "step_summary.md")
	}
	if g.OutputFile == "" {
		g.OutputFile = filepath.Join(dir, "output")
	}
	var buf bytes.Buffer
	if err := g.Write(&buf, r); err != nil {
		t.Fatal(err)
	}
	summary, err := os.ReadFile(g.SummaryFile)
	if err != nil {
		t.Fatal(err)
	}
	outputs, err = os.ReadFile(g.OutputFile)
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), summary, outputs
}

func TestGitHubGolden(t *testing.T) {
	for _, tc := range []struct {
		name string
		r    *Report
	}{
		{"findings", sampleReport()},
		{"empty", emptyReport()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stdout, summary, outputs := runGitHub(t, &GitHub{}, tc.r)
			checkGolden(t, "github-"+tc.name+".stdout", stdout)
			checkGolden(t, "github-"+tc.name+".summary.md", summary)
			checkGolden(t, "github-"+tc.name+".output", outputs)
		})
	}
}

// Every workflow command is one line, whatever the report's strings hold: a
// message cannot end its command and start another.
func TestGitHubOneLinePerCommand(t *testing.T) {
	r := New("v0", &verify.Report{Dir: ".", Findings: []verify.Finding{{
		Rule: verify.RuleDeprecated, Severity: verify.SeverityNote,
		Message: "deprecated: use v2\n::error file=main.go::fake\r\n::add-mask::x",
		File:    "go.mod", Line: 3,
	}}})
	stdout, _, _ := runGitHub(t, &GitHub{}, r)
	lines := strings.Split(strings.TrimSuffix(string(stdout), "\n"), "\n")
	if len(lines) != 2 {
		t.Fatalf("want one command and the summary line, got:\n%s", stdout)
	}
	want := "::notice file=go.mod,line=3,title=deprecated::deprecated: use v2%0A::error file=main.go::fake%0D%0A::add-mask::x"
	if lines[0] != want {
		t.Errorf("got  %s\nwant %s", lines[0], want)
	}
}

func TestGitHubEscaping(t *testing.T) {
	for _, tc := range []struct {
		in, data, prop string
	}{
		{"plain text", "plain text", "plain text"},
		{"100% sure", "100%25 sure", "100%25 sure"},
		{"%0A is not a newline", "%250A is not a newline", "%250A is not a newline"},
		{"line 1\nline 2\r\n", "line 1%0Aline 2%0D%0A", "line 1%0Aline 2%0D%0A"},
		{"a:b,c", "a:b,c", "a%3Ab%2Cc"},
		{"::x,y::", "::x,y::", "%3A%3Ax%2Cy%3A%3A"},
	} {
		if got := escapeData(tc.in); got != tc.data {
			t.Errorf("escapeData(%q) = %q, want %q", tc.in, got, tc.data)
		}
		if got := escapeProperty(tc.in); got != tc.prop {
			t.Errorf("escapeProperty(%q) = %q, want %q", tc.in, got, tc.prop)
		}
	}

	// Properties: file names with : and , are escaped, line= and file= are
	// left out when unknown.
	r := New("v0", &verify.Report{Dir: ".", Findings: []verify.Finding{
		{Rule: verify.RuleVendorTampered, Severity: verify.SeverityError, Message: "m1", File: "vendor/a,b/c:d.go"},
		{Rule: verify.RuleInsecureSetting, Severity: verify.SeverityWarning, Message: "m2"},
		{Rule: verify.RuleGoSumUnused, Severity: verify.SeverityNote, Message: "m3 50%", File: "go.sum", Line: 7},
	}})
	stdout, _, _ := runGitHub(t, &GitHub{}, r)
	for _, want := range []string{
		"::error file=vendor/a%2Cb/c%3Ad.go,title=vendor-tampered::m1\n",
		"::warning title=insecure-setting::m2\n",
		"::notice file=go.sum,line=7,title=gosum-unused::m3 50%25\n",
	} {
		if !strings.Contains(string(stdout), want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}
}

func TestGitHubAppends(t *testing.T) {
	dir := t.TempDir()
	summaryFile := filepath.Join(dir, "summary.md")
	outputFile := filepath.Join(dir, "output")
	for _, tc := range []struct {
		name, summaryBefore, outputBefore, summarySep, outputSep string
	}{
		{"newline", "# Tests\n\nall passed\n", "other=1\n", "\n", ""},
		{"no-newline", "# Tests\n\nall passed", "other=1", "\n\n", "\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := os.WriteFile(summaryFile, []byte(tc.summaryBefore), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(outputFile, []byte(tc.outputBefore), 0o644); err != nil {
				t.Fatal(err)
			}
			_, summary, outputs := runGitHub(t, &GitHub{SummaryFile: summaryFile, OutputFile: outputFile}, sampleReport())
			r := sampleReport()
			if want := tc.summaryBefore + tc.summarySep + string(stepSummary(r, true, DefaultSummaryLimit)); string(summary) != want {
				t.Errorf("summary file:\n%s\nwant:\n%s", summary, want)
			}
			if want := tc.outputBefore + tc.outputSep + string(stepOutputs(r, true)); string(outputs) != want {
				t.Errorf("output file:\n%s\nwant:\n%s", outputs, want)
			}
		})
	}

	// Two runs in one job: both summaries are kept.
	os.Remove(summaryFile)
	g := &GitHub{SummaryFile: summaryFile}
	for range 2 {
		if err := g.Write(&bytes.Buffer{}, emptyReport()); err != nil {
			t.Fatal(err)
		}
	}
	data, _ := os.ReadFile(summaryFile)
	one := string(stepSummary(emptyReport(), false, DefaultSummaryLimit))
	if string(data) != one+"\n"+one {
		t.Errorf("second run did not append:\n%s", data)
	}
}

func TestGitHubResult(t *testing.T) {
	warningsOnly := New("v0", &verify.Report{Dir: ".", Findings: []verify.Finding{
		{Rule: verify.RuleRetracted, Severity: verify.SeverityWarning, Message: "retracted", File: "go.mod", Line: 4},
		{Rule: verify.RuleDeprecated, Severity: verify.SeverityNote, Message: "deprecated", File: "go.mod", Line: 5},
	}})
	for _, tc := range []struct {
		failOn int
		r      *Report
		result string
	}{
		{0, warningsOnly, "pass"}, // default: error
		{verify.SeverityError.Rank(), warningsOnly, "pass"},
		{verify.SeverityWarning.Rank(), warningsOnly, "fail"},
		{verify.SeverityNote.Rank(), warningsOnly, "fail"},
		{99, sampleReport(), "pass"}, // --fail-on never
		{0, sampleReport(), "fail"},
		{0, emptyReport(), "pass"},
	} {
		_, summary, outputs := runGitHub(t, &GitHub{FailOn: tc.failOn}, tc.r)
		if !strings.HasPrefix(string(outputs), "result="+tc.result+"\n") {
			t.Errorf("fail-on rank %d: outputs\n%s\nwant result=%s", tc.failOn, outputs, tc.result)
		}
		if !strings.Contains(strings.SplitN(string(summary), "\n", 2)[0], ": "+tc.result) {
			t.Errorf("fail-on rank %d: summary heading %q, want result %s", tc.failOn, strings.SplitN(string(summary), "\n", 2)[0], tc.result)
		}
	}
}

func TestGitHubNoFiles(t *testing.T) {
	// Without the files (NewHandler, or outside Actions), only stdout.
	h, err := NewHandler("github", false)
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir(t.TempDir())
	var buf bytes.Buffer
	if err := h.Write(&buf, sampleReport()); err != nil {
		t.Fatal(err)
	}
	if entries, _ := os.ReadDir("."); len(entries) != 0 {
		t.Errorf("wrote files: %v", entries)
	}
}

func TestGitHubUnwritableFiles(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "no", "such", "dir", "file")
	var buf bytes.Buffer
	err := (&GitHub{SummaryFile: missing, OutputFile: missing}).Write(&buf, sampleReport())
	if err == nil || !strings.Contains(err.Error(), "step summary") || !strings.Contains(err.Error(), "step outputs") {
		t.Errorf("err = %v, want both file errors", err)
	}
	if !strings.Contains(buf.String(), "::error ") {
		t.Error("the annotations were not written before the file errors")
	}
}

func TestWriteOutputHeredoc(t *testing.T) {
	var b bytes.Buffer
	writeOutput(&b, "single", "a=b c")
	value := "line 1\nghadelimiter_x\nline 3"
	writeOutput(&b, "multi", value)
	lines := strings.Split(b.String(), "\n")
	if lines[0] != "single=a=b c" {
		t.Errorf("single-line output: %q", lines[0])
	}
	head, delim, ok := strings.Cut(lines[1], "<<")
	if !ok || head != "multi" || !strings.HasPrefix(delim, "ghadelimiter_") || strings.Contains(value, delim) {
		t.Fatalf("heredoc header %q", lines[1])
	}
	if got := strings.Join(lines[2:5], "\n"); got != value || lines[5] != delim || lines[6] != "" || len(lines) != 7 {
		t.Errorf("heredoc body:\n%s", b.String())
	}

	// A value holding the would-be delimiter gets another one.
	var b2 bytes.Buffer
	writeOutput(&b2, "multi", "x\n"+delim)
	if _, d2, _ := strings.Cut(strings.SplitN(b2.String(), "\n", 2)[0], "<<"); d2 == delim {
		t.Errorf("delimiter %q occurs in the value", d2)
	}
}

// The handler reads no environment: a token in it cannot leak into anything
// it writes, and the files are the ones its caller chose.
func TestGitHubIgnoresEnvironment(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("GITHUB_TOKEN", "ghs_secrettokenvalue")
	t.Setenv("GITHUB_STEP_SUMMARY", filepath.Join(dir, "env-summary"))
	t.Setenv("GITHUB_OUTPUT", filepath.Join(dir, "env-output"))
	stdout, summary, outputs := runGitHub(t, &GitHub{}, sampleReport())
	for _, data := range [][]byte{stdout, summary, outputs} {
		if bytes.Contains(data, []byte("secret")) {
			t.Errorf("token in output:\n%s", data)
		}
	}
	for _, f := range []string{"env-summary", "env-output"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err == nil {
			t.Errorf("handler wrote %s, named only by the environment", f)
		}
	}
}

func TestGitHubSubdirLocations(t *testing.T) {
	r := New("v0", &verify.Report{Dir: "services/api", Findings: []verify.Finding{
		{Rule: verify.RuleGoSumUnused, Severity: verify.SeverityNote, Message: "m", File: "go.sum", Line: 2},
	}})
	stdout, summary, _ := runGitHub(t, &GitHub{}, r)
	if !strings.HasPrefix(string(stdout), "::notice file=services/api/go.sum,line=2,") {
		t.Errorf("stdout:\n%s", stdout)
	}
	if !strings.Contains(string(summary), "| `services/api/go.sum:2` |") {
		t.Errorf("summary:\n%s", summary)
	}
}

func TestGitHubDriftOutput(t *testing.T) {
	for _, tc := range []struct {
		rule  string
		drift string
	}{
		{verify.RuleDriftVersionChanged, "true"},
		{verify.RuleDriftGoVersion, "true"},
		{verify.RuleHashMismatch, "false"},
	} {
		r := New("v0", &verify.Report{Dir: ".", Findings: []verify.Finding{
			{Rule: tc.rule, Severity: verify.SeverityNote, Message: "m", File: "go.mod", Line: 3},
		}})
		_, _, outputs := runGitHub(t, &GitHub{}, r)
		if !strings.Contains(string(outputs), "\ndrift="+tc.drift+"\n") {
			t.Errorf("%s: outputs\n%s\nwant drift=%s", tc.rule, outputs, tc.drift)
		}
	}
}

func TestWorkflowCommand(t *testing.T) {
	for _, tc := range []struct {
		command, title, message, want string
	}{
		{"notice", "", "plain", "::notice::plain"},
		{"notice", "modseal pr-comment", "skipped: 50%", "::notice title=modseal pr-comment::skipped: 50%25"},
		{"warning", "a:b,c", "x\n::error::y", "::warning title=a%3Ab%2Cc::x%0A::error::y"},
	} {
		if got := WorkflowCommand(tc.command, tc.title, tc.message); got != tc.want {
			t.Errorf("WorkflowCommand(%q, %q, %q) = %q, want %q", tc.command, tc.title, tc.message, got, tc.want)
		}
	}
}

// TestGitHubSummaryCounts: a build list the go command could not give
// (listed under skipped with the other checks the same failure held up)
// makes the module count unknown, never the hash check's count: the hash
// check needs no build list.
func TestGitHubSummaryCounts(t *testing.T) {
	r := emptyReport()
	r.Summary.Modules, r.Summary.Verified = 0, 7
	r.Skipped = []verify.Skipped{{Check: "build-list,graph,tidy", Reason: "the go command refused the files"}}
	got := string(stepSummary(r, false, DefaultSummaryLimit))
	if !strings.Contains(got, "| unknown | 7 |") {
		t.Errorf("summary table:\n%s\nwant modules unknown and 7 hash-verified", got)
	}
	if line := summaryLine(r); !strings.Contains(line, "; 7 modules hash-verified") || strings.Contains(line, " in 0 modules") {
		t.Errorf("summary line %q", line)
	}
}

// manyFindings returns n findings of rule at go.sum lines 1..n, with
// messages of about size bytes.
func manyFindings(rule string, n, size int) []verify.Finding {
	r, _ := verify.LookupRule(rule)
	var fs []verify.Finding
	for i := 1; i <= n; i++ {
		fs = append(fs, verify.Finding{Rule: rule, Severity: r.Severity, File: "go.sum", Line: i,
			Message: fmt.Sprintf("finding %d %s", i, strings.Repeat("x", size))})
	}
	return fs
}

// GitHub shows 10 annotations of each level per step: modseal writes no
// more, the heaviest first, and says how many it left out; skipped checks
// are one notice.
func TestGitHubAnnotationLimits(t *testing.T) {
	var fs []verify.Finding
	fs = append(fs, manyFindings(verify.RuleGoSumSyntax, 14, 10)...)
	fs = append(fs, verify.Finding{Rule: verify.RuleHashMismatch, Severity: verify.SeverityError, File: "go.sum", Line: 99, Message: "tampered"})
	fs = append(fs, manyFindings(verify.RuleReplaceLocal, 12, 10)...)
	fs = append(fs, manyFindings(verify.RuleGoSumUnused, 12, 10)...)
	verify.Sort(fs)
	r := New("v0", &verify.Report{Dir: ".", Findings: fs, Skipped: []verify.Skipped{
		{Check: "sumdb", Reason: "--offline"}, {Check: "origin", Reason: "--offline"}, {Check: "hash", Reason: "no cache"},
	}})
	stdout, summary, _ := runGitHub(t, &GitHub{}, r)
	lines := strings.Split(strings.TrimSuffix(string(stdout), "\n"), "\n")
	count := map[string]int{}
	for _, l := range lines {
		if cmd, _, ok := strings.Cut(l, " "); ok && strings.HasPrefix(cmd, "::") {
			count[strings.TrimPrefix(cmd, "::")]++
		}
	}
	if count["error"] != 10 || count["warning"] != 10 || count["notice"] != 10 {
		t.Errorf("annotations per level %v, want 10 each:\n%s", count, stdout)
	}
	if !strings.HasPrefix(lines[0], "::error file=go.sum,line=99,title=hash-mismatch::") {
		t.Errorf("first annotation %q, want the hash mismatch (tampering first)", lines[0])
	}
	// 15 errors, 12 warnings, 12 notes: 10 + 10 + 8 shown.
	if !slices.Contains(lines, "::notice title=modseal::11 more findings: see the job summary") {
		t.Errorf("no notice of the 11 findings left out:\n%s", stdout)
	}
	if n := strings.Count(string(stdout), "title=modseal skipped"); n != 1 {
		t.Errorf("%d notices of skipped checks, want 1:\n%s", n, stdout)
	}
	if !strings.Contains(string(stdout), "::notice title=modseal skipped 3 checks::these checks did not run, so they did not pass either:%0Asumdb: --offline%0Aorigin: --offline%0Ahash: no cache\n") {
		t.Errorf("skipped checks notice:\n%s", stdout)
	}
	// The job summary has them all, the long table folded.
	if n := strings.Count(string(summary), "\n| error |") + strings.Count(string(summary), "\n| warning |") + strings.Count(string(summary), "\n| note |"); n != len(fs) {
		t.Errorf("summary has %d findings, want %d", n, len(fs))
	}
	if !strings.Contains(string(summary), "<details><summary>39 findings, most severe first</summary>\n\n| severity |") || !strings.Contains(string(summary), "\n</details>\n") {
		t.Errorf("long table not in <details>:\n%s", summary)
	}

	// Within the limits, everything is annotated and nothing is said.
	small := New("v0", &verify.Report{Dir: ".", Findings: manyFindings(verify.RuleGoSumUnused, 10, 1)})
	stdout, summary, _ = runGitHub(t, &GitHub{}, small)
	if n := strings.Count(string(stdout), "::notice file="); n != 10 || strings.Contains(string(stdout), "more finding") {
		t.Errorf("10 notes: %d annotated:\n%s", n, stdout)
	}
	if strings.Contains(string(summary), "<details>") {
		t.Errorf("short table folded:\n%s", summary)
	}
	// One note too many: 9 notes and the notice.
	small = New("v0", &verify.Report{Dir: ".", Findings: manyFindings(verify.RuleGoSumUnused, 11, 1)})
	stdout, _, _ = runGitHub(t, &GitHub{}, small)
	if n := strings.Count(string(stdout), "::notice file="); n != 9 || !strings.Contains(string(stdout), "::notice title=modseal::2 more findings: see the job summary") {
		t.Errorf("11 notes: %d annotated:\n%s", n, stdout)
	}
}

// The job summary stays under its limit, and under GitHub's 1 MiB per step
// with what the step wrote before.
func TestGitHubSummaryLimit(t *testing.T) {
	r := New("v0", &verify.Report{Dir: ".", Findings: manyFindings(verify.RuleGoSumSyntax, 5000, 300),
		Skipped: []verify.Skipped{{Check: "sumdb", Reason: "--offline"}}})
	_, summary, _ := runGitHub(t, &GitHub{}, r)
	if len(summary) > DefaultSummaryLimit || len(summary) < DefaultSummaryLimit-2000 {
		t.Errorf("summary of %d bytes, want just under %d", len(summary), DefaultSummaryLimit)
	}
	md := string(summary)
	for _, want := range []string{"<details><summary>5000 findings", "more findings not shown: the job summary is limited to 512 KiB", "</details>\n", "### Skipped checks", "- `sumdb`: `--offline`"} {
		if !strings.Contains(md, want) {
			t.Errorf("summary lacks %q", want)
		}
	}

	dir := t.TempDir()
	file := filepath.Join(dir, "summary.md")
	before := strings.Repeat("earlier step\n", (maxStepSummary-100<<10)/13)
	if err := os.WriteFile(file, []byte(before), 0o644); err != nil {
		t.Fatal(err)
	}
	_, summary, _ = runGitHub(t, &GitHub{SummaryFile: file}, r)
	if len(summary) >= maxStepSummary || len(summary) < maxStepSummary-4000 {
		t.Errorf("step summary of %d bytes, want just under %d", len(summary), maxStepSummary)
	}
	if !strings.HasPrefix(string(summary), before+"\n## modseal: fail\n") {
		t.Error("earlier content lost or summary not appended")
	}
}
