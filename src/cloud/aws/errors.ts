/**
 * AWS SDK errors, read by shape (`name`, `$metadata.httpStatusCode`, `code`,
 * `$retryable.throttling`, the `Retry-After` header), not by class: no SDK import, so this
 * stays runtime-neutral. What a failure means (a `ProviderError` kind, a seal failure) is
 * the caller's to decide; AWS's message text is read only for the SDK's own "region is
 * missing", and never kept.
 */

import { field, text } from '../errors.js';

/** What Keygate reads from an AWS SDK error. */
export interface AwsErrorShape {
  /** The error's name (`ThrottlingException`, `AbortError`, …); '' when it has none. */
  name: string;
  message: string;
  /** A socket error code (`ECONNREFUSED`), on the error or its cause. */
  code: string;
  status: number | undefined;
  retryAfter: string | undefined;
  /** The SDK's own verdict that this is throttling. */
  throttlingHint: boolean;
}

/** Reads the parts of an SDK error that classification uses. */
export function awsErrorShape(err: unknown): AwsErrorShape {
  const status = field(field(err, '$metadata'), 'httpStatusCode');
  const headers = field(field(err, '$response'), 'headers');
  const retryAfter = field(headers, 'retry-after') ?? field(headers, 'Retry-After');
  return {
    name: text(field(err, 'name')),
    message: text(field(err, 'message')),
    code: text(field(err, 'code')) || text(field(field(err, 'cause'), 'code')),
    status: typeof status === 'number' ? status : undefined,
    retryAfter: typeof retryAfter === 'string' ? retryAfter : undefined,
    throttlingHint: field(field(err, '$retryable'), 'throttling') === true,
  };
}

/** Throttling error names every AWS service uses (services add their own). */
export const AWS_THROTTLING_ERRORS = ['ThrottlingException', 'TooManyRequestsException', 'Throttling', 'RequestLimitExceeded', 'SlowDown'] as const;

/** Error names of refused, expired or missing credentials, from AWS or the SDK's credential providers. */
export const AWS_CREDENTIAL_ERRORS = [
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
] as const;

/** Whether `shape` is throttling: a name in `names`, a 429, or the SDK's own throttling verdict. */
export function isAwsThrottling(shape: AwsErrorShape, names: ReadonlySet<string>): boolean {
  return names.has(shape.name) || shape.status === 429 || shape.throttlingHint;
}

/** Whether the SDK could not even build the request for want of a region (its own text, not AWS's). */
export function isAwsRegionMissing(shape: AwsErrorShape): boolean {
  return /region is missing/i.test(shape.message);
}
