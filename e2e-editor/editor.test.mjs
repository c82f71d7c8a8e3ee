// Browser tests of the lamina editor (editor.html), the LM playground (playground.html) and
// the widget (embed.html) in headless Chromium. Run by e2e-editor/run.sh, which builds,
// serves (LAMINA_URL) and assembles the models: models/layered-emoji (the drawing model) and
// models/demo-lm (a tiny GPT-2 with a tokenizer). Screenshots go to LAMINA_E2E_OUT.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { launch, recordGPUDevices } from '../e2e/browser.mjs';

const URL = process.env.LAMINA_URL;
if (!URL) throw new Error('LAMINA_URL is not set: run e2e-editor/run.sh');
const OUT = process.env.LAMINA_E2E_OUT || '/tmp';
const TIMEOUT = 240_000; // software WebGL/WebGPU (SwiftShader) and wasm CPU inference are slow, not hung
// MIN_INK is how many artboard pixels must differ from the empty artboard for "not blank":
// 0.5 % of a 600×600 artboard, far below any drawing and far above anti-aliasing noise.
const MIN_INK = 1800;
// The model runs are shortened: the tests check the editor, not the sampler's quality.
const STEPS = 8;

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

async function openEditor(ctx, query = '') {
  ctx = ctx || await browser.newContext({ viewport: { width: 1280, height: 800 }, acceptDownloads: true });
  const page = await ctx.newPage();
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(e));
  await page.goto(URL + 'editor.html' + query);
  await page.evaluate(() => window.laminaEditor.ready);
  return page;
}

const state = (page) => page.evaluate(() => window.laminaEditor.state());
const getSVG = (page) => page.evaluate(() => window.laminaEditor.getSVG());
const pathsOf = (svg) => svg.split('\n').filter((l) => l.startsWith('<path'));

// presented waits until the canvas has drawn the current document (state's drawn catches
// up with its revision) and the browser has shown that frame (two animation frames later
// the canvas's content has been composited), so a screenshot sees it.
// textBecomes polls a locator's text until it is want (5 s at most) and
// returns the last text seen: the panel re-renders on the next frame, which a
// loaded machine can delay past any fixed wait.
async function textBecomes(locator, want) {
  const deadline = Date.now() + 5000;
  let got;
  for (;;) {
    got = (await locator.textContent()).trim();
    if (got === want || Date.now() > deadline) return got;
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function presented(page) {
  await page.waitForFunction(() => { const s = window.laminaEditor.state(); return s.drawn === s.revision; }, null, { timeout: TIMEOUT });
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
}

// selectedIs waits until exactly paint index i is selected: the editor's pointer handler
// runs once the page's main thread is free, and Go's wasm draws frames on that thread (a
// software-rendered frame can take long). After 60 s it returns and the caller's assertion
// reports what is selected instead.
async function selectedIs(page, i) {
  await page.waitForFunction((i) => { const s = window.laminaEditor.state().selected; return s.length === 1 && s[0] === i; }, i, { timeout: 60_000 })
    .catch(() => {});
}
const idle = (page) => page.waitForFunction(() => !window.laminaEditor.state().busy, null, { timeout: TIMEOUT });

async function generate(page, prompt = 'red heart', seed = 1) {
  await page.getByTestId('prompt').fill(prompt);
  await page.fill('#seed', String(seed));
  await page.fill('#steps', String(STEPS));
  await page.getByTestId('generate').click();
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=layer-row]').length > 0, null, { timeout: TIMEOUT });
  await idle(page);
}

// ink counts artboard pixels of a canvas screenshot that differ from white (the empty
// artboard), decoding the PNG in the page.
async function ink(page) {
  const png = await canvasShot(page);
  return page.evaluate(async (b64) => {
    const img = await createImageBitmap(await (await fetch('data:image/png;base64,' + b64)).blob());
    const c = new OffscreenCanvas(img.width, img.height);
    const g = c.getContext('2d');
    g.drawImage(img, 0, 0);
    // The canvas is the area between the panels; the artboard is the square centered in it
    // with a 32 px margin: count 8 px inside it.
    const side = Math.min(img.width, img.height) - 64;
    const x0 = Math.ceil((img.width - side) / 2 + 8), x1 = Math.floor((img.width + side) / 2 - 8);
    const y0 = Math.ceil((img.height - side) / 2 + 8), y1 = Math.floor((img.height + side) / 2 - 8);
    const d = g.getImageData(x0, y0, x1 - x0, y1 - y0).data;
    let n = 0;
    for (let i = 0; i < d.length; i += 4) if (d[i] < 245 || d[i + 1] < 245 || d[i + 2] < 245) n++;
    return n;
  }, png.toString('base64'));
}

// canvasShot waits until the canvas has drawn the current document (and a frame more, for
// the browser to present it), then screenshots it.
async function canvasShot(page) {
  await page.mouse.move(640, 795); // over the status bar: no hover styles in the panels, which overlay the canvas
  await presented(page);
  return page.getByTestId('canvas').screenshot();
}

// diffPixels counts pixels that differ by more than 2 levels in any channel between two
// screenshots of the same size (decoded in the page).
async function diffPixels(page, a, b) {
  return page.evaluate(async ([a, b]) => {
    const px = async (b64) => {
      const img = await createImageBitmap(await (await fetch('data:image/png;base64,' + b64)).blob());
      const c = new OffscreenCanvas(img.width, img.height);
      const g = c.getContext('2d');
      g.drawImage(img, 0, 0);
      return g.getImageData(0, 0, img.width, img.height).data;
    };
    const [x, y] = [await px(a), await px(b)];
    let n = 0;
    for (let i = 0; i < x.length; i += 4) {
      if (Math.abs(x[i] - y[i]) > 2 || Math.abs(x[i + 1] - y[i + 1]) > 2 || Math.abs(x[i + 2] - y[i + 2]) > 2) n++;
    }
    return n;
  }, [a.toString('base64'), b.toString('base64')]);
}

// SAME_RENDER_PIXELS is how many pixels two renders of the same document may differ by:
// none is expected (the layers are rasterized on the CPU, the chrome drawn the same way),
// a few are allowed for the GPU's anti-aliasing of the chrome, which we do not control.
const SAME_RENDER_PIXELS = 50;

const row = (page, i) => page.locator(`[data-testid=layer-row][data-layer-index="${i}"]`);

describe('editor', { timeout: TIMEOUT * 3 }, () => {
  let page;
  before(async () => {
    page = await openEditor();
    assert.ok((await state(page)).modelLoaded, 'drawing model loaded: ' + (await state(page)).status);
  });

  it('has sensible defaults for a new user', async () => {
    assert.notEqual(await page.getByTestId('prompt').inputValue(), '', 'prompt prefilled');
    assert.ok(await page.getByTestId('generate').isEnabled(), 'Generate enabled');
    assert.equal(await page.locator('#steps').inputValue(), '24');
    assert.equal(await page.locator('#cfg').inputValue(), '3');
    assert.ok(await page.locator('#empty-hint').isVisible(), 'empty-canvas hint shown');
    await page.screenshot({ path: join(OUT, 'editor-empty.png') });
  });

  it('generates: layer rows appear and the canvas is not blank', async () => {
    const before = await ink(page);
    await generate(page);
    const n = (await state(page)).layers;
    assert.ok(n > 0);
    assert.equal(await page.getByTestId('layer-row').count(), n);
    assert.equal(pathsOf(await getSVG(page)).length, n);
    const after = await ink(page);
    assert.ok(after > before + MIN_INK, `ink before ${before}, after ${after}`);
    await page.screenshot({ path: join(OUT, 'editor-generated.png') });
  });

  it('"4 options" offers four candidates; picking one makes it the drawing, as Generate with its seed draws it', async () => {
    await page.getByTestId('prompt').fill('grinning cat');
    await page.fill('#seed', '5');
    await page.fill('#steps', String(STEPS));
    await page.getByTestId('generate-options').click();
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=candidate]').length === 4, null, { timeout: TIMEOUT });
    await idle(page);
    assert.deepEqual(await page.evaluate(() => window.laminaEditor.candidates()), [5, 6, 7, 8], 'candidate seeds');
    const srcs = await page.locator('[data-testid=candidate] img').evaluateAll((imgs) => imgs.map((i) => i.src));
    assert.equal(new Set(srcs).size, 4, 'four different drawings');
    await page.screenshot({ path: join(OUT, 'editor-candidates.png') });
    await page.locator('[data-testid=candidate][data-candidate="2"]').click();
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=candidate]').length === 0, null, { timeout: TIMEOUT });
    assert.equal(await page.locator('#seed').inputValue(), '7', 'the seed field holds the picked seed');
    const picked = await getSVG(page);
    assert.ok(pathsOf(picked).length > 0);
    const again = await page.evaluate(() => window.laminaEditor.generate({ seed: 7 })); // resolves to the SVG
    assert.equal(again, picked, 'Generate with seed 7 draws the picked candidate');
    // Back to the drawing the next tests start from (generate()'s options).
    await page.evaluate((steps) => window.laminaEditor.generate({ prompt: 'red heart', seed: 1, steps }), STEPS);
  });

  it('clicking a shape on the canvas selects its row', async () => {
    const n = (await state(page)).layers;
    let i = n - 1, p = null;
    for (; i >= 0 && !p; i--) p = await page.evaluate((i) => window.laminaEditor.layerPoint(i), i);
    i++;
    assert.ok(p, 'some layer is visible on top somewhere');
    await page.mouse.click(p.x, p.y);
    await selectedIs(page, i);
    assert.deepEqual((await state(page)).selected, [i]);
    assert.equal(await row(page, i).getAttribute('aria-selected'), 'true');
    assert.equal(await page.locator('[data-testid=layer-row][aria-selected=true]').count(), 1);
    await page.screenshot({ path: join(OUT, 'editor-selected.png') });
  });

  it('dragging moves the shape (its transform changes, the others do not); undo restores the exact SVG', async () => {
    const [i] = (await state(page)).selected;
    const p = await page.evaluate((i) => window.laminaEditor.layerPoint(i), i);
    const before = await getSVG(page);
    await page.mouse.move(p.x, p.y);
    await page.mouse.down();
    await page.mouse.move(p.x + 20, p.y + 10, { steps: 4 });
    await page.mouse.move(p.x + 40, p.y + 25, { steps: 4 });
    await page.mouse.up();
    const after = await getSVG(page);
    const a = pathsOf(before), b = pathsOf(after);
    assert.equal(a.length, b.length);
    for (let k = 0; k < a.length; k++) {
      if (k === i) {
        assert.notEqual(b[k], a[k], 'dragged layer changed');
        assert.match(b[k], /transform="matrix\(1 0 0 1 [0-9.]+ [0-9.]+\)"/);
      } else {
        assert.equal(b[k], a[k], `layer ${k} unchanged`);
      }
    }
    await page.keyboard.press('Control+z');
    assert.equal(await getSVG(page), before, 'Ctrl+Z restores the exact SVG');
    await page.keyboard.press('Control+Shift+Z');
    assert.equal(await getSVG(page), after, 'Ctrl+Shift+Z redoes');
  });

  it('hide removes the layer from the render; showing it again restores it', async () => {
    const [i] = (await state(page)).selected;
    const shown = await canvasShot(page);
    await row(page, i).getByTestId('layer-visibility').click();
    assert.match(pathsOf(await getSVG(page))[i], /display="none"/);
    const hidden = await canvasShot(page);
    const gone = await diffPixels(page, shown, hidden);
    assert.ok(gone > SAME_RENDER_PIXELS, `render changed when hidden: ${gone} pixels`);
    await row(page, i).getByTestId('layer-visibility').click();
    assert.doesNotMatch(pathsOf(await getSVG(page))[i], /display="none"/);
    const again = await canvasShot(page);
    await writeFile(join(OUT, 'hide-shown.png'), shown);
    await writeFile(join(OUT, 'hide-again.png'), again);
    const back = await diffPixels(page, shown, again);
    console.log(`hide: ${gone} pixels changed; show again: ${back} pixels differ from before`);
    assert.ok(back <= SAME_RENDER_PIXELS, `same render after showing again: ${back} pixels differ`);
  });

  it('lock makes a layer unselectable on the canvas', async () => {
    const [i] = (await state(page)).selected;
    const p = await page.evaluate((i) => window.laminaEditor.layerPoint(i), i);
    await row(page, i).getByTestId('layer-lock').click();
    assert.deepEqual((await state(page)).selected, [], 'locking deselects');
    await page.mouse.click(p.x, p.y);
    assert.ok(!(await state(page)).selected.includes(i), 'locked layer not selected by a click');
    await row(page, i).getByTestId('layer-lock').click();
  });

  it('a locked layer selected from the panel refuses arrow keys, Delete, fill and opacity, and says so', async () => {
    const i = 0;
    await row(page, i).getByTestId('layer-lock').click();
    await row(page, i).click(); // the panel still selects a locked layer
    assert.deepEqual((await state(page)).selected, [i]);
    const before = await getSVG(page);
    const undoable = (await state(page)).canUndo;
    const refused = async (what) => {
      assert.equal(await getSVG(page), before, `${what} changed a locked layer`);
      assert.match((await state(page)).status, /locked/i, `${what}: the status says the layer is locked`);
      await page.evaluate(() => { document.getElementById('status').textContent = ''; });
    };
    await page.keyboard.press('ArrowRight');
    await page.waitForTimeout(100);
    await refused('ArrowRight');
    await page.keyboard.press('Delete');
    await page.waitForTimeout(100);
    await refused('Delete');
    await page.locator('#fill').fill('#00ff00');
    await page.waitForTimeout(100);
    await refused('fill');
    assert.notEqual(await page.inputValue('#fill'), '#00ff00', 'the fill control shows the layer\'s own color again');
    await page.locator('#opacity').fill('10');
    await page.locator('#opacity').dispatchEvent('change');
    await page.waitForTimeout(100);
    await page.screenshot({ path: `${OUT}/editor-locked-refusal.png` }); // the refusal in the status bar
    await refused('opacity');
    assert.equal((await state(page)).canUndo, undoable, 'no undo step recorded');
    await row(page, i).getByTestId('layer-lock').click();
  });

  it('after the Fill control the keys go back to the canvas, and the old notice expires', async () => {
    await row(page, 0).click();
    await page.evaluate(() => window.laminaEditor && document.getElementById('status') && (document.getElementById('status').textContent = 'Restored your last drawing.'));
    const before = await getSVG(page);
    await page.locator('#fill').fill('#123456');
    await page.waitForTimeout(100);
    const filled = await getSVG(page);
    assert.notEqual(filled, before, 'the fill changed');
    assert.notEqual(await page.evaluate(() => document.activeElement && document.activeElement.id), 'fill', 'focus left the Fill control');
    assert.doesNotMatch((await state(page)).status, /Restored/, 'the old notice was replaced after the edit');
    await page.keyboard.press('Control+z'); // a shortcut works right after using the control
    await page.waitForTimeout(100);
    assert.equal(await getSVG(page), before, 'Ctrl+Z undid the fill without clicking the canvas first');
  });

  it('rename by F2: Enter commits one undo step, Escape cancels', async () => {
    const name = (i) => row(page, i).getByTestId('layer-name');
    const box = page.locator('#layer-list input.rename');
    const old = (await name(1).textContent()).trim();
    await row(page, 1).click();
    await page.keyboard.press('F2');
    await box.waitFor({ timeout: 5000 });
    await page.waitForTimeout(300); // a re-render of the list would wipe the box now
    assert.equal(await box.count(), 1, 'the rename box survives');
    await page.keyboard.press('Control+a');
    await page.keyboard.type('Sky');
    await page.keyboard.press('Enter');
    assert.equal(await textBecomes(name(1), 'Sky'), 'Sky');
    await page.keyboard.press('Control+z');
    assert.equal(await textBecomes(name(1), old), old, 'one Ctrl+Z undoes the rename');
    await row(page, 1).click();
    await page.keyboard.press('F2');
    await box.waitFor({ timeout: 5000 });
    await page.keyboard.type('Tree');
    await page.screenshot({ path: `${OUT}/editor-rename-f2.png` });
    await page.keyboard.press('Escape');
    await page.waitForTimeout(100);
    assert.equal(await box.count(), 0, 'Escape closes the box');
    assert.equal((await name(1).textContent()).trim(), old, 'Escape keeps the old name');
  });

  it('rename by double-click on the row name; Enter commits', async () => {
    const name = row(page, 1).getByTestId('layer-name');
    const box = page.locator('#layer-list input.rename');
    const old = (await name.textContent()).trim();
    await name.dblclick();
    await box.waitFor({ timeout: 5000 });
    await page.waitForTimeout(300); // a re-render of the list would wipe the box now
    assert.equal(await box.count(), 1, 'the rename box survives the double-click');
    await page.keyboard.press('Control+a');
    await page.keyboard.type('Sun');
    await page.keyboard.press('Enter');
    assert.equal(await textBecomes(name, 'Sun'), 'Sun');
    await page.keyboard.press('Control+z');
    assert.equal(await textBecomes(name, old), old, 'one Ctrl+Z undoes the rename');
  });

  it('PNG export: on the artboard white by default, transparent when ticked', async () => {
    const before = await getSVG(page);
    await page.evaluate(() => window.laminaEditor.loadSVG('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><path d="M12 12h8v8h-8z" fill="#ff0000"/></svg>'));
    // the corner (artboard only) and the centre (the red square) of the 1024 px PNG
    const pixels = async () => {
      const [dl] = await Promise.all([page.waitForEvent('download'), page.click('#export-png')]);
      const b64 = (await readFile(await dl.path())).toString('base64');
      return page.evaluate(async (b64) => {
        const bmp = await createImageBitmap(await (await fetch('data:image/png;base64,' + b64)).blob());
        const c = new OffscreenCanvas(bmp.width, bmp.height);
        const g = c.getContext('2d');
        g.drawImage(bmp, 0, 0);
        return { w: bmp.width, corner: [...g.getImageData(5, 5, 1, 1).data], centre: [...g.getImageData(512, 512, 1, 1).data] };
      }, b64);
    };
    const white = await pixels();
    assert.equal(white.w, 1024);
    assert.deepEqual(white.corner, [255, 255, 255, 255], 'the default PNG has the artboard white');
    assert.deepEqual(white.centre, [255, 0, 0, 255]);
    await page.getByTestId('png-transparent').check();
    const clear = await pixels();
    assert.equal(clear.corner[3], 0, 'the transparent PNG has no background');
    assert.deepEqual(clear.centre, [255, 0, 0, 255]);
    await page.getByTestId('png-transparent').uncheck();
    await page.evaluate((svg) => window.laminaEditor.loadSVG(svg), before);
  });

  it('reorder changes paint order (keyboard and drag in the panel)', async () => {
    const before = pathsOf(await getSVG(page));
    const d = (l) => l.slice(l.indexOf(' d="'));
    await row(page, 0).click();
    await page.keyboard.press('Control+]');
    const after = pathsOf(await getSVG(page));
    assert.equal(d(after[1]), d(before[0]), 'bottom layer moved up one');
    assert.equal(d(after[0]), d(before[1]));
    await page.keyboard.press('Control+z');
    const n = before.length;
    // Drag the bottom row onto the top row: the bottom layer is painted last.
    await row(page, 0).dragTo(row(page, n - 1));
    const dragged = pathsOf(await getSVG(page));
    assert.equal(d(dragged[n - 1]), d(before[0]), 'dragged row is now on top');
    await page.keyboard.press('Control+z');
    assert.deepEqual(pathsOf(await getSVG(page)), before);
  });

  it('regenerate selected changes only the selected layers; undo restores the exact SVG', async () => {
    const n = (await state(page)).layers;
    const pick = [Math.min(1, n - 1)];
    await row(page, pick[0]).click();
    const before = await getSVG(page);
    await page.click('#regen-selected');
    await page.waitForFunction(() => window.laminaEditor.state().busy, null, { timeout: 5000 }).catch(() => {});
    await idle(page);
    const a = pathsOf(before), b = pathsOf(await getSVG(page));
    assert.equal(b.length, a.length);
    for (let k = 0; k < n; k++) {
      if (pick.includes(k)) assert.notEqual(b[k], a[k], `selected layer ${k} regenerated`);
      else assert.equal(b[k], a[k], `layer ${k} unchanged`);
    }
    await page.screenshot({ path: join(OUT, 'editor-regenerated.png') });
    await page.keyboard.press('Control+z');
    assert.equal(await getSVG(page), before);
  });

  it('export gives an SVG that parses, with every layer', async () => {
    const [dl] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-svg').click()]);
    const text = await readFile(await dl.path(), 'utf8');
    assert.equal(text, await getSVG(page));
    const parsed = await page.evaluate((t) => {
      const doc = new DOMParser().parseFromString(t, 'image/svg+xml');
      return { err: doc.querySelector('parsererror')?.textContent || '', root: doc.documentElement.localName, paths: doc.querySelectorAll('path').length };
    }, text);
    assert.equal(parsed.err, '');
    assert.equal(parsed.root, 'svg');
    assert.equal(parsed.paths, (await state(page)).layers);
  });

  it('import says what it approximated or left out (gradient, text), and keeps every shape', async () => {
    const before = await getSVG(page);
    const svg = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100">' +
      '<defs><linearGradient id="g"><stop offset="0" stop-color="red"/><stop offset="1" stop-color="blue"/></linearGradient></defs>' +
      '<rect x="5" y="5" width="60" height="40" fill="url(#g)"/>' +
      '<circle cx="60" cy="60" r="25" fill="yellow" stroke="black" stroke-width="4"/>' +
      '<text x="10" y="95">hello</text></svg>';
    await page.locator('#import-file').setInputFiles({ name: 'mixed.svg', mimeType: 'image/svg+xml', buffer: Buffer.from(svg) });
    await page.waitForFunction(() => /^Imported|^Could not/.test(window.laminaEditor.state().status), null, { timeout: TIMEOUT });
    const st = await state(page);
    console.log(`# ${st.status}`);
    assert.match(st.status, /^Imported \d+ layers from mixed\.svg\./, st.status);
    assert.match(st.status, /text/i, 'the text left out is named');
    assert.match(st.status, /gradient/i, 'the gradient approximation is named');
    // The rectangle, the circle's fill and its stroke are all there (3 shapes, none dropped).
    assert.ok(st.layers >= 3, `${st.layers} layers`);
    await page.locator('#undo').click();
    assert.equal(await getSVG(page), before, 'undo restores the drawing before the import');
  });

  it('reload restores the autosaved document', async () => {
    await row(page, 0).click();
    await page.keyboard.press('ArrowRight');
    const before = await getSVG(page);
    await page.reload();
    await page.evaluate(() => window.laminaEditor.ready);
    assert.equal(await getSVG(page), before);
    assert.equal(await page.getByTestId('layer-row').count(), pathsOf(before).length);
    assert.equal(page.errors.length, 0, page.errors.join('\n'));
  });
});

describe('widget', { timeout: TIMEOUT }, () => {
  it('embed.html renders <lamina-svg> and <lamina-editor>', async () => {
    const ctx = await browser.newContext({ viewport: { width: 1100, height: 1400 } });
    const page = await ctx.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e));
    await page.goto(URL + 'embed.html?backend=cpu&steps=8');
    await page.waitForFunction(() => document.querySelectorAll('lamina-svg svg path').length > 0 &&
      [...document.querySelectorAll('lamina-svg')].every((e) => e.querySelector('svg') || e.textContent.startsWith('lamina:')), null, { timeout: TIMEOUT });
    const svgs = await page.evaluate(() => [...document.querySelectorAll('lamina-svg')].map((e) => ({ paths: e.querySelectorAll('svg path').length, text: e.textContent, svg: e.svg })));
    for (const s of svgs) assert.ok(s.paths > 0, 'lamina-svg drew: ' + s.text);
    // Editable by code: restyle a layer of the inline SVG.
    assert.ok(await page.evaluate(() => { const p = document.querySelector('lamina-svg [data-layer="0"]'); p.setAttribute('fill', '#ffd700'); return p.getAttribute('fill') === '#ffd700'; }));
    const frame = page.frameLocator('lamina-editor iframe');
    await frame.getByTestId('generate').waitFor({ timeout: TIMEOUT });
    const inner = page.frames().find((f) => f.url().includes('editor.html'));
    await inner.evaluate(() => window.laminaEditor.ready);
    assert.equal(await inner.getByTestId('prompt').inputValue(), 'red heart', 'prompt attribute reaches the editor');
    await page.screenshot({ path: join(OUT, 'embed.png'), fullPage: true });
    assert.equal(errors.length, 0, errors.join('\n'));
    await ctx.close();
  });
});

describe('playground', { timeout: TIMEOUT }, () => {
  it('loads the demo model, streams tokens and draws the logit-lens heatmap', async () => {
    const ctx = await browser.newContext({ viewport: { width: 1200, height: 900 } });
    const page = await ctx.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e));
    await page.goto(URL + 'playground.html?model=models/demo-lm/');
    await page.selectOption('#backend', 'cpu');
    await page.getByTestId('load').click();
    await page.waitForFunction(() => /^Loaded/.test(document.querySelector('[data-testid=model-status]').textContent) ||
      /^Could not/.test(document.querySelector('[data-testid=model-status]').textContent), null, { timeout: TIMEOUT });
    assert.match(await page.getByTestId('model-status').textContent(), /^Loaded/);
    // Record how many tokens were on screen at each DOM change: streaming means several counts.
    await page.evaluate(() => {
      window.__counts = [];
      new MutationObserver(() => window.__counts.push(document.querySelectorAll('#output .tok').length))
        .observe(document.getElementById('output'), { childList: true });
    });
    await page.fill('#max', '12');
    await page.getByTestId('lm-generate').click();
    await page.waitForFunction(() => !document.querySelector('[data-testid=lm-generate]').disabled &&
      document.querySelectorAll('[data-testid=lens-cell]').length > 0, null, { timeout: TIMEOUT });
    const counts = await page.evaluate(() => window.__counts);
    const distinct = new Set(counts.filter((c) => c > 0));
    assert.ok(distinct.size >= 3, `tokens arrived one by one: ${counts}`);
    const lens = await page.evaluate(() => ({
      rows: document.querySelectorAll('[data-testid=heatmap] tbody tr').length,
      cols: document.querySelectorAll('[data-testid=heatmap] thead th.pos').length,
      cells: document.querySelectorAll('[data-testid=lens-cell]').length,
    }));
    const cfg = JSON.parse(await (await fetch(URL + 'models/demo-lm/config.json')).text());
    assert.equal(lens.rows, (cfg.n_layer || cfg.num_hidden_layers) + 1, 'one row per layer plus the embeddings');
    assert.ok(lens.cols > 1);
    assert.equal(lens.cells, lens.rows * lens.cols);
    await page.screenshot({ path: join(OUT, 'playground.png'), fullPage: true });
    assert.equal(errors.length, 0, errors.join('\n'));
    await ctx.close();
  });
});

describe('editor on WebGPU', { timeout: TIMEOUT * 2 }, () => {
  it('?backend=webgpu draws on WebGPU (status and panel say so) and moves to the CPU after a device loss', async () => {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    // Record the GPUDevices the page creates, so the test can lose them.
    await ctx.addInitScript(recordGPUDevices);
    // The tiny model whatever LAMINA_E2E_SVG_MODEL says: SwiftShader is a CPU emulator.
    // drawer=page: the model on the page's own thread (the fallback without workers), whose
    // WebGPU device the init script records.
    const page = await openEditor(ctx, '?backend=webgpu&drawer=page&model=models/tiny-svg/');
    const s0 = await state(page);
    assert.ok(s0.modelLoaded, 'drawing model loaded: ' + s0.status);
    assert.match(s0.status, /^Ready on WebGPU \(.+\)\./, 'the status line names the backend');
    assert.match(await page.textContent('#model-info'), /· WebGPU \(/);
    assert.equal(await page.evaluate(() => window.__devices.length), 1, 'one WebGPU device');
    await generate(page, 'red heart', 2);
    const s1 = await state(page);
    assert.match(s1.status, /^Drawing: \d+ layers in/, s1.status);
    assert.ok(pathsOf(await getSVG(page)).length > 0, 'the drawing has layers');
    assert.ok(await ink(page) > MIN_INK, 'the canvas is not blank');
    console.log(`# ${s0.status} → ${s1.status}`);

    // Device loss: the model moves to the CPU and the next action works.
    await page.evaluate(() => window.__devices.forEach((d) => d.destroy()));
    await page.waitForFunction(() => /GPU was lost/.test(window.laminaEditor.state().status), null, { timeout: TIMEOUT });
    assert.match(await page.textContent('#model-info'), /· CPU$/);
    const before = await getSVG(page);
    await generate(page, 'blue star', 3);
    // Rows were already there: wait for this drawing's own status line.
    await page.waitForFunction(() => /\(seed 3\)|rror|failed/.test(window.laminaEditor.state().status), null, { timeout: TIMEOUT });
    const s2 = await state(page);
    assert.match(s2.status, /^Drawing: \d+ layers in .*\(seed 3\)/, s2.status);
    assert.notEqual(await getSVG(page), before, 'a new drawing on the CPU');
    assert.deepEqual(page.errors, []);
    await ctx.close();
  });
});

// ---- rendering paths, selection conventions, narrow layout ----

// artboardInk counts non-white pixels inside the artboard, which the editor centers in
// #stage (the area the panels leave free) with a 32 CSS px margin; it stays 8 px inside.
async function artboardInk(page) {
  await presented(page);
  const st = await page.evaluate(() => { const r = document.getElementById('stage').getBoundingClientRect(); return { x: r.left, y: r.top, w: r.width, h: r.height }; });
  const side = Math.min(st.w, st.h) - 64;
  const clip = { x: Math.ceil(st.x + (st.w - side) / 2 + 8), y: Math.ceil(st.y + (st.h - side) / 2 + 8), width: Math.floor(side - 16), height: Math.floor(side - 16) };
  const png = await page.screenshot({ clip });
  return page.evaluate(async (b64) => {
    const img = await createImageBitmap(await (await fetch('data:image/png;base64,' + b64)).blob());
    const c = new OffscreenCanvas(img.width, img.height);
    const g = c.getContext('2d');
    g.drawImage(img, 0, 0);
    const d = g.getImageData(0, 0, img.width, img.height).data;
    let n = 0;
    for (let i = 0; i < d.length; i += 4) if (d[i] < 245 || d[i + 1] < 245 || d[i + 2] < 245) n++;
    return n;
  }, png.toString('base64'));
}

// topmostPoint returns [index, point] of the topmost layer a click can select.
async function topmostPoint(page) {
  const n = (await state(page)).layers;
  for (let i = n - 1; i >= 0; i--) {
    const p = await page.evaluate((i) => window.laminaEditor.layerPoint(i), i);
    if (p) return [i, p];
  }
  return [-1, null];
}

describe('editor drawing layers as ebiten vector paths (?render=vector)', { timeout: TIMEOUT * 3 }, () => {
  let page;
  before(async () => { page = await openEditor(null, '?render=vector'); });
  after(async () => { await page.context().close(); });

  it('generates (canvas not blank), click selects, drag moves', async () => {
    const s = await state(page);
    assert.equal(s.render, 'vector');
    const before = await artboardInk(page);
    await generate(page, 'red heart', 1);
    const after = await artboardInk(page);
    assert.ok(after > before + MIN_INK, `ink before ${before}, after ${after}`);
    await page.screenshot({ path: join(OUT, 'editor-vector-generated.png') });

    const [i, p] = await topmostPoint(page);
    assert.ok(p, 'some layer is visible on top somewhere');
    await page.mouse.click(p.x, p.y);
    await selectedIs(page, i);
    assert.deepEqual((await state(page)).selected, [i]);

    const shot0 = await page.screenshot();
    const svg0 = pathsOf(await getSVG(page));
    await page.mouse.move(p.x, p.y);
    await page.mouse.down();
    await page.mouse.move(p.x + 20, p.y + 10, { steps: 4 });
    await page.mouse.move(p.x + 40, p.y + 25, { steps: 4 });
    await page.mouse.up();
    const svg1 = pathsOf(await getSVG(page));
    for (let k = 0; k < svg0.length; k++) {
      if (k === i) assert.match(svg1[k], /transform="matrix\(1 0 0 1 [0-9.]+ [0-9.]+\)"/, 'dragged layer moved');
      else assert.equal(svg1[k], svg0[k], `layer ${k} unchanged`);
    }
    await presented(page);
    const shot1 = await page.screenshot();
    assert.ok(await diffPixels(page, shot0, shot1) > 100, 'the canvas shows the move');
    await page.screenshot({ path: join(OUT, 'editor-vector-dragged.png') });
    assert.deepEqual(page.errors, []);
  });

  it('layers panel: click selects one row, Shift+click the range from the anchor, Ctrl+click toggles', async () => {
    const n = (await state(page)).layers;
    assert.ok(n >= 3, `needs 3 layers, has ${n}`);
    const sel = async () => (await state(page)).selected;
    await row(page, 0).click();
    assert.deepEqual(await sel(), [0]);
    await row(page, 2).click({ modifiers: ['Shift'] });
    assert.deepEqual(await sel(), [0, 1, 2], 'range from the anchor');
    await row(page, 1).click({ modifiers: ['Shift'] });
    assert.deepEqual(await sel(), [0, 1], 'a second Shift+click re-draws the range from the same anchor');
    await row(page, 2).click({ modifiers: ['Control'] });
    assert.deepEqual(await sel(), [0, 1, 2], 'Ctrl+click adds');
    await row(page, 0).click({ modifiers: ['Control'] });
    assert.deepEqual(await sel(), [1, 2], 'Ctrl+click removes');
    // The panel re-renders on the editor's next frame: wait for it rather than race it.
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=layer-row][aria-selected=true]').length === 2, null, { timeout: 10000 })
      .catch(() => {});
    assert.equal(await page.locator('[data-testid=layer-row][aria-selected=true]').count(), 2);
    await row(page, 1).click();
    assert.deepEqual(await sel(), [1], 'a plain click selects only that row');
  });
});

describe('editor on a phone (390×844)', { timeout: TIMEOUT * 2 }, () => {
  it('generate works, the drawing is visible and not covered, layer rows are reachable', async () => {
    const ctx = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
    const page = await openEditor(ctx);
    const s = await state(page);
    if (/swiftshader|llvmpipe/i.test(s.renderer)) assert.equal(s.render, 'raster', `software WebGL (${s.renderer}) falls back to the CPU raster`);
    const stage = await page.evaluate(() => { const r = document.getElementById('stage').getBoundingClientRect(); return { l: r.left, t: r.top, r: r.right, b: r.bottom }; });
    assert.ok(stage.r - stage.l >= 380 && stage.b - stage.t >= 300, `room for the drawing: ${JSON.stringify(stage)}`);
    await page.screenshot({ path: join(OUT, 'phone-empty.png') });
    const blank = await artboardInk(page);
    await generate(page, 'red heart', 1);
    const drawn = await artboardInk(page);
    // a smaller artboard than on the desktop: a quarter of the desktop's threshold
    assert.ok(drawn > blank + MIN_INK / 4, `the drawing is on the canvas: ink ${blank} → ${drawn}`);
    // The drawing is not under a panel: where a layer can be clicked, the canvas is on top.
    const [i, p] = await topmostPoint(page);
    assert.ok(p, 'a layer is visible');
    assert.ok(p.x > stage.l && p.x < stage.r && p.y > stage.t && p.y < stage.b, 'inside the free area');
    assert.equal(await page.evaluate(({ x, y }) => document.elementFromPoint(x, y)?.dataset.testid, p), 'canvas');
    await page.screenshot({ path: join(OUT, 'phone-generated.png') });
    // Layer rows: behind the Layers tab, reachable and selectable.
    await page.click('#tab-layers');
    const n = (await state(page)).layers;
    const top = row(page, n - 1);
    await top.scrollIntoViewIfNeeded();
    assert.ok(await top.isVisible(), 'top layer row visible');
    await top.click();
    assert.deepEqual((await state(page)).selected, [n - 1]);
    // The panel is re-rendered after a selection: wait for it before touching rows again.
    await page.waitForFunction((i) => document.querySelector(`[data-testid=layer-row][data-layer-index="${i}"]`)?.getAttribute('aria-selected') === 'true', n - 1, { timeout: TIMEOUT });
    await row(page, 0).scrollIntoViewIfNeeded();
    assert.ok(await row(page, 0).isVisible(), 'bottom layer row reachable by scrolling');
    await page.screenshot({ path: join(OUT, 'phone-layers.png') });
    // Tapping the open tab folds the sheet away and gives the drawing the room.
    await page.click('#tab-layers');
    const folded = await page.evaluate(() => document.getElementById('stage').getBoundingClientRect().bottom);
    assert.ok(folded > stage.b + 100, `stage grows when the sheet folds: ${stage.b} → ${folded}`);
    assert.deepEqual(page.errors, []);
    await ctx.close();
  });
});
