#!/usr/bin/env bash
# Plain Go wasm CPU backend against wasm-simd (the same CPU backend with its
# matrix products on the WebAssembly SIMD128 kernel module, package
# wasmsimd), in one Node process: prefill and greedy decode tokens/s on a
# model, medians of interleaved rounds, and the ratios. Greedy ids must be
# identical on both (the script fails otherwise).
#
#   bench/wasmsimd/run.sh [--dir models/lamina-brown-20m] [--prompt-len 128]
#                         [--new-tokens 128] [--rounds 5] [--svg models/layered-emoji]
#                         [--threads 2 [--min-work N] [--spin N]] [--no-cpu]
#                         [--quant "q8 q4 q4g128"]
#
# --svg also times layered-emoji samples (24 steps) on both backends; --widen adds a third
# runner, wasm-simd with f16/bf16 weights widened to f32 in the module (Engine.WidenHalf);
# --threads N adds wasm-simd on N threads (workers over a shared memory; --min-work: the
# fewest multiply-adds a product needs to be split; --spin: how many times a worker
# polls for a job before it sleeps), --no-cpu leaves the plain backend out.
# --simd-only is --no-cpu (to profile wasm-simd alone: see RESULTS.md).
# --quant adds wasm-simd runners on quantized copies of --dir, written first by
# `lamina quantize --method rtn` (natively): q8 (int8 per row), q4 (groups of 32),
# q4g128 (groups of 128); their greedy ids are their own (the script says how many
# agree with the float model's); without --no-cpu each folder also runs on the plain Go
# backend (what wasm-simd ran quantized folders with before it had quantized kernels).
set -euo pipefail
cd "$(dirname "$0")/../.."
args=()
quant=""
dir=models/lamina-brown-20m
while [ $# -gt 0 ]; do
	case "$1" in
	--quant) quant="$2"; shift 2 ;;
	--dir) dir="$2"; args+=(-dir "$2"); shift 2 ;;
	--dir | --prompt-len | --new-tokens | --rounds | --svg | --threads | --min-work | --spin) args+=("-${1#--}" "$2"); shift 2 ;;
	--widen | --no-cpu | --simd-only) args+=("-${1#--}"); shift ;;
	*) echo "run.sh: unknown argument $1" >&2; exit 2 ;;
	esac
done
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
GOOS=js GOARCH=wasm go build -o "$out/bench.wasm" ./bench/wasmsimd
if [ -n "$quant" ]; then
	go build -o "$out/lamina" ./cmd/lamina
	qdirs=()
	for q in $quant; do
		case "$q" in
		q8) qa=(--bits 8) ;;
		q4) qa=(--bits 4 --group 32) ;;
		q4g128) qa=(--bits 4 --group 128) ;;
		*) echo "run.sh: unknown --quant format $q (q8, q4, q4g128)" >&2; exit 2 ;;
		esac
		"$out/lamina" quantize --model "$dir" --out "$out/$q" --method rtn "${qa[@]}" >/dev/null
		qdirs+=("$out/$q")
	done
	args+=(-quant "$(IFS=,; echo "${qdirs[*]}")")
fi
echo "node $(node --version), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
"$(go env GOROOT)/lib/wasm/go_js_wasm_exec" "$out/bench.wasm" "${args[@]}"
echo "load at the end $(cut -d' ' -f1-3 /proc/loadavg)"
