#!/usr/bin/env bash
# The one command that runs every lamina test on a fresh Debian machine (it is what CI runs).
#
#   ./test.sh            everything
#   ./test.sh go wasm    only the named stages (see STAGES below)
#
# It installs what the tests need first: Debian's chromium, python3-torch (+ OpenBLAS) and
# python3-numpy when missing (needs root or sudo), Go modules through the module proxy, and the
# npm packages of each browser/worker suite into that suite's own node_modules.
set -uo pipefail
cd "$(dirname "$0")"
ROOT=$PWD
export PATH="$PATH:$(go env GOROOT)/lib/wasm"
export GOFLAGS="${GOFLAGS:-} -mod=readonly"

STAGES=(deps lint go wasm build webgpu e2e editor worker train)
[ $# -gt 0 ] && STAGES=("$@")

passed=0
failed=0
failures=()

stage() {
	local name=$1
	shift
	local t0=$SECONDS
	echo
	echo "=== stage $name: $*"
	if "$@"; then
		passed=$((passed + 1))
		echo "=== stage $name: ok ($((SECONDS - t0)) s)"
	else
		failed=$((failed + 1))
		failures+=("$name")
		echo "=== stage $name: FAILED ($((SECONDS - t0)) s)"
	fi
}

as_root() {
	if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

deps() {
	local need=()
	[ -x /usr/bin/chromium ] || need+=(chromium)
	/usr/bin/python3 -c 'import torch' 2>/dev/null || need+=(python3-torch)
	/usr/bin/python3 -c 'import numpy' 2>/dev/null || need+=(python3-numpy)
	dpkg -s libopenblas0-pthread >/dev/null 2>&1 || need+=(libopenblas0-pthread)
	command -v brotli >/dev/null || need+=(brotli)
	command -v curl >/dev/null || need+=(curl)
	if [ ${#need[@]} -gt 0 ]; then
		echo "installing ${need[*]}"
		as_root apt-get update -qq && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null || return 1
	fi
	go mod download || return 1
	# An independent GPT-2 encoder (npm gpt-3-encoder) that the tokenizer tests compare against.
	sh tokenizer/testdata/gpt2-full/fetch.sh >/dev/null || return 1
	# wrangler for the worker suite, pinned by worker/package-lock.json.
	(cd worker && npm ci --no-audit --no-fund --loglevel=error) || return 1
	# The openai client and ajv for the chat suite, pinned by worker/test/openai/package-lock.json.
	(cd worker/test/openai && npm ci --no-audit --no-fund --loglevel=error) || return 1
}

lint() {
	local bad
	bad=$(gofmt -l $(git ls-files '*.go'))
	if [ -n "$bad" ]; then
		echo "gofmt would change: $bad"
		return 1
	fi
	# go.mod and go.sum say exactly what the code imports (direct modules not marked indirect).
	go mod tidy -diff || { echo "go mod tidy would change go.mod/go.sum (diff above): run go mod tidy"; return 1; }
	go vet ./... && GOOS=js GOARCH=wasm go vet ./...
}

# Native Go tests: every package (the fixtures are in each package's testdata).
gotests() {
	go test -count=1 ./...
}

# The pure-Go core under js/wasm in Node: the same code the browser's CPU path runs.
wasmtests() {
	GOOS=js GOARCH=wasm go test -count=1 ./kernels/... ./tensor/... ./model/... ./tokenizer/... ./vector/... ./svgmodel/... ./wasm/... ./wasmsimd/ ./promise/ ./ui/
}

build() { ./build.sh; }

case " ${STAGES[*]} " in *" deps "*) stage deps deps ;; esac
for s in "${STAGES[@]}"; do
	case $s in
	deps) ;;
	lint) stage lint lint ;;
	go) stage go gotests ;;
	wasm) stage wasm wasmtests ;;
	build) stage build build ;;
	webgpu) stage webgpu ./webgpu/browsertest/run.sh ;;
	e2e) stage e2e env LAMINA_E2E_SKIP_BUILD=1 ./e2e/run.sh ;;
	editor) stage editor env LAMINA_E2E_SKIP_BUILD=1 ./e2e-editor/run.sh ;;
	worker) stage worker ./worker/test/run.sh ;;
	train)
		stage train-lm ./train/lm/smoke.sh
		stage train-svg ./train/svg/smoke.sh
		;;
	*)
		echo "unknown stage $s (known: ${STAGES[*]})"
		exit 2
		;;
	esac
done

echo
[ $failed -gt 0 ] && echo "failed stages: ${failures[*]}"
echo "stages: $passed passed, $failed failed"
[ $failed -eq 0 ]
