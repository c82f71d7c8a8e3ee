#!/usr/bin/env bash
# Stages what bench/gpu/run.sh needs on the GPU machine (which has no Node
# and no internet) into .dev/gpu/ (git-ignored), from this machine:
#   node.xz          this machine's node binary
#   dawn.node.xz     Dawn's Node addon from npm webgpu@0.6.2 (dist/linux-x64)
#   debs/*.deb       Vulkan loader and GL dispatch libraries (Debian)
#   gpubench.wasm.xz    bench/gpu/gpubench built for js/wasm
#   webgpu.test.wasm.xz the WebGPU kernel tests (run first on the GPU)
#   wasm_exec.js     the Go runtime glue matching the Go that built it
# Run from anywhere; needs go, node, npm, apt-get, xz. Prints the total size
# (the device run carries at most 64 MiB).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
G="$root/.dev/gpu"
cache="${LAMINA_CACHE:-/work/cache}/npm-webgpu-0.6.2"
mkdir -p "$G/debs" "$cache"

if [ ! -f "$cache/node_modules/webgpu/dist/linux-x64/dawn.node" ]; then
  (cd "$cache" && [ -f package.json ] || echo '{"private":true}' > package.json
   cd "$cache" && npm install --no-audit --no-fund --ignore-scripts webgpu@0.6.2)
fi
# The slow parts are kept between runs; delete .dev/gpu to redo them.
[ -s "$G/dawn.node.xz" ] || xz -T2 -6 -c "$cache/node_modules/webgpu/dist/linux-x64/dawn.node" > "$G/dawn.node.xz"
[ -s "$G/node.xz" ] || xz -T2 -6 -c "$(command -v node)" > "$G/node.xz"
if [ "$(ls "$G/debs" | wc -l)" -lt 7 ]; then
  (cd "$G/debs" && rm -f ./*.deb && apt-get download libvulkan1 libglvnd0 libegl1 libgl1 libglx0 libopengl0 libgles2 >/dev/null 2>&1)
fi

# The device run carries at most 64 MiB with the working tree, so the wasm
# files travel xz-compressed too (run.sh unpacks them with Python's lzma).
tmp="$(mktemp -d)"
(cd "$root" && GOOS=js GOARCH=wasm go build -trimpath -o "$tmp/gpubench.wasm" ./bench/gpu/gpubench)
# The WebGPU kernel tests, so the GPU run also checks every kernel against
# the CPU backend on the real device (incl. native f16 when it has shader-f16).
(cd "$root" && GOOS=js GOARCH=wasm go test -c -trimpath -o "$tmp/webgpu.test.wasm" ./webgpu)
rm -f "$G/gpubench.wasm" "$G/webgpu.test.wasm"
xz -T2 -6 -c "$tmp/gpubench.wasm" > "$G/gpubench.wasm.xz"
xz -T2 -6 -c "$tmp/webgpu.test.wasm" > "$G/webgpu.test.wasm.xz"
rm -rf "$tmp"
cp "$(go env GOROOT)/lib/wasm/wasm_exec.js" "$G/wasm_exec.js"
du -ch "$G"/* "$G"/debs/* | tail -1
