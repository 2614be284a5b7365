/**
 * SDK errors → ProviderError kinds, and sanitising: whatever the SDK error carries (ARNs,
 * account ids, request ids, principal names, key ids), the message is Keygate's own. The
 * errors are the SDK's own exception classes, built as its deserialiser builds them, because
 * most of these faults (throttling, 5xx, expired tokens) cannot be produced by moto.
 */

import {
  DecryptionFailure,
  InternalServiceError,
  InvalidParameterException,
  InvalidRequestException,
  LimitExceededException,
  ResourceExistsException,
  ResourceNotFoundException,
  SecretsManagerServiceException,
} from '@aws-sdk/client-secrets-manager';
import { describe, expect, it } from 'vitest';
import { ProviderError } from '../types.js';
import { classifyAwsError, parseRetryAfter, toProviderError } from './errors.js';
import type { AwsOperation } from './errors.js';

const ACCOUNT = '731984562047';
const REQUEST_ID = 'a1b2c3d4-canary-request-id-0000';
const ARN = `arn:aws:secretsmanager:eu-west-3:${ACCOUNT}:secret:payments/db-Xy7Q2a`;
const PRINCIPAL = `arn:aws:sts::${ACCOUNT}:assumed-role/keygate-canary/session-canary`;
const KEY_ID = 'AKIACANARYKEYID00000';
const CANARY_MESSAGE = `User: ${PRINCIPAL} (key ${KEY_ID}) is not authorized on resource ${ARN}; request ${REQUEST_ID}`;
const CANARIES = [ACCOUNT, REQUEST_ID, ARN, PRINCIPAL, KEY_ID, 'canary', 'arn:', 'Xy7Q2a'];

const meta = (status: number) => ({ httpStatusCode: status, requestId: REQUEST_ID, extendedRequestId: REQUEST_ID, attempts: 1, totalRetryDelay: 0 });
const service = (name: string, status: number, fault: 'client' | 'server' = 'client', extra: Record<string, unknown> = {}) =>
  Object.assign(new SecretsManagerServiceException({ name, $fault: fault, $metadata: meta(status), message: CANARY_MESSAGE }), extra);

const cases: [string, unknown, string, AwsOperation?][] = [
  ['ResourceNotFoundException', new ResourceNotFoundException({ $metadata: meta(400), message: CANARY_MESSAGE }), 'not_found'],
  ['ResourceExistsException', new ResourceExistsException({ $metadata: meta(400), message: CANARY_MESSAGE }), 'conflict'],
  [
    'InvalidRequestException (scheduled for deletion)',
    new InvalidRequestException({ $metadata: meta(400), message: `You can't perform this operation on the secret ${ARN} because it was marked for deletion.` }),
    'deleted',
  ],
  [
    'InvalidRequestException (create over a deleted name)',
    new InvalidRequestException({ $metadata: meta(400), message: `You can't create this secret because a secret with this name is already scheduled for deletion. ${ARN}` }),
    'conflict',
    'CreateSecret',
  ],
  ['InvalidRequestException (other)', new InvalidRequestException({ $metadata: meta(400), message: CANARY_MESSAGE }), 'invalid'],
  ['InvalidParameterException', new InvalidParameterException({ $metadata: meta(400), message: CANARY_MESSAGE }), 'invalid'],
  ['ValidationException', service('ValidationException', 400), 'invalid'],
  ['LimitExceededException', new LimitExceededException({ $metadata: meta(400), message: CANARY_MESSAGE }), 'invalid'],
  ['ThrottlingException', service('ThrottlingException', 400), 'throttled'],
  ['TooManyRequestsException', service('TooManyRequestsException', 400), 'throttled'],
  ['an unknown error with status 429', service('SomethingNew', 429), 'throttled'],
  ['AccessDeniedException', service('AccessDeniedException', 400), 'unauthorized'],
  ['UnrecognizedClientException', service('UnrecognizedClientException', 400), 'unauthorized'],
  ['ExpiredTokenException', service('ExpiredTokenException', 400), 'unauthorized'],
  ['InvalidSignatureException', service('InvalidSignatureException', 400), 'unauthorized'],
  ['DecryptionFailure (KMS)', new DecryptionFailure({ $metadata: meta(400), message: CANARY_MESSAGE }), 'unauthorized'],
  ['CredentialsProviderError (no credentials found)', Object.assign(new Error(CANARY_MESSAGE), { name: 'CredentialsProviderError' }), 'unauthorized'],
  ['InternalServiceError', new InternalServiceError({ $metadata: meta(500), message: CANARY_MESSAGE }), 'unavailable'],
  ['an unknown 503', service('ServiceUnavailable', 503, 'server'), 'unavailable'],
  ['an unknown 502 without a name', Object.assign(new Error(CANARY_MESSAGE), { name: '', $metadata: meta(502) }), 'unavailable'],
  ['ECONNREFUSED', Object.assign(new Error(`connect ECONNREFUSED ${ARN}`), { code: 'ECONNREFUSED' }), 'unavailable'],
  ['ECONNRESET under a wrapper', Object.assign(new Error(CANARY_MESSAGE), { cause: { code: 'ECONNRESET' } }), 'unavailable'],
  ['AbortError', Object.assign(new Error(CANARY_MESSAGE), { name: 'AbortError' }), 'timeout'],
  ['an unknown 4xx', service('BrandNewException', 400), 'invalid'],
  ['something that is not an error', `thrown string ${ARN}`, 'unavailable'],
];

describe('aws error mapping', () => {
  it.each(cases)('maps %s', (_label, err, kind, operation) => {
    expect(classifyAwsError(err, operation ?? 'GetSecretValue')).toBe(kind);
    expect(toProviderError(err, operation ?? 'GetSecretValue').kind).toBe(kind);
  });

  it('never lets an ARN, account id, principal, key id or request id into the message', () => {
    for (const [, err, , operation] of cases) {
      const mapped = toProviderError(err, operation ?? 'PutSecretValue');
      expect(mapped).toBeInstanceOf(ProviderError);
      for (const canary of CANARIES) {
        expect(mapped.message).not.toContain(canary);
        expect(String(mapped)).not.toContain(canary);
      }
      expect(mapped.message).toMatch(/\((PutSecretValue|CreateSecret)\)$/);
      // The SDK error stays reachable for debugging, never in the message.
      expect(mapped.cause).toBe(err);
    }
  });

  it('answers timeout for anything that fails after the caller signal fired', () => {
    const controller = new AbortController();
    controller.abort();
    expect(toProviderError(service('InternalServiceError', 500, 'server'), 'ListSecrets', { signal: controller.signal }).kind).toBe('timeout');
  });

  it('marks throttling and unavailability retryable, and carries Retry-After', () => {
    const throttled = service('ThrottlingException', 429, 'client', { $response: { statusCode: 429, headers: { 'retry-after': '3' }, body: undefined } });
    const mapped = toProviderError(throttled, 'GetSecretValue');
    expect(mapped.kind).toBe('throttled');
    expect(mapped.options.retryAfterMs).toBe(3000);
    expect(mapped.options.retryable).toBe(true);
    expect(toProviderError(service('ThrottlingException', 400), 'GetSecretValue').options.retryAfterMs).toBeUndefined();
    expect(toProviderError(new InternalServiceError({ $metadata: meta(500), message: 'x' }), 'GetSecretValue').options.retryable).toBe(true);
    expect(toProviderError(new ResourceNotFoundException({ $metadata: meta(400), message: 'x' }), 'GetSecretValue').options.retryable).toBeUndefined();
  });

  it('reads Retry-After as seconds or an HTTP date, bounded', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('2', now)).toBe(2000);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:05 GMT', now)).toBe(5000);
    expect(parseRetryAfter('Wed, 31 Dec 2025 23:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('999999', now)).toBe(300_000);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });

  it('says in its own words when no region is configured', () => {
    const mapped = toProviderError(new Error('Region is missing'), 'ListSecrets');
    expect([mapped.kind, mapped.message]).toEqual(['invalid', 'no AWS region is configured: set the mount option region or AWS_REGION']);
  });

  it('passes a ProviderError through unchanged', () => {
    const own = new ProviderError('precondition_failed', 'mine');
    expect(toProviderError(own, 'PutSecretValue')).toBe(own);
  });
});
