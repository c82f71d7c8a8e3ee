#!/usr/bin/env bash
# A/B: lamina.wasm with build.sh's hot-package inlining (A) against the same
# with model and svgmodel (or the packages in DROP) compiled without
# inlining (B), same tree, in
# Chromium, interleaved rounds. Needs bench/peers/.work from a first
# `bench/peers/run.sh --browser --model emoji` and `--model brown` run.
# Usage: [ONLY=brown|emoji] [DROP="model svgmodel"] inline-model-ab.sh ROUNDS [BENCH_CHECKOUT]   (from the repository
# root of the tree to build; the benchmark runs from BENCH_CHECKOUT, default
# the same, whose bench/peers/.work holds the prepared models)
set -euo pipefail
ROUNDS=${1:-4}
BENCH=${2:-$PWD}
W=$BENCH/bench/peers/.work
for v in A B; do rm -rf $W/site$v; cp -r $W/site $W/site$v; done
L=github.com/lamina-ml/lamina
mapfile -t GA < <(./build.sh gcflags)
GB=()
for f in "${GA[@]}"; do
	drop=
	for d in ${DROP:-model svgmodel}; do [ "$f" = "-gcflags=$L/$d=" ] && drop=1; done
	[ -n "$drop" ] || GB+=("$f")
done
build() { GOOS=js GOARCH=wasm go build -trimpath -ldflags='-s -w' "${@:2}" -tags lamina_nocanvas -o "$1" ./wasm; }
build $W/siteA/lamina.wasm "${GA[@]}"
build $W/siteB/lamina.wasm "${GB[@]}"
for v in A B; do echo "$v: $(brotli -q 11 -c $W/site$v/lamina.wasm | wc -c) bytes brotli"; done
echo "B drops: $(comm -23 <(printf '%s\n' "${GA[@]}" | sort) <(printf '%s\n' "${GB[@]}" | sort) | tr '\n' ' ')"
export LAMINA_CHROMIUM=/usr/bin/chromium
cd "$BENCH"
for r in $(seq "$ROUNDS"); do for v in A B; do
	echo "=== round $r variant $v load $(cut -d' ' -f1 /proc/loadavg)"
	[ "${ONLY:-}" = brown ] || node bench/peers/browser.mjs --work $W --site $W/site$v --model emoji --rounds 1 --runners emoji-simd-1,emoji-cpu 2>&1 | grep -E "^\| layered"
	[ "${ONLY:-}" = emoji ] || node bench/peers/browser.mjs --work $W --site $W/site$v --model brown --rounds 1 --new-tokens 128 --runners lamina-simd-1,lamina-wasm-cpu 2>&1 | grep -E "^\| lamina"
done; done
