package graph

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// TestRefusals classifies the standard error of real go commands: every
// stderr below is go 1.26.8's, verbatim, from the command named, run on a
// small fixture with GOFLAGS=-mod=readonly (or -mod=mod where noted by the
// message itself) and a file:// proxy built from testdata/mod, a local HTTP
// proxy with a deliberately wrong checksum database (the sumdbmm cases), or
// GOPROXY=direct with GOPRIVATE=example.org and git redirected to local
// repositories (the example.org cases: pseudo-versions and major versions
// are checked against version control only in direct mode). A case's name
// is FIXTURE.COMMAND: build is go build ./..., listm go list -m [-json] all,
// tidy go mod tidy [-diff], download go mod download, getmod go get M@V.
func TestRefusals(t *testing.T) {
	tests := []struct {
		name        string
		stderr      string
		want        []string // rule module@version[/go.mod] [file:line] [got= want=]
		unexplained []string
	}{
		{
			name: "zipmm.build",
			stderr: `go: downloading example.com/b v1.0.0
verifying example.com/b@v1.0.0: checksum mismatch
	downloaded: h1:39Z2nMyp254fr37e0mt49i4PiK3oogxePn04pu8d4ik=
	go.sum:     h1:AAAAnMyp254fr37e0mt49i4PiK3oogxePn04pu8d4ik=

SECURITY ERROR
This download does NOT match an earlier download recorded in go.sum.
The bits may have been replaced on the origin server, or an attacker may
have intercepted the download attempt.

For more information, see 'go help module-auth'.
`,
			want: []string{
				"hash-mismatch example.com/b@v1.0.0 go.sum:0 got=h1:39Z2nMyp254fr37e0mt49i4PiK3oogxePn04pu8d4ik= want=h1:AAAAnMyp254fr37e0mt49i4PiK3oogxePn04pu8d4ik=",
			},
		},
		{
			name: "modmm.listm",
			stderr: `verifying example.com/b@v1.0.0/go.mod: checksum mismatch
	downloaded: h1:rjc9Jkp/xiv8OktC5V16OuYntMeTjs1dkvTkFbgnZKw=
	go.sum:     h1:AAA9Jkp/xiv8OktC5V16OuYntMeTjs1dkvTkFbgnZKw=

SECURITY ERROR
This download does NOT match an earlier download recorded in go.sum.
The bits may have been replaced on the origin server, or an attacker may
have intercepted the download attempt.

For more information, see 'go help module-auth'.
`,
			want: []string{
				"hash-mismatch example.com/b@v1.0.0/go.mod go.sum:0 got=h1:rjc9Jkp/xiv8OktC5V16OuYntMeTjs1dkvTkFbgnZKw= want=h1:AAA9Jkp/xiv8OktC5V16OuYntMeTjs1dkvTkFbgnZKw=",
			},
		},
		{
			name: "wsmm.build",
			stderr: `go: downloading example.com/b v1.0.0
verifying example.com/b@v1.0.0: checksum mismatch
	downloaded: h1:39Z2nMyp254fr37e0mt49i4PiK3oogxePn04pu8d4ik=
	/tmp/gx/f/wsmm/app/go.sum:     h1:AAAAnMyp254fr37e0mt49i4PiK3oogxePn04pu8d4ik=

SECURITY ERROR
This download does NOT match an earlier download recorded in go.sum.
The bits may have been replaced on the origin server, or an attacker may
have intercepted the download attempt.

For more information, see 'go help module-auth'.
`,
			want: []string{
				"hash-mismatch example.com/b@v1.0.0 /tmp/gx/f/wsmm/app/go.sum:0 got=h1:39Z2nMyp254fr37e0mt49i4PiK3oogxePn04pu8d4ik= want=h1:AAAAnMyp254fr37e0mt49i4PiK3oogxePn04pu8d4ik=",
			},
		},
		{
			name: "wsmm.worksum",
			stderr: `verifying example.com/b@v1.0.0/go.mod: checksum mismatch
	downloaded: h1:rjc9Jkp/xiv8OktC5V16OuYntMeTjs1dkvTkFbgnZKw=
	go.work.sum:     h1:BBB9Jkp/xiv8OktC5V16OuYntMeTjs1dkvTkFbgnZKw=

SECURITY ERROR
This download does NOT match an earlier download recorded in go.sum.
The bits may have been replaced on the origin server, or an attacker may
have intercepted the download attempt.

For more information, see 'go help module-auth'.
`,
			want: []string{
				"hash-mismatch example.com/b@v1.0.0/go.mod go.work.sum:0 got=h1:rjc9Jkp/xiv8OktC5V16OuYntMeTjs1dkvTkFbgnZKw= want=h1:BBB9Jkp/xiv8OktC5V16OuYntMeTjs1dkvTkFbgnZKw=",
			},
		},
		{
			name: "sumdbmm.download",
			stderr: `go: example.com/b@v1.0.0: verifying module: checksum mismatch
	downloaded: h1:39Z2nMyp254fr37e0mt49i4PiK3oogxePn04pu8d4ik=
	sumdb.test: h1:ZZZZnMyp254fr37e0mt49i4PiK3oogxePn04pu8d4ik=

SECURITY ERROR
This download does NOT match the one reported by the checksum server.
The bits may have been replaced on the origin server, or an attacker may
have intercepted the download attempt.

For more information, see 'go help module-auth'.
`,
			want: []string{
				"sumdb-mismatch example.com/b@v1.0.0 got=h1:39Z2nMyp254fr37e0mt49i4PiK3oogxePn04pu8d4ik= want=h1:ZZZZnMyp254fr37e0mt49i4PiK3oogxePn04pu8d4ik=",
			},
		},
		{
			name: "sumdbmm.tidy",
			stderr: `go: downloading example.com/b v1.0.0
go: example.com/app imports
	example.com/b: example.com/b@v1.0.0: verifying module: checksum mismatch
	downloaded: h1:39Z2nMyp254fr37e0mt49i4PiK3oogxePn04pu8d4ik=
	sumdb.test: h1:ZZZZnMyp254fr37e0mt49i4PiK3oogxePn04pu8d4ik=

SECURITY ERROR
This download does NOT match the one reported by the checksum server.
The bits may have been replaced on the origin server, or an attacker may
have intercepted the download attempt.

For more information, see 'go help module-auth'.
`,
			want: []string{
				"sumdb-mismatch example.com/b@v1.0.0 got=h1:39Z2nMyp254fr37e0mt49i4PiK3oogxePn04pu8d4ik= want=h1:ZZZZnMyp254fr37e0mt49i4PiK3oogxePn04pu8d4ik=",
			},
		},
		{
			name: "sumdbmm.getmod",
			stderr: `go: downloading example.com/b v1.1.0
go: example.com/b@v1.1.0 requires example.com/b@v1.1.0: verifying go.mod: checksum mismatch
	downloaded: h1:rjc9Jkp/xiv8OktC5V16OuYntMeTjs1dkvTkFbgnZKw=
	sumdb.test: h1:ZZZZJkp/xiv8OktC5V16OuYntMeTjs1dkvTkFbgnZKw=

SECURITY ERROR
This download does NOT match the one reported by the checksum server.
The bits may have been replaced on the origin server, or an attacker may
have intercepted the download attempt.

For more information, see 'go help module-auth'.
`,
			want: []string{
				"sumdb-mismatch example.com/b@v1.1.0/go.mod got=h1:rjc9Jkp/xiv8OktC5V16OuYntMeTjs1dkvTkFbgnZKw= want=h1:ZZZZJkp/xiv8OktC5V16OuYntMeTjs1dkvTkFbgnZKw=",
			},
		},
		{
			name: "miss.build",
			stderr: `main.go:3:8: missing go.sum entry for module providing package example.com/a (imported by example.com/app); to add:
	go get example.com/app
`,
			want: []string{
				"gosum-missing",
			},
		},
		{
			name: "miss.listm",
			stderr: `go: example.com/a@v1.0.0: missing go.sum entry for go.mod file; to add it:
	go mod download example.com/a
`,
			want: []string{
				"gosum-missing example.com/a@v1.0.0/go.mod",
			},
		},
		{
			name: "unreq.listm",
			stderr: `go: example.com/unused@v1.0.0: missing go.sum entry for go.mod file; to add it:
	go mod download example.com/unused
`,
			want: []string{
				"gosum-missing example.com/unused@v1.0.0/go.mod",
			},
		},
		{
			name: "gosumsyn.build",
			stderr: `malformed go.sum:
/tmp/gx/f/gosumsyn/go.sum:3: wrong number of fields 1
`,
			want: []string{
				"gosum-syntax /tmp/gx/f/gosumsyn/go.sum:3",
			},
		},
		{
			name: "gomodsyn.listm",
			stderr: `go: errors parsing go.mod:
go.mod:6: unknown directive: requre
`,
			want: []string{
				"gomod-syntax go.mod:6",
			},
		},
		{
			name: "gomodsyn2.listm",
			stderr: `go: errors parsing go.mod:
go.mod:7: syntax error (unterminated block started at /tmp/gx/f/gomodsyn2/go.mod:5:1)
`,
			want: []string{
				"gomod-syntax go.mod:7",
			},
		},
		{
			name: "wsyn.listm",
			stderr: `go: errors parsing go.work:
go.work:3: unknown directive: usage
`,
			want: []string{
				"gomod-syntax go.work:3",
			},
		},
		{
			name: "modpath.listm",
			stderr: `go: malformed module path "Example..com/x": invalid char 'E' in first path element
go: example.com/B_@v1.0.0: reading file:///tmp/gx/proxy/example.com/%21b_/@v/v1.0.0.info: no such file or directory
go: Example..com/x@v1.0.0: missing go.sum entry for go.mod file; to add it:
	go mod download Example..com/x
`,
			want: []string{
				"module-path Example..com/x",
				"gosum-missing Example..com/x@v1.0.0/go.mod",
			},
			unexplained: []string{
				"go: example.com/B_@v1.0.0: reading file:///tmp/gx/proxy/example.com/%21b_/@v/v1.0.0.info: no such file or directory",
			},
		},
		{
			name: "modpath2.listm",
			stderr: `go: example.com/-x@v1.0.0: reading file:///tmp/gx/proxy/example.com/-x/@v/v1.0.0.info: no such file or directory
go: example.com/-x@v1.0.0: missing go.sum entry for go.mod file; to add it:
	go mod download example.com/-x
`,
			want: []string{
				"gosum-missing example.com/-x@v1.0.0/go.mod",
			},
			unexplained: []string{
				"go: example.com/-x@v1.0.0: reading file:///tmp/gx/proxy/example.com/-x/@v/v1.0.0.info: no such file or directory",
			},
		},
		{
			name: "badver.listm",
			stderr: `go: errors parsing go.mod:
go.mod:5: require example.com/b: version "1.0.0" invalid: reading file:///tmp/gx/proxy/example.com/b/@v/1.0.0.info: no such file or directory
`,
			want: []string{
				"noncanonical-version example.com/b@1.0.0 go.mod:5",
			},
		},
		{
			name: "notver.listm",
			stderr: `go: errors parsing go.mod:
go.mod:5: require example.org/r.git: version "14c0d48ead0c" invalid: unknown revision 14c0d48ead0c
`,
			want: []string{
				"noncanonical-version example.org/r.git@14c0d48ead0c go.mod:5",
			},
		},
		{
			name: "major.listm",
			stderr: `go: errors parsing go.mod:
go.mod:5: require example.com/b: version "v2.0.0" invalid: should be v0 or v1, not v2
`,
			want: []string{
				"major-version-suffix example.com/b@v2.0.0 go.mod:5",
			},
		},
		{
			name: "major2.listm",
			stderr: `go: errors parsing go.mod:
go.mod:5: require example.com/c/v2: version "v1.0.0" invalid: should be v2, not v1
`,
			want: []string{
				"major-version-suffix example.com/c/v2@v1.0.0 go.mod:5",
			},
		},
		{
			name: "pseudo1.listm",
			stderr: `go: example.org/r.git@v0.1.1-0.20190915032832-63d5568f2a8f: invalid pseudo-version: does not match version-control timestamp (expected 20180915032832)
go: example.org/r.git@v0.1.1-0.20190915032832-63d5568f2a8f: invalid pseudo-version: does not match version-control timestamp (expected 20180915032832)
`,
			want: []string{
				"pseudo-version example.org/r.git@v0.1.1-0.20190915032832-63d5568f2a8f",
			},
		},
		{
			name: "pseudo_short.listm",
			stderr: `go: example.org/r.git@v0.1.1-0.20180915032832-63d5568f2a8: invalid pseudo-version: revision is shorter than canonical (expected 63d5568f2a8f)
go: example.org/r.git@v0.1.1-0.20180915032832-63d5568f2a8: invalid pseudo-version: revision is shorter than canonical (expected 63d5568f2a8f)
`,
			want: []string{
				"pseudo-version example.org/r.git@v0.1.1-0.20180915032832-63d5568f2a8",
			},
		},
		{
			name: "pseudo_long.listm",
			stderr: `go: example.org/r.git@v0.1.1-0.20180915032832-63d5568f2a8f6ad439c89b4e07d4e110a5321663: invalid pseudo-version: revision is longer than canonical (expected 63d5568f2a8f)
go: example.org/r.git@v0.1.1-0.20180915032832-63d5568f2a8f6ad439c89b4e07d4e110a5321663: invalid pseudo-version: revision is longer than canonical (expected 63d5568f2a8f)
`,
			want: []string{
				"pseudo-version example.org/r.git@v0.1.1-0.20180915032832-63d5568f2a8f6ad439c89b4e07d4e110a5321663",
			},
		},
		{
			name: "pseudo_notag.listm",
			stderr: `go: example.org/r.git@v0.1.1-0.20170915032832-0a058f874284: invalid pseudo-version: tag (v0.1.0) found on revision 0a058f874284 is already canonical, so should not be replaced with a pseudo-version derived from that tag
go: example.org/r.git@v0.1.1-0.20170915032832-0a058f874284: invalid pseudo-version: tag (v0.1.0) found on revision 0a058f874284 is already canonical, so should not be replaced with a pseudo-version derived from that tag
`,
			want: []string{
				"pseudo-version example.org/r.git@v0.1.1-0.20170915032832-0a058f874284",
			},
		},
		{
			name: "pseudo_v1.listm",
			stderr: `go: example.org/r.git@v1.0.0-20180915032832-63d5568f2a8f: invalid pseudo-version: major version without preceding tag must be v0, not v1
go: example.org/r.git@v1.0.0-20180915032832-63d5568f2a8f: invalid pseudo-version: major version without preceding tag must be v0, not v1
`,
			want: []string{
				"pseudo-version example.org/r.git@v1.0.0-20180915032832-63d5568f2a8f",
			},
		},
		{
			name: "pseudo_neg.listm",
			stderr: `go: example.org/r.git@v0.0.0-0.20180915032832-63d5568f2a8f: invalid pseudo-version: version before v0.0.0 would have negative patch number
go: example.org/r.git@v0.0.0-0.20180915032832-63d5568f2a8f: invalid pseudo-version: version before v0.0.0 would have negative patch number
`,
			want: []string{
				"pseudo-version example.org/r.git@v0.0.0-0.20180915032832-63d5568f2a8f",
			},
		},
		{
			name: "pseudo_pre.listm",
			stderr: `go: example.org/r.git@v0.3.1-0.20180915032832-63d5568f2a8f: invalid pseudo-version: preceding tag (v0.3.0) not found
go: example.org/r.git@v0.3.1-0.20180915032832-63d5568f2a8f: invalid pseudo-version: preceding tag (v0.3.0) not found
`,
			want: []string{
				"pseudo-version example.org/r.git@v0.3.1-0.20180915032832-63d5568f2a8f",
			},
		},
		{
			name: "pseudo_rev.listm",
			stderr: `go: example.org/r.git@v0.1.1-0.20180915032832-abcdefabcdef: invalid version: unknown revision abcdefabcdef
go: example.org/r.git@v0.1.1-0.20180915032832-abcdefabcdef: invalid version: unknown revision abcdefabcdef
`,
			want: []string{
				"pseudo-version example.org/r.git@v0.1.1-0.20180915032832-abcdefabcdef",
			},
		},
		{
			name: "incompat_gomod.listm",
			stderr: `go: example.org/m.git@v2.0.0: invalid version: go.mod has post-v2 module path "example.org/m.git/v2" at revision v2.0.0
go: example.org/m.git@v2.0.0+incompatible: go.mod has post-v2 module path "example.org/m.git/v2" at revision v2.0.0
`,
			want: []string{
				"incompatible-with-gomod example.org/m.git@v2.0.0",
				"incompatible-with-gomod example.org/m.git@v2.0.0+incompatible",
			},
		},
		{
			name: "incompat_gomod2.listm",
			stderr: `go: example.org/n.git@v2.0.0+incompatible: invalid version: module contains a go.mod file, so module path must match major version ("example.org/n.git/v2")
`,
			want: []string{
				"incompatible-with-gomod example.org/n.git@v2.0.0+incompatible",
			},
		},
		{
			name: "incompat_gomod3.listm",
			stderr: `go: errors parsing go.mod:
go.mod:5: require example.org/n.git: version "v2.0.0" invalid: should be v0 or v1, not v2
`,
			want: []string{
				"major-version-suffix example.org/n.git@v2.0.0 go.mod:5",
			},
		},
		{
			name: "major_post.listm",
			stderr: `go: example.org/m.git@v0.0.0-20190915032832-cc22425d9ef1: invalid version: go.mod has post-v0 module path "example.org/m.git/v2" at revision cc22425d9ef1
go: example.org/m.git@v0.0.0-20190915032832-cc22425d9ef1: invalid version: go.mod has post-v0 module path "example.org/m.git/v2" at revision cc22425d9ef1
`,
			want: []string{
				"major-version-suffix example.org/m.git@v0.0.0-20190915032832-cc22425d9ef1",
			},
		},
		{
			name: "incompat_v0.listm",
			stderr: `go: example.org/r.git@v0.1.0+incompatible: invalid version: +incompatible suffix not allowed: major version v0 is compatible
`,
			want: []string{
				"incompatible-with-gomod example.org/r.git@v0.1.0+incompatible",
			},
		},
		{
			name: "repl.listm",
			stderr: `go: example.com/x@v0.0.0 (replaced by ./sub): parsing sub/go.mod: /tmp/gx/f/repl/sub/go.mod:5: usage: require module/path v1.2.3
`,
			want: []string{
				"gomod-syntax example.com/x@v0.0.0 /tmp/gx/f/repl/sub/go.mod:5",
			},
		},
		{
			name: "ro_pseudo.listm",
			stderr: `go: example.org/r.git@v0.1.1-0.20190915032832-63d5568f2a8f: invalid pseudo-version: does not match version-control timestamp (expected 20180915032832)
go: example.org/r.git@v0.1.1-0.20190915032832-63d5568f2a8f: missing go.sum entry for go.mod file; to add it:
	go mod download example.org/r.git
`,
			want: []string{
				"pseudo-version example.org/r.git@v0.1.1-0.20190915032832-63d5568f2a8f",
				"gosum-missing example.org/r.git@v0.1.1-0.20190915032832-63d5568f2a8f/go.mod",
			},
		},
		{
			name: "ro_pseudo.tidy",
			stderr: `go: downloading example.org/r.git v0.1.1-0.20190915032832-63d5568f2a8f
go: example.com/app imports
	example.org/r.git: example.org/r.git@v0.1.1-0.20190915032832-63d5568f2a8f: invalid pseudo-version: does not match version-control timestamp (expected 20180915032832)
`,
			want: []string{
				"pseudo-version example.org/r.git@v0.1.1-0.20190915032832-63d5568f2a8f",
			},
		},
		{
			name: "net.p404",
			stderr: `go: downloading example.com/zz v1.0.0
go: example.com/app imports
	example.com/yy: example.com/zz@v1.0.0: reading http://127.0.0.1:18765/example.com/zz/@v/v1.0.0.mod: 404 Not Found
	server response: 404 page not found
go: example.com/app imports
	example.com/zz: example.com/zz@v1.0.0: reading http://127.0.0.1:18765/example.com/zz/@v/v1.0.0.zip: 404 Not Found
	server response: 404 page not found
`,
			want: []string{},
			unexplained: []string{
				"example.com/yy: example.com/zz@v1.0.0: reading http://127.0.0.1:18765/example.com/zz/@v/v1.0.0.mod: 404 Not Found",
				"example.com/zz: example.com/zz@v1.0.0: reading http://127.0.0.1:18765/example.com/zz/@v/v1.0.0.zip: 404 Not Found",
			},
		},
		{
			name: "net.dial",
			stderr: `go: example.com/zz@v1.0.0: Get "http://127.0.0.1:1/example.com/zz/@v/v1.0.0.info": dial tcp 127.0.0.1:1: connect: connection refused
go: example.com/zz@v1.0.0: Get "http://127.0.0.1:1/example.com/zz/@v/v1.0.0.mod": dial tcp 127.0.0.1:1: connect: connection refused
`,
			want: []string{},
			unexplained: []string{
				"go: example.com/zz@v1.0.0: Get \"http://127.0.0.1:1/example.com/zz/@v/v1.0.0.info\": dial tcp 127.0.0.1:1: connect: connection refused",
				"go: example.com/zz@v1.0.0: Get \"http://127.0.0.1:1/example.com/zz/@v/v1.0.0.mod\": dial tcp 127.0.0.1:1: connect: connection refused",
			},
		},
		{
			name: "net.off",
			stderr: `go: module lookup disabled by GOPROXY=off
go: example.com/zz@v1.0.0: missing go.sum entry for go.mod file; to add it:
	go mod download example.com/zz
`,
			want: []string{
				"gosum-missing example.com/zz@v1.0.0/go.mod",
			},
			unexplained: []string{
				"go: module lookup disabled by GOPROXY=off",
			},
		},
		{
			name: "net.offtidy",
			stderr: `go: downloading example.com/zz v1.0.0
go: example.com/app imports
	example.com/yy: example.com/zz@v1.0.0: module lookup disabled by GOPROXY=off
go: example.com/app imports
	example.com/zz: module lookup disabled by GOPROXY=off
`,
			want: []string{},
			unexplained: []string{
				"example.com/yy: example.com/zz@v1.0.0: module lookup disabled by GOPROXY=off",
				"example.com/zz: module lookup disabled by GOPROXY=off",
			},
		},
		{
			name: "dirty.build",
			stderr: `m.go:2:8: cannot find module providing package example.com/b: import lookup disabled by -mod=readonly
`,
			want: []string{},
			unexplained: []string{
				"m.go:2:8: cannot find module providing package example.com/b: import lookup disabled by -mod=readonly",
			},
		},
		{
			name: "ws1.build",
			stderr: `pattern ./...: directory prefix . does not contain modules listed in go.work or their selected dependencies
`,
			want: []string{},
			unexplained: []string{
				"pattern ./...: directory prefix . does not contain modules listed in go.work or their selected dependencies",
			},
		},
		{
			name:   "CRLF, blank and progress lines only",
			stderr: "go: downloading example.com/b v1.0.0\r\ngo: finding module for package example.com/c\r\n\r\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ex, un := Refusals(tt.stderr)
			var got []string
			for _, r := range ex {
				got = append(got, renderRefusal(r))
				if r.Text == "" {
					t.Errorf("%s: no Text", renderRefusal(r))
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("explained:\n got  %q\n want %q", got, tt.want)
			}
			var texts []string
			for _, u := range un {
				texts = append(texts, u.Text)
			}
			if !slices.Equal(texts, tt.unexplained) {
				t.Errorf("unexplained:\n got  %q\n want %q", texts, tt.unexplained)
			}
		})
	}
}

func renderRefusal(r Refusal) string {
	s := r.Rule
	if r.Module.Path != "" {
		s += " " + r.Module.Path
		if r.Module.Version != "" {
			s += "@" + r.Module.Version
		}
		if r.GoMod {
			s += "/go.mod"
		}
	}
	if r.File != "" {
		s += fmt.Sprintf(" %s:%d", r.File, r.Line)
	}
	if r.Got != "" || r.Want != "" {
		s += " got=" + r.Got + " want=" + r.Want
	}
	return s
}

// TestUnexplainedModules: the module versions an unexplained line names,
// as printed, URLs left out.
func TestUnexplainedModules(t *testing.T) {
	tests := []struct {
		stderr string
		want   string // "M@V M@V", one line's
	}{
		{
			stderr: "go: example.com/e@v0.0.0-20231302030405-abcdef123456: reading http://127.0.0.1:8080/example.com/e/@v/v0.0.0-20231302030405-abcdef123456.mod: 404 Not Found\n",
			want:   "example.com/e@v0.0.0-20231302030405-abcdef123456",
		},
		{
			stderr: "\texample.com/a: zip for example.com/a@v1.0.0 has unexpected file example.com/b@v1.0.0/b.go\n",
			want:   "example.com/a@v1.0.0 example.com/b@v1.0.0/b.go",
		},
		{
			stderr: "go: reading https://user@v2.example.com/x: 403 Forbidden\n",
			want:   "",
		},
		{
			stderr: "go: cannot find main module\n",
			want:   "",
		},
	}
	for _, tt := range tests {
		_, un := Refusals(tt.stderr)
		if len(un) != 1 {
			t.Fatalf("%q: unexplained %q, want one line", tt.stderr, un)
		}
		var got []string
		for _, m := range un[0].Modules {
			got = append(got, m.Path+"@"+m.Version)
		}
		if strings.Join(got, " ") != tt.want {
			t.Errorf("%q: modules %q, want %q", tt.stderr, strings.Join(got, " "), tt.want)
		}
	}
}
