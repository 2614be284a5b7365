import { describe, expect, it } from 'vitest';
import type { JsonValue } from '../../../core/index.js';
import { createApproleHarness, revealed } from './test-harness.js';

describe('approle: secret ids', () => {
  it('generates a 256-bit secret id, returned once (wrapped as sensitive) with its accessor, TTL and uses', async () => {
    const h = createApproleHarness();
    await h.writeRole('ci', { secret_id_ttl: '10m', secret_id_num_uses: 5 });
    const response = await h.call('update', 'role/ci/secret-id');
    expect(JSON.stringify(response)).toContain('[redacted]');
    const data = revealed(response).data;
    const first = typeof data === 'object' && data !== null && !Array.isArray(data) ? data.secret_id : undefined;
    expect(data).toEqual({
      secret_id: expect.stringMatching(/^[0-9a-f]{64}$/),
      secret_id_accessor: expect.stringMatching(/^[0-9a-f-]{36}$/),
      secret_id_ttl: 600,
      secret_id_num_uses: 5,
    });
    expect(response.cache).toBe('no-store');
    const second = await h.secretId('ci');
    expect(second.secretId).not.toBe(first);
  });

  it('lists the accessors of a role, never the secret ids', async () => {
    const h = createApproleHarness();
    await h.writeRole('ci');
    const a = await h.secretId('ci');
    const b = await h.secretId('ci');
    const listed = await h.call('list', 'role/ci/secret-id');
    expect(listed.data).toEqual({ keys: [a.accessor, b.accessor].sort() });
    expect(JSON.stringify(listed)).not.toContain(a.secretId);
    expect((await h.failure(h.call('list', 'role/ghost/secret-id'))).code).toBe('ERR_NOT_FOUND');
  });

  it('looks a secret id up by value and by accessor, without returning the value', async () => {
    const h = createApproleHarness();
    await h.writeRole('ci', { secret_id_bound_cidrs: ['10.0.0.0/8'] });
    const { secretId, accessor } = await h.secretId('ci', { metadata: { team: 'infra' }, cidr_list: '10.1.0.0/16', ttl: 120, num_uses: 2 });
    const byValue = await h.call('update', 'role/ci/secret-id/lookup', { data: { secret_id: secretId } });
    expect(byValue.data).toEqual({
      secret_id_accessor: accessor,
      creation_time: '2024-01-01T00:00:00.000Z',
      last_updated_time: '2024-01-01T00:00:00.000Z',
      expiration_time: '2024-01-01T00:02:00.000Z',
      secret_id_ttl: 120,
      secret_id_num_uses: 2,
      cidr_list: ['10.1.0.0/16'],
      token_bound_cidrs: [],
      metadata: { team: 'infra' },
    });
    const byAccessor = await h.call('update', 'role/ci/secret-id-accessor/lookup', { data: { secret_id_accessor: accessor } });
    expect(byAccessor.data).toEqual(byValue.data);
    expect(revealed(byValue)).not.toHaveProperty('data.secret_id');
    expect(JSON.stringify(revealed(byAccessor))).not.toContain(secretId);
  });

  it('answers 404 when looking up an unknown or expired secret id, or one of another role', async () => {
    const h = createApproleHarness();
    await h.writeRole('a');
    await h.writeRole('b');
    const { secretId, accessor } = await h.secretId('a', { ttl: 60 });
    const lookup = (role: string, data: Record<string, string>, path = 'secret-id/lookup') =>
      h.failure(h.call('update', `role/${role}/${path}`, { data }));
    expect((await lookup('a', { secret_id: 'f'.repeat(64) })).code).toBe('ERR_NOT_FOUND');
    expect((await lookup('b', { secret_id: secretId })).code).toBe('ERR_NOT_FOUND');
    expect((await lookup('b', { secret_id_accessor: accessor }, 'secret-id-accessor/lookup')).code).toBe('ERR_NOT_FOUND');
    h.runtime.advance(60_000);
    expect((await lookup('a', { secret_id: secretId })).code).toBe('ERR_NOT_FOUND');
  });

  it('destroys a secret id by value (POST or DELETE) and by accessor; destroying twice succeeds', async () => {
    const h = createApproleHarness();
    await h.writeRole('ci');
    const roleId = await h.roleId('ci');
    const one = await h.secretId('ci');
    const two = await h.secretId('ci');
    const three = await h.secretId('ci');
    expect((await h.call('update', 'role/ci/secret-id/destroy', { data: { secret_id: one.secretId } })).status).toBe(204);
    expect((await h.call('update', 'role/ci/secret-id/destroy', { data: { secret_id: one.secretId } })).status).toBe(204);
    expect((await h.call('delete', 'role/ci/secret-id/destroy', { data: { secret_id: two.secretId } })).status).toBe(204);
    expect((await h.call('update', 'role/ci/secret-id-accessor/destroy', { data: { secret_id_accessor: three.accessor } })).status).toBe(204);
    expect((await h.call('delete', 'role/ci/secret-id-accessor/destroy', { data: { secret_id_accessor: three.accessor } })).status).toBe(204);
    for (const s of [one, two, three]) expect((await h.failure(h.login(roleId, s.secretId))).code).toBe('ERR_UNAUTHENTICATED');
    expect((await h.call('list', 'role/ci/secret-id')).data).toEqual({ keys: [] });
  });

  it("only narrows the role's settings: CIDR blocks, TTL and uses", async () => {
    const h = createApproleHarness();
    await h.writeRole('ci', { secret_id_bound_cidrs: ['10.0.0.0/8'], token_bound_cidrs: ['10.0.0.0/8'], secret_id_ttl: 600, secret_id_num_uses: 3 });
    const field = async (data: Record<string, unknown>) => (await h.failure(h.call('update', 'role/ci/secret-id', { data: JSON.parse(JSON.stringify(data)) }))).details?.[0]?.field;
    expect(await field({ cidr_list: ['192.168.0.0/16'] })).toBe('cidr_list');
    expect(await field({ cidr_list: ['10.0.0.0/7'] })).toBe('cidr_list');
    expect(await field({ token_bound_cidrs: ['0.0.0.0/0'] })).toBe('token_bound_cidrs');
    expect(await field({ ttl: 601 })).toBe('ttl');
    expect(await field({ num_uses: 4 })).toBe('num_uses');
    const ok = await h.secretId('ci', { cidr_list: ['10.1.2.3', '::ffff:10.9.0.0/112'], ttl: '5m', num_uses: 2 });
    expect(ok.data).toMatchObject({ secret_id_ttl: 300, secret_id_num_uses: 2 });
    const inherit = await h.secretId('ci');
    expect(inherit.data).toMatchObject({ secret_id_ttl: 600, secret_id_num_uses: 3 });
  });

  it('takes metadata as a map or as a JSON string (as Vault clients send it), and refuses anything else', async () => {
    const h = createApproleHarness();
    await h.writeRole('ci');
    const fromString = await h.secretId('ci', { metadata: '{"host":"build-7"}' });
    const looked = await h.call('update', 'role/ci/secret-id-accessor/lookup', { data: { secret_id_accessor: fromString.accessor } });
    expect(looked.data?.metadata).toEqual({ host: 'build-7' });
    const bad: JsonValue[] = ['not json', '[1]', { nested: { no: 1 } }, { 'bad key': 'x' }];
    for (const metadata of bad) {
      const err = await h.failure(h.call('update', 'role/ci/secret-id', { data: { metadata } }));
      expect(err.code).toBe('ERR_VALIDATION');
    }
  });

  it('refuses to generate a secret id for a role that does not exist', async () => {
    const h = createApproleHarness();
    expect((await h.failure(h.call('update', 'role/ghost/secret-id'))).code).toBe('ERR_NOT_FOUND');
  });

  it('tidies expired secret ids, those of deleted roles and dangling accessors', async () => {
    const h = createApproleHarness();
    await h.writeRole('ci');
    await h.secretId('ci', { ttl: 60 });
    const keep = await h.secretId('ci');
    await h.writeRole('gone');
    await h.secretId('gone');
    // Simulate an interrupted delete: the role record is gone but its secret ids are not.
    await h.storage.delete('role/gone');
    await h.storage.put('accessor/ci/00000000-dangling', new TextEncoder().encode('{"hmac":"00"}'));
    h.runtime.advance(61_000);
    const tidy = await h.call('update', 'tidy/secret-id');
    expect(tidy.data).toEqual({ secret_ids_removed: 2, accessors_removed: 1 });
    expect((await h.call('list', 'role/ci/secret-id')).data).toEqual({ keys: [keep.accessor] });
    const left = [...(await h.dump()).keys()].filter((k) => k.startsWith('secret-id/') || k.startsWith('accessor/'));
    expect(left).toHaveLength(2);
  });
});
