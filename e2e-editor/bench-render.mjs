// bench-render.mjs prints what drawing the editor's layers costs in headless Chromium, per
// way of drawing them (CPU raster, ebiten vector paths with caches, ebiten's own AntiAlias
// option) — a benchmark, not a test: it asserts nothing about speed. Run it through
// run.sh, which builds and serves the site:
//
//   e2e-editor/run.sh --bench                       (tiny test model's drawing)
//   LAMINA_E2E_SVG_MODEL=models/layered-emoji e2e-editor/run.sh --bench
//
// It generates a drawing (seed 1, 8 steps), then window.laminaEditor.benchRender times each
// case on an offscreen target the canvas's size, waiting for the GPU after each run, and
// returns medians in milliseconds.
import { launch } from '../e2e/browser.mjs';

const URL = process.env.LAMINA_URL;
if (!URL) throw new Error('LAMINA_URL is not set: run e2e-editor/run.sh --bench');
const FRAMES = Number(process.env.LAMINA_BENCH_FRAMES || 10);

const browser = await launch();
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.on('console', (m) => { if (m.type() === 'error' || m.text().startsWith('benchRender') || process.env.LAMINA_BENCH_VERBOSE) console.error('page:', m.text()); });
  await page.goto(URL + 'editor.html' + (process.argv[2] ? '?render=' + process.argv[2] : ''));
  await page.evaluate(() => window.laminaEditor.ready);
  await page.evaluate(() => window.laminaEditor.generate({ prompt: 'red heart', seed: 1, steps: 8 }));
  const r = await page.evaluate((n) => window.laminaEditor.benchRender(n), FRAMES);
  const per = (ms) => (ms / Math.max(1, r.layers)).toFixed(2);
  console.log(`renderer: ${r.renderer || '(none)'}; automatic mode: ${r.mode}; canvas ${r.width}×${r.height}; ${r.layers} layers`);
  const rows = [
    ['tessellate_go', 'Go: flatten + ebiten/vector fan triangles, all layers'],
    ['raster', 'CPU raster of all layers + upload'],
    ['raster_preview', 'CPU raster at preview scale 0.5'],
    ['vector_cold', 'vector paths, 2× supersampled, empty caches'],
    ['vector_warm', 'vector paths, composite reused (select/hover redraw)'],
    ['vector_drag', 'vector paths, dragging the top layer'],
    ['vector_drag_middle', 'vector paths, dragging a middle layer'],
    ['vector_preview', 'vector paths, preview (no supersampling, no cache)'],
    ['stencil_direct_noaa', 'stencil fills straight onto the target, no AA'],
  ];
  console.log('case'.padEnd(22) + 'ms/frame'.padStart(10) + 'ms/layer'.padStart(10) + '  what');
  for (const [k, what] of rows) console.log(k.padEnd(22) + r[k].toFixed(2).padStart(10) + per(r[k]).padStart(10) + '  ' + what);
  for (const k of ['ebiten_aa_fillall_per_layer', 'ebiten_aa_stencil_per_layer']) {
    if (k in r) console.log(k.padEnd(22) + '-'.padStart(10) + r[k].toFixed(2).padStart(10) + '  ebiten AntiAlias option, ' + (k.includes('fillall') ? 'no fill rule (offscreen only)' : 'with fill rule (the first design)'));
  }
  console.log('frame_raster'.padEnd(22) + r.frame_raster.toFixed(2).padStart(10) + ''.padStart(10) + '  whole frame incl. chrome, raster mode');
  console.log('frame_vector_warm'.padEnd(22) + r.frame_vector_warm.toFixed(2).padStart(10) + ''.padStart(10) + '  whole frame incl. chrome, vector mode, warm');
  console.log(`vector path ÷ raster (cold, all layers): ${(r.vector_cold / r.raster).toFixed(2)}×; drag top layer vs raster: ${(r.vector_drag / r.raster).toFixed(2)}×`);
  console.log(JSON.stringify(r));
} finally {
  await browser.close();
}
