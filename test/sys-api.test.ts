import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createMemoryStorage } from '../src/storage/index.js';
import { createTestGateway } from './helpers/in-process.js';
import type { TestGateway } from './helpers/in-process.js';

let gw: TestGateway;
beforeEach(async () => {
  gw = await createTestGateway();
});
afterEach(async () => {
  await gw.close();
});

describe('sys/mounts', () => {
  it('lists the embedded default route', async () => {
    const res = await gw.call('GET', '/api/v1/sys/mounts');
    expect(res.status).toBe(200);
    expect(res.body.data['']).toMatchObject({ type: 'kv', source: 'config' });
  });

  it('creates a mount, routes to it by longest prefix, and keeps its data apart', async () => {
    expect((await gw.call('POST', '/api/v1/sys/mounts/team', { body: { type: 'kv', description: 'team secrets', options: { max_versions: 3 } } })).status).toBe(204);
    const read = await gw.call('GET', '/api/v1/sys/mounts/team');
    expect(read.body.data).toMatchObject({ type: 'kv', description: 'team secrets', options: { max_versions: 3 }, source: 'api' });

    await gw.call('PUT', '/api/v1/secrets/team/api-key', { body: { v: 'team' } });
    const got = await gw.call('GET', '/api/v1/secrets/team/api-key');
    expect(got.body.metadata).toMatchObject({ mount: 'team/', backend: 'kv' });
    expect((await gw.call('GET', '/api/v1/secrets/?list=true')).body.data.keys).toEqual([]);
    expect((await gw.call('GET', '/api/v1/secrets/team/?list=true')).body.data.keys).toEqual(['api-key']);
  });

  it('refuses overlapping, duplicate, unknown-type and badly-optioned mounts with 4xx', async () => {
    await gw.call('POST', '/api/v1/sys/mounts/a', { body: { type: 'kv' } });
    expect((await gw.call('POST', '/api/v1/sys/mounts/a', { body: { type: 'kv' } })).body.error.code).toBe('ERR_CONFLICT');
    expect((await gw.call('POST', '/api/v1/sys/mounts/a/b', { body: { type: 'kv' } })).body.error.code).toBe('ERR_CONFLICT');
    const unknown = await gw.call('POST', '/api/v1/sys/mounts/c', { body: { type: 'nope' } });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.details[0].field).toBe('type');
    const badOptions = await gw.call('POST', '/api/v1/sys/mounts/d', { body: { type: 'kv', options: { max_versions: -1 } } });
    expect(badOptions.status).toBe(400);
    expect(JSON.stringify(badOptions.body.error.details)).toContain('max_versions');
    expect((await gw.call('POST', '/api/v1/sys/mounts/bad%20name', { body: { type: 'kv' } })).status).toBe(400);
    expect((await gw.call('GET', '/api/v1/sys/mounts/d')).status).toBe(404);
  });

  it('removes a run-time mount with its data, but not a config mount', async () => {
    await gw.call('POST', '/api/v1/sys/mounts/tmp', { body: { type: 'kv' } });
    await gw.call('PUT', '/api/v1/secrets/tmp/x', { body: { v: 1 } });
    const id = (await gw.call('GET', '/api/v1/sys/mounts/tmp')).body.data.uuid as string;
    expect((await gw.call('DELETE', '/api/v1/sys/mounts/tmp')).status).toBe(204);
    expect((await gw.storage.list(`logical/${id}/`)).length).toBe(0);
    // The path now falls back to the default route, where nothing lives.
    expect((await gw.call('GET', '/api/v1/secrets/tmp/x')).status).toBe(404);
    expect((await gw.call('DELETE', '/api/v1/sys/mounts/tmp')).status).toBe(404);
    expect((await gw.call('DELETE', '/api/v1/sys/mounts/')).status).toBeGreaterThanOrEqual(400);
  });

  it('keeps run-time mounts and their data across a restart', async () => {
    const storage = createMemoryStorage();
    const key = new Uint8Array(32).fill(3);
    const first = await createTestGateway({ storage, key });
    await first.call('POST', '/api/v1/sys/mounts/keep', { body: { type: 'kv' } });
    await first.call('PUT', '/api/v1/secrets/keep/x', { body: { v: 'kept' } });
    await first.call('PUT', '/api/v1/secrets/root-level', { body: { v: 'default' } });
    await first.core.seal();

    const second = await createTestGateway({ storage, key });
    expect(second.started.initialized).toBe(false);
    expect(second.tokens).toEqual([]);
    // The root token from the first start still works.
    expect((await second.call('GET', '/api/v1/secrets/keep/x', { token: first.rootToken })).body.data).toEqual({ v: 'kept' });
    expect((await second.call('GET', '/api/v1/secrets/root-level', { token: first.rootToken })).body.data).toEqual({ v: 'default' });
    await second.close();
  });

  it('requires the root token', async () => {
    expect((await gw.call('GET', '/api/v1/sys/mounts', { token: null })).status).toBe(401);
    expect((await gw.call('POST', '/api/v1/sys/mounts/x', { token: 'kg.nope', body: { type: 'kv' } })).status).toBe(401);
  });
});

describe('sys/seal-status', () => {
  it('reports without a token', async () => {
    const res = await gw.call('GET', '/api/v1/sys/seal-status', { token: null });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ type: 'dev-key-file', initialized: true, sealed: false, version: 'test', storage_type: 'memory' });
  });
});
