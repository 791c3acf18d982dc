package graph

import (
	"fmt"
	"strings"
	"testing"
)

func TestParseTidyDiff(t *testing.T) {
	tests := []struct {
		name     string
		diff     string
		sumLines int
		want     string // "+line:text" / "-line:text", space-separated
	}{
		{
			name: "add to empty",
			diff: "diff current/go.sum tidy/go.sum\n--- current/go.sum\n+++ tidy/go.sum\n@@ -0,0 +1,2 @@\n+a v1 h1:x\n+a v1/go.mod h1:y\n",
			want: "+0:a_v1_h1:x +0:a_v1/go.mod_h1:y",
		},
		{
			name:     "remove and insert",
			diff:     "diff current/go.sum tidy/go.sum\n--- current/go.sum\n+++ tidy/go.sum\n@@ -1,4 +1,4 @@\n a v1 h1:x\n-b v1 h1:y\n+c v1 h1:z\n d v1 h1:w\n e v1 h1:v\n",
			sumLines: 4,
			want:     "-2:b_v1_h1:y +3:c_v1_h1:z",
		},
		{
			name:     "append at end is clamped to the last line",
			diff:     "diff current/go.sum tidy/go.sum\n--- current/go.sum\n+++ tidy/go.sum\n@@ -3,0 +4 @@\n+z v1 h1:q\n",
			sumLines: 3,
			want:     "+3:z_v1_h1:q",
		},
		{
			name:     "go.mod hunks are ignored",
			diff:     "diff current/go.mod tidy/go.mod\n--- current/go.mod\n+++ tidy/go.mod\n@@ -1 +1 @@\n-module x\n+module y\ndiff current/go.sum tidy/go.sum\n--- current/go.sum\n+++ tidy/go.sum\n@@ -1 +0,0 @@\n-a v1 h1:x\n",
			sumLines: 1,
			want:     "-1:a_v1_h1:x",
		},
		{
			name:     "CRLF and reordered lines are the same entries",
			diff:     "diff current/go.sum tidy/go.sum\n--- current/go.sum\n+++ tidy/go.sum\n@@ -1,2 +1,2 @@\n-b v1 h1:y\r\n-a v1 h1:x\r\n+a v1 h1:x\n+b v1 h1:y\n",
			sumLines: 2,
			want:     "",
		},
		{
			name:     "blank lines are no entries",
			diff:     "diff current/go.sum tidy/go.sum\n--- current/go.sum\n+++ tidy/go.sum\n@@ -1,3 +1,2 @@\n a v1 h1:x\n-\n b v1 h1:y\n",
			sumLines: 3,
			want:     "",
		},
		{
			name:     "a duplicate: one copy is removed",
			diff:     "diff current/go.sum tidy/go.sum\n--- current/go.sum\n+++ tidy/go.sum\n@@ -1,2 +1 @@\n a v1 h1:x\n-a v1 h1:x\n",
			sumLines: 2,
			want:     "-2:a_v1_h1:x",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			edits, err := parseTidyDiff([]byte(tt.diff), tt.sumLines)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, e := range edits {
				sign := "-"
				if e.Add {
					sign = "+"
				}
				got = append(got, fmt.Sprintf("%s%d:%s", sign, e.Line, strings.ReplaceAll(strings.TrimRight(e.Text, "\r"), " ", "_")))
			}
			if g := strings.Join(got, " "); g != tt.want {
				t.Errorf("got  %s\nwant %s", g, tt.want)
			}
		})
	}
}

func TestParseTidyDiffBadHunk(t *testing.T) {
	_, err := parseTidyDiff([]byte("diff current/go.sum tidy/go.sum\n@@ -x,1 +1 @@\n"), 1)
	if err == nil {
		t.Fatal("malformed hunk header accepted")
	}
}

func TestDigest(t *testing.T) {
	// printf 'a b\nc d\n' | sha256sum
	if got, want := Digest([]string{"a b", "c d"}), "sha256:4572063f432245d2918199d6696e2ec075d668821b6907e6977111263c20d6c4"; got != want {
		t.Errorf("Digest = %s, want %s", got, want)
	}
	if got, want := Digest(nil), "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"; got != want {
		t.Errorf("Digest(nil) = %s, want %s (the SHA-256 of nothing)", got, want)
	}
}
