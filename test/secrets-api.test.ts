import { Validator } from '@seriousme/openapi-schema-validator';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestGateway } from './helpers/in-process.js';
import type { TestGateway } from './helpers/in-process.js';

let gw: TestGateway;
beforeEach(async () => {
  gw = await createTestGateway();
});
afterEach(async () => {
  await gw.close();
});

describe('the seed quick start', () => {
  it('writes, reads and reports health exactly as the README shows', async () => {
    const put = await gw.call('PUT', '/api/v1/secrets/database/postgres', { body: { username: 'admin', password: 'secure123' } });
    expect(put.status).toBe(200);
    expect(put.body.data).toMatchObject({ version: 1 });
    expect(Date.parse(put.body.data.created_time)).not.toBeNaN();

    const get = await gw.call('GET', '/api/v1/secrets/database/postgres');
    expect(get.status).toBe(200);
    expect(get.body.data).toEqual({ username: 'admin', password: 'secure123' });
    expect(get.body.metadata).toMatchObject({ version: 1, mount: '', backend: 'kv' });
    expect(get.headers.get('etag')).toBe('"1"');
    expect(get.headers.get('cache-control')).toBe('no-store');
    expect(get.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);

    const health = await gw.call('GET', '/health', { token: null });
    expect(health.status).toBe(200);
    expect(health.body).toMatchObject({ status: 'ok', sealed: false, version: 'test' });
  });

  it('accepts the token as X-Vault-Token too', async () => {
    const res = await gw.call('PUT', '/api/v1/secrets/a', { token: null, headers: { 'x-vault-token': gw.rootToken }, body: { k: 'v' } });
    expect(res.status).toBe(200);
  });
});

describe('versions', () => {
  it('creates a new version per write and reads older ones with ?version=', async () => {
    for (let i = 1; i <= 3; i++) {
      const r = await gw.call('PUT', '/api/v1/secrets/app/config', { body: { n: i } });
      expect(r.body.data.version).toBe(i);
    }
    expect((await gw.call('GET', '/api/v1/secrets/app/config')).body.data).toEqual({ n: 3 });
    const v1 = await gw.call('GET', '/api/v1/secrets/app/config?version=1');
    expect(v1.body.data).toEqual({ n: 1 });
    expect(v1.headers.get('etag')).toBe('"1"');
    expect((await gw.call('GET', '/api/v1/secrets/app/config?version=9')).status).toBe(404);
    expect((await gw.call('GET', '/api/v1/secrets/app/config?version=abc')).body.error.code).toBe('ERR_VALIDATION');
  });

  it('keeps the last max_versions versions of a mount', async () => {
    await gw.close();
    gw = await createTestGateway({ config: { mounts: [{ path: '', type: 'kv', options: { max_versions: 2 } }] } });
    for (let i = 1; i <= 3; i++) await gw.call('PUT', '/api/v1/secrets/s', { body: { n: i } });
    expect((await gw.call('GET', '/api/v1/secrets/s?version=1')).status).toBe(404);
    expect((await gw.call('GET', '/api/v1/secrets/s?version=2')).body.data).toEqual({ n: 2 });
  });

  it('404s for an absent secret with a stable code and a request id', async () => {
    const res = await gw.call('GET', '/api/v1/secrets/nope');
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('ERR_NOT_FOUND');
    expect(res.body.error.request_id).toBe(res.headers.get('x-request-id'));
  });
});

describe('optimistic concurrency', () => {
  it('If-None-Match: * creates only', async () => {
    expect((await gw.call('PUT', '/api/v1/secrets/c', { body: { a: 1 }, headers: { 'if-none-match': '*' } })).status).toBe(200);
    const again = await gw.call('PUT', '/api/v1/secrets/c', { body: { a: 2 }, headers: { 'if-none-match': '*' } });
    expect(again.status).toBe(412);
    expect(again.body.error.code).toBe('ERR_PRECONDITION_FAILED');
  });

  it('If-Match: "<version>" must equal the current version', async () => {
    await gw.call('PUT', '/api/v1/secrets/c', { body: { a: 1 } });
    expect((await gw.call('PUT', '/api/v1/secrets/c', { body: { a: 2 }, headers: { 'if-match': '"2"' } })).status).toBe(412);
    const ok = await gw.call('PUT', '/api/v1/secrets/c', { body: { a: 2 }, headers: { 'if-match': '"1"' } });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('etag')).toBe('"2"');
  });

  it('?cas= has Vault semantics', async () => {
    expect((await gw.call('PUT', '/api/v1/secrets/c?cas=0', { body: { a: 1 } })).status).toBe(200);
    expect((await gw.call('PUT', '/api/v1/secrets/c?cas=0', { body: { a: 1 } })).status).toBe(412);
    expect((await gw.call('PUT', '/api/v1/secrets/c?cas=1', { body: { a: 2 } })).status).toBe(200);
    expect((await gw.call('PUT', '/api/v1/secrets/c?cas=1', { body: { a: 3 } })).status).toBe(412);
  });
});

describe('delete, undelete, destroy', () => {
  beforeEach(async () => {
    for (let i = 1; i <= 3; i++) await gw.call('PUT', '/api/v1/secrets/d', { body: { n: i } });
  });

  it('soft-deletes the latest version and undeletes it', async () => {
    expect((await gw.call('DELETE', '/api/v1/secrets/d')).status).toBe(204);
    expect((await gw.call('GET', '/api/v1/secrets/d')).status).toBe(404);
    expect((await gw.call('GET', '/api/v1/secrets/d?version=2')).body.data).toEqual({ n: 2 });
    expect((await gw.call('POST', '/api/v1/secrets/d/undelete', { body: { versions: [3] } })).status).toBe(204);
    expect((await gw.call('GET', '/api/v1/secrets/d')).body.data).toEqual({ n: 3 });
  });

  it('deletes chosen versions with ?versions=', async () => {
    expect((await gw.call('DELETE', '/api/v1/secrets/d?versions=1,2')).status).toBe(204);
    expect((await gw.call('GET', '/api/v1/secrets/d?version=1')).status).toBe(404);
    expect((await gw.call('GET', '/api/v1/secrets/d?version=2')).status).toBe(404);
    expect((await gw.call('GET', '/api/v1/secrets/d')).status).toBe(200);
  });

  it('destroys permanently: undelete cannot bring it back', async () => {
    expect((await gw.call('POST', '/api/v1/secrets/d/destroy', { body: { versions: [3] } })).status).toBe(204);
    expect((await gw.call('GET', '/api/v1/secrets/d')).status).toBe(404);
    await gw.call('POST', '/api/v1/secrets/d/undelete', { body: { versions: [3] } });
    expect((await gw.call('GET', '/api/v1/secrets/d')).status).toBe(404);
    const meta = await gw.call('GET', '/api/v1/metadata/d');
    expect(meta.body.data.versions['3'].destroyed).toBe(true);
  });
});

describe('metadata', () => {
  it('reads, updates, patches and deletes metadata', async () => {
    await gw.call('PUT', '/api/v1/secrets/m', { body: { a: 1 } });
    await gw.call('PUT', '/api/v1/secrets/m', { body: { a: 2 } });
    const read = await gw.call('GET', '/api/v1/metadata/m');
    expect(read.status).toBe(200);
    expect(read.body.data).toMatchObject({ current_version: 2, oldest_version: 1 });
    expect(Object.keys(read.body.data.versions)).toEqual(['1', '2']);
    expect(read.body.metadata).toMatchObject({ backend: 'kv' });

    expect((await gw.call('PUT', '/api/v1/metadata/m', { body: { max_versions: 5, custom_metadata: { owner: 'team-a' } } })).status).toBe(204);
    expect((await gw.call('PATCH', '/api/v1/metadata/m', { body: { custom_metadata: { tier: 'gold' } } })).status).toBe(204);
    const after = await gw.call('GET', '/api/v1/metadata/m');
    expect(after.body.data).toMatchObject({ max_versions: 5, custom_metadata: { owner: 'team-a', tier: 'gold' } });

    expect((await gw.call('DELETE', '/api/v1/metadata/m')).status).toBe(204);
    expect((await gw.call('GET', '/api/v1/secrets/m?version=1')).status).toBe(404);
    expect((await gw.call('GET', '/api/v1/metadata/m')).status).toBe(404);
  });

  it('refuses unknown metadata fields naming them', async () => {
    const res = await gw.call('PUT', '/api/v1/metadata/m', { body: { max_version: 3 } });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('ERR_VALIDATION');
    expect(JSON.stringify(res.body.error.details)).toContain('max_version');
  });
});

describe('listing', () => {
  it('lists one level down, sorted, folders ending in "/"', async () => {
    for (const p of ['app/b', 'app/a', 'app/sub/x', 'app/sub/y', 'other']) await gw.call('PUT', `/api/v1/secrets/${p}`, { body: { v: p } });
    const res = await gw.call('GET', '/api/v1/secrets/app/?list=true');
    expect(res.status).toBe(200);
    expect(res.body.data.keys).toEqual(['a', 'b', 'sub/']);
    expect((await gw.call('GET', '/api/v1/secrets/app?list=true')).body.data.keys).toEqual(['a', 'b', 'sub/']);
    expect((await gw.call('LIST', '/api/v1/secrets/app/')).body.data.keys).toEqual(['a', 'b', 'sub/']);
    expect((await gw.call('GET', '/api/v1/secrets/?list=true')).body.data.keys).toEqual(['app/', 'other']);
    expect((await gw.call('GET', '/api/v1/secrets/none/?list=true')).body.data.keys).toEqual([]);
  });

  it('pages with after and limit', async () => {
    const names = Array.from({ length: 25 }, (_, i) => `k${String(i).padStart(2, '0')}`);
    for (const n of names) await gw.call('PUT', `/api/v1/secrets/p/${n}`, { body: { n } });
    const seen: string[] = [];
    let after: string | undefined;
    for (let page = 0; page < 10; page++) {
      const res = await gw.call('GET', `/api/v1/secrets/p/?list=true&limit=10${after ? `&after=${after}` : ''}`);
      seen.push(...res.body.data.keys);
      if (res.body.data.keys.length < 10) break;
      after = res.body.data.keys[res.body.data.keys.length - 1];
    }
    expect(seen).toEqual(names);
    expect((await gw.call('GET', '/api/v1/secrets/p/?list=true&limit=0')).status).toBe(400);
    expect((await gw.call('GET', '/api/v1/secrets/p/?list=true&limit=5000')).status).toBe(400);
  });
});

describe('rotate', () => {
  it('generates new values for configured fields and returns the version, not the values', async () => {
    await gw.call('PUT', '/api/v1/secrets/db/creds', { body: { username: 'svc', password: 'old-password' } });
    const unconfigured = await gw.call('POST', '/api/v1/secrets/db/creds/rotate');
    expect(unconfigured.status).toBe(400);

    await gw.call('PATCH', '/api/v1/metadata/db/creds', { body: { rotation: { fields: ['password'], length: 40, alphabet: 'alphanumeric' } } });
    const rotated = await gw.call('POST', '/api/v1/secrets/db/creds/rotate');
    expect(rotated.status).toBe(200);
    expect(rotated.body.data.version).toBe(2);
    const now = await gw.call('GET', '/api/v1/secrets/db/creds');
    expect(now.body.data.username).toBe('svc');
    expect(now.body.data.password).toMatch(/^[A-Za-z0-9]{40}$/);
    expect(rotated.text).not.toContain(now.body.data.password);
  });

  it('treats a single-segment "rotate" as an ordinary secret name', async () => {
    expect((await gw.call('POST', '/api/v1/secrets/rotate', { body: { a: 1 } })).status).toBe(200);
    expect((await gw.call('GET', '/api/v1/secrets/rotate')).body.data).toEqual({ a: 1 });
  });
});

describe('patch', () => {
  it('applies a JSON merge patch as a new version', async () => {
    await gw.call('PUT', '/api/v1/secrets/pt', { body: { a: 1, b: 2 } });
    const res = await gw.call('PATCH', '/api/v1/secrets/pt', { body: { b: null, c: 3 }, headers: { 'content-type': 'application/merge-patch+json' } });
    expect(res.status).toBe(200);
    expect((await gw.call('GET', '/api/v1/secrets/pt')).body.data).toEqual({ a: 1, c: 3 });
  });
});

describe('help and the API reference', () => {
  it('serves help for an engine path', async () => {
    const res = await gw.call('GET', '/api/v1/secrets/anything?help=1');
    expect(res.status).toBe(200);
    expect(res.body.data.synopsis).toEqual(expect.any(String));
  });

  it('serves an OpenAPI 3.1 document and a rendered page without a token', async () => {
    const doc = await gw.call('GET', '/api/v1/openapi.json', { token: null });
    expect(doc.status).toBe(200);
    expect(doc.body.openapi).toBe('3.1.0');
    expect(doc.body.paths['/api/v1/secrets/{path}'].get).toBeDefined();
    expect(doc.body.paths['/api/v1/secrets/{path}'].put.requestBody).toBeDefined();
    expect(doc.body.paths['/api/v1/sys/unseal'].post.requestBody).toBeDefined();
    // Every local reference resolves.
    const refs = [...doc.text.matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)].map((m) => m[1] ?? '');
    for (const ref of refs) expect(doc.body.components.schemas[ref], ref).toBeDefined();
    const validation = await new Validator().validate(doc.body);
    expect(validation.errors ?? []).toEqual([]);
    expect(validation.valid).toBe(true);
    const ids = Object.values(doc.body.paths as Record<string, Record<string, { operationId: string }>>).flatMap((ops) => Object.values(ops).map((o) => o.operationId));
    expect(new Set(ids).size).toBe(ids.length);
    expect(doc.body.paths['/api/v1/auth/{mount}/login'].post.security).toEqual([]);
    expect(doc.body.paths['/api/v1/sys/policies/acl/{name}'].put).toBeDefined();
    // Every templated path parameter is declared.
    for (const [path, ops] of Object.entries(doc.body.paths as Record<string, Record<string, { parameters?: { name: string; in: string }[] }>>)) {
      const templated = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
      for (const [method, op] of Object.entries(ops)) {
        const declared = (op.parameters ?? []).filter((p) => p.in === 'path').map((p) => p.name);
        expect(declared.sort(), `${method} ${path}`).toEqual([...templated].sort());
      }
    }
    const page = await gw.send('GET', '/api/v1/docs', { token: null });
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(await page.text()).toContain('/api/v1/secrets/{path}');
  });
});
