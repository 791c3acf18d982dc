package audit

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"

	"github.com/modseal/modseal/graph"
	"github.com/modseal/modseal/verify"
)

// SnapshotFile is where a committed snapshot lives, relative to the audited
// directory.
const SnapshotFile = ".modseal/graph.json"

// checkDrift are the rules of the committed-snapshot comparison.
var checkDrift = []string{
	verify.RuleDriftSumChanged, verify.RuleDriftModuleAdded, verify.RuleDriftModuleRemoved,
	verify.RuleDriftVersionChanged, verify.RuleDriftBuildModuleAdded, verify.RuleDriftGoVersion, verify.RuleDriftGraph,
}

// readCommittedSnapshot returns the snapshot committed in dir, or nil if
// there is none. A snapshot that does not parse is an error: an audit
// cannot say the graph matches it.
func readCommittedSnapshot(dir string) (*graph.Snapshot, error) {
	data, err := verify.ReadFileLimited(filepath.Join(dir, filepath.FromSlash(SnapshotFile)), verify.MaxSumFileSize)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	s, err := graph.ParseSnapshot(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %v: recreate it with modseal snapshot", SnapshotFile, err)
	}
	return s, nil
}

// snapshotDrift compares the committed snapshot with the current graph. The
// current graph is computed for the platforms the committed snapshot covers,
// with the default package patterns. Every drift is an error here: the
// committed snapshot is out of date, whatever changed.
// The snapshot reads the files load read (ld.readFile), so that it
// describes the same bytes as every other check.
func snapshotDrift(ctx context.Context, g *graph.Command, committed *graph.Snapshot, jobs int, ld *loaded) ([]verify.Finding, error) {
	var platforms []string
	for _, m := range committed.Modules {
		platforms = append(platforms, m.Platforms...)
	}
	slices.Sort(platforms)
	platforms = slices.Compact(platforms)
	if len(platforms) == 0 {
		platforms = graph.DefaultPlatforms
	}
	cur, err := g.Snapshot(ctx, graph.SnapshotOptions{Platforms: platforms, Jobs: jobs, ReadFile: ld.readFile})
	if err != nil {
		return nil, err
	}
	fs := graph.Drift(committed, cur)
	for i := range fs {
		fs[i].Severity = verify.SeverityError
		fs[i].Message = "snapshot out of date (run modseal snapshot and commit " + SnapshotFile + "): " + fs[i].Message
	}
	return fs, nil
}
