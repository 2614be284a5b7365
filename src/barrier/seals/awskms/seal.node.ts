/**
 * The `awskms` seal: a `KeyWrapper` over AWS KMS `Encrypt` / `Decrypt` with a symmetric
 * KMS key (docs/seals/awskms.md). The root key never leaves the process except inside the
 * `Encrypt` request (TLS); KMS returns a ciphertext blob that only KMS can open.
 *
 * - The encryption context binds the purpose and the barrier's `aad` (which carries the
 *   cluster id), plus the operator's `encryption_context`; `Decrypt` must present exactly
 *   the same context, so a wrapped key from another cluster or another purpose is refused.
 * - `Decrypt` names the configured key (`KeyId`), so a ciphertext made under any other key
 *   is refused even when the credentials could use that key too.
 * - The SDK retries once at most; every call is bounded (`CALL_TIMEOUT_MS`) and follows the
 *   caller's `AbortSignal`, which aborts the socket, and is also raced, so a call stuck
 *   before the wire (credential resolution) still returns when the signal fires.
 */

import { DecryptCommand, DescribeKeyCommand, EncryptCommand, KMSClient } from '@aws-sdk/client-kms';
import type { KMSClientConfig } from '@aws-sdk/client-kms';
import { awsClientSettings, awsStaticCredentials } from '../../../cloud/aws/index.js';
import { deadline, fromBase64, isGatewayError, toBase64, toBase64Url } from '../../../core/index.js';
import type { Logger, Runtime } from '../../../core/index.js';
import type { KeyWrapper, WrappedKey } from '../../types.js';
import { awsErrorName, awsKmsSealError, classifyAwsKmsError, unsealFailed } from './errors.js';
import type { AwsKmsFailure, AwsKmsOperation } from './errors.js';
import { regionOfKeyArn } from './options.js';
import type { AwsKmsSealOptions } from './options.js';

/** `KeyWrapper.type` of this seal, recorded in every `WrappedKey`. */
export const AWS_KMS_SEAL_TYPE = 'awskms';

/** The purpose recorded in the encryption context (`keygate:purpose`). */
export const AWS_KMS_PURPOSE = 'root-key';

/** Upper bound of one KMS call, retries included, under whatever the caller's signal allows. */
export const CALL_TIMEOUT_MS = 15_000;

/** Backstops of the Node HTTP handler: time to connect, and to the whole answer. */
const CONNECTION_TIMEOUT_MS = 3_000;
const REQUEST_TIMEOUT_MS = 10_000;

/** KMS's `CiphertextBlob` limit (Decrypt API reference): anything longer is not one. */
const MAX_CIPHERTEXT_BYTES = 6144;

/**
 * The encryption context of a wrap with `aad`: the operator's pairs, then Keygate's own
 * (`keygate:purpose`, `keygate:aad` = base64url of `aad`), which the options schema keeps
 * the operator from overriding. Not secret: KMS logs it in CloudTrail.
 */
export function awsKmsEncryptionContext(aad: Uint8Array, extra: Readonly<Record<string, string>> = {}): Record<string, string> {
  // The barrier's AAD is `keygate/<purpose>/v2/<cluster id>/<generation>/<seal name>`: its
  // purpose and cluster id also go in as readable pairs, for CloudTrail searches and key
  // policy conditions (`kms:EncryptionContext:keygate:cluster`).
  const parsed = /^keygate\/([a-z-]{1,32})\/v[0-9]+\/([0-9a-f-]{36})\//.exec(new TextDecoder().decode(aad));
  const readable: Record<string, string> = parsed === null ? { 'keygate:purpose': AWS_KMS_PURPOSE } : { 'keygate:purpose': parsed[1] ?? AWS_KMS_PURPOSE, 'keygate:cluster': parsed[2] ?? '' };
  return { ...extra, ...readable, 'keygate:aad': toBase64Url(aad) };
}

/** SDK client settings from the stanza. Exported for tests; builds nothing and calls nothing. */
export function awsKmsClientConfig(options: AwsKmsSealOptions): KMSClientConfig {
  return awsClientSettings({
    maxAttempts: 2,
    connectionTimeoutMs: CONNECTION_TIMEOUT_MS,
    requestTimeoutMs: REQUEST_TIMEOUT_MS,
    region: options.region ?? regionOfKeyArn(options.kms_key_id) ?? undefined,
    endpoint: options.endpoint,
    credentials: awsStaticCredentials(options.access_key, options.secret_key, options.session_token),
  });
}

/** A `KeyWrapper` that also releases its SDK client. */
export interface AwsKmsSeal extends KeyWrapper {
  /** Always present on KMS seals (see `KeyWrapper.validate`). */
  validate(signal: AbortSignal): Promise<void>;
  /** Destroys the SDK client (its sockets); the seal must not be used afterwards. */
  close(): Promise<void>;
}

/**
 * Builds the `awskms` seal. Makes no network call and builds no SDK client until the first
 * `wrap`, `unwrap` or `validate`.
 *
 * - `wrap` throws `ERR_SEAL_UNAVAILABLE` when KMS cannot be used (see `errors.ts`).
 * - `unwrap` throws `ERR_UNSEAL_FAILED` (one opaque message) when KMS refuses the wrapped
 *   key (tampered, another key, another context, another type), and `ERR_SEAL_UNAVAILABLE`
 *   when KMS cannot be reached, throttles, times out or the key is disabled or missing.
 * - `validate` (`DescribeKey`) throws `ERR_SEAL_UNAVAILABLE` unless the key exists, is
 *   enabled, and is a symmetric `ENCRYPT_DECRYPT` key.
 */
export function createAwsKmsSeal(options: AwsKmsSealOptions, deps: { runtime: Pick<Runtime, 'logger'> }): AwsKmsSeal {
  const logger: Logger = deps.runtime.logger.child({ seal: AWS_KMS_SEAL_TYPE });
  const extraContext = { ...(options.encryption_context ?? {}) };
  let client: KMSClient | null = null;
  const sdk = (): KMSClient => (client ??= new KMSClient(awsKmsClientConfig(options)));

  const fail = (failure: AwsKmsFailure, operation: AwsKmsOperation, cause?: unknown) => {
    // The AWS error name (an identifier such as `InvalidCiphertextException`) is what an
    // operator needs; AWS's message, with its ARNs and request ids, is never logged.
    logger.warn({ operation, failure, aws_error: cause === undefined ? 'none' : awsErrorName(cause) }, 'awskms seal: KMS call failed');
    return awsKmsSealError(failure, operation, cause);
  };

  /** Runs one KMS call under `signal` and `CALL_TIMEOUT_MS`; every failure leaves as a seal error. */
  const call = async <T>(operation: AwsKmsOperation, signal: AbortSignal | undefined, fn: (signal: AbortSignal) => Promise<T>): Promise<T> => {
    const limit = deadline(signal, CALL_TIMEOUT_MS);
    const bounded = limit.signal;
    if (bounded.aborted) throw fail('timeout', operation);
    let onAbort = (): void => undefined;
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => reject(fail('timeout', operation));
      bounded.addEventListener('abort', onAbort, { once: true });
    });
    try {
      return await Promise.race([fn(bounded), aborted]);
    } catch (err) {
      if (isGatewayError(err)) throw err;
      throw fail(bounded.aborted ? 'timeout' : classifyAwsKmsError(err, operation), operation, err);
    } finally {
      bounded.removeEventListener('abort', onAbort);
      limit.release();
    }
  };

  return {
    type: AWS_KMS_SEAL_TYPE,

    async wrap(key, aad, signal) {
      const out = await call('Encrypt', signal, (s) =>
        sdk().send(
          new EncryptCommand({
            KeyId: options.kms_key_id,
            Plaintext: key,
            EncryptionContext: awsKmsEncryptionContext(aad, extraContext),
            EncryptionAlgorithm: 'SYMMETRIC_DEFAULT',
          }),
          { abortSignal: s },
        ),
      );
      if (!(out.CiphertextBlob instanceof Uint8Array) || out.CiphertextBlob.length === 0) throw fail('bad_answer', 'Encrypt');
      return {
        type: AWS_KMS_SEAL_TYPE,
        ciphertext: toBase64(out.CiphertextBlob),
        // The key ARN KMS used (never an alias): which key to look for in a recovery.
        ...(typeof out.KeyId === 'string' && out.KeyId !== '' ? { keyId: out.KeyId } : {}),
      };
    },

    async unwrap(wrapped: WrappedKey, aad, signal) {
      if (wrapped.type !== AWS_KMS_SEAL_TYPE) throw unsealFailed();
      const blob = typeof wrapped.ciphertext === 'string' ? fromBase64(wrapped.ciphertext) : null;
      if (blob === null || blob.length === 0 || blob.length > MAX_CIPHERTEXT_BYTES) throw unsealFailed();
      // `wrapped.keyId` is informational only: a multi-Region key answers with its replica's
      // ARN in another region, and `KeyId` below already pins the configured key.
      const out = await call('Decrypt', signal, (s) =>
        sdk().send(
          new DecryptCommand({
            KeyId: options.kms_key_id,
            CiphertextBlob: blob,
            EncryptionContext: awsKmsEncryptionContext(aad, extraContext),
            EncryptionAlgorithm: 'SYMMETRIC_DEFAULT',
          }),
          { abortSignal: s },
        ),
      );
      if (!(out.Plaintext instanceof Uint8Array) || out.Plaintext.length === 0) throw fail('bad_answer', 'Decrypt');
      const plaintext = new Uint8Array(out.Plaintext);
      out.Plaintext.fill(0);
      return plaintext;
    },

    async validate(signal) {
      const out = await call('DescribeKey', signal, (s) => sdk().send(new DescribeKeyCommand({ KeyId: options.kms_key_id }), { abortSignal: s }));
      const meta = out.KeyMetadata;
      if (meta === undefined) throw fail('bad_answer', 'DescribeKey');
      if (meta.KeyState !== undefined && meta.KeyState !== 'Enabled') throw fail('key_state', 'DescribeKey');
      if (meta.Enabled !== true) throw fail('key_state', 'DescribeKey');
      if (meta.KeyUsage !== 'ENCRYPT_DECRYPT' || (meta.KeySpec !== undefined && meta.KeySpec !== 'SYMMETRIC_DEFAULT')) throw fail('key_unsuitable', 'DescribeKey');
    },

    async close() {
      client?.destroy();
      client = null;
    },
  };
}
