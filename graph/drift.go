package graph

import (
	"fmt"
	"slices"
	"strings"

	"golang.org/x/mod/module"
	"golang.org/x/mod/semver"

	"github.com/modseal/modseal/verify"
)

// Drift compares old, the snapshot on record, with new, the graph as it is
// now, and returns one finding per difference, in a fixed order: go and
// toolchain lines first, then by module path, then by rule.
//
//	drift-sum-changed         same module@version (and replacement), another go.sum hash:
//	                          one finding for the zip hash, one for the go.mod hash
//	drift-module-added        a module joined the build list
//	drift-module-removed      a module left the build list
//	drift-version-changed     another selected version, or another replacement, or a module
//	                          that became (or stopped being) a workspace module; the message says
//	                          upgrade or downgrade, major, and to or from a pseudo-version
//	drift-build-module-added  a module provides packages for platforms it did not (a module new
//	                          to the build list included); only platforms old has any module for
//	                          count, so a platform old was not computed for is never "new"
//	drift-go-version          the go or toolchain line changed
//	drift-graph               go mod graph edges changed while the build list did not
//
// A hash go.sum lacks on either side (a zip hash the build never needed) is
// not a change: only two different recorded hashes are. Main modules are
// compared by their go and toolchain lines and their edges; a main module
// that comes or goes is no finding (the snapshot's module field says so).
//
// Want is what old recorded and Got what new has, as for every modseal
// finding where Want is the trusted record and Got what was found: for
// drift-version-changed the old and new versions, for drift-sum-changed the
// old and new hashes. Module and Version name the module as new selects it
// (as old did, for a removed module).
//
// File and Line point into the files new was computed from, relative to
// its directory: the go.sum line of the new hash (drift-sum-changed), the
// require line in a main module's go.mod of a directly required module,
// else its go.sum line; the go or toolchain line of go.mod (go.work in a
// workspace); for a removed module, an indirect module go.sum has no line
// for, or an edge between dependencies, go.mod (go.work) without a line.
// When new was not computed from files (ParseSnapshot), File is empty.
func Drift(old, new *Snapshot) []verify.Finding {
	d := &drifter{old: old, new: new, src: new.src}
	d.goLines()
	oldMods := indexModules(old.Modules)
	newMods := indexModules(new.Modules)
	oldPlatforms := make(map[string]bool)
	for _, m := range old.Modules {
		for _, p := range m.Platforms {
			oldPlatforms[p] = true
		}
	}
	var required map[string][]string // built on the first added module

	paths := make([]string, 0, len(newMods)+len(oldMods))
	for p := range newMods {
		paths = append(paths, p)
	}
	for p := range oldMods {
		if _, ok := newMods[p]; !ok {
			paths = append(paths, p)
		}
	}
	slices.Sort(paths)
	listChanged := false
	for _, path := range paths {
		o, n := oldMods[path], newMods[path]
		switch {
		case o == nil || n == nil:
			listChanged = true
			if o == nil && n.main() || n == nil && o.main() {
				continue // a main module came or went: the module line says so
			}
			if o == nil {
				if required == nil {
					required = requiredBy(new.Edges)
				}
				f := d.finding(verify.RuleDriftModuleAdded, n, "%s@%s joined the build list%s", n.Path, n.Version, byWhom(required, n))
				f.Got = n.Version
				d.add(f, d.moduleLoc(n))
			} else {
				f := d.finding(verify.RuleDriftModuleRemoved, o, "%s@%s left the build list", o.Path, o.Version)
				f.Want = o.Version
				d.add(f, d.rootLoc())
			}
		case o.main() != n.main():
			listChanged = true
			var f verify.Finding
			if n.main() {
				f = d.finding(verify.RuleDriftVersionChanged, o, "%s: %s is now a workspace module: its code comes from a directory of the workspace, which no go.sum hash covers", o.Path, o.Version)
				f.Want = o.Version
			} else {
				f = d.finding(verify.RuleDriftVersionChanged, n, "%s: no longer a workspace module: %s is selected, from the module proxy", n.Path, n.Version)
				f.Got = n.Version
			}
			d.add(f, d.rootLoc())
		case n.main():
		case o.Version != n.Version || !sameReplace(o.Replace, n.Replace):
			listChanged = true
			f := d.finding(verify.RuleDriftVersionChanged, n, "%s", describeChange(o, n))
			f.Want, f.Got = versionOf(o), versionOf(n)
			d.add(f, d.moduleLoc(n))
		default:
			d.sums(o, n)
		}
		if n != nil && !n.main() {
			d.platforms(o, n, oldPlatforms)
		}
	}
	if !listChanged {
		d.edges()
	}
	order := make(map[string]int, len(verify.Rules))
	for i, r := range verify.Rules {
		order[r.ID] = i
	}
	slices.SortStableFunc(d.out, func(a, b verify.Finding) int {
		if c := strings.Compare(a.Module, b.Module); c != 0 {
			return c
		}
		return order[a.Rule] - order[b.Rule]
	})
	return d.out
}

type drifter struct {
	old, new *Snapshot
	src      *sources
	out      []verify.Finding
}

func (d *drifter) finding(rule string, m *SnapshotModule, format string, args ...any) verify.Finding {
	f := verify.NewFinding(rule, "", 0, format, args...)
	if m != nil {
		f.Module, f.Version = m.Path, m.Version
	}
	return f
}

func (d *drifter) add(f verify.Finding, at loc) {
	f.File, f.Line = at.file, at.line
	d.out = append(d.out, f)
}

// rootLoc is go.mod (go.work) without a line.
func (d *drifter) rootLoc() loc {
	if d.src == nil {
		return loc{}
	}
	return loc{file: d.src.root}
}

// moduleLoc is m's require line, else its go.sum line, else rootLoc.
func (d *drifter) moduleLoc(m *SnapshotModule) loc {
	if d.src == nil {
		return loc{}
	}
	if l, ok := d.src.require[m.Path]; ok {
		return l
	}
	for _, gomod := range []bool{false, true} {
		if l, ok := d.src.sums[m.hashKey(gomod)]; ok {
			return l
		}
	}
	return d.rootLoc()
}

func (d *drifter) goLines() {
	o, n := d.old, d.new
	if o.Go != n.Go {
		f := d.finding(verify.RuleDriftGoVersion, nil, "the go line changed from %s to %s", orNone(o.Go), orNone(n.Go))
		f.Want, f.Got = o.Go, n.Go
		at := d.rootLoc()
		if d.src != nil {
			at.line = d.src.goLine
		}
		d.add(f, at)
	}
	if o.Toolchain != n.Toolchain {
		f := d.finding(verify.RuleDriftGoVersion, nil, "the toolchain line changed from %s to %s", orNone(o.Toolchain), orNone(n.Toolchain))
		f.Want, f.Got = o.Toolchain, n.Toolchain
		at := d.rootLoc()
		if d.src != nil {
			at.line = d.src.toolchainLine
		}
		d.add(f, at)
	}
}

// sums reports the hashes of one module version that changed.
func (d *drifter) sums(o, n *SnapshotModule) {
	for _, gomod := range []bool{false, true} {
		was, is, what, suffix := o.Sum, n.Sum, "zip", ""
		if gomod {
			was, is, what, suffix = o.GoModSum, n.GoModSum, "go.mod", "/go.mod"
		}
		if was == "" || is == "" || was == is {
			continue
		}
		f := d.finding(verify.RuleDriftSumChanged, n,
			"%s %s%s: the %s hash in go.sum differs from the snapshot's for the same version: the module's content changed (a tampered go.sum, a republished version, or a compromised proxy); check it against the checksum database with modseal audit",
			n.Path, n.Version, suffix, what)
		f.Want, f.Got = was, is
		at := d.rootLoc()
		if d.src != nil {
			if l, ok := d.src.sums[n.hashKey(gomod)]; ok {
				at = l
			}
		}
		d.add(f, at)
	}
}

// platforms reports the platforms n provides packages for that o did not.
func (d *drifter) platforms(o, n *SnapshotModule, computed map[string]bool) {
	var added []string
	for _, p := range n.Platforms {
		if computed[p] && (o == nil || !slices.Contains(o.Platforms, p)) {
			added = append(added, p)
		}
	}
	if len(added) == 0 {
		return
	}
	f := d.finding(verify.RuleDriftBuildModuleAdded, n, "%s@%s now provides packages to the build for %s", n.Path, n.Version, strings.Join(added, ", "))
	f.Got = strings.Join(added, ",")
	d.add(f, d.moduleLoc(n))
}

// edges reports requirement edges that came or went. Edges to and from
// go@VERSION and toolchain@NAME are left out: with an unchanged build list
// only the main modules' go and toolchain lines change them, which
// drift-go-version reports.
func (d *drifter) edges() {
	was := make(map[string]bool, len(d.old.Edges))
	for _, e := range d.old.Edges {
		was[e] = true
	}
	is := make(map[string]bool, len(d.new.Edges))
	for _, e := range d.new.Edges {
		is[e] = true
		if !was[e] && !goEdge(e) {
			d.edge(e, true)
		}
	}
	for _, e := range d.old.Edges {
		if !is[e] && !goEdge(e) {
			d.edge(e, false)
		}
	}
}

// goEdge reports whether the go mod graph line e is about a go or toolchain version.
func goEdge(e string) bool {
	from, to, _ := strings.Cut(e, " ")
	for _, p := range []string{"go@", "toolchain@"} {
		if strings.HasPrefix(from, p) || strings.HasPrefix(to, p) {
			return true
		}
	}
	return false
}

func (d *drifter) edge(e string, added bool) {
	from, to, _ := strings.Cut(e, " ")
	path, version, _ := strings.Cut(to, "@")
	var f verify.Finding
	if added {
		f = d.finding(verify.RuleDriftGraph, nil, "%s now requires %s, with the build list unchanged", from, to)
		f.Got = e
	} else {
		f = d.finding(verify.RuleDriftGraph, nil, "%s no longer requires %s, with the build list unchanged", from, to)
		f.Want = e
	}
	f.Module, f.Version = path, version
	at := d.rootLoc()
	if d.src != nil && !strings.Contains(from, "@") {
		if l, ok := d.src.require[path]; ok && added {
			at = l
		}
	}
	d.add(f, at)
}

// describeChange says how n's selected version or replacement differs from o's.
func describeChange(o, n *SnapshotModule) string {
	if o.Version == n.Version {
		return fmt.Sprintf("%s@%s: the replacement changed from %s to %s", n.Path, n.Version, replaceString(o.Replace), replaceString(n.Replace))
	}
	kind := "upgrade"
	if semver.Compare(n.Version, o.Version) < 0 {
		kind = "downgrade"
	}
	if semver.Major(n.Version) != semver.Major(o.Version) {
		kind = "major " + kind
	}
	msg := fmt.Sprintf("%s: %s from %s to %s", n.Path, kind, o.Version, n.Version)
	switch op, np := module.IsPseudoVersion(o.Version), module.IsPseudoVersion(n.Version); {
	case np && !op:
		msg += ", from a release to a pseudo-version (an untagged commit)"
	case op && !np:
		msg += ", from a pseudo-version to a release"
	case op && np:
		msg += ", from one pseudo-version (untagged commit) to another"
	}
	if !sameReplace(o.Replace, n.Replace) {
		msg += fmt.Sprintf("; the replacement changed from %s to %s", replaceString(o.Replace), replaceString(n.Replace))
	}
	return msg
}

// versionOf is m's version, with " => replacement" as go list -m prints it.
func versionOf(m *SnapshotModule) string {
	if m.Replace == nil {
		return m.Version
	}
	return m.Version + " => " + replaceString(m.Replace)
}

func replaceString(r *Replacement) string {
	switch {
	case r == nil:
		return "none"
	case r.Version == "":
		return r.Path
	}
	return r.Path + " " + r.Version
}

func sameReplace(a, b *Replacement) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

func indexModules(mods []SnapshotModule) map[string]*SnapshotModule {
	m := make(map[string]*SnapshotModule, len(mods))
	for i := range mods {
		m[mods[i].Path] = &mods[i]
	}
	return m
}

// requiredBy maps "path@version" to the modules whose go.mod requires it,
// in edge order (sorted).
func requiredBy(edges []string) map[string][]string {
	m := make(map[string][]string)
	for _, e := range edges {
		from, to, _ := strings.Cut(e, " ")
		m[to] = append(m[to], from)
	}
	return m
}

// byWhom says which modules require m, for a module new to the build list.
func byWhom(required map[string][]string, m *SnapshotModule) string {
	froms := required[m.Path+"@"+m.Version]
	switch len(froms) {
	case 0:
		return ""
	case 1:
		return ", required by " + froms[0]
	}
	return fmt.Sprintf(", required by %s and %d more", froms[0], len(froms)-1)
}
