/**
 * A cloud-shaped store through the whole gateway (the memory provider as `memory-store`):
 * the KV contract, stages, deletes, tags, rotation with verification, and the resilience
 * rules (429 with Retry-After, timeouts, the circuit breaker) while other mounts keep serving.
 */
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { z } from 'zod';
import { afterEach, describe, expect, it } from 'vitest';
import { GCP_NAMING, createMemoryProvider } from '../src/providers/index.js';
import type { ProviderDefinition } from '../src/providers/index.js';
import { createTestGateway } from './helpers/in-process.js';
import type { TestGateway } from './helpers/in-process.js';

let gw: TestGateway | undefined;
let hook: Server | undefined;
afterEach(async () => {
  await gw?.close();
  gw = undefined;
  await new Promise<void>((resolve) => (hook === undefined ? resolve() : hook.close(() => resolve())));
  hook = undefined;
});

const setup = async (options: Record<string, unknown> = {}) => {
  const instances: ReturnType<typeof createMemoryProvider>[] = [];
  const definition: ProviderDefinition = {
    type: 'memory-store',
    options: z.strictObject({}),
    naming: GCP_NAMING,
    createPort: () => {
      const p = createMemoryProvider();
      instances.push(p);
      return p;
    },
  };
  gw = await createTestGateway({ providers: [definition], config: { mounts: [{ path: '', type: 'kv' }, { path: 'cloud', type: 'memory-store', options }] } });
  const provider = instances[instances.length - 1];
  if (provider === undefined) throw new Error('no provider');
  return { g: gw, provider };
};

describe('the KV contract on a cloud mount', () => {
  it('reads and writes JSON, text and binary secrets, with versions and stages', async () => {
    const { g } = await setup();
    const put = await g.call('PUT', '/api/v1/secrets/cloud/payments/db', { body: { username: 'app', password: 'one' } });
    expect(put.status, put.text).toBe(200);
    const v1 = put.body.data.version as string;
    await g.call('PUT', '/api/v1/secrets/cloud/payments/db', { body: { username: 'app', password: 'two' } });
    const current = await g.call('GET', '/api/v1/secrets/cloud/payments/db');
    expect(current.body.data).toEqual({ username: 'app', password: 'two' });
    expect(current.body.metadata).toMatchObject({ mount: 'cloud/', backend: 'memory-store', stages: ['current'], format: 'json' });
    expect((await g.call('GET', '/api/v1/secrets/cloud/payments/db?version=previous')).body.data.password).toBe('one');
    expect((await g.call('GET', `/api/v1/secrets/cloud/payments/db?version=${v1}`)).body.data.password).toBe('one');
    expect((await g.call('GET', '/api/v1/secrets/cloud/payments/db?version=AWSPREVIOUS')).body.data.password).toBe('one');

    await g.call('PUT', '/api/v1/secrets/cloud/plain?format=text', { body: { value: 'just a string' } });
    expect((await g.call('GET', '/api/v1/secrets/cloud/plain')).body.data).toEqual({ value: 'just a string' });
    await g.call('PUT', '/api/v1/secrets/cloud/blob?format=binary', { body: { value: btoa('\u0000\u0001\u00ff') } });
    expect((await g.call('GET', '/api/v1/secrets/cloud/blob')).body.data).toEqual({ value: btoa('\u0000\u0001\u00ff'), encoding: 'base64' });
  });

  it('honours If-None-Match and If-Match with version ids', async () => {
    const { g } = await setup();
    expect((await g.call('PUT', '/api/v1/secrets/cloud/c', { body: { a: 1 }, headers: { 'if-none-match': '*' } })).status).toBe(200);
    expect((await g.call('PUT', '/api/v1/secrets/cloud/c', { body: { a: 2 }, headers: { 'if-none-match': '*' } })).status).toBe(412);
    const current = (await g.call('GET', '/api/v1/secrets/cloud/c')).headers.get('etag') ?? '';
    expect((await g.call('PUT', '/api/v1/secrets/cloud/c', { body: { a: 2 }, headers: { 'if-match': current } })).status).toBe(200);
    expect((await g.call('PUT', '/api/v1/secrets/cloud/c', { body: { a: 3 }, headers: { 'if-match': current } })).status).toBe(412);
  });

  it('lists one level down with paging, deletes recoverably, restores, and deletes for good', async () => {
    const { g } = await setup();
    for (const p of ['app/a', 'app/b', 'app/sub/c', 'other']) await g.call('PUT', `/api/v1/secrets/cloud/${p}`, { body: { v: p } });
    expect((await g.call('GET', '/api/v1/secrets/cloud/app/?list=true')).body.data.keys).toEqual(['a', 'b', 'sub/']);
    expect((await g.call('GET', '/api/v1/secrets/cloud/?list=true')).body.data.keys).toEqual(['app/', 'other']);
    expect((await g.call('GET', '/api/v1/secrets/cloud/app/?list=true&limit=1&after=a')).body.data.keys).toEqual(['b']);
    expect((await g.call('DELETE', '/api/v1/secrets/cloud/app/a')).status).toBe(204);
    expect((await g.call('GET', '/api/v1/secrets/cloud/app/a')).status).toBe(404);
    expect((await g.call('POST', '/api/v1/secrets/cloud/app/a/undelete', { body: {} })).status).toBe(204);
    expect((await g.call('GET', '/api/v1/secrets/cloud/app/a')).body.data).toEqual({ v: 'app/a' });
    expect((await g.call('DELETE', '/api/v1/secrets/cloud/app/a?force=true')).status).toBe(204);
    expect((await g.call('POST', '/api/v1/secrets/cloud/app/a/undelete', { body: {} })).status).toBe(404);
  });

  it('refuses to delete secrets Keygate did not create', async () => {
    const { g, provider } = await setup();
    await provider.create('someone_2Felses', { kind: 'text', text: new (await import('../src/core/index.js')).Sensitive('x') }, {}, AbortSignal.timeout(1000));
    const res = await g.call('DELETE', '/api/v1/secrets/cloud/someone/elses');
    expect(res.status).toBe(409);
    expect((await g.call('GET', '/api/v1/secrets/cloud/someone/elses')).status).toBe(200);
  });

  it('reads and writes tags, refusing Keygate’s own', async () => {
    const { g } = await setup();
    await g.call('PUT', '/api/v1/secrets/cloud/t', { body: { a: 1 } });
    expect((await g.call('PATCH', '/api/v1/metadata/cloud/t', { body: { tags: { team: 'payments' } } })).status).toBe(204);
    const meta = await g.call('GET', '/api/v1/metadata/cloud/t');
    expect(meta.body.data).toMatchObject({ managed: true, tags: { team: 'payments', 'keygate-managed': 'true' } });
    expect(meta.body.data.versions[0].stages).toEqual(['current']);
    expect((await g.call('PATCH', '/api/v1/metadata/cloud/t', { body: { tags: { 'keygate-managed': 'false' } } })).status).toBe(400);
    expect((await g.call('PATCH', '/api/v1/metadata/cloud/t', { body: { remove_tags: ['team'] } })).status).toBe(204);
    expect((await g.call('GET', '/api/v1/metadata/cloud/t')).body.data.tags.team).toBeUndefined();
  });

  it('refuses paths the cloud cannot name with 400', async () => {
    const { g } = await setup();
    const res = await g.call('PUT', `/api/v1/secrets/cloud/${'x/'.repeat(100)}y`, { body: { a: 1 } });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('ERR_VALIDATION');
  });
});

describe('rotation', () => {
  const startHook = async (status: number) => {
    const calls: unknown[] = [];
    hook = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        calls.push(JSON.parse(body));
        res.writeHead(status).end();
      });
    });
    await new Promise<void>((resolve) => hook?.listen(0, '127.0.0.1', resolve));
    const address = hook.address();
    return { url: `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}/verify`, calls };
  };

  it('rotates through pending with a verification webhook, keeping the old value as previous', async () => {
    const verifier = await startHook(200);
    const { g } = await setup({ rotation_webhooks: ['http://127.0.0.1:'] });
    await g.call('PUT', '/api/v1/secrets/cloud/db', { body: { username: 'app', password: 'old' } });
    expect((await g.call('PATCH', '/api/v1/metadata/cloud/db', { body: { rotation: { fields: ['password'], length: 24, webhook: { url: verifier.url } } } })).status).toBe(204);
    const rotated = await g.call('POST', '/api/v1/secrets/cloud/db/rotate');
    expect(rotated.status, rotated.text).toBe(200);
    expect(rotated.body.data.rotated_fields).toEqual(['password']);
    expect(verifier.calls).toEqual([{ mount: 'cloud/', path: 'db', version: rotated.body.data.version }]);
    const now = await g.call('GET', '/api/v1/secrets/cloud/db');
    expect(now.body.data.password).toMatch(/^[A-Za-z0-9]{24}$/);
    expect(now.body.data.username).toBe('app');
    expect((await g.call('GET', '/api/v1/secrets/cloud/db?version=previous')).body.data.password).toBe('old');
    expect(rotated.text).not.toContain(now.body.data.password);
  });

  it('rolls back when verification fails, leaving current untouched and no pending version', async () => {
    const verifier = await startHook(500);
    const { g } = await setup({ rotation_webhooks: ['http://127.0.0.1:'] });
    await g.call('PUT', '/api/v1/secrets/cloud/db', { body: { password: 'old' } });
    await g.call('PATCH', '/api/v1/metadata/cloud/db', { body: { rotation: { fields: ['password'], webhook: { url: verifier.url } } } });
    const res = await g.call('POST', '/api/v1/secrets/cloud/db/rotate');
    expect(res.status).toBe(502);
    expect(res.body.error.code).toBe('ERR_UPSTREAM_ROTATION_FAILED');
    expect((await g.call('GET', '/api/v1/secrets/cloud/db')).body.data.password).toBe('old');
    expect((await g.call('GET', '/api/v1/secrets/cloud/db?version=pending')).status).toBe(404);
  });

  it('refuses webhooks the mount does not allow', async () => {
    const { g } = await setup();
    await g.call('PUT', '/api/v1/secrets/cloud/db', { body: { password: 'old' } });
    const res = await g.call('PATCH', '/api/v1/metadata/cloud/db', { body: { rotation: { fields: ['password'], webhook: { url: 'http://169.254.169.254/latest' } } } });
    expect(res.status).toBe(400);
  });

  it('runs scheduled rotations from the gateway’s scheduler', async () => {
    let now = Date.now();
    const instances: ReturnType<typeof createMemoryProvider>[] = [];
    gw = await createTestGateway({
      runtime: { now: () => now },
      providers: [{ type: 'memory-store', options: z.strictObject({}), naming: GCP_NAMING, createPort: () => (instances.push(createMemoryProvider()), instances[instances.length - 1] ?? createMemoryProvider()) }],
      config: { mounts: [{ path: '', type: 'kv' }, { path: 'cloud', type: 'memory-store' }] },
    });
    await gw.call('PUT', '/api/v1/secrets/cloud/db', { body: { password: 'old' } });
    await gw.call('PATCH', '/api/v1/metadata/cloud/db', { body: { rotation: { fields: ['password'], interval: '1h' } } });
    await gw.core.scheduler.runOnce();
    const first = (await gw.call('GET', '/api/v1/secrets/cloud/db')).body.data.password as string;
    expect(first).not.toBe('old');
    await gw.core.scheduler.runOnce();
    expect((await gw.call('GET', '/api/v1/secrets/cloud/db')).body.data.password).toBe(first);
    now += 2 * 3_600_000;
    await gw.core.scheduler.runOnce();
    expect((await gw.call('GET', '/api/v1/secrets/cloud/db')).body.data.password).not.toBe(first);
  });
});

describe('resilience', () => {
  it('answers 429 with Retry-After when the store throttles', async () => {
    const { g, provider } = await setup({ max_attempts: 2 });
    await g.call('PUT', '/api/v1/secrets/cloud/x', { body: { a: 1 } });
    provider.faults.failWith = 'throttled';
    const res = await g.call('GET', '/api/v1/secrets/cloud/x');
    expect(res.status).toBe(429);
    expect(res.body.error.code).toBe('ERR_UPSTREAM_THROTTLED');
    expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(provider.faults.calls.read).toBe(2);
  });

  it('fails a hanging store within its timeout', async () => {
    const { g, provider } = await setup({ timeout: '200ms', max_attempts: 1 });
    await g.call('PUT', '/api/v1/secrets/cloud/x', { body: { a: 1 } });
    provider.faults.delayMs = 10_000;
    const started = Date.now();
    const res = await g.call('GET', '/api/v1/secrets/cloud/x');
    expect(res.status).toBe(504);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('opens the circuit for a dead store while other mounts keep serving', async () => {
    const { g, provider } = await setup({ breaker_threshold: 3, max_attempts: 1 });
    await g.call('PUT', '/api/v1/secrets/cloud/x', { body: { a: 1 } });
    await g.call('PUT', '/api/v1/secrets/local', { body: { ok: true } });
    provider.faults.failWith = 'unavailable';
    for (let i = 0; i < 3; i++) expect((await g.call('GET', '/api/v1/secrets/cloud/x')).status).toBe(503);
    const callsBefore = provider.faults.calls.read ?? 0;
    const fast = await g.call('GET', '/api/v1/secrets/cloud/x');
    expect(fast.status).toBe(503);
    expect(provider.faults.calls.read ?? 0).toBe(callsBefore);
    expect((await g.call('GET', '/api/v1/secrets/local')).body.data).toEqual({ ok: true });
  });

  it('reports the mount check in sys/mounts and health, and on demand', async () => {
    const { g, provider } = await setup();
    provider.faults.failWith = 'unauthorized';
    const check = await g.call('POST', '/api/v1/sys/mounts/cloud/validate');
    expect(check.body.data).toMatchObject({ ok: false, error: 'ERR_UPSTREAM_AUTH' });
    expect((await g.call('GET', '/api/v1/sys/mounts')).body.data['cloud/'].status).toMatchObject({ ok: false });
    const health = await g.call('GET', '/health', { token: null });
    expect(health.status).toBe(200);
    expect(health.body.status).toBe('degraded');
    provider.faults.failWith = null;
    expect((await g.call('POST', '/api/v1/sys/mounts/cloud/validate')).body.data.ok).toBe(true);
  });
});
