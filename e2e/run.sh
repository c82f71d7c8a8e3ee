#!/usr/bin/env bash
# e2e/run.sh runs the browser end-to-end tests of site/lamina.mjs in headless
# Chromium: it builds the CLI and the site, assembles the test models,
# starts `lamina serve` on 127.0.0.1, runs e2e/lamina.test.mjs and
# e2e/svgmodel.test.mjs (the layered-SVG model through lamina.mjs) and exits
# non-zero when a test fails.
#
#   e2e/run.sh                    everything
#   e2e/run.sh --test-name-pattern abort  only tests whose name matches (node --test flags pass through)
#   LAMINA_E2E_BACKENDS=cpu e2e/run.sh    only the CPU backend suites
#   e2e/run.sh bench ['preset=tiny&prompt=64&tokens=32']   site/bench.html's figures as JSON
#   e2e/run.sh svgbench [MODEL_DIR] [runs]  layered-SVG sample latency (24 steps, cfg 3) as JSON
#
# Needs: chromium (apt-get install -y chromium), node + npm (playwright-core
# is installed into e2e/node_modules from e2e/package-lock.json), Go.
# LAMINA_CHROMIUM overrides the browser path; LAMINA_E2E_SKIP_BUILD=1 reuses dist/.
set -euo pipefail

e2e="$(cd "$(dirname "$0")" && pwd)"
repo="$(dirname "$e2e")"
cd "$repo"

if [ -z "${LAMINA_E2E_SKIP_BUILD:-}" ]; then
	./build.sh cli wasm site
fi

export LAMINA_CHROMIUM="${LAMINA_CHROMIUM:-/usr/bin/chromium}"
if [ ! -x "$LAMINA_CHROMIUM" ]; then
	echo "e2e: no Chromium at $LAMINA_CHROMIUM: apt-get install -y chromium (or set LAMINA_CHROMIUM)" >&2
	exit 1
fi
if [ ! -d "$e2e/node_modules/playwright-core" ]; then
	(cd "$e2e" && npm ci --no-audit --no-fund --ignore-scripts >&2)
fi

# Test models: the core's HF fixtures, plus directories that pair a fixture
# model with a fixture tokenizer (tokenizer parity and prompt generation go
# through lm.tokenizer) and one with an unsupported architecture.
work="$e2e/test-results"
models="$work/models"
rm -rf "$models"
mkdir -p "$models"
cp -R model/testdata/. "$models/"
pair() { # pair NAME MODEL TOKENIZER
	mkdir -p "$models/$1"
	cp "model/testdata/$2"/* "$models/$1/"
	cp "tokenizer/testdata/$3/tokenizer.json" "tokenizer/testdata/$3/expected.json" "$models/$1/"
}
pair tok-gpt2-bytelevel-bpe gpt2-tiny gpt2-bytelevel-bpe
pair tok-llama-sp-bpe-bytefallback llama-tiny llama-sp-bpe-bytefallback
mkdir -p "$models/unsupported-arch"
cp model/testdata/llama-tiny/* "$models/unsupported-arch/"
echo '{"model_type": "mamba", "architectures": ["MambaForCausalLM"], "vocab_size": 512}' >"$models/unsupported-arch/config.json"
# An index claiming 10 TB of weights: rejected before any shard is fetched.
mkdir -p "$models/too-large"
cp model/testdata/llama-tiny/config.json "$models/too-large/"
echo '{"metadata": {"total_size": 10000000000000}, "weight_map": {"lm_head.weight": "model-00001-of-00001.safetensors"}}' >"$models/too-large/model.safetensors.index.json"

# The layered-SVG model: svgmodel's tiny fixture, with what the native CLI
# draws for the cases e2e/svgmodel.test.mjs runs (same prompt, seed, steps,
# cfg), so the browser runtime is checked against `lamina svg generate/edit`.
svg="$models/layered-emoji-tiny"
mkdir -p "$svg"
cp svgmodel/testdata/tiny/config.json svgmodel/testdata/tiny/model.safetensors "$svg/"
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

# `run.sh svgbench [MODEL_DIR] [runs]` times that layered-SVG model.
if [ "${1:-}" = svgbench ]; then
	mkdir -p "$models/svgbench"
	cp "${2:-svgmodel/testdata/tiny}"/config.json "${2:-svgmodel/testdata/tiny}"/model.safetensors "$models/svgbench/"
fi

# Start the server on a free port and read the URL it prints.
log="$work/serve.log"
dist/lamina serve --addr 127.0.0.1:0 --site dist/site --models "$models" >"$log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
url=""
for _ in $(seq 100); do
	url=$(sed -n 's/.*"url":"\([^"]*\)".*/\1/p' "$log" | head -1)
	[ -n "$url" ] && break
	kill -0 $server 2>/dev/null || { cat "$log" >&2; exit 1; }
	sleep 0.1
done
[ -n "$url" ] || { echo "e2e: lamina serve did not start" >&2; cat "$log" >&2; exit 1; }
echo "e2e: serving $url" >&2

if [ "${1:-}" = bench ]; then
	shift
	LAMINA_URL="$url" node "$e2e/bench.mjs" "$@"
	exit
fi
if [ "${1:-}" = svgbench ]; then
	LAMINA_URL="$url" node "$e2e/svgbench.mjs" "${3:-3}"
	exit
fi
LAMINA_URL="$url" node --test --test-concurrency=1 --test-reporter=spec "$@" "$e2e/lamina.test.mjs" "$e2e/svgmodel.test.mjs"
