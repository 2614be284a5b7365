import { describe, expect, it } from 'vitest';
import { GatewayError, ValidationError, revealingStringify } from '../../../core/index.js';
import type { JsonObject, Operation, OperationResponse } from '../../../core/index.js';
import { describeEngine, instantiateEngine } from '../../../native-engines/framework/index.js';
import { backendRequest, createTestRuntime } from '../../../native-engines/test-support.js';
import { createMemoryStorage } from '../../../storage/memory.js';
import { kubernetesMethod } from './index.js';

const REVIEWER = 'eyJhbGciOiJSUzI1NiJ9.Q0FOQVJZLXJldmlld2VyLTQ0.c2ln';

function mount() {
  const storage = createMemoryStorage();
  const engine = instantiateEngine(kubernetesMethod, { storage, runtime: createTestRuntime(), options: undefined });
  const call = (operation: Operation, path: string, data: JsonObject = {}): Promise<OperationResponse> =>
    engine.handle(backendRequest(operation, path, { data }, 'kubernetes'));
  return { storage, call };
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

describe('kubernetes config', () => {
  it('stores a configuration and reads it back without the reviewer JWT', async () => {
    const { call } = mount();
    await call('update', 'config', { kubernetes_host: 'https://10.0.0.1:6443', token_reviewer_jwt: REVIEWER });
    const read = await call('read', 'config');
    expect(read.data).toEqual({
      kubernetes_host: 'https://10.0.0.1:6443',
      kubernetes_ca_cert: null,
      issuer: null,
      disable_iss_validation: true,
      use_jwks: null,
      token_reviewer_jwt_set: true,
    });
    expect(revealingStringify(read)).not.toContain('Q0FOQVJZ');
  });

  it('marks the reviewer JWT and the login JWT sensitive', () => {
    const described = describeEngine(kubernetesMethod);
    expect(described.find((d) => d.pattern === 'config' && d.operation === 'update')?.sensitive).toEqual(['token_reviewer_jwt']);
    expect(described.find((d) => d.pattern === 'login')?.sensitive).toEqual(['jwt']);
  });

  it('validates hosts, CA placement, use_jwks and the issuer rule', async () => {
    const { call } = mount();
    const cases: [JsonObject, string][] = [
      [{ kubernetes_host: 'http://10.0.0.1' }, 'kubernetes_host'],
      [{ kubernetes_host: 'http://127.0.0.1:8080', kubernetes_ca_cert: '-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----' }, 'kubernetes_ca_cert'],
      [{ kubernetes_host: 'https://k8s', use_jwks: {}, issuer: 'x' }, 'use_jwks'],
      [{ kubernetes_host: 'https://k8s', use_jwks: { jwks_url: 'https://k8s/openid/v1/jwks' } }, 'issuer'],
      [{ kubernetes_host: 'https://k8s', token_reviewer_jwt: 'not a jwt\r\nX-Injected: 1' }, 'token_reviewer_jwt'],
      [{ kubernetes_host: 'https://k8s', use_jwks: { pem_keys: ['-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----'] }, issuer: 'x' }, 'use_jwks.pem_keys.0'],
    ];
    for (const [body, field] of cases) {
      const err = await failure(call('update', 'config', body));
      expect(err).toBeInstanceOf(ValidationError);
      expect(err.details?.map((d) => d.field)).toContain(field);
      expect(JSON.stringify(err.details)).not.toContain('X-Injected');
    }
    await call('update', 'config', { kubernetes_host: 'https://k8s', use_jwks: { jwks_url: 'https://k8s/openid/v1/jwks' }, disable_iss_validation: true });
    expect((await call('read', 'config')).data).toMatchObject({ use_jwks: { jwks_url: 'https://k8s/openid/v1/jwks', jwks_ca_pem: null, pem_keys: [] } });
  });
});

describe('kubernetes roles', () => {
  it('canonicalises bindings and reads durations in seconds', async () => {
    const { call } = mount();
    await call('update', 'role/Web', { bound_service_account_names: ' Web , web,API-*', bound_service_account_namespaces: ['Default'], token_ttl: '10m' });
    expect((await call('read', 'role/web')).data).toEqual({
      bound_service_account_names: ['web', 'api-*'],
      bound_service_account_namespaces: ['default'],
      audience: null,
      alias_name_source: 'serviceaccount_uid',
      token_policies: [],
      token_ttl: 600,
      token_max_ttl: 0,
      token_period: 0,
      token_num_uses: 0,
      token_bound_cidrs: [],
      token_no_default_policy: false,
    });
  });

  it('requires names and namespaces, forbids mixing * and forbids * for both', async () => {
    const { call } = mount();
    const empty = await failure(call('update', 'role/r', {}));
    expect(empty.details?.map((d) => d.field)).toEqual(['bound_service_account_names', 'bound_service_account_namespaces']);
    const mixed = await failure(call('update', 'role/r', { bound_service_account_names: ['*', 'a'], bound_service_account_namespaces: ['default'] }));
    expect(mixed.details).toEqual([{ field: 'bound_service_account_names', reason: 'must not mix "*" with other values' }]);
    const both = await failure(call('update', 'role/r', { bound_service_account_names: '*', bound_service_account_namespaces: '*' }));
    expect(both.details?.[0]?.field).toBe('bound_service_account_names');
    const bad = await failure(call('update', 'role/r', { bound_service_account_names: ['a/b'], bound_service_account_namespaces: ['default'] }));
    expect(bad.details?.[0]?.field).toBe('bound_service_account_names.0');
  });

  it('merges updates into the stored role', async () => {
    const { call } = mount();
    await call('update', 'role/r', { bound_service_account_names: 'a', bound_service_account_namespaces: 'b' });
    await call('update', 'role/r', { audience: 'keygate' });
    expect((await call('read', 'role/r')).data).toMatchObject({ bound_service_account_names: ['a'], audience: 'keygate' });
    expect((await call('list', 'role')).data).toEqual({ keys: ['r'] });
    await call('delete', 'role/r');
    expect((await call('list', 'role')).data).toEqual({ keys: [] });
  });
});
