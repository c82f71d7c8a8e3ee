#!/usr/bin/env bash
# Plain Go wasm CPU backend against wasm-simd (the same CPU backend with its
# matrix products on the WebAssembly SIMD128 kernel module, package
# wasmsimd), in one Node process: prefill and greedy decode tokens/s on a
# model, medians of interleaved rounds, and the ratios. Greedy ids must be
# identical on both (the script fails otherwise).
#
#   bench/wasmsimd/run.sh [--dir models/lamina-brown-20m] [--prompt-len 128]
#                         [--new-tokens 128] [--rounds 5] [--svg models/layered-emoji]
#
# --svg also times layered-emoji samples (24 steps) on both backends; --widen adds a third
# runner, wasm-simd with f16/bf16 weights widened to f32 in the module (Engine.WidenHalf);
# --simd-only runs wasm-simd alone (to profile it: see RESULTS.md).
set -euo pipefail
cd "$(dirname "$0")/../.."
args=()
while [ $# -gt 0 ]; do
	case "$1" in
	--dir | --prompt-len | --new-tokens | --rounds | --svg) args+=("-${1#--}" "$2"); shift 2 ;;
	--widen) args+=(-widen); shift ;;
	--simd-only) args+=(-simd-only); shift ;;
	*) echo "run.sh: unknown argument $1" >&2; exit 2 ;;
	esac
done
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
GOOS=js GOARCH=wasm go build -o "$out/bench.wasm" ./bench/wasmsimd
echo "node $(node --version), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
"$(go env GOROOT)/lib/wasm/go_js_wasm_exec" "$out/bench.wasm" "${args[@]}"
