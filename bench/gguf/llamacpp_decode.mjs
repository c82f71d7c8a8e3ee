// Decode throughput of llama.cpp (node-llama-cpp's prebuilt CPU build) on a
// GGUF file, for comparison with `lamina bench --model FILE.gguf` on the
// same file at the same thread count (bench/gguf/run.sh).
//
// Usage: node llamacpp_decode.mjs NODE_MODULES_DIR FILE.gguf THREADS PROMPT_LEN NEW_TOKENS REPS
// Prints {"prefill_tok_s": median, "decode_tok_s": median, "decode_runs_tok_s": [...],
// "decode_tok_per_cpu_s": median decode tokens per second of process CPU time}.
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const [, , modules, file, threads, promptLen, newTokens, reps] = process.argv;
const { getLlama, LlamaLogLevel } = await import(pathToFileURL(path.join(modules, 'node-llama-cpp', 'dist', 'index.js')).href);
const llama = await getLlama({ gpu: false, build: 'never', logLevel: LlamaLogLevel.error });
const model = await llama.loadModel({ modelPath: file, gpuLayers: 0 });
const P = Number(promptLen), N = Number(newTokens);
const ctx = await model.createContext({ contextSize: P + N + 8, batchSize: P, threads: Number(threads), flashAttention: false });
const prompt = Array.from({ length: P }, (_, i) => (i * 37 + 5) % 4000 + 3);
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const pre = [], dec = [], decCPU = [];
// Process CPU time (all threads, llama.cpp's included), in seconds.
const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1e6; };
// One untimed round warms up, as lamina bench does.
for (let r = 0; r <= Number(reps); r++) {
  const seq = ctx.getSequence();
  let t0 = performance.now();
  let n = 0, tFirst = 0, cFirst = 0;
  for await (const _ of seq.evaluate(prompt, { temperature: 0 })) {
    if (n === 0) { tFirst = performance.now(); cFirst = cpu(); }
    if (++n >= N + 1) break;
  }
  const t1 = performance.now(), c1 = cpu();
  if (r > 0) {
    pre.push(P / ((tFirst - t0) / 1000));
    dec.push(N / ((t1 - tFirst) / 1000));
    decCPU.push(N / (c1 - cFirst));
  }
  seq.dispose();
}
process.stdout.write(JSON.stringify({ prefill_tok_s: median(pre), decode_tok_s: median(dec), decode_runs_tok_s: dec, decode_tok_per_cpu_s: median(decCPU) }) + '\n', () => process.exit(0));
