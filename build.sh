#!/usr/bin/env bash
# build.sh builds lamina into dist/ (git-ignored); it is idempotent and may be
# run from any directory:
#   dist/lamina           the CLI (`dist/lamina serve --addr 127.0.0.1:8080`)
#   dist/site/            the static site: every file of site/ (lamina.mjs,
#                         lamina-engine.mjs, lamina-worker.js, the *.html pages
#                         and their scripts), lamina.wasm (the runtime, ./wasm),
#                         lamina-booleans.wasm (its path booleans, ./wasm/booleans),
#                         editor.wasm (the layer editor, ./ui/editorwasm) and
#                         wasm_exec.js from the Go toolchain that built them
#
#   ./build.sh            every step: cli wasm site editor
#   ./build.sh wasm site  only those steps
#   ./build.sh sizes      print lamina.wasm's and lamina-booleans.wasm's download sizes
#                         (raw, gzip, brotli) as JSON; fails if one is over its
#                         brotli budget (every wasm step checks it)
#   ./build.sh gcflags    print the compiler flags lamina.wasm is built with (inlining
#                         only in the hot packages), one per line
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
# (about a third of the file); -trimpath keeps host paths out of it. The tag
# lamina_nocanvas leaves tdewolff/canvas (and the fonts, TeX engine, image codecs
# and net/http it imports) out of lamina.wasm: its path booleans, needed only to
# read a drawing for an edit, are lamina-booleans.wasm (./wasm/booleans), which
# lamina-engine.mjs starts on first use. Both files are checked against their
# budgets (build_sizes).
#
# lamina.wasm is compiled with inlining off (-gcflags=-l) except in the
# packages whose loops run per token, per sampling step or per weight: the
# runtime, the backends and kernels, model, jsonmode's masks and the small
# standard packages those loops call. Inlining elsewhere (the chat template
# interpreter, JSON, fmt, reflect, loaders, the JS glue) cost about 113 KB of
# the brotli download and no measured speed (ARCHITECTURE.md, "Download size
# / Stop 28"); in svgmodel 6 KB and no measured speed (a sample's time is its
# kernels'), in model 10 KB against 3.5 % of brown-20m's prefill on
# wasm-simd, so model keeps it ("Stop 29"). LAMINA_WASM_INLINE=all builds
# with the compiler's default everywhere, for comparing.
LAMINA_WASM_INLINE=${LAMINA_WASM_INLINE:-hot}
HOT_PACKAGES="runtime internal/runtime/... internal/bytealg math math/bits unicode/utf8 encoding/binary sync sync/atomic slices sort bytes syscall/js
	github.com/lamina-ml/lamina/kernels github.com/lamina-ml/lamina/tensor github.com/lamina-ml/lamina/wasmsimd
	github.com/lamina-ml/lamina/model github.com/lamina-ml/lamina/model/jsonmode"
wasm_gcflags() {
	[ "$LAMINA_WASM_INLINE" = all ] && return
	local p
	printf '%s\n' '-gcflags=all=-l'
	for p in $HOT_PACKAGES; do printf '%s\n' "-gcflags=$p="; done
}
# build_gcflags: print the -gcflags arguments build_wasm uses, one per line
# (bench/peers/run.sh builds its lamina.wasm with them).
build_gcflags() { wasm_gcflags; }
build_wasm() {
	mkdir -p "$dist/site"
	local gcflags
	mapfile -t gcflags < <(wasm_gcflags)
	GOOS=js GOARCH=wasm go build -trimpath -ldflags='-s -w' "${gcflags[@]}" -tags lamina_nocanvas -o "$dist/site/lamina.wasm.tmp" ./wasm
	mv "$dist/site/lamina.wasm.tmp" "$dist/site/lamina.wasm"
	GOOS=js GOARCH=wasm go build -trimpath -ldflags='-s -w' -o "$dist/site/lamina-booleans.wasm.tmp" ./wasm/booleans
	mv "$dist/site/lamina-booleans.wasm.tmp" "$dist/site/lamina-booleans.wasm"
	log "built $dist/site/lamina.wasm ($(wc -c <"$dist/site/lamina.wasm") bytes) and lamina-booleans.wasm ($(wc -c <"$dist/site/lamina-booleans.wasm") bytes)"
	build_sizes >/dev/null
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

# Download budgets, brotli -q 11 bytes: lamina.wasm is what every page pays for
# (issue 16's goal is 1.5 MB, wasmsimd's kernel module included, which lives in
# it); lamina-booleans.wasm (path booleans and the SVG reader) only pages that
# edit a drawing. ARCHITECTURE.md ("Download size") has the breakdown and what
# to do when a budget is hit.
LAMINA_WASM_BUDGET=${LAMINA_WASM_BUDGET:-1500000}
BOOLEANS_WASM_BUDGET=${BOOLEANS_WASM_BUDGET:-2050000}

# build_sizes: the download a page pays for the runtime, raw and compressed,
# one JSON line per file; it fails (without brotli installed too) when a file
# is over its budget.
build_sizes() {
	[ -f "$dist/site/lamina.wasm" ] && [ -f "$dist/site/lamina-booleans.wasm" ] || build_wasm
	command -v brotli >/dev/null || { log "brotli is needed to check the wasm budgets (apt-get install brotli)"; return 1; }
	local f budget raw gz br bad=0
	for f in lamina.wasm:$LAMINA_WASM_BUDGET lamina-booleans.wasm:$BOOLEANS_WASM_BUDGET; do
		budget=${f#*:} f=${f%%:*}
		raw=$(wc -c <"$dist/site/$f")
		gz=$(gzip -9 -c "$dist/site/$f" | wc -c)
		br=$(brotli -q 11 -c "$dist/site/$f" | wc -c)
		printf '{"file":"%s","raw":%s,"gzip":%s,"brotli":%s,"budget_brotli":%s}\n' "$f" "$raw" "$gz" "$br" "$budget"
		if [ "$br" -gt "$budget" ]; then
			log "$f is $br bytes brotli, over its budget of $budget (see ARCHITECTURE.md, Download size)"
			bad=1
		fi
	done
	[ "$bad" = 0 ]
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
