package explain

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

const (
	zipA = "h1:QUOLiTYaT3sns40kU17eKMQv5jKau946ieUPxIy6Ek8="
	zipB = "h1:BBBBiTYaT3sns40kU17eKMQv5jKau946ieUPxIy6Ek8="
	zipC = "h1:CCCCiTYaT3sns40kU17eKMQv5jKau946ieUPxIy6Ek8="
	modA = "h1:Iz4LqFwWPTXGh7fB4pLUjv0WBm2F5Au27mBiQgYnuU8="
	modB = "h1:BBBBqFwWPTXGh7fB4pLUjv0WBm2F5Au27mBiQgYnuU8="
)

func gosum(zip, mod string) View {
	return View{Kind: KindGoSum, Name: "go.sum", Status: StatusOK, Zip: zip, GoMod: mod}
}
func cacheZip(zip string) View {
	return View{Kind: KindGoModCache, Name: "GOMODCACHE .zip", Status: StatusOK, Zip: zip}
}
func cacheMod(mod string) View {
	return View{Kind: KindGoModCache, Name: "GOMODCACHE .mod", Status: StatusOK, GoMod: mod}
}
func proxy(name, zip, mod string) View {
	return View{Kind: KindProxy, Name: "proxy " + name, Source: name, Status: StatusOK, Zip: zip, GoMod: mod}
}
func db(zip, mod string) View {
	return View{Kind: KindSumDB, Name: "checksum database", Status: StatusOK, Zip: zip, GoMod: mod}
}
func notAsked(kind string) View {
	return View{Kind: kind, Name: kind, Status: StatusNotAsked, Note: "--offline"}
}

func decide(views ...View) *Result {
	r := &Result{Module: "example.com/a", Version: "v1.0.0", Views: views}
	Decide(r)
	return r
}

func TestVerdicts(t *testing.T) {
	moved := View{Kind: KindOrigin, Name: "origin refs/tags/v1.0.0", Status: StatusOK,
		Origin: &Origin{VCS: "git", URL: "/repo", Ref: "refs/tags/v1.0.0", Hash: "1111111111111111", Now: "2222222222222222", Moved: true}}
	still := View{Kind: KindOrigin, Name: "origin refs/tags/v1.0.0", Status: StatusOK,
		Origin: &Origin{VCS: "git", URL: "/repo", Ref: "refs/tags/v1.0.0", Hash: "1111111111111111", Now: "1111111111111111"}}
	security := View{Kind: KindSumDB, Name: "checksum database", Status: StatusSecurity, Note: "forked log"}
	for _, tc := range []struct {
		name    string
		views   []View
		want    string
		basis   string
		summary string // a substring of the summary
	}{
		{"all agree", []View{gosum(zipA, modA), cacheZip(zipA), cacheMod(modA), proxy("p1", zipA, modA), db(zipA, modA), still},
			VerdictConsistent, BasisSumDB, "agree with the checksum database"},
		{"go.sum edited", []View{gosum(zipB, modA), cacheZip(zipA), proxy("p1", zipA, modA), proxy("p2", zipA, modA), db(zipA, modA)},
			VerdictGoSumEdited, BasisSumDB, "the checksum database and 2 proxies agree on"},
		{"go.sum edited, cache filled alike", []View{gosum(zipB, modA), cacheZip(zipB), proxy("p1", zipA, modA), db(zipA, modA)},
			VerdictGoSumEdited, BasisSumDB, "the module cache holds the same other bytes"},
		{"cache tampered", []View{gosum(zipA, modA), cacheZip(zipB), cacheMod(modA), proxy("p1", zipA, modA), db(zipA, modA)},
			VerdictCacheTampered, BasisSumDB, "GOMODCACHE .zip differs"},
		{"cache go.mod tampered", []View{gosum(zipA, modA), cacheZip(zipA), cacheMod(modB), proxy("p1", zipA, modA), db(zipA, modA)},
			VerdictCacheTampered, BasisSumDB, "GOMODCACHE .mod differs"},
		{"one proxy", []View{gosum(zipA, modA), proxy("p1", zipB, modA), proxy("p2", zipA, modA), db(zipA, modA)},
			VerdictProxyDiverges, BasisSumDB, "proxy p1 differs from the checksum database, which proxy p2 agrees with"},
		{"one proxy beats go.sum edited", []View{gosum(zipB, modA), proxy("p1", zipB, modA), proxy("p2", zipA, modA), db(zipA, modA)},
			VerdictProxyDiverges, BasisSumDB, "proxy p1 differs"},
		{"database against every proxy", []View{gosum(zipA, modA), proxy("p1", zipB, modA), proxy("p2", zipB, modA), db(zipA, modA)},
			VerdictSumDBDisagrees, BasisSumDB, "every proxy serves other bytes"},
		{"database against the only proxy", []View{gosum(zipB, modA), proxy("p1", zipB, modA), db(zipA, modA)},
			VerdictSumDBDisagrees, BasisSumDB, "the only proxy that answered, p1"},
		{"database against split proxies", []View{proxy("p1", zipB, modA), proxy("p2", zipC, modA), db(zipA, modA)},
			VerdictSumDBDisagrees, BasisSumDB, "the 2 proxies serve different bytes"},
		{"tag moved explains the rest", []View{gosum(zipB, modA), proxy("p1", zipA, modA), db(zipA, modA), moved},
			VerdictTagMoved, BasisSumDB, "now names commit 222222222222, the proxy recorded 111111111111"},
		{"tag moved alone", []View{gosum(zipA, modA), proxy("p1", zipA, modA), db(zipA, modA), moved},
			VerdictTagMoved, BasisSumDB, "the tag moved"},
		{"security first", []View{gosum(zipB, modA), proxy("p1", zipA, modA), security, moved},
			VerdictSumDBSecurity, BasisProxies, "forked log"},
		{"no database: proxies decide", []View{gosum(zipB, modA), proxy("p1", zipA, modA), proxy("p2", zipA, modA), notAsked(KindSumDB)},
			VerdictGoSumEdited, BasisProxies, "the proxies agree on"},
		{"no database: proxies split", []View{gosum(zipA, modA), proxy("p1", zipA, modA), proxy("p2", zipB, modA), proxy("p3", zipA, modA)},
			VerdictProxyDiverges, BasisProxies, "proxy p2 differs from the other proxies"},
		{"no database, proxies tie: every view decides", []View{gosum(zipA, modA), cacheZip(zipA), proxy("p1", zipB, modA), proxy("p2", zipA, modA), {Kind: KindSumDB, Name: "checksum database", Status: StatusError, Note: "unreachable"}},
			VerdictProxyDiverges, BasisMajority, "proxy p1 differs from what most views hold"},
		{"no database, proxies tie: go.sum", []View{gosum(zipB, modA), cacheZip(zipB), proxy("p1", zipB, modA), proxy("p2", zipA, modA)},
			VerdictProxyDiverges, BasisMajority, "the proxies tie"},
		{"offline: majority", []View{gosum(zipA, modA), cacheZip(zipB), {Kind: KindGoModCache, Name: "GOMODCACHE .ziphash", Status: StatusOK, Zip: zipA}, notAsked(KindProxy), notAsked(KindSumDB)},
			VerdictCacheTampered, BasisMajority, "most views hold (nothing remote answered)"},
		{"offline: tie", []View{gosum(zipA, modA), cacheZip(zipB), notAsked(KindSumDB)},
			VerdictInconsistent, BasisMajority, "nothing decides"},
		{"offline: consistent", []View{gosum(zipA, modA), cacheZip(zipA), cacheMod(modA)},
			VerdictConsistent, BasisMajority, "nothing remote answered"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := decide(tc.views...)
			if r.Verdict.ID != tc.want {
				t.Fatalf("verdict %s (%s), want %s", r.Verdict.ID, r.Verdict.Summary, tc.want)
			}
			if r.Reference.Basis != tc.basis {
				t.Errorf("basis %q, want %q", r.Reference.Basis, tc.basis)
			}
			if !strings.Contains(r.Verdict.Summary, tc.summary) {
				t.Errorf("summary %q, want it to contain %q", r.Verdict.Summary, tc.summary)
			}
			if strings.Contains(r.Verdict.Summary, "\n") {
				t.Errorf("summary is not one line: %q", r.Verdict.Summary)
			}
			if r.Consistent != (tc.want == VerdictConsistent) {
				t.Errorf("Consistent = %v", r.Consistent)
			}
			if tc.want != VerdictConsistent && r.Verdict.Advice == "" {
				t.Errorf("no advice")
			}
		})
	}
}

func TestAgreement(t *testing.T) {
	r := decide(gosum(zipB, modA), cacheZip(zipA), proxy("p1", zipA, ""), db(zipA, modA), notAsked(KindOrigin))
	v := r.Views[0]
	if v.ZipAgrees == nil || *v.ZipAgrees || v.GoModAgrees == nil || !*v.GoModAgrees {
		t.Errorf("go.sum: zip agrees %v, go.mod agrees %v; want false, true", v.ZipAgrees, v.GoModAgrees)
	}
	if p := r.Views[2]; p.GoModAgrees != nil {
		t.Errorf("a proxy without a go.mod hash has an agreement: %v", *p.GoModAgrees)
	}
	if o := r.Views[4]; o.ZipAgrees != nil || o.GoModAgrees != nil {
		t.Errorf("a view without hashes has an agreement")
	}
}

func TestPlurality(t *testing.T) {
	a, b := proxy("p1", zipA, ""), proxy("p2", zipB, "")
	if got := plurality([]*View{&a, &b}, zipOf); got != "" {
		t.Errorf("tie: %q, want none", got)
	}
	c := proxy("p3", zipA, "")
	if got := plurality([]*View{&a, &b, &c}, zipOf); got != zipA {
		t.Errorf("2 to 1: %q, want %q", got, zipA)
	}
}

func TestWriteText(t *testing.T) {
	evil := proxy("https://evil.example/\x1b]0;pwned\x07", zipB, modA)
	r := decide(gosum(zipA, modA), evil, proxy("p2", zipA, modA), db(zipA, modA))
	r.Module, r.SumDB = "example.com/a", "sum.golang.org"
	var buf bytes.Buffer
	if err := WriteText(&buf, r); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if strings.ContainsAny(out, "\x1b\x07") {
		t.Errorf("control characters from a view reached the output:\n%q", out)
	}
	for _, want := range []string{"! " + zipB, "= " + zipA, "verdict: proxy-diverges: ", "advice: ", "= agrees with the checksum database sum.golang.org"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestWriteJSON(t *testing.T) {
	r := decide(gosum(zipA, modA), cacheZip(zipB), db(zipA, modA))
	r.Schema = Schema
	var buf bytes.Buffer
	if err := WriteJSON(&buf, r); err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if got["schema"] != "modseal/explain/v1" {
		t.Errorf("schema %v", got["schema"])
	}
	v := got["verdict"].(map[string]any)
	if v["id"] != VerdictCacheTampered {
		t.Errorf("verdict %v", v["id"])
	}
	views := got["views"].([]any)
	if cz := views[1].(map[string]any); cz["zip_agrees"] != false || cz["zip"] != zipB {
		t.Errorf("cache view %v", cz)
	}
	if got["consistent"] != false {
		t.Errorf("consistent %v", got["consistent"])
	}
}

func TestTreeSize(t *testing.T) {
	note := "go.sum database tree\n42\nqJVQvl+ETa0kPDNuQ5F0vtAqVT+4T6mBw8dd1bS2qMk=\n\n— sum.golang.org Az3grkv2J4mNb+W1HhgsLW4FU06pN5vNtvNSbUlvrXFEyfETt6U/W5TOeLRCGHdSRiVgO7PPuZjmKr4/TdnRKSb18Qs=\n"
	if n := treeSize([]byte(note)); n != 42 {
		t.Errorf("treeSize = %d, want 42", n)
	}
	if n := treeSize([]byte("garbage")); n != 0 {
		t.Errorf("treeSize(garbage) = %d", n)
	}
}
