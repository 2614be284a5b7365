/**
 * The Key Vault double against Azure's documented REST behaviour (secrets, api-version 7.6),
 * over raw HTTPS: what every client, not only the SDK, relies on.
 */
import { request } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { azureEmulatorSkipReason } from './lowkey-vault.js';
import { startKeyVaultDouble } from './key-vault-double.js';
import type { KeyVaultDouble } from './key-vault-double.js';

const skip = azureEmulatorSkipReason('Key Vault double');

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Record<string, unknown>;
}

describe.skipIf(skip !== null)('Azure Key Vault double (documented REST behaviour)', () => {
  let kv: KeyVaultDouble;
  const call = (method: string, path: string, body?: unknown, token: string | null = 'good'): Promise<Reply> =>
    new Promise((resolve, reject) => {
      const url = new URL(path.includes('?') || path.startsWith('http') ? path : `${path}?api-version=7.6`, kv.vaultUrl);
      const req = request(url, { method, ca: kv.caPem, headers: { 'content-type': 'application/json', ...(token === null ? {} : { authorization: `Bearer ${token}` }) } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) });
        });
      });
      req.on('error', reject);
      req.end(body === undefined ? undefined : JSON.stringify(body));
    });
  const errorOf = (r: Reply) => r.body.error as { code: string; innererror?: { code: string } };

  beforeAll(async () => {
    kv = await startKeyVaultDouble({ acceptedTokens: ['good'], forbiddenTokens: ['norole'], settlePolls: 1 });
  });
  afterAll(async () => {
    await kv?.stop();
  });

  it('challenges a request without a token (401 + WWW-Authenticate with the resource), rejects unknown tokens, forbids tokens without a role', async () => {
    const r = await call('GET', '/secrets', undefined, null);
    expect(r.status).toBe(401);
    expect(String(r.headers['www-authenticate'])).toMatch(/^Bearer authorization="https:\/\/login\.microsoftonline\.com\/[^"]+", resource="https:\/\/vault\.azure\.net"$/);
    expect((await call('GET', '/secrets', undefined, 'stolen')).status).toBe(401);
    const forbidden = await call('GET', '/secrets', undefined, 'norole');
    expect(forbidden.status).toBe(403);
    expect(errorOf(forbidden).innererror?.code).toBe('ForbiddenByRbac');
    expect(typeof r.headers['x-ms-request-id']).toBe('string');
  });

  it('requires a supported api-version', async () => {
    expect((await call('GET', '/secrets?api-version=1.0')).status).toBe(400);
    expect((await call('GET', '/secrets?maxresults=1')).status).toBe(400);
  });

  it('sets versions (32 hex digits, Unix-second timestamps), gets the newest without a version, and names are case-insensitive', async () => {
    const one = await call('PUT', '/secrets/Case-Name', { value: 'one', tags: { a: '1' }, contentType: 'text/plain' });
    expect(one.status).toBe(200);
    expect(one.body.id).toMatch(/\/secrets\/Case-Name\/[0-9a-f]{32}$/);
    const attrs = one.body.attributes as Record<string, unknown>;
    expect(attrs).toMatchObject({ enabled: true, recoveryLevel: 'Recoverable+Purgeable', recoverableDays: 90 });
    expect(Number.isInteger(attrs.created)).toBe(true);
    await call('PUT', '/secrets/case-name', { value: 'two' });
    const latest = await call('GET', '/secrets/CASE-NAME');
    expect(latest.body).toMatchObject({ value: 'two' });
    expect(String(latest.body.id)).toContain('/secrets/Case-Name/');
    const versions = await call('GET', '/secrets/case-name/versions');
    expect((versions.body.value as unknown[]).length).toBe(2);
    expect((await call('GET', `/secrets/case-name/${String(one.body.id).split('/').at(-1)}`)).body.value).toBe('one');
  });

  it('refuses invalid names and unknown versions the way Azure does', async () => {
    const bad = await call('PUT', '/secrets/bad_name', { value: 'x' });
    expect(bad.status).toBe(400);
    expect(errorOf(bad).code).toBe('BadParameter');
    expect((await call('PUT', `/secrets/${'a'.repeat(128)}`, { value: 'x' })).status).toBe(400);
    const missing = await call('GET', '/secrets/never-there');
    expect(missing.status).toBe(404);
    expect(errorOf(missing).code).toBe('SecretNotFound');
    await call('PUT', '/secrets/versioned', { value: 'x' });
    expect((await call('GET', '/secrets/versioned/0123456789abcdef0123456789abcdef')).status).toBe(404);
  });

  it('answers 403 SecretDisabled for a disabled version, also when it is the newest; PATCH replaces tags when given', async () => {
    const v = await call('PUT', '/secrets/disabled', { value: 'x', attributes: { enabled: false }, tags: { a: '1' } });
    const id = String(v.body.id).split('/').at(-1) ?? '';
    const latest = await call('GET', '/secrets/disabled');
    expect(latest.status).toBe(403);
    expect(errorOf(latest)).toMatchObject({ code: 'Forbidden', innererror: { code: 'SecretDisabled' } });
    expect((await call('GET', `/secrets/disabled/${id}`)).status).toBe(403);
    const patched = await call('PATCH', `/secrets/disabled/${id}`, { attributes: { enabled: true }, tags: { b: '2' } });
    expect(patched.body).not.toHaveProperty('value');
    expect(patched.body.tags).toEqual({ b: '2' });
    expect((await call('GET', '/secrets/disabled')).body.value).toBe('x');
    // Tags omitted: kept.
    expect((await call('PATCH', `/secrets/disabled/${id}`, { contentType: 'x' })).body.tags).toEqual({ b: '2' });
  });

  it('enforces the tag and value limits', async () => {
    const tags = Object.fromEntries(Array.from({ length: 16 }, (_, i) => [`t${i}`, 'v']));
    expect((await call('PUT', '/secrets/limits', { value: 'x', tags })).status).toBe(400);
    expect((await call('PUT', '/secrets/limits', { value: 'x'.repeat(25 * 1024 + 1) })).status).toBe(400);
  });

  it('soft-deletes: 404 on live reads, deleted entry visible after settling, 409s while deleted, recover and purge', async () => {
    await call('PUT', '/secrets/soft', { value: 'x' });
    const del = await call('DELETE', '/secrets/soft');
    expect(del.status).toBe(200);
    expect(del.body).toMatchObject({ recoveryId: expect.stringContaining('/deletedsecrets/soft') });
    expect((await call('GET', '/secrets/soft')).status).toBe(404);
    // Still being deleted: set and purge refused, the deleted entry not yet visible.
    const beingDeleted = await call('PUT', '/secrets/soft', { value: 'y' });
    expect(beingDeleted.status).toBe(409);
    expect(errorOf(beingDeleted).innererror?.code).toBe('ObjectIsBeingDeleted');
    expect((await call('GET', '/deletedsecrets/soft')).status).toBe(404);
    expect((await call('GET', '/deletedsecrets/soft')).status).toBe(200);
    const reuse = await call('PUT', '/secrets/soft', { value: 'y' });
    expect(reuse.status).toBe(409);
    expect(errorOf(reuse).innererror?.code).toBe('ObjectIsDeletedButRecoverable');
    expect((await call('DELETE', '/secrets/soft')).status).toBe(404);
    const listed = await call('GET', '/deletedsecrets');
    expect(JSON.stringify(listed.body)).toContain('/secrets/soft');
    expect((await call('POST', '/deletedsecrets/soft/recover')).status).toBe(200);
    expect((await call('GET', '/secrets/soft')).status).toBe(404); // recovery settling
    expect((await call('GET', '/secrets/soft')).body.value).toBe('x');
    await call('DELETE', '/secrets/soft');
    await call('GET', '/deletedsecrets/soft');
    expect((await call('DELETE', '/deletedsecrets/soft')).status).toBe(204);
    expect((await call('GET', '/deletedsecrets/soft')).status).toBe(404);
    expect((await call('PUT', '/secrets/soft', { value: 'new' })).status).toBe(200);
  });

  it('pages lists with maxresults (1–25) and an opaque $skiptoken nextLink on the vault URL; deleted secrets are not listed', async () => {
    for (let i = 0; i < 12; i++) await call('PUT', `/secrets/page-${i}`, { value: 'x' });
    expect((await call('GET', '/secrets?api-version=7.6&maxresults=26')).status).toBe(400);
    const seen: string[] = [];
    let next: string | null = '/secrets?api-version=7.6&maxresults=5';
    while (next !== null) {
      const page: Reply = await call('GET', next);
      const items = page.body.value as { id: string }[];
      expect(items.length).toBeLessThanOrEqual(5);
      seen.push(...items.map((x) => x.id));
      next = typeof page.body.nextLink === 'string' ? page.body.nextLink : null;
      if (next !== null) expect(next.startsWith(`${kv.vaultUrl}/secrets?`)).toBe(true);
    }
    expect(seen.filter((id) => /\/secrets\/page-/.test(id))).toHaveLength(12);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.every((id) => !/\/[0-9a-f]{32}$/.test(id))).toBe(true);
    expect(seen.some((id) => id.endsWith('/secrets/soft'))).toBe(true);
  });

  it('answers queued faults once each, with Retry-After on throttling', async () => {
    kv.queueFaults({ status: 429, code: 'Throttled', retryAfter: 3 });
    const throttled = await call('GET', '/secrets');
    expect(throttled.status).toBe(429);
    expect(throttled.headers['retry-after']).toBe('3');
    expect((await call('GET', '/secrets')).status).toBe(200);
  });
});
