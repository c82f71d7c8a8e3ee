#!/usr/bin/env bash
# Builds the Cloudflare Worker bundle into worker/build/ (git-ignored):
#   app.wasm      the Go program (worker/cmd/worker) for js/wasm
#   wasm_exec.js  Go's JS glue, syumai/workers' variant (passes `context`)
#   runtime.mjs   syumai/workers' Cloudflare runtime adapter
#   worker.mjs    worker/js/shim.mjs: one Go instance per isolate
# Usage: worker/build.sh   (from anywhere; needs Go only)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
out="$here/build"
cd "$root"
GO=${GO:-go}
command -v "$GO" >/dev/null || GO=/usr/local/go/bin/go

tmp="$out.tmp"
rm -rf "$tmp"
mkdir -p "$tmp"
# wasm_exec.js + runtime.mjs (+ syumai's worker.mjs, replaced below).
"$GO" run github.com/syumai/workers/cmd/workers-assets-gen -mode=go -o "$tmp"
cp "$here/js/shim.mjs" "$tmp/worker.mjs"
# -s -w drops symbol/DWARF tables: they count against the Worker size limit.
GOOS=js GOARCH=wasm "$GO" build -trimpath -ldflags='-s -w' -o "$tmp/app.wasm" ./worker/cmd/worker
rm -rf "$out"
mv "$tmp" "$out"
raw=$(stat -c %s "$out/app.wasm")
gz=$(gzip -9 -c "$out/app.wasm" | wc -c)
echo "worker/build: app.wasm $raw bytes, $gz gzip -9 (Workers limit: 3 MB free / 10 MB paid, compressed)"
