/**
 * Credentials against moto with signature and IAM policy checking switched on
 * (`/moto-api/reset-auth`): a mount whose base user may only assume a role reaches Secrets
 * Manager through the role's STS credentials, a role's own policy limits what the mount can
 * do, and every refusal reaches the caller as Keygate's own sentence, with none of the ARNs,
 * account id or principal names in moto's AccessDenied messages.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Sensitive } from '../../core/index.js';
import { xmlField } from '../../auth/methods/aws/test-moto.node.js';
import type { AwsCredentials } from '../../auth/methods/aws/test-moto.node.js';
import { ProviderError } from '../types.js';
import type { ProviderValue, SecretProvider } from '../types.js';
import { motoPort, motoSuite, startMoto } from './test-moto.node.js';
import type { MotoServer } from './test-moto.node.js';

const { skip } = motoSuite('aws secrets manager assume_role');

const ACCOUNT = '123456789012';
const text = (s: string): ProviderValue => ({ kind: 'text', text: new Sensitive(s) });
const signal = () => AbortSignal.timeout(15_000);
const failure = async (p: Promise<unknown>): Promise<ProviderError> => {
  const err = await p.then(
    () => new Error('resolved'),
    (e: unknown) => e,
  );
  if (!(err instanceof ProviderError)) throw new Error(`expected a ProviderError, got ${String(err)}`);
  return err;
};
const policy = (statements: object[]) => JSON.stringify({ Version: '2012-10-17', Statement: statements });

describe.skipIf(skip)('aws secrets manager: static credentials and assume_role (moto, auth enforced)', () => {
  let moto: MotoServer;
  let alice: AwsCredentials;
  const ports: SecretProvider[] = [];

  const port = (creds: AwsCredentials, extra: Record<string, unknown> = {}): SecretProvider => {
    const p = motoPort(moto, { credentials: { access_key_id: creds.accessKeyId, secret_access_key: creds.secretAccessKey }, ...extra });
    ports.push(p);
    return p;
  };
  const assuming = (role: string, extra: Record<string, unknown> = {}) =>
    port(alice, { assume_role: { role_arn: `arn:aws:iam::${ACCOUNT}:role/${role}`, sts_endpoint: moto.endpoint, external_id: 'keygate-ext', duration: '15m', ...extra } });

  beforeAll(async () => {
    moto = await startMoto();
    await moto.action('iam', { Action: 'CreateUser', UserName: 'alice' });
    const key = await moto.action('iam', { Action: 'CreateAccessKey', UserName: 'alice' });
    alice = { accessKeyId: xmlField(key.body, 'AccessKeyId'), secretAccessKey: xmlField(key.body, 'SecretAccessKey') };
    // Alice may assume the two Keygate roles and nothing else: no Secrets Manager permission of her own.
    await moto.action('iam', {
      Action: 'PutUserPolicy',
      UserName: 'alice',
      PolicyName: 'assume-only',
      PolicyDocument: policy([{ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: [`arn:aws:iam::${ACCOUNT}:role/keygate`, `arn:aws:iam::${ACCOUNT}:role/keygate-list-only`] }]),
    });
    const trust = policy([
      { Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:user/alice` }, Action: 'sts:AssumeRole', Condition: { StringEquals: { 'sts:ExternalId': 'keygate-ext' } } },
    ]);
    for (const role of ['keygate', 'keygate-list-only', 'not-for-alice']) {
      await moto.action('iam', { Action: 'CreateRole', RoleName: role, AssumeRolePolicyDocument: trust });
    }
    // The actions of docs/providers/aws.md. moto checks Secrets Manager actions against Resource "*" only,
    // so the policy's name-prefix scoping cannot be exercised here.
    await moto.action('iam', {
      Action: 'PutRolePolicy',
      RoleName: 'keygate',
      PolicyName: 'keygate-secrets',
      PolicyDocument: policy([
        { Effect: 'Allow', Action: 'secretsmanager:ListSecrets', Resource: '*' },
        {
          Effect: 'Allow',
          Action: [
            'secretsmanager:CreateSecret',
            'secretsmanager:GetSecretValue',
            'secretsmanager:DescribeSecret',
            'secretsmanager:ListSecretVersionIds',
            'secretsmanager:PutSecretValue',
            'secretsmanager:UpdateSecretVersionStage',
            'secretsmanager:DeleteSecret',
            'secretsmanager:RestoreSecret',
            'secretsmanager:TagResource',
            'secretsmanager:UntagResource',
          ],
          Resource: '*',
        },
      ]),
    });
    await moto.action('iam', {
      Action: 'PutRolePolicy',
      RoleName: 'keygate-list-only',
      PolicyName: 'list',
      PolicyDocument: policy([{ Effect: 'Allow', Action: 'secretsmanager:ListSecrets', Resource: '*' }]),
    });
    // From here on moto verifies every signature and evaluates IAM policies.
    await moto.enforceSignatures();
  }, 60_000);

  afterAll(async () => {
    for (const p of ports) await p.close?.();
    await moto?.stop();
  });

  it('refuses the base user on its own, in Keygate words without ARNs, account id or user name', async () => {
    const p = port(alice);
    const err = await failure(p.create('keygate/app/db', text('x'), {}, signal()));
    expect(err.kind).toBe('unauthorized');
    expect(err.message).toBe('AWS Secrets Manager refused the credentials or permissions of this mount (CreateSecret)');
    // The SDK error moto answered with does carry them: they are kept out of the message only.
    // moto answered 403 with a request id (and an XML body naming alice's ARN): none of it reaches the message.
    const metadata: unknown = Reflect.get(Object(err.cause), '$metadata');
    const requestId: unknown = Reflect.get(Object(metadata), 'requestId');
    expect(typeof requestId === 'string' && requestId.length > 10).toBe(true);
    for (const canary of [String(requestId), ACCOUNT, 'arn:', 'alice', alice.accessKeyId]) expect(err.message).not.toContain(canary);
  });

  it('obtains role credentials from STS and uses them for every call', async () => {
    const p = assuming('keygate');
    await p.validate(signal());
    const v1 = await p.create('keygate/app/db', text('{"password":"one"}'), { owner: 'keygate' }, signal());
    const pending = await p.addVersion('keygate/app/db', text('{"password":"two"}'), { stage: 'pending' }, signal());
    await p.promote('keygate/app/db', pending.id, signal());
    const read = await p.read('keygate/app/db', { stage: 'current' }, signal());
    expect(read?.value.kind === 'text' ? read.value.text.reveal() : '').toBe('{"password":"two"}');
    expect((await p.read('keygate/app/db', { stage: 'previous' }, signal()))?.version.id).toBe(v1.id);
    expect((await p.describe('keygate/app/db', signal()))?.tags).toEqual({ owner: 'keygate' });
    expect((await p.list({ prefix: 'keygate/', pageSize: 10 }, signal())).names).toEqual(['keygate/app/db']);
  });

  it("is limited by the role's policy (a list-only role validates but cannot read)", async () => {
    const listOnly = assuming('keygate-list-only');
    await listOnly.validate(signal());
    const err = await failure(listOnly.read('keygate/app/db', { stage: 'current' }, signal()));
    expect(err.kind).toBe('unauthorized');
    expect(err.message).not.toContain('keygate-list-only');
  });

  it('fails validation as unauthorized when the base user may not assume the role', async () => {
    const err = await failure(assuming('not-for-alice').validate(signal()));
    expect(err.kind).toBe('unauthorized');
    for (const canary of [ACCOUNT, 'arn:', 'not-for-alice', 'alice']) expect(err.message).not.toContain(canary);
  });

  it("fails as unauthorized when the external id does not match the role's trust policy", async () => {
    const err = await failure(assuming('keygate', { external_id: 'wrong-ext' }).validate(signal()));
    expect(err.kind).toBe('unauthorized');
  });

  it('fails as unauthorized with unknown static credentials', async () => {
    const err = await failure(port({ accessKeyId: 'AKIAUNKNOWNKEY000000', secretAccessKey: 'nope' }).validate(signal()));
    expect(err.kind).toBe('unauthorized');
    expect(err.message).not.toContain('AKIAUNKNOWNKEY000000');
  });
});
