#!/usr/bin/env bash
# bench-precommit.sh: the pre-commit hook's offline audit
# (modseal audit --offline --skip cache-tampered --changed HEAD) against
# go mod tidy -diff, on a large real project, with warm caches.
#
# Usage (from anywhere inside the repository):
#
#	scripts/bench-precommit.sh
#	BENCH_ROUNDS=5 BENCH_PROJECT=github.com/containerd/containerd/v2@v2.4.2 scripts/bench-precommit.sh
#
# It builds modseal, prepares BENCH_DIR once (the project's module zip from
# the module proxy, extracted: go.mod, go.sum and sources; a dedicated
# GOMODCACHE filled with go mod download), warms both commands up (the first
# modseal run copies what go mod tidy needs into modseal's own cache), then
# runs BENCH_ROUNDS interleaved rounds of
#	A  go mod tidy -diff
#	B  modseal audit --offline --skip cache-tampered --changed HEAD .   (the hook's command)
# under GNU time, in the project directory, with GOPROXY=off and the same
# GOMODCACHE. It prints every round, the medians, the ratio B/A per round and
# its median, and PASS/FAIL for: median ratio <= 1.5, modseal peak RSS
# <= 100 MiB. The VM evicts idle file pages, so the commands alternate.
set -euo pipefail

PROJECT=${BENCH_PROJECT:-github.com/containerd/containerd/v2@v2.4.2}
ROUNDS=${BENCH_ROUNDS:-7}
DIR=${BENCH_DIR:-/tmp/modseal-bench-precommit}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
export GOTOOLCHAIN=local GOWORK=off GOFLAGS=

command -v /usr/bin/time >/dev/null || { apt-get update -qq && apt-get install -y -qq time >/dev/null; }

mkdir -p "$DIR"
(cd "$ROOT" && go build -trimpath -o "$DIR/modseal" ./cmd/modseal)

export GOMODCACHE="$DIR/modcache"
if [ ! -f "$DIR/project/go.mod" ]; then
	echo "preparing $PROJECT in $DIR/project"
	src=$(cd "$DIR" && GOFLAGS=-mod=mod go mod download -json "$PROJECT" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
	rm -rf "$DIR/project"
	cp -r "$src" "$DIR/project"
	chmod -R u+w "$DIR/project"
	# go mod download fetches the build's modules, and go mod tidy -diff
	# whatever else tidy reads (test dependencies of all platforms). Not
	# "go mod download all": the proxy here refuses some module versions
	# that neither command needs.
	(cd "$DIR/project" && go mod download && go mod tidy -diff >/dev/null)
	# A commit, for the hook's --changed HEAD.
	(cd "$DIR/project" && git init -q . && git add -A && git -c user.email=bench@example.com -c user.name=bench commit -qm base)
fi
cd "$DIR/project"
export GOPROXY=off
mods=$(go list -m all | wc -l)
echo "project $PROJECT: $mods modules (go list -m all, main included), go.sum $(wc -l < go.sum) lines"
echo "machine: $(nproc) cores, $(go version), load $(cut -d' ' -f1-3 /proc/loadavg)"

run() { # name cmd... -> prints "wall rss_kib exit"
	local out
	out=$(mktemp)
	set +e
	/usr/bin/time -f '%e %M' -o "$out.time" "$@" >"$out" 2>&1
	local rc=$?
	set -e
	if [ "$1" = "$DIR/modseal" ] && [ $rc -eq 2 ]; then
		echo "modseal failed:" >&2
		cat "$out" >&2
		exit 1
	fi
	echo "$(cat "$out.time") $rc"
	rm -f "$out" "$out.time"
}

A=(go mod tidy -diff)
B=("$DIR/modseal" audit --offline --skip cache-tampered --changed HEAD --cache-dir "$DIR/cache" .)
echo "warm-up A: $(run "${A[@]}")"
echo "warm-up B: $(run "${B[@]}")   (fills modseal's cache)"

printf '%5s | %8s %8s %4s | %8s %8s %4s | %6s\n' round "A s" "A MiB" rc "B s" "B MiB" rc "B/A"
as=() bs=() ratios=() maxrss=0
for i in $(seq 1 "$ROUNDS"); do
	read -r aw ar ac < <(run "${A[@]}")
	read -r bw br bc < <(run "${B[@]}")
	ratio=$(awk -v a="$aw" -v b="$bw" 'BEGIN { printf "%.3f", b / a }')
	printf '%5d | %8s %8d %4s | %8s %8d %4s | %6s\n' "$i" "$aw" $((ar / 1024)) "$ac" "$bw" $((br / 1024)) "$bc" "$ratio"
	as+=("$aw") bs+=("$bw") ratios+=("$ratio")
	[ "$br" -gt "$maxrss" ] && maxrss=$br
done
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
ma=$(median "${as[@]}") mb=$(median "${bs[@]}") mr=$(median "${ratios[@]}")
echo "medians: A go mod tidy -diff $ma s; B modseal $mb s; ratio of medians $(awk -v a="$ma" -v b="$mb" 'BEGIN { printf "%.3f", b / a }'); median of ratios $mr"
echo "modseal peak RSS: $((maxrss / 1024)) MiB"
ok=0
awk -v r="$mr" 'BEGIN { exit !(r <= 1.5) }' && echo "PASS speed: median ratio $mr <= 1.5" || { echo "FAIL speed: median ratio $mr > 1.5"; ok=1; }
[ $((maxrss / 1024)) -le 100 ] && echo "PASS memory: $((maxrss / 1024)) MiB <= 100" || { echo "FAIL memory: $((maxrss / 1024)) MiB > 100"; ok=1; }
exit $ok
