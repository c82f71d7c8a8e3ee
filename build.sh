#!/usr/bin/env bash
# build.sh builds lamina into dist/ (git-ignored); it is idempotent and may be
# run from any directory:
#   dist/lamina           the CLI (`dist/lamina serve --addr 127.0.0.1:8080`)
#   dist/site/            the static site: every file of site/ (lamina.mjs,
#                         lamina-engine.mjs, lamina-worker.js, the *.html pages
#                         and their scripts), lamina.wasm (the runtime, ./wasm),
#                         editor.wasm (the layer editor, ./ui/editorwasm) and
#                         wasm_exec.js from the Go toolchain that built them
#
#   ./build.sh            every step: cli wasm site editor
#   ./build.sh wasm site  only those steps
#   ./build.sh sizes      print lamina.wasm's download size (raw, gzip, brotli) as JSON
#   ./build.sh limits     fail if any file in dist/site is 25 MiB or more (Cloudflare's
#                         per-asset limit; worker/dev.sh and deploys refuse such a file);
#                         every full build runs it last
#
# LAMINA_DIST overrides dist/. Go modules are fetched by go build. A new
# component adds a build_NAME function below and lists NAME in all_steps.
set -euo pipefail

repo="$(cd "$(dirname "$0")" && pwd)"
dist="${LAMINA_DIST:-$repo/dist}"
cd "$repo"

# go is /usr/local/go/bin/go on the build machines; respect a PATH that has one.
command -v go >/dev/null || export PATH="$PATH:/usr/local/go/bin"

log() { echo "build.sh: $*" >&2; }

# build_cli: the native CLI.
build_cli() {
	mkdir -p "$dist"
	go build -trimpath -o "$dist/lamina" ./cmd/lamina
	log "built $dist/lamina"
}

# build_wasm: the browser runtime. -s -w drops the symbol table and DWARF
# (about a third of the file); -trimpath keeps host paths out of it.
build_wasm() {
	mkdir -p "$dist/site"
	GOOS=js GOARCH=wasm go build -trimpath -ldflags='-s -w' -o "$dist/site/lamina.wasm.tmp" ./wasm
	mv "$dist/site/lamina.wasm.tmp" "$dist/site/lamina.wasm"
	log "built $dist/site/lamina.wasm ($(wc -c <"$dist/site/lamina.wasm") bytes)"
}

# build_site: static files, and wasm_exec.js from the same Go toolchain
# that built lamina.wasm (the two must match).
build_site() {
	mkdir -p "$dist/site"
	local f
	for f in site/*; do
		case "$f" in
		*.go | *_test.* | site/wasm_exec.js) continue ;;
		esac
		cp -R "$f" "$dist/site/"
	done
	cp "$(go env GOROOT)/lib/wasm/wasm_exec.js" "$dist/site/wasm_exec.js"
	log "copied site files into $dist/site"
}

# build_sizes: the download a page pays for the runtime, raw and compressed.
build_sizes() {
	local w="$dist/site/lamina.wasm"
	[ -f "$w" ] || build_wasm
	local raw gz br="n/a (install brotli)"
	raw=$(wc -c <"$w")
	gz=$(gzip -9 -c "$w" | wc -c)
	if command -v brotli >/dev/null; then
		br=$(brotli -q 11 -c "$w" | wc -c)
	fi
	printf '{"file":"lamina.wasm","raw":%s,"gzip":%s,"brotli":"%s"}\n' "$raw" "$gz" "$br"
}

# build_editor: the layer editor (ui/editorwasm → editor.wasm; its page, editor.html/.css/.js,
# is copied by build_site). It prints its download size, raw/gzip/brotli.
build_editor() {
	mkdir -p "$dist/site"
	GOOS=js GOARCH=wasm go build -trimpath -ldflags='-s -w' -o "$dist/site/editor.wasm.tmp" ./ui/editorwasm
	mv "$dist/site/editor.wasm.tmp" "$dist/site/editor.wasm"
	local w="$dist/site/editor.wasm" br="n/a (install brotli)"
	command -v brotli >/dev/null && br=$(brotli -q 11 -c "$w" | wc -c)
	log "built $w: raw $(wc -c <"$w"), gzip $(gzip -9 -c "$w" | wc -c), brotli $br bytes (budget 4 MB brotli)"
}

# build_limits: Cloudflare Workers serves static assets of under 25 MiB each; a bigger file
# makes wrangler refuse to start, so the build fails here instead.
build_limits() {
	local limit=$((25 * 1024 * 1024)) f n bad=0
	[ -d "$dist/site" ] || { log "no $dist/site to check"; return 1; }
	while IFS= read -r -d '' f; do
		n=$(wc -c <"$f")
		if [ "$n" -ge "$limit" ]; then
			log "$f is $n bytes: Cloudflare's per-asset limit is $limit (25 MiB)"
			bad=1
		fi
	done < <(find "$dist/site" -type f -print0)
	[ "$bad" = 0 ] || return 1
	log "every file in $dist/site is under 25 MiB"
}

all_steps=(cli wasm site editor limits)

steps=("$@")
[ ${#steps[@]} -gt 0 ] || steps=("${all_steps[@]}")
for s in "${steps[@]}"; do
	if ! declare -F "build_$s" >/dev/null; then
		log "unknown step '$s' (steps: ${all_steps[*]} sizes)"
		exit 2
	fi
	"build_$s"
done
