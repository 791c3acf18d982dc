package envscan

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/modseal/modseal/verify"
)

// fired returns "LINE NAME" for each insecure-setting finding the
// assignments of data produce, judged as the audit judges them.
func fired(k Kind, data string) []string {
	var out []string
	for _, a := range Scan(k, []byte(data)) {
		v, _ := a.Known()
		if k == GoEnv {
			v = a.Value
		}
		for range verify.CheckSettings(verify.Settings{a.Name: v}) {
			out = append(out, fmt.Sprintf("%d %s", a.Line, a.Name))
		}
	}
	return out
}

func check(t *testing.T, k Kind, data string, want ...string) {
	t.Helper()
	got := fired(k, data)
	if !slices.Equal(got, want) {
		var all []string
		for _, a := range Scan(k, []byte(data)) {
			all = append(all, fmt.Sprintf("%d %s=%q", a.Line, a.Name, a.Value))
		}
		t.Errorf("%v findings:\n got %q\nwant %q\nassignments:\n%s", k, got, want, strings.Join(all, "\n"))
	}
}

func TestWorkflow(t *testing.T) {
	check(t, Workflow, `name: ci
on: push
env:
  GOSUMDB: off   # line 4
  GOPRIVATE: github.com/myorg
  GOPROXY: "https://proxy.golang.org,direct"
  GONOSUMDB: 'corp.example.com'
  GOFLAGS: ${{ vars.GOFLAGS }}
jobs:
  build:
    runs-on: ubuntu-latest
    env: {GOINSECURE: "corp.example", GOTOOLCHAIN: local}
    steps:
      - uses: actions/checkout@v4
      - name: build
        env:
          GOFLAGS: -mod=mod
          # GOSUMDB: off
          GOPROXY: direct
          NOTGO: GOSUMDB=off
        run: |
          go build ./...
          export GONOSUMDB=*
          GOFLAGS="$GOFLAGS -insecure" go test ./...   # line 24
          go env -w GOPRIVATE=github.com
          echo "GOSUMDB=off" >> "$GITHUB_ENV"
          echo GOFLAGS=-mod=readonly >> $GITHUB_ENV
          echo "GOSUMDB=off"
          # export GOSUMDB=off
          echo "export GOSUMDB=off is bad"
          cat >> "$GITHUB_ENV" <<EOF
          GOPROXY=direct
          GOFLAGS=-mod=vendor
          EOF
          GOSUMDB=sum.golang.org go build
      - run: go env -w GOFLAGS=-mod=mod
      - name: quoted
        run: "GONOSUMCHECK=1 go build"
      - run: >-
          GOPRIVATE=$PRIVATE,github.com/*
          go build
      - env:
          GOPRIVATE: github.com/${{ github.repository_owner }}/*
          GO_NOSUMDB: "1"
        run: echo "GOINSECURE=x" | tee -a $GITHUB_ENV
`,
		"4 GOSUMDB", "12 GOINSECURE", "17 GOFLAGS", "19 GOPROXY",
		"23 GONOSUMDB", "24 GOFLAGS", "25 GOPRIVATE", "26 GOSUMDB", "32 GOPROXY",
		"36 GOFLAGS", "38 GONOSUMCHECK", "40 GOPRIVATE", "44 GO_NOSUMDB", "45 GOINSECURE")
}

func TestWorkflowClean(t *testing.T) {
	// Settings that must not fire, and text that only looks like them.
	check(t, Workflow, `on: push
env:
  GOPRIVATE: github.com/myorg
  GONOSUMDB: corp.example.com
  GOFLAGS: -mod=readonly
  GOPROXY: https://proxy.golang.org,direct
  GOSUMDB: sum.golang.org
  DESCRIPTION: "GOSUMDB=off is what we never do"
jobs:
  a:
    steps:
      - name: GOSUMDB=off
        run: |
          echo "GOSUMDB=off"
          grep -r GOFLAGS=-mod=mod .
          MYGOSUMDB=off true
          GOFLAGS=-mod=vendor go build
          GOPROXY=$MIRROR go build
          GOINSECURE=${{ inputs.insecure }} go get
          GOSUMDB=${{ vars.SUMDB }} go build
      - with:
          script: GOSUMDB=off
`)
}

func TestDockerfile(t *testing.T) {
	check(t, Dockerfile, `# syntax=docker/dockerfile:1
FROM golang:1.26 AS build
ENV GOSUMDB=off
ENV GOFLAGS -mod=mod
ENV CGO_ENABLED=0 \
    GOPRIVATE="github.com" \
    GOPROXY=https://proxy.golang.org,direct
ARG GOINSECURE=corp.example
ARG GOPROXY
# ENV GOSUMDB=off
RUN go env -w GONOSUMDB=* && \
    # a comment inside
    GOFLAGS=-insecure go build ./...
RUN ["sh", "-c", "export GOPROXY=direct && go build"]
RUN --mount=type=cache,target=/root/.cache GOSUMDB=off go build
RUN <<EOF
go env -w GOFLAGS=-mod=mod
EOF
onbuild env GOSUMDB off
RUN echo GOSUMDB=off > /etc/motd
ENV GOFLAGS=-mod=vendor GOPRIVATE=github.com/myorg
ENV GOPROXY=$PROXY
`,
		"3 GOSUMDB", "4 GOFLAGS", "6 GOPRIVATE", "8 GOINSECURE", "11 GONOSUMDB", "13 GOFLAGS",
		"14 GOPROXY", "15 GOSUMDB", "17 GOFLAGS", "19 GOSUMDB")
}

func TestMakefile(t *testing.T) {
	check(t, Makefile, `# GOSUMDB = off
GOFLAGS = -mod=mod
GOPRIVATE := github.com/*
GONOSUMDB ?= corp.example.com
export GOSUMDB=off
override GOINSECURE ::= corp.example
GOFLAGS += -insecure
GOPROXY != echo direct
test: GOPROXY = direct
define script
GOSUMDB=off
endef

build: deps ## GOSUMDB=off in a comment
	GOSUMDB=off go build ./...
	@go env -w GOFLAGS=-mod=mod \
	  GONOSUMDB=github.com
	echo GOSUMDB=off
	GOPRIVATE=$(PRIVATE) go build
	-export GONOSUMCHECK=1; go build

lint: ; GOINSECURE=x golangci-lint run
GOFLAGS := -mod=vendor
GOSUMDB = sum.golang.org
`,
		"2 GOFLAGS", "3 GOPRIVATE", "5 GOSUMDB", "6 GOINSECURE", "7 GOFLAGS", "9 GOPROXY",
		"15 GOSUMDB", "16 GOFLAGS", "17 GONOSUMDB", "20 GONOSUMCHECK", "22 GOINSECURE")
}

func TestEnvrc(t *testing.T) {
	check(t, Shell, `# direnv
export GOPRIVATE=github.com/myorg
export GOFLAGS="-mod=mod"
GOSUMDB=off
export GONOSUMDB='*' GOPROXY=https://proxy.golang.org,direct
if true; then export GOINSECURE=corp.example; fi
PATH_add bin
export GOSUMDB_OFF=1
GOPROXY_URL=https://corp.example
dotenv_if_exists .env.GOSUMDB=off
`,
		"3 GOFLAGS", "4 GOSUMDB", "5 GONOSUMDB", "6 GOINSECURE", "8 GOSUMDB_OFF")
}

func TestShellGitHubEnv(t *testing.T) {
	// The group's echo lines are not followed (the redirection is on the
	// group), here-documents and printf are.
	check(t, Shell, `{
  echo 'GOFLAGS<<EOF'
  echo '-mod=mod'
  echo 'EOF'
} >> "$GITHUB_ENV"
cat <<END >> $GITHUB_ENV
GOPRIVATE<<X
github.com
X
GOSUMDB=off
END
printf 'GOINSECURE=corp.example\n' >> $GITHUB_ENV
printf 'GOSUMDB=%s\n' off >> $GITHUB_ENV
echo -n "GOPROXY=direct" 2>&1 >>"${GITHUB_ENV}"
env -u GOFLAGS GONOSUMDB=* go build
cat > /tmp/x <<EOF
GOSUMDB=off
EOF
GOSUMDB=off
`,
		"7 GOPRIVATE", "10 GOSUMDB", "12 GOINSECURE", "14 GOPROXY", "15 GONOSUMDB", "19 GOSUMDB")
}

func TestGoEnv(t *testing.T) {
	check(t, GoEnv, "GOPRIVATE=github.com/myorg\nGOFLAGS=-mod=mod\n# GOSUMDB=off\ngosumdb=off\nGOSUMDB=off\nGOPROXY=direct\n",
		"2 GOFLAGS", "5 GOSUMDB", "6 GOPROXY")
}

func TestKnown(t *testing.T) {
	for _, tt := range []struct {
		name, value, want string
		ok                bool
	}{
		{"GOSUMDB", "off", "off", true},
		{"GOSUMDB", "$SUMDB", "", false},
		{"GOSUMDB", "${{ vars.X }}", "", false},
		{"GOFLAGS", "$GOFLAGS -mod=mod", "-mod=mod", true},
		{"GOFLAGS", "$(GOFLAGS)", "", false},
		{"GOPRIVATE", "github.com/$ORG,*", "*", true},
		{"GOPROXY", "direct,$P", "direct", true},
		{"GOPROXY", "$P,direct", "", false},
		{"GOPROXY", "`x`", "", false},
		{"GOINSECURE", "", "", false},
	} {
		got, ok := Assignment{Name: tt.name, Value: tt.value}.Known()
		if got != tt.want || ok != tt.ok {
			t.Errorf("Known(%s=%s) = %q, %v; want %q, %v", tt.name, tt.value, got, ok, tt.want, tt.ok)
		}
	}
}

func TestKindOf(t *testing.T) {
	for name, want := range map[string]Kind{
		"Dockerfile": Dockerfile, "Dockerfile.dev": Dockerfile, "build.Dockerfile": Dockerfile,
		"Containerfile": Dockerfile, "Dockerfile.dockerignore": None,
		"Makefile": Makefile, "GNUmakefile": Makefile, "makefile": Makefile, "rules.mk": Makefile, ".mk": None,
		".envrc": Shell, "ci.yml": None, "go.mod": None, "Makefile.bak": None,
	} {
		if got := KindOf(name); got != want {
			t.Errorf("KindOf(%q) = %v, want %v", name, got, want)
		}
	}
}

// FuzzScan checks that no input makes a scanner panic or return a line
// outside the file or a name that is none.
func FuzzScan(f *testing.F) {
	f.Add("env:\n  GOSUMDB: off\nrun: |\n  export GOFLAGS=-mod=mod\n")
	f.Add("ENV GOSUMDB=off \\\n  GOFLAGS=-mod=mod\nRUN <<EOF\nGOSUMDB=off\nEOF\n")
	f.Add("GOFLAGS = -mod=mod\nall:\n\tGOSUMDB=off go build \\\n\t  x\ndefine x\nendef\n")
	f.Add("export GOSUMDB=\"off\" $(echo 'a)' \"b\") `c` ${d} <<-E\n\tGOSUMDB=off\n\tE\necho X=1 | tee $GITHUB_ENV\n")
	f.Add("cat >> $GITHUB_ENV <<EOF\nA<<D\nx\nD\nB=2\nEOF\n")
	f.Add("- run: '$(\n")
	for _, p := range pathological {
		f.Add(strings.Repeat(p, (16<<10)/len(p)))
	}
	f.Fuzz(func(t *testing.T, data string) {
		n := strings.Count(data, "\n") + 1
		for _, k := range []Kind{Workflow, Dockerfile, Makefile, Shell, GoEnv} {
			for _, a := range Scan(k, []byte(data)) {
				if a.Line < 1 || a.Line > n {
					t.Fatalf("%v: %s at line %d of %d", k, a.Name, a.Line, n)
				}
				if !isName(a.Name) && k != GoEnv {
					t.Fatalf("%v: name %q", k, a.Name)
				}
				a.Known()
			}
		}
	})
}

// BenchmarkScanPathological scans 256 KiB of each repeated pattern that
// once made a scanner quadratic (an unterminated here-document took 4.5
// minutes on 1 MiB): each should take milliseconds, linear in the size.
// Speed is a benchmark's business, not a test's: run
// go test ./internal/envscan -run '^$' -bench ScanPathological.
func BenchmarkScanPathological(b *testing.B) {
	for _, p := range pathological {
		data := []byte(strings.Repeat(p, MaxFileSize/4/len(p)))
		b.Run(strconv.Quote(p), func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				for _, k := range []Kind{Workflow, Dockerfile, Makefile, Shell, GoEnv} {
					Scan(k, data)
				}
			}
		})
	}
}

// pathological are inputs that stress the scanners' nesting and
// here-document handling.
var pathological = []string{"$(", "${", "'", "\"", "`", "<<E ", "env:\n ", "run: |\n ", "- ", "RUN <<E\n", "\t$$(", "define x\n", "A=$(\\\n", "x: ; (", "{"}
