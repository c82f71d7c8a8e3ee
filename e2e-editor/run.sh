#!/usr/bin/env bash
# e2e-editor/run.sh runs the browser tests of the layer editor (site/editor.html), the LM
# playground (site/playground.html) and the widget (site/embed.html) in headless Chromium:
# it builds the CLI, the site and editor.wasm, assembles a models folder, starts
# `lamina serve` on 127.0.0.1, runs editor.test.mjs and exits non-zero when a test fails.
# Screenshots land in e2e-editor/test-results/ (git-ignored).
#
#   e2e-editor/run.sh                               everything
#   e2e-editor/run.sh --test-name-pattern undo      only matching tests (node --test flags pass through)
#   LAMINA_E2E_SKIP_BUILD=1 e2e-editor/run.sh       reuse dist/
#   e2e-editor/run.sh --bench [vector|raster]       print the layer drawing benchmark (bench-render.mjs)
#   LAMINA_E2E_SVG_MODEL=models/layered-emoji e2e-editor/run.sh   test with the trained model
#                                                   (default: svgmodel's tiny test model, fast)
#
# Needs: chromium (apt-get install -y chromium), node + npm (playwright-core is installed
# into e2e-editor/node_modules from package-lock.json), Go, brotli (sizes only).
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
repo="$(dirname "$here")"
cd "$repo"

if [ -z "${LAMINA_E2E_SKIP_BUILD:-}" ]; then
	./build.sh cli wasm site editor
fi

export LAMINA_CHROMIUM="${LAMINA_CHROMIUM:-/usr/bin/chromium}"
if [ ! -x "$LAMINA_CHROMIUM" ]; then
	echo "e2e-editor: no Chromium at $LAMINA_CHROMIUM: apt-get install -y chromium (or set LAMINA_CHROMIUM)" >&2
	exit 1
fi
if [ ! -d "$here/node_modules/playwright-core" ]; then
	(cd "$here" && npm ci --no-audit --no-fund --ignore-scripts >&2)
fi

# Models: the drawing model the editor and <lamina-svg> load by default
# (models/layered-emoji/), and a small LM with a tokenizer for the playground.
work="$here/test-results"
models="$work/models"
rm -rf "$models"
mkdir -p "$models/layered-emoji" "$models/demo-lm"
svg_model="${LAMINA_E2E_SVG_MODEL:-svgmodel/testdata/tiny}"
cp "$svg_model/config.json" "$svg_model/model.safetensors" "$models/layered-emoji/"
# The WebGPU test always draws with the tiny model: SwiftShader (a CPU emulator) needs minutes
# per sample of the trained one.
mkdir -p "$models/tiny-svg"
cp svgmodel/testdata/tiny/config.json svgmodel/testdata/tiny/model.safetensors "$models/tiny-svg/"
cp model/testdata/gpt2-tiny/config.json model/testdata/gpt2-tiny/model.safetensors "$models/demo-lm/"
# a byte-level BPE whose ids (< 271) fit gpt2-tiny's 512-token vocabulary
cp tokenizer/testdata/bytelevel-small/tokenizer.json "$models/demo-lm/"

log="$work/serve.log"
dist/lamina serve --addr 127.0.0.1:0 --site dist/site --models "$models" >"$log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
url=""
for _ in $(seq 100); do
	url=$(sed -n 's/.*"url":"\([^"]*\)".*/\1/p' "$log" | head -1)
	[ -n "$url" ] && break
	kill -0 $server 2>/dev/null || { cat "$log" >&2; exit 1; }
	sleep 0.1
done
[ -n "$url" ] || { echo "e2e-editor: lamina serve did not start" >&2; cat "$log" >&2; exit 1; }
echo "e2e-editor: serving $url" >&2

if [ "${1:-}" = "--bench" ]; then
	shift
	LAMINA_URL="$url" node "$here/bench-render.mjs" "$@"
	exit
fi
LAMINA_URL="$url" LAMINA_E2E_OUT="$work" node --test --test-concurrency=1 --test-reporter=spec "$@" "$here/editor.test.mjs"
