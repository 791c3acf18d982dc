package main

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"

	"github.com/rogpeppe/go-internal/testscript"
	"golang.org/x/mod/sumdb"
	"golang.org/x/mod/sumdb/note"
)

func init() {
	scriptCmds["release-sumdb"] = releaseSumDB
}

// releaseSumDBName is the name of the checksum database release-sumdb
// serves: not the shared fixture database's, so nothing cached for one is
// taken for the other.
const releaseSumDBName = "release.sumdb.modseal.test"

// release-sumdb FILE [PROXYDIR] starts a checksum database for this script:
// golang.org/x/mod/sumdb's TestServer, signed by a key made for it, whose
// records are the go.sum lines of FILE for each module version, read when
// the version is first looked up (so a script can write FILE after starting
// the server; once served, a record is permanent, as in a real database).
// It sets GOSUMDB to "name+key URL" and GOPROXY to a proxy URL that serves
// the files of PROXYDIR (default $WORK/proxy), for .info files with an
// Origin; RELEASE_SUMDB_URL is the server's URL, RELEASE_SUMDB_KEY the
// database's verifier key.
func releaseSumDB(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 1 || len(args) > 2 {
		ts.Fatalf("usage: release-sumdb FILE [PROXYDIR]")
	}
	file := ts.MkAbs(args[0])
	proxyDir := ts.MkAbs("proxy")
	if len(args) == 2 {
		proxyDir = ts.MkAbs(args[1])
	}
	skey, vkey, err := note.GenerateKey(rand.Reader, releaseSumDBName)
	if err != nil {
		ts.Fatalf("release-sumdb: %v", err)
	}
	db := sumdb.NewServer(sumdb.NewTestServer(skey, func(path, vers string) ([]byte, error) {
		data, err := os.ReadFile(file)
		if err != nil {
			return nil, err
		}
		var out bytes.Buffer
		sc := bufio.NewScanner(bytes.NewReader(data))
		for sc.Scan() {
			f := strings.Fields(sc.Text())
			if len(f) == 3 && f[0] == path && strings.TrimSuffix(f[1], "/go.mod") == vers {
				out.WriteString(strings.Join(f, " ") + "\n")
			}
		}
		if out.Len() == 0 {
			return nil, os.ErrNotExist
		}
		return out.Bytes(), nil
	}))
	prefix := "/sumdb/" + releaseSumDBName
	mux := http.NewServeMux()
	mux.HandleFunc(prefix+"/supported", func(http.ResponseWriter, *http.Request) {})
	mux.Handle(prefix+"/", http.StripPrefix(prefix, db))
	mux.Handle("/", http.FileServer(http.Dir(proxyDir)))
	srv := httptest.NewServer(mux)
	ts.Defer(srv.Close)
	ts.Setenv("GOSUMDB", vkey+" "+srv.URL+prefix)
	ts.Setenv("GOPROXY", srv.URL)
	ts.Setenv("RELEASE_SUMDB_URL", srv.URL)
	ts.Setenv("RELEASE_SUMDB_KEY", vkey)
}
