#!/usr/bin/env bash
# bench-hash.sh: hash verification, `modseal audit` against `go mod verify`,
# on a real project's module graph.
#
# Usage (from anywhere inside the repository):
#
#	scripts/bench-hash.sh
#	BENCH_ROUNDS=3 BENCH_REV=HEAD scripts/bench-hash.sh
#
# What it does:
#
#  1. Builds modseal once: go build -trimpath -o $WORK/modseal ./cmd/modseal,
#     from the work tree (or from the commit BENCH_REV).
#  2. Prepares the project (once per BENCH_DIR): downloads the module zip of
#     BENCH_PROJECT into a temporary GOMODCACHE, copies its go.mod and go.sum
#     into BENCH_DIR/project, and fills a dedicated module cache,
#     BENCH_DIR/modcache, with `go mod download all` (zips and extracted
#     directories). `go mod download all` also adds to go.sum the zip hashes
#     of the build-list modules the upstream go.sum has none for (go mod tidy
#     keeps zip hashes only for modules that provide packages): that go.sum
#     is kept, so that modseal hashes the same zips and directories go mod
#     verify hashes. The upstream go.sum
#     is kept as BENCH_DIR/go.sum.upstream. It prints the module count
#     (`go list -m all | wc -l`, main module included), the zip bytes and
#     the number of extracted files.
#  3. Warms up each command once (not timed for the results). The first
#     modseal run fills modseal's own cache dir (WORK/modseal-cache: the go
#     command's .mod files and the verification cache, verified/).
#  4. Runs BENCH_ROUNDS interleaved rounds; each round runs, in this order:
#	A  go mod verify
#	B  modseal audit --skip gosum-missing,gosum-unused --offline --no-cache   (cold: every zip inflated)
#	C  modseal audit --skip gosum-missing,gosum-unused --offline              (warm verification cache)
#     each under GNU time (wall seconds, max RSS, and user + system CPU
#     seconds, which are shown but are no target). The commands alternate
#     because this VM evicts file pages left idle for about a minute: long
#     blocks of one command would measure the disk for the next one.
#  5. Prints every round, the medians, the ratios B/A and C/A per round and
#     their medians, and PASS/FAIL for each target:
#	cold  median(B/A) <= 0.85
#	warm  median(C/A) <= 0.35
#	RSS   every modseal run (warm-up included) <= 100 MiB
#
# All commands run in BENCH_DIR/project with the same environment:
# GOMODCACHE=BENCH_DIR/modcache GOFLAGS= GOPROXY=off GOTOOLCHAIN=local
# GOWORK=off. modseal reads that module cache read-only (it puts it in front
# of GOPROXY as a file:// proxy for its own go commands), so GOPROXY=off
# means neither command touches the network while measured. --offline
# leaves out modseal's network checks (checksum database, retractions,
# deprecations, pseudo-version origins): go mod verify does none of them,
# and this benchmark measures hash verification. The go commands and the
# hash check run exactly as without it, since every file is in the module
# cache. The default --jobs (GOMAXPROCS) is used unless BENCH_JOBS is set. A
# modseal run that exits non-zero or prints a "skipped hash" line makes the
# benchmark invalid: the script prints the output and fails. So does a
# go.sum that changed during the runs.
#
# Environment:
#
#	BENCH_PROJECT  module@version to benchmark (default github.com/prometheus/prometheus@v0.316.0).
#	               Its go.mod's go line must be <= the local go version
#	               (GOTOOLCHAIN=local), and it must not replace modules by directories.
#	BENCH_DIR      where the project and its module cache live (default
#	               ${TMPDIR:-/tmp}/modseal-bench-hash/<project>); reused when
#	               already prepared, so a second invocation skips the download
#	               (about 2 GiB and a minute for prometheus). rm -rf it to start over.
#	BENCH_ROUNDS   measured rounds (default 7).
#	BENCH_JOBS     pass --jobs N to modseal (default: modseal's default, GOMAXPROCS).
#	BENCH_REV      build modseal from this commit (git archive) instead of the work tree.
#	BENCH_NICE     run every measured command under nice -n BENCH_NICE (a negative
#	               value needs root). On a machine shared with other work, such as
#	               a developer VM where others compile and test, -20 keeps their
#	               load from dominating the figures (-10 is not enough against a
#	               load of 10 on 2 cores). Both commands get the same.
#
# Needs: go (the version go.mod asks for), the module proxy for the
# preparation only, GNU time at /usr/bin/time (installed with apt-get if
# missing and running as root). Exit status: 0 every target passed, 1 a
# target failed, 2 the benchmark could not run or was invalid.
#
# Files: WORK=BENCH_DIR/work is recreated on every invocation and holds the
# binary, modseal's cache dir, each run's output (logs/) and rounds.tsv.

set -euo pipefail
export LC_ALL=C

die() {
	echo "bench-hash: $*" >&2
	exit 2
}

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH_PROJECT=${BENCH_PROJECT:-github.com/prometheus/prometheus@v0.316.0}
BENCH_ROUNDS=${BENCH_ROUNDS:-7}
BENCH_JOBS=${BENCH_JOBS:-}
BENCH_REV=${BENCH_REV:-}
BENCH_NICE=${BENCH_NICE:-}
[[ -z $BENCH_NICE || $BENCH_NICE =~ ^-?[0-9]+$ ]] || die "BENCH_NICE must be an integer, got $BENCH_NICE"
case $BENCH_PROJECT in
*@v*) ;;
*) die "BENCH_PROJECT must be module@version, got $BENCH_PROJECT" ;;
esac
[[ $BENCH_ROUNDS =~ ^[1-9][0-9]*$ ]] || die "BENCH_ROUNDS must be a positive integer, got $BENCH_ROUNDS"
[[ -z $BENCH_JOBS || $BENCH_JOBS =~ ^[1-9][0-9]*$ ]] || die "BENCH_JOBS must be a positive integer, got $BENCH_JOBS"
BENCH_DIR=${BENCH_DIR:-${TMPDIR:-/tmp}/modseal-bench-hash/$(printf '%s' "$BENCH_PROJECT" | tr '/@' '__')}
mkdir -p "$BENCH_DIR"
BENCH_DIR=$(cd "$BENCH_DIR" && pwd)
PROJECT=$BENCH_DIR/project
MODCACHE=$BENCH_DIR/modcache
WORK=$BENCH_DIR/work
READY=$BENCH_DIR/ready

if [[ ! -x /usr/bin/time ]]; then
	if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
		echo "bench-hash: installing GNU time"
		apt-get install -y time >/dev/null || { apt-get update >/dev/null && apt-get install -y time >/dev/null; }
	fi
	[[ -x /usr/bin/time ]] || die "GNU time is needed at /usr/bin/time (apt-get install time)"
fi

# The environment of every measured command (and of the preparation, with
# the real GOPROXY instead of off).
RUNENV=(GOMODCACHE="$MODCACHE" GOFLAGS= GOPROXY=off GOTOOLCHAIN=local GOWORK=off)

# 1. Build.
rm -rf "$WORK"
mkdir -p "$WORK/logs"
MODSEAL=$WORK/modseal
if [[ -n $BENCH_REV ]]; then
	rev=$(git -C "$REPO" rev-parse --verify "$BENCH_REV^{commit}") || die "BENCH_REV $BENCH_REV is not a commit"
	REVLABEL="commit $rev"
	mkdir -p "$WORK/src"
	git -C "$REPO" archive --format=tar "$rev" | tar -x -C "$WORK/src"
	SRC=$WORK/src
else
	SRC=$REPO
	if rev=$(git -C "$REPO" rev-parse HEAD 2>/dev/null); then
		REVLABEL="work tree at commit $rev"
		[[ -z $(git -C "$REPO" status --porcelain 2>/dev/null) ]] || REVLABEL+=" with uncommitted changes"
	else
		REVLABEL="work tree $REPO"
	fi
fi
echo "bench-hash: building modseal ($REVLABEL)"
(cd "$SRC" && go build -trimpath -o "$MODSEAL" ./cmd/modseal) || die "go build failed"

# 2. Prepare the project, unless BENCH_DIR already holds it.
if [[ -f $READY && $(cat "$READY") == "$BENCH_PROJECT" ]]; then
	echo "bench-hash: reusing $BENCH_DIR ($BENCH_PROJECT)"
else
	if [[ -e $READY || -e $PROJECT ]]; then
		die "$BENCH_DIR holds a partial or different project ($(cat "$READY" 2>/dev/null || echo unfinished)); remove it (chmod -R u+w $BENCH_DIR && rm -rf $BENCH_DIR) or set another BENCH_DIR"
	fi
	echo "bench-hash: preparing $BENCH_PROJECT in $BENCH_DIR"
	localgo=$(go env GOVERSION)
	localgo=${localgo#go}
	tmpcache=$(mktemp -d "$BENCH_DIR/dl.XXXXXX")
	info=$(env GOMODCACHE="$tmpcache" GOFLAGS= GOTOOLCHAIN=local GOWORK=off go mod download -json "$BENCH_PROJECT") ||
		die "go mod download $BENCH_PROJECT failed: $info"
	dir=$(printf '%s\n' "$info" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')
	[[ -n $dir && -f $dir/go.mod ]] || die "no extracted directory with a go.mod for $BENCH_PROJECT: $info"
	[[ -f $dir/go.sum ]] || die "$BENCH_PROJECT has no go.sum"
	gover=$(awk '$1 == "go" { print $2; exit }' "$dir/go.mod")
	if [[ -n $gover && $(printf '%s\n%s\n' "$gover" "$localgo" | sort -V | tail -1) != "$localgo" ]]; then
		die "$BENCH_PROJECT needs go $gover, newer than the local go $localgo (GOTOOLCHAIN=local): pick another version"
	fi
	mkdir -p "$PROJECT"
	cp "$dir/go.mod" "$dir/go.sum" "$PROJECT/"
	cp "$dir/go.sum" "$BENCH_DIR/go.sum.upstream"
	chmod u+w "$PROJECT/go.mod" "$PROJECT/go.sum" "$BENCH_DIR/go.sum.upstream"
	env GOMODCACHE="$tmpcache" GOFLAGS= go clean -modcache
	rm -rf "$tmpcache"
	echo "bench-hash: go mod download all (go $gover project; this takes a while)"
	(cd "$PROJECT" && env GOMODCACHE="$MODCACHE" GOFLAGS= GOTOOLCHAIN=local GOWORK=off go mod download all) ||
		die "go mod download all failed; remove $BENCH_DIR (chmod -R u+w first) before trying again"
	printf '%s\n' "$BENCH_PROJECT" >"$READY"
fi

mods=$(cd "$PROJECT" && env "${RUNENV[@]}" go list -m all) || die "go list -m all failed in $PROJECT"
nmods=$(printf '%s\n' "$mods" | wc -l)
read -r nzips zipbytes < <(find "$MODCACHE/cache/download" -name '*.zip' -type f -printf '%s\n' | awk '{ n++; s += $1 } END { printf "%d %d\n", n, s }')
read -r nfiles filebytes < <(find "$MODCACHE" -path "$MODCACHE/cache" -prune -o -type f -printf '%s\n' | awk '{ n++; s += $1 } END { printf "%d %d\n", n, s }')

zipsums() { awk '$2 !~ /\/go\.mod$/ && $3 ~ /^h1:/' "$1" | wc -l; }
sumlines="$(wc -l <"$PROJECT/go.sum") lines, $(zipsums "$PROJECT/go.sum") zip hashes"
[[ -f $BENCH_DIR/go.sum.upstream ]] && sumlines+=" (upstream: $(wc -l <"$BENCH_DIR/go.sum.upstream") lines, $(zipsums "$BENCH_DIR/go.sum.upstream") zip hashes)"
gosumsha=$(sha256sum <"$PROJECT/go.sum")

NICE=()
[[ -n $BENCH_NICE ]] && NICE=(nice -n "$BENCH_NICE")
JOBSFLAG=()
[[ -n $BENCH_JOBS ]] && JOBSFLAG=(--jobs "$BENCH_JOBS")
CACHEDIR=$WORK/modseal-cache
CMD_A=(go mod verify)
SKIP=gosum-missing,gosum-unused
CMD_B=("$MODSEAL" audit --skip "$SKIP" --offline --cache-dir "$CACHEDIR" "${JOBSFLAG[@]}" --no-cache)
CMD_C=("$MODSEAL" audit --skip "$SKIP" --offline --cache-dir "$CACHEDIR" "${JOBSFLAG[@]}")

cat <<EOF

machine   $(nproc) cores, $(free -g | awk '/^Mem:/ { print $2 }') GiB, $(go version)
modseal   $REVLABEL
project   $BENCH_PROJECT: $nmods modules in go list -m all (main included)
go.sum    $sumlines
zips      $nzips zips, $zipbytes bytes ($(awk -v b="$zipbytes" 'BEGIN { printf "%.1f", b / 1048576 }') MiB)
extracted $nfiles files, $filebytes bytes ($(awk -v b="$filebytes" 'BEGIN { printf "%.1f", b / 1048576 }') MiB)
dir       $PROJECT
env       ${RUNENV[*]}${BENCH_NICE:+ (under nice -n $BENCH_NICE)}
A         ${CMD_A[*]}
B         ${CMD_B[*]}
C         ${CMD_C[*]}
rounds    $BENCH_ROUNDS (interleaved A B C)

EOF

# run NAME LOG: runs command NAME (A, B or C) under GNU time in the
# project, output to LOG; sets WALL (s), RSS (max, KiB) and CPU (user +
# system s). An invalid run fails the benchmark.
run() {
	local name=$1 log=$2 rc=0 cmd
	case $name in
	A) cmd=("${CMD_A[@]}") ;;
	B) cmd=("${CMD_B[@]}") ;;
	C) cmd=("${CMD_C[@]}") ;;
	esac
	(cd "$PROJECT" && env "${RUNENV[@]}" "${NICE[@]}" /usr/bin/time -f '%e %M %U %S' -o "$log.time" "${cmd[@]}") >"$log" 2>&1 || rc=$?
	local why=""
	if [[ $rc != 0 ]]; then
		why="exited $rc"
	elif [[ $name == A ]] && ! grep -q '^all modules verified$' "$log"; then
		why="did not print 'all modules verified'"
	elif [[ $name != A ]] && grep -q '^skipped hash' "$log"; then
		why="did not verify every module it should (skipped hash)"
	fi
	if [[ -n $why ]]; then
		echo "bench-hash: INVALID: $name (${cmd[*]}) $why; its output:" >&2
		cat "$log" >&2
		exit 2
	fi
	local user sys
	read -r WALL RSS user sys <"$log.time"
	CPU=$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')
	[[ $(sha256sum <"$PROJECT/go.sum") == "$gosumsha" ]] || die "INVALID: go.sum changed during $name (${cmd[*]})"
}

# peak NAME: the largest RSS of a modseal run so far.
PEAK_RSS=0
peak() {
	if [[ $1 != A ]] && ((RSS > PEAK_RSS)); then
		PEAK_RSS=$RSS
	fi
}

# 3. Warm-up: the page cache for both, modseal's cache dir for modseal.
echo "warm-up (not in the results):"
for name in A C B; do
	run "$name" "$WORK/logs/warmup-$name.out"
	printf '  %s  %6.2f s  %6.1f MiB  %6.2f s cpu\n' "$name" "$WALL" "$(awk -v k="$RSS" 'BEGIN { print k / 1024 }')" "$CPU"
	peak "$name"
done
echo "  $(tail -1 "$WORK/logs/warmup-C.out")"
echo

# 4. Measured rounds. rounds.tsv: round, 1-minute load average before the
# round, then wall s, max RSS KiB and CPU s (user + system) of A, B and C.
TSV=$WORK/rounds.tsv
printf 'round\tload\tA_wall\tA_rss\tA_cpu\tB_wall\tB_rss\tB_cpu\tC_wall\tC_rss\tC_cpu\n' >"$TSV"
FMT='%5s %5s | %7s %6s %6s | %7s %6s %6s | %7s %6s %6s | %6s %6s | %6s %6s\n'
# shellcheck disable=SC2059
printf "$FMT" round load 'A s' MiB cpu 'B s' MiB cpu 'C s' MiB cpu B/A C/A 'cpu B/A' 'cpu C/A'
row() { # row LABEL LOAD AW AR AC BW BR BC CW CR CC: one line of the table
	awk -v f="$FMT" -v l="$1" -v ld="$2" -v aw="$3" -v ar="$4" -v ac="$5" -v bw="$6" -v br="$7" -v bc="$8" -v cw="$9" -v cr="${10}" -v cc="${11}" -v rb="${12}" -v rc="${13}" -v cb="${14}" -v cC="${15}" 'BEGIN {
		printf f, l, ld, sprintf("%.2f", aw), sprintf("%.1f", ar / 1024), sprintf("%.2f", ac),
			sprintf("%.2f", bw), sprintf("%.1f", br / 1024), sprintf("%.2f", bc),
			sprintf("%.2f", cw), sprintf("%.1f", cr / 1024), sprintf("%.2f", cc),
			sprintf("%.3f", rb), sprintf("%.3f", rc), sprintf("%.3f", cb), sprintf("%.3f", cC)
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
		peak "$name"
	done
	printf '%s\n' "$line" >>"$TSV"
	row "$r" "$load" "${vals[@]}" \
		"$(awk -v a="${vals[0]}" -v b="${vals[3]}" 'BEGIN { print b / a }')" \
		"$(awk -v a="${vals[0]}" -v c="${vals[6]}" 'BEGIN { print c / a }')" \
		"$(awk -v a="${vals[2]}" -v b="${vals[5]}" 'BEGIN { print b / a }')" \
		"$(awk -v a="${vals[2]}" -v c="${vals[8]}" 'BEGIN { print c / a }')"
done

# 5. Medians and targets.
# median COL: the median over the rounds of COL, an awk expression of the
# columns of rounds.tsv such as $6/$3.
median() {
	awk -F'\t' "NR > 1 { print $1 }" "$TSV" | sort -g |
		awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
# shellcheck disable=SC2016 # awk expressions
rB=$(median '$6/$3') rC=$(median '$9/$3')
# shellcheck disable=SC2016
row med "$(median '$2')" "$(median '$3')" "$(median '$4')" "$(median '$5')" "$(median '$6')" "$(median '$7')" "$(median '$8')" \
	"$(median '$9')" "$(median '$10')" "$(median '$11')" "$rB" "$rC" "$(median '$8/$5')" "$(median '$11/$5')"
echo "(each median on its own: the ratio medians are medians of the per-round ratios; cpu = user + system seconds, not a target)"
echo
fail=0
verdict() { # verdict NAME VALUE LIMIT TEXT
	if awk -v v="$2" -v l="$3" 'BEGIN { exit !(v <= l) }'; then
		echo "PASS $1: $4"
	else
		echo "FAIL $1: $4"
		fail=1
	fi
}
verdict cold "$rB" 0.85 "cold (--no-cache) vs go mod verify, median wall ratio B/A $(printf '%.3f' "$rB") (target <= 0.85)"
verdict warm "$rC" 0.35 "warm (verification cache) vs go mod verify, median wall ratio C/A $(printf '%.3f' "$rC") (target <= 0.35)"
peakMiB=$(awk -v k="$PEAK_RSS" 'BEGIN { printf "%.1f", k / 1024 }')
verdict rss "$peakMiB" 100 "peak RSS of modseal, every run, warm-up included: $peakMiB MiB (target <= 100 MiB)"
echo
echo "rounds: $TSV; outputs: $WORK/logs"
exit "$fail"
