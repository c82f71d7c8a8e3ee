// lamina's Worker entry point: boots the Go wasm module once per isolate
// and sends every request to that one instance, so models loaded by one
// request are still in memory for the next.
//
// syumai/workers' generated worker.mjs instead builds a new
// WebAssembly.Instance and runs the Go program for every request (its
// run()), so nothing loaded survives a request. This file replaces it;
// wasm_exec.js and runtime.mjs still come from
// `go run github.com/syumai/workers/cmd/workers-assets-gen -mode=go`
// (worker/build.sh), and the Go side's boot protocol is unchanged:
// go.run(instance, context) with context = {env, ctx, binding}, the Go
// program calls workers.ready() once binding.handleRequest is set.
//
// LAMINA_INSTANCE_MODE = "per-request" (a wrangler var) restores
// syumai's behaviour — a fresh instance for every request — so the two can
// be measured against each other (worker/test/run.sh does).
import "./wasm_exec.js";
import { createRuntimeContext, loadModule } from "./runtime.mjs";

// syumai's Go helpers call globalThis.tryCatch.
globalThis.tryCatch = (fn) => {
  try {
    return { result: fn() };
  } catch (e) {
    return { error: e };
  }
};

let current = null; // Promise of the isolate's live instance
let booted = 0; // instances started in this isolate

async function boot(env, ctx) {
  const mod = await loadModule();
  const binding = {};
  const context = createRuntimeContext({ env, ctx, binding });
  const go = new Go();
  let ready;
  const readyP = new Promise((resolve) => (ready = resolve));
  const instance = new WebAssembly.Instance(mod, {
    ...go.importObject,
    workers: { ready: () => ready() },
  });
  const id = `${Date.now().toString(36)}-${(++booted).toString(36)}`;
  const inst = { id, go, context, binding, requests: 0 };
  // go.run resolves when the Go program exits (it never should); a dead
  // instance is replaced on the next request.
  const exited = go.run(instance, context).then(
    () => {
      inst.dead = true;
      throw new Error("Go program exited");
    },
    (e) => {
      inst.dead = true;
      throw e;
    },
  );
  exited.catch(() => {});
  await Promise.race([readyP, exited]);
  return inst;
}

async function instanceFor(env, ctx) {
  if (env.LAMINA_INSTANCE_MODE === "per-request") {
    return boot(env, ctx);
  }
  if (current === null) {
    // Concurrent first requests share one boot; a failed or exited
    // instance sets current back to null and the next request boots anew.
    const p = boot(env, ctx);
    current = p;
    p.catch(() => {
      if (current === p) current = null;
    });
  }
  let inst = await current;
  if (inst.dead) {
    current = null;
    return instanceFor(env, ctx);
  }
  // env is the same per isolate; ctx belongs to this request.
  inst.context.env = env;
  inst.context.ctx = ctx;
  return inst;
}

export default {
  async fetch(req, env, ctx) {
    let inst;
    try {
      inst = await instanceFor(env, ctx);
    } catch (e) {
      return Response.json(
        { error: { message: `worker failed to start: ${e}`, type: "server_error", code: "boot_failed" } },
        { status: 500, headers: { "Access-Control-Allow-Origin": "*" } },
      );
    }
    const n = ++inst.requests;
    const res = await inst.binding.handleRequest(req);
    // Which instance answered, and how many requests it has served: the
    // HTTP suite checks that warm requests share one instance.
    res.headers.set("X-Lamina-Instance", `${inst.id};requests=${n}`);
    return res;
  },
};
