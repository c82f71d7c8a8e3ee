// bench/peers runner for transformers.js 4.3.1 (@huggingface/transformers)
// on an ONNX folder written by to_onnx.py: greedy generate() (do_sample
// false, EOS not stopping it) of N+1 tokens after the prompt, batch 1,
// fp32, one thread. A streamer timestamps every token: prefill is the time
// to the first generated token, decode the time of the N after it. Prints
// one JSON line per round like laminarun; --logits adds the first step's
// logits (a separate forward of the prompt, untimed).
//
//   node transformersjs.mjs ONNX_DIR PROMPT.json [--ort node|wasm] [--new-tokens 128] [--rounds 1] [--logits]
//
// --ort node: onnxruntime-node (native, CPU execution provider), what
// transformers.js uses in Node by default. --ort wasm: onnxruntime-web's
// WebAssembly backend (device 'wasm', what a browser without WebGPU runs),
// here in Node, handed to transformers.js through globalThis[Symbol.for('onnxruntime')]
// (the hook transformers.js has for a runtime-provided ORT).
import fs from "node:fs";
import path from "node:path";
import { parseArgs, emit, cpuSeconds } from "./common.mjs";

const { pos: [dir, promptFile], opt } = parseArgs(process.argv.slice(2), { ort: "node", "new-tokens": 128, rounds: 1, logits: false });
const prompt = JSON.parse(fs.readFileSync(promptFile, "utf8"));
const n = opt["new-tokens"];
let device = "cpu", ortVersion;
if (opt.ort === "wasm") {
  const ort = await import("onnxruntime-web");
  ort.env.wasm.numThreads = 1;
  ort.env.wasm.simd = true;
  globalThis[Symbol.for("onnxruntime")] = ort;
  // With an ORT handed in, transformers.js lists no devices; with "auto"
  // it passes no execution provider and onnxruntime-web runs its default, wasm.
  device = "auto";
  ortVersion = "onnxruntime-web " + JSON.parse(fs.readFileSync(new URL("./node_modules/onnxruntime-web/package.json", import.meta.url))).version;
} else if (opt.ort === "node") {
  ortVersion = "onnxruntime-node " + JSON.parse(fs.readFileSync(new URL("./node_modules/onnxruntime-node/package.json", import.meta.url))).version;
} else throw new Error(`--ort ${opt.ort}: want node or wasm`);
const { AutoModelForCausalLM, Tensor, env } = await import("@huggingface/transformers");
env.allowRemoteModels = false;
env.localModelPath = path.dirname(path.resolve(dir)) + "/";
if (opt.ort === "wasm") {
  // Its own files, not the CDN transformers.js points at by default.
  env.backends.onnx.wasm.wasmPaths = new URL("./node_modules/onnxruntime-web/dist/", import.meta.url).href;
  env.backends.onnx.wasm.numThreads = 1;
}
const model = await AutoModelForCausalLM.from_pretrained(path.basename(path.resolve(dir)), {
  dtype: "fp32", device, local_files_only: true,
  session_options: { intraOpNumThreads: 1, interOpNumThreads: 1 },
});
const ids = new Tensor("int64", BigInt64Array.from(prompt.map(BigInt)), [1, prompt.length]);
const mask = new Tensor("int64", new BigInt64Array(prompt.length).fill(1n), [1, prompt.length]);

async function once(count) {
  const times = [], cpu = [];
  const streamer = { put() { times.push(performance.now()); cpu.push(cpuSeconds()); }, end() {} };
  const c0 = cpuSeconds(), t0 = performance.now();
  const out = await model.generate({
    input_ids: ids, attention_mask: mask, max_new_tokens: count + 1, do_sample: false,
    eos_token_id: null, streamer,
  });
  // times[0] is the prompt's put, times[1] the first generated token's.
  const got = Array.from(out.data.slice(prompt.length), Number);
  if (got.length !== count + 1 || times.length !== count + 2) throw new Error(`transformers.js generated ${got.length} tokens`);
  return {
    prefill_tok_s: prompt.length / ((times[1] - t0) / 1e3), decode_tok_s: count / ((times.at(-1) - times[1]) / 1e3),
    prefill_cpu_s: cpu[1] - c0, decode_cpu_s: cpu.at(-1) - cpu[1], ids: got,
  };
}

let logits0;
if (opt.logits) {
  const out = await model({ input_ids: ids, attention_mask: mask });
  const [, T, V] = out.logits.dims;
  logits0 = Array.from(out.logits.data.slice((T - 1) * V, T * V));
}
await once(Math.min(n, 4));
const lines = [];
for (let r = 0; r < opt.rounds; r++) {
  const res = await once(n);
  lines.push({
    runtime: `transformers.js 4.3.1 (${ortVersion}, fp32, 1 thread)`,
    ...res,
    ...(r === 0 && logits0 ? { logits0 } : {}),
  });
}
emit(lines);
