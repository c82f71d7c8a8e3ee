#!/usr/bin/env bash
# Peer benchmark (issue 16), run by hand, not in CI: the same workload
# (a 128-token prompt, then 128 greedy tokens, batch 1) through lamina and
# its peers on one machine, in interleaved rounds, with medians and
# lamina ÷ peer ratios, after checking every conversion against lamina
# (identical greedy ids, close first-step logits).
#
#   bench/peers/run.sh [--model brown|smollm2|both] [--rounds 3] [--runners a,b,…]
#                      [--new-tokens 128] [--json FILE]
#
# Models: brown = models/lamina-brown-20m (f16); smollm2 = a folder of seeded
# random f16 weights of HuggingFaceTB/SmolLM2-135M's shape. Runners (all by
# default, in this order each round):
#   lamina-f16        lamina native (CPU backend, native kernels), 1 thread (GOMAXPROCS=1)
#   llamacpp-f16      llama.cpp through node-llama-cpp 3.21.1 (prebuilt CPU build), F16 GGUF, 1 thread
#   lamina-q8         `lamina bench --dtype q8` (random weights of the same shape), 1 thread
#   llamacpp-q8_0     llama.cpp, Q8_0 GGUF of the model
#   lamina-q4         `lamina bench --dtype q4`
#   llamacpp-q4_0     llama.cpp, Q4_0 GGUF
#   tjs-node          transformers.js 4.3.1, fp32 ONNX, onnxruntime-node (native CPU EP), 1 thread
#   lamina-wasm-cpu   lamina's js/wasm build in Node, plain Go CPU backend
#   lamina-wasm-simd  the same with the wasm-simd kernel module
#   tjs-wasm          transformers.js 4.3.1, fp32 ONNX, onnxruntime-web's wasm backend in Node, 1 thread
# wllama 3.8.1 is installed but has no runner yet: its build needs Memory64
# and a Web Worker, so it runs in Chromium only (Node 20 has neither).
#
# Everything generated (model folder, GGUF and ONNX conversions, binaries)
# goes to bench/peers/.work (delete it to redo). The npm packages are pinned
# in bench/peers/package.json / package-lock.json; the first run installs
# them into bench/peers/node_modules (npm ci). The ONNX conversion needs
# /usr/bin/python3 with torch (Debian's python3-torch, 1.13).
set -euo pipefail
cd "$(dirname "$0")/../.."
MODEL=both ROUNDS=3 RUNNERS= NEW=128 JSON=
while [ $# -gt 0 ]; do
	case "$1" in
	--model) MODEL=$2; shift 2 ;;
	--rounds) ROUNDS=$2; shift 2 ;;
	--runners) RUNNERS=$2; shift 2 ;;
	--new-tokens) NEW=$2; shift 2 ;;
	--json) JSON=$2; shift 2 ;;
	*) echo "run.sh: unknown argument $1" >&2; exit 2 ;;
	esac
done
case "$MODEL" in
brown | smollm2) models=$MODEL ;;
both) models="brown smollm2" ;;
*) echo "run.sh: --model brown, smollm2 or both" >&2; exit 2 ;;
esac
P=bench/peers
W=$P/.work
mkdir -p "$W"
if [ ! -d $P/node_modules/node-llama-cpp ]; then
	# onnxruntime-node's install script would fetch CUDA libraries; the
	# CPU build it ships is all this needs.
	(cd $P && ONNXRUNTIME_NODE_INSTALL_CUDA=skip ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund)
fi
go build -o $W/lamina ./cmd/lamina
go build -o $W/laminarun ./$P/laminarun
GOOS=js GOARCH=wasm go build -o $W/laminarun.wasm ./$P/laminarun
for m in $models; do
	go run ./$P/prep -model "$m" -out "$W/$m"
	if [[ -z "$RUNNERS" || "$RUNNERS" == *tjs* ]] && [ ! -f "$W/$m/onnx-model/onnx/model.onnx" ]; then
		/usr/bin/python3 $P/to_onnx.py "$(cat "$W/$m/hfdir")" "$W/$m/onnx-model" 2> >(grep -v -i 'warn\|^ *keep\|^ *Tt' >&2)
	fi
done
echo "$(uname -m), $(nproc) cores, node $(node --version), $(go version | cut -d' ' -f3), load $(cut -d' ' -f1-3 /proc/loadavg)"
rc=0
for m in $models; do
	args=(--work "$W" --model "$m" --rounds "$ROUNDS" --lamina "$W/lamina" --new-tokens "$NEW")
	[ -n "$RUNNERS" ] && args+=(--runners "$RUNNERS")
	[ -n "$JSON" ] && args+=(--json "${JSON%.json}-$m.json")
	node $P/bench.mjs "${args[@]}" || rc=1
	echo
done
exit $rc
