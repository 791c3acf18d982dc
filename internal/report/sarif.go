package report

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"path"
	"path/filepath"
	"strings"

	"github.com/modseal/modseal/verify"
)

// SARIF writes the report as a SARIF 2.1.0 log with one run, for code
// scanning (GitHub uploads it with github/codeql-action/upload-sarif).
//
// Every rule of verify.Rules is listed, in that order, whether or not it has
// results. A result is located at its finding's file and line; a finding
// without a file is placed on go.mod, because code scanning shows only located
// results. Skipped checks become tool execution notifications, so a check that
// did not run is visible in the log rather than looking like a pass.
//
// File paths are relative to the audited directory; when that directory is
// itself a relative path below the current one (modseal audit sub/mod run from
// the repository root, as in CI), it is prefixed so the locations resolve
// against the repository root (%SRCROOT%).
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
	// fingerprintKey names modseal's partial fingerprint; bump the version
	// if the hashed fields ever change, so old alerts are not mismatched.
	fingerprintKey = "modsealFinding/v1"
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
	Tool        sarifTool         `json:"tool"`
	Invocations []sarifInvocation `json:"invocations"`
	Results     []sarifResult     `json:"results"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	Version        string      `json:"version,omitempty"`
	InformationURI string      `json:"informationUri"`
	Rules          []sarifRule `json:"rules"`
}

type sarifRule struct {
	ID                   string             `json:"id"`
	Name                 string             `json:"name"`
	ShortDescription     sarifText          `json:"shortDescription"`
	FullDescription      sarifText          `json:"fullDescription"`
	Help                 sarifHelp          `json:"help"`
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
	Region           *sarifRegion          `json:"region,omitempty"`
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
			Name:           "modseal",
			Version:        r.Tool.Version,
			InformationURI: toolURI,
			Rules:          sarifRules(),
		}},
		Invocations: []sarifInvocation{{ExecutionSuccessful: true}},
		Results:     []sarifResult{},
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
	seen := make(map[string]int)
	for _, f := range r.Findings {
		file := locationPath(r.Dir, f.File)
		if file == "" {
			file = "go.mod"
		}
		loc := sarifLocation{PhysicalLocation: sarifPhysicalLocation{
			ArtifactLocation: sarifArtifactLocation{URI: fileURI(file), URIBaseID: srcRoot},
		}}
		if f.Line > 0 {
			loc.PhysicalLocation.Region = &sarifRegion{StartLine: f.Line}
		}
		res := sarifResult{
			RuleID:    f.Rule,
			Level:     sarifLevel(f.Severity),
			Message:   sarifText{Text: messageWithHashes(f)},
			Locations: []sarifLocation{loc},
		}
		if i, ok := index[f.Rule]; ok {
			res.RuleIndex = &i
		}
		fp := fingerprint(f.Rule, file, f.Module, f.Version, f.Want, f.Got)
		seen[fp]++
		res.PartialFingerprints = map[string]string{fingerprintKey: fmt.Sprintf("%s:%d", fp, seen[fp])}
		if f.Module != "" || f.Version != "" || f.Want != "" || f.Got != "" {
			res.Properties = &sarifResultProps{Module: f.Module, Version: f.Version, Want: f.Want, Got: f.Got}
		}
		run.Results = append(run.Results, res)
	}
	return &sarifLog{Schema: sarifSchema, Version: sarifVersion, Runs: []sarifRun{run}}
}

// fingerprint identifies a finding across runs by what it is about (rule,
// file, module, version, hashes), never by its line or message, so an edit
// that moves a go.sum line does not turn an existing alert into a new one.
// The caller appends ":N", the finding's ordinal among findings with the same
// fingerprint (as GitHub does for its own primaryLocationLineHash), so two
// findings that share every field (two malformed lines of one file) stay
// two alerts.
func fingerprint(rule, file, module, version, want, got string) string {
	h := sha256.New()
	for _, s := range []string{rule, file, module, version, want, got} {
		// Length-prefixed, so field boundaries cannot be shifted.
		fmt.Fprintf(h, "%d:%s\n", len(s), s)
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// locationPath is file (relative to the audited directory dir) as a slash
// path relative to the current directory, when dir is below it; otherwise
// file unchanged. It returns "" for an empty file.
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

func sarifRules() []sarifRule {
	rules := make([]sarifRule, 0, len(verify.Rules))
	for _, r := range verify.Rules {
		rules = append(rules, sarifRule{
			ID:                   r.ID,
			Name:                 camelCase(r.ID),
			ShortDescription:     sarifText{Text: r.Summary},
			FullDescription:      sarifText{Text: plainText(r.Description)},
			Help:                 sarifHelp{Text: plainText(r.Description + " " + r.Help), Markdown: r.Description + "\n\n" + r.Help},
			DefaultConfiguration: sarifConfiguration{Level: sarifLevel(r.Severity)},
			Properties:           sarifRuleProps{Tags: sarifTags},
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
