package graph

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/modseal/modseal/internal/gocmd"
	"github.com/modseal/modseal/verify"
)

// ListMissing returns the go.sum lines of the module in moddir that
// "go list -m all" needs and go.sum lacks: that command (and every other
// that loads the whole module graph) fails with "missing go.sum entry for
// go.mod file" without them. go mod tidy does not always see them: for a
// requirement no package imports, tidy would rather drop the requirement
// (a go.mod edit, see Tidy) than add its lines.
//
// It runs "go list -m -json all" read-only first; only if that refuses for
// missing go.sum lines does it run it again with -mod=mod on copies of
// go.mod and go.sum (-modfile in a temporary directory), so that the go
// command itself says which lines it wants, with hashes it has checked
// against the checksum database as usual (GOSUMDB, GONOSUMDB, GOPRIVATE
// honoured). The user's go.mod and go.sum are never written. The lines are
// additions (Add set), numbered like Tidy's against go.sum as it is
// (sumLines is its line count); TidyFindings turns them into
// gosum-missing findings.
//
// When the read-only command fails for another reason, ListMissing returns
// its error, a *gocmd.Error (or ErrOffline): Refusals(err.Stderr) says
// which findings explain it. In a workspace, where the go command never
// refuses for a missing line but adds it to go.work.sum, see WorkSumMissing.
func (g *Command) ListMissing(ctx context.Context, moddir string, sumLines int) ([]SumEdit, error) {
	_, err := g.run(ctx, moddir, "list", "-m", "-json", "all")
	if err == nil {
		return nil, nil
	}
	var ge *gocmd.Error
	if !errors.As(err, &ge) || !hasRule(ge.Stderr, verify.RuleGoSumMissing) {
		return nil, err
	}
	tmp, err := os.MkdirTemp("", "modseal-modfile-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	sum, err := verify.ReadFileLimited(filepath.Join(moddir, "go.sum"), verify.MaxSumFileSize)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	mod, err := verify.ReadFileLimited(filepath.Join(moddir, "go.mod"), verify.MaxSumFileSize)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(tmp, "go.mod"), mod, 0o666); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(tmp, "go.sum"), sum, 0o666); err != nil {
		return nil, err
	}
	// Flags on the command line win over GOFLAGS' -mod=readonly. Relative
	// replacement directories stay relative to moddir, the module root.
	if _, err := g.run(ctx, moddir, "list", "-mod=mod", "-modfile="+filepath.Join(tmp, "go.mod"), "-m", "-json", "all"); err != nil {
		return nil, err
	}
	wanted, err := verify.ReadFileLimited(filepath.Join(tmp, "go.sum"), verify.MaxSumFileSize)
	if err != nil {
		return nil, err
	}
	return addedLines(sum, wanted, sumLines), nil
}

// hasRule reports whether the go command's stderr has a refusal of rule.
func hasRule(stderr, rule string) bool {
	ex, _ := Refusals(stderr)
	return slices.ContainsFunc(ex, func(r Refusal) bool { return r.Rule == rule })
}

// addedLines returns the lines of after (a go.sum-format file the go
// command wrote) whose entry before lacks, as additions numbered against
// before: each at the line of before it would precede in the go command's
// sorted order (clamped to lines, the line count; 0 when before is empty).
func addedLines(before, after []byte, lines int) []SumEdit {
	have := make(map[string]bool)
	var keys []string // before's entries, in file order
	for l := range strings.Lines(string(before)) {
		k := fieldsKey(l)
		have[k] = true
		keys = append(keys, k)
	}
	var out []SumEdit
	for l := range strings.Lines(string(after)) {
		k := fieldsKey(l)
		if k == "" || have[k] {
			continue
		}
		have[k] = true
		at := len(keys)
		for i, bk := range keys {
			if bk != "" && bk > k {
				at = i + 1
				break
			}
		}
		out = append(out, SumEdit{Add: true, Line: min(at, lines), Text: strings.TrimRight(l, "\r\n")})
	}
	return out
}

// MergeSumEdits returns a's edits followed by those of b that a lacks (the
// same addition or removal of the same entry), for combining the lines
// Tidy, ListMissing and WorkSumMissing report for one file.
func MergeSumEdits(a, b []SumEdit) []SumEdit {
	type key struct {
		add bool
		k   string
	}
	seen := make(map[key]bool)
	out := slices.Clone(a)
	for _, e := range a {
		seen[key{e.Add, fieldsKey(e.Text)}] = true
	}
	for _, e := range b {
		if k := (key{e.Add, fieldsKey(e.Text)}); !seen[k] {
			seen[k] = true
			out = append(out, e)
		}
	}
	return out
}
