// End-to-end tests of the layered-SVG diffusion model through site/lamina.mjs
// (rt.loadSVGModel → m.generate / m.edit) in headless Chromium, against the
// native CLI: e2e/run.sh serves svgmodel's tiny model at
// /models/layered-emoji-tiny/ with native-*.svg, what `lamina svg generate`
// and `lamina svg edit` draw for the same options.
//
// LAMINA_E2E_WEBGPU=pending skips the WebGPU suite (reported as skipped);
// LAMINA_E2E_BACKENDS=cpu runs only the CPU suites.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, openPage as openURL } from './browser.mjs';

const URL = process.env.LAMINA_URL;
if (!URL) throw new Error('LAMINA_URL is not set: run e2e/run.sh');
const WEBGPU_PENDING = process.env.LAMINA_E2E_WEBGPU === 'pending'
  ? 'PENDING: WebGPU backend cases not run (LAMINA_E2E_WEBGPU=pending)'
  : false;
const TIMEOUT = 180_000;
const MODEL = '/models/layered-emoji-tiny/';

// The browser's CPU path is the pure-Go kernels; the native CLI runs amd64
// assembly that sums in another order, so the drawings may differ in float32
// rounding. vector.WriteSVG prints coordinates to 3 decimals: allow two units
// there, and one step of an 8-bit color channel (a value on a rounding
// boundary can flip). Structure (element count, ids, attributes) must match.
const COORD_TOL = 2e-3;
const COLOR_TOL = 1;
// The WebGPU backend (f32 WGSL kernels, another summation order again) has
// stayed within the same bounds on SwiftShader.

// The native cases of run.sh. SwiftShader takes ~3 s per step of the tiny
// model, so the WebGPU suites skip the 24-step (default options) case.
const CASES = [
  { name: 'heart-7', opts: { prompt: 'red heart', seed: 7 }, steps: 24, cpuOnly: true },
  { name: 'cat-3-s6', opts: { prompt: 'grinning cat', seed: 3, steps: 6, cfg: 2 }, steps: 6 },
];
const EDIT = { name: 'heart-7-edit', base: 'heart-7', opts: { keep: [0, 2], prompt: 'blue star', seed: 11, steps: 8 } };

// m.generate({ n: 4 }) and a variation, against run.sh's single-seed CLI runs.
const CANDIDATE_FILES = [{ name: 'heart-8' }, { name: 'heart-10' }, { name: 'heart-7-vary' }];

const TOKEN_RE = /#[0-9a-fA-F]{6}|-?[0-9]+(?:\.[0-9]+)?(?:[eE]-?[0-9]+)?/g;

// sameDrawing compares two SVG texts: identical apart from numbers within
// coordTol and #rrggbb colors within colorTol per channel. It returns null
// or what differs first, and the largest number difference seen.
function sameDrawing(a, b, coordTol = COORD_TOL, colorTol = COLOR_TOL) {
  const ta = [...a.matchAll(TOKEN_RE)];
  const tb = [...b.matchAll(TOKEN_RE)];
  if (ta.length !== tb.length) return { err: `${ta.length} numbers vs ${tb.length}` };
  let pa = 0;
  let pb = 0;
  let maxDiff = 0;
  for (let i = 0; i < ta.length; i++) {
    const sa = a.slice(pa, ta[i].index);
    const sb = b.slice(pb, tb[i].index);
    if (sa !== sb) return { err: `text before number ${i} differs: ${JSON.stringify(sa)} vs ${JSON.stringify(sb)}` };
    const x = ta[i][0];
    const y = tb[i][0];
    pa = ta[i].index + x.length;
    pb = tb[i].index + y.length;
    if (x.startsWith('#') !== y.startsWith('#')) return { err: `token ${i}: ${x} vs ${y}` };
    if (x.startsWith('#')) {
      for (let c = 1; c < 7; c += 2) {
        if (Math.abs(parseInt(x.slice(c, c + 2), 16) - parseInt(y.slice(c, c + 2), 16)) > colorTol) return { err: `color ${i}: ${x} vs ${y}` };
      }
    } else {
      const d = Math.abs(Number(x) - Number(y));
      maxDiff = Math.max(maxDiff, d);
      if (d > coordTol) return { err: `number ${i}: ${x} vs ${y}`, maxDiff };
    }
  }
  if (a.slice(pa) !== b.slice(pb)) return { err: 'text after the last number differs' };
  return { err: null, maxDiff };
}

const paths = (svg) => svg.match(/<path[^>]*>/g) || [];

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

const openPage = () => openURL(browser, URL);

// inspect parses an SVG with the browser's DOMParser: parse errors, and per
// <path> its id and fill, to check against result.layers.
function inspect(page, svg) {
  return page.evaluate((svg) => {
    const doc = new DOMParser().parseFromString(svg, 'image/svg+xml');
    const err = doc.querySelector('parsererror');
    return {
      error: err ? err.textContent : null,
      root: doc.documentElement.localName,
      paths: [...doc.querySelectorAll('path')].map((p) => ({ id: p.getAttribute('id'), fill: p.getAttribute('fill'), d: p.getAttribute('d') })),
    };
  }, svg);
}

function svgSuite(backend, worker) {
  describe(`layered SVG model: backend ${backend}, worker ${worker}`, { skip: backend === 'webgpu' && WEBGPU_PENDING, timeout: TIMEOUT * 4 }, () => {
    let page;
    let native;
    before(async () => {
      page = await openPage();
      native = {};
      for (const c of [...CASES, EDIT, ...CANDIDATE_FILES]) {
        const r = await fetch(new globalThis.URL(`${MODEL}native-${c.name}.svg`, URL));
        assert.equal(r.status, 200, `native-${c.name}.svg (made by e2e/run.sh)`);
        native[c.name] = await r.text();
      }
      const got = await page.evaluate(async ({ backend, worker, model }) => {
        const { createRuntime } = await import('/lamina.mjs');
        window.__rt = await createRuntime({ backend, worker });
        const progress = [];
        window.__m = await window.__rt.loadSVGModel(model, { onProgress: (p) => progress.push(p.file) });
        return { rt: window.__rt.backend, m: window.__m.backend, info: window.__m.info, files: [...new Set(progress)].sort() };
      }, { backend, worker, model: MODEL });
      assert.equal(got.rt, backend, 'rt.backend');
      assert.ok(['cpu', 'wasm-simd', 'webgpu'].includes(got.m), `m.backend ${got.m}`);
      if (backend !== 'webgpu') assert.equal(got.m, backend, 'on a CPU runtime the SVG model runs on that CPU backend');
      assert.equal(got.info.slots, 48, 'info.slots');
      assert.deepEqual(got.files, ['config.json', 'model.safetensors'], 'onProgress files');
    });
    after(async () => {
      await page?.evaluate(async () => {
        await window.__m?.dispose();
        await window.__rt?.dispose();
      });
      assert.deepEqual(page?.errors ?? [], [], 'uncaught page errors');
      await page?.context().close();
    });

    const gen = (opts) => page.evaluate(async (opts) => {
      const steps = [];
      const t0 = performance.now();
      const r = await window.__m.generate({ ...opts, onStep: (s) => steps.push(s) });
      return { ...r, steps, ms: performance.now() - t0, backend: window.__m.backend };
    }, opts);

    for (const c of CASES.filter((c) => backend === 'cpu' || !c.cpuOnly)) {
      it(`generate ${JSON.stringify(c.opts)}: a valid SVG, layers match, onStep ${c.steps}×, equals the native CLI's`, { timeout: TIMEOUT }, async () => {
        const r = await gen(c.opts);
        assert.equal(typeof r.svg, 'string');
        const doc = await inspect(page, r.svg);
        assert.equal(doc.error, null, 'DOMParser parse error');
        assert.equal(doc.root, 'svg');
        assert.ok(r.layers.length > 0, 'at least one layer');
        assert.equal(doc.paths.length, r.layers.length, '<path> count = layers.length');
        r.layers.forEach((l, i) => {
          assert.equal(l.index, i, `layers[${i}].index`);
          assert.equal(doc.paths[i].id, l.id, `path ${i} id`);
          assert.equal(doc.paths[i].fill, l.fill, `path ${i} fill`);
        });
        // onStep: once per step, 1..steps, each an SVG that parses.
        assert.deepEqual(r.steps.map((s) => s.step), Array.from({ length: c.steps }, (_, i) => i + 1), 'onStep step numbers');
        assert.ok(r.steps.every((s) => s.steps === c.steps), 'onStep steps');
        for (const s of [r.steps[0], r.steps.at(-1)]) {
          assert.equal(typeof s.svg, 'string');
          const d = await inspect(page, s.svg);
          assert.equal(d.error, null, `step ${s.step} SVG parse error`);
        }
        assert.notEqual(r.steps[0].svg, r.svg, 'the first estimate is not already the result');
        // Against the native CLI.
        const want = native[c.name];
        const exact = r.svg === want;
        const cmp = sameDrawing(r.svg, want);
        console.log(`# ${backend}/worker ${worker} ${c.name}: ${exact ? 'byte-identical to' : `max number difference ${cmp.maxDiff} from`} the native CLI; ${r.ms.toFixed(0)} ms for ${c.steps} steps on ${r.backend}`);
        assert.equal(cmp.err, null, `differs from \`lamina svg generate\`: ${cmp.err}`);
      });
    }

    it('same seed → the same SVG; another seed → another', { timeout: TIMEOUT }, async () => {
      const r = await page.evaluate(async () => {
        const m = window.__m;
        const a = await m.generate({ prompt: 'sun with face', seed: 42, steps: 3 });
        const b = await m.generate({ prompt: 'sun with face', seed: 42, steps: 3 });
        const c = await m.generate({ prompt: 'sun with face', seed: 43, steps: 3 });
        return { a: a.svg, b: b.svg, c: c.svg, la: a.layers, lb: b.layers };
      });
      assert.equal(r.a, r.b, 'same options, same SVG');
      assert.deepEqual(r.la, r.lb, 'same layers');
      assert.notEqual(r.a, r.c, 'seed 43 draws something else');
    });

    it('generate n: 4 gives four candidates; candidate i is the run with seed + i (the native CLI\'s for seeds 7, 8, 10); edit strength makes a variation', { timeout: TIMEOUT * 2, skip: backend !== 'cpu' && 'the 24-step candidates are CPU-only (SwiftShader is slow)' }, async () => {
      const r = await page.evaluate(async () => {
        const m = window.__m;
        const steps = [];
        const t0 = performance.now();
        const cands = await m.generate({ prompt: 'red heart', seed: 7, n: 4, onStep: (s) => steps.push(s.step) });
        const ms = performance.now() - t0;
        const one = await m.generate({ prompt: 'red heart', seed: 9 });
        const single = await m.generate({ prompt: 'red heart', seed: 7, n: 1 });
        return { isArray: Array.isArray(cands), cands, ms, steps: steps.length, one: one.svg, single };
      });
      assert.ok(r.isArray, 'n gives an array');
      assert.equal(r.cands.length, 4);
      assert.deepEqual(r.cands.map((c) => c.seed), [7, 8, 9, 10], 'candidate seeds');
      assert.equal(r.steps, 24, 'onStep once per step for all candidates');
      assert.equal(new Set(r.cands.map((c) => c.svg)).size, 4, 'four different drawings');
      assert.equal(r.cands[2].svg, r.one, 'candidate 2 is byte-identical to the seed-9 run in the same browser');
      assert.equal(r.single.length, 1);
      assert.equal(r.single[0].svg, r.cands[0].svg, 'n: 1 is candidate 0');
      for (const [i, name] of [[0, 'heart-7'], [1, 'heart-8'], [3, 'heart-10']]) {
        const doc = await inspect(page, r.cands[i].svg);
        assert.equal(doc.paths.length, r.cands[i].layers.length, `candidate ${i}: <path> count = layers.length`);
        const cmp = sameDrawing(r.cands[i].svg, native[name]);
        assert.equal(cmp.err, null, `candidate ${i} differs from \`lamina svg generate --seed ${7 + i}\`: ${cmp.err}`);
      }
      console.log(`# ${backend}/worker ${worker}: 4 candidates × 24 steps in ${r.ms.toFixed(0)} ms`);

      const v = await page.evaluate(async (svg) => {
        const m = window.__m;
        const half = await m.edit({ svg, strength: 0.5, prompt: 'blue star', seed: 11, steps: 8 });
        const full = await m.edit({ svg, strength: 1, prompt: 'blue star', seed: 11, steps: 8 });
        const gen = await m.generate({ prompt: 'blue star', seed: 11, steps: 8 });
        const zero = await m.edit({ svg, strength: 0, prompt: 'blue star', seed: 11, steps: 8 });
        const two = await m.edit({ svg, strength: 0.5, prompt: 'blue star', seed: 11, steps: 8, n: 2 });
        const code = async (f) => { try { await f(); return 'resolved'; } catch (e) { return e.code || e.name; } };
        return {
          half: half.svg, full: full.svg, gen: gen.svg, zero: zero.svg, two: two.map((c) => c.svg),
          badN: await code(() => m.generate({ n: 0 })),
          bigN: await code(() => m.generate({ n: 17 })),
          badStrength: await code(() => m.edit({ svg, strength: 2 })),
          strengthKeep: await code(() => m.edit({ svg, strength: 0.5, keep: [0] })),
          editN: await code(() => m.edit({ svg, keep: [0], n: 2 })),
        };
      }, native['heart-7']);
      const cmp = sameDrawing(v.half, native['heart-7-vary']);
      assert.equal(cmp.err, null, `strength 0.5 differs from \`lamina svg edit --strength 0.5\`: ${cmp.err}`);
      assert.equal(v.full, v.gen, 'strength 1 is generate with the same seed');
      assert.notEqual(v.half, v.gen);
      assert.equal(v.two[0], v.half, 'variation candidate 0 is the single variation');
      assert.notEqual(v.two[1], v.two[0]);
      const z = await inspect(page, v.zero);
      const src = await inspect(page, native['heart-7']);
      assert.deepEqual(z.paths, src.paths, 'strength 0 gives the drawing back');
      for (const k of ['badN', 'bigN', 'badStrength', 'strengthKeep', 'editN']) assert.equal(v[k], 'bad-input', k);
    });

    it('edit keeps the kept layers byte-identical and equals `lamina svg edit`', { timeout: TIMEOUT }, async () => {
      const base = native[EDIT.base];
      const r = await page.evaluate(async ({ svg, opts }) => {
        const steps = [];
        const out = await window.__m.edit({ svg, ...opts, onStep: (s) => steps.push(s.step) });
        return { ...out, steps };
      }, { svg: base, opts: EDIT.opts });
      const before = paths(base);
      const got = paths(r.svg);
      assert.equal(got.length, r.layers.length, '<path> count = layers.length');
      const kept = r.layers.filter((l) => l.kept).map((l) => l.index);
      assert.equal(kept.length, EDIT.opts.keep.length, `layers marked kept: ${kept}`);
      // Kept layers are the input's <path> elements, unchanged, in paint order.
      const keptPaths = kept.map((i) => got[i]);
      assert.deepEqual(keptPaths, EDIT.opts.keep.map((i) => before[i]), 'kept <path> elements identical to the input\'s');
      assert.deepEqual(r.steps, Array.from({ length: EDIT.opts.steps }, (_, i) => i + 1), 'onStep steps');
      const cmp = sameDrawing(r.svg, native[EDIT.name]);
      console.log(`# ${backend}/worker ${worker} edit: ${r.svg === native[EDIT.name] ? 'byte-identical to' : `max number difference ${cmp.maxDiff} from`} the native CLI`);
      assert.equal(cmp.err, null, `differs from \`lamina svg edit\`: ${cmp.err}`);
    });

    it('recolor keeps every layer\'s geometry; add puts new layers on top', { timeout: TIMEOUT }, async () => {
      const base = native['cat-3-s6'];
      const r = await page.evaluate(async (svg) => {
        const m = window.__m;
        const rec = await m.edit({ svg, recolor: true, prompt: 'green', seed: 5, steps: 3 });
        const add = await m.edit({ svg, add: 2, prompt: 'hat', seed: 5, steps: 3 });
        return { rec: rec.svg, add: add.svg, addLayers: add.layers };
      }, base);
      const d = (svg) => paths(svg).map((p) => p.match(/ d="([^"]*)"/)[1]);
      assert.deepEqual(d(r.rec), d(base), 'recolor: path geometry unchanged');
      assert.ok(paths(r.add).length <= paths(base).length + 2 && paths(r.add).length >= paths(base).length, `add: ${paths(r.add).length} paths from ${paths(base).length}`);
      assert.deepEqual(paths(r.add).slice(0, paths(base).length), paths(base), 'add: the existing layers stay, below the new ones');
    });

    it('an edit of a drawing with a clip path and an evenodd fill starts lamina-booleans.wasm and equals `lamina svg edit`', { timeout: TIMEOUT }, async () => {
      const input = await (await fetch(new globalThis.URL(`${MODEL}input-clip-evenodd.svg`, URL))).text();
      const want = await (await fetch(new globalThis.URL(`${MODEL}native-clip-evenodd-recolor.svg`, URL))).text();
      const r = await page.evaluate(async (svg) => {
        const out = await window.__m.edit({ svg, recolor: true, prompt: 'green', seed: 5, steps: 3 });
        const fetched = performance.getEntriesByType('resource').map((e) => new globalThis.URL(e.name).pathname);
        return { svg: out.svg, fetched };
      }, input);
      // The clip and the evenodd hole are applied: two layers, the rect cut to the circle.
      assert.equal(paths(r.svg).length, 2, `layers: ${r.svg}`);
      const cmp = sameDrawing(r.svg, want);
      assert.equal(cmp.err, null, `differs from \`lamina svg edit\`: ${cmp.err}`);
      // The page's own resource list only sees its realm's fetches (a worker fetches its own).
      if (!worker) assert.ok(r.fetched.includes('/lamina-booleans.wasm'), `lamina-booleans.wasm fetched: ${r.fetched}`);
    });

    it('signal aborts with an AbortError; an exception in onStep rejects with it; bad options reject', { timeout: TIMEOUT }, async () => {
      const r = await page.evaluate(async () => {
        const m = window.__m;
        const out = {};
        const ac = new AbortController();
        let n = 0;
        try {
          await m.generate({ prompt: 'x', steps: 20, signal: ac.signal, onStep: () => { if (++n === 3) ac.abort(); } });
          out.abort = 'resolved';
        } catch (e) {
          out.abort = e.name;
        }
        out.stepsBeforeAbort = n;
        try {
          await m.generate({ prompt: 'x', steps: 3, onStep: () => { throw new Error('boom'); } });
          out.thrown = 'resolved';
        } catch (e) {
          out.thrown = e.message;
        }
        const code = async (f) => { try { await f(); return 'resolved'; } catch (e) { return e.code || e.name; } };
        out.badSteps = await code(() => m.generate({ steps: 0 }));
        out.badSeed = await code(() => m.generate({ seed: -1 }));
        out.badSVG = await code(() => m.edit({ svg: 'not an svg', keep: [0] }));
        out.noSVG = await code(() => m.edit({ keep: [0] }));
        out.badKeep = await code(() => m.edit({ svg: '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 36 36"><path d="M1 1L9 1L9 9Z" fill="#ff0000"/></svg>', keep: [3] }));
        out.notAModel = await code(() => window.__rt.loadSVGModel('/models/nothing-here/'));
        // Still usable after all that.
        out.after = (await m.generate({ prompt: 'ok', steps: 2 })).layers.length >= 0;
        return out;
      });
      assert.equal(r.abort, 'AbortError');
      assert.ok(r.stepsBeforeAbort >= 3 && r.stepsBeforeAbort < 20, `steps run before the abort took: ${r.stepsBeforeAbort}`);
      assert.equal(r.thrown, 'boom');
      assert.equal(r.badSteps, 'bad-input');
      assert.equal(r.badSeed, 'bad-input');
      assert.equal(r.badSVG, 'bad-input');
      assert.equal(r.noSVG, 'bad-input');
      assert.equal(r.badKeep, 'bad-input');
      assert.equal(r.notAModel, 'not-a-model');
      assert.ok(r.after);
    });

    it('loadSVGModelFromFiles with backend \'cpu\' draws what loadSVGModel does; dispose: later calls reject with code disposed', { timeout: TIMEOUT }, async () => {
      const r = await page.evaluate(async (model) => {
        const bytes = async (f) => new Uint8Array(await (await fetch(model + f)).arrayBuffer());
        const files = { 'config.json': await bytes('config.json'), 'model.safetensors': await bytes('model.safetensors') };
        const m = await window.__rt.loadSVGModelFromFiles(files, { backend: 'cpu' });
        const opts = { prompt: 'rocket', seed: 4, steps: 2 };
        const a = await m.generate(opts);
        const b = await window.__m.generate(opts);
        const backend = m.backend;
        await m.dispose();
        let after;
        try {
          await m.generate({ prompt: 'x' });
          after = 'resolved';
        } catch (e) {
          after = e.code;
        }
        let badBackend;
        try {
          await window.__rt.loadSVGModelFromFiles(files, { backend: 'webgpu' });
          badBackend = 'resolved';
        } catch (e) {
          badBackend = e.code;
        }
        return { a: a.svg, b: b.svg, backend, after, badBackend };
      }, MODEL);
      assert.equal(r.backend, 'cpu', 'backend: \'cpu\' runs on the CPU');
      const cmp = sameDrawing(r.a, r.b);
      assert.equal(cmp.err, null, `from files on the CPU vs loadSVGModel on ${backend}: ${cmp.err}`);
      if (backend === 'cpu') assert.equal(r.a, r.b, 'same backend, same SVG');
      assert.equal(r.after, 'disposed');
      assert.equal(r.badBackend, 'bad-input');
    });
  });
}

const BACKENDS = process.env.LAMINA_E2E_BACKENDS === 'cpu' ? ['cpu'] : ['cpu', 'wasm-simd', 'webgpu'];
for (const backend of BACKENDS) {
  svgSuite(backend, false);
  if (backend !== 'wasm-simd') svgSuite(backend, true); // the worker path is cpu's
}
