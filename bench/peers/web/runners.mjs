// bench/peers Chromium runners (loaded by bench/peers/web/index.html, driven
// by bench/peers/browser.mjs): one function per runtime, each run in a
// fresh page. Every LM runner loads its model (untimed), does one short
// untimed pass, then a timed greedy run of the prompt + N+1 tokens, batch 1,
// and returns { runtime, prefill_tok_s, decode_tok_s, ids, cpu } where
// prefill is the time to the first generated token, decode the time of the N
// tokens after it, ids the N+1 generated ids, and cpu the Chromium process
// tree's CPU seconds at the start, at the first token and at the end (read by
// the driver through window.cpuMark, a playwright binding, which the page calls
// without waiting for it at the first token).

const mark = (label) => (window.cpuMark ? window.cpuMark(label) : Promise.resolve());

// timed runs gen(onToken) (a greedy generation of n+1 tokens that calls
// onToken once per token as it is produced) and turns its timestamps into
// the result fields.
async function timed(promptLen, n, gen) {
  const times = [];
  await mark('start');
  const t0 = performance.now();
  const ids = await gen(() => {
    times.push(performance.now());
    if (times.length === 1) mark('first');
  });
  const t1 = performance.now();
  await mark('end');
  if (ids.length !== n + 1 || times.length !== n + 1) throw new Error(`generated ${ids.length} ids, ${times.length} token events, want ${n + 1}`);
  return {
    prefill_tok_s: promptLen / ((times[0] - t0) / 1e3),
    decode_tok_s: n / ((times[n] - times[0]) / 1e3),
    total_ms: t1 - t0,
    ids,
  };
}

// lamina: lamina.mjs (the editor's runtime API), backend 'cpu' (the plain Go
// CPU backend) or 'wasm-simd' with threads.
export async function lamina({ model, prompt, n, backend, threads }) {
  const { createRuntime } = await import('/lamina/lamina.mjs');
  const rt = await createRuntime({ backend, threads: backend === 'wasm-simd' ? threads : 'auto' });
  const lm = await rt.loadModel(model);
  const gen = (count, onToken) => lm.generate({ ids: prompt, maxNewTokens: count + 1, temperature: 0, eosTokenIds: [], onToken })
    .then((out) => Array.from(out.newIds));
  await gen(Math.min(n, 4));
  const res = await timed(prompt.length, n, (onToken) => gen(n, onToken));
  res.runtime = `lamina.mjs ${rt.backend}, ${rt.threads || 1} thread${rt.threads > 1 ? 's' : ''} (crossOriginIsolated ${crossOriginIsolated})`;
  await lm.dispose();
  await rt.dispose();
  return res;
}

// tjs: transformers.js 4.3.1, device 'wasm' (onnxruntime-web's wasm
// backend), fp32 ONNX from to_onnx.py, numThreads threads.
export async function tjs({ onnxBase, onnxName, prompt, n, threads }) {
  const { AutoModelForCausalLM, Tensor, env } = await import('@huggingface/transformers');
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.useBrowserCache = false;
  env.localModelPath = onnxBase;
  env.backends.onnx.wasm.wasmPaths = '/nm/onnxruntime-web/dist/';
  env.backends.onnx.wasm.numThreads = threads;
  const model = await AutoModelForCausalLM.from_pretrained(onnxName, { dtype: 'fp32', device: 'wasm' });
  const ids = new Tensor('int64', BigInt64Array.from(prompt.map(BigInt)), [1, prompt.length]);
  const mask = new Tensor('int64', new BigInt64Array(prompt.length).fill(1n), [1, prompt.length]);
  const gen = async (count, onToken) => {
    let calls = 0;
    // put() gets the prompt first, then each generated token.
    const streamer = { put() { if (calls++ > 0 && onToken) onToken(); }, end() {} };
    const out = await model.generate({ input_ids: ids, attention_mask: mask, max_new_tokens: count + 1, do_sample: false, eos_token_id: null, streamer });
    return Array.from(out.data.slice(prompt.length), Number);
  };
  await gen(Math.min(n, 4));
  const res = await timed(prompt.length, n, (onToken) => gen(n, onToken));
  res.runtime = `transformers.js 4.3.1 (onnxruntime-web, device wasm, fp32, numThreads ${threads}, crossOriginIsolated ${crossOriginIsolated})`;
  await model.dispose();
  return res;
}

// wllama: wllama 3.8.1 (llama.cpp's server loop in wasm, in its Web Worker),
// the F16 GGUF, CPU only (n_gpu_layers 0), n_threads threads. Greedy is
// temperature 0; the generated ids come from the streamed logprobs. It
// takes the prompt as text only; timings.prompt_n says how many tokens it made.
export async function wllama({ gguf, prompt, text, n, threads }) {
  const { Wllama } = await import('/nm/@wllama/wllama/esm/index.js');
  const w = new Wllama({ default: '/nm/@wllama/wllama/esm/wasm/wllama.wasm' }, { suppressNativeLog: true, logger: { debug() {}, log() {}, warn: console.warn, error: console.error } });
  await w.loadModelFromUrl(gguf, { n_threads: threads, n_ctx: 512, n_batch: prompt.length, n_gpu_layers: 0, warmup: false });
  let timings;
  const gen = async (count, onToken) => {
    const ids = [];
    await w.createCompletion({
      prompt: text, max_tokens: count + 1, temperature: 0, ignore_eos: true, cache_prompt: false, logprobs: 1, stream: true,
      onData: (chunk) => {
        if (chunk.timings) timings = chunk.timings;
        const c = chunk.choices?.[0];
        const lp = c?.logprobs?.content;
        if (!lp) return;
        for (const t of lp) {
          ids.push(t.id);
          if (onToken) onToken();
        }
      },
    });
    return ids;
  };
  await gen(Math.min(n, 4));
  const res = await timed(prompt.length, n, (onToken) => gen(n, onToken));
  res.runtime = `wllama 3.8.1 (llama.cpp wasm, F16 GGUF, ${w.getNumThreads()} thread${w.getNumThreads() > 1 ? 's' : ''}, multithread ${w.isMultithread()})`;
  res.llamacpp_timings = timings;
  if (timings?.prompt_n !== prompt.length) throw new Error(`wllama tokenized the prompt into ${timings?.prompt_n} tokens, want ${prompt.length}`);
  await w.exit();
  return res;
}

// emoji: one layered-emoji sample (24 steps, cfg 3) through lamina.mjs's
// rt.loadSVGModel, as the editor draws it; one warm-up sample, then `runs`
// timed ones with other seeds.
export async function emoji({ model, backend, threads, runs }) {
  const { createRuntime } = await import('/lamina/lamina.mjs');
  const rt = await createRuntime({ backend, threads: backend === 'wasm-simd' ? threads : 'auto' });
  const m = await rt.loadSVGModel(model);
  const opts = { prompt: 'red heart', steps: 24, cfg: 3 };
  await m.generate({ ...opts, seed: 0 });
  const ms = [];
  await mark('start');
  for (let i = 1; i <= runs; i++) {
    const t = performance.now();
    await m.generate({ ...opts, seed: i });
    ms.push(performance.now() - t);
  }
  await mark('end');
  const out = { runtime: `lamina.mjs loadSVGModel on ${m.backend}, ${rt.threads || 1} thread${rt.threads > 1 ? 's' : ''}`, ms };
  await m.dispose();
  await rt.dispose();
  return out;
}
