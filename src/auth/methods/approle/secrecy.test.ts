import { describe, expect, it } from 'vitest';
import type { GatewayError } from '../../../core/index.js';
import { createApproleHarness } from './test-harness.js';

const CANARY = 'CANARY-5ec1d-a99r01e-do-not-leak';

function everything(err: GatewayError): string {
  return JSON.stringify({ message: err.message, details: err.details, headers: err.headers, stack: err.stack, cause: String(err.cause) });
}

describe('approle: secret ids stay secret', () => {
  it('never stores a secret id in cleartext, in keys or values, and keys role_ids only by HMAC', async () => {
    const h = createApproleHarness();
    await h.writeRole('ci', { role_id: `${CANARY}-role-id`, secret_id_num_uses: 5 });
    const issued: string[] = [];
    for (let i = 0; i < 3; i++) issued.push((await h.secretId('ci', { metadata: { n: String(i) } })).secretId);
    await h.login(`${CANARY}-role-id`, issued[0] ?? '');
    await h.call('update', 'role/ci/secret-id/lookup', { data: { secret_id: issued[1] ?? '' } });
    await h.call('update', 'role/ci/secret-id/destroy', { data: { secret_id: issued[2] ?? '' } });

    const dump = await h.dump();
    const text = [...dump].map(([k, v]) => `${k}\n${v}`).join('\n');
    for (const secretId of issued) {
      expect(text).not.toContain(secretId);
      expect(text).not.toContain(secretId.slice(0, 16));
    }
    // The role_id lives in its role record (which the barrier encrypts), never in a key name.
    expect([...dump.keys()].join('\n')).not.toContain(CANARY);
    expect([...dump.keys()].filter((k) => k.startsWith('role-id/'))).toEqual([expect.stringMatching(/^role-id\/[0-9a-f]{64}$/)]);
    for (const key of dump.keys()) expect(key).toMatch(/^(hmac-key|role\/ci|role-id\/[0-9a-f]{64}|secret-id\/ci\/[0-9a-f]{64}|accessor\/ci\/[0-9a-f-]{36})$/);
    expect(h.runtime.logged.join('\n')).not.toContain(CANARY);
    for (const secretId of issued) expect(h.runtime.logged.join('\n')).not.toContain(secretId);
  });

  it('never puts a submitted secret id or role_id into an error or a log line', async () => {
    const h = createApproleHarness();
    await h.writeRole('ci', { secret_id_bound_cidrs: ['10.0.0.0/8'] });
    const roleId = await h.roleId('ci');
    const { secretId } = await h.secretId('ci', { cidr_list: ['10.1.0.0/16'] });
    const attempts: (() => Promise<unknown>)[] = [
      () => h.login(roleId, CANARY),
      () => h.login(CANARY, CANARY),
      () => h.login(roleId, secretId, '192.168.0.1'),
      () => h.login(roleId, secretId, '10.2.0.1'),
      () => h.call('update', 'login', { data: { role_id: CANARY, secret_id: CANARY.repeat(20) } }),
      () => h.call('update', 'login', { data: { role_id: roleId, secret_id: CANARY, [CANARY]: CANARY } }),
      () => h.call('update', 'role/ci/secret-id/lookup', { data: { secret_id: CANARY } }),
      () => h.call('update', 'role/ci/secret-id/lookup', { data: { secret_id: CANARY.repeat(20) } }),
      () => h.call('update', 'role/ci/secret-id-accessor/lookup', { data: { secret_id_accessor: CANARY } }),
      () => h.call('update', 'role/ci/secret-id', { data: { metadata: CANARY } }),
      () => h.call('update', 'role/ci/secret-id', { data: { cidr_list: [CANARY] } }),
      () => h.call('update', 'role/ci/role-id', { data: { role_id: `${CANARY} with space` } }),
      () => h.writeRole('ci', { token_policies: [`${CANARY}!`] }),
    ];
    for (const attempt of attempts) {
      const err = await h.failure(attempt());
      expect(everything(err)).not.toContain(CANARY);
      expect(everything(err)).not.toContain(secretId);
      expect(everything(err)).not.toContain(roleId);
    }
    const log = h.runtime.logged.join('\n');
    expect(log).not.toContain(CANARY);
    expect(log).not.toContain(secretId);
    expect(log).not.toContain(roleId);
    expect(log).toContain('login refused');
  });

  it('wraps the secret id in generate responses so stray serialisation shows [redacted]', async () => {
    const h = createApproleHarness();
    await h.writeRole('ci');
    const response = await h.call('update', 'role/ci/secret-id');
    expect(JSON.stringify(response)).toMatch(/"secret_id":"\[redacted\]"/);
    expect(String(response.data?.secret_id)).toBe('[redacted]');
  });
});
