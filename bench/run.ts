/**
 * `npm run bench`: load on loopback with autocannon, every figure next to a raw `node:http`
 * baseline measured in the same run (PERFORMANCE.md: absolute numbers drift ±30 %, ratios
 * hold). Servers are pinned to CPU 0 and the load generator to CPU 1 when `taskset` exists.
 * Bounded: each scenario runs for BENCH_SECONDS (default 6) after a BENCH_WARMUP_SECONDS
 * (default 1) warm-up; the whole run stays under five minutes on the 2-core machine.
 * Prints a table and the issue 7 targets, writes bench/results/<time>.json. See README.md.
 */

import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { freePort } from '../test/emulators/free-port.js';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import autocannon from 'autocannon';
import YAML from 'yaml';
import { pacedLoad } from './paced.js';
import type { PacedResult } from './paced.js';
import { Samples, percentile, round } from './stats.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const SECONDS = Number(process.env.BENCH_SECONDS ?? 6);
const WARMUP = Number(process.env.BENCH_WARMUP_SECONDS ?? 1);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
/** Alternating slices of each cached read and the raw hello measured beside it (loadAlongsideRaw). */
const BASELINE_SLICES = Number(process.env.BENCH_BASELINE_SLICES ?? 3);
const FIXED_RATE = Number(process.env.BENCH_FIXED_RATE ?? 2000);
const RSS_SECRETS = Number(process.env.BENCH_RSS_SECRETS ?? 10_000);
const hasTaskset = spawnSync('taskset', ['-c', '0', 'true']).status === 0;
const startedAt = Date.now();

interface Result {
  scenario: string;
  /** Responses of any status (autocannon's count), and req/s over them. */
  requests: number;
  reqPerSec: number;
  opsPerSec: number;
  /** Latencies in ms (µs precision, from autocannon's per-response times). */
  p50: number;
  p99: number;
  mean: number;
  non2xx: number;
  errors: number;
  /** Non-2xx answers by status, when there were any (e.g. a provider's circuit breaker open: 503). */
  statuses?: Record<string, number>;
  connections: number;
  /**
   * req/s as a fraction of the raw baseline's: of the raw server measured alongside in
   * alternating slices (`baseline`) when there is one, else of the baseline row.
   */
  ratio: number;
  /** req/s of the raw hello measured in slices alternating with this scenario's (the main targets only). */
  baseline?: number;
  /** What the read cache did, where it matters: `hit 100%`, `bypass`, `no read cache in this build`. */
  cache?: string;
}

interface Server {
  url: string;
  proc: ChildProcess;
  stop(): Promise<void>;
}

function startProcess(args: string[], env: NodeJS.ProcessEnv, ready: RegExp, extraNodeArgs: string[] = []): Promise<Server> {
  const command = hasTaskset ? 'taskset' : process.execPath;
  const argv = hasTaskset ? ['-c', '0', process.execPath, ...extraNodeArgs, ...args] : [...extraNodeArgs, ...args];
  return new Promise((resolve, reject) => {
    const proc = spawn(command, argv, { env: { ...process.env, ...env }, cwd: ROOT });
    let output = '';
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`server did not start:\n${output}`));
    }, 30_000);
    const onData = (d: Buffer) => {
      if (output.length < 100_000) output += d.toString();
      const match = ready.exec(output);
      if (match?.[1] !== undefined) {
        clearTimeout(timer);
        resolve({
          url: match[1],
          proc,
          stop: () =>
            new Promise((done) => {
              if (proc.exitCode !== null) return done();
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

/** The policy the bench token holds: what a service would have, so every request runs the ACL. */
const BENCH_POLICY = `
path "bench/*" { capabilities = ["create", "read", "update"] }
path "rss/*" { capabilities = ["create", "read", "update"] }
path "aws/*" { capabilities = ["create", "read", "update"] }
path "transit/encrypt/*" { capabilities = ["update"] }
`;

interface Keygate extends Server {
  rootToken: string;
  /** A token holding only the `bench` policy (not root): the one the scenarios use. */
  token: string;
  headers: Record<string, string>;
}

/** A file audit device's settings for a scenario: its fsync policy, and `pair` to record a cache hit as two records (unset: the default, one; decision 0021). */
interface FileAudit {
  fsync: 'always' | 'interval';
  cacheHitRecords?: 'pair';
}

async function keygate(dir: string, opts: { audit: FileAudit | null; env?: NodeJS.ProcessEnv; nodeArgs?: string[] }): Promise<Keygate> {
  await mkdir(dir, { recursive: true });
  const config: Record<string, unknown> = { log: { access: false }, policies: { bench: BENCH_POLICY } };
  if (opts.audit !== null) {
    const { fsync, cacheHitRecords } = opts.audit;
    config.audit = [{ name: 'main', type: 'file', ...(cacheHitRecords === undefined ? {} : { cache_hit_records: cacheHitRecords }), options: { path: path.join(dir, 'audit.log'), fsync } }];
  }
  const configFile = path.join(dir, 'keygate.yaml');
  await writeFile(configFile, YAML.stringify(config));
  const server = await startProcess(
    [path.join(ROOT, 'dist/gateway/node.js'), '--config', configFile],
    { KEYGATE_DATA_DIR: path.join(dir, 'data'), KEYGATE_LISTEN: '127.0.0.1:0', KEYGATE_LOG_LEVEL: 'info', AWS_EC2_METADATA_DISABLED: 'true', ...opts.env },
    /"url":"(http:\/\/127\.0\.0\.1:\d+)"/,
    opts.nodeArgs,
  );
  const rootToken = (await readFile(path.join(dir, 'data', 'root-token'), 'utf8')).trim();
  const created = await call(server.url, rootToken, 'POST', '/api/v1/auth/token/create', { policies: ['bench'], ttl: '1h', display_name: 'bench' });
  const token = (created.body as { auth?: { client_token?: string } }).auth?.client_token;
  if (created.status !== 200 || token === undefined) throw new Error(`could not create the bench token (${created.status})`);
  return { ...server, rootToken, token, headers: { authorization: `Bearer ${token}` } };
}

async function call(url: string, token: string, method: string, route: string, body?: unknown): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${url}${route}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  let parsed: unknown = null;
  try {
    parsed = text === '' ? null : JSON.parse(text);
  } catch {
    parsed = text;
  }
  return { status: res.status, body: parsed };
}

async function expectOk(what: string, promise: Promise<{ status: number; body: unknown }>): Promise<void> {
  const { status, body } = await promise;
  if (status < 200 || status > 299) throw new Error(`${what}: ${status} ${JSON.stringify(body).slice(0, 300)}`);
}

/** The read cache's counters (`GET sys/cache`), or null when this build has no read cache. */
interface CacheCounters {
  hits: number;
  misses: number;
  bypassed: number;
  entries: number;
}

async function cacheCounters(kg: Keygate): Promise<CacheCounters | null> {
  const { status, body } = await call(kg.url, kg.rootToken, 'GET', '/api/v1/sys/cache');
  const data = (body as { data?: { hits?: number; misses?: number; bypassed?: number; entries?: number; enabled?: boolean } } | null)?.data;
  if (status !== 200 || data === undefined || data.enabled === false) return null;
  return { hits: data.hits ?? 0, misses: data.misses ?? 0, bypassed: data.bypassed ?? 0, entries: data.entries ?? 0 };
}

interface LoadOptions {
  url: string;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  opsPerRequest?: number;
  connections?: number;
  /** Autocannon's `overallRate` (bursty: see paced.ts). */
  overallRate?: number;
  warmup?: boolean;
  /** For cache-aware labels: the Keygate behind `url`, and what the scenario expects of the cache. */
  cache?: { kg: Keygate; expect: 'hit' | 'bypass' };
}

function autocannonRun(opts: autocannon.Options, onLatency?: (ms: number) => void): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    const instance = autocannon(opts, (err: unknown, result: autocannon.Result) => (err ? reject(err instanceof Error ? err : new Error(String(err))) : resolve(result)));
    if (onLatency !== undefined) {
      instance.on('response', (_client, status, _bytes, ms) => {
        if (status >= 200 && status < 300) onLatency(ms);
      });
    }
  });
}

const results: Result[] = [];
let baselineRps = 0;

/** One scenario's target, ready to load: the autocannon options and how long a slice runs. */
function loadBase(opts: LoadOptions): autocannon.Options {
  return {
    url: opts.url,
    method: opts.method ?? 'GET',
    headers: opts.headers ?? {},
    ...(opts.body === undefined ? {} : { body: opts.body }),
    connections: opts.connections ?? CONNECTIONS,
    ...(opts.overallRate === undefined ? {} : { overallRate: opts.overallRate, ignoreCoordinatedOmission: true }),
  };
}

/** What a scenario's measured runs add up to (one run, or several interleaved slices). */
interface Measured {
  samples: Samples;
  total: number;
  seconds: number;
  non2xx: number;
  errors: number;
  statusCodeStats: autocannon.Result['statusCodeStats'];
}

const emptyMeasured = (): Measured => ({ samples: new Samples(), total: 0, seconds: 0, non2xx: 0, errors: 0, statusCodeStats: {} });

async function measureInto(into: Measured, base: autocannon.Options, seconds: number): Promise<void> {
  const result = await autocannonRun({ ...base, duration: seconds }, (ms) => into.samples.push(ms));
  into.total += result.requests.total;
  into.seconds += seconds;
  into.non2xx += result.non2xx;
  into.errors += result.errors;
  for (const [code, v] of Object.entries(result.statusCodeStats ?? {})) {
    const known = (into.statusCodeStats as Record<string, { count: number }>)[code];
    (into.statusCodeStats as Record<string, { count: number }>)[code] = { count: (known?.count ?? 0) + (v.count ?? 0) };
  }
}

async function load(scenario: string, opts: LoadOptions): Promise<Result> {
  const base = loadBase(opts);
  if (opts.warmup === true && WARMUP > 0) await autocannonRun({ ...base, duration: WARMUP });
  const before = opts.cache === undefined ? null : await cacheCounters(opts.cache.kg);
  const measured = emptyMeasured();
  await measureInto(measured, base, SECONDS);
  const after = opts.cache === undefined ? null : await cacheCounters(opts.cache.kg);
  return report(scenario, opts, measured, before, after);
}

/**
 * A main-target scenario measured in slices alternating with the raw hello (`rawUrl`, its
 * server left running), each warmed up first: the ratio is then taken against a baseline
 * measured at the same moments, so a machine that speeds up or slows down during the run
 * (PERFORMANCE.md) weighs on both alike. The raw slices are not a row of their own.
 */
async function loadAlongsideRaw(scenario: string, opts: LoadOptions, rawUrl: string): Promise<Result> {
  const [kg, raw] = await measureAlternating([{ ...opts, warmup: true }, { url: rawUrl, warmup: true }], BASELINE_SLICES);
  return report(scenario, opts, kg.measured, kg.before, kg.after, raw.measured.seconds === 0 ? 0 : raw.measured.total / raw.measured.seconds);
}

/**
 * Two GET targets compared request by request: one request to A, then one to B, and so on,
 * each side on its own keep-alive connection, for `BENCH_SECONDS` of each side's time after
 * a `BENCH_WARMUP_SECONDS` warm-up of both. Used for the AWS miss and its SDK baseline: moto
 * (single-threaded Python) serves one call at a time, and its speed drifts by 20–30 % within
 * seconds, so each pair of requests must meet the same moto. Alternating slices of two
 * seconds let that drift into the ratio (1.09–1.32× over four runs of one tree); request by
 * request it measured 1.09–1.15×. A side's req/s is its requests over its own time.
 */
async function loadRequestByRequest(a: [string, LoadOptions], b: [string, LoadOptions]): Promise<[Result, Result]> {
  const sideOf = ([name, opts]: [string, LoadOptions]) => ({ name, opts, agent: new http.Agent({ keepAlive: true, maxSockets: 1 }), measured: emptyMeasured(), before: null as CacheCounters | null, after: null as CacheCounters | null });
  type Side = ReturnType<typeof sideOf>;
  const sides: [Side, Side] = [sideOf(a), sideOf(b)];
  const once = (side: Side): Promise<{ ms: number; status: number }> =>
    new Promise((resolve) => {
      const started = performance.now();
      const req = http.get(side.opts.url, { agent: side.agent, headers: side.opts.headers ?? {} }, (res) => {
        res.resume();
        res.on('end', () => resolve({ ms: performance.now() - started, status: res.statusCode ?? 0 }));
        res.on('error', () => resolve({ ms: performance.now() - started, status: 0 }));
      });
      req.setTimeout(10_000, () => req.destroy(new Error('timeout')));
      req.on('error', () => resolve({ ms: performance.now() - started, status: 0 }));
    });
  const tally = (m: Measured, ms: number, status: number): void => {
    m.seconds += ms / 1000;
    if (status === 0) {
      m.errors++;
      return;
    }
    m.total++;
    m.samples.push(ms);
    if (status < 200 || status > 299) m.non2xx++;
    const stats = m.statusCodeStats as Record<string, { count: number }>;
    stats[String(status)] = { count: (stats[String(status)]?.count ?? 0) + 1 };
  };
  /** Alternates until each side has spent `seconds` on its own requests (a wall-clock backstop bounds a hung side). */
  const run = async (seconds: number, record: boolean): Promise<void> => {
    const spent = new Map<Side, number>(sides.map((side) => [side, 0]));
    const backstop = Date.now() + (4 * seconds + 10) * 1000;
    while (Math.min(...spent.values()) < seconds * 1000 && Date.now() < backstop) {
      for (const side of sides) {
        const { ms, status } = await once(side);
        spent.set(side, (spent.get(side) ?? 0) + ms);
        if (record) tally(side.measured, ms, status);
      }
    }
  };
  if (WARMUP > 0) await run(WARMUP, false);
  for (const side of sides) side.before = side.opts.cache === undefined ? null : await cacheCounters(side.opts.cache.kg);
  await run(SECONDS, true);
  for (const side of sides) {
    side.after = side.opts.cache === undefined ? null : await cacheCounters(side.opts.cache.kg);
    side.agent.destroy();
  }
  const reportOf = (side: Side): Result => report(side.name, { ...side.opts, connections: 1 }, side.measured, side.before, side.after);
  return [reportOf(sides[0]), reportOf(sides[1])];
}

interface AlternatingSide {
  measured: Measured;
  before: CacheCounters | null;
  after: CacheCounters | null;
}

/** Loads two targets in alternating slices, `SECONDS` in all for each, each warmed up first when asked; the cache counters around them. */
async function measureAlternating(sides: [LoadOptions, LoadOptions], slices: number): Promise<[AlternatingSide, AlternatingSide]> {
  const out: [AlternatingSide, AlternatingSide] = [
    { measured: emptyMeasured(), before: null, after: null },
    { measured: emptyMeasured(), before: null, after: null },
  ];
  const runs = sides.map((opts, i) => ({ opts, base: loadBase(opts), side: out[i === 0 ? 0 : 1] }));
  for (const run of runs) {
    if (run.opts.warmup === true && WARMUP > 0) await autocannonRun({ ...run.base, duration: WARMUP });
    run.side.before = run.opts.cache === undefined ? null : await cacheCounters(run.opts.cache.kg);
  }
  const slice = Math.max(1, Math.round(SECONDS / slices));
  for (let i = 0; i < slices; i++) for (const run of runs) await measureInto(run.side.measured, run.base, slice);
  for (const run of runs) run.side.after = run.opts.cache === undefined ? null : await cacheCounters(run.opts.cache.kg);
  return out;
}

function report(scenario: string, opts: LoadOptions, measured: Measured, before: CacheCounters | null, after: CacheCounters | null, alongside?: number): Result {
  const connections = opts.connections ?? CONNECTIONS;
  const { samples } = measured;
  const sorted = samples.sorted();
  const reqPerSec = measured.seconds === 0 ? 0 : measured.total / measured.seconds;
  const out: Result = {
    scenario,
    requests: measured.total,
    reqPerSec: Math.round(reqPerSec),
    opsPerSec: Math.round(reqPerSec * (opts.opsPerRequest ?? 1)),
    p50: round(percentile(sorted, 0.5)),
    p99: round(percentile(sorted, 0.99)),
    mean: round(samples.mean()),
    non2xx: measured.non2xx,
    errors: measured.errors,
    ...(measured.non2xx > 0 ? { statuses: Object.fromEntries(Object.entries(measured.statusCodeStats ?? {}).filter(([code]) => !code.startsWith('2')).map(([code, v]) => [code, v.count ?? 0])) } : {}),
    connections,
    ratio: alongside !== undefined && alongside > 0 ? round(reqPerSec / alongside, 3) : baselineRps === 0 ? 1 : round(reqPerSec / baselineRps, 3),
    ...(alongside === undefined ? {} : { baseline: Math.round(alongside) }),
  };
  if (opts.cache !== undefined) {
    if (before === null || after === null) out.cache = 'no read cache in this build';
    else if (opts.cache.expect === 'bypass') out.cache = after.bypassed > before.bypassed ? 'bypass' : 'not bypassed?';
    else {
      const served = Math.max(1, measured.total);
      out.cache = `hit ${Math.round((100 * (after.hits - before.hits)) / served)}%`;
    }
  }
  process.stdout.write(
    `${scenario.padEnd(58)} ${String(out.reqPerSec).padStart(7)} req/s ${opts.opsPerRequest ? `${String(out.opsPerSec).padStart(7)} ops/s ` : ''.padEnd(14)} p50 ${out.p50.toFixed(2).padStart(7)} ms  p99 ${out.p99.toFixed(2).padStart(7)} ms  ×raw ${out.ratio.toFixed(3)}${out.baseline === undefined ? '' : ` (raw alongside ${out.baseline} req/s)`}${out.cache === undefined ? '' : `  [cache: ${out.cache}]`}${out.non2xx + out.errors > 0 ? `  (non-2xx ${out.non2xx} ${JSON.stringify(out.statuses ?? {})}, errors ${out.errors})` : ''}\n`,
  );
  results.push(out);
  return out;
}

interface FixedRate {
  scenario: string;
  paced: PacedResult;
  autocannon: { reqPerSec: number; p50: number; p99: number };
  cache?: string;
}

const fixedRate: FixedRate[] = [];

/** p99 at a fixed rate: the open-loop paced generator (the target's figure), and autocannon's overallRate for reference. */
async function atFixedRate(scenario: string, url: string, headers: Record<string, string>, kg?: Keygate): Promise<FixedRate> {
  const before = kg === undefined ? null : await cacheCounters(kg);
  const paced = await pacedLoad({ url, headers, rate: FIXED_RATE, seconds: SECONDS, connections: CONNECTIONS });
  const after = kg === undefined ? null : await cacheCounters(kg);
  const samples = new Samples();
  const ac = await autocannonRun({ url, headers, connections: CONNECTIONS, overallRate: FIXED_RATE, ignoreCoordinatedOmission: true, duration: SECONDS }, (ms) => samples.push(ms));
  const sorted = samples.sorted();
  const out: FixedRate = {
    scenario,
    paced: { ...paced, p50: round(paced.p50, 3), p99: round(paced.p99, 3), max: round(paced.max, 3) },
    autocannon: { reqPerSec: Math.round(ac.requests.average), p50: round(percentile(sorted, 0.5), 3), p99: round(percentile(sorted, 0.99), 3) },
  };
  if (kg !== undefined) out.cache = before === null || after === null ? 'no read cache in this build' : `hit ${Math.round((100 * (after.hits - before.hits)) / Math.max(1, paced.ok))}%`;
  process.stdout.write(
    `${`${scenario} @ ${FIXED_RATE} req/s`.padEnd(58)} paced: ${String(paced.achievedRate).padStart(5)} req/s p50 ${out.paced.p50.toFixed(3)} ms p99 ${out.paced.p99.toFixed(3)} ms` +
      ` | autocannon overallRate: p99 ${out.autocannon.p99.toFixed(3)} ms${out.cache === undefined ? '' : `  [cache: ${out.cache}]`}${paced.non2xx + paced.errors > 0 ? `  (non-2xx ${paced.non2xx}, errors ${paced.errors})` : ''}\n`,
  );
  fixedRate.push(out);
  return out;
}

interface Moto {
  endpoint: string;
  stop(): Promise<void>;
}

/** Starts moto the way the provider tests do (`python3 -m moto.server`), or says why it cannot. */
async function startMoto(): Promise<Moto | string> {
  const probe = spawnSync('python3', ['-c', 'import moto.server, flask'], { encoding: 'utf8', timeout: 30_000 });
  if (probe.error !== undefined) return 'python3 is not installed';
  if (probe.status !== 0) return 'moto is not installed for python3 (pip install "moto[server]")';
  const port = await freePort();
  const child = spawn('python3', ['-m', 'moto.server', '-H', '127.0.0.1', '-p', String(port)], {
    stdio: 'ignore',
    env: { ...process.env, METADATA_SERVER_DETECTION: 'none', AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing' },
  });
  const endpoint = `http://127.0.0.1:${port}/`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) return `moto exited early (${child.exitCode})`;
    try {
      const res = await fetch(`${endpoint}moto-api/`, { signal: AbortSignal.timeout(1000) });
      await res.body?.cancel();
      if (res.status < 500) break;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      return 'moto did not start within 30 s';
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    endpoint,
    stop: () =>
      new Promise((done) => {
        if (child.exitCode !== null) return done();
        child.once('exit', () => done());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 5000).unref();
      }),
  };
}

/** Resident set size of a process in MB (Linux /proc), or null elsewhere. */
async function rssMb(pid: number | undefined): Promise<number | null> {
  if (pid === undefined) return null;
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const kb = /VmRSS:\s+(\d+)\s+kB/.exec(status)?.[1];
    return kb === undefined ? null : round(Number(kb) / 1024, 1);
  } catch {
    return null;
  }
}

interface Memory {
  rssMb: number;
  heapUsedMb: number;
  externalMb: number;
}

/** Memory after a full GC, from the preloaded gc-hook (SIGUSR2); null when the hook is not there or not Linux-like. */
function memoryAfterGc(proc: ChildProcess): Promise<Memory | null> {
  return new Promise((resolve) => {
    let buffer = '';
    const timer = setTimeout(() => done(null), 5000);
    const onData = (d: Buffer) => {
      buffer += d.toString();
      const line = /bench-memory (\{[^\n]*\})/.exec(buffer)?.[1];
      if (line === undefined) return;
      const m = JSON.parse(line) as { gc: boolean; rss: number; heapUsed: number; external: number };
      done(m.gc ? { rssMb: round(m.rss / 2 ** 20, 1), heapUsedMb: round(m.heapUsed / 2 ** 20, 1), externalMb: round(m.external / 2 ** 20, 1) } : null);
    };
    const done = (value: Memory | null) => {
      clearTimeout(timer);
      proc.stdout?.off('data', onData);
      resolve(value);
    };
    proc.stdout?.on('data', onData);
    if (proc.pid === undefined || !proc.kill('SIGUSR2')) done(null);
  });
}

/** Runs `count` tasks with at most `width` in flight. */
async function pool(count: number, width: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < count) await task(next++);
    }),
  );
}

interface RssReport {
  secrets: number;
  /** Whether the figures were taken after a full GC (the preloaded gc-hook), else plain RSS. */
  afterGc: boolean;
  startMb: number | null;
  afterWritesMb: number | null;
  cachedMb: number | null;
  /** From a started, warmed Keygate to one holding every secret in its read cache. */
  deltaMb: number | null;
  /** The reads' share only (after the writes, before vs after the cache filled). */
  cacheFillMb: number | null;
  heapUsedStartMb: number | null;
  heapUsedCachedMb: number | null;
  cacheEntries: number | null;
  hitRateSecondPass: number | null;
  seconds: number;
}

async function measureRss(dir: string): Promise<RssReport> {
  const t0 = Date.now();
  const hook = pathToFileURL(path.join(ROOT, 'dist/bench/gc-hook.js')).href;
  const kg = await keygate(dir, { audit: null, nodeArgs: ['--expose-gc', '--import', hook] });
  const settle = async (): Promise<{ rss: number | null; heap: number | null; gc: boolean }> => {
    await new Promise((r) => setTimeout(r, 500));
    const m = await memoryAfterGc(kg.proc);
    await new Promise((r) => setTimeout(r, 500));
    return m === null ? { rss: await rssMb(kg.proc.pid), heap: null, gc: false } : { rss: (await rssMb(kg.proc.pid)) ?? m.rssMb, heap: m.heapUsedMb, gc: true };
  };
  try {
    const value = JSON.stringify({ value: 'r'.repeat(1024) });
    const url = (i: number) => `${kg.url}/api/v1/secrets/rss/s${i}`;
    const headers = { ...kg.headers, 'content-type': 'application/json' };
    // Warm up (JIT, pools, the cache's own structures) on other keys, then settle.
    await pool(500, 16, async (i) => {
      const res = await fetch(`${kg.url}/api/v1/secrets/bench/warm${i % 50}`, { method: 'PUT', headers, body: value });
      await res.text();
      const again = await fetch(`${kg.url}/api/v1/secrets/bench/warm${i % 50}`, { headers: kg.headers });
      await again.text();
    });
    // As many reads as the measured passes make, on those keys: the young generation grows to
    // its working size under this load, and would otherwise be counted as the cache's memory.
    await pool(2 * RSS_SECRETS, 32, async (i) => {
      const res = await fetch(`${kg.url}/api/v1/secrets/bench/warm${i % 50}`, { headers: kg.headers });
      await res.text();
    });
    const start = await settle();
    await pool(RSS_SECRETS, 32, async (i) => {
      const res = await fetch(url(i), { method: 'PUT', headers, body: value });
      await res.text();
      if (res.status >= 300) throw new Error(`rss write ${i}: ${res.status}`);
    });
    const afterWrites = await settle();
    const read = async (i: number) => {
      const res = await fetch(url(i), { headers: kg.headers });
      await res.text();
      if (res.status !== 200) throw new Error(`rss read ${i}: ${res.status}`);
    };
    await pool(RSS_SECRETS, 32, read);
    const before = await cacheCounters(kg);
    await pool(RSS_SECRETS, 32, read);
    const after = await cacheCounters(kg);
    const cached = await settle();
    const report: RssReport = {
      secrets: RSS_SECRETS,
      afterGc: start.gc && cached.gc,
      startMb: start.rss,
      afterWritesMb: afterWrites.rss,
      cachedMb: cached.rss,
      deltaMb: start.rss === null || cached.rss === null ? null : round(cached.rss - start.rss, 1),
      cacheFillMb: afterWrites.rss === null || cached.rss === null ? null : round(cached.rss - afterWrites.rss, 1),
      heapUsedStartMb: start.heap,
      heapUsedCachedMb: cached.heap,
      cacheEntries: after?.entries ?? null,
      hitRateSecondPass: before === null || after === null ? null : round((after.hits - before.hits) / RSS_SECRETS, 3),
      seconds: round((Date.now() - t0) / 1000, 1),
    };
    process.stdout.write(
      `${`RSS, ${RSS_SECRETS} × 1 KiB secrets written and read twice`.padEnd(58)} ${report.afterGc ? 'after GC: ' : ''}start ${report.startMb} MB, after writes ${report.afterWritesMb} MB, cached ${report.cachedMb} MB: +${report.deltaMb} MB` +
        ` (cache fill +${report.cacheFillMb} MB; heap used ${report.heapUsedStartMb} → ${report.heapUsedCachedMb} MB; ${report.cacheEntries === null ? 'no read cache in this build' : `${report.cacheEntries} entries, second pass hit ${Math.round((report.hitRateSecondPass ?? 0) * 100)}%`})\n`,
    );
    return report;
  } finally {
    await kg.stop();
  }
}

interface Target {
  target: string;
  value: string;
  met: boolean | null;
  note?: string;
}

function targets(rss: RssReport | null): Target[] {
  const find = (name: string) => results.find((r) => r.scenario === name);
  const out: Target[] = [];
  /** A run where more than 1 % of the answers failed says nothing about the target. */
  const failures = (r: Result): string | null => (r.non2xx + r.errors > r.requests / 100 ? `${r.non2xx + r.errors} of ${r.requests} answers failed ${JSON.stringify(r.statuses ?? {})}` : null);
  /** True unless the scenario's requests were (almost all) cache hits. */
  const cachePending = (r: { cache?: string } | undefined): boolean => !/^hit (\d+)%$/.test(r?.cache ?? '') || Number(/^hit (\d+)%$/.exec(r?.cache ?? '')?.[1]) < 90;
  for (const name of AUDITED_SCENARIOS) {
    const r = find(name);
    if (r === undefined) continue;
    const failed = failures(r);
    out.push({
      target: `cached authenticated read with file audit: ≥ 0.6 × raw throughput (aim 0.75) [${name.replace(/^.*\((.*)\)$/, '$1')}]`,
      value: `${r.ratio.toFixed(3)} × raw${r.baseline === undefined ? '' : ` (${r.reqPerSec} vs ${r.baseline} req/s, measured in alternating slices)`}`,
      met: failed === null && r.ratio >= 0.6,
      ...(failed !== null ? { note: failed } : cachePending(r) ? { note: `read cache not serving (${r.cache ?? 'unknown'}): this measured the uncached path` } : {}),
    });
  }
  const rawFixed = fixedRate.find((f) => f.scenario === SCENARIO.raw);
  for (const name of AUDITED_SCENARIOS) {
    const kgFixed = fixedRate.find((f) => f.scenario === name);
    if (rawFixed === undefined || kgFixed === undefined) continue;
    const ratio = rawFixed.paced.p99 === 0 ? Infinity : kgFixed.paced.p99 / rawFixed.paced.p99;
    const reached = kgFixed.paced.achievedRate >= FIXED_RATE * 0.95;
    out.push({
      target: `p99 at ${FIXED_RATE} req/s, cached read with file audit: ≤ 1.5 × the baseline's p99 [${name.replace(/^.*\((.*)\)$/, '$1')}]`,
      value: `${kgFixed.paced.p99.toFixed(3)} ms vs ${rawFixed.paced.p99.toFixed(3)} ms = ${ratio.toFixed(2)}×${reached ? '' : ` (rate not sustained: ${kgFixed.paced.achievedRate} req/s)`}`,
      met: reached && ratio <= 1.5 && kgFixed.paced.non2xx + kgFixed.paced.errors === 0,
      ...(cachePending(kgFixed) ? { note: `read cache not serving (${kgFixed.cache ?? 'unknown'})` } : {}),
    });
  }
  const awsMiss = find(SCENARIO.awsUncached);
  const sdkMiss = find(SCENARIO.sdkOne);
  if (awsMiss !== undefined && sdkMiss !== undefined) {
    const ratio = awsMiss.mean / sdkMiss.mean;
    const failed = failures(awsMiss) ?? failures(sdkMiss);
    out.push({
      target: 'read through the AWS provider, uncached: ≤ 1.2 × the direct SDK call\'s time',
      value: `mean ${awsMiss.mean.toFixed(2)} ms vs ${sdkMiss.mean.toFixed(2)} ms = ${ratio.toFixed(2)}× (p50 ${(awsMiss.p50 / sdkMiss.p50).toFixed(2)}×), request by request`,
      met: failed === null && ratio <= 1.2,
      ...(failed === null ? {} : { note: failed }),
    });
  }
  const awsHit = find(SCENARIO.awsCached);
  const sdkMany = find(SCENARIO.sdkMany);
  if (awsHit !== undefined && sdkMany !== undefined) {
    const ratio = awsHit.reqPerSec / Math.max(1, sdkMany.reqPerSec);
    const failed = failures(awsHit) ?? failures(sdkMany);
    out.push({
      target: 'read through the AWS provider, cached: ≥ 20 × the direct SDK\'s throughput',
      value: `${awsHit.reqPerSec} vs ${sdkMany.reqPerSec} req/s = ${ratio.toFixed(1)}×`,
      met: failed === null && ratio >= 20,
      ...(failed !== null ? { note: failed } : cachePending(awsHit) ? { note: `read cache not serving (${awsHit.cache ?? 'unknown'})` } : {}),
    });
  }
  if (rss !== null) {
    out.push({
      target: `${rss.secrets} cached 1 KiB secrets add ≤ 50 MB of RSS`,
      value: rss.deltaMb === null ? 'not measured (no /proc)' : `+${rss.deltaMb} MB (cache fill alone +${rss.cacheFillMb} MB)`,
      met: rss.deltaMb === null ? null : rss.deltaMb <= 50,
      ...(rss.cacheEntries === null ? { note: 'no read cache in this build: nothing was cached' } : rss.cacheEntries < rss.secrets ? { note: `only ${rss.cacheEntries} entries cached` } : {}),
    });
  }
  return out;
}

const SCENARIO = {
  raw: 'raw node:http hello (baseline)',
  hono: 'Hono hello on @hono/node-server',
  cachedAudit: 'Keygate cached GET 1 KiB, file audit (fsync always)',
  cachedAuditInterval: 'Keygate cached GET 1 KiB, file audit (fsync every 1 s)',
  cachedAuditPair: 'Keygate cached GET 1 KiB, file audit (fsync every 1 s, request and response record per hit)',
  cachedNoAudit: 'Keygate cached GET 1 KiB, no audit',
  uncachedNoAudit: 'Keygate uncached KV GET 1 KiB, no audit',
  uncachedAudit: 'Keygate uncached KV GET 1 KiB, file audit',
  transit: 'Keygate transit encrypt 1 KiB',
  transitBatch: 'Keygate transit encrypt 1 KiB, batches of 100',
  awsCached: 'Keygate AWS read via moto, cached',
  awsUncached: 'Keygate AWS read via moto, uncached (1 conn)',
  sdkOne: 'AWS SDK → moto direct (1 conn)',
  sdkMany: 'AWS SDK → moto direct',
} as const;

/** The cached reads with a file audit device, each held to the audit targets. */
const AUDITED_SCENARIOS = [SCENARIO.cachedAudit, SCENARIO.cachedAuditInterval, SCENARIO.cachedAuditPair];

/** Reads are asked to skip the cache with this (docs/cache.md); ignored by a build without one. */
const NO_CACHE = { 'cache-control': 'no-cache' };

async function main(): Promise<void> {
  // Every thread (-a): the load generator's GC and libuv threads, started before this line,
  // would otherwise keep running on the server's CPU.
  if (hasTaskset) spawnSync('taskset', ['-a', '-cp', '1', String(process.pid)]);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'keygate-bench-'));
  const rawFile = path.join(dir, 'raw.cjs');
  const honoFile = path.join(ROOT, 'bench', '.hono-hello.mjs');
  await writeFile(rawFile, RAW);
  await writeFile(honoFile, HONO);
  process.stdout.write(
    `Keygate bench: ${CONNECTIONS} connections, ${SECONDS} s per scenario (+${WARMUP} s warm-up), ${hasTaskset ? 'server on CPU 0, load on CPU 1' : 'no CPU pinning (taskset missing)'}, Node ${process.version}\n\n`,
  );
  let rss: RssReport | null = null;
  const skipped: string[] = [];
  let moto: Moto | string | null = null;
  let rawServer: Server | null = null;
  try {
    const raw = await startProcess([rawFile], {}, /listening (http:\/\/127\.0\.0\.1:\d+)/);
    const baseline = await load(SCENARIO.raw, { url: raw.url, warmup: true });
    baselineRps = baseline.reqPerSec;
    await atFixedRate(SCENARIO.raw, raw.url, {});
    // Left running (idle but for its slices): the cached reads are measured beside it.
    rawServer = raw;

    const hono = await startProcess([honoFile], {}, /listening (http:\/\/127\.0\.0\.1:\d+)/);
    await load(SCENARIO.hono, { url: hono.url, warmup: true });
    await hono.stop();

    const secret = JSON.stringify({ value: 'x'.repeat(1024) });

    // File audit: a required file device. `always` fsyncs before each write resolves (records
    // written meanwhile share one write and one fsync); `interval` answers once the record is
    // written to the file and fsyncs every second. A cache hit is its response record alone
    // (the default, decision 0021), or with `cache_hit_records: pair` a request and a response record.
    const audits: [string, FileAudit][] = [
      [SCENARIO.cachedAudit, { fsync: 'always' }],
      [SCENARIO.cachedAuditInterval, { fsync: 'interval' }],
      [SCENARIO.cachedAuditPair, { fsync: 'interval', cacheHitRecords: 'pair' }],
    ];
    for (const [name, audit] of audits) {
      const audited = await keygate(path.join(dir, `audit-${audit.fsync}-${audit.cacheHitRecords ?? 'default'}`), { audit });
      const { url, headers } = audited;
      await expectOk('write the bench secret', call(url, audited.token, 'PUT', '/api/v1/secrets/bench/secret', JSON.parse(secret)));
      const target = `${url}/api/v1/secrets/bench/secret`;
      await loadAlongsideRaw(name, { url: target, headers, cache: { kg: audited, expect: 'hit' } }, raw.url);
      await atFixedRate(name, target, headers, audited);
      if (name === SCENARIO.cachedAudit) await load(SCENARIO.uncachedAudit, { url: target, headers: { ...headers, ...NO_CACHE }, warmup: true, cache: { kg: audited, expect: 'bypass' } });
      await audited.stop();
    }

    moto = await startMoto();
    if (typeof moto === 'string') skipped.push(`AWS scenarios: ${moto}`);

    const plain = await keygate(path.join(dir, 'plain'), { audit: null });
    {
      const { url, headers } = plain;
      await expectOk('write the bench secret', call(url, plain.token, 'PUT', '/api/v1/secrets/bench/secret', JSON.parse(secret)));
      await expectOk('create the transit key', call(url, plain.rootToken, 'POST', '/api/v1/secrets/transit/keys/bench'));
      const target = `${url}/api/v1/secrets/bench/secret`;
      await loadAlongsideRaw(SCENARIO.cachedNoAudit, { url: target, headers, cache: { kg: plain, expect: 'hit' } }, raw.url);
      await load(SCENARIO.uncachedNoAudit, { url: target, headers: { ...headers, ...NO_CACHE }, warmup: true, cache: { kg: plain, expect: 'bypass' } });
      const plaintext = Buffer.alloc(1024, 7).toString('base64');
      const json = { ...headers, 'content-type': 'application/json' };
      await load(SCENARIO.transit, { url: `${url}/api/v1/secrets/transit/encrypt/bench`, method: 'POST', headers: json, body: JSON.stringify({ plaintext }), warmup: true });
      await load(SCENARIO.transitBatch, {
        url: `${url}/api/v1/secrets/transit/encrypt/bench`,
        method: 'POST',
        headers: json,
        body: JSON.stringify({ batch_input: Array.from({ length: 100 }, () => ({ plaintext })) }),
        opsPerRequest: 100,
        warmup: true,
      });

      if (typeof moto !== 'string') {
        await expectOk(
          'mount aws/ on moto',
          call(url, plain.rootToken, 'POST', '/api/v1/sys/mounts/aws', {
            type: 'aws-secrets-manager',
            description: 'bench: moto',
            options: { region: 'us-east-1', endpoint: moto.endpoint, credentials: { access_key_id: 'testing', secret_access_key: 'testing' } },
          }),
        );
        await expectOk('write the AWS bench secret', call(url, plain.token, 'PUT', '/api/v1/secrets/aws/bench/secret', JSON.parse(secret)));
        const awsTarget = `${url}/api/v1/secrets/aws/bench/secret`;
        await load(SCENARIO.awsCached, { url: awsTarget, headers, warmup: true, cache: { kg: plain, expect: 'hit' } });
        // The miss and its baseline alternate request by request against the same moto (see loadRequestByRequest).
        const sdk = await startProcess([path.join(ROOT, 'dist/bench/sdk-direct.js'), moto.endpoint, 'bench/secret'], { AWS_EC2_METADATA_DISABLED: 'true' }, /listening (http:\/\/127\.0\.0\.1:\d+)/);
        try {
          await loadRequestByRequest(
            [SCENARIO.awsUncached, { url: awsTarget, headers: { ...headers, ...NO_CACHE }, cache: { kg: plain, expect: 'bypass' } }],
            [SCENARIO.sdkOne, { url: sdk.url }],
          );
          await load(SCENARIO.sdkMany, { url: sdk.url, warmup: true });
        } finally {
          await sdk.stop();
        }
      }
    }
    await plain.stop();
    await raw.stop();
    rawServer = null;

    if (typeof moto !== 'string') {
      await moto.stop();
      moto = null;
    }

    rss = await measureRss(path.join(dir, 'rss'));
  } finally {
    if (moto !== null && typeof moto !== 'string') await moto.stop();
    await rawServer?.stop();
    await rm(dir, { recursive: true, force: true });
    await rm(honoFile, { force: true });
  }

  const met = targets(rss);
  printTable(met, skipped);
  const file = path.join(ROOT, 'bench', 'results', `${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(
    file,
    `${JSON.stringify(
      { node: process.version, cpus: os.cpus().length, pinned: hasTaskset, seconds: SECONDS, warmup: WARMUP, connections: CONNECTIONS, results, fixedRate, rss, targets: met, skipped, elapsedSeconds: round((Date.now() - startedAt) / 1000, 1) },
      null,
      2,
    )}\n`,
  );
  process.stdout.write(`\nwrote ${path.relative(ROOT, file)} (${Math.round((Date.now() - startedAt) / 1000)} s)\n`);
}

function printTable(met: Target[], skipped: string[]): void {
  const lines = ['', '| scenario | conns | req/s | p50 ms | p99 ms | × raw | raw alongside | cache | failed |', '| --- | --- | --- | --- | --- | --- | --- | --- | --- |'];
  for (const r of results) {
    const rps = r.opsPerSec !== r.reqPerSec ? `${r.reqPerSec.toLocaleString('en')} (${r.opsPerSec.toLocaleString('en')} ops/s)` : r.reqPerSec.toLocaleString('en');
    const failed = r.non2xx + r.errors === 0 ? '' : `${r.non2xx + r.errors} (${Object.entries(r.statuses ?? {}).map(([code, n]) => `${n}× ${code}`).join(', ')}${r.errors > 0 ? `${r.non2xx > 0 ? ', ' : ''}${r.errors} errors` : ''})`;
    lines.push(`| ${r.scenario} | ${r.connections} | ${rps} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} | ${r.ratio.toFixed(3)} | ${r.baseline?.toLocaleString('en') ?? ''} | ${r.cache ?? ''} | ${failed} |`);
  }
  lines.push('', `| at a fixed ${FIXED_RATE} req/s | achieved | p50 ms | p99 ms | max ms | autocannon overallRate p99 ms | cache |`, '| --- | --- | --- | --- | --- | --- | --- |');
  for (const f of fixedRate) {
    lines.push(`| ${f.scenario} | ${f.paced.achievedRate} | ${f.paced.p50.toFixed(3)} | ${f.paced.p99.toFixed(3)} | ${f.paced.max.toFixed(1)} | ${f.autocannon.p99.toFixed(3)} | ${f.cache ?? ''} |`);
  }
  lines.push('', '| target (issue 7) | measured | met |', '| --- | --- | --- |');
  for (const t of met) lines.push(`| ${t.target} | ${t.value} | ${t.met === null ? 'not measured' : t.met ? 'met' : 'NOT met'}${t.note === undefined ? '' : ` (${t.note})`} |`);
  for (const s of skipped) lines.push(`\nskipped: ${s}`);
  process.stdout.write(`${lines.join('\n')}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
