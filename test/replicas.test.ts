/**
 * Two gateway processes on one data directory (shared SQLite storage): a token revoked
 * through one is refused by the other before the revoke call returns (issue 3, done-when 4).
 */
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { canaryForms, containsBytes } from './helpers/storage-walk.js';
import { startServer } from './helpers/server.js';
import type { ServerProcess } from './helpers/server.js';

const servers: ServerProcess[] = [];
const dirs: string[] = [];
afterAll(async () => {
  for (const s of servers) await s.stop('SIGKILL');
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

const call = async (base: string, token: string, method: string, p: string, body?: unknown) => {
  const res = await fetch(`${base}${p}`, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const text = await res.text();
  return { status: res.status, body: text === '' ? null : (JSON.parse(text) as any) }; // eslint-disable-line @typescript-eslint/no-explicit-any -- test convenience
};

describe('replicas sharing storage', () => {
  it('refuse a revoked token on every replica before the revoke call returns, and keep credentials out of the files', async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'keygate-replicas-'));
    dirs.push(dataDir);
    const a = await startServer({ dataDir });
    servers.push(a);
    const b = await startServer({ dataDir });
    servers.push(b);
    const root = (await readFile(path.join(dataDir, 'root-token'), 'utf8')).trim();

    for (let round = 0; round < 5; round++) {
      const created = await call(a.url, root, 'POST', '/api/v1/auth/token/create', { policies: [] });
      expect(created.status).toBe(200);
      const token = created.body.auth.client_token as string;
      // B verifies the token and caches the result.
      expect((await call(b.url, token, 'GET', '/api/v1/auth/token/lookup-self')).status).toBe(200);
      expect((await call(b.url, token, 'GET', '/api/v1/auth/token/lookup-self')).status).toBe(200);
      const started = Date.now();
      expect((await call(a.url, root, 'POST', '/api/v1/auth/token/revoke', { token })).status).toBe(204);
      const waited = Date.now() - started;
      expect((await call(b.url, token, 'GET', '/api/v1/auth/token/lookup-self')).status).toBe(401);
      expect(waited).toBeLessThan(1500);
    }

    // Credentials never reach the data directory in cleartext: a token, an AppRole secret id, the root token.
    const made = await call(a.url, root, 'POST', '/api/v1/auth/token/create', { policies: [] });
    const liveToken = made.body.auth.client_token as string;
    expect((await call(a.url, root, 'POST', '/api/v1/sys/auth/approle', { type: 'approle' })).status).toBe(204);
    expect((await call(a.url, root, 'POST', '/api/v1/auth/approle/role/ci', { token_policies: ['default'] })).status).toBe(204);
    const secretId = (await call(a.url, root, 'POST', '/api/v1/auth/approle/role/ci/secret-id', {})).body.data.secret_id as string;
    const roleId = (await call(a.url, root, 'GET', '/api/v1/auth/approle/role/ci/role-id')).body.data.role_id as string;
    const bad = await call(a.url, '', 'POST', '/api/v1/auth/approle/login', { role_id: roleId, secret_id: `${secretId}x` });
    expect(bad.status).toBe(401);
    expect(JSON.stringify(bad.body)).not.toContain(secretId);
    for (const name of await readdir(dataDir)) {
      if (name === 'root-token') continue;
      const bytes = new Uint8Array(await readFile(path.join(dataDir, name)));
      for (const secret of [liveToken.slice(3), root.slice(3), secretId]) {
        for (const form of canaryForms(secret)) expect(containsBytes(bytes, form), `credential in ${name}`).toBe(false);
      }
    }
    const logs = [...a.output, ...b.output].join('\n');
    for (const secret of [liveToken.slice(3), root.slice(3), secretId]) expect(logs).not.toContain(secret);
  });
});
