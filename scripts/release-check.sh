#!/usr/bin/env bash
# release-check.sh: modseal's release machinery, run locally (docs/release.md).
#
#   scripts/release-check.sh [check]      goreleaser check, then a local snapshot
#                                         release in dist/ (no tag, nothing
#                                         published), and checks what it built:
#                                         six archives, checksums.txt (sha256sum -c),
#                                         the host binary runs and go version -m
#                                         reads it
#   scripts/release-check.sh pin FILE     the MODSEAL_PINS lines of action.yml for
#                                         the release whose checksums file is FILE
#                                         (run in a checkout of the release's tag)
#   scripts/release-check.sh digest       the source digest action.yml keys its
#                                         pins by, for this checkout
#
# GORELEASER is the goreleaser command (default: go run of the pinned
# version). Without syft on PATH the snapshot leaves the SBOMs out (the
# release workflow installs syft). The check takes a few minutes the first
# time (goreleaser is built); it is not part of make test or CI.
set -euo pipefail

cd "$(dirname "$0")/.."
GORELEASER="${GORELEASER:-go run github.com/goreleaser/goreleaser/v2@v2.17.0}"
platforms="linux_amd64 linux_arm64 darwin_amd64 darwin_arm64 windows_amd64 windows_arm64"

sha=(sha256sum)
command -v sha256sum >/dev/null 2>&1 || sha=(shasum -a 256)

# digest prints the sha256 of the "sha256  ./path" lines of every *.go,
# go.mod and go.sum file of the checkout, sorted by path, .git and dist left
# out: the same command as action.yml's install step.
digest() {
	find . \( -path ./.git -o -path ./dist \) -prune -o -type f \( -name '*.go' -o -name go.mod -o -name go.sum \) -print0 |
		LC_ALL=C sort -z | xargs -0 "${sha[@]}" | sed 's/ \*/  /' | "${sha[@]}" | cut -c1-64
}

case "${1:-check}" in
digest)
	digest
	;;
pin)
	file="${2:?usage: release-check.sh pin CHECKSUMS_FILE}"
	src="$(digest)"
	n=0
	while read -r sum name; do
		name="${name#\*}"
		for p in $platforms; do
			if [[ "$name" =~ ^modseal_(.+)_${p}\.tar\.gz$ ]]; then
				echo "$src v${BASH_REMATCH[1]} $p $sum"
				n=$((n + 1))
			fi
		done
	done <"$file"
	if [ "$n" -eq 0 ]; then
		echo "release-check.sh: no modseal_VERSION_OS_ARCH.tar.gz in $file" >&2
		exit 1
	fi
	;;
check)
	# shellcheck disable=SC2086 # GORELEASER is a command line
	$GORELEASER check
	skip=()
	if ! command -v syft >/dev/null 2>&1; then
		echo "release-check.sh: syft is not on PATH: the snapshot has no SBOMs (the release workflow installs syft)" >&2
		skip=(--skip=sbom)
	fi
	# shellcheck disable=SC2086
	$GORELEASER release --snapshot --clean "${skip[@]}"
	for p in $platforms; do
		ls dist/modseal_*_"$p".tar.gz >/dev/null
	done
	(cd dist && "${sha[@]}" -c checksums.txt)
	host="$(go env GOHOSTOS)_$(go env GOHOSTARCH)"
	tmp="$(mktemp -d)"
	trap 'rm -rf "$tmp"' EXIT
	tar -xzf dist/modseal_*_"$host".tar.gz -C "$tmp" "modseal$(go env GOEXE)"
	"$tmp/modseal" version
	go version -m "$tmp/modseal"
	echo "release-check.sh: dist/ holds the six archives, checksums.txt verifies, and the $host binary runs."
	;;
*)
	echo "usage: release-check.sh [check | pin CHECKSUMS_FILE | digest]" >&2
	exit 2
	;;
esac
