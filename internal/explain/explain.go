// Package explain gathers every view of one module version and says who
// agrees with whom, and why they disagree: modseal explain, and the
// one-line explanation audit adds to its hash-mismatch and sumdb-mismatch
// findings.
//
// # Views
//
// A view is one place that holds a hash (or the bytes to recompute one) of
// the module zip and of the go.mod file of MODULE@VERSION:
//
//   - go.sum and go.work.sum: the lines for the version and VERSION/go.mod;
//   - the user's module cache (GOMODCACHE): cache/download's .zip (h1
//     recomputed), .ziphash (as the go command recorded it when it
//     verified the download), .mod (recomputed), and the extracted
//     directory PATH@VERSION (recomputed);
//   - modseal's own cache: the go command's downloads under
//     CACHEDIR/mod/cache/download and modseal's under CACHEDIR/download
//     (files that are links into the user's cache are the user's view, not
//     shown twice);
//   - each GOPROXY entry on its own: its .zip and .mod (downloaded to a
//     temporary directory in modseal's cache, bounded, then removed) and
//     its .info (time and origin);
//   - the checksum database's record, proved through modseal's client and
//     cache, as audit uses them;
//   - the origin: when a proxy's .info names the repository, the ref and
//     the commit (Origin URL, Ref, Hash), what `git ls-remote URL REF`
//     names now.
//
// With Offline, only the local views are read; the others are listed with
// status not-asked. Nothing is ever written to the user's module cache,
// go.sum or go.mod.
//
// # The reference
//
// Each view's hashes are compared with a reference, per column (zip,
// go.mod): the checksum database's record when it has one (basis
// "sumdb"); else the value most proxies that answered agree on (basis
// "proxies", when they do not tie); else the value most views hold,
// local ones included (basis "majority"). A tie leaves the column without
// a reference.
//
// # The verdict
//
// One verdict, the first of these that holds:
//
//  1. sumdb-security: the checksum database misbehaved (a forked log, a
//     record that does not match its proof): nothing it says can be used.
//  2. tag-moved: a proxy's .info names the commit a ref had when it
//     cached the version, and the repository's ref now names another: the
//     module was re-tagged, which explains every other disagreement (the
//     database and the proxies keep the first content, a direct fetch gets
//     the new one).
//  3. sumdb-disagrees: the database has a record, proxies answered, and
//     none of them agrees with it.
//  4. proxy-diverges: a proxy differs from the reference while another
//     agrees with it (or, without a database record, the proxies disagree
//     among themselves).
//  5. gosum-edited: go.sum (or go.work.sum) differs from the reference,
//     which the database and the proxies agree on.
//  6. cache-tampered: a file of the user's module cache or of modseal's
//     differs from the reference.
//  7. inconsistent: views differ and nothing decides which is right (no
//     reference).
//  8. consistent: every view that holds a hash agrees.
//
// The order puts the views that can vouch for others first: a database
// that misbehaves vouches for nothing; a moved tag explains why honest
// sources differ; a database contradicted by every proxy (or a proxy by
// the others) must be settled before go.sum or the cache can be judged
// against them; and go.sum, what a commit records, comes before the
// cache, which is rebuilt from it.
package explain

import (
	"fmt"
	"slices"
	"strings"
)

// Schema names the JSON form of a Result.
const Schema = "modseal/explain/v1"

// View kinds.
const (
	KindGoSum        = "go.sum"
	KindGoModCache   = "gomodcache"
	KindModsealCache = "modseal-cache"
	KindProxy        = "proxy"
	KindSumDB        = "sumdb"
	KindOrigin       = "origin"
)

// View statuses.
const (
	StatusOK       = "ok"             // the view holds a hash
	StatusMissing  = "missing"        // the file, line or record does not exist
	StatusError    = "error"          // asking failed (Note says why)
	StatusNotAsked = "not-asked"      // not asked (--offline, GONOSUMDB, ...: Note says why)
	StatusSecurity = "security-error" // the checksum database misbehaved
)

// Verdicts, in order of precedence (see the package doc).
const (
	VerdictSumDBSecurity  = "sumdb-security"
	VerdictTagMoved       = "tag-moved"
	VerdictSumDBDisagrees = "sumdb-disagrees"
	VerdictProxyDiverges  = "proxy-diverges"
	VerdictGoSumEdited    = "gosum-edited"
	VerdictCacheTampered  = "cache-tampered"
	VerdictInconsistent   = "inconsistent"
	VerdictConsistent     = "consistent"
)

// Bases of the reference.
const (
	BasisSumDB    = "sumdb"
	BasisProxies  = "proxies"
	BasisMajority = "majority"
)

const maxNamesInSummary = 3

// A View is what one place holds for the module version.
type View struct {
	Kind   string `json:"kind"`
	Name   string `json:"name"`             // what the table shows: "go.sum", "GOMODCACHE .zip", "proxy URL"
	Source string `json:"source,omitempty"` // the file, file:line list or URL (credentials redacted)
	Status string `json:"status"`
	Zip    string `json:"zip,omitempty"`   // h1 of the module zip (or directory)
	GoMod  string `json:"gomod,omitempty"` // h1 of the go.mod file
	// ZipAgrees and GoModAgrees say whether Zip and GoMod equal the
	// reference; absent when the view has no such hash or there is no
	// reference.
	ZipAgrees   *bool   `json:"zip_agrees,omitempty"`
	GoModAgrees *bool   `json:"gomod_agrees,omitempty"`
	Note        string  `json:"note,omitempty"`
	Info        *Info   `json:"info,omitempty"`   // a proxy's .info
	Origin      *Origin `json:"origin,omitempty"` // an origin view: the ref then and now
}

// Info is a proxy's .info for the version.
type Info struct {
	Time   string  `json:"time,omitempty"` // RFC 3339
	Origin *Origin `json:"origin,omitempty"`
}

// An Origin is where a proxy says the version came from, and, in an origin
// view, what the ref names now.
type Origin struct {
	VCS  string `json:"vcs,omitempty"`
	URL  string `json:"url,omitempty"`
	Ref  string `json:"ref,omitempty"`
	Hash string `json:"hash,omitempty"` // the commit the proxy recorded
	Now  string `json:"now,omitempty"`  // origin view: the commit the ref names now ("" if unknown)
	// Moved: the ref now names another commit than Hash.
	Moved bool `json:"moved,omitempty"`
}

// Reference is what each view is compared with.
type Reference struct {
	Basis string `json:"basis"` // sumdb, proxies, majority, or "" (none)
	Zip   string `json:"zip,omitempty"`
	GoMod string `json:"gomod,omitempty"`
}

// A Verdict is the one explanation of the views.
type Verdict struct {
	ID      string `json:"id"`
	Summary string `json:"summary"` // one line
	Advice  string `json:"advice,omitempty"`
}

// Tool names the program that wrote a Result.
type Tool struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// A Result is every view of one module version, the reference and the
// verdict: the JSON object modseal explain --format json writes.
type Result struct {
	Schema    string    `json:"schema"`
	Tool      Tool      `json:"tool"`
	Module    string    `json:"module"`
	Version   string    `json:"version"`
	Dir       string    `json:"dir,omitempty"`
	SumDB     string    `json:"sumdb,omitempty"` // the database's name, if one was asked
	Reference Reference `json:"reference"`
	Views     []View    `json:"views"`
	Verdict   Verdict   `json:"verdict"`
	// Consistent: every view that holds a hash agrees (exit status 0).
	Consistent bool `json:"consistent"`
}

// Known reports whether any view holds a hash of the module version.
func (r *Result) Known() bool {
	for _, v := range r.Views {
		if v.Zip != "" || v.GoMod != "" {
			return true
		}
	}
	return false
}

func (v *View) hashed() bool { return v.Zip != "" || v.GoMod != "" }

// differs reports whether a hash of v disagrees with the reference.
func (v *View) differs() bool {
	return (v.ZipAgrees != nil && !*v.ZipAgrees) || (v.GoModAgrees != nil && !*v.GoModAgrees)
}

// Decide sets r's reference, each view's agreement with it, and the
// verdict (see the package doc).
func Decide(r *Result) {
	r.Reference = reference(r.Views)
	for i := range r.Views {
		v := &r.Views[i]
		v.ZipAgrees, v.GoModAgrees = agrees(v.Zip, r.Reference.Zip), agrees(v.GoMod, r.Reference.GoMod)
	}
	r.Verdict = verdict(r)
	r.Consistent = r.Verdict.ID == VerdictConsistent
}

func agrees(have, ref string) *bool {
	if have == "" || ref == "" {
		return nil
	}
	b := have == ref
	return &b
}

// reference picks the basis and, per column, the reference hash.
func reference(views []View) Reference {
	var db *View
	var proxies, all []*View
	for i := range views {
		v := &views[i]
		if !v.hashed() {
			continue
		}
		switch v.Kind {
		case KindSumDB:
			db = v
		case KindProxy:
			proxies = append(proxies, v)
		}
		all = append(all, v)
	}
	if db != nil {
		return Reference{Basis: BasisSumDB, Zip: db.Zip, GoMod: db.GoMod}
	}
	if len(proxies) > 0 {
		ref := Reference{Basis: BasisProxies, Zip: plurality(proxies, zipOf), GoMod: plurality(proxies, goModOf)}
		// The proxies decide only where they do not tie.
		if (ref.Zip != "" || !hasColumn(proxies, zipOf)) && (ref.GoMod != "" || !hasColumn(proxies, goModOf)) {
			return ref
		}
	}
	if len(all) > 0 {
		return Reference{Basis: BasisMajority, Zip: plurality(all, zipOf), GoMod: plurality(all, goModOf)}
	}
	return Reference{}
}

// hasColumn reports whether a view of vs has a hash in the column.
func hasColumn(vs []*View, col func(*View) string) bool {
	for _, v := range vs {
		if col(v) != "" {
			return true
		}
	}
	return false
}

func zipOf(v *View) string   { return v.Zip }
func goModOf(v *View) string { return v.GoMod }

// plurality is the value most views hold, "" if none or on a tie.
func plurality(views []*View, col func(*View) string) string {
	count := make(map[string]int)
	for _, v := range views {
		if h := col(v); h != "" {
			count[h]++
		}
	}
	best, n, tie := "", 0, false
	for h, c := range count {
		switch {
		case c > n:
			best, n, tie = h, c, false
		case c == n:
			tie = true
		}
	}
	if tie {
		return ""
	}
	return best
}

func verdict(r *Result) Verdict {
	mv := r.Module + "@" + r.Version
	var proxies, proxyAgree, proxyDiffer, sums, caches []*View
	var db *View
	var moved []*View
	for i := range r.Views {
		v := &r.Views[i]
		switch v.Kind {
		case KindSumDB:
			db = v
		case KindOrigin:
			if v.Origin != nil && v.Origin.Moved {
				moved = append(moved, v)
			}
		}
		if !v.differs() {
			if v.Kind == KindProxy && v.hashed() {
				proxies = append(proxies, v)
				proxyAgree = append(proxyAgree, v)
			}
			continue
		}
		switch v.Kind {
		case KindProxy:
			proxies = append(proxies, v)
			proxyDiffer = append(proxyDiffer, v)
		case KindGoSum:
			sums = append(sums, v)
		case KindGoModCache, KindModsealCache:
			caches = append(caches, v)
		}
	}
	basis := r.Reference.Basis
	agreed := agreedBy(r, basis, len(proxyAgree))

	if db != nil && db.Status == StatusSecurity {
		return Verdict{VerdictSumDBSecurity,
			"the checksum database misbehaved: " + firstLine(db.Note),
			"do not trust go.sum changes made since the last verified run; keep modseal's cache (it holds the evidence) and report it to the database's operator"}
	}
	if len(moved) > 0 {
		o := moved[0].Origin
		return Verdict{VerdictTagMoved,
			fmt.Sprintf("the tag moved since the proxy cached it: %s of %s now names commit %s, the proxy recorded %s", o.Ref, o.URL, short(o.Now), short(o.Hash)),
			fmt.Sprintf("%s was re-tagged: the checksum database and the proxies keep the first content, while a direct fetch (GOPROXY=direct, GONOSUMDB) gets the new one; keep the database's hash in go.sum and ask the author to publish a new version instead of moving a tag", mv)}
	}
	if basis == BasisSumDB && len(proxies) > 0 && len(proxyAgree) == 0 {
		what := "every proxy serves"
		if len(proxies) == 1 {
			what = "the only proxy that answered, " + proxies[0].Source + ", serves"
		} else if !sameHashes(proxies) {
			what = fmt.Sprintf("the %d proxies serve different bytes, none", len(proxies))
		}
		return Verdict{VerdictSumDBDisagrees,
			fmt.Sprintf("the checksum database disagrees with every proxy: %s other bytes than the database recorded for %s", what, mv),
			"trust the database: do not change go.sum to the proxies' hash; the module was probably republished (a moved tag) after the database recorded it, or the proxies serve altered content: ask the module's author, and report it to the proxies' operators"}
	}
	if len(proxyDiffer) > 0 {
		against := "the checksum database"
		switch basis {
		case BasisProxies:
			against = "the other proxies"
		case BasisMajority:
			against = "what most views hold (" + majorityWhy(r) + ")"
		}
		ok := ""
		if len(proxyAgree) > 0 {
			ok = ", which " + names(proxyAgree) + " agree" + plural(len(proxyAgree), "s", "") + " with"
		}
		return Verdict{VerdictProxyDiverges,
			fmt.Sprintf("one proxy serves other bytes: %s differ%s from %s%s", names(proxyDiffer), plural(len(proxyDiffer), "s", ""), against, ok),
			"remove that proxy from GOPROXY and report it to its operator: the go command rejects what it serves with SECURITY ERROR when go.sum or the database disagree"}
	}
	if len(sums) > 0 {
		extra := ""
		for _, c := range caches {
			if sameAs(c, sums[0]) {
				extra = "; the module cache holds the same other bytes (it was filled from a source nobody vouches for, or altered along with go.sum)"
				break
			}
		}
		return Verdict{VerdictGoSumEdited,
			fmt.Sprintf("go.sum was edited: %s differs from the hash %s for %s%s", names(sums), agreed, mv, extra),
			"restore go.sum from version control, or delete its lines for " + mv + " and run go mod download (which checks them against the database); then find out who changed it"}
	}
	if len(caches) > 0 {
		return Verdict{VerdictCacheTampered,
			fmt.Sprintf("the local module cache was altered or is corrupt: %s differ%s from the hash %s", names(caches), plural(len(caches), "s", ""), agreed),
			"remove the module from the cache (go clean -modcache, and modseal's cache directory if it is named) and download it again; find out what wrote to the cache"}
	}
	if differing(r) {
		return Verdict{VerdictInconsistent,
			"the views disagree, and nothing decides which is right: no checksum database record and no majority",
			"ask the checksum database (without --offline, with GOSUMDB set) or compare with version control"}
	}
	n := 0
	for _, v := range r.Views {
		if v.hashed() {
			n++
		}
	}
	what := fmt.Sprintf("all %d views that hold %s agree", n, mv)
	switch basis {
	case BasisSumDB:
		what += " with the checksum database"
	case BasisProxies:
		what += " (the checksum database was not asked or has no record)"
	default:
		what += " (" + majorityWhy(r) + ")"
	}
	return Verdict{ID: VerdictConsistent, Summary: what}
}

// agreedBy says who vouches for the reference, for a summary: "the
// checksum database and 2 proxies agree on".
func agreedBy(r *Result, basis string, proxiesAgree int) string {
	switch basis {
	case BasisSumDB:
		switch proxiesAgree {
		case 0:
			return "the checksum database recorded"
		case 1:
			return "the checksum database and the proxy agree on"
		}
		return fmt.Sprintf("the checksum database and %d proxies agree on", proxiesAgree)
	case BasisProxies:
		return "the proxies agree on (the checksum database has no record or was not asked)"
	}
	return "most views hold (" + majorityWhy(r) + ")"
}

// majorityWhy says why most views decide: nothing remote answered, or
// the proxies tie.
func majorityWhy(r *Result) string {
	for _, v := range r.Views {
		if v.Kind == KindProxy && v.hashed() {
			return "no checksum database record, and the proxies tie"
		}
	}
	return "nothing remote answered"
}

// differing reports whether two views hold different hashes in a column.
func differing(r *Result) bool {
	zips, mods := map[string]bool{}, map[string]bool{}
	for _, v := range r.Views {
		if v.Zip != "" {
			zips[v.Zip] = true
		}
		if v.GoMod != "" {
			mods[v.GoMod] = true
		}
	}
	return len(zips) > 1 || len(mods) > 1
}

// sameHashes reports whether the views agree with each other in every
// column they all have.
func sameHashes(vs []*View) bool {
	for _, v := range vs[1:] {
		if !sameAs(v, vs[0]) {
			return false
		}
	}
	return true
}

// sameAs reports whether a and b hold the same hashes where both have one,
// and have one in common.
func sameAs(a, b *View) bool {
	common := false
	if a.Zip != "" && b.Zip != "" {
		if a.Zip != b.Zip {
			return false
		}
		common = true
	}
	if a.GoMod != "" && b.GoMod != "" {
		if a.GoMod != b.GoMod {
			return false
		}
		common = true
	}
	return common
}

func names(vs []*View) string {
	var ns []string
	for _, v := range vs {
		if !slices.Contains(ns, v.Name) {
			ns = append(ns, v.Name)
		}
	}
	s := strings.Join(ns[:min(len(ns), maxNamesInSummary)], ", ")
	if len(ns) > maxNamesInSummary {
		s += fmt.Sprintf(" and %d more", len(ns)-maxNamesInSummary)
	}
	return s
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func short(h string) string {
	if h == "" {
		return "(none)"
	}
	if len(h) > 12 {
		return h[:12]
	}
	return h
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}
