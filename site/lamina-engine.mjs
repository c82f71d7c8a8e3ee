// lamina-engine.mjs runs lamina.wasm in the current realm (the page or a
// Web Worker): it starts the Go program, fetches model files (streamed,
// with progress, cached with the Cache API) and wraps the Go API that
// wasm/ registers. lamina.mjs is the public API; this module is internal
// and shared by lamina.mjs (worker: false) and lamina-worker.js.

const CACHE_NAME = 'lamina-models-v1';

// MAX_MODEL_BYTES bounds the weights one model may have: lamina.wasm is a
// 32-bit WebAssembly program (at most 4 GiB of memory) and holds a copy of
// the weights while loading them, so beyond this it would fail late with an
// opaque out-of-memory trap instead of this clear message.
export const MAX_MODEL_BYTES = 1.5 * 1024 ** 3;

// LaminaError carries a machine-readable code next to its message:
// 'network', 'http', 'not-a-model', 'too-large', 'unsupported', 'no-tokenizer',
// 'bad-input', 'device-lost', 'disposed', 'internal'.
export class LaminaError extends Error {
  constructor(message, code = 'internal') {
    super(message);
    this.name = 'LaminaError';
    this.code = code;
  }
}

// Errors cross the worker boundary and the Go boundary as {message, code}.
export function toLaminaError(e) {
  if (e instanceof LaminaError) return e;
  if (e && e.name === 'AbortError') return e;
  const msg = e && e.message ? e.message : String(e);
  return new LaminaError(msg, (e && e.code) || 'internal');
}

let goStart = null; // one Go program per realm; it hosts any number of runtimes
let compiled = null;
let booleansStart = null; // lamina-booleans.wasm, started on first use

// compileWasm fetches and compiles the Go program file (next to this module).
async function compileWasm(file, assetsBase) {
  const url = new URL(file, assetsBase).href;
  let resp;
  try {
    resp = await fetch(url);
  } catch (e) {
    throw new LaminaError(`lamina: cannot fetch ${url}: ${e.message}`, 'network');
  }
  if (!resp.ok) throw new LaminaError(`lamina: ${url}: HTTP ${resp.status} (is the site built? run ./build.sh)`, 'http');
  if (WebAssembly.compileStreaming && (resp.headers.get('content-type') || '').startsWith('application/wasm')) {
    return WebAssembly.compileStreaming(resp);
  }
  return WebAssembly.compile(await resp.arrayBuffer());
}

// compileLamina fetches and compiles lamina.wasm once per realm. The
// WebAssembly.Module can be posted to a worker, so a page and its worker
// share one download and one compilation.
export function compileLamina(assetsBase) {
  if (compiled) return compiled;
  compiled = compileWasm('lamina.wasm', assetsBase);
  compiled.catch(() => { compiled = null; });
  return compiled;
}

// runGo runs a compiled Go program with wasm_exec.js from assetsBase and
// resolves to the API object it registers through the callback named by its
// argv[1]; extraArgs follow.
async function runGo(name, module, assetsBase, extraArgs = []) {
  if (!globalThis.Go) {
    // wasm_exec.js is a classic script that only assigns globalThis.Go,
    // so importing it as a module works in pages and module workers.
    await import(new URL('wasm_exec.js', assetsBase).href);
  }
  const go = new globalThis.Go();
  const key = `__laminaRegister${Math.random().toString(36).slice(2)}`;
  const registered = new Promise((resolve) => {
    globalThis[key] = (api) => {
      delete globalThis[key];
      resolve(api);
    };
  });
  go.argv = [name, key, ...extraArgs];
  const instance = await WebAssembly.instantiate(module, go.importObject);
  const exited = go.run(instance).then(() => {
    throw new LaminaError(`lamina: the Go runtime of ${name} exited`, 'internal');
  });
  return Promise.race([registered, exited]);
}

// startBooleans runs lamina-booleans.wasm, the path booleans (clip paths,
// masks, layer merging) and the SVG reader that lamina.wasm leaves out to stay
// small; lamina.wasm
// asks for it, through the loader named by its argv[2], before an edit or a
// variation, and then calls it synchronously.
function startBooleans(assetsBase) {
  if (booleansStart) return booleansStart;
  booleansStart = (async () => runGo('lamina-booleans.wasm', await compileWasm('lamina-booleans.wasm', assetsBase), assetsBase))();
  booleansStart.catch(() => { booleansStart = null; });
  return booleansStart;
}

// startGo runs lamina.wasm (module, or compiled from assetsBase) with
// wasm_exec.js from assetsBase and resolves to the API object the Go
// program registers.
export function startGo(assetsBase, module) {
  if (goStart) return goStart;
  goStart = (async () => {
    const loader = `__laminaBooleans${Math.random().toString(36).slice(2)}`;
    globalThis[loader] = () => startBooleans(assetsBase);
    return runGo('lamina.wasm', module || await compileLamina(assetsBase), assetsBase, [loader]);
  })();
  goStart.catch(() => { goStart = null; });
  return goStart;
}

// goCall runs a Go API function and maps its failures to LaminaError. A Go
// callback cannot throw, so synchronous Go functions return an Error object
// instead of their result; asynchronous ones reject their Promise with it.
async function goCall(fn) {
  try {
    return syncResult(await fn());
  } catch (e) {
    throw toLaminaError(e);
  }
}

function syncResult(v) {
  if (v instanceof Error) throw toLaminaError(v);
  return v;
}

function toIds(ids, what = 'ids') {
  if (ids instanceof Int32Array) return ids;
  if (Array.isArray(ids) || ArrayBuffer.isView(ids)) {
    const out = new Int32Array(ids.length);
    for (let i = 0; i < ids.length; i++) {
      const v = Number(ids[i]);
      if (!Number.isInteger(v) || v < 0 || v > 0x7fffffff) {
        throw new LaminaError(`lamina: ${what}[${i}] = ${ids[i]} is not a token id`, 'bad-input');
      }
      out[i] = v;
    }
    return out;
  }
  throw new LaminaError(`lamina: ${what} must be an array of token ids`, 'bad-input');
}

// ---------------------------------------------------------------- fetching

function dirURL(baseURL) {
  let base;
  try {
    base = new URL(baseURL, globalThis.location ? globalThis.location.href : undefined);
  } catch (e) {
    throw new LaminaError(`lamina: bad model URL ${JSON.stringify(baseURL)}`, 'bad-input');
  }
  if (!base.pathname.endsWith('/')) base.pathname += '/';
  return base;
}

async function openCache() {
  try {
    return globalThis.caches ? await caches.open(CACHE_NAME) : null;
  } catch {
    return null; // opaque origins and some private modes have no Cache API
  }
}

// fetchFile returns the file's bytes, or null when optional and the server
// answers 404. Bodies are read as streams so onProgress sees every chunk;
// complete downloads are stored in the Cache API keyed by URL.
async function fetchFile(cache, url, name, { optional = false, onProgress, budget }) {
  if (cache) {
    const hit = await cache.match(url);
    if (hit) {
      const bytes = new Uint8Array(await hit.arrayBuffer());
      budget && budget(bytes.length, url);
      onProgress && onProgress({ file: name, loaded: bytes.length, total: bytes.length, cached: true });
      return bytes;
    }
  }
  let resp;
  try {
    resp = await fetch(url);
  } catch (e) {
    throw new LaminaError(`lamina: network error fetching ${url}: ${e.message}`, 'network');
  }
  if (resp.status === 404 && optional) return null;
  if (resp.status === 404 && name === 'config.json') {
    throw new LaminaError(`lamina: no config.json at ${url.replace(/config\.json$/, '')}: not a model directory`, 'not-a-model');
  }
  if (!resp.ok) throw new LaminaError(`lamina: ${url}: HTTP ${resp.status} ${resp.statusText}`, 'http');
  // content-length counts encoded bytes when the server compresses: then
  // the size is known only at the end (total 0 in progress events until then).
  const total = resp.headers.get('content-encoding') ? 0 : Number(resp.headers.get('content-length')) || 0;
  if (total && budget) budget(total, url);
  // With an exact length the body is written straight into one buffer, so
  // a large shard is never held twice.
  const exact = total > 0;
  const whole = exact ? new Uint8Array(total) : null;
  const chunks = [];
  let loaded = 0;
  onProgress && onProgress({ file: name, loaded: 0, total });
  try {
    if (resp.body && resp.body.getReader) {
      const reader = resp.body.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        if (whole) {
          if (loaded + value.length > total) throw new Error(`more than the ${total} bytes announced`);
          whole.set(value, loaded);
        } else {
          chunks.push(value);
          if (budget) budget(value.length, url);
        }
        loaded += value.length;
        onProgress && onProgress({ file: name, loaded, total: total || loaded });
      }
    } else {
      const buf = new Uint8Array(await resp.arrayBuffer());
      if (whole) whole.set(buf.subarray(0, total)); else chunks.push(buf);
      loaded = buf.length;
    }
  } catch (e) {
    throw new LaminaError(`lamina: network error reading ${url}: ${e.message}`, 'network');
  }
  if (exact && loaded !== total) {
    throw new LaminaError(`lamina: ${url}: got ${loaded} of ${total} bytes`, 'network');
  }
  let bytes = whole;
  if (!bytes && chunks.length === 1) {
    bytes = chunks[0];
  } else if (!bytes) {
    bytes = new Uint8Array(loaded);
    let off = 0;
    for (const c of chunks) { bytes.set(c, off); off += c.length; }
  }
  onProgress && onProgress({ file: name, loaded, total: total || loaded });
  if (cache) {
    try {
      await cache.put(url, new Response(bytes, { headers: { 'content-type': resp.headers.get('content-type') || 'application/octet-stream' } }));
    } catch {
      // Quota exceeded or an opaque response: caching is best effort.
    }
  }
  return bytes;
}

// fetchModel fetches an HF-style model directory: config.json, the weights
// (model.safetensors, or model.safetensors.index.json and its shards),
// tokenizer.json, generation_config.json and tokenizer_config.json when present.
export async function fetchModel(baseURL, onProgress) {
  const base = dirURL(baseURL);
  const cache = await openCache();
  let weightBytes = 0;
  const budget = (n, url) => {
    weightBytes += n;
    if (weightBytes > MAX_MODEL_BYTES) {
      throw new LaminaError(`lamina: model at ${base.href} is too large: ${(weightBytes / 2 ** 30).toFixed(2)} GiB of weights exceed the ${(MAX_MODEL_BYTES / 2 ** 30).toFixed(1)} GiB a 32-bit WebAssembly runtime can load (${url})`, 'too-large');
    }
  };
  const get = (name, opts = {}) => fetchFile(cache, new URL(name, base).href, name, { onProgress, ...opts });
  const files = {};
  const [config, tok, gen, index, tokCfg] = await Promise.all([
    get('config.json'),
    get('tokenizer.json', { optional: true }),
    get('generation_config.json', { optional: true }),
    get('model.safetensors.index.json', { optional: true }),
    // The chat template (lm.chat) lives in tokenizer_config.json.
    get('tokenizer_config.json', { optional: true }),
  ]);
  files['config.json'] = config;
  if (tok) files['tokenizer.json'] = tok;
  if (gen) files['generation_config.json'] = gen;
  if (tokCfg) files['tokenizer_config.json'] = tokCfg;
  if (index) {
    files['model.safetensors.index.json'] = index;
    let parsed;
    try {
      parsed = JSON.parse(new TextDecoder().decode(index));
    } catch (e) {
      throw new LaminaError(`lamina: ${base.href}model.safetensors.index.json is not JSON: ${e.message}`, 'not-a-model');
    }
    const total = parsed && parsed.metadata && Number(parsed.metadata.total_size);
    if (total) budget(total, 'model.safetensors.index.json');
    const shards = [...new Set(Object.values((parsed && parsed.weight_map) || {}))];
    if (!shards.length) throw new LaminaError(`lamina: ${base.href}model.safetensors.index.json lists no shards`, 'not-a-model');
    for (const s of shards) {
      if (typeof s !== 'string' || s.includes('/') || s.includes('\\') || s.startsWith('.')) {
        throw new LaminaError(`lamina: bad shard name ${JSON.stringify(s)} in model.safetensors.index.json`, 'not-a-model');
      }
    }
    weightBytes = 0; // counted from the shards themselves from here on
    for (const s of shards) files[s] = await get(s, { budget });
  } else {
    const w = await get('model.safetensors', { optional: true, budget });
    if (!w) {
      throw new LaminaError(`lamina: ${base.href} has neither model.safetensors nor model.safetensors.index.json (only safetensors weights are supported)`, 'not-a-model');
    }
    files['model.safetensors'] = w;
  }
  return files;
}

// isGGUFURL: a URL whose path ends in .gguf names one GGUF file (llama.cpp's
// format), not a model folder.
export function isGGUFURL(baseURL) {
  try {
    return new URL(baseURL, globalThis.location ? globalThis.location.href : undefined).pathname.toLowerCase().endsWith('.gguf');
  } catch {
    return false;
  }
}

// openGGUF makes the reader lamina.wasm loads a GGUF file through:
// {size, read(offset, length) → Promise<Uint8Array>, ranged}. A one-byte
// Range request probes the server: a 206 answer that states the size
// (Content-Range bytes 0-0/SIZE) gives a reader that fetches the header and
// then each tensor with its own Range request, as the model loads it, so
// the file is never held whole in memory. When the probe names a version of
// the file (ETag, else Last-Modified), each range read is stored in the
// Cache API under a key of the URL, the range and that version
// (rangeCacheKey), so the next load of the same file reads every range from
// the cache and sends only the probe; a new version misses, and its load
// deletes the old version's ranges. A server that ignores Range (200) gets
// one whole download instead (fetchFile: streamed, with progress and the
// Cache API), held in this realm while the model loads and read from there.
export async function openGGUF(url, onProgress) {
  const href = new URL(url, globalThis.location ? globalThis.location.href : undefined).href;
  const name = decodeURIComponent(new URL(href).pathname.split('/').pop());
  const tooLarge = (n) => {
    if (n > MAX_MODEL_BYTES) {
      throw new LaminaError(`lamina: ${href} is too large: ${(n / 2 ** 30).toFixed(2)} GiB exceed the ${(MAX_MODEL_BYTES / 2 ** 30).toFixed(1)} GiB a 32-bit WebAssembly runtime can load`, 'too-large');
    }
  };
  const get = async (range) => {
    try {
      return await fetch(href, range ? { headers: { Range: range } } : undefined);
    } catch (e) {
      throw new LaminaError(`lamina: network error fetching ${href}: ${e.message}`, 'network');
    }
  };
  const probe = await get('bytes=0-0');
  if (probe.status === 404) throw new LaminaError(`lamina: no GGUF file at ${href}`, 'not-a-model');
  if (!probe.ok) throw new LaminaError(`lamina: ${href}: HTTP ${probe.status} ${probe.statusText}`, 'http');
  const m = /^bytes 0-0\/(\d+)$/.exec(probe.headers.get('content-range') || '');
  if (probe.status !== 206 || !m) {
    // The server sent the whole file (or hid Content-Range): read it once.
    try { await probe.body?.cancel(); } catch { /* already consumed */ }
    const bytes = await fetchFile(await openCache(), href, name, { onProgress, budget: tooLarge });
    return { size: bytes.length, ranged: false, read: async (off, n) => bytes.subarray(off, off + n) };
  }
  await probe.arrayBuffer();
  const size = Number(m[1]);
  tooLarge(size);
  const version = probe.headers.get('etag') || probe.headers.get('last-modified') || '';
  // Without a version the cache could serve an old file's bytes: no caching.
  const cache = version ? await openCache() : null;
  let pruned = false;
  let loaded = 0;
  onProgress && onProgress({ file: name, loaded, total: size });
  const read = async (off, n) => {
    const key = cache && rangeCacheKey(href, version, size, off, n);
    if (cache) {
      try {
        const hit = await cache.match(key);
        if (hit) {
          const bytes = new Uint8Array(await hit.arrayBuffer());
          if (bytes.length === n) {
            loaded = Math.min(size, loaded + n);
            onProgress && onProgress({ file: name, loaded, total: size });
            return bytes;
          }
        }
      } catch { /* a broken entry reads from the network */ }
      if (!pruned) {
        pruned = true;
        pruneRangeCache(cache, href, version, size); // not awaited: housekeeping
      }
    }
    const resp = await get(`bytes=${off}-${off + n - 1}`);
    if (resp.status !== 206) throw new LaminaError(`lamina: ${href}: HTTP ${resp.status} to a Range request`, resp.ok ? 'network' : 'http');
    let bytes;
    try {
      bytes = new Uint8Array(await resp.arrayBuffer());
    } catch (e) {
      throw new LaminaError(`lamina: network error reading ${href}: ${e.message}`, 'network');
    }
    if (bytes.length !== n) throw new LaminaError(`lamina: ${href}: asked for ${n} bytes at ${off}, got ${bytes.length}`, 'network');
    if (cache) {
      try {
        await cache.put(key, new Response(bytes, { headers: { 'content-type': 'application/octet-stream' } }));
      } catch { /* over quota, or no storage: the load goes on uncached */ }
    }
    loaded = Math.min(size, loaded + n);
    onProgress && onProgress({ file: name, loaded, total: size });
    return bytes;
  };
  return { size, ranged: true, read };
}

// rangeCacheKey is the Cache API key of bytes [off, off+n) of version
// (ETag or Last-Modified) of the size-byte file at href: the URL with
// lamina-range, lamina-size and lamina-version search parameters (the Cache
// API ignores fragments). The key is never fetched.
export function rangeCacheKey(href, version, size, off, n) {
  const u = new URL(href);
  u.searchParams.set('lamina-range', `${off}-${n}`);
  u.searchParams.set('lamina-size', String(size));
  u.searchParams.set('lamina-version', version);
  return u.href;
}

// pruneRangeCache deletes the cached ranges of href stored under another
// version or size than this load's, so a replaced file leaves nothing behind.
async function pruneRangeCache(cache, href, version, size) {
  try {
    for (const req of await cache.keys()) {
      const u = new URL(req.url);
      if (!u.searchParams.has('lamina-range')) continue;
      const v = u.searchParams.get('lamina-version');
      const n = u.searchParams.get('lamina-size');
      for (const p of ['lamina-range', 'lamina-size', 'lamina-version']) u.searchParams.delete(p);
      if (u.href === href && (v !== version || n !== String(size))) await cache.delete(req);
    }
  } catch { /* housekeeping only */ }
}

// fetchSVGModel fetches a layered-SVG model directory: config.json and
// model.safetensors (the shipped models are unsharded and have no tokenizer:
// captions are read byte by byte).
export async function fetchSVGModel(baseURL, onProgress) {
  const base = dirURL(baseURL);
  const cache = await openCache();
  let weightBytes = 0;
  const budget = (n, url) => {
    weightBytes += n;
    if (weightBytes > MAX_MODEL_BYTES) {
      throw new LaminaError(`lamina: model at ${base.href} is too large: ${(weightBytes / 2 ** 30).toFixed(2)} GiB of weights (${url})`, 'too-large');
    }
  };
  const get = (name, opts = {}) => fetchFile(cache, new URL(name, base).href, name, { onProgress, ...opts });
  const [config, weights] = await Promise.all([get('config.json'), get('model.safetensors', { optional: true, budget })]);
  if (!weights) throw new LaminaError(`lamina: ${base.href} has no model.safetensors`, 'not-a-model');
  return { 'config.json': config, 'model.safetensors': weights };
}

// svgOptions checks m.generate()'s and m.edit()'s options and turns them
// into what the Go side reads; edit adds the drawing and the layer choice
// or the variation strength.
export function svgOptions(opts, edit) {
  const o = opts || {};
  const num = (name, { integer = false, min = 0, max = Infinity } = {}) => {
    const v = o[name];
    if (v == null) return undefined;
    if (typeof v !== 'number' || !Number.isFinite(v) || (integer && !Number.isInteger(v)) || v < min || v > max) {
      throw new LaminaError(`lamina: ${name} must be ${integer ? 'an integer' : 'a number'} in [${min}, ${max}], not ${JSON.stringify(v)}`, 'bad-input');
    }
    return v;
  };
  if (o.prompt != null && typeof o.prompt !== 'string') throw new LaminaError('lamina: prompt must be a string', 'bad-input');
  const out = {
    prompt: o.prompt ?? '',
    seed: num('seed', { integer: true, max: Number.MAX_SAFE_INTEGER }) ?? 0,
    steps: num('steps', { integer: true, min: 1, max: 256 }),
    cfg: num('cfg', { max: 50 }),
  };
  // n: that many candidates (an array of results; candidate i is seeded seed + i).
  const n = num('n', { integer: true, min: 1, max: 16 });
  if (n !== undefined) out.n = n;
  if (!edit) return out;
  if (typeof o.svg !== 'string' || !o.svg) throw new LaminaError('lamina: edit needs svg, the drawing to edit, as a string', 'bad-input');
  out.edit = true;
  out.svg = o.svg;
  if (o.keep != null) {
    if (!Array.isArray(o.keep) && !ArrayBuffer.isView(o.keep)) throw new LaminaError('lamina: keep must be an array of layer indices', 'bad-input');
    out.keep = toIds(o.keep, 'keep');
  }
  out.recolor = !!o.recolor;
  out.add = num('add', { integer: true, max: 1024 }) ?? 0;
  // strength: an SDEdit variation of the whole drawing instead of a layer-wise edit.
  const strength = num('strength', { max: 1 });
  if (strength !== undefined) {
    if (out.keep || out.recolor || out.add) throw new LaminaError('lamina: strength makes a variation of the whole drawing; it does not combine with keep, recolor or add', 'bad-input');
    out.strength = strength;
  } else if (out.n > 1) {
    throw new LaminaError('lamina: n applies to generate and to a variation (edit with strength)', 'bad-input');
  }
  return out;
}

// ---------------------------------------------------------------- engine

// checkLimits validates createRuntime's limits option: { maxBufferSize }
// in bytes, lowering the WebGPU limit lamina uses.
export function checkLimits(limits) {
  if (limits == null) return undefined;
  if (typeof limits !== 'object') throw new LaminaError('lamina: limits must be an object like { maxBufferSize: bytes }', 'bad-input');
  const out = {};
  for (const [k, v] of Object.entries(limits)) {
    if (k !== 'maxBufferSize') throw new LaminaError(`lamina: unknown limit ${JSON.stringify(k)} (only maxBufferSize)`, 'bad-input');
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 4) {
      throw new LaminaError(`lamina: limits.maxBufferSize must be a whole number of bytes ≥ 4, not ${JSON.stringify(v)}`, 'bad-input');
    }
    out[k] = v;
  }
  return out;
}

// resolveThreads validates createRuntime's threads option — 'auto' or a
// whole number 1..16 — and resolves 'auto': min(hardwareConcurrency, 4)
// where the page is cross-origin isolated (a shared WebAssembly.Memory
// needs it), else 1.
export function resolveThreads(threads) {
  if (threads === 'auto' || threads == null) {
    if (globalThis.crossOriginIsolated !== true) return 1;
    const n = (globalThis.navigator && navigator.hardwareConcurrency) || 1;
    return Math.max(1, Math.min(n, 4));
  }
  if (!Number.isInteger(threads) || threads < 1 || threads > 16) {
    throw new LaminaError(`lamina: threads must be 'auto' or a whole number from 1 to 16, not ${JSON.stringify(threads)}`, 'bad-input');
  }
  return threads;
}

// Engine is one runtime (one backend) inside this realm's Go program.
export class Engine {
  static async create({ backend = 'auto', assetsBase, module, limits, threads = 'auto' }) {
    if (!['auto', 'webgpu', 'wasm-simd', 'cpu'].includes(backend)) {
      throw new LaminaError(`lamina: backend must be 'auto', 'webgpu', 'wasm-simd' or 'cpu', not ${JSON.stringify(backend)}`, 'bad-input');
    }
    const lim = checkLimits(limits);
    const api = await startGo(assetsBase, module);
    const n = resolveThreads(threads);
    const rt = await goCall(() => api.createRuntime(backend, lim, n));
    return new Engine(api, rt.id, rt.adapter ? JSON.parse(rt.adapter) : null, rt.threads || 0);
  }

  constructor(api, id, adapter = null, threads = 0) {
    this.api = api;
    this.id = id;
    // threads: how many threads the wasm-simd backend runs on (0 on
    // another backend).
    this.threads = threads;
    // adapter: the WebGPU adapter seen ({vendor, architecture, device,
    // description, isFallbackAdapter, software}) or null.
    this.adapter = adapter;
    this.models = new Map();
    this.svgModels = new Set();
  }

  // backend is what actually runs now; 'auto' runtimes switch from
  // 'webgpu' to 'cpu' after a device loss.
  get backend() {
    return syncResult(this.api.runtimeBackend(this.id));
  }

  // loadModel takes a model folder's URL or a .gguf file's (openGGUF).
  async loadModel(baseURL, onProgress) {
    if (isGGUFURL(baseURL)) return this.loadGGUF(baseURL, onProgress);
    return this.loadFiles(await fetchModel(baseURL, onProgress));
  }

  // loadGGUF loads a GGUF file by URL; lamina.wasm reads it through
  // openGGUF's reader and gives back the tokenizer.json it made from the
  // file's metadata (for a tokenizer on the page).
  async loadGGUF(url, onProgress) {
    const { size, read } = await openGGUF(url, onProgress);
    const m = await goCall(() => this.api.loadGGUF(this.id, size, read));
    this.models.set(m.id, m);
    return { id: m.id, info: JSON.parse(m.info), tokenizerJSON: m.tokenizerJSON || null };
  }

  // loadFiles loads a model from {name: Uint8Array} (the files of an HF
  // model directory), e.g. from <input type=file> or built in memory.
  async loadFiles(files) {
    if (!files || typeof files !== 'object') throw new LaminaError('lamina: files must be an object of name → Uint8Array', 'bad-input');
    for (const [name, v] of Object.entries(files)) {
      if (!(v instanceof Uint8Array)) throw new LaminaError(`lamina: file ${name} must be a Uint8Array`, 'bad-input');
    }
    if (!files['config.json']) throw new LaminaError('lamina: no config.json among the files: not a model directory', 'not-a-model');
    const m = await goCall(() => this.api.loadModel(this.id, files));
    this.models.set(m.id, m);
    return { id: m.id, info: JSON.parse(m.info), tokenizerJSON: files['tokenizer.json'] || null };
  }

  logits(id, ids) {
    return goCall(() => this.api.logits(id, toIds(ids)));
  }

  layers(id, ids) {
    return goCall(async () => JSON.parse(await this.api.layers(id, toIds(ids))));
  }

  // generate streams tokens to onToken({id, text}); isCancelled is polled
  // between tokens (the Go side yields to the event loop so it can change).
  generate(id, opts, onToken, isCancelled) {
    const o = {
      ids: toIds(opts.ids),
      maxNewTokens: opts.maxNewTokens ?? 32,
      temperature: opts.temperature,
      topK: opts.topK,
      topP: opts.topP,
      seed: opts.seed,
      eosTokenIds: opts.eosTokenIds ? toIds(opts.eosTokenIds, 'eosTokenIds') : undefined,
      repetitionPenalty: opts.repetitionPenalty,
      stopStrings: opts.stopStrings,
      speculative: opts.speculative,
    };
    if (opts.messages != null) {
      // lm.chat: the Go side renders the messages with the chat template
      // (then ids is ignored) and applies responseFormat's constraint.
      o.messages = JSON.stringify(opts.messages);
      if (opts.responseFormat != null) o.responseFormat = JSON.stringify(opts.responseFormat);
      if (opts.tools != null) o.tools = JSON.stringify(opts.tools);
      return goCall(() => this.api.chat(id, o, onToken || (() => {}), isCancelled || (() => false)));
    }
    return goCall(() => this.api.generate(id, o, onToken || (() => {}), isCancelled || (() => false)));
  }

  // loadSVGModel loads a layered-SVG model; backend '' runs it on this
  // runtime's backend when that has the diffusion ops, 'cpu' always on a
  // CPU backend of its own.
  async loadSVGModel(baseURL, onProgress, backend) {
    return this.loadSVGFiles(await fetchSVGModel(baseURL, onProgress), backend);
  }

  async loadSVGFiles(files, backend = '') {
    if (!files || typeof files !== 'object') throw new LaminaError('lamina: files must be an object of name → Uint8Array', 'bad-input');
    for (const [name, v] of Object.entries(files)) {
      if (!(v instanceof Uint8Array)) throw new LaminaError(`lamina: file ${name} must be a Uint8Array`, 'bad-input');
    }
    const m = await goCall(() => this.api.loadSVGModel(this.id, files, backend));
    this.svgModels.add(m.id);
    return { id: m.id, info: JSON.parse(m.info) };
  }

  svgModelBackend(id) {
    return syncResult(this.api.svgModelBackend(id));
  }

  // svgRun generates (or edits, with o.edit) and resolves to {svg, layers}
  // or {cancelled: true}; onStep(step, steps, svg) gets the estimate after
  // every step and isCancelled is polled between steps.
  async svgRun(id, o, onStep, isCancelled) {
    const r = await goCall(() => this.api.svgRun(id, o, onStep || null, isCancelled || (() => false)));
    if (r.cancelled) return { cancelled: true, backend: r.backend };
    return { ...JSON.parse(r.result), backend: r.backend };
  }

  disposeSVGModel(id) {
    this.svgModels.delete(id);
    return goCall(() => this.api.disposeSVGModel(id));
  }

  encode(id, text) {
    return syncResult(this.api.encode(this.tokenizerOf(id), String(text)));
  }

  decode(id, ids) {
    return syncResult(this.api.decode(this.tokenizerOf(id), toIds(ids)));
  }

  tokenizerOf(id) {
    const t = syncResult(this.api.modelTokenizer(id));
    if (t < 0) throw new LaminaError('lamina: this model has no tokenizer.json', 'no-tokenizer');
    return t;
  }

  disposeModel(id) {
    this.models.delete(id);
    this.api.disposeModel(id);
  }

  dispose() {
    for (const id of this.models.keys()) this.api.disposeModel(id);
    this.models.clear();
    this.svgModels.clear(); // disposeRuntime frees them
    this.api.disposeRuntime(this.id);
  }
}

// TokenizerHost runs encode/decode synchronously in this realm; lamina.mjs
// uses it on the page when the model itself lives in a worker.
export class TokenizerHost {
  static async create(assetsBase, tokenizerJSON, module) {
    const api = await startGo(assetsBase, module);
    const id = syncResult(api.loadTokenizer(tokenizerJSON));
    return new TokenizerHost(api, id);
  }

  constructor(api, id) {
    this.api = api;
    this.id = id;
  }

  encode(text) {
    return syncResult(this.api.encode(this.id, String(text)));
  }

  decode(ids) {
    return syncResult(this.api.decode(this.id, toIds(ids)));
  }

  dispose() {
    this.api.disposeTokenizer(this.id);
  }
}
