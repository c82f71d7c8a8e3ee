// Independent reference for the gguf package: llama.cpp (through the npm
// package node-llama-cpp@3.21.1, its prebuilt CPU build) loads a GGUF file
// and prints, for every position of a token sequence, the log-probabilities
// of the next token (log-softmax of the logits; llama.cpp does not expose
// raw logits to JavaScript, and softmax removes only a per-row constant).
// With "tokenize", it prints llama.cpp's tokenization of each text instead;
// with "greedy", the N ids llama.cpp's greedy (temperature 0) decoding
// generates after a prompt (EOS included, generation not stopped there).
//
// Usage: node logprobs.mjs NODE_MODULES_DIR logits FILE.gguf '[ids…]'
//        node logprobs.mjs NODE_MODULES_DIR greedy FILE.gguf '[[prompt ids…], N]'
//        node logprobs.mjs NODE_MODULES_DIR tokenize FILE.gguf '["text", …]'
import path from "node:path";
import { pathToFileURL } from "node:url";

const [, , modules, mode, file, arg] = process.argv;
const { getLlama, LlamaLogLevel } = await import(
  pathToFileURL(path.join(modules, "node-llama-cpp", "dist", "index.js")).href);
// Exit only once stdout is flushed (a pipe is asynchronous in Node).
const print = (v) => process.stdout.write(JSON.stringify(v) + "\n", () => process.exit(0));
const llama = await getLlama({ gpu: false, build: "never", logLevel: LlamaLogLevel.error });
if (mode === "tokenize") {
  const model = await llama.loadModel({ modelPath: file, vocabOnly: true });
  const texts = JSON.parse(arg);
  print(texts.map((t) => Array.from(model.tokenize(t, false))));
}
const model = await llama.loadModel({ modelPath: file, gpuLayers: 0 });
const ids = JSON.parse(arg);
// F32 KV cache and no flash attention so that an F32 file is computed in
// f32 throughout (llama.cpp's defaults keep K and V in F16).
const ctx = await model.createContext({
  contextSize: 128, batchSize: 128, threads: 1, flashAttention: false,
  experimentalKvCacheKeyType: "F32", experimentalKvCacheValueType: "F32",
});
const seq = ctx.getSequence();
if (mode === "greedy") {
  const [prompt, n] = JSON.parse(arg);
  const got = [];
  // One controlledEvaluate per token: seq.evaluate stops at an EOG token.
  let input = prompt;
  while (got.length < n) {
    const last = input.length - 1;
    const out = await seq.controlledEvaluate(input.map((t, j) =>
      j === last ? [t, { generateNext: { token: true, options: { temperature: 0 } } }] : t));
    const tok = out[last].next.token;
    got.push(tok);
    input = [tok];
  }
  print({ ids: got });
} else {
  const opts = { temperature: 1, topK: 0, topP: 1, minP: 0 };
  const out = await seq.controlledEvaluate(ids.map((t) => [t, { generateNext: { probabilities: true, options: opts } }]));
  const rows = out.map((o) => {
    const p = o.next.probabilities;
    const row = new Array(p.size);
    for (const [tok, prob] of p) row[tok] = Math.log(prob);
    return row;
  });
  print({ logprobs: rows });
}
