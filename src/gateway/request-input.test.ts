import { describe, expect, it } from 'vitest';
import { isGatewayError } from '../core/index.js';
import { parseQuery, preconditionsFrom, rawPathOf, readJsonBody, takeFlag, tokenFrom } from './request-input.js';

const codeOf = async (fn: () => unknown) => {
  try {
    await fn();
    return undefined;
  } catch (err) {
    return isGatewayError(err) ? err.code : 'other';
  }
};

describe('rawPathOf', () => {
  it('prefers the raw target and strips the query and an absolute-form authority', () => {
    expect(rawPathOf('http://h/a/b', '/x/../y?q=1')).toBe('/x/../y');
    expect(rawPathOf('http://h/a/b?x', undefined)).toBe('/a/b');
    expect(rawPathOf('http://h/a', 'http://evil/p/%2e%2e')).toBe('/p/%2e%2e');
  });
});

describe('parseQuery and takeFlag', () => {
  it('decodes once and refuses repetition', async () => {
    expect(parseQuery('http://h/p?after=a%2Fb&limit=5')).toEqual({ after: 'a/b', limit: '5' });
    expect(await codeOf(() => parseQuery('http://h/p?a=1&a=2'))).toBe('ERR_BAD_REQUEST');
    expect(await codeOf(() => parseQuery(`http://h/p?v=${'x'.repeat(2000)}`))).toBe('ERR_BAD_REQUEST');
  });

  it('reads boolean flags and removes them', async () => {
    for (const [value, expected] of [['', true], ['true', true], ['1', true], ['false', false], ['0', false]] as const) {
      const q: Record<string, string> = { list: value, after: 'x' };
      expect(takeFlag(q, 'list')).toBe(expected);
      expect(q).toEqual({ after: 'x' });
    }
    expect(takeFlag({}, 'list')).toBe(false);
    expect(await codeOf(() => takeFlag({ list: 'yes' }, 'list'))).toBe('ERR_BAD_REQUEST');
  });
});

describe('tokenFrom', () => {
  it('takes Bearer or X-Vault-Token, and refuses two different ones', async () => {
    expect(tokenFrom(new Headers({ authorization: 'Bearer abc' }))).toBe('abc');
    expect(tokenFrom(new Headers({ authorization: 'bearer   abc  ' }))).toBe('abc');
    expect(tokenFrom(new Headers({ 'x-vault-token': 'abc' }))).toBe('abc');
    expect(tokenFrom(new Headers({ 'x-vault-token': 'abc', authorization: 'Bearer abc' }))).toBe('abc');
    expect(tokenFrom(new Headers({ authorization: 'Basic abc' }))).toBe('');
    expect(tokenFrom(new Headers())).toBeNull();
    expect(await codeOf(() => tokenFrom(new Headers({ 'x-vault-token': 'a', authorization: 'Bearer b' })))).toBe('ERR_BAD_REQUEST');
  });
});

describe('preconditionsFrom', () => {
  it('unquotes entity tags and keeps * and weak tags distinct', () => {
    expect(preconditionsFrom(new Headers({ 'if-match': '"3"' }))).toEqual({ ifMatch: ['3'] });
    expect(preconditionsFrom(new Headers({ 'if-none-match': '*' }))).toEqual({ ifNoneMatch: ['*'] });
    expect(preconditionsFrom(new Headers({ 'if-match': '"1", W/"2"' }))).toEqual({ ifMatch: ['1', 'W/2'] });
  });
});

describe('readJsonBody', () => {
  const limits = { maxBodyBytes: 64, maxJsonDepth: 4 };
  const req = (body: BodyInit | null, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
    new Request('http://h/p', { method: 'PUT', body, headers });

  it('reads an object, and an empty body as {}', async () => {
    expect(await readJsonBody(req('{"a":1}'), limits)).toEqual({ a: 1 });
    expect(await readJsonBody(req(null), limits)).toEqual({});
  });

  it('enforces size, type, encoding and depth with their codes', async () => {
    expect(await codeOf(() => readJsonBody(req(`{"a":"${'x'.repeat(100)}"}`), limits))).toBe('ERR_BODY_TOO_LARGE');
    expect(await codeOf(() => readJsonBody(req('{}', { 'content-type': 'text/plain' }), limits))).toBe('ERR_UNSUPPORTED_MEDIA_TYPE');
    expect(await codeOf(() => readJsonBody(req('{}', { 'content-type': 'application/json; charset=utf-16' }), limits))).toBe('ERR_UNSUPPORTED_MEDIA_TYPE');
    expect(await codeOf(() => readJsonBody(req('{"a":{"b":{"c":{"d":{}}}}}'), limits))).toBe('ERR_JSON_TOO_DEEP');
    expect(await codeOf(() => readJsonBody(req(new Uint8Array([0x7b, 0xff, 0x7d])), limits))).toBe('ERR_INVALID_JSON');
    expect(await readJsonBody(req('{"a":1}', { 'content-type': 'application/vnd.keygate+json' }), limits)).toEqual({ a: 1 });
  });
});
