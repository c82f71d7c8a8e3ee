// Runs a GOOS=js Go program under Node with Dawn's WebGPU as
// globalThis.navigator.gpu. Usage:
//   node driver.mjs --dawn path/to/dawn.node [--wasm-exec path/to/wasm_exec.js] prog.wasm [args...]
// Dawn flags can be passed with DAWN_FLAGS="enable-dawn-features=...,..."
// (comma-separated list of create() flags).
import { createRequire } from 'node:module';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import util from 'node:util';
import crypto from 'node:crypto';

const require = createRequire(import.meta.url);
const argv = process.argv.slice(2);
let dawnPath = null;
let wasmExec = path.join(path.dirname(new URL(import.meta.url).pathname), 'wasm_exec.js');
while (argv.length && argv[0].startsWith('--')) {
  const flag = argv.shift();
  if (flag === '--dawn') dawnPath = argv.shift();
  else if (flag === '--wasm-exec') wasmExec = argv.shift();
  else { console.error('unknown flag ' + flag); process.exit(2); }
}
if (!dawnPath || argv.length < 1) {
  console.error('usage: node driver.mjs --dawn dawn.node [--wasm-exec wasm_exec.js] prog.wasm [args...]');
  process.exit(2);
}

const dawn = require(path.resolve(dawnPath));
const flags = (process.env.DAWN_FLAGS || '').split(/\s+/).filter(Boolean);
const gpu = dawn.create(flags);
// Dawn's constants (GPUBufferUsage, …) for code that wants them; lamina's
// binding uses numeric values and does not need them.
if (dawn.globals) Object.assign(globalThis, dawn.globals);
Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });

// The same environment wasm_exec_node.js builds.
globalThis.require = require;
globalThis.fs = fs;
globalThis.path = path;
globalThis.TextEncoder = util.TextEncoder;
globalThis.TextDecoder = util.TextDecoder;
globalThis.crypto ??= crypto;
require(path.resolve(wasmExec));

const go = new globalThis.Go();
go.argv = [argv[0], ...argv.slice(1)];
go.env = Object.assign({ TMPDIR: os.tmpdir() }, process.env);
// Keep the event loop alive while Go waits on GPU promises.
const keepAlive = setInterval(() => {}, 1000);
go.exit = (code) => { clearInterval(keepAlive); process.exit(code); };
const { instance } = await WebAssembly.instantiate(fs.readFileSync(argv[0]), go.importObject);
await go.run(instance);
clearInterval(keepAlive);
