/** Transit through the gateway: the README flow, policies, audit, and scheduled rotation. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestGateway } from './helpers/in-process.js';
import type { TestGateway } from './helpers/in-process.js';

let gw: TestGateway;
beforeEach(async () => {
  gw = await createTestGateway({ config: { audit: [{ name: 'main', type: 'memory' }] } });
});
afterEach(async () => {
  await gw.close();
});

const b64 = (s: string) => btoa(s);

describe('transit on the embedded default', () => {
  it('encrypts, decrypts, rotates and rewraps with Vault’s paths and formats', async () => {
    expect((await gw.call('POST', '/api/v1/secrets/transit/keys/orders', { body: {} })).status).toBeLessThan(300);
    const enc = await gw.call('POST', '/api/v1/secrets/transit/encrypt/orders', { body: { plaintext: b64('CANARY-transit-card-4111') } });
    expect(enc.status, enc.text).toBe(200);
    const ciphertext = enc.body.data.ciphertext as string;
    expect(ciphertext).toMatch(/^vault:v1:/);
    const dec = await gw.call('POST', '/api/v1/secrets/transit/decrypt/orders', { body: { ciphertext } });
    expect(atob(dec.body.data.plaintext)).toBe('CANARY-transit-card-4111');
    expect((await gw.call('POST', '/api/v1/secrets/transit/keys/orders/rotate')).status).toBeLessThan(300);
    const rewrapped = await gw.call('POST', '/api/v1/secrets/transit/rewrap/orders', { body: { ciphertext } });
    expect(rewrapped.body.data.ciphertext).toMatch(/^vault:v2:/);
    expect((await gw.call('POST', '/api/v1/secrets/transit/keys/orders/config', { body: { min_decryption_version: 2 } })).status).toBeLessThan(300);
    expect((await gw.call('POST', '/api/v1/secrets/transit/decrypt/orders', { body: { ciphertext } })).status).toBe(400);
    // The plaintext reached the audit log only as an HMAC.
    expect(gw.sinks.get('main')?.lines.join('\n')).not.toContain('CANARY-transit');
    expect(gw.sinks.get('main')?.lines.join('\n')).not.toContain(b64('CANARY-transit-card-4111'));
  });

  it('lets a policy grant encrypt without decrypt', async () => {
    await gw.call('POST', '/api/v1/secrets/transit/keys/app', { body: {} });
    await gw.call('PUT', '/api/v1/sys/policies/acl/encrypt-only', { body: { policy: 'path "transit/encrypt/app" { capabilities = ["update"] }' } });
    const t = (await gw.call('POST', '/api/v1/auth/token/create', { body: { policies: ['encrypt-only'] } })).body.auth.client_token as string;
    const enc = await gw.call('POST', '/api/v1/secrets/transit/encrypt/app', { token: t, body: { plaintext: b64('x') } });
    expect(enc.status).toBe(200);
    expect((await gw.call('POST', '/api/v1/secrets/transit/decrypt/app', { token: t, body: { ciphertext: enc.body.data.ciphertext } })).status).toBe(403);
  });

  it('rotates keys whose auto_rotate_period has passed, from the scheduler', async () => {
    let now = Date.now();
    await gw.close();
    gw = await createTestGateway({ runtime: { now: () => now } });
    await gw.call('POST', '/api/v1/secrets/transit/keys/auto', { body: { auto_rotate_period: '1h' } });
    await gw.core.scheduler.runOnce();
    expect((await gw.call('GET', '/api/v1/secrets/transit/keys/auto')).body.data.latest_version).toBe(1);
    now += 2 * 3_600_000;
    await gw.core.scheduler.runOnce();
    expect((await gw.call('GET', '/api/v1/secrets/transit/keys/auto')).body.data.latest_version).toBe(2);
  });
});
