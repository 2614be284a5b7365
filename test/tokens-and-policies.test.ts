/** Tokens and policies through the HTTP API (issue 3): the worked example, the token API, sys/policies, capabilities. */
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

const putPolicy = async (name: string, policy: string) => {
  const res = await gw.call('PUT', `/api/v1/sys/policies/acl/${name}`, { body: { policy } });
  expect(res.status, res.text).toBe(204);
};
const tokenWith = async (policies: string[], extra: Record<string, unknown> = {}, token?: string) => {
  const res = await gw.call('POST', '/api/v1/auth/token/create', { body: { policies, ...extra }, ...(token === undefined ? {} : { token }) });
  expect(res.status, res.text).toBe(200);
  return res.body.auth as { client_token: string; accessor: string; policies: string[]; orphan: boolean };
};

describe('the environment-separation example (docs/policies.md)', () => {
  it('gives each environment its tree and CI read-only access', async () => {
    for (const env of ['development', 'testing', 'production']) {
      await putPolicy(env, `path "${env}/*" {\n  capabilities = ["create", "read", "update", "patch", "delete", "list"]\n}\npath "metadata/${env}/*" {\n  capabilities = ["read", "update", "delete"]\n}\n`);
      await gw.call('PUT', `/api/v1/secrets/${env}/db`, { body: { password: `${env}-pw` } });
    }
    await putPolicy('ci', 'path "testing/*" {\n  capabilities = ["read", "list"]\n}\n');
    const dev = await tokenWith(['development']);
    const ci = await tokenWith(['ci']);
    expect(dev.policies).toEqual(['default', 'development']);

    const as = (token: string, method: string, path: string, body?: unknown) => gw.call(method, path, { token, ...(body === undefined ? {} : { body }) });
    expect((await as(dev.client_token, 'GET', '/api/v1/secrets/development/db')).status).toBe(200);
    expect((await as(dev.client_token, 'PUT', '/api/v1/secrets/development/new', { a: 1 })).status).toBe(200);
    expect((await as(dev.client_token, 'GET', '/api/v1/secrets/production/db')).status).toBe(403);
    expect((await as(dev.client_token, 'PUT', '/api/v1/secrets/production/db', { a: 1 })).status).toBe(403);
    expect((await as(ci.client_token, 'GET', '/api/v1/secrets/testing/db')).body.data).toEqual({ password: 'testing-pw' });
    expect((await as(ci.client_token, 'GET', '/api/v1/secrets/testing/?list=true')).body.data.keys).toEqual(['db']);
    expect((await as(ci.client_token, 'PUT', '/api/v1/secrets/testing/db', { a: 1 })).status).toBe(403);
    expect((await as(ci.client_token, 'DELETE', '/api/v1/secrets/testing/db')).status).toBe(403);
    expect((await as(ci.client_token, 'GET', '/api/v1/secrets/development/db')).status).toBe(403);
    expect((await as(ci.client_token, 'GET', '/api/v1/metadata/testing/db')).status).toBe(403);
    expect((await as(dev.client_token, 'GET', '/api/v1/metadata/development/db')).status).toBe(200);
    // Actions are authorized on {path}/{action}: development/* covers them.
    expect((await as(dev.client_token, 'POST', '/api/v1/secrets/development/db/destroy', { versions: [1] })).status).toBe(204);
    expect((await as(dev.client_token, 'GET', '/api/v1/sys/mounts')).status).toBe(403);
    const denied = await as(ci.client_token, 'GET', '/api/v1/secrets/production/db');
    expect(denied.body.error).toMatchObject({ code: 'ERR_PERMISSION_DENIED', message: 'permission denied' });
  });

  it('reports capabilities of the caller', async () => {
    await putPolicy('ci', 'path "testing/*" {\n  capabilities = ["read", "list"]\n}\n');
    const ci = await tokenWith(['ci']);
    const res = await gw.call('POST', '/api/v1/sys/capabilities-self', { token: ci.client_token, body: { paths: ['testing/db', 'production/db'] } });
    expect(res.status, res.text).toBe(200);
    expect(res.body.data['testing/db'].sort()).toEqual(['list', 'read']);
    expect(res.body.data['production/db']).toEqual(['deny']);
    const root = await gw.call('POST', '/api/v1/sys/capabilities-self', { body: { path: 'anything' } });
    expect(root.body.data.capabilities).toEqual(['root']);
  });
});

describe('sys/policies/acl', () => {
  it('writes, reads, lists and deletes policies, refusing root, default deletion and bad text', async () => {
    await putPolicy('app', 'path "app/*" { capabilities = ["read"] }');
    expect((await gw.call('GET', '/api/v1/sys/policies/acl/app')).body.data).toEqual({ name: 'app', policy: 'path "app/*" { capabilities = ["read"] }' });
    expect((await gw.call('GET', '/api/v1/sys/policies/acl?list=true')).body.data.keys).toEqual(expect.arrayContaining(['app', 'default']));
    expect((await gw.call('LIST', '/api/v1/sys/policies/acl')).body.data.keys).toEqual(expect.arrayContaining(['app', 'default']));
    const bad = await gw.call('PUT', '/api/v1/sys/policies/acl/broken', { body: { policy: 'path "x" { capabilities = ["fly"] }' } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('ERR_VALIDATION');
    expect((await gw.call('PUT', '/api/v1/sys/policies/acl/root', { body: { policy: 'path "*" { capabilities = ["sudo"] }' } })).status).toBe(400);
    expect((await gw.call('DELETE', '/api/v1/sys/policies/acl/default')).status).toBeGreaterThanOrEqual(400);
    expect((await gw.call('DELETE', '/api/v1/sys/policies/acl/app')).status).toBe(204);
    expect((await gw.call('GET', '/api/v1/sys/policies/acl/app')).status).toBe(404);
  });

  it('needs sudo: update alone is not enough', async () => {
    await putPolicy('editor', 'path "sys/policies/acl/*" { capabilities = ["create", "read", "update", "delete", "list"] }');
    await putPolicy('admin', 'path "sys/policies/acl/*" { capabilities = ["create", "read", "update", "delete", "list", "sudo"] }');
    const editor = await tokenWith(['editor']);
    const admin = await tokenWith(['admin']);
    expect((await gw.call('PUT', '/api/v1/sys/policies/acl/x', { token: editor.client_token, body: { policy: 'path "x" { capabilities = ["read"] }' } })).status).toBe(403);
    expect((await gw.call('PUT', '/api/v1/sys/policies/acl/x', { token: admin.client_token, body: { policy: 'path "x" { capabilities = ["read"] }' } })).status).toBe(204);
  });
});

describe('the token API', () => {
  it('looks up, renews and revokes the caller’s own token through the default policy', async () => {
    const t = await tokenWith([], { ttl: '1h', explicit_max_ttl: '2h' });
    const self = await gw.call('GET', '/api/v1/auth/token/lookup-self', { token: t.client_token });
    expect(self.status, self.text).toBe(200);
    expect(self.body.data).toMatchObject({ accessor: t.accessor, policies: ['default'], orphan: false, renewable: true });
    expect(self.text).not.toContain(t.client_token);
    const renewed = await gw.call('POST', '/api/v1/auth/token/renew-self', { token: t.client_token, body: { increment: '3h' } });
    expect(renewed.status, renewed.text).toBe(200);
    expect(renewed.body.auth.lease_duration).toBeLessThanOrEqual(7200);
    expect(renewed.body.warnings).toBeDefined();
    expect((await gw.call('POST', '/api/v1/auth/token/revoke-self', { token: t.client_token })).status).toBe(204);
    expect((await gw.call('GET', '/api/v1/auth/token/lookup-self', { token: t.client_token })).status).toBe(401);
  });

  it('revokes children with their parent, and by accessor without the token', async () => {
    await putPolicy('parent', 'path "auth/token/create*" { capabilities = ["update"] }');
    const parent = await tokenWith(['parent']);
    const child = await tokenWith(['parent'], {}, parent.client_token);
    const orphan = await gw.call('POST', '/api/v1/auth/token/create-orphan', { token: parent.client_token, body: { policies: ['parent'] } });
    expect(orphan.status, orphan.text).toBe(200);
    expect(orphan.body.auth.orphan).toBe(true);
    expect((await gw.call('POST', '/api/v1/auth/token/revoke-accessor', { body: { accessor: parent.accessor } })).status).toBe(204);
    expect((await gw.call('GET', '/api/v1/auth/token/lookup-self', { token: child.client_token })).status).toBe(401);
    expect((await gw.call('GET', '/api/v1/auth/token/lookup-self', { token: orphan.body.auth.client_token })).status).toBe(200);
    const lookup = await gw.call('POST', '/api/v1/auth/token/lookup-accessor', { body: { accessor: orphan.body.auth.accessor } });
    expect(lookup.body.data.accessor).toBe(orphan.body.auth.accessor);
    expect(lookup.text).not.toContain(orphan.body.auth.client_token);
  });

  it('refuses children with policies the parent lacks, orphans and root from non-root parents', async () => {
    await putPolicy('creator', 'path "auth/token/create" { capabilities = ["update"] }');
    await putPolicy('other', 'path "x/*" { capabilities = ["read"] }');
    const creator = await tokenWith(['creator']);
    expect((await gw.call('POST', '/api/v1/auth/token/create', { token: creator.client_token, body: { policies: ['other'] } })).status).toBe(403);
    expect((await gw.call('POST', '/api/v1/auth/token/create', { token: creator.client_token, body: { policies: ['root'] } })).status).toBe(403);
    expect((await gw.call('POST', '/api/v1/auth/token/create', { token: creator.client_token, body: { no_parent: true } })).status).toBe(403);
    expect((await gw.call('POST', '/api/v1/auth/token/create', { token: creator.client_token, body: { period: '1h' } })).status).toBe(403);
  });

  it('counts uses', async () => {
    const t = await tokenWith([], { num_uses: 2 });
    expect((await gw.call('GET', '/api/v1/auth/token/lookup-self', { token: t.client_token })).status).toBe(200);
    expect((await gw.call('GET', '/api/v1/auth/token/lookup-self', { token: t.client_token })).status).toBe(200);
    expect((await gw.call('GET', '/api/v1/auth/token/lookup-self', { token: t.client_token })).status).toBe(401);
  });

  it('lists accessors only with sudo', async () => {
    const t = await tokenWith([]);
    expect((await gw.call('GET', '/api/v1/auth/token/accessors?list=true', { token: t.client_token })).status).toBe(403);
    const res = await gw.call('LIST', '/api/v1/auth/token/accessors');
    expect(res.body.data.keys).toContain(t.accessor);
  });

  it('hands an admin the keys and lets root be revoked (docs/auth/tokens.md)', async () => {
    await putPolicy('admin', 'path "*" { capabilities = ["create", "read", "update", "patch", "delete", "list", "sudo"] }');
    const admin = await tokenWith(['admin'], { no_parent: true, period: '24h' });
    const lookup = await gw.call('GET', '/api/v1/auth/token/lookup-self');
    expect((await gw.call('POST', '/api/v1/auth/token/revoke-accessor', { token: admin.client_token, body: { accessor: lookup.body.data.accessor } })).status).toBe(204);
    expect((await gw.call('GET', '/api/v1/secrets/?list=true')).status).toBe(401);
    expect((await gw.call('PUT', '/api/v1/secrets/after-root', { token: admin.client_token, body: { ok: true } })).status).toBe(200);
    expect((await gw.call('POST', '/api/v1/sys/rotate', { token: admin.client_token })).status).toBe(200);
  });
});

describe('reserved prefixes', () => {
  it('refuses secrets under sys/, auth/, identity/ and metadata/', async () => {
    for (const prefix of ['sys', 'auth', 'identity', 'metadata']) {
      const res = await gw.call('PUT', `/api/v1/secrets/${prefix}/x`, { body: { a: 1 } });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('ERR_PATH_INVALID');
      expect((await gw.call('POST', `/api/v1/sys/mounts/${prefix}`, { body: { type: 'kv' } })).status).toBe(400);
    }
  });
});
