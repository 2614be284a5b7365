/**
 * An `aws-secrets-manager` mount through the whole gateway, against moto: the curl
 * walkthrough of docs/providers/aws.md (KV contract, stages, If-Match, rotation, tags,
 * recoverable and forced deletes, ownership), with the cloud names checked in moto.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Sensitive } from '../../core/index.js';
import { createTestGateway } from '../../../test/helpers/in-process.js';
import type { TestGateway } from '../../../test/helpers/in-process.js';
import type { ReadResult, SecretProvider } from '../types.js';
import { awsSecretsManagerProvider } from './index.js';
import { motoPort, motoSuite, startMoto } from './test-moto.node.js';
import type { MotoServer } from './test-moto.node.js';

const { skip } = motoSuite('aws secrets manager through the gateway');
const signal = () => AbortSignal.timeout(15_000);

describe.skipIf(skip)('aws-secrets-manager mount through the gateway (moto)', () => {
  let moto: MotoServer;
  let g: TestGateway;
  let direct: SecretProvider;

  beforeAll(async () => {
    moto = await startMoto();
    direct = motoPort(moto);
    g = await createTestGateway({
      providers: [awsSecretsManagerProvider],
      config: {
        mounts: [
          { path: '', type: 'kv' },
          {
            path: 'aws',
            type: 'aws-secrets-manager',
            options: {
              region: 'us-east-1',
              endpoint: moto.endpoint,
              credentials: { access_key_id: 'testing', secret_access_key: 'testing' },
              name_prefix: 'keygate/',
              recovery_window_days: 7,
            },
          },
        ],
      },
    });
  }, 60_000);
  afterAll(async () => {
    await g?.close();
    await direct?.close?.();
    await moto?.stop();
  });

  it('writes and reads a JSON secret under the name prefix, with versions and stages', async () => {
    const put = await g.call('PUT', '/api/v1/secrets/aws/payments/db', { body: { username: 'app', password: 'one' } });
    expect(put.status, put.text).toBe(200);
    const v1 = put.body.data.version as string;
    expect(textOf(await direct.read('keygate/payments/db', { stage: 'current' }, signal()))).toBe('{"username":"app","password":"one"}');
    expect((await direct.describe('keygate/payments/db', signal()))?.tags).toMatchObject({ 'keygate-managed': 'true' });

    const matched = await g.call('PUT', '/api/v1/secrets/aws/payments/db', { body: { username: 'app', password: 'two' }, headers: { 'if-match': `"${v1}"` } });
    expect(matched.status, matched.text).toBe(200);
    expect((await g.call('PUT', '/api/v1/secrets/aws/payments/db', { body: { password: 'three' }, headers: { 'if-match': `"${v1}"` } })).status).toBe(412);
    expect((await g.call('GET', '/api/v1/secrets/aws/payments/db')).body.data).toEqual({ username: 'app', password: 'two' });
    expect((await g.call('GET', '/api/v1/secrets/aws/payments/db?version=AWSPREVIOUS')).body.data.password).toBe('one');
    expect((await g.call('GET', `/api/v1/secrets/aws/payments/db?version=${v1}`)).body.data.password).toBe('one');
  });

  it('stores text and binary values', async () => {
    expect((await g.call('PUT', '/api/v1/secrets/aws/plain?format=text', { body: { value: 'just a string' } })).status).toBe(200);
    expect((await g.call('GET', '/api/v1/secrets/aws/plain')).body.data).toEqual({ value: 'just a string' });
    expect((await g.call('PUT', '/api/v1/secrets/aws/blob?format=binary', { body: { value: btoa('\u0000\u0001\u00ff') } })).status).toBe(200);
    const blob = await direct.read('keygate/blob', { stage: 'current' }, signal());
    expect(blob?.value.kind === 'binary' ? [...blob.value.bytes.reveal()] : []).toEqual([0, 1, 255]);
  });

  it('rotates through AWSPENDING, keeping the old value as AWSPREVIOUS', async () => {
    await g.call('PUT', '/api/v1/secrets/aws/rot/db', { body: { username: 'app', password: 'initial' } });
    expect((await g.call('PATCH', '/api/v1/metadata/aws/rot/db', { body: { rotation: { fields: ['password'], length: 24 } } })).status).toBe(204);
    const rotated = await g.call('POST', '/api/v1/secrets/aws/rot/db/rotate');
    expect(rotated.status, rotated.text).toBe(200);
    const now = await direct.read('keygate/rot/db', { stage: 'current' }, signal());
    expect(now?.version.id).toBe(rotated.body.data.version);
    expect(JSON.parse(textOf(now) ?? '{}').password).toHaveLength(24);
    expect(JSON.parse(textOf(await direct.read('keygate/rot/db', { stage: 'previous' }, signal())) ?? '{}').password).toBe('initial');
    expect(await direct.read('keygate/rot/db', { stage: 'pending' }, signal())).toBeNull();
  });

  it('lists, tags, deletes recoverably, undeletes and deletes for good', async () => {
    for (const p of ['app/a', 'app/b', 'app/sub/c']) await g.call('PUT', `/api/v1/secrets/aws/${p}`, { body: { v: p } });
    expect((await g.call('GET', '/api/v1/secrets/aws/app/?list=true')).body.data.keys).toEqual(['a', 'b', 'sub/']);
    expect((await g.call('PATCH', '/api/v1/metadata/aws/app/a', { body: { tags: { team: 'payments' } } })).status).toBe(204);
    expect((await g.call('GET', '/api/v1/metadata/aws/app/a')).body.data.tags).toMatchObject({ team: 'payments', 'keygate-managed': 'true' });

    expect((await g.call('DELETE', '/api/v1/secrets/aws/app/a')).status).toBe(204);
    expect((await direct.describe('keygate/app/a', signal()))?.deleted).toBe(true);
    expect((await g.call('GET', '/api/v1/secrets/aws/app/a')).status).toBe(404);
    expect((await g.call('POST', '/api/v1/secrets/aws/app/a/undelete', { body: {} })).status).toBe(204);
    expect((await g.call('GET', '/api/v1/secrets/aws/app/a')).body.data).toEqual({ v: 'app/a' });
    expect((await g.call('DELETE', '/api/v1/secrets/aws/app/a?force=true')).status).toBe(204);
    expect(await direct.describe('keygate/app/a', signal())).toBeNull();
  });

  it('refuses to delete a secret Keygate did not create', async () => {
    await direct.create('keygate/legacy/key', { kind: 'text', text: new Sensitive('made elsewhere') }, {}, signal());
    expect((await g.call('GET', '/api/v1/secrets/aws/legacy/key')).body.data).toEqual({ value: 'made elsewhere' });
    expect((await g.call('DELETE', '/api/v1/secrets/aws/legacy/key')).status).toBe(409);
    expect((await direct.describe('keygate/legacy/key', signal()))?.deleted).toBe(false);
  });
});

function textOf(read: ReadResult | null): string | undefined {
  return read?.value.kind === 'text' ? read.value.text.reveal() : undefined;
}
