package graph

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/modseal/modseal/internal/gocmd"
	"github.com/modseal/modseal/verify"
)

// A SumEdit is one line go mod tidy would add to or remove from go.sum.
type SumEdit struct {
	Add bool // the line would be added; otherwise it would be removed
	// Line is the 1-based line removed, or for an added line the line of
	// the current file before which it would go (clamped to the last line;
	// 0 when go.sum is empty or absent).
	Line int
	Text string // the go.sum line, without its newline
}

// A TidyResult is what "go mod tidy" would change in one module.
type TidyResult struct {
	Sum []SumEdit // go.sum lines tidy would add or remove
	// Mod are the go.mod lines tidy would add or remove (blank lines left
	// out), numbered like Sum in the current go.mod. It is the raw diff: a
	// require block tidy rewrites shows as its lines removed and added
	// again. Both halves are fixed by the same command: go mod tidy.
	Mod []SumEdit
}

// Tidy runs "go mod tidy -diff" in the module directory moddir and returns
// the go.sum and go.mod lines it would change. sumLines and modLines are the
// numbers of lines go.sum and go.mod have now (as the caller read them), for
// clamping insertion points.
//
// In a workspace, a module that imports another workspace module without
// requiring it builds, but tidy (which ignores go.work) cannot resolve the
// import: Tidy then returns a *SiblingError, a reason to skip, not a failure.
func (g *Command) Tidy(ctx context.Context, moddir string, sumLines, modLines int) (*TidyResult, error) {
	out, err := g.run(ctx, moddir, "mod", "tidy", "-diff")
	if err != nil {
		// tidy -diff exits 1 when there is a diff; that is an answer, not a failure.
		var ge *gocmd.Error
		if !errors.As(err, &ge) || ge.ExitCode != 1 || !bytes.HasPrefix(out, []byte("diff ")) {
			return nil, g.siblingError(ctx, moddir, err)
		}
	}
	return parseTidy(out, sumLines, modLines)
}

// parseTidyDiff reads the go.sum section of go mod tidy -diff's unified diff.
func parseTidyDiff(out []byte, sumLines int) ([]SumEdit, error) {
	t, err := parseTidy(out, sumLines, 0)
	if err != nil {
		return nil, err
	}
	return t.Sum, nil
}

// parseTidy reads the go.sum and go.mod sections of go mod tidy -diff's
// unified diff.
func parseTidy(out []byte, sumLines, modLines int) (*TidyResult, error) {
	var sum, mod []SumEdit
	var edits *[]SumEdit // the section being read; nil for another file
	limit := 0
	old := 0 // line number in the current file of the next context or removed line
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 0, 64*1024), 16*1024*1024)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "diff "):
			edits = nil
			if f := strings.Fields(line); len(f) == 3 {
				switch filepath.Base(f[1]) {
				case "go.sum":
					edits, limit = &sum, sumLines
				case "go.mod":
					edits, limit = &mod, modLines
				}
			}
		case edits == nil, strings.HasPrefix(line, "--- "), strings.HasPrefix(line, "+++ "):
		case strings.HasPrefix(line, "@@ "):
			start, count, err := parseHunkOld(line)
			if err != nil {
				return nil, err
			}
			old = start
			if count == 0 {
				old = start + 1 // an empty old range names the line it follows
			}
		case strings.HasPrefix(line, "-"):
			// A blank line is no entry: tidy drops it, the go command skips it.
			if strings.TrimSpace(line[1:]) != "" {
				*edits = append(*edits, SumEdit{Line: old, Text: line[1:]})
			}
			old++
		case strings.HasPrefix(line, "+"):
			at := min(old, limit)
			if strings.TrimSpace(line[1:]) != "" {
				*edits = append(*edits, SumEdit{Add: true, Line: at, Text: line[1:]})
			}
		case strings.HasPrefix(line, " "):
			old++
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return &TidyResult{Sum: cancelMoves(sum), Mod: mod}, nil
}

// cancelMoves drops a removed line and an added line that hold the same
// fields: the go command reads go.sum with strings.Fields, so they are the
// same entry, and the diff shows them only because tidy rewrites the file
// sorted, with LF line endings.
func cancelMoves(edits []SumEdit) []SumEdit {
	removed := make(map[string]int)
	for _, e := range edits {
		if !e.Add {
			removed[fieldsKey(e.Text)]++
		}
	}
	moved := make(map[string]int)
	for _, e := range edits {
		if k := fieldsKey(e.Text); e.Add && removed[k] > moved[k] {
			moved[k]++
		}
	}
	out := edits[:0]
	dropAdd, dropRemove := maps.Clone(moved), maps.Clone(moved)
	for _, e := range edits {
		k := fieldsKey(e.Text)
		if e.Add && dropAdd[k] > 0 {
			dropAdd[k]--
			continue
		}
		if !e.Add && dropRemove[k] > 0 {
			dropRemove[k]--
			continue
		}
		out = append(out, e)
	}
	return out
}

func fieldsKey(line string) string { return strings.Join(strings.Fields(line), " ") }

// parseHunkOld parses the old range "-a,b" of a hunk header "@@ -a,b +c,d @@".
func parseHunkOld(h string) (start, count int, err error) {
	f := strings.Fields(h)
	if len(f) < 3 || !strings.HasPrefix(f[1], "-") {
		return 0, 0, fmt.Errorf("go mod tidy -diff: malformed hunk header %q", h)
	}
	a, b, ok := strings.Cut(f[1][1:], ",")
	if !ok {
		b = "1"
	}
	start, err1 := strconv.Atoi(a)
	count, err2 := strconv.Atoi(b)
	if err1 != nil || err2 != nil {
		return 0, 0, fmt.Errorf("go mod tidy -diff: malformed hunk header %q", h)
	}
	return start, count, nil
}

// TidyFindings turns tidy's go.sum edits into gosum-missing and gosum-unused
// findings on the go.sum file named file.
func TidyFindings(file string, edits []SumEdit) []verify.Finding {
	var out []verify.Finding
	for _, e := range edits {
		var fd verify.Finding
		f := strings.Fields(e.Text)
		if e.Add {
			fd = verify.NewFinding(verify.RuleGoSumMissing, file, e.Line,
				"missing go.sum entry %q: the go command refuses to build without it; run go mod tidy", e.Text)
			if len(f) == 3 {
				fd.Want = f[2]
			}
		} else {
			fd = verify.NewFinding(verify.RuleGoSumUnused, file, e.Line, "go mod tidy would remove this line")
			if len(f) == 3 {
				fd.Got = f[2]
			}
		}
		if len(f) >= 2 {
			fd.Module, fd.Version = f[0], strings.TrimSuffix(f[1], "/go.mod")
		}
		out = append(out, fd)
	}
	return out
}
