import { SignJWT, UnsecuredJWT, base64url } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { UnauthenticatedError, ValidationError, revealingStringify } from '../../../core/index.js';
import type { GatewayError } from '../../../core/index.js';
import { createJwtHarness, makeSigner, sign, startJwksServer } from './test-harness.node.js';
import type { JwksServer, JwtHarness, Signer } from './test-harness.node.js';

const ISSUER = 'https://issuer.example';

let rsa: Signer;
let ec: Signer;
let ed: Signer;
let attacker: Signer;
let jwks: JwksServer;
const servers: { close(): Promise<void> }[] = [];
/** Every token presented in this file, to prove none reaches a log line or an error. */
const presented: string[] = [];

beforeAll(async () => {
  [rsa, ec, ed, attacker] = await Promise.all([
    makeSigner('RS256', 'rsa-1'),
    makeSigner('ES256', 'ec-1'),
    makeSigner('EdDSA', 'ed-1'),
    makeSigner('RS256', 'rsa-1'),
  ]);
  jwks = await startJwksServer([rsa.publicJwk, ec.publicJwk, ed.publicJwk]);
  servers.push(jwks);
});

afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

afterEach(() => {
  vi.useRealTimers();
});

/** A mount configured with the shared JWKS server and role `ci`. */
async function mounted(config: Record<string, unknown> = {}, role: Record<string, unknown> = {}): Promise<JwtHarness> {
  const h = createJwtHarness();
  await h.call('update', 'config', { jwks_url: `${jwks.url}/keys`, bound_issuer: ISSUER, ...config } as never);
  await h.call('update', 'role/ci', {
    bound_audiences: ['keygate'],
    user_claim: 'sub',
    token_policies: ['deploy'],
    token_ttl: '1h',
    claim_mappings: { repository: 'repo', '/nested/env': 'env' },
    ...role,
  } as never);
  return h;
}

function claims(h: JwtHarness, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const now = h.nowSeconds();
  return { iss: ISSUER, sub: 'repo:org/app', aud: 'keygate', iat: now, exp: now + 300, repository: 'org/app', nested: { env: 'prod' }, ...extra };
}

async function token(h: JwtHarness, signer: Signer, extra: Record<string, unknown> = {}, header: Record<string, unknown> = {}): Promise<string> {
  const jwt = await sign(signer, claims(h, extra), header);
  presented.push(jwt);
  return jwt;
}

/** Expects the login to be the opaque 401, logged with `reason`. */
async function refused(h: JwtHarness, jwt: string, reason: string, role = 'ci'): Promise<GatewayError> {
  presented.push(jwt);
  const before = h.reasons().length;
  const err = await h.failure(h.login(role, jwt));
  expect(err).toBeInstanceOf(UnauthenticatedError);
  expect(err.status).toBe(401);
  expect(err.message).toBe('missing or invalid client token');
  expect(err.details).toBeUndefined();
  expect(err.cause).toBeUndefined();
  expect(h.reasons().slice(before)).toEqual([reason]);
  return err;
}

describe('jwt login: accepted tokens', () => {
  it.each([
    ['RS256', () => rsa],
    ['ES256', () => ec],
    ['EdDSA', () => ed],
  ])('accepts %s through the JWKS and returns the auth result', async (_alg, signer) => {
    const h = await mounted();
    const res = await h.login('ci', await token(h, signer()));
    expect(res.data).toBeUndefined();
    expect(res.auth).toEqual({
      alias: { name: 'repo:org/app', metadata: { repo: 'org/app', env: 'prod' } },
      displayName: 'jwt-repo:org/app',
      metadata: { repo: 'org/app', env: 'prod', role: 'ci' },
      policies: ['deploy'],
      ttlMs: 3_600_000,
      noDefaultPolicy: false,
    });
  });

  it('accepts aud as an array when one member is bound, and a role name in any case', async () => {
    const h = await mounted();
    const res = await h.login('CI', await token(h, rsa, { aud: ['other', 'keygate'] }));
    expect(res.auth?.metadata.role).toBe('ci');
  });

  it('accepts exp and nbf within the clock-skew leeway', async () => {
    const h = await mounted();
    const now = h.nowSeconds();
    await h.login('ci', await token(h, rsa, { exp: now - 30, nbf: now + 30 }));
  });

  it('applies expiration_leeway and not_before_leeway on top of the skew', async () => {
    const h = await mounted({}, { clock_skew_leeway: 0, expiration_leeway: 120, not_before_leeway: '2m' });
    const now = h.nowSeconds();
    await h.login('ci', await token(h, rsa, { exp: now - 100, nbf: now + 100 }));
    await refused(h, await token(h, rsa, { exp: now - 121 }), 'jwt_expired');
    await refused(h, await token(h, rsa, { nbf: now + 121 }), 'jwt_not_yet_valid');
  });

  it('verifies with static PEM keys, trying each', async () => {
    const h = createJwtHarness();
    await h.call('update', 'config', { jwt_validation_pubkeys: [attacker.spkiPem, ec.spkiPem, rsa.spkiPem], bound_issuer: ISSUER });
    await h.call('update', 'role/ci', { bound_audiences: 'keygate' });
    expect((await h.login('ci', await token(h, rsa))).auth?.alias.name).toBe('repo:org/app');
    expect((await h.login('ci', await token(h, ec))).auth?.alias.name).toBe('repo:org/app');
    await refused(h, await token(h, ed), 'no_key_for_alg');
  });

  it('discovers the JWKS through OIDC discovery, once, and checks the issuer there', async () => {
    const provider = await startJwksServer([rsa.publicJwk]);
    servers.push(provider);
    const h = createJwtHarness();
    await h.call('update', 'config', { oidc_discovery_url: provider.url });
    await h.call('update', 'role/ci', { bound_audiences: ['keygate'] });
    for (let i = 0; i < 3; i++) await h.login('ci', await token(h, rsa, { iss: provider.url }));
    expect(provider.requests.filter((r) => r.path === '/.well-known/openid-configuration')).toHaveLength(1);
    expect(provider.hits()).toBe(1);
    await refused(h, await token(h, rsa, { iss: ISSUER }), 'iss_mismatch');
  });

  it('refuses a discovery document whose issuer is not the configured URL', async () => {
    const provider = await startJwksServer([rsa.publicJwk], () => 'https://elsewhere.example');
    servers.push(provider);
    const h = createJwtHarness();
    await h.call('update', 'config', { oidc_discovery_url: provider.url });
    await h.call('update', 'role/ci', { bound_audiences: ['keygate'] });
    await refused(h, await token(h, rsa, { iss: 'https://elsewhere.example' }), 'discovery_issuer_mismatch');
    expect(provider.hits()).toBe(0);
  });

  it('matches bound claims exactly or as globs, on lists and JSON pointers', async () => {
    const h = await mounted({}, { bound_claims_type: 'glob', bound_claims: { repository: 'org/*', '/nested/env': ['staging', 'pr*d'], groups: 'admins' } });
    await h.login('ci', await token(h, rsa, { groups: ['devs', 'admins'] }));
    await refused(h, await token(h, rsa, { groups: ['devs'] }), 'bound_claim_mismatch');
    await refused(h, await token(h, rsa, { repository: 'other/app', groups: 'admins' }), 'bound_claim_mismatch');
    await refused(h, await token(h, rsa, { nested: {}, groups: 'admins' }), 'bound_claim_missing');
    const exact = await mounted({}, { bound_claims: { repository: 'org/*' } });
    await refused(exact, await token(exact, rsa), 'bound_claim_mismatch');
    await exact.login('ci', await token(exact, rsa, { repository: 'org/*' }));
  });

  it('maps claims into metadata, refusing non-scalar values', async () => {
    const h = await mounted();
    const res = await h.login('ci', await token(h, rsa, { repository: 42, nested: undefined }));
    expect(res.auth?.metadata).toEqual({ repo: '42', role: 'ci' });
    await refused(h, await token(h, rsa, { repository: { a: 1 } }), 'claim_mapping_type');
  });

  it('checks bound_subject, the user claim and the groups claim', async () => {
    const h = await mounted({}, { bound_subject: 'repo:org/app', user_claim: 'email', groups_claim: 'groups' });
    expect((await h.login('ci', await token(h, rsa, { email: 'a@example.com', groups: ['x'] }))).auth?.displayName).toBe('jwt-a@example.com');
    await refused(h, await token(h, rsa, { sub: 'repo:org/other', email: 'a@example.com', groups: [] }), 'sub_mismatch');
    await refused(h, await token(h, rsa, { groups: ['x'] }), 'user_claim_missing');
    await refused(h, await token(h, rsa, { email: 'a@example.com' }), 'groups_claim_missing');
    await refused(h, await token(h, rsa, { email: 'a@example.com', groups: [1] }), 'groups_claim_invalid');
  });

  it('enforces token_bound_cidrs at login', async () => {
    const h = await mounted({}, { token_bound_cidrs: ['10.0.0.0/8'] });
    const jwt = await token(h, rsa);
    expect((await h.login('ci', jwt, '10.1.2.3')).auth?.boundCidrs).toEqual(['10.0.0.0/8']);
    presented.push(jwt);
    const err = await h.failure(h.login('ci', jwt, '192.168.1.1'));
    expect(err).toBeInstanceOf(UnauthenticatedError);
    expect(h.reasons().at(-1)).toBe('cidr_mismatch');
  });
});

describe('jwt login: refused tokens, one opaque 401 each', () => {
  it('refuses alg none', async () => {
    const h = await mounted();
    await refused(h, new UnsecuredJWT(claims(h)).encode(), 'alg_not_allowed');
  });

  it('refuses HS256 signed with the RSA public key (algorithm confusion)', async () => {
    const h = await mounted();
    const secret = new TextEncoder().encode(rsa.spkiPem);
    const jwt = await new SignJWT(claims(h)).setProtectedHeader({ alg: 'HS256', kid: rsa.kid }).sign(secret);
    await refused(h, jwt, 'alg_not_allowed');
    // Even a mount that lists every algorithm it can: HS* cannot be configured.
    const err = await h.failure(h.call('update', 'config', { jwks_url: `${jwks.url}/keys`, jwt_supported_algs: ['RS256', 'HS256'] }));
    expect(err).toBeInstanceOf(ValidationError);
  });

  it('refuses an unknown kid after one refresh, and rate-limits refreshes', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const h = await mounted();
    await h.login('ci', await token(h, rsa));
    const base = jwks.hits();
    vi.setSystemTime(Date.now() + 31_000);
    const stranger = await makeSigner('RS256', 'unknown-kid');
    await refused(h, await token(h, stranger), 'kid_unknown');
    expect(jwks.hits()).toBe(base + 1);
    for (let i = 0; i < 5; i++) await refused(h, await token(h, stranger), 'kid_unknown');
    expect(jwks.hits()).toBe(base + 1);
  });

  it('picks up a rotated key: a new kid triggers a refresh and is accepted', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const h = await mounted();
    await h.login('ci', await token(h, rsa));
    const base = jwks.hits();
    const rotated = await makeSigner('ES256', 'ec-2');
    const original = jwks.keys;
    jwks.keys = [...original, rotated.publicJwk];
    try {
      vi.setSystemTime(Date.now() + 31_000);
      await h.login('ci', await token(h, rotated));
      expect(jwks.hits()).toBe(base + 1);
      await h.login('ci', await token(h, rotated));
      expect(jwks.hits()).toBe(base + 1);
    } finally {
      jwks.keys = original;
    }
  });

  it.each(['../../x', 'http://evil/k', 'a/b', 'k'.repeat(257), 'a..b'])('refuses kid %s without fetching anything', async (kid) => {
    const h = await mounted();
    const base = jwks.hits();
    await refused(h, await token(h, rsa, {}, { kid }), 'kid_invalid');
    expect(jwks.hits()).toBe(base);
  });

  it('ignores jku, x5u and jwk headers: never fetched, never trusted', async () => {
    const evil = await startJwksServer([attacker.publicJwk]);
    servers.push(evil);
    const h = await mounted();
    const jwt = await token(h, attacker, {}, { kid: 'attacker', jku: `${evil.url}/keys`, x5u: `${evil.url}/cert`, jwk: attacker.publicJwk });
    await refused(h, jwt, 'kid_unknown');
    expect(evil.requests).toHaveLength(0);
    // Same kid as a real key, attacker's signature: the real key decides.
    await refused(h, await token(h, attacker, {}, { jku: `${evil.url}/keys` }), 'signature_invalid');
    expect(evil.requests).toHaveLength(0);
  });

  it('refuses an expired token', async () => {
    const h = await mounted();
    await refused(h, await token(h, rsa, { exp: h.nowSeconds() - 61 }), 'jwt_expired');
  });

  it('refuses nbf in the future beyond the leeway, and iat in the future', async () => {
    const h = await mounted();
    await refused(h, await token(h, rsa, { nbf: h.nowSeconds() + 61 }), 'jwt_not_yet_valid');
    await refused(h, await token(h, rsa, { iat: h.nowSeconds() + 61 }), 'iat_in_future');
  });

  it('refuses a wrong issuer', async () => {
    const h = await mounted();
    await refused(h, await token(h, rsa, { iss: 'https://evil.example' }), 'iss_mismatch');
  });

  it('refuses a wrong audience, as a string and as an array', async () => {
    const h = await mounted();
    await refused(h, await token(h, rsa, { aud: 'other' }), 'aud_mismatch');
    await refused(h, await token(h, rsa, { aud: ['other', 'another'] }), 'aud_mismatch');
    await refused(h, await token(h, rsa, { aud: undefined }), 'aud_mismatch');
    await refused(h, await token(h, rsa, { aud: [1] }), 'aud_invalid');
  });

  it('refuses an audience when the role binds none (Vault\'s strict rule)', async () => {
    const h = await mounted({}, { bound_audiences: [], bound_subject: 'repo:org/app' });
    await refused(h, await token(h, rsa), 'aud_unbound');
    await h.login('ci', await token(h, rsa, { aud: undefined }));
  });

  it('refuses a token without exp', async () => {
    const h = await mounted();
    await refused(h, await token(h, rsa, { exp: undefined }), 'exp_missing');
  });

  it('refuses a tampered payload under the original signature', async () => {
    const h = await mounted();
    const [header, , signature] = (await token(h, rsa)).split('.');
    const forged = base64url.encode(JSON.stringify(claims(h, { sub: 'repo:org/admin' })));
    await refused(h, `${header}.${forged}.${signature}`, 'signature_invalid');
  });

  it('refuses an oversized token before parsing it', async () => {
    const h = await mounted();
    await refused(h, await token(h, rsa, { padding: 'x'.repeat(17_000) }), 'jwt_too_large');
  });

  it('refuses malformed JWT strings with 401, but a malformed body with 400', async () => {
    const h = await mounted();
    await refused(h, 'not-a-jwt', 'jwt_malformed');
    await refused(h, '', 'jwt_malformed');
    await refused(h, 'a.b.c', 'jwt_malformed');
    const missing = await h.failure(h.call('update', 'login', { jwt: 'x' }));
    expect(missing).toBeInstanceOf(ValidationError);
    expect(missing.details).toEqual([{ field: 'role', reason: 'is required' }]);
    const wrongType = await h.failure(h.call('update', 'login', { role: 'ci', jwt: 5 }));
    expect(wrongType.status).toBe(400);
  });

  it('refuses an unknown role and an unconfigured mount with the same 401', async () => {
    const h = await mounted();
    await refused(h, await token(h, rsa), 'role_not_found', 'nobody');
    const bare = createJwtHarness();
    await bare.call('update', 'role/ci', { bound_audiences: ['keygate'] });
    await refused(bare, await token(bare, rsa), 'not_configured');
  });

  it('refuses a JWKS with duplicate kids', async () => {
    const dup = await startJwksServer([rsa.publicJwk, { ...attacker.publicJwk, kid: rsa.kid }]);
    servers.push(dup);
    const h = await mounted({ jwks_url: `${dup.url}/keys` });
    await refused(h, await token(h, rsa), 'jwks_duplicate_kid');
  });

  it('refuses a JWKS carrying private or symmetric keys', async () => {
    const bad = await startJwksServer([{ kty: 'oct', k: 'c2VjcmV0', kid: 'hmac' }]);
    servers.push(bad);
    const h = await mounted({ jwks_url: `${bad.url}/keys` });
    await refused(h, await token(h, rsa), 'jwks_not_public');
  });

  it('fails closed (401) when the JWKS endpoint is down, and backs off', async () => {
    const gone = await startJwksServer([rsa.publicJwk]);
    const url = `${gone.url}/keys`;
    await gone.close();
    const h = await mounted({ jwks_url: url });
    await refused(h, await token(h, rsa), 'jwks_unreachable');
    await refused(h, await token(h, rsa), 'jwks_backoff');
  });

  it('bounds a hanging JWKS endpoint by the request timeout', async () => {
    const { startTestServer } = await import('../test-servers.node.js');
    const slow = await startTestServer(() => ({ hang: true }));
    servers.push(slow);
    const h = createJwtHarness({ request_timeout: '300ms' });
    await h.call('update', 'config', { jwks_url: `${slow.url}/keys` });
    await h.call('update', 'role/ci', { bound_audiences: ['keygate'] });
    const started = Date.now();
    await refused(h, await token(h, rsa), 'jwks_timeout');
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});

describe('jwt login: secrecy', () => {
  it('never writes a presented token, or any part of one, to a log line or an error', async () => {
    const h = await mounted();
    const canary = `CANARY-${'7f3e9b1c'.repeat(4)}`;
    const jwt = await token(h, rsa, { sub: canary, aud: 'wrong' });
    const err = await refused(h, jwt, 'aud_mismatch');
    const everything = revealingStringify({ message: err.message, details: err.details, stack: err.stack, logged: h.runtime.logged });
    expect(everything).not.toContain(canary);
    for (const t of [...presented, jwt]) {
      for (const part of t.split('.').filter((p) => p.length > 8)) expect(everything).not.toContain(part);
    }
  });
});
