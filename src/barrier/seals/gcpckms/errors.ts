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

import { grpcStatusName } from '../../../cloud/gcp/index.js';
import type { GatewayError } from '../../../core/index.js';
import { kmsTransportSentences, sealUnavailable, unsealFailed } from '../kms-errors.js';
import type { KmsSealFailure } from '../kms-errors.js';

export { UNSEAL_FAILED_MESSAGE, unsealFailed } from '../kms-errors.js';

/** The Cloud KMS call that failed, named in messages (it carries no data). */
export type GcpKmsOperation = 'Encrypt' | 'Decrypt';

/** What went wrong, as far as the gateway needs to know. */
export type GcpKmsFailure = KmsSealFailure | 'key_state' | 'integrity' | 'client';

const SENTENCES: Record<Exclude<GcpKmsFailure, 'refused'>, string> = {
  ...kmsTransportSentences('Cloud KMS'),
  credentials: 'Cloud KMS refused the credentials',
  permission: 'Cloud KMS denied permission to use the key; grant roles/cloudkms.cryptoKeyEncrypterDecrypter on it',
  key_state: 'the crypto key version is not enabled (disabled, scheduled for destruction or destroyed), or the key has no primary version',
  key_not_found: 'the crypto key was not found; check project, region, key_ring and crypto_key',
  integrity: 'a Cloud KMS answer failed its CRC32C integrity check',
  client: 'the Cloud KMS client failed before reaching the service (credentials?)',
  bad_answer: 'Cloud KMS answered for another key or without the expected fields',
};

/** What `err`, thrown by `operation`, means for the seal. */
export function classifyGcpKmsError(err: unknown, operation: GcpKmsOperation): GcpKmsFailure {
  switch (grpcStatusName(err)) {
    case 'none':
      return 'client';
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

/**
 * The error for `failure` in `operation`: `ERR_UNSEAL_FAILED` for `refused`, else
 * `ERR_SEAL_UNAVAILABLE` with Keygate's sentence; `cause` is kept wrapped in `Sensitive`.
 */
export function gcpKmsSealError(failure: GcpKmsFailure, operation: GcpKmsOperation, cause?: unknown): GatewayError {
  if (failure === 'refused') return unsealFailed();
  return sealUnavailable(`gcpckms seal: ${SENTENCES[failure]} (${operation})`, cause);
}
