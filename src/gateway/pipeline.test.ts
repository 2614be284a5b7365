import { describe, expect, it } from 'vitest';
import { GatewayError, PermissionDeniedError, sensitive } from '../core/index.js';
import type { BackendRequest, Engine, MountCachePolicy, OperationRequest, OperationResponse } from '../core/index.js';
import type { AuditEvent } from '../audit/index.js';
import { createInProcessBus, createReadCache } from '../cache/index.js';
import type { Invalidation } from '../cache/index.js';
import { createRoutingTable } from '../router/index.js';
import { createPipeline } from './pipeline.js';

const POLICY: MountCachePolicy = { ttlMs: 60_000, negativeTtlMs: 0, staleIfErrorMs: 0 };

/** An engine whose answers a test chooses, counting calls. */
const engine = (answer: (req: BackendRequest, n: number) => Promise<OperationResponse>) => {
  const calls: BackendRequest[] = [];
  const e: Engine = { type: 'test', actions: [], handle: (req) => (calls.push(req), answer(req, calls.length)) };
  return { engine: e, calls };
};

const setup = (backend: Engine, opts: { policy?: MountCachePolicy | null; deny?: (path: string) => boolean } = {}) => {
  const bus = createInProcessBus();
  const published: Invalidation[] = [];
  bus.subscribe((inv) => published.push(inv));
  const cache = createReadCache({ maxEntries: 100, maxBytes: 1024 * 1024, now: () => 0, bus });
  const events: AuditEvent[] = [];
  const audit = { failing: false };
  const policy = opts.policy === undefined ? POLICY : opts.policy;
  const table = createRoutingTable([{ mount: { path: 'dyn/', id: 'mount-1', type: 'test' }, engine: backend, ...(policy === null ? {} : { cache: policy }) }]);
  const pipeline = createPipeline({
    table: () => table,
    now: () => 0,
    authorize: async (_principal, _op, path) => {
      if (opts.deny?.(path) === true) throw new PermissionDeniedError();
    },
    audit: {
      logRequest: async (event) => {
        if (audit.failing) throw new GatewayError('ERR_AUDIT_UNAVAILABLE', 'no device');
        events.push(event);
      },
      logResponse: async (event) => {
        events.push(event);
      },
      logPair: async (request, response) => {
        if (audit.failing) throw new GatewayError('ERR_AUDIT_UNAVAILABLE', 'no device');
        events.push(request, response);
      },
    },
    cache: { cache, bus },
  });
  const req = (path: string, extra: Partial<OperationRequest> = {}): OperationRequest => ({
    operation: 'read',
    path,
    data: {},
    params: {},
    preconditions: {},
    principal: { id: 'p', displayName: 'p', policies: [], expiresAt: null },
    requestId: 'r',
    signal: new AbortController().signal,
    ...extra,
  });
  return { pipeline, cache, events, audit, published, req };
};

const cacheable = async (): Promise<OperationResponse> => ({ data: { v: sensitive('secret') }, cache: { ttlMs: Infinity } });

describe('pipeline and the read cache', () => {
  it('never caches or shares lease-bearing answers, even on a caching mount', async () => {
    const b = engine(async (_req, n) => {
      await new Promise((r) => setTimeout(r, 10));
      return { data: { password: sensitive(`dyn-${n}`) }, lease: { id: `lease-${n}`, ttlMs: 1000, renewable: false }, cache: { ttlMs: Infinity } };
    });
    const { pipeline, cache, req } = setup(b.engine);
    const results = await Promise.all(Array.from({ length: 10 }, () => pipeline.handle(req('dyn/creds/role'))));
    expect(new Set(results.map((r) => r.response.lease?.id)).size).toBe(10);
    expect(b.calls).toHaveLength(10);
    expect(cache.stats().entries).toBe(0);
  });

  it('reads the caller\'s signal only when the backend runs, never on a hit, and hands the backend the same signal', async () => {
    const b = engine(cacheable);
    const { pipeline, req } = setup(b.engine);
    const lazy = (counter: { reads: number }, signal: AbortSignal): OperationRequest => {
      const r = req('dyn/lazy');
      Object.defineProperty(r, 'signal', {
        get: () => {
          counter.reads++;
          return signal;
        },
        enumerable: true,
        configurable: true,
      });
      return r;
    };
    const first = { reads: 0 };
    const signal = new AbortController().signal;
    await pipeline.handle(lazy(first, signal));
    expect(first.reads).toBeGreaterThan(0);
    // The shared load runs under the cache's own signal, cancelled only when every waiter is gone.
    expect(b.calls[0]?.signal.aborted).toBe(false);
    const second = { reads: 0 };
    const hit = await pipeline.handle(lazy(second, new AbortController().signal));
    expect(hit.cache).toBe('hit');
    expect(second.reads).toBe(0);
    // A write still gets the caller's own signal.
    const w = { reads: 0 };
    const writeSignal = new AbortController().signal;
    const write = lazy(w, writeSignal);
    write.operation = 'update';
    write.path = 'dyn/w';
    await pipeline.handle(write);
    expect(b.calls.at(-1)?.signal).toBe(writeSignal);
  });

  it('audits hits, and fails closed before the cache answers', async () => {
    const b = engine(cacheable);
    const { pipeline, events, audit, req } = setup(b.engine);
    await pipeline.handle(req('dyn/a'));
    const hit = await pipeline.handle(req('dyn/a'));
    expect(hit.cache).toBe('hit');
    expect(b.calls).toHaveLength(1);
    expect(events.map((e) => e.type)).toEqual(['request', 'response', 'request', 'response']);
    audit.failing = true;
    await expect(pipeline.handle(req('dyn/a'))).rejects.toMatchObject({ code: 'ERR_AUDIT_UNAVAILABLE' });
  });

  it('hands a hit\'s request and response records to logPair together, after authorization, and refuses the answer when the pair is not accepted', async () => {
    const b = engine(cacheable);
    const bus = createInProcessBus();
    const cache = createReadCache({ maxEntries: 100, maxBytes: 1024 * 1024, now: () => 0, bus });
    const table = createRoutingTable([{ mount: { path: 'dyn/', id: 'mount-1', type: 'test' }, engine: b.engine, cache: POLICY }]);
    const calls: string[] = [];
    let failing = false;
    const pipeline = createPipeline({
      table: () => table,
      now: () => 0,
      authorize: async () => {
        calls.push('authorize');
      },
      audit: {
        logRequest: async (e) => void calls.push(`request ${e.cache ?? ''}`),
        logResponse: async (e) => void calls.push(`response ${e.cache ?? ''}`),
        logPair: async (request, response) => {
          calls.push(`pair ${request.type}/${response.type} ${response.cache ?? ''} ${request.requestId === response.requestId}`);
          if (failing) throw new GatewayError('ERR_AUDIT_UNAVAILABLE', 'no device');
        },
      },
      cache: { cache, bus },
    });
    const req: OperationRequest = { operation: 'read', path: 'dyn/a', data: {}, params: {}, preconditions: {}, principal: { id: 'p', displayName: 'p', policies: [], expiresAt: null }, requestId: 'r', signal: new AbortController().signal };
    await pipeline.handle(req);
    const hit = await pipeline.handle(req);
    expect(hit).toMatchObject({ cache: 'hit', shared: true });
    expect(calls).toEqual(['authorize', 'request ', 'response miss', 'authorize', 'pair request/response hit true']);
    failing = true;
    await expect(pipeline.handle(req)).rejects.toMatchObject({ code: 'ERR_AUDIT_UNAVAILABLE' });
    expect(b.calls).toHaveLength(1);
  });

  it('authorizes before the cache: a denied caller gets nothing from it', async () => {
    const b = engine(cacheable);
    const { pipeline, req } = setup(b.engine, { deny: (path) => path === 'dyn/a' && denied });
    let denied = false;
    await pipeline.handle(req('dyn/a'));
    denied = true;
    await expect(pipeline.handle(req('dyn/a'))).rejects.toMatchObject({ code: 'ERR_PERMISSION_DENIED' });
  });

  it('skips the cache for conditional reads, and records a bypass on the audit records, in clear', async () => {
    const b = engine(cacheable);
    const { pipeline, events, req } = setup(b.engine);
    await pipeline.handle(req('dyn/a'));
    const conditional = await pipeline.handle(req('dyn/a', { preconditions: { ifNoneMatch: ['1'] } }));
    expect(conditional.cache).toBeUndefined();
    const bypassed = await pipeline.handle(req('dyn/a', { bypassCache: true, params: { version: '1' } }));
    expect(bypassed.cache).toBe('bypass');
    expect(b.calls).toHaveLength(3);
    // The backend never sees the marker; the audit record does.
    expect(b.calls[2]?.params).toEqual({ version: '1' });
    expect(events.filter((e) => e.type === 'request').map((e) => [e.params, e.cache ?? null])).toEqual([
      [{}, null],
      [{}, null],
      [{ version: '1' }, 'bypass'],
    ]);
    expect(events.filter((e) => e.type === 'response').map((e) => e.cache ?? null)).toEqual(['miss', null, 'bypass']);
  });

  it('publishes an invalidation for every write, also a failed one, and none for reads or uncached mounts', async () => {
    const b = engine(async (req) => {
      if (req.data.fail === true) throw new GatewayError('ERR_UPSTREAM_TIMEOUT', 'timed out');
      return req.operation === 'read' ? cacheable() : { data: {}, cache: 'no-store' };
    });
    const { pipeline, published, req } = setup(b.engine);
    await pipeline.handle(req('dyn/a'));
    await pipeline.handle(req('dyn/a', { operation: 'list' }));
    expect(published).toEqual([]);
    for (const operation of ['update', 'patch', 'delete', 'rotate', 'undelete', 'destroy', 'write-metadata', 'patch-metadata', 'delete-metadata'] as const) {
      await pipeline.handle(req('dyn/x/y', { operation }));
    }
    await expect(pipeline.handle(req('dyn/x/y', { operation: 'update', data: { fail: true } }))).rejects.toMatchObject({ code: 'ERR_UPSTREAM_TIMEOUT' });
    expect(published).toHaveLength(10);
    expect(new Set(published.map((p) => JSON.stringify(p)))).toEqual(new Set([JSON.stringify({ kind: 'path', mountId: 'mount-1', path: 'x/y' })]));

    const plain = setup(engine(cacheable).engine, { policy: null });
    await plain.pipeline.handle(plain.req('dyn/a', { operation: 'update' }));
    const read = await plain.pipeline.handle(plain.req('dyn/a'));
    expect(read.cache).toBeUndefined();
    expect(plain.published).toEqual([]);
  });
});
