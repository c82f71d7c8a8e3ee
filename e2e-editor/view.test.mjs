// Browser tests of the editor's view and session (issue 15): zoom about the cursor, the zoom
// keys and bar, wheel panning, shapes beyond the artboard, Select all keeping its handles
// reachable, editing while zoomed, the phone layout's folding sheet, reload restoring the
// prompt, seed and undo history, status expiry, layer names and thumbnails; and the site
// around it: widget ids, the embedded editor's controls, the index page and the favicon.
// Run by e2e-editor/run.sh (LAMINA_URL, LAMINA_E2E_OUT). No model runs here except the
// widget's: documents are loaded as SVG, so the tests are quick and exact.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { launch } from '../e2e/browser.mjs';

const URL = process.env.LAMINA_URL;
if (!URL) throw new Error('LAMINA_URL is not set: run e2e-editor/run.sh');
const OUT = process.env.LAMINA_E2E_OUT || '/tmp';
const TIMEOUT = 240_000;

// SHAPES is ui/testdata/shapes.svg: a blue rect (4,4)-(20,16), a red circle at (22,20) r 9
// and a green triangle, in a 36-unit artboard.
const SHAPES = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 36 36">' +
  '<rect x="4" y="4" width="16" height="12" fill="#3b82f6"/><circle cx="22" cy="20" r="9" fill="#ef4444"/>' +
  '<path d="M6 32 L14 20 L22 32 Z" fill="#22c55e" fill-opacity="0.8"/></svg>';
// BEYOND has a bar from x 20 to 80: most of it past the artboard's right edge.
const BEYOND = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 36 36">' +
  '<circle cx="10" cy="18" r="5" fill="#ef4444"/><rect x="20" y="14" width="60" height="8" fill="#2563eb"/></svg>';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

async function openEditor(viewport = { width: 1280, height: 800 }, extra = {}) {
  const ctx = await browser.newContext({ viewport, ...extra });
  const page = await ctx.newPage();
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(e));
  await page.goto(URL + 'editor.html');
  await page.evaluate(() => window.laminaEditor.ready);
  return page;
}

const state = (page) => page.evaluate(() => window.laminaEditor.state());
const getSVG = (page) => page.evaluate(() => window.laminaEditor.getSVG());
const load = (page, svg) => page.evaluate((svg) => window.laminaEditor.loadSVG(svg), svg);
const layerPoint = (page, i) => page.evaluate((i) => window.laminaEditor.layerPoint(i), i);
const zoomText = (page) => page.getByTestId('zoom-level').textContent();

// presented waits until the canvas shows the current document and camera.
async function presented(page) {
  await page.waitForFunction(() => { const s = window.laminaEditor.state(); return s.drawn === s.revision; }, null, { timeout: TIMEOUT });
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => requestAnimationFrame(r)))));
}

// pixel reads one CSS pixel of a page screenshot.
async function pixel(page, x, y) {
  const png = await page.screenshot({ clip: { x, y, width: 1, height: 1 } });
  return page.evaluate(async (b64) => {
    const img = await createImageBitmap(await (await fetch('data:image/png;base64,' + b64)).blob());
    const c = new OffscreenCanvas(img.width, img.height);
    const g = c.getContext('2d');
    g.drawImage(img, 0, 0);
    return [...g.getImageData(0, 0, 1, 1).data];
  }, png.toString('base64'));
}

const close = (a, b, tol) => Math.abs(a - b) <= tol;

describe('editor view: zoom and pan', { timeout: TIMEOUT * 2 }, () => {
  let page;
  before(async () => { page = await openEditor(); });
  after(async () => { await page.context().close(); });

  it('Ctrl+wheel zooms about the pointer; the wheel pans; the page itself does not zoom', async () => {
    await load(page, SHAPES);
    await presented(page);
    assert.equal(await zoomText(page), '100%');
    const p = await layerPoint(page, 1); // a point of the circle
    await page.mouse.move(p.x, p.y);
    await page.keyboard.down('Control');
    await page.mouse.wheel(0, -200);
    await page.keyboard.up('Control');
    await page.waitForFunction(() => window.laminaEditor.state().zoom > 1.01, null, { timeout: 10_000 });
    const z = (await state(page)).zoom;
    // A factor of e per 500 px of wheel: 200 px is e^0.4.
    assert.ok(close(z, Math.exp(0.4), 0.005), `zoom ${z}, want ${Math.exp(0.4)}`);
    assert.equal(await zoomText(page), Math.round(Math.exp(0.4) * 100) + '%');
    const q = await layerPoint(page, 1);
    assert.ok(close(q.x, p.x, 1.5) && close(q.y, p.y, 1.5), `the point under the pointer stays: ${JSON.stringify(p)} → ${JSON.stringify(q)}`);
    assert.equal(await page.evaluate(() => window.visualViewport.scale), 1, 'the browser did not zoom the page');
    // The wheel alone scrolls: the drawing moves up by the wheel's 100 px.
    await page.mouse.wheel(0, 100);
    await page.waitForFunction((y) => Math.abs(window.laminaEditor.layerPoint(1).y - (y - 100)) < 1.5, q.y, { timeout: 10_000 })
      .catch(() => {});
    const r = await layerPoint(page, 1);
    assert.ok(close(r.y, q.y - 100, 1.5) && close(r.x, q.x, 1.5), `wheel pan: ${JSON.stringify(q)} → ${JSON.stringify(r)}`);
  });

  it('Ctrl+0 fits, Ctrl+= / Ctrl+- step, the zoom bar does the same', async () => {
    await page.mouse.move(640, 795); // over the status bar: key zooms center on the stage
    await page.keyboard.press('Control+0');
    await page.waitForFunction(() => Math.abs(window.laminaEditor.state().zoom - 1) < 1e-6, null, { timeout: 10_000 });
    assert.equal(await zoomText(page), '100%', 'fit of a drawing inside its artboard is 100 %');
    await page.keyboard.press('Control+=');
    await page.waitForFunction(() => Math.abs(window.laminaEditor.state().zoom - 1.5) < 1e-6, null, { timeout: 10_000 });
    await page.keyboard.press('Control+=');
    await page.waitForFunction(() => Math.abs(window.laminaEditor.state().zoom - 2) < 1e-6, null, { timeout: 10_000 });
    assert.equal(await zoomText(page), '200%');
    await page.keyboard.press('Control+-');
    await page.waitForFunction(() => Math.abs(window.laminaEditor.state().zoom - 1.5) < 1e-6, null, { timeout: 10_000 });
    await page.getByTestId('zoom-out').click();
    await page.waitForFunction(() => Math.abs(window.laminaEditor.state().zoom - 1) < 1e-6, null, { timeout: 10_000 });
    await page.getByTestId('zoom-in').click();
    await page.waitForFunction(() => Math.abs(window.laminaEditor.state().zoom - 1.5) < 1e-6, null, { timeout: 10_000 });
    assert.equal(await zoomText(page), '150%');
    await page.getByTestId('zoom-fit').click();
    await page.waitForFunction(() => Math.abs(window.laminaEditor.state().zoom - 1) < 1e-6, null, { timeout: 10_000 });
    // The keys still reach the canvas after the bar's buttons.
    await page.keyboard.press('Control+=');
    await page.waitForFunction(() => Math.abs(window.laminaEditor.state().zoom - 1.5) < 1e-6, null, { timeout: 10_000 });
    await page.keyboard.press('Control+0');
  });

  it('zoomed in, a drag moves the shape by the screen distance over the zoom', async () => {
    await load(page, SHAPES);
    await page.keyboard.press('Control+0');
    const p = await layerPoint(page, 1);
    await page.mouse.move(p.x, p.y);
    for (let k = 0; k < 3; k++) await page.keyboard.press('Control+='); // 150, 200, 300 %
    await page.waitForFunction(() => Math.abs(window.laminaEditor.state().zoom - 3) < 1e-6, null, { timeout: 10_000 });
    const a = await layerPoint(page, 1);
    await page.mouse.click(a.x, a.y);
    await page.waitForFunction(() => window.laminaEditor.state().selected[0] === 1, null, { timeout: 10_000 });
    await page.mouse.down();
    await page.mouse.move(a.x + 30, a.y, { steps: 3 });
    await page.mouse.move(a.x + 60, a.y, { steps: 3 });
    await page.mouse.up();
    // At 100 % the artboard is the stage's shorter side less 2×32 px over 36 units.
    const st = await page.evaluate(() => { const r = document.getElementById('stage').getBoundingClientRect(); return { w: r.width, h: r.height }; });
    const k = 3 * (Math.min(st.w, st.h) - 64) / 36;
    const m = (await getSVG(page)).split('\n').filter((l) => l.startsWith('<path'))[1].match(/transform="matrix\(1 0 0 1 (\S+) (\S+)\)"/);
    assert.ok(m, 'the circle moved');
    assert.ok(close(Number(m[1]), 60 / k, 0.05) && close(Number(m[2]), 0, 0.05), `moved by (${m[1]}, ${m[2]}), want (${(60 / k).toFixed(3)}, 0)`);
    await presented(page);
    await page.screenshot({ path: join(OUT, 'editor-zoomed.png') });
    assert.deepEqual(page.errors, []);
  });

  it('the X/Y/W/H/rotation fields show the selection and edit it, one undo step each', async () => {
    await load(page, SHAPES);
    await page.locator('[data-testid=layer-row][data-layer-index="0"]').click(); // the rect (4,4)-(20,16)
    await page.waitForFunction(() => document.getElementById('geom-w').value === '16', null, { timeout: 10_000 }).catch(() => {});
    const fields = async () => Object.fromEntries(await Promise.all(['x', 'y', 'w', 'h', 'r'].map(async (k) => [k, await page.inputValue('#geom-' + k)])));
    assert.deepEqual(await fields(), { x: '4', y: '4', w: '16', h: '12', r: '0' });
    const before = await getSVG(page);
    await page.fill('#geom-x', '10');
    await page.press('#geom-x', 'Enter');
    await page.waitForFunction(() => document.getElementById('geom-x').value === '10', null, { timeout: 10_000 });
    assert.match((await getSVG(page)).split('\n').filter((l) => l.startsWith('<path'))[0], /transform="matrix\(1 0 0 1 6 0\)"/, 'moved right by 6 units');
    await page.fill('#geom-r', '90');
    await page.press('#geom-r', 'Enter');
    // The typed '90' is in the field at once; wait for the editor's own update of the box
    // (w turns 12) so the five fields are read after it, not across it.
    await page.waitForFunction(() => document.getElementById('geom-w').value === '12' && document.getElementById('geom-x').value === '12', null, { timeout: 10_000 }).catch(() => {});
    // A 16×12 box turned a quarter about its center (18,10) is 12×16 around the same center.
    assert.deepEqual(await fields(), { x: '12', y: '2', w: '12', h: '16', r: '90' });
    assert.notEqual(await page.evaluate(() => document.activeElement?.id), 'geom-r', 'the keys went back to the canvas');
    await page.keyboard.press('Control+z');
    await page.keyboard.press('Control+z');
    assert.equal(await getSVG(page), before, 'two undos restore the exact SVG');
  });

  it('a number being typed in a field survives a re-render of the panel, and Enter applies it', async () => {
    await load(page, SHAPES);
    await page.locator('[data-testid=layer-row][data-layer-index="0"]').click(); // the rect (4,4)-(20,16)
    await page.waitForFunction(() => document.getElementById('geom-w').value === '16', null, { timeout: 10_000 });
    await page.fill('#geom-w', '20'); // typed, not applied yet: the field keeps the focus
    // Another edit re-renders the panel on the next frame (align: the rect to the artboard's left edge).
    assert.equal(await page.evaluate(() => String(window.laminaEditor.align('left'))), 'null');
    await page.waitForFunction(() => document.getElementById('geom-x').value === '0', null, { timeout: 10_000 });
    assert.equal(await page.inputValue('#geom-w'), '20', 'the re-render kept the typed width');
    await page.press('#geom-w', 'Enter');
    await page.waitForFunction(() => document.activeElement?.id !== 'geom-w', null, { timeout: 10_000 });
    assert.deepEqual(
      Object.fromEntries(await Promise.all(['x', 'w', 'h'].map(async (k) => [k, await page.inputValue('#geom-' + k)]))),
      { x: '0', w: '20', h: '12' },
    );
    assert.deepEqual(page.errors, []);
  });

  it('layers are named by colour and shape, thumbnails framed on the layer; a status message expires', async () => {
    await page.locator('#import-file').setInputFiles({ name: 'shapes.svg', mimeType: 'image/svg+xml', buffer: Buffer.from(SHAPES) });
    await page.waitForFunction(() => /^Imported/.test(window.laminaEditor.state().status), null, { timeout: TIMEOUT });
    const t0 = Date.now();
    // The page was left zoomed in by the tests above: a new drawing is shown fitted.
    await page.waitForFunction(() => window.laminaEditor.state().zoom === 1, null, { timeout: 10_000 }).catch(() => {});
    assert.equal((await state(page)).zoom, 1, 'an imported drawing is shown at the fit');
    const names = await page.getByTestId('layer-name').allTextContents();
    assert.deepEqual(names.map((s) => s.trim()), ['green triangle', 'red circle', 'blue rectangle'], 'top row first');
    const vb = await page.locator('[data-testid=layer-row][data-layer-index="1"] .thumb svg').getAttribute('viewBox');
    const [x, y, w, h] = vb.split(' ').map(Number);
    // The circle spans 13–31 × 11–29: the thumbnail frames it, not the 36-unit artboard.
    assert.ok(x <= 13 && y <= 11 && x + w >= 31 && y + h >= 29 && w < 22 && w === h, `thumbnail viewBox ${vb}`);
    await page.screenshot({ path: join(OUT, 'editor-layer-names.png') });
    await page.waitForFunction(() => !/^Imported/.test(window.laminaEditor.state().status), null, { timeout: 20_000 });
    const after = (Date.now() - t0) / 1000;
    assert.ok(after > 5, `the notice stayed ${after.toFixed(1)} s: long enough to read`);
    assert.match((await state(page)).status, /^3 layers\./);
  });
  it('shapes beyond the artboard show under a veil; Select all keeps the handles reachable; Fit shows them', async () => {
    await load(page, BEYOND);
    await page.keyboard.press('Control+0'); // fit everything
    await page.keyboard.press('Control+1'); // back to 100 %: the bar runs off the canvas
    await page.waitForFunction(() => Math.abs(window.laminaEditor.state().zoom - 1) < 1e-6, null, { timeout: 10_000 });
    await presented(page);
    const st = await page.evaluate(() => { const r = document.getElementById('stage').getBoundingClientRect(); return { x: r.left, y: r.top, w: r.width, h: r.height }; });
    const side = Math.min(st.w, st.h) - 64;
    const k = side / 36;
    const x0 = st.x + (st.w - side) / 2, y0 = st.y + (st.h - side) / 2;
    // Just past the artboard's right edge, inside the bar: blue under the veil; above it the plain background.
    const veiled = await pixel(page, Math.round(x0 + side + 12), Math.round(y0 + 18 * k));
    const empty = await pixel(page, Math.round(x0 + side + 12), Math.round(y0 + 6 * k));
    // (The veil is the background color, so over it nothing shows but rounding: ±2 levels.)
    assert.ok([0xe9, 0xec, 0xf1].every((c, i) => close(empty[i], c, 2)), `background beyond the artboard: ${empty}`);
    assert.ok(veiled[2] > veiled[0] + 20 && veiled[0] < 0xe0, `the bar is visible beyond the artboard, veiled: ${veiled}`);
    await page.mouse.move(640, 795);
    await page.keyboard.press('Control+a');
    await page.waitForFunction(() => window.laminaEditor.state().selected.length === 2, null, { timeout: 10_000 });
    await page.waitForFunction(() => window.laminaEditor.state().handlesOnStage, null, { timeout: 10_000 }).catch(() => {});
    const s = await state(page);
    assert.ok(s.handlesOnStage, 'after Select all every handle is on the canvas');
    assert.ok(s.zoom < 1, `zoomed out to show them: ${s.zoom}`);
    await presented(page);
    await page.screenshot({ path: join(OUT, 'editor-select-all-beyond.png') });
    await page.keyboard.press('Escape');
    await page.getByTestId('zoom-fit').click();
    await presented(page);
    const bar = await layerPoint(page, 1);
    assert.ok(bar && bar.x > st.x && bar.x < st.x + st.w, 'Fit brings the bar into view');
    assert.deepEqual(page.errors, []);
  });
});

describe('editor on a phone: folding the sheet', { timeout: TIMEOUT }, () => {
  it('resizes the canvas (no stretch) and keeps it below the top bar', async () => {
    const page = await openEditor({ width: 390, height: 844 }, { deviceScaleFactor: 2, isMobile: true, hasTouch: true });
    // A small shape in a corner: the artboard is mostly white, to measure.
    await load(page, '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 36 36"><rect x="1" y="1" width="3" height="3" fill="#ef4444"/></svg>');
    await presented(page);
    const before = await page.evaluate(() => document.querySelector('[data-testid=canvas]').getBoundingClientRect().height);
    await page.click('#tab-draw'); // the open tab: folds the sheet
    await page.waitForFunction((h) => document.querySelector('[data-testid=canvas]').getBoundingClientRect().height > h + 100, before, { timeout: 10_000 });
    // The canvas's pixels follow its new box (ebiten resized it), at the device's scale.
    await page.waitForFunction(() => {
      const c = document.querySelector('[data-testid=canvas]');
      return Math.abs(c.width - c.clientWidth * devicePixelRatio) <= 2 && Math.abs(c.height - c.clientHeight * devicePixelRatio) <= 2;
    }, null, { timeout: 10_000 }).catch(() => {});
    const g = await page.evaluate(() => {
      const c = document.querySelector('[data-testid=canvas]');
      return { w: c.width, h: c.height, cw: c.clientWidth, ch: c.clientHeight, top: c.getBoundingClientRect().top, bar: document.getElementById('topbar').getBoundingClientRect().bottom };
    });
    assert.ok(close(g.w, g.cw * 2, 2) && close(g.h, g.ch * 2, 2), `canvas pixels ${g.w}×${g.h} for a ${g.cw}×${g.ch} box at 2×`);
    assert.ok(g.top >= g.bar - 0.5, `canvas top ${g.top} below the top bar's bottom ${g.bar}`);
    await presented(page);
    // The artboard is square on screen: its white spans as far across as down.
    const shot = await page.getByTestId('canvas').screenshot();
    const span = await page.evaluate(async (b64) => {
      const img = await createImageBitmap(await (await fetch('data:image/png;base64,' + b64)).blob());
      const c = new OffscreenCanvas(img.width, img.height);
      const gx = c.getContext('2d');
      gx.drawImage(img, 0, 0);
      const d = gx.getImageData(0, 0, img.width, img.height).data;
      const white = (x, y) => { const i = 4 * (y * img.width + x); return d[i] > 250 && d[i + 1] > 250 && d[i + 2] > 250; };
      const cx = img.width >> 1, cy = img.height >> 1;
      let w = 0, h = 0;
      for (let x = 0; x < img.width; x++) if (white(x, cy)) w++;
      for (let y = 0; y < img.height; y++) if (white(cx, y)) h++;
      return { w, h };
    }, shot.toString('base64'));
    assert.ok(span.w > 200 && close(span.w, span.h, 4), `artboard ${span.w}×${span.h} px: square`);
    await page.screenshot({ path: join(OUT, 'phone-folded.png') });
    // Two fingers spread from 80 to 160 px apart about the canvas's center: 200 %.
    const box = await page.getByTestId('canvas').boundingBox();
    const cx = Math.round(box.x + box.width / 2), cy = Math.round(box.y + box.height / 2);
    const cdp = await page.context().newCDPSession(page);
    const touch = (type, d) => cdp.send('Input.dispatchTouchEvent', {
      type, touchPoints: type === 'touchEnd' ? [] : [{ x: cx - d, y: cy, id: 0 }, { x: cx + d, y: cy, id: 1 }],
    });
    await touch('touchStart', 40);
    for (const d of [50, 60, 70, 80]) await touch('touchMove', d);
    await touch('touchEnd', 80);
    await page.waitForFunction(() => window.laminaEditor.state().zoom > 1.5, null, { timeout: 10_000 }).catch(() => {});
    const z = (await state(page)).zoom;
    assert.ok(close(z, 2, 0.04), `pinch zoom ${z}, want 2`);
    await presented(page);
    await page.screenshot({ path: join(OUT, 'phone-pinched.png') });
    assert.deepEqual(page.errors, []);
    await page.context().close();
  });
});

describe('editor session', { timeout: TIMEOUT }, () => {
  it('reload restores the prompt, the seed, the undo history and the zoom and pan', async () => {
    const page = await openEditor();
    await load(page, SHAPES);
    const imported = await getSVG(page);
    await page.getByTestId('prompt').fill('blue star');
    await page.fill('#seed', '77');
    await page.locator('[data-testid=layer-row][data-layer-index="0"]').click();
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowDown');
    const edited = await getSVG(page);
    assert.notEqual(edited, imported);
    // Zoom to 200 % with the bar and pan with the wheel; the session saves the camera once
    // the view stops moving.
    await page.getByTestId('zoom-in').click();
    await page.getByTestId('zoom-in').click();
    await page.waitForFunction(() => Math.abs(window.laminaEditor.state().zoom - 2) < 1e-6, null, { timeout: 10_000 });
    const p0 = await layerPoint(page, 1);
    await page.mouse.move(640, 400);
    await page.mouse.wheel(60, 40);
    await page.waitForFunction((x) => Math.abs(window.laminaEditor.layerPoint(1).x - x) > 1, p0.x, { timeout: 10_000 });
    const cam = (await state(page)).camera;
    const seen = await layerPoint(page, 1);
    await page.waitForFunction((z) => JSON.parse(localStorage.getItem('lamina.editor.session.v1') || '{}').camera?.zoom === z &&
      JSON.parse(localStorage.getItem('lamina.editor.session.v1')).camera.x === window.laminaEditor.state().camera.x, cam.zoom, { timeout: 10_000 });
    await page.reload();
    await page.evaluate(() => window.laminaEditor.ready);
    await presented(page);
    assert.deepEqual((await state(page)).camera, cam, 'the camera');
    assert.equal(await zoomText(page), '200%');
    const back = await layerPoint(page, 1);
    assert.ok(close(back.x, seen.x, 0.5) && close(back.y, seen.y, 0.5), `layer 1 at ${JSON.stringify(back)} after the reload, ${JSON.stringify(seen)} before`);
    await page.screenshot({ path: join(OUT, 'session-restored.png') });
    assert.equal(await page.getByTestId('prompt').inputValue(), 'blue star');
    assert.equal(await page.inputValue('#seed'), '77');
    assert.equal(await getSVG(page), edited, 'the drawing');
    assert.ok((await state(page)).canUndo, 'undo history restored');
    await page.keyboard.press('Control+z');
    await page.keyboard.press('Control+z');
    assert.equal(await getSVG(page), imported, 'two undos after the reload reach the import');
    await page.keyboard.press('Control+Shift+Z');
    await page.keyboard.press('Control+Shift+Z');
    assert.equal(await getSVG(page), edited, 'and redo comes back');
    assert.deepEqual(page.errors, []);
    await page.context().close();
  });
});

describe('site around the editor', { timeout: TIMEOUT * 2 }, () => {
  it('three widgets share no element id; the 560 px embedded editor shows Recolor and Add layers', async () => {
    const ctx = await browser.newContext({ viewport: { width: 1100, height: 1400 } });
    const page = await ctx.newPage();
    await page.goto(URL + 'embed.html?backend=cpu&steps=8');
    await page.waitForFunction(() => [...document.querySelectorAll('lamina-svg')].every((e) => e.querySelector('svg path') || e.textContent.startsWith('lamina:')), null, { timeout: TIMEOUT });
    const ids = await page.evaluate(() => [...document.querySelectorAll('[id]')].map((e) => e.id));
    const dup = ids.filter((id, i) => ids.indexOf(id) !== i);
    assert.deepEqual(dup, [], 'duplicate ids');
    assert.equal(await page.locator('lamina-svg [data-layer="0"]').count(), 3, 'each drawing addressable by data-layer');
    const inner = page.frames().find((f) => f.url().includes('editor.html'));
    await inner.evaluate(() => window.laminaEditor.ready);
    const frameBox = await page.locator('lamina-editor iframe').boundingBox();
    for (const id of ['recolor', 'add-layers', 'regen-selected', 'regen-unlocked', 'generate']) {
      const b = await inner.locator('#' + id).boundingBox();
      assert.ok(b && b.width > 20, `#${id} laid out`);
      const inside = b.x >= frameBox.x - 0.5 && b.y >= frameBox.y - 0.5 && b.x + b.width <= frameBox.x + frameBox.width + 0.5 && b.y + b.height <= frameBox.y + frameBox.height + 0.5;
      assert.ok(inside, `#${id} ${JSON.stringify(b)} inside the editor ${JSON.stringify(frameBox)}`);
      const hit = await inner.evaluate(({ id }) => {
        const r = document.getElementById(id).getBoundingClientRect();
        return document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2)?.closest('#' + id) !== null;
      }, { id });
      assert.ok(hit, `#${id} is not covered`);
    }
    await page.locator('lamina-editor').screenshot({ path: join(OUT, 'embed-editor-560.png') });
    await ctx.close();
  });

  it('the index page prompts with text and lists only language models; /favicon.ico is served', async () => {
    const ctx = await browser.newContext();
    const page = await ctx.newPage();
    await page.goto(URL);
    const prompt = await page.inputValue('#prompt');
    assert.doesNotMatch(prompt, /^\s*\d+(\s*,\s*\d+)*\s*$/, `default prompt is text: ${prompt}`);
    assert.match(prompt, /[a-z]{3}/i);
    await page.waitForFunction(() => document.querySelectorAll('#models option').length > 1, null, { timeout: 20_000 });
    const options = await page.locator('#models option').allTextContents();
    assert.ok(options.includes('demo-lm'), `language model listed: ${options}`);
    assert.ok(!options.some((o) => /layered-emoji|tiny-svg/.test(o)), `no drawing models: ${options}`);
    const ico = await page.evaluate(async () => {
      const r = await fetch('/favicon.ico');
      const b = new Uint8Array(await r.arrayBuffer());
      return { status: r.status, type: r.headers.get('content-type'), head: [...b.slice(0, 4)], n: b.length };
    });
    assert.equal(ico.status, 200);
    assert.match(ico.type || '', /^image\//);
    assert.deepEqual(ico.head, [0, 0, 1, 0], 'an ICO file');
    await ctx.close();
  });
});
