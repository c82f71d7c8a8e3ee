#!/usr/bin/env bash
# e2e-editor/run.sh runs the browser tests of the layer editor (site/editor.html), the LM
# playground (site/playground.html) and the widget (site/embed.html) in headless Chromium:
# it builds the CLI, the site and editor.wasm, assembles a models folder, starts
# `lamina serve` on 127.0.0.1, runs editor.test.mjs and exits non-zero when a test fails.
# Screenshots land in e2e-editor/test-results/ (git-ignored).
#
#   e2e-editor/run.sh                               everything
#   e2e-editor/run.sh --test-name-pattern undo      only matching tests (node --test flags pass through)
#   e2e-editor/run.sh e2e-editor/view.test.mjs      only that file
#   LAMINA_E2E_SKIP_BUILD=1 e2e-editor/run.sh       reuse dist/
#   e2e-editor/run.sh --bench [vector|raster]       print the layer drawing benchmark (bench-render.mjs)
#   LAMINA_E2E_SVG_MODEL=models/layered-emoji e2e-editor/run.sh   test with the trained model
#                                                   (default: svgmodel's tiny test model, fast)
#
# Needs: chromium (apt-get install -y chromium), node + npm (playwright-core, installed once
# into e2e/node_modules for every browser suite: e2e/harness.sh), Go, brotli (sizes only).
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
repo="$(dirname "$here")"
cd "$repo"
. "$repo/e2e/harness.sh"

if [ -z "${LAMINA_E2E_SKIP_BUILD:-}" ]; then
	./build.sh cli wasm site editor
fi
harness_browser e2e-editor

# Models: the drawing model the editor and <lamina-svg> load by default
# (models/layered-emoji/); the tiny model again for the WebGPU test, which always draws
# with it (SwiftShader, a CPU emulator, needs minutes per sample of the trained one); the
# trained model as slow-svg for worker.test.mjs, whose runs must last long enough (seconds
# in wasm) to measure the page during them and to cancel them; a small LM with a
# byte-level BPE whose ids (< 271) fit gpt2-tiny's 512-token vocabulary, for the playground.
work="$here/test-results"
mkdir -p "$work"
harness_models "$work/models" <<MODELS
layered-emoji ${LAMINA_E2E_SVG_MODEL:-svgmodel/testdata/tiny} config.json model.safetensors
tiny-svg svgmodel/testdata/tiny config.json model.safetensors
slow-svg models/layered-emoji config.json model.safetensors
demo-lm model/testdata/gpt2-tiny config.json model.safetensors
demo-lm tokenizer/testdata/bytelevel-small tokenizer.json
MODELS

harness_serve e2e-editor "$work/models" "$work/serve.log"

if [ "${1:-}" = "--bench" ]; then
	shift
	LAMINA_URL="$url" node "$here/bench-render.mjs" "$@"
	exit
fi
# Every *.test.mjs here (editor.test.mjs: the editor's actions and the pages; view.test.mjs:
# zoom, pan, the phone fold, the session, the widget's ids). Name files to run only those:
#   e2e-editor/run.sh e2e-editor/view.test.mjs
files=()
for a in "$@"; do
	case "$a" in *.test.mjs) files+=("$a") ;; esac
done
if [ ${#files[@]} -eq 0 ]; then
	files=("$here"/*.test.mjs)
fi
args=()
for a in "$@"; do
	case "$a" in *.test.mjs) ;; *) args+=("$a") ;; esac
done
LAMINA_URL="$url" LAMINA_E2E_OUT="$work" node --test --test-concurrency=1 --test-reporter=spec ${args[@]+"${args[@]}"} "${files[@]}"
