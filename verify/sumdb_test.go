package verify

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"sync"
	"testing"

	"golang.org/x/mod/sumdb/note"
)

const testDBName = "sum.example.test"

func TestParseGOSUMDB(t *testing.T) {
	_, vkey, err := note.GenerateKey(rand.Reader, testDBName)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ in, name, url, err string }{
		{"", "sum.golang.org", "", ""},
		{"sum.golang.org", "sum.golang.org", "", ""},
		{"sum.golang.google.cn", "sum.golang.org", "https://sum.golang.google.cn", ""},
		{vkey, testDBName, "", ""},
		{vkey + " https://db.example.test/", testDBName, "https://db.example.test", ""},
		{"sum.golang.org https://mirror.example.test", "sum.golang.org", "https://mirror.example.test", ""},
		{"unknown.example.com", "", "", "invalid GOSUMDB"},
		{"a b c", "", "", "too many fields"},
		{vkey + " ftp://x", "", "", "invalid GOSUMDB URL"},
	} {
		db, err := ParseGOSUMDB(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("ParseGOSUMDB(%q): err %v, want %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || db.Name != tt.name || db.URL != tt.url {
			t.Errorf("ParseGOSUMDB(%q) = %+v, %v; want name %s url %q", tt.in, db, err, tt.name, tt.url)
		}
	}
	if db, err := ParseGOSUMDB("off"); db != nil || err != nil {
		t.Errorf("ParseGOSUMDB(off) = %v, %v", db, err)
	}
}

// memLookup is a checksum database in memory: "path version" -> its
// go.sum lines, or an error for every lookup of the path.
type memLookup struct {
	lines map[string]string
	errs  map[string]error
	mu    sync.Mutex
	asked []string
}

func (m *memLookup) Lookup(path, vers string) ([]string, error) {
	m.mu.Lock()
	m.asked = append(m.asked, path+" "+vers)
	m.mu.Unlock()
	if err := m.errs[path]; err != nil {
		return nil, err
	}
	l, ok := m.lines[path+" "+strings.TrimSuffix(vers, "/go.mod")]
	if !ok {
		return nil, fmt.Errorf("%s@%s: %w", path, vers, fs.ErrNotExist)
	}
	return strings.Split(strings.TrimSuffix(l, "\n"), "\n"), nil
}

// TestCheckSumDBLookup: SumDB.Check over a SumDBLookup, without any I/O:
// the findings, with their module, version, want and got; what is not
// looked up; how lookup errors count. (internal/sumdbops tests it against
// a real database.)
func TestCheckSumDBLookup(t *testing.T) {
	const (
		a  = "example.com/a v1.0.0 h1:QUOLiTYaT3sns40kU17eKMQv5jKau946ieUPxIy6Ek8=\n"
		am = "example.com/a v1.0.0/go.mod h1:Iz4LqFwWPTXGh7fB4pLUjv0WBm2F5Au27mBiQgYnuU8=\n"
		b  = "example.com/b v1.0.0 h1:39Z2nMyp254fr37e0mt49i4PiK3oogxePn04pu8d4ik=\n"
		bm = "example.com/b v1.0.0/go.mod h1:rjc9Jkp/xiv8OktC5V16OuYntMeTjs1dkvTkFbgnZKw=\n"
	)
	db := &SumDB{Name: testDBName}
	good := map[string]string{"example.com/a v1.0.0": a + am, "example.com/b v1.0.0": b + bm}
	tampered := strings.Replace(bm, "h1:rjc9", "h1:AAAA", 1)
	unknown := "example.com/nosuch v1.0.0 h1:QUOLiTYaT3sns40kU17eKMQv5jKau946ieUPxIy6Ek8=\n"
	sum := func(text string) []*SumFile {
		f, fs := ParseSum("go.sum", []byte(text))
		if len(fs) > 0 {
			t.Fatalf("bad test go.sum: %v", fs)
		}
		return []*SumFile{f}
	}

	c := &memLookup{lines: good}
	res, err := db.Check(t.Context(), c, sum(a+am+b+tampered+unknown), "example.com/private", 3)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range res.Findings {
		got = append(got, fmt.Sprintf("%s@%d %s@%s want=%s got=%s", f.Rule, f.Line, f.Module, f.Version, f.Want, f.Got))
	}
	want := []string{
		"sumdb-mismatch@4 example.com/b@v1.0.0 want=h1:rjc9Jkp/xiv8OktC5V16OuYntMeTjs1dkvTkFbgnZKw= got=h1:AAAAJkp/xiv8OktC5V16OuYntMeTjs1dkvTkFbgnZKw=",
		"sumdb-missing@5 example.com/nosuch@v1.0.0 want= got=h1:QUOLiTYaT3sns40kU17eKMQv5jKau946ieUPxIy6Ek8=",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("findings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if res.Lookups != 5 || len(c.asked) != 5 {
		t.Errorf("lookups %d, asked %q; want 5", res.Lookups, c.asked)
	}
	if !strings.Contains(res.Findings[0].Message, testDBName) {
		t.Errorf("message does not name the database: %s", res.Findings[0].Message)
	}

	res, err = db.Check(t.Context(), &memLookup{lines: good}, sum(a+b), "example.com/b", 1)
	if err != nil || len(res.Findings) != 0 || strings.Join(res.Private, " ") != "example.com/b@v1.0.0" || res.Lookups != 1 {
		t.Errorf("GONOSUMDB: %v, %+v", err, res)
	}

	// A lookup that fails otherwise fails the check, naming the database;
	// a SecurityError is returned as it is.
	_, err = db.Check(t.Context(), &memLookup{lines: good, errs: map[string]error{"example.com/b": errors.New("connection refused")}}, sum(a+b), "", 2)
	if err == nil || !strings.Contains(err.Error(), "checksum database "+testDBName+": connection refused") {
		t.Errorf("failed lookup: %v", err)
	}
	se := &SecurityError{Msg: "forked"}
	_, err = db.Check(t.Context(), &memLookup{lines: good, errs: map[string]error{"example.com/b": fmt.Errorf("wrapped: %w", se)}}, sum(a+b), "", 2)
	if !errors.Is(err, se) {
		t.Errorf("security error: %v", err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := db.Check(ctx, &memLookup{lines: good}, sum(a+b), "", 2); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}
