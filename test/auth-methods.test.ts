/**
 * Auth methods through the HTTP API: enable, configure, log in (both login shapes), use the
 * token, rate limits, identity entities and templated policies, disabling revokes tokens.
 */
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startTestServer } from '../src/auth/methods/test-servers.node.js';
import type { TestServer } from '../src/auth/methods/test-servers.node.js';
import { createTestGateway } from './helpers/in-process.js';
import type { TestGateway } from './helpers/in-process.js';

let gw: TestGateway;
beforeEach(async () => {
  gw = await createTestGateway({ config: { login_limits: { failures_per_identity: 3, failures_per_address: 100, window: '1m' } } });
});
afterEach(async () => {
  await gw.close();
});

const ok = async (res: Promise<{ status: number; text: string; body: any }>, status = 200) => { // eslint-disable-line @typescript-eslint/no-explicit-any -- test convenience
  const r = await res;
  expect(r.status, r.text).toBe(status);
  return r.body;
};

const setupAppRole = async () => {
  await ok(gw.call('POST', '/api/v1/sys/auth/approle', { body: { type: 'approle' } }), 204);
  await ok(gw.call('PUT', '/api/v1/sys/policies/acl/deploy', { body: { policy: 'path "apps/{{identity.entity.id}}/*" { capabilities = ["create", "read", "update"] }\npath "shared/*" { capabilities = ["read"] }' } }), 204);
  await ok(gw.call('POST', '/api/v1/auth/approle/role/ci', { body: { token_policies: ['deploy'], token_ttl: '1h', secret_id_num_uses: 5 } }), 204);
  const roleId = (await ok(gw.call('GET', '/api/v1/auth/approle/role/ci/role-id'))).data.role_id as string;
  const secret = (await ok(gw.call('POST', '/api/v1/auth/approle/role/ci/secret-id', { body: {} }))).data as { secret_id: string; secret_id_accessor: string };
  return { roleId, secretId: secret.secret_id };
};

describe('AppRole end to end', () => {
  it('logs in through both shapes and the token carries the role’s policies and an entity', async () => {
    const { roleId, secretId } = await setupAppRole();
    const viaMount = await ok(gw.call('POST', '/api/v1/auth/approle/login', { token: null, body: { role_id: roleId, secret_id: secretId } }));
    expect(viaMount.auth).toMatchObject({ policies: ['default', 'deploy'], token_policies: ['default', 'deploy'], renewable: true, orphan: true });
    expect(viaMount.auth.client_token).toMatch(/^kg\./);
    expect(viaMount.auth.lease_duration).toBeGreaterThan(3500);
    expect(viaMount.auth.entity_id).toMatch(/^[0-9a-f-]{36}$/);
    const viaSeed = await ok(gw.call('POST', '/api/v1/auth/login', { token: null, body: { method: 'approle', role_id: roleId, secret_id: secretId } }));
    // Same alias (the role_id), same entity.
    expect(viaSeed.auth.entity_id).toBe(viaMount.auth.entity_id);

    const token = viaMount.auth.client_token as string;
    const entity = viaMount.auth.entity_id as string;
    // The templated policy grants this entity its own tree and nothing else.
    await ok(gw.call('PUT', `/api/v1/secrets/apps/${entity}/config`, { token, body: { a: 1 } }));
    expect((await gw.call('PUT', '/api/v1/secrets/apps/someone-else/config', { token, body: { a: 1 } })).status).toBe(403);
    await ok(gw.call('PUT', '/api/v1/secrets/shared/x', { body: { s: 1 } }));
    await ok(gw.call('GET', '/api/v1/secrets/shared/x', { token }));
    expect((await gw.call('PUT', '/api/v1/secrets/shared/x', { token, body: { s: 2 } })).status).toBe(403);
    const self = await ok(gw.call('GET', '/api/v1/auth/token/lookup-self', { token }));
    expect(self.data).toMatchObject({ path: 'auth/approle/login', entity_id: entity, display_name: expect.stringContaining('approle') });
    const entityRead = await ok(gw.call('GET', `/api/v1/identity/entity/id/${entity}`));
    expect(entityRead.data.aliases[0]).toMatchObject({ mount_type: 'approle', name: roleId });
  });

  it('follows an entity’s new metadata on the next request of a token already in use (templated policy)', async () => {
    const { roleId, secretId } = await setupAppRole();
    await ok(gw.call('PUT', '/api/v1/sys/policies/acl/team', { body: { policy: 'path "teams/{{identity.entity.metadata.team}}/*" { capabilities = ["create", "read", "update"] }' } }), 204);
    await ok(gw.call('POST', '/api/v1/auth/approle/role/ci', { body: { token_policies: ['deploy', 'team'], token_ttl: '1h', secret_id_num_uses: 5 } }), 204);
    const login = await ok(gw.call('POST', '/api/v1/auth/approle/login', { token: null, body: { role_id: roleId, secret_id: secretId } }));
    const token = login.auth.client_token as string;
    const entity = login.auth.entity_id as string;
    await ok(gw.call('POST', `/api/v1/identity/entity/id/${entity}`, { body: { metadata: { team: 'red' } } }), 200);
    await ok(gw.call('PUT', '/api/v1/secrets/teams/red/x', { token, body: { a: 1 } }));
    // The token is verified from memory now, its principal remembered: a change to the entity must still show.
    await ok(gw.call('PUT', '/api/v1/secrets/teams/red/x', { token, body: { a: 2 } }));
    await ok(gw.call('POST', `/api/v1/identity/entity/id/${entity}`, { body: { metadata: { team: 'blue' } } }), 200);
    expect((await gw.call('PUT', '/api/v1/secrets/teams/red/x', { token, body: { a: 3 } })).status).toBe(403);
    await ok(gw.call('PUT', '/api/v1/secrets/teams/blue/x', { token, body: { a: 1 } }));
  });

  it('refuses bad credentials with one opaque 401, then rate-limits the identity with 429', async () => {
    const { roleId, secretId } = await setupAppRole();
    const bodies = new Set<string>();
    for (const body of [{ role_id: roleId, secret_id: 'wrong' }, { role_id: 'no-such-role', secret_id: secretId }, { role_id: roleId, secret_id: `${secretId}0` }]) {
      const r = await gw.call('POST', '/api/v1/auth/approle/login', { token: null, body });
      expect(r.status).toBe(401);
      bodies.add(JSON.stringify({ ...r.body.error, request_id: '' }));
    }
    expect(bodies.size).toBe(1);
    // Three failures for role_id `roleId`… the identity is now limited, even with the right secret, in any spelling.
    await gw.call('POST', '/api/v1/auth/approle/login', { token: null, body: { role_id: roleId, secret_id: 'wrong-again' } });
    const limited = await gw.call('POST', '/api/v1/auth/approle/login', { token: null, body: { role_id: ` ${roleId.toUpperCase()} `, secret_id: secretId } });
    expect(limited.status).toBe(429);
    expect(limited.body.error.code).toBe('ERR_RATE_LIMITED');
    expect(limited.headers.get('retry-after')).toMatch(/^\d+$/);
  });

  it('revokes every token of an auth method when it is disabled', async () => {
    const { roleId, secretId } = await setupAppRole();
    const login = await ok(gw.call('POST', '/api/v1/auth/approle/login', { token: null, body: { role_id: roleId, secret_id: secretId } }));
    const token = login.auth.client_token as string;
    await ok(gw.call('GET', '/api/v1/auth/token/lookup-self', { token }));
    const listed = await ok(gw.call('GET', '/api/v1/sys/auth'));
    expect(listed.data['approle/']).toMatchObject({ type: 'approle', accessor: expect.stringMatching(/^auth_approle_/) });
    await ok(gw.call('DELETE', '/api/v1/sys/auth/approle'), 204);
    expect((await gw.call('GET', '/api/v1/auth/token/lookup-self', { token })).status).toBe(401);
    expect((await gw.call('POST', '/api/v1/auth/approle/login', { token: null, body: { role_id: roleId, secret_id: secretId } })).status).toBe(404);
  });

  it('guards method management with policies like any path', async () => {
    await setupAppRole();
    await ok(gw.call('PUT', '/api/v1/sys/policies/acl/reader', { body: { policy: 'path "auth/approle/role/*" { capabilities = ["read"] }' } }), 204);
    const reader = (await ok(gw.call('POST', '/api/v1/auth/token/create', { body: { policies: ['reader'] } }))).auth.client_token as string;
    await ok(gw.call('GET', '/api/v1/auth/approle/role/ci', { token: reader }));
    expect((await gw.call('POST', '/api/v1/auth/approle/role/ci/secret-id', { token: reader, body: {} })).status).toBe(403);
    expect((await gw.call('POST', '/api/v1/sys/auth/other', { token: reader, body: { type: 'approle' } })).status).toBe(403);
  });

  it('answers 404 for logins to an unknown mount and 400 when the seed shape names none', async () => {
    expect((await gw.call('POST', '/api/v1/auth/nothing/login', { token: null, body: {} })).status).toBe(404);
    expect((await gw.call('POST', '/api/v1/auth/login', { token: null, body: { role_id: 'x' } })).status).toBe(400);
  });
});

describe('JWT and Kubernetes end to end', () => {
  let jwks: TestServer;
  let review: TestServer;
  let privateKey: CryptoKey;
  let saToken = '';
  beforeAll(async () => {
    const pair = await generateKeyPair('ES256', { extractable: true });
    privateKey = pair.privateKey;
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
    jwks = await startTestServer(() => ({ body: { keys: [jwk] } }));
    // A projected service-account token; the TokenReview server below is what vouches for it.
    saToken = await new SignJWT({ 'kubernetes.io': { namespace: 'payments', serviceaccount: { name: 'api', uid: '4b9e0f58-1c2d-4e5f-8a9b-0c1d2e3f4a5b' } } })
      .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
      .setSubject('system:serviceaccount:payments:api')
      .setIssuer('https://kubernetes.default.svc')
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(privateKey);
    review = await startTestServer((req) => {
      const token = (JSON.parse(req.body) as { spec: { token: string } }).spec.token;
      if (req.headers.authorization !== 'Bearer reviewer-jwt' || token !== saToken) return { body: { status: { authenticated: false } } };
      return { body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', status: { authenticated: true, user: { username: 'system:serviceaccount:payments:api', uid: '4b9e0f58-1c2d-4e5f-8a9b-0c1d2e3f4a5b' } } } };
    });
  });
  afterAll(async () => {
    await jwks.close();
    await review.close();
  });

  const jwt = (claims: Record<string, unknown>, expiresIn = '5m') =>
    new SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid: 'k1' }).setIssuer('https://issuer.test').setAudience('keygate').setIssuedAt().setExpirationTime(expiresIn).sign(privateKey);

  it('logs in with a JWT from a JWKS and maps claims into token metadata', async () => {
    await ok(gw.call('POST', '/api/v1/sys/auth/jwt', { body: { type: 'jwt' } }), 204);
    await ok(gw.call('POST', '/api/v1/auth/jwt/config', { body: { jwks_url: `${jwks.url}/jwks`, bound_issuer: 'https://issuer.test' } }), 204);
    await ok(gw.call('POST', '/api/v1/auth/jwt/role/ci', { body: { role_type: 'jwt', bound_audiences: ['keygate'], user_claim: 'sub', claim_mappings: { repo: 'repository' }, token_policies: ['default'] } }), 204);
    const presented = await jwt({ sub: 'repo:org/app', repo: 'org/app' });
    const login = await ok(gw.call('POST', '/api/v1/auth/login', { token: null, body: { method: 'jwt', role: 'ci', jwt: presented } }));
    expect(login.auth.metadata).toMatchObject({ repository: 'org/app', role: 'ci' });
    const tampered = await gw.call('POST', '/api/v1/auth/jwt/login', { token: null, body: { role: 'ci', jwt: `${presented.slice(0, -6)}AAAAAA` } });
    expect(tampered.status).toBe(401);
    expect(tampered.text).not.toContain(presented.split('.')[2]);
    for (const line of gw.logs) {
      expect(line).not.toContain(presented.split('.')[2]);
      expect(line).not.toContain(login.auth.client_token.slice(3));
    }
    const expired = await gw.call('POST', '/api/v1/auth/jwt/login', { token: null, body: { role: 'ci', jwt: await jwt({ sub: 'x' }, '-1m') } });
    expect(expired.status).toBe(401);
  });

  it('logs in a Kubernetes service account through TokenReview', async () => {
    await ok(gw.call('POST', '/api/v1/sys/auth/kubernetes', { body: { type: 'kubernetes' } }), 204);
    await ok(gw.call('POST', '/api/v1/auth/kubernetes/config', { body: { kubernetes_host: review.url, token_reviewer_jwt: 'reviewer-jwt' } }), 204);
    await ok(gw.call('POST', '/api/v1/auth/kubernetes/role/payments', { body: { bound_service_account_names: ['api'], bound_service_account_namespaces: ['payments'], token_policies: ['default'] } }), 204);
    const login = await ok(gw.call('POST', '/api/v1/auth/kubernetes/login', { token: null, body: { role: 'payments', jwt: saToken } }));
    expect(login.auth.policies).toEqual(['default']);
    expect((await gw.call('POST', '/api/v1/auth/kubernetes/login', { token: null, body: { role: 'payments', jwt: `${saToken.slice(0, -4)}AAAA` } })).status).toBe(401);
    const config = await ok(gw.call('GET', '/api/v1/auth/kubernetes/config'));
    expect(JSON.stringify(config)).not.toContain('reviewer-jwt');
  });
});

describe('auth methods declared in the config file', () => {
  it('enables the method and writes its roles at start', async () => {
    const declared = await createTestGateway({
      config: {
        auth: [{ path: 'approle', type: 'approle', roles: { ci: { token_policies: ['ci'], secret_id_num_uses: 1 } } }],
        policies: { ci: 'path "testing/*" { capabilities = ["read", "list"] }' },
      },
    });
    try {
      const role = await declared.call('GET', '/api/v1/auth/approle/role/ci');
      expect(role.status, role.text).toBe(200);
      expect(role.body.data.token_policies).toEqual(['ci']);
      expect((await declared.call('GET', '/api/v1/sys/policies/acl/ci')).body.data.policy).toContain('testing/*');
    } finally {
      await declared.close();
    }
  });

  it('names the bad field of a declared role', async () => {
    const err = await createTestGateway({ config: { auth: [{ path: 'approle', type: 'approle', roles: { ci: { token_ttl: 'forever' } } }] } }).catch((e: unknown) => e);
    expect(String((err as Error).message)).toContain('auth.0');
    expect(JSON.stringify((err as { details?: unknown }).details)).toContain('auth.0.roles.ci.token_ttl');
  });
});
