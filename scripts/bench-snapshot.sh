#!/usr/bin/env bash
# bench-snapshot.sh: `modseal snapshot` against the go commands it stands
# for, on a real project with its sources.
#
# Usage (from anywhere inside the repository):
#
#	scripts/bench-snapshot.sh
#	BENCH_ROUNDS=3 BENCH_PROJECT=github.com/prometheus/prometheus@v0.316.0 scripts/bench-snapshot.sh
#
# What it does:
#
#  1. Builds modseal once (go build -trimpath) from the work tree.
#  2. Prepares the project (once per BENCH_DIR): downloads the module zip of
#     BENCH_PROJECT, copies the whole extracted module (go.mod, go.sum and
#     every source file) to BENCH_DIR/project, and fills a dedicated module
#     cache, BENCH_DIR/modcache, by running the baseline and go list -m
#     -json all once with the network. The upstream go.sum is used as it is.
#  3. Warms up each command once, not timed for the results: the page cache
#     for all, and for modseal its own cache dir (BENCH_DIR/modseal-cache,
#     kept between invocations), where its go commands extract the modules
#     they need (from BENCH_DIR/modcache, which modseal reads as a file://
#     proxy).
#  4. Runs BENCH_ROUNDS interleaved rounds (they alternate because this VM
#     evicts file pages left idle for about a minute); each round runs:
#	A  go mod graph; then go list -e -deps ./... once per platform, one after the other
#	B  modseal snapshot --offline (platforms listed concurrently, --jobs = GOMAXPROCS)
#	C  modseal snapshot --offline --jobs 1 (one platform at a time)
#     under GNU time (wall seconds, max RSS, user + system CPU seconds).
#     The platforms are modseal's defaults: linux/amd64, darwin/arm64,
#     windows/amd64. -e: go list stops at the first package error otherwise
#     (a module zip lacks what go:embed patterns name when those files are
#     generated), and go/packages passes -e too.
#  5. Prints every round, the medians and PASS/FAIL for the target
#	median(B/A) <= 1.5
#     C/A is shown to justify the concurrency (not a target).
#
# Every snapshot must be byte-for-byte the first one, and its graph_digest
# must be `go mod graph | LC_ALL=C sort | sha256sum`: otherwise the
# benchmark is invalid (exit 2).
#
# All commands run in BENCH_DIR/project with GOMODCACHE=BENCH_DIR/modcache
# GOFLAGS=-mod=readonly GOPROXY=off GOTOOLCHAIN=local GOWORK=off
# CGO_ENABLED=1 (modseal's own choice when CGO_ENABLED is unset, set here so
# the go list of A lists the same packages).
#
# Environment:
#
#	BENCH_PROJECT  module@version (default github.com/prometheus/prometheus@v0.316.0:
#	               several hundred modules); its go line must be <= the local go.
#	BENCH_DIR      where the project and its module cache live (default
#	               ${TMPDIR:-/tmp}/modseal-bench-snapshot/<project>); reused when
#	               prepared. rm -rf it (chmod -R u+w first) to start over.
#	BENCH_ROUNDS   measured rounds (default 5).
#
# Needs go, the module proxy for the preparation only, GNU time at
# /usr/bin/time. Exit status: 0 the target passed, 1 it failed, 2 the
# benchmark could not run or was invalid.

set -euo pipefail
export LC_ALL=C

die() {
	echo "bench-snapshot: $*" >&2
	exit 2
}

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH_PROJECT=${BENCH_PROJECT:-github.com/prometheus/prometheus@v0.316.0}
BENCH_ROUNDS=${BENCH_ROUNDS:-5}
case $BENCH_PROJECT in
*@v*) ;;
*) die "BENCH_PROJECT must be module@version, got $BENCH_PROJECT" ;;
esac
[[ $BENCH_ROUNDS =~ ^[1-9][0-9]*$ ]] || die "BENCH_ROUNDS must be a positive integer, got $BENCH_ROUNDS"
BENCH_DIR=${BENCH_DIR:-${TMPDIR:-/tmp}/modseal-bench-snapshot/$(printf '%s' "$BENCH_PROJECT" | tr '/@' '__')}
mkdir -p "$BENCH_DIR"
BENCH_DIR=$(cd "$BENCH_DIR" && pwd)
PROJECT=$BENCH_DIR/project
MODCACHE=$BENCH_DIR/modcache
WORK=$BENCH_DIR/work
READY=$BENCH_DIR/ready
PLATFORMS=(linux/amd64 darwin/arm64 windows/amd64)

[[ -x /usr/bin/time ]] || die "GNU time is needed at /usr/bin/time (apt-get install time)"

BASEENV=(GOMODCACHE="$MODCACHE" GOFLAGS=-mod=readonly GOTOOLCHAIN=local GOWORK=off CGO_ENABLED=1)
RUNENV=("${BASEENV[@]}" GOPROXY=off)

# baseline: command A (with the environment of the caller).
baseline() {
	go mod graph >/dev/null
	local p
	for p in "${PLATFORMS[@]}"; do
		GOOS=${p%/*} GOARCH=${p#*/} go list -e -deps ./... >/dev/null
	done
}

# 1. Build.
rm -rf "$WORK"
mkdir -p "$WORK/logs"
MODSEAL=$WORK/modseal
REVLABEL="work tree $REPO"
if rev=$(git -C "$REPO" rev-parse HEAD 2>/dev/null); then
	REVLABEL="work tree at commit $rev"
	[[ -z $(git -C "$REPO" status --porcelain 2>/dev/null) ]] || REVLABEL+=" with uncommitted changes"
fi
echo "bench-snapshot: building modseal ($REVLABEL)"
(cd "$REPO" && go build -trimpath -o "$MODSEAL" ./cmd/modseal)

# 2. Prepare.
if [[ -f $READY && $(cat "$READY") == "$BENCH_PROJECT" ]]; then
	echo "bench-snapshot: reusing $BENCH_DIR ($BENCH_PROJECT)"
else
	if [[ -e $READY || -e $PROJECT ]]; then
		die "$BENCH_DIR holds a partial or different project; remove it (chmod -R u+w $BENCH_DIR && rm -rf $BENCH_DIR) or set another BENCH_DIR"
	fi
	echo "bench-snapshot: preparing $BENCH_PROJECT in $BENCH_DIR"
	localgo=$(go env GOVERSION)
	localgo=${localgo#go}
	tmpcache=$(mktemp -d "$BENCH_DIR/dl.XXXXXX")
	info=$(env GOMODCACHE="$tmpcache" GOFLAGS= GOTOOLCHAIN=local GOWORK=off go mod download -json "$BENCH_PROJECT") ||
		die "go mod download $BENCH_PROJECT failed: $info"
	dir=$(printf '%s\n' "$info" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')
	[[ -n $dir && -f $dir/go.mod && -f $dir/go.sum ]] || die "no extracted directory with go.mod and go.sum for $BENCH_PROJECT: $info"
	gover=$(awk '$1 == "go" { print $2; exit }' "$dir/go.mod")
	if [[ -n $gover && $(printf '%s\n%s\n' "$gover" "$localgo" | sort -V | tail -1) != "$localgo" ]]; then
		die "$BENCH_PROJECT needs go $gover, newer than the local go $localgo (GOTOOLCHAIN=local): pick another version"
	fi
	mkdir -p "$PROJECT"
	cp -R "$dir/." "$PROJECT/"
	chmod -R u+w "$PROJECT"
	env GOMODCACHE="$tmpcache" GOFLAGS= go clean -modcache
	rm -rf "$tmpcache"
	echo "bench-snapshot: filling the module cache (go $gover project; this takes a while)"
	(cd "$PROJECT" && env "${BASEENV[@]}" bash -c "$(declare -p PLATFORMS); $(declare -f baseline); baseline")
	# modseal also lists the build list (go list -m -json all), which needs
	# the .info and go.mod files of modules the baseline never reads.
	(cd "$PROJECT" && env "${BASEENV[@]}" go list -m -json all >/dev/null)
	printf '%s\n' "$BENCH_PROJECT" >"$READY"
fi

nmods=$(cd "$PROJECT" && env "${RUNENV[@]}" go list -m all | wc -l)
nedges=$(cd "$PROJECT" && env "${RUNENV[@]}" go mod graph | wc -l)
ngo=$(find "$PROJECT" -name '*.go' | wc -l)
want_digest="sha256:$(cd "$PROJECT" && env "${RUNENV[@]}" go mod graph | sort | sha256sum | cut -d' ' -f1)"
gosumsha=$(sha256sum <"$PROJECT/go.sum")
CACHEDIR=$BENCH_DIR/modseal-cache

cat <<EOF

machine   $(nproc) cores, $(free -g | awk '/^Mem:/ { print $2 }') GiB, $(go version)
modseal   $REVLABEL
project   $BENCH_PROJECT: $nmods modules in go list -m all (main included), $nedges go mod graph edges, $ngo .go files
dir       $PROJECT
env       ${RUNENV[*]}
A         go mod graph; go list -e -deps ./... for each of ${PLATFORMS[*]}
B         modseal snapshot --offline --cache-dir BENCH_DIR/modseal-cache --out WORK/logs/NAME.json
C         B with --jobs 1
rounds    $BENCH_ROUNDS (interleaved A B C)

EOF

FIRST=
# run NAME LOG: runs command NAME under GNU time in the project, output to
# LOG; sets WALL (s), RSS (KiB) and CPU (user + system s).
run() {
	local name=$1 log=$2 rc=0 cmd
	case $name in
	A) cmd=(bash -c "$(declare -p PLATFORMS); $(declare -f baseline); baseline") ;;
	B) cmd=("$MODSEAL" snapshot --offline --cache-dir "$CACHEDIR" --out "$log.json") ;;
	C) cmd=("$MODSEAL" snapshot --offline --cache-dir "$CACHEDIR" --jobs 1 --out "$log.json") ;;
	esac
	(cd "$PROJECT" && env "${RUNENV[@]}" /usr/bin/time -f '%e %M %U %S' -o "$log.time" "${cmd[@]}") >"$log" 2>&1 || rc=$?
	if [[ $rc != 0 ]]; then
		echo "bench-snapshot: INVALID: $name (${cmd[*]}) exited $rc; its output:" >&2
		cat "$log" >&2
		exit 2
	fi
	if [[ $name != A ]]; then
		grep -q "\"graph_digest\": \"$want_digest\"" "$log.json" ||
			die "INVALID: $name: graph_digest is not go mod graph | sort | sha256sum ($want_digest)"
		if [[ -z $FIRST ]]; then
			FIRST=$log.json
		else
			cmp -s "$FIRST" "$log.json" || die "INVALID: $name: $log.json differs from $FIRST: the snapshot is not deterministic"
		fi
	fi
	local user sys
	read -r WALL RSS user sys <"$log.time"
	CPU=$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')
	[[ $(sha256sum <"$PROJECT/go.sum") == "$gosumsha" ]] || die "INVALID: go.sum changed during $name"
}

# 3. Warm-up.
echo "warm-up (not in the results):"
for name in A B C; do
	run "$name" "$WORK/logs/warmup-$name.out"
	printf '  %s  %6.2f s  %6.1f MiB  %6.2f s cpu\n' "$name" "$WALL" "$(awk -v k="$RSS" 'BEGIN { print k / 1024 }')" "$CPU"
done
echo "  $(cat "$WORK/logs/warmup-B.out")"
nplat=$(grep -c '"linux/amd64"' "$FIRST" || true)
echo "  modules providing packages on linux/amd64 (main included): $nplat"
echo

# 4. Measured rounds. rounds.tsv: round, load, then wall s, RSS KiB, CPU s of A, B, C.
TSV=$WORK/rounds.tsv
printf 'round\tload\tA_wall\tA_rss\tA_cpu\tB_wall\tB_rss\tB_cpu\tC_wall\tC_rss\tC_cpu\n' >"$TSV"
FMT='%5s %5s | %7s %6s %6s | %7s %6s %6s | %7s %6s %6s | %6s %6s\n'
# shellcheck disable=SC2059
printf "$FMT" round load 'A s' MiB cpu 'B s' MiB cpu 'C s' MiB cpu B/A C/A
row() { # row LABEL LOAD AW AR AC BW BR BC CW CR CC B/A C/A
	awk -v f="$FMT" -v l="$1" -v ld="$2" -v aw="$3" -v ar="$4" -v ac="$5" -v bw="$6" -v br="$7" -v bc="$8" -v cw="$9" -v cr="${10}" -v cc="${11}" -v rb="${12}" -v rc="${13}" 'BEGIN {
		printf f, l, ld, sprintf("%.2f", aw), sprintf("%.1f", ar / 1024), sprintf("%.2f", ac),
			sprintf("%.2f", bw), sprintf("%.1f", br / 1024), sprintf("%.2f", bc),
			sprintf("%.2f", cw), sprintf("%.1f", cr / 1024), sprintf("%.2f", cc),
			sprintf("%.3f", rb), sprintf("%.3f", rc)
	}'
}
for ((r = 1; r <= BENCH_ROUNDS; r++)); do
	load=$(cut -d' ' -f1 /proc/loadavg)
	line=$r$'\t'$load
	vals=()
	for name in A B C; do
		run "$name" "$WORK/logs/round$r-$name.out"
		line+=$'\t'"$WALL"$'\t'"$RSS"$'\t'"$CPU"
		vals+=("$WALL" "$RSS" "$CPU")
	done
	printf '%s\n' "$line" >>"$TSV"
	row "$r" "$load" "${vals[@]}" \
		"$(awk -v a="${vals[0]}" -v b="${vals[3]}" 'BEGIN { print b / a }')" \
		"$(awk -v a="${vals[0]}" -v c="${vals[6]}" 'BEGIN { print c / a }')"
done

# 5. Medians and the target.
median() { # median EXPR: the median over the rounds of an awk expression of rounds.tsv's columns
	awk -F'\t' "NR > 1 { print $1 }" "$TSV" | sort -g |
		awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
# shellcheck disable=SC2016 # awk expressions
rB=$(median '$6/$3') rC=$(median '$9/$3')
# shellcheck disable=SC2016
row med "$(median '$2')" "$(median '$3')" "$(median '$4')" "$(median '$5')" "$(median '$6')" "$(median '$7')" "$(median '$8')" \
	"$(median '$9')" "$(median '$10')" "$(median '$11')" "$rB" "$rC"
echo "(ratio medians are medians of the per-round ratios; cpu = user + system seconds)"
echo
fail=0
if awk -v v="$rB" 'BEGIN { exit !(v <= 1.5) }'; then
	echo "PASS snapshot: median wall ratio B/A $(printf '%.3f' "$rB") (target <= 1.5); --jobs 1: C/A $(printf '%.3f' "$rC")"
else
	echo "FAIL snapshot: median wall ratio B/A $(printf '%.3f' "$rB") (target <= 1.5); --jobs 1: C/A $(printf '%.3f' "$rC")"
	fail=1
fi
echo
echo "rounds: $TSV; outputs: $WORK/logs"
exit "$fail"
