// lamina.mjs — run small Hugging Face causal LMs in the browser on WebGPU,
// with a pure-Go CPU fallback (both inside lamina.wasm).
//
//   import { createRuntime } from './lamina.mjs';
//   const rt = await createRuntime({ backend: 'auto' | 'webgpu' | 'wasm-simd' | 'cpu', worker: true | false, limits,
//                                     threads: 'auto' | N });
//   rt.backend;                       // 'webgpu', 'wasm-simd' or 'cpu' — what actually runs (updates after a device loss)
//   rt.threads;                       // threads the wasm-simd backend runs on (0 on another backend)
//   rt.adapter;                       // the WebGPU adapter seen: { vendor, architecture, device, description,
//                                     //   isFallbackAdapter, software } — or null (backend 'cpu', or no adapter)
//   const lm = await rt.loadModel(baseURL, { onProgress: ({ file, loaded, total, cached }) => {} });
//   const lm = await rt.loadModelFromFiles({ 'config.json': bytes, 'model.safetensors': bytes, ... });
//   await lm.logits(ids);             // Float32Array of T*V (row t = logits after ids[0..t])
//   await lm.generate({ prompt | ids, maxNewTokens, temperature, topK, topP, seed, onToken, signal,
//                       eosTokenIds, repetitionPenalty, stopStrings });
//                                     // → { ids, newIds, text }: ids = prompt + new tokens (as HF generate),
//                                     //   text = decoded new tokens ('' without a tokenizer)
//   await lm.generate({ ..., speculative: { exitLayer: E, draftTokens: K } });
//                                     // LayerSkip self-speculation (greedy ids unchanged); onToken also gets
//                                     //   { drafted, exitLayer } per token; → { ..., stats: { drafted, accepted, rounds } }
//   await lm.generate({ ..., speculative: { draftModel: otherLm, draftTokens: K } });
//                                     // draft-model speculation: a second model of the same runtime and
//                                     //   vocabulary drafts (greedy ids unchanged); the same events and stats
//   await lm.chat({ messages, maxNewTokens | max_tokens, temperature, topK, topP, seed, onToken, signal, stop,
//                   response_format, tools, tool_choice });   // models with a chat_template (lm.info.hasChatTemplate)
//                                     // → { message: { role, content }, finish_reason, usage, ids, newIds }
//   lm.tokenizer.encode(text);        // Int32Array, synchronous (null tokenizer when the model has no tokenizer.json)
//   lm.tokenizer.decode(ids);         // string, synchronous
//   await lm.layers(ids);             // per-layer logit lens, as `lamina` prints it
//   await lm.dispose(); await rt.dispose();
//
// The layered-SVG diffusion model (config.json + model.safetensors, e.g. /models/layered-emoji/):
//   const m = await rt.loadSVGModel(baseURL, { onProgress, backend: 'auto' | 'cpu' });
//   m.backend;                        // 'webgpu', 'wasm-simd' or 'cpu': what the SVG model runs on
//   await m.generate({ prompt, seed, steps, cfg, onStep, signal });          // → { svg, layers }
//   await m.generate({ prompt, seed, n: 4 });   // → [{ svg, layers, seed }, …] four candidates
//   await m.edit({ svg, keep, recolor, add, prompt, seed, steps, cfg, onStep, signal }); // → { svg, layers }
//   await m.edit({ svg, strength: 0.6, prompt, seed, n });  // a variation (SDEdit) → { svg, layers } or, with n, an array
//   await m.dispose();
// It runs on the runtime's backend when that has the diffusion ops (the CPU
// backend does; WebGPU when its backend provides them), otherwise — or with
// backend: 'cpu' — on a CPU backend of its own. onStep({ step, steps, svg })
// gets the model's current estimate of the finished drawing after every
// step (step = 1..steps). layers: [{ index, id, fill, opacity, subpaths,
// kept }] in paint order, one per <path> of svg. Defaults: steps 24, cfg 3,
// seed 0; the same options give the same SVG. edit: keep = layer indices that
// come out unchanged; recolor regenerates the other layers' colors only; add
// = new layers on top; see `lamina svg edit`. With n (1..16) the result is an
// array of n candidates, candidate i drawn from seed + i: it is exactly what
// the same call with seed + i and no n gives, so any candidate can be redrawn
// alone; all n advance together (onStep once per step, with the first
// one's estimate). strength in [0, 1] makes a variation of the whole drawing:
// its tokens are noised to t = strength and redrawn with the prompt over the
// last round(strength·steps) steps of the schedule — 1 is generate with the
// same seed, 0 gives the drawing back; it does not combine with keep,
// recolor or add.
//
// baseURL is an HF-style directory: config.json, model.safetensors or
// model.safetensors.index.json + shards, tokenizer.json and
// generation_config.json when present — e.g.
// https://huggingface.co/ORG/NAME/resolve/main/ or /models/NAME/ from
// `lamina serve --models DIR`. Files are cached with the Cache API. A quantized
// folder (`lamina quantize`, quantization_config in config.json) loads the
// same way. baseURL may instead be a .gguf file (llama.cpp's format: F32,
// F16, BF16, Q8_0, Q4_0, Q4_1, Q4_K, Q5_K, Q6_K; tokenizer from its
// metadata): it is read with HTTP Range requests, one per tensor, so the
// file is never held whole (a server without Range support gets one whole,
// cached download instead); Q8_0/Q4_0 matrices stay 8/4-bit on the CPU
// backends, other quantized types become f16; an unsupported tensor type
// fails with code 'unsupported' naming it.
//
// generate: temperature 0 (the default unless generation_config.json sets
// do_sample) is greedy; onToken({ id, text }) gets each new token and its
// text piece; it stops after maxNewTokens (default 32) or at an EOS token
// (eosTokenIds, default from generation_config.json / config.json; pass []
// to never stop early); aborting `signal` rejects with an AbortError.
//
// backend: 'auto' (the default) runs on WebGPU when the adapter is a real
// GPU and on the CPU when there is no WebGPU, no adapter, or only a software
// one (rt.adapter.software: isFallbackAdapter, or SwiftShader / llvmpipe /
// WARP — CPU emulators on which the CPU backend is much faster: headless
// Chromium without a GPU measured 0.4-1 vs 38 tok/s LM decode). An auto
// runtime on WebGPU moves to the CPU after a device loss. 'webgpu' runs on
// whatever adapter there is (software included) or rejects with
// 'no-webgpu'; 'cpu' never looks for one.
//
// limits: { maxBufferSize } (bytes) lowers the WebGPU limit lamina uses, to
// see how a model fares on a smaller GPU: it is requested from the device
// (browsers grant at least WebGPU's 256 MiB default) and enforced by lamina
// itself below that. A model that does not fit the device's limits rejects
// loadModel with code 'too-large', naming the tensor, its size and the limit.
//
// Errors reject with a LaminaError whose .code is one of 'network', 'http',
// 'not-a-model', 'too-large', 'unsupported', 'no-tokenizer', 'bad-input',
// 'device-lost', 'disposed', 'internal'.
//
// threads: the wasm-simd backend's threads (the calling one and N-1 Web
// Workers sharing its kernel memory). 'auto' (the default) is
// min(navigator.hardwareConcurrency, 4) when the page is cross-origin
// isolated (served with Cross-Origin-Opener-Policy: same-origin and
// Cross-Origin-Embedder-Policy: require-corp; a shared WebAssembly.Memory
// needs it), else 1; a number asks for that many, and a page that cannot
// share memory gets 1. Results are the same bits on any count.
//
// worker: true runs lamina.wasm in a module Web Worker (lamina-worker.js) so
// the page stays responsive; the tokenizer then also runs in a small copy on
// the page so encode/decode stay synchronous.
import { Engine, TokenizerHost, LaminaError, compileLamina, svgOptions, checkLimits, resolveThreads } from './lamina-engine.mjs';

export { LaminaError };

const assetsBase = new URL('./', import.meta.url);

export async function createRuntime({ backend = 'auto', worker = false, limits, threads = 'auto' } = {}) {
  if (!['auto', 'webgpu', 'wasm-simd', 'cpu'].includes(backend)) {
    throw new LaminaError(`lamina: backend must be 'auto', 'webgpu', 'wasm-simd' or 'cpu', not ${JSON.stringify(backend)}`, 'bad-input');
  }
  const lim = checkLimits(limits);
  const n = resolveThreads(threads);
  const transport = worker ? await WorkerTransport.create(backend, lim, n) : await LocalTransport.create(backend, lim, n);
  return new Runtime(transport);
}

function abortError(signal) {
  if (signal && signal.reason instanceof Error) return signal.reason;
  return new DOMException('lamina: generation aborted', 'AbortError');
}

class Runtime {
  constructor(t) {
    this.t = t;
    this.disposed = false;
  }

  get backend() {
    return this.t.backend;
  }

  // threads is how many threads the wasm-simd backend runs on (0 on
  // another backend).
  get threads() {
    return this.t.threads;
  }

  // adapter is the WebGPU adapter the runtime saw (the one it runs on, or
  // the software one 'auto' passed over), or null.
  get adapter() {
    return this.t.adapter;
  }

  async loadModel(baseURL, { onProgress } = {}) {
    this.check();
    const m = await this.t.loadModel(String(baseURL), onProgress);
    return new Model(this, m);
  }

  // loadModelFromFiles is loadModel for files already in memory:
  // {'config.json': Uint8Array, 'model.safetensors': Uint8Array, ...}.
  async loadModelFromFiles(files) {
    this.check();
    return new Model(this, await this.t.loadFiles(files));
  }

  // loadSVGModel loads a layered-SVG diffusion model from an HF-style
  // directory URL (config.json, model.safetensors).
  async loadSVGModel(baseURL, { onProgress, backend = 'auto' } = {}) {
    this.check();
    const m = await this.t.loadSVGModel(String(baseURL), onProgress, svgBackend(backend));
    return new SVGModel(this, m);
  }

  // loadSVGModelFromFiles is loadSVGModel for {'config.json': Uint8Array,
  // 'model.safetensors': Uint8Array}.
  async loadSVGModelFromFiles(files, { backend = 'auto' } = {}) {
    this.check();
    return new SVGModel(this, await this.t.loadSVGFiles(files, svgBackend(backend)));
  }

  check() {
    if (this.disposed) throw new LaminaError('lamina: runtime disposed', 'disposed');
  }

  async dispose() {
    if (this.disposed) return;
    this.disposed = true;
    await this.t.dispose();
  }
}

function svgBackend(backend) {
  if (backend !== 'auto' && backend !== 'cpu') {
    throw new LaminaError(`lamina: loadSVGModel backend must be 'auto' or 'cpu', not ${JSON.stringify(backend)}`, 'bad-input');
  }
  return backend === 'cpu' ? 'cpu' : '';
}

class SVGModel {
  constructor(rt, { id, info }) {
    this.rt = rt;
    this.id = id;
    this.info = info; // {modelType, slots, cubics, dModel, ditLayers, defaultSteps, defaultCFG, maxSteps, weightBytes, backend}
    this.backend = info.backend;
    this.disposed = false;
  }

  check() {
    this.rt.check();
    if (this.disposed) throw new LaminaError('lamina: SVG model disposed', 'disposed');
  }

  generate(opts = {}) {
    return this.run(svgOptions(opts, false), opts);
  }

  edit(opts = {}) {
    return this.run(svgOptions(opts, true), opts);
  }

  async run(o, { onStep, signal }) {
    this.check();
    if (onStep != null && typeof onStep !== 'function') throw new LaminaError('lamina: onStep must be a function', 'bad-input');
    if (signal && signal.aborted) throw abortError(signal);
    // As in generate: an exception in onStep stops sampling and rejects with it.
    const stop = new AbortController();
    const onAbort = () => stop.abort();
    if (signal) signal.addEventListener('abort', onAbort, { once: true });
    let stepError = null;
    const cb = onStep ? (step, steps, svg) => {
      if (stepError) return;
      try {
        onStep({ step, steps, svg });
      } catch (e) {
        stepError = e;
        stop.abort();
      }
    } : null;
    let out;
    try {
      out = await this.rt.t.svgRun(this.id, o, cb, stop.signal);
    } finally {
      if (signal) signal.removeEventListener('abort', onAbort);
    }
    if (out.backend) this.backend = out.backend;
    if (stepError) throw stepError;
    if (out.cancelled) throw abortError(signal);
    if (o.n != null) return out.candidates.map((c) => ({ svg: c.svg, layers: c.layers, seed: c.seed }));
    return { svg: out.svg, layers: out.layers };
  }

  async dispose() {
    if (this.disposed) return;
    this.disposed = true;
    if (!this.rt.disposed) await this.rt.t.disposeSVGModel(this.id);
  }
}

class Model {
  constructor(rt, { id, info, tokenizer }) {
    this.rt = rt;
    this.id = id;
    this.info = info; // {architecture, modelType, vocabSize, layers, hidden, eosTokenIds, ...} from the Go side
    this.config = info;
    this.tokenizer = tokenizer; // {encode, decode} or null
    this.disposed = false;
  }

  check() {
    this.rt.check();
    if (this.disposed) throw new LaminaError('lamina: model disposed', 'disposed');
  }

  async logits(ids) {
    this.check();
    return this.rt.t.logits(this.id, ids);
  }

  async layers(ids) {
    this.check();
    return this.rt.t.layers(this.id, ids);
  }

  async generate({ prompt, ids, maxNewTokens, temperature, topK, topP, seed, onToken, signal, eosTokenIds, repetitionPenalty, stopStrings, speculative } = {}) {
    this.check();
    if ((prompt == null) === (ids == null)) {
      throw new LaminaError('lamina: generate needs exactly one of prompt (a string) or ids', 'bad-input');
    }
    if (prompt != null) {
      if (!this.tokenizer) throw new LaminaError('lamina: this model has no tokenizer.json: pass ids instead of prompt', 'no-tokenizer');
      ids = this.tokenizer.encode(String(prompt));
    }
    if (signal && signal.aborted) throw abortError(signal);
    if (stopStrings != null && !(Array.isArray(stopStrings) && stopStrings.every((x) => typeof x === 'string'))) {
      throw new LaminaError('lamina: stopStrings must be an array of strings', 'bad-input');
    }
    if (speculative != null && !((speculative.draftModel == null ? Number.isInteger(speculative.exitLayer) && speculative.exitLayer > 0
        : speculative.draftModel instanceof Model && speculative.exitLayer == null) &&
        (speculative.draftTokens == null || (Number.isInteger(speculative.draftTokens) && speculative.draftTokens > 0)))) {
      throw new LaminaError('lamina: speculative needs { exitLayer: a positive layer count } or { draftModel: a loaded model }, and draftTokens?: a positive count', 'bad-input');
    }
    if (speculative?.draftModel) {
      speculative.draftModel.check();
      if (speculative.draftModel.rt !== this.rt) {
        throw new LaminaError('lamina: speculative.draftModel must be loaded through the same runtime', 'bad-input');
      }
    }
    const opts = { ids: Array.from(ids), maxNewTokens, temperature, topK, topP, seed, eosTokenIds, repetitionPenalty, stopStrings,
      speculative: speculative && { exitLayer: speculative.exitLayer, draftTokens: speculative.draftTokens, draftModel: speculative.draftModel?.id } };
    // An exception in onToken stops generation and rejects with it; the
    // caller's signal and onToken's failure share one internal abort.
    const stop = new AbortController();
    const onAbort = () => stop.abort();
    if (signal) signal.addEventListener('abort', onAbort, { once: true });
    let tokenError = null;
    // The text is what the runtime streamed (model.TextStream: cut before a stop string), the
    // same text the CLI and the worker return for the same request.
    let streamed = '';
    const cb = (t) => {
      streamed += t.text;
      if (tokenError || !onToken) return;
      try {
        onToken(t);
      } catch (e) {
        tokenError = e;
        stop.abort();
      }
    };
    let out;
    try {
      out = await this.rt.t.generate(this.id, opts, cb, stop.signal);
    } finally {
      if (signal) signal.removeEventListener('abort', onAbort);
    }
    if (tokenError) throw tokenError;
    if (out.cancelled) throw abortError(signal);
    const all = Array.from(out.ids);
    const newIds = all.slice(opts.ids.length);
    const res = { ids: all, newIds, text: streamed };
    if (out.stats) res.stats = out.stats;
    return res;
  }

  // chat renders messages with the model's chat template (tokenizer_config.json) and
  // generates the assistant's answer, in OpenAI's shapes. response_format (or
  // responseFormat) { type: 'json_object' } or { type: 'json_schema', json_schema: { schema } }
  // constrains every token so the content parses and validates (model/jsonmode). tools
  // (OpenAI's [{ type: 'function', function: { name, description, parameters } }]) go to the
  // template; an answer in a format lamina knows (Qwen/Hermes <tool_call>, Llama 3 JSON) comes
  // back as message.tool_calls with finish_reason 'tool_calls' (onToken still sees its raw
  // text). tool_choice 'none' leaves the tools out; 'auto' is the default.
  async chat({ messages, maxNewTokens, max_tokens, temperature, topK, topP, top_p, seed, onToken, signal,
    eosTokenIds, repetitionPenalty, stopStrings, stop, response_format, responseFormat, tools, tool_choice } = {}) {
    this.check();
    if (!this.info.hasChatTemplate) {
      throw new LaminaError('lamina: this model has no chat_template in tokenizer_config.json: use generate', 'no-chat-template');
    }
    if (!Array.isArray(messages) || !messages.length) {
      throw new LaminaError('lamina: chat needs messages, a non-empty array of { role, content }', 'bad-input');
    }
    if (tool_choice != null && tool_choice !== 'auto' && tool_choice !== 'none') {
      throw new LaminaError(`lamina: tool_choice ${JSON.stringify(tool_choice)} is not supported (only 'auto' and 'none')`, 'bad-input');
    }
    if (tool_choice === 'none' || (Array.isArray(tools) && !tools.length)) tools = undefined;
    if (tools != null && !Array.isArray(tools)) throw new LaminaError('lamina: tools must be an array', 'bad-input');
    if (typeof stop === 'string') stop = [stop];
    if (signal && signal.aborted) throw abortError(signal);
    const opts = {
      ids: [], messages, responseFormat: response_format ?? responseFormat, tools,
      maxNewTokens: maxNewTokens ?? max_tokens, temperature, topK, topP: topP ?? top_p, seed,
      eosTokenIds, repetitionPenalty, stopStrings: stopStrings ?? stop,
    };
    const stopper = new AbortController();
    const onAbort = () => stopper.abort();
    if (signal) signal.addEventListener('abort', onAbort, { once: true });
    let tokenError = null;
    let content = '';
    const cb = (t) => {
      content += t.text;
      if (tokenError || !onToken) return;
      try {
        onToken(t);
      } catch (e) {
        tokenError = e;
        stopper.abort();
      }
    };
    let out;
    try {
      out = await this.rt.t.generate(this.id, opts, cb, stopper.signal);
    } finally {
      if (signal) signal.removeEventListener('abort', onAbort);
    }
    if (tokenError) throw tokenError;
    if (out.cancelled) throw abortError(signal);
    const ids = Array.from(out.ids);
    const completion = out.completionTokens; // without a final EOS, as /v1/chat/completions counts
    const message = { role: 'assistant', content };
    if (out.toolCalls) {
      message.content = out.content || null;
      message.tool_calls = out.toolCalls.map((c) => ({
        id: 'call_' + Array.from(crypto.getRandomValues(new Uint8Array(12)), (b) => b.toString(16).padStart(2, '0')).join(''),
        type: 'function', function: { name: c.name, arguments: c.arguments },
      }));
    }
    return {
      message,
      finish_reason: out.finishReason,
      usage: { prompt_tokens: out.promptTokens, completion_tokens: completion, total_tokens: out.promptTokens + completion },
      ids, newIds: ids.slice(out.promptTokens),
    };
  }

  async dispose() {
    if (this.disposed) return;
    this.disposed = true;
    if (this.tokenizer && this.tokenizer.host) this.tokenizer.host.dispose();
    if (!this.rt.disposed) await this.rt.t.disposeModel(this.id);
  }
}

// LocalTransport runs the engine on this thread.
class LocalTransport {
  static async create(backend, limits, threads) {
    return new LocalTransport(await Engine.create({ backend, assetsBase, limits, threads }));
  }

  constructor(engine) {
    this.engine = engine;
  }

  get backend() {
    return this.engine.backend;
  }

  get adapter() {
    return this.engine.adapter;
  }

  get threads() {
    return this.engine.threads;
  }

  async loadModel(baseURL, onProgress) {
    return this.wrap(await this.engine.loadModel(baseURL, onProgress));
  }

  async loadFiles(files) {
    return this.wrap(await this.engine.loadFiles(files));
  }

  wrap({ id, info }) {
    const e = this.engine;
    const tokenizer = info.hasTokenizer ? { encode: (text) => e.encode(id, text), decode: (ids) => e.decode(id, ids) } : null;
    return { id, info, tokenizer };
  }

  logits(id, ids) {
    return this.engine.logits(id, ids);
  }

  layers(id, ids) {
    return this.engine.layers(id, ids);
  }

  async generate(id, opts, onToken, signal) {
    let cancelled = false;
    const r = await this.engine.generate(id, opts, (tok) => onToken && onToken(tok), () => {
      cancelled = cancelled || !!(signal && signal.aborted);
      return cancelled;
    });
    return { ...r, cancelled: r.cancelled || cancelled };
  }

  async disposeModel(id) {
    this.engine.disposeModel(id);
  }

  loadSVGModel(baseURL, onProgress, backend) {
    return this.engine.loadSVGModel(baseURL, onProgress, backend);
  }

  loadSVGFiles(files, backend) {
    return this.engine.loadSVGFiles(files, backend);
  }

  svgRun(id, o, onStep, signal) {
    return this.engine.svgRun(id, o, onStep, () => !!(signal && signal.aborted));
  }

  disposeSVGModel(id) {
    return this.engine.disposeSVGModel(id);
  }

  async dispose() {
    this.engine.dispose();
  }
}

// newModuleWorker starts the worker script; when lamina.mjs was imported
// from another origin (a CDN), browsers refuse `new Worker(url)`, so a
// same-origin blob: module imports it instead (its import.meta.url, and so
// the assets' location, stay the real one).
function newModuleWorker(url) {
  const opts = { type: 'module', name: 'lamina' };
  if (!globalThis.location || url.origin === globalThis.location.origin) return new Worker(url, opts);
  const shim = new Blob([`import ${JSON.stringify(url.href)};`], { type: 'text/javascript' });
  return new Worker(URL.createObjectURL(shim), opts);
}

// WorkerTransport forwards every call to lamina-worker.js.
class WorkerTransport {
  static async create(backend, limits, threads) {
    // Compile lamina.wasm once here: the worker instantiates this module,
    // and so does the page's tokenizer copy later.
    const module = await compileLamina(assetsBase);
    const w = newModuleWorker(new URL('lamina-worker.js', assetsBase));
    const t = new WorkerTransport(w);
    t.module = module;
    const init = await t.call('init', { backend, module, limits, threads });
    t.adapter = init.adapter;
    t.threads = init.threads || 0;
    return t;
  }

  constructor(w) {
    this.w = w;
    this.next = 1;
    this.pending = new Map();
    this.currentBackend = null;
    this.adapter = null;
    w.onmessage = (ev) => this.onMessage(ev.data);
    w.onerror = (ev) => {
      ev.preventDefault && ev.preventDefault();
      const err = new LaminaError(`lamina worker failed: ${ev.message || 'could not start lamina-worker.js'}`, 'internal');
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    };
  }

  onMessage(msg) {
    const p = this.pending.get(msg.id);
    if (!p) return;
    if (msg.event) {
      p.onEvent && p.onEvent(msg.event, msg.data);
      return;
    }
    this.pending.delete(msg.id);
    if (msg.backend) this.currentBackend = msg.backend;
    if (msg.error) {
      const e = msg.error.name === 'AbortError' ? new DOMException(msg.error.message, 'AbortError') : new LaminaError(msg.error.message, msg.error.code);
      p.reject(e);
    } else {
      p.resolve(msg.result);
    }
  }

  call(op, args, onEvent) {
    return this.callWithID(op, args, onEvent).done;
  }

  // callWithID is call but also hands back the request id (for cancel).
  callWithID(op, args, onEvent) {
    const id = this.next++;
    const done = new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, onEvent });
      this.w.postMessage({ id, op, args });
    });
    return { id, done };
  }

  get backend() {
    return this.currentBackend;
  }

  async loadModel(baseURL, onProgress) {
    return this.wrap(await this.call('loadModel', { baseURL }, (ev, data) => ev === 'progress' && onProgress && onProgress(data)));
  }

  async loadFiles(files) {
    // Copied, not transferred: the caller keeps its buffers.
    return this.wrap(await this.call('loadFiles', { files }));
  }

  async wrap(m) {
    let tokenizer = null;
    if (m.tokenizerJSON) {
      const host = await TokenizerHost.create(assetsBase, m.tokenizerJSON, this.module);
      tokenizer = { encode: (text) => host.encode(text), decode: (ids) => host.decode(ids), host };
    }
    return { id: m.id, info: m.info, tokenizer };
  }

  logits(id, ids) {
    return this.call('logits', { model: id, ids: Array.from(ids) });
  }

  layers(id, ids) {
    return this.call('layers', { model: id, ids: Array.from(ids) });
  }

  async generate(id, opts, onToken, signal) {
    const { id: req, done } = this.callWithID('generate', { model: id, opts }, (ev, data) => ev === 'token' && onToken && onToken(data));
    const onAbort = () => this.w.postMessage({ op: 'cancel', target: req });
    if (signal) signal.addEventListener('abort', onAbort, { once: true });
    try {
      return await done;
    } finally {
      if (signal) signal.removeEventListener('abort', onAbort);
    }
  }

  disposeModel(id) {
    return this.call('disposeModel', { model: id });
  }

  loadSVGModel(baseURL, onProgress, backend) {
    return this.call('loadSVGModel', { baseURL, backend }, (ev, data) => ev === 'progress' && onProgress && onProgress(data));
  }

  loadSVGFiles(files, backend) {
    return this.call('loadSVGFiles', { files, backend });
  }

  async svgRun(id, o, onStep, signal) {
    const { id: req, done } = this.callWithID('svgRun', { model: id, opts: o, steps: !!onStep },
      (ev, d) => ev === 'step' && onStep && onStep(d.step, d.steps, d.svg));
    const onAbort = () => this.w.postMessage({ op: 'cancel', target: req });
    if (signal) signal.addEventListener('abort', onAbort, { once: true });
    try {
      return await done;
    } finally {
      if (signal) signal.removeEventListener('abort', onAbort);
    }
  }

  disposeSVGModel(id) {
    return this.call('disposeSVGModel', { model: id });
  }

  async dispose() {
    try {
      await this.call('dispose', {});
    } finally {
      this.w.terminate();
    }
  }
}
