#!/usr/bin/env node
// End-to-end test of `r1 serve` through the official `openai` npm client (tests/fixtures/node_modules).
//
//   node tests/server/openai_e2e.mjs <path-to-r1> <scratch-dir>
//
// Makes a tiny random DeepSeek-V3 checkpoint in the scratch folder, starts servers on free ports of
// 127.0.0.1 and checks responses against the CLI (`r1 generate`, `r1 tokenize`, `r1 chat-template`,
// `r1 detokenize`): greedy text (single and batched, also of a q8 model at 24 concurrent), usage counts, streaming, stop sequences, reasoning_content,
// the OpenAI error shapes and status codes, 401/404/503, client disconnects and SIGTERM. Stops at the first
// failure. Last line: "openai_e2e: N passed, M failed". Needs `cd tests/fixtures && npm ci` first.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const fixtures = path.resolve(here, '..', 'fixtures');

if (process.argv.length < 4) {
  console.error('usage: node tests/server/openai_e2e.mjs <path-to-r1> <scratch-dir>');
  process.exit(2);
}
const R1 = path.resolve(process.argv[2]);
const SCRATCH = path.resolve(process.argv[3]);

let OpenAI;
try {
  const mod = createRequire(path.join(fixtures, 'package.json'))('openai');
  OpenAI = mod.OpenAI ?? mod.default ?? mod;
} catch (e) {
  console.error(`openai_e2e: cannot load the 'openai' package from ${fixtures}/node_modules ` +
                `(run: cd tests/fixtures && npm ci): ${e.message}`);
  console.log('openai_e2e: 0 passed, 1 failed');
  process.exit(1);
}

// The model: `r1 init --config tiny-v3 --seed 194`. Its greedy chat answer to THINK_PROMPT contains
// <think> (id 5) at output position 22 and </think> (id 6) at 24 (found with tests/server/find_think_seed.py,
// the only hit among seeds 1-200 x 6 prompts at 64 greedy tokens). If the numerics change, the check below
// says so; search again with: /usr/bin/python3 tests/server/find_think_seed.py build/r1 "$(mktemp -d)" --first
const MODEL_SEED = 194;
const THINK_PROMPT = 'What is 2+2?';
const THINK_ID = 5, END_THINK_ID = 6;
const MODEL_ID = `tiny-v3-s${MODEL_SEED}`;
const CTX = 128;  // the main server's --ctx
const API_KEY = 'sk-e2e-secret';

// ---------------------------------------------------------------------------------------------- harness
let passed = 0;
const servers = new Set();
const t0 = Date.now();

class CheckFailed extends Error {}

function ok(name, cond, detail = '') {
  if (!cond) throw new CheckFailed(`${name}${detail ? `: ${detail}` : ''}`);
  passed++;
}
const show = (v) => JSON.stringify(v);
const VERBOSE = !!process.env.R1_E2E_VERBOSE;
const note = (...a) => { if (VERBOSE) console.log('  note:', ...a); };
function eq(name, got, want) {
  ok(name, show(got) === show(want), `got ${show(got)}, want ${show(want)}`);
}

async function expectApiError(name, fn, status, code, extra = {}) {
  let err = null;
  try {
    await fn();
  } catch (e) {
    err = e;
  }
  ok(`${name}: throws`, err !== null, 'the request succeeded');
  ok(`${name}: is an APIError`, err instanceof OpenAI.APIError, `got ${err?.constructor?.name}: ${err?.message}`);
  eq(`${name}: status`, err.status, status);
  if (code !== undefined) eq(`${name}: error.code`, err.code, code);
  if (extra.type !== undefined) eq(`${name}: error.type`, err.type, extra.type);
  if (extra.param !== undefined) eq(`${name}: error.param`, err.param, extra.param);
  ok(`${name}: error.message`, typeof err.error?.message === 'string' && err.error.message.length > 0, show(err.error));
  return err;
}

function r1(args, opts = {}) {
  return execFileSync(R1, args, { encoding: 'utf8', maxBuffer: 64 << 20, ...opts });
}
const r1json = (args) => JSON.parse(r1([...args, '--json']));

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function startServer(name, args) {
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const proc = spawn(R1, ['serve', '--host', '127.0.0.1', '--port', String(port), ...args],
                       { stdio: ['ignore', 'ignore', 'pipe'] });
    const srv = { name, proc, port, base: `http://127.0.0.1:${port}`, log: '', exited: null };
    proc.stderr.on('data', (d) => { srv.log += d; });
    srv.exitPromise = new Promise((resolve) => proc.on('exit', (code, signal) => {
      srv.exited = { code, signal };
      servers.delete(srv);
      resolve(srv.exited);
    }));
    servers.add(srv);
    const deadline = Date.now() + 20000;
    while (Date.now() < deadline && !srv.exited) {
      try {
        const r = await fetch(`${srv.base}/health`);
        if (r.ok) return srv;
      } catch { /* not listening yet */ }
      await sleep(50);
    }
    if (srv.exited && attempt < 2 && /cannot listen/.test(srv.log)) continue;  // port taken meanwhile
    proc.kill('SIGKILL');
    throw new CheckFailed(`server ${name} did not become healthy (exit ${show(srv.exited)}); stderr:\n${srv.log}`);
  }
}

async function stopServer(srv, ms = 10000) {
  srv.proc.kill('SIGTERM');
  const res = await Promise.race([srv.exitPromise, sleep(ms).then(() => null)]);
  if (!res) srv.proc.kill('SIGKILL');
  ok(`${srv.name}: exits after SIGTERM within ${ms} ms`, res !== null, `stderr:\n${srv.log}`);
  ok(`${srv.name}: SIGTERM exit code 0`, res.code === 0 && res.signal === null, `${show(res)}; stderr:\n${srv.log}`);
}

function client(srv, opts = {}) {
  return new OpenAI({ baseURL: `${srv.base}/v1`, apiKey: opts.apiKey ?? 'unused', maxRetries: 0, timeout: 30000, ...opts });
}

async function metrics(srv) {
  const text = await (await fetch(`${srv.base}/metrics`)).text();
  const m = {};
  for (const line of text.split('\n')) {
    const hit = /^([a-zA-Z_:][a-zA-Z0-9_:]*) (\S+)$/.exec(line);
    if (hit) m[hit[1]] = Number(hit[2]);
  }
  return m;
}

async function waitFor(what, fn, ms) {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new CheckFailed(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(10);
  }
}

// -------------------------------------------------------------------------------- references from the CLI
let MODEL;  // folder
const SPECIAL = new Set();

function tokenize(text, addBos) {
  return r1json(['tokenize', '--model', MODEL, '--text', text, ...(addBos ? ['--add-bos'] : [])]).ids;
}
function detok(ids) {  // what the server streams: special tokens left out
  if (ids.length === 0) return '';
  return r1json(['detokenize', '--model', MODEL, '--ids', ids.join(','), '--skip-special']).text;
}
function chatPromptIds(messages) {
  const file = path.join(SCRATCH, 'messages.json');
  fs.writeFileSync(file, JSON.stringify(messages));
  const text = r1(['chat-template', '--model', MODEL, '--messages', file, '--add-generation-prompt']);
  return tokenize(text, false);  // the template writes BOS itself
}
// r1 generate (greedy unless temperature given) -> {tokens, text (specials skipped), finish, raw}
function generate({ prompt, tokens, chat = false, maxTokens, temperature = 0, seed = 0 }) {
  const args = ['generate', '--model', MODEL, '--max-tokens', String(maxTokens), '--temperature', String(temperature),
                '--seed', String(seed)];
  if (tokens) args.push('--tokens', tokens.join(','));
  else args.push('--prompt', prompt);
  if (chat) args.push('--chat');
  const raw = r1json(args);
  return { tokens: raw.tokens, text: detok(raw.tokens), finish: raw.finish_reason, raw };
}

// Collects a chat stream: content, reasoning, finish_reason, usage, chunk list.
async function collectChat(stream) {
  const out = { content: '', reasoning: '', finish: null, usage: null, chunks: [], roles: [] };
  for await (const c of stream) {
    out.chunks.push(c);
    if (c.usage) out.usage = c.usage;
    for (const ch of c.choices) {
      if (ch.delta?.role) out.roles.push(ch.delta.role);
      if (ch.delta?.content) out.content += ch.delta.content;
      if (ch.delta?.reasoning_content) out.reasoning += ch.delta.reasoning_content;
      if (ch.finish_reason) out.finish = ch.finish_reason;
    }
  }
  return out;
}
async function collectCompletion(stream) {
  const out = { text: '', finish: null, usage: null, chunks: [] };
  for await (const c of stream) {
    out.chunks.push(c);
    if (c.usage) out.usage = c.usage;
    for (const ch of c.choices) {
      if (ch.text) out.text += ch.text;
      if (ch.finish_reason) out.finish = ch.finish_reason;
    }
  }
  return out;
}

// A stop string that occurs in `text` after its start: 3 plain ASCII characters from the middle on.
function pickStop(text) {
  for (let i = Math.floor(text.length / 2); i + 3 <= text.length; i++) {
    const s = text.slice(i, i + 3);
    if (/^[A-Za-z0-9]{3}$/.test(s) && text.indexOf(s) > 0) return s;
  }
  for (let i = 1; i + 2 <= text.length; i++) {
    const s = text.slice(i, i + 2);
    if (/^[A-Za-z0-9]{2}$/.test(s) && text.indexOf(s) > 0) return s;
  }
  return null;
}

// ------------------------------------------------------------------------------------------------ checks
async function mainServerChecks(srv) {
  const c = client(srv);
  const user = (content) => [{ role: 'user', content }];

  // /v1/models
  const models = await c.models.list();
  eq('models.list ids', models.data.map((m) => m.id), [MODEL_ID]);
  eq('models.list object', models.data[0].object, 'model');

  // ---- chat, non-stream vs stream vs r1 generate --chat (greedy)
  {
    const prompt = 'Tell me a story.';
    const maxTokens = 20;
    const ref = generate({ prompt, chat: true, maxTokens });
    const promptIds = chatPromptIds(user(prompt));
    const r = await c.chat.completions.create({ model: MODEL_ID, messages: user(prompt), max_tokens: maxTokens, temperature: 0 });
    eq('chat: object', r.object, 'chat.completion');
    eq('chat: model', r.model, MODEL_ID);
    eq('chat: one choice', r.choices.length, 1);
    eq('chat: role', r.choices[0].message.role, 'assistant');
    eq('chat: greedy text equals r1 generate --chat', r.choices[0].message.content, ref.text);
    ok('chat: no reasoning_content without <think>', !r.choices[0].message.reasoning_content,
       show(r.choices[0].message.reasoning_content));
    eq('chat: finish_reason', r.choices[0].finish_reason, ref.tokens.length === maxTokens ? 'length' : 'stop');
    eq('chat: usage.prompt_tokens = tokens of the rendered chat template', r.usage.prompt_tokens, promptIds.length);
    eq('chat: usage.prompt_tokens = r1 generate prompt_tokens', r.usage.prompt_tokens, ref.raw.prompt_tokens);
    eq('chat: usage.completion_tokens', r.usage.completion_tokens, ref.tokens.length);
    eq('chat: usage.total_tokens', r.usage.total_tokens, promptIds.length + ref.tokens.length);
    ok('chat: id', typeof r.id === 'string' && r.id.startsWith('chatcmpl-'), r.id);

    const s = await collectChat(await c.chat.completions.create({
      model: MODEL_ID, messages: user(prompt), max_tokens: maxTokens, temperature: 0, stream: true,
      stream_options: { include_usage: true } }));
    eq('chat stream: deltas concatenate to the non-stream text', s.content, r.choices[0].message.content);
    eq('chat stream: first chunk has role assistant', s.roles, ['assistant']);
    eq('chat stream: chunk object', [...new Set(s.chunks.map((x) => x.object))], ['chat.completion.chunk']);
    eq('chat stream: one id for all chunks', new Set(s.chunks.map((x) => x.id)).size, 1);
    eq('chat stream: finish_reason', s.finish, r.choices[0].finish_reason);
    const last = s.chunks[s.chunks.length - 1];
    eq('chat stream: include_usage chunk has choices []', last.choices, []);
    eq('chat stream: include_usage chunk usage', last.usage, r.usage);
    ok('chat stream: only the last chunk has usage', s.chunks.slice(0, -1).every((x) => !x.usage));

    const s2 = await collectChat(await c.chat.completions.create({
      model: MODEL_ID, messages: user(prompt), max_tokens: maxTokens, temperature: 0, stream: true }));
    ok('chat stream without include_usage: no usage chunk', s2.usage === null && s2.chunks.every((x) => x.choices.length === 1));
    eq('chat stream without include_usage: same text', s2.content, s.content);

    // max_tokens -> finish length, completion_tokens = max_tokens (this prompt runs 20 tokens without EOS)
    ok('chat: reference runs to max_tokens (fixture sanity)', ref.tokens.length === maxTokens, show(ref.raw));
    const short = await c.chat.completions.create({ model: MODEL_ID, messages: user(prompt), max_tokens: 5, temperature: 0 });
    eq('chat max_tokens 5: finish_reason length', short.choices[0].finish_reason, 'length');
    eq('chat max_tokens 5: completion_tokens', short.usage.completion_tokens, 5);
    eq('chat max_tokens 5: text is the prefix', short.choices[0].message.content, detok(ref.tokens.slice(0, 5)));
    const mct = await c.chat.completions.create({ model: MODEL_ID, messages: user(prompt), max_completion_tokens: 7, temperature: 0 });
    eq('chat max_completion_tokens 7: completion_tokens', mct.usage.completion_tokens, 7);
  }

  // ---- completions, non-stream and stream; BOS per tokenizer_config.json
  {
    const prompt = 'The quick brown fox';
    const maxTokens = 24;
    const addBos = JSON.parse(fs.readFileSync(path.join(MODEL, 'tokenizer_config.json'), 'utf8')).add_bos_token === true;
    const ids = tokenize(prompt, addBos);
    const ref = generate({ prompt, maxTokens });
    const r = await c.completions.create({ model: MODEL_ID, prompt, max_tokens: maxTokens, temperature: 0 });
    eq('completions: object', r.object, 'text_completion');
    eq('completions: greedy text equals r1 generate', r.choices[0].text, ref.text);
    eq(`completions: usage.prompt_tokens = r1 tokenize${addBos ? ' --add-bos' : ''}`, r.usage.prompt_tokens, ids.length);
    eq('completions: usage.completion_tokens', r.usage.completion_tokens, ref.tokens.length);
    eq('completions: usage.total_tokens', r.usage.total_tokens, ids.length + ref.tokens.length);
    eq('completions: finish_reason', r.choices[0].finish_reason, ref.tokens.length === maxTokens ? 'length' : 'stop');
    const s = await collectCompletion(await c.completions.create({
      model: MODEL_ID, prompt, max_tokens: maxTokens, temperature: 0, stream: true, stream_options: { include_usage: true } }));
    eq('completions stream: chunks concatenate to the non-stream text', s.text, r.choices[0].text);
    eq('completions stream: finish_reason', s.finish, r.choices[0].finish_reason);
    eq('completions stream: usage chunk', s.usage, r.usage);
    eq('completions stream: usage chunk has choices []', s.chunks[s.chunks.length - 1].choices, []);
    const one = await c.completions.create({ model: MODEL_ID, prompt: [prompt], max_tokens: maxTokens, temperature: 0 });
    eq('completions: prompt as a one-string list', one.choices[0].text, r.choices[0].text);

    // raw SSE framing
    const raw = await fetch(`${srv.base}/v1/completions`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: MODEL_ID, prompt, max_tokens: 4, temperature: 0, stream: true }) });
    eq('raw SSE: status', raw.status, 200);
    ok('raw SSE: content-type text/event-stream', (raw.headers.get('content-type') || '').startsWith('text/event-stream'),
       raw.headers.get('content-type'));
    const body = await raw.text();
    ok('raw SSE: ends with data: [DONE]', body.endsWith('data: [DONE]\n\n'), show(body.slice(-40)));
    // SSE comments (": keep-alive", sent while a request waits) are part of the format and ignored by clients.
    const events = body.split('\n\n').filter((e) => e.length && !e.startsWith(':'));
    ok('raw SSE: every event is one data: line', events.every((e) => e.startsWith('data: ') && !e.includes('\n')), show(body));
    ok('raw SSE: every event but [DONE] is JSON', events.slice(0, -1).every((e) => { try { JSON.parse(e.slice(6)); return true; } catch { return false; } }));
  }

  // ---- token-id prompts, context boundaries (ctx = CTX)
  {
    const ids = Array.from({ length: CTX - 1 }, (_, i) => 7 + ((i * 37) % 600));
    const r = await c.completions.create({ model: MODEL_ID, prompt: ids, temperature: 0 });
    eq('token prompt of ctx-1 ids: accepted, usage.prompt_tokens', r.usage.prompt_tokens, CTX - 1);
    ok('token prompt of ctx-1 ids: default max_tokens fills the context', r.usage.completion_tokens <= 1 &&
       (r.usage.completion_tokens === 1) === (r.choices[0].finish_reason === 'length'), show(r));
    await expectApiError('token prompt of ctx ids', () => c.completions.create({ model: MODEL_ID, prompt: [...ids, 9], temperature: 0 }),
                         400, 'context_length_exceeded', { param: 'prompt', type: 'invalid_request_error' });
    const p100 = ids.slice(0, 100);
    const fit = CTX - 100;
    const ref = generate({ tokens: p100, maxTokens: fit });
    const r2 = await c.completions.create({ model: MODEL_ID, prompt: p100, max_tokens: fit, temperature: 0 });
    eq('prompt + max_tokens = ctx: accepted, greedy text equals r1 generate --tokens', r2.choices[0].text, ref.text);
    eq('prompt + max_tokens = ctx: completion_tokens', r2.usage.completion_tokens, ref.tokens.length);
    await expectApiError('prompt + max_tokens = ctx + 1', () => c.completions.create({ model: MODEL_ID, prompt: p100, max_tokens: fit + 1 }),
                         400, 'context_length_exceeded', { param: 'max_tokens' });
    await expectApiError('token id out of range', () => c.completions.create({ model: MODEL_ID, prompt: [1, 2, 640], max_tokens: 2 }),
                         400, 'invalid_value', { param: 'prompt' });
    const long = 'lorem ipsum dolor sit amet '.repeat(40);
    ok('long text prompt is longer than the context (fixture sanity)', tokenize(long, true).length > CTX);
    await expectApiError('completions text prompt longer than --ctx', () => c.completions.create({ model: MODEL_ID, prompt: long, max_tokens: 4 }),
                         400, 'context_length_exceeded', { param: 'prompt' });
    await expectApiError('chat prompt longer than --ctx', () => c.chat.completions.create({ model: MODEL_ID, messages: user(long), max_tokens: 4 }),
                         400, 'context_length_exceeded', { param: 'messages' });
  }

  // ---- stop sequences (greedy; the stop string is taken from the middle of the unstopped output)
  {
    const prompt = 'Once upon a time';
    const maxTokens = 40;
    const full = await c.completions.create({ model: MODEL_ID, prompt, max_tokens: maxTokens, temperature: 0 });
    const text = full.choices[0].text;
    const stop = pickStop(text);
    ok('stop: found a stop string in the greedy output (fixture sanity)', stop !== null, show(text));
    const want = text.slice(0, text.indexOf(stop));
    note('completions stop', show(stop), 'in', show(text));
    const r = await c.completions.create({ model: MODEL_ID, prompt, max_tokens: maxTokens, temperature: 0, stop });
    eq(`completions stop ${show(stop)}: text ends right before it`, r.choices[0].text, want);
    eq('completions stop: finish_reason stop', r.choices[0].finish_reason, 'stop');
    ok('completions stop: fewer completion tokens', r.usage.completion_tokens < full.usage.completion_tokens, show(r.usage));
    const s = await collectCompletion(await c.completions.create({
      model: MODEL_ID, prompt, max_tokens: maxTokens, temperature: 0, stop: ['\u0001never\u0002', stop], stream: true,
      stream_options: { include_usage: true } }));
    eq('completions stream stop (list of 2): text', s.text, want);
    eq('completions stream stop: finish_reason stop', s.finish, 'stop');
    eq('completions stream stop: usage equals non-stream', s.usage, r.usage);
    const none = await c.completions.create({ model: MODEL_ID, prompt, max_tokens: maxTokens, temperature: 0, stop: 'zzzzzzzz' });
    eq('completions stop that never occurs: full text', none.choices[0].text, text);
    eq('completions stop that never occurs: finish_reason', none.choices[0].finish_reason, full.choices[0].finish_reason);

    const msgs = user('Why is the sky blue?');
    const cfull = await c.chat.completions.create({ model: MODEL_ID, messages: msgs, max_tokens: maxTokens, temperature: 0 });
    const ctext = cfull.choices[0].message.content;
    const cstop = pickStop(ctext);
    ok('chat stop: found a stop string (fixture sanity)', cstop !== null, show(ctext));
    const cwant = ctext.slice(0, ctext.indexOf(cstop));
    note('chat stop', show(cstop), 'in', show(ctext));
    const cr = await c.chat.completions.create({ model: MODEL_ID, messages: msgs, max_tokens: maxTokens, temperature: 0, stop: [cstop] });
    eq(`chat stop ${show(cstop)}: content ends right before it`, cr.choices[0].message.content, cwant);
    eq('chat stop: finish_reason stop', cr.choices[0].finish_reason, 'stop');
    const cs = await collectChat(await c.chat.completions.create({
      model: MODEL_ID, messages: msgs, max_tokens: maxTokens, temperature: 0, stop: cstop, stream: true }));
    eq('chat stream stop: content', cs.content, cwant);
    eq('chat stream stop: finish_reason', cs.finish, 'stop');
  }

  // ---- greedy through the server = r1 generate, one at a time and batched (6 concurrent, --parallel 4)
  {
    const prompts = ['Hello there', 'hi', 'Tell me a story.', 'ok', 'Please list three colours', 'Numbers: 1 2 3'];
    const maxTokens = 24;
    const refs = prompts.map((p) => generate({ prompt: p, maxTokens }));
    const chatRefs = prompts.slice(0, 4).map((p) => generate({ prompt: p, chat: true, maxTokens }));
    const single = await c.completions.create({ model: MODEL_ID, prompt: prompts[0], max_tokens: maxTokens, temperature: 0 });
    eq('greedy single request = r1 generate', single.choices[0].text, refs[0].text);
    const before = await metrics(srv);
    const all = await Promise.all([
      ...prompts.map((p, i) => (i % 2 === 0
        ? c.completions.create({ model: MODEL_ID, prompt: p, max_tokens: maxTokens, temperature: 0 }).then((r) => r.choices[0].text)
        : c.completions.create({ model: MODEL_ID, prompt: p, max_tokens: maxTokens, temperature: 0, stream: true })
          .then(collectCompletion).then((x) => x.text))),
      ...chatRefs.map((_, i) => c.chat.completions.create({ model: MODEL_ID, messages: user(prompts[i]), max_tokens: maxTokens, temperature: 0 })
        .then((r) => r.choices[0].message.content)),
    ]);
    prompts.forEach((p, i) => eq(`greedy batched (10 concurrent) completions ${show(p)} = r1 generate`, all[i], refs[i].text));
    chatRefs.forEach((ref, i) => eq(`greedy batched chat ${show(prompts[i])} = r1 generate --chat`, all[prompts.length + i], ref.text));
    const after = await metrics(srv);
    eq('metrics: r1_http_requests_total counted the batch', after.r1_http_requests_total - before.r1_http_requests_total, 10);
    eq('metrics: r1_completion_tokens_total counted the batch', after.r1_completion_tokens_total - before.r1_completion_tokens_total,
       [...refs, ...chatRefs].reduce((a, r) => a + r.tokens.length, 0));
    ok('metrics: batching happened (decode rows > decode steps)',
       after.r1_decode_steps_total > before.r1_decode_steps_total &&
       (after.r1_completion_tokens_total - before.r1_completion_tokens_total) > 1.5 * (after.r1_decode_steps_total - before.r1_decode_steps_total),
       show({ before, after }));
    ok('metrics: r1_decode_tokens_per_second > 0', after.r1_decode_tokens_per_second > 0);
  }

  // ---- prefix cache: the same long prompt twice; second is served partly from cache, same output
  {
    const prompt = 'A shared system prompt that is long enough to fill several cache pages of sixteen tokens each.';
    const ref = generate({ prompt, maxTokens: 12 });
    const m0 = await metrics(srv);
    const a = await c.completions.create({ model: MODEL_ID, prompt, max_tokens: 12, temperature: 0 });
    const m1 = await metrics(srv);
    const b = await c.completions.create({ model: MODEL_ID, prompt, max_tokens: 12, temperature: 0 });
    const m2 = await metrics(srv);
    eq('prefix cache: first text = r1 generate', a.choices[0].text, ref.text);
    eq('prefix cache: second text (cached prefix) = r1 generate', b.choices[0].text, ref.text);
    eq('metrics: r1_prompt_tokens_total counts the prompt', m1.r1_prompt_tokens_total - m0.r1_prompt_tokens_total, a.usage.prompt_tokens);
    const cached = m2.r1_prompt_tokens_cached_total - m1.r1_prompt_tokens_cached_total;
    note(`prefix cache: ${cached} of ${b.usage.prompt_tokens} prompt tokens cached`);
    ok('metrics: r1_prompt_tokens_cached_total grows on the repeated prompt', cached >= 16 && cached < b.usage.prompt_tokens,
       `cached ${cached} of ${b.usage.prompt_tokens}`);
    eq('usage.prompt_tokens is the whole prompt even when cached', b.usage.prompt_tokens, a.usage.prompt_tokens);
  }

  // ---- sampling with a seed = r1 generate --temperature --seed
  {
    const prompt = 'Numbers: 1 2 3';
    const ref = generate({ prompt, maxTokens: 16, temperature: 0.8, seed: 42 });
    const r = await c.completions.create({ model: MODEL_ID, prompt, max_tokens: 16, temperature: 0.8, seed: 42 });
    eq('sampled (temperature 0.8, seed 42) = r1 generate --seed 42', r.choices[0].text, ref.text);
    const r2 = await c.completions.create({ model: MODEL_ID, prompt, max_tokens: 16, temperature: 0.8, seed: 42 });
    eq('sampled: same seed, same text', r2.choices[0].text, r.choices[0].text);
  }

  // ---- reasoning_content: THINK_PROMPT's greedy output holds <think>…</think>
  {
    const maxTokens = 30;
    const ref = generate({ prompt: THINK_PROMPT, chat: true, maxTokens });
    const i5 = ref.tokens.indexOf(THINK_ID), i6 = ref.tokens.indexOf(END_THINK_ID, i5 + 1);
    ok('reasoning fixture: r1 generate still emits <think> … </think> for the recorded seed/prompt ' +
       '(if not, rerun tests/server/find_think_seed.py and update MODEL_SEED/THINK_PROMPT)',
       i5 >= 0 && i6 > i5 && ref.tokens.every((t) => !SPECIAL.has(t)), show(ref.tokens));
    const wantReasoning = ref.raw.reasoning_content, wantContent = ref.raw.content;
    ok('reasoning fixture: generate splits it', wantReasoning.length > 0 && wantContent.length > 0);
    const r = await c.chat.completions.create({ model: MODEL_ID, messages: user(THINK_PROMPT), max_tokens: maxTokens, temperature: 0 });
    note('reasoning message', show(r.choices[0].message));
    eq('chat reasoning_content = r1 generate reasoning_content', r.choices[0].message.reasoning_content, wantReasoning);
    eq('chat content = r1 generate content (tags removed)', r.choices[0].message.content, wantContent);
    ok('chat content has no think tags', !/<\/?think>/.test(r.choices[0].message.content));
    const s = await collectChat(await c.chat.completions.create({
      model: MODEL_ID, messages: user(THINK_PROMPT), max_tokens: maxTokens, temperature: 0, stream: true }));
    eq('chat stream: reasoning_content deltas', s.reasoning, wantReasoning);
    eq('chat stream: content deltas', s.content, wantContent);
    ok('chat stream: no delta carries a think tag', s.chunks.every((x) => !/<\/?think>/.test(JSON.stringify(x.choices))));
    // the same output through /v1/completions is not split: the tags stay in the text
    const ids = chatPromptIds(user(THINK_PROMPT));
    const comp = await c.completions.create({ model: MODEL_ID, prompt: ids, max_tokens: maxTokens, temperature: 0 });
    eq('completions (token prompt = chat template): text keeps <think>…</think>', comp.choices[0].text, ref.text);
    // cut inside the thinking: everything after <think> is reasoning
    const cut = i5 + 2;
    const rc = await c.chat.completions.create({ model: MODEL_ID, messages: user(THINK_PROMPT), max_tokens: cut, temperature: 0 });
    eq('chat cut inside <think>: reasoning_content', rc.choices[0].message.reasoning_content, detok(ref.tokens.slice(i5 + 1, cut)));
    eq('chat cut inside <think>: content', rc.choices[0].message.content, detok(ref.tokens.slice(0, i5)));
  }

  // ---- errors
  {
    const post = (route, body, headers = {}) => fetch(`${srv.base}${route}`, {
      method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
    const r = await post('/v1/chat/completions', '{"model": "x", "messages": [');
    eq('bad JSON: status 400', r.status, 400);
    ok('bad JSON: content-type application/json', (r.headers.get('content-type') || '').startsWith('application/json'));
    const j = await r.json();
    eq('bad JSON: error object keys', Object.keys(j.error).sort(), ['code', 'message', 'param', 'type']);
    eq('bad JSON: error.type', j.error.type, 'invalid_request_error');
    eq('bad JSON: error.code', j.error.code, 'invalid_json');
    eq('bad JSON (completions): status 400', (await post('/v1/completions', 'nope')).status, 400);
    eq('JSON that is not an object: status 400', (await post('/v1/completions', '[1,2]')).status, 400);

    const base = { model: MODEL_ID, messages: user('hi'), max_tokens: 4 };
    const cases = [
      ['temperature: "hot"', { temperature: 'hot' }, 'temperature'],
      ['temperature: 3', { temperature: 3 }, 'temperature'],
      ['top_p: 0', { top_p: 0 }, 'top_p'],
      ['max_tokens: 0', { max_tokens: 0 }, 'max_tokens'],
      ['max_tokens: -5', { max_tokens: -5 }, 'max_tokens'],
      ['max_tokens: "10"', { max_tokens: '10' }, 'max_tokens'],
      ['max_tokens: 2.5', { max_tokens: 2.5 }, 'max_tokens'],
      ['n: 2', { n: 2 }, 'n'],
      ['stream: "yes"', { stream: 'yes' }, 'stream'],
      ['stop: 5 strings', { stop: ['a', 'b', 'c', 'd', 'e'] }, 'stop'],
      ['stop: [1]', { stop: [1] }, 'stop'],
      ['stop: ""', { stop: '' }, 'stop'],
      ['messages: []', { messages: [] }, 'messages'],
      ['messages: "hi"', { messages: 'hi' }, 'messages'],
      ['role "wizard"', { messages: [{ role: 'wizard', content: 'x' }] }, 'messages[0].role'],
      ['content: 7', { messages: [{ role: 'user', content: 7 }] }, 'messages[0].content'],
      ['model: 3', { model: 3 }, 'model'],
      ['stream_options: 1', { stream: true, stream_options: 1 }, 'stream_options'],
    ];
    for (const [label, patch, param] of cases)
      await expectApiError(`chat ${label}`, () => c.chat.completions.create({ ...base, ...patch }), 400, undefined,
                           { type: 'invalid_request_error', param });
    await expectApiError('completions prompt: {}', () => c.completions.create({ model: MODEL_ID, prompt: {}, max_tokens: 2 }), 400, undefined,
                         { param: 'prompt' });
    await expectApiError('completions max_tokens: 0', () => c.completions.create({ model: MODEL_ID, prompt: 'hi', max_tokens: 0 }), 400,
                         undefined, { param: 'max_tokens' });
    const e = await expectApiError('unknown model (chat)', () => c.chat.completions.create({ ...base, model: 'gpt-4o' }), 404,
                                   'model_not_found', { param: 'model' });
    ok('unknown model: NotFoundError', e instanceof OpenAI.NotFoundError);
    await expectApiError('unknown model (completions)', () => c.completions.create({ model: 'nope', prompt: 'hi', max_tokens: 2 }), 404,
                         'model_not_found');
    const nf = await fetch(`${srv.base}/v1/nope`);
    eq('unknown route GET /v1/nope: 404', nf.status, 404);
    const nfj = await nf.json();
    ok('unknown route: OpenAI error body', typeof nfj.error?.message === 'string' && 'code' in nfj.error, show(nfj));
    eq('unknown route POST /v1/embeddings: 404', (await post('/v1/embeddings', '{}')).status, 404);
    eq('wrong method GET /v1/chat/completions: 404', (await fetch(`${srv.base}/v1/chat/completions`)).status, 404);
    const m = await metrics(srv);
    ok('metrics: r1_http_errors_total counted errors', m.r1_http_errors_total >= cases.length, show(m.r1_http_errors_total));
    for (const name of ['r1_http_requests_total', 'r1_prompt_tokens_total', 'r1_completion_tokens_total', 'r1_queue_depth',
                        'r1_active_sequences', 'r1_decode_tokens_per_second', 'r1_prompt_tokens_cached_total'])
      ok(`metrics: ${name} present`, Number.isFinite(m[name]), show(m));
    eq('metrics: idle queue depth 0', m.r1_queue_depth, 0);
    eq('metrics: idle active sequences 0', m.r1_active_sequences, 0);
  }
}

// --api-key, --model-id, --parallel 1 --queue 1: 401s, 503 when the queue is full, disconnects free the slot.
async function authQueueChecks(srv) {
  const ID = 'custom-name';
  const c = client(srv, { apiKey: API_KEY });
  const user = (content) => [{ role: 'user', content }];

  eq('--model-id: models.list', (await c.models.list()).data.map((m) => m.id), [ID]);
  await expectApiError('wrong API key (models)', () => client(srv, { apiKey: 'sk-wrong' }).models.list(), 401, 'invalid_api_key');
  const e = await expectApiError('wrong API key (chat)', () => client(srv, { apiKey: 'sk-wrong' }).chat.completions.create({
    model: ID, messages: user('hi'), max_tokens: 2 }), 401, 'invalid_api_key');
  ok('wrong API key: AuthenticationError', e instanceof OpenAI.AuthenticationError);
  for (const route of ['/v1/chat/completions', '/v1/completions']) {
    const r = await fetch(`${srv.base}${route}`, { method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: ID, prompt: 'hi', messages: user('hi'), max_tokens: 2 }) });
    eq(`missing API key ${route}: 401`, r.status, 401);
    eq(`missing API key ${route}: code`, (await r.json()).error.code, 'invalid_api_key');
  }
  eq('missing API key GET /v1/models: 401', (await fetch(`${srv.base}/v1/models`)).status, 401);
  eq('/health needs no key', (await fetch(`${srv.base}/health`)).status, 200);
  await expectApiError('--model-id: the folder name is not accepted', () => c.chat.completions.create({
    model: MODEL_ID, messages: user('hi'), max_tokens: 2 }), 404, 'model_not_found');
  const okr = await c.chat.completions.create({ model: ID, messages: user('hi'), max_tokens: 3, temperature: 0 });
  eq('right API key: served', okr.usage.completion_tokens, 3);

  // A long greedy stream (this prompt runs 2000+ tokens without EOS) takes the one slot; a second waits in
  // the queue of 1; a third gets 503 overloaded. Then both clients disconnect: the slot frees at once.
  const long = { model: ID, messages: user(THINK_PROMPT), max_tokens: 2400, temperature: 0, stream: true };
  let done = false;
  for (let attempt = 1; !done; attempt++) {
    const acA = new AbortController(), acB = new AbortController();
    const A = { chunks: 0, ended: false, error: null };
    const streamA = await c.chat.completions.create(long, { signal: acA.signal });
    const consumeA = (async () => {
      try { for await (const _ of streamA) A.chunks++; } catch (err) { A.error = err; }
      A.ended = true;
    })();
    await waitFor('the first stream to be decoding', async () => A.chunks >= 3 || A.ended, 10000);
    const streamB = await c.chat.completions.create(long, { signal: acB.signal });
    const mq = await waitFor('the second request to be queued', async () => {
      const m = await metrics(srv);
      return (m.r1_queue_depth === 1 && m.r1_active_sequences === 1) || A.ended ? m : null;
    }, 5000);
    let rejected = null;
    if (!A.ended) {
      try {
        await c.chat.completions.create({ ...long, stream: false, max_tokens: 4 });
      } catch (err) { rejected = err; }
    }
    const aliveAt503 = !A.ended;
    if (!aliveAt503 && attempt < 3) {  // the machine was too fast for 2400 tokens: try again
      acB.abort();
      await consumeA;
      continue;
    }
    ok('queue full: the long stream was still decoding (fixture sanity)', aliveAt503, show(A));
    ok('queue full: 503 APIError', rejected instanceof OpenAI.APIError, show(rejected?.message));
    eq('queue full: status 503', rejected.status, 503);
    eq('queue full: error.code overloaded', rejected.code, 'overloaded');
    ok('queue full: InternalServerError class', rejected instanceof OpenAI.InternalServerError);
    const m503 = await metrics(srv);
    ok('metrics: r1_requests_rejected_total > 0', m503.r1_requests_rejected_total >= 1, show(m503));
    eq('metrics: r1_queue_depth 1 while waiting', mq.r1_queue_depth, 1);
    eq('metrics: r1_active_sequences 1 while decoding', mq.r1_active_sequences, 1);

    // disconnect the queued one, then the decoding one
    acB.abort();
    const chunksBefore = A.chunks;
    acA.abort();
    const tAbort = Date.now();
    await consumeA;
    ok('disconnect: the aborted stream ended on the client', A.ended);
    await waitFor('r1_active_sequences to drop to 0 after the disconnect', async () => {
      const m = await metrics(srv);
      return m.r1_active_sequences === 0 && m.r1_queue_depth === 0;
    }, 3000);
    const freedMs = Date.now() - tAbort;
    note(`attempt ${attempt}: stream A had ${chunksBefore} chunks at the abort; slot freed after ${freedMs} ms`);
    ok(`disconnect: slot freed quickly (${freedMs} ms)`, freedMs < 1500);
    ok('disconnect: the stream was cut mid-way', chunksBefore < 2400, `${chunksBefore} chunks`);
    done = true;
  }
  const m1 = await metrics(srv);
  const t = Date.now();
  const after = await c.chat.completions.create({ model: ID, messages: user('hi'), max_tokens: 8, temperature: 0 });
  eq('after the disconnects: a following request is served', after.usage.completion_tokens, 8);
  ok('after the disconnects: served promptly', Date.now() - t < 5000, `${Date.now() - t} ms`);
  const m2 = await metrics(srv);
  ok('metrics: the cancelled generation stopped (completion tokens grew only by the new request, give or take a step)',
     m2.r1_completion_tokens_total - m1.r1_completion_tokens_total <= 8 + 2, show({ m1: m1.r1_completion_tokens_total, m2: m2.r1_completion_tokens_total }));

  // SIGTERM while a stream is in flight: the server exits 0 and the client's stream ends.
  const ac = new AbortController();
  const st = { chunks: 0, ended: false };
  const stream = await c.chat.completions.create(long, { signal: ac.signal });
  const consume = (async () => {
    try { for await (const _ of stream) st.chunks++; } catch { /* a cut stream may throw */ }
    st.ended = true;
  })();
  await waitFor('the stream to be decoding', async () => st.chunks >= 3 || st.ended, 10000);
  await stopServer(srv, 5000);
  await Promise.race([consume, sleep(3000)]);
  ok('SIGTERM: the in-flight stream ended on the client', st.ended, show(st));
  if (!st.ended) ac.abort();
}

// An R1-Distill-family model (Qwen2 architecture, GQA cache) through the same server: its chat template opens
// <think> on the generation prompt, so the answer starts as reasoning, as DeepSeek-R1-Distill's folders do.
async function distillChecks(srv) {
  const oai = client(srv);
  const messages = [{ role: 'user', content: 'Say something.' }];
  const want = generate({ prompt: messages[0].content, chat: true, maxTokens: 12 });
  const promptIds = chatPromptIds(messages);
  ok('distill: the chat prompt ends with <think> and a newline', detok(promptIds).endsWith('<think>\n') ||
     r1(['chat-template', '--model', MODEL, '--messages', path.join(SCRATCH, 'messages.json'),
         '--add-generation-prompt']).endsWith('<think>\n'));
  const r = await oai.chat.completions.create({ model: 'tiny-qwen2', messages, max_tokens: 12, temperature: 0 });
  const m = r.choices[0].message;
  eq('distill: greedy reasoning + content equal r1 generate --chat', (m.reasoning_content ?? '') + (m.content ?? ''),
     (want.raw.reasoning_content ?? '') + (want.raw.content ?? ''));
  eq('distill: reasoning_content as r1 generate splits it', m.reasoning_content ?? '', want.raw.reasoning_content ?? '');
  eq('distill: usage.prompt_tokens matches the tokenizer', r.usage.prompt_tokens, promptIds.length);
  eq('distill: usage.completion_tokens', r.usage.completion_tokens, want.tokens.length);
  const st = await collectChat(await oai.chat.completions.create({ model: 'tiny-qwen2', messages, max_tokens: 12,
                                                                   temperature: 0, stream: true }));
  eq('distill: streamed reasoning equals the non-streamed one', st.reasoning, m.reasoning_content ?? '');
  eq('distill: streamed content equals the non-streamed one', st.content, m.content ?? '');
  // Batched: four concurrent requests give what each gives alone.
  const prompts = ['one', 'two two', 'three three three', 'four'];
  const wants = prompts.map((p) => generate({ prompt: p, maxTokens: 10 }).text);
  const got = await Promise.all(prompts.map((p) => oai.completions.create({ model: 'tiny-qwen2', prompt: p,
                                                                            max_tokens: 10, temperature: 0 })));
  eq('distill: batched completions equal r1 generate', got.map((g) => g.choices[0].text), wants);
}

// MTP self-speculative decoding in the server (--spec mtp) on the embedded reasoning model, whose trained MTP
// module drafts well: greedy answers equal plain r1 generate's, batched or not; /metrics reports acceptance.
async function specChecks(srv) {
  const oai = client(srv);
  const problems = ['34+58', '71-26', '15+99', '88-43'];
  const wants = problems.map((p) => generate({ prompt: p, chat: true, maxTokens: 40 }).raw);
  const got = await Promise.all(problems.map((p) => oai.chat.completions.create({
    model: 'r1-zero-arith', messages: [{ role: 'user', content: p }], max_tokens: 40, temperature: 0 })));
  eq('spec: batched greedy answers equal r1 generate --chat (reasoning + content)',
     got.map((r) => (r.choices[0].message.reasoning_content ?? '') + (r.choices[0].message.content ?? '')),
     wants.map((w) => (w.reasoning_content ?? '') + (w.content ?? '')));
  eq('spec: usage.completion_tokens equal r1 generate\'s', got.map((r) => r.usage.completion_tokens),
     wants.map((w) => w.tokens.length - (w.finish_reason === 'stop' ? 1 : 0)));
  const st = await collectChat(await oai.chat.completions.create({
    model: 'r1-zero-arith', messages: [{ role: 'user', content: '47+36' }], max_tokens: 40, temperature: 0.8, seed: 5,
    stream: true, stream_options: { include_usage: true } }));
  ok('spec: a sampled stream finishes with usage', st.finish !== null && st.usage?.completion_tokens > 0, show(st.usage));
  const m = await metrics(srv);
  ok('spec: /metrics counts MTP drafts', m.r1_spec_drafts_total > 0, show(m));
  ok('spec: /metrics acceptance ratio in (0, 1]', m.r1_spec_acceptance_ratio > 0 && m.r1_spec_acceptance_ratio <= 1,
     show(m.r1_spec_acceptance_ratio));
  note('spec acceptance', m.r1_spec_acceptance_ratio);
}

// Greedy output of a q8 model (linear() switches to other kernels from 16 and 64 inputs on) with 24 concurrent
// requests: decode steps of more than 16 rows give each sequence what `r1 generate` gives it alone.
async function quantChecks(srv) {
  const oai = client(srv);
  const words = ['red', 'tree', 'seven', 'river', 'cold', 'stone', 'bird', 'quiet', 'lamp', 'north'];
  const prompts = Array.from({ length: 24 }, (_, i) =>
    Array.from({ length: 3 + (i % 6) }, (_, j) => words[(i * 3 + j * 7) % words.length]).join(' '));
  const maxTokens = 32;
  const refs = prompts.map((p) => generate({ prompt: p, maxTokens }));
  const before = await metrics(srv);
  const got = await Promise.all(prompts.map((p) =>
    oai.completions.create({ model: 'tiny-v3-q8', prompt: p, max_tokens: maxTokens, temperature: 0 }).then((r) => r.choices[0].text)));
  const after = await metrics(srv);
  const steps = after.r1_decode_steps_total - before.r1_decode_steps_total;
  const rows = after.r1_decode_rows_total - before.r1_decode_rows_total;
  ok('q8: decode steps of more than 16 rows ran (mean batch > 16)', rows > 16 * steps, show({ rows, steps }));
  prompts.forEach((p, i) => eq(`q8: greedy batched (24 concurrent) ${show(p)} = r1 generate`, got[i], refs[i].text));

  // Prompts over the server's 64-token prefill chunk that share a prefix, four at once, then the first again
  // (its cached pages reused): each equals r1 generate's one-call prompt, bit for bit in the logits it took.
  const shared = Array.from({ length: 48 }, (_, j) => words[(j * 7) % words.length]).join(' ');
  const long = [shared, `${shared} seven`, `${shared} cold river`, `${shared} lamp north bird`];
  const longRefs = long.map((p) => generate({ prompt: p, maxTokens: 16 }));
  const m0 = await metrics(srv);
  const lgot = await Promise.all(long.map((p) =>
    oai.completions.create({ model: 'tiny-v3-q8', prompt: p, max_tokens: 16, temperature: 0 })));
  const again = await oai.completions.create({ model: 'tiny-v3-q8', prompt: long[0], max_tokens: 16, temperature: 0 });
  const m1 = await metrics(srv);
  ok('q8: the long prompts span several prefill chunks', lgot[0].usage.prompt_tokens > 2 * 64, show(lgot[0].usage));
  ok('q8: the prefix cache served part of them',
     m1.r1_prompt_tokens_cached_total - m0.r1_prompt_tokens_cached_total >= 64, show({ m0, m1 }));
  long.forEach((p, i) => eq(`q8: greedy long prompt ${i} (chunked, shared prefix) = r1 generate`, lgot[i].choices[0].text,
                            longRefs[i].text));
  eq('q8: the first long prompt again (cached prefix) = r1 generate', again.choices[0].text, longRefs[0].text);
}

// ---------------------------------------------------------------------------------------------------- main
// A second server on a port that is already served fails with a clear error, instead of sharing the port
// (SO_REUSEPORT would let both listen and split the connections between them).
async function portTakenCheck(srv) {
  const proc = spawn(R1, ['serve', '--model', MODEL, '--host', '127.0.0.1', '--port', String(srv.port)],
                     { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  proc.stderr.on('data', (d) => { log += d; });
  const res = await Promise.race([new Promise((resolve) => proc.on('exit', (code) => resolve(code))), sleep(20000).then(() => null)]);
  if (res === null) proc.kill('SIGKILL');
  ok('a second server on a taken port exits non-zero', res !== null && res !== 0, `exit ${show(res)}; stderr:\n${log}`);
  ok('... naming the address it cannot listen on', log.includes(`cannot listen on 127.0.0.1:${srv.port}`), log);
  const h = await fetch(`${srv.base}/health`);
  ok('... and the first server keeps answering', h.ok, `status ${h.status}`);
}

async function main() {
  fs.mkdirSync(SCRATCH, { recursive: true });
  MODEL = path.join(SCRATCH, MODEL_ID);
  fs.rmSync(MODEL, { recursive: true, force: true });
  r1(['init', '--config', 'tiny-v3', '--out', MODEL, '--seed', String(MODEL_SEED)]);
  const tj = JSON.parse(fs.readFileSync(path.join(MODEL, 'tokenizer.json'), 'utf8'));
  for (const t of tj.added_tokens) if (t.special) SPECIAL.add(t.id);
  ok('tokenizer: <think> and </think> are the added tokens 5 and 6',
     tj.added_tokens.some((t) => t.id === THINK_ID && t.content === '<think>') &&
     tj.added_tokens.some((t) => t.id === END_THINK_ID && t.content === '</think>'));

  const main = await startServer('main server', ['--model', MODEL, '--parallel', '4', '--ctx', String(CTX), '--queue', '16']);
  await mainServerChecks(main);
  await portTakenCheck(main);
  await stopServer(main);

  const aq = await startServer('api-key server', ['--model', MODEL, '--parallel', '1', '--queue', '1', '--ctx', '2560',
                                                 '--api-key', API_KEY, '--model-id', 'custom-name']);
  await authQueueChecks(aq);  // stops it with SIGTERM mid-stream

  const q8 = path.join(SCRATCH, 'tiny-v3-q8');
  fs.rmSync(q8, { recursive: true, force: true });
  r1(['quantize', '--model', MODEL, '--out', q8, '--type', 'q8']);
  MODEL = q8;
  const qs = await startServer('q8 server', ['--model', MODEL, '--parallel', '24', '--ctx', '256', '--model-id', 'tiny-v3-q8']);
  await quantChecks(qs);
  await stopServer(qs);

  MODEL = path.join(SCRATCH, 'tiny-qwen2');
  fs.rmSync(MODEL, { recursive: true, force: true });
  r1(['init', '--config', 'tiny-qwen2', '--out', MODEL, '--seed', '3']);
  const dq = await startServer('distill server', ['--model', MODEL, '--parallel', '4', '--ctx', '256',
                                                 '--model-id', 'tiny-qwen2']);
  await distillChecks(dq);
  await stopServer(dq);

  MODEL = path.resolve(here, '..', '..', 'models', 'r1-zero-arith');
  const sp = await startServer('speculative server', ['--model', MODEL, '--parallel', '4', '--ctx', '256',
                                                     '--model-id', 'r1-zero-arith', '--spec', 'mtp']);
  await specChecks(sp);
  await stopServer(sp);
}

main().then(() => {
  console.log(`openai_e2e: all checks passed in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  console.log(`openai_e2e: ${passed} passed, 0 failed`);
  process.exit(0);
}, (e) => {
  console.error(`openai_e2e: FAILED: ${e instanceof CheckFailed ? e.message : e.stack}`);
  for (const s of servers) {
    if (s.log) console.error(`--- stderr of ${s.name}:\n${s.log}`);
    s.proc.kill('SIGKILL');
  }
  console.log(`openai_e2e: ${passed} passed, 1 failed`);
  process.exit(1);
});
