/**
 * A `gcp-secret-manager` mount through the whole gateway, against the in-repo gRPC double:
 * the curl walkthrough of docs/providers/gcp.md (KV contract, version aliases as stages,
 * If-Match, rotation, tags, permanent deletes, destroy), plus throttling, a hanging store and
 * canaries in upstream errors, with what landed in "GCP" checked through Google's client.
 */

import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestGateway } from '../../../test/helpers/in-process.js';
import type { TestGateway } from '../../../test/helpers/in-process.js';
import { TEST_SERVICE_ACCOUNT_KEY } from '../../../test/emulators/gcp/index.js';
import { gcpSecretManagerProvider } from './index.js';
import { TEST_PROJECT, startGcpFixture } from './test-gcp.node.js';
import type { GcpFixture } from './test-gcp.node.js';

const CANARY = 'projects/canary-project-31c7/secrets/canary-secret request-id:canary-req-9 canary@canary.iam.gserviceaccount.com';

describe('gcp-secret-manager mount through the gateway (gRPC double)', () => {
  let f: GcpFixture;
  let g: TestGateway;
  const rawSecret = async (id: string) => (await f.raw.getSecret({ name: `projects/${TEST_PROJECT}/secrets/${id}` }))[0];

  beforeAll(async () => {
    f = await startGcpFixture();
    g = await createTestGateway({
      providers: [gcpSecretManagerProvider],
      config: {
        mounts: [
          { path: '', type: 'kv' },
          {
            path: 'gcp',
            type: 'gcp-secret-manager',
            options: {
              project: TEST_PROJECT,
              api_endpoint: '127.0.0.1',
              port: f.double.port,
              insecure: true,
              credentials: TEST_SERVICE_ACCOUNT_KEY,
              name_prefix: 'kg-',
              timeout: '1s',
              max_attempts: 2,
            },
          },
        ],
      },
    });
  }, 60_000);
  afterAll(async () => {
    await g?.close();
    await f?.cleanup();
  });
  beforeEach(() => f.double.faults.clear());

  it('writes and reads a JSON secret, with versions as aliases, If-Match and stages', async () => {
    const put = await g.call('PUT', '/api/v1/secrets/gcp/payments/db', { body: { username: 'app', password: 'one' } });
    expect(put.status, put.text).toBe(200);
    const v1 = put.body.data.version as string;
    expect(v1).toBe('1');
    const secret = await rawSecret('kg-payments_2Fdb');
    expect(secret.versionAliases).toEqual({ current: '1' });
    expect(secret.labels).toMatchObject({ 'keygate-managed': 'true' });

    expect((await g.call('PUT', '/api/v1/secrets/gcp/payments/db', { body: { username: 'app', password: 'two' }, headers: { 'if-match': `"${v1}"` } })).status).toBe(200);
    expect((await g.call('PUT', '/api/v1/secrets/gcp/payments/db', { body: { password: 'three' }, headers: { 'if-match': `"${v1}"` } })).status).toBe(412);
    expect((await g.call('GET', '/api/v1/secrets/gcp/payments/db')).body.data).toEqual({ username: 'app', password: 'two' });
    expect((await g.call('GET', '/api/v1/secrets/gcp/payments/db?version=previous')).body.data.password).toBe('one');
    expect((await g.call('GET', '/api/v1/secrets/gcp/payments/db?version=1')).body.data.password).toBe('one');
    expect((await rawSecret('kg-payments_2Fdb')).versionAliases).toEqual({ current: '2', previous: '1' });
  });

  it('stores text and binary values', async () => {
    expect((await g.call('PUT', '/api/v1/secrets/gcp/plain?format=text', { body: { value: 'just a string' } })).status).toBe(200);
    expect((await g.call('GET', '/api/v1/secrets/gcp/plain')).body.data).toEqual({ value: 'just a string' });
    expect((await g.call('PUT', '/api/v1/secrets/gcp/blob?format=binary', { body: { value: btoa('\u0000\u0001\u00ff') } })).status).toBe(200);
    expect([...(f.double.secretManager.storedPayload(TEST_PROJECT, 'kg-blob', 1) ?? [])]).toEqual([0, 1, 255]);
    expect((await g.call('GET', '/api/v1/secrets/gcp/blob')).body.data).toEqual({ value: btoa('\u0000\u0001\u00ff'), encoding: 'base64' });
  });

  it('rotates through the pending alias, keeping the old value as previous', async () => {
    await g.call('PUT', '/api/v1/secrets/gcp/rot/db', { body: { username: 'app', password: 'initial' } });
    expect((await g.call('PATCH', '/api/v1/metadata/gcp/rot/db', { body: { rotation: { fields: ['password'], length: 24 } } })).status).toBe(204);
    const rotated = await g.call('POST', '/api/v1/secrets/gcp/rot/db/rotate');
    expect(rotated.status, rotated.text).toBe(200);
    const aliases = (await rawSecret('kg-rot_2Fdb')).versionAliases;
    expect(aliases).toEqual({ current: rotated.body.data.version, previous: '1' });
    expect((await g.call('GET', '/api/v1/secrets/gcp/rot/db')).body.data.password).toHaveLength(24);
    expect((await g.call('GET', '/api/v1/secrets/gcp/rot/db?version=previous')).body.data.password).toBe('initial');
  });

  it('lists, tags (labels or annotations), destroys versions and deletes only with force', async () => {
    for (const p of ['app/a', 'app/b', 'app/sub/c']) await g.call('PUT', `/api/v1/secrets/gcp/${p}`, { body: { v: p } });
    expect((await g.call('GET', '/api/v1/secrets/gcp/app/?list=true')).body.data.keys).toEqual(['a', 'b', 'sub/']);
    expect((await g.call('PATCH', '/api/v1/metadata/gcp/app/a', { body: { tags: { team: 'payments', Owner: 'Alice' } } })).status).toBe(204);
    expect((await g.call('GET', '/api/v1/metadata/gcp/app/a')).body.data.tags).toMatchObject({ team: 'payments', Owner: 'Alice', 'keygate-managed': 'true' });
    expect((await rawSecret('kg-app_2Fa')).labels).toMatchObject({ team: 'payments' });

    await g.call('PUT', '/api/v1/secrets/gcp/app/a', { body: { v: 'second' } });
    expect((await g.call('POST', '/api/v1/secrets/gcp/app/a/destroy', { body: { versions: ['1'] } })).status).toBe(204);
    expect((await f.raw.getSecretVersion({ name: `projects/${TEST_PROJECT}/secrets/kg-app_2Fa/versions/1` }))[0].state).toBe('DESTROYED');

    const refused = await g.call('DELETE', '/api/v1/secrets/gcp/app/a');
    expect(refused.status).toBe(409);
    expect(refused.text).toContain('force');
    expect((await g.call('POST', '/api/v1/secrets/gcp/app/b/undelete', { body: {} })).status).toBe(405);
    expect((await g.call('DELETE', '/api/v1/secrets/gcp/app/a?force=true')).status).toBe(204);
    expect((await g.call('GET', '/api/v1/secrets/gcp/app/a')).status).toBe(404);
  });

  it('answers upstream throttling with 429 and Retry-After, and never shows Google’s text', async () => {
    await g.call('PUT', '/api/v1/secrets/gcp/busy', { body: { v: 1 } });
    f.double.faults.throttle({ retryDelayMs: 1000, message: CANARY });
    const res = await g.call('GET', '/api/v1/secrets/gcp/busy');
    f.double.faults.clear();
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('1');
    expect(res.text).not.toContain('canary');
    expect(JSON.stringify(g.logs)).not.toContain('canary');
  });

  it('fails a hanging store within the mount timeout, and maps refused credentials to 502', async () => {
    await g.call('PUT', '/api/v1/secrets/gcp/hang', { body: { v: 1 } });
    f.double.faults.latency(10_000);
    const started = Date.now();
    const res = await g.call('GET', '/api/v1/secrets/gcp/hang');
    f.double.faults.clear();
    expect([503, 504]).toContain(res.status);
    expect(Date.now() - started).toBeLessThan(5000);
    f.double.faults.add({ code: 'PERMISSION_DENIED', message: CANARY });
    const denied = await g.call('GET', '/api/v1/secrets/gcp/hang');
    f.double.faults.clear();
    expect(denied.status).toBe(502);
    expect(denied.text).not.toContain('canary');
    expect(JSON.stringify(g.logs)).not.toContain('canary');
  }, 20_000);
});
