/**
 * CPU profile of one Keygate read under load (`node --cpu-prof`), for the findings in
 * bench/README.md. Starts Keygate from dist/ (pinned to CPU 0 when taskset exists) with a
 * `bench` policy and token, writes a 1 KiB secret, loads `GET` on it with autocannon for
 * `--seconds`, stops Keygate (which writes the profile) and prints where the time went: self
 * time by area and the top functions.
 *
 *   npm run build && npx tsc -p tsconfig.bench.json
 *   node dist/bench/profile.js [--audit none|always|interval] [--uncached] [--seconds 8] [--out dir]
 */

import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import YAML from 'yaml';

const ROOT = path.resolve(import.meta.dirname, '../..');

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Self time by area (GC, idle, module loading at start, each dist/ folder, each package, Node internals). */
export function summarize(profile: CpuProfile, top = 25): string {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const short = (url: string) => url.replace(/^.*\/(node_modules|dist)\//, '$1/');
  const area = (id: number): string => {
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      if (/modules\/(esm|cjs)/.test(byId.get(cur)?.callFrame.url ?? '')) return 'start-up (module loading)';
    }
    const { url, functionName } = byId.get(id)?.callFrame ?? { url: '', functionName: '' };
    if (['(garbage collector)', '(idle)', '(program)'].includes(functionName)) return functionName;
    const dist = /\/dist\/([\w-]+)\//.exec(url);
    if (dist !== null && !url.includes('node_modules')) return `keygate ${dist[1]}/`;
    const pkg = /node_modules\/(@[^/]+\/[^/]+|[^/]+)\//.exec(url);
    if (pkg !== null) return `package ${pkg[1]}`;
    if (url.startsWith('node:internal/deps/undici')) return 'node undici (Request, Headers)';
    if (url.startsWith('node:')) return `node ${url.replace(/^node:(internal\/)?/, '').split('/')[0]}`;
    return `native ${functionName || '(anon)'}`;
  };
  const areas = new Map<string, number>();
  const fns = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    total += dt;
    const a = area(id);
    areas.set(a, (areas.get(a) ?? 0) + dt);
    const cf = byId.get(id)?.callFrame;
    const fn = `${cf?.functionName || '(anon)'} ${short(cf?.url ?? '')}:${cf?.lineNumber ?? 0}`;
    fns.set(fn, (fns.get(fn) ?? 0) + dt);
  });
  const rows = (m: Map<string, number>) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([k, v]) => `${((100 * v) / total).toFixed(1).padStart(5)} %  ${k}`)
      .join('\n');
  return `${(total / 1e6).toFixed(2)} s sampled\n\nself time by area:\n${rows(areas)}\n\ntop functions (self):\n${rows(fns)}\n`;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { audit: { type: 'string', default: 'none' }, uncached: { type: 'boolean', default: false }, seconds: { type: 'string', default: '8' }, out: { type: 'string' } },
  });
  const audit = values.audit ?? 'none';
  if (!['none', 'always', 'interval'].includes(audit)) throw new Error('--audit must be none, always or interval');
  const taskset = spawnSync('taskset', ['-c', '0', 'true']).status === 0;
  if (taskset) spawnSync('taskset', ['-cp', '1', String(process.pid)]);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'keygate-profile-'));
  const out = path.resolve(values.out ?? path.join(dir, 'profile'));
  await mkdir(out, { recursive: true });
  const config: Record<string, unknown> = { log: { access: false }, policies: { bench: 'path "bench/*" { capabilities = ["create", "read", "update"] }' } };
  if (audit !== 'none') config.audit = [{ name: 'main', type: 'file', options: { path: path.join(dir, 'audit.log'), fsync: audit } }];
  await writeFile(path.join(dir, 'keygate.yaml'), YAML.stringify(config));
  const argv = ['--cpu-prof', '--cpu-prof-dir', out, path.join(ROOT, 'dist/gateway/node.js'), '--config', path.join(dir, 'keygate.yaml')];
  const proc = spawn(taskset ? 'taskset' : process.execPath, taskset ? ['-c', '0', process.execPath, ...argv] : argv, {
    env: { ...process.env, KEYGATE_DATA_DIR: path.join(dir, 'data'), KEYGATE_LISTEN: '127.0.0.1:0' },
    cwd: ROOT,
  });
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let output = '';
      const onData = (d: Buffer) => {
        output += d.toString();
        const m = /"url":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(output);
        if (m?.[1] !== undefined) resolve(m[1]);
      };
      proc.stdout.on('data', onData);
      proc.stderr.on('data', onData);
      proc.once('exit', () => reject(new Error(`keygate exited:\n${output}`)));
    });
    const rootToken = (await readFile(path.join(dir, 'data', 'root-token'), 'utf8')).trim();
    const created = await fetch(`${url}/api/v1/auth/token/create`, { method: 'POST', headers: { authorization: `Bearer ${rootToken}`, 'content-type': 'application/json' }, body: JSON.stringify({ policies: ['bench'] }) });
    const token = ((await created.json()) as { auth: { client_token: string } }).auth.client_token;
    const headers: Record<string, string> = { authorization: `Bearer ${token}`, ...(values.uncached === true ? { 'cache-control': 'no-cache' } : {}) };
    const put = await fetch(`${url}/api/v1/secrets/bench/secret`, { method: 'PUT', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify({ value: 'x'.repeat(1024) }) });
    if (put.status >= 300) throw new Error(`write failed: ${put.status}`);
    const result = await autocannon({ url: `${url}/api/v1/secrets/bench/secret`, headers, connections: 50, duration: Number(values.seconds) });
    process.stdout.write(`GET ${values.uncached === true ? 'uncached' : 'cached'}, audit ${audit}: ${Math.round(result.requests.average)} req/s, p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms, non-2xx ${result.non2xx}\n\n`);
  } finally {
    await new Promise<void>((resolve) => {
      if (proc.exitCode !== null) return resolve();
      proc.once('exit', () => resolve());
      proc.kill('SIGTERM');
    });
  }
  const file = (await readdir(out)).find((f) => f.endsWith('.cpuprofile'));
  if (file === undefined) throw new Error('no profile written');
  process.stdout.write(summarize(JSON.parse(await readFile(path.join(out, file), 'utf8')) as CpuProfile));
  process.stdout.write(`\nprofile: ${path.join(out, file)} (open in Chrome DevTools or speedscope)\n`);
  if (values.out === undefined) await rm(path.join(dir, 'data'), { recursive: true, force: true });
}

main().catch((err: unknown) => {
  process.stderr.write(`profile failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
