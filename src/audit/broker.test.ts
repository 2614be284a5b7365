import { describe, expect, it } from 'vitest';
import { createWebRuntime, isGatewayError } from '../core/index.js';
import { createMemoryStorage } from '../storage/index.js';
import { createAuditBroker } from './broker.js';
import type { AuditDeviceConfig } from './broker.js';
import { createMemorySink } from './memory-sink.js';
import type { MemorySink } from './memory-sink.js';
import type { AuditEvent } from './record.js';
import { verifyAuditLines } from './verify.js';

const device = (name: string, extra: Partial<AuditDeviceConfig> = {}): AuditDeviceConfig => ({
  name,
  type: 'memory',
  description: '',
  required: true,
  log_raw: false,
  deadline: '500ms',
  checkpoint_every: 1000,
  checkpoint_interval: '1m',
  cache_hit_records: 'pair',
  options: {},
  ...extra,
});

const event = (requestId: string, type: 'request' | 'response' = 'request'): AuditEvent => ({
  type,
  time: Date.now(),
  requestId,
  operation: 'read',
  path: 'a/b',
  mount: { path: '', type: 'kv' },
  clientAddress: '127.0.0.1',
  principal: null,
  requestData: { secret: 'value' },
  params: {},
});

const setup = async (devices: AuditDeviceConfig[], storage = createMemoryStorage()) => {
  const sinks = new Map<string, MemorySink>();
  const broker = createAuditBroker({
    storage,
    runtime: createWebRuntime(),
    sinks: {
      memory: async (_o, ctx) => {
        const sink = sinks.get(ctx.name) ?? createMemorySink();
        sinks.set(ctx.name, sink);
        return sink;
      },
    },
  });
  await broker.load(devices);
  return { broker, sinks, storage };
};

describe('audit broker', () => {
  it('writes a pair (a cache hit) as two chained records in order, and fails closed when the device fails', async () => {
    const { broker, sinks } = await setup([device('main')]);
    await broker.logPair(event('p1'), { ...event('p1', 'response'), status: 200, responseData: { v: 'pair-canary' } });
    const lines = sinks.get('main')?.lines ?? [];
    const records = lines.map((l) => JSON.parse(l) as { type: string; request_id?: string; seq: number });
    const pair = records.filter((r) => r.request_id === 'p1');
    expect(pair.map((r) => r.type)).toEqual(['request', 'response']);
    expect((pair[1]?.seq ?? 0) - (pair[0]?.seq ?? 0)).toBe(1);
    expect(lines.join('\n')).not.toContain('pair-canary');
    expect((await verifyAuditLines(lines, { subtle: crypto.subtle, publicKey: broker.list()[0]?.public_key ?? '' })).ok).toBe(true);
    const sink = sinks.get('main');
    if (sink !== undefined) sink.mode = 'fail';
    const failed = await broker.logPair(event('p2'), { ...event('p2', 'response'), status: 200 }).catch((err: unknown) => err);
    expect(isGatewayError(failed, 'ERR_AUDIT_UNAVAILABLE')).toBe(true);
  });

  it('hands a pair to every device, and fails it closed only when no required device accepts it', async () => {
    const { broker, sinks } = await setup([device('a'), device('b'), device('optional', { required: false })]);
    const pair = (id: string) => broker.logPair(event(id), { ...event(id, 'response'), status: 200 });
    await pair('x1');
    for (const name of ['a', 'b', 'optional']) {
      const ids = (sinks.get(name)?.lines ?? []).map((l) => (JSON.parse(l) as { request_id?: string }).request_id).filter((id) => id !== undefined);
      expect(ids).toEqual(['x1', 'x1']);
    }
    const set = (name: string, mode: 'ok' | 'fail') => {
      const sink = sinks.get(name);
      if (sink !== undefined) sink.mode = mode;
    };
    set('a', 'fail');
    set('optional', 'fail');
    await expect(pair('x2')).resolves.toBeUndefined();
    set('b', 'fail');
    const failed = await pair('x3').catch((err: unknown) => err);
    expect(isGatewayError(failed, 'ERR_AUDIT_UNAVAILABLE')).toBe(true);
  });

  it('writes a cache hit as its response record alone on a device with cache_hit_records "response", and as a pair on the others', async () => {
    const { broker, sinks } = await setup([device('pairs'), device('single', { cache_hit_records: 'response' })]);
    const request = event('h1');
    await broker.logPair(request, { ...request, type: 'response', status: 200, cache: 'hit', responseData: { v: 'hit-canary' } });
    const dataRecords = (name: string) =>
      (sinks.get(name)?.lines ?? []).map((l) => JSON.parse(l) as Record<string, unknown>).filter((r) => r.request_id !== undefined);
    expect(dataRecords('pairs').map((r) => r.type)).toEqual(['request', 'response']);
    const [only, ...rest] = dataRecords('single');
    expect(rest).toEqual([]);
    // The one record holds every field the request record would have, and the answer's.
    const { type: _t, time: _ti, seq: _s, prev_hash: _p, hash: _h, segment: _sg, device: _d, response, cache, ...shared } = only ?? {};
    const { type: _t2, time: _ti2, seq: _s2, prev_hash: _p2, hash: _h2, segment: _sg2, device: _d2, ...requestFields } = dataRecords('pairs')[0] ?? {};
    // Each device HMACs with its own key: the same fields, the value under the single device's key.
    expect(Object.keys(shared).sort()).toEqual(Object.keys(requestFields).sort());
    expect({ ...shared, request: undefined }).toEqual({ ...requestFields, request: undefined });
    expect(shared.request).toEqual({ data: { secret: await broker.hash('single', 'value') }, params: {} });
    expect(only?.type).toBe('response');
    expect(cache).toBe('hit');
    expect(response).toMatchObject({ status: 200 });
    const lines = sinks.get('single')?.lines ?? [];
    expect(lines.join('\n')).not.toContain('hit-canary');
    const publicKey = broker.list().find((d) => d.name === 'single')?.public_key ?? '';
    expect((await verifyAuditLines(lines, { subtle: crypto.subtle, publicKey })).ok).toBe(true);

    // Fails closed the same way.
    const sink = sinks.get('single');
    if (sink !== undefined) sink.mode = 'fail';
    const pairs = sinks.get('pairs');
    if (pairs !== undefined) pairs.mode = 'fail';
    const failed = await broker.logPair(event('h2'), { ...event('h2', 'response'), status: 200 }).catch((err: unknown) => err);
    expect(isGatewayError(failed, 'ERR_AUDIT_UNAVAILABLE')).toBe(true);
  });

  it('keeps the pair for a run-time device stored before cache_hit_records existed, and gives a new one the default, response', async () => {
    const storage = createMemoryStorage();
    const old = { name: 'legacy', type: 'memory', description: '', required: true, log_raw: false, deadline: '500ms', checkpoint_every: 1000, checkpoint_interval: '1m', options: {}, source: 'api', created_time: '2026-11-01T00:00:00.000Z' };
    await storage.put('audit/devices', new TextEncoder().encode(JSON.stringify([old])));
    const { broker, sinks } = await setup([], storage);
    expect(broker.list().map((d) => [d.name, d.cache_hit_records])).toEqual([['legacy', 'pair']]);
    await broker.logPair(event('l1'), { ...event('l1', 'response'), status: 200 });
    const types = (sinks.get('legacy')?.lines ?? []).map((l) => JSON.parse(l) as { type: string; request_id?: string }).filter((r) => r.request_id === 'l1');
    expect(types.map((r) => r.type)).toEqual(['request', 'response']);
    await broker.enable({ name: 'fresh', type: 'memory' });
    expect(broker.list().map((d) => [d.name, d.cache_hit_records])).toEqual([['legacy', 'pair'], ['fresh', 'response']]);
  });

  it('refuses an unknown cache_hit_records value naming the field', async () => {
    const { broker } = await setup([]);
    const refused = await broker.enable({ name: 'x', type: 'memory', cache_hit_records: 'none' }).catch((err: unknown) => err);
    expect(isGatewayError(refused, 'ERR_VALIDATION')).toBe(true);
    expect(JSON.stringify(refused)).toContain('cache_hit_records');
  });

  it('lets requests through when no device is configured', async () => {
    const { broker } = await setup([]);
    await expect(broker.logRequest(event('r1'))).resolves.toBeUndefined();
  });

  it('after a failed write starts a new signed segment linked to the last acknowledged record, and verifies clean', async () => {
    const { broker, sinks } = await setup([device('main')]);
    const sink = sinks.get('main');
    if (sink === undefined) throw new Error('no sink');
    await broker.logRequest(event('r1'));
    sink.mode = 'fail';
    const err = await broker.logRequest(event('r2')).catch((e: unknown) => e);
    expect(isGatewayError(err, 'ERR_AUDIT_UNAVAILABLE')).toBe(true);
    sink.mode = 'ok';
    await broker.logRequest(event('r3'));
    const records = sink.lines.map((l) => JSON.parse(l) as { type: string; reason?: string; request_id?: string });
    expect(records.map((r) => r.type)).toEqual(['segment-start', 'request', 'segment-start', 'request']);
    expect(records[2]?.reason).toBe('write-failure');
    const publicKey = broker.list()[0]?.public_key;
    const report = await verifyAuditLines(sink.lines, { subtle: crypto.subtle, ...(publicKey === undefined ? {} : { publicKey }) });
    expect(report.problems).toEqual([]);
  });

  it('links a restart to the previous process’s last checkpoint', async () => {
    const storage = createMemoryStorage();
    const first = await setup([device('main', { checkpoint_every: 2 })], storage);
    await first.broker.logRequest(event('a'));
    await first.broker.logRequest(event('b'));
    await first.broker.unload();
    const second = await setup([device('main')], storage);
    const lines = [...(first.sinks.get('main')?.lines ?? []), ...(second.sinks.get('main')?.lines ?? [])];
    const last = JSON.parse(lines[lines.length - 1] ?? '{}') as { type: string; previous: { seq: number } | null };
    expect(last.type).toBe('segment-start');
    expect(last.previous?.seq).toBeGreaterThan(0);
    expect((await verifyAuditLines(lines, { subtle: crypto.subtle })).ok).toBe(true);
  });

  it('closes a request’s pair on failure, or writes a lone response record', async () => {
    const { broker, sinks } = await setup([device('main')]);
    await broker.logRequest(event('r1'));
    await broker.logFailure('r1', { ...event('r1'), status: 404, error: 'ERR_NOT_FOUND' });
    await broker.logFailure('r2', { ...event('r2'), requestData: {}, status: 401, error: 'ERR_UNAUTHENTICATED' });
    const records = (sinks.get('main')?.lines ?? []).map((l) => JSON.parse(l) as { type: string; request_id?: string; error?: { code: string }; request?: { data: Record<string, string> } });
    const r1 = records.filter((r) => r.request_id === 'r1');
    expect(r1.map((r) => r.type)).toEqual(['request', 'response']);
    expect(r1[1]?.error?.code).toBe('ERR_NOT_FOUND');
    expect(r1[1]?.request?.data.secret).toMatch(/^hmac-sha256:/);
    expect(records.filter((r) => r.request_id === 'r2').map((r) => r.type)).toEqual(['response']);
  });

  it('warns loudly about log_raw and writes values in the clear only then', async () => {
    const { broker, sinks } = await setup([device('raw', { log_raw: true })]);
    await broker.logRequest(event('r1'));
    expect(sinks.get('raw')?.lines.join('')).toContain('"secret":"value"');
  });
});
