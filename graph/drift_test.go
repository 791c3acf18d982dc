package graph

import (
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/modseal/modseal/verify"
)

var allPlatforms = []string{"darwin/arm64", "linux/amd64", "windows/amd64"}

const (
	hashA = "h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
	hashB = "h1:BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB="
	hashC = "h1:CCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC="
	hashD = "h1:DDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDD="
)

// testSnapshot builds a sorted snapshot of the main module example.com/app
// (providing packages on every platform) and mods.
func testSnapshot(mods []SnapshotModule, edges []string) *Snapshot {
	s := &Snapshot{
		Schema:  SnapshotSchema,
		Module:  "example.com/app",
		Go:      "1.21",
		Modules: append([]SnapshotModule{{Path: "example.com/app", Platforms: allPlatforms}}, mods...),
		Edges:   slices.Clone(edges),
	}
	if s.Edges == nil {
		s.Edges = []string{}
	}
	for i := range s.Modules {
		if s.Modules[i].Platforms == nil {
			s.Modules[i].Platforms = []string{}
		}
	}
	slices.SortFunc(s.Modules, func(a, b SnapshotModule) int { return strings.Compare(a.Path, b.Path) })
	slices.Sort(s.Edges)
	s.GraphDigest = Digest(s.Edges)
	s.ContentDigest = ContentDigest(s.Modules)
	return s
}

func dep(path, version string, platforms ...string) SnapshotModule {
	return SnapshotModule{Path: path, Version: version, Sum: hashA, GoModSum: hashB, Platforms: platforms}
}

type wantFinding struct {
	rule, module, want, got, msg string
}

func checkFindings(t *testing.T, got []verify.Finding, want []wantFinding) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d findings, want %d:\n%s", len(got), len(want), dump(got))
	}
	for i, w := range want {
		g := got[i]
		if g.Rule != w.rule || g.Module != w.module || g.Want != w.want || g.Got != w.got || !strings.Contains(g.Message, w.msg) {
			t.Errorf("finding %d:\n got %s module=%s want=%q got=%q\n     %s\nwant %s module=%s want=%q got=%q, message containing %q",
				i, g.Rule, g.Module, g.Want, g.Got, g.Message, w.rule, w.module, w.want, w.got, w.msg)
		}
		r, _ := verify.LookupRule(g.Rule)
		if g.Severity != r.Severity {
			t.Errorf("finding %d: severity %s, want the rule's %s", i, g.Severity, r.Severity)
		}
	}
}

func dump(fs []verify.Finding) string {
	var b strings.Builder
	for _, f := range fs {
		b.WriteString(f.String() + " want=" + f.Want + " got=" + f.Got + "\n")
	}
	return b.String()
}

func TestDriftNone(t *testing.T) {
	a := testSnapshot([]SnapshotModule{dep("example.com/b", "v1.0.0", allPlatforms...)}, []string{"example.com/app example.com/b@v1.0.0"})
	b := testSnapshot([]SnapshotModule{dep("example.com/b", "v1.0.0", allPlatforms...)}, []string{"example.com/app example.com/b@v1.0.0"})
	if fs := Drift(a, b); len(fs) != 0 {
		t.Fatalf("identical snapshots drift:\n%s", dump(fs))
	}
}

func TestDriftSumChanged(t *testing.T) {
	old := testSnapshot([]SnapshotModule{dep("example.com/b", "v1.0.0")}, nil)
	zip := dep("example.com/b", "v1.0.0")
	zip.Sum = hashC
	checkFindings(t, Drift(old, testSnapshot([]SnapshotModule{zip}, nil)), []wantFinding{
		{verify.RuleDriftSumChanged, "example.com/b", hashA, hashC, "example.com/b v1.0.0: the zip hash in go.sum differs"},
	})
	both := dep("example.com/b", "v1.0.0")
	both.Sum, both.GoModSum = hashC, hashD
	checkFindings(t, Drift(old, testSnapshot([]SnapshotModule{both}, nil)), []wantFinding{
		{verify.RuleDriftSumChanged, "example.com/b", hashA, hashC, "example.com/b v1.0.0: the zip hash in go.sum differs"},
		{verify.RuleDriftSumChanged, "example.com/b", hashB, hashD, "example.com/b v1.0.0/go.mod: the go.mod hash in go.sum differs"},
	})
	// A hash only one side has is no change: go.sum lacks a zip hash the
	// build never needed.
	lacking := dep("example.com/b", "v1.0.0")
	lacking.Sum = ""
	if fs := Drift(old, testSnapshot([]SnapshotModule{lacking}, nil)); len(fs) != 0 {
		t.Errorf("a hash that went missing drifts:\n%s", dump(fs))
	}
	if fs := Drift(testSnapshot([]SnapshotModule{lacking}, nil), old); len(fs) != 0 {
		t.Errorf("a hash that came drifts:\n%s", dump(fs))
	}
}

func TestDriftModuleAddedRemoved(t *testing.T) {
	old := testSnapshot([]SnapshotModule{dep("example.com/b", "v1.0.0", allPlatforms...)}, []string{"example.com/app example.com/b@v1.0.0"})
	cur := testSnapshot([]SnapshotModule{dep("example.com/b", "v1.0.0", allPlatforms...), dep("example.com/c", "v1.2.0")},
		[]string{"example.com/app example.com/b@v1.0.0", "example.com/b@v1.0.0 example.com/c@v1.2.0"})
	checkFindings(t, Drift(old, cur), []wantFinding{
		{verify.RuleDriftModuleAdded, "example.com/c", "", "v1.2.0", "example.com/c@v1.2.0 joined the build list, required by example.com/b@v1.0.0"},
	})
	checkFindings(t, Drift(cur, old), []wantFinding{
		{verify.RuleDriftModuleRemoved, "example.com/c", "v1.2.0", "", "example.com/c@v1.2.0 left the build list"},
	})
	// A new module that provides packages is also a new build module.
	built := testSnapshot([]SnapshotModule{dep("example.com/b", "v1.0.0", allPlatforms...), dep("example.com/c", "v1.2.0", "linux/amd64")}, cur.Edges)
	checkFindings(t, Drift(old, built), []wantFinding{
		{verify.RuleDriftModuleAdded, "example.com/c", "", "v1.2.0", "joined the build list"},
		{verify.RuleDriftBuildModuleAdded, "example.com/c", "", "linux/amd64", "example.com/c@v1.2.0 now provides packages to the build for linux/amd64"},
	})
}

func TestDriftVersionChanged(t *testing.T) {
	for _, tt := range []struct {
		old, new string
		msg      string
	}{
		{"v1.0.0", "v1.1.0", "example.com/b: upgrade from v1.0.0 to v1.1.0"},
		{"v1.1.0", "v1.0.0", "example.com/b: downgrade from v1.1.0 to v1.0.0"},
		{"v0.9.0", "v1.0.0", "example.com/b: major upgrade from v0.9.0 to v1.0.0"},
		{"v2.0.0+incompatible", "v1.5.0", "example.com/b: major downgrade from v2.0.0+incompatible to v1.5.0"},
		{"v1.0.0", "v1.0.1-0.20230102030405-abcdef123456", "upgrade from v1.0.0 to v1.0.1-0.20230102030405-abcdef123456, from a release to a pseudo-version"},
		{"v1.0.1-0.20230102030405-abcdef123456", "v1.0.1", "upgrade from v1.0.1-0.20230102030405-abcdef123456 to v1.0.1, from a pseudo-version to a release"},
		{"v0.0.0-20230102030405-abcdef123456", "v0.0.0-20220102030405-abcdef123456", "downgrade from v0.0.0-20230102030405-abcdef123456 to v0.0.0-20220102030405-abcdef123456, from one pseudo-version"},
	} {
		old := testSnapshot([]SnapshotModule{dep("example.com/b", tt.old, allPlatforms...)}, nil)
		cur := testSnapshot([]SnapshotModule{dep("example.com/b", tt.new, allPlatforms...)}, nil)
		checkFindings(t, Drift(old, cur), []wantFinding{
			{verify.RuleDriftVersionChanged, "example.com/b", tt.old, tt.new, tt.msg},
		})
	}
}

func TestDriftReplaceChanged(t *testing.T) {
	plain := dep("example.com/b", "v1.0.0")
	fork := dep("example.com/b", "v1.0.0")
	fork.Replace = &Replacement{Path: "example.com/fork", Version: "v1.0.0"}
	local := dep("example.com/b", "v1.0.0")
	local.Replace, local.Sum, local.GoModSum = &Replacement{Path: "../b"}, "", ""
	checkFindings(t, Drift(testSnapshot([]SnapshotModule{plain}, nil), testSnapshot([]SnapshotModule{fork}, nil)), []wantFinding{
		{verify.RuleDriftVersionChanged, "example.com/b", "v1.0.0", "v1.0.0 => example.com/fork v1.0.0", "example.com/b@v1.0.0: the replacement changed from none to example.com/fork v1.0.0"},
	})
	checkFindings(t, Drift(testSnapshot([]SnapshotModule{fork}, nil), testSnapshot([]SnapshotModule{local}, nil)), []wantFinding{
		{verify.RuleDriftVersionChanged, "example.com/b", "v1.0.0 => example.com/fork v1.0.0", "v1.0.0 => ../b", "the replacement changed from example.com/fork v1.0.0 to ../b"},
	})
	// Same replacement: its hashes are compared.
	fork2 := fork
	fork2.Sum = hashC
	checkFindings(t, Drift(testSnapshot([]SnapshotModule{fork}, nil), testSnapshot([]SnapshotModule{fork2}, nil)), []wantFinding{
		{verify.RuleDriftSumChanged, "example.com/b", hashA, hashC, "the zip hash in go.sum differs"},
	})
}

func TestDriftBuildModuleAdded(t *testing.T) {
	old := testSnapshot([]SnapshotModule{dep("example.com/b", "v1.0.0", "linux/amd64")}, nil)
	cur := testSnapshot([]SnapshotModule{dep("example.com/b", "v1.0.0", "darwin/arm64", "linux/amd64", "windows/amd64")}, nil)
	checkFindings(t, Drift(old, cur), []wantFinding{
		{verify.RuleDriftBuildModuleAdded, "example.com/b", "", "darwin/arm64,windows/amd64", "example.com/b@v1.0.0 now provides packages to the build for darwin/arm64, windows/amd64"},
	})
	// Fewer platforms is no finding.
	if fs := Drift(cur, old); len(fs) != 0 {
		t.Errorf("a module that provides packages for fewer platforms drifts:\n%s", dump(fs))
	}
	// A platform the old snapshot was not computed for is never new.
	wasm := testSnapshot([]SnapshotModule{dep("example.com/b", "v1.0.0", "js/wasm", "linux/amd64")}, nil)
	if fs := Drift(old, wasm); len(fs) != 0 {
		t.Errorf("a platform the old snapshot did not cover drifts:\n%s", dump(fs))
	}
	// With an upgrade, both are reported.
	up := testSnapshot([]SnapshotModule{dep("example.com/b", "v1.1.0", "darwin/arm64", "linux/amd64")}, nil)
	checkFindings(t, Drift(old, up), []wantFinding{
		{verify.RuleDriftVersionChanged, "example.com/b", "v1.0.0", "v1.1.0", "upgrade"},
		{verify.RuleDriftBuildModuleAdded, "example.com/b", "", "darwin/arm64", "example.com/b@v1.1.0 now provides packages to the build for darwin/arm64"},
	})
}

func TestDriftGoVersion(t *testing.T) {
	old := testSnapshot(nil, []string{"example.com/app go@1.21", "go@1.21 toolchain@go1.21"})
	cur := testSnapshot(nil, []string{"example.com/app go@1.22", "example.com/app toolchain@go1.22.3", "go@1.22 toolchain@go1.22"})
	cur.Go, cur.Toolchain = "1.22", "go1.22.3"
	// The go@ and toolchain@ edges that changed with the lines are not
	// also drift-graph.
	checkFindings(t, Drift(old, cur), []wantFinding{
		{verify.RuleDriftGoVersion, "", "1.21", "1.22", "the go line changed from 1.21 to 1.22"},
		{verify.RuleDriftGoVersion, "", "", "go1.22.3", "the toolchain line changed from none to go1.22.3"},
	})
}

func TestDriftGraph(t *testing.T) {
	mods := []SnapshotModule{dep("example.com/a", "v1.0.0"), dep("example.com/b", "v1.0.0")}
	old := testSnapshot(mods, []string{"example.com/app example.com/a@v1.0.0", "example.com/a@v1.0.0 example.com/b@v1.0.0"})
	cur := testSnapshot(mods, []string{"example.com/app example.com/a@v1.0.0", "example.com/app example.com/b@v1.0.0", "example.com/a@v1.0.0 example.com/b@v1.0.0"})
	checkFindings(t, Drift(old, cur), []wantFinding{
		{verify.RuleDriftGraph, "example.com/b", "", "example.com/app example.com/b@v1.0.0", "example.com/app now requires example.com/b@v1.0.0, with the build list unchanged"},
	})
	checkFindings(t, Drift(cur, old), []wantFinding{
		{verify.RuleDriftGraph, "example.com/b", "example.com/app example.com/b@v1.0.0", "", "example.com/app no longer requires example.com/b@v1.0.0"},
	})
	// With a build-list change, edge changes are its consequence.
	more := testSnapshot(append(slices.Clone(mods), dep("example.com/c", "v1.0.0")), append(slices.Clone(cur.Edges), "example.com/app example.com/c@v1.0.0"))
	checkFindings(t, Drift(old, more), []wantFinding{
		{verify.RuleDriftModuleAdded, "example.com/c", "", "v1.0.0", "joined the build list, required by example.com/app"},
	})
}

// TestDriftLocations: a snapshot computed from files points findings at
// the lines of go.mod and go.sum.
func TestDriftLocations(t *testing.T) {
	old := testSnapshot([]SnapshotModule{dep("example.com/a", "v1.0.0"), dep("example.com/b", "v1.0.0"), dep("example.com/gone", "v1.0.0")}, nil)
	b := dep("example.com/b", "v1.0.0")
	b.Sum = hashC
	cur := testSnapshot([]SnapshotModule{dep("example.com/a", "v1.1.0"), b, dep("example.com/ind", "v1.0.0")}, nil)
	cur.Go = "1.22"
	cur.src = &sources{
		root:    "go.mod",
		goLine:  3,
		require: map[string]loc{"example.com/a": {"go.mod", 6}},
		sums: map[string]loc{
			"example.com/b v1.0.0":          {"go.sum", 3},
			"example.com/ind v1.0.0/go.mod": {"go.sum", 5},
		},
	}
	var got []string
	for _, f := range Drift(old, cur) {
		got = append(got, f.Rule+" "+f.Module+" "+f.File+":"+strconv.Itoa(f.Line))
	}
	want := []string{
		"drift-go-version  go.mod:3",
		"drift-version-changed example.com/a go.mod:6",
		"drift-sum-changed example.com/b go.sum:3",
		"drift-module-removed example.com/gone go.mod:0",
		"drift-module-added example.com/ind go.sum:5",
	}
	if !slices.Equal(got, want) {
		t.Errorf("locations:\n got %q\nwant %q", got, want)
	}
	// Without files (a parsed snapshot), no location.
	cur.src = nil
	for _, f := range Drift(old, cur) {
		if f.File != "" || f.Line != 0 {
			t.Errorf("%s: located at %s:%d without files", f.Rule, f.File, f.Line)
		}
	}
}

// TestDriftDeterministic: the order of findings depends on nothing but
// the snapshots' content.
func TestDriftDeterministic(t *testing.T) {
	old, cur := benchSnapshots(60)
	want := dump(Drift(old, cur))
	if want == "" {
		t.Fatal("no drift between the bench snapshots")
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 20 {
		o, c := *old, *cur
		o.Modules, c.Modules = slices.Clone(old.Modules), slices.Clone(cur.Modules)
		r.Shuffle(len(o.Modules), func(i, j int) { o.Modules[i], o.Modules[j] = o.Modules[j], o.Modules[i] })
		r.Shuffle(len(c.Modules), func(i, j int) { c.Modules[i], c.Modules[j] = c.Modules[j], c.Modules[i] })
		if got := dump(Drift(&o, &c)); got != want {
			t.Fatalf("drift depends on module order:\n%s\nvs\n%s", got, want)
		}
	}
}

func TestDriftWorkspaceModule(t *testing.T) {
	old := testSnapshot([]SnapshotModule{dep("example.com/b", "v1.0.0", allPlatforms...)}, nil)
	cur := testSnapshot([]SnapshotModule{{Path: "example.com/b", Platforms: allPlatforms}}, nil)
	cur.Module = "example.com/app,example.com/b"
	checkFindings(t, Drift(old, cur), []wantFinding{
		{verify.RuleDriftVersionChanged, "example.com/b", "v1.0.0", "", "example.com/b: v1.0.0 is now a workspace module"},
	})
	checkFindings(t, Drift(cur, old), []wantFinding{
		{verify.RuleDriftVersionChanged, "example.com/b", "", "v1.0.0", "example.com/b: no longer a workspace module: v1.0.0 is selected"},
	})
}
