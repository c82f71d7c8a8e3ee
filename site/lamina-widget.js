// lamina-widget.js — embed lamina on any page with one module script:
//
//   <script type="module" src="https://HOST/lamina-widget.js"></script>
//   <lamina-svg prompt="red heart" seed="3"></lamina-svg>
//   <lamina-editor prompt="green tree" style="height: 560px"></lamina-editor>
//
// <lamina-svg> draws with the runtime (lamina.mjs + lamina.wasm, on WebGPU or the CPU) and
// puts a plain inline <svg> inside itself — one <path data-layer="N"> per layer, so page code
// can restyle or move layers (el.querySelector('[data-layer="2"]')). Element ids inside it
// are prefixed per element (id="lamina-svg-1-layer-0"), so several on one page stay unique. Attributes: prompt, seed (default 0), steps, cfg, model (a model folder
// URL; default HOST/models/layered-emoji/), backend ('auto' | 'cpu'). Changing an attribute
// redraws. Events: 'lamina-load' (detail: { svg, layers }), 'lamina-error' (detail:
// { error }) and 'lamina-step' (detail: { step, steps, svg }) after each denoising step, while
// the element shows the drawing as it forms and data-step="k/n". Property: .svg (the SVG
// text). The model runs in a Web Worker (lamina-worker.js), so drawing never blocks the host
// page; without workers it runs on the page. A redraw that replaces one in progress cancels it.
//
// <lamina-editor> is the full editor in an iframe (HOST/editor.html). Attributes: prompt,
// model. Events: 'lamina-change' (detail: { svg }) after every edit. Property: .svg.
//
// See embed.html for the headers a host needs to serve these files to other origins.
const base = new URL('./', import.meta.url);
const defaultModel = new URL('models/layered-emoji/', base).href;

// One runtime and one loaded model per (model URL, backend), shared by every element.
let runtimePromise = null;
const models = new Map();

async function svgModel(url, backend) {
  const key = backend + ' ' + url;
  if (!models.has(key)) {
    models.set(key, (async () => {
      if (!runtimePromise) {
        runtimePromise = import(new URL('lamina.mjs', base).href).then(async ({ createRuntime }) => {
          if (typeof Worker !== 'undefined') {
            try {
              return await createRuntime({ backend: 'auto', worker: true });
            } catch (e) {
              console.warn('lamina-svg: the worker runtime did not start, drawing on the page:', e);
            }
          }
          return createRuntime({ backend: 'auto', worker: false });
        });
      }
      const rt = await runtimePromise;
      return rt.loadSVGModel(url, { backend });
    })());
    models.get(key).catch(() => models.delete(key));
  }
  return models.get(key);
}

// Generations run one at a time: the runtime's models are not reentrant.
let queue = Promise.resolve();

// Each <lamina-svg> prefixes the ids of its inline SVG (and the url(#…)/href="#…" references
// to them) with its own number: ids are per page, and every drawing has a layer-0.
let instances = 0;
function prefixIds(svg, prefix) {
  return svg
    .replace(/(\sid=")([^"]+)"/g, (_, a, id) => `${a}${prefix}${id}"`)
    .replace(/url\(#([^)]+)\)/g, (_, id) => `url(#${prefix}${id})`)
    .replace(/(href=")#([^"]+)"/g, (_, a, id) => `${a}#${prefix}${id}"`);
}

class LaminaSVG extends HTMLElement {
  static get observedAttributes() { return ['prompt', 'seed', 'steps', 'cfg', 'model', 'backend']; }

  constructor() {
    super();
    this.svg = '';
    this._gen = 0;
    this._ids = `lamina-svg-${++instances}-`;
  }

  connectedCallback() { this._render(); }

  // Removed from the page: its drawing in progress stops (connecting it again redraws).
  disconnectedCallback() { if (this._abort) this._abort.abort(); }

  attributeChangedCallback() { if (this.isConnected) this._render(); }

  // _show puts svg (a step's estimate or the finished drawing) inside the element.
  _show(svg, prompt) {
    this.innerHTML = prefixIds(svg, this._ids);
    const el = this.querySelector('svg');
    if (el) {
      el.setAttribute('role', 'img');
      el.setAttribute('aria-label', prompt);
      el.style.width = el.style.height = '100%';
    }
  }

  _render() {
    const gen = ++this._gen;
    if (this._abort) this._abort.abort(); // a newer attribute value replaces the drawing in progress
    const abort = this._abort = new AbortController();
    const prompt = this.getAttribute('prompt') || '';
    if (!prompt) return;
    const seed = Number(this.getAttribute('seed') || 0);
    const steps = this.hasAttribute('steps') ? Number(this.getAttribute('steps')) : undefined;
    const cfg = this.hasAttribute('cfg') ? Number(this.getAttribute('cfg')) : undefined;
    const url = new URL(this.getAttribute('model') || defaultModel, document.baseURI).href;
    const backend = this.getAttribute('backend') === 'cpu' ? 'cpu' : 'auto';
    this.setAttribute('aria-busy', 'true');
    if (!this.firstElementChild) this.style.display = this.style.display || 'inline-block';
    queue = queue.then(async () => {
      if (abort.signal.aborted) return;
      try {
        const m = await svgModel(url, backend);
        const onStep = ({ step, steps: n, svg }) => {
          if (gen !== this._gen) return;
          this.setAttribute('data-step', `${step}/${n}`);
          if (svg) this._show(svg, prompt);
          this.dispatchEvent(new CustomEvent('lamina-step', { detail: { step, steps: n, svg }, bubbles: true }));
        };
        const { svg, layers } = await m.generate({ prompt, seed, steps, cfg, onStep, signal: abort.signal });
        if (gen !== this._gen) return; // a newer attribute value won
        this.svg = svg;
        this._show(svg, prompt);
        this.removeAttribute('aria-busy');
        this.removeAttribute('data-step');
        this.dispatchEvent(new CustomEvent('lamina-load', { detail: { svg, layers }, bubbles: true }));
      } catch (error) {
        if (gen !== this._gen || abort.signal.aborted) return;
        this.removeAttribute('aria-busy');
        this.removeAttribute('data-step');
        this.textContent = `lamina: ${error.message}`;
        this.dispatchEvent(new CustomEvent('lamina-error', { detail: { error }, bubbles: true }));
      }
    });
  }
}

class LaminaEditor extends HTMLElement {
  static get observedAttributes() { return ['prompt', 'model']; }

  constructor() {
    super();
    this.svg = '';
    this._onMessage = (ev) => {
      if (!this._frame || ev.source !== this._frame.contentWindow) return;
      const d = ev.data;
      if (d && d.type === 'lamina-editor-change') {
        this.svg = d.svg;
        this.dispatchEvent(new CustomEvent('lamina-change', { detail: { svg: d.svg }, bubbles: true }));
      }
    };
  }

  connectedCallback() {
    window.addEventListener('message', this._onMessage);
    this._load();
  }

  disconnectedCallback() { window.removeEventListener('message', this._onMessage); }

  attributeChangedCallback() { if (this.isConnected) this._load(); }

  _load() {
    const u = new URL('editor.html', base);
    u.searchParams.set('embed', '1');
    if (this.getAttribute('prompt')) u.searchParams.set('prompt', this.getAttribute('prompt'));
    if (this.getAttribute('model')) u.searchParams.set('model', new URL(this.getAttribute('model'), document.baseURI).href);
    if (!this._frame) {
      this._frame = document.createElement('iframe');
      this._frame.title = 'lamina editor';
      this._frame.allow = 'clipboard-read; clipboard-write; cross-origin-isolated';
      this._frame.style.cssText = 'width:100%;height:100%;border:0;display:block';
      if (!this.style.display) this.style.display = 'block';
      if (!this.style.height) this.style.height = '560px';
      this.appendChild(this._frame);
    }
    if (this._frame.src !== u.href) this._frame.src = u.href;
  }
}

if (!customElements.get('lamina-svg')) customElements.define('lamina-svg', LaminaSVG);
if (!customElements.get('lamina-editor')) customElements.define('lamina-editor', LaminaEditor);
