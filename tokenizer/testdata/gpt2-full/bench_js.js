// Baseline for BenchmarkEncode: times the npm gpt-3-encoder (pure JS GPT-2
// BPE with its own word cache) on paragraph.txt and prints tokens/s warm
// (cache filled, JIT warmed up) and cold (first encode after a fresh module
// load: empty word cache, but also cold JIT, so it flatters lamina; prefer
// the warm ratio).
// Usage: node bench_js.js GPT3_ENCODER_DIR
const path = require('path');
const fs = require('fs');
const dir = path.resolve(process.argv[2]);
const text = fs.readFileSync(path.join(__dirname, 'paragraph.txt'), 'utf-8');
const { encode } = require(dir);
const n = encode(text).length;
// Cold: a fresh copy of the module per iteration has an empty cache; only
// the encode call is timed.
const mods = [require.resolve(dir), require.resolve(path.join(dir, 'Encoder.js'))];
let iters = 0, coldTotal = 0n;
const start = process.hrtime.bigint();
while (process.hrtime.bigint() - start < 2000000000n) {
  mods.forEach(m => { delete require.cache[m]; });
  const fresh = require(dir);
  const s = process.hrtime.bigint();
  fresh.encode(text);
  coldTotal += process.hrtime.bigint() - s;
  iters++;
}
const coldNs = Number(coldTotal) / iters;
iters = 0;
const t0 = process.hrtime.bigint();
while (Number(process.hrtime.bigint() - t0) < 2e9) { encode(text); iters++; }
const warmNs = Number(process.hrtime.bigint() - t0) / iters;
console.log(JSON.stringify({ tokens: n, cold_ns_per_op: coldNs, warm_ns_per_op: warmNs,
  cold_tokens_per_s: n / coldNs * 1e9, warm_tokens_per_s: n / warmNs * 1e9 }));
