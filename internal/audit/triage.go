package audit

import (
	"slices"

	"github.com/modseal/modseal/verify"
)

// triage reports each go.sum line's hash problem once, with the cause the
// evidence points to. Three checks can disagree with one go.sum line: the
// module zip or .mod file (hash-mismatch), the extracted directory
// (cache-tampered) and the checksum database (sumdb-mismatch). Each finding
// holds what modseal found in Got and what it should be in Want; comparing
// them tells the cases apart:
//   - the database disagrees with go.sum, and every cached file that was
//     checked agrees with the database: go.sum's line was changed; one
//     sumdb-mismatch, and the cache is not blamed;
//   - the zip and the extracted directory agree with each other but not with
//     go.sum: one hash-mismatch; the cache was altered when the database
//     vouches for go.sum (dbChecked), else either could have changed;
//   - otherwise each file that differs is its own problem, and each finding
//     says whether the database vouches for go.sum.
//
// dbAgrees reports whether the checksum database vouches for the go.sum
// line a finding is at: it was asked, and did not disagree (even if that
// disagreement is not reported: --skip drops findings before triage, so a
// skipped rule is never the one kept).
func triage(fs []verify.Finding, dbAgrees func(verify.Finding) bool) []verify.Finding {
	type loc struct {
		file string
		line int
	}
	type group struct{ sumdb, hash, dir int }
	groups := make(map[loc]*group)
	get := func(f verify.Finding) *group {
		k := loc{f.File, f.Line}
		g := groups[k]
		if g == nil {
			g = &group{-1, -1, -1}
			groups[k] = g
		}
		return g
	}
	for i, f := range fs {
		switch f.Rule {
		case verify.RuleSumDBMismatch:
			get(f).sumdb = i
		case verify.RuleHashMismatch:
			get(f).hash = i
		case verify.RuleCacheTampered:
			get(f).dir = i
		}
	}
	drop := make(map[int]bool)
	for _, g := range groups {
		switch {
		case g.sumdb >= 0:
			s := &fs[g.sumdb]
			db := s.Want
			agree := ""
			if g.hash >= 0 && fs[g.hash].Got == db {
				agree += ", the module file in the cache"
				drop[g.hash] = true
			}
			if g.dir >= 0 && fs[g.dir].Got == db {
				agree += ", the extracted module directory"
				drop[g.dir] = true
			}
			if agree != "" && (g.hash < 0 || drop[g.hash]) && (g.dir < 0 || drop[g.dir]) {
				s.Message = s.Module + "@" + s.Version + ": go.sum's line was changed: the checksum database" + agree +
					" agree on " + db + ", go.sum says " + s.Got + "; restore the line from version control (or delete it and run go mod download), the module cache is intact"
			} else {
				// The cache holds something else again: not one cause.
				delete(drop, g.hash)
				delete(drop, g.dir)
			}
		case g.hash >= 0 && g.dir >= 0 && fs[g.hash].Got != "" && fs[g.hash].Got == fs[g.dir].Got:
			h := &fs[g.hash]
			drop[g.dir] = true
			if dbAgrees(*h) {
				h.Message += "; the extracted directory holds the same other content, and the checksum database agrees with go.sum: " +
					"the module cache was altered; remove it (go clean -modcache) and download again"
			} else {
				h.Message += "; the extracted directory holds the same other content: either go.sum's line or the module cache changed, " +
					"and the checksum database does not vouch for go.sum's line (not asked, or it disagrees): compare go.sum with version control"
			}
		default:
			for _, i := range []int{g.hash, g.dir} {
				if i < 0 {
					continue
				}
				if dbAgrees(fs[i]) {
					fs[i].Message += "; the checksum database agrees with go.sum: the module cache was altered or corrupted; remove it (go clean -modcache) and download again"
				} else {
					fs[i].Message += "; the checksum database does not vouch for go.sum's line (not asked, or it disagrees): compare go.sum with version control"
				}
			}
		}
	}
	i := 0
	return slices.DeleteFunc(fs, func(verify.Finding) bool {
		d := drop[i]
		i++
		return d
	})
}
