#!/usr/bin/env node
// Load benchmark for `r1 serve` (OpenAI-compatible server). Starts the server on a free port of 127.0.0.1,
// then, for each concurrency level C, runs C clients that each send K streaming chat requests back to back,
// and prints a markdown table: generated tokens/s over the level's wall time and time to first token.
// --rounds R runs all the levels R times in turn (one server) and reports, per level, the round with the median
// aggregate tokens/s, and each round's ratio of every level to the first one (this VM's speed drifts by 10 %
// or more between seconds, so one short round is not a measurement).
//
//   node bench/serve_load.mjs --r1 build/r1 --model DIR [--clients 1,4,16] [--requests-per-client K]
//        [--max-tokens N] [--parallel P] [--ctx N] [--threads T] [--temperature 0.7] [--rounds R] [--json FILE]
//   node bench/serve_load.mjs --r1 build/r1 --model DIR --disconnect-test 200 [--clients 8]
//
// --disconnect-test N: N streaming requests from 8 concurrent clients (or --clients), a random ~half of them
// aborted after a random number of chunks; checks that nothing but the aborts failed, that the server still
// answers (/health, a final request, no active sequence left) and that its resident memory (VmRSS) after the
// run is within 10% of the baseline taken after a warm-up. Exits 1 when a check fails.
// Only 127.0.0.1 is contacted; every loop is bounded by the request counts.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

// ------------------------------------------------------------------------------------------------ options
function parseArgs(argv) {
  const o = { clients: null, requestsPerClient: 8, rounds: 1, maxTokens: 128, parallel: null, ctx: null, threads: 0, temperature: 0.7,
              disconnect: 0, json: null, seed: 1000, r1: null, model: null, queue: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i], v = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    switch (a) {
      case '--r1': o.r1 = v(); break;
      case '--model': o.model = v(); break;
      case '--clients': o.clients = v().split(',').map(Number); break;
      case '--requests-per-client': o.requestsPerClient = Number(v()); break;
      case '--rounds': o.rounds = Number(v()); break;
      case '--max-tokens': o.maxTokens = Number(v()); break;
      case '--parallel': o.parallel = Number(v()); break;
      case '--queue': o.queue = Number(v()); break;
      case '--ctx': o.ctx = Number(v()); break;
      case '--threads': o.threads = Number(v()); break;
      case '--temperature': o.temperature = Number(v()); break;
      case '--seed': o.seed = Number(v()); break;
      case '--disconnect-test': o.disconnect = Number(v()); break;
      case '--json': o.json = v(); break;
      case '-h': case '--help':
        console.log(fs.readFileSync(new URL(import.meta.url), 'utf8').split('\n').slice(1, 15).map((l) => l.replace(/^\/\/ ?/, '')).join('\n'));
        process.exit(0);
      default: throw new Error(`unknown option ${a}`);
    }
  }
  if (!o.r1 || !o.model) throw new Error('--r1 and --model are required (see --help)');
  if (!o.clients) o.clients = o.disconnect ? [8] : [1, 4, 16];
  if (o.clients.some((c) => !(c >= 1))) throw new Error('--clients: positive integers, comma-separated');
  if (!(Number.isInteger(o.rounds) && o.rounds >= 1)) throw new Error('--rounds: a positive integer');
  return o;
}

// ----------------------------------------------------------------------------------------------- helpers
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const now = () => performance.now();

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function percentile(xs, p) {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

function rssKiB(pid) {
  const m = /VmRSS:\s+(\d+)\s+kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : NaN;
}

function cpuLoad() {
  try { return fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' '); } catch { return '?'; }
}

async function metrics(base) {
  const text = await (await fetch(`${base}/metrics`)).text();
  const m = {};
  for (const line of text.split('\n')) {
    const hit = /^([a-zA-Z_:][a-zA-Z0-9_:]*) (\S+)$/.exec(line);
    if (hit) m[hit[1]] = Number(hit[2]);
  }
  return m;
}

const PROMPTS = [
  'Write a short poem about the sea.', 'Explain how a transistor works.', 'What is the capital of France?',
  'List five prime numbers.', 'Tell me a story about a robot.', 'Summarise the plot of Hamlet.',
  'How do I sort a list in Python?', 'Why is the sky blue?', 'Give me a recipe for pancakes.',
  'What is 17 times 23?', 'Describe a sunset.', 'Translate "good morning" into German.',
];

// One streaming chat request. abortAfter: abort after that many SSE events (null: read to the end).
// Returns {status, ttftMs, totalMs, completionTokens, promptTokens, finish, aborted, error, chunks}.
async function streamChat(base, modelId, { prompt, seed, maxTokens, temperature, abortAfter = null }) {
  const ac = new AbortController();
  const t0 = now();
  const out = { status: 0, ttftMs: null, totalMs: null, completionTokens: 0, promptTokens: 0, finish: null, aborted: false,
                error: null, chunks: 0, done: false };
  let res;
  try {
    res = await fetch(`${base}/v1/chat/completions`, {
      method: 'POST', signal: ac.signal, headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: modelId, messages: [{ role: 'user', content: prompt }], max_tokens: maxTokens,
                             temperature, seed, stream: true, stream_options: { include_usage: true } }),
    });
  } catch (e) {
    out.error = `fetch: ${e.message}`;
    return out;
  }
  out.status = res.status;
  if (res.status !== 200) {
    out.error = `HTTP ${res.status}: ${(await res.text()).slice(0, 200)}`;
    return out;
  }
  const reader = res.body.getReader();
  const dec = new TextDecoder();
  let buf = '';
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += dec.decode(value, { stream: true });
      let k;
      while ((k = buf.indexOf('\n\n')) >= 0) {
        const ev = buf.slice(0, k);
        buf = buf.slice(k + 2);
        if (ev.startsWith(':')) continue;  // SSE comment (the server's keep-alive while a request waits)
        if (!ev.startsWith('data: ')) { out.error = `bad SSE event ${JSON.stringify(ev.slice(0, 80))}`; continue; }
        const data = ev.slice(6);
        if (data === '[DONE]') { out.done = true; continue; }
        // The load generator shares the CPUs with the server: after the first text, only events that can end
        // the stream, report usage or carry an error are parsed; the others (one per token) are only counted.
        if (out.ttftMs !== null && !data.includes('"finish_reason":"') && !data.includes('"usage"') && !data.includes('"error"')) {
          out.chunks++;
          continue;
        }
        const j = JSON.parse(data);
        if (j.error) { out.error = `stream error: ${j.error.message}`; continue; }
        out.chunks++;
        if (j.usage) { out.completionTokens = j.usage.completion_tokens; out.promptTokens = j.usage.prompt_tokens; }
        for (const ch of j.choices ?? []) {
          if (out.ttftMs === null && (ch.delta?.content || ch.delta?.reasoning_content)) out.ttftMs = now() - t0;
          if (ch.finish_reason) {
            out.finish = ch.finish_reason;
            if (out.ttftMs === null) out.ttftMs = now() - t0;  // no visible text at all (e.g. only special tokens)
          }
        }
        if (abortAfter !== null && out.chunks >= abortAfter && !out.done) {
          out.aborted = true;
          ac.abort();
          try { await reader.cancel(); } catch { /* already aborted */ }
          out.totalMs = now() - t0;
          return out;
        }
      }
    }
  } catch (e) {
    if (!out.aborted) out.error = `read: ${e.message}`;
  }
  out.totalMs = now() - t0;
  if (!out.error && !out.aborted && (!out.done || !out.finish)) out.error = 'stream ended without a finish_reason and [DONE]';
  return out;
}

async function startServer(o, parallel) {
  const cfg = JSON.parse(fs.readFileSync(path.join(o.model, 'config.json'), 'utf8'));
  const ctx = o.ctx ?? Math.min(2048, cfg.max_position_embeddings ?? 2048);
  const port = await freePort();
  const args = ['serve', '--model', o.model, '--host', '127.0.0.1', '--port', String(port), '--parallel', String(parallel),
                '--ctx', String(ctx), '--threads', String(o.threads)];
  if (o.queue !== null) args.push('--queue', String(o.queue));
  const proc = spawn(path.resolve(o.r1), args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  proc.stderr.on('data', (d) => { log += d; });
  const exited = new Promise((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })));
  let dead = null;
  exited.then((x) => { dead = x; });
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 600 && !dead; i++) {
    try {
      if ((await fetch(`${base}/health`)).ok) {
        const models = await (await fetch(`${base}/v1/models`)).json();
        return { proc, base, exited, ctx, modelId: models.data[0].id, log: () => log };
      }
    } catch { /* starting */ }
    await sleep(50);
  }
  proc.kill('SIGKILL');
  throw new Error(`server did not start (exit ${JSON.stringify(dead)}):\n${log}`);
}

async function stopServer(s) {
  s.proc.kill('SIGTERM');
  const r = await Promise.race([s.exited, sleep(10000).then(() => null)]);
  if (!r) { s.proc.kill('SIGKILL'); throw new Error('server did not exit within 10 s of SIGTERM'); }
  if (r.code !== 0) throw new Error(`server exit ${JSON.stringify(r)}:\n${s.log()}`);
}

// -------------------------------------------------------------------------------------------- load levels
async function runLevel(s, o, clients, seedBase) {
  const results = [];
  const t0 = now();
  await Promise.all(Array.from({ length: clients }, async (_, c) => {
    for (let k = 0; k < o.requestsPerClient; k++) {
      const i = c * o.requestsPerClient + k;
      results.push(await streamChat(s.base, s.modelId, { prompt: PROMPTS[i % PROMPTS.length], seed: seedBase + i,
                                                          maxTokens: o.maxTokens, temperature: o.temperature }));
    }
  }));
  const wallS = (now() - t0) / 1000;
  const okR = results.filter((r) => !r.error);
  const tokens = okR.reduce((a, r) => a + r.completionTokens, 0);
  const ttft = okR.map((r) => r.ttftMs).filter((x) => x !== null);
  // per-request decode speed (median): tokens after the first over the time after the first visible text
  const perReq = okR.filter((r) => r.completionTokens > 1 && r.totalMs > r.ttftMs)
    .map((r) => (r.completionTokens - 1) / ((r.totalMs - r.ttftMs) / 1000));
  return {
    clients, requests: results.length, errors: results.length - okR.length,
    firstError: results.find((r) => r.error)?.error ?? null,
    completionTokens: tokens, meanTokens: okR.length ? tokens / okR.length : 0,
    stoppedEarly: okR.filter((r) => r.finish === 'stop').length,
    wallS, tokPerS: tokens / wallS, reqPerS: results.length / wallS,
    ttftP50: percentile(ttft, 50), ttftP99: percentile(ttft, 99),
    perRequestTokPerS: percentile(perReq, 50),
  };
}

async function loadBench(o) {
  const parallel = o.parallel ?? Math.max(...o.clients);
  const s = await startServer(o, parallel);
  console.log(`r1 serve ${s.modelId}: parallel ${parallel}, ctx ${s.ctx}, threads ${o.threads || 'all'}; ` +
              `${o.requestsPerClient} streaming chat requests per client, max_tokens ${o.maxTokens}, temperature ${o.temperature}; ` +
              `load average before: ${cpuLoad()}`);
  try {
    // warm-up: one request per slot, so pages and threads exist before timing
    await Promise.all(Array.from({ length: Math.min(parallel, 4) }, (_, i) => streamChat(s.base, s.modelId,
      { prompt: PROMPTS[i], seed: 1 + i, maxTokens: 8, temperature: o.temperature })));
    const runs = o.clients.map(() => []);  // runs[level][round]
    let seedBase = o.seed;
    for (let round = 0; round < o.rounds; round++)
      for (const [li, c] of o.clients.entries()) {
        const r = await runLevel(s, o, c, seedBase);
        seedBase += 10000;
        runs[li].push(r);
        console.error(`  round ${round + 1}, level ${c}: ${r.completionTokens} tokens in ${r.wallS.toFixed(2)} s` +
                      (r.errors ? `, ${r.errors} errors (first: ${r.firstError})` : ''));
      }
    const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
    const rows = runs.map((rs) => {
      const m = median(rs.map((r) => r.tokPerS));
      return { ...rs.find((r) => r.tokPerS === m), rounds: rs.length, allTokPerS: rs.map((r) => r.tokPerS) };
    });
    const ratios = runs.map((rs) => rs.map((r, k) => r.tokPerS / runs[0][k].tokPerS));
    const m = await metrics(s.base);
    console.log('');
    console.log('| clients | requests | errors | tokens generated | mean tokens/req (EOS stops) | wall s | aggregate tok/s | ' +
                'per-request tok/s (median) | TTFT p50 ms | TTFT p99 ms |');
    console.log('|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
    for (const r of rows)
      console.log(`| ${r.clients} | ${r.requests} | ${r.errors} | ${r.completionTokens} | ${r.meanTokens.toFixed(1)} (${r.stoppedEarly}) | ` +
                  `${r.wallS.toFixed(2)} | ${r.tokPerS.toFixed(1)} | ${r.perRequestTokPerS.toFixed(1)} | ${r.ttftP50.toFixed(1)} | ${r.ttftP99.toFixed(1)} |`);
    if (o.rounds > 1) {
      console.log('');
      for (const [li, c] of o.clients.entries())
        console.log(`${c} clients: aggregate tok/s per round ${rows[li].allTokPerS.map((x) => x.toFixed(0)).join(', ')}; ` +
                    `ratio to ${o.clients[0]} client(s) per round ${ratios[li].map((x) => x.toFixed(2)).join(', ')} ` +
                    `(median ${median(ratios[li]).toFixed(2)}x)`);
    }
    console.log('');
    console.log(`server metrics: r1_decode_tokens_per_second ${m.r1_decode_tokens_per_second}, ` +
                `r1_prefill_tokens_per_second ${m.r1_prefill_tokens_per_second}, decode steps ${m.r1_decode_steps_total} (mean batch ${(m.r1_decode_rows_total / m.r1_decode_steps_total).toFixed(1)}), ` +
                `prompt tokens ${m.r1_prompt_tokens_total} (cached ${m.r1_prompt_tokens_cached_total}); load average after: ${cpuLoad()}`);
    if (o.json) fs.writeFileSync(o.json, JSON.stringify({ parallel, ctx: s.ctx, maxTokens: o.maxTokens, rounds: o.rounds, rows, ratios, metrics: m }, null, 1));
    await stopServer(s);
    return rows.every((r) => r.errors === 0);
  } catch (e) {
    s.proc.kill('SIGKILL');
    throw e;
  }
}

// ------------------------------------------------------------------------------------------ disconnect test
// A small deterministic PRNG so a run can be repeated (--seed).
function rng(seed) {
  let x = (seed >>> 0) || 1;
  return () => {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    return x / 4294967296;
  };
}

async function disconnectTest(o) {
  const clients = o.clients[0];
  const parallel = o.parallel ?? clients;
  const s = await startServer(o, parallel);
  const pid = s.proc.pid;
  const rand = rng(o.seed);
  const failures = [];
  const check = (name, cond, detail = '') => {
    console.log(`${cond ? 'ok  ' : 'FAIL'} ${name}${detail ? ` (${detail})` : ''}`);
    if (!cond) failures.push(name);
  };
  console.log(`disconnect test: ${o.disconnect} streaming requests, ${clients} concurrent clients, server parallel ${parallel}, ` +
              `ctx ${s.ctx}, max_tokens ${o.maxTokens}; load average ${cpuLoad()}`);
  try {
    const rssStart = rssKiB(pid);
    // warm-up: two rounds of full-length requests on every client, so every slot's pages have been touched
    for (let round = 0; round < 2; round++)
      await Promise.all(Array.from({ length: clients }, (_, i) => streamChat(s.base, s.modelId,
        { prompt: PROMPTS[i % PROMPTS.length], seed: 7 + i + round * 100, maxTokens: o.maxTokens, temperature: o.temperature })));
    await sleep(300);
    const rssBase = rssKiB(pid);

    const plan = Array.from({ length: o.disconnect }, (_, i) => ({
      i, abortAfter: rand() < 0.5 ? 1 + Math.floor(rand() * Math.max(1, Math.min(40, o.maxTokens))) : null }));
    const results = [];
    let next = 0, peakRss = rssBase;
    const t0 = now();
    const sampler = setInterval(() => { try { peakRss = Math.max(peakRss, rssKiB(pid)); } catch { /* exited */ } }, 50);
    await Promise.all(Array.from({ length: clients }, async () => {
      while (next < plan.length) {
        const p = plan[next++];
        const r = await streamChat(s.base, s.modelId, { prompt: PROMPTS[p.i % PROMPTS.length], seed: o.seed + p.i,
                                                         maxTokens: o.maxTokens, temperature: o.temperature, abortAfter: p.abortAfter });
        results.push({ ...r, planned: p.abortAfter });
      }
    }));
    clearInterval(sampler);
    const wallS = (now() - t0) / 1000;
    const aborted = results.filter((r) => r.aborted).length;
    const finishedEarly = results.filter((r) => r.planned !== null && !r.aborted && !r.error).length;  // ended before the abort point
    const errors = results.filter((r) => r.error);
    console.log(`${results.length} requests in ${wallS.toFixed(1)} s: ${aborted} aborted mid-stream, ` +
                `${results.length - aborted - errors.length} complete (${finishedEarly} of them ended before their planned abort), ` +
                `${errors.length} errors`);
    check('no error responses other than the aborts', errors.length === 0, errors.slice(0, 3).map((r) => r.error).join('; '));
    check('about half the requests were aborted', aborted > 0 && aborted < results.length, `${aborted}`);

    const idle = await (async () => {
      for (let i = 0; i < 100; i++) {
        const m = await metrics(s.base);
        if (m.r1_active_sequences === 0 && m.r1_queue_depth === 0) return m;
        await sleep(50);
      }
      return metrics(s.base);
    })();
    check('no active or queued sequence left after the run', idle.r1_active_sequences === 0 && idle.r1_queue_depth === 0,
          `active ${idle.r1_active_sequences}, queue ${idle.r1_queue_depth}`);
    const h = await fetch(`${s.base}/health`);
    check('/health answers after the run', h.status === 200, `${h.status}`);
    const fin = await streamChat(s.base, s.modelId, { prompt: PROMPTS[0], seed: 1, maxTokens: 16, temperature: o.temperature });
    check('a final request is served completely', !fin.error && fin.done && fin.completionTokens > 0,
          fin.error ?? `${fin.completionTokens} tokens, finish ${fin.finish}`);
    await sleep(500);
    const rssAfter = rssKiB(pid);
    const ratio = rssAfter / rssBase;
    console.log(`VmRSS: at start ${(rssStart / 1024).toFixed(1)} MiB, baseline after warm-up ${(rssBase / 1024).toFixed(1)} MiB, ` +
                `peak during the run ${(peakRss / 1024).toFixed(1)} MiB, after the run ${(rssAfter / 1024).toFixed(1)} MiB ` +
                `(${((ratio - 1) * 100).toFixed(1)}% vs baseline)`);
    check('resident memory after the run within 10% of the baseline', ratio <= 1.10 && ratio >= 0.5, `${ratio.toFixed(3)}x`);
    await stopServer(s);
    check('server exits 0 on SIGTERM', true);
    return failures.length === 0;
  } catch (e) {
    s.proc.kill('SIGKILL');
    throw e;
  }
}

// --------------------------------------------------------------------------------------------------- main
let pass = false;
try {
  const o = parseArgs(process.argv.slice(2));
  pass = await (o.disconnect ? disconnectTest(o) : loadBench(o));
  if (!pass) console.log('serve_load: some checks failed');
} catch (e) {
  console.error(`serve_load: ${e.message}`);
}
process.exit(pass ? 0 : 1);
