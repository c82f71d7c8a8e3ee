// compare-chromium.mjs renders every Twemoji SVG three ways at 144×144 and compares them:
//   chromium(original) vs chromium(lamina round trip)   — what a viewer sees after SVG → tokens → SVG
//   chromium(original) vs lamina's own rasterizer        — checks the reader and rasterizer
// Metrics match vector.Compare: silhouette IoU of alpha, mean |RGBA| error (color weighted by alpha).
//
// usage: node scripts/compare-chromium.mjs [LAMINA_BIN] [EVERY_NTH]
//        node scripts/compare-chromium.mjs --resvg [LAMINA_BIN]
//        node scripts/compare-chromium.mjs --iconify [LAMINA_BIN] [PER_SET]
// needs: lamina built (go build -o /tmp/lamina ./cmd/lamina), scripts/fetch-data.sh run,
// playwright-core (e2e/node_modules), /usr/bin/chromium. Writes .cache/chromium-compare.json.
//
// --resvg: every test of vector/testdata/resvg drawn by Chromium and by lamina's rasterizer at
// the reference PNG's size, both compared with resvg's reference (pass: IoU ≥ 0.98, error ≤
// 0.01); prints pass counts per folder and writes the Chromium-passing list to
// vector/testdata/resvg/chromium-pass.txt (read by TestResvgSuite).
// --iconify: PER_SET icons (default 200, every k-th by name) of each Iconify emoji set: Chromium
// draws the original and lamina's round trip (SVG → tokens → SVG) at 128 px; prints mean and
// p5 silhouette IoU per set (and lamina's rasterizer vs Chromium on the original).
// --folder SRC [MAX]: real-world SVG nobody here wrote. SRC is a folder of .svg files (searched
// recursively) or an Iconify icons.json (each icon wrapped as --iconify does); at most MAX files
// (default 300, every k-th by path). Chromium draws the ORIGINAL at 128 px wide (height from its
// intrinsic aspect), and that is compared with lamina's render of the parsed document (`svg
// render`) and with the K=48/N=16 round trip (`svg roundtrip`): mean / p5 / worst IoU of alpha
// and RGBA error. Every file under IoU 0.95 is listed with what lamina put in `unsupported`;
// one with nothing listed (or a parse error on a file Chromium draws) is a silent drop.
// Writes .cache/folder-compare-NAME.json (per-file results; $LAMINA_COMPARE_OUT overrides).
import { execFileSync } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { fileURLToPath } from 'url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { chromium } = await import(path.join(repo, 'e2e/node_modules/playwright-core/index.mjs'));
const mode = ['--resvg', '--iconify', '--folder'].includes(process.argv[2]) ? process.argv.splice(2, 1)[0] : '';
const lamina = process.argv[2] || '/tmp/lamina';
if (mode) {
  await ({ '--resvg': resvgMode, '--iconify': iconifyMode, '--folder': folderMode })[mode]();
  process.exit(0);
}
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

function launch() {
  return chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
}

// pageCompare draws images (data URLs) in the page at W×H and returns IoU / error of each pair.
async function pageCompare(page, pairs) {
  return page.evaluate(async (pairs) => {
    const draw = async (url, W, H) => {
      const img = new Image();
      img.src = url;
      try { await img.decode(); } catch { return new Uint8ClampedArray(4 * W * H); }
      const c = new OffscreenCanvas(W, H); const g = c.getContext('2d');
      g.drawImage(img, 0, 0, W, H);
      return g.getImageData(0, 0, W, H).data;
    };
    const cmp = (p, q, n) => {
      let si = 0, su = 0, e = 0;
      for (let k = 0; k < n; k++) {
        const pa = p[4 * k + 3] / 255, qa = q[4 * k + 3] / 255;
        si += Math.min(pa, qa); su += Math.max(pa, qa);
        for (let c = 0; c < 3; c++) e += Math.abs(p[4 * k + c] / 255 * pa - q[4 * k + c] / 255 * qa);
        e += Math.abs(pa - qa);
      }
      return { iou: su ? si / su : 1, err: e / (4 * n) };
    };
    const out = [];
    for (const { a, b, c, W, H } of pairs) {
      const ia = await draw(a, W, H), ib = await draw(b, W, H);
      const r = { ab: cmp(ia, ib, W * H) };
      if (c) r.ac = cmp(ia, await draw(c, W, H), W * H), r.bc = cmp(ib, await draw(c, W, H), W * H);
      out.push(r);
    }
    return out;
  }, pairs);
}

function dataURL(mime, buf) { return `data:${mime};base64,` + Buffer.from(buf).toString('base64'); }
function pass(m) { return m.iou >= 0.98 && m.err <= 0.01; }

async function resvgMode() {
  const root = path.join(repo, 'vector/testdata/resvg');
  const files = [];
  const walk = (d) => { for (const e of fs.readdirSync(d, { withFileTypes: true })) { const p = path.join(d, e.name); if (e.isDirectory()) walk(p); else if (p.endsWith('.svg')) files.push(p); } };
  walk(root);
  files.sort();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lamina-resvg-'));
  const browser = await launch();
  const page = await browser.newPage();
  await page.setContent('<html><body></body></html>');
  const per = {};
  const chromePass = [];
  for (let i = 0; i < files.length; i += 20) {
    const batch = [];
    for (const f of files.slice(i, i + 20)) {
      const refPNG = f.replace(/\.svg$/, '.png');
      if (!fs.existsSync(refPNG)) continue;
      const ref = fs.readFileSync(refPNG);
      const W = ref.readUInt32BE(16), H = ref.readUInt32BE(20);
      const out = path.join(tmp, 'x.png');
      let lam = null;
      try {
        execFileSync(lamina, ['svg', 'render', '--in', f, '--out', out, '--size', String(W)], { stdio: 'pipe' });
        lam = dataURL('image/png', fs.readFileSync(out));
      } catch { lam = null; }
      batch.push({ name: path.relative(root, f).replace(/\.svg$/, ''), a: dataURL('image/png', ref), b: dataURL('image/svg+xml', fs.readFileSync(f)), c: lam || dataURL('image/png', Buffer.alloc(0)), W, H });
    }
    const res = await pageCompare(page, batch.map(({ a, b, c, W, H }) => ({ a, b, c, W, H })));
    res.forEach((r, j) => {
      const name = batch[j].name, folder = name.split('/')[0];
      const t = per[folder] ||= { tests: 0, chromium_pass: 0, lamina_pass: 0, lamina_pass_of_chromium_pass: 0 };
      t.tests++;
      const cp = pass(r.ab), lp = pass(r.ac);
      if (cp) { t.chromium_pass++; chromePass.push(name); }
      if (lp) t.lamina_pass++;
      if (cp && lp) t.lamina_pass_of_chromium_pass++;
    });
  }
  await browser.close();
  fs.rmSync(tmp, { recursive: true });
  fs.writeFileSync(path.join(root, 'chromium-pass.txt'), '# resvg tests whose Chromium render matches the reference PNG (IoU >= 0.98, error <= 0.01); scripts/compare-chromium.mjs --resvg\n' + chromePass.join('\n') + '\n');
  const all = { tests: 0, chromium_pass: 0, lamina_pass: 0, lamina_pass_of_chromium_pass: 0 };
  for (const t of Object.values(per)) for (const k in all) all[k] += t[k];
  console.log(JSON.stringify({ per_folder: per, all }, null, 2));
}

async function iconifyMode() {
  const per = Number(process.argv[3] || 200);
  const S = 128;
  const base = path.join(process.env.LAMINA_CACHE || path.join(repo, '.cache'), 'npm/node_modules/@iconify-json');
  const sets = ['noto', 'fluent-emoji-flat', 'emojione', 'fxemoji', 'streamline-emojis', 'openmoji'];
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lamina-iconify-'));
  const browser = await launch();
  const page = await browser.newPage();
  await page.setContent('<html><body></body></html>');
  const summary = {};
  const q = (v, p) => { const s = [...v].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(p * s.length))]; };
  for (const set of sets) {
    const j = JSON.parse(fs.readFileSync(path.join(base, set, 'icons.json'), 'utf8'));
    const names = Object.keys(j.icons).sort();
    const step = Math.max(1, Math.floor(names.length / per));
    const pick = names.filter((_, i) => i % step === 0).slice(0, per);
    const rt = [], raster = [], failed = [];
    for (let i = 0; i < pick.length; i += 20) {
      const batch = [];
      for (const name of pick.slice(i, i + 20)) {
        const ic = j.icons[name];
        const w = ic.width || j.width || 16, h = ic.height || j.height || 16;
        const svg = iconifySVG(j, ic, S);
        const inF = path.join(tmp, 'in.svg'), outF = path.join(tmp, 'out.svg'), png = path.join(tmp, 'r.png');
        fs.writeFileSync(inF, svg);
        let back = '', lam = '';
        try {
          execFileSync(lamina, ['svg', 'roundtrip', '--in', inF, '--out', outF], { stdio: 'pipe' });
          back = fs.readFileSync(outF);
          execFileSync(lamina, ['svg', 'render', '--in', inF, '--out', png, '--size', String(S)], { stdio: 'pipe' });
          lam = fs.readFileSync(png);
        } catch { failed.push(name); }
        batch.push({ name, a: dataURL('image/svg+xml', svg), b: dataURL('image/svg+xml', back || '<svg xmlns="http://www.w3.org/2000/svg"/>'), c: dataURL('image/png', lam || Buffer.alloc(0)), W: S, H: Math.round(S * h / w) });
      }
      const res = await pageCompare(page, batch.map(({ a, b, c, W, H }) => ({ a, b, c, W, H })));
      res.forEach((r, k) => { rt.push({ name: batch[k].name, ...r.ab }); raster.push(r.ac.iou); });
    }
    const v = rt.map(r => r.iou);
    summary[set] = {
      files: v.length, roundtrip_mean_iou: v.reduce((a, b) => a + b, 0) / v.length, roundtrip_p5_iou: q(v, 0.05),
      below_0_95: v.filter(x => x < 0.95).length, roundtrip_mean_err: rt.reduce((a, r) => a + r.err, 0) / rt.length,
      raster_mean_iou: raster.reduce((a, b) => a + b, 0) / raster.length, raster_p5_iou: q(raster, 0.05),
      failed: failed.length, worst: [...rt].sort((a, b) => a.iou - b.iou).slice(0, 5).map(r => `${r.name} ${r.iou.toFixed(3)}`),
    };
    console.error(set, JSON.stringify(summary[set]));
  }
  await browser.close();
  fs.rmSync(tmp, { recursive: true });
  console.log(JSON.stringify(summary, null, 2));
}

// iconifySVG wraps one icon of an Iconify JSON set in its <svg> (as the Iconify renderers do).
function iconifySVG(j, ic, S) {
  const w = ic.width || j.width || 16, h = ic.height || j.height || 16;
  return `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" viewBox="${ic.left || 0} ${ic.top || 0} ${w} ${h}" width="${S}" height="${S * h / w}">${ic.body}</svg>`;
}

// sizelessRoot: a root <svg> with neither size nor viewBox is laid out at whatever box it is
// drawn into (user units stay px), so Chromium draws it at its natural 300 × 150 and that
// picture is scaled, as lamina's fixed viewBox is.
function sizelessRoot(svg) {
  return !/\s(width|height|viewBox)\s*=/.test((svg.match(/<svg\b[^>]*>/) || [''])[0]);
}

async function folderMode() {
  const src = path.resolve(process.argv[3] || '');
  const max = Number(process.argv[4] || 300);
  const S = 128;
  let items = []; // {name, svg: () => string}
  if (src.endsWith('.json')) {
    const j = JSON.parse(fs.readFileSync(src, 'utf8'));
    items = Object.keys(j.icons).sort().map(name => ({ name, svg: () => iconifySVG(j, j.icons[name], S) }));
  } else {
    const walk = (d) => { for (const e of fs.readdirSync(d, { withFileTypes: true })) { const p = path.join(d, e.name); if (e.isDirectory()) walk(p); else if (p.endsWith('.svg')) items.push({ name: path.relative(src, p), svg: () => fs.readFileSync(p, 'utf8') }); } };
    walk(src);
    items.sort((a, b) => a.name < b.name ? -1 : 1);
  }
  const step = Math.max(1, Math.ceil(items.length / max));
  items = items.filter((_, i) => i % step === 0);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lamina-folder-'));
  const browser = await launch();
  const page = await browser.newPage();
  await page.setContent('<html><body></body></html>');
  // drawAndCompare runs in the page: Chromium draws each original a at S px wide (height from
  // its intrinsic aspect) and it is compared with images b (lamina's render) and c (round trip).
  const drawAndCompare = async ({ pairs, S }) => {
    const load = async (url) => { const img = new Image(); img.src = url; try { await img.decode(); return img; } catch { return null; } };
    const draw = (img, W, H) => {
      const c = new OffscreenCanvas(W, H); const g = c.getContext('2d');
      if (img) g.drawImage(img, 0, 0, W, H);
      return g.getImageData(0, 0, W, H).data;
    };
    const cmp = (p, q, n) => {
      let si = 0, su = 0, e = 0, sp = 0, sq = 0;
      for (let k = 0; k < n; k++) {
        const pa = p[4 * k + 3] / 255, qa = q[4 * k + 3] / 255;
        si += Math.min(pa, qa); su += Math.max(pa, qa); sp += pa; sq += qa;
        for (let c = 0; c < 3; c++) e += Math.abs(p[4 * k + c] / 255 * pa - q[4 * k + c] / 255 * qa);
        e += Math.abs(pa - qa);
      }
      return { iou: su ? si / su : 1, err: e / (4 * n), coverage: sp ? sq / sp : 1 }; // coverage: total alpha, lamina / Chromium
    };
    const out = [];
    for (const { a, b, c, sizeless } of pairs) {
      let ia = await load(a);
      if (ia && sizeless) {
        const nat = new OffscreenCanvas(ia.naturalWidth, ia.naturalHeight);
        nat.getContext('2d').drawImage(ia, 0, 0);
        ia = Object.assign(nat, { naturalWidth: nat.width, naturalHeight: nat.height });
      }
      // The original's intrinsic aspect sets the canvas (an SVG with no size: square).
      const nw = ia ? ia.naturalWidth : 0, nh = ia ? ia.naturalHeight : 0;
      const W = S, H = nw > 0 && nh > 0 ? Math.max(1, Math.min(4 * S, Math.round(S * nh / nw))) : S;
      const pa = draw(ia, W, H), n = W * H;
      let cover = 0; for (let k = 0; k < n; k++) cover += pa[4 * k + 3];
      out.push({ chromium_draws: ia !== null && cover > 0, render: cmp(pa, draw(await load(b), W, H), n), roundtrip: cmp(pa, draw(await load(c), W, H), n) });
    }
    return out;
  };
  const results = [];
  const run = (args) => {
    try { return { out: execFileSync(lamina, args, { stdio: 'pipe', timeout: 60000 }).toString() }; } catch (e) {
      // killed (the 60 s timeout: a round trip of a 500-layer flag takes ~5 CPU-s) or silent: no stderr line to show
      return { error: String(e.stderr || '').trim().split('\n').pop() || (e.signal ? `${args[1]} killed by ${e.signal} (60 s timeout)` : `${args[1]} exit ${e.status}`) };
    }
  };
  const source = new Map(items.map(it => [it.name, it.svg]));
  for (let i = 0; i < items.length; i += 20) {
    const batch = [];
    for (const it of items.slice(i, i + 20)) {
      const svg = it.svg();
      const inF = path.join(tmp, 'in.svg'), outF = path.join(tmp, 'out.svg'), png = path.join(tmp, 'r.png');
      fs.writeFileSync(inF, svg);
      const r = { name: it.name, unsupported: [] };
      const rd = run(['svg', 'render', '--in', inF, '--out', png, '--size', String(S)]);
      let lam = Buffer.alloc(0), back = '';
      if (rd.error) r.error = rd.error;
      else { lam = fs.readFileSync(png); r.unsupported = JSON.parse(rd.out).unsupported || []; }
      const rt = run(['svg', 'roundtrip', '--in', inF, '--out', outF]);
      if (!rt.error) back = fs.readFileSync(outF);
      const sizeless = sizelessRoot(svg);
      batch.push({ r, a: dataURL('image/svg+xml', svg), b: dataURL('image/png', lam), c: dataURL('image/svg+xml', back || '<svg xmlns="http://www.w3.org/2000/svg"/>'), sizeless });
    }
    const res = await page.evaluate(drawAndCompare, { pairs: batch.map(({ a, b, c, sizeless }) => ({ a, b, c, sizeless })), S });
    res.forEach((x, k) => results.push({ ...batch[k].r, ...x }));
  }
  // A render under IoU 0.95 at 128 px is drawn again at 512 px: thin shapes (hairline
  // outlines, small text) differ there in anti-aliasing only (Skia's sampled coverage against
  // lamina's exact area), not in what is drawn, when the IoU rises to 0.95, or rises and the
  // total coverage agrees within 2 % (a dropped or added shape changes it).
  for (const r of results.filter(r => r.render.iou < 0.95 && r.chromium_draws && !r.error)) {
    const inF = path.join(tmp, 'in.svg'), png = path.join(tmp, 'r.png');
    const svg = source.get(r.name)();
    fs.writeFileSync(inF, svg);
    if (run(['svg', 'render', '--in', inF, '--out', png, '--size', String(4 * S)]).error) continue;
    const sizeless = sizelessRoot(svg);
    const [x] = await page.evaluate(drawAndCompare, { pairs: [{ a: dataURL('image/svg+xml', svg), b: dataURL('image/png', fs.readFileSync(png)), c: '', sizeless }], S: 4 * S });
    r.render_512 = x.render;
  }
  await browser.close();
  fs.rmSync(tmp, { recursive: true });
  const q = (v, p) => { const s = [...v].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(p * s.length))]; };
  const label = src.endsWith('.json') ? path.basename(path.dirname(src)) : path.basename(src);
  const summary = { source: src, files: results.length, chromium_draws_nothing: results.filter(r => !r.chromium_draws).length, lamina_errors: results.filter(r => r.error).length };
  for (const key of ['render', 'roundtrip']) {
    const v = results.map(r => r[key].iou);
    summary[key] = {
      mean_iou: v.reduce((a, b) => a + b, 0) / v.length, p5_iou: q(v, 0.05), below_0_95: v.filter(x => x < 0.95).length,
      mean_err: results.reduce((a, r) => a + r[key].err, 0) / results.length,
      worst: [...results].sort((a, b) => a[key].iou - b[key].iou).slice(0, 5).map(r => `${r.name} ${r[key].iou.toFixed(3)}`),
      // opaque rectangles (flags) have IoU 1 whatever their content: the color error tells
      worst_err: [...results].sort((a, b) => b[key].err - a[key].err).slice(0, 5).map(r => `${r.name} ${r[key].err.toFixed(4)}`),
    };
  }
  // Below 0.95 in lamina's own render: listed (something named in unsupported) or silent.
  const low = results.filter(r => r.render.iou < 0.95 && r.chromium_draws);
  const aa = (r) => r.render_512 && (r.render_512.iou >= 0.95 || r.render_512.iou > r.render.iou && Math.abs(r.render_512.coverage - 1) <= 0.02);
  summary.render_below_0_95_listed = low.filter(r => r.unsupported.length && !r.error).length;
  summary.antialiasing_only = low.filter(r => !r.unsupported.length && !r.error && aa(r)).map(r => `${r.name} ${r.render.iou.toFixed(3)} (512 px: ${r.render_512.iou.toFixed(3)}, coverage ${r.render_512.coverage.toFixed(3)})`);
  summary.silent = low.filter(r => (!r.unsupported.length || r.error) && !aa(r)).map(r => `${r.name} ${r.render.iou.toFixed(3)}${r.render_512 ? ` (512 px: ${r.render_512.iou.toFixed(3)}, coverage ${r.render_512.coverage.toFixed(3)})` : ''}${r.error ? ' error: ' + r.error : ''}`);
  summary.listed = low.filter(r => r.unsupported.length && !r.error).map(r => `${r.name} ${r.render.iou.toFixed(3)}: ${r.unsupported.slice(0, 3).join('; ')}`);
  fs.writeFileSync(process.env.LAMINA_COMPARE_OUT || path.join(repo, '.cache', `folder-compare-${label}.json`), JSON.stringify(results));
  console.log(JSON.stringify(summary, null, 2));
}
