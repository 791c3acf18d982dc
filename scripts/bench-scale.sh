#!/usr/bin/env bash
# bench-scale.sh: how a cold offline `modseal audit` scales with the number
# of modules (issue 13: a generated fixture of 3,000 module versions costs at
# most 1.3x per module what a 300-module fixture costs), against the go
# command on the same fixtures.
#
# Usage (from anywhere inside the repository):
#
#	scripts/bench-scale.sh            # or: make bench-scale
#	BENCH_ROUNDS=9 BENCH_SIZES="300 3000" scripts/bench-scale.sh
#
# What it does:
#
#  1. Builds the benchmarks of internal/audit (scale_test.go) once:
#     go test -c -o $WORK/audit.test ./internal/audit.
#  2. Builds each fixture once (generated modules example.com/scale/mNNNN, a
#     file:// module proxy, a main module needing all of them, a module cache
#     filled with go mod download, go mod tidy -diff and go list -m -json
#     all: see scale_test.go) in MODSEAL_BENCH_SCALE_DIR, reused by later
#     runs, with a first, unrecorded round that also warms the machine up.
#  3. Runs BENCH_ROUNDS interleaved rounds; each round runs, for each size
#     (the order of the sizes alternates from round to round), one process
#     each of
#	audit   BenchmarkAuditScale/N: audit.Run, offline, every check on, a
#	        new empty cache dir (a cold `modseal audit --offline`)
#	verify  BenchmarkGoScale/verify/N: go mod verify
#	tidy    BenchmarkGoScale/tidy/N: go mod tidy -diff, offline
#	list    BenchmarkGoScale/list/N: go list -m -json all, offline
#     with -test.benchtime BENCH_TIME (default 1x: one timed run per process).
#     Each reports ns/module, the time of one run divided by N.
#  4. Prints every run, then per benchmark the median ns/module, its
#     minimum and maximum, and the ratio largest size / smallest size of the
#     per-module cost, per round and its median, and PASS/FAIL: the audit's
#     median ratio <= BENCH_LIMIT (1.3). The load average is printed at the
#     start and the end: the figures are only as quiet as the machine.
#
# An audit with a finding, a skipped hash, tidy, build-list or graph check,
# or a module not hashed fails the benchmark (it did not do the work): the
# script prints its output and exits 2.
#
#	BENCH_DIR      work files (default ${TMPDIR:-/tmp}/modseal-bench-scale-work:
#	               the test binary, each run's output, runs.tsv)
#	MODSEAL_BENCH_SCALE_DIR
#	               the fixtures (default ${TMPDIR:-/tmp}/modseal-bench-scale;
#	               about 240 MiB for 3,000 modules, 24 MiB for 300); rm -rf it
#	               to rebuild them
#	BENCH_SIZES    the fixture sizes, smallest first (default "300 3000")
#	BENCH_ROUNDS   measured rounds (default 7)
#	BENCH_TIME     -test.benchtime of each run (default 1x)
#	BENCH_BASELINES  0 leaves out the go command runs (default 1)
#	BENCH_LIMIT    the largest allowed audit ratio (default 1.3)
#
# Exit status: 0 the target passed, 1 it failed, 2 the benchmark could not
# run or was invalid.

set -euo pipefail
export LC_ALL=C

die() {
	echo "bench-scale: $*" >&2
	exit 2
}

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH_DIR=${BENCH_DIR:-${TMPDIR:-/tmp}/modseal-bench-scale-work}
BENCH_SIZES=${BENCH_SIZES:-300 3000}
BENCH_ROUNDS=${BENCH_ROUNDS:-7}
BENCH_TIME=${BENCH_TIME:-1x}
BENCH_BASELINES=${BENCH_BASELINES:-1}
BENCH_LIMIT=${BENCH_LIMIT:-1.3}
[[ $BENCH_ROUNDS =~ ^[1-9][0-9]*$ ]] || die "BENCH_ROUNDS must be a positive integer, got $BENCH_ROUNDS"
read -r -a sizes <<<"$BENCH_SIZES"
((${#sizes[@]} >= 2)) || die "BENCH_SIZES needs two sizes or more, got '$BENCH_SIZES'"
for n in "${sizes[@]}"; do [[ $n =~ ^[1-9][0-9]*$ ]] || die "BENCH_SIZES: $n is not a size"; done
small=${sizes[0]} large=${sizes[${#sizes[@]} - 1]}
MODSEAL_BENCH_SCALE_SIZES=$(IFS=,; echo "${sizes[*]}")
export MODSEAL_BENCH_SCALE_SIZES
export MODSEAL_BENCH_SCALE_DIR=${MODSEAL_BENCH_SCALE_DIR:-${TMPDIR:-/tmp}/modseal-bench-scale}

rm -rf "$BENCH_DIR"
mkdir -p "$BENCH_DIR/logs"
BIN=$BENCH_DIR/audit.test
rev=$(git -C "$REPO" rev-parse HEAD 2>/dev/null || echo unknown)
dirty=$([[ -n $(git -C "$REPO" status --porcelain 2>/dev/null) ]] && echo " with uncommitted changes" || true)
echo "bench-scale: building the benchmarks from $REPO (commit $rev$dirty), $(go version)"
(cd "$REPO" && go test -c -o "$BIN" ./internal/audit) || die "go test -c failed"
echo "bench-scale: load average at the start: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || uptime)"

kinds=(audit)
[[ $BENCH_BASELINES == 0 ]] || kinds+=(verify tidy list)
bench() { # KIND N: the -test.bench pattern
	case $1 in
	audit) echo "^BenchmarkAuditScale\$/^$2\$" ;;
	*) echo "^BenchmarkGoScale\$/^$1\$/^$2\$" ;;
	esac
}

TSV=$BENCH_DIR/runs.tsv
printf 'round\tkind\tsize\tns_per_module\n' >"$TSV"
# run R KIND N: one process, one benchmark; round 0 is not recorded.
run() {
	local r=$1 kind=$2 n=$3 log=$BENCH_DIR/logs/$1.$2.$3.log
	if ! (cd "$REPO/internal/audit" && "$BIN" -test.run '^$' -test.bench "$(bench "$kind" "$n")" -test.benchtime "$BENCH_TIME" -test.count 1 -test.timeout 60m) >"$log" 2>&1; then
		echo "bench-scale: INVALID run: $log" >&2
		tail -30 "$log" >&2
		exit 2
	fi
	local v
	v=$(awk '$1 ~ /^Benchmark/ { for (i = 3; i < NF; i++) if ($(i + 1) == "ns/module") print $i }' "$log")
	[[ $v =~ ^[0-9.e+]+$ ]] || { cat "$log" >&2; die "no ns/module in $log"; }
	((r == 0)) || printf '%s\t%s\t%s\t%s\n' "$r" "$kind" "$n" "$v" >>"$TSV"
	printf '  round %d  %-7s %6d modules  %12.0f ns/module\n' "$r" "$kind" "$n" "$v"
}

echo "bench-scale: round 0 (fixtures, warm-up; not recorded)"
for n in "${sizes[@]}"; do
	for k in "${kinds[@]}"; do run 0 "$k" "$n"; done
done
for r in $(seq 1 "$BENCH_ROUNDS"); do
	echo "bench-scale: round $r of $BENCH_ROUNDS"
	order=("${sizes[@]}")
	((r % 2)) || mapfile -t order < <(printf '%s\n' "${sizes[@]}" | tac)
	for n in "${order[@]}"; do
		for k in "${kinds[@]}"; do run "$r" "$k" "$n"; done
	done
done

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "nan"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
col() { awk -F'\t' -v k="$1" -v n="$2" '$2 == k && $3 == n { print $4 }' "$TSV"; }
ratios() { # KIND: per round, large's ns/module / small's
	awk -F'\t' -v k="$1" -v s="$small" -v l="$large" '$2 == k && $3 == s { a[$1] = $4 } $2 == k && $3 == l { b[$1] = $4 }
		END { for (r in b) if (a[r] > 0) print b[r] / a[r] }' "$TSV"
}
echo
echo "bench-scale: results ($BENCH_ROUNDS rounds, -test.benchtime $BENCH_TIME; commit $rev$dirty)"
echo "bench-scale: load average at the end: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || uptime)"
printf '  %-7s %7s %14s %14s %14s\n' kind modules median_ns/mod min max
for k in "${kinds[@]}"; do
	for n in "${sizes[@]}"; do
		printf '  %-7s %7d %14.0f %14.0f %14.0f\n' "$k" "$n" "$(col "$k" "$n" | median)" "$(col "$k" "$n" | sort -g | head -1)" "$(col "$k" "$n" | sort -g | tail -1)"
	done
done
echo "  per-module cost ratio, $large / $small modules (per round: median [min, max]; ratio of the medians):"
for k in "${kinds[@]}"; do
	printf '  %-7s %6.3f [%.3f, %.3f]  %6.3f\n' "$k" "$(ratios "$k" | median)" "$(ratios "$k" | sort -g | head -1)" "$(ratios "$k" | sort -g | tail -1)" \
		"$(awk -v a="$(col "$k" "$small" | median)" -v b="$(col "$k" "$large" | median)" 'BEGIN { print b / a }')"
done
ratio=$(ratios audit | median)
if awk -v v="$ratio" -v l="$BENCH_LIMIT" 'BEGIN { exit !(v <= l) }'; then
	echo "  PASS audit per-module cost, $large / $small modules: $ratio <= $BENCH_LIMIT"
else
	echo "  FAIL audit per-module cost, $large / $small modules: $ratio > $BENCH_LIMIT"
	exit 1
fi
