/** The audit stream through the whole request flow (issue 4): fail closed, HMAC'd, tamper-evident. */
import { afterEach, describe, expect, it } from 'vitest';
import { verifyAuditLines } from '../src/audit/index.js';
import type { OperationResponse } from '../src/core/index.js';
import { createMemoryStorage } from '../src/storage/index.js';
import { createTestGateway } from './helpers/in-process.js';
import type { TestGateway } from './helpers/in-process.js';

const CANARY = 'CANARY-audit-4e1f-never-in-a-sink';
let gw: TestGateway | undefined;
afterEach(async () => {
  await gw?.close();
  gw = undefined;
});

const withDevices = async (devices: Record<string, unknown>[]) => {
  gw = await createTestGateway({ config: { audit: devices } });
  return gw;
};
const parsed = (g: TestGateway, device = 'main') => (g.sinks.get(device)?.lines ?? []).map((l) => JSON.parse(l) as Record<string, any>); // eslint-disable-line @typescript-eslint/no-explicit-any -- test convenience

describe('records', () => {
  it('writes a request and a response record per operation, every data value HMAC’d', async () => {
    const g = await withDevices([{ name: 'main', type: 'memory' }]);
    expect((await g.call('PUT', '/api/v1/secrets/app/db', { body: { password: CANARY, port: 5432, tls: true } })).status).toBe(200);
    expect((await g.call('GET', '/api/v1/secrets/app/db')).body.data.password).toBe(CANARY);
    const records = parsed(g).filter((r) => r.path === 'app/db');
    expect(records.map((r) => `${r.type}:${r.operation}`)).toEqual(['request:create', 'response:create', 'request:read', 'response:read']);
    const req = records[0] ?? {};
    const res = records[3] ?? {};
    expect(req.request.data.password).toMatch(/^hmac-sha256:[0-9a-f]{64}$/);
    expect(req.request.data.port).toMatch(/^hmac-sha256:/);
    expect(req.request.data.tls).toMatch(/^hmac-sha256:/);
    expect(res.response.data.password).toMatch(/^hmac-sha256:/);
    expect(req.auth).toMatchObject({ policies: ['root'], principal_id: expect.any(String) });
    expect(req.auth.accessor_hmac).toMatch(/^hmac-sha256:/);
    expect(req.mount).toEqual({ path: '', type: 'kv' });
    // The operator can find a value they know.
    const hash = await g.call('POST', '/api/v1/sys/audit-hash/main', { body: { input: CANARY } });
    expect(hash.body.data.hash).toBe(req.request.data.password);
  });

  it('records a cache hit as its response record alone by default, or as a pair on a device with cache_hit_records "pair"', async () => {
    const g = await withDevices([
      { name: 'main', type: 'memory' },
      { name: 'pairs', type: 'memory', cache_hit_records: 'pair' },
    ]);
    expect((await g.call('PUT', '/api/v1/secrets/app/hot', { body: { v: CANARY } })).status).toBe(200);
    for (let i = 0; i < 2; i++) expect((await g.call('GET', '/api/v1/secrets/app/hot')).body.data.v).toBe(CANARY);
    const reads = (device: string) => parsed(g, device).filter((r) => r.path === 'app/hot' && r.operation === 'read');
    const summary = (device: string) => reads(device).map((r) => `${r.type}:${r.cache ?? '-'}`);
    // The miss keeps its two steps on both; the hit is one record by default.
    expect(summary('main')).toEqual(['request:-', 'response:miss', 'response:hit']);
    expect(summary('pairs')).toEqual(['request:-', 'response:miss', 'request:-', 'response:hit']);
    const hit = reads('main')[2] ?? {};
    expect(hit.request_id).toBe(reads('pairs')[3]?.request_id);
    expect(hit.auth.accessor_hmac).toMatch(/^hmac-sha256:/);
    expect(hit.response.data.v).toMatch(/^hmac-sha256:/);
    for (const device of ['main', 'pairs']) {
      const lines = g.sinks.get(device)?.lines ?? [];
      expect(lines.join('\n')).not.toContain(CANARY);
      expect((await verifyAuditLines(lines, { subtle: crypto.subtle })).problems).toEqual([]);
    }
  });

  it('never writes a canary in clear: secret, token, login payload, error paths', async () => {
    const g = await withDevices([{ name: 'main', type: 'memory' }]);
    await g.call('PUT', '/api/v1/secrets/c', { body: { v: CANARY } });
    await g.call('PUT', '/api/v1/secrets/c', { rawBody: `{"v":"${CANARY}" broken`, headers: { 'content-type': 'application/json' } });
    await g.call('GET', '/api/v1/secrets/c', { token: `kg.${CANARY}` });
    await g.call('POST', '/api/v1/sys/auth/approle', { body: { type: 'approle' } });
    await g.call('POST', '/api/v1/auth/approle/role/r', { body: { token_policies: ['default'] } });
    const secretId = (await g.call('POST', '/api/v1/auth/approle/role/r/secret-id', { body: {} })).body.data.secret_id as string;
    const roleId = (await g.call('GET', '/api/v1/auth/approle/role/r/role-id')).body.data.role_id as string;
    const login = await g.call('POST', '/api/v1/auth/approle/login', { token: null, body: { role_id: roleId, secret_id: secretId } });
    await g.call('POST', '/api/v1/auth/approle/login', { token: null, body: { role_id: roleId, secret_id: CANARY } });
    const child = await g.call('POST', '/api/v1/auth/token/create', { body: { policies: ['default'] } });
    const lines = g.sinks.get('main')?.lines.join('\n') ?? '';
    for (const secret of [CANARY, secretId, login.body.auth.client_token.slice(3), child.body.auth.client_token.slice(3), g.rootToken.slice(3)]) {
      expect(lines).not.toContain(secret);
    }
    // Failures are on record, with their codes.
    const failures = parsed(g).filter((r) => r.error !== undefined).map((r) => r.error.code);
    expect(failures).toEqual(expect.arrayContaining(['ERR_INVALID_JSON', 'ERR_UNAUTHENTICATED']));
  });

  it('records denials and failed logins', async () => {
    const g = await withDevices([{ name: 'main', type: 'memory' }]);
    const t = (await g.call('POST', '/api/v1/auth/token/create', { body: { policies: ['default'] } })).body.auth.client_token as string;
    expect((await g.call('GET', '/api/v1/secrets/forbidden', { token: t })).status).toBe(403);
    const denied = parsed(g).find((r) => r.error?.code === 'ERR_PERMISSION_DENIED');
    expect(denied).toMatchObject({ type: 'response', response: { status: 403 } });
  });
});

describe('fail closed', () => {
  it('answers 503 and never calls the backend when the only required device fails', async () => {
    const g = await withDevices([{ name: 'main', type: 'memory', required: true }]);
    const engine = g.core.mounts.table().match('x')?.engine;
    if (engine === undefined) throw new Error('no engine');
    let calls = 0;
    const original = engine.handle.bind(engine);
    // Counting wrapper: the property under test is "the backend is never called".
    Object.assign(engine, { handle: (r: Parameters<typeof original>[0]): Promise<OperationResponse> => ((calls += 1), original(r)) });
    const sink = g.sinks.get('main');
    if (sink === undefined) throw new Error('no sink');
    sink.mode = 'fail';
    const res = await g.call('PUT', '/api/v1/secrets/x', { body: { a: 1 } });
    expect(res.status).toBe(503);
    expect(res.body.error.code).toBe('ERR_AUDIT_UNAVAILABLE');
    expect(calls).toBe(0);
    sink.mode = 'ok';
    expect((await g.call('GET', '/api/v1/secrets/x')).status).toBe(404);
    expect(calls).toBe(1);
  });

  it('answers 503 within the deadline when the required device hangs', async () => {
    const g = await withDevices([{ name: 'main', type: 'memory', required: true, deadline: '300ms' }]);
    const sink = g.sinks.get('main');
    if (sink === undefined) throw new Error('no sink');
    sink.mode = 'hang';
    const started = Date.now();
    const res = await g.call('PUT', '/api/v1/secrets/x', { body: { a: 1 } });
    expect(res.status).toBe(503);
    expect(Date.now() - started).toBeLessThan(1500);
  });

  it('keeps serving when only an optional device fails, and when one of two required devices does', async () => {
    const g = await withDevices([
      { name: 'main', type: 'memory', required: true },
      { name: 'second', type: 'memory', required: true },
      { name: 'extra', type: 'memory', required: false },
    ]);
    const extra = g.sinks.get('extra');
    const second = g.sinks.get('second');
    if (extra === undefined || second === undefined) throw new Error('no sink');
    extra.mode = 'fail';
    second.mode = 'fail';
    expect((await g.call('PUT', '/api/v1/secrets/x', { body: { a: 1 } })).status).toBe(200);
  });
});

describe('tamper evidence', () => {
  const produce = async () => {
    const g = await withDevices([{ name: 'main', type: 'memory', checkpoint_every: 5 }]);
    for (let i = 0; i < 12; i++) await g.call('PUT', `/api/v1/secrets/t/${i}`, { body: { i } });
    const publicKey = (await g.call('GET', '/api/v1/sys/audit')).body.data.main.public_key as string;
    return { lines: [...(g.sinks.get('main')?.lines ?? [])], publicKey };
  };
  const verify = (lines: string[], publicKey?: string) => verifyAuditLines(lines, { subtle: crypto.subtle, ...(publicKey === undefined ? {} : { publicKey }) });

  it('passes an untouched log, with signed checkpoints, and across a rotation', async () => {
    const { lines, publicKey } = await produce();
    const report = await verify(lines, publicKey);
    expect(report.problems).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.checkpoints).toBeGreaterThanOrEqual(4);
    // A rotated file verifies alone (it starts mid-chain, which is noted) and the pair verifies in order.
    expect((await verify(lines.slice(20), publicKey)).ok).toBe(true);
    expect((await verify([...lines.slice(0, 20), ...lines.slice(20)], publicKey)).ok).toBe(true);
  });

  it('links the next start to the last record of a process stopped with heads still held back', async () => {
    // Storage that outlives the first gateway's close, as a database file does.
    const memory = createMemoryStorage();
    const storage = { ...memory, close: async () => undefined };
    const config = { audit: [{ name: 'main', type: 'memory', options: {}, checkpoint_every: 5 }] };
    const first = await createTestGateway({ storage, config });
    // Checkpoints every 5 records, heads stored at most once a second (decision 0017): most are held back.
    for (let i = 0; i < 20; i++) expect((await first.call('PUT', `/api/v1/secrets/app/k${i}`, { body: { v: i } })).status).toBe(200);
    await first.close();
    const firstLines = first.sinks.get('main')?.lines ?? [];
    const last = JSON.parse(firstLines.at(-1) ?? '{}') as { seq: number; hash: string; segment: string };
    // Its chain head was stored before the barrier sealed: no checkpoint failed to persist.
    expect(first.logs.join('\n')).not.toContain('audit checkpoint not written');

    gw = await createTestGateway({ storage, config, key: first.key });
    const start = JSON.parse(gw.sinks.get('main')?.lines[0] ?? '{}') as { type: string; previous: { segment: string; seq: number; hash: string } | null };
    expect(start.type).toBe('segment-start');
    expect(start.previous).toEqual({ segment: last.segment, seq: last.seq, hash: last.hash });
    expect((await verify([...firstLines, ...(gw.sinks.get('main')?.lines ?? [])])).ok).toBe(true);
  });

  it('detects a deleted record, an inserted record, swapped records and an edited field', async () => {
    const { lines, publicKey } = await produce();
    const kinds = async (tampered: string[]) => (await verify(tampered, publicKey)).problems.map((p) => p.kind);
    expect(await kinds([...lines.slice(0, 10), ...lines.slice(11)])).toContain('deleted');
    expect(await kinds([...lines.slice(0, 10), lines[9] ?? '', ...lines.slice(10)])).toContain('inserted');
    const swapped = [...lines];
    [swapped[10], swapped[11]] = [swapped[11] ?? '', swapped[10] ?? ''];
    expect(await kinds(swapped)).toContain('reordered');
    const edited = [...lines];
    edited[12] = JSON.stringify({ ...(JSON.parse(edited[12] ?? '{}') as object), time: '2000-01-01T00:00:00.000Z' });
    expect(await kinds(edited)).toContain('edited');
    // An attacker who recomputes the record's hash still breaks the next link.
    const record = JSON.parse(lines[12] ?? '{}') as Record<string, unknown>;
    record.operation = 'read';
    delete record.hash;
    const { recordHash } = await import('../src/audit/chain.js');
    const rehashed = [...lines];
    rehashed[12] = JSON.stringify({ ...record, hash: await recordHash(crypto.subtle, record as never) });
    expect(await kinds(rehashed)).toContain('edited');
    // A forged checkpoint does not verify with the device's key.
    const forged = lines.map((l) => (l.includes('"type":"checkpoint"') ? l.replace(/"signature":"[^"]+"/, '"signature":"AAAA"') : l));
    expect(await kinds(forged)).toContain('bad-signature');
  });
});

describe('sys/audit', () => {
  it('enables, lists (with counters, no credentials) and disables devices; config devices stay', async () => {
    const g = await withDevices([{ name: 'main', type: 'memory' }]);
    expect((await g.call('POST', '/api/v1/sys/audit/extra', { body: { type: 'memory', required: false, cache_hit_records: 'pair', options: { token: 'SECRET-TOKEN' } } })).status).toBe(204);
    const listed = await g.call('GET', '/api/v1/sys/audit');
    expect(Object.keys(listed.body.data).sort()).toEqual(['extra', 'main']);
    expect(listed.body.data.extra).toMatchObject({ required: false, source: 'api', cache_hit_records: 'pair', options: { token: '[redacted]' } });
    expect(listed.body.data.main.cache_hit_records).toBe('response');
    expect(listed.body.data.main.counters.written).toBeGreaterThan(0);
    expect(listed.text).not.toContain('SECRET-TOKEN');
    expect((await g.call('DELETE', '/api/v1/sys/audit/extra')).status).toBe(204);
    expect((await g.call('DELETE', '/api/v1/sys/audit/main')).status).toBe(409);
    expect((await g.call('POST', '/api/v1/sys/audit/bad', { body: { type: 'nope' } })).status).toBe(400);
    const badSetting = await g.call('POST', '/api/v1/sys/audit/bad', { body: { type: 'memory', cache_hit_records: 'none' } });
    expect(badSetting.status).toBe(400);
    expect(badSetting.text).toContain('cache_hit_records');
    const t = (await g.call('POST', '/api/v1/auth/token/create', { body: { policies: ['default'] } })).body.auth.client_token as string;
    expect((await g.call('GET', '/api/v1/sys/audit', { token: t })).status).toBe(403);
  });
});
