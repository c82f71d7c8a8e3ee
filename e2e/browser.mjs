// browser.mjs is the one place the browser suites (e2e/, e2e-editor/, webgpu/browsertest/)
// get headless Chromium from: playwright-core (installed once, into e2e/node_modules, from
// e2e/package-lock.json by e2e/harness.sh), the browser path (LAMINA_CHROMIUM, default
// Debian's /usr/bin/chromium) and the flags every suite runs it with.
import { chromium } from 'playwright-core';

export { chromium };

export const CHROMIUM = process.env.LAMINA_CHROMIUM || '/usr/bin/chromium';

// BASE_ARGS keep a test browser offline and quiet (no first-run, sync, component or
// background network traffic); pages are served from 127.0.0.1.
export const BASE_ARGS = ['--no-sandbox', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync'];

// WEBGPU_ARGS add WebGPU, which headless Chromium on Linux offers only behind this flag
// (on SwiftShader, a CPU emulator, where there is no GPU).
export const WEBGPU_ARGS = [...BASE_ARGS, '--enable-unsafe-webgpu'];

// launch starts headless Chromium with args (default WEBGPU_ARGS).
export function launch(args = WEBGPU_ARGS) {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args });
}

// openPage opens url in a fresh context of browser; each init runs before any page script
// (to hide or instrument navigator.gpu). page.errors collects the page's uncaught errors.
export async function openPage(browser, url, ...inits) {
  const ctx = await browser.newContext();
  for (const init of inits) await ctx.addInitScript(init);
  const page = await ctx.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e));
  await page.goto(url);
  page.errors = errors;
  return page;
}

// recordGPUDevices is an init script: window.__devices lists every GPUDevice the page
// creates, so a test can destroy them (a device loss) or count them.
export function recordGPUDevices() {
  const orig = GPUAdapter.prototype.requestDevice;
  window.__devices = [];
  GPUAdapter.prototype.requestDevice = async function (...a) {
    const d = await orig.apply(this, a);
    window.__devices.push(d);
    return d;
  };
}
