// svgbench.mjs times the layered-SVG model's sample latency through
// lamina.mjs in headless Chromium: m.generate with the shipped defaults (24
// steps, cfg 3), one warm-up and then `runs` timed samples, per backend and
// worker setting. Run through
//   e2e/run.sh --svgbench [MODEL_DIR] [runs]   (default: svgmodel/testdata/tiny, 3 runs)
// which serves MODEL_DIR at /models/svgbench/. Prints JSON; figures on
// SwiftShader WebGPU are a CPU emulator's (ratios only).
import { launch } from './browser.mjs';

const url = process.env.LAMINA_URL;
const runs = Number(process.argv[2] || 3);
const backends = (process.env.LAMINA_SVGBENCH_BACKENDS || 'cpu,webgpu').split(',');
// LAMINA_SVGBENCH_WORKER=false|true times only that worker setting (default both);
// LAMINA_SVGBENCH_N=4 also times one m.generate({ n: 4 }) (four candidates in one sampling run).
const workers = process.env.LAMINA_SVGBENCH_WORKER ? [process.env.LAMINA_SVGBENCH_WORKER === 'true'] : [false, true];
const nCandidates = Number(process.env.LAMINA_SVGBENCH_N || 0);
const browser = await launch();
const results = [];
try {
  for (const backend of backends) {
    for (const worker of workers) {
      const page = await browser.newPage();
      await page.goto(url);
      const r = await page.evaluate(async ({ backend, worker, runs, nCandidates }) => {
        try {
          const { createRuntime } = await import('/lamina.mjs');
          const rt = await createRuntime({ backend, worker });
          const t0 = performance.now();
          const m = await rt.loadSVGModel('/models/svgbench/');
          const loadMs = performance.now() - t0;
          const opts = { prompt: 'red heart', steps: 24, cfg: 3 };
          await m.generate({ ...opts, seed: 0 }); // warm-up
          const ms = [];
          let layers = 0;
          for (let i = 1; i <= runs; i++) {
            const s = performance.now();
            const out = await m.generate({ ...opts, seed: i });
            ms.push(performance.now() - s);
            layers += out.layers.length;
          }
          // With onStep: the per-step SVG the editor animates.
          const s = performance.now();
          let n = 0;
          await m.generate({ ...opts, seed: 1, onStep: () => n++ });
          const withStepsMs = performance.now() - s;
          let candidatesMs;
          if (nCandidates > 0) {
            const c = performance.now();
            await m.generate({ ...opts, seed: 1, n: nCandidates });
            candidatesMs = performance.now() - c;
          }
          const out = { backend: rt.backend, svgBackend: m.backend, worker, loadMs, ms, medianMs: [...ms].sort((a, b) => a - b)[Math.floor(ms.length / 2)], withStepsMs, onStepCalls: n, candidates: nCandidates || undefined, candidatesMs, meanLayers: layers / runs, weightBytes: m.info.weightBytes };
          await m.dispose();
          await rt.dispose();
          return out;
        } catch (e) {
          return { backend, worker, error: String(e && e.message || e) };
        }
      }, { backend, worker, runs, nCandidates });
      results.push(r);
      await page.close();
    }
  }
} finally {
  await browser.close();
}
console.log(JSON.stringify({ steps: 24, cfg: 3, runs, results }, null, 2));
if (results.some((r) => r.error)) process.exitCode = 1;
