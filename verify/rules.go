package verify

// Rule ids, as named by modseal's contract. They are stable: scripts, SARIF
// consumers and --skip depend on them.
const (
	RuleGoModSyntax           = "gomod-syntax"
	RuleGoSumSyntax           = "gosum-syntax"
	RuleGoSumUnknownAlgorithm = "gosum-unknown-algorithm"
	RuleGoSumDuplicate        = "gosum-duplicate"
	RuleGoSumConflict         = "gosum-conflict"
	RuleGoSumMergeConflict    = "gosum-merge-conflict"
	RuleGoSumMissing          = "gosum-missing"
	RuleGoSumUnused           = "gosum-unused"
	RuleHashMismatch          = "hash-mismatch"
	RuleCacheTampered         = "cache-tampered"
	RuleVendorInconsistent    = "vendor-inconsistent"
	RuleVendorTampered        = "vendor-tampered"
	RuleSumDBMismatch         = "sumdb-mismatch"
	RuleSumDBMissing          = "sumdb-missing"
	RuleModulePath            = "module-path"
	RuleMajorVersionSuffix    = "major-version-suffix"
	RuleIncompatibleWithGoMod = "incompatible-with-gomod"
	RuleNoncanonicalVersion   = "noncanonical-version"
	RulePseudoVersion         = "pseudo-version"
	RuleOriginMismatch        = "origin-mismatch"
	RuleRetracted             = "retracted"
	RuleDeprecated            = "deprecated"
	RuleReplaceLocal          = "replace-local"
	RuleInsecureSetting       = "insecure-setting"
	RuleDriftSumChanged       = "drift-sum-changed"
	RuleDriftModuleAdded      = "drift-module-added"
	RuleDriftModuleRemoved    = "drift-module-removed"
	RuleDriftVersionChanged   = "drift-version-changed"
	RuleDriftBuildModuleAdded = "drift-build-module-added"
	RuleDriftGoVersion        = "drift-go-version"
	RuleDriftGraph            = "drift-graph"
	RuleSnapshotSignature     = "snapshot-signature"
	RuleTagMoved              = "tag-moved"
	RuleTagUnpublished        = "tag-unpublished"
	RuleTagInvalid            = "tag-invalid"
)

// A Rule describes one rule id: everything modseal says about it, in one
// place. The manual (cmd/modseal/doc.go), the README's tables and the SARIF
// rules are checked against, or rendered from, this catalogue.
type Rule struct {
	ID       string
	Severity Severity // the default severity (audit reports all drift as an error)
	// Summary is one line: the SARIF shortDescription and the manual's table.
	Summary string
	// Description says what a finding means (the SARIF fullDescription) and
	// Help what to do about it. Both are Markdown, code spans only.
	Description, Help string
	// SecuritySeverity is GitHub code scanning's security-severity, a number
	// from 0.1 to 10 written as a string (over 9: critical, 7 to 8.9: high, 4
	// to 6.9: medium, below 4: low). About 9 where a finding is direct
	// evidence that the code built is not the code recorded (hash-mismatch,
	// sumdb-mismatch, drift-sum-changed; cache-tampered and vendor-tampered
	// a little lower, as the copy is local and the fix is to discard it); 7
	// to 8 where nobody can vouch for the content any more (gosum-conflict,
	// sumdb-missing, snapshot-signature); medium for what weakens the next
	// verification or changes what is built (insecure-setting, gosum-missing,
	// unknown algorithms, vendor drift, retracted, new build modules); low
	// for hygiene (syntax, version spelling, duplicates, unused lines,
	// removed modules, graph edges).
	SecuritySeverity string
	// Precision is SARIF's precision: "very-high" when the finding is
	// computed (a recomputed hash, a parse, a signature, a diff of two
	// graphs), "high" where it rests on the go command's or the checksum
	// database's answer interpreted by modseal, "medium" where it rests on
	// unauthenticated metadata or a pattern heuristic (origin-mismatch,
	// insecure-setting).
	Precision string
}

// Rules lists every rule id modseal knows, in the contract's order. The
// tag-* rules are release check's, about the module's own release tags.
var Rules = []Rule{
	{
		ID: RuleGoModSyntax, Severity: SeverityError, SecuritySeverity: "4.0", Precision: "very-high",
		Summary:     "go.mod does not parse (strict, as the go command parses it)",
		Description: "go.mod does not parse under the strict rules the go command applies, so the module's requirements cannot be read, let alone verified.",
		Help:        "Fix the reported line until `go mod edit -json` accepts the file. Find out how the bad line got there before regenerating anything: a hand-edited or mis-merged go.mod can hide an unreviewed dependency change.",
	},
	{
		ID: RuleGoSumSyntax, Severity: SeverityError, SecuritySeverity: "4.0", Precision: "very-high",
		Summary:     "a go.sum line is malformed: field count, module path, version, hash encoding or length",
		Description: "A go.sum line is malformed: it does not have three fields, or its module path, version, hash encoding or hash length is invalid.",
		Help:        "A go.sum line reads `module version h1:base64-sha256`, with `/go.mod` after the version for go.mod hashes. Delete the malformed line and run `go mod tidy`, which records the hash after checking it against the checksum database.",
	},
	{
		ID: RuleGoSumUnknownAlgorithm, Severity: SeverityWarning, SecuritySeverity: "5.0", Precision: "very-high",
		Summary:     "a go.sum hash uses an algorithm other than h1",
		Description: "A go.sum hash uses an algorithm other than `h1`. The go command checks only `h1` hashes, so the line verifies nothing.",
		Help:        "Delete the line and run `go mod tidy` to record the `h1` hash verified against the checksum database. Find out which tool or person wrote the line.",
	},
	{
		ID: RuleGoSumDuplicate, Severity: SeverityNote, SecuritySeverity: "1.0", Precision: "very-high",
		Summary:     "the same go.sum line appears twice",
		Description: "The same go.sum line appears more than once. It is harmless in itself, but usually the trace of a bad merge or hand editing.",
		Help:        "Delete the duplicate, or run `go mod tidy`, which writes every line once.",
	},
	{
		ID: RuleGoSumConflict, Severity: SeverityError, SecuritySeverity: "8.0", Precision: "very-high",
		Summary:     "two different hashes for the same module@version (or module@version/go.mod)",
		Description: "go.sum records two different hashes for the same module version (or for its go.mod). At most one of them is the published content; the other may be tampered or republished code.",
		Help:        "Do not pick one by hand. Delete both lines, run `go mod tidy` to record the hash the checksum database vouches for, and find out where the other one came from: a bad merge, a proxy serving different content, or tampering.",
	},
	{
		ID: RuleGoSumMergeConflict, Severity: SeverityError, SecuritySeverity: "4.0", Precision: "very-high",
		Summary:     "git conflict markers left in go.sum or go.mod",
		Description: "Git conflict markers (`<<<<<<<`, `=======`, `>>>>>>>`) were left in go.sum or go.mod.",
		Help:        "Resolve the conflict in go.mod by choosing the requirements you want, then regenerate go.sum with `go mod tidy` rather than merging hash lines by hand.",
	},
	{
		ID: RuleGoSumMissing, Severity: SeverityError, SecuritySeverity: "5.0", Precision: "high",
		Summary:     "a go.sum line the go command requires is absent",
		Description: "go.sum lacks a line the go command requires for this module graph; the go command would stop with \"missing go.sum entry\".",
		Help:        "Run `go mod tidy` so the missing hash is downloaded and verified against the checksum database, then review and commit the new go.sum lines.",
	},
	{
		ID: RuleGoSumUnused, Severity: SeverityNote, SecuritySeverity: "1.0", Precision: "high",
		Summary:     "a go.sum line that go mod tidy would remove",
		Description: "go.sum has a line that `go mod tidy` would remove: nothing in the module graph needs it.",
		Help:        "Run `go mod tidy` to drop stale lines. They do not weaken verification, but they make go.sum changes harder to review and can hide unexpected ones.",
	},
	{
		ID: RuleHashMismatch, Severity: SeverityError, SecuritySeverity: "9.0", Precision: "very-high",
		Summary:     "the recomputed h1 of a module zip or its go.mod differs from go.sum",
		Description: "The `h1` hash recomputed from a module zip or its go.mod differs from go.sum: the code that would be built is not the code that was recorded.",
		Help:        "Treat it as possible tampering and do not update go.sum to the new hash. Delete the downloaded copy (`go clean -modcache`), download it again and compare with the checksum database; if a proxy keeps serving different content, report it.",
	},
	{
		ID: RuleCacheTampered, Severity: SeverityError, SecuritySeverity: "8.8", Precision: "very-high",
		Summary:     "an extracted module directory in the module cache differs from the verified hash",
		Description: "An extracted module directory in the module cache differs from the hash verified when it was downloaded: files were changed, added or removed after extraction.",
		Help:        "Something wrote to the module cache: a local edit, a build script or malware. Run `go clean -modcache`, download again, and find out what modified it.",
	},
	{
		ID: RuleVendorInconsistent, Severity: SeverityError, SecuritySeverity: "5.0", Precision: "high",
		Summary:     "vendor/modules.txt disagrees with go.mod",
		Description: "vendor/modules.txt disagrees with go.mod: the vendored modules, their versions or their replacements do not match the requirements.",
		Help:        "Run `go mod vendor` to regenerate vendor/ from go.mod, and review the diff.",
	},
	{
		ID: RuleVendorTampered, Severity: SeverityError, SecuritySeverity: "8.8", Precision: "very-high",
		Summary:     "a vendored file differs from the verified module zip, or is added or missing",
		Description: "A file in vendor/ differs from the same file in the verified module zip, or a file was added to or removed from the vendored copy.",
		Help:        "Vendored code must be the module's code, byte for byte. Run `go mod vendor` to restore it and find out who changed vendor/; local patches belong in a fork used through a `replace` directive.",
	},
	{
		ID: RuleSumDBMismatch, Severity: SeverityError, SecuritySeverity: "9.0", Precision: "very-high",
		Summary:     "go.sum disagrees with the checksum database",
		Description: "The hash in go.sum disagrees with the one the checksum database (`sum.golang.org`, or `GOSUMDB`) publishes for this module version.",
		Help:        "Either go.sum was tampered with or someone was served different content than everyone else. Do not trust the line: delete it, run `go mod tidy` to record the checksum database's hash, and find out where the other hash came from.",
	},
	{
		ID: RuleSumDBMissing, Severity: SeverityError, SecuritySeverity: "7.0", Precision: "high",
		Summary:     "a public module@version is unknown to the checksum database",
		Description: "A public module version is unknown to the checksum database, so nobody can confirm its content is what everyone else sees.",
		Help:        "Check that the version exists at its origin (`go list -m module@version`). If the module is private, add its path prefix to `GOPRIVATE` or `GONOSUMDB`; otherwise the version may have been deleted or never published, and should not be used.",
	},
	{
		ID: RuleModulePath, Severity: SeverityError, SecuritySeverity: "5.0", Precision: "very-high",
		Summary:     "invalid module path (golang.org/x/mod/module rules)",
		Description: "A module path is invalid under the rules of `golang.org/x/mod/module`: disallowed characters, bad path elements or reserved names.",
		Help:        "Correct the path in the `module`, `require` or `replace` directive. An invalid path cannot be fetched or verified, and a path that only looks like a well-known one may be an impersonation attempt.",
	},
	{
		ID: RuleMajorVersionSuffix, Severity: SeverityError, SecuritySeverity: "3.0", Precision: "very-high",
		Summary:     "version major does not match the path's /vN (or gopkg.in .vN) suffix, and is not a valid +incompatible",
		Description: "The major number of the version does not match the module path's major-version suffix (`/vN`, or `.vN` for gopkg.in), and the version is not a valid `+incompatible` one.",
		Help:        "Require the path with the matching suffix (for v2 and later, `example.com/mod/v2`), or a version whose major number matches the path.",
	},
	{
		ID: RuleIncompatibleWithGoMod, Severity: SeverityError, SecuritySeverity: "4.0", Precision: "very-high",
		Summary:     "a +incompatible version of a module that has a go.mod at that version",
		Description: "A `+incompatible` version is required of a module that has a go.mod file at that version. `+incompatible` is only for code that predates modules, so the version does not mean what it claims.",
		Help:        "Require the module's major-version path (`example.com/mod/vN`) at the same version, without `+incompatible`.",
	},
	{
		ID: RuleNoncanonicalVersion, Severity: SeverityError, SecuritySeverity: "3.0", Precision: "very-high",
		Summary:     "a version that is not canonical semver (v1.2, v1.2.3+meta, missing v)",
		Description: "A version is not canonical semantic versioning as the go command writes it, such as `v1.2`, `v1.2.3+meta` or a version without the leading `v`.",
		Help:        "Write the canonical form (`v1.2.0`, `v1.2.3`), as `go get module@version` records it. A non-canonical version is resolved through the proxy and may not be the version it appears to be.",
	},
	{
		ID: RulePseudoVersion, Severity: SeverityError, SecuritySeverity: "5.0", Precision: "high",
		Summary:     "malformed pseudo-version, or one the go command refuses against version control (timestamp, revision)",
		Description: "A pseudo-version is malformed, or its timestamp or revision does not match the commit the origin reports for it.",
		Help:        "A pseudo-version names a commit by time and hash; one that disagrees with the origin may point at different code than intended. Regenerate it with `go get module@commit` and check the commit is the one you meant.",
	},
	{
		ID: RuleOriginMismatch, Severity: SeverityWarning, SecuritySeverity: "4.0", Precision: "medium",
		Summary:     "a pseudo-version's timestamp or revision disagrees with the proxy's .info (unauthenticated metadata: confirm from version control)",
		Description: "A pseudo-version's timestamp or revision disagrees with the `.info` the module proxy serves for it. The `.info` is not covered by the checksum database, so this is a warning to confirm, not proof.",
		Help:        "Confirm the commit and its time at the module's version control (`git log -1 REVISION`), then regenerate the pseudo-version with `go get module@commit` if it is wrong.",
	},
	{
		ID: RuleRetracted, Severity: SeverityWarning, SecuritySeverity: "5.0", Precision: "very-high",
		Summary:     "the required version is retracted by the module's author",
		Description: "The required version is retracted by the module's author; the message carries the author's rationale.",
		Help:        "Move to a version that is not retracted (`go list -m -u module` shows the latest). Authors retract versions that are broken, insecure or published by mistake.",
	},
	{
		ID: RuleDeprecated, Severity: SeverityNote, SecuritySeverity: "2.0", Precision: "very-high",
		Summary:     "the module is deprecated by its author",
		Description: "The module is deprecated by its author; the message carries the deprecation notice.",
		Help:        "Read the notice, which usually names a successor, and plan the migration: a deprecated module may no longer receive security fixes.",
	},
	{
		ID: RuleReplaceLocal, Severity: SeverityWarning, SecuritySeverity: "4.0", Precision: "very-high",
		Summary:     "a replace to a filesystem path (not reproducible outside this checkout)",
		Description: "A `replace` directive points at a filesystem path. The build uses whatever that directory holds, which no checksum covers and which does not exist outside this checkout.",
		Help:        "Replace with a published module version in committed code, and keep local development replacements in an uncommitted go.work file.",
	},
	{
		ID: RuleInsecureSetting, Severity: SeverityWarning, SecuritySeverity: "6.5", Precision: "medium",
		Summary:     "a setting that switches verification off or wide open",
		Description: "A Go setting switches module verification off or opens it wide: `GOSUMDB=off`, `GONOSUMDB` or `GOPRIVATE` patterns that cover public hosts, `GOINSECURE`, `GOFLAGS` with `-insecure` or `-mod=mod`, a `GOPROXY` that fetches from version control first (`direct`), or a GO variable that looks like one of these but does nothing. It is read from the environment, the go env file (`go env -w`), and the repository's workflows, Dockerfiles, Makefiles and `.envrc` files, and reported at the file and line that sets it.",
		Help:        "Narrow `GOPRIVATE` and `GONOSUMDB` to your private module prefixes (for example `example.com/private/*`), unset `GOINSECURE`, put a proxy before `direct` in `GOPROXY`, remove variables the go command does not know, and leave `GOSUMDB` at its default so public modules are checked against the checksum database.",
	},
	{
		ID: RuleDriftSumChanged, Severity: SeverityError, SecuritySeverity: "9.0", Precision: "very-high",
		Summary:     "same module@version, different hash than the snapshot",
		Description: "A module version has a different hash than in the snapshot: the same version now stands for different content.",
		Help:        "Published module versions never change, so this is a red flag. Find out which go.sum line changed and why before accepting it with `modseal snapshot`.",
	},
	{
		ID: RuleDriftModuleAdded, Severity: SeverityWarning, SecuritySeverity: "4.0", Precision: "very-high",
		Summary:     "the selected build list gained a module",
		Description: "The selected build list gained a module since the snapshot.",
		Help:        "Review the new module (who publishes it, and why it is needed: `go mod why -m module`), then record the change with `modseal snapshot`.",
	},
	{
		ID: RuleDriftModuleRemoved, Severity: SeverityNote, SecuritySeverity: "1.0", Precision: "very-high",
		Summary:     "the selected build list lost a module",
		Description: "The selected build list lost a module since the snapshot.",
		Help:        "Usually the result of dropping or upgrading a dependency. Confirm the change is intended and record it with `modseal snapshot`.",
	},
	{
		ID: RuleDriftVersionChanged, Severity: SeverityWarning, SecuritySeverity: "4.0", Precision: "very-high",
		Summary:     "a module's selected version changed",
		Description: "A module's selected version changed since the snapshot; the message says whether it is an upgrade or a downgrade.",
		Help:        "Review the change (release notes; `go mod graph` shows what requires it). A downgrade can bring back fixed vulnerabilities. Record it with `modseal snapshot`.",
	},
	{
		ID: RuleDriftBuildModuleAdded, Severity: SeverityWarning, SecuritySeverity: "5.0", Precision: "high",
		Summary:     "a module now provides packages to the build for a platform",
		Description: "A module now provides packages to the build for a platform where it did not before, so new code is compiled into the binaries.",
		Help:        "Find the importing package (`go mod why -m module`), review the module's code, and record the change with `modseal snapshot`.",
	},
	{
		ID: RuleDriftGoVersion, Severity: SeverityNote, SecuritySeverity: "3.0", Precision: "very-high",
		Summary:     "the go or toolchain line changed",
		Description: "The `go` or `toolchain` line of go.mod changed since the snapshot.",
		Help:        "A `toolchain` line makes the go command download and run that toolchain. Check that it is a release you expect, then record it with `modseal snapshot`.",
	},
	{
		ID: RuleDriftGraph, Severity: SeverityNote, SecuritySeverity: "1.0", Precision: "very-high",
		Summary:     "requirement edges changed without a build-list change",
		Description: "Requirement edges of the module graph changed without any change to the selected build list.",
		Help:        "Usually harmless (a dependency changed its own requirements), but it foreshadows later version changes. Review `go mod graph` and record the change with `modseal snapshot`.",
	},
	{
		ID: RuleSnapshotSignature, Severity: SeverityError, SecuritySeverity: "8.0", Precision: "very-high",
		Summary:     "the snapshot's signature is missing or invalid",
		Description: "The snapshot's signature is missing although `--key` was given, does not verify, or covers files whose digests differ from the files on disk.",
		Help:        "Review the changes, then sign a fresh snapshot with `modseal snapshot --sign-key KEY`; or find out who changed `.modseal/graph.json` or the files it covers without re-signing.",
	},
	{
		ID: RuleTagMoved, Severity: SeverityError, SecuritySeverity: "9.0", Precision: "very-high",
		Summary:     "a release tag's content differs from what the checksum database recorded",
		Description: "The module zip or go.mod the go command builds from the commit a release tag names today hashes differently from what the checksum database recorded for that version: the tag was moved or re-created after the version was first fetched. Every user who fetches the version through the checksum database gets `SECURITY ERROR`.",
		Help:        "Publish the change as a new version, never by moving the tag: the database's record is permanent, and the go command refuses any other content for that version. Until the tag names the recorded commit again, fetches straight from version control (`GOPROXY=direct`) fail too.",
	},
	{
		ID: RuleTagUnpublished, Severity: SeverityNote, SecuritySeverity: "1.0", Precision: "high",
		Summary:     "the checksum database has no record of this tagged version yet",
		Description: "The checksum database does not know this tagged version yet: nobody has fetched it through the module proxy. Its content is fixed by the first fetch.",
		Help:        "Once the tag is final, ask the proxy for it (`GOPROXY=https://proxy.golang.org go list -m MODULE@VERSION`) and run `modseal release check` again; from then on the tag must never move.",
	},
	{
		ID: RuleTagInvalid, Severity: SeverityError, SecuritySeverity: "3.0", Precision: "very-high",
		Summary:     "the tag is not a valid version of the module path",
		Description: "The tag names a version the go command refuses for this module path: a major version that does not match the path's `/vN` suffix, `v2` or later of a module with a go.mod and no suffix (which could only be `+incompatible`), or a version that is not canonical semver.",
		Help:        "Tag major versions 2 and up of a module with a go.mod at `vN` only after changing the module path to end in `/vN`; otherwise keep to `v0` or `v1` tags. Delete the invalid tag before anyone depends on it.",
	},
}

var rulesByID = func() map[string]Rule {
	m := make(map[string]Rule, len(Rules))
	for _, r := range Rules {
		m[r.ID] = r
	}
	return m
}()

// LookupRule returns the rule with the given id.
func LookupRule(id string) (Rule, bool) {
	r, ok := rulesByID[id]
	return r, ok
}
