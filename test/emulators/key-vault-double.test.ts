/**
 * The Key Vault double against Azure's documented REST behaviour (secrets and keys,
 * api-version 7.6), over raw HTTPS: what every client, not only the SDK, relies on.
 */
import { constants as cryptoConstants, createPublicKey, privateDecrypt, publicEncrypt, randomBytes } from 'node:crypto';
import { request } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { azureEmulatorSkipReason } from './lowkey-vault.js';
import { CRYPTO_SERVICE_ENCRYPTION_USER_ACTIONS, startKeyVaultDouble } from './key-vault-double.js';
import type { KeyVaultDouble } from './key-vault-double.js';

const skip = azureEmulatorSkipReason('Key Vault double');

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Record<string, unknown>;
}

/**
 * A raw HTTPS request to the double `vault()` names, as `token` (no Authorization header when
 * null); a path without a query gets `api-version=7.6`.
 */
const caller =
  (vault: () => KeyVaultDouble) =>
  (method: string, path: string, body?: unknown, token: string | null = 'good'): Promise<Reply> =>
    new Promise((resolve, reject) => {
      const kv = vault();
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

describe.skipIf(skip !== null)('Azure Key Vault double (documented REST behaviour)', () => {
  let kv: KeyVaultDouble;
  const call = caller(() => kv);
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

/**
 * The keys API. Each test names the page of Azure's REST reference it checks
 * (https://learn.microsoft.com/rest/api/keyvault/keys/…).
 */
describe.skipIf(skip !== null)('Azure Key Vault double: keys (documented REST behaviour)', () => {
  let kv: KeyVaultDouble;
  const call = caller(() => kv);
  const errorOf = (r: Reply) => r.body.error as { code: string; message: string; innererror?: { code: string } };
  const keyOf = (r: Reply) => r.body.key as { kid: string; kty: string; key_ops: string[]; n: string; e: string };
  const versionOf = (kid: string) => kid.split('/').at(-1) ?? '';
  const b64url = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url');

  beforeAll(async () => {
    kv = await startKeyVaultDouble({ acceptedTokens: ['good'], forbiddenTokens: ['norole'], tokenDataActions: { crypto: CRYPTO_SERVICE_ENCRYPTION_USER_ACTIONS } });
  });
  afterAll(async () => {
    await kv?.stop();
  });

  // https://learn.microsoft.com/rest/api/keyvault/keys/create-key/create-key
  it('creates RSA keys of 2048, 3072 and 4096 bits with key_ops; the kid is <vault>/keys/<name>/<32-hex version>; create on an existing name adds a version', async () => {
    for (const size of [2048, 3072, 4096]) {
      const r = await call('POST', `/keys/rsa-${size}/create`, { kty: 'RSA', key_size: size, key_ops: ['wrapKey', 'unwrapKey'] });
      expect(r.status).toBe(200);
      const key = keyOf(r);
      expect(key.kid).toMatch(new RegExp(`^${kv.vaultUrl.replace(/\./g, '\\.')}/keys/rsa-${size}/[0-9a-f]{32}$`));
      expect(key).toMatchObject({ kty: 'RSA', key_ops: ['wrapKey', 'unwrapKey'], e: 'AQAB' });
      expect(Buffer.from(key.n, 'base64url').length).toBe(size / 8);
      expect(r.body.attributes).toMatchObject({ enabled: true, recoveryLevel: 'Recoverable+Purgeable' });
      expect(Number.isInteger((r.body.attributes as Record<string, unknown>).created)).toBe(true);
    }
    const again = await call('POST', '/keys/rsa-2048/create', { kty: 'RSA' });
    expect(keyOf(again).key_ops).toEqual(['encrypt', 'decrypt', 'sign', 'verify', 'wrapKey', 'unwrapKey']);
    const versions = await call('GET', '/keys/rsa-2048/versions');
    expect((versions.body.value as unknown[]).length).toBe(2);
  });

  // https://learn.microsoft.com/rest/api/keyvault/keys/create-key/create-key (errors: https://learn.microsoft.com/azure/key-vault/general/rest-error-codes)
  it('refuses bad create requests with 400 BadParameter: a key size outside 2048/3072/4096, an unknown key operation, an invalid name', async () => {
    const size = await call('POST', '/keys/bad/create', { kty: 'RSA', key_size: 1024 });
    expect(size.status).toBe(400);
    expect(errorOf(size).code).toBe('BadParameter');
    expect((await call('POST', '/keys/bad/create', { kty: 'RSA', key_ops: ['wrapKey', 'launch'] })).status).toBe(400);
    expect((await call('POST', '/keys/bad_name/create', { kty: 'RSA' })).status).toBe(400);
    expect((await call('POST', '/keys/bad/create', {})).status).toBe(400);
  });

  // https://learn.microsoft.com/rest/api/keyvault/keys/get-key/get-key
  it('gets the newest version without a version, a given version with one, and answers 404 KeyNotFound otherwise', async () => {
    const first = keyOf(await call('POST', '/keys/getter/create', { kty: 'RSA' }));
    const second = keyOf(await call('POST', '/keys/getter/create', { kty: 'RSA' }));
    expect(keyOf(await call('GET', '/keys/getter')).kid).toBe(second.kid);
    expect(keyOf(await call('GET', '/keys/GETTER/')).kid).toBe(second.kid);
    expect(keyOf(await call('GET', `/keys/getter/${versionOf(first.kid)}`)).kid).toBe(first.kid);
    const missing = await call('GET', '/keys/never-there');
    expect(missing.status).toBe(404);
    expect(errorOf(missing).code).toBe('KeyNotFound');
    expect((await call('GET', '/keys/getter/0123456789abcdef0123456789abcdef')).status).toBe(404);
    // The public key only: no private parameters in a key bundle.
    expect(Object.keys(keyOf(await call('GET', '/keys/getter'))).sort()).toEqual(['e', 'key_ops', 'kid', 'kty', 'n']);
  });

  // https://learn.microsoft.com/rest/api/keyvault/keys/wrap-key/wrap-key and …/unwrap-key/unwrap-key
  it('wraps and unwraps with RSA-OAEP-256: real RSA-OAEP with SHA-256, interoperable with any implementation holding the public key', async () => {
    const created = keyOf(await call('POST', '/keys/kek/create', { kty: 'RSA', key_size: 2048, key_ops: ['wrapKey', 'unwrapKey'] }));
    const publicKey = createPublicKey({ key: { kty: 'RSA', n: created.n, e: created.e }, format: 'jwk' });
    const dek = randomBytes(32);
    // Wrapped elsewhere with the public key, unwrapped by the vault.
    const local = publicEncrypt({ key: publicKey, padding: cryptoConstants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, dek);
    const unwrapped = await call('POST', `/keys/kek/${versionOf(created.kid)}/unwrapkey`, { alg: 'RSA-OAEP-256', value: b64url(local) });
    expect(unwrapped.status).toBe(200);
    expect(unwrapped.body.kid).toBe(created.kid);
    expect(Buffer.from(String(unwrapped.body.value), 'base64url').equals(dek)).toBe(true);
    // Wrapped by the vault: randomised (two wraps differ), the modulus' length, and it round-trips.
    const w1 = await call('POST', `/keys/kek/${versionOf(created.kid)}/wrapkey`, { alg: 'RSA-OAEP-256', value: b64url(dek) });
    const w2 = await call('POST', `/keys/kek/${versionOf(created.kid)}/wrapkey`, { alg: 'RSA-OAEP-256', value: b64url(dek) });
    expect(w1.body).toMatchObject({ kid: created.kid });
    expect(w1.body.value).not.toBe(w2.body.value);
    expect(Buffer.from(String(w1.body.value), 'base64url').length).toBe(256);
    const back = await call('POST', `/keys/kek/${versionOf(created.kid)}/unwrapkey`, { alg: 'RSA-OAEP-256', value: w1.body.value });
    expect(Buffer.from(String(back.body.value), 'base64url').equals(dek)).toBe(true);
    // Without a version in the path, the newest version wraps.
    const newest = await call('POST', '/keys/kek/wrapkey', { alg: 'RSA-OAEP-256', value: b64url(dek) });
    expect(newest.body.kid).toBe(created.kid);
  });

  // https://learn.microsoft.com/rest/api/keyvault/keys/unwrap-key/unwrap-key (JWA RSA-OAEP vs RSA-OAEP-256: RFC 7518 §4.2–4.3)
  it('binds the OAEP hash to the algorithm, binds no associated data, and answers 400 BadParameter for a tampered, foreign or malformed wrapped key', async () => {
    const created = keyOf(await call('POST', '/keys/oaep/create', { kty: 'RSA' }));
    const path = `/keys/oaep/${versionOf(created.kid)}`;
    const dek = randomBytes(32);
    const sha1 = await call('POST', `${path}/wrapkey`, { alg: 'RSA-OAEP', value: b64url(dek) });
    expect(sha1.status).toBe(200);
    expect(Buffer.from(String((await call('POST', `${path}/unwrapkey`, { alg: 'RSA-OAEP', value: sha1.body.value })).body.value), 'base64url').equals(dek)).toBe(true);
    const crossed = await call('POST', `${path}/unwrapkey`, { alg: 'RSA-OAEP-256', value: sha1.body.value });
    expect(crossed.status).toBe(400);
    expect(errorOf(crossed).code).toBe('BadParameter');
    // RSA-OAEP has no AAD: an `aad` parameter changes nothing (the caller must bind context itself).
    const withAad = await call('POST', `${path}/wrapkey`, { alg: 'RSA-OAEP-256', value: b64url(dek), aad: b64url(randomBytes(8)) });
    expect(Buffer.from(String((await call('POST', `${path}/unwrapkey`, { alg: 'RSA-OAEP-256', value: withAad.body.value })).body.value), 'base64url').equals(dek)).toBe(true);
    const wrapped = Buffer.from(String(withAad.body.value), 'base64url');
    wrapped[17] = (wrapped[17] ?? 0) ^ 1;
    const tampered = await call('POST', `${path}/unwrapkey`, { alg: 'RSA-OAEP-256', value: b64url(wrapped) });
    expect(tampered.status).toBe(400);
    expect(errorOf(tampered)).toMatchObject({ code: 'BadParameter' });
    const other = keyOf(await call('POST', '/keys/oaep-other/create', { kty: 'RSA' }));
    expect((await call('POST', `/keys/oaep-other/${versionOf(other.kid)}/unwrapkey`, { alg: 'RSA-OAEP-256', value: withAad.body.value })).status).toBe(400);
    expect((await call('POST', `${path}/unwrapkey`, { alg: 'RSA-OAEP-256', value: 'not base64url!' })).status).toBe(400);
    expect((await call('POST', `${path}/wrapkey`, { alg: 'A256KW', value: b64url(dek) })).status).toBe(400);
    // OAEP-SHA-256 on 2048 bits carries at most 190 bytes.
    expect((await call('POST', `${path}/wrapkey`, { alg: 'RSA-OAEP-256', value: b64url(randomBytes(191)) })).status).toBe(400);
  });

  // https://learn.microsoft.com/rest/api/keyvault/keys/rotate-key/rotate-key
  it('rotates: a new version with the same type, size and operations becomes the newest; old versions still unwrap what they wrapped', async () => {
    const first = keyOf(await call('POST', '/keys/rotating/create', { kty: 'RSA', key_size: 3072, key_ops: ['wrapKey', 'unwrapKey'] }));
    const dek = randomBytes(32);
    const old = await call('POST', `/keys/rotating/${versionOf(first.kid)}/wrapkey`, { alg: 'RSA-OAEP-256', value: b64url(dek) });
    const rotated = await call('POST', '/keys/rotating/rotate');
    expect(rotated.status).toBe(200);
    const second = keyOf(rotated);
    expect(second.kid).not.toBe(first.kid);
    expect(second).toMatchObject({ kty: 'RSA', key_ops: ['wrapKey', 'unwrapKey'] });
    expect(Buffer.from(second.n, 'base64url').length).toBe(384);
    expect(keyOf(await call('GET', '/keys/rotating')).kid).toBe(second.kid);
    const back = await call('POST', `/keys/rotating/${versionOf(first.kid)}/unwrapkey`, { alg: 'RSA-OAEP-256', value: old.body.value });
    expect(Buffer.from(String(back.body.value), 'base64url').equals(dek)).toBe(true);
    expect((await call('POST', `/keys/rotating/${versionOf(second.kid)}/unwrapkey`, { alg: 'RSA-OAEP-256', value: old.body.value })).status).toBe(400);
    expect((await call('POST', '/keys/never-there/rotate')).status).toBe(404);
  });

  // https://learn.microsoft.com/rest/api/keyvault/keys/update-key/update-key
  it('updates attributes: a disabled version answers 403 Forbidden / KeyDisabled to get, wrap and unwrap until enabled again; other versions are unaffected', async () => {
    const first = keyOf(await call('POST', '/keys/switch/create', { kty: 'RSA' }));
    const second = keyOf(await call('POST', '/keys/switch/create', { kty: 'RSA' }));
    const dek = b64url(randomBytes(32));
    const wrapped = await call('POST', `/keys/switch/${versionOf(second.kid)}/wrapkey`, { alg: 'RSA-OAEP-256', value: dek });
    const patched = await call('PATCH', `/keys/switch/${versionOf(second.kid)}`, { attributes: { enabled: false } });
    expect(patched.status).toBe(200);
    expect(patched.body.attributes).toMatchObject({ enabled: false });
    for (const r of [
      await call('GET', '/keys/switch'),
      await call('POST', `/keys/switch/${versionOf(second.kid)}/wrapkey`, { alg: 'RSA-OAEP-256', value: dek }),
      await call('POST', `/keys/switch/${versionOf(second.kid)}/unwrapkey`, { alg: 'RSA-OAEP-256', value: wrapped.body.value }),
    ]) {
      expect(r.status).toBe(403);
      expect(errorOf(r)).toMatchObject({ code: 'Forbidden', innererror: { code: 'KeyDisabled' } });
    }
    expect((await call('GET', `/keys/switch/${versionOf(first.kid)}`)).status).toBe(200);
    await call('PATCH', `/keys/switch/${versionOf(second.kid)}`, { attributes: { enabled: true } });
    expect((await call('POST', `/keys/switch/${versionOf(second.kid)}/unwrapkey`, { alg: 'RSA-OAEP-256', value: wrapped.body.value })).body.value).toBe(dek);
  });

  // https://learn.microsoft.com/rest/api/keyvault/keys/wrap-key/wrap-key ("requires the keys/wrapKey permission"; key_ops: JsonWebKeyOperation)
  it('answers 403 KeyOperationForbidden for an operation outside the key_ops of the version, until key_ops is updated', async () => {
    const k = keyOf(await call('POST', '/keys/sign-only/create', { kty: 'RSA', key_ops: ['sign', 'verify'] }));
    const r = await call('POST', `/keys/sign-only/${versionOf(k.kid)}/wrapkey`, { alg: 'RSA-OAEP-256', value: b64url(randomBytes(32)) });
    expect(r.status).toBe(403);
    expect(errorOf(r)).toMatchObject({ code: 'Forbidden', innererror: { code: 'KeyOperationForbidden' } });
    await call('PATCH', `/keys/sign-only/${versionOf(k.kid)}`, { key_ops: ['wrapKey', 'unwrapKey'] });
    expect((await call('POST', `/keys/sign-only/${versionOf(k.kid)}/wrapkey`, { alg: 'RSA-OAEP-256', value: b64url(randomBytes(32)) })).status).toBe(200);
  });

  // https://learn.microsoft.com/azure/key-vault/general/rbac-guide (Key Vault Crypto Service Encryption User: keys read, wrap, unwrap)
  it('enforces RBAC data actions: the Crypto Service Encryption User role reads, wraps and unwraps but cannot create, rotate or update (403 ForbiddenByRbac); a token with no role gets nothing', async () => {
    const k = keyOf(await call('POST', '/keys/rbac/create', { kty: 'RSA' }));
    const path = `/keys/rbac/${versionOf(k.kid)}`;
    expect((await call('GET', '/keys/rbac', undefined, 'crypto')).status).toBe(200);
    const wrapped = await call('POST', `${path}/wrapkey`, { alg: 'RSA-OAEP-256', value: b64url(randomBytes(32)) }, 'crypto');
    expect(wrapped.status).toBe(200);
    expect((await call('POST', `${path}/unwrapkey`, { alg: 'RSA-OAEP-256', value: wrapped.body.value }, 'crypto')).status).toBe(200);
    for (const [method, p] of [['POST', '/keys/rbac/create'], ['POST', '/keys/rbac/rotate'], ['PATCH', path]] as const) {
      const r = await call(method, p, { kty: 'RSA', attributes: { enabled: false } }, 'crypto');
      expect(r.status).toBe(403);
      expect(errorOf(r).innererror?.code).toBe('ForbiddenByRbac');
      expect(errorOf(r).message).toContain('Microsoft.KeyVault/vaults/keys/');
    }
    expect((await call('GET', '/keys/rbac', undefined, 'norole')).status).toBe(403);
    expect((await call('POST', `${path}/unwrapkey`, { alg: 'RSA-OAEP-256', value: wrapped.body.value }, null)).status).toBe(401);
  });

  // https://learn.microsoft.com/rest/api/keyvault/keys/get-keys/get-keys and …/get-key-versions/get-key-versions
  it('lists keys without versions and the versions of a key with them, paged by maxresults', async () => {
    for (let i = 0; i < 3; i++) await call('POST', '/keys/listed/create', { kty: 'RSA' });
    const versions = await call('GET', '/keys/listed/versions?api-version=7.6&maxresults=2');
    expect((versions.body.value as unknown[]).length).toBe(2);
    expect(typeof versions.body.nextLink).toBe('string');
    const all = await call('GET', '/keys?api-version=7.6&maxresults=25');
    const kids = (all.body.value as { kid: string }[]).map((x) => x.kid);
    expect(kids).toContain(`${kv.vaultUrl}/keys/listed`);
    expect(kids.every((kid) => !/\/[0-9a-f]{32}$/.test(kid))).toBe(true);
  });

  it('seeds keys through the admin hook: the kid answers like a created key, and the public key it returns wraps for the vault', async () => {
    const seeded = await kv.seedKey('seeded', { keyOps: ['wrapKey', 'unwrapKey'] });
    expect(seeded.kid).toBe(`${kv.vaultUrl}/keys/seeded/${seeded.version}`);
    expect(keyOf(await call('GET', '/keys/seeded')).kid).toBe(seeded.kid);
    const dek = randomBytes(32);
    const local = publicEncrypt({ key: seeded.publicKeyPem, padding: cryptoConstants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, dek);
    const r = await call('POST', `/keys/seeded/${seeded.version}/unwrapkey`, { alg: 'RSA-OAEP-256', value: b64url(local) });
    expect(Buffer.from(String(r.body.value), 'base64url').equals(dek)).toBe(true);
    const disabled = await kv.seedKey('seeded-off', { enabled: false });
    expect((await call('GET', `/keys/seeded-off/${disabled.version}`)).status).toBe(403);
    // The double never hands out private key material, so this must fail with a public key.
    expect(() => privateDecrypt({ key: seeded.publicKeyPem, padding: cryptoConstants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, local)).toThrow();
  });
});
