import { describe, expect, it } from 'vitest';
import { ProviderError } from '../types.js';
import { classifyAzureError, retryAfterMsOf, shapeOfAzureError, toProviderError } from './errors.js';

/** An error shaped like the SDK's `RestError`, carrying canaries where Azure puts identifiers. */
function restError(statusCode: number | undefined, code: string, inner?: string, headers: Record<string, string> = {}) {
  const err = new Error(`vault kv-canary-vault; tenant 11111111-2222-3333-4444-555555555555; request 0d3e1f6a-canary-request; Caller: appid=canary`);
  return Object.assign(err, {
    name: 'RestError',
    statusCode,
    code,
    details: { error: { code, message: err.message, ...(inner === undefined ? {} : { innerError: { code: inner } }) } },
    request: { url: 'https://kv-canary-vault.vault.azure.net/secrets/canary-secret?api-version=7.6', headers: { authorization: 'Bearer canary-token' } },
    response: { headers: { get: (name: string) => headers[name.toLowerCase()] } },
  });
}

const CANARIES = /canary|11111111-2222|appid|vault\.azure\.net|Bearer/;

describe('Azure errors → ProviderError', () => {
  it.each([
    [404, 'SecretNotFound', undefined, 'not_found'],
    [409, 'Conflict', 'ObjectIsDeletedButRecoverable', 'deleted'],
    [409, 'Conflict', 'ObjectIsBeingDeleted', 'conflict'],
    [409, 'Conflict', undefined, 'conflict'],
    [400, 'BadParameter', undefined, 'invalid'],
    [401, 'Unauthorized', undefined, 'unauthorized'],
    [403, 'Forbidden', 'ForbiddenByRbac', 'unauthorized'],
    [403, 'Forbidden', 'SecretDisabled', 'conflict'],
    [412, 'PreconditionFailed', undefined, 'precondition_failed'],
    [429, 'Throttled', undefined, 'throttled'],
    [500, 'InternalServerError', undefined, 'unavailable'],
    [503, 'ServiceUnavailable', undefined, 'unavailable'],
    [504, 'GatewayTimeout', undefined, 'timeout'],
  ] as const)('%i %s (%s) → %s, in Keygate\'s words', (status, code, inner, kind) => {
    const e = toProviderError(restError(status, code, inner));
    expect(e).toBeInstanceOf(ProviderError);
    expect(e.kind).toBe(kind);
    expect(`${e.message} ${String(e)}`).not.toMatch(CANARIES);
  });

  it('marks transient kinds retryable and the rest not', () => {
    expect(toProviderError(restError(503, 'ServiceUnavailable')).options.retryable).toBe(true);
    expect(toProviderError(restError(409, 'Conflict', 'ObjectIsBeingDeleted')).options.retryable).toBe(true);
    expect(toProviderError(restError(403, 'Forbidden')).options.retryable).toBe(false);
    expect(toProviderError(restError(404, 'SecretNotFound')).options.retryable).toBe(false);
  });

  it('reads Retry-After as seconds, as an HTTP date, or x-ms-retry-after-ms, bounded to five minutes', () => {
    expect(toProviderError(restError(429, 'Throttled', undefined, { 'retry-after': '7' })).options.retryAfterMs).toBe(7000);
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(retryAfterMsOf({ retryAfter: 'Thu, 01 Jan 2026 00:00:30 GMT', retryAfterMs: undefined }, now)).toBe(30_000);
    expect(retryAfterMsOf({ retryAfter: '5', retryAfterMs: '250' }, now)).toBe(250);
    expect(retryAfterMsOf({ retryAfter: '99999', retryAfterMs: undefined }, now)).toBe(300_000);
    expect(retryAfterMsOf({ retryAfter: 'soon', retryAfterMs: undefined }, now)).toBeUndefined();
  });

  it('maps aborts to timeout, credential failures to unauthorized, network failures to unavailable', () => {
    expect(toProviderError(Object.assign(new Error('aborted canary'), { name: 'AbortError' })).kind).toBe('timeout');
    const cred = toProviderError(Object.assign(new Error('AADSTS7000215 tenant 11111111-2222-3333-4444-555555555555 canary'), { name: 'CredentialUnavailableError' }));
    expect(cred.kind).toBe('unauthorized');
    expect(cred.message).not.toMatch(CANARIES);
    const net = toProviderError(Object.assign(new Error('connect ECONNREFUSED kv-canary-vault'), { name: 'RestError', code: 'ECONNREFUSED' }));
    expect(net).toMatchObject({ kind: 'unavailable', options: { retryable: true } });
    expect(net.message).not.toMatch(CANARIES);
    // The challenge-resource check throws a plain Error naming hosts: unavailable, sanitised.
    const plain = toProviderError(new Error("The challenge resource 'kv-canary-vault.vault.azure.net' does not match"));
    expect(plain.kind).toBe('unavailable');
    expect(plain.message).not.toMatch(CANARIES);
  });

  it('keeps the SDK error only as cause, and passes a ProviderError through', () => {
    const original = restError(404, 'SecretNotFound');
    expect(toProviderError(original).cause).toBe(original);
    const already = new ProviderError('conflict', 'mine');
    expect(toProviderError(already)).toBe(already);
  });

  it('reads the shape without the message', () => {
    const shape = shapeOfAzureError(restError(403, 'Forbidden', 'SecretDisabled', { 'retry-after': '3' }));
    expect(shape).toEqual({ name: 'RestError', status: 403, code: 'Forbidden', innerCode: 'SecretDisabled', retryAfter: '3', retryAfterMs: undefined });
    expect(classifyAzureError({ ...shape, status: 418 }).kind).toBe('invalid');
  });
});
