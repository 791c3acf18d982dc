#!/usr/bin/env bash
# bench-sumdb.sh: checking a go.sum against the real checksum database
# (sum.golang.org, through https://proxy.golang.org), modseal's
# verify.CheckSumDB against golang.org/x/mod/gosumcheck.
#
# Usage (from anywhere inside the repository):
#
#	scripts/bench-sumdb.sh
#	BENCH_ROUNDS=3 scripts/bench-sumdb.sh
#
# What it does:
#
#  1. Builds gosumcheck (golang.org/x/mod/gosumcheck at the x/mod version
#     modseal's go.mod requires, so both sides run the same
#     golang.org/x/mod/sumdb client) with go install into WORK/bin, and the
#     modseal driver once: go test -c -o WORK/verify.test ./internal/sumdbops.
#     The driver is the test TestRealSumDBRun
#     (internal/sumdbops/bench_test.go): it
#     runs CheckSumDB on MODSEAL_BENCH_GOSUM with the audit's default
#     concurrency (96), the cache dir MODSEAL_BENCH_CACHE, GOPROXY
#     https://proxy.golang.org and no go command cache, and prints
#     "lookups=N requests=M findings=K error=E elapsed=S", the requests by
#     kind (lookup, tile, ...; dup = a path asked twice; failed = a non-200
#     answer or a transport error, retried or not) and their latency.
#  2. Gets the project's go.sum (once per BENCH_DIR): downloads the module
#     zip of BENCH_PROJECT into a temporary GOMODCACHE and copies its go.sum
#     to BENCH_DIR/go.sum. It prints the line count and the number of
#     distinct module versions (one database record each).
#  3. Warm-up (not in the results): gosumcheck once, and the driver once
#     with the cache dir WORK/warm-cache, which it fills for C.
#  4. BENCH_ROUNDS interleaved rounds, each command under GNU time (wall
#     seconds, max RSS):
#	A  gosumcheck -v -u https://proxy.golang.org/sumdb/sum.golang.org go.sum
#	   (caches nothing: always cold; one goroutine per go.sum line)
#	B  the driver, cold: a new, empty cache dir (WORK/cold/roundN)
#	C  the driver, warm: WORK/warm-cache, filled by the warm-up
#     Odd rounds run A B C, even rounds B A C, so that neither cold command
#     always comes second (right after the other asked the proxy the same
#     things). gosumcheck exits 0 even when lookups fail, so its run has
#     errors when it exits non-zero, prints anything on stdout (it prints
#     "go.sum:N: error" there) or prints on stderr anything but its -v
#     request lines ("0.123s https://..."). A driver run has errors when it
#     exits non-zero or prints no summary line (it fails on any error or
#     finding).
#  5. Prints every round and the medians, and PASS/FAIL for each target:
#	errors  no error in the modseal cold runs (B)
#	cold    median(B) / median(A over its error-free runs) <= 0.7
#	warm    every warm run (C) made 0 requests
#
# The proxy is shared: keep BENCH_ROUNDS at 10 (each cold run makes about
# 1,200 requests for prometheus) and the driver's concurrency at 96.
#
# Environment:
#
#	BENCH_PROJECT  module@version whose go.sum is checked (default
#	               github.com/prometheus/prometheus@v0.316.0).
#	BENCH_DIR      where its go.sum and WORK live (default
#	               ${TMPDIR:-/tmp}/modseal-bench-sumdb/<project>); the go.sum
#	               is reused when present.
#	BENCH_ROUNDS   measured rounds (default 10).
#	GOSUMCHECK_VERSION  x/mod version of gosumcheck (default: the one go.mod requires).
#
# Needs: go, the module proxy (it is what is measured), GNU time at
# /usr/bin/time (installed with apt-get if missing and running as root).
# Exit status: 0 every target passed, 1 a target failed, 2 the benchmark
# could not run.
#
# Files: WORK=BENCH_DIR/work is recreated on every invocation: binaries,
# caches, each run's output (logs/) and rounds.tsv.

set -euo pipefail
export LC_ALL=C

die() {
	echo "bench-sumdb: $*" >&2
	exit 2
}

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH_PROJECT=${BENCH_PROJECT:-github.com/prometheus/prometheus@v0.316.0}
BENCH_ROUNDS=${BENCH_ROUNDS:-10}
case $BENCH_PROJECT in
*@v*) ;;
*) die "BENCH_PROJECT must be module@version, got $BENCH_PROJECT" ;;
esac
[[ $BENCH_ROUNDS =~ ^[1-9][0-9]*$ ]] || die "BENCH_ROUNDS must be a positive integer, got $BENCH_ROUNDS"
GOSUMCHECK_VERSION=${GOSUMCHECK_VERSION:-$(awk '{ for (i = 1; i < NF; i++) if ($i == "golang.org/x/mod") { print $(i + 1); exit } }' "$REPO/go.mod")}
[[ -n $GOSUMCHECK_VERSION ]] || die "cannot find the golang.org/x/mod version in $REPO/go.mod; set GOSUMCHECK_VERSION"
BENCH_DIR=${BENCH_DIR:-${TMPDIR:-/tmp}/modseal-bench-sumdb/$(printf '%s' "$BENCH_PROJECT" | tr '/@' '__')}
mkdir -p "$BENCH_DIR"
BENCH_DIR=$(cd "$BENCH_DIR" && pwd)
GOSUM=$BENCH_DIR/go.sum
WORK=$BENCH_DIR/work
DBURL=https://proxy.golang.org/sumdb/sum.golang.org

if [[ ! -x /usr/bin/time ]]; then
	if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
		echo "bench-sumdb: installing GNU time"
		apt-get install -y time >/dev/null || { apt-get update >/dev/null && apt-get install -y time >/dev/null; }
	fi
	[[ -x /usr/bin/time ]] || die "GNU time is needed at /usr/bin/time (apt-get install time)"
fi

# 1. Build.
rm -rf "$WORK"
mkdir -p "$WORK/logs" "$WORK/bin" "$WORK/tmp" "$WORK/cold"
if rev=$(git -C "$REPO" rev-parse HEAD 2>/dev/null); then
	REVLABEL="work tree at commit $rev"
	[[ -z $(git -C "$REPO" status --porcelain 2>/dev/null) ]] || REVLABEL+=" with uncommitted changes"
else
	REVLABEL="work tree $REPO"
fi
echo "bench-sumdb: building gosumcheck@$GOSUMCHECK_VERSION and the modseal driver ($REVLABEL)"
(cd "$WORK" && env GOBIN="$WORK/bin" GOFLAGS=-mod=mod GOTOOLCHAIN=local GOWORK=off go install "golang.org/x/mod/gosumcheck@$GOSUMCHECK_VERSION") ||
	die "go install golang.org/x/mod/gosumcheck@$GOSUMCHECK_VERSION failed"
(cd "$REPO" && env GOFLAGS= GOTOOLCHAIN=local go test -c -o "$WORK/verify.test" ./internal/sumdbops) || die "go test -c ./internal/sumdbops failed"

# 2. The project's go.sum.
if [[ ! -s $GOSUM || $(cat "$BENCH_DIR/project" 2>/dev/null) != "$BENCH_PROJECT" ]]; then
	echo "bench-sumdb: getting the go.sum of $BENCH_PROJECT"
	tmpcache=$(mktemp -d "$BENCH_DIR/dl.XXXXXX")
	info=$(env GOMODCACHE="$tmpcache" GOFLAGS= GOTOOLCHAIN=local GOWORK=off go mod download -json "$BENCH_PROJECT") ||
		die "go mod download $BENCH_PROJECT failed: $info"
	dir=$(printf '%s\n' "$info" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')
	[[ -n $dir && -f $dir/go.sum ]] || die "$BENCH_PROJECT has no go.sum: $info"
	cp "$dir/go.sum" "$GOSUM.tmp"
	chmod u+w "$GOSUM.tmp"
	mv "$GOSUM.tmp" "$GOSUM"
	printf '%s\n' "$BENCH_PROJECT" >"$BENCH_DIR/project"
	env GOMODCACHE="$tmpcache" GOFLAGS= go clean -modcache
	rm -rf "$tmpcache"
fi
nlines=$(wc -l <"$GOSUM")
nzip=$(awk '$2 !~ /\/go\.mod$/' "$GOSUM" | wc -l)
nmods=$(awk '{ v = $2; sub(/\/go\.mod$/, "", v); print $1, v }' "$GOSUM" | sort -u | wc -l)
gosumsha=$(sha256sum <"$GOSUM")

CMD_A=("$WORK/bin/gosumcheck" -v -u "$DBURL" "$GOSUM")
CMD_D=("$WORK/verify.test" -test.run '^TestRealSumDBRun$' -test.v)
# Every command: no GONOSUMDB/GOPRIVATE (gosumcheck asks go env for them),
# the same TMPDIR.
RUNENV=(GOFLAGS= GOTOOLCHAIN=local GONOSUMDB= GOPRIVATE= GONOPROXY= TMPDIR="$WORK/tmp" MODSEAL_BENCH_GOSUM="$GOSUM")

cat <<EOF

machine   $(nproc) cores, $(free -g | awk '/^Mem:/ { print $2 }') GiB, $(uname -sr), $(go version)
modseal   $REVLABEL
project   $BENCH_PROJECT
go.sum    $nlines lines ($nzip zip hashes, $((nlines - nzip)) go.mod hashes), $nmods distinct module versions
database  sum.golang.org through $DBURL
A         ${CMD_A[*]}
B         ${CMD_D[*]}   (MODSEAL_BENCH_CACHE=<new empty dir>)
C         ${CMD_D[*]}   (MODSEAL_BENCH_CACHE=$WORK/warm-cache)
rounds    $BENCH_ROUNDS (odd: A B C, even: B A C)

EOF

# run NAME LOG [CACHE]: runs command NAME (A, or B/C with the cache dir
# CACHE) under GNU time; sets WALL (s), RSS (KiB), RC, REQS (requests),
# ERR (0/1), NOTE (a short summary) and, for B and C, ELAPSED (the
# driver's CheckSumDB time), TILES, FAILED (non-200 answers or transport
# errors, retried or not), DUP and P50 (median request latency, ms);
# LOAD is the 1-minute load average before the run.
run() {
	local name=$1 log=$2 cache=${3:-}
	RC=0
	LOAD=$(cut -d' ' -f1 /proc/loadavg)
	if [[ $name == A ]]; then
		env "${RUNENV[@]}" /usr/bin/time -f '%e %M' -o "$log.time" "${CMD_A[@]}" >"$log" 2>"$log.err" || RC=$?
	else
		env "${RUNENV[@]}" MODSEAL_BENCH_CACHE="$cache" /usr/bin/time -f '%e %M' -o "$log.time" "${CMD_D[@]}" >"$log" 2>"$log.err" || RC=$?
	fi
	read -r WALL RSS < <(tail -1 "$log.time")
	ELAPSED=- TILES=- FAILED=- DUP=- P50=-
	if [[ $name == A ]]; then
		REQS=$(grep -cE '^[0-9.]+s https?://' "$log.err" || true)
		local bad
		bad=$(($(grep -c . "$log" || true) + $(grep -cvE '^[0-9.]+s https?://' "$log.err" || true)))
		ERR=0
		[[ $RC == 0 && $bad == 0 ]] || ERR=1
		TILES=$(grep -cE '^[0-9.]+s https?://.*/tile/' "$log.err" || true)
		DUP=$(sed -nE 's/^[0-9.]+s (https?:.*)/\1/p' "$log.err" | sort | uniq -d | wc -l)
		P50=$(sed -nE 's/^([0-9.]+)s https?:.*/\1/p' "$log.err" | sort -g |
			awk '{ v[NR] = $1 } END { if (NR) printf "%d", 1000 * v[int((NR + 1) / 2)]; else print "-" }')
		NOTE="exit $RC, $bad error line(s)"
		if [[ $ERR == 1 ]]; then
			NOTE+=": $( (cat "$log"; grep -vE '^[0-9.]+s https?://' "$log.err") | head -3 | tr '\n' '|' | cut -c1-300)"
		fi
	else
		local summary kinds
		summary=$(grep -E '^lookups=' "$log" | tail -1 || true)
		kinds=$(grep -E '^kinds: ' "$log" | tail -1 || true)
		REQS=$(sed -nE 's/.* requests=([0-9]+).*/\1/p' <<<"$summary")
		ELAPSED=$(sed -nE 's/.* elapsed=([0-9.]+)s.*/\1/p' <<<"$summary")
		TILES=$(sed -nE 's/.* tile=([0-9]+).*/\1/p' <<<"$kinds")
		FAILED=$(sed -nE 's/.* failed=([0-9]+).*/\1/p' <<<"$kinds")
		DUP=$(sed -nE 's/.* dup=([0-9]+).*/\1/p' <<<"$kinds")
		P50=$(sed -nE 's/^latency: p50=([0-9.]+)(m?s).*/\1 \2/p' "$log" | awk '{ if ($2 == "s") printf "%d", $1 * 1000; else printf "%d", $1 }')
		[[ -n $P50 ]] || P50=-
		ERR=0
		[[ $RC == 0 && -n $summary && $summary == *" error=0 "* && $summary == *" findings=0 "* ]] || ERR=1
		[[ -n $REQS ]] || REQS=-
		NOTE="exit $RC, ${summary:-no summary}"
		if [[ $ERR == 1 ]]; then
			NOTE+=": $(grep -E 'bench_test.go|failed:|panic' "$log" "$log.err" | head -3 | tr '\n' '|' | cut -c1-300)"
		fi
	fi
	[[ $(sha256sum <"$GOSUM") == "$gosumsha" ]] || die "INVALID: $GOSUM changed during $name"
}

# 3. Warm-up.
echo "warm-up (not in the results):"
run A "$WORK/logs/warmup-A.out"
printf '  A  %6.2f s  %4d requests  err %d  (%s)\n' "$WALL" "$REQS" "$ERR" "$NOTE"
run C "$WORK/logs/warmup-C.out" "$WORK/warm-cache"
printf '  C  %6.2f s  %4s requests  err %d  (%s)   (fills the warm cache)\n' "$WALL" "$REQS" "$ERR" "$NOTE"
[[ $ERR == 0 ]] || die "the warm-up of the driver failed, the warm cache is not filled: see $WORK/logs/warmup-C.out"
echo

# 4. Rounds. rounds.tsv: one line per run.
TSV=$WORK/rounds.tsv
printf 'round\tcmd\twall_s\trss_kib\texit\terr\trequests\ttiles\tfailed\tdup\tp50_ms\telapsed_s\tload\n' >"$TSV"
FMT='%5s %-5s %5s | %7s %5s %4s %3s %5s | %7s %5s %4s %3s %5s %4s %8s | %7s %5s %3s | %6s\n'
# shellcheck disable=SC2059
printf "$FMT" round order load 'A s' reqs p50 err MiB 'B s' reqs fail err MiB p50 'B inner' 'C s' reqs err B/A
for ((r = 1; r <= BENCH_ROUNDS; r++)); do
	if ((r % 2)); then order=(A B C); else order=(B A C); fi
	declare -A W Q E M F P I
	rload=$(cut -d' ' -f1 /proc/loadavg)
	for name in "${order[@]}"; do
		case $name in
		A) run A "$WORK/logs/round$r-A.out" ;;
		B)
			mkdir -p "$WORK/cold/round$r"
			run B "$WORK/logs/round$r-B.out" "$WORK/cold/round$r"
			;;
		C) run C "$WORK/logs/round$r-C.out" "$WORK/warm-cache" ;;
		esac
		printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$r" "$name" "$WALL" "$RSS" "$RC" "$ERR" "$REQS" "$TILES" "$FAILED" "$DUP" "$P50" "$ELAPSED" "$LOAD" >>"$TSV"
		W[$name]=$WALL Q[$name]=$REQS E[$name]=$ERR M[$name]=$(awk -v k="$RSS" 'BEGIN { printf "%.0f", k / 1024 }') F[$name]=$FAILED P[$name]=$P50 I[$name]=$ELAPSED
		[[ $ERR == 0 ]] || echo "      $name had errors: $NOTE"
	done
	ratio=$(awk -v a="${W[A]}" -v b="${W[B]}" -v e="${E[A]}" 'BEGIN { if (e == 0) printf "%.3f", b / a; else print "-" }')
	# shellcheck disable=SC2059
	printf "$FMT" "$r" "${order[*]// /}" "$rload" "${W[A]}" "${Q[A]}" "${P[A]}" "${E[A]}" "${M[A]}" "${W[B]}" "${Q[B]}" "${F[B]}" "${E[B]}" "${M[B]}" "${P[B]}" "${I[B]}" "${W[C]}" "${Q[C]}" "${E[C]}" "$ratio"
	unset W Q E M F P I
done

# 5. Medians and targets.
# col CMD FIELD [FILTER]: the values of FIELD (a column number of
# rounds.tsv) over the runs of CMD, only error-free runs if FILTER is ok.
col() {
	awk -F'\t' -v c="$1" -v f="$2" -v ok="${3:-}" 'NR > 1 && $2 == c && (ok != "ok" || $6 == 0) { print $f }' "$TSV"
}
median() {
	sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "NA"; else if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
nA=$(col A 3 | wc -l) nAok=$(col A 3 ok | wc -l)
medA=$(col A 3 ok | median) medAall=$(col A 3 | median)
medB=$(col B 3 | median) medBinner=$(col B 12 | median) medC=$(col C 3 | median)
errB=$(col B 6 | awk '{ s += $1 } END { print s + 0 }')
failB=$(col B 9 | awk '{ s += $1 } END { print s + 0 }')
reqB=$(col B 7 | median | awk '{ print ($1 == "NA") ? $1 : $1 + 0 }') reqA=$(col A 7 ok | median | awk '{ print ($1 == "NA") ? $1 : $1 + 0 }')
reqC=$(col C 7 | awk '$1 != "-" { s += $1; n++ } END { if (n) print s; else print "NA" }')
errC=$(col C 6 | awk '{ s += $1 } END { print s + 0 }')
# Per-round ratios over the rounds whose A is error-free.
rmed=$(awk -F'\t' 'NR > 1 { w[$1 " " $2] = $3; e[$1 " " $2] = $6; r[$1] = 1 } END { for (i in r) if (e[i " A"] == 0) print w[i " B"] / w[i " A"] }' "$TSV" | median)
ratio=NA
[[ $medA == NA ]] || ratio=$(awk -v a="$medA" -v b="$medB" 'BEGIN { printf "%.3f", b / a }')

cat <<EOF

medians:
  A gosumcheck, error-free runs ($nAok of $nA): $medA s (all runs: $medAall s), $reqA requests
  B modseal cold: $medB s wall ($medBinner s in CheckSumDB), $reqB requests; errors in $errB of $BENCH_ROUNDS runs; $failB failed requests (retried or not) over all runs
  C modseal warm: $medC s wall, $reqC requests over all runs, errors in $errC runs
  B/A: $ratio (ratio of medians); median of the per-round ratios (error-free A): $rmed

EOF
fail=0
verdict() { # verdict NAME OK TEXT
	if [[ $2 == 1 ]]; then
		echo "PASS $1: $3"
	else
		echo "FAIL $1: $3"
		fail=1
	fi
}
verdict errors "$([[ $errB == 0 ]] && echo 1)" "modseal cold runs with errors: $errB of $BENCH_ROUNDS (target 0)"
if [[ $ratio == NA ]]; then
	echo "INVALID cold: no error-free gosumcheck run to compare with"
	fail=2
else
	verdict cold "$(awk -v r="$ratio" 'BEGIN { print (r <= 0.7) ? 1 : 0 }')" "median(B) / median(A error-free) = $ratio (target <= 0.7)"
fi
verdict warm "$([[ $reqC == 0 && $errC == 0 ]] && echo 1)" "modseal warm requests: $reqC over $BENCH_ROUNDS runs (target 0), median wall $medC s"
echo
echo "rounds: $TSV; outputs: $WORK/logs"
exit "$fail"
