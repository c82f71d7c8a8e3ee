// editor.js boots editor.wasm (lamina's layer editor) and gives it the few browser services
// that are simpler in JS: downloads, PNG export and the clipboard.
//
// window.laminaEditor.ready resolves when the editor takes input (and the drawing model has
// loaded or failed to); window.laminaEditor.getSVG() returns the current document as SVG.
(() => {
  let resolveReady, rejectReady;
  const ready = new Promise((res, rej) => { resolveReady = res; rejectReady = rej; });
  window.laminaEditor = Object.assign(window.laminaEditor || {}, {
    ready,
    _resolveReady: () => resolveReady(window.laminaEditor),
  });

  // --top follows the top bar's height (narrow windows wrap its tools onto a second row);
  // the panels and the stage sit below it, and the editor re-reads #stage every frame.
  const bar = document.getElementById('topbar');
  if (bar && window.ResizeObserver) {
    const fit = () => document.documentElement.style.setProperty('--top', bar.offsetHeight + 'px');
    new ResizeObserver(fit).observe(bar);
    fit();
  }

  // ebiten sizes its canvas's pixels to the body only on a window resize, but the body (the
  // stage) also changes when the phone layout's sheet folds or the top bar wraps: without
  // this the old pixel size was stretched over the new box (2× tall after folding).
  if (window.ResizeObserver) {
    let last = '';
    new ResizeObserver(() => {
      const key = document.body.clientWidth + 'x' + document.body.clientHeight;
      if (key !== last) {
        last = key;
        window.dispatchEvent(new Event('resize'));
      }
    }).observe(document.body);
  }

  window.laminaEditorHost = {
    download(name, type, text) {
      const url = URL.createObjectURL(new Blob([text], { type }));
      const a = Object.assign(document.createElement('a'), { href: url, download: name });
      document.body.appendChild(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10000);
    },
    // background: a CSS color painted under the drawing (the artboard's white), or '' for a
    // transparent PNG.
    async downloadPNG(name, svg, size, background = '') {
      const img = new Image();
      const url = URL.createObjectURL(new Blob([svg], { type: 'image/svg+xml' }));
      try {
        img.src = url;
        await img.decode();
        const c = Object.assign(document.createElement('canvas'), { width: size, height: size });
        const g = c.getContext('2d');
        if (background) {
          g.fillStyle = background;
          g.fillRect(0, 0, size, size);
        }
        g.drawImage(img, 0, 0, size, size);
        const blob = await new Promise((res) => c.toBlob(res, 'image/png'));
        const a = Object.assign(document.createElement('a'), { href: URL.createObjectURL(blob), download: name });
        document.body.appendChild(a);
        a.click();
        a.remove();
      } finally {
        URL.revokeObjectURL(url);
      }
    },
    // openDrawer loads the drawing model in a Web Worker: lamina.mjs's runtime runs
    // lamina.wasm there, so sampling never blocks this page. It resolves to { model (an
    // SVGModel), adapter }; the editor draws on its own thread when it rejects.
    async openDrawer(baseURL, backend) {
      const { createRuntime } = await import('./lamina.mjs');
      const rt = await createRuntime({ backend, worker: true });
      const model = await rt.loadSVGModel(new URL(baseURL, location.href).href, { backend: backend === 'cpu' ? 'cpu' : 'auto' });
      return { model, adapter: rt.adapter };
    },
    copy(text) {
      return navigator.clipboard.writeText(text);
    },
    readClipboard() {
      return navigator.clipboard.readText();
    },
  };

  // Show the platform's modifier in the key help.
  if (/mac/i.test(navigator.userAgentData?.platform || navigator.platform)) {
    document.querySelectorAll('kbd.mod').forEach((k) => { k.textContent = '⌘'; });
  }
  if (new URLSearchParams(location.search).has('embed')) document.documentElement.classList.add('embed');

  const go = new Go();
  WebAssembly.instantiateStreaming(fetch('editor.wasm'), go.importObject)
    .then(({ instance }) => go.run(instance))
    .catch((err) => {
      document.getElementById('status').textContent = 'Could not start the editor: ' + err;
      rejectReady(err);
    });
})();
