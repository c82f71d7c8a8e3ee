// rt.loadModel(url) with a GGUF file and with a quantized folder, in
// headless Chromium (run by e2e/run.sh). The GGUF is the gguf package's
// mixed-type tiny llama (Q8_0, Q4_0, Q4_1, Q4_K, Q5_K, Q6_K matrices);
// its reference is llama.cpp's output on the same file (mixed-tiny.json,
// node-llama-cpp 3.21.1). The quantized folder (`lamina quantize`, 4-bit
// RTN) is checked against the native CLI on the same folder.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { launch, openPage as openURL } from './browser.mjs';

const URL = process.env.LAMINA_URL;
if (!URL) throw new Error('LAMINA_URL is not set: run e2e/run.sh');
const TIMEOUT = 120_000;
// GGUF_TOL bounds max |Δ log p| against llama.cpp, which rounds
// activations to 8-bit blocks in its quantized dot products (the bound
// of gguf/modelfs_test.go, where lamina measures 0.10).
const GGUF_TOL = 0.15;
const GGUF = '/models/gguf-mixed/mixed-tiny.gguf';

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

// runGGUF loads url on a runtime and returns llama.cpp's reference, the
// greedy ids, the worst log-prob gap and the progress events.
function runGGUF(page, url, opts) {
  return page.evaluate(async ({ url, opts }) => {
    const ref = await (await fetch('/models/gguf-mixed/mixed-tiny.json')).json();
    const { createRuntime } = await import('/lamina.mjs');
    const rt = await createRuntime(opts);
    const progress = [];
    const lm = await rt.loadModel(url, { onProgress: (p) => progress.push(p) });
    const logits = await lm.logits(ref.input_ids);
    const V = ref.logprobs[0].length;
    let worst = 0;
    for (let t = 0; t < ref.input_ids.length; t++) {
      const row = logits.subarray(t * V, (t + 1) * V);
      let m = -Infinity;
      for (const v of row) m = Math.max(m, v);
      let s = 0;
      for (const v of row) s += Math.exp(v - m);
      for (let j = 0; j < V; j++) {
        const want = ref.logprobs[t][j];
        if (want > -30) worst = Math.max(worst, Math.abs(row[j] - m - Math.log(s) - want));
      }
    }
    const g = await lm.generate({ ids: ref.greedy_prompt, maxNewTokens: ref.greedy_ids.length, eosTokenIds: [] });
    const text = (await lm.generate({ prompt: 'hello', maxNewTokens: 3, eosTokenIds: [] })).text;
    const encoded = Array.from(lm.tokenizer.encode('hello world'));
    const out = { want: ref.greedy_ids, newIds: Array.from(g.newIds), worst, progress, text, encoded, info: lm.info, backend: rt.backend };
    await lm.dispose();
    await rt.dispose();
    return out;
  }, { url, opts });
}

function checkGGUF(r, backend) {
  assert.deepEqual(r.newIds, r.want, 'greedy ids equal llama.cpp\'s');
  assert.ok(r.worst <= GGUF_TOL, `max |Δ log p| vs llama.cpp ${r.worst} > ${GGUF_TOL}`);
  assert.equal(typeof r.text, 'string');
  assert.ok(r.encoded.length > 0, 'tokenizer from the GGUF metadata');
  assert.equal(r.info.architecture, 'llama');
  assert.equal(r.backend, backend);
}

describe('GGUF by URL', () => {
  for (const [backend, worker] of [['cpu', false], ['cpu', true], ['wasm-simd', false]]) {
    it(`${backend}, worker ${worker}: Range requests, one per tensor; ids and log-probs as llama.cpp's`, { timeout: TIMEOUT }, async () => {
      const page = await openURL(browser, URL);
      const ranges = [];
      page.context().on('request', (req) => {
        if (req.url().endsWith('.gguf')) ranges.push(req.headers().range || 'none');
      });
      const r = await runGGUF(page, GGUF, { backend, worker });
      checkGGUF(r, backend);
      const size = (await readFile(new globalThis.URL('../gguf/testdata/llamacpp/mixed-tiny.gguf', import.meta.url))).length;
      const last = r.progress.at(-1);
      assert.ok(last && last.file === 'mixed-tiny.gguf' && last.total === size, `progress ${JSON.stringify(last)}`);
      if (!worker) {
        // Dedicated workers' requests are not reported to the page.
        assert.ok(ranges.length > 5 && ranges.every((h) => h.startsWith('bytes=')), `requests ${ranges}`);
        assert.ok(ranges.length < 40, `${ranges.length} requests`);
      }
      await page.context().close();
    });
  }

  it('a server without Range support: one whole download, the same outputs', { timeout: TIMEOUT }, async () => {
    const page = await openURL(browser, URL);
    const body = await readFile(new globalThis.URL('../gguf/testdata/llamacpp/mixed-tiny.gguf', import.meta.url));
    let served = 0;
    // This route ignores the Range header and answers 200 with the file.
    await page.route('**/norange/mixed-tiny.gguf', (route) => {
      served++;
      route.fulfill({ status: 200, body, headers: { 'content-type': 'application/octet-stream' } });
    });
    const r = await runGGUF(page, '/norange/mixed-tiny.gguf', { backend: 'cpu', worker: false });
    checkGGUF(r, 'cpu');
    // The probe, then one whole download (the Cache API would answer a second load).
    assert.equal(served, 2, `${served} requests`);
    await page.context().close();
  });

  it('ranges are cached by version: a second load sends only the probe; a new ETag reads them again and drops the old ones', { timeout: TIMEOUT * 2 }, async () => {
    const page = await openURL(browser, URL);
    const body = await readFile(new globalThis.URL('../gguf/testdata/llamacpp/mixed-tiny.gguf', import.meta.url));
    let etag = '"v1"';
    let served = [];
    // A Range-capable server whose file version is etag.
    await page.route('**/versioned/mixed-tiny.gguf', (route) => {
      const range = route.request().headers().range || '';
      served.push(range || 'none');
      const m = /^bytes=(\d+)-(\d+)$/.exec(range);
      if (!m) return route.fulfill({ status: 200, body, headers: { etag, 'content-type': 'application/octet-stream' } });
      const a = Number(m[1]);
      const b = Math.min(Number(m[2]), body.length - 1);
      return route.fulfill({
        status: 206,
        body: body.subarray(a, b + 1),
        headers: { etag, 'content-range': `bytes ${a}-${b}/${body.length}`, 'content-type': 'application/octet-stream' },
      });
    });
    const url = '/versioned/mixed-tiny.gguf';
    const opts = { backend: 'cpu', worker: false };
    const first = await runGGUF(page, url, opts);
    checkGGUF(first, 'cpu');
    const firstRequests = served.length;
    assert.ok(firstRequests > 5 && served[0] === 'bytes=0-0', `first load: ${served}`);

    served = [];
    const second = await runGGUF(page, url, opts);
    checkGGUF(second, 'cpu');
    assert.deepEqual(served, ['bytes=0-0'], 'second load: only the probe goes to the server');
    assert.deepEqual(second.newIds, first.newIds);
    assert.equal(second.worst, first.worst, 'the same logits from cached ranges');
    assert.equal(second.progress.at(-1).loaded, body.length, 'progress counts cached ranges');

    etag = '"v2"';
    served = [];
    const third = await runGGUF(page, url, opts);
    checkGGUF(third, 'cpu');
    assert.equal(served.length, firstRequests, `a new version reads every range again: ${served}`);
    // The old version's ranges are deleted in the background.
    let versions = [];
    for (let i = 0; i < 50; i++) {
      versions = await page.evaluate(async () => {
        const cache = await caches.open('lamina-models-v1');
        return [...new Set((await cache.keys()).map((r) => new URL(r.url).searchParams.get('lamina-version')).filter(Boolean))];
      });
      if (versions.length === 1) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.deepEqual(versions, ['"v2"'], 'only the current version is cached');
    await page.context().close();
  });

  it('an unsupported tensor type fails with code unsupported, naming it', { timeout: TIMEOUT }, async () => {
    const page = await openURL(browser, URL);
    const body = Buffer.from(await readFile(new globalThis.URL('../gguf/testdata/llamacpp/mixed-tiny.gguf', import.meta.url)));
    const name = 'blk.0.ffn_down.weight';
    body[body.indexOf(name) + name.length + 4 + 16] = 6; // Q6_K → Q5_0
    await page.route('**/bad/mixed-tiny.gguf', (route) => route.fulfill({ status: 200, body }));
    const err = await page.evaluate(async () => {
      const { createRuntime } = await import('/lamina.mjs');
      const rt = await createRuntime({ backend: 'cpu', worker: false });
      try {
        await rt.loadModel('/bad/mixed-tiny.gguf');
        return null;
      } catch (e) {
        return { code: e.code, message: e.message };
      } finally {
        await rt.dispose();
      }
    });
    assert.ok(err, 'loadModel succeeded');
    assert.equal(err.code, 'unsupported', err.message);
    assert.match(err.message, /Q5_0/);
    assert.match(err.message, /blk\.0\.ffn_down\.weight/);
    await page.context().close();
  });
});

describe('quantized folder by URL', () => {
  for (const [backend, worker] of [['cpu', false], ['cpu', true], ['wasm-simd', false]]) {
    it(`${backend}, worker ${worker}: greedy ids equal the native CLI's`, { timeout: TIMEOUT }, async () => {
      const page = await openURL(browser, URL);
      const r = await page.evaluate(async (opts) => {
        const want = await (await fetch('/models/llama-tiny-q4/native.json')).json();
        const { createRuntime } = await import('/lamina.mjs');
        const rt = await createRuntime(opts);
        const lm = await rt.loadModel('/models/llama-tiny-q4/');
        const g = await lm.generate({ ids: [1, 2, 3], maxNewTokens: want.ids.length, eosTokenIds: [] });
        const out = { want: want.ids, got: Array.from(g.newIds) };
        await lm.dispose();
        await rt.dispose();
        return out;
      }, { backend, worker });
      assert.deepEqual(r.got, r.want);
      await page.context().close();
    });
  }
});
