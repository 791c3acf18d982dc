package report

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"

	"golang.org/x/mod/semver"

	"github.com/modseal/modseal/verify"
)

// SARIF writes the report as a SARIF 2.1.0 log with one run, for code
// scanning (GitHub uploads it with github/codeql-action/upload-sarif).
//
// Every rule of verify.Rules is listed, in that order, whether or not it has
// results, with its security-severity, precision and a helpUri into
// docs/rules.md at the release's tag (main for a development build). Every
// result has a region, because code scanning shows only located results:
// its finding's file and line; line 1 of the file when the finding names no
// line (an insecure setting found in a file, a vendored file); line 1 of
// go.mod when it names no file (a setting from the environment). A line past
// the end of the file (where go mod tidy would add a go.sum line) is moved to
// the file's last line. Skipped checks become tool execution notifications,
// so a check that did not run is visible in the log rather than looking like
// a pass.
//
// File URIs are relative to the repository root (%SRCROOT%): the report's
// RepoDir is prefixed to the files' paths. When RepoDir is unknown and the
// audited directory is a relative path below the current one, that path is
// prefixed instead. automationDetails.id, which GitHub code scanning uses as
// the category, names the command and the audited directory
// ("modseal/audit/svc/"), so each module of a repository keeps its own alerts.
//
// partialFingerprints.primaryLocationLineHash is modseal's own: a hash of what
// the finding is about (see fingerprint), never of its line number or of the
// lines around it, so inserting or removing go.sum lines neither closes nor
// reopens an alert. (github/codeql-action/upload-sarif computes one from the
// text near the line only where a result has none.)
//
// Failure, when set, is the error that stopped the run (modseal exits 2):
// the log then says executionSuccessful false, with the error as a tool
// execution notification of level error, so a run that did not finish never
// reads as a clean one.
type SARIF struct {
	Failure error
}

const (
	sarifSchema  = "https://json.schemastore.org/sarif-2.1.0.json"
	sarifVersion = "2.1.0"
	toolURI      = "https://github.com/modseal/modseal"
	srcRoot      = "%SRCROOT%"
	// fingerprintKey is the partial fingerprint GitHub code scanning matches
	// alerts by. Its value is modseal's content fingerprint (fingerprint).
	fingerprintKey = "primaryLocationLineHash"
	// rulesDoc is the rules page in the repository; helpUri is
	// rulesDoc/<tag or main>/docs/rules.md#<rule id>.
	rulesDoc = toolURI + "/blob/"
)

func (s SARIF) Write(w io.Writer, r *Report) error {
	log := sarifLogOf(r)
	if s.Failure != nil {
		inv := &log.Runs[0].Invocations[0]
		inv.ExecutionSuccessful = false
		inv.ToolExecutionNotifications = append(inv.ToolExecutionNotifications, sarifNotification{
			Level:   "error",
			Message: sarifText{Text: s.Failure.Error()},
		})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(log)
}

type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool              sarifTool         `json:"tool"`
	AutomationDetails sarifAutomation   `json:"automationDetails"`
	Invocations       []sarifInvocation `json:"invocations"`
	Results           []sarifResult     `json:"results"`
}

type sarifAutomation struct {
	ID string `json:"id"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name            string      `json:"name"`
	Version         string      `json:"version,omitempty"`
	SemanticVersion string      `json:"semanticVersion,omitempty"`
	InformationURI  string      `json:"informationUri"`
	Rules           []sarifRule `json:"rules"`
}

type sarifRule struct {
	ID                   string             `json:"id"`
	Name                 string             `json:"name"`
	ShortDescription     sarifText          `json:"shortDescription"`
	FullDescription      sarifText          `json:"fullDescription"`
	Help                 sarifHelp          `json:"help"`
	HelpURI              string             `json:"helpUri"`
	DefaultConfiguration sarifConfiguration `json:"defaultConfiguration"`
	Properties           sarifRuleProps     `json:"properties"`
}

type sarifText struct {
	Text string `json:"text"`
}

type sarifHelp struct {
	Text     string `json:"text"`
	Markdown string `json:"markdown"`
}

type sarifConfiguration struct {
	Level string `json:"level"`
}

type sarifRuleProps struct {
	Tags []string `json:"tags"`
	// SecuritySeverity is GitHub's security-severity: a number from 0.1 to
	// 10 as a string, which code scanning maps to critical, high, medium or
	// low.
	SecuritySeverity string `json:"security-severity,omitempty"`
	Precision        string `json:"precision,omitempty"`
}

type sarifInvocation struct {
	ExecutionSuccessful        bool                `json:"executionSuccessful"`
	ToolExecutionNotifications []sarifNotification `json:"toolExecutionNotifications,omitempty"`
}

type sarifNotification struct {
	Level      string                  `json:"level"`
	Message    sarifText               `json:"message"`
	Properties *sarifNotificationProps `json:"properties,omitempty"`
}

type sarifNotificationProps struct {
	Check string `json:"check"`
}

type sarifResult struct {
	RuleID              string            `json:"ruleId"`
	RuleIndex           *int              `json:"ruleIndex,omitempty"`
	Level               string            `json:"level"`
	Message             sarifText         `json:"message"`
	Locations           []sarifLocation   `json:"locations"`
	PartialFingerprints map[string]string `json:"partialFingerprints"`
	Properties          *sarifResultProps `json:"properties,omitempty"`
}

type sarifResultProps struct {
	Module  string `json:"module,omitempty"`
	Version string `json:"version,omitempty"`
	Want    string `json:"want,omitempty"`
	Got     string `json:"got,omitempty"`
}

type sarifLocation struct {
	PhysicalLocation sarifPhysicalLocation `json:"physicalLocation"`
}

type sarifPhysicalLocation struct {
	ArtifactLocation sarifArtifactLocation `json:"artifactLocation"`
	Region           sarifRegion           `json:"region"`
}

type sarifArtifactLocation struct {
	URI       string `json:"uri"`
	URIBaseID string `json:"uriBaseId"`
}

type sarifRegion struct {
	StartLine int `json:"startLine"`
}

var sarifTags = []string{"security", "supply-chain"}

func sarifLogOf(r *Report) *sarifLog {
	run := sarifRun{
		Tool: sarifTool{Driver: sarifDriver{
			Name:            "modseal",
			Version:         r.Tool.Version,
			SemanticVersion: semanticVersion(r.Tool.Version),
			InformationURI:  toolURI,
			Rules:           sarifRules(r.Tool.Version),
		}},
		AutomationDetails: sarifAutomation{ID: automationID(r)},
		Invocations:       []sarifInvocation{{ExecutionSuccessful: true}},
		Results:           []sarifResult{},
	}
	for _, s := range r.Skipped {
		run.Invocations[0].ToolExecutionNotifications = append(run.Invocations[0].ToolExecutionNotifications, sarifNotification{
			Level:      "warning",
			Message:    sarifText{Text: fmt.Sprintf("check %s skipped: %s", s.Check, s.Reason)},
			Properties: &sarifNotificationProps{Check: s.Check},
		})
	}
	index := make(map[string]int, len(verify.Rules))
	for i, rule := range verify.Rules {
		index[rule.ID] = i
	}
	files := make(fileLines)
	seen := make(map[string]int)
	for _, f := range r.Findings {
		file, line, text := "", f.Line, ""
		if f.File == "" {
			file, line = r.repoPath("go.mod"), 1
		} else {
			file = r.repoPath(f.File)
			if line > 0 {
				lines := files.get(filepath.Join(r.Dir, filepath.FromSlash(f.File)))
				if n := len(lines); n > 0 && line > n {
					line = n // go mod tidy would append the line: show the last one
				} else if line <= n {
					text = lines[line-1]
				}
			} else {
				line = 1
			}
		}
		loc := sarifLocation{PhysicalLocation: sarifPhysicalLocation{
			ArtifactLocation: sarifArtifactLocation{URI: fileURI(file), URIBaseID: srcRoot},
			Region:           sarifRegion{StartLine: line},
		}}
		res := sarifResult{
			RuleID:    f.Rule,
			Level:     sarifLevel(f.Severity),
			Message:   sarifText{Text: messageWithHashes(f)},
			Locations: []sarifLocation{loc},
		}
		if i, ok := index[f.Rule]; ok {
			res.RuleIndex = &i
		}
		// A finding that names its module version is about that version,
		// wherever its line is; one that does not (a malformed line, a
		// conflict marker) is about the text of its line.
		if f.Module != "" || f.Version != "" {
			text = ""
		}
		fp := fingerprint(f.Rule, file, f.Module, f.Version, f.Want, f.Got, text)
		seen[fp]++
		res.PartialFingerprints = map[string]string{fingerprintKey: fmt.Sprintf("%s:%d", fp, seen[fp])}
		if f.Module != "" || f.Version != "" || f.Want != "" || f.Got != "" {
			res.Properties = &sarifResultProps{Module: f.Module, Version: f.Version, Want: f.Want, Got: f.Got}
		}
		run.Results = append(run.Results, res)
	}
	return &sarifLog{Schema: sarifSchema, Version: sarifVersion, Runs: []sarifRun{run}}
}

// fileLines reads the files findings point into, once each, for the text of
// their lines; a file that cannot be read (gone, not a regular file, too
// large) has no lines.
type fileLines map[string][]string

func (fl fileLines) get(name string) []string {
	if lines, ok := fl[name]; ok {
		return lines
	}
	var lines []string
	// Stat first: opening a FIFO planted as go.sum would block.
	if fi, err := os.Stat(name); err == nil && fi.Mode().IsRegular() {
		if data, err := verify.ReadFileLimited(name, verify.MaxSumFileSize); err == nil {
			lines = strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
		}
	}
	fl[name] = lines
	return lines
}

// automationID is the run's automationDetails.id: "modseal/COMMAND/DIR/",
// DIR being the audited directory relative to the repository root, left out
// for the root itself ("modseal/audit/"). GitHub code scanning takes the id
// up to its last slash as the analysis category, so every module of a
// repository (a job per module in a matrix) keeps its own set of alerts.
func automationID(r *Report) string {
	cmd := r.Command
	if cmd == "" {
		cmd = "audit"
	}
	id := "modseal/" + cmd + "/"
	if dir := r.repoDir(); dir != "." {
		id += dir + "/"
	}
	return id
}

// semanticVersion is version without its "v" when version is a complete
// semantic version (v1.2.3, v1.2.3-rc.1, a pseudo-version), else "".
func semanticVersion(version string) string {
	if !semver.IsValid(version) || semver.Canonical(version) != strings.TrimSuffix(version, semver.Build(version)) {
		return ""
	}
	return strings.TrimPrefix(version, "v")
}

// helpURI is the rule's section of docs/rules.md in the repository, at the
// tag of version when it is a release (v1.2.3), else on main.
func helpURI(version, rule string) string {
	ref := "main"
	if semanticVersion(version) != "" && semver.Prerelease(version) == "" && semver.Build(version) == "" {
		ref = version
	}
	return rulesDoc + ref + "/docs/rules.md#" + rule
}

// fingerprint identifies a finding across runs by what it is about: rule,
// file (relative to the repository root), module, version, hashes, and for
// a finding that names no module version the text of its own line with
// whitespace normalised (a malformed go.sum line is that line). Never by its
// line number, its message or the lines around it, so an edit that moves a
// go.sum line does not turn an existing alert into a new one. The caller
// appends ":N", the finding's ordinal among findings with the same
// fingerprint (as GitHub does for its own primaryLocationLineHash), so two
// findings that share every field (a line and its duplicate) stay two
// alerts.
func fingerprint(rule, file, module, version, want, got, text string) string {
	text = strings.Join(strings.Fields(text), " ")
	h := sha256.New()
	for _, s := range []string{rule, file, module, version, want, got, text} {
		// Length-prefixed, so field boundaries cannot be shifted.
		fmt.Fprintf(h, "%d:%s\n", len(s), s)
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// locationPath is file (relative to the audited directory dir) as a slash
// path relative to the current directory, when dir is below it; otherwise
// file unchanged. It returns "" for an empty file. It is the fallback of
// Report.repoPath when the repository root is unknown.
func locationPath(dir, file string) string {
	if file == "" {
		return ""
	}
	if dir == "" || !filepath.IsLocal(dir) {
		return file
	}
	return path.Join(filepath.ToSlash(dir), file)
}

// fileURI turns a slash path into a relative URI reference: spaces and other
// reserved characters are percent-encoded, and a first segment with a colon
// is not mistaken for a scheme.
func fileURI(p string) string {
	u := url.URL{Path: p}
	return u.String()
}

func sarifLevel(s verify.Severity) string {
	switch s {
	case verify.SeverityError:
		return "error"
	case verify.SeverityWarning:
		return "warning"
	}
	return "note"
}

// messageWithHashes is the finding's message followed, like the text
// report, by the hash or version it has and the one it should have.
func messageWithHashes(f verify.Finding) string {
	var b strings.Builder
	b.WriteString(f.Message)
	if f.Got != "" {
		b.WriteString("\nhave " + f.Got)
	}
	if f.Want != "" {
		b.WriteString("\nwant " + f.Want)
	}
	return b.String()
}

func sarifRules(version string) []sarifRule {
	rules := make([]sarifRule, 0, len(verify.Rules))
	for _, r := range verify.Rules {
		rules = append(rules, sarifRule{
			ID:                   r.ID,
			Name:                 camelCase(r.ID),
			ShortDescription:     sarifText{Text: r.Summary},
			FullDescription:      sarifText{Text: plainText(r.Description)},
			Help:                 sarifHelp{Text: plainText(r.Description + " " + r.Help), Markdown: r.Description + "\n\n" + r.Help},
			HelpURI:              helpURI(version, r.ID),
			DefaultConfiguration: sarifConfiguration{Level: sarifLevel(r.Severity)},
			Properties:           sarifRuleProps{Tags: sarifTags, SecuritySeverity: r.SecuritySeverity, Precision: r.Precision},
		})
	}
	return rules
}

// camelCase turns a rule id such as "gosum-missing" into "GosumMissing".
func camelCase(id string) string {
	var b strings.Builder
	for _, part := range strings.Split(id, "-") {
		if part == "" {
			continue
		}
		b.WriteString(strings.ToUpper(part[:1]) + part[1:])
	}
	return b.String()
}

// plainText drops the Markdown code spans of the rule documentation.
func plainText(md string) string {
	return strings.ReplaceAll(md, "`", "")
}
