// The official openai npm client, unmodified, against lamina's
// OpenAI-shaped API: LAMINA_OPENAI_BASE is the server's /v1 URL (lamina
// serve, or the worker under wrangler dev), LAMINA_OPENAI_MODEL a model
// folder with a chat template (default chat-tiny, assembled from the
// fixtures by worker/testdata/models.txt). JSON answers are validated with
// ajv, an independent JSON Schema validator, over many seeds.
//   LAMINA_OPENAI_BASE=http://127.0.0.1:8080/v1 node --test suite.mjs
import { test } from "node:test";
import assert from "node:assert/strict";
import OpenAI from "openai";
import Ajv from "ajv";

const baseURL = process.env.LAMINA_OPENAI_BASE;
if (!baseURL) throw new Error("set LAMINA_OPENAI_BASE to the server's /v1 URL");
const model = process.env.LAMINA_OPENAI_MODEL || "chat-tiny";
const seeds = Number(process.env.LAMINA_OPENAI_SEEDS || 100);
const client = new OpenAI({ baseURL, apiKey: "unused", maxRetries: 0, timeout: 120_000 });
const ajv = new Ajv({ allErrors: true, strict: true });
const messages = [{ role: "system", content: "Be brief." }, { role: "user", content: "Hi" }];

// collect reads a stream of chat.completion.chunk into its text, finish
// reason, usage and chunk count.
async function collect(stream) {
  let text = "", finish = null, usage = null, chunks = 0, role = null;
  for await (const c of stream) {
    chunks++;
    assert.equal(c.object, "chat.completion.chunk");
    if (c.usage) usage = c.usage;
    for (const ch of c.choices) {
      if (ch.delta.role) role = ch.delta.role;
      if (ch.delta.content) text += ch.delta.content;
      if (ch.finish_reason) finish = ch.finish_reason;
    }
  }
  return { text, finish, usage, chunks, role };
}

test("models.list names the chat model", async () => {
  const ids = [];
  for await (const m of client.models.list()) ids.push(m.id);
  assert.ok(ids.includes(model), `${model} not in ${ids}`);
});

test("chat.completions.create: the chat.completion shape", async () => {
  const r = await client.chat.completions.create({ model, messages, max_tokens: 16, temperature: 0 });
  assert.equal(r.object, "chat.completion");
  assert.match(r.id, /^chatcmpl-/);
  assert.equal(r.model, model);
  assert.equal(r.choices.length, 1);
  assert.equal(r.choices[0].message.role, "assistant");
  assert.equal(typeof r.choices[0].message.content, "string");
  assert.ok(["stop", "length"].includes(r.choices[0].finish_reason));
  assert.equal(r.usage.total_tokens, r.usage.prompt_tokens + r.usage.completion_tokens);
  assert.ok(r.usage.completion_tokens <= 16);
});

test("greedy is deterministic and streaming gives the same text", async () => {
  const a = await client.chat.completions.create({ model, messages, max_tokens: 24, temperature: 0 });
  const b = await client.chat.completions.create({ model, messages, max_tokens: 24, temperature: 0 });
  assert.equal(a.choices[0].message.content, b.choices[0].message.content);
  const s = await collect(await client.chat.completions.create({ model, messages, max_tokens: 24, temperature: 0, stream: true }));
  assert.equal(s.role, "assistant");
  assert.equal(s.text, a.choices[0].message.content);
  assert.equal(s.finish, a.choices[0].finish_reason);
  assert.equal(s.usage, null); // only with stream_options.include_usage
});

test("stream_options.include_usage sends the usage chunk", async () => {
  const s = await collect(await client.chat.completions.create({
    model, messages, max_tokens: 8, temperature: 0, stream: true, stream_options: { include_usage: true },
  }));
  assert.ok(s.usage);
  assert.equal(s.usage.total_tokens, s.usage.prompt_tokens + s.usage.completion_tokens);
  assert.ok(s.usage.completion_tokens <= 8);
});

test("the same seed samples the same text, another seed differs somewhere", async () => {
  const run = (seed) => client.chat.completions.create({ model, messages, max_tokens: 20, temperature: 1, top_p: 0.95, seed })
    .then((r) => r.choices[0].message.content);
  assert.equal(await run(7), await run(7));
  const others = await Promise.all([1, 2, 3, 4].map(run));
  assert.ok(new Set(others).size > 1, "four seeds gave one text");
});

test("max_tokens ends with finish_reason length", async () => {
  const r = await client.chat.completions.create({ model, messages, max_tokens: 3, temperature: 1, seed: 5 });
  assert.ok(r.usage.completion_tokens <= 3);
  if (r.usage.completion_tokens === 3) assert.equal(r.choices[0].finish_reason, "length");
});

test("stop cuts the text before the stop string (streamed too)", async () => {
  const full = (await client.chat.completions.create({ model, messages, max_tokens: 30, temperature: 0 })).choices[0].message.content;
  // A stop string from the middle of the greedy answer.
  const at = Math.floor(full.length / 2);
  const stop = full.slice(at, at + 2);
  if (stop.length < 2) return;
  const want = full.slice(0, full.indexOf(stop));
  const r = await client.chat.completions.create({ model, messages, max_tokens: 30, temperature: 0, stop: [stop] });
  assert.equal(r.choices[0].message.content, want);
  assert.equal(r.choices[0].finish_reason, "stop");
  const s = await collect(await client.chat.completions.create({ model, messages, max_tokens: 30, temperature: 0, stop, stream: true }));
  assert.equal(s.text, want);
  assert.equal(s.finish, "stop");
});

const personSchema = {
  type: "object",
  properties: {
    name: { type: "string", minLength: 1, maxLength: 12 },
    age: { type: "integer" },
    pet: { enum: ["cat", "dog", null] },
    score: { type: "number" },
    tags: { type: "array", items: { type: "string" }, maxItems: 3 },
    address: {
      type: "object",
      properties: { city: { type: "string" }, zip: { anyOf: [{ type: "string" }, { type: "integer" }] } },
      required: ["city"],
      additionalProperties: false,
    },
    verified: { type: "boolean" },
    kind: { const: "person" },
  },
  required: ["name", "age", "pet", "kind"],
  additionalProperties: false,
};

test(`json_schema: ${seeds} seeds at temperature 1 all validate (ajv)`, async () => {
  const validate = ajv.compile(personSchema);
  const failures = [];
  for (let seed = 0; seed < seeds; seed++) {
    const r = await client.chat.completions.create({
      model, messages: [{ role: "user", content: "A person as JSON." }], temperature: 1, seed, max_tokens: 50 + (seed % 40),
      response_format: { type: "json_schema", json_schema: { name: "person", schema: personSchema, strict: true } },
    });
    const text = r.choices[0].message.content;
    let v;
    try { v = JSON.parse(text); } catch (e) { failures.push(`seed ${seed}: ${JSON.stringify(text)} does not parse`); continue; }
    if (!validate(v)) failures.push(`seed ${seed}: ${text}: ${ajv.errorsText(validate.errors)}`);
    else if (r.choices[0].finish_reason !== "stop") failures.push(`seed ${seed}: finish_reason ${r.choices[0].finish_reason}`);
  }
  console.log(`ajv: ${seeds} seeds, ${failures.length} failures`);
  assert.deepEqual(failures, []);
});

test("json_schema integer bounds (minimum, maximum, exclusive*), 30 seeds (ajv)", async () => {
  const schema = {
    type: "object",
    properties: {
      age: { type: "integer", minimum: 18, exclusiveMaximum: 130 },
      offset: { type: "integer", exclusiveMinimum: -5, maximum: 5 },
      big: { type: "integer", minimum: 100000 },
    },
    required: ["age", "offset", "big"],
    additionalProperties: false,
  };
  const validate = ajv.compile(schema);
  const failures = [];
  for (let seed = 0; seed < 30; seed++) {
    const r = await client.chat.completions.create({
      model, messages: [{ role: "user", content: "Numbers as JSON." }], temperature: 1, seed, max_tokens: 60 + (seed % 20),
      response_format: { type: "json_schema", json_schema: { name: "bounds", schema } },
    });
    const text = r.choices[0].message.content;
    let v;
    try { v = JSON.parse(text); } catch (e) { failures.push(`seed ${seed}: ${JSON.stringify(text)} does not parse`); continue; }
    if (!validate(v)) failures.push(`seed ${seed}: ${text}: ${ajv.errorsText(validate.errors)}`);
  }
  console.log(`ajv integer bounds: 30 seeds, ${failures.length} failures`);
  assert.deepEqual(failures, []);
});

// ajvSeeds runs schema for 30 seeds and validates each output with ajv.
async function ajvSeeds(name, schema, maxTokens) {
  const validate = ajv.compile(schema);
  const failures = [];
  for (let seed = 0; seed < 30; seed++) {
    const r = await client.chat.completions.create({
      model, messages: [{ role: "user", content: "JSON please." }], temperature: 1, seed, max_tokens: maxTokens + (seed % 20),
      response_format: { type: "json_schema", json_schema: { name, schema } },
    });
    const text = r.choices[0].message.content;
    let v;
    try { v = JSON.parse(text); } catch (e) { failures.push(`seed ${seed}: ${JSON.stringify(text)} does not parse`); continue; }
    if (!validate(v)) failures.push(`seed ${seed}: ${text}: ${ajv.errorsText(validate.errors)}`);
  }
  console.log(`ajv ${name}: 30 seeds, ${failures.length} failures`);
  assert.deepEqual(failures, []);
}

test("json_schema number bounds (fractional, exclusive, negative, min == max), 30 seeds (ajv)", async () => {
  await ajvSeeds("numbers", {
    type: "object",
    properties: {
      p: { type: "number", minimum: 0, maximum: 1 },
      t: { type: "number", exclusiveMinimum: -40.5, exclusiveMaximum: 0.5 },
      half: { type: "number", minimum: 0.5, maximum: 0.5 },
      neg: { type: "number", exclusiveMaximum: -1000 },
    },
    required: ["p", "t", "half", "neg"],
    additionalProperties: false,
  }, 60);
});

test("json_schema string pattern (anchored and not), 30 seeds (ajv)", async () => {
  await ajvSeeds("patterns", {
    type: "object",
    properties: {
      id: { type: "string", pattern: "^[A-Z]{2}-\\d{3,5}$" },
      mail: { type: "string", pattern: "^[a-z0-9_]+@(example|test)\\.(com|org)$" },
      tag: { type: "string", pattern: "ab+c" },
    },
    required: ["id", "mail", "tag"],
    additionalProperties: false,
  }, 70);
});

test("tools: the client's tools and tool_choice reach the server, refused where they cannot work", async () => {
  const tools = [{ type: "function", function: { name: "get_weather", parameters: { type: "object", properties: { city: { type: "string" } } } } }];
  // chat-tiny's zephyr template never shows tools to the model. (Rendering,
  // tool_calls parsing and streaming are tested in Go: worker/tools_test.go.)
  await assert.rejects(
    client.chat.completions.create({ model, messages, tools }),
    (e) => e instanceof OpenAI.UnprocessableEntityError && e.code === "unsupported_tools",
  );
  await assert.rejects(
    client.chat.completions.create({ model: "chat-tools", messages, tools, tool_choice: { type: "function", function: { name: "get_time" } } }),
    (e) => e instanceof OpenAI.BadRequestError && e.code === "invalid_tool_choice",
  );
  await assert.rejects(
    client.chat.completions.create({ model: "chat-tools", messages, tools: [{ type: "function", function: { name: "f", parameters: { type: "object", properties: { a: { type: "string", format: "uri" } } } } }], tool_choice: "required" }),
    (e) => e instanceof OpenAI.UnprocessableEntityError && e.code === "unsupported_schema",
  );
});

// Two tools with schemas a tiny random model would never satisfy by itself.
const callTools = [
  { type: "function", function: { name: "get_weather", description: "Current weather in a city", parameters: {
    type: "object",
    properties: { city: { type: "string", maxLength: 16 }, unit: { enum: ["celsius", "fahrenheit"] }, days: { type: "integer", minimum: 1, maximum: 7 } },
    required: ["city", "unit", "days"], additionalProperties: false } } },
  { type: "function", function: { name: "book_table", parameters: {
    type: "object",
    properties: { guests: { type: "integer", minimum: 1, maximum: 12 }, time: { type: "string", pattern: "^[0-2][0-9]:[0-5][0-9]$" }, vegan: { type: "boolean" } },
    required: ["guests", "time"], additionalProperties: false } } },
];
const callValidators = Object.fromEntries(callTools.map((t) => [t.function.name, ajv.compile(t.function.parameters)]));

// checkCall validates one forced call: the tool (if named), arguments that
// parse and pass ajv against that tool's parameters.
function checkCall(call, want, failures, where) {
  if (!call || call.type !== "function" || !call.id) return failures.push(`${where}: not a function call: ${JSON.stringify(call)}`);
  const { name, arguments: args } = call.function;
  if (want && name !== want) return failures.push(`${where}: called ${name}, want ${want}`);
  const validate = callValidators[name];
  if (!validate) return failures.push(`${where}: unknown tool ${name}`);
  let v;
  try { v = JSON.parse(args); } catch { return failures.push(`${where}: arguments ${JSON.stringify(args)} do not parse`); }
  if (!validate(v)) failures.push(`${where}: ${args}: ${ajv.errorsText(validate.errors)}`);
}

for (const [label, choice, want] of [
  ["required", "required", null],
  ["named get_weather", { type: "function", function: { name: "get_weather" } }, "get_weather"],
  ["named book_table", { type: "function", function: { name: "book_table" } }, "book_table"],
]) {
  test(`tool_choice ${label}: a call every seed, arguments valid (ajv), 10 seeds and a stream`, async () => {
    const failures = [], names = {};
    for (let seed = 0; seed < 10; seed++) {
      const r = await client.chat.completions.create({
        model: "chat-tools", messages: [{ role: "user", content: "Plan my evening." }], temperature: 1, seed, max_tokens: 160,
        tools: callTools, tool_choice: choice,
      });
      const ch = r.choices[0];
      // OpenAI answers "stop" for a named function, "tool_calls" for "required".
      if (ch.finish_reason !== (want ? "stop" : "tool_calls") || ch.message.content != null || ch.message.tool_calls?.length !== 1) {
        failures.push(`seed ${seed}: ${JSON.stringify(ch)}`);
        continue;
      }
      names[ch.message.tool_calls[0].function.name] = (names[ch.message.tool_calls[0].function.name] || 0) + 1;
      checkCall(ch.message.tool_calls[0], want, failures, `seed ${seed}`);
    }
    // Streamed: no text, one call, the same finish_reason.
    const stream = await client.chat.completions.create({
      model: "chat-tools", messages: [{ role: "user", content: "Plan my evening." }], temperature: 1, seed: 42, max_tokens: 160,
      tools: callTools, tool_choice: choice, stream: true,
    });
    let text = "", finish = null;
    const calls = [];
    for await (const c of stream) {
      for (const ch of c.choices) {
        if (ch.delta.content) text += ch.delta.content;
        for (const tc of ch.delta.tool_calls || []) calls[tc.index] = { id: tc.id, type: tc.type, function: { ...tc.function } };
        if (ch.finish_reason) finish = ch.finish_reason;
      }
    }
    assert.equal(text, "");
    assert.equal(finish, want ? "stop" : "tool_calls");
    assert.equal(calls.length, 1);
    checkCall(calls[0], want, failures, "stream");
    console.log(`tool_choice ${label}: 10 seeds + 1 stream, calls ${JSON.stringify(names)}, ${failures.length} failures`);
    assert.deepEqual(failures, []);
  });
}

test("json_schema with $defs and $ref (pydantic's shape), 30 seeds (ajv)", async () => {
  const schema = {
    $defs: {
      Item: { title: "Item", type: "object", properties: { sku: { type: "string" }, qty: { type: "integer" }, note: { anyOf: [{ type: "string" }, { type: "null" }], default: null } }, required: ["sku", "qty"] },
    },
    title: "Order", type: "object",
    properties: { items: { type: "array", items: { $ref: "#/$defs/Item" }, minItems: 1, maxItems: 2 }, paid: { type: "boolean" } },
    required: ["items", "paid"], additionalProperties: false,
  };
  const validate = ajv.compile(schema);
  const failures = [];
  for (let seed = 0; seed < 30; seed++) {
    const r = await client.chat.completions.create({
      model, messages, temperature: 1, seed, max_tokens: 80,
      response_format: { type: "json_schema", json_schema: { name: "order", schema } },
    });
    const text = r.choices[0].message.content;
    let v;
    try { v = JSON.parse(text); } catch { failures.push(text); continue; }
    if (!validate(v)) failures.push(`${text}: ${ajv.errorsText(validate.errors)}`);
  }
  assert.deepEqual(failures, []);
});

test("json_schema streamed: the deltas join into valid JSON", async () => {
  const schema = { type: "array", items: { type: "object", properties: { id: { type: "integer" }, ok: { type: "boolean" } }, required: ["id", "ok"], additionalProperties: false }, minItems: 1, maxItems: 3 };
  const validate = ajv.compile(schema);
  for (let seed = 0; seed < 10; seed++) {
    const s = await collect(await client.chat.completions.create({
      model, messages, temperature: 1, seed, max_tokens: 60, stream: true,
      response_format: { type: "json_schema", json_schema: { name: "list", schema } },
    }));
    assert.ok(validate(JSON.parse(s.text)), `seed ${seed}: ${s.text}`);
  }
});

test("json_object: always one JSON object", async () => {
  for (let seed = 0; seed < 20; seed++) {
    const r = await client.chat.completions.create({
      model, messages, temperature: 1, seed, max_tokens: 10 + seed * 3, response_format: { type: "json_object" },
    });
    const v = JSON.parse(r.choices[0].message.content);
    assert.equal(typeof v, "object");
    assert.ok(v !== null && !Array.isArray(v), r.choices[0].message.content);
  }
});

test("unsupported schema keywords: a 422 the client raises, naming them", async () => {
  await assert.rejects(
    client.chat.completions.create({
      model, messages, response_format: { type: "json_schema", json_schema: { name: "s", schema: { type: "string", format: "email", contentEncoding: "base64" } } },
    }),
    (e) => e instanceof OpenAI.UnprocessableEntityError && e.status === 422 && e.code === "unsupported_schema" && /contentEncoding, format/.test(e.message),
  );
  // A pattern outside the supported subset is refused naming the construct.
  await assert.rejects(
    client.chat.completions.create({
      model, messages, response_format: { type: "json_schema", json_schema: { name: "s", schema: { type: "string", pattern: "(a)\\1" } } },
    }),
    (e) => e instanceof OpenAI.UnprocessableEntityError && e.status === 422 && e.code === "unsupported_schema" && /pattern \(backreference/.test(e.message),
  );
});

test("unknown model: NotFoundError with OpenAI's error shape", async () => {
  await assert.rejects(
    client.chat.completions.create({ model: "no-such-model", messages }),
    (e) => e instanceof OpenAI.NotFoundError && e.status === 404 && e.code === "model_not_found" && typeof e.type === "string",
  );
});

test("bad request: BadRequestError", async () => {
  await assert.rejects(
    client.chat.completions.create({ model, messages: [{ role: "wizard", content: "x" }] }),
    (e) => e instanceof OpenAI.BadRequestError && e.status === 400 && e.code === "invalid_role",
  );
});

// Schemas nobody here wrote: every draft-04 schema of the JSON Schema Test
// Suite (npm json-schema-test-suite) as response_format, 3 seeds each. Each
// answer must parse and validate with ajv (draft-04), or the request must get
// a 4xx whose message names what is unsupported. Remote $refs ajv itself
// cannot resolve offline are left out.
test("JSON Schema Test Suite draft4: every output validates (ajv) or the schema is refused by name", async () => {
  const fs = await import("node:fs");
  const path = await import("node:path");
  const { createRequire } = await import("node:module");
  const { default: Ajv04 } = await import("ajv-draft-04");
  const dir = path.join(path.dirname(createRequire(import.meta.url).resolve("json-schema-test-suite/package.json")), "tests", "draft4");
  const counts = { validated: 0, refused: 0, skipped: 0 }, wrong = [];
  for (const f of fs.readdirSync(dir).filter((f) => f.endsWith(".json")).sort()) {
    for (const group of JSON.parse(fs.readFileSync(path.join(dir, f), "utf8"))) {
      const where = `${f}: ${group.description}`;
      let validate;
      try { validate = new Ajv04({ strict: false, validateFormats: false }).compile(group.schema); } catch { counts.skipped++; continue; }
      for (let seed = 0; seed < 3; seed++) {
        let r;
        try {
          r = await client.chat.completions.create({
            model: "chat-tiny", messages: [{ role: "user", content: "JSON please" }], temperature: 1, seed,
            response_format: { type: "json_schema", json_schema: { name: "s", schema: group.schema } },
          });
        } catch (e) {
          if (e.status === 422 && e.code === "unsupported_schema" && /unsupported JSON Schema keyword/.test(e.message)) { counts.refused++; break; }
          wrong.push(`${where}: ${e.status} ${e.message}`);
          break;
        }
        const content = r.choices[0].message.content;
        let v;
        try { v = JSON.parse(content); } catch { wrong.push(`${where} seed ${seed}: ${JSON.stringify(content)} does not parse`); continue; }
        if (validate(v)) counts.validated++;
        else wrong.push(`${where} seed ${seed}: ${content}: ${JSON.stringify(validate.errors)}`);
      }
    }
  }
  console.log(`JSON Schema Test Suite draft4: ${JSON.stringify(counts)}, ${wrong.length} wrong`);
  assert.deepEqual(wrong, []);
  assert.ok(counts.validated > 50, "most schemas are enforced");
});
