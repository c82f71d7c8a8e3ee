// bench/peers driver (run it through run.sh, which prepares WORK): runs
// the chosen runners on one model in interleaved rounds (A B C …, A B C …),
// checks the conversions against lamina in the first round, and prints a
// table of medians with lamina ÷ peer ratios and the load average.
//
//   node bench.mjs --work DIR --model brown|smollm2 [--rounds 3] [--runners a,b,…]
//                  [--lamina BIN] [--new-tokens 128] [--json FILE]
//
// Every runner prints JSON lines {prefill_tok_s, decode_tok_s, ids, …}; ids
// are the prefill's greedy token and the new tokens after it.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "./common.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const { opt } = parseArgs(process.argv.slice(2), {
  work: "", model: "brown", rounds: 3, runners: "", lamina: "", "new-tokens": 128, json: "",
});
const work = path.resolve(opt.work, opt.model);
const hf = fs.readFileSync(path.join(work, "hfdir"), "utf8").trim();
const promptFile = path.join(work, "prompt.json");
const prompt = JSON.parse(fs.readFileSync(promptFile, "utf8"));
const N = opt["new-tokens"];
const shape = { brown: "lamina-brown-20m", smollm2: "smollm2-135m" }[opt.model];
const goWasmExec = path.join(spawnSync("go", ["env", "GOROOT"], { encoding: "utf8" }).stdout.trim(), "lib", "wasm", "go_js_wasm_exec");
const one = { GOMAXPROCS: "1" };
const node = process.execPath;
const np = ["--new-tokens", String(N)];

// Each runner: label, the lamina runner it is compared with (ref), what its
// first round checks against lamina native f16 ("logits": raw logits,
// "logprobs": log-softmax, "ids": greedy ids only), and its command.
const R = {
  "lamina-f16": { label: "lamina native f16, 1 thread", ref: "lamina-f16", logits: true,
    cmd: [path.join(work, "..", "laminarun"), "-dir", hf, "-prompt", promptFile, "-new-tokens", String(N)], env: one },
  "llamacpp-f16": { label: "llama.cpp f16 GGUF, 1 thread", ref: "lamina-f16", check: "logprobs", logits: true,
    cmd: [node, path.join(here, "llamacpp.mjs"), path.join(work, "model-f16.gguf"), promptFile, ...np] },
  "lamina-q8": { label: "lamina native q8 (bench, random weights), 1 thread", ref: "lamina-q8", bench: "q8" },
  "llamacpp-q8_0": { label: "llama.cpp Q8_0 GGUF, 1 thread", ref: "lamina-q8",
    cmd: [node, path.join(here, "llamacpp.mjs"), path.join(work, "model-q8_0.gguf"), promptFile, ...np] },
  "lamina-q4": { label: "lamina native q4 (bench, random weights), 1 thread", ref: "lamina-q4", bench: "q4" },
  "llamacpp-q4_0": { label: "llama.cpp Q4_0 GGUF, 1 thread", ref: "lamina-q4",
    cmd: [node, path.join(here, "llamacpp.mjs"), path.join(work, "model-q4_0.gguf"), promptFile, ...np] },
  "tjs-node": { label: "transformers.js fp32, onnxruntime-node, 1 thread", ref: "lamina-f16", check: "logits", logits: true,
    cmd: [node, path.join(here, "transformersjs.mjs"), path.join(work, "onnx-model"), promptFile, "--ort", "node", ...np] },
  "lamina-wasm-cpu": { label: "lamina wasm (Go CPU backend) f16, Node", check: "ids",
    cmd: [goWasmExec, path.join(work, "..", "laminarun.wasm"), "-dir", hf, "-prompt", promptFile, "-backend", "cpu", "-new-tokens", String(N)] },
  "lamina-wasm-simd": { label: "lamina wasm-simd f16, Node", ref: "lamina-wasm-simd", check: "ids",
    cmd: [goWasmExec, path.join(work, "..", "laminarun.wasm"), "-dir", hf, "-prompt", promptFile, "-backend", "wasm-simd", "-new-tokens", String(N)] },
  "tjs-wasm": { label: "transformers.js fp32, onnxruntime-web wasm, Node, 1 thread", ref: "lamina-wasm-simd", check: "logits", logits: true,
    cmd: [node, path.join(here, "transformersjs.mjs"), path.join(work, "onnx-model"), promptFile, "--ort", "wasm", ...np] },
};
const names = opt.runners ? opt.runners.split(",") : Object.keys(R);
for (const n of names) if (!R[n]) throw new Error(`unknown runner ${n} (known: ${Object.keys(R).join(", ")})`);

function runOnce(name, withLogits) {
  const r = R[name];
  let cmd = r.cmd;
  if (r.bench) {
    if (!opt.lamina) throw new Error(`${name} needs --lamina`);
    cmd = [opt.lamina, "bench", "--shape", shape, "--dtype", r.bench, "--reps", "1", "--json",
      "--prompt-len", String(prompt.length), "--new-tokens", String(N)];
  } else if (withLogits && r.logits) cmd = [...cmd, r.cmd[0] === node ? "--logits" : "-logits"];
  const env = { ...process.env, ...(r.bench ? one : r.env ?? {}) };
  const load = os.loadavg()[0];
  const p = spawnSync(cmd[0], cmd.slice(1), { env, encoding: "utf8", maxBuffer: 1 << 28 });
  if (p.status !== 0) throw new Error(`${name} failed (${p.status}): ${cmd.join(" ")}\n${p.stderr}`);
  const lines = p.stdout.trim().split("\n").filter((l) => l.startsWith("{"));
  const j = JSON.parse(lines.at(-1));
  if (r.bench) {
    return { runtime: `lamina bench --dtype ${r.bench} (${j.kernels} kernels, ${j.threads} thread)`, load,
      prefill: j.prefill_tok_s, decode: j.decode_tok_s, prefillCPU: j.prefill_tok_per_cpu_s, decodeCPU: j.decode_tok_per_cpu_s };
  }
  return { runtime: j.runtime, load, prefill: j.prefill_tok_s, decode: j.decode_tok_s,
    prefillCPU: j.prefill_cpu_s ? prompt.length / j.prefill_cpu_s : undefined,
    decodeCPU: j.decode_cpu_s ? N / j.decode_cpu_s : undefined,
    ids: j.ids, logits0: j.logits0, logprobs0: j.logprobs0 };
}

function logSoftmax(x) {
  let m = -Infinity;
  for (const v of x) m = Math.max(m, v);
  let s = 0;
  for (const v of x) s += Math.exp(v - m);
  const ls = Math.log(s);
  return x.map((v) => v - m - ls);
}

function firstDiff(a, b) {
  for (let i = 0; i < Math.max(a.length, b.length); i++) if (a[i] !== b[i]) return i;
  return -1;
}

const median = (v) => {
  const s = v.filter((x) => x !== undefined).sort((a, b) => a - b);
  if (!s.length) return undefined;
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const runs = Object.fromEntries(names.map((n) => [n, []]));
const loads = [];
const t0 = Date.now();
console.log(`bench/peers: model ${opt.model} (${hf}), prompt ${prompt.length} tokens, ${N} greedy tokens, batch 1, ` +
  `${opt.rounds} interleaved rounds of ${names.join(", ")}; ${os.cpus().length} cores, load ${os.loadavg().map((l) => l.toFixed(1)).join(" ")}`);
let failed = false;
for (let round = 0; round < opt.rounds; round++) {
  for (const n of names) {
    const res = runOnce(n, round === 0);
    loads.push(res.load);
    runs[n].push(res);
    process.stderr.write(`  round ${round + 1} ${n}: prefill ${res.prefill.toFixed(1)} decode ${res.decode.toFixed(1)} tok/s (load ${res.load.toFixed(1)})\n`);
  }
  if (round === 0) failed = check() || failed;
}

// check compares the first round of every runner with lamina native f16
// (when it ran): greedy ids, and the first step's logits.
function check() {
  const ref = runs["lamina-f16"]?.[0];
  if (!ref) {
    console.log("checks: skipped (lamina-f16 not among the runners)");
    return false;
  }
  let bad = false;
  console.log(`checks against lamina native f16 (${N + 1} greedy ids; first-step logits over ${ref.logits0.length} entries):`);
  const refLP = logSoftmax(ref.logits0);
  for (const n of names) {
    const r = R[n], got = runs[n][0];
    if (!r.check || !got.ids) continue;
    const d = firstDiff(ref.ids, got.ids);
    let line = `  ${n}: greedy ids ${d < 0 ? "identical" : `differ from index ${d}`}`;
    let ok = d < 0;
    if (r.check === "logits") {
      let worst = 0;
      for (let i = 0; i < ref.logits0.length; i++) worst = Math.max(worst, Math.abs(ref.logits0[i] - got.logits0[i]));
      line += `; max |Δ logit| ${worst.toExponential(2)} (logits span ${Math.min(...ref.logits0).toFixed(2)}…${Math.max(...ref.logits0).toFixed(2)})`;
      ok = ok && worst < 1e-2;
    } else if (r.check === "logprobs") {
      // llama.cpp gives probabilities, not logits: compare log-softmax,
      // where lamina's log p > -30 (the far tail underflows its f32 softmax).
      let worst = 0;
      for (let i = 0; i < refLP.length; i++) {
        if (refLP[i] > -30) worst = Math.max(worst, Math.abs(refLP[i] - got.logprobs0[i]));
      }
      line += `; max |Δ log p| ${worst.toExponential(2)}`;
      ok = ok && worst < 5e-2;
    }
    console.log(line + (ok ? "  OK" : "  FAIL"));
    bad = bad || !ok;
  }
  for (const n of names) {
    if (R[n].cmd?.[1]?.endsWith("llamacpp.mjs") && R[n].ref !== "lamina-f16") {
      const d = firstDiff(ref.ids, runs[n][0].ids);
      console.log(`  ${n}: (quantized, not checked) greedy ids ${d < 0 ? "identical to f16" : `leave lamina f16's at index ${d}`}`);
    }
  }
  return bad;
}

const fmt = (v, d = 1) => (v === undefined ? "–" : v.toFixed(d));
console.log(`\nmedians of ${opt.rounds} rounds (${((Date.now() - t0) / 60e3).toFixed(1)} min); load average (1 min) during the runs ` +
  `${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)}, median ${median(loads).toFixed(1)}\n`);
console.log("| runtime | prefill tok/s | decode tok/s | prefill tok/CPU-s | decode tok/CPU-s | lamina ÷ this, prefill / decode (wall) | (CPU-s) |");
console.log("|---|---|---|---|---|---|---|");
const summary = {};
for (const n of names) {
  const v = runs[n];
  const s = { runtime: v[0].runtime, prefill: median(v.map((x) => x.prefill)), decode: median(v.map((x) => x.decode)),
    prefillCPU: median(v.map((x) => x.prefillCPU)), decodeCPU: median(v.map((x) => x.decodeCPU)) };
  summary[n] = s;
}
for (const n of names) {
  const s = summary[n], ref = summary[R[n].ref];
  let ratio = "–", ratioCPU = "–";
  if (ref && R[n].ref !== n) {
    ratio = `${fmt(ref.prefill / s.prefill, 2)}× / ${fmt(ref.decode / s.decode, 2)}×`;
    if (ref.prefillCPU && s.prefillCPU) ratioCPU = `${fmt(ref.prefillCPU / s.prefillCPU, 2)}× / ${fmt(ref.decodeCPU / s.decodeCPU, 2)}×`;
  } else if (R[n].ref === n) ratio = ratioCPU = "(reference)";
  console.log(`| ${R[n].label} | ${fmt(s.prefill)} | ${fmt(s.decode)} | ${fmt(s.prefillCPU)} | ${fmt(s.decodeCPU)} | ${ratio} | ${ratioCPU} |`);
}
console.log("\nruntimes as they describe themselves:");
for (const n of names) console.log(`  ${n}: ${summary[n].runtime}`);
if (opt.json) {
  fs.writeFileSync(opt.json, JSON.stringify({ model: opt.model, rounds: opt.rounds, loads, summary,
    runs: Object.fromEntries(names.map((n) => [n, runs[n].map(({ logits0, logprobs0, ...x }) => x)])) }, null, 1));
}
if (failed) {
  console.log("\nbench/peers: a conversion check FAILED (see above)");
  process.exit(1);
}
