#!/usr/bin/env bash
# Builds the WebGPU kernel tests for js/wasm and runs them in headless
# Chromium (SwiftShader WebGPU).
#
#   webgpu/browsertest/run.sh                 every test
#   webgpu/browsertest/run.sh --run REGEXP    only the Go tests REGEXP matches
#
# Needs: go, node + npm (playwright-core, installed once into e2e/node_modules
# for every browser suite: e2e/harness.sh), chromium at $LAMINA_CHROMIUM
# (default /usr/bin/chromium). Exits non-zero on any failure.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
. "$repo/e2e/harness.sh"
run=""
case "${1:-}" in
--run) run=${2:?--run needs a regexp} ;;
"") ;;
*) echo "usage: $0 [--run REGEXP]" >&2; exit 2 ;;
esac
harness_browser webgpu
mkdir -p "$here/build"
cp "$(go env GOROOT)/lib/wasm/wasm_exec.js" "$here/build/"
(cd "$repo" && GOOS=js GOARCH=wasm go test -c -o "$here/build/webgpu.test.wasm" ./webgpu)
exec node "$here/run.mjs" ${run:+"$run"}
