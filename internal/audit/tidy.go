package audit

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"

	"golang.org/x/mod/module"
	"golang.org/x/mod/semver"

	"github.com/modseal/modseal/graph"
	"github.com/modseal/modseal/verify"
)

// runTidy asks what go mod tidy says of each module, concurrently, and in a
// workspace what the workspace needs: gosum-missing and gosum-unused.
func runTidy(ctx context.Context, g *graph.Command, dir string, ld *loaded) outcome {
	type modTidy struct {
		out   outcome
		edits []graph.SumEdit // the go.sum lines the module's check reports
	}
	per := make([]modTidy, len(ld.mods))
	var (
		wg        sync.WaitGroup
		workEdits []graph.SumEdit
		workErr   error
	)
	for i, m := range ld.mods {
		wg.Go(func() { per[i].out, per[i].edits = tidyModule(ctx, g, dir, ld.work != nil, m) })
	}
	workSum := ""
	if ld.work != nil {
		workSum = joinRel(ld.work.rel, "go.work.sum")
		lines := 0
		for _, sf := range ld.sums {
			if sf.Name == workSum {
				lines = len(sf.Lines)
			}
		}
		wg.Go(func() { _, workEdits, workErr = g.WorkSumMissing(ctx, lines) })
	}
	wg.Wait()
	var out outcome
	var moduleEdits []graph.SumEdit
	for _, t := range per {
		out.add(t.out)
		moduleEdits = append(moduleEdits, t.edits...)
	}
	switch {
	case ld.work == nil:
	case workErr != nil:
		out.fail("tidy", workErr)
	default:
		// go.work.sum: only the lines no module's go.sum is reported to lack.
		n := len(moduleEdits)
		out.findings = append(out.findings, graph.TidyFindings(workSum, graph.MergeSumEdits(moduleEdits, workEdits)[n:])...)
	}
	return out
}

// tidyModule is what go mod tidy says of the module m: its findings, and
// the go.sum edits behind them.
func tidyModule(ctx context.Context, g *graph.Command, dir string, inWorkspace bool, m moduleFiles) (outcome, []graph.SumEdit) {
	var out outcome
	moddir := filepath.Join(dir, filepath.FromSlash(m.rel))
	tr, err := g.Tidy(ctx, moddir, m.sumLines, m.modLines)
	if se, ok := errors.AsType[*graph.SiblingError](err); ok {
		out.skip("tidy", joinRel(m.rel, "go.mod")+": "+se.Error())
		return out, nil
	}
	if err != nil {
		out.fail("tidy", err)
		return out, nil
	}
	edits := tr.Sum
	if !inWorkspace {
		// A requirement no package imports: tidy would drop it, go list -m
		// all refuses without its go.sum lines.
		more, err := g.ListMissing(ctx, moddir, m.sumLines)
		if err != nil {
			out.fail("tidy", err)
			return out, nil
		}
		edits = graph.MergeSumEdits(edits, more)
	}
	out.findings = tidyFindings(joinRel(m.rel, "go.sum"), joinRel(m.rel, "go.mod"), edits, tr.Mod)
	return out, edits
}

// tidyFindings reports what go mod tidy -diff would change: the go.sum
// lines (gosum-missing, gosum-unused), and the go.mod half, which changes
// what the go.sum half means (a go.sum line becomes unused only once tidy
// drops the requirement that needs it). Only requirements count: a line
// tidy removes and adds again (moved between require blocks, marked
// // indirect) is formatting. When tidy would drop or add a requirement,
// every finding says so, and each requirement it would drop is a
// gosum-unused note at its go.mod line (the contract's "a line go mod tidy
// would remove"); go mod tidy fixes both halves at once.
func tidyFindings(sumName, modName string, sum, mod []graph.SumEdit) []verify.Finding {
	fs := graph.TidyFindings(sumName, sum)
	removed := make(map[string]graph.SumEdit)
	added := make(map[string]string)
	var order []string
	for _, e := range mod {
		path, version, ok := requireLine(e.Text)
		if !ok {
			continue
		}
		if e.Add {
			added[path] = path + " " + version
			order = append(order, path)
		} else {
			removed[path] = e
		}
	}
	var adds []string
	for _, p := range order {
		if _, moved := removed[p]; !moved {
			adds = append(adds, added[p])
		}
	}
	var drops []graph.SumEdit
	for _, e := range mod {
		if path, _, ok := requireLine(e.Text); ok && !e.Add {
			if _, moved := added[path]; !moved {
				drops = append(drops, e)
			}
		}
	}
	if len(adds) == 0 && len(drops) == 0 {
		return fs
	}
	also := fmt.Sprintf("; go mod tidy also changes the requirements in %s", modName)
	if len(adds) > 0 {
		also += ", adding " + listSome(adds, 3)
	}
	if len(drops) > 0 {
		also += fmt.Sprintf(", dropping %d", len(drops))
	}
	also += ": run go mod tidy to fix go.mod and go.sum together"
	for i := range fs {
		fs[i].Message += also
	}
	for _, e := range drops {
		path, version, _ := requireLine(e.Text)
		fd := verify.NewFinding(verify.RuleGoSumUnused, modName, e.Line, "go mod tidy would drop the requirement %s %s: no package needs it%s", path, version, also)
		fd.Module, fd.Version = path, version
		fs = append(fs, fd)
	}
	return fs
}

// requireLine reads a go.mod line of tidy's diff as a requirement: "require
// M V" or, inside a require block, "M V", either with a comment.
func requireLine(text string) (path, version string, ok bool) {
	f := strings.Fields(text)
	if len(f) > 0 && f[0] == "require" {
		f = f[1:]
	}
	if len(f) < 2 || f[0] == "(" || module.CheckPath(f[0]) != nil || !semver.IsValid(f[1]) {
		return "", "", false
	}
	return f[0], f[1], true
}
