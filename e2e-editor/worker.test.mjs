// Browser tests of model work off the page's thread: the editor (editor.html) and the
// <lamina-svg> widget draw in a Web Worker, so the page keeps running while the model
// samples. Run by e2e-editor/run.sh (e2e-editor/run.sh e2e-editor/worker.test.mjs runs only
// these). They draw with models/slow-svg, the trained layered-emoji model (seconds per
// drawing in wasm), so a run lasts long enough to measure the page during it and to cancel
// it part way.
//
// The page's responsiveness is measured two ways while a drawing runs: a 20 ms setInterval
// on the page (its longest gap between ticks bounds the longest main-thread task plus the
// timer's own slack) and, where Chromium has it, a PerformanceObserver for 'longtask'
// entries (tasks over 50 ms). The gaps are printed as '# …' lines.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { launch } from '../e2e/browser.mjs';

const URL = process.env.LAMINA_URL;
if (!URL) throw new Error('LAMINA_URL is not set: run e2e-editor/run.sh');
const OUT = process.env.LAMINA_E2E_OUT || '/tmp';
const TIMEOUT = 240_000;
const MODEL = 'models/slow-svg/';
// MAX_GAP is the longest gap between 20 ms timer ticks the test accepts. The goal is no
// task over 100 ms; the bound is looser so a loaded 2-core CI machine's scheduling slack
// does not fail it, yet it still fails the in-page model (1.2–2.3 s gaps measured with
// ?drawer=page on this machine). The measured gap is printed either way.
const MAX_GAP = 800;

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

async function openEditor(query = '') {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await ctx.newPage();
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(e));
  await page.goto(URL + 'editor.html?backend=cpu&model=' + MODEL + query);
  await page.evaluate(() => window.laminaEditor.ready);
  return page;
}

const state = (page) => page.evaluate(() => window.laminaEditor.state());
const idle = (page) => page.waitForFunction(() => !window.laminaEditor.state().busy, null, { timeout: TIMEOUT });

// presented waits until the canvas shows the current document, and a few frames more (the
// browser shows a changed canvas at its next frames).
async function presented(page) {
  await page.waitForFunction(() => { const s = window.laminaEditor.state(); return s.drawn === s.revision; }, null, { timeout: TIMEOUT });
  await page.evaluate(() => new Promise((r) => { let n = 6; const f = () => (--n ? requestAnimationFrame(f) : r()); requestAnimationFrame(f); }));
}

// watch starts recording on the page: timer gaps, long tasks, and what the controls show at
// each tick (the status line's "step k of n", Generate's label, which buttons are disabled,
// the revision the canvas shows). stopWatch returns the record.
function watch(page) {
  return page.evaluate(() => {
    const w = window.__watch = { gaps: [], long: [], statuses: new Set(), labels: new Set(), revisions: new Set(), estimates: new Set(), busyControls: [], t0: performance.now() };
    let last = performance.now();
    w.timer = setInterval(() => {
      const now = performance.now();
      // A gap counts as during the run when the run is still going at its end (the editor's
      // busy flag; the widget has none and counts every gap).
      const busy = window.laminaEditor ? !!window.laminaEditor.busy : true;
      w.gaps.push([now - last, busy]);
      if (busy) w.busyEnd = now;
      last = now;
      const s = window.laminaEditor?.state?.();
      if (s) {
        w.statuses.add(s.status);
        w.revisions.add(s.revision);
      }
      const est = document.getElementById('estimate');
      if (est && !est.hidden && est.getAttribute('src')) w.estimates.add(est.getAttribute('src'));
      const g = document.getElementById('generate');
      if (g) w.labels.add(g.textContent);
      if (window.laminaEditor?.busy) {
        const ids = ['generate', 'generate-options', 'regen-unlocked', 'recolor', 'add-layers', 'cancel'];
        w.busyControls.push(Object.fromEntries(ids.map((id) => [id, document.getElementById(id)?.disabled ?? null])));
      }
    }, 20);
    // The moment the last step shows ("step n of n"): from there on, the page takes the
    // finished drawing (parses it, builds the panels, draws it), and its tasks are the
    // finish's. (A MutationObserver runs in the task that changed the status line.)
    const status = document.querySelector('[data-testid=status]') || document.getElementById('status');
    if (status) {
      w.mutations = new MutationObserver(() => {
        const m = /step (\d+) of (\d+)/.exec(status.textContent);
        if (m && m[1] === m[2]) w.lastStep ??= performance.now();
      });
      w.mutations.observe(status, { childList: true, characterData: true, subtree: true });
    }
    if (PerformanceObserver.supportedEntryTypes?.includes('longtask')) {
      w.observer = new PerformanceObserver((l) => { for (const e of l.getEntries()) w.long.push([e.startTime, e.duration]); });
      w.observer.observe({ type: 'longtask' });
      w.hasLongTask = true;
    }
  });
}

function stopWatch(page) {
  return page.evaluate(() => {
    const w = window.__watch;
    clearInterval(w.timer);
    w.observer?.disconnect();
    w.mutations?.disconnect();
    const during = w.gaps.filter(([, b]) => b).map(([g]) => g);
    const end = w.busyEnd ?? Infinity;
    return {
      ms: (w.busyEnd ?? performance.now()) - w.t0, ticks: during.length, maxGap: Math.max(0, ...during),
      maxGapAll: Math.max(0, ...w.gaps.map(([g]) => g)),
      long: w.long.filter(([t]) => t < end).map(([, d]) => d), longAfter: w.long.filter(([t]) => t >= end).map(([, d]) => d), hasLongTask: !!w.hasLongTask, statuses: [...w.statuses], labels: [...w.labels],
      revisions: w.revisions.size, estimates: w.estimates.size, busyControls: w.busyControls,
      finish: w.lastStep === undefined ? null : w.long.filter(([t, d]) => t + d > w.lastStep).map(([, d]) => d),
    };
  });
}

// report prints the run's figures: during it (while busy), and after it (the editor's first
// drawing of the result: panels, thumbnails, the canvas at full resolution).
function report(name, r) {
  const longest = (l) => Math.round(Math.max(0, ...l));
  const lt = r.hasLongTask ? `${r.long.length} long tasks (> 50 ms), longest ${longest(r.long)} ms` : 'no longtask observer';
  const after = r.hasLongTask ? `; after it: longest gap ${Math.round(r.maxGapAll)} ms, ${r.longAfter.length} long tasks, longest ${longest(r.longAfter)} ms` +
    (r.finish ? `; from the last step to the drawing on screen: ${r.finish.length} long tasks, longest ${longest(r.finish)} ms` : '') : '';
  console.log(`# ${name}: during the run ${Math.round(r.ms)} ms, ${r.ticks} ticks of 20 ms, longest gap ${Math.round(r.maxGap)} ms, ${lt}${after}`);
}

async function setControls(page, { prompt = 'red heart', seed = 1, steps = 24 } = {}) {
  await page.getByTestId('prompt').fill(prompt);
  await page.fill('#seed', String(seed));
  await page.fill('#steps', String(steps));
}

describe('editor draws in a worker', { timeout: TIMEOUT * 3 }, () => {
  let page;
  before(async () => {
    page = await openEditor();
    const s = await state(page);
    assert.ok(s.modelLoaded, 'drawing model loaded: ' + s.status);
  });
  after(async () => { await page?.context().close(); });

  it('the page keeps running during a generation; progress, "Drawing…", disabled controls', async () => {
    const s0 = await state(page);
    await setControls(page, { steps: 24 });
    await watch(page);
    await page.getByTestId('generate').click();
    await page.waitForFunction(() => window.laminaEditor.busy, null, { timeout: 10_000 });
    await idle(page);
    await presented(page);
    const r = await stopWatch(page);
    report('editor generation (worker)', r);
    assert.equal(s0.drawer, 'worker', s0.status);
    assert.match(s0.status, /^Ready on CPU, in a worker\./);
    const s1 = await state(page);
    assert.match(s1.status, /^Drawing: \d+ layers in/, s1.status);
    const steps = r.statuses.map((s) => /step (\d+) of (\d+)/.exec(s)).filter(Boolean);
    assert.ok(new Set(steps.map((m) => m[1])).size >= 3, 'several steps shown: ' + r.statuses.join(' | '));
    assert.ok(steps.every((m) => m[2] === '24'), 'of 24 steps');
    assert.ok(r.statuses.some((s) => /about \d+ (s|min)/.test(s) && /left/.test(s)), 'a time estimate: ' + r.statuses.join(' | '));
    assert.ok(r.labels.includes('Drawing…'), 'Generate says Drawing…: ' + r.labels.join(' | '));
    // The intermediate drawing: each shown step's estimate lies over the artboard.
    assert.ok(r.estimates >= 3, `${r.estimates} estimates shown during the run`);
    assert.ok(await page.getByTestId('estimate').isHidden(), 'the estimate is gone at the end');
    assert.ok(r.busyControls.length > 0, 'busy seen');
    for (const c of r.busyControls) {
      assert.deepEqual(c, { generate: true, 'generate-options': true, 'regen-unlocked': true, recolor: true, 'add-layers': true, cancel: false });
    }
    assert.deepEqual(page.errors, []);
    // Last, so the checks above are made even on a machine too loaded to meet it.
    assert.ok(r.maxGap < MAX_GAP, `longest gap between 20 ms ticks: ${Math.round(r.maxGap)} ms`);
  });

  it('a second start while busy is refused without a page error', async () => {
    await setControls(page, { seed: 2, steps: 48 });
    await page.getByTestId('generate').click();
    await page.waitForFunction(() => window.laminaEditor.busy, null, { timeout: 10_000 });
    assert.ok(await page.getByTestId('generate').isDisabled(), 'Generate disabled while busy');
    // Enter in the prompt box is the other way to start: refused with a notice (read at once:
    // the next step's progress replaces it).
    const notice = await page.evaluate(() => {
      document.querySelector('[data-testid=prompt]').dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true, cancelable: true }));
      return window.laminaEditor.state().status;
    });
    assert.match(notice, /Still drawing/);
    // The script API rejects its own Promise instead.
    const api = await page.evaluate(() => window.laminaEditor.generate().then(() => 'resolved', (e) => e.message));
    assert.match(api, /model action is running/);
    await idle(page);
    assert.match((await state(page)).status, /^Drawing: \d+ layers in .*\(seed 2\)/);
    assert.deepEqual(page.errors, [], 'no uncaught error');
  });

  it('Cancel stops within a second; the drawing and the undo history stay as they were', async () => {
    const before = await page.evaluate(() => window.laminaEditor.getSVG());
    const s0 = await state(page);
    const undo0 = await page.getAttribute('#undo', 'title');
    await setControls(page, { seed: 3, steps: 256 });
    await page.getByTestId('generate').click();
    await page.waitForFunction(() => /step [3-9]\d* of 256|step \d\d+ of 256/.test(window.laminaEditor.state().status), null, { timeout: TIMEOUT });
    await page.screenshot({ path: join(OUT, 'worker-drawing.png') }); // the estimate over the artboard
    const ms = await page.evaluate(() => new Promise((resolve) => {
      document.querySelector('[data-testid=cancel]').click();
      const t0 = performance.now();
      const poll = setInterval(() => {
        if (!window.laminaEditor.busy) {
          clearInterval(poll);
          resolve(performance.now() - t0);
        }
      }, 5);
    }));
    console.log(`# cancel took ${Math.round(ms)} ms`);
    assert.ok(ms < 1000, `cancel took ${Math.round(ms)} ms`);
    const s1 = await state(page);
    assert.match(s1.status, /cancelled/, s1.status);
    assert.equal(await page.evaluate(() => window.laminaEditor.getSVG()), before, 'drawing unchanged');
    assert.equal(s1.canUndo, s0.canUndo);
    assert.equal(await page.getAttribute('#undo', 'title'), undo0, 'no new undo step');
    assert.ok(await page.getByTestId('cancel').isHidden(), 'Cancel hidden again');
    // The worker is free: the next drawing is one undo step back to the old one.
    await setControls(page, { seed: 4, steps: 4 });
    await page.getByTestId('generate').click();
    await page.waitForFunction(() => window.laminaEditor.busy, null, { timeout: 10_000 }).catch(() => {});
    await idle(page);
    assert.match((await state(page)).status, /\(seed 4\)/);
    assert.notEqual(await page.evaluate(() => window.laminaEditor.getSVG()), before);
    await page.click('#undo');
    assert.equal(await page.evaluate(() => window.laminaEditor.getSVG()), before, 'one undo step restores the drawing');
    assert.deepEqual(page.errors, []);
  });

  it('recolor and add layers run in the worker and keep the layer count rules', async () => {
    const n0 = (await state(page)).layers;
    await setControls(page, { seed: 5, steps: 8 });
    await page.click('#recolor');
    await idle(page);
    let s = await state(page);
    assert.match(s.status, /^Recoloring: \d+ layers/, s.status);
    assert.equal(s.layers, n0);
    await page.fill('#add-count', '2');
    await page.click('#add-layers');
    await idle(page);
    s = await state(page);
    assert.match(s.status, /^Adding layers: \d+ layers/, s.status);
    assert.ok(s.layers >= n0, `${s.layers} layers after adding to ${n0}`);
    assert.deepEqual(page.errors, []);
  });
});

describe('editor drawing on the page (?drawer=page), for comparison', { timeout: TIMEOUT }, () => {
  it('measures the page during an in-page generation', async () => {
    const page = await openEditor('&drawer=page');
    const s0 = await state(page);
    await setControls(page, { steps: 24 });
    await watch(page);
    await page.getByTestId('generate').click();
    await page.waitForFunction(() => window.laminaEditor.state().busy, null, { timeout: 10_000 }).catch(() => {});
    await idle(page);
    report('editor generation (in page)', await stopWatch(page));
    assert.equal(s0.drawer, 'page');
    assert.match((await state(page)).status, /^Drawing: \d+ layers in/);
    assert.deepEqual(page.errors, []);
    await page.context().close();
  });
});

describe('<lamina-svg> draws in a worker', { timeout: TIMEOUT }, () => {
  it('the host page keeps running while the widget draws; it shows step k of n as it forms', async () => {
    const ctx = await browser.newContext({ viewport: { width: 800, height: 600 } });
    const page = await ctx.newPage();
    page.errors = [];
    page.on('pageerror', (e) => page.errors.push(e));
    // A bare host page on the site's origin, with one widget and nothing else.
    await page.route(URL + 'widget-host.html', (route) => route.fulfill({
      contentType: 'text/html',
      body: '<!doctype html><meta charset="utf-8"><title>host</title><script type="module" src="lamina-widget.js"></script><p>host page</p><div id="slot"></div>',
    }));
    await page.goto(URL + 'widget-host.html');
    await watch(page);
    const res = await page.evaluate((model) => new Promise((resolve, reject) => {
      const el = document.createElement('lamina-svg');
      const steps = [];
      let firstStep = 0;
      el.addEventListener('lamina-step', (e) => {
        if (!firstStep) {
          firstStep = performance.now();
          // From here on: the drawing itself (not the runtime's start and the model's load).
          Object.assign(window.__watch, { t0: firstStep, gaps: [], long: [] });
        }
        steps.push(`${e.detail.step}/${e.detail.steps} ${el.getAttribute('data-step')} ${el.querySelectorAll('path').length}`);
      });
      el.addEventListener('lamina-load', () => resolve({ steps, ms: performance.now() - firstStep, paths: el.querySelectorAll('path').length }));
      el.addEventListener('lamina-error', (e) => reject(new Error(e.detail.error.message)));
      Object.entries({ prompt: 'red heart', seed: '1', steps: '24', backend: 'cpu', model }).forEach(([k, v]) => el.setAttribute(k, v));
      document.getElementById('slot').appendChild(el);
    }), URL + MODEL);
    const r = await stopWatch(page);
    report('widget generation (from its first step)', r);
    assert.ok(r.maxGap < MAX_GAP, `longest gap between 20 ms ticks: ${Math.round(r.maxGap)} ms`);
    assert.ok(res.steps.length >= 3, 'step events: ' + res.steps.join(', '));
    assert.ok(res.steps.every((s) => /^(\d+)\/24 \1\/24 \d+$/.test(s)), 'data-step is k/n: ' + res.steps.join(', '));
    assert.ok(res.paths > 0, 'the finished drawing is shown');
    assert.equal(await page.locator('lamina-svg').getAttribute('data-step'), null);
    assert.deepEqual(page.errors, []);
    await ctx.close();
  });
});
