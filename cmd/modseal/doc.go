/*
Modseal verifies the integrity of a Go module's dependencies. audit checks
that go.mod, go.sum, go.work and vendor/ are well formed and complete, with
the go command as the oracle; recomputes the h1 hash of every module zip,
.mod file and extracted module directory against go.sum; checks go.sum
against the checksum database, whose signed tree head it persists to detect
a forked log; and reports retracted, deprecated and insecurely configured
modules. snapshot records the module graph in a deterministic, optionally
signed file; diff and audit report drift from it, or from a git revision.
Every finding carries a rule id from one catalogue (# Rules), and every
report format (text, JSON, SARIF, GitHub) renders the same findings.

# Usage

	modseal audit [flags] [DIR]
	modseal snapshot [--out FILE] [--sign-key KEY] [--patterns P] [--platforms L] [DIR]
	modseal diff [--snapshot FILE | --base-ref REV] [--key PUBKEY] [flags] [DIR]
	modseal hash [--module PATH@VERSION] TARGET
	modseal hook install|uninstall [--force] [--pre-push] [DIR]
	modseal hook run [--mod | --repo-mod] [AUDIT FLAGS] [FILE... | DIR]
	modseal list-modules [--format json] [DIR]
	modseal release check [--tag TAG]... [--all] [--pre-push] [flags] [DIR]
	modseal explain [--format json] [--offline] MODULE@VERSION [DIR]
	modseal pr-comment [--command C] [--dir D] [--update-only] FILE
	modseal version
	modseal help [command]

Audit checks the module in DIR (default "."), or the go.work workspace the go
command finds for DIR: every module of the workspace, go.work and go.work.sum.

Flags of audit (they may stand before or after DIR):

	--format FORMAT      text, json, sarif or github (default text)
	--output FILE        write the report to FILE (atomically) instead of standard output
	--json FILE          also write the JSON report to FILE, whatever --format is
	--sarif FILE         also write the SARIF log to FILE, whatever --format is; written on exit 2 too
	--fail-on LEVEL      error|warning|note|never: exit 1 on findings at or above LEVEL (default error)
	--skip RULE[,RULE]   leave out findings of these rules; a check whose every rule is skipped does not run
	--offline            no network (see Offline below)
	--cache-dir DIR      modseal's cache (default $XDG_CACHE_HOME/modseal, else the user cache directory)
	--jobs N             modules hashed at once (default GOMAXPROCS)
	--progress MODE      auto|always|never: progress on standard error (auto: a terminal, CI unset)
	--no-cache           inflate every module zip; do not use the verification cache
	--no-color           no colour; so does a non-empty NO_COLOR, TERM=dumb, or output that is not a terminal
	--key PUBKEY         require DIR/.modseal/graph.json to be signed by this PEM public key

Hash prints the h1 hash of a module zip, an extracted module directory, or a
go.mod file, as go.sum records it:

	$ modseal hash $(go env GOMODCACHE)/cache/download/golang.org/x/text/@v/v0.14.0.zip
	golang.org/x/text v0.14.0 h1:ScX5w1eTa3QqT8oi6+ziP7dTV1S2+ALU0bI+0zXKWiQ=

A zip is checked with golang.org/x/mod/zip's CheckZip before it is hashed and
is never extracted. A directory inside the module cache names its module; any
other directory, and a go.mod file that should print a go.sum line, needs
--module PATH@VERSION.

Hook install writes a git pre-commit hook (honouring core.hooksPath) that
runs "modseal hook run --offline" when go.mod, go.sum, go.work, go.work.sum
or vendor/modules.txt are staged. It refuses to overwrite a hook modseal did
not write unless --force; uninstall removes only modseal's own. "modseal
hook run [--mod | --repo-mod] [AUDIT FLAGS] [FILE... | DIR]" is what the
hooks run: the audit, with the given audit flags, of DIR's module or go.work
workspace, or, when DIR has neither (the repository's only module is svc/),
of each module below it; with --mod, of the module of each FILE (the nearest
directory with a go.mod or go.work), each once; with --repo-mod, of every
module. Modules in vendor/, testdata/ and hidden directories are left out;
the exit status is the worst audit's. For the pre-commit framework,
.pre-commit-hooks.yaml offers modseal-audit, modseal-audit-mod
(pass_filenames), modseal-audit-repo-mod, modseal-audit-system (a modseal
already on PATH) and modseal-snapshot.

"modseal list-modules [--format json] [DIR]" prints each module directory
below DIR, relative, one per line (a JSON array with --format json, for a
matrix), skipping vendor/, testdata/ and directories starting with "." or
"_". docs/monorepo.md has a matrix workflow and the reusable workflow
.github/workflows/modseal-reusable.yml.

# Rules

Each finding has a rule id, a severity, a message and, where known, the
module, version, file (relative to DIR), line, and the wanted and found values.

	gomod-syntax             error    go.mod (or go.work) does not parse, strictly, as the go command parses it
	gosum-syntax             error    a go.sum line is malformed: field count, module path, version, hash encoding or length
	gosum-unknown-algorithm  warning  a hash algorithm other than h1 (the go command ignores such a line)
	gosum-duplicate          note     the same line twice
	gosum-conflict           error    two different hashes of one algorithm for the same module@version (or its go.mod)
	gosum-merge-conflict     error    git conflict markers left in go.sum, go.mod or go.work
	gosum-missing            error    a line the go command requires is absent: it would fail with "missing go.sum entry"
	gosum-unused             note     a line go mod tidy would remove
	module-path              error    an invalid module path (golang.org/x/mod/module rules)
	major-version-suffix     error    the version's major does not match the path's /vN or gopkg.in .vN suffix, and is not a valid +incompatible
	noncanonical-version     error    a version that is not canonical semver (v1.2, v1.2.3+meta, 1.2.3, master)
	pseudo-version           error    a malformed pseudo-version (shape, timestamp, 12-digit revision, base version), or one the go command refuses against version control
	replace-local            warning  a replace by a filesystem path
	hash-mismatch            error    the recomputed h1 of a module zip or its .mod file differs from go.sum
	cache-tampered           error    an extracted module directory in the module cache differs from go.sum
	incompatible-with-gomod  error    a +incompatible version whose zip has a go.mod
	sumdb-mismatch           error    go.sum disagrees with the checksum database
	sumdb-missing            error    a public module version is unknown to the checksum database
	retracted                warning  the selected version is retracted by the module's author (the message carries the rationale)
	deprecated               note     the module is deprecated by its author (the message carries the notice)
	origin-mismatch          warning  a pseudo-version's timestamp or revision disagrees with the proxy's .info (unauthenticated: confirm from version control)
	insecure-setting         warning  GOSUMDB=off, GONOSUMDB/GOPRIVATE covering a public host, GOINSECURE, GOFLAGS -insecure or -mod=mod,
	                                  GOPROXY=direct, look-alike variables; from the environment, go env -w, workflows, Dockerfiles, Makefiles, .envrc

	vendor-inconsistent      error    vendor/modules.txt disagrees with go.mod (the go command's "inconsistent vendoring")
	vendor-tampered          error    a vendored file differs from the go.sum-verified module zip, or is added or missing

	drift-sum-changed        error    same module@version, a different hash than the snapshot
	drift-module-added       warning  the build list gained a module
	drift-module-removed     note     the build list lost a module
	drift-version-changed    warning  a module's selected version changed (upgrade, downgrade, major, pseudo-version)
	drift-build-module-added warning  a module now provides packages to the build for a platform
	drift-go-version         note     the go or toolchain line changed
	drift-graph              note     requirement edges changed without a build-list change
	snapshot-signature       error    the snapshot's signature is missing (with --key) or invalid
	tag-moved                error    (release check) a release tag's content hashes differ from the checksum database's
	tag-unpublished          note     (release check) the checksum database has no record of this tagged version yet
	tag-invalid              error    (release check) the tag is not a valid version of the module path

diff reports drift at these severities; audit, with a snapshot committed,
reports every drift as an error (the snapshot is out of date).

How the rules read the files:

  - go.sum is read as cmd/go reads it: lines split at '\n', fields at white
    space, so CRLF line endings and a missing final newline are accepted
    wherever the go command accepts them. The line of an empty go.mod hash
    that an old go command wrote is dropped silently, as cmd/go does.
  - go.mod is parsed with golang.org/x/mod/modfile in strict mode. A version
    must already be canonical: the go command in its default -mod=readonly
    mode refuses to rewrite one. When a line fails for a path or version
    reason, audit reports it and re-parses without it, so one bad requirement
    does not hide the others; a plain syntax error stops the parse.
  - A required module replaced by a directory may have a path without a dot
    (the go command never fetches it); every other required path must be a
    valid module path.
  - gosum-missing and gosum-unused come from "go mod tidy -diff" run in each
    module directory. A removed line is reported at its line; a missing line
    at the line before which tidy would insert it (no line when go.sum is
    empty or absent). Lines that differ only in white space or order are the
    same entry to the go command and are not reported. gosum-missing is
    exactly "some go command would fail with missing go.sum entry", so it
    also reports, at the go.mod require line, a requirement whose go.mod
    hash no go.sum line holds (every command that loads the module graph
    reads it, even where tidy would rather drop the requirement), and the
    go command's own "missing go.sum entry" refusals.
  - A go.sum line is reported once, by its most specific rule: a duplicate,
    malformed or non-h1 line is not also reported as gosum-unused.
  - A malformed go.sum yields at most 50 gosum-syntax findings and one that
    counts the rest; a file with a NUL byte is one finding.

# Hash verification

"go mod verify" compares the module cache with hashes stored in the same
cache, skips what is not cached and never reads go.sum. modseal compares with
go.sum itself. For every module version that go.sum or go.work.sum has an h1
line for, it recomputes:

  - the h1 of the module zip and of the .mod file (hash-mismatch), taken from
    the user's module cache, else from modseal's cache, else downloaded
    through GOPROXY into modseal's cache;
  - the h1 of the extracted directory in the user's module cache, when there
    is one (cache-tampered), whether or not the zip is still there: the
    directory is what builds compile. When the zip matches go.sum, the
    finding names the files that were modified, added or removed. The
    directory is walked without following links: a link, FIFO, device or
    socket in it (which no module zip can produce) is cache-tampered, named,
    and never read.

The set of modules is go.sum's, not the module graph's, so the check needs
nothing from the go command: a go.sum or .mod file the go command refuses
("go list" and "go mod graph" fail) is still checked, and the finding is at
its go.sum line. Replacements need no special care: go.sum holds the
replacement's lines, whichever replace directive the go command applies. A
file that cannot be had (--offline, GOPROXY=off or direct, GONOPROXY, a
proxy that refuses it) is listed under "skipped" with the reason, never
counted as verified. A download that does not match go.sum is reported and
removed from modseal's cache, as the go command never keeps one, so a later
run after the proxy is fixed downloads it again.

# One cause, one finding

A go.sum line can disagree with three witnesses: the zip or .mod file
(hash-mismatch), the extracted directory (cache-tampered) and the checksum
database (sumdb-mismatch). audit compares what each found and reports the
cause once, with advice that fits it:

  - the database, the zip and the directory agree with each other and not
    with go.sum: go.sum's line was changed; one sumdb-mismatch, and the
    module cache is not blamed;
  - the zip and the directory agree with each other, not with go.sum, and
    the database vouches for go.sum: the module cache was altered; one
    hash-mismatch ("go clean -modcache");
  - offline (or for a GONOSUMDB module), the same disagreement is one
    hash-mismatch that says either side may have changed;
  - anything else is a separate finding per file.

In every rule "got" (printed "have") is what modseal found, recomputed or
read from the file, and "want" what it should be: go.sum's line for
hash-mismatch and cache-tampered, the database's for sumdb-mismatch (where
"got" is go.sum's line).

# When the go command refuses

The checks run concurrently and none waits for another's verdict. When the
go command refuses the files ("go mod tidy -diff", "go list -m all", "go mod
graph"), its standard error is read line by line: a reason that a rule names
(checksum mismatch, missing go.sum entry, an invalid pseudo-version against
version control, a +incompatible version whose tag has a go.mod, a malformed
path or version, a go.mod syntax error) is a finding at its line, unless a
finding already reports it; the refusal is then listed once under
"skipped", with the checks it held up. A reason no rule names (a proxy that
refuses a module the build list needs, a network error) fails the audit
(exit 2), even when other findings are errors: an unrelated failure is
never hidden behind a finding. Under --offline, a go command that needs the
network is a skip.

Auditing a directory inside a module that go.work does not use is refused,
as the go command refuses to build there; GOWORK=off audits the module on its
own. A go.work that uses a directory without a go.mod is refused the same
way.

Zips are untrusted: golang.org/x/mod/zip's CheckZip runs before anything else
(path traversal, duplicate and case-colliding names, declared sizes), files
are inflated by streaming into SHA-256 and never extracted, and a file that
inflates past its declared size fails at once, so a zip bomb costs neither
time nor memory. A zip that fails is a hash-mismatch finding.

The verification cache (CACHE/verified) maps the SHA-256 of a zip's raw
bytes to its h1, so a re-run reads each zip once instead of inflating every
file, and is exactly as strong: any change to the zip changes the key. On
Linux and macOS it also maps metadata keys to h1 hashes, so a re-run reads
no bytes of a zip or extracted directory that did not change: the SHA-256
of the path, size, mode, modification and change times, inode and device
of the zip, or of every entry of the extracted tree (lstat, links not
followed), as git's index does for a work tree. Every write to a file
moves its change time, which no unprivileged process can set back (touch
sets the modification time only), and a file renamed over another brings
its own inode and change time; a key is remembered only when it is the same
before and after the bytes were hashed, and when nothing in it changed in
the last three seconds (git's "racy" case: a second write within the file
system's timestamp granularity). Whoever can set change times (root, by
the clock or the raw disk) can defeat it, and could as well edit modseal's
cache; --no-cache turns the cache off, and every file is hashed again.

--jobs sets the number of modules hashed at once (default GOMAXPROCS). The
findings come out in the same order whatever the number. A progress line
(modules and bytes) is drawn on standard error when it is a terminal and CI
is not set, or always with --progress always.

# vendor/

"go build -mod=vendor" trusts vendor/ and "go mod verify" ignores it. When a
module has vendor/modules.txt, audit checks it against go.mod exactly as the
go command's checkVendorConsistency does (vendor-inconsistent; stricter
where the go command silently ignores malformed or mis-keyed lines), and
compares every vendored file with the file "go mod vendor" would copy from
the module zip whose hash matched go.sum: the package directories
modules.txt lists (non-test files, embedded files) and the license files of
their parent directories (vendor-tampered: modified, added or missing). A
module replaced by a directory is compared with that directory. A module
whose zip could not be verified is listed under "skipped".

A workspace's vendor/ ("go work vendor" writes it next to go.work, its
modules.txt starting "## workspace") is checked the same way against go.work
and the go.mod of every workspace module, as the go command checks it in
workspace mode: go.work's replacements win over the modules', the last
module's over earlier ones, and a module's directory replacement counts
relative to go.work's directory. Each workspace module's own vendor/ is
checked too, as a module's (the go command uses it when the module is built
on its own, GOWORK=off). A vendor/ is checked in the mode of where it is,
whatever its modules.txt says: the "## workspace" line only sets the go
command's default, and -mod=vendor builds from it in either mode. Only the
vendor/ at go.work's directory when a module lives there too (use .) goes by
its modules.txt: the workspace's if go work vendor wrote it, else the
module's.

# Checksum database

Every h1 line of go.sum and go.work.sum for a public module is looked up in
the checksum database GOSUMDB names, with the signed tree head and inclusion
proofs checked by golang.org/x/mod/sumdb: sumdb-mismatch (go.sum disagrees;
the finding carries both hashes) and sumdb-missing (the database does not
know the version), each at its go.sum line.

The database is chosen and reached as the go command does it: GOSUMDB is
"off", a known name (sum.golang.org; sum.golang.google.cn is an alias),
"name+key" or "name+key url"; without a URL, each GOPROXY entry is asked for
<proxy>/sumdb/<name>/supported and the first that answers 200 is used (404
and 410, or any error after a "|", move on), else the database is contacted
directly. Modules matched by GONOSUMDB (go env derives it from GOPRIVATE)
are never looked up, and are listed under "skipped".

modseal's cache (CACHE/sumdb) keeps tiles, lookups and the latest signed
tree head it verified: the head in config/NAME/latest, the tiles and lookups
of each run in one pack file under cache/ (written once, atomically, at the
end of the check; more than eight are merged into one). The packs only grow:
deleting cache/ costs requests, nothing else, while config/ holds the head
that catches a fork. A second run needs no lookup for lines already
verified, and a database that shows a history inconsistent with the one seen
before (a forked log), or serves data that does not hash to its own signed
tree, is a SECURITY ERROR: exit 2 with a message that starts with those
words. Every online run fetches the database's latest signed tree head and
proves it consistent with the saved one, with the go command's, and with
the checkpoint committed with a snapshot (see "The checkpoint"), even when
every lookup is answered from the cache, so a fork is caught in the run
that meets it: a warm run costs about two requests (the tree head, and the
tiles of its consistency proof when the log has grown) and needs the
database. The go command's own sumdb cache (GOMODCACHE/cache/download/sumdb) is
read as a second source of tiles and lookups, and the tree head it saved
(GOPATH/pkg/sumdb/NAME/latest) is checked against the database as a second
witness; neither is ever written. A cached tile or record that does not hash
to the signed tree is first taken for a damaged cache: the check runs again
without the caches, and only a database that misbehaves then too is a
SECURITY ERROR; otherwise the result stands, modseal's cache is rebuilt and
"skipped sumdb-cache" says so. The same holds for any error that cached data
causes (a garbled record in a pack, a malformed record or tree head in the go
command's files): the check is retried without the caches, modseal's own
cache is repaired and the go command's ignored, and what was wrong is said,
never echoed raw. A cache that cannot be written is reported the same way
and costs nothing but requests next time. Credentials in GOPROXY (the whole
user part of the URL, and its query) are never printed, and an entry
without a scheme gets https://, for module downloads and the checksum
database alike.

Lookups run concurrently (48 per --jobs, at most 96), each request with
a timeout and up to two retries, with backoff, on 5xx answers and timeouts.
A database that cannot be reached is an operational failure (exit 2), never
a pass; --offline skips the check and lists it under "skipped".

# Explain

modseal explain MODULE@VERSION [DIR] answers the question a SECURITY ERROR
leaves open: which copy is wrong. It gathers every view of the module
version: the go.sum and go.work.sum lines of the module in DIR, the user's
module cache (.zip and .mod recomputed, .ziphash as recorded, the extracted
directory), modseal's cache, each GOPROXY entry on its own (.zip, .mod and
.info), the checksum database's proved record (with the committed
checkpoint as a witness, as in audit), and, where a proxy's .info names the
repository, ref and commit, what git ls-remote says the ref names now. Each
hash is compared with a reference: the database's record, else what most
proxies serve, else what most views hold.

It prints a table of the views ("=" agrees with the reference, "!" differs)
and one verdict, the first that holds: sumdb-security (the database
misbehaved), tag-moved, sumdb-disagrees (no proxy agrees with the
database), proxy-diverges, gosum-edited, cache-tampered, inconsistent (no
reference decides), consistent. Exit status 0 when the views agree, 1 when
they disagree, 2 when nothing could be asked. --format json writes one
object (schema modseal/explain/v1, docs/explain.md); --offline reads only
go.sum and the caches. explain never writes go.sum, go.mod or GOMODCACHE:
downloads go to a temporary directory in modseal's cache.

modseal audit adds the verdict's one-line summary to each hash-mismatch and
sumdb-mismatch finding (" — explain: ..."), for at most 10 module versions
within 30 seconds; this never changes the findings or the exit status.

# Release check

modseal release check [--tag TAG]... [--all] [--pre-push] [DIR] is for
module authors: it checks the git release tags of the module in DIR against
the checksum database. For each tag it rebuilds the module zip and go.mod
the go command would serve for that version from the tagged commit
(golang.org/x/mod/zip.CreateFromVCS: git archive of the module's directory,
the repository's LICENSE added where the directory has none; the
directory's go.mod, or the go command's synthesised "module PATH" for a
version without one), hashes them, and looks the version up, with proofs,
in the database GOSUMDB names, through the same client, cache and tree-head
checks as audit (the committed checkpoint included). tag-moved (error)
means the database recorded other content: the tag was moved or re-created
after the version was fetched, and the only fix is a new version; when the
proxy's .info names the commit the recorded content came from, the message
says so (unauthenticated: confirm with git). tag-unpublished (note) means
nobody has fetched the version yet. tag-invalid (error) means the tag is no
valid version of the module path.

Tags map to versions as in cmd/go's modfetch/coderepo.go: vX.Y.Z for a
module at the repository root, sub/dir/vX.Y.Z for one in sub/dir; a path
ending in /vN takes only vN tags, its go.mod in its directory or in a vN/
subdirectory; v2 and up of an unsuffixed root module is +incompatible when
the tagged commit has no go.mod. Tags that are not canonical semver, and
tags of the repository's other modules, are ignored. --tag names a tag (or
just its version), --all takes every release tag, --pre-push the tags git
pushes (from the pre-push hook's standard input; deletions are not
checked); with none of them, the release tags at HEAD are checked, or else
the highest one. Findings are placed on go.mod's module line. With
--offline, GOSUMDB=off, or a module GONOSUMDB/GOPRIVATE covers, the
versions are built but not looked up, and the report lists them as
skipped. The report's flags are audit's (--format, --output, --json,
--sarif, --fail-on).

modseal hook install --pre-push [DIR] writes a pre-push hook that runs
"modseal release check --pre-push DIR", so that pushing a moved tag fails
on the author's machine. docs/release-check.md has a release workflow that
checks the tag before publishing and again after asking the proxy for it.

# What the authors say

For every module of the build list, the module proxy is asked for the
module's versions (@v/list; with no tagged version, @latest, else the
newest pseudo-version of @v/list, as the go command picks it) and the
go.mod of the latest one: its retract directives (retracted, with every
rationale that covers the version) and the Deprecated: notice of its module
directive (deprecated). For a pseudo-version, the proxy's .info should give
the timestamp the version carries and, when it reports the origin, a commit
the revision is a prefix of; when it does not, that is origin-mismatch, a
warning: .info is covered by neither go.sum nor the checksum database, the go
command does not check it when it uses a proxy, and mirrors are known to
serve other times. Confirm from version control before acting; the go
command's own refusal of a pseudo-version fetched from version control is
pseudo-version, an error. Findings are placed at the go.mod line that
requires the module, when the main module requires it directly. These
questions are asked afresh on every run (authors retract at any time).

All three are advisory, and degrade: a module the proxy does not answer
about (any status, such as the 403 company proxies give for blocked
modules; a timeout after the retries; a malformed answer) is listed under
"skipped" with the reason, and the audit goes on; a proxy that cannot be
reached at all skips the check with a message that says so. They never cause
exit 2. --offline skips them.

# Settings

insecure-setting flags settings that switch verification off or open it
wide: GOSUMDB=off; GONOSUMDB or GOPRIVATE patterns that cover every owner on
a public code host ("*", "github.com", "github.com/*", "*.com"; matched with
the go command's own matcher); any GOINSECURE (plain HTTP or no certificate
checks for the modules it matches); GOFLAGS with -mod=mod (builds may
rewrite go.mod and go.sum instead of failing), or -insecure (ignored by
current go commands, a sign of intent); a GOPROXY whose first entry is
direct (every module then comes from its origin repository, so a moved tag
or a compromised repository is caught only by go.sum and the checksum
database, and not at all for modules GONOSUMDB or GOPRIVATE cover); and GO
variables that look like one of these but do nothing (GONOSUMCHECK,
GO_NOSUMDB, GOSUMDB_OFF: the message names the real one).

They are read from the environment as "go env" reports it, and from the
files that set them: the go env file (GOENV, which go env -w writes), the
workflows in the repository's .github/workflows (env: at every level, and
run: scripts, $GITHUB_ENV included), and Dockerfiles (ENV, ARG, RUN),
Makefiles (assignments and recipes) and .envrc files in DIR and its
subdirectories and directly in each directory above it up to the git top
level. testdata, vendor, node_modules, hidden directories other than
.github, and directories with a go.mod of their own (audited on their own)
are skipped, as are files over 1 MiB and symbolic links leading out of the
repository; past 1,000 files or 100,000 directory entries the scan stops
and "skipped insecure-setting" says so. Without a git repository, only DIR
is read. Each finding is at the file and line that sets it (JSON: relative
to DIR; SARIF and GitHub annotations: relative to the repository root). A
setting the environment has only because the go env file sets it is
reported once, at that file; outside the repository such a finding has no
file, and its message names the file and line. Files are read, never run:
a value that needs expanding ($VAR, $(cmd), ${{ expr }}) is judged only by
its literal parts, such as the -mod=mod in GOFLAGS="$GOFLAGS -mod=mod".
Dockerfiles with a Windows escape character and PowerShell steps are not
read.

# Snapshots and drift

snapshot writes .modseal/graph.json (or --out FILE), atomically, byte for byte
the same for the same go.mod, go.sum, go.work and sources: schema
"modseal/graph/v1", module (a workspace's module paths, sorted, joined by
","), go, toolchain, graph_digest (the digest of the sorted go mod graph
lines, as go mod graph | LC_ALL=C sort | sha256sum gives it),
content_digest (over the sorted "PATH VERSION H1 GOMODH1" lines of the build
list, "-" for a hash go.sum lacks, main modules left out), modules (the
build list sorted by path: path, version, sum, gomod_sum, indirect, replace,
platforms) and edges. A replaced module carries its replacement's hashes,
which go.sum holds; a module replaced by a directory has none.

platforms lists, for each module, the GOOS/GOARCH pairs (--platforms,
default linux/amd64,darwin/arm64,windows/amd64) for which it provides
packages to the build of --patterns (default ./...; in a workspace, every
workspace module's packages). They come from golang.org/x/tools/go/packages
with names, imports and modules only: nothing is type-checked, compiled or
run (no cgo), so a snapshot is safe to compute on an untrusted pull request.
CGO_ENABLED is the user's, else 1, so the snapshot does not depend on the
machine.

diff compares the current graph with the committed snapshot, --snapshot
FILE, or --base-ref REV: the graph of the tree committed at REV (its Go files,
go.mod, go.sum, go.work, go.work.sum and vendor/modules.txt, and those of
workspace and directory-replace targets), read with git ls-tree and git
archive into a temporary directory and checked against their blob ids; the
working tree and index are never read. Give diff the --patterns and
--platforms the snapshot was made with. audit with a committed snapshot
compares it for the platforms the snapshot covers, with the default
patterns. Drift findings sit at the go.sum line of a changed hash, the
go.mod line requiring a direct dependency, else the module's go.sum line, and
the go.mod (or go.work) line of a go or toolchain change.

A hash that changed in go.sum for a module already in modseal's cache is
refused by the go command itself ("SECURITY ERROR"): diff then exits 2; a
republished module whose go.sum line changed with it is drift-sum-changed.

# The checkpoint

On hosted runners modseal's cache is usually gone, and with it the tree head
that catches a forked checksum database. So an online snapshot also verifies
go.sum against the checksum database (only that check, or the whole audit
with --sign-key) and writes the signed tree head it verified against, as the
database served it, next to the snapshot: .modseal/sumdb-checkpoint. Commit
it with graph.json (which stays byte-for-byte deterministic: the checkpoint
is its own file). audit, and diff with a snapshot file, then prove the
database's latest tree head consistent with the committed checkpoint before
anything else, so a database that shows CI another history than it showed
the developer who made the snapshot is a SECURITY ERROR (exit 2), with an
empty cache and no outside service. The proof costs the tiles of one
consistency proof.

When the database disputes go.sum (sumdb-mismatch, sumdb-missing), snapshot
still writes graph.json but no checkpoint, lists the disputed lines on
stderr and exits 1. When it cannot be reached, or GOSUMDB is off, or every
module is private, no checkpoint is written and stderr says why; the
earlier checkpoint, if any, stays (it is still a tree head the database
showed). An offline snapshot leaves it alone. A checkpoint the current
GOSUMDB did not sign (the database was changed) is not compared, and
"skipped sumdb-checkpoint" says so; one that claims the database's name
but does not verify with its key is exit 2, naming the file: restore it
from git, or run modseal snapshot again. --offline lists the proof as
skipped. A signed snapshot's statement lists the checkpoint as a subject
and records it in its predicate; with --key, that signed checkpoint is a
witness too.

# Signatures

snapshot --sign-key KEY first audits DIR, then writes FILE.sig: a DSSE
envelope (payloadType application/vnd.in-toto+json) of an in-toto Statement
v1 whose subjects are go.mod, go.sum, go.work and go.work.sum where present,
the snapshot, and the checkpoint next to it where present, each with its sha256; predicateType
https://github.com/modseal/modseal/graph/v1; predicate graph_digest,
content_digest, the checksum-database checkpoint the audit verified and the
audit's counts. Keys are PEM ECDSA (P-256 and up), Ed25519 or RSA (2048 bits
and up), or cosign-encrypted keys, whose password is COSIGN_PASSWORD. It is
made and checked with sigstore's signature and dsse packages, in
internal/sign, the only importer of sigstore.

--key PUBKEY on audit and diff requires the signature: it must verify with
the key, cover the snapshot, and every signed file must have the digest it
was signed with (go.mod, go.sum, go.work and go.work.sum must all be signed
when present). Anything wrong is a snapshot-signature finding naming the
file and the have/want digests, a missing snapshot or signature included; a
key that cannot be read is exit 2.

# GitHub Action and pull-request comments

action.yml (composite) checks the runner's Go, installs modseal and runs
"modseal action", its entry point (not listed in "modseal help"; "modseal
help action" describes it). With install-mode release (the default) the
install step runs the release binary that the action's revision pins in its
MODSEAL_PINS table, keyed by the sha256 of its Go source (*.go, go.mod,
go.sum) and the platform, and only if the downloaded archive's sha256 is the
pinned one (a mismatch is exit 2 and nothing runs); a revision no pin names
builds from source with a notice, as install-mode source always does
(docs/release.md). With cache true (the default) the sumdb/ part of
modseal's cache is restored and saved with actions/cache, keyed by the
runner's OS and the hash of go.sum and go.work.sum; modseal runs with
XDG_CACHE_HOME at the restored directory, from which everything but sumdb/
is removed first: sumdb/ is authenticated by the checksum database's
signatures, the rest (the verification cache above all) is not. modseal action reads
the action's inputs from MODSEAL_* variables (MODSEAL_COMMAND,
MODSEAL_WORKING_DIRECTORY, MODSEAL_BASE_REF, MODSEAL_FAIL_ON,
MODSEAL_OFFLINE, MODSEAL_SARIF_FILE, MODSEAL_KEY, MODSEAL_VERIFY_CACHE,
MODSEAL_COMMENT (true, false or on-failure), MODSEAL_GITHUB_TOKEN), checks
them, and runs audit, diff or
snapshot once, in-process, with --format github (and --sarif for the
sarif-file input): the annotations, the job summary, the SARIF file and the
step outputs result, findings, errors, graph-digest, drift and sarif-file,
each written once. A bad input is an error annotation, result=error and exit
2; the exit status is the command's. For diff, a base-ref that is a branch
the checkout lacks is fetched from origin, the token reaching git through a
credential helper that reads it from git's environment: never on a command
line or in .git/config. The token reaches pr-comment and that fetch, and no
other program: the go commands never see it. A sarif-file that is a
symbolic link, or lies under one inside the working directory, is refused
(a pull request can commit one). verify-cache needs no second run for
audit, whose hash check compares the module cache with go.sum anyway; for
diff and snapshot it runs the hash check first, offline, in the same
process, into the same outputs and summary. See README.md for the inputs.

"modseal pr-comment FILE" posts FILE (the job summary)
as one pull-request comment: a hidden marker finds the comment from an
earlier run, which is edited in place. The marker names the command and
directory (<!-- modseal:comment command=audit dir=svc -->; --command, --dir),
so each module of a matrix keeps its own comment; a comment with the keyless
marker of an earlier modseal is taken over by the first run that has no
comment of its own. --update-only edits but never creates: with the
action's comment: on-failure, a failing or erroring run posts or updates
the comment, and a passing run only edits an existing one to the passing
report. It uses GITHUB_TOKEN, GITHUB_API_URL
(GitHub Enterprise works), GITHUB_REPOSITORY and the pull_request event at
GITHUB_EVENT_PATH. A token that cannot write (a fork's pull request), or an
event that is not a pull request, gives a ::notice and exit 0. A workflow
token (ghs_) edits only a comment the bot itself wrote, so nobody can plant
the marker to have their own comment rewritten. The body is capped at 65,536
characters. The token is never printed.

# Output

Text output is for a person: findings sorted by file and line and grouped by
file, as "file:line: rule: message" (warnings and notes say so), the have and
want values indented below, the skipped checks, and a one-line summary.
Colour is used only on a terminal.

JSON output is one object, schema "modseal/report/v1":

	{"schema", "tool": {"name", "version"}, "dir", "module",
	 "findings": [{"rule", "severity", "message", "module", "version", "file", "line", "want", "got"}],
	 "skipped": [{"check", "reason"}],
	 "summary": {"modules", "verified", "errors", "warnings", "notes"},
	 "graph_digest"}

SARIF output (--format sarif) is SARIF 2.1.0 for GitHub code scanning. It
lists one rule per rule id, with help text, its security-severity (critical
for hash-mismatch, sumdb-mismatch and drift-sum-changed; docs/rules.md gives
the scale and the reasons), its precision, and a helpUri into docs/rules.md
at the release's tag. Every result has a region: its file and line; line 1
of the file when no line is known; line 1 of go.mod when no file is (a
setting from the environment); the last line when go mod tidy would add the
line at the end. URIs are relative to the repository root: the git top
level or, when git finds no repository, $GITHUB_WORKSPACE when it holds DIR;
without either, relative to the current directory. So "cd svc && modseal
audit --format sarif ." and "modseal audit --format sarif /abs/svc" both give
svc/go.sum. partialFingerprints.primaryLocationLineHash is modseal's own
fingerprint of what a finding is about (rule, file, module, version, hashes;
for a malformed line its text, spaces aside). It never uses the line number
or the lines around the finding, so adding or removing go.sum lines keeps an
alert open and keeps a dismissal. automationDetails.id is
"modseal/audit/DIR/" ("modseal/diff/DIR/"), DIR relative to the repository
root and left out for the root itself; code scanning uses it as the
category, so each module of a monorepo keeps its own alerts, and it takes
precedence over upload-sarif's category input. driver.semanticVersion is
the version when it is semver. Skipped checks are tool execution
notifications. Unlike govulncheck, the exit status still follows --fail-on.

GitHub output (--format github) writes workflow commands (::error,
::warning, ::notice with file and line relative to the repository root,
escaped as GitHub requires). GitHub shows at most 10 annotations of each
level per step and drops the rest silently, so modseal writes at most 10 of
each, most severe first (tampering first), then one notice "N more
findings: see the job summary"; all skipped checks are listed in one notice.
It appends a Markdown report with every finding to $GITHUB_STEP_SUMMARY, in
the same order; a table longer than 20 rows is folded in <details>, and the
report is kept under 512 KiB, and under GitHub's 1 MiB per step counting
what the step wrote before (rows that do not fit are counted; --json FILE
has them all). It appends the outputs result, findings, errors,
graph-digest and drift to $GITHUB_OUTPUT. The JSON report's "file" stays
relative to DIR.

In JSON, findings and skipped are always arrays; empty finding fields are left out.
"module" joins a workspace's module paths with ",". "graph_digest" is
"sha256:" and the hex SHA-256 of the sorted "go mod graph" lines, each ending
in "\n" (the same as go mod graph | LC_ALL=C sort | sha256sum).

--json FILE and --sarif FILE (audit and diff) also write those views of the
same run, whatever --format is, so one run gives annotations (--format
github), a SARIF upload and a JSON artifact. They are written like --output:
to a temporary file, then renamed; a link to a regular file is followed and
its target replaced; a FIFO or device is written in place; a directory is
refused. --output, --json and --sarif must name different files. When the
run fails (exit 2) the SARIF file is still written, with executionSuccessful
false, no results, and the error as a tool execution notification of level
error, so code scanning never takes a failed run for a clean one. The JSON
file (like --output) is not written then: a report without the checks that
did not run would read as a pass.

# Exit codes

	0  no finding at or above --fail-on
	1  at least one finding at or above --fail-on
	2  usage error or operational failure: DIR is not a module, a file cannot
	   be read, the go command failed for a reason no finding explains

When the go command refuses go.mod or go.sum, see "When the go command
refuses" above. A check that could not run is never reported as passed.
-h, -help or --help on any command, and modseal help, print the usage and
exit 0. A flag modseal does not know is a usage error (exit 2).

# The go command

The go command is the authority on the module graph; modseal runs it
read-only. Every go command modseal starts gets:

  - the user's environment, with GOFLAGS forced to -mod=readonly whatever
    -mod it says (-mod=mod would let the go command rewrite go.mod and
    go.sum; with -mod=vendor the build list cannot be computed, and vendor/
    is checked against the verified module zips instead);
  - GOPATH set to modseal's cache (CACHE/gopath), so the go command's
    checksum-database state lands there: the user's GOPATH/pkg/sumdb, which
    modseal reads as an independent witness, is never written;
  - in a workspace, a temporary copy of go.work and go.work.sum: the go
    command adds the lines it misses to go.work.sum even with -mod=readonly;
  - GOMODCACHE set to modseal's own cache (CACHE/mod), whose real
    directories hold links to the user's .mod, .info and .zip files and
    complete extracted directories of the module versions go.sum lists, and
    a copy of each .ziphash (the go command rewrites that one in place).
    The go command's lock files, temporary files and downloads land in
    modseal's directories, never through a link, so it never writes to the
    user's module cache; what the user's cache lacks comes through it as a
    read-only file:// proxy in front of GOPROXY, into modseal's cache. The
    first audit of a project therefore copies nothing (modseal's cache holds
    2 to 3% of the zips' size afterwards). Files in modseal's cache are
    writable (-modcacherw), so rm -rf of the cache directory removes it.

modseal never writes go.mod, go.sum, go.work, vendor/ or the user's module
cache. The files it writes itself (--output, --json, --sarif) are written to a temporary file
and renamed.

# Offline

With --offline the go command gets GOPROXY=off behind the user's module cache
(a file:// proxy, which is not the network) and GOSUMDB=off, so that nothing
reaches the network. Checks that need a module found in neither cache are
listed under "skipped" with the reason. A module go.sum lacks is then
reported as gosum-missing with the hash from the user's module cache,
unchecked against the checksum database.

# Hostile input

Text from outside modseal (deprecation notices, retraction rationales, file
names, module paths, the go command's and servers' messages) is printed
safely: in text output and on standard error control characters are
visible escapes (\x1b, \u202e) and a line break in one field is \n, so a
line cannot start a GitHub Actions workflow command (nor hold a legacy
"##[" one); in --format github line breaks are encoded as the runner
requires; in the job summary and pull-request comment such text is shown
in code spans, so it adds no links, HTML or @mentions. JSON and SARIF keep
the text exactly (JSON-escaped). Files from outside are read with a bound
(64 MiB; a go.mod from the module cache, the go command's 16 MiB), a
directory replacement with a control character is refused when a snapshot
is made, and --output, --json and --sarif follow a link to a regular file
(replacing its target atomically) and write through to anything else (/dev/stdout, a
pipe): when auditing an untrusted pull request, write reports outside its
checkout. docs/security.md has the whole list.

# Limitations

  - modseal processes sharing a cache directory take turns updating the
    checksum database's latest tree head through a lock on
    config/NAME/latest.lock (github.com/rogpeppe/go-internal/lockedfile:
    flock, or LockFileEx on Windows), waiting at most 20 s, the request
    timeout, for a process that holds it. Pack files are safe to share
    everywhere: each run writes its own, and a merge removes only the packs
    it read.
  - Only the user's module cache's extracted directories are hashed;
    modseal's own cache (the go command's scratch space for tidy) is not.
  - The go commands of an audit run while the hash check runs, so when the
    user's cache holds a tampered module directory, go mod tidy first reads
    it through its link; once the hash check has found it, tidy is asked
    again with that module fetched afresh (checked against go.sum) and
    without the go command's module index of it. That index (in GOCACHE),
    made from the tampered directory, can outlive a repair of the user's
    cache: a later audit's gosum-missing and gosum-unused findings may then
    be wrong until GOCACHE is cleaned (go clean -cache).
  - Modules of the build list that no go.sum line names (the go command,
    pruning the graph, never loads their content) are counted among the
    modules but not among the hash-verified ones.
  - In a workspace, per-module go mod tidy ignores go.work: a module that
    imports a workspace sibling it does not require cannot be tidied on its
    own, and its gosum-unused check is listed under "skipped"; the lines the
    workspace needs are computed in workspace mode (gosum-missing on
    go.work.sum). go.sum lines are computed for the current GOOS/GOARCH and
    for tests; lines only other platforms need come from per-module tidy.
  - The snapshot records neither --patterns nor --platforms; diff must be
    given the ones the snapshot was made with.
  - Modules matched by GONOPROXY/GOPRIVATE are fetched the way the go command
    fetches them (directly from version control) when they are missing from
    modseal's cache, because the user's cache cannot be offered to the go
    command for them without sending their paths to the public proxy.
  - "go env" is asked with GOTOOLCHAIN=local, so that asking never downloads
    a toolchain; the go commands that follow use the user's GOTOOLCHAIN.

# Layout

One concept per package; the folder names are the architecture.

	verify/                   public library, standard library and golang.org/x/mod only:
	                          findings and the report model (finding.go), the one rule
	                          catalogue (rules.go), go.sum, go.mod, go.work, versions,
	                          origins, settings, h1 hashes and the module hash check
	                          (hash.go, modcheck.go), the checksum-database check over a
	                          one-method lookup (sumdb*.go), vendor/ (vendor*.go)
	verify/internal/modulestxt  vendor/modules.txt as the go command reads it
	verify/internal/gobuild     imports, build constraints, //go:embed (go mod vendor's questions)
	verify/internal/modtree     a module's files from a checked zip or a directory: fs.FS, sums, h1
	graph/                    public library: what the go command says (env, build list,
	                          graph, tidy, platforms), snapshots and drift
	internal/audit            the orchestrator: load.go reads go.work/go.mod/go.sum once,
	                          run.go runs the checks concurrently and concludes;
	                          failures.go and triage.go are pure, table-tested
	internal/explain          every view of one module version, and the verdict (explain)
	internal/release          release tags rebuilt as the go command would (release check)
	internal/envscan          GO settings assigned in workflows, Dockerfiles, Makefiles,
	                          .envrc and go env files (insecure-setting where it is set)
	internal/sumdbops         the checksum database's I/O (sumdb.ClientOps): HTTP through
	                          modproxy, the pack cache, locks, the persisted tree head
	internal/modproxy         the one GOPROXY parser, walker and redactor; module downloads
	internal/cli              the commands; errors.go alone decides exit codes; action.go is
	                          the GitHub Action's entry point
	internal/report           renderers of a verify.Report: text, json, sarif, github, drift;
	                          report/sanitize makes outside text safe to show
	internal/gitrev           a git revision's module files (diff --base-ref, audit --changed)
	internal/ghcomment        the sticky pull-request comment (the only importer of go-github)
	internal/sign             DSSE signatures (the only importer of sigstore)
	internal/gocmd            the only place that runs a program (the go command, git)
	internal/atomicfile       writing a file through a temporary file and a rename
	internal/testproxy        test-only module proxy built from testdata/mod

all_test.go enforces the layering: verify and graph never reach, even
transitively, sigstore, go-github or modseal's internal packages (other
than verify/internal, and internal/gocmd for graph, which imports only the
standard library).
*/
package main
