// Serves this folder on 127.0.0.1, opens index.html in headless Chromium
// (WebGPU on SwiftShader), prints the Go test output and per-op results,
// and exits non-zero when any test failed or the run did not finish.
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { launch } from '../../e2e/browser.mjs';

const dir = path.dirname(fileURLToPath(import.meta.url));
const types = { '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm' };
const server = http.createServer((req, res) => {
  const p = path.join(dir, decodeURIComponent(new URL(req.url, 'http://x').pathname));
  if (!p.startsWith(dir) || !fs.existsSync(p) || fs.statSync(p).isDirectory()) {
    res.writeHead(404); res.end(); return;
  }
  res.writeHead(200, { 'Content-Type': types[path.extname(p)] || 'application/octet-stream' });
  fs.createReadStream(p).pipe(res);
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const port = server.address().port;

const timeoutMs = Number(process.env.TIMEOUT_MS || 20 * 60 * 1000);
const browser = await launch();
let code = 1;
try {
  const page = await browser.newPage();
  page.on('console', (m) => console.log(m.text()));
  page.on('pageerror', (e) => console.log('pageerror: ' + e));
  // WASM=name.wasm ARGS='...' runs another program from build/ instead of
  // the kernel tests; then only its exit code counts.
  const other = process.env.WASM;
  const run = other ? `?wasm=${encodeURIComponent(other)}&args=${encodeURIComponent(process.env.ARGS || '')}`
    : process.argv[2] ? `?run=${encodeURIComponent(process.argv[2])}` : '';
  await page.goto(`http://127.0.0.1:${port}/index.html${run}`);
  await page.waitForFunction(() => globalThis.laminaDone === true, null, { timeout: timeoutMs, polling: 500 });
  const exit = await page.evaluate(() => globalThis.laminaExitCode);
  const results = await page.evaluate(() => globalThis.laminaResults);
  const bad = results.filter((r) => !r.ok);
  console.log(`\n${results.length} kernel comparisons, ${bad.length} out of tolerance; go test exit code ${exit}`);
  for (const r of bad) console.log(`  MISMATCH ${r.op} nmse=${r.nmse} maxAbs=${r.maxAbs}`);
  // A full run must have compared something; a filtered run (argv[2]) may not.
  code = exit === 0 && bad.length === 0 && (other || process.argv[2] || results.length > 0) ? 0 : 1;
} catch (e) {
  console.log('FAIL: ' + e);
} finally {
  await browser.close();
  server.close();
}
process.exit(code);
