/**
 * The `awskms` seal against moto's KMS (TESTING.md), through the real AWS SDK: round trip,
 * every refusal (another cluster's aad, another key, a flipped byte, another encryption
 * context), rotation, validation, and that nothing an operator or client sees carries an
 * ARN, an account id or key material.
 *
 * moto gaps, and what stands in for them:
 * - moto lets a disabled key encrypt and decrypt; `validate` (DescribeKey) still sees the
 *   state, so the disabled-key test is on `validate`.
 * - moto answers a ciphertext of another key with `AccessDeniedException` (AWS:
 *   `IncorrectKeyException`); both are refusals of the wrapped key.
 * - moto's `RotateKeyOnDemand` records a rotation but keeps the key material. AWS keeps
 *   every old backing key too and picks it from the ciphertext, so the observable contract
 *   (old wraps unwrap, the key ARN is unchanged) is the same; the test asserts just that.
 * - Throttling, 5xx and a hanging server cannot be produced by moto: a stub HTTP server on
 *   127.0.0.1 answers those (the only fake here, and only for those faults).
 */

import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { CreateAliasCommand, CreateKeyCommand, DisableKeyCommand, KMSClient, ListKeyRotationsCommand, RotateKeyOnDemandCommand } from '@aws-sdk/client-kms';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createWebRuntime, toBase64, toHex } from '../../../core/index.js';
import { motoSuite, resetMoto, startMoto } from '../../../providers/aws/test-moto.node.js';
import type { MotoServer } from '../../../providers/aws/test-moto.node.js';
import type { KeyWrapper, WrappedKey } from '../../types.js';
import { UNSEAL_FAILED_MESSAGE } from '../kms-errors.js';
import { AAD, OTHER_CLUSTER_AAD, codeOf, createCaptureLogger, flip, freePort, rejection, rejectionCollector, rendered, rootKey, signal, tamperOutcomes } from '../test-kms.node.js';
import { awsKmsSeal, awsKmsSealOptionsSchema, createAwsKmsSeal } from './index.js';

const { skip } = motoSuite('awskms seal');

const MOTO_ACCOUNT = '123456789012';

describe.skipIf(skip)('awskms seal (moto)', () => {
  let moto: MotoServer;
  let admin: KMSClient;
  const logLines: string[] = [];

  const seal = (extra: Record<string, unknown>): KeyWrapper =>
    createAwsKmsSeal(
      awsKmsSealOptionsSchema.parse({ region: 'us-east-1', endpoint: moto.endpoint, access_key: 'testing', secret_key: 'testing', ...extra }),
      { runtime: createWebRuntime({ logger: createCaptureLogger(logLines) }) },
    );
  const createKey = async (spec: { usage?: 'ENCRYPT_DECRYPT' | 'SIGN_VERIFY'; keySpec?: 'SYMMETRIC_DEFAULT' | 'RSA_2048' } = {}) => {
    const out = await admin.send(new CreateKeyCommand({ KeyUsage: spec.usage ?? 'ENCRYPT_DECRYPT', KeySpec: spec.keySpec ?? 'SYMMETRIC_DEFAULT' }));
    const id = out.KeyMetadata?.KeyId;
    const arn = out.KeyMetadata?.Arn;
    if (id === undefined || arn === undefined) throw new Error('moto created a key without an id');
    return { id, arn };
  };

  beforeAll(async () => {
    moto = await startMoto();
    admin = new KMSClient({ region: 'us-east-1', endpoint: moto.endpoint, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
  }, 60_000);
  afterAll(async () => {
    admin?.destroy();
    await moto?.stop();
  });
  beforeEach(async () => {
    await resetMoto(moto);
    logLines.length = 0;
  });

  it('is a SealDefinition whose strict schema takes Vault’s stanza fields', () => {
    expect(awsKmsSeal.type).toBe('awskms');
    expect(awsKmsSeal.options.safeParse({ kms_key_id: 'alias/keygate', region: 'eu-west-1' }).success).toBe(true);
    expect(awsKmsSeal.options.safeParse({ kms_key_id: 'alias/keygate', unknown_field: 1 }).success).toBe(false);
  });

  it('wraps and unwraps the root key, recording the key ARN and never the key itself', async () => {
    const { id, arn } = await createKey();
    const s = seal({ kms_key_id: id });
    const key = rootKey();
    const wrapped = await s.wrap(key, AAD, signal());
    expect(wrapped.type).toBe('awskms');
    expect(wrapped.keyId).toBe(arn);
    expect(wrapped.ciphertext).not.toContain(toBase64(key).slice(0, 20));
    expect(JSON.stringify(wrapped)).not.toContain(toHex(key));
    expect(await s.unwrap(wrapped, AAD, signal())).toEqual(key);
    // Any configured form of the same key unwraps it: ARN, alias name, alias ARN.
    await admin.send(new CreateAliasCommand({ AliasName: 'alias/keygate-root', TargetKeyId: id }));
    for (const form of [arn, 'alias/keygate-root', `arn:aws:kms:us-east-1:${MOTO_ACCOUNT}:alias/keygate-root`]) {
      expect(await seal({ kms_key_id: form }).unwrap(wrapped, AAD, signal())).toEqual(key);
    }
  });

  it('takes its region from a key ARN when none is configured', async () => {
    const { arn } = await createKey();
    const s = createAwsKmsSeal(awsKmsSealOptionsSchema.parse({ kms_key_id: arn, endpoint: moto.endpoint, access_key: 'testing', secret_key: 'testing' }), {
      runtime: createWebRuntime(),
    });
    const key = rootKey();
    expect(await s.unwrap(await s.wrap(key, AAD, signal()), AAD, signal())).toEqual(key);
  });

  it('refuses a wrapped key from another cluster (different aad) with the opaque ERR_UNSEAL_FAILED', async () => {
    const { id } = await createKey();
    const s = seal({ kms_key_id: id });
    const wrapped = await s.wrap(rootKey(), AAD, signal());
    const err = await rejection(s.unwrap(wrapped, OTHER_CLUSTER_AAD, signal()));
    expect(err.code).toBe('ERR_UNSEAL_FAILED');
    expect(err.message).toBe(UNSEAL_FAILED_MESSAGE);
    expect(err.cause).toBeUndefined();
  });

  it('refuses a key wrapped under another KMS key, even when the credentials may use both', async () => {
    const a = await createKey();
    const b = await createKey();
    const wrapped = await seal({ kms_key_id: a.id }).wrap(rootKey(), AAD, signal());
    const err = await rejection(seal({ kms_key_id: b.id }).unwrap(wrapped, AAD, signal()));
    expect([err.code, err.message]).toEqual(['ERR_UNSEAL_FAILED', UNSEAL_FAILED_MESSAGE]);
    // A record that claims to be another seal type never reaches KMS.
    expect(await codeOf(seal({ kms_key_id: a.id }).unwrap({ ...wrapped, type: 'gcpckms' }, AAD, signal()))).toBe('ERR_UNSEAL_FAILED');
  });

  it('refuses a ciphertext with any single byte flipped, and malformed records, with one opaque error', async () => {
    const { id } = await createKey();
    const s = seal({ kms_key_id: id });
    const wrapped = await s.wrap(rootKey(), AAD, signal());
    const malformed = ['', 'not base64 at all!', toBase64(new Uint8Array(7000)), wrapped.ciphertext.slice(0, 40)];
    expect(await tamperOutcomes(s, wrapped, malformed)).toEqual([`ERR_UNSEAL_FAILED|${UNSEAL_FAILED_MESSAGE}|undefined`]);
  });

  it('binds the extra encryption context: a different or missing one is refused', async () => {
    const { id } = await createKey();
    const wrapped = await seal({ kms_key_id: id, encryption_context: { environment: 'prod', team: 'payments' } }).wrap(rootKey(), AAD, signal());
    expect(await codeOf(seal({ kms_key_id: id, encryption_context: { environment: 'prod', team: 'payments' } }).unwrap(wrapped, AAD, signal()))).toBe('resolved');
    expect(await codeOf(seal({ kms_key_id: id, encryption_context: { environment: 'staging', team: 'payments' } }).unwrap(wrapped, AAD, signal()))).toBe('ERR_UNSEAL_FAILED');
    expect(await codeOf(seal({ kms_key_id: id, encryption_context: { environment: 'prod' } }).unwrap(wrapped, AAD, signal()))).toBe('ERR_UNSEAL_FAILED');
    expect(await codeOf(seal({ kms_key_id: id }).unwrap(wrapped, AAD, signal()))).toBe('ERR_UNSEAL_FAILED');
    // Keygate's own context keys cannot be overridden from the stanza.
    expect(awsKmsSealOptionsSchema.safeParse({ kms_key_id: id, encryption_context: { 'keygate:aad': 'x' } }).success).toBe(false);
    expect(awsKmsSealOptionsSchema.safeParse({ kms_key_id: id, encryption_context: { 'aws:foo': 'x' } }).success).toBe(false);
  });

  it('keeps unwrapping old wrapped keys after the KMS key rotates, and new wraps name the same key ARN', async () => {
    const { id, arn } = await createKey();
    const s = seal({ kms_key_id: id });
    const before = rootKey();
    const oldWrapped = await s.wrap(before, AAD, signal());
    await admin.send(new RotateKeyOnDemandCommand({ KeyId: id }));
    const rotations = await admin.send(new ListKeyRotationsCommand({ KeyId: id }));
    expect(rotations.Rotations?.length).toBe(1);
    expect(await s.unwrap(oldWrapped, AAD, signal())).toEqual(before);
    const after = rootKey();
    const newWrapped = await s.wrap(after, AAD, signal());
    // AWS rotation is invisible to callers: same key ARN; KMS picks the backing key from the ciphertext.
    expect(newWrapped.keyId).toBe(arn);
    expect(await s.unwrap(newWrapped, AAD, signal())).toEqual(after);
  });

  it('validates a usable key and refuses a missing, a disabled and a signing key with ERR_SEAL_UNAVAILABLE', async () => {
    const good = await createKey();
    await expect(seal({ kms_key_id: good.id }).validate?.(signal())).resolves.toBeUndefined();
    expect(await codeOf(seal({ kms_key_id: '00000000-0000-4000-8000-000000000000' }).validate?.(signal()) ?? Promise.resolve())).toBe('ERR_SEAL_UNAVAILABLE');
    expect(await codeOf(seal({ kms_key_id: 'alias/does-not-exist' }).validate?.(signal()) ?? Promise.resolve())).toBe('ERR_SEAL_UNAVAILABLE');
    const disabled = await createKey();
    await admin.send(new DisableKeyCommand({ KeyId: disabled.id }));
    const err = await rejection(seal({ kms_key_id: disabled.id }).validate?.(signal()) ?? Promise.resolve());
    expect([err.code, err.message]).toEqual(['ERR_SEAL_UNAVAILABLE', 'awskms seal: the KMS key is disabled, pending deletion or unavailable (DescribeKey)']);
    const signing = await createKey({ usage: 'SIGN_VERIFY', keySpec: 'RSA_2048' });
    const unsuitable = await rejection(seal({ kms_key_id: signing.id }).validate?.(signal()) ?? Promise.resolve());
    expect(unsuitable.code).toBe('ERR_SEAL_UNAVAILABLE');
    expect(unsuitable.message).toMatch(/not an enabled symmetric encryption key/);
  });

  it('answers ERR_SEAL_UNAVAILABLE, never ERR_UNSEAL_FAILED, when KMS cannot be reached', async () => {
    const { id } = await createKey();
    const wrapped = await seal({ kms_key_id: id }).wrap(rootKey(), AAD, signal());
    // A loopback port with nothing listening: a stopped moto.
    const closed = await freePort();
    const down = seal({ kms_key_id: id, endpoint: `http://127.0.0.1:${closed}` });
    const err = await rejection(down.unwrap(wrapped, AAD, signal()));
    expect([err.code, err.message]).toEqual(['ERR_SEAL_UNAVAILABLE', 'awskms seal: AWS KMS could not be reached or failed (Decrypt)']);
    expect(await codeOf(down.wrap(rootKey(), AAD, signal()))).toBe('ERR_SEAL_UNAVAILABLE');
    expect(await codeOf(down.validate?.(signal()) ?? Promise.resolve())).toBe('ERR_SEAL_UNAVAILABLE');
  });

  describe('faults moto cannot produce (stub HTTP server on 127.0.0.1)', () => {
    let stub: Server;
    let endpoint = '';
    let answer: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => res.end();
    const closedSockets: number[] = [];

    beforeAll(async () => {
      stub = createServer((req, res) => {
        req.on('close', () => closedSockets.push(Date.now()));
        req.resume();
        answer(req, res);
      });
      await new Promise<void>((resolve) => stub.listen(0, '127.0.0.1', () => resolve()));
      const address = stub.address();
      endpoint = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`;
    });
    afterAll(async () => {
      stub.closeAllConnections();
      await new Promise<void>((resolve) => stub.close(() => resolve()));
    });

    const awsError = (status: number, type: string) => (_req: IncomingMessage, res: ServerResponse) => {
      res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-errortype': type, 'x-amzn-requestid': 'req-canary-0001' });
      res.end(JSON.stringify({ __type: type, message: `Failure on arn:aws:kms:us-east-1:${MOTO_ACCOUNT}:key/00000000-0000-4000-8000-000000000000` }));
    };
    const wrappedBlob: WrappedKey = { type: 'awskms', ciphertext: toBase64(new Uint8Array(120).fill(7)) };

    it('maps throttling, KMS internal errors and 503 to ERR_SEAL_UNAVAILABLE', async () => {
      const s = seal({ kms_key_id: 'alias/keygate', endpoint });
      for (const [status, type, sentence] of [
        [400, 'ThrottlingException', 'AWS KMS is throttling requests'],
        [400, 'LimitExceededException', 'AWS KMS is throttling requests'],
        [500, 'KMSInternalException', 'AWS KMS could not be reached or failed'],
        [500, 'DependencyTimeoutException', 'AWS KMS could not be reached or failed'],
        [503, 'ServiceUnavailableException', 'AWS KMS could not be reached or failed'],
        [400, 'KMSInvalidStateException', 'the KMS key is disabled, pending deletion or unavailable'],
        [400, 'DisabledException', 'the KMS key is disabled, pending deletion or unavailable'],
        [400, 'UnrecognizedClientException', 'AWS KMS refused the credentials'],
      ] as const) {
        answer = awsError(status, type);
        const err = await rejection(s.unwrap(wrappedBlob, AAD, signal()));
        expect([type, err.code, err.message]).toEqual([type, 'ERR_SEAL_UNAVAILABLE', `awskms seal: ${sentence} (Decrypt)`]);
      }
      // The same refusals that mean "this wrapped key is wrong" on Decrypt stay opaque.
      for (const type of ['InvalidCiphertextException', 'IncorrectKeyException', 'AccessDeniedException']) {
        answer = awsError(400, type);
        expect(await codeOf(s.unwrap(wrappedBlob, AAD, signal()))).toBe('ERR_UNSEAL_FAILED');
      }
      // On Encrypt, a denied permission is a configuration problem, not tampering.
      answer = awsError(400, 'AccessDeniedException');
      expect((await rejection(s.wrap(rootKey(), AAD, signal()))).message).toBe(
        'awskms seal: AWS KMS denied permission to use the key; check the key policy and the IAM policy (Encrypt)',
      );
    });

    it('gives up when the caller’s signal fires, closing the connection, with ERR_SEAL_UNAVAILABLE', async () => {
      answer = () => undefined; // never answers
      const s = seal({ kms_key_id: 'alias/keygate', endpoint });
      const started = Date.now();
      const before = closedSockets.length;
      const err = await rejection(s.unwrap(wrappedBlob, AAD, AbortSignal.timeout(300)));
      expect([err.code, err.message]).toEqual(['ERR_SEAL_UNAVAILABLE', 'awskms seal: AWS KMS did not answer in time (Decrypt)']);
      expect(Date.now() - started).toBeLessThan(5_000);
      await expect.poll(() => closedSockets.length, { timeout: 2_000 }).toBeGreaterThan(before);
      // An already-aborted signal never reaches the network.
      expect(await codeOf(s.wrap(rootKey(), AAD, AbortSignal.abort()))).toBe('ERR_SEAL_UNAVAILABLE');
    });
  });

  it('never puts ARNs, account ids, aliases, context values or key material in errors or log lines (canary)', async () => {
    const CANARY = 'kgcanary7f3a9';
    const { id, arn } = await createKey();
    await admin.send(new CreateAliasCommand({ AliasName: `alias/${CANARY}-alias`, TargetKeyId: id }));
    const key = rootKey();
    const good = seal({ kms_key_id: `alias/${CANARY}-alias`, encryption_context: { owner: `${CANARY}-ctx` } });
    const wrapped = await good.wrap(key, AAD, signal());
    const { errors, collect } = rejectionCollector();
    await collect(seal({ kms_key_id: `alias/${CANARY}-missing` }).wrap(key, AAD, signal()));
    await collect(seal({ kms_key_id: `arn:aws:kms:us-east-1:${MOTO_ACCOUNT}:alias/${CANARY}-missing` }).validate?.(signal()));
    await collect(seal({ kms_key_id: `alias/${CANARY}-alias`, encryption_context: { owner: `${CANARY}-other` } }).unwrap(wrapped, AAD, signal()));
    await collect(good.unwrap(wrapped, OTHER_CLUSTER_AAD, signal()));
    await collect(good.unwrap(flip(wrapped, 3), AAD, signal()));
    const other = await createKey();
    await collect(seal({ kms_key_id: other.arn }).unwrap(wrapped, AAD, signal()));
    expect(errors).toHaveLength(6);
    expect(logLines.length).toBeGreaterThanOrEqual(6);
    const seen = rendered(errors, logLines);
    for (const forbidden of [CANARY, MOTO_ACCOUNT, 'arn:aws', arn, id, other.id, toHex(key), toBase64(key), 'req-canary']) {
      expect(seen).not.toContain(forbidden);
    }
  });
});
