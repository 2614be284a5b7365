import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createWebRuntime, Sensitive } from '../core/index.js';
import type { Principal, SafeJsonObject } from '../core/index.js';
import { createWebAuditDigests } from './digests.js';
import { createNodeAuditDigests } from './digests.node.js';
import { createHmacer, HMAC_PREFIX } from './hmac.js';
import type { Hmacer } from './hmac.js';
import { buildPairTexts, buildRecordText } from './record.js';
import type { AuditEvent } from './record.js';

const runtime = createWebRuntime();
const key = runtime.randomBytes(32);

const principal = (over: Partial<Principal> = {}): Principal => ({
  id: 'ent-1',
  displayName: 'token-ci',
  policies: ['bench', 'default'],
  accessor: 'acc-123',
  expiresAt: null,
  metadata: { role: 'ci' },
  ...over,
});

const event = (over: Partial<AuditEvent> = {}): AuditEvent => ({
  type: 'request',
  time: Date.UTC(2026, 10, 23, 12, 0, 0, 5),
  requestId: 'req-1',
  operation: 'read',
  path: 'bench/secret',
  mount: { path: 'bench/', type: 'kv' },
  clientAddress: '127.0.0.1',
  principal: principal(),
  requestData: {},
  params: {},
  ...over,
});

const text = async (e: AuditEvent, hmacer: Hmacer, logRaw = false): Promise<string> => buildRecordText(e, hmacer, logRaw);

/** Strings that JSON escapes, or that look like something else. */
const awkward = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 12 }),
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc.constantFrom('"', '\\', '\u0000', '\u001f', '\u2028', '\ud800', '\udfff', '😀', '__proto__', 'toJSON', '10', '</script>'),
);

for (const digests of ['node', 'webcrypto'] as const) {
  describe(`audit record text (${digests} digests)`, () => {
    const hmacerOf = () => createHmacer(key, runtime, digests === 'node' ? createNodeAuditDigests() : createWebAuditDigests(runtime.subtle));

    it('is canonical JSON with the documented fields in order, every data value HMAC’d', async () => {
      const hmacer = await hmacerOf();
      const response = await text(
        event({ type: 'response', status: 403, error: 'ERR_FORBIDDEN', cache: 'miss', responseData: { value: new Sensitive('s3cr3t-canary'), n: 7 }, requestData: { a: 'b' }, params: { version: '2' } }),
        hmacer,
      );
      const parsed = JSON.parse(response) as Record<string, unknown>;
      expect(Object.keys(parsed)).toEqual(['type', 'time', 'request_id', 'operation', 'path', 'mount', 'client_address', 'auth', 'request', 'cache', 'response', 'error']);
      expect(JSON.stringify(parsed)).toBe(response);
      expect(response).not.toContain('s3cr3t-canary');
      expect(response).not.toContain('acc-123');
      expect(parsed.time).toBe('2026-11-23T12:00:00.005Z');
      expect(parsed.auth).toEqual({
        accessor_hmac: await hmacer.identifier('acc-123'),
        principal_id: 'ent-1',
        display_name: 'token-ci',
        policies: ['bench', 'default'],
        metadata: { role: 'ci' },
        entity_id: null,
      });
      expect(parsed.request).toEqual({ data: { a: await hmacer.value('b') }, params: { version: await hmacer.value('2') } });
      expect(parsed.response).toEqual({ status: 403, data: { value: await hmacer.value('s3cr3t-canary'), n: await hmacer.value(7) } });
      expect(parsed.error).toEqual({ code: 'ERR_FORBIDDEN' });

      const bare = JSON.parse(await text(event({ principal: null, mount: null, clientAddress: null }), hmacer)) as Record<string, unknown>;
      expect(Object.keys(bare)).toEqual(['type', 'time', 'request_id', 'operation', 'path', 'mount', 'client_address', 'auth', 'request']);
      expect([bare.auth, bare.mount, bare.client_address]).toEqual([null, null, null]);
      // A response with no status and no data says so with nulls, as before.
      const empty = JSON.parse(await text(event({ type: 'response' }), hmacer)) as { response: unknown };
      expect(empty.response).toEqual({ status: null, data: null });
    });

    it('equals JSON.stringify of the parsed record for any strings and data (what the verifier recomputes)', async () => {
      const hmacer = await hmacerOf();
      await fc.assert(
        fc.asyncProperty(
          fc.record({ requestId: awkward, operation: awkward, path: awkward, mountPath: awkward, address: fc.option(awkward), name: awkward, policy: awkward, metaKey: awkward, metaValue: awkward, error: fc.option(awkward) }),
          fc.dictionary(awkward, fc.oneof(awkward, fc.integer(), fc.boolean(), fc.constant(null)), { maxKeys: 4 }),
          fc.boolean(),
          async (s, data, logRaw) => {
            const e = event({
              type: 'response',
              requestId: s.requestId,
              operation: s.operation,
              path: s.path,
              mount: { path: s.mountPath, type: 'kv' },
              clientAddress: s.address,
              principal: principal({ displayName: s.name, policies: [s.policy], metadata: { [s.metaKey]: s.metaValue }, entity: { id: s.name, name: s.name, metadata: {}, aliases: [] } }),
              requestData: data as SafeJsonObject,
              params: { [s.metaKey]: s.metaValue },
              responseData: data as SafeJsonObject,
              status: 200,
              ...(s.error === null ? {} : { error: s.error }),
            });
            const line = await text(e, hmacer, logRaw);
            const parsed = JSON.parse(line) as { path: string; auth: { display_name: string; metadata: Record<string, string> } };
            expect(JSON.stringify(parsed)).toBe(line);
            expect(parsed.path).toBe(s.path);
            expect(parsed.auth.display_name).toBe(s.name);
            if (!logRaw) expect(Object.values(parsed.auth.metadata)).toEqual([s.metaValue]);
          },
        ),
        { numRuns: 300 },
      );
    });

    it('builds a pair’s texts exactly as each record alone, shared fields or not', async () => {
      const hmacer = await hmacerOf();
      await fc.assert(
        fc.asyncProperty(
          fc.record({ requestId: awkward, path: awkward, address: fc.option(awkward), value: awkward, bypass: fc.boolean(), sameObjects: fc.boolean(), logRaw: fc.boolean(), later: fc.nat(5000) }),
          async (s) => {
            const request = event({ requestId: s.requestId, path: s.path, clientAddress: s.address, requestData: { q: s.value }, params: { v: s.value }, ...(s.bypass ? { cache: 'bypass' as const } : {}) });
            // As the pipeline builds it: the request's own objects (or copies, which take the slow way).
            const response: AuditEvent = {
              ...(s.sameObjects ? request : event({ requestId: s.requestId, path: s.path, clientAddress: s.address, requestData: { q: s.value }, params: { v: s.value } })),
              type: 'response',
              time: request.time + s.later,
              status: 200,
              responseData: { value: new Sensitive(s.value) },
              cache: s.bypass ? 'bypass' : 'hit',
            };
            const [first, second] = await buildPairTexts(request, response, hmacer, s.logRaw);
            expect(first).toBe(await text(request, hmacer, s.logRaw));
            expect(second).toBe(await text(response, hmacer, s.logRaw));
            expect(JSON.stringify(JSON.parse(second))).toBe(second);
          },
        ),
        { numRuns: 300 },
      );
    });

    it('reuses a principal’s auth block only while what it was built from is the same', async () => {
      const hmacer = await hmacerOf();
      const p = principal();
      const first = JSON.parse(await text(event({ principal: p }), hmacer)) as { auth: unknown };
      expect(JSON.parse(await text(event({ principal: p }), hmacer))).toEqual(first);
      // The same object with a field replaced (principals are read-only, but a memo must not outlive a change).
      const changed = [
        { ...p, policies: ['other'] },
        { ...p, accessor: 'acc-456' },
        { ...p, metadata: { role: 'admin' } },
      ];
      for (const q of changed) {
        const again = JSON.parse(await text(event({ principal: q }), hmacer)) as { auth: { policies: string[]; accessor_hmac: string; metadata: unknown } };
        expect(again.auth).not.toEqual(first.auth);
      }
      Object.assign(p, { displayName: 'renamed' });
      const renamed = JSON.parse(await text(event({ principal: p }), hmacer)) as { auth: { display_name: string } };
      expect(renamed.auth.display_name).toBe('renamed');
      // Another device key: another accessor HMAC, never the first device's memo.
      const other = await createHmacer(runtime.randomBytes(32), runtime, digests === 'node' ? createNodeAuditDigests() : createWebAuditDigests(runtime.subtle));
      const elsewhere = JSON.parse(await text(event({ principal: p }), other)) as { auth: { accessor_hmac: string } };
      expect(elsewhere.auth.accessor_hmac).toBe(await other.identifier('acc-123'));
      expect(elsewhere.auth.accessor_hmac.startsWith(HMAC_PREFIX)).toBe(true);
    });

    it('writes raw values only for a log_raw device, and remembers nothing for it', async () => {
      const hmacer = await hmacerOf();
      const raw = JSON.parse(await text(event({ requestData: { value: new Sensitive('visible') } }), hmacer, true)) as { auth: { accessor_hmac: string }; request: { data: unknown } };
      expect(raw.auth.accessor_hmac).toBe('acc-123');
      expect(raw.request.data).toEqual({ value: 'visible' });
      const hashed = JSON.parse(await text(event(), hmacer)) as { auth: { accessor_hmac: string } };
      expect(hashed.auth.accessor_hmac).toBe(await hmacer.identifier('acc-123'));
    });

    it('gives a frozen answer the same HMAC’d text on every hit', async () => {
      const hmacer = await hmacerOf();
      const answer = Object.freeze({ value: new Sensitive('cached'), nested: Object.freeze({ n: 1 }) });
      const a = await hmacer.dataJsonNow(answer);
      const b = await hmacer.dataJsonNow(answer);
      expect(b).toBe(a);
      expect(JSON.parse(a)).toEqual(await hmacer.data(answer));
      expect(await hmacer.dataJsonNow({})).toBe('{}');
      expect(await hmacer.dataJsonNow(undefined)).toBe('null');
    });
  });
}
