#!/usr/bin/env bash
# audit-real.sh: run `modseal audit` with its default flags on large real Go
# projects fetched from the module proxy, and summarise what it says.
#
# Usage (from anywhere inside the repository):
#
#	scripts/audit-real.sh [MODSEAL_BIN] [PROJECT@VERSION...]
#	scripts/audit-real.sh /tmp/modseal-base
#	AUDIT_REAL_WORK=/work/real scripts/audit-real.sh ./modseal helm.sh/helm/v4@v4.3.1
#
# MODSEAL_BIN: a modseal binary (any first argument without an "@"). Without
# it the script builds one from the work tree into $AUDIT_REAL_WORK/modseal.
# PROJECT@VERSION: module versions to audit (default: the list below).
#
# For each project it:
#  1. fetches the module zip with `go mod download -json MOD@VER` (into the
#     normal GOMODCACHE) and copies the extracted directory to
#     $AUDIT_REAL_WORK/src/NAME (writable);
#  2. runs `go mod download` there, warming GOMODCACHE with the project's
#     dependencies as a CI cache restore would; modules the proxy refuses
#     (403/404/410) are listed in the summary. go.mod and go.sum are restored
#     from the module zip afterwards, so modseal sees them as published;
#  3. runs `MODSEAL_BIN audit --format json --cache-dir FRESH .` in it, with a
#     fresh cache directory and otherwise default flags (plus
#     $AUDIT_REAL_FLAGS, empty by default), under a time limit
#     of $AUDIT_REAL_TIMEOUT seconds (default 600), and records the exit
#     code, wall time, the JSON report (out/NAME.json) and stderr
#     (out/NAME.stderr).
# Then it prints a table: project, exit code, findings by rule, skipped
# checks, seconds, refused downloads, notes. It writes the same table to
# $AUDIT_REAL_WORK/summary$AUDIT_REAL_TAG.txt.
#
# A module zip may carry a go.work whose other modules are not in the zip
# (prometheus does): the go command cannot load such a workspace. With
# AUDIT_REAL_GOWORK=auto (the default) the script then sets GOWORK=off for
# that project, for go mod download and modseal alike, and says so in the
# notes; with AUDIT_REAL_GOWORK=keep it leaves the workspace as published.
#
# Environment: AUDIT_REAL_WORK (scratch dir, default
# ${TMPDIR:-/tmp}/modseal-audit-real), AUDIT_REAL_TIMEOUT (seconds per modseal
# run), AUDIT_REAL_FLAGS (extra modseal flags, split on spaces; default
# none), AUDIT_REAL_TAG (suffix for the report names, default none: reports
# go to out/NAME$AUDIT_REAL_TAG.json), AUDIT_REAL_GOWORK (auto|keep). The go
# command's own environment (GOPROXY, GOSUMDB, GOFLAGS, GOMODCACHE, ...) is
# used as it is. Needs go, and jq or python3.
# The script exits 0 when every project was audited (whatever modseal's exit
# code), 2 when a project could not be fetched.
set -uo pipefail

default_projects=(
	github.com/containerd/containerd/v2@v2.4.2
	github.com/caddyserver/caddy/v2@v2.11.9
	github.com/open-policy-agent/opa@v1.22.4
	github.com/syncthing/syncthing@v1.30.0
	helm.sh/helm/v4@v4.3.1
	github.com/prometheus/prometheus@v0.316.0
)

work=${AUDIT_REAL_WORK:-${TMPDIR:-/tmp}/modseal-audit-real}
limit=${AUDIT_REAL_TIMEOUT:-600}
tag=${AUDIT_REAL_TAG:-}
gowork_mode=${AUDIT_REAL_GOWORK:-auto}
read -r -a extra_flags <<<"${AUDIT_REAL_FLAGS:-}"
mkdir -p "$work/out" "$work/src" "$work/cache" "$work/logs" || exit 2
work=$(cd "$work" && pwd)

die() { echo "audit-real: $*" >&2; exit 2; }
command -v go >/dev/null || die "go not found in PATH"
if command -v jq >/dev/null; then
	json=jq
elif command -v python3 >/dev/null; then
	json=python3
else
	die "need jq or python3 to read JSON"
fi

modseal=
if [ $# -gt 0 ] && [[ $1 != *@* ]]; then
	modseal=$1
	shift
	[ -x "$modseal" ] || die "$modseal: not an executable"
	modseal=$(cd "$(dirname "$modseal")" && pwd)/$(basename "$modseal")
else
	repo=$(cd "$(dirname "$0")/.." && pwd)
	echo "audit-real: building modseal from $repo" >&2
	(cd "$repo" && go build -trimpath -o "$work/modseal" ./cmd/modseal) || die "build failed"
	modseal=$work/modseal
fi
projects=("$@")
[ ${#projects[@]} -gt 0 ] || projects=("${default_projects[@]}")

# jfield FILE EXPR: one top-level string field of a JSON object (empty if absent).
jfield() {
	if [ "$json" = jq ]; then
		jq -r --arg k "$2" '.[$k] // empty' "$1"
	else
		python3 -c 'import json,sys; v=json.load(open(sys.argv[1])).get(sys.argv[2]); print("" if v is None else v)' "$1" "$2"
	fi
}

# summarize FILE: "rule=N,rule=N skipped=N(check,check)" from a modseal JSON report.
summarize() {
	if [ ! -s "$1" ]; then
		printf -- '-\t-\t-\n'
		return
	fi
	if [ "$json" = jq ]; then
		jq -r '
			([.findings[]?.rule] | group_by(.) | map("\(.[0])=\(length)") | join(",")) as $f
			| ([.skipped[]?.check] | group_by(.) | map("\(.[0])=\(length)") | join(",")) as $s
			| "\(if $f == "" then "-" else $f end)\t\((.skipped // []) | length)\t\(if $s == "" then "-" else $s end)"
		' "$1" 2>/dev/null || printf 'unreadable\t-\t-\n'
	else
		python3 - "$1" <<-'EOF' 2>/dev/null || printf 'unreadable\t-\t-\n'
			import collections, json, sys
			r = json.load(open(sys.argv[1]))
			f = collections.Counter(x.get("rule") for x in r.get("findings") or [])
			s = collections.Counter(x.get("check") for x in r.get("skipped") or [])
			fmt = lambda c: ",".join("%s=%d" % kv for kv in sorted(c.items())) or "-"
			print("%s\t%d\t%s" % (fmt(f), sum(s.values()), fmt(s)))
		EOF
	fi
}

# name MOD: the last path element that is not a /vN suffix.
name() {
	local p=$1 b
	b=${p##*/}
	if [[ $b =~ ^v[0-9]+$ ]] && [[ $p == */* ]]; then
		p=${p%/*}
		b=${p##*/}
	fi
	echo "$b"
}

timeout_cmd=()
command -v timeout >/dev/null && timeout_cmd=(timeout "$limit")

rows=()
status=0
for pv in "${projects[@]}"; do
	mod=${pv%@*}
	ver=${pv#*@}
	n=$(name "$mod")
	src=$work/src/$n
	log=$work/logs/$n
	echo "audit-real: $pv -> $src" >&2

	# 1. The module zip, through the normal GOMODCACHE.
	if ! go mod download -json "$mod@$ver" >"$log.fetch.json" 2>"$log.fetch.err"; then
		echo "audit-real: $pv: go mod download failed:" >&2
		cat "$log.fetch.err" "$log.fetch.json" >&2
		rows+=("$pv	fetch-failed	-	-	-	-	-	-")
		status=2
		continue
	fi
	dir=$(jfield "$log.fetch.json" Dir)
	[ -n "$dir" ] && [ -d "$dir" ] || { rows+=("$pv	no-dir	-	-	-	-	-	-"); status=2; continue; }
	chmod -R u+w "$src" 2>/dev/null
	rm -rf "$src"
	cp -R "$dir" "$src" && chmod -R u+w "$src" || die "copy $dir failed"

	# A go.work whose modules the zip lacks: the go command cannot load it.
	notes=()
	gowork=()
	if [ "$gowork_mode" = auto ] && [ -f "$src/go.work" ] &&
		! (cd "$src" && go list -m) >/dev/null 2>"$log.gowork.err" &&
		grep -q 'listed in go.work file' "$log.gowork.err"; then
		gowork=(env GOWORK=off)
		notes+=("GOWORK=off(go.work lists modules absent from the zip)")
	fi

	# 2. Warm GOMODCACHE with the dependencies, as a CI cache restore would.
	(cd "$src" && "${gowork[@]}" go mod download) >"$log.deps.out" 2>"$log.deps.err"
	deps_rc=$?
	refused=$(grep -E ' (403|404|410)( |$)' "$log.deps.err" | sed -nE 's/^(go: )?([^ :]+@[^ :]+): .*/\2/p' | sort -u | tr '\n' ' ')
	refused=${refused% }
	[ -n "$refused" ] || refused=-
	[ $deps_rc -eq 0 ] || [ "$refused" != - ] || refused="go-mod-download-exit-$deps_rc"
	for f in go.mod go.sum; do
		if [ -f "$dir/$f" ] && ! cmp -s "$dir/$f" "$src/$f"; then
			echo "audit-real: $pv: go mod download changed $f; restored" >&2
			notes+=("go-mod-download-changed-$f(restored)")
			cp "$dir/$f" "$src/$f"
		fi
	done

	# 3. modseal audit, default flags, fresh cache.
	cache=$work/cache/$n$tag
	chmod -R u+w "$cache" 2>/dev/null
	rm -rf "$cache"
	start=$(date +%s.%N)
	(cd "$src" && "${gowork[@]}" "${timeout_cmd[@]}" "$modseal" audit --format json --cache-dir "$cache" "${extra_flags[@]}" .) \
		>"$work/out/$n$tag.json" 2>"$work/out/$n$tag.stderr"
	rc=$?
	end=$(date +%s.%N)
	secs=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }')
	[ $rc -eq 124 ] && [ ${#timeout_cmd[@]} -gt 0 ] && rc="124(timeout)"
	IFS=$'\t' read -r findings nskip skipped < <(summarize "$work/out/$n$tag.json")
	[ ${#notes[@]} -gt 0 ] || notes=(-)
	rows+=("$pv	$rc	$findings	$nskip	$skipped	$secs	$refused	${notes[*]}")
	echo "audit-real: $pv: exit $rc in ${secs}s" >&2
done

{
	echo "modseal: $modseal ($("$modseal" version 2>/dev/null | head -1)); extra flags: ${extra_flags[*]:-none}"
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' project exit findings-by-rule skipped skipped-by-check seconds refused-downloads notes
	printf '%s\n' "${rows[@]}"
} | tee "$work/summary$tag.txt"
echo "reports: $work/out/NAME$tag.json, stderr: $work/out/NAME$tag.stderr, logs: $work/logs" >&2
exit $status
