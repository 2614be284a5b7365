import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Sensitive, createWebRuntime, isGatewayError } from '../core/index.js';
import type { JsonObject, SafeJsonValue } from '../core/index.js';
import { createMemoryStorage } from '../storage/index.js';
import { createAuditBroker } from './broker.js';
import type { AuditDeviceConfig } from './broker.js';
import { createChain } from './chain.js';
import { createWebAuditDigests } from './digests.js';
import { createNodeAuditDigests } from './digests.node.js';
import { createHmacer, rawData } from './hmac.js';
import { createMemorySink } from './memory-sink.js';
import type { MemorySink } from './memory-sink.js';
import type { AuditEvent } from './record.js';
import { verifyAuditLines } from './verify.js';

const runtime = createWebRuntime();
const web = createWebAuditDigests(runtime.subtle);
const node = createNodeAuditDigests();

describe('audit digests: node:crypto gives the same output as WebCrypto', () => {
  it('HMAC-SHA256 of any text under any key (property), and the RFC 4231 test case 2', async () => {
    const rfcKey = new TextEncoder().encode('Jefe');
    const rfc = 'what do ya want for nothing?';
    const expected = '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843';
    expect(await (await web.hmacSha256(rfcKey))(rfc)).toBe(expected);
    expect(await (await node.hmacSha256(rfcKey))(rfc)).toBe(expected);
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 128 }), fc.string({ unit: 'binary', maxLength: 2048 }), async (key, text) => {
        expect(await (await node.hmacSha256(key))(text)).toBe(await (await web.hmacSha256(key))(text));
      }),
      { numRuns: 300 },
    );
  });

  it('SHA-256 of any text (property), and of "abc"', async () => {
    const abc = 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad';
    expect(await web.sha256Hex('abc')).toBe(abc);
    expect(await node.sha256Hex('abc')).toBe(abc);
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: 'binary', maxLength: 4096 }), async (text) => {
        expect(await node.sha256Hex(text)).toBe(await web.sha256Hex(text));
      }),
      { numRuns: 300 },
    );
  });

  it('node:crypto answers synchronously (no promise per value on the hot path)', async () => {
    const mac = await node.hmacSha256(new Uint8Array(32).fill(1));
    expect(typeof mac('x')).toBe('string');
    expect(typeof node.sha256Hex('x')).toBe('string');
  });

  it('both refuse an empty HMAC key', async () => {
    await expect(web.hmacSha256(new Uint8Array(0))).rejects.toThrow();
    await expect(node.hmacSha256(new Uint8Array(0))).rejects.toSatisfy((err) => isGatewayError(err, 'ERR_INTERNAL'));
  });

  it('the HMAC walk gives identical records for any JSON data, Sensitive values revealed, key order kept', async () => {
    const key = runtime.randomBytes(32);
    const [hw, hn] = [await createHmacer(key, runtime, web), await createHmacer(key, runtime, node)];
    const json = fc.jsonValue({ maxDepth: 4 }) as fc.Arbitrary<SafeJsonValue>;
    await fc.assert(
      fc.asyncProperty(json, async (data) => {
        const [a, b] = [await hw.data(data), await hn.data(data)];
        expect(JSON.stringify(b)).toBe(JSON.stringify(a));
      }),
      { numRuns: 200 },
    );
    // A "__proto__" key (legal JSON, e.g. from JSON.parse) is recorded like any other, by both.
    const proto = JSON.parse('{"__proto__":"x","a":{"__proto__":{"b":1}}}') as SafeJsonValue;
    for (const h of [hw, hn]) {
      const out = JSON.stringify(await h.data(proto));
      expect(out).toMatch(/^\{"__proto__":"hmac-sha256:[0-9a-f]{64}","a":\{"__proto__":\{"b":"hmac-sha256:[0-9a-f]{64}"\}\}\}$/);
    }
    expect(JSON.stringify(rawData(proto))).toBe('{"__proto__":"x","a":{"__proto__":{"b":1}}}');
    const withSensitive: SafeJsonValue = { z: 1, a: new Sensitive('secret'), m: [true, null, { k: new Sensitive({ deep: 'x' }) }] };
    const fromNode = await hn.data(withSensitive);
    expect(JSON.stringify(fromNode)).toBe(JSON.stringify(await hw.data(withSensitive)));
    expect(Object.keys(fromNode as object)).toEqual(['z', 'a', 'm']);
    expect(JSON.stringify(fromNode)).not.toContain('secret');
    expect(await hn.value('secret')).toBe(await hw.value('secret'));
    expect(await hn.value(42)).toBe(await hw.value('42'));
  });
});

describe('audit chain', () => {
  it('writes each line as exactly JSON.stringify(record), with either digest implementation', async () => {
    for (const digests of [undefined, node]) {
      const chain = createChain(runtime, 'segment-1', digests);
      const bodies: JsonObject[] = [{ type: 'request', data: { a: 'b', n: 1 } }, { type: 'response', hash: 'a body key named hash' }, { type: 'x', nested: { '"q"': ['\u2028', '\\'] } }];
      for (const body of bodies) {
        const chained = await chain.append('dev', body);
        expect(chained.line).toBe(JSON.stringify(chained.record));
      }
    }
  });
});

describe('audit broker on node:crypto digests', () => {
  const device: AuditDeviceConfig = {
    name: 'main',
    type: 'memory',
    description: '',
    required: true,
    log_raw: false,
    deadline: '500ms',
    checkpoint_every: 3,
    checkpoint_interval: '1m',
    cache_hit_records: 'pair',
    options: {},
  };
  const event = (requestId: string): AuditEvent => ({
    type: 'request',
    time: Date.now(),
    requestId,
    operation: 'read',
    path: 'a/b',
    mount: { path: '', type: 'kv' },
    clientAddress: '127.0.0.1',
    principal: { id: 'p', displayName: 'p', policies: ['default'], accessor: 'acc', expiresAt: null },
    requestData: { secret: 'value', n: 7 },
    params: {},
  });

  it('writes records the verifier accepts, HMACs that match the WebCrypto broker under the same key, and fails closed', async () => {
    const storage = createMemoryStorage();
    const sinks = new Map<string, MemorySink>();
    const make = (digests?: typeof node) =>
      createAuditBroker({
        storage,
        runtime,
        sinks: {
          memory: async (_o, ctx) => {
            const sink = createMemorySink();
            sinks.set(`${digests?.name ?? 'web'}:${ctx.name}`, sink);
            return sink;
          },
        },
        ...(digests === undefined ? {} : { digests }),
      });
    const nodeBroker = make(node);
    await nodeBroker.load([device]);
    // Concurrent submissions: chained in one order, every one acknowledged.
    await Promise.all(Array.from({ length: 20 }, (_, i) => nodeBroker.logRequest(event(`r${i}`))));
    const sink = sinks.get('node:main');
    if (sink === undefined) throw new Error('no sink');
    const publicKey = nodeBroker.list()[0]?.public_key;
    const report = await verifyAuditLines(sink.lines, { subtle: runtime.subtle, ...(publicKey === undefined ? {} : { publicKey }) });
    expect(report.problems).toEqual([]);
    expect(report.records).toBe(sink.lines.length);
    // The same stored device keys under WebCrypto give the same HMACs.
    const webBroker = make();
    await webBroker.load([device]);
    expect(await nodeBroker.hash('main', 'value')).toBe(await webBroker.hash('main', 'value'));
    const requestLine = sink.lines.map((l) => JSON.parse(l) as { request_id?: string; request?: { data: { secret: string } } }).find((r) => r.request_id === 'r0');
    expect(requestLine?.request?.data.secret).toBe(await webBroker.hash('main', 'value'));
    sink.mode = 'fail';
    await expect(nodeBroker.logRequest(event('refused'))).rejects.toSatisfy((err) => isGatewayError(err, 'ERR_AUDIT_UNAVAILABLE'));
    sink.mode = 'hang';
    const started = Date.now();
    await expect(nodeBroker.logRequest(event('late'))).rejects.toSatisfy((err) => isGatewayError(err, 'ERR_AUDIT_UNAVAILABLE'));
    expect(Date.now() - started).toBeGreaterThanOrEqual(400);
    await nodeBroker.unload();
    await webBroker.unload();
  });
});

describe('HMAC walk memo', () => {
  it('HMACs a deeply frozen object once and gives the same (frozen) answer after, under either digest', async () => {
    for (const digests of [web, node]) {
      let calls = 0;
      const counting = { ...digests, hmacSha256: async (key: Uint8Array) => {
        const mac = await digests.hmacSha256(key);
        return (text: string) => (calls++, mac(text));
      } };
      const hmacer = await createHmacer(runtime.randomBytes(32), runtime, counting);
      const list: SafeJsonValue[] = ['a', new Sensitive('b')];
      const nested: SafeJsonValue = { n: 1, list: Object.freeze(list) as SafeJsonValue[] };
      const cached: SafeJsonValue = Object.freeze({ password: 'memo-canary', nested: Object.freeze(nested) });
      const first = await hmacer.data(cached);
      const afterFirst = calls;
      expect(afterFirst).toBe(4);
      const second = await hmacer.data(cached);
      expect(calls).toBe(afterFirst);
      expect(second).toEqual(first);
      expect(Object.isFrozen(second)).toBe(true);
      expect(JSON.stringify(first)).not.toContain('memo-canary');
      // An equal but distinct object is walked again (the memo is by identity).
      await hmacer.data(Object.freeze({ ...(cached as Record<string, SafeJsonValue>) }));
      expect(calls).toBe(afterFirst * 2);
    }
  });

  it('never remembers an object with anything mutable inside: a later change is hashed as it now is', async () => {
    const hmacer = await createHmacer(runtime.randomBytes(32), runtime, node);
    const inner: Record<string, string> = { v: 'one' };
    const outer: SafeJsonValue = Object.freeze({ inner });
    const before = (await hmacer.data(outer)) as { inner: { v: string } };
    inner.v = 'two';
    const after = (await hmacer.data(outer)) as { inner: { v: string } };
    expect(after.inner.v).not.toBe(before.inner.v);
    expect(after.inner.v).toBe(await hmacer.value('two'));
  });

  it('remembers identifiers (accessors) within a bound, with the same answer as value()', async () => {
    const hmacer = await createHmacer(runtime.randomBytes(32), runtime, node);
    expect(await hmacer.identifier('accessor-1')).toBe(await hmacer.value('accessor-1'));
    for (let i = 0; i < 5000; i++) await hmacer.identifier(`accessor-${i}`);
    expect(await hmacer.identifier('accessor-1')).toBe(await hmacer.value('accessor-1'));
  });
});
