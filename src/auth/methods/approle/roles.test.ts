import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../core/index.js';
import { describeEngine } from '../../../native-engines/framework/index.js';
import { backendRequest } from '../../../native-engines/test-support.js';
import { approleMethod } from './index.js';
import { createApproleHarness } from './test-harness.js';

describe('approle: roles', () => {
  it('creates a role with Vault defaults and reads it back with durations in seconds, never the role_id', async () => {
    const h = createApproleHarness();
    expect((await h.writeRole('ci', { token_policies: 'deploy, read', token_ttl: '1h', secret_id_ttl: 600 })).status).toBe(204);
    const read = await h.call('read', 'role/ci');
    expect(read.data).toEqual({
      bind_secret_id: true,
      secret_id_bound_cidrs: [],
      secret_id_num_uses: 0,
      secret_id_ttl: 600,
      local_secret_ids: false,
      token_policies: ['deploy', 'read'],
      token_ttl: 3600,
      token_max_ttl: 0,
      token_period: 0,
      token_num_uses: 0,
      token_bound_cidrs: [],
      token_no_default_policy: false,
    });
    expect(read.data).not.toHaveProperty('role_id');
  });

  it('updates only the fields given, keeping the others', async () => {
    const h = createApproleHarness();
    await h.writeRole('ci', { token_policies: ['deploy'], secret_id_num_uses: 3, token_ttl: 60 });
    const before = await h.roleId('ci');
    await h.writeRole('ci', { secret_id_bound_cidrs: '10.0.0.0/8' });
    expect((await h.call('read', 'role/ci')).data).toMatchObject({
      token_policies: ['deploy'],
      secret_id_num_uses: 3,
      token_ttl: 60,
      secret_id_bound_cidrs: ['10.0.0.0/8'],
    });
    expect(await h.roleId('ci')).toBe(before);
  });

  it('canonicalises role names, lists roles and says whether one exists', async () => {
    const h = createApproleHarness();
    await h.writeRole('Web');
    await h.writeRole('api');
    expect((await h.call('read', 'role/WEB')).data).toMatchObject({ bind_secret_id: true });
    expect((await h.call('list', 'role')).data).toEqual({ keys: ['api', 'web'] });
    expect((await h.call('list', 'role', { params: { limit: '1' } })).metadata).toEqual({ next_after: 'api' });
    expect(await h.engine.exists?.(backendRequest('update', 'role/web', {}, 'approle'))).toBe(true);
    expect(await h.engine.exists?.(backendRequest('update', 'role/nope', {}, 'approle'))).toBe(false);
  });

  it('answers 404 for a missing role and 400 for a malformed name', async () => {
    const h = createApproleHarness();
    expect((await h.failure(h.call('read', 'role/ghost'))).code).toBe('ERR_NOT_FOUND');
    expect((await h.failure(h.call('read', 'role/ghost/role-id'))).code).toBe('ERR_NOT_FOUND');
    const bad = await h.failure(h.call('read', 'role/-bad!'));
    expect(bad).toBeInstanceOf(ValidationError);
    expect(bad.details).toEqual([{ field: 'name', reason: 'has an invalid format' }]);
  });

  it('refuses invalid settings, naming each field', async () => {
    const h = createApproleHarness();
    const err = await h.failure(h.writeRole('ci', { secret_id_bound_cidrs: ['10.0.0.0/33'], secret_id_num_uses: -1, colour: 'red' }));
    expect(err.details?.map((d) => d.field).sort()).toEqual(['colour', 'secret_id_bound_cidrs.0', 'secret_id_num_uses']);
    const ttl = await h.failure(h.writeRole('ci', { token_ttl: '2h', token_max_ttl: '1h' }));
    expect(ttl.details).toEqual([{ field: 'token_ttl', reason: 'must not be greater than token_max_ttl' }]);
  });

  it('refuses a role that binds neither a secret id nor a CIDR block', async () => {
    const h = createApproleHarness();
    const err = await h.failure(h.writeRole('open', { bind_secret_id: false }));
    expect(err.details?.[0]?.field).toBe('bind_secret_id');
    await h.writeRole('ok', { bind_secret_id: false, secret_id_bound_cidrs: ['10.0.0.0/8'] });
    const later = await h.failure(h.writeRole('ok', { secret_id_bound_cidrs: [] }));
    expect(later.code).toBe('ERR_VALIDATION');
  });

  it('deletes a role with its secret ids and role-id index; deleting again succeeds', async () => {
    const h = createApproleHarness();
    await h.writeRole('ci');
    await h.secretId('ci');
    await h.secretId('ci');
    expect((await h.call('delete', 'role/ci')).status).toBe(204);
    expect((await h.call('delete', 'role/ci')).status).toBe(204);
    expect([...(await h.dump()).keys()]).toEqual(['hmac-key']);
  });
});

describe('approle: role-id', () => {
  it('generates a UUID role_id and lets an operator set a custom one', async () => {
    const h = createApproleHarness();
    await h.writeRole('ci');
    expect(await h.roleId('ci')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const { secretId } = await h.secretId('ci');
    const old = await h.roleId('ci');
    expect((await h.call('update', 'role/ci/role-id', { data: { role_id: 'ci-custom-id' } })).status).toBe(204);
    expect(await h.roleId('ci')).toBe('ci-custom-id');
    expect((await h.login('ci-custom-id', secretId)).alias.name).toBe('ci-custom-id');
    expect((await h.failure(h.login(old, secretId))).code).toBe('ERR_UNAUTHENTICATED');
  });

  it('keeps role_ids unique across roles (409), also when given at role creation', async () => {
    const h = createApproleHarness();
    await h.writeRole('a', { role_id: 'shared-id' });
    await h.writeRole('b');
    expect((await h.failure(h.call('update', 'role/b/role-id', { data: { role_id: 'shared-id' } }))).code).toBe('ERR_CONFLICT');
    expect((await h.failure(h.writeRole('c', { role_id: 'shared-id' }))).code).toBe('ERR_CONFLICT');
    expect((await h.call('list', 'role')).data).toEqual({ keys: ['a', 'b'] });
    // Setting a role's own role_id again is not a conflict; once freed, another role may take it.
    await h.call('update', 'role/a/role-id', { data: { role_id: 'shared-id' } });
    await h.call('update', 'role/a/role-id', { data: { role_id: 'other-id' } });
    await h.call('update', 'role/b/role-id', { data: { role_id: 'shared-id' } });
    expect(await h.roleId('b')).toBe('shared-id');
  });

  it('refuses a role_id with spaces or control characters', async () => {
    const h = createApproleHarness();
    await h.writeRole('ci');
    const err = await h.failure(h.call('update', 'role/ci/role-id', { data: { role_id: 'has space' } }));
    expect(err.details).toEqual([{ field: 'role_id', reason: 'must be printable ASCII without spaces' }]);
  });
});

describe('approle: definition', () => {
  it('is type approle, takes no options and declares its paths for OpenAPI', () => {
    expect(approleMethod.type).toBe('approle');
    expect(approleMethod.actions).toEqual([]);
    const described = describeEngine(approleMethod).map((d) => `${d.operation} ${d.pattern}`);
    expect(described).toEqual(
      expect.arrayContaining([
        'update login',
        'list role',
        'read role/{name}',
        'update role/{name}',
        'delete role/{name}',
        'read role/{name}/role-id',
        'update role/{name}/role-id',
        'update role/{name}/secret-id',
        'list role/{name}/secret-id',
        'update role/{name}/secret-id/lookup',
        'update role/{name}/secret-id/destroy',
        'delete role/{name}/secret-id/destroy',
        'update role/{name}/secret-id-accessor/lookup',
        'update role/{name}/secret-id-accessor/destroy',
        'update tidy/secret-id',
      ]),
    );
    const generate = describeEngine(approleMethod).find((d) => d.pattern === 'role/{name}/secret-id' && d.operation === 'update');
    expect(generate?.sensitive).toEqual(['secret_id']);
  });
});
