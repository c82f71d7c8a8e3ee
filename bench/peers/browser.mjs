// bench/peers Chromium driver (run it through `run.sh --browser`, which
// prepares WORK and the lamina site): serves bench/peers/web/ (the page),
// the lamina site, the peers' npm packages and the model files from
// 127.0.0.1 with COOP/COEP (so the page is cross-origin isolated and threads
// work), and runs each runner of web/runners.mjs in a fresh browser context
// per round, interleaved (A B C …, A B C …), in headless Chromium. It checks
// every runner's greedy ids against lamina native's (laminarun, run once,
// untimed), and prints medians, tokens per CPU-second of the Chromium
// process tree (read from /proc at the page's start / first token / end
// marks) and lamina ÷ peer ratios.
//
//   node browser.mjs --work DIR --site DIR --model brown|smollm2|emoji [--rounds 3]
//                    [--runners a,b,…] [--new-tokens 128] [--emoji-runs 1]
//                    [--profile RUNNER] [--json FILE]
//
// --model emoji times the layered-emoji sample (models/layered-emoji, 24
// steps, cfg 3) instead. --profile RUNNER runs that runner once under the
// DevTools protocol's sampling Profiler (the page's main thread, between the
// start and end marks) and prints where the time goes.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "./common.mjs";
import { launch, BASE_ARGS } from "../../e2e/browser.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, "../..");
const { opt } = parseArgs(process.argv.slice(2), {
  work: "", site: "", model: "brown", rounds: 3, runners: "", "new-tokens": 128, "emoji-runs": 1, profile: "", json: "",
});
const N = opt["new-tokens"];
const work = path.resolve(opt.work);

// The server: URL prefix → folder. Every response is cross-origin isolated
// (COOP same-origin, COEP require-corp) and same-origin CORP.
const roots = {
  "/lamina/": path.resolve(opt.site),
  "/nm/": path.join(here, "node_modules"),
  "/w/": work,
  "/models/": path.join(repo, "models"),
  "/": path.join(here, "web"),
};
const types = { ".html": "text/html", ".mjs": "text/javascript", ".js": "text/javascript", ".wasm": "application/wasm", ".json": "application/json" };
const server = http.createServer((req, res) => {
  const u = decodeURIComponent(new URL(req.url, "http://x").pathname);
  const prefix = Object.keys(roots).find((p) => u.startsWith(p));
  let file = path.join(roots[prefix], u.slice(prefix.length));
  if (u === "/") file = path.join(roots["/"], "index.html");
  const headers = { "Cross-Origin-Opener-Policy": "same-origin", "Cross-Origin-Embedder-Policy": "require-corp",
    "Cross-Origin-Resource-Policy": "same-origin", "Cache-Control": "no-store", "Accept-Ranges": "bytes" };
  if (!file.startsWith(roots[prefix]) || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
    res.writeHead(404, headers).end("not found");
    return;
  }
  const size = fs.statSync(file).size;
  headers["Content-Type"] = types[path.extname(file)] || "application/octet-stream";
  const m = /^bytes=(\d*)-(\d*)$/.exec(req.headers.range || "");
  if (m) {
    const lo = m[1] === "" ? size - Number(m[2]) : Number(m[1]);
    const hi = m[1] === "" || m[2] === "" ? size - 1 : Math.min(Number(m[2]), size - 1);
    res.writeHead(206, { ...headers, "Content-Range": `bytes ${lo}-${hi}/${size}`, "Content-Length": hi - lo + 1 });
    if (req.method === "HEAD") return res.end();
    fs.createReadStream(file, { start: lo, end: hi }).pipe(res);
    return;
  }
  res.writeHead(200, { ...headers, "Content-Length": size });
  if (req.method === "HEAD") return res.end();
  fs.createReadStream(file).pipe(res);
});
await new Promise((ok) => server.listen(0, "127.0.0.1", ok));
const base = `http://127.0.0.1:${server.address().port}/`;

// treeCPU is the CPU seconds (user + system) of every process below this
// one: Chromium's browser, GPU, utility and renderer processes (the page's
// Web Workers are threads of its renderer). This process, which serves the
// files, is not counted.
const tck = Number(spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).stdout.trim()) || 100;
function treeCPU() {
  const procs = [];
  for (const d of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const s = fs.readFileSync(`/proc/${d}/stat`, "utf8");
      const f = s.slice(s.lastIndexOf(")") + 2).split(" ");
      procs.push({ pid: Number(d), ppid: Number(f[1]), cpu: (Number(f[11]) + Number(f[12])) / tck });
    } catch { /* gone */ }
  }
  const below = new Set([process.pid]);
  let sum = 0, grew = true;
  while (grew) {
    grew = false;
    for (const p of procs) {
      if (!below.has(p.pid) && below.has(p.ppid)) {
        below.add(p.pid);
        sum += p.cpu;
        grew = true;
      }
    }
  }
  return sum;
}

const lm = opt.model !== "emoji";
let hf, prompt, promptText, refIDs;
if (lm) {
  hf = fs.readFileSync(path.join(work, opt.model, "hfdir"), "utf8").trim();
  ({ ids: prompt, text: promptText } = textPrompt(path.join(hf, "tokenizer.json"), 128));
}

// textPrompt is the browser mode's prompt: wllama 3.8.1 takes text only
// (no token ids), so every runner gets the first n tokens of
// web/prompt.txt as lamina's tokenizer encodes it, and wllama their text,
// which must encode back to the same ids (checked here; wllama's own
// tokenization is checked by its greedy ids and its prompt token count).
function textPrompt(tokenizer, n) {
  const lamina = (...a) => {
    const p = spawnSync(path.join(work, "lamina"), a, { encoding: "utf8" });
    if (p.status !== 0) throw new Error(`lamina ${a[0]}: ${p.stderr}`);
    return JSON.parse(p.stdout);
  };
  const all = lamina("tokenize", "-tokenizer", tokenizer, "-text", fs.readFileSync(path.join(here, "web", "prompt.txt"), "utf8")).ids;
  const ids = all.slice(0, n);
  const { text } = lamina("detokenize", "-tokenizer", tokenizer, "-ids", ids.join(","));
  const back = lamina("tokenize", "-tokenizer", tokenizer, "-text", text).ids;
  if (ids.length !== n || back.join() !== ids.join()) throw new Error(`web/prompt.txt: its first ${n} tokens do not encode back to themselves`);
  return { ids, text };
}
// url is the server path of a file or folder under WORK or models/.
const url = (p) => {
  const a = path.resolve(repo, p), models = path.join(repo, "models");
  return (a.startsWith(models + "/") ? "/models/" + path.relative(models, a) : "/w/" + path.relative(work, a)) + "/";
};
const modelURL = lm && url(hf);
const onnxDir = lm && path.join(work, opt.model, "onnx-model");
const common = lm && { model: modelURL, prompt, n: N };
// Each runner: label, the runner its ratios are taken against, the
// runners.mjs function and its arguments.
const R = lm ? {
  "lamina-wasm-cpu": { label: "lamina wasm, Go CPU backend", fn: "lamina", args: { ...common, backend: "cpu" } },
  "lamina-simd-1": { label: "lamina wasm-simd, 1 thread", fn: "lamina", args: { ...common, backend: "wasm-simd", threads: 1 } },
  "lamina-simd-2": { label: "lamina wasm-simd, 2 threads", fn: "lamina", args: { ...common, backend: "wasm-simd", threads: 2 } },
  "tjs-1": { label: "transformers.js 4.3.1 fp32, device wasm, 1 thread", ref: "lamina-simd-1", fn: "tjs",
    args: { ...common, onnxBase: url(path.dirname(onnxDir)), onnxName: path.basename(onnxDir), threads: 1 } },
  "tjs-2": { label: "transformers.js 4.3.1 fp32, device wasm, 2 threads", ref: "lamina-simd-2", fn: "tjs",
    args: { ...common, onnxBase: url(path.dirname(onnxDir)), onnxName: path.basename(onnxDir), threads: 2 } },
  "wllama-1": { label: "wllama 3.8.1 F16 GGUF, 1 thread", ref: "lamina-simd-1", fn: "wllama",
    args: { ...common, text: promptText, gguf: url(path.join(work, opt.model, "model-f16.gguf")).slice(0, -1), threads: 1 } },
  "wllama-2": { label: "wllama 3.8.1 F16 GGUF, 2 threads", ref: "lamina-simd-2", fn: "wllama",
    args: { ...common, text: promptText, gguf: url(path.join(work, opt.model, "model-f16.gguf")).slice(0, -1), threads: 2 } },
} : {
  "emoji-simd-1": { label: "layered-emoji, wasm-simd, 1 thread", fn: "emoji", args: { model: "/models/layered-emoji/", backend: "wasm-simd", threads: 1, runs: opt["emoji-runs"] } },
  "emoji-simd-2": { label: "layered-emoji, wasm-simd, 2 threads", ref: "emoji-simd-1", fn: "emoji", args: { model: "/models/layered-emoji/", backend: "wasm-simd", threads: 2, runs: opt["emoji-runs"] } },
  "emoji-cpu": { label: "layered-emoji, Go CPU backend", ref: "emoji-simd-1", fn: "emoji", args: { model: "/models/layered-emoji/", backend: "cpu", runs: opt["emoji-runs"] } },
};
const names = opt.profile ? [opt.profile] : opt.runners ? opt.runners.split(",") : Object.keys(R);
for (const n of names) if (!R[n]) throw new Error(`unknown runner ${n} (known: ${Object.keys(R).join(", ")})`);

const browser = await launch(BASE_ARGS);
const version = browser.version();

// runOnce runs one runner in a fresh context and page; with profile, the
// page's main thread is sampled between its start and end marks.
async function runOnce(name, profile) {
  const ctx = await browser.newContext();
  const marks = {};
  let cdp, prof;
  await ctx.exposeBinding("cpuMark", async (_src, label) => {
    marks[label] = treeCPU();
    if (profile && label === "start") {
      await cdp.send("Profiler.enable");
      await cdp.send("Profiler.setSamplingInterval", { interval: 200 });
      await cdp.send("Profiler.start");
    }
    if (profile && label === "end") prof = (await cdp.send("Profiler.stop")).profile;
  });
  const page = await ctx.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
  if (profile) cdp = await ctx.newCDPSession(page);
  await page.goto(base);
  const load = os.loadavg()[0];
  const r = R[name];
  const res = await page.evaluate(async ({ fn, args }) => {
    try {
      const mod = await import("/runners.mjs");
      return await mod[fn](args);
    } catch (e) {
      return { error: String(e && e.stack || e) };
    }
  }, { fn: r.fn, args: r.args });
  await ctx.close();
  if (res.error) throw new Error(`${name}: ${res.error}\n${errors.join("\n")}`);
  res.load = load;
  if (lm) {
    res.prefillCPU = prompt.length / (marks.first - marks.start);
    res.decodeCPU = N / (marks.end - marks.first);
  } else res.cpu_s = marks.end - marks.start;
  res.profile = prof;
  return res;
}

const median = (v) => {
  const s = v.filter((x) => x !== undefined && Number.isFinite(x)).sort((a, b) => a - b);
  if (!s.length) return undefined;
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const fmt = (v, d = 1) => (v === undefined ? "–" : v.toFixed(d));

console.log(`bench/peers --browser: ${version} headless, ${opt.model === "emoji" ? "models/layered-emoji, 24 steps, cfg 3" : `model ${opt.model} (${hf}), prompt ${prompt.length} tokens, ${N} greedy tokens, batch 1`}, ` +
  `${opt.rounds} interleaved rounds of ${names.join(", ")}; ${os.cpus().length} cores, load ${os.loadavg().map((l) => l.toFixed(1)).join(" ")}`);

if (lm) {
  const pf = path.join(work, opt.model, "prompt-text.json");
  fs.writeFileSync(pf, JSON.stringify(prompt));
  const p = spawnSync(path.join(work, "laminarun"), ["-dir", hf, "-prompt", pf, "-new-tokens", String(N)], { encoding: "utf8" });
  if (p.status !== 0) throw new Error(`laminarun failed: ${p.stderr}`);
  refIDs = JSON.parse(p.stdout.trim().split("\n").at(-1)).ids;
}

if (opt.profile) {
  const res = await runOnce(opt.profile, true);
  console.log(`${opt.profile}: ${res.runtime}; ${lm ? `prefill ${fmt(res.prefill_tok_s)} decode ${fmt(res.decode_tok_s)} tok/s` : `${res.ms.map((x) => x.toFixed(0)).join(", ")} ms`} (under the profiler)`);
  summarize(res.profile);
  if (opt.json) fs.writeFileSync(opt.json, JSON.stringify(res.profile));
  await browser.close();
  server.close();
  process.exit(0);
}

const runs = Object.fromEntries(names.map((n) => [n, []]));
const loads = [];
const t0 = Date.now();
let failed = false;
for (let round = 0; round < opt.rounds; round++) {
  for (const n of names) {
    const res = await runOnce(n, false);
    delete res.profile;
    loads.push(res.load);
    runs[n].push(res);
    process.stderr.write(lm
      ? `  round ${round + 1} ${n}: prefill ${fmt(res.prefill_tok_s)} decode ${fmt(res.decode_tok_s)} tok/s, per CPU-s ${fmt(res.prefillCPU)} / ${fmt(res.decodeCPU)}${res.llamacpp_timings ? ` (llama.cpp's own timings: ${fmt(res.llamacpp_timings.prompt_per_second)} / ${fmt(res.llamacpp_timings.predicted_per_second)} tok/s)` : ""} (load ${res.load.toFixed(1)})\n`
      : `  round ${round + 1} ${n}: ${res.ms.map((x) => x.toFixed(0)).join(", ")} ms, ${fmt(res.cpu_s, 2)} CPU-s (load ${res.load.toFixed(1)})\n`);
  }
  if (round === 0 && lm) {
    console.log(`checks against lamina native f16 (laminarun, ${N + 1} greedy ids):`);
    for (const n of names) {
      const got = runs[n][0].ids;
      let d = -1;
      for (let i = 0; i < Math.max(got.length, refIDs.length); i++) if (got[i] !== refIDs[i]) { d = i; break; }
      console.log(`  ${n}: greedy ids ${d < 0 ? "identical  OK" : `differ from index ${d}  FAIL`}`);
      failed = failed || d >= 0;
    }
  }
}

console.log(`\nmedians of ${opt.rounds} rounds (${((Date.now() - t0) / 60e3).toFixed(1)} min); load average (1 min) during the runs ` +
  `${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)}, median ${median(loads).toFixed(1)}\n`);
const summary = {};
if (lm) {
  console.log("| runtime | prefill tok/s | decode tok/s | prefill tok/CPU-s | decode tok/CPU-s | lamina ÷ this, prefill / decode (wall) | (CPU-s) |");
  console.log("|---|---|---|---|---|---|---|");
  for (const n of names) {
    const v = runs[n];
    summary[n] = { runtime: v[0].runtime, prefill: median(v.map((x) => x.prefill_tok_s)), decode: median(v.map((x) => x.decode_tok_s)),
      prefillCPU: median(v.map((x) => x.prefillCPU)), decodeCPU: median(v.map((x) => x.decodeCPU)) };
  }
  for (const n of names) {
    const s = summary[n], ref = summary[R[n].ref];
    let ratio = "–", ratioCPU = "–";
    if (ref) {
      ratio = `${fmt(ref.prefill / s.prefill, 2)}× / ${fmt(ref.decode / s.decode, 2)}× (vs ${R[n].ref})`;
      ratioCPU = `${fmt(ref.prefillCPU / s.prefillCPU, 2)}× / ${fmt(ref.decodeCPU / s.decodeCPU, 2)}×`;
    }
    console.log(`| ${R[n].label} | ${fmt(s.prefill)} | ${fmt(s.decode)} | ${fmt(s.prefillCPU)} | ${fmt(s.decodeCPU)} | ${ratio} | ${ratioCPU} |`);
  }
} else {
  console.log("| runtime | sample ms (median) | CPU-s per sample (median) | this ÷ wasm-simd 1 thread, ms / CPU-s |");
  console.log("|---|---|---|---|");
  for (const n of names) {
    const v = runs[n];
    summary[n] = { runtime: v[0].runtime, ms: median(v.flatMap((x) => x.ms)), cpu: median(v.map((x) => x.cpu_s / x.ms.length)) };
  }
  for (const n of names) {
    const s = summary[n], ref = summary[R[n].ref];
    console.log(`| ${R[n].label} | ${fmt(s.ms, 0)} | ${fmt(s.cpu, 2)} | ${ref ? `${fmt(s.ms / ref.ms, 2)}× / ${fmt(s.cpu / ref.cpu, 2)}×` : "–"} |`);
  }
}
console.log("\nruntimes as they describe themselves:");
for (const n of names) console.log(`  ${n}: ${summary[n].runtime}`);
if (opt.json) fs.writeFileSync(opt.json, JSON.stringify({ model: opt.model, rounds: opt.rounds, chromium: version, loads, summary, runs }, null, 1));
await browser.close();
server.close();
if (failed) {
  console.log("\nbench/peers --browser: a greedy-id check FAILED (see above)");
  process.exit(1);
}

// summarize prints a CPU profile's self time by function and module, and
// the inclusive time of the heaviest functions.
function summarize(p) {
  const byID = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of p.nodes) for (const c of n.children || []) parent.set(c, n.id);
  const self = new Map(), incl = new Map(), mods = new Map();
  let total = 0;
  const key = (n) => `${n.callFrame.functionName || "(anonymous)"} [${path.basename(n.callFrame.url || "") || "-"}]`;
  for (let i = 0; i < p.samples.length; i++) {
    const dt = (p.timeDeltas[i + 1] ?? p.timeDeltas[i]) / 1e3;
    total += dt;
    const n = byID.get(p.samples[i]);
    self.set(key(n), (self.get(key(n)) || 0) + dt);
    const mod = path.basename(n.callFrame.url || "") || n.callFrame.functionName;
    mods.set(mod, (mods.get(mod) || 0) + dt);
    const seen = new Set();
    for (let id = n.id; id !== undefined; id = parent.get(id)) {
      const k = key(byID.get(id));
      if (!seen.has(k)) { seen.add(k); incl.set(k, (incl.get(k) || 0) + dt); }
    }
  }
  const top = (m, k) => [...m].sort((a, b) => b[1] - a[1]).slice(0, k);
  console.log(`\nprofile: ${p.samples.length} samples over ${(total / 1e3).toFixed(2)} s (main thread)\nself time by module:`);
  for (const [k, v] of top(mods, 10)) console.log(`  ${(100 * v / total).toFixed(1).padStart(5)} %  ${k}`);
  console.log("self time by function:");
  for (const [k, v] of top(self, 25)) console.log(`  ${(100 * v / total).toFixed(1).padStart(5)} %  ${k}`);
  console.log("inclusive time by function:");
  for (const [k, v] of top(incl, 30)) console.log(`  ${(100 * v / total).toFixed(1).padStart(5)} %  ${k}`);
}
