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
# --browser runs the wasm runtimes in headless Chromium instead (browser.mjs,
# the page web/index.html + web/runners.mjs, served from 127.0.0.1 with
# COOP/COEP so threads work; playwright-core from e2e/node_modules):
#
#   bench/peers/run.sh --browser [--model brown|smollm2|emoji|all] [--rounds 3]
#                      [--runners a,b,…] [--new-tokens 128] [--json FILE] [--profile RUNNER]
#
#   lamina-wasm-cpu   lamina.mjs, backend 'cpu' (the plain Go CPU backend)
#   lamina-simd-1/-2  lamina.mjs, backend 'wasm-simd', threads 1 / 2
#   tjs-1/-2          transformers.js 4.3.1, device 'wasm', fp32 ONNX, numThreads 1 / 2
#   wllama-1/-2       wllama 3.8.1, the F16 GGUF, n_threads 1 / 2
# and for --model emoji (models/layered-emoji, one 24-step sample through
# rt.loadSVGModel): emoji-simd-1, emoji-simd-2, emoji-cpu. The prompt is the
# first 128 tokens of web/prompt.txt (wllama takes text only). Tokens per
# CPU-second count the whole Chromium process tree. --profile RUNNER runs
# one under the DevTools sampling profiler and prints where its time goes.
#
# Everything generated (model folder, GGUF and ONNX conversions, binaries)
# goes to bench/peers/.work (delete it to redo). The npm packages are pinned
# in bench/peers/package.json / package-lock.json; the first run installs
# them into bench/peers/node_modules (npm ci). The ONNX conversion needs
# /usr/bin/python3 with torch (Debian's python3-torch, 1.13).
set -euo pipefail
cd "$(dirname "$0")/../.."
MODEL=both ROUNDS=3 RUNNERS= NEW=128 JSON= BROWSER= PROFILE=
while [ $# -gt 0 ]; do
	case "$1" in
	--browser) BROWSER=1; shift ;;
	--profile) PROFILE=$2; shift 2 ;;
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
emoji | all) [ -n "$BROWSER" ] || { echo "run.sh: --model $MODEL needs --browser" >&2; exit 2; } ;;&
emoji) models= ;;
all) models="brown smollm2" MODEL="brown smollm2 emoji" ;;
*) echo "run.sh: --model brown, smollm2 or both (with --browser also emoji or all)" >&2; exit 2 ;;
esac
[ -n "$BROWSER" ] && [ "$MODEL" = both ] && MODEL="brown smollm2"
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
drv=bench.mjs loop=$models extra=(--lamina "$W/lamina")
if [ -n "$BROWSER" ]; then
	repo=$PWD
	. e2e/harness.sh
	harness_browser bench/peers
	# The lamina site as build.sh assembles it, but lamina.wasm keeps its
	# name section (no -s -w) so that profiles name Go functions.
	LAMINA_DIST=$W ./build.sh site
	# Same compiler flags as the shipped file (inlining in the hot packages only).
	mapfile -t gcflags < <(./build.sh gcflags)
	GOOS=js GOARCH=wasm go build -trimpath "${gcflags[@]}" -o $W/site/lamina.wasm ./wasm
	drv=browser.mjs loop=$MODEL extra=(--site "$W/site")
	[ -n "$PROFILE" ] && extra+=(--profile "$PROFILE")
fi
rc=0
for m in $loop; do
	args=(--work "$W" --model "$m" --rounds "$ROUNDS" --new-tokens "$NEW" "${extra[@]}")
	[ -n "$RUNNERS" ] && args+=(--runners "$RUNNERS")
	[ -n "$JSON" ] && args+=(--json "${JSON%.json}-$m.json")
	node $P/$drv "${args[@]}" || rc=1
	echo
done
exit $rc
