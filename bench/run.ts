/**
 * `npm run bench`: load on loopback with autocannon, every figure next to a raw `node:http`
 * baseline measured in the same run (PERFORMANCE.md: absolute numbers drift ±30 %, ratios
 * hold). Servers are pinned to CPU 0 and the load generator to CPU 1 when `taskset` exists.
 * Bounded: each scenario runs for BENCH_SECONDS (default 8). Writes bench/results/<time>.json.
 */

import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';

const ROOT = path.resolve(import.meta.dirname, '../..');
const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const hasTaskset = spawnSync('taskset', ['-c', '0', 'true']).status === 0;

interface Result {
  scenario: string;
  reqPerSec: number;
  opsPerSec: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
  ratio: number;
}

interface Server {
  url: string;
  proc: ChildProcess;
  stop(): Promise<void>;
}

function startProcess(args: string[], env: NodeJS.ProcessEnv, ready: RegExp): Promise<Server> {
  const command = hasTaskset ? 'taskset' : process.execPath;
  const argv = hasTaskset ? ['-c', '0', process.execPath, ...args] : args;
  return new Promise((resolve, reject) => {
    const proc = spawn(command, argv, { env: { ...process.env, ...env }, cwd: ROOT });
    let output = '';
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`server did not start:\n${output}`));
    }, 20_000);
    const onData = (d: Buffer) => {
      output += d.toString();
      const match = ready.exec(output);
      if (match?.[1] !== undefined) {
        clearTimeout(timer);
        resolve({
          url: match[1],
          proc,
          stop: () =>
            new Promise((done) => {
              proc.once('exit', () => done());
              proc.kill('SIGTERM');
              setTimeout(() => proc.kill('SIGKILL'), 5000).unref();
            }),
        });
      }
    };
    proc.stdout.on('data', onData);
    proc.stderr.on('data', onData);
    proc.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited (${code}):\n${output}`));
    });
  });
}

const RAW = `
const http = require('node:http');
const s = http.createServer((q, r) => { r.setHeader('content-type', 'application/json'); r.end('{"ok":true}'); });
s.listen(0, '127.0.0.1', () => console.log('listening http://127.0.0.1:' + s.address().port));`;
const HONO = `
import { Hono } from 'hono';
import { serve } from '@hono/node-server';
const app = new Hono();
app.get('/', (c) => c.json({ ok: true }));
const s = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, (info) => console.log('listening http://127.0.0.1:' + info.port));`;

async function keygate(dir: string, config: string): Promise<Server & { token: string }> {
  const configFile = path.join(dir, 'keygate.yaml');
  await writeFile(configFile, config);
  const server = await startProcess([path.join(ROOT, 'dist/gateway/node.js'), '--config', configFile], { KEYGATE_DATA_DIR: path.join(dir, 'data'), KEYGATE_LISTEN: '127.0.0.1:0', KEYGATE_LOG_LEVEL: 'info' }, /"url":"(http:\/\/127\.0\.0\.1:\d+)"/);
  return { ...server, token: (await readFile(path.join(dir, 'data', 'root-token'), 'utf8')).trim() };
}

async function load(scenario: string, opts: { url: string; method?: 'GET' | 'POST'; headers?: Record<string, string>; body?: string; opsPerRequest?: number }, baseline: number): Promise<Result> {
  const result = await autocannon({
    url: opts.url,
    method: opts.method ?? 'GET',
    headers: opts.headers ?? {},
    ...(opts.body === undefined ? {} : { body: opts.body }),
    connections: CONNECTIONS,
    duration: SECONDS,
  });
  const reqPerSec = result.requests.average;
  const out: Result = {
    scenario,
    reqPerSec: Math.round(reqPerSec),
    opsPerSec: Math.round(reqPerSec * (opts.opsPerRequest ?? 1)),
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors,
    ratio: baseline === 0 ? 1 : Math.round((reqPerSec / baseline) * 1000) / 1000,
  };
  process.stdout.write(`${scenario.padEnd(46)} ${String(out.reqPerSec).padStart(7)} req/s ${opts.opsPerRequest ? `${String(out.opsPerSec).padStart(7)} ops/s ` : ''.padEnd(14)} p50 ${String(out.p50).padStart(4)} ms  p99 ${String(out.p99).padStart(4)} ms  ×raw ${out.ratio.toFixed(3)}${out.non2xx + out.errors > 0 ? `  (non-2xx ${out.non2xx}, errors ${out.errors})` : ''}\n`);
  return out;
}

async function main(): Promise<void> {
  if (hasTaskset) spawnSync('taskset', ['-cp', '1', String(process.pid)]);
  const results: Result[] = [];
  const dir = await mkdtemp(path.join(os.tmpdir(), 'keygate-bench-'));
  const rawFile = path.join(dir, 'raw.cjs');
  const honoFile = path.join(ROOT, 'bench', '.hono-hello.mjs');
  await writeFile(rawFile, RAW);
  await writeFile(honoFile, HONO);
  process.stdout.write(`Keygate bench: ${CONNECTIONS} connections, ${SECONDS} s per scenario, ${hasTaskset ? 'server on CPU 0, load on CPU 1' : 'no CPU pinning (taskset missing)'}, Node ${process.version}\n\n`);
  try {
    const raw = await startProcess([rawFile], {}, /listening (http:\/\/127\.0\.0\.1:\d+)/);
    const baseline = await load('raw node:http hello (baseline)', { url: raw.url }, 0);
    results.push(baseline);
    await raw.stop();

    const hono = await startProcess([honoFile], {}, /listening (http:\/\/127\.0\.0\.1:\d+)/);
    results.push(await load('Hono hello on @hono/node-server', { url: hono.url }, baseline.reqPerSec));
    await hono.stop();

    const secret = JSON.stringify({ value: 'x'.repeat(1024) });
    for (const [name, config] of [
      ['no audit', 'log: { access: false }\n'],
      ['file audit (fsync always)', `log: { access: false }\naudit:\n  - name: main\n    type: file\n    options: { path: "${path.join(dir, 'audit.log')}", fsync: always }\n`],
    ] as const) {
      const sub = path.join(dir, name.replace(/\W+/g, '-'));
      await mkdir(sub, { recursive: true });
      const kg = await keygate(sub, config);
      const headers = { authorization: `Bearer ${kg.token}`, 'content-type': 'application/json' };
      await fetch(`${kg.url}/api/v1/secrets/bench/secret`, { method: 'PUT', headers, body: secret });
      await fetch(`${kg.url}/api/v1/secrets/transit/keys/bench`, { method: 'POST', headers });
      results.push(await load(`Keygate KV GET 1 KiB, ${name}`, { url: `${kg.url}/api/v1/secrets/bench/secret`, headers }, baseline.reqPerSec));
      if (name === 'no audit') {
        const plaintext = Buffer.alloc(1024, 7).toString('base64');
        results.push(await load('Keygate transit encrypt 1 KiB', { url: `${kg.url}/api/v1/secrets/transit/encrypt/bench`, method: 'POST', headers, body: JSON.stringify({ plaintext }) }, baseline.reqPerSec));
        results.push(
          await load('Keygate transit encrypt 1 KiB, batches of 100', { url: `${kg.url}/api/v1/secrets/transit/encrypt/bench`, method: 'POST', headers, body: JSON.stringify({ batch_input: Array.from({ length: 100 }, () => ({ plaintext })) }), opsPerRequest: 100 }, baseline.reqPerSec),
        );
      }
      await kg.stop();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
    await rm(honoFile, { force: true });
  }
  const file = path.join(ROOT, 'bench', 'results', `${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, `${JSON.stringify({ node: process.version, cpus: os.cpus().length, pinned: hasTaskset, seconds: SECONDS, connections: CONNECTIONS, results }, null, 2)}\n`);
  process.stdout.write(`\nwrote ${path.relative(ROOT, file)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
