package report

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"

	"github.com/modseal/modseal/internal/report/sanitize"
)

// Drift writes the report of modseal diff for a person: the drift findings
// as a table (severity, rule, where, change), then a summary line that
// names Source, what the graph was compared with. With no findings the
// summary gives the module count (Summary.Modules) and the graph digest.
//
// The table quotes module paths, versions and replacement directories from
// the snapshot and the go.mod files of the change under review: every cell
// and the source are written with sanitize.Text, so a control character, a
// line break or a tab in them is a visible escape, the row stays one row
// and no workflow command starts in it.
type Drift struct {
	Source string // the snapshot file, or "REV (commit)"
}

func (d *Drift) Write(w io.Writer, r *Report) error {
	source := sanitize.Text(d.Source)
	var buf bytes.Buffer
	if len(r.Findings) > 0 {
		tw := tabwriter.NewWriter(&buf, 0, 8, 2, ' ', 0)
		fmt.Fprintln(tw, "SEVERITY\tRULE\tWHERE\tCHANGE")
		for _, f := range r.Findings {
			where := f.File
			if where == "" {
				where = "-"
			} else if f.Line > 0 {
				where += ":" + strconv.Itoa(f.Line)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", f.Severity, f.Rule, sanitize.Text(where), sanitize.Text(f.Message))
		}
		tw.Flush()
		buf.WriteString("\n")
	}
	s := r.Summary
	if len(r.Findings) == 0 {
		fmt.Fprintf(&buf, "modseal: no drift from %s: %s, graph %s\n", source, Plural(s.Modules, "module"), r.GraphDigest)
	} else {
		fmt.Fprintf(&buf, "modseal: %s, %s, %s of drift from %s\n", Plural(s.Errors, "error"), Plural(s.Warnings, "warning"), Plural(s.Notes, "note"), source)
	}
	_, err := w.Write(buf.Bytes())
	return err
}
