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
type SARIF struct{}

const (
	sarifSchema  = "https://json.schemastore.org/sarif-2.1.0.json"
	sarifVersion = "2.1.0"
	toolURI      = "https://github.com/modseal/modseal"
	srcRoot      = "%SRCROOT%"
	// fingerprintKey names modseal's partial fingerprint; bump the version
	// if the hashed fields ever change, so old alerts are not mismatched.
	fingerprintKey = "modsealFinding/v1"
)

func (SARIF) Write(w io.Writer, r *Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(sarifLogOf(r))
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
	Level      string                 `json:"level"`
	Message    sarifText              `json:"message"`
	Properties sarifNotificationProps `json:"properties"`
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
			Properties: sarifNotificationProps{Check: s.Check},
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
		d := ruleDocs[r.ID]
		rules = append(rules, sarifRule{
			ID:                   r.ID,
			Name:                 camelCase(r.ID),
			ShortDescription:     sarifText{Text: r.Summary},
			FullDescription:      sarifText{Text: plainText(d.full)},
			Help:                 sarifHelp{Text: plainText(d.full + " " + d.help), Markdown: d.full + "\n\n" + d.help},
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

// ruleDoc documents one rule: full says what a finding means, help what to
// do about it. Both are Markdown (code spans only).
type ruleDoc struct {
	full, help string
}

var ruleDocs = map[string]ruleDoc{
	verify.RuleGoModSyntax: {
		"go.mod does not parse under the strict rules the go command applies, so the module's requirements cannot be read, let alone verified.",
		"Fix the reported line until `go mod edit -json` accepts the file. Find out how the bad line got there before regenerating anything: a hand-edited or mis-merged go.mod can hide an unreviewed dependency change.",
	},
	verify.RuleGoSumSyntax: {
		"A go.sum line is malformed: it does not have three fields, or its module path, version, hash encoding or hash length is invalid.",
		"A go.sum line reads `module version h1:base64-sha256`, with `/go.mod` after the version for go.mod hashes. Delete the malformed line and run `go mod tidy`, which records the hash after checking it against the checksum database.",
	},
	verify.RuleGoSumUnknownAlgorithm: {
		"A go.sum hash uses an algorithm other than `h1`. The go command checks only `h1` hashes, so the line verifies nothing.",
		"Delete the line and run `go mod tidy` to record the `h1` hash verified against the checksum database. Find out which tool or person wrote the line.",
	},
	verify.RuleGoSumDuplicate: {
		"The same go.sum line appears more than once. It is harmless in itself, but usually the trace of a bad merge or hand editing.",
		"Delete the duplicate, or run `go mod tidy`, which writes every line once.",
	},
	verify.RuleGoSumConflict: {
		"go.sum records two different hashes for the same module version (or for its go.mod). At most one of them is the published content; the other may be tampered or republished code.",
		"Do not pick one by hand. Delete both lines, run `go mod tidy` to record the hash the checksum database vouches for, and find out where the other one came from: a bad merge, a proxy serving different content, or tampering.",
	},
	verify.RuleGoSumMergeConflict: {
		"Git conflict markers (`<<<<<<<`, `=======`, `>>>>>>>`) were left in go.sum or go.mod.",
		"Resolve the conflict in go.mod by choosing the requirements you want, then regenerate go.sum with `go mod tidy` rather than merging hash lines by hand.",
	},
	verify.RuleGoSumMissing: {
		"go.sum lacks a line the go command requires for this module graph; the go command would stop with \"missing go.sum entry\".",
		"Run `go mod tidy` so the missing hash is downloaded and verified against the checksum database, then review and commit the new go.sum lines.",
	},
	verify.RuleGoSumUnused: {
		"go.sum has a line that `go mod tidy` would remove: nothing in the module graph needs it.",
		"Run `go mod tidy` to drop stale lines. They do not weaken verification, but they make go.sum changes harder to review and can hide unexpected ones.",
	},
	verify.RuleHashMismatch: {
		"The `h1` hash recomputed from a module zip or its go.mod differs from go.sum: the code that would be built is not the code that was recorded.",
		"Treat it as possible tampering and do not update go.sum to the new hash. Delete the downloaded copy (`go clean -modcache`), download it again and compare with the checksum database; if a proxy keeps serving different content, report it.",
	},
	verify.RuleCacheTampered: {
		"An extracted module directory in the module cache differs from the hash verified when it was downloaded: files were changed, added or removed after extraction.",
		"Something wrote to the module cache: a local edit, a build script or malware. Run `go clean -modcache`, download again, and find out what modified it.",
	},
	verify.RuleVendorInconsistent: {
		"vendor/modules.txt disagrees with go.mod: the vendored modules, their versions or their replacements do not match the requirements.",
		"Run `go mod vendor` to regenerate vendor/ from go.mod, and review the diff.",
	},
	verify.RuleVendorTampered: {
		"A file in vendor/ differs from the same file in the verified module zip, or a file was added to or removed from the vendored copy.",
		"Vendored code must be the module's code, byte for byte. Run `go mod vendor` to restore it and find out who changed vendor/; local patches belong in a fork used through a `replace` directive.",
	},
	verify.RuleSumDBMismatch: {
		"The hash in go.sum disagrees with the one the checksum database (`sum.golang.org`, or `GOSUMDB`) publishes for this module version.",
		"Either go.sum was tampered with or someone was served different content than everyone else. Do not trust the line: delete it, run `go mod tidy` to record the checksum database's hash, and find out where the other hash came from.",
	},
	verify.RuleSumDBMissing: {
		"A public module version is unknown to the checksum database, so nobody can confirm its content is what everyone else sees.",
		"Check that the version exists at its origin (`go list -m module@version`). If the module is private, add its path prefix to `GOPRIVATE` or `GONOSUMDB`; otherwise the version may have been deleted or never published, and should not be used.",
	},
	verify.RuleModulePath: {
		"A module path is invalid under the rules of `golang.org/x/mod/module`: disallowed characters, bad path elements or reserved names.",
		"Correct the path in the `module`, `require` or `replace` directive. An invalid path cannot be fetched or verified, and a path that only looks like a well-known one may be an impersonation attempt.",
	},
	verify.RuleMajorVersionSuffix: {
		"The major number of the version does not match the module path's major-version suffix (`/vN`, or `.vN` for gopkg.in), and the version is not a valid `+incompatible` one.",
		"Require the path with the matching suffix (for v2 and later, `example.com/mod/v2`), or a version whose major number matches the path.",
	},
	verify.RuleIncompatibleWithGoMod: {
		"A `+incompatible` version is required of a module that has a go.mod file at that version. `+incompatible` is only for code that predates modules, so the version does not mean what it claims.",
		"Require the module's major-version path (`example.com/mod/vN`) at the same version, without `+incompatible`.",
	},
	verify.RuleNoncanonicalVersion: {
		"A version is not canonical semantic versioning as the go command writes it, such as `v1.2`, `v1.2.3+meta` or a version without the leading `v`.",
		"Write the canonical form (`v1.2.0`, `v1.2.3`), as `go get module@version` records it. A non-canonical version is resolved through the proxy and may not be the version it appears to be.",
	},
	verify.RulePseudoVersion: {
		"A pseudo-version is malformed, or its timestamp or revision does not match the commit the origin reports for it.",
		"A pseudo-version names a commit by time and hash; one that disagrees with the origin may point at different code than intended. Regenerate it with `go get module@commit` and check the commit is the one you meant.",
	},
	verify.RuleOriginMismatch: {
		"A pseudo-version's timestamp or revision disagrees with the `.info` the module proxy serves for it. The `.info` is not covered by the checksum database, so this is a warning to confirm, not proof.",
		"Confirm the commit and its time at the module's version control (`git log -1 REVISION`), then regenerate the pseudo-version with `go get module@commit` if it is wrong.",
	},
	verify.RuleRetracted: {
		"The required version is retracted by the module's author; the message carries the author's rationale.",
		"Move to a version that is not retracted (`go list -m -u module` shows the latest). Authors retract versions that are broken, insecure or published by mistake.",
	},
	verify.RuleDeprecated: {
		"The module is deprecated by its author; the message carries the deprecation notice.",
		"Read the notice, which usually names a successor, and plan the migration: a deprecated module may no longer receive security fixes.",
	},
	verify.RuleReplaceLocal: {
		"A `replace` directive points at a filesystem path. The build uses whatever that directory holds, which no checksum covers and which does not exist outside this checkout.",
		"Replace with a published module version in committed code, and keep local development replacements in an uncommitted go.work file.",
	},
	verify.RuleInsecureSetting: {
		"A Go setting switches module verification off or opens it wide: `GOSUMDB=off`, `GONOSUMDB` or `GOPRIVATE` patterns that cover public hosts, `GOINSECURE`, or `GOFLAGS` with `-insecure` or `-mod=mod`.",
		"Narrow `GOPRIVATE` and `GONOSUMDB` to your private module prefixes (for example `example.com/private/*`), unset `GOINSECURE`, and leave `GOSUMDB` at its default so public modules are checked against the checksum database.",
	},
	verify.RuleDriftSumChanged: {
		"A module version has a different hash than in the snapshot: the same version now stands for different content.",
		"Published module versions never change, so this is a red flag. Find out which go.sum line changed and why before accepting it with `modseal snapshot`.",
	},
	verify.RuleDriftModuleAdded: {
		"The selected build list gained a module since the snapshot.",
		"Review the new module (who publishes it, and why it is needed: `go mod why -m module`), then record the change with `modseal snapshot`.",
	},
	verify.RuleDriftModuleRemoved: {
		"The selected build list lost a module since the snapshot.",
		"Usually the result of dropping or upgrading a dependency. Confirm the change is intended and record it with `modseal snapshot`.",
	},
	verify.RuleDriftVersionChanged: {
		"A module's selected version changed since the snapshot; the message says whether it is an upgrade or a downgrade.",
		"Review the change (release notes; `go mod graph` shows what requires it). A downgrade can bring back fixed vulnerabilities. Record it with `modseal snapshot`.",
	},
	verify.RuleDriftBuildModuleAdded: {
		"A module now provides packages to the build for a platform where it did not before, so new code is compiled into the binaries.",
		"Find the importing package (`go mod why -m module`), review the module's code, and record the change with `modseal snapshot`.",
	},
	verify.RuleDriftGoVersion: {
		"The `go` or `toolchain` line of go.mod changed since the snapshot.",
		"A `toolchain` line makes the go command download and run that toolchain. Check that it is a release you expect, then record it with `modseal snapshot`.",
	},
	verify.RuleDriftGraph: {
		"Requirement edges of the module graph changed without any change to the selected build list.",
		"Usually harmless (a dependency changed its own requirements), but it foreshadows later version changes. Review `go mod graph` and record the change with `modseal snapshot`.",
	},
	verify.RuleSnapshotSignature: {
		"The snapshot's signature is missing although `--key` was given, does not verify, or covers files whose digests differ from the files on disk.",
		"Review the changes, then sign a fresh snapshot with `modseal snapshot --sign-key KEY`; or find out who changed `.modseal/graph.json` or the files it covers without re-signing.",
	},
}
