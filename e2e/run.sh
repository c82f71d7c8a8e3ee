#!/usr/bin/env bash
# e2e/run.sh runs the browser end-to-end tests of site/lamina.mjs in headless
# Chromium: it builds the CLI and the site, assembles the test models,
# starts `lamina serve` on 127.0.0.1, runs e2e/lamina.test.mjs and
# e2e/svgmodel.test.mjs (the layered-SVG model through lamina.mjs) and
# e2e/gguf.test.mjs (a GGUF file by URL and a quantized folder) and exits
# non-zero when a test fails.
#
#   e2e/run.sh                    everything
#   e2e/run.sh --test-name-pattern abort  only tests whose name matches (node --test flags pass through)
#   LAMINA_E2E_BACKENDS=cpu e2e/run.sh    only the CPU backend suites
#   e2e/run.sh --bench ['preset=tiny&prompt=64&tokens=32']   site/bench.html's figures as JSON
#   e2e/run.sh --svgbench [MODEL_DIR] [runs]  layered-SVG sample latency (24 steps, cfg 3) as JSON
#
# Needs: chromium (apt-get install -y chromium), node + npm (playwright-core is
# installed into e2e/node_modules from e2e/package-lock.json; e2e-editor and
# webgpu/browsertest share that install, see harness.sh), Go.
# LAMINA_CHROMIUM overrides the browser path; LAMINA_E2E_SKIP_BUILD=1 reuses dist/.
set -euo pipefail

e2e="$(cd "$(dirname "$0")" && pwd)"
repo="$(dirname "$e2e")"
cd "$repo"
. "$e2e/harness.sh"

if [ -z "${LAMINA_E2E_SKIP_BUILD:-}" ]; then
	./build.sh cli wasm site
fi
harness_browser e2e

# Test models: the core's HF fixtures; directories that pair a fixture model
# with a fixture tokenizer (tokenizer parity and prompt generation go through
# lm.tokenizer); the layered-SVG model; one with an unsupported architecture
# and one whose index claims 10 TB of weights.
work="$e2e/test-results"
models="$work/models"
mkdir -p "$work"
harness_models "$models" <<'MODELS'
gpt2-tiny model/testdata/gpt2-tiny config.json generation_config.json model.safetensors reference.json
llama-tiny model/testdata/llama-tiny config.json generation_config.json model.safetensors reference.json
qwen2-tiny model/testdata/qwen2-tiny config.json generation_config.json model.safetensors reference.json
llama-tiny-sharded-f16 model/testdata/llama-tiny-sharded-f16 config.json generation_config.json model.safetensors.index.json model-00001-of-00005.safetensors model-00002-of-00005.safetensors model-00003-of-00005.safetensors model-00004-of-00005.safetensors model-00005-of-00005.safetensors reference.json
tok-gpt2-bytelevel-bpe model/testdata/gpt2-tiny config.json generation_config.json model.safetensors reference.json
tok-gpt2-bytelevel-bpe tokenizer/testdata/gpt2-bytelevel-bpe tokenizer.json expected.json
tok-llama-sp-bpe-bytefallback model/testdata/llama-tiny config.json generation_config.json model.safetensors reference.json
tok-llama-sp-bpe-bytefallback tokenizer/testdata/llama-sp-bpe-bytefallback tokenizer.json expected.json
unsupported-arch model/testdata/llama-tiny config.json generation_config.json model.safetensors reference.json
too-large model/testdata/llama-tiny config.json
layered-emoji-tiny svgmodel/testdata/tiny config.json model.safetensors
chat-tiny model/testdata/qwen2-tiny config.json generation_config.json model.safetensors
chat-tiny tokenizer/testdata/bytelevel-small tokenizer.json
chat-tiny worker/testdata/chat-tiny tokenizer_config.json
gguf-mixed gguf/testdata/llamacpp mixed-tiny.gguf mixed-tiny.json
MODELS
# A quantized folder (4-bit RTN, groups of 32) and what the native CLI
# generates from it, for e2e/gguf.test.mjs (the GGUF is checked against
# llama.cpp's outputs in mixed-tiny.json).
# The browser backends compute the exact float dot products, so the native reference is
# generated on the exact path too (LAMINA_QUANT_DOT=f32; native amd64 decode defaults to int8).
dist/lamina quantize --model model/testdata/llama-tiny --out "$models/llama-tiny-q4" --bits 4 --group 32 --method rtn >/dev/null
LAMINA_QUANT_DOT=f32 dist/lamina generate --model "$models/llama-tiny-q4" --ids 1,2,3 --max-new-tokens 12 --ignore-eos --json >"$models/llama-tiny-q4/native.json"
echo '{"model_type": "mamba", "architectures": ["MambaForCausalLM"], "vocab_size": 512}' >"$models/unsupported-arch/config.json"
# Rejected before any shard is fetched.
echo '{"metadata": {"total_size": 10000000000000}, "weight_map": {"lm_head.weight": "model-00001-of-00001.safetensors"}}' >"$models/too-large/model.safetensors.index.json"

# What the native CLI draws for the cases e2e/svgmodel.test.mjs runs (same
# prompt, seed, steps, cfg), so the browser runtime is checked against
# `lamina svg generate/edit`.
svg="$models/layered-emoji-tiny"
native_svg() { # native_svg NAME ARGS... (the CLI's own defaults: 24 steps, cfg 3)
	dist/lamina svg "${@:2}" --model svgmodel/testdata/tiny --out - >"$svg/native-$1.svg"
}
native_svg heart-7 generate --prompt "red heart" --seed 7
native_svg cat-3-s6 generate --prompt "grinning cat" --seed 3 --steps 6 --cfg 2
native_svg heart-7-edit edit --in "$svg/native-heart-7.svg" --keep 0,2 --prompt "blue star" --seed 11 --steps 8
# Candidates 1 and 3 of m.generate({prompt: 'red heart', seed: 7, n: 4}) are seeds 8 and 10
# alone; a half-strength variation of heart-7.
native_svg heart-8 generate --prompt "red heart" --seed 8
native_svg heart-10 generate --prompt "red heart" --seed 10
native_svg heart-7-vary edit --in "$svg/native-heart-7.svg" --strength 0.5 --prompt "blue star" --seed 11 --steps 8
# A recolor of a drawing with a clip path and an evenodd fill: in the browser its path
# booleans run in lamina-booleans.wasm, here in the CLI's own tdewolff/canvas.
cp e2e/testdata/clip-evenodd.svg "$svg/input-clip-evenodd.svg"
native_svg clip-evenodd-recolor edit --in e2e/testdata/clip-evenodd.svg --recolor --prompt green --seed 5 --steps 3

# `run.sh --svgbench [MODEL_DIR] [runs]` times that layered-SVG model (or MODEL_DIR's).
if [ "${1:-}" = --svgbench ]; then
	echo "svgbench ${2:-svgmodel/testdata/tiny} config.json model.safetensors" | scripts/testmodels.sh /dev/stdin "$models"
fi

harness_serve e2e "$models" "$work/serve.log"

case "${1:-}" in
--bench)
	shift
	LAMINA_URL="$url" node "$e2e/bench.mjs" "$@"
	;;
--svgbench)
	LAMINA_URL="$url" node "$e2e/svgbench.mjs" "${3:-3}"
	;;
*)
	LAMINA_URL="$url" node --test --test-concurrency=1 --test-reporter=spec "$@" "$e2e/lamina.test.mjs" "$e2e/svgmodel.test.mjs" "$e2e/gguf.test.mjs"
	;;
esac
