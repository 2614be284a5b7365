/**
 * Cloud KMS failures → Keygate's seal errors. Two outcomes only, as `KeyWrapper` promises:
 *
 * - `ERR_UNSEAL_FAILED`, one opaque message, when `Decrypt` refuses *this wrapped key*:
 *   INVALID_ARGUMENT, which Cloud KMS answers for a ciphertext that does not open under the
 *   named key (tampered, made by another key, or with different AAD). Fail closed.
 * - `ERR_SEAL_UNAVAILABLE` for everything else (UNAVAILABLE, DEADLINE_EXCEEDED, throttling,
 *   credentials, permissions, a missing key or a version that is not enabled, a failed
 *   CRC32C check): the gateway stays sealed, retries with backoff and logs the reason.
 *
 * Google's status messages name projects, key rings and keys, so none of their text is
 * kept: each failure gets Keygate's sentence; the original error is a `Sensitive` cause.
 */

import { GatewayError, Sensitive } from '../../../core/index.js';

/** The Cloud KMS call that failed, named in messages (it carries no data). */
export type GcpKmsOperation = 'Encrypt' | 'Decrypt';

/** What went wrong, as far as the gateway needs to know. */
export type GcpKmsFailure =
  | 'refused'
  | 'throttled'
  | 'timeout'
  | 'unreachable'
  | 'credentials'
  | 'permission'
  | 'key_state'
  | 'key_not_found'
  | 'rejected'
  | 'integrity'
  | 'client'
  | 'bad_answer';

/** The one message of every unwrap refusal (the same sentence as the dev seal's). */
export const UNSEAL_FAILED_MESSAGE = 'unseal failed: the seal could not unwrap the root key';

const SENTENCES: Record<Exclude<GcpKmsFailure, 'refused'>, string> = {
  throttled: 'Cloud KMS is throttling requests',
  timeout: 'Cloud KMS did not answer in time',
  unreachable: 'Cloud KMS could not be reached or failed',
  credentials: 'Cloud KMS refused the credentials',
  permission: 'Cloud KMS denied permission to use the key; grant roles/cloudkms.cryptoKeyEncrypterDecrypter on it',
  key_state: 'the crypto key version is not enabled (disabled, scheduled for destruction or destroyed), or the key has no primary version',
  key_not_found: 'the crypto key was not found; check project, region, key_ring and crypto_key',
  rejected: 'Cloud KMS rejected the request as invalid',
  integrity: 'a Cloud KMS answer failed its CRC32C integrity check',
  client: 'the Cloud KMS client failed before reaching the service (credentials?)',
  bad_answer: 'Cloud KMS answered for another key or without the expected fields',
};

/** gRPC status codes (https://grpc.github.io/grpc/core/md_doc_statuscodes.html) by name. */
const CODE_NAMES = [
  'OK',
  'CANCELLED',
  'UNKNOWN',
  'INVALID_ARGUMENT',
  'DEADLINE_EXCEEDED',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED',
  'FAILED_PRECONDITION',
  'ABORTED',
  'OUT_OF_RANGE',
  'UNIMPLEMENTED',
  'INTERNAL',
  'UNAVAILABLE',
  'DATA_LOSS',
  'UNAUTHENTICATED',
] as const;

/** The gRPC status code of `err`, or null when it has none (a failure before the call). */
export function grpcStatusOf(err: unknown): number | null {
  const code = typeof err === 'object' && err !== null ? Reflect.get(err, 'code') : undefined;
  return typeof code === 'number' && Number.isInteger(code) && code >= 0 && code < CODE_NAMES.length ? code : null;
}

/** The status name of `err` for logs (`UNAVAILABLE`), `none` when it has no gRPC status. */
export function grpcStatusName(err: unknown): string {
  const code = grpcStatusOf(err);
  return code === null ? 'none' : (CODE_NAMES[code] ?? 'none');
}

/** What `err`, thrown by `operation`, means for the seal. */
export function classifyGcpKmsError(err: unknown, operation: GcpKmsOperation): GcpKmsFailure {
  const code = grpcStatusOf(err);
  if (code === null) return 'client';
  switch (CODE_NAMES[code]) {
    case 'INVALID_ARGUMENT':
    case 'OUT_OF_RANGE':
      return operation === 'Decrypt' ? 'refused' : 'rejected';
    case 'NOT_FOUND':
      return 'key_not_found';
    case 'FAILED_PRECONDITION':
      return 'key_state';
    case 'PERMISSION_DENIED':
      return 'permission';
    case 'UNAUTHENTICATED':
      return 'credentials';
    case 'RESOURCE_EXHAUSTED':
      return 'throttled';
    case 'DEADLINE_EXCEEDED':
    case 'CANCELLED':
      return 'timeout';
    case 'UNIMPLEMENTED':
      return 'rejected';
    default:
      // UNAVAILABLE, INTERNAL, UNKNOWN, ABORTED, DATA_LOSS, anything new.
      return 'unreachable';
  }
}

/** The opaque unwrap refusal: no cause, one message, so nothing tells the reasons apart. */
export function unsealFailed(): GatewayError {
  return new GatewayError('ERR_UNSEAL_FAILED', UNSEAL_FAILED_MESSAGE);
}

/**
 * The error for `failure` in `operation`: `ERR_UNSEAL_FAILED` for `refused`, else
 * `ERR_SEAL_UNAVAILABLE` with Keygate's sentence; `cause` is kept wrapped in `Sensitive`.
 */
export function gcpKmsSealError(failure: GcpKmsFailure, operation: GcpKmsOperation, cause?: unknown): GatewayError {
  if (failure === 'refused') return unsealFailed();
  return new GatewayError('ERR_SEAL_UNAVAILABLE', `gcpckms seal: ${SENTENCES[failure]} (${operation})`, cause === undefined ? {} : { cause: new Sensitive(cause) });
}
