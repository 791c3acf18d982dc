package explain

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/modseal/modseal/internal/report/sanitize"
)

// WriteJSON writes r as one JSON object (schema modseal/explain/v1),
// 2-space indented, with a trailing newline.
func WriteJSON(w io.Writer, r *Result) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// WriteText writes r for a person: a table of the views (a hash marked "="
// agrees with the reference, "!" differs from it), then the verdict and
// the advice. Everything that came from outside (file names, URLs,
// hashes, notes, error messages) goes through sanitize.Text.
func WriteText(w io.Writer, r *Result) error {
	bw := bufio.NewWriter(w)
	s := sanitize.Text
	fmt.Fprintf(bw, "%s@%s\n\n", s(r.Module), s(r.Version))
	tw := tabwriter.NewWriter(bw, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "VIEW\tZIP H1\tGO.MOD H1\tNOTE")
	for _, v := range r.Views {
		note := v.Note
		if v.Status != StatusOK {
			note = v.Status
			if v.Note != "" {
				note += ": " + v.Note
			}
		}
		if v.Info != nil && v.Info.Origin != nil && v.Info.Origin.Hash != "" {
			o := v.Info.Origin
			extra := "origin " + o.URL + " " + o.Ref + " " + short(o.Hash)
			if note != "" {
				note += "; "
			}
			note += extra
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", s(v.Name), cell(v.Zip, v.ZipAgrees), cell(v.GoMod, v.GoModAgrees), s(note))
	}
	tw.Flush()
	fmt.Fprintln(bw)
	switch r.Reference.Basis {
	case BasisSumDB:
		fmt.Fprintf(bw, "= agrees with the checksum database %s, ! differs from it\n", s(r.SumDB))
	case BasisProxies:
		fmt.Fprintln(bw, "= agrees with what most proxies serve, ! differs (the checksum database has no record or was not asked)")
	case BasisMajority:
		fmt.Fprintf(bw, "= agrees with most views, ! differs (%s)\n", majorityWhy(r))
	}
	fmt.Fprintf(bw, "verdict: %s: %s\n", r.Verdict.ID, s(r.Verdict.Summary))
	if r.Verdict.Advice != "" {
		fmt.Fprintf(bw, "advice: %s\n", s(r.Verdict.Advice))
	}
	return bw.Flush()
}

func cell(h string, agrees *bool) string {
	switch {
	case h == "":
		return "-"
	case agrees == nil:
		return "  " + sanitize.Text(h)
	case *agrees:
		return "= " + sanitize.Text(h)
	}
	return "! " + sanitize.Text(h)
}
