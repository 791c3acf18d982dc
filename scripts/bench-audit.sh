#!/usr/bin/env bash
# bench-audit.sh: the first (cold) and a repeated (warm) `modseal audit` on a
# machine whose module cache is already filled, against `go mod verify`, on
# real projects.
#
# Usage (from anywhere inside the repository):
#
#	scripts/bench-audit.sh            # or: make bench-audit
#	BENCH_ROUNDS=7 BENCH_SRC=/tmp/base scripts/bench-audit.sh
#
# What it does:
#
#  1. Builds modseal once: go build -trimpath -o $WORK/modseal ./cmd/modseal
#     in BENCH_SRC (default: this work tree; for a baseline, a worktree of an
#     older commit: git worktree add /tmp/base HEAD).
#  2. Prepares each project (once per BENCH_DIR): go mod download -json
#     MOD@VER into the project's own module cache (BENCH_DIR/NAME/modcache),
#     copies the extracted directory to BENCH_DIR/NAME/project (writable),
#     and fills the module cache with `go mod download`, `go mod tidy -diff`
#     (tidy loads the packages of every test of every dependency: the
#     modules modseal's tidy check needs) and `go list -m -json all` (the
#     .info files of the build list) in it. go.sum is left as
#     the project ships it. GOWORK=off throughout: prometheus ships a go.work
#     whose modules are not in its zip.
#  3. Runs BENCH_ROUNDS interleaved rounds; each round runs, for each project:
#	a  cold offline: modseal audit --offline with an empty --cache-dir
#	b  go mod verify
#	c  warm offline: the same command and cache dir as a, again
#	d  cold online:  modseal audit with another empty --cache-dir
#	e  warm online:  d again
#     each under GNU time (wall seconds, peak RSS). Every check is on. After
#     a and after c, modseal's cache dir is measured (du -sb).
#  4. Prints every run, the medians, the ratios a/b, c/b, d/b and e/b per
#     round and their medians, modseal's cache size after a cold audit
#     against the bytes of the module zips of the project's go.sum in the
#     module cache, and PASS/FAIL for the targets of issue 13:
#	cold offline <= 0.85, cold online <= 1.0, warm offline <= 0.25,
#	warm online <= 0.35 (median ratios to go mod verify), cache <= 5% of
#	the zip bytes and no growth on the warm re-run, peak RSS <= 100 MiB.
#
# Environment: GOMODCACHE=BENCH_DIR/NAME/modcache GOFLAGS= GOTOOLCHAIN=local
# GOWORK=off; GOPROXY, GOSUMDB and the rest are the user's (the online runs
# ask the proxy and the checksum database). A modseal run that exits non-zero
# or skips a check (a "skipped build-list", "skipped tidy" or "skipped hash"
# line: it did not do the work) makes the benchmark invalid: the script
# prints the output and exits 2.
#
#	BENCH_DIR       where the projects and their module caches live (default
#	                ${TMPDIR:-/tmp}/modseal-bench-audit; about 3 GiB); reused
#	                when already prepared. rm -rf it to start over.
#	BENCH_PROJECTS  module@version list (default: containerd v2.4.2 and
#	                prometheus v0.316.0).
#	BENCH_ROUNDS    measured rounds (default 5).
#	BENCH_SRC       the source tree to build modseal from (default: this one).
#	BENCH_ONLINE    0 leaves out the online runs d and e (default 1).
#	BENCH_DROP      1 adds, to each round, three runs with the kernel's page
#	                cache dropped first (sync; echo 3 > /proc/sys/vm/drop_caches:
#	                root only): cat of every file the audit reads (each go.sum
#	                module's zip and .mod, and every file of its extracted
#	                directory: the disk's floor), go mod verify, and the cold
#	                offline audit. Reported beside each other; not a target.
#
# Exit status: 0 every target passed, 1 a target failed, 2 the benchmark could
# not run or was invalid. Files: BENCH_DIR/work (recreated on each run): the
# binary, the cache dirs, each run's output (logs/) and runs.tsv.

set -euo pipefail
export LC_ALL=C

die() {
	echo "bench-audit: $*" >&2
	exit 2
}

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH_DIR=${BENCH_DIR:-${TMPDIR:-/tmp}/modseal-bench-audit}
BENCH_PROJECTS=${BENCH_PROJECTS:-github.com/containerd/containerd/v2@v2.4.2 github.com/prometheus/prometheus@v0.316.0}
BENCH_ROUNDS=${BENCH_ROUNDS:-5}
BENCH_SRC=${BENCH_SRC:-$REPO}
BENCH_ONLINE=${BENCH_ONLINE:-1}
BENCH_DROP=${BENCH_DROP:-0}
[[ $BENCH_ROUNDS =~ ^[1-9][0-9]*$ ]] || die "BENCH_ROUNDS must be a positive integer, got $BENCH_ROUNDS"
mkdir -p "$BENCH_DIR"
BENCH_DIR=$(cd "$BENCH_DIR" && pwd)
WORK=$BENCH_DIR/work

if [[ ! -x /usr/bin/time ]]; then
	if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
		apt-get install -y time >/dev/null || { apt-get update >/dev/null && apt-get install -y time >/dev/null; }
	fi
	[[ -x /usr/bin/time ]] || die "GNU time is needed at /usr/bin/time (apt-get install time)"
fi

USERCACHE=$(go env GOMODCACHE)
USERPROXY=$(go env GOPROXY)

# 1. Build.
rm -rf "$WORK"
mkdir -p "$WORK/logs"
MODSEAL=$WORK/modseal
rev=$(git -C "$BENCH_SRC" rev-parse HEAD 2>/dev/null || echo unknown)
dirty=$([[ -n $(git -C "$BENCH_SRC" status --porcelain 2>/dev/null) ]] && echo " with uncommitted changes" || true)
echo "bench-audit: building modseal from $BENCH_SRC (commit $rev$dirty)"
(cd "$BENCH_SRC" && go build -trimpath -o "$MODSEAL" ./cmd/modseal) || die "go build failed"

name() { printf '%s' "$1" | tr '/@' '__'; }

# 2. Prepare.
for p in $BENCH_PROJECTS; do
	d=$BENCH_DIR/$(name "$p")
	if [[ -f $d/ready && $(cat "$d/ready") == "$p" ]]; then
		echo "bench-audit: reusing $d"
		continue
	fi
	echo "bench-audit: preparing $p in $d"
	[[ ! -e $d/modcache ]] || { chmod -R u+w "$d/modcache" && rm -rf "$d/modcache"; }
	rm -rf "$d/project" "$d/ready"
	mkdir -p "$d"
	proxy=$USERPROXY
	# The user's cache, if any, saves downloading what it already holds.
	[[ -d $USERCACHE/cache/download ]] && proxy="file://$USERCACHE/cache/download,$proxy"
	(
		export GOMODCACHE=$d/modcache GOFLAGS=-modcacherw GOTOOLCHAIN=local GOWORK=off GOPROXY=$proxy
		cd "$d"
		dir=$(go mod download -json "$p" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
		[[ -n $dir ]] || exit 1
		cp -r "$dir" project
		chmod -R u+w project
		cd project
		go mod download
		go mod tidy -diff >/dev/null || true # a diff is the project's business
		go list -m -json all >/dev/null       # the .info files of the build list
	) || die "preparing $p failed"
	echo "$p" >"$d/ready"
done

# zipbytes D: the bytes of the module zips of D/project/go.sum's h1 lines
# (not /go.mod) in D/modcache.
zipbytes() {
	local d=$1 total=0 path ver f
	while read -r path ver; do
		# The module cache's case-encoding: an upper-case letter is ! and the letter.
		f=$d/modcache/cache/download/$(sed 's/[A-Z]/!\L&/g' <<<"$path")/@v/$(sed 's/[A-Z]/!\L&/g' <<<"$ver").zip
		[[ -f $f ]] && total=$((total + $(stat -c %s "$f")))
	done < <(awk 'NF == 3 && $2 !~ /\/go\.mod$/ { print $1, $2 }' "$d/project/go.sum" | sort -u)
	echo "$total"
}

# modfiles D: NUL-separated, every file of D/modcache the audit reads for
# D/project/go.sum: each module's zip and .mod, and its extracted directory.
modfiles() {
	local d=$1 path ver ep ev
	while read -r path ver; do
		ep=$(sed 's/[A-Z]/!\L&/g' <<<"$path") ev=$(sed 's/[A-Z]/!\L&/g' <<<"$ver")
		for f in "$d/modcache/cache/download/$ep/@v/$ev.zip" "$d/modcache/cache/download/$ep/@v/$ev.mod"; do
			[[ -f $f ]] && printf '%s\0' "$f"
		done
		[[ -d $d/modcache/$ep@$ev ]] && find "$d/modcache/$ep@$ev" -type f -print0
	done < <(awk 'NF == 3 { v = $2; sub(/\/go\.mod$/, "", v); print $1, v }' "$d/project/go.sum" | sort -u)
	return 0
}

dropcaches() { sync && echo 3 >/proc/sys/vm/drop_caches; }
if [[ $BENCH_DROP == 1 ]]; then
	dropcaches 2>/dev/null || die "BENCH_DROP=1 needs root: /proc/sys/vm/drop_caches is not writable"
fi

# 3. Rounds.
TSV=$WORK/runs.tsv
printf 'project\tround\trun\twall_s\trss_kib\tcache_bytes\n' >"$TSV"
invalid=0
# run P R LABEL CACHE CMD...: one measured run; CACHE ("" for none) is
# measured afterwards.
run() {
	local p=$1 r=$2 label=$3 cache=$4
	shift 4
	local log=$WORK/logs/$(name "$p").$r.$label.log rc=0
	/usr/bin/time -f '%e %M' -o "$log.time" "$@" >"$log" 2>&1 || rc=$?
	read -r wall rss <"$log.time" || true
	[[ $wall =~ ^[0-9.]+$ ]] || { wall=$(tail -1 "$log.time" | cut -d' ' -f1); rss=$(tail -1 "$log.time" | cut -d' ' -f2); }
	local size=-
	[[ -n $cache ]] && size=$(du -sb "$cache" | cut -f1)
	printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$p" "$r" "$label" "$wall" "$rss" "$size" >>"$TSV"
	printf '  %-45s round %d  %-13s %6.2f s  %6d KiB  cache %s\n' "$p" "$r" "$label" "$wall" "$rss" "$size"
	if [[ $rc != 0 ]] || grep -q '^skipped \(build-list\|tidy\|hash\|graph\)' "$log"; then
		echo "bench-audit: INVALID run (exit status $rc): $log" >&2
		tail -20 "$log" >&2
		invalid=1
	fi
}

labels=(cold-offline verify warm-offline)
[[ $BENCH_ONLINE == 0 ]] || labels+=(cold-online warm-online)
[[ $BENCH_DROP == 0 ]] || labels+=(disk-cat disk-verify disk-cold-offline)
for r in $(seq 1 "$BENCH_ROUNDS"); do
	echo "bench-audit: round $r of $BENCH_ROUNDS"
	for p in $BENCH_PROJECTS; do
		d=$BENCH_DIR/$(name "$p")
		off=$WORK/cache-offline on=$WORK/cache-online
		rm -rf "$off" "$on"
		(
			export GOMODCACHE=$d/modcache GOFLAGS= GOTOOLCHAIN=local GOWORK=off
			cd "$d/project"
			if [[ $BENCH_DROP != 0 ]]; then
				# The other runs have the module cache in the page cache, as
				# the rounds without BENCH_DROP do: read it back in after
				# the last round's drop.
				modfiles "$d" >"$WORK/files0"
				xargs -0 cat <"$WORK/files0" >/dev/null
				go mod verify >/dev/null 2>&1 || true
			fi
			run "$p" "$r" cold-offline "$off" "$MODSEAL" audit --offline --cache-dir "$off" .
			run "$p" "$r" verify "" go mod verify
			run "$p" "$r" warm-offline "$off" "$MODSEAL" audit --offline --cache-dir "$off" .
			if [[ $BENCH_ONLINE != 0 ]]; then
				run "$p" "$r" cold-online "$on" "$MODSEAL" audit --cache-dir "$on" .
				run "$p" "$r" warm-online "$on" "$MODSEAL" audit --cache-dir "$on" .
			fi
			if [[ $BENCH_DROP != 0 ]]; then
				dropcaches
				run "$p" "$r" disk-cat "" sh -c 'xargs -0 cat <"$1" >/dev/null' sh "$WORK/files0"
				dropcaches
				run "$p" "$r" disk-verify "" go mod verify
				rm -rf "$off"
				dropcaches
				run "$p" "$r" disk-cold-offline "$off" "$MODSEAL" audit --offline --cache-dir "$off" .
			fi
			exit $invalid
		) || invalid=1
	done
done

# 4. Summary.
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "nan"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
col() { awk -F'\t' -v p="$1" -v l="$2" -v c="$3" '$1 == p && $3 == l { print $c }' "$TSV"; }
ratios() { # P LABEL: LABEL's wall / verify's wall, per round
	awk -F'\t' -v p="$1" -v l="$2" '$1 == p && $3 == "verify" { v[$2] = $4 } $1 == p && $3 == l { w[$2] = $4 }
		END { for (r in w) if (v[r] > 0) print w[r] / v[r] }' "$TSV"
}
fail=0
check() { # NAME VALUE LIMIT
	if awk -v v="$2" -v l="$3" 'BEGIN { exit !(v <= l) }'; then echo "  PASS $1: $2 <= $3"; else echo "  FAIL $1: $2 > $3"; fail=1; fi
}
echo
echo "bench-audit: results ($BENCH_ROUNDS rounds; medians; modseal from $BENCH_SRC, commit $rev$dirty)"
for p in $BENCH_PROJECTS; do
	d=$BENCH_DIR/$(name "$p")
	zb=$(zipbytes "$d")
	echo "$p: $(awk 'NF == 3 && $2 !~ /\/go\.mod$/' "$d/project/go.sum" | wc -l) go.sum zip lines, $zb zip bytes in the module cache"
	printf '  %-13s %8s %8s %10s %14s\n' run wall_s ratio rss_MiB cache_bytes
	for l in "${labels[@]}"; do
		w=$(col "$p" "$l" 4 | median)
		ratio=-
		[[ $l == verify || $l == disk-* ]] || ratio=$(ratios "$p" "$l" | median)
		rss=$(col "$p" "$l" 5 | sort -n | tail -1)
		cache=$(col "$p" "$l" 6 | grep -v '^-$' | sort -n | tail -1 || true)
		printf '  %-13s %8.2f %8s %10.1f %14s\n' "$l" "$w" "$ratio" "$(awk -v k="$rss" 'BEGIN { print k / 1024 }')" "${cache:--}"
	done
	check "$p cold offline / go mod verify" "$(ratios "$p" cold-offline | median)" 0.85
	check "$p warm offline / go mod verify" "$(ratios "$p" warm-offline | median)" 0.25
	if [[ $BENCH_ONLINE != 0 ]]; then
		check "$p cold online / go mod verify" "$(ratios "$p" cold-online | median)" 1.0
		check "$p warm online / go mod verify" "$(ratios "$p" warm-online | median)" 0.35
	fi
	cold=$(col "$p" cold-offline 6 | sort -n | tail -1)
	check "$p cache after a cold audit / zip bytes" "$(awk -v c="$cold" -v z="$zb" 'BEGIN { printf "%.4f", c / z }')" 0.05
	growth=$(awk -F'\t' -v p="$p" '$1 == p && $3 == "cold-offline" { c[$2] = $6 } $1 == p && $3 == "warm-offline" && $6 - c[$2] > g { g = $6 - c[$2] } END { print g + 0 }' "$TSV")
	check "$p cache growth on the warm offline re-run (bytes)" "$growth" 0
	if [[ $BENCH_DROP != 0 ]]; then
		disk() { # P LABEL BASE: LABEL's wall / BASE's wall, per round
			awk -F'\t' -v p="$1" -v l="$2" -v b="$3" '$1 == p && $3 == b { v[$2] = $4 } $1 == p && $3 == l { w[$2] = $4 }
				END { for (r in w) if (v[r] > 0) print w[r] / v[r] }' "$TSV" | median
		}
		echo "  page cache dropped: go mod verify / cat $(disk "$p" disk-verify disk-cat), audit / cat $(disk "$p" disk-cold-offline disk-cat), audit / go mod verify $(disk "$p" disk-cold-offline disk-verify) (medians of per-round ratios)"
	fi
	rss=$(awk -F'\t' -v p="$p" '$1 == p && $3 != "verify" && $3 != "disk-verify" && $3 != "disk-cat" && $5 > m { m = $5 } END { print m / 1024 }' "$TSV")
	check "$p peak RSS of modseal (MiB)" "$rss" 100
done
[[ $invalid == 0 ]] || die "invalid runs (see above): the figures do not measure the full audit"
exit $fail
