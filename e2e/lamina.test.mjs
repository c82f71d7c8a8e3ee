// End-to-end tests of site/lamina.mjs in headless Chromium, through the
// public API only, against the Hugging Face reference outputs of the
// fixture models. Run by e2e/run.sh (which builds, serves and sets
// LAMINA_URL); `node --test` reports each case.
//
// LAMINA_E2E_WEBGPU=pending skips the WebGPU cases and says so in the
// output (they are never reported as passing without running);
// LAMINA_E2E_BACKENDS=cpu runs only the CPU backend suites.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { BASE_ARGS, launch, openPage as openURL, recordGPUDevices } from './browser.mjs';

const URL = process.env.LAMINA_URL;
if (!URL) throw new Error('LAMINA_URL is not set: run e2e/run.sh');
const WEBGPU_PENDING = process.env.LAMINA_E2E_WEBGPU === 'pending'
  ? 'PENDING: WebGPU backend cases not run (LAMINA_E2E_WEBGPU=pending)'
  : false;

// LOGITS_TOL is the issue's bar: max abs difference against transformers'
// fp32 logits for the whole runtime, on either backend.
const LOGITS_TOL = 2e-4;
const MODELS = ['gpt2-tiny', 'llama-tiny', 'qwen2-tiny', 'llama-tiny-sharded-f16'];
const TOKENIZER_MODELS = ['tok-gpt2-bytelevel-bpe', 'tok-llama-sp-bpe-bytefallback'];
const TIMEOUT = 180_000; // SwiftShader WebGPU is a CPU emulator: slow, not hung

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

// openPage opens the site in a fresh context (browser.mjs's openPage).
const openPage = (b = browser, ...inits) => openURL(b, URL, ...inits);

// In-page helpers: the functions below run inside Chromium.
async function createRuntime(page, opts) {
  return page.evaluate(async (opts) => {
    const { createRuntime } = await import('/lamina.mjs');
    window.__rt = await createRuntime(opts);
    return window.__rt.backend;
  }, opts);
}

// checkModel loads a fixture model and compares logits and greedy
// generation with reference.json.
function checkModel(page, name) {
  return page.evaluate(async (name) => {
    const ref = await (await fetch(`/models/${name}/reference.json`)).json();
    const progress = new Set();
    const lm = await window.__rt.loadModel(`/models/${name}/`, { onProgress: (p) => progress.add(p.file) });
    const logits = await lm.logits(ref.input_ids);
    const V = ref.logits[0].length;
    let maxAbs = 0;
    ref.logits.forEach((row, t) => row.forEach((want, j) => {
      maxAbs = Math.max(maxAbs, Math.abs(logits[t * V + j] - want));
    }));
    const streamed = [];
    const n = ref.greedy_ids.length - ref.greedy_prompt.length;
    // HF's reference ran the full 16 tokens past any EOS.
    const g = await lm.generate({ ids: ref.greedy_prompt, maxNewTokens: n, eosTokenIds: [], onToken: (t) => streamed.push(t.id) });
    const backend = window.__rt.backend;
    await lm.dispose();
    return {
      isF32: logits instanceof Float32Array, len: logits.length, wantLen: ref.logits.length * V, maxAbs,
      ids: g.ids, newIds: g.newIds, want: ref.greedy_ids, wantNew: ref.greedy_ids.slice(ref.greedy_prompt.length),
      streamed, files: [...progress].sort(), backend,
    };
  }, name);
}

function checkTokenizer(page, name) {
  return page.evaluate(async (name) => {
    const exp = await (await fetch(`/models/${name}/expected.json`)).json();
    const lm = await window.__rt.loadModel(`/models/${name}/`);
    const out = exp.cases.map((c) => {
      const ids = lm.tokenizer.encode(c.text); // synchronous by contract
      return { text: c.text, ids: ids instanceof Promise ? 'a Promise' : Array.from(ids), want: c.ids, decoded: lm.tokenizer.decode(c.ids), wantDecoded: c.decoded };
    });
    await lm.dispose();
    return out;
  }, name);
}

function runtimeSuite(backend, worker) {
  describe(`backend ${backend}, worker ${worker}`, { skip: backend === 'webgpu' && WEBGPU_PENDING, timeout: TIMEOUT * 4 }, () => {
    let page;
    before(async () => {
      page = await openPage();
      const got = await createRuntime(page, { backend, worker });
      assert.equal(got, backend, 'rt.backend');
    });
    after(async () => {
      await page?.evaluate(() => window.__rt && window.__rt.dispose());
      await page?.context().close();
    });

    for (const name of MODELS) {
      it(`${name}: logits within ${LOGITS_TOL} of HF, greedy ids equal HF's`, { timeout: TIMEOUT }, async () => {
        const r = await checkModel(page, name);
        assert.ok(r.isF32, 'logits is a Float32Array');
        assert.equal(r.len, r.wantLen, 'logits length T*V');
        assert.ok(r.maxAbs <= LOGITS_TOL, `max abs logits error ${r.maxAbs} > ${LOGITS_TOL}`);
        assert.deepEqual(r.ids, r.want, 'generate ids (prompt + new)');
        assert.deepEqual(r.newIds, r.wantNew, 'newIds');
        assert.deepEqual(r.streamed, r.wantNew, 'onToken ids');
        assert.ok(r.files.includes('config.json'), `onProgress files ${r.files}`);
        assert.equal(r.backend, backend, 'still on the requested backend');
      });
    }

    for (const name of TOKENIZER_MODELS) {
      it(`${name}: lm.tokenizer encode/decode equal HF tokenizers`, { timeout: TIMEOUT }, async () => {
        const cases = await checkTokenizer(page, name);
        assert.ok(cases.length > 0);
        for (const c of cases) {
          assert.deepEqual(c.ids, c.want, `encode(${JSON.stringify(c.text)})`);
          assert.equal(c.decoded, c.wantDecoded, `decode of ${JSON.stringify(c.text)}'s ids`);
        }
      });
    }

    it('generate({prompt}) streams text pieces that add up to text', { timeout: TIMEOUT }, async () => {
      const r = await page.evaluate(async () => {
        const lm = await window.__rt.loadModel('/models/tok-llama-sp-bpe-bytefallback/');
        // Ids of this prompt are < 512, the paired model's vocabulary.
        const prompt = 'the';
        const promptIds = Array.from(lm.tokenizer.encode(prompt));
        let pieces = '';
        const g = await lm.generate({ prompt, maxNewTokens: 8, eosTokenIds: [], onToken: (t) => { pieces += t.text; } });
        const byIds = await lm.generate({ ids: promptIds, maxNewTokens: 8, eosTokenIds: [] });
        const out = { promptIds, ids: g.ids, byIds: byIds.ids, text: g.text, pieces, decoded: lm.tokenizer.decode(g.newIds) };
        await lm.dispose();
        return out;
      });
      assert.ok(r.promptIds.length > 0 && r.promptIds.every((id) => id < 512), `prompt ids ${r.promptIds}`);
      assert.deepEqual(r.ids, r.byIds, 'prompt and its ids generate the same');
      assert.deepEqual(r.ids.slice(0, r.promptIds.length), r.promptIds);
      assert.equal(r.ids.length, r.promptIds.length + 8);
      assert.equal(r.text, r.decoded, 'text is the decoded new tokens');
      assert.equal(r.pieces, r.text, 'streamed pieces add up to text');
    });

    it('generate({speculative}) keeps greedy ids; each token says drafted and its exit layer', { timeout: TIMEOUT }, async () => {
      const r = await page.evaluate(async () => {
        const ref = await (await fetch('/models/llama-tiny/reference.json')).json();
        const lm = await window.__rt.loadModel('/models/llama-tiny/');
        const n = ref.greedy_ids.length - ref.greedy_prompt.length;
        const toks = [];
        const g = await lm.generate({ ids: ref.greedy_prompt, maxNewTokens: n, eosTokenIds: [], speculative: { exitLayer: 1, draftTokens: 3 },
          onToken: (t) => toks.push({ drafted: t.drafted, exitLayer: t.exitLayer }) });
        const bad = [];
        for (const exitLayer of [0, lm.info.layers]) {
          try { await lm.generate({ ids: ref.greedy_prompt, maxNewTokens: 2, speculative: { exitLayer } }); bad.push('none'); } catch (e) { bad.push(e.code); }
        }
        const out = { ids: g.ids, want: ref.greedy_ids, n, toks, stats: g.stats, layers: lm.info.layers, bad };
        await lm.dispose();
        return out;
      });
      assert.deepEqual(r.ids, r.want, 'speculative greedy ids equal HF greedy');
      assert.equal(r.toks.length, r.n, 'one event per token');
      assert.ok(r.stats && r.stats.drafted > 0 && r.stats.rounds > 0, `stats ${JSON.stringify(r.stats)}`);
      assert.equal(r.toks.filter((t) => t.drafted).length, r.stats.accepted, 'drafted tokens = accepted');
      assert.ok(r.toks.every((t) => t.exitLayer === (t.drafted ? 1 : r.layers)), `exit layers ${JSON.stringify(r.toks)}`);
      assert.deepEqual(r.bad, ['bad-input', 'bad-input'], 'exitLayer 0 and exitLayer = layers are refused');
    });

    it('generate({speculative: {draftModel}}) keeps greedy ids with a second model drafting', { timeout: TIMEOUT }, async () => {
      const r = await page.evaluate(async () => {
        const ref = await (await fetch('/models/llama-tiny/reference.json')).json();
        const lm = await window.__rt.loadModel('/models/llama-tiny/');
        const draft = await window.__rt.loadModel('/models/qwen2-tiny/');
        const n = ref.greedy_ids.length - ref.greedy_prompt.length;
        let events = 0;
        const g = await lm.generate({ ids: ref.greedy_prompt, maxNewTokens: n, eosTokenIds: [], speculative: { draftModel: draft, draftTokens: 3 },
          onToken: () => { events++; } });
        let bad = 'none';
        try { await lm.generate({ ids: ref.greedy_prompt, maxNewTokens: 2, speculative: { draftModel: {} } }); } catch (e) { bad = e.code; }
        const out = { ids: g.ids, want: ref.greedy_ids, n, events, stats: g.stats, bad };
        await draft.dispose();
        await lm.dispose();
        return out;
      });
      assert.deepEqual(r.ids, r.want, 'draft-model greedy ids equal HF greedy');
      assert.equal(r.events, r.n, 'one event per token');
      assert.ok(r.stats && r.stats.drafted > 0 && r.stats.accepted <= r.stats.drafted, `stats ${JSON.stringify(r.stats)}`);
      assert.equal(r.bad, 'bad-input', 'a draftModel that is not a loaded model is refused');
    });

    it('sampling is seeded; stopStrings end generation', { timeout: TIMEOUT }, async () => {
      const r = await page.evaluate(async () => {
        const lm = await window.__rt.loadModel('/models/tok-llama-sp-bpe-bytefallback/');
        const ids = Array.from(lm.tokenizer.encode('the'));
        const sample = async (seed) => (await lm.generate({ ids, maxNewTokens: 12, temperature: 1.5, topK: 40, topP: 0.95, seed, eosTokenIds: [] })).newIds;
        const [a, b, c] = [await sample(7), await sample(7), await sample(8)];
        const greedy = await lm.generate({ ids, maxNewTokens: 12, eosTokenIds: [] });
        const stop = lm.tokenizer.decode(greedy.newIds.slice(0, 3)).trim().slice(-2);
        const stopped = await lm.generate({ ids, maxNewTokens: 12, eosTokenIds: [], stopStrings: [stop] });
        await lm.dispose();
        return { a, b, c, greedy: greedy.newIds, greedyText: greedy.text, stop, stopped: stopped.newIds, stoppedText: stopped.text };
      });
      assert.deepEqual(r.a, r.b, 'same seed, same tokens');
      assert.notDeepEqual(r.a, r.c, 'seeds 7 and 8 differ at temperature 1.5');
      assert.notDeepEqual(r.a, r.greedy, 'sampling differs from greedy');
      assert.ok(r.stop.length > 0, 'a non-empty stop string');
      // The text ends just before the stop string (OpenAI's rule, as the CLI and the worker do).
      assert.ok(r.stopped.length <= 3 && !r.stoppedText.includes(r.stop), `stopped after ${r.stopped.length} tokens: ${JSON.stringify(r.stoppedText)} (stop ${JSON.stringify(r.stop)})`);
      assert.equal(r.stoppedText, r.greedyText.slice(0, r.greedyText.indexOf(r.stop)), 'text is the greedy text cut before the stop string');
      assert.deepEqual(r.stopped, r.greedy.slice(0, r.stopped.length));
    });

    it('layers: one logit-lens entry per depth; the last matches HF\'s argmax', { timeout: TIMEOUT }, async () => {
      const r = await page.evaluate(async () => {
        const ref = await (await fetch('/models/qwen2-tiny/reference.json')).json();
        const lm = await window.__rt.loadModel('/models/qwen2-tiny/');
        const ids = ref.input_ids.slice(0, 5);
        const lens = await lm.layers(ids);
        const argmax = ref.logits.slice(0, 5).map((row) => row.indexOf(Math.max(...row)));
        const out = { n: lens.layers.length, layers: lm.info.layers, last: lens.layers.at(-1).top.map((t) => t[0].id), argmax, norms: lens.layers.map((l) => l.norm.length) };
        await lm.dispose();
        return out;
      });
      assert.equal(r.n, r.layers + 1, 'embeddings + every decoder layer');
      assert.deepEqual(r.last, r.argmax);
      assert.ok(r.norms.every((n) => n === 5), `norm lengths ${r.norms}`);
    });

    it('aborting the signal stops generation with an AbortError; the model still works', { timeout: TIMEOUT }, async () => {
      const r = await page.evaluate(async () => {
        const lm = await window.__rt.loadModel('/models/llama-tiny/');
        const ac = new AbortController();
        let n = 0;
        let error = null;
        try {
          await lm.generate({ ids: [1, 2, 3], maxNewTokens: 100, eosTokenIds: [], signal: ac.signal, onToken: () => { if (++n === 3) ac.abort(); } });
        } catch (e) {
          error = e.name;
        }
        // An exception in onToken stops generation and rejects with it.
        let thrown = null;
        let m = 0;
        try {
          await lm.generate({ ids: [1, 2, 3], maxNewTokens: 100, eosTokenIds: [], onToken: () => { if (++m === 2) throw new Error('from onToken'); } });
        } catch (e) {
          thrown = e.message;
        }
        const after = await lm.generate({ ids: [1, 2, 3], maxNewTokens: 2, eosTokenIds: [] });
        await lm.dispose();
        return { error, n, thrown, m, after: after.newIds.length };
      });
      assert.equal(r.error, 'AbortError');
      assert.ok(r.n >= 3 && r.n < 100, `stopped after ${r.n} tokens`);
      assert.equal(r.thrown, 'from onToken');
      assert.ok(r.m >= 2 && r.m < 100, `onToken ran ${r.m} times`);
      assert.equal(r.after, 2);
    });

    it('errors reject with clear messages and codes', { timeout: TIMEOUT }, async () => {
      const r = await page.evaluate(async () => {
        const rt = window.__rt;
        const attempt = async (f) => {
          try {
            await f();
            return { ok: true };
          } catch (e) {
            return { name: e.name, code: e.code, message: e.message };
          }
        };
        const lm = await rt.loadModel('/models/llama-tiny/');
        const out = {
          missing: await attempt(() => rt.loadModel('/models/does-not-exist/')),
          unsupported: await attempt(() => rt.loadModel('/models/unsupported-arch/')),
          tooLarge: await attempt(() => rt.loadModel('/models/too-large/')),
          network: await attempt(() => rt.loadModel('http://127.0.0.1:9/nothing-listens-here/')),
          badId: await attempt(() => lm.logits([1, 512])),
          noTokenizer: await attempt(() => lm.generate({ prompt: 'hi' })),
          tokenizerNull: lm.tokenizer === null,
        };
        await lm.dispose();
        out.disposed = await attempt(() => lm.logits([1]));
        return out;
      });
      const expect = (got, code, re) => {
        assert.equal(got.code, code, JSON.stringify(got));
        assert.match(got.message, re);
      };
      expect(r.missing, 'not-a-model', /no config\.json/);
      expect(r.unsupported, 'unsupported', /mamba|unsupported/i);
      expect(r.tooLarge, 'too-large', /too large/);
      expect(r.network, 'network', /network error/);
      expect(r.badId, 'bad-input', /outside the vocabulary/);
      expect(r.noTokenizer, 'no-tokenizer', /no tokenizer\.json/);
      expect(r.disposed, 'disposed', /disposed/);
      assert.ok(r.tokenizerNull, 'a model without tokenizer.json has tokenizer null');
    });
  });
}

// LAMINA_E2E_BACKENDS narrows the backend suites (default "cpu wasm-simd webgpu"; "none").
// wasm-simd runs on the page only: the worker path is the same Go code as cpu's.
const BACKENDS = (process.env.LAMINA_E2E_BACKENDS || 'cpu wasm-simd webgpu').split(/[\s,]+/).filter((b) => b && b !== 'none');
for (const backend of BACKENDS) {
  runtimeSuite(backend, false);
  if (backend !== 'wasm-simd') runtimeSuite(backend, true);
}

describe('loading', () => {
  it('model files are cached: a second load downloads nothing', { timeout: TIMEOUT }, async () => {
    const page = await openPage();
    const requested = [];
    page.context().on('request', (req) => { if (req.url().includes('/models/qwen2-tiny/')) requested.push(new globalThis.URL(req.url()).pathname); });
    const r = await page.evaluate(async () => {
      await caches.delete('lamina-models-v1');
      const { createRuntime } = await import('/lamina.mjs');
      const rt = await createRuntime({ backend: 'cpu' });
      const first = [];
      const second = [];
      await (await rt.loadModel('/models/qwen2-tiny/', { onProgress: (p) => first.push(p) })).dispose();
      const mark = performance.now();
      await (await rt.loadModel('/models/qwen2-tiny/', { onProgress: (p) => second.push(p) })).dispose();
      await rt.dispose();
      return { first, second, mark };
    });
    const weights = (ps) => ps.filter((p) => p.file === 'model.safetensors');
    const w1 = weights(r.first);
    assert.ok(w1.length >= 1 && w1.at(-1).loaded === w1.at(-1).total && w1.at(-1).total > 0, `first load progress ${JSON.stringify(w1)}`);
    assert.ok(weights(r.second).every((p) => p.cached), `second load progress ${JSON.stringify(weights(r.second))}`);
    assert.equal(requested.filter((p) => p.endsWith('/model.safetensors')).length, 1, `requests ${requested}`);
    await page.context().close();
  });
});

describe('site', () => {
  it('index.html lists served models, loads one and generates', { timeout: TIMEOUT }, async () => {
    const page = await openPage();
    await page.waitForFunction(() => document.querySelectorAll('#models option').length > 1);
    await page.fill('#url', '/models/llama-tiny/');
    await page.selectOption('#backend', 'cpu');
    await page.click('#load');
    await page.waitForFunction(() => /loaded on|error/.test(document.getElementById('status').textContent));
    assert.match(await page.textContent('#status'), /loaded on CPU: llama, 2 layers/);
    await page.fill('#prompt', '256, 243, 78, 242, 114');
    await page.fill('#max', '4');
    await page.click('#gen');
    await page.waitForFunction(() => /tokens in|error/.test(document.getElementById('status').textContent));
    // HF's greedy continuation is 439 2 161 437 …; 2 is llama-tiny's EOS,
    // where generation stops by default.
    assert.match(await page.textContent('#status'), /^2 tokens in/);
    assert.equal((await page.textContent('#out')).trim(), '439 2');
    assert.deepEqual(page.errors, []);
    await page.context().close();
  });
});

describe('cross-origin', () => {
  it('lamina.mjs imported by a page on another origin runs, worker true and false', { timeout: TIMEOUT }, async () => {
    // localhost and 127.0.0.1 are different origins for the browser.
    const other = URL.replace('127.0.0.1', 'localhost');
    const ctx = await browser.newContext();
    const page = await ctx.newPage();
    await page.goto(other);
    const r = await page.evaluate(async (base) => {
      const { createRuntime } = await import(`${base}lamina.mjs`);
      const out = { origin: location.origin };
      for (const worker of [false, true]) {
        const rt = await createRuntime({ backend: 'cpu', worker });
        const lm = await rt.loadModel(`${base}models/gpt2-tiny/`);
        out[`worker ${worker}`] = Array.from((await lm.generate({ ids: [1, 2, 3], maxNewTokens: 3, eosTokenIds: [] })).newIds);
        await rt.dispose();
      }
      return out;
    }, URL);
    assert.notEqual(new globalThis.URL(r.origin).origin, new globalThis.URL(URL).origin);
    assert.equal(r['worker false'].length, 3);
    assert.deepEqual(r['worker true'], r['worker false']);
    await ctx.close();
  });
});

describe('threads', () => {
  it('wasm-simd on 2 threads in a cross-origin isolated page: the same logits bits as on 1, page and worker', { timeout: TIMEOUT }, async () => {
    // lamina serve sends COOP/COEP with its pages, so index.html is
    // isolated and may share a WebAssembly.Memory with Web Workers.
    const page = await openPage();
    const r = await page.evaluate(async () => {
      const { createRuntime } = await import('/lamina.mjs');
      const ref = await (await fetch('/models/llama-tiny/reference.json')).json();
      const out = { isolated: crossOriginIsolated, runs: {} };
      for (const [worker, threads] of [[false, 1], [false, 2], [true, 2]]) {
        const rt = await createRuntime({ backend: 'wasm-simd', worker, threads });
        const lm = await rt.loadModel('/models/llama-tiny/');
        const logits = await lm.logits(ref.input_ids);
        const g = await lm.generate({ ids: ref.greedy_prompt, maxNewTokens: 4, eosTokenIds: [] });
        out.runs[`worker ${worker}, ${threads}`] = { backend: rt.backend, threads: rt.threads, bits: Array.from(new Uint32Array(logits.buffer, logits.byteOffset, logits.length)), ids: Array.from(g.newIds) };
        await rt.dispose();
      }
      const auto = await createRuntime({ backend: 'wasm-simd' });
      out.auto = auto.threads;
      await auto.dispose();
      out.cpu = (await createRuntime({ backend: 'cpu' })).threads;
      out.want = Math.min(navigator.hardwareConcurrency, 4);
      try {
        await createRuntime({ threads: 0 });
      } catch (e) {
        out.bad = e.code;
      }
      return out;
    });
    assert.equal(r.isolated, true, 'lamina serve must make its pages cross-origin isolated');
    const one = r.runs['worker false, 1'];
    assert.equal(one.threads, 1);
    for (const k of ['worker false, 2', 'worker true, 2']) {
      assert.equal(r.runs[k].backend, 'wasm-simd', k);
      assert.equal(r.runs[k].threads, 2, k);
      assert.deepEqual(r.runs[k].bits, one.bits, `${k}: logits bits`);
      assert.deepEqual(r.runs[k].ids, one.ids, `${k}: greedy ids`);
    }
    assert.equal(r.auto, r.want, "'auto' is min(hardwareConcurrency, 4) on an isolated page");
    assert.equal(r.cpu, 0);
    assert.equal(r.bad, 'bad-input');
    assert.deepEqual(page.errors, []);
    await page.context().close();
  });
});

describe('fallback', () => {
  it('auto runs on the CPU (wasm-simd) when navigator.gpu is missing; webgpu rejects', { timeout: TIMEOUT }, async () => {
    const page = await openPage(browser, () => {
      Object.defineProperty(Navigator.prototype, 'gpu', { get: () => undefined, configurable: true });
    });
    const r = await page.evaluate(async () => {
      const { createRuntime } = await import('/lamina.mjs');
      const rt = await createRuntime({ backend: 'auto' });
      const ref = await (await fetch('/models/llama-tiny/reference.json')).json();
      const lm = await rt.loadModel('/models/llama-tiny/');
      const logits = await lm.logits(ref.input_ids);
      const V = ref.logits[0].length;
      let maxAbs = 0;
      ref.logits.forEach((row, t) => row.forEach((w, j) => { maxAbs = Math.max(maxAbs, Math.abs(logits[t * V + j] - w)); }));
      let webgpu;
      try {
        await createRuntime({ backend: 'webgpu' });
        webgpu = 'resolved';
      } catch (e) {
        webgpu = e.code;
      }
      return { gpu: typeof navigator.gpu, backend: rt.backend, adapter: rt.adapter, maxAbs, webgpu };
    });
    assert.equal(r.gpu, 'undefined');
    assert.equal(r.backend, 'wasm-simd', 'Chromium has WebAssembly SIMD');
    assert.equal(r.adapter, null, 'no adapter seen');
    assert.ok(r.maxAbs <= LOGITS_TOL, `max abs ${r.maxAbs}`);
    assert.equal(r.webgpu, 'no-webgpu');
    await page.context().close();
  });

  it('auto runs on the CPU (wasm-simd) in a browser without WebGPU enabled (page and worker)', { timeout: TIMEOUT }, async () => {
    const plain = await launch([...BASE_ARGS, '--disable-features=WebGPU,Vulkan', '--disable-gpu']);
    try {
      const page = await openPage(plain);
      const r = await page.evaluate(async () => {
        const { createRuntime } = await import('/lamina.mjs');
        let adapter = null;
        if (navigator.gpu) adapter = await navigator.gpu.requestAdapter();
        const out = { adapter: !!adapter };
        for (const worker of [false, true]) {
          const rt = await createRuntime({ backend: 'auto', worker });
          const lm = await rt.loadModel('/models/gpt2-tiny/');
          const g = await lm.generate({ ids: [1, 2, 3], maxNewTokens: 3, eosTokenIds: [] });
          out[`worker ${worker}`] = { backend: rt.backend, n: g.newIds.length };
          await rt.dispose();
        }
        return out;
      });
      assert.equal(r.adapter, false, 'this browser must have no WebGPU adapter for the test to mean anything');
      assert.deepEqual(r['worker false'], { backend: 'wasm-simd', n: 3 });
      assert.deepEqual(r['worker true'], { backend: 'wasm-simd', n: 3 });
    } finally {
      await plain.close();
    }
  });

  it('auto on a software (fallback) adapter runs on the CPU and says why; webgpu still runs on it', { skip: WEBGPU_PENDING, timeout: TIMEOUT }, async () => {
    const page = await openPage();
    const r = await page.evaluate(async () => {
      const { createRuntime } = await import('/lamina.mjs');
      const a = await navigator.gpu.requestAdapter();
      const out = { info: a && { isFallbackAdapter: a.info.isFallbackAdapter, vendor: a.info.vendor, architecture: a.info.architecture } };
      for (const [backend, worker] of [['auto', false], ['auto', true], ['webgpu', false]]) {
        const rt = await createRuntime({ backend, worker });
        const lm = await rt.loadModel('/models/gpt2-tiny/');
        const g = await lm.generate({ ids: [1, 2, 3], maxNewTokens: 2, eosTokenIds: [] });
        out[`${backend} ${worker}`] = { backend: rt.backend, adapter: rt.adapter, n: g.newIds.length };
        await rt.dispose();
      }
      return out;
    });
    assert.ok(r.info, 'this test needs a WebGPU adapter (--enable-unsafe-webgpu)');
    console.log(`# adapter ${JSON.stringify(r.info)}: auto → ${r['auto false'].backend}`);
    // The rule, applied to whatever adapter this browser has: a fallback
    // (software) one means the CPU, anything else WebGPU.
    const software = r.info.isFallbackAdapter || /swiftshader|llvmpipe|lavapipe/i.test(`${r.info.vendor} ${r.info.architecture}`);
    for (const worker of [false, true]) {
      const got = r[`auto ${worker}`];
      assert.equal(got.backend, software ? 'wasm-simd' : 'webgpu', `auto, worker ${worker}, adapter ${JSON.stringify(r.info)}`);
      assert.equal(got.adapter.software, software, `rt.adapter ${JSON.stringify(got.adapter)}`);
      assert.equal(got.adapter.isFallbackAdapter, r.info.isFallbackAdapter);
      assert.equal(got.adapter.architecture, r.info.architecture);
      assert.equal(got.n, 2);
    }
    assert.equal(r['webgpu false'].backend, 'webgpu', 'explicit webgpu runs on any adapter');
    assert.equal(r['webgpu false'].adapter.architecture, r.info.architecture);
    await page.context().close();
  });

  it('auto recovers to the CPU after a GPU device loss, without a reload', { skip: WEBGPU_PENDING, timeout: TIMEOUT }, async () => {
    // Record every GPUDevice the page creates so the test can destroy it,
    // and present the adapter as a hardware one: on SwiftShader (a
    // fallback adapter) auto would otherwise start on the CPU.
    const page = await openPage(browser, () => {
      const info = Object.getOwnPropertyDescriptor(GPUAdapter.prototype, 'info');
      Object.defineProperty(GPUAdapter.prototype, 'info', {
        configurable: true,
        get() {
          const i = info.get.call(this);
          return { vendor: 'test', architecture: 'hardware-stand-in', device: '', description: '', isFallbackAdapter: false, subgroupMinSize: i.subgroupMinSize, subgroupMaxSize: i.subgroupMaxSize };
        },
      });
    }, recordGPUDevices);
    const r = await page.evaluate(async () => {
      const { createRuntime } = await import('/lamina.mjs');
      const rt = await createRuntime({ backend: 'auto' });
      const before = rt.backend;
      const ref = await (await fetch('/models/qwen2-tiny/reference.json')).json();
      const lm = await rt.loadModel('/models/qwen2-tiny/');
      const l1 = await lm.logits(ref.input_ids);
      for (const d of window.__devices) d.destroy();
      const l2 = await lm.logits(ref.input_ids);
      const V = ref.logits[0].length;
      let maxAbs = 0;
      ref.logits.forEach((row, t) => row.forEach((w, j) => { maxAbs = Math.max(maxAbs, Math.abs(l2[t * V + j] - w)); }));
      const g = await lm.generate({ ids: ref.greedy_prompt, maxNewTokens: ref.greedy_ids.length - ref.greedy_prompt.length, eosTokenIds: [] });
      return { before, adapter: rt.adapter, after: rt.backend, devices: window.__devices.length, n1: l1.length, maxAbs, greedy: g.ids, want: ref.greedy_ids };
    });
    assert.equal(r.adapter.architecture, 'hardware-stand-in', 'the stand-in adapter info reached lamina');
    assert.equal(r.before, 'webgpu');
    assert.ok(r.devices >= 1, 'a device was created');
    assert.equal(r.after, 'cpu');
    assert.ok(r.maxAbs <= LOGITS_TOL, `max abs after recovery ${r.maxAbs}`);
    assert.deepEqual(r.greedy, r.want);
    await page.context().close();
  });
});

describe('device limits', () => {
  it('a model over the device\'s maxBufferSize rejects loadModel with code too-large, naming tensor and limit', { skip: WEBGPU_PENDING, timeout: TIMEOUT }, async () => {
    const page = await openPage();
    const r = await page.evaluate(async () => {
      const { createRuntime } = await import('/lamina.mjs');
      const out = {};
      // 128 bytes: llama-tiny's weight rows are 256 bytes (64 f32), the
      // smallest piece a weight is split into. 1024: every weight splits
      // and fits, but a logits row (512 f32 = 2048 bytes) cannot be bound.
      for (const [limit, worker] of [[128, false], [1024, true]]) {
        const rt = await createRuntime({ backend: 'webgpu', worker, limits: { maxBufferSize: limit } });
        try {
          await rt.loadModel('/models/llama-tiny/');
          out[limit] = { resolved: true };
        } catch (e) {
          out[limit] = { name: e.name, code: e.code, message: e.message };
        }
        await rt.dispose();
      }
      try {
        await createRuntime({ backend: 'webgpu', limits: { maxBufferSize: 'big' } });
      } catch (e) {
        out.bad = e.code;
      }
      return out;
    });
    console.log(`# ${r[128].message}\n# ${r[1024].message}`);
    assert.equal(r[128].code, 'too-large', JSON.stringify(r[128]));
    assert.match(r[128].message, /does not fit this WebGPU device \(.+\): model: tensor "model\.[a-z_.0-9]+weight": webgpu: one row of F32 \[\d+ 64\] is 256 bytes, over the device's maxBufferSize of 128 bytes; backend: 'cpu' can run it/);
    assert.equal(r[1024].code, 'too-large', JSON.stringify(r[1024]));
    assert.match(r[1024].message, /one row of logits \(F32 \[512\]\) is 2048 bytes, over the device's maxBufferSize of 1024 bytes/);
    assert.equal(r.bad, 'bad-input');
    await page.context().close();
  });
});

// chat-tiny (qwen2-tiny's weights, the bytelevel-small tokenizer, zephyr's chat template):
// lm.chat in the browser gives what `lamina serve`'s /v1/chat/completions (the worker's
// native handler) answers for the same request, and JSON mode always parses.
describe('chat', () => {
  it('lm.chat matches /v1/chat/completions; response_format json_schema always validates', { timeout: TIMEOUT }, async () => {
    const page = await openPage();
    await createRuntime(page, { backend: 'cpu' });
    const r = await page.evaluate(async () => {
      const lm = await window.__rt.loadModel('/models/chat-tiny/');
      const messages = [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hi' }];
      const streamed = [];
      const got = await lm.chat({ messages, max_tokens: 20, temperature: 0, onToken: (t) => streamed.push(t.text) });
      const api = await (await fetch('/v1/chat/completions', {
        method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'chat-tiny', messages, max_tokens: 20, temperature: 0 }),
      })).json();
      const schema = { type: 'object', properties: { a: { type: 'integer' }, b: { enum: ['x', 'y', null] }, c: { type: 'array', items: { type: 'boolean' }, maxItems: 2 } }, required: ['a', 'b'], additionalProperties: false };
      const bad = [];
      for (let seed = 0; seed < 20; seed++) {
        const j = await lm.chat({ messages, max_tokens: 40, temperature: 1, seed, response_format: { type: 'json_schema', json_schema: { name: 's', schema } } });
        let v;
        try { v = JSON.parse(j.message.content); } catch { bad.push(j.message.content); continue; }
        const keys = Object.keys(v).every((k) => ['a', 'b', 'c'].includes(k));
        if (!Number.isInteger(v.a) || !['x', 'y', null].includes(v.b) || !keys || (v.c && !(Array.isArray(v.c) && v.c.length <= 2))) bad.push(j.message.content);
      }
      let noTemplate = null;
      try {
        await (await window.__rt.loadModel('/models/llama-tiny/')).chat({ messages });
      } catch (e) { noTemplate = e.code; }
      return { got, streamed: streamed.join(''), api, bad, hasChat: lm.info.hasChatTemplate, noTemplate };
    });
    assert.equal(r.hasChat, true);
    assert.equal(r.got.message.content, r.api.choices[0].message.content);
    assert.equal(r.streamed, r.got.message.content);
    assert.equal(r.got.finish_reason, r.api.choices[0].finish_reason);
    assert.deepEqual(r.got.usage, r.api.usage);
    assert.deepEqual(r.bad, []);
    assert.equal(r.noTemplate, 'no-chat-template');
    assert.deepEqual(page.errors, []);
    await page.context().close();
  });

  it('response_format on the WebGPU backend: the mask applies there too, same tokens as the CPU', { skip: WEBGPU_PENDING, timeout: TIMEOUT }, async () => {
    const page = await openPage();
    await createRuntime(page, { backend: 'webgpu' });
    const r = await page.evaluate(async () => {
      const { createRuntime } = await import('/lamina.mjs');
      const cpu = await createRuntime({ backend: 'cpu' });
      const messages = [{ role: 'user', content: 'Hi' }];
      const rf = { type: 'json_schema', json_schema: { name: 's', schema: { type: 'object', properties: { a: { type: 'integer' }, b: { type: 'string' } }, required: ['a', 'b'], additionalProperties: false } } };
      const gpu = await window.__rt.loadModel('/models/chat-tiny/');
      const ref = await cpu.loadModel('/models/chat-tiny/');
      const out = [];
      // One seed, 18 tokens ({"a":0,"b":""} needs 14): SwiftShader runs this model at a few
      // tokens per second (two seeds of 24 took 65 s).
      for (let seed = 0; seed < 1; seed++) {
        const o = { messages, max_tokens: 18, temperature: 1, seed, response_format: rf };
        out.push([(await gpu.chat(o)).message.content, (await ref.chat(o)).message.content]);
      }
      return { backend: window.__rt.backend, out };
    });
    assert.equal(r.backend, 'webgpu');
    for (const [gpu, cpu] of r.out) {
      const v = JSON.parse(gpu);
      assert.ok(Number.isInteger(v.a) && typeof v.b === 'string', gpu);
      assert.equal(gpu, cpu);
    }
    assert.deepEqual(page.errors, []);
    await page.context().close();
  });

  it('the playground chats with a model that has a chat template', { timeout: TIMEOUT }, async () => {
    const page = await openPage();
    await page.goto(URL.replace(/\/$/, '') + '/playground.html?model=/models/chat-tiny/');
    await page.waitForFunction(() => document.querySelectorAll('#model-select option').length > 0);
    await page.selectOption('#backend', 'cpu');
    await page.click('#load');
    await page.waitForFunction(() => /Loaded|Could not/.test(document.getElementById('model-status').textContent));
    await page.waitForFunction(() => !document.getElementById('chat-mode').disabled);
    await page.check('#chat-mode');
    await page.selectOption('#chat-format', 'json_object');
    await page.fill('#prompt', 'Hi');
    await page.fill('#max', '30');
    await page.click('#generate');
    await page.waitForFunction(() => document.querySelector('#output .chat-assistant')?.dataset.finish);
    const reply = await page.textContent('#output .chat-assistant');
    assert.equal(typeof JSON.parse(reply), 'object', reply);
    assert.equal(await page.textContent('#output .chat-user'), 'Hi');
    assert.deepEqual(page.errors, []);
    await page.context().close();
  });
});
