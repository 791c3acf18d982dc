package audit

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/modseal/modseal/graph"
	"github.com/modseal/modseal/verify"
)

// CheckpointName is the file an online modseal snapshot writes next to the
// snapshot (so .modseal/sumdb-checkpoint by default): the checksum
// database's signed tree head, as the database served it, that go.sum was
// verified against. Committed, it travels with the repository: audit and
// diff prove the database's latest tree head consistent with it, so a
// database that shows CI another history than it showed the developer who
// made the snapshot is a SECURITY ERROR even when modseal's cache is empty.
const CheckpointName = "sumdb-checkpoint"

// CheckpointFile is the committed checkpoint's path relative to the
// audited directory.
const CheckpointFile = ".modseal/" + CheckpointName

// maxCheckpoint bounds how much of a checkpoint file is read: a signed
// tree head is a few hundred bytes.
const maxCheckpoint = 64 << 10

// offlineCheckpoint is what --offline leaves out when a checkpoint is
// committed.
var offlineCheckpoint = verify.Skipped{Check: "sumdb-checkpoint", Reason: "--offline: the checksum database's tree was not proved consistent with the committed checkpoint"}

// ReadCheckpoint returns the checkpoint in file, by what names it in
// messages ("the committed checkpoint NAME"), as Witnesses takes it; nil if
// there is none.
func ReadCheckpoint(file, name string) (map[string][]byte, error) {
	data, err := verify.ReadFileLimited(file, maxCheckpoint)
	var tl *verify.FileTooLargeError
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, nil
	case errors.As(err, &tl):
		return nil, fmt.Errorf("%s is larger than %d KiB: not a checksum database checkpoint; recreate it with modseal snapshot", name, maxCheckpoint>>10)
	case err != nil:
		return nil, err
	}
	return map[string][]byte{"the committed checkpoint " + name: data}, nil
}

// CommittedCheckpoint is ReadCheckpoint of dir's CheckpointFile.
func CommittedCheckpoint(dir string) (map[string][]byte, error) {
	return ReadCheckpoint(filepath.Join(dir, filepath.FromSlash(CheckpointFile)), CheckpointFile)
}

// Witnesses returns the checkpoints (by what names them) that are signed
// tree heads of db, to prove its latest tree head consistent with. A
// checkpoint no signature line of which names db is of another database
// (GOSUMDB changed since it was written): it is not compared, and a
// Skipped entry says so. One that names db but is not a valid signed tree
// head of it is left in, so that the proof fails and says why.
func Witnesses(db *verify.SumDB, checkpoints map[string][]byte) (map[string][]byte, []verify.Skipped) {
	out := make(map[string][]byte)
	var skipped []verify.Skipped
	var seen [][]byte
	for _, what := range slices.Sorted(maps.Keys(checkpoints)) {
		data := checkpoints[what]
		if len(data) == 0 {
			continue
		}
		if names := signerNames(data); !slices.Contains(names, db.Name) {
			skipped = append(skipped, verify.Skipped{Check: "sumdb-checkpoint",
				Reason: fmt.Sprintf("%s is not a tree head of %s, the checksum database GOSUMDB names (signed by %s): not compared; run modseal snapshot to record one of %s", what, db.Name, describeNames(names), db.Name)})
			continue
		}
		if slices.ContainsFunc(seen, func(b []byte) bool { return bytes.Equal(b, data) }) {
			continue // the same tree head, proved once
		}
		seen = append(seen, data)
		out[what] = data
	}
	return out, skipped
}

// signerNames returns the names of a signed note's signature lines
// ("— NAME BASE64"), unverified.
func signerNames(note []byte) []string {
	s := string(note)
	i := strings.LastIndex(s, "\n\n")
	if i < 0 {
		return nil
	}
	var names []string
	for _, line := range strings.Split(s[i+2:], "\n") {
		f := strings.Fields(line)
		if len(f) == 3 && f[0] == "—" {
			names = append(names, f[1])
		}
	}
	return names
}

func describeNames(names []string) string {
	if len(names) == 0 {
		return "nobody: it is not a signed note"
	}
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = strconv.Quote(n)
	}
	return strings.Join(q, ", ")
}

// DescribeCheckpoint names a signed tree head for messages: "tree#N of
// NAME", from its unverified text.
func DescribeCheckpoint(data []byte) string {
	lines := strings.SplitN(string(data), "\n", 3)
	desc := "signed tree head"
	if len(lines) > 1 {
		if _, err := strconv.ParseInt(lines[1], 10, 64); err == nil {
			desc = "tree#" + lines[1]
		}
	}
	if names := signerNames(data); len(names) > 0 {
		desc += " of " + names[0]
	}
	return desc
}

// ProveCheckpoints proves the latest tree head of the checksum database
// GOSUMDB names (for the module in opts.Dir) consistent with checkpoints,
// by what names them: for commands that look nothing up (diff), what the
// audit's checksum database check does first. A fork is a
// *verify.SecurityError; a database that cannot be reached, an error
// (--offline skips the proof, and the result says so).
func ProveCheckpoints(ctx context.Context, opts Options, checkpoints map[string][]byte) ([]verify.Skipped, error) {
	if len(checkpoints) == 0 {
		return nil, nil
	}
	if opts.Offline {
		return []verify.Skipped{offlineCheckpoint}, nil
	}
	g := &graph.Command{Dir: opts.Dir, Environ: opts.Environ, CacheDir: opts.CacheDir, GoBin: opts.GoBin}
	env, err := g.Env(ctx)
	if err != nil {
		return nil, fmt.Errorf("cannot ask the go command about %s: %v", opts.Dir, err)
	}
	db, err := verify.ParseGOSUMDB(env.GOSUMDB)
	if err != nil {
		return nil, err
	}
	if db == nil {
		return []verify.Skipped{{Check: "sumdb-checkpoint", Reason: "GOSUMDB=off: the committed checkpoint was not compared with a checksum database"}}, nil
	}
	witnesses, skipped := Witnesses(db, checkpoints)
	if len(witnesses) == 0 {
		return skipped, nil
	}
	c := NewSumDBClient(db, env, opts.CacheDir, opts.HTTP)
	c.Witnesses = witnesses
	if err := c.ProveLatest(); err != nil {
		var se *verify.SecurityError
		if errors.As(err, &se) {
			return nil, err
		}
		return nil, fmt.Errorf("checksum database %s: %v (the committed checkpoint could not be proved; --offline skips the proof)", db.Name, err)
	}
	return skipped, nil
}
