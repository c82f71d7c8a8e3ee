// bench.mjs opens site/bench.html in headless Chromium (SwiftShader WebGPU)
// and prints its JSON: prefill/decode tokens/s per backend and the
// webgpu/cpu ratios. Run through `e2e/run.sh --bench [query]`, e.g.
// `e2e/run.sh --bench 'preset=tiny&prompt=64&tokens=32'`.
import { launch } from './browser.mjs';

const url = process.env.LAMINA_URL;
const query = process.argv[2] || '';
const browser = await launch();
try {
  const page = await browser.newPage();
  page.on('console', (m) => m.type() === 'error' && console.error('page:', m.text()));
  await page.goto(`${url}bench.html?autorun=1&${query}`);
  await page.waitForFunction(() => window.__benchResult, null, { timeout: 600_000, polling: 500 });
  const out = await page.evaluate(() => window.__benchResult);
  console.log(JSON.stringify(out, null, 2));
  if (out.error || out.results.some((r) => r.error)) process.exitCode = 1;
} finally {
  await browser.close();
}
