/**
 * Audit on the real Node entry: a required file device and an optional HTTP device whose
 * receiver is down for a while. Nothing is lost, nothing doubles, order holds, and the file
 * verifies with `keygate audit verify` and the device's public key.
 */
import { execFile } from 'node:child_process';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { startServer } from './helpers/server.js';
import type { ServerProcess } from './helpers/server.js';

const run = promisify(execFile);
const CLI = path.resolve(import.meta.dirname, '../dist/cli/main.js');
const servers: ServerProcess[] = [];
const dirs: string[] = [];
let receiver: Server | undefined;
afterAll(async () => {
  for (const s of servers) await s.stop('SIGKILL');
  await new Promise<void>((resolve) => (receiver === undefined ? resolve() : receiver.close(() => resolve())));
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe('audit on the Node entry', () => {
  it('spools for a downed SIEM, delivers every record once and in order, and the file verifies', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'keygate-audit-'));
    dirs.push(dir);
    // Reserve a port for the receiver, then close it: the SIEM is "down" at first.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const address = probe.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    await new Promise<void>((resolve) => probe.close(() => resolve()));

    const auditFile = path.join(dir, 'audit.log');
    const config = path.join(dir, 'keygate.yaml');
    await writeFile(
      config,
      [
        'audit:',
        '  - name: main',
        '    type: file',
        '    required: true',
        `    options: { path: "${auditFile}", fsync: always }`,
        '  - name: siem',
        '    type: http',
        '    required: false',
        `    options: { url: "http://127.0.0.1:${port}/ingest", format: jsonl, gzip: false, flush_interval: 100ms, retry: { max_attempts: 3, backoff_initial: 50ms, backoff_max: 200ms } }`,
        '',
      ].join('\n'),
    );
    const gateway = await startServer({ dataDir: path.join(dir, 'data'), args: ['--config', config] });
    servers.push(gateway);
    const token = (await readFile(path.join(dir, 'data', 'root-token'), 'utf8')).trim();
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    for (let i = 0; i < 30; i++) {
      const res = await fetch(`${gateway.url}/api/v1/secrets/audited/${i}`, { method: 'PUT', headers, body: JSON.stringify({ secret: `CANARY-node-audit-${i}` }) });
      expect(res.status).toBe(200);
    }
    const status = (await (await fetch(`${gateway.url}/api/v1/sys/audit`, { headers })).json()) as { data: Record<string, { counters: { spooled: number }; public_key: string }> };
    expect(status.data.siem?.counters.spooled).toBeGreaterThan(0);

    // The SIEM comes back.
    const received: string[] = [];
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        received.push(...body.split('\n').filter((l) => l !== ''));
        res.writeHead(200).end('{}');
      });
    });
    await new Promise<void>((resolve) => receiver?.listen(port, '127.0.0.1', resolve));
    const fileLines = async () => (await readFile(auditFile, 'utf8')).split('\n').filter((l) => l !== '');
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline && received.length < (await fileLines()).length) await new Promise((r) => setTimeout(r, 100));

    const siemRecords = received.map((l) => JSON.parse(l) as { seq: number; segment: string; device: string });
    const seqs = siemRecords.map((r) => r.seq);
    expect(new Set(seqs).size).toBe(seqs.length);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(seqs[0]).toBe(1);
    expect(seqs[seqs.length - 1]).toBe(seqs.length);
    expect(received.join('\n')).not.toContain('CANARY-node-audit');

    const lines = await fileLines();
    expect(lines.join('\n')).not.toContain('CANARY-node-audit');
    const publicKey = status.data.main?.public_key ?? '';
    const { stdout } = await run(process.execPath, [CLI, 'audit', 'verify', auditFile, '--public-key', publicKey]);
    expect(stdout).toMatch(/^OK: \d+ records, 1 segments/);
    await writeFile(path.join(dir, 'tampered.log'), `${[...lines.slice(0, 5), ...lines.slice(6)].join('\n')}\n`);
    const tampered = await run(process.execPath, [CLI, 'audit', 'verify', path.join(dir, 'tampered.log')]).then(
      () => ({ code: 0, stdout: '' }),
      (e: { code: number; stdout: string }) => ({ code: e.code, stdout: e.stdout }),
    );
    expect(tampered.code).toBe(1);
    expect(tampered.stdout).toContain('deleted');
  });
});
