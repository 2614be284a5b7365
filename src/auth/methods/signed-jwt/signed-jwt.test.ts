import { describe, expect, it } from 'vitest';
import { LoginRefusal } from '../login-refusal.js';
import { checkAudience, checkCompactHeader, checkJwksDocument, isPlainKid } from './index.js';

function reason(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof LoginRefusal) return err.reason;
    throw err;
  }
  return 'accepted';
}

const b64 = (value: unknown): string => btoa(JSON.stringify(value)).replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_');

describe('key ids', () => {
  it('accepts plain ids and refuses anything path- or URL-like', () => {
    for (const kid of ['abc', 'k-1_2.3', 'nOo3ZDrODXEK1jKWhXslHR_KXEg', 'a+b=', 'x'.repeat(256)]) expect(isPlainKid(kid)).toBe(true);
    for (const kid of ['', '../x', 'a/b', 'http://evil/k', 'a..b', 'x'.repeat(257), 'a b', 'a\u0000', 'é', 7]) expect(isPlainKid(kid)).toBe(false);
  });
});

describe('compact header checks', () => {
  const body = b64({ sub: 'x' });
  it('refuses by size, shape, algorithm and kid before anything else', () => {
    expect(reason(() => checkCompactHeader('x'.repeat(16_385), ['RS256']))).toBe('jwt_too_large');
    expect(reason(() => checkCompactHeader('a.b', ['RS256']))).toBe('jwt_malformed');
    expect(reason(() => checkCompactHeader(`${b64({ alg: 'none' })}.${body}.`, ['RS256']))).toBe('alg_not_allowed');
    expect(reason(() => checkCompactHeader(`${b64({ alg: 'HS256' })}.${body}.c2ln`, ['RS256']))).toBe('alg_not_allowed');
    expect(reason(() => checkCompactHeader(`${b64({ alg: 'RS256', kid: '../k' })}.${body}.c2ln`, ['RS256']))).toBe('kid_invalid');
    expect(reason(() => checkCompactHeader(`${b64({ alg: 'RS256' })}.${body}.`, ['RS256']))).toBe('signature_missing');
    expect(checkCompactHeader(`${b64({ alg: 'RS256', kid: 'k1', jku: 'http://evil' })}.${body}.c2ln`, ['RS256'])).toEqual({ alg: 'RS256', kid: 'k1' });
  });
});

describe('key set documents', () => {
  const rsa = { kty: 'RSA', n: 'AQAB', e: 'AQAB' };
  it('keeps only the keys of a sound set', () => {
    expect(checkJwksDocument({ keys: [{ ...rsa, kid: 'a' }, { ...rsa, kid: 'b' }], other: 1 })).toEqual({ ok: true, jwks: { keys: [{ ...rsa, kid: 'a' }, { ...rsa, kid: 'b' }] } });
  });
  it('refuses duplicate or non-plain kids, secret keys, and malformed or huge sets', () => {
    expect(checkJwksDocument({ keys: [{ ...rsa, kid: 'a' }, { ...rsa, kid: 'a' }] })).toEqual({ ok: false, reason: 'jwks_duplicate_kid' });
    expect(checkJwksDocument({ keys: [{ ...rsa, kid: 'a/b' }] })).toEqual({ ok: false, reason: 'jwks_kid_invalid' });
    expect(checkJwksDocument({ keys: [{ ...rsa, d: 'x' }] })).toEqual({ ok: false, reason: 'jwks_not_public' });
    expect(checkJwksDocument({ keys: [{ kty: 'oct', k: 'x' }] })).toEqual({ ok: false, reason: 'jwks_not_public' });
    expect(checkJwksDocument({ keys: [] })).toEqual({ ok: false, reason: 'jwks_malformed' });
    expect(checkJwksDocument([])).toEqual({ ok: false, reason: 'jwks_malformed' });
    expect(checkJwksDocument({ keys: Array.from({ length: 101 }, (_, i) => ({ ...rsa, kid: `k${i}` })) })).toEqual({ ok: false, reason: 'jwks_too_many_keys' });
  });
});

describe('audiences', () => {
  it('matches a string or any array member; strictness for roles without audiences', () => {
    expect(reason(() => checkAudience('a', ['a'], true))).toBe('accepted');
    expect(reason(() => checkAudience(['x', 'a'], ['a'], true))).toBe('accepted');
    expect(reason(() => checkAudience(['x'], ['a'], true))).toBe('aud_mismatch');
    expect(reason(() => checkAudience(undefined, ['a'], true))).toBe('aud_mismatch');
    expect(reason(() => checkAudience('a', [], true))).toBe('aud_unbound');
    expect(reason(() => checkAudience('a', [], false))).toBe('accepted');
    expect(reason(() => checkAudience({ a: 1 }, ['a'], true))).toBe('aud_invalid');
  });
});
