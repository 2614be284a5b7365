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
 * each failure gets Keygate's sentence, and the SDK error is kept only as a `Sensitive` cause.
 * Errors are recognised by shape (`name`, `$metadata.httpStatusCode`, `code`), not by class,
 * so this file needs no SDK import.
 */

import { GatewayError, Sensitive } from '../../../core/index.js';

/** The KMS call that failed, named in messages (it carries no data). */
export type AwsKmsOperation = 'Encrypt' | 'Decrypt' | 'DescribeKey';

/** What went wrong, as far as the gateway needs to know. */
export type AwsKmsFailure =
  | 'refused'
  | 'throttled'
  | 'timeout'
  | 'unreachable'
  | 'credentials'
  | 'permission'
  | 'key_state'
  | 'key_not_found'
  | 'key_unsuitable'
  | 'rejected'
  | 'no_region'
  | 'bad_answer';

/** The one message of every unwrap refusal (the same sentence as the dev seal's). */
export const UNSEAL_FAILED_MESSAGE = 'unseal failed: the seal could not unwrap the root key';

const SENTENCES: Record<Exclude<AwsKmsFailure, 'refused'>, string> = {
  throttled: 'AWS KMS is throttling requests',
  timeout: 'AWS KMS did not answer in time',
  unreachable: 'AWS KMS could not be reached or failed',
  credentials: 'AWS KMS refused the credentials',
  permission: 'AWS KMS denied permission to use the key; check the key policy and the IAM policy',
  key_state: 'the KMS key is disabled, pending deletion or unavailable',
  key_not_found: 'the KMS key was not found; check kms_key_id and region',
  key_unsuitable: 'the KMS key is not an enabled symmetric encryption key',
  rejected: 'AWS KMS rejected the request as invalid',
  no_region: 'no AWS region is configured; set region, use a key ARN as kms_key_id, or set AWS_REGION',
  bad_answer: 'AWS KMS answered without the expected fields',
};

/** Decrypt refusals caused by the wrapped key itself (or a context-conditioned key policy). */
const REFUSED_ON_DECRYPT = new Set(['InvalidCiphertextException', 'IncorrectKeyException', 'AccessDeniedException', 'ValidationException']);
const THROTTLED = new Set(['ThrottlingException', 'LimitExceededException', 'TooManyRequestsException', 'Throttling', 'RequestLimitExceeded', 'SlowDown']);
const CREDENTIALS = new Set([
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'SignatureDoesNotMatch',
  'ExpiredToken',
  'ExpiredTokenException',
  'InvalidClientTokenId',
  'IncompleteSignature',
  'MissingAuthenticationToken',
  'MissingAuthenticationTokenException',
  'RequestExpired',
  'CredentialsProviderError',
  'TokenProviderError',
]);
const KEY_STATE = new Set(['DisabledException', 'KMSInvalidStateException', 'KeyUnavailableException']);
const UNSUITABLE = new Set(['InvalidKeyUsageException', 'UnsupportedOperationException']);
const REJECTED = new Set(['ValidationException', 'InvalidArnException', 'InvalidGrantTokenException', 'SerializationException', 'InvalidParameterException']);
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNABORTED', 'UND_ERR_SOCKET']);

const field = (value: unknown, key: string): unknown => (typeof value === 'object' && value !== null ? Reflect.get(value, key) : undefined);
const text = (value: unknown): string => (typeof value === 'string' ? value : '');

/**
 * The AWS error name of `err` when it is a plain identifier (`ThrottlingException`), for
 * logs; `other` otherwise, so an unexpected shape can never put arbitrary text in a log line.
 */
export function awsErrorName(err: unknown): string {
  const name = text(field(err, 'name'));
  return /^[A-Za-z][A-Za-z0-9]{0,63}$/.test(name) ? name : 'other';
}

/** What `err`, thrown by `operation`, means for the seal. */
export function classifyAwsKmsError(err: unknown, operation: AwsKmsOperation): AwsKmsFailure {
  const name = text(field(err, 'name'));
  const status = field(field(err, '$metadata'), 'httpStatusCode');
  const code = text(field(err, 'code')) || text(field(field(err, 'cause'), 'code'));
  if (name === 'AbortError' || name === 'TimeoutError') return 'timeout';
  if (operation === 'Decrypt' && REFUSED_ON_DECRYPT.has(name)) return 'refused';
  if (THROTTLED.has(name) || status === 429 || field(field(err, '$retryable'), 'throttling') === true) return 'throttled';
  if (CREDENTIALS.has(name)) return 'credentials';
  if (name === 'AccessDeniedException' || name === 'AccessDenied') return 'permission';
  if (KEY_STATE.has(name)) return 'key_state';
  if (name === 'NotFoundException') return 'key_not_found';
  if (UNSUITABLE.has(name)) return 'key_unsuitable';
  if (REJECTED.has(name)) return 'rejected';
  if (NETWORK_CODES.has(code) || NETWORK_CODES.has(name)) return 'unreachable';
  // The SDK could not even build the request: no region anywhere. Its own text, not AWS's.
  if (status === undefined && /region is missing/i.test(text(field(err, 'message')))) return 'no_region';
  if (typeof status === 'number' && status >= 400 && status < 500 && operation === 'Decrypt') return 'refused';
  return 'unreachable';
}

/** The opaque unwrap refusal: no cause, one message, so nothing tells the reasons apart. */
export function unsealFailed(): GatewayError {
  return new GatewayError('ERR_UNSEAL_FAILED', UNSEAL_FAILED_MESSAGE);
}

/**
 * The error for `failure` in `operation`: `ERR_UNSEAL_FAILED` for `refused`, else
 * `ERR_SEAL_UNAVAILABLE` with Keygate's sentence; `cause` is kept wrapped in `Sensitive`.
 */
export function awsKmsSealError(failure: AwsKmsFailure, operation: AwsKmsOperation, cause?: unknown): GatewayError {
  if (failure === 'refused') return unsealFailed();
  const message = failure === 'no_region' ? `awskms seal: ${SENTENCES[failure]}` : `awskms seal: ${SENTENCES[failure]} (${operation})`;
  return new GatewayError('ERR_SEAL_UNAVAILABLE', message, cause === undefined ? {} : { cause: new Sensitive(cause) });
}
