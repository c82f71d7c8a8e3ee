#!/usr/bin/env bash
# bench/gguf/run.sh FILE.gguf [THREADS] [ROUNDS] — decode and prefill tokens/s
# of lamina (`lamina bench --model FILE`, GOMAXPROCS=THREADS) and llama.cpp
# (node-llama-cpp 3.21.1's CPU build, the same THREADS) on the same GGUF file,
# one run of each per round, interleaved; prints every run and the medians
# and lamina/llama.cpp ratios (wall clock, and decode per CPU-second, which
# moves less on a loaded machine). LAMINA_BIN, if set, is the lamina binary
# to time instead of one built from this checkout. Needs node-llama-cpp in .dev/nlc (see
# gguf/doc.go) or LAMINA_NODE_LLAMA_CPP naming its node_modules.
set -euo pipefail
cd "$(dirname "$0")/../.."
file=$1 threads=${2:-1} rounds=${3:-3}
modules=${LAMINA_NODE_LLAMA_CPP:-$PWD/.dev/nlc/node_modules}
mkdir -p .cache
lamina=${LAMINA_BIN:-.cache/lamina-bench}
[ -n "${LAMINA_BIN:-}" ] || go build -o .cache/lamina-bench ./cmd/lamina
lam=() ref=()
for r in $(seq "$rounds"); do
	l=$(GOMAXPROCS=$threads "$lamina" bench --model "$file" --prompt-len 64 --new-tokens 64 --reps 1 --json)
	c=$(node bench/gguf/llamacpp_decode.mjs "$modules" "$file" "$threads" 64 64 1)
	echo "round $r lamina $l"
	echo "round $r llama.cpp $c"
	lam+=("$l") ref+=("$c")
done
printf '%s\n' "${lam[@]}" >.cache/bench-gguf-lamina.jsonl
printf '%s\n' "${ref[@]}" >.cache/bench-gguf-llamacpp.jsonl
node -e '
const fs = require("fs");
const read = (f) => fs.readFileSync(f, "utf8").trim().split("\n").map(JSON.parse);
const med = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const l = read(".cache/bench-gguf-lamina.jsonl"), c = read(".cache/bench-gguf-llamacpp.jsonl");
const lp = med(l.map((x) => x.prefill_tok_s)), ld = med(l.map((x) => x.decode_tok_s));
const cp = med(c.map((x) => x.prefill_tok_s)), cd = med(c.map((x) => x.decode_tok_s));
const lc = med(l.map((x) => x.decode_tok_per_cpu_s)), cc = med(c.map((x) => x.decode_tok_per_cpu_s));
console.log(JSON.stringify({ threads: +process.argv[1], rounds: l.length, lamina: { prefill_tok_s: lp, decode_tok_s: ld, decode_tok_per_cpu_s: lc, dtype: l[0].dtype, quant_kernels: l[0].quant_kernels },
  llamacpp: { prefill_tok_s: cp, decode_tok_s: cd, decode_tok_per_cpu_s: cc }, ratio: { prefill: lp / cp, decode: ld / cd, decode_per_cpu_s: lc / cc } }));
' "$threads"
