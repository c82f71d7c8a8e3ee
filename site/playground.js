// playground.js — the language-model playground: load the shipped demo model (served by
// `lamina serve --models DIR` under /models/) or any Hugging Face model URL, stream a
// generation token by token, and draw the logit lens as a layer × position heatmap.
import { createRuntime } from './lamina.mjs';

const $ = (id) => document.getElementById(id);
let rt = null, rtBackend = null, lm = null, abort = null;

// The shipped demo model is preferred when the server lists several.
const PREFERRED = ['lamina-brown-20m', 'lamina-brown-1m'];

async function listModels() {
  let models = [];
  try {
    const r = await fetch('models/');
    if (r.ok) models = (await r.json()).models || [];
  } catch { /* no model server: URL only */ }
  // Language models have a tokenizer; the drawing model does not.
  const lms = models.filter((m) => (m.files || []).some((f) => (f.name || f) === 'tokenizer.json'));
  const rank = (m) => (PREFERRED.includes(m.name) ? 2 : m.name.startsWith('lamina-') ? 1 : 0);
  lms.sort((a, b) => rank(b) - rank(a) || a.name.localeCompare(b.name));
  const sel = $('model-select');
  sel.innerHTML = lms.map((m) => `<option value="${new URL(m.url, location.href).href}">${m.name}</option>`).join('') +
    '<option value="">(use the URL)</option>';
  const want = new URLSearchParams(location.search).get('model');
  if (want) {
    const abs = new URL(want, location.href).href;
    if (![...sel.options].some((o) => o.value === abs)) $('model-url').value = abs;
    else sel.value = abs;
  }
  if (!lms.length && !want) $('model-status').textContent = 'No models served here: paste a Hugging Face URL (…/resolve/main/) and press Load.';
}

function modelURL() {
  return $('model-url').value.trim() || $('model-select').value;
}

function fmtBytes(n) {
  return n >= 1 << 20 ? (n / (1 << 20)).toFixed(1) + ' MB' : (n / 1024).toFixed(0) + ' kB';
}

async function load() {
  const url = modelURL();
  if (!url) { $('model-status').textContent = 'Pick a model or paste a URL.'; return; }
  $('load').disabled = $('generate').disabled = $('lens').disabled = true;
  $('progress').style.width = '0';
  $('model-status').textContent = 'Starting the runtime…';
  const files = new Map();
  try {
    if (lm) { await lm.dispose(); lm = null; }
    if (!rt || rtBackend !== $('backend').value) {
      if (rt) await rt.dispose();
      rtBackend = $('backend').value;
      rt = await createRuntime({ backend: rtBackend, worker: true });
    }
    const t0 = performance.now();
    lm = await rt.loadModel(url, {
      onProgress: ({ file, loaded, total }) => {
        files.set(file, { loaded, total });
        let l = 0, t = 0;
        for (const f of files.values()) { l += f.loaded; t += f.total || f.loaded; }
        $('progress').style.width = (t ? (100 * l) / t : 0).toFixed(1) + '%';
        $('model-status').textContent = `Downloading ${file}: ${fmtBytes(loaded)}${total ? ' of ' + fmtBytes(total) : ''}`;
      },
    });
    $('progress').style.width = '100%';
    const i = lm.info;
    $('model-status').textContent = `Loaded ${i.architecture || i.modelType || 'model'} · ${i.layers} layers · vocab ${i.vocabSize} · on ${backendLabel(rt)} in ${((performance.now() - t0) / 1000).toFixed(1)} s`;
    if (!lm.tokenizer) throw new Error('this model has no tokenizer.json: the playground needs one');
    $('generate').disabled = $('lens').disabled = false;
    // Chat mode needs the model's chat_template (tokenizer_config.json).
    const canChat = !!i.hasChatTemplate;
    $('chat-mode').disabled = !canChat;
    if (!canChat) $('chat-mode').checked = false;
    setChatMode();
  } catch (e) {
    $('model-status').textContent = 'Could not load: ' + e.message;
  } finally {
    $('load').disabled = false;
  }
}

// Chat mode: the prompt box holds the next user message; history is the conversation so far.
let history = [];

function setChatMode() {
  const on = $('chat-mode').checked;
  $('chat-format').disabled = !on;
  $('chat-reset').hidden = !on;
  $('generate').textContent = on ? 'Send' : 'Generate';
  history = [];
  $('output').innerHTML = '';
}

function chatLine(role, text) {
  const d = document.createElement('div');
  d.className = 'chat-' + role;
  d.dataset.role = role;
  d.textContent = text;
  $('output').appendChild(d);
  return d;
}

async function chat() {
  const content = $('prompt').value;
  if (!content.trim()) return;
  chatLine('user', content);
  history.push({ role: 'user', content });
  const reply = chatLine('assistant', '');
  $('generate').disabled = true;
  $('stop').disabled = false;
  abort = new AbortController();
  let n = 0;
  const t0 = performance.now();
  const format = $('chat-format').value;
  try {
    const r = await lm.chat({
      messages: history, maxNewTokens: Number($('max').value), temperature: Number($('temp').value),
      topK: Number($('topk').value) || undefined, seed: Number($('seed').value), signal: abort.signal,
      response_format: format === 'text' ? undefined : { type: format },
      onToken: ({ text }) => {
        n++;
        reply.textContent += text;
        $('gen-status').textContent = `${n} tokens · ${(n / ((performance.now() - t0) / 1000)).toFixed(1)} tokens/s`;
      },
    });
    history.push(r.message);
    reply.dataset.finish = r.finish_reason;
    $('gen-status').textContent = `${r.usage.completion_tokens} tokens (${r.finish_reason}) in ${((performance.now() - t0) / 1000).toFixed(1)} s on ${backendLabel(rt)}`;
  } catch (e) {
    history.pop();
    $('gen-status').textContent = e.name === 'AbortError' ? `Stopped after ${n} tokens.` : 'Error: ' + e.message;
  } finally {
    $('generate').disabled = false;
    $('stop').disabled = true;
    abort = null;
  }
}

async function generate() {
  if (!lm) return;
  if ($('chat-mode').checked) return chat();
  const prompt = $('prompt').value;
  const out = $('output');
  out.innerHTML = '';
  const p = document.createElement('span');
  p.className = 'prompt-text';
  p.textContent = prompt;
  out.appendChild(p);
  $('generate').disabled = true;
  $('stop').disabled = false;
  abort = new AbortController();
  let n = 0;
  const t0 = performance.now();
  const lensDone = lens(prompt); // the heatmap is of the prompt, drawn while generating
  // Self-speculation: each token is marked as an accepted draft (green, from the exit layer's
  // head) or the full model's own (amber: the first token and every round's bonus/correction).
  const exitLayer = Number($('draft-exit').value) || 0;
  const speculative = exitLayer > 0 ? { exitLayer, draftTokens: Number($('draft-tokens').value) || undefined } : undefined;
  let drafted = 0;
  try {
    const res = await lm.generate({
      prompt, maxNewTokens: Number($('max').value), temperature: Number($('temp').value),
      topK: Number($('topk').value) || undefined, seed: Number($('seed').value), signal: abort.signal, speculative,
      onToken: (t) => {
        const { text } = t;
        n++;
        const s = document.createElement('span');
        s.className = 'tok';
        if (t.drafted !== undefined) {
          s.classList.add(t.drafted ? 'drafted' : 'verified');
          s.dataset.exitLayer = String(t.exitLayer);
          s.title = t.drafted ? `drafted by layers 1–${t.exitLayer}, accepted` : `from the full model (layer ${t.exitLayer})`;
          if (t.drafted) drafted++;
        }
        s.textContent = text;
        out.appendChild(s);
        out.dataset.tokens = String(n);
        $('gen-status').textContent = `${n} tokens · ${(n / ((performance.now() - t0) / 1000)).toFixed(1)} tokens/s`;
      },
    });
    $('gen-status').textContent = `${n} tokens in ${((performance.now() - t0) / 1000).toFixed(1)} s on ${backendLabel(rt)}` +
      (res.stats ? ` · speculative: ${res.stats.accepted} of ${res.stats.drafted} drafts accepted (${drafted} shown green) in ${res.stats.rounds} rounds` : '');
  } catch (e) {
    $('gen-status').textContent = e.name === 'AbortError' ? `Stopped after ${n} tokens.` : 'Error: ' + e.message;
  } finally {
    $('generate').disabled = false;
    $('stop').disabled = true;
    abort = null;
  }
  await lensDone;
}

function esc(s) {
  return s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' }[c]));
}

// show makes a token readable in a cell: spaces as ␣, control characters escaped.
function show(s) {
  return esc(JSON.stringify(s).slice(1, -1).replace(/ /g, '␣')) || '∅';
}

async function lens(prompt) {
  const ids = lm.tokenizer.encode(prompt);
  if (!ids.length) return;
  const res = await lm.layers(ids);
  const layers = res.layers || res;
  const toks = Array.from(ids, (id) => lm.tokenizer.decode([id]));
  const tokText = (t) => t.text !== undefined ? t.text : lm.tokenizer.decode([t.id]);
  let h = '<table><thead><tr><th>layer ↓ / token →</th>' + toks.map((t) => `<th class="pos" title="${show(t)}">${show(t)}</th>`).join('') + '</tr></thead><tbody>';
  // Last layer on top: the model's actual prediction reads first.
  for (const L of [...layers].reverse()) {
    h += `<tr><th>${L.layer === 0 ? 'embed' : 'layer ' + L.layer}</th>`;
    for (let p = 0; p < toks.length; p++) {
      const top = (L.top[p] || [])[0];
      if (!top) { h += '<td></td>'; continue; }
      const a = Math.max(0.06, Math.min(1, top.prob));
      const light = a < 0.55;
      const alts = (L.top[p] || []).map((t) => `${show(tokText(t))} ${(100 * t.prob).toFixed(1)}%`).join('\n');
      h += `<td data-testid="lens-cell" title="${alts}" style="background: rgba(37,99,235,${a.toFixed(3)}); color: ${light ? '#111827' : '#fff'}">` +
        `${show(tokText(top))}<span class="p">${(100 * top.prob).toFixed(0)}%</span></td>`;
    }
    h += '</tr>';
  }
  $('heatmap').innerHTML = h + '</tbody></table>';
}

$('load').onclick = load;
$('generate').onclick = generate;
$('chat-mode').onchange = setChatMode;
$('chat-reset').onclick = setChatMode;
$('stop').onclick = () => abort && abort.abort();
$('lens').onclick = () => lens($('prompt').value);
$('model-url').addEventListener('keydown', (e) => { if (e.key === 'Enter') load(); });
$('prompt').addEventListener('keydown', (e) => { if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) generate(); });
listModels().then(() => {
  if (new URLSearchParams(location.search).has('autoload')) load();
});

function backendLabel(rt) {
  // What runs, and why 'auto' chose it: a software WebGPU adapter (SwiftShader etc.) is
  // slower than lamina's CPU backend, so auto passes it over.
  const a = rt.adapter;
  const name = a ? [a.vendor, a.architecture || a.description].filter(Boolean).join(' / ') : '';
  if (rt.backend === 'webgpu') return `WebGPU${name ? ` (${name}${a.software ? ', software' : ''})` : ''}`;
  if (a && a.software) return `CPU (the WebGPU adapter ${name || ''} is a software emulator, slower than the CPU backend)`;
  return 'CPU';
}
