#!/usr/bin/env bash
# Builds the WebGPU kernel tests for js/wasm and runs them in headless
# Chromium (SwiftShader WebGPU). Usage: webgpu/browsertest/run.sh [-test.run regexp]
# Needs: go, node/npm (installs playwright-core here), /usr/bin/chromium
# (or $CHROMIUM). Exits non-zero on any failure.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
mkdir -p "$here/build"
cp "$(go env GOROOT)/lib/wasm/wasm_exec.js" "$here/build/"
(cd "$root" && GOOS=js GOARCH=wasm go test -c -o "$here/build/webgpu.test.wasm" ./webgpu)
if [ ! -d "$here/node_modules/playwright-core" ]; then
  (cd "$here" && npm install --no-audit --no-fund --silent)
fi
exec node "$here/run.mjs" "$@"
