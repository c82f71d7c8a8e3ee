// Browser test of align and distribute (issue 15): the Selection panel's buttons on a
// multi-selection made on the canvas, one layer aligned to the artboard, distribute's
// enabling at three layers, undo in one step, and a locked layer refused with the editor's
// status message. One page, documents loaded as SVG (no model runs), so it takes seconds.
// Run by e2e-editor/run.sh (LAMINA_URL, LAMINA_E2E_OUT). Expected boxes are worked out by
// hand from the SVGs below (the same figures as ui/align_test.go).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch } from '../e2e/browser.mjs';

const URL = process.env.LAMINA_URL;
if (!URL) throw new Error('LAMINA_URL is not set: run e2e-editor/run.sh');
const OUT = process.env.LAMINA_E2E_OUT || '/tmp';
const TIMEOUT = 120_000;

// SHAPES: rect (4,4)-(20,16), circle (13,11)-(31,29), triangle (6,20)-(22,32).
const SHAPES = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 36 36">' +
  '<rect x="4" y="4" width="16" height="12" fill="#3b82f6"/><circle cx="22" cy="20" r="9" fill="#ef4444"/>' +
  '<path d="M6 32 L14 20 L22 32 Z" fill="#22c55e" fill-opacity="0.8"/></svg>';
// ROW: three bars, x [0,2], [3,8], [20,24] (widths 11 in a span of 24: gaps of 6.5) and
// y [2,6], [20,22], [8,14] (heights 12 in a span of 20: gaps of 4).
const ROW = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 36 36">' +
  '<rect x="0" y="2" width="2" height="4" fill="#111827"/><rect x="3" y="20" width="5" height="2" fill="#f59e0b"/>' +
  '<rect x="20" y="8" width="4" height="6" fill="#8b5cf6"/></svg>';

let browser, page;
before(async () => {
  browser = await launch();
  page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(e));
  await page.goto(URL + 'editor.html');
  await page.evaluate(() => window.laminaEditor.ready);
});
after(async () => { await browser?.close(); });

const state = () => page.evaluate(() => window.laminaEditor.state());
const getSVG = () => page.evaluate(() => window.laminaEditor.getSVG());
// load opens a drawing and waits until the canvas shows it (the camera fits a new drawing
// on the next frame, and layerPoint needs that camera).
async function load(svg) {
  await page.evaluate((svg) => window.laminaEditor.loadSVG(svg), svg);
  await page.waitForFunction(() => { const s = window.laminaEditor.state(); return s.drawn === s.revision; }, null, { timeout: TIMEOUT });
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
}
const bounds = (i) => page.evaluate((i) => window.laminaEditor.layerBounds(i), i);
const row = (i) => page.locator(`[data-testid=layer-row][data-layer-index="${i}"]`);

// clickLayers selects layers by clicking them on the canvas (Shift adds).
async function clickLayers(...idx) {
  for (const [k, i] of idx.entries()) {
    const p = await page.evaluate((i) => window.laminaEditor.layerPoint(i), i);
    assert.ok(p, `layer ${i} has a point to click`);
    if (k === 1) await page.keyboard.down('Shift'); // mouse.click takes no modifiers
    await page.mouse.click(p.x, p.y);
  }
  if (idx.length > 1) await page.keyboard.up('Shift');
  assert.deepEqual((await state()).selected, [...idx].sort());
}

// buttonState waits (up to 5 s) for a Selection-panel button to be enabled or disabled.
async function buttonState(id, enabled, what) {
  const ok = await page.waitForFunction(([id, enabled]) => {
    const b = document.querySelector(`[data-testid=${id}]`);
    return b && b.disabled === !enabled;
  }, [id, enabled], { timeout: 5000 }).then(() => true, () => false);
  assert.ok(ok, what);
}

async function assertBox(i, want) {
  const b = await bounds(i);
  const got = [b.x0, b.y0, b.x1, b.y1];
  assert.ok(got.every((v, k) => Math.abs(v - want[k]) < 1e-6), `layer ${i}: box ${got}, want ${want}`);
}

describe('align and distribute', { timeout: TIMEOUT }, () => {
  it('aligns a canvas multi-selection to its bounds, in one undo step', async () => {
    await load(SHAPES);
    await clickLayers(0, 1, 2);
    const before = await getSVG();
    await page.getByTestId('align-left').click();
    await assertBox(0, [4, 4, 20, 16]);
    await assertBox(1, [4, 11, 22, 29]);
    await assertBox(2, [4, 20, 20, 32]);
    await page.getByTestId('align-bottom').click();
    await assertBox(0, [4, 20, 20, 32]);
    await assertBox(1, [4, 14, 22, 32]);
    await page.screenshot({ path: `${OUT}/editor-align.png` });
    await page.keyboard.press('Control+z'); // the keys are back on the canvas after the click
    await page.keyboard.press('Control+z');
    assert.equal(await getSVG(), before, 'two undos undo the two alignments');
    await page.getByTestId('align-center-h').click();
    await assertBox(0, [9.5, 4, 25.5, 16]);
    await assertBox(1, [8.5, 11, 26.5, 29]);
    await page.keyboard.press('Alt+KeyW'); // Alt+W: align top
    await assertBox(1, [8.5, 4, 26.5, 22]);
    await assertBox(2, [9.5, 4, 25.5, 16]);
  });

  it('aligns one layer to the artboard', async () => {
    await load(SHAPES);
    await clickLayers(1);
    await page.getByTestId('align-right').click();
    await assertBox(1, [18, 11, 36, 29]);
    await page.getByTestId('align-top').click();
    await assertBox(1, [18, 0, 36, 18]);
    await assertBox(0, [4, 4, 20, 16]); // unselected layers stay
  });

  it('distributes three layers with equal gaps; needs three', async () => {
    await load(ROW);
    await clickLayers(0, 2);
    // The panel's buttons follow the selection on the editor's next frame: wait for it.
    await buttonState('distribute-h', false, 'distribute is off with two layers');
    await buttonState('align-left', true, 'align is on with two layers');
    await page.keyboard.down('Shift'); // Shift+click on the canvas adds the middle bar
    await page.mouse.click(...Object.values(await page.evaluate(() => window.laminaEditor.layerPoint(1))));
    await page.keyboard.up('Shift');
    assert.deepEqual((await state()).selected, [0, 1, 2]);
    await buttonState('distribute-h', true, 'distribute is on with three layers');
    await page.getByTestId('distribute-h').click();
    await assertBox(0, [0, 2, 2, 6]);
    await assertBox(1, [8.5, 20, 13.5, 22]);
    await assertBox(2, [20, 8, 24, 14]);
    await page.getByTestId('distribute-v').click();
    await assertBox(0, [0, 2, 2, 6]);
    await assertBox(1, [8.5, 20, 13.5, 22]);
    await assertBox(2, [20, 10, 24, 16]);
  });

  it('refuses a selection with a locked layer and says so', async () => {
    await load(SHAPES);
    await row(0).getByTestId('layer-lock').click();
    await row(0).click(); // the panel still selects a locked layer
    await row(2).click({ modifiers: ['Shift'] });
    assert.deepEqual((await state()).selected, [0, 1, 2]);
    const before = await getSVG();
    for (const id of ['align-right', 'distribute-v']) {
      await page.getByTestId(id).click();
      assert.equal(await getSVG(), before, `${id} changed a locked layer`);
      await page.waitForFunction(() => /locked/i.test(window.laminaEditor.state().status));
    }
    assert.match((await state()).status, /unlock it/i);
    const err = await page.evaluate(() => String(window.laminaEditor.align('left')));
    assert.match(err, /locked/);
    assert.deepEqual(page.errors, []);
  });
});
