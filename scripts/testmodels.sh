#!/usr/bin/env bash
# scripts/testmodels.sh MANIFEST DEST assembles a models folder (one subfolder per model) for
# a test suite from the fixtures committed once in the repository (model/testdata,
# svgmodel/testdata, tokenizer/testdata). Each manifest line is DEST_SUBDIR SOURCE_DIR
# FILE...; SOURCE_DIR is absolute or relative to the repository root; '#' starts a comment. DEST is
# created; files already there are replaced. Used by e2e/harness.sh (e2e, e2e-editor) and
# worker/test/run.sh; the worker's go test reads the same manifest (worker/fixtures_test.go).
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: $0 MANIFEST DEST   (MANIFEST may be /dev/stdin)" >&2; exit 2; }
root="$(cd "$(dirname "$0")/.." && pwd)"
manifest=$1
dest=$2
mkdir -p "$dest"
while read -r sub src files; do
	case "$sub" in '' | '#'*) continue ;; esac
	mkdir -p "$dest/$sub"
	for f in $files; do
		case "$src" in /*) cp "$src/$f" "$dest/$sub/$f" ;; *) cp "$root/$src/$f" "$dest/$sub/$f" ;; esac
	done
done <"$manifest"
