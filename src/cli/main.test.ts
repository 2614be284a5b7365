import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createWebRuntime } from '../core/index.js';
import { createMemoryStorage } from '../storage/index.js';
import { createAuditBroker, createMemorySink } from '../audit/index.js';
import type { MemorySink } from '../audit/index.js';
import { run } from './main.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe('keygate audit verify', () => {
  it('exits 0 for an intact file and 1 with the break for a tampered one; 2 for usage errors', async () => {
    const sink: MemorySink = createMemorySink();
    const broker = createAuditBroker({ storage: createMemoryStorage(), runtime: createWebRuntime(), sinks: { memory: async () => sink } });
    await broker.load([{ name: 'main', type: 'memory', description: '', required: true, log_raw: false, deadline: '1s', checkpoint_every: 3, checkpoint_interval: '1m', cache_hit_records: 'pair', options: {} }]);
    for (let i = 0; i < 8; i++) {
      await broker.logRequest({ type: 'request', time: Date.now(), requestId: `r${i}`, operation: 'read', path: 'p', mount: null, clientAddress: null, principal: null, requestData: {}, params: {} });
    }
    const publicKey = broker.list()[0]?.public_key ?? '';
    const dir = await mkdtemp(path.join(os.tmpdir(), 'keygate-cli-'));
    dirs.push(dir);
    const good = path.join(dir, 'audit.log');
    await writeFile(good, `${sink.lines.join('\n')}\n`);
    const bad = path.join(dir, 'tampered.log');
    await writeFile(bad, `${[...sink.lines.slice(0, 4), ...sink.lines.slice(5)].join('\n')}\n`);

    let out = '';
    const capture = (s: string) => (out += s);
    expect(await run(['audit', 'verify', good, '--public-key', publicKey], capture, capture)).toBe(0);
    expect(out).toMatch(/^OK: \d+ records/);
    out = '';
    expect(await run(['audit', 'verify', bad], capture, capture)).toBe(1);
    expect(out).toContain('TAMPERED');
    expect(out).toContain('deleted');
    expect(await run(['audit'], capture, capture)).toBe(2);
    expect(await run(['audit', 'verify', path.join(dir, 'missing.log')], capture, capture)).toBe(2);
  });
});
