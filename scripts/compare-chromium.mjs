// compare-chromium.mjs renders every Twemoji SVG three ways at 144×144 and compares them:
//   chromium(original) vs chromium(lamina round trip)   — what a viewer sees after SVG → tokens → SVG
//   chromium(original) vs lamina's own rasterizer        — checks the reader and rasterizer
// Metrics match vector.Compare: silhouette IoU of alpha, mean |RGBA| error (color weighted by alpha).
//
// usage: node scripts/compare-chromium.mjs [LAMINA_BIN] [EVERY_NTH]
// needs: lamina built (go build -o /tmp/lamina ./cmd/lamina), scripts/fetch-data.sh run,
// playwright-core (e2e/node_modules), /usr/bin/chromium. Writes .cache/chromium-compare.json.
import { execFileSync } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { fileURLToPath } from 'url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { chromium } = await import(path.join(repo, 'e2e/node_modules/playwright-core/index.mjs'));
const lamina = process.argv[2] || '/tmp/lamina';
const every = Number(process.argv[3] || 1);
const S = 144;
const src = path.join(process.env.LAMINA_CACHE || path.join(repo, '.cache'), 'npm/node_modules/@twemoji/svg');
const files = fs.readdirSync(src).filter((f, i) => f.endsWith('.svg')).sort().filter((_, i) => i % every === 0);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lamina-cmp-'));

const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
const page = await browser.newPage();
await page.setContent('<html><body></body></html>');
const results = [];
const B = 40;
for (let i = 0; i < files.length; i += B) {
  const batch = files.slice(i, i + B).map(f => {
    const rt = path.join(tmp, f), png = path.join(tmp, f + '.png');
    execFileSync(lamina, ['svg', 'roundtrip', '--in', path.join(src, f), '--out', rt]);
    execFileSync(lamina, ['svg', 'render', '--in', path.join(src, f), '--out', png, '--size', String(S)]);
    return { f, a: fs.readFileSync(path.join(src, f), 'utf8'), b: fs.readFileSync(rt, 'utf8'), m: fs.readFileSync(png).toString('base64') };
  });
  results.push(...await page.evaluate(async ({ batch, S }) => {
    const draw = async (url) => {
      const img = new Image();
      img.src = url;
      await img.decode();
      const c = new OffscreenCanvas(S, S); const g = c.getContext('2d');
      g.drawImage(img, 0, 0, S, S);
      return g.getImageData(0, 0, S, S).data; // straight alpha
    };
    const svgURL = (s) => 'data:image/svg+xml;base64,' + btoa(unescape(encodeURIComponent(s)));
    const cmp = (p, q) => {
      let si = 0, su = 0, e = 0;
      for (let k = 0; k < S * S; k++) {
        const pa = p[4 * k + 3] / 255, qa = q[4 * k + 3] / 255;
        si += Math.min(pa, qa); su += Math.max(pa, qa);
        for (let c = 0; c < 3; c++) e += Math.abs(p[4 * k + c] / 255 * pa - q[4 * k + c] / 255 * qa);
        e += Math.abs(pa - qa);
      }
      return { iou: su ? si / su : 1, err: e / (4 * S * S) };
    };
    const out = [];
    for (const { f, a, b, m } of batch) {
      const pa = await draw(svgURL(a));
      out.push({ f, roundtrip: cmp(pa, await draw(svgURL(b))), lamina_raster: cmp(pa, await draw('data:image/png;base64,' + m)) });
    }
    return out;
  }, { batch, S }));
  if (i % 400 === 0) console.error(`${i}/${files.length}`);
}
await browser.close();
fs.rmSync(tmp, { recursive: true });
fs.writeFileSync(path.join(repo, '.cache/chromium-compare.json'), JSON.stringify(results));
const summary = { files: results.length, size_px: S };
for (const key of ['roundtrip', 'lamina_raster']) {
  const v = results.map(r => r[key]);
  summary[key] = {
    mean_silhouette_iou: v.reduce((t, r) => t + r.iou, 0) / v.length,
    mean_rgba_error: v.reduce((t, r) => t + r.err, 0) / v.length,
    worst: [...results].sort((x, y) => y[key].err - x[key].err).slice(0, 10).map(r => ({ file: r.f, ...r[key] })),
  };
}
console.log(JSON.stringify(summary, null, 2));
