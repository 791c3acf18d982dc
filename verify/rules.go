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
)

// A Rule describes one rule id: its default severity and a one-line summary
// (used as help text in SARIF and in the manual).
type Rule struct {
	ID       string
	Severity Severity
	Summary  string
}

// Rules lists every rule id modseal knows, in the contract's order.
var Rules = []Rule{
	{RuleGoModSyntax, SeverityError, "go.mod does not parse (strict, as the go command parses it)"},
	{RuleGoSumSyntax, SeverityError, "a go.sum line is malformed: field count, module path, version, hash encoding or length"},
	{RuleGoSumUnknownAlgorithm, SeverityWarning, "a go.sum hash uses an algorithm other than h1"},
	{RuleGoSumDuplicate, SeverityNote, "the same go.sum line appears twice"},
	{RuleGoSumConflict, SeverityError, "two different hashes for the same module@version (or module@version/go.mod)"},
	{RuleGoSumMergeConflict, SeverityError, "git conflict markers left in go.sum or go.mod"},
	{RuleGoSumMissing, SeverityError, "a go.sum line the go command requires is absent"},
	{RuleGoSumUnused, SeverityNote, "a go.sum line that go mod tidy would remove"},
	{RuleHashMismatch, SeverityError, "the recomputed h1 of a module zip or its go.mod differs from go.sum"},
	{RuleCacheTampered, SeverityError, "an extracted module directory in the module cache differs from the verified hash"},
	{RuleVendorInconsistent, SeverityError, "vendor/modules.txt disagrees with go.mod"},
	{RuleVendorTampered, SeverityError, "a vendored file differs from the verified module zip, or is added or missing"},
	{RuleSumDBMismatch, SeverityError, "go.sum disagrees with the checksum database"},
	{RuleSumDBMissing, SeverityError, "a public module@version is unknown to the checksum database"},
	{RuleModulePath, SeverityError, "invalid module path (golang.org/x/mod/module rules)"},
	{RuleMajorVersionSuffix, SeverityError, "version major does not match the path's /vN (or gopkg.in .vN) suffix, and is not a valid +incompatible"},
	{RuleIncompatibleWithGoMod, SeverityError, "a +incompatible version of a module that has a go.mod at that version"},
	{RuleNoncanonicalVersion, SeverityError, "a version that is not canonical semver (v1.2, v1.2.3+meta, missing v)"},
	{RulePseudoVersion, SeverityError, "malformed pseudo-version, or one the go command refuses against version control (timestamp, revision)"},
	{RuleOriginMismatch, SeverityWarning, "a pseudo-version's timestamp or revision disagrees with the proxy's .info (unauthenticated metadata: confirm from version control)"},
	{RuleRetracted, SeverityWarning, "the required version is retracted by the module's author"},
	{RuleDeprecated, SeverityNote, "the module is deprecated by its author"},
	{RuleReplaceLocal, SeverityWarning, "a replace to a filesystem path (not reproducible outside this checkout)"},
	{RuleInsecureSetting, SeverityWarning, "a setting that switches verification off or wide open"},
	{RuleDriftSumChanged, SeverityError, "same module@version, different hash than the snapshot"},
	{RuleDriftModuleAdded, SeverityWarning, "the selected build list gained a module"},
	{RuleDriftModuleRemoved, SeverityNote, "the selected build list lost a module"},
	{RuleDriftVersionChanged, SeverityWarning, "a module's selected version changed"},
	{RuleDriftBuildModuleAdded, SeverityWarning, "a module now provides packages to the build for a platform"},
	{RuleDriftGoVersion, SeverityNote, "the go or toolchain line changed"},
	{RuleDriftGraph, SeverityNote, "requirement edges changed without a build-list change"},
	{RuleSnapshotSignature, SeverityError, "the snapshot's signature is missing or invalid"},
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
