/**
 * AWS KMS failures → Keygate's seal errors. Two outcomes only, as `KeyWrapper` promises:
 *
 * - `ERR_UNSEAL_FAILED`, one opaque message, when KMS refused *this wrapped key*: a tampered
 *   or foreign ciphertext, another key, a different encryption context (including an
 *   `AccessDeniedException` from a key policy conditioned on the context). Fail closed.
 * - `ERR_SEAL_UNAVAILABLE` for everything else (network, 5xx, throttling, timeouts,
 *   credentials, permissions, a disabled or missing key): the gateway stays sealed, retries
 *   with backoff and logs the reason, and an operator can fix it without touching the data.
 *
 * AWS's own messages carry ARNs, account ids and request ids, so none of their text is kept:
 * each failure gets Keygate's sentence, and the SDK error is kept only as a `Sensitive` cause
 * (../kms-errors.ts). Errors are recognised by shape (`cloud/aws/errors.ts`), not by class,
 * so this file needs no SDK import.
 */

import { AWS_CREDENTIAL_ERRORS, AWS_THROTTLING_ERRORS, awsErrorShape, isAwsRegionMissing, isAwsThrottling } from '../../../cloud/aws/index.js';
import { NETWORK_CODES } from '../../../cloud/index.js';
import type { GatewayError } from '../../../core/index.js';
import { kmsTransportSentences, sealUnavailable, unsealFailed } from '../kms-errors.js';
import type { KmsSealFailure } from '../kms-errors.js';

export { UNSEAL_FAILED_MESSAGE, unsealFailed } from '../kms-errors.js';

/** The KMS call that failed, named in messages (it carries no data). */
export type AwsKmsOperation = 'Encrypt' | 'Decrypt' | 'DescribeKey';

/** What went wrong, as far as the gateway needs to know. */
export type AwsKmsFailure = KmsSealFailure | 'key_state' | 'key_unsuitable' | 'no_region';

const SENTENCES: Record<Exclude<AwsKmsFailure, 'refused'>, string> = {
  ...kmsTransportSentences('AWS KMS'),
  credentials: 'AWS KMS refused the credentials',
  permission: 'AWS KMS denied permission to use the key; check the key policy and the IAM policy',
  key_state: 'the KMS key is disabled, pending deletion or unavailable',
  key_not_found: 'the KMS key was not found; check kms_key_id and region',
  key_unsuitable: 'the KMS key is not an enabled symmetric encryption key',
  no_region: 'no AWS region is configured; set region, use a key ARN as kms_key_id, or set AWS_REGION',
  bad_answer: 'AWS KMS answered without the expected fields',
};

/** Decrypt refusals caused by the wrapped key itself (or a context-conditioned key policy). */
const REFUSED_ON_DECRYPT = new Set(['InvalidCiphertextException', 'IncorrectKeyException', 'AccessDeniedException', 'ValidationException']);
const THROTTLED: ReadonlySet<string> = new Set([...AWS_THROTTLING_ERRORS, 'LimitExceededException']);
const CREDENTIALS: ReadonlySet<string> = new Set(AWS_CREDENTIAL_ERRORS);
const KEY_STATE = new Set(['DisabledException', 'KMSInvalidStateException', 'KeyUnavailableException']);
const UNSUITABLE = new Set(['InvalidKeyUsageException', 'UnsupportedOperationException']);
const REJECTED = new Set(['ValidationException', 'InvalidArnException', 'InvalidGrantTokenException', 'SerializationException', 'InvalidParameterException']);

/**
 * The AWS error name of `err` when it is a plain identifier (`ThrottlingException`), for
 * logs; `other` otherwise, so an unexpected shape can never put arbitrary text in a log line.
 */
export function awsErrorName(err: unknown): string {
  const { name } = awsErrorShape(err);
  return /^[A-Za-z][A-Za-z0-9]{0,63}$/.test(name) ? name : 'other';
}

/** What `err`, thrown by `operation`, means for the seal. */
export function classifyAwsKmsError(err: unknown, operation: AwsKmsOperation): AwsKmsFailure {
  const shape = awsErrorShape(err);
  const { name, status, code } = shape;
  if (name === 'AbortError' || name === 'TimeoutError') return 'timeout';
  if (operation === 'Decrypt' && REFUSED_ON_DECRYPT.has(name)) return 'refused';
  if (isAwsThrottling(shape, THROTTLED)) return 'throttled';
  if (CREDENTIALS.has(name)) return 'credentials';
  if (name === 'AccessDeniedException' || name === 'AccessDenied') return 'permission';
  if (KEY_STATE.has(name)) return 'key_state';
  if (name === 'NotFoundException') return 'key_not_found';
  if (UNSUITABLE.has(name)) return 'key_unsuitable';
  if (REJECTED.has(name)) return 'rejected';
  if (NETWORK_CODES.has(code) || NETWORK_CODES.has(name)) return 'unreachable';
  // The SDK could not even build the request: no region anywhere. Its own text, not AWS's.
  if (status === undefined && isAwsRegionMissing(shape)) return 'no_region';
  if (status !== undefined && status >= 400 && status < 500 && operation === 'Decrypt') return 'refused';
  return 'unreachable';
}

/**
 * The error for `failure` in `operation`: `ERR_UNSEAL_FAILED` for `refused`, else
 * `ERR_SEAL_UNAVAILABLE` with Keygate's sentence; `cause` is kept wrapped in `Sensitive`.
 */
export function awsKmsSealError(failure: AwsKmsFailure, operation: AwsKmsOperation, cause?: unknown): GatewayError {
  if (failure === 'refused') return unsealFailed();
  return sealUnavailable(failure === 'no_region' ? `awskms seal: ${SENTENCES[failure]}` : `awskms seal: ${SENTENCES[failure]} (${operation})`, cause);
}
