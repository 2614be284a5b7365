import { exportSPKI, generateKeyPair } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { GatewayError, ValidationError, createWebRuntime } from '../../../core/index.js';
import type { JsonObject, Operation, OperationResponse, Runtime } from '../../../core/index.js';
import { describeEngine, instantiateEngine } from '../../../native-engines/framework/index.js';
import { backendRequest, createTestRuntime } from '../../../native-engines/test-support.js';
import { createMemoryStorage } from '../../../storage/memory.js';
import { jwtMethod } from './index.js';

const CA_PEM = '-----BEGIN CERTIFICATE-----\nMIIBAA==\n-----END CERTIFICATE-----';

function mount(runtime: Runtime = createTestRuntime()) {
  const storage = createMemoryStorage();
  const engine = instantiateEngine(jwtMethod, { storage, runtime, options: undefined });
  const call = (operation: Operation, path: string, data: JsonObject = {}, params: Record<string, string> = {}): Promise<OperationResponse> =>
    engine.handle(backendRequest(operation, path, { data, params }, 'jwt'));
  return { engine, storage, call };
}

async function failure(promise: Promise<unknown>): Promise<GatewayError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof GatewayError) return err;
    throw err;
  }
  throw new Error('expected a failure');
}

let rsaPem: string;
beforeAll(async () => {
  rsaPem = await exportSPKI((await generateKeyPair('RS256', { extractable: true })).publicKey);
});

describe('jwt config', () => {
  it('stores and reads back a configuration, with defaults', async () => {
    const { call } = mount();
    expect((await call('update', 'config', { jwks_url: 'https://issuer.example/keys', bound_issuer: 'https://issuer.example' })).status).toBe(204);
    expect((await call('read', 'config')).data).toEqual({
      jwks_url: 'https://issuer.example/keys',
      jwks_ca_pem: null,
      oidc_discovery_url: null,
      oidc_discovery_ca_pem: null,
      jwt_validation_pubkeys: [],
      bound_issuer: 'https://issuer.example',
      jwt_supported_algs: ['RS256', 'ES256', 'EdDSA'],
    });
  });

  it('answers 404 before it is configured', async () => {
    expect((await failure(mount().call('read', 'config'))).code).toBe('ERR_NOT_FOUND');
  });

  it('requires exactly one key source', async () => {
    const { call } = mount();
    const bodies: JsonObject[] = [{}, { jwks_url: 'https://a.example/k', oidc_discovery_url: 'https://a.example' }, { jwks_url: 'https://a.example/k', jwt_validation_pubkeys: [rsaPem] }];
    for (const body of bodies) {
      const err = await failure(call('update', 'config', body));
      expect(err).toBeInstanceOf(ValidationError);
      expect(err.details?.[0]?.reason).toMatch(/exactly one of/);
    }
  });

  it('refuses none and HS* algorithms, and plain http to a non-loopback host', async () => {
    const { call } = mount();
    for (const alg of ['none', 'HS256', 'HS512']) {
      const err = await failure(call('update', 'config', { jwks_url: 'https://a.example/k', jwt_supported_algs: [alg] }));
      expect(err.details?.[0]?.field).toBe('jwt_supported_algs.0');
    }
    const http = await failure(call('update', 'config', { jwks_url: 'http://a.example/k' }));
    expect(http.details?.[0]).toMatchObject({ field: 'jwks_url' });
    const creds = await failure(call('update', 'config', { jwks_url: 'https://user:pw@a.example/k' }));
    expect(creds.details?.[0]).toMatchObject({ field: 'jwks_url' });
  });

  it('takes a CA bundle only with its URL, over https, on a runtime that can use it', async () => {
    const { call } = mount();
    const alone = await failure(call('update', 'config', { jwt_validation_pubkeys: [rsaPem], jwks_ca_pem: CA_PEM }));
    expect(alone.details).toContainEqual({ field: 'jwks_ca_pem', reason: 'may only be set with jwks_url' });
    const http = await failure(call('update', 'config', { jwks_url: 'http://127.0.0.1:1/k', jwks_ca_pem: CA_PEM }));
    expect(http.details).toContainEqual({ field: 'jwks_ca_pem', reason: 'needs an https jwks_url' });
    // The test runtime, like Workers, has no tlsFetch.
    const noTls = await failure(call('update', 'config', { jwks_url: 'https://a.example/k', jwks_ca_pem: CA_PEM }));
    expect(noTls.details).toEqual([{ field: 'jwks_ca_pem', reason: 'cannot be used: this runtime cannot trust a custom CA' }]);
    const withTls = mount(createWebRuntime({ tlsFetch: () => fetch }));
    expect((await withTls.call('update', 'config', { jwks_url: 'https://a.example/k', jwks_ca_pem: CA_PEM })).status).toBe(204);
    const refusing = mount(
      createWebRuntime({
        tlsFetch: () => {
          throw new TypeError('bad bundle');
        },
      }),
    );
    const bad = await failure(refusing.call('update', 'config', { jwks_url: 'https://a.example/k', jwks_ca_pem: CA_PEM }));
    expect(bad.details).toEqual([{ field: 'jwks_ca_pem', reason: 'is not a usable PEM CA bundle' }]);
  });

  it('checks that static keys import for an accepted algorithm', async () => {
    const { call } = mount();
    const err = await failure(call('update', 'config', { jwt_validation_pubkeys: [rsaPem], jwt_supported_algs: ['ES256'] }));
    expect(err.details).toEqual([{ field: 'jwt_validation_pubkeys.0', reason: 'is not a public key for any algorithm in jwt_supported_algs' }]);
    const pkcs1 = await failure(call('update', 'config', { jwt_validation_pubkeys: ['-----BEGIN RSA PUBLIC KEY-----\nAAAA\n-----END RSA PUBLIC KEY-----'] }));
    expect(pkcs1.details?.[0]?.field).toBe('jwt_validation_pubkeys.0');
    expect((await call('update', 'config', { jwt_validation_pubkeys: [rsaPem] })).status).toBe(204);
  });
});

describe('jwt roles', () => {
  it('stores a role and reads it back with durations in seconds', async () => {
    const { call } = mount();
    await call('update', 'role/CI', { bound_audiences: 'a, b', bound_claims: { repo: ['x', 'y'] }, token_ttl: '1h', clock_skew_leeway: '2m' });
    expect((await call('read', 'role/ci')).data).toEqual({
      role_type: 'jwt',
      bound_audiences: ['a', 'b'],
      bound_subject: '',
      bound_claims_type: 'string',
      bound_claims: { repo: ['x', 'y'] },
      claim_mappings: {},
      user_claim: 'sub',
      groups_claim: '',
      clock_skew_leeway: 120,
      expiration_leeway: 0,
      not_before_leeway: 0,
      token_policies: [],
      token_ttl: 3600,
      token_max_ttl: 0,
      token_period: 0,
      token_num_uses: 0,
      token_bound_cidrs: [],
      token_no_default_policy: false,
    });
    expect((await call('list', 'role')).data).toEqual({ keys: ['ci'] });
  });

  it('merges a write into the stored role, as Vault does', async () => {
    const { call } = mount();
    await call('update', 'role/ci', { bound_audiences: ['a'], token_policies: ['p'] });
    await call('update', 'role/ci', { token_ttl: 60 });
    expect((await call('read', 'role/ci')).data).toMatchObject({ bound_audiences: ['a'], token_policies: ['p'], token_ttl: 60 });
    // Clearing the last binding is refused on the merged role.
    const err = await failure(call('update', 'role/ci', { bound_audiences: [] }));
    expect(err.details?.[0]?.field).toBe('bound_audiences');
  });

  it('requires a binding, bounds leeways, and wants strings for glob claims', async () => {
    const { call } = mount();
    expect((await failure(call('update', 'role/ci', {}))).details?.[0]?.reason).toMatch(/at least one of bound_audiences/);
    expect((await failure(call('update', 'role/ci', { bound_audiences: ['a'], clock_skew_leeway: 301 }))).details).toEqual([
      { field: 'clock_skew_leeway', reason: 'must be at most 5 minutes (300 seconds)' },
    ]);
    const glob = await failure(call('update', 'role/ci', { bound_claims_type: 'glob', bound_claims: { n: 1 } }));
    expect(glob.details?.[0]?.field).toBe('bound_claims');
    const ttl = await failure(call('update', 'role/ci', { bound_audiences: ['a'], token_ttl: 100, token_max_ttl: 10 }));
    expect(ttl.details?.[0]?.field).toBe('token_ttl');
    const oidc = await failure(call('update', 'role/ci', { bound_audiences: ['a'], role_type: 'oidc' }));
    expect(oidc.details?.[0]?.field).toBe('role_type');
  });

  it('refuses claim mappings onto "role" or onto one key twice', async () => {
    const { call } = mount();
    const reserved = await failure(call('update', 'role/ci', { bound_audiences: ['a'], claim_mappings: { x: 'role' } }));
    expect(reserved.details?.[0]?.field).toBe('claim_mappings');
    const twice = await failure(call('update', 'role/ci', { bound_audiences: ['a'], claim_mappings: { x: 'k', y: 'k' } }));
    expect(twice.details?.[0]?.field).toBe('claim_mappings');
  });

  it('deletes a role, and refuses a malformed role name', async () => {
    const { call } = mount();
    await call('update', 'role/ci', { bound_audiences: ['a'] });
    expect((await call('delete', 'role/ci')).status).toBe(204);
    expect((await failure(call('read', 'role/ci'))).code).toBe('ERR_NOT_FOUND');
    expect((await failure(call('read', 'role/-bad'))).details?.[0]?.field).toBe('name');
  });
});

describe('jwt method definition', () => {
  it('marks the login jwt as sensitive and describes every path', () => {
    const described = describeEngine(jwtMethod);
    expect(described.map((d) => `${d.operation} ${d.pattern}`)).toEqual([
      'read config',
      'update config',
      'list role',
      'read role/{name}',
      'update role/{name}',
      'delete role/{name}',
      'update login',
    ]);
    const login = described.find((d) => d.pattern === 'login');
    expect(login?.sensitive).toEqual(['jwt']);
    expect(login?.body).toMatchObject({ required: ['role', 'jwt'] });
  });
});
