/**
 * The `gcpckms` seal: a `KeyWrapper` over Cloud KMS `Encrypt` / `Decrypt` with a symmetric
 * `ENCRYPT_DECRYPT` crypto key (docs/seals/gcpckms.md).
 *
 * - `wrap` encrypts on the crypto key (Cloud KMS uses its primary version) with the barrier's
 *   `aad` (which carries the cluster id) as additional authenticated data, and records the
 *   version Cloud KMS used as `keyId`. `unwrap` decrypts on the same crypto key with the same
 *   AAD; Cloud KMS finds the version from the ciphertext, so rotation needs nothing here.
 * - Integrity (https://cloud.google.com/kms/docs/data-integrity-guidelines): every request
 *   carries CRC32C of what it sends; every answer must say it verified them
 *   (`verified_*_crc32c`) and carry a CRC32C of what it returns, which is checked. A
 *   mismatch discards the answer and retries, a limited number of times.
 * - The client library's retries are off; every call has a deadline (`CALL_TIMEOUT_MS`),
 *   is cancelled on the wire when the caller's signal fires (an interceptor), and is also
 *   raced, so a call stuck before the wire (fetching a token) still returns.
 */

import { KeyManagementServiceClient } from '@google-cloud/kms';
import type { Interceptor } from '@grpc/grpc-js';
import { cancelOnAbort, gcpClientOptions } from '../../../cloud/gcp/client.node.js';
import { crc32c, grpcStatusName } from '../../../cloud/gcp/index.js';
import { constantTimeEqual, deadline, fromBase64, isGatewayError, toBase64 } from '../../../core/index.js';
import type { Logger, Runtime } from '../../../core/index.js';
import type { KeyWrapper, WrappedKey } from '../../types.js';
import { classifyGcpKmsError, gcpKmsSealError, unsealFailed } from './errors.js';
import type { GcpKmsFailure, GcpKmsOperation } from './errors.js';
import { cryptoKeyName } from './options.js';
import type { GcpKmsSealOptions } from './options.js';

/** `KeyWrapper.type` of this seal, recorded in every `WrappedKey`. */
export const GCP_KMS_SEAL_TYPE = 'gcpckms';

/** Deadline of one Cloud KMS call, under whatever the caller's signal allows. */
export const CALL_TIMEOUT_MS = 15_000;

/** Attempts of a call whose answer failed its CRC32C check ("a limited number of retries"). */
const INTEGRITY_ATTEMPTS = 2;

/** The AAD of `validate`'s probe: never the barrier's, so a probe ciphertext can never pass for a root key. */
const VALIDATE_AAD = new TextEncoder().encode('keygate/gcpckms/validate/v1');

/** Cloud KMS's plaintext / ciphertext bound for software keys, with room for overhead. */
const MAX_CIPHERTEXT_BYTES = 64 * 1024 + 1024;

/** A `KeyWrapper` that also releases its gRPC channel. */
export interface GcpKmsSeal extends KeyWrapper {
  /** Always present on KMS seals (see `KeyWrapper.validate`). */
  validate(signal: AbortSignal): Promise<void>;
  /** Closes the client's channel; the seal must not be used afterwards. */
  close(): Promise<void>;
}

/** Per-call options: no library retries, a deadline, and the cancelling interceptor. */
interface CallOptions {
  retry: null;
  timeout: number;
  otherArgs: { options: { interceptors: Interceptor[] } };
}

/** A protobuf Int64Value's value as the library hands it over (number, decimal string or Long); null if absent. */
function int64(v: unknown): number | null {
  const value = typeof v === 'object' && v !== null ? Reflect.get(v, 'value') : undefined;
  if (value === undefined || value === null) return null;
  if (typeof value === 'number' && Number.isSafeInteger(value)) return value;
  if (typeof value === 'string' && /^\d{1,16}$/.test(value)) return Number(value);
  if (typeof value === 'object') {
    const low = Reflect.get(value, 'low');
    const high = Reflect.get(value, 'high');
    if (typeof low === 'number' && typeof high === 'number') return high * 2 ** 32 + (low >>> 0);
  }
  return null;
}

const bytesOf = (v: unknown): Uint8Array | null => (v instanceof Uint8Array ? v : typeof v === 'string' ? fromBase64(v) : null);

/** Thrown inside an attempt when an answer failed its integrity check; the attempt loop retries it. */
class IntegrityMismatch extends Error {}

/**
 * Builds the `gcpckms` seal. Makes no network call and builds no client until the first
 * `wrap`, `unwrap` or `validate`.
 *
 * - `wrap` throws `ERR_SEAL_UNAVAILABLE` when Cloud KMS cannot be used (see `errors.ts`).
 * - `unwrap` throws `ERR_UNSEAL_FAILED` (one opaque message) when Cloud KMS refuses the
 *   wrapped key (tampered, another key, another AAD, another seal type), and
 *   `ERR_SEAL_UNAVAILABLE` when it cannot be reached, throttles, times out, or the key or
 *   its version is missing or not enabled.
 * - `validate` encrypts and decrypts a random probe (what roles/cloudkms.cryptoKeyEncrypterDecrypter
 *   allows; reading key metadata would need more) and throws `ERR_SEAL_UNAVAILABLE` on any failure.
 */
export function createGcpKmsSeal(options: GcpKmsSealOptions, deps: { runtime: Pick<Runtime, 'logger' | 'randomBytes'> }): GcpKmsSeal {
  const logger: Logger = deps.runtime.logger.child({ seal: GCP_KMS_SEAL_TYPE });
  const keyName = cryptoKeyName(options);
  let client: KeyManagementServiceClient | null = null;

  const sdk = (): KeyManagementServiceClient => (client ??= new KeyManagementServiceClient(gcpClientOptions(options)));

  const fail = (failure: GcpKmsFailure, operation: GcpKmsOperation, cause?: unknown) => {
    // The gRPC status name is what an operator needs; Google's message names the project and key, and is never logged.
    logger.warn({ operation, failure, grpc_status: cause === undefined ? 'none' : grpcStatusName(cause) }, 'gcpckms seal: Cloud KMS call failed');
    return gcpKmsSealError(failure, operation, cause);
  };

  /**
   * Runs `invoke` (one Cloud KMS call, whose answer `check` turns into T or rejects with
   * `IntegrityMismatch`) under `signal` and the deadline, retrying integrity mismatches.
   */
  async function call<R, T>(
    operation: GcpKmsOperation,
    signal: AbortSignal | undefined,
    invoke: (opts: CallOptions) => Promise<R>,
    check: (answer: R) => T,
    classify: (err: unknown) => GcpKmsFailure = (err) => classifyGcpKmsError(err, operation),
  ): Promise<T> {
    const limit = deadline(signal, CALL_TIMEOUT_MS);
    const bounded = limit.signal;
    try {
      for (let attempt = 1; ; attempt++) {
        if (bounded.aborted) throw fail('timeout', operation);
        const { interceptor, release } = cancelOnAbort(bounded);
        let onAbort = (): void => undefined;
        const aborted = new Promise<never>((_, reject) => {
          onAbort = () => reject(fail('timeout', operation));
          bounded.addEventListener('abort', onAbort, { once: true });
        });
        try {
          const answer = await Promise.race([invoke({ retry: null, timeout: CALL_TIMEOUT_MS, otherArgs: { options: { interceptors: [interceptor] } } }), aborted]);
          return check(answer);
        } catch (err) {
          if (isGatewayError(err)) throw err;
          if (err instanceof IntegrityMismatch) {
            if (attempt < INTEGRITY_ATTEMPTS) continue;
            throw fail('integrity', operation);
          }
          throw fail(bounded.aborted ? 'timeout' : classify(err), operation, err);
        } finally {
          bounded.removeEventListener('abort', onAbort);
          release();
        }
      }
    } finally {
      limit.release();
    }
  }

  /** Encrypts on the crypto key; returns the ciphertext and the version Cloud KMS used. */
  const encrypt = (plaintext: Uint8Array, aad: Uint8Array, signal: AbortSignal | undefined) =>
    call(
      'Encrypt',
      signal,
      (o) =>
        sdk().encrypt(
          {
            name: keyName,
            plaintext,
            additionalAuthenticatedData: aad,
            plaintextCrc32c: { value: crc32c(plaintext) },
            additionalAuthenticatedDataCrc32c: { value: crc32c(aad) },
          },
          o,
        ),
      ([out]) => {
        // "If you've set … plaintext_crc32c but this field is still false, discard the response and … retry."
        if (out.verifiedPlaintextCrc32c !== true || out.verifiedAdditionalAuthenticatedDataCrc32c !== true) throw new IntegrityMismatch();
        const ciphertext = bytesOf(out.ciphertext);
        if (ciphertext === null || ciphertext.length === 0) throw fail('bad_answer', 'Encrypt');
        if (int64(out.ciphertextCrc32c) !== crc32c(ciphertext)) throw new IntegrityMismatch();
        // "Check this field to verify that the intended resource was used for encryption."
        const version = typeof out.name === 'string' ? out.name : '';
        if (!version.startsWith(`${keyName}/cryptoKeyVersions/`)) throw fail('bad_answer', 'Encrypt');
        return { ciphertext: new Uint8Array(ciphertext), version };
      },
    );

  /** Decrypts on the crypto key; `classify` decides what a refusal means for this caller. */
  const decrypt = (ciphertext: Uint8Array, aad: Uint8Array, signal: AbortSignal | undefined, classify?: (err: unknown) => GcpKmsFailure) =>
    call(
      'Decrypt',
      signal,
      (o) =>
        sdk().decrypt(
          {
            name: keyName,
            ciphertext,
            additionalAuthenticatedData: aad,
            ciphertextCrc32c: { value: crc32c(ciphertext) },
            additionalAuthenticatedDataCrc32c: { value: crc32c(aad) },
          },
          o,
        ),
      ([out]) => {
        const plaintext = bytesOf(out.plaintext);
        if (plaintext === null || plaintext.length === 0) throw fail('bad_answer', 'Decrypt');
        const copy = new Uint8Array(plaintext);
        plaintext.fill(0);
        if (int64(out.plaintextCrc32c) !== crc32c(copy)) {
          copy.fill(0);
          throw new IntegrityMismatch();
        }
        return copy;
      },
      classify,
    );

  return {
    type: GCP_KMS_SEAL_TYPE,

    async wrap(key, aad, signal) {
      const { ciphertext, version } = await encrypt(key, aad, signal);
      return { type: GCP_KMS_SEAL_TYPE, ciphertext: toBase64(ciphertext), keyId: version };
    },

    async unwrap(wrapped: WrappedKey, aad, signal) {
      if (wrapped.type !== GCP_KMS_SEAL_TYPE) throw unsealFailed();
      const blob = typeof wrapped.ciphertext === 'string' ? fromBase64(wrapped.ciphertext) : null;
      if (blob === null || blob.length === 0 || blob.length > MAX_CIPHERTEXT_BYTES) throw unsealFailed();
      // `wrapped.keyId` (the version that wrapped) is informational: Cloud KMS reads the version
      // from the ciphertext, and the request names the configured crypto key, which pins it.
      return decrypt(blob, aad, signal);
    },

    async validate(signal) {
      const probe = deps.runtime.randomBytes(32);
      const { ciphertext } = await encrypt(probe, VALIDATE_AAD, signal);
      // Here even INVALID_ARGUMENT means the key service is not usable, not that a root key was tampered with.
      const back = await decrypt(ciphertext, VALIDATE_AAD, signal, (err) => {
        const failure = classifyGcpKmsError(err, 'Decrypt');
        return failure === 'refused' ? 'rejected' : failure;
      });
      const same = constantTimeEqual(back, probe);
      back.fill(0);
      probe.fill(0);
      if (!same) throw fail('bad_answer', 'Decrypt');
    },

    async close() {
      const c = client;
      client = null;
      await c?.close();
    },
  };
}
