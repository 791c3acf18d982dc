package main

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http/httptest"
	"os"

	"github.com/rogpeppe/go-internal/testscript"
	modver "golang.org/x/mod/module"
	"golang.org/x/mod/sumdb"
	"golang.org/x/mod/sumdb/note"

	"github.com/modseal/modseal/internal/testproxy"
)

func init() {
	scriptCmds["sumdb-fork"] = sumdbFork
}

// forkName is the name of the checksum database sumdb-fork serves twice.
const forkName = "fork.modseal.test"

// sumdb-fork serves one checksum database (one name, one key) as two
// servers that show different histories, and sets SUMDB_A and SUMDB_B to
// GOSUMDB values ("name+key URL") that reach each: A records the fixture
// modules as they are looked up; B holds the fixture records example.com/a and
// example.com/b v1.0.0, after one that A never had, so no tree of A is a prefix of a tree of B. B is the
// database showing CI another history than it showed the developer.
func sumdbFork(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 0 {
		ts.Fatalf("usage: sumdb-fork")
	}
	mods, err := testproxy.Load("../../testdata/mod")
	if err != nil {
		ts.Fatalf("sumdb-fork: %v", err)
	}
	sums := make(map[string][]byte)
	for _, m := range mods {
		sums[m.Path+" "+m.Version] = []byte(m.SumLines())
	}
	fake := sha256.Sum256([]byte("fork"))
	h := "h1:" + base64.StdEncoding.EncodeToString(fake[:])
	sums["example.com/forked v1.0.0"] = fmt.Appendf(nil, "example.com/forked v1.0.0 %s\nexample.com/forked v1.0.0/go.mod %s\n", h, h)
	gosum := func(path, vers string) ([]byte, error) {
		if lines, ok := sums[path+" "+vers]; ok {
			return lines, nil
		}
		return nil, os.ErrNotExist
	}
	skey, vkey, err := note.GenerateKey(rand.Reader, forkName)
	if err != nil {
		ts.Fatalf("sumdb-fork: %v", err)
	}
	serve := func(seed bool) string {
		ops := sumdb.NewTestServer(skey, gosum)
		if seed {
			// The record A never had, then those the scripts look up, so
			// B's latest tree is larger than any checkpoint of A's.
			for _, m := range []string{"example.com/forked", "example.com/a", "example.com/b"} {
				if _, err := ops.Lookup(context.Background(), modver.Version{Path: m, Version: "v1.0.0"}); err != nil {
					ts.Fatalf("sumdb-fork: %v", err)
				}
			}
		}
		srv := httptest.NewServer(sumdb.NewServer(ops))
		ts.Defer(srv.Close)
		return vkey + " " + srv.URL
	}
	ts.Setenv("SUMDB_A", serve(false))
	ts.Setenv("SUMDB_B", serve(true))
}
