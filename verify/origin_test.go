package verify

import (
	"testing"
	"time"
)

func TestAuthorNotice(t *testing.T) {
	gomod := `// Deprecated: use example.com/b instead.
module example.com/a

go 1.21

retract (
	v1.0.0 // leaks credentials
	[v1.1.0, v1.1.5] // broken build
)
`
	n, err := ParseAuthorNotice("v1.2.0", []byte(gomod))
	if err != nil {
		t.Fatal(err)
	}
	if n.Deprecated != "use example.com/b instead." {
		t.Errorf("Deprecated = %q", n.Deprecated)
	}
	for v, want := range map[string]string{"v1.0.0": "leaks credentials", "v1.1.3": "broken build", "v1.1.6": "", "v1.2.0": ""} {
		got := ""
		for _, r := range n.RetractedBy(v) {
			got += r.Rationale
		}
		if got != want {
			t.Errorf("RetractedBy(%s) = %q, want %q", v, got, want)
		}
	}
}

func TestCheckPseudoOrigin(t *testing.T) {
	const v = "v0.0.0-20230102030405-abcdef123456"
	at := time.Date(2023, 1, 2, 3, 4, 5, 0, time.UTC)
	if err := CheckPseudoOrigin(v, at, "abcdef1234567890abcdef1234567890abcdef12"); err != nil {
		t.Errorf("matching origin: %v", err)
	}
	if err := CheckPseudoOrigin(v, at.Add(time.Hour), ""); err == nil {
		t.Error("a timestamp that is not the commit time passed")
	}
	if err := CheckPseudoOrigin(v, at, "0123456789abcdef"); err == nil {
		t.Error("a revision that is not the commit passed")
	}
	if err := CheckPseudoOrigin("v1.2.3", at, "x"); err != nil {
		t.Errorf("a release version is not checked: %v", err)
	}
	// A zone other than UTC in .info is the same instant.
	if err := CheckPseudoOrigin(v, at.In(time.FixedZone("X", 3600)), ""); err != nil {
		t.Errorf("same instant in another zone: %v", err)
	}
}
