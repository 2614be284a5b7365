/**
 * AWS SDK failures → `ProviderError`. The SDK's own message is never used: AWS messages
 * carry ARNs, account ids, principal names and request ids. Each kind gets Keygate's own
 * sentence, and the SDK error is kept only as `cause` (never logged or returned).
 *
 * Errors are recognised by shape (`cloud/aws/errors.ts`: `name`, `$metadata.httpStatusCode`,
 * `code`), not by class, so this file needs no SDK import and stays runtime-neutral.
 */

import { AWS_CREDENTIAL_ERRORS, AWS_THROTTLING_ERRORS, awsErrorShape, isAwsRegionMissing, isAwsThrottling } from '../../cloud/aws/index.js';
import type { AwsErrorShape } from '../../cloud/aws/index.js';
import { NETWORK_CODES, field, text } from '../../cloud/index.js';
import { ProviderError } from '../types.js';
import type { ProviderErrorKind } from '../types.js';

/** The Secrets Manager call that failed, named in messages (it carries no data). */
export type AwsOperation =
  | 'CreateSecret'
  | 'DeleteSecret'
  | 'DescribeSecret'
  | 'GetSecretValue'
  | 'ListSecretVersionIds'
  | 'ListSecrets'
  | 'PutSecretValue'
  | 'RestoreSecret'
  | 'TagResource'
  | 'UntagResource'
  | 'UpdateSecretVersionStage';

const NOT_FOUND = new Set(['ResourceNotFoundException']);
const CONFLICT = new Set(['ResourceExistsException']);
const INVALID = new Set([
  'InvalidParameterException',
  'ValidationException',
  'InvalidRequestException',
  'MalformedPolicyDocumentException',
  'PreconditionNotMetException',
  'LimitExceededException',
  'SerializationException',
]);
const THROTTLED: ReadonlySet<string> = new Set([...AWS_THROTTLING_ERRORS, 'ProvisionedThroughputExceededException']);
const UNAUTHORIZED: ReadonlySet<string> = new Set([
  ...AWS_CREDENTIAL_ERRORS,
  'AccessDeniedException',
  'AccessDenied',
  'NotAuthorized',
  'AuthFailure',
  'RegionDisabledException',
  // KMS refused to encrypt or decrypt for the caller: a key policy or grant is missing.
  'DecryptionFailure',
  'EncryptionFailure',
]);
const UNAVAILABLE = new Set(['InternalServiceError', 'InternalFailure', 'ServiceUnavailable', 'ServiceUnavailableException', 'RequestTimeout', 'RequestTimeoutException', 'TimeoutError']);

/** AWS's wording for a secret that is scheduled for deletion (it varies by operation). */
const DELETED_TEXT = /(scheduled|marked) (for )?delet/i;

const SENTENCES: Record<ProviderErrorKind, string> = {
  not_found: 'AWS Secrets Manager has no such secret or version',
  conflict: 'a secret with this name already exists in AWS Secrets Manager',
  precondition_failed: 'the current version in AWS Secrets Manager is not the expected one',
  invalid: 'AWS Secrets Manager refused the request as invalid',
  throttled: 'AWS Secrets Manager is throttling requests',
  unauthorized: 'AWS Secrets Manager refused the credentials or permissions of this mount',
  unavailable: 'AWS Secrets Manager could not be reached or failed',
  timeout: 'AWS Secrets Manager did not answer in time',
  deleted: 'the secret is scheduled for deletion in AWS Secrets Manager; restore it first',
};

/** The SDK error's shape; the name falls back to an XML error's `Code`. */
function shapeOf(err: unknown): AwsErrorShape {
  const shape = awsErrorShape(err);
  return { ...shape, name: shape.name || text(field(err, 'Code')) };
}

/** Milliseconds from a `Retry-After` header (seconds or an HTTP date), bounded to 5 minutes. */
export function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  let ms: number;
  if (/^[0-9]{1,6}$/.test(trimmed)) ms = Number(trimmed) * 1000;
  else {
    const at = Date.parse(trimmed);
    if (Number.isNaN(at)) return undefined;
    ms = at - now;
  }
  return Math.min(Math.max(ms, 0), 300_000);
}

/** The kind for an SDK error, by its shape. */
export function classifyAwsError(err: unknown, operation: AwsOperation): ProviderErrorKind {
  const e = shapeOf(err);
  if (e.name === 'AbortError') return 'timeout';
  if (NOT_FOUND.has(e.name)) return 'not_found';
  if (CONFLICT.has(e.name)) return 'conflict';
  if (e.name === 'InvalidRequestException' && DELETED_TEXT.test(e.message)) {
    // Creating over a name that is scheduled for deletion is a name conflict, as on every other store.
    return operation === 'CreateSecret' ? 'conflict' : 'deleted';
  }
  if (isAwsThrottling(e, THROTTLED)) return 'throttled';
  if (UNAUTHORIZED.has(e.name)) return 'unauthorized';
  if (INVALID.has(e.name)) return 'invalid';
  if (UNAVAILABLE.has(e.name) || NETWORK_CODES.has(e.code) || NETWORK_CODES.has(e.name)) return 'unavailable';
  if (e.status !== undefined) {
    if (e.status >= 500) return 'unavailable';
    if (e.status === 401 || e.status === 403) return 'unauthorized';
    if (e.status === 404) return 'not_found';
    if (e.status >= 400) return 'invalid';
  }
  // The SDK could not even build the request: no region configured anywhere.
  if (isAwsRegionMissing(e)) return 'invalid';
  return 'unavailable';
}

/** A `ProviderError` of `kind` with Keygate's sentence for it, for refusals the port decides itself. */
export function awsProviderError(kind: ProviderErrorKind, operation: AwsOperation, detail?: string): ProviderError {
  return new ProviderError(kind, `${detail ?? SENTENCES[kind]} (${operation})`);
}

/**
 * Turns anything a Secrets Manager call threw into a `ProviderError` whose message is
 * Keygate's own. `signal`: when it has fired, the failure is a timeout whatever the SDK says.
 * `now` dates an HTTP-date `Retry-After`.
 */
export function toProviderError(err: unknown, operation: AwsOperation, options: { signal?: AbortSignal; now?: number } = {}): ProviderError {
  if (err instanceof ProviderError) return err;
  const kind: ProviderErrorKind = options.signal?.aborted === true ? 'timeout' : classifyAwsError(err, operation);
  const e = shapeOf(err);
  let message = `${SENTENCES[kind]} (${operation})`;
  if (kind === 'conflict' && DELETED_TEXT.test(e.message)) {
    message = `a secret with this name is scheduled for deletion in AWS Secrets Manager; restore it, or delete it with force first (${operation})`;
  }
  if (kind === 'invalid' && isAwsRegionMissing(e)) {
    message = 'no AWS region is configured: set the mount option region or AWS_REGION';
  }
  const retryAfterMs = kind === 'throttled' ? parseRetryAfter(e.retryAfter, options.now ?? Date.now()) : undefined;
  return new ProviderError(kind, message, {
    cause: err,
    ...(kind === 'throttled' || kind === 'unavailable' ? { retryable: true } : {}),
    ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
  });
}
