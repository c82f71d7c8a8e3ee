// lamina-worker.js is the module Web Worker behind createRuntime({worker: true}).
// It owns one Engine (lamina.wasm in this worker) and answers lamina.mjs's
// messages:
//
//   page → worker  {id, op, args}            op: init ({backend, module, limits, threads} → {adapter, threads}), loadModel, loadFiles, logits,
//                                            layers, generate, disposeModel, dispose,
//                                            loadSVGModel, loadSVGFiles, svgRun, disposeSVGModel
//   page → worker  {op: 'cancel', target}    stop the generation (or svgRun) started by request target
//   worker → page  {id, result, backend}     success; backend is what runs now
//   worker → page  {id, error: {message, code, name}}
//   worker → page  {id, event: 'progress' | 'token' | 'step', data}   step: {step, steps, svg}
import { Engine, toLaminaError } from './lamina-engine.mjs';

let engine = null;
const cancelled = new Set();

const ops = {
  async init({ backend, module, limits, threads }) {
    engine = await Engine.create({ backend, module, limits, threads, assetsBase: new URL('./', import.meta.url) });
    return { adapter: engine.adapter, threads: engine.threads };
  },
  async loadModel({ baseURL }, id) {
    const m = await engine.loadModel(baseURL, (p) => postMessage({ id, event: 'progress', data: p }));
    return m; // tokenizerJSON is copied so the page can tokenize synchronously
  },
  async loadFiles({ files }) {
    return engine.loadFiles(files);
  },
  async logits({ model, ids }) {
    return engine.logits(model, ids);
  },
  async layers({ model, ids }) {
    return engine.layers(model, ids);
  },
  async generate({ model, opts }, id) {
    try {
      return await engine.generate(
        model,
        opts,
        (tok) => postMessage({ id, event: 'token', data: tok }),
        () => cancelled.has(id),
      );
    } finally {
      cancelled.delete(id);
    }
  },
  async loadSVGModel({ baseURL, backend }, id) {
    return engine.loadSVGModel(baseURL, (p) => postMessage({ id, event: 'progress', data: p }), backend);
  },
  async loadSVGFiles({ files, backend }) {
    return engine.loadSVGFiles(files, backend);
  },
  async svgRun({ model, opts, steps }, id) {
    try {
      return await engine.svgRun(
        model,
        opts,
        // Each estimate is posted as it comes, so the page can animate it.
        steps ? (step, n, svg) => postMessage({ id, event: 'step', data: { step, steps: n, svg } }) : null,
        () => cancelled.has(id),
      );
    } finally {
      cancelled.delete(id);
    }
  },
  async disposeSVGModel({ model }) {
    await engine.disposeSVGModel(model);
    return {};
  },
  async disposeModel({ model }) {
    engine.disposeModel(model);
    return {};
  },
  async dispose() {
    if (engine) engine.dispose();
    engine = null;
    return {};
  },
};

function transferables(v) {
  if (v && ArrayBuffer.isView(v)) return [v.buffer];
  return [];
}

self.onmessage = async (ev) => {
  const { id, op, args, target } = ev.data || {};
  if (op === 'cancel') {
    cancelled.add(target);
    return;
  }
  const fn = ops[op];
  if (!fn) {
    postMessage({ id, error: { message: `lamina worker: unknown op ${op}`, code: 'internal' } });
    return;
  }
  if (op !== 'init' && !engine) {
    postMessage({ id, error: { message: 'lamina: runtime disposed', code: 'disposed' } });
    return;
  }
  try {
    const result = await fn(args || {}, id);
    postMessage({ id, result, backend: engine ? engine.backend : null }, transferables(result));
  } catch (e) {
    const le = toLaminaError(e);
    postMessage({ id, error: { message: le.message, code: le.code, name: le.name } });
  }
};
