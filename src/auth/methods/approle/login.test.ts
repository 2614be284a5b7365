import { describe, expect, it } from 'vitest';
import type { Storage } from '../../../core/index.js';
import { createMemoryStorage } from '../../../storage/index.js';
import { createTestRuntime } from '../../../native-engines/test-support.js';
import { createApproleHarness } from './test-harness.js';
import type { ApproleHarness } from './test-harness.js';

/** Storage whose every call waits a timer tick first, as a real database would, so concurrent calls interleave. */
function slow(inner: Storage): Storage {
  const tick = () => new Promise<void>((resolve) => setTimeout(resolve, 1));
  return {
    get: async (key) => (await tick(), inner.get(key)),
    put: async (key, value) => (await tick(), inner.put(key, value)),
    delete: async (key) => (await tick(), inner.delete(key)),
    list: async (prefix, opts) => (await tick(), inner.list(prefix, opts)),
  };
}

async function refused(h: ApproleHarness, attempt: Promise<unknown>, reason: string): Promise<void> {
  const before = h.runtime.logged.length;
  const err = await h.failure(attempt);
  expect(err.code).toBe('ERR_UNAUTHENTICATED');
  expect(err.status).toBe(401);
  expect(err.message).toBe('missing or invalid client token');
  expect(err.details).toBeUndefined();
  const lines = h.runtime.logged.slice(before);
  expect(lines).toEqual([JSON.stringify([{ mount: 'approle/', reason }, 'login refused'])]);
}

describe('approle: login', () => {
  it('exchanges a role_id and secret id for an AuthResult carrying the role\'s token settings', async () => {
    const h = createApproleHarness();
    await h.writeRole('ci', {
      token_policies: ['deploy'],
      token_ttl: '1h',
      token_max_ttl: '4h',
      token_num_uses: 10,
      token_bound_cidrs: ['10.0.0.0/8'],
    });
    const roleId = await h.roleId('ci');
    const { secretId } = await h.secretId('ci', { metadata: { host: 'runner-1', role_name: 'spoofed' } });
    const response = await h.call('update', 'login', { data: { role_id: roleId, secret_id: secretId }, clientAddress: '10.1.1.1' });
    expect(response.data).toBeUndefined();
    expect(response.auth).toEqual({
      alias: { name: roleId, metadata: { role_name: 'ci' } },
      displayName: 'approle-ci',
      metadata: { host: 'runner-1', role_name: 'ci' },
      policies: ['deploy'],
      ttlMs: 3_600_000,
      maxTtlMs: 14_400_000,
      numUses: 10,
      boundCidrs: ['10.0.0.0/8'],
      noDefaultPolicy: false,
    });
  });

  it("binds tokens to the secret id's own token_bound_cidrs when it has them", async () => {
    const h = createApproleHarness();
    await h.writeRole('ci', { token_bound_cidrs: ['10.0.0.0/8'] });
    const { secretId } = await h.secretId('ci', { token_bound_cidrs: ['10.2.0.0/16'] });
    expect((await h.login(await h.roleId('ci'), secretId)).boundCidrs).toEqual(['10.2.0.0/16']);
  });

  it('refuses a wrong secret id, an unknown role_id, a missing secret id, and one of another role, all alike', async () => {
    const h = createApproleHarness();
    await h.writeRole('a');
    await h.writeRole('b');
    const roleA = await h.roleId('a');
    const { secretId: secretB } = await h.secretId('b');
    await h.secretId('a');
    await refused(h, h.login(roleA, 'f'.repeat(64)), 'secret_id_invalid');
    await refused(h, h.login(roleA, secretB), 'secret_id_invalid');
    await refused(h, h.login('00000000-0000-4000-8000-000000000000', secretB), 'role_id_unknown');
    await refused(h, h.login(roleA), 'secret_id_missing');
    await refused(h, h.login(roleA, ''), 'secret_id_missing');
    // The refused attempts spent nothing: b's secret id still works for b.
    await h.login(await h.roleId('b'), secretB);
  });

  it('answers a malformed body with 400, not 401', async () => {
    const h = createApproleHarness();
    for (const data of [{}, { role_id: 5 }, { role_id: 'x', secret_id: ['y'] }, { role_id: 'x', other: 1 }, { role_id: 'x'.repeat(300) }]) {
      const err = await h.failure(h.call('update', 'login', { data: JSON.parse(JSON.stringify(data)) }));
      expect(err.code).toBe('ERR_VALIDATION');
    }
  });

  it('allows exactly num_uses logins, then refuses and forgets the secret id', async () => {
    const h = createApproleHarness();
    await h.writeRole('ci', { secret_id_num_uses: 3 });
    const roleId = await h.roleId('ci');
    const { secretId, accessor } = await h.secretId('ci');
    const lookup = () => h.call('update', 'role/ci/secret-id-accessor/lookup', { data: { secret_id_accessor: accessor } });
    await h.login(roleId, secretId);
    expect((await lookup()).data?.secret_id_num_uses).toBe(2);
    await h.login(roleId, secretId);
    await h.login(roleId, secretId);
    await refused(h, h.login(roleId, secretId), 'secret_id_invalid');
    expect((await h.failure(lookup())).code).toBe('ERR_NOT_FOUND');
    expect([...(await h.dump()).keys()].filter((k) => k.startsWith('secret-id/') || k.startsWith('accessor/'))).toEqual([]);
  });

  it('lets exactly one of many concurrent logins spend a one-use secret id', async () => {
    const h = createApproleHarness(slow(createMemoryStorage()));
    await h.writeRole('ci', { secret_id_num_uses: 1 });
    const roleId = await h.roleId('ci');
    const { secretId } = await h.secretId('ci');
    const settled = await Promise.allSettled(Array.from({ length: 25 }, () => h.login(roleId, secretId)));
    expect(settled.filter((s) => s.status === 'fulfilled')).toHaveLength(1);
    for (const s of settled) if (s.status === 'rejected') expect(s.reason).toMatchObject({ code: 'ERR_UNAUTHENTICATED' });
  });

  it('counts every use of a many-use secret id under concurrent logins', async () => {
    const h = createApproleHarness(slow(createMemoryStorage()));
    await h.writeRole('ci', { secret_id_num_uses: 5 });
    const roleId = await h.roleId('ci');
    const { secretId } = await h.secretId('ci');
    const settled = await Promise.allSettled(Array.from({ length: 12 }, () => h.login(roleId, secretId)));
    expect(settled.filter((s) => s.status === 'fulfilled')).toHaveLength(5);
  });

  it('refuses a secret id once its TTL has passed (controllable clock)', async () => {
    const runtime = createTestRuntime();
    const h = createApproleHarness(createMemoryStorage(), runtime);
    await h.writeRole('ci', { secret_id_ttl: '10m' });
    const roleId = await h.roleId('ci');
    const { secretId } = await h.secretId('ci');
    const short = await h.secretId('ci', { ttl: 30 });
    runtime.advance(29_999);
    await h.login(roleId, short.secretId);
    runtime.advance(1);
    await refused(h, h.login(roleId, short.secretId), 'secret_id_expired');
    runtime.advance(10 * 60_000 - 30_000 - 1);
    await h.login(roleId, secretId);
    runtime.advance(1);
    await refused(h, h.login(roleId, secretId), 'secret_id_expired');
    // An expired record is removed when found; afterwards it is simply unknown.
    await refused(h, h.login(roleId, secretId), 'secret_id_invalid');
  });

  it("checks the client address against the role's secret_id_bound_cidrs", async () => {
    const h = createApproleHarness();
    await h.writeRole('ci', { secret_id_bound_cidrs: ['10.0.0.0/8', '2001:db8::/32'] });
    const roleId = await h.roleId('ci');
    const { secretId } = await h.secretId('ci');
    await refused(h, h.login(roleId, secretId, '192.168.1.1'), 'role_cidr');
    await refused(h, h.login(roleId, secretId, null), 'role_cidr');
    await refused(h, h.login(roleId, secretId, 'not an address'), 'role_cidr');
    await h.login(roleId, secretId, '10.4.5.6');
    await h.login(roleId, secretId, '::ffff:10.4.5.6');
    await h.login(roleId, secretId, '2001:db8::1');
  });

  it("checks the client address against the secret id's own cidr_list, without spending a use when refused", async () => {
    const h = createApproleHarness();
    await h.writeRole('ci', { secret_id_num_uses: 1 });
    const roleId = await h.roleId('ci');
    const { secretId } = await h.secretId('ci', { cidr_list: ['10.1.0.0/16'] });
    await refused(h, h.login(roleId, secretId, '10.2.0.1'), 'secret_id_cidr');
    await refused(h, h.login(roleId, secretId, null), 'secret_id_cidr');
    await refused(h, h.login(roleId, secretId, '::ffff:10.2.0.1'), 'secret_id_cidr');
    await h.login(roleId, secretId, '::ffff:10.1.0.9');
    await refused(h, h.login(roleId, secretId, '10.1.0.9'), 'secret_id_invalid');
  });

  it('with bind_secret_id=false, logs in with the role_id alone from the bound CIDR blocks only', async () => {
    const h = createApproleHarness();
    await h.writeRole('edge', { bind_secret_id: false, secret_id_bound_cidrs: ['10.0.0.0/8'], token_policies: ['edge'] });
    const roleId = await h.roleId('edge');
    const auth = await h.login(roleId, undefined, '10.9.9.9');
    expect(auth).toMatchObject({ displayName: 'approle-edge', policies: ['edge'], metadata: { role_name: 'edge' } });
    await refused(h, h.login(roleId, undefined, '172.16.0.1'), 'role_cidr');
    await refused(h, h.login(roleId, undefined, null), 'role_cidr');
    await refused(h, h.login('some-other-role-id', undefined, '10.9.9.9'), 'role_id_unknown');
  });

  it('stops accepting secret ids when their role is deleted, and a role recreated under the same name does not revive them', async () => {
    const h = createApproleHarness();
    await h.writeRole('ci', { role_id: 'fixed-role-id' });
    const { secretId } = await h.secretId('ci');
    await h.call('delete', 'role/ci');
    await refused(h, h.login('fixed-role-id', secretId), 'role_id_unknown');
    await h.writeRole('ci', { role_id: 'fixed-role-id' });
    await refused(h, h.login('fixed-role-id', secretId), 'secret_id_invalid');
  });

  it('keeps working across a restart: the HMAC key is created once and stored in the mount', async () => {
    const storage = createMemoryStorage();
    const first = createApproleHarness(storage);
    await first.writeRole('ci');
    const roleId = await first.roleId('ci');
    const { secretId } = await first.secretId('ci');
    const key = await storage.get('hmac-key');
    const second = createApproleHarness(storage);
    await second.login(roleId, secretId);
    expect(await storage.get('hmac-key')).toEqual(key);
  });
});
