// bench/peers runner for llama.cpp through node-llama-cpp (its prebuilt CPU
// build): loads a GGUF, prefills the prompt and decodes greedily
// (temperature 0) on one thread, and prints one JSON line per round like
// laminarun: prefill and decode tokens/s and the ids (the prefill's token
// first). With --logits it adds the first step's log-probabilities
// (log-softmax of the logits: node-llama-cpp exposes probabilities, not raw
// logits) from a separate, untimed evaluation.
//
//   node llamacpp.mjs MODEL.gguf PROMPT.json [--new-tokens 128] [--rounds 1] [--threads 1] [--logits]
import fs from "node:fs";
import { getLlama, LlamaLogLevel } from "node-llama-cpp";
import { parseArgs, emit, cpuSeconds } from "./common.mjs";

const { pos: [file, promptFile], opt } = parseArgs(process.argv.slice(2), { "new-tokens": 128, rounds: 1, threads: 1, logits: false });
const prompt = JSON.parse(fs.readFileSync(promptFile, "utf8"));
const n = opt["new-tokens"];
const llama = await getLlama({ gpu: false, build: "never", logLevel: LlamaLogLevel.error });
const model = await llama.loadModel({ modelPath: file, gpuLayers: 0 });
const ctx = await model.createContext({
  contextSize: 512, batchSize: prompt.length, threads: opt.threads, sequences: 1,
});
const seq = ctx.getSequence();

async function once(count) {
  await seq.clearHistory();
  const ids = [];
  const c0 = cpuSeconds(), t0 = performance.now();
  let t1 = 0, c1 = 0;
  for await (const tok of seq.evaluate(prompt, { temperature: 0, yieldEogToken: true })) {
    if (ids.length === 0) [t1, c1] = [performance.now(), cpuSeconds()];
    ids.push(tok);
    if (ids.length === count + 1) break;
  }
  const t2 = performance.now(), c2 = cpuSeconds();
  if (ids.length !== count + 1) throw new Error(`llama.cpp stopped after ${ids.length} tokens`);
  return {
    prefill_tok_s: prompt.length / ((t1 - t0) / 1e3), decode_tok_s: count / ((t2 - t1) / 1e3),
    prefill_cpu_s: c1 - c0, decode_cpu_s: c2 - c1, ids,
  };
}

let logprobs0;
if (opt.logits) {
  await seq.clearHistory();
  const last = prompt.length - 1;
  const opts = { temperature: 1, topK: 0, topP: 1, minP: 0 };
  const out = await seq.controlledEvaluate(prompt.map((t, j) =>
    j === last ? [t, { generateNext: { probabilities: true, options: opts } }] : t));
  const p = out[last].next.probabilities;
  logprobs0 = new Array(p.size);
  for (const [tok, prob] of p) logprobs0[tok] = Math.log(prob);
}
await once(Math.min(n, 4));
const lines = [];
for (let r = 0; r < opt.rounds; r++) {
  const res = await once(n);
  lines.push({
    runtime: `llama.cpp (node-llama-cpp 3.21.1, ${opt.threads} thread${opt.threads > 1 ? "s" : ""})`,
    ...res,
    ...(r === 0 && logprobs0 ? { logprobs0 } : {}),
  });
}
emit(lines);
