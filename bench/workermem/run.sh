#!/usr/bin/env bash
# bench/workermem/run.sh [WORK_DIR] measures the edge worker's memory for
# lamina-brown-20m and a SmolLM2-135M-shaped model (random weights) in each
# form: f16 safetensors, `lamina quantize` q8 (per channel) and q4 (groups
# of 32, RTN), and GGUF F16 / Q8_0 / Q4_0 (one file in a folder). Each
# probe is its own js/wasm process under Node (WebAssembly memory never
# shrinks, so one process per model): the worker's handler loads the model
# from the folder and generates 8 tokens; sys_mib is the Go program's
# memory at the end, its linear-memory high-water mark. Prints one JSON
# line per form.
set -euo pipefail
cd "$(dirname "$0")/../.."
work="${1:-.cache/workermem}"
mkdir -p "$work"
export PATH="$PATH:$(go env GOROOT)/lib/wasm"
go build -o "$work/lamina" ./cmd/lamina
go run ./bench/workermem prepare --out "$work" --brown models/lamina-brown-20m
mkdir -p "$work/brown-f16"
cp models/lamina-brown-20m/{config.json,generation_config.json,tokenizer.json,model.safetensors} "$work/brown-f16/"
for m in brown smollm2; do
	"$work/lamina" quantize --model "$work/$m-f16" --out "$work/$m-q8" --bits 8 --group 0 --method rtn >/dev/null
	"$work/lamina" quantize --model "$work/$m-f16" --out "$work/$m-q4" --bits 4 --group 32 --method rtn >/dev/null
done
GOOS=js GOARCH=wasm go build -o "$work/probe.wasm" ./bench/workermem
for m in brown smollm2; do
	for form in f16 q8 q4 gguf-f16 gguf-q8_0 gguf-q4_0; do
		go_js_wasm_exec "$work/probe.wasm" probe --models "$work" --model "$m-$form"
	done
done
