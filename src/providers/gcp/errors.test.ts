import { describe, expect, it } from 'vitest';
import { ProviderError } from '../types.js';
import { GRPC_STATUS, grpcCode, kindForStatus, retryDelayMs, toProviderError } from './errors.js';

const CANARY = 'projects/canary-proj-1a2b/secrets/canary-db principal:serviceAccount:canary@canary.iam.gserviceaccount.com';

describe('GCP errors: gRPC status → ProviderError', () => {
  it.each([
    ['NOT_FOUND', 'not_found', false],
    ['ALREADY_EXISTS', 'conflict', false],
    ['FAILED_PRECONDITION', 'precondition_failed', false],
    ['ABORTED', 'precondition_failed', false],
    ['INVALID_ARGUMENT', 'invalid', false],
    ['OUT_OF_RANGE', 'invalid', false],
    ['RESOURCE_EXHAUSTED', 'throttled', true],
    ['UNAUTHENTICATED', 'unauthorized', false],
    ['PERMISSION_DENIED', 'unauthorized', false],
    ['UNAVAILABLE', 'unavailable', true],
    ['INTERNAL', 'unavailable', true],
    ['UNKNOWN', 'unavailable', true],
    ['DEADLINE_EXCEEDED', 'timeout', true],
    ['CANCELLED', 'timeout', false],
    ['UNIMPLEMENTED', 'unavailable', false],
  ] as const)('%s → %s', (status, kind, retryable) => {
    expect(kindForStatus(GRPC_STATUS[status])).toEqual({ kind, retryable });
  });

  it('keeps none of the upstream text: message, details, metadata', () => {
    const upstream = Object.assign(new Error(`7 PERMISSION_DENIED: ${CANARY}`), { code: GRPC_STATUS.PERMISSION_DENIED, details: CANARY, metadata: { 'x-request-id': 'canary-req' } });
    const err = toProviderError(upstream);
    expect(err.kind).toBe('unauthorized');
    for (const rendering of [err.message, String(err), JSON.stringify(err), JSON.stringify({ err })]) expect(rendering).not.toContain('canary');
    // The cause is kept for debugging, but only behind an explicit reveal.
    expect(grpcCode(err)).toBe(GRPC_STATUS.PERMISSION_DENIED);
  });

  it('reads the retry hint from RetryInfo in the decoded status details', () => {
    const throttled = { code: GRPC_STATUS.RESOURCE_EXHAUSTED, details: CANARY, statusDetails: [{ reason: 'RATE_LIMIT_EXCEEDED' }, { retryDelay: { seconds: '2', nanos: 250_000_000 } }] };
    const err = toProviderError(throttled);
    expect(err.kind).toBe('throttled');
    expect(err.options.retryAfterMs).toBe(2250);
    expect(err.options.retryable).toBe(true);
    expect(retryDelayMs({ statusDetails: [{ retryDelay: { seconds: { low: 3, high: 0 }, nanos: 0 } }] })).toBe(3000);
    expect(retryDelayMs({ statusDetails: [] })).toBeNull();
    expect(toProviderError({ code: GRPC_STATUS.RESOURCE_EXHAUSTED }).options.retryAfterMs).toBeUndefined();
  });

  it('turns errors without a gRPC code into a non-retryable `unavailable`, and passes ProviderErrors through', () => {
    const err = toProviderError(new Error(`Could not load the default credentials: ${CANARY}`));
    expect(err.kind).toBe('unavailable');
    expect(err.options.retryable).toBe(false);
    expect(JSON.stringify(err)).not.toContain('canary');
    const own = new ProviderError('invalid', 'mine');
    expect(toProviderError(own)).toBe(own);
  });
});
